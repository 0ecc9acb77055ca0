// The real process's Io: buffered stdout (large writes are much cheaper than many small ones,
// and what is buffered goes out as soon as the event loop is free, so a live pipe sees each line
// promptly), stderr unbuffered, a closed pipe (`synack ... | head`) ending the run quietly with
// status 0, and Ctrl-C / SIGTERM turned into an abort signal so commands report what they have.

import type { Io } from './io.js';

const FLUSH_AT = 1 << 16;
/** Output queued in the stream beyond which reading pauses until the reader catches up. */
const BACKLOG_LIMIT = 4 << 20;

export function processIo(): Io {
  let pending = '';
  let scheduled = false;
  /** The reader went away: nothing more is written anywhere, and the process ends with 0. */
  let closed = false;
  const out = process.stdout;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      // `| head`: the reader has what it wanted. Exit as a pipeline expects, saying nothing.
      closed = true;
      process.exit(0);
    }
    process.stderr.write(`synack: cannot write output: ${err.message}\n`);
    process.exit(3);
  });
  const flushNow = (): void => {
    scheduled = false;
    if (pending.length > 0 && !closed) {
      out.write(pending);
    }
    pending = '';
  };

  // First Ctrl-C (or SIGTERM): stop reading, report, exit normally. A second one: stop now.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
    // A read blocked on a quiet pipe would keep the process alive after the report.
    if (!process.stdin.destroyed && process.stdin.readableFlowing !== null) process.stdin.destroy();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    stdout(text: string) {
      if (closed) return;
      pending += text;
      if (pending.length >= FLUSH_AT) flushNow();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flushNow);
      }
    },
    stdoutBytes(bytes: Uint8Array) {
      if (closed) return;
      // Already a large batch (a worker thread's output): after what is pending, as it is.
      flushNow();
      out.write(bytes);
    },
    stderr(text: string) {
      if (closed) return;
      if (pending.length === 0 && out.writableLength === 0) {
        process.stderr.write(text);
        return;
      }
      // Said after the output before it has gone out, and not at all if the reader went away.
      flushNow();
      out.write('', (err) => {
        if (!err && !closed) process.stderr.write(text);
      });
    },
    stdoutIsTTY: Boolean(out.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: out.isTTY ? out.columns || 80 : null,
    env: process.env,
    stdin: process.stdin,
    signal: controller.signal,
    backpressure() {
      flushNow();
      if (closed || out.writableLength < BACKLOG_LIMIT) return undefined;
      return new Promise<void>((resolve) => out.once('drain', () => resolve()));
    },
    flush() {
      flushNow();
      return new Promise<void>((resolve) => {
        if (out.writableNeedDrain) out.once('drain', () => resolve());
        else resolve();
      });
    },
  };
}
