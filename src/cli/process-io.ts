// The real process's Io: buffered stdout (large writes are much cheaper than many small ones),
// stderr unbuffered, and a closed pipe (`synack ... | head`) ending the run quietly with status 0.

import type { Io } from './io.js';

const FLUSH_AT = 1 << 16;

export function processIo(): Io {
  let pending = '';
  const out = process.stdout;
  out.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (EPIPE): nothing more can be said to it; exit as a pipeline expects.
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`synack: cannot write output: ${err.message}\n`);
    process.exit(3);
  });
  const flushNow = () => {
    if (pending.length > 0) {
      out.write(pending);
      pending = '';
    }
  };
  return {
    stdout(text: string) {
      pending += text;
      if (pending.length >= FLUSH_AT) flushNow();
    },
    stderr(text: string) {
      process.stderr.write(text);
    },
    stdoutIsTTY: Boolean(out.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: out.isTTY ? out.columns || 80 : null,
    env: process.env,
    stdin: process.stdin,
    flush() {
      flushNow();
      return new Promise<void>((resolve) => {
        if (out.writableNeedDrain) out.once('drain', () => resolve());
        else resolve();
      });
    },
  };
}
