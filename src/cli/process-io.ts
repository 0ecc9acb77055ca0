// The real process's Io: buffered stdout (large writes are much cheaper than many small ones,
// and what is buffered goes out as soon as the event loop is free, so a live pipe sees each line
// promptly), stderr unbuffered, a closed pipe (`synack ... | head`) ending the run quietly with
// status 0, and Ctrl-C / SIGTERM turned into an abort signal so commands report what they have.

import type { Io } from './io.js';
import { ByteOutput } from '../render/byte-output.js';

/**
 * Output is encoded into blocks of this size as it is written: each text or record while it is
 * fresh in the cache. (Appending the texts to one pending string and encoding that at 64 KiB
 * cost twice as much: V8 then flattens a tree of thousands of pieces scattered over the heap.)
 */
const BLOCK_SIZE = 1 << 16;
/** Output queued in the stream beyond which reading pauses until the reader catches up. */
const BACKLOG_LIMIT = 4 << 20;

export function processIo(): Io {
  let scheduled = false;
  /** The reader went away: nothing more is written anywhere, and the process ends with 0. */
  let closed = false;
  const out = process.stdout;
  const writeFailed = (epipe: boolean, message: string): void => {
    if (epipe) {
      // `| head`: the reader has what it wanted. Exit as a pipeline expects, saying nothing.
      closed = true;
      process.exit(0);
    }
    process.stderr.write(`synack: cannot write output: ${message}\n`);
    process.exit(3);
  };
  out.on('error', (err: NodeJS.ErrnoException) => writeFailed(err.code === 'EPIPE', err.message));
  // A full block goes to the stream, which keeps it until written; output goes on in a new one.
  const buffered = new ByteOutput(BLOCK_SIZE, (block) => {
    if (!closed) out.write(block);
  });
  const flushNow = (): void => {
    scheduled = false;
    buffered.flush();
  };
  const written = (): void => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushNow);
    }
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
      if (text.length > BLOCK_SIZE) {
        // Already a large piece: to the stream as it is, after what is pending.
        flushNow();
        out.write(text);
        return;
      }
      buffered.text(text);
      written();
    },
    stdoutBytes(bytes: Uint8Array) {
      if (closed) return;
      // Already a large batch (a worker thread's output): after what is pending, as it is.
      flushNow();
      out.write(bytes);
    },
    stderr(text: string) {
      if (closed) return;
      if (buffered.pos === 0 && out.writableLength === 0) {
        process.stderr.write(text);
        return;
      }
      // Said after the output before it has gone out, and not at all if the reader went away.
      flushNow();
      out.write('', (err) => {
        if (!err && !closed) process.stderr.write(text);
      });
    },
    lineOutput: { bytes: buffered, written },
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
    directOutput: {
      fd: 1,
      drained() {
        flushNow();
        // Writes complete in order: this one's callback runs once all before it are written.
        return new Promise<void>((resolve) => (closed ? resolve() : out.write('', () => resolve())));
      },
      failed: writeFailed,
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
