// The process boundary: commands receive an Io instead of touching `process`, so tests can run
// them in-process and one place decides how output reaches the terminal or the pipe.

import type { Readable } from 'node:stream';
import { ByteOutput } from '../render/byte-output.js';

/**
 * Standard output as bytes the record serialisers write in place (see ByteOutput), in order
 * with stdout(): call `written()` after each record, and it goes out as stdout() text would.
 */
export interface LineOutput {
  bytes: ByteOutput;
  written(): void;
}

export interface Io {
  /** Writes to standard output (already buffered by the caller where it matters). */
  stdout(text: string): void;
  /** Writes UTF-8 bytes to standard output, in order with stdout(); the caller gives them up. */
  stdoutBytes(bytes: Uint8Array): void;
  /** Where the record serialisers write, when this Io offers it (else they use stdout). */
  lineOutput?: LineOutput;
  /** Writes to standard error. */
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal width, or null when stdout is not a terminal. */
  columns: number | null;
  env: Record<string, string | undefined>;
  stdin: Readable;
  /** Resolves when everything written so far has been flushed. */
  flush(): Promise<void>;
  /** Aborted on Ctrl-C / SIGTERM: commands stop reading and report what they have. */
  signal?: AbortSignal;
  /**
   * A promise while the output is backed up (a slow reader on the pipe), else undefined: the
   * pipeline waits on it between input chunks so output never piles up in memory.
   */
  backpressure?(): Promise<void> | undefined;
  /** Standard output as a descriptor a worker thread may write to itself (the process's Io only). */
  directOutput?: DirectOutput;
}

/**
 * Standard output handed to another thread for a while (parallel.ts): the worker analysing the
 * input whose turn it is writes its blocks to `fd` itself instead of passing each one through
 * the main thread, which writes nothing to stdout meanwhile.
 */
export interface DirectOutput {
  fd: number;
  /** Resolves once everything written to stdout so far has reached the descriptor. */
  drained(): Promise<void>;
  /**
   * The other thread's write failed: `closed` when the reader went away (EPIPE). Ends the run
   * as the same failure on this thread's writes would.
   */
  failed(closed: boolean, message: string): void;
}

/** Thrown by an Io's stdout when the reader went away (EPIPE): stop quietly, exit 0. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
    this.name = 'OutputClosed';
  }
}

const utf8 = new TextDecoder();

/** An Io that collects output in memory, for tests. */
export function memoryIo(
  opts: { env?: Record<string, string>; isTTY?: boolean; columns?: number; stdin?: Readable } = {},
): Io & { out: string; err: string } {
  const bytes = new ByteOutput(1024);
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text;
    },
    stdoutBytes(bytes: Uint8Array) {
      io.out += utf8.decode(bytes);
    },
    lineOutput: {
      bytes,
      written() {
        io.out += bytes.take();
      },
    },
    stderr(text: string) {
      io.err += text;
    },
    stdoutIsTTY: opts.isTTY ?? false,
    stderrIsTTY: opts.isTTY ?? false,
    columns: opts.isTTY ? (opts.columns ?? 80) : null,
    env: opts.env ?? {},
    stdin: opts.stdin ?? (undefined as unknown as Readable),
    async flush() {},
  };
  return io;
}
