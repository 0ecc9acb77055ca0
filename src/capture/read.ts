// The one entry point for reading a capture: open the input, detect and decompress, push
// the chunks through the parser, and report what was read and what stopped it.

import type { Readable } from 'node:stream';
import { CaptureParser, type RecordCallback } from './parser.js';
import { openSource, type FileReader, type SourceOptions } from './source.js';
import { CaptureError, type CaptureFormat, type CaptureInterface, type CaptureWarning } from './types.js';

/** Everything known about a capture once reading stopped, cleanly or not. */
export interface CaptureSummary {
  /** Container format, or null when it could not be identified (see `error`). */
  format: CaptureFormat | null;
  /** 'gzip' when the input was decompressed on the fly. */
  compression: 'gzip' | null;
  /** Interfaces in file order (pcapng ids restart in every section). */
  interfaces: CaptureInterface[];
  /** pcapng sections read; 1 for classic pcap. */
  sections: number;
  /** Packets delivered to the callback. */
  records: number;
  /** (Decompressed) bytes read. */
  bytes: number;
  warnings: CaptureWarning[];
  /** What ended reading early, or null when the whole file was read. Records before it stand. */
  error: CaptureError | null;
  /** Reading was stopped by `signal` (the records before it stand; a cut-off last record is not an error). */
  interrupted?: boolean;
}

export interface ReadOptions extends SourceOptions {
  /** Stop reading when aborted (Ctrl-C on a live pipe): the summary says `interrupted`. */
  signal?: AbortSignal;
  /**
   * Called after each chunk has been parsed; reading waits for the promise it may return. The
   * CLI uses it to wait while the output pipe is full, so a slow reader never makes synack
   * buffer its output without bound.
   */
  between?: () => Promise<void> | undefined;
}

/**
 * Read a capture from a path, `-` (standard input) or a Readable, calling `onRecord` for every
 * packet with a reused record (copy what you keep). Never rejects for bad input or I/O
 * problems: those come back as `summary.error`. Exceptions thrown by `onRecord` propagate.
 */
export async function readCapture(
  input: string | Readable,
  onRecord: RecordCallback,
  opts: ReadOptions = {},
): Promise<CaptureSummary> {
  const parser = new CaptureParser(onRecord);
  let compression: 'gzip' | null = null;
  let error: CaptureError | null = null;
  let interrupted = false;
  try {
    const source = await openSource(input, opts);
    compression = source.compression;
    interrupted =
      source.kind === 'file'
        ? await feedFile(source.file, parser, opts.signal, opts.between)
        : await feedChunks(source.chunks, parser, opts.signal, opts.between);
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    error = err;
  }
  // A source error (gzip, I/O) outranks the truncation the parser then sees. After an
  // interruption the last record is usually cut off mid-way: that is not damage.
  const endError = parser.end();
  const parseError = interrupted && endError?.kind === 'truncated' ? null : endError;
  return {
    format: parser.format,
    compression,
    interfaces: parser.interfaces,
    sections: parser.sections,
    records: parser.records,
    bytes: parser.bytes,
    warnings: parser.warnings,
    error: error ?? parseError,
    ...(interrupted ? { interrupted } : {}),
  };
}

type Between = (() => Promise<void> | undefined) | undefined;

/**
 * How long the synchronous file loop may keep the event loop waiting. Signals (Ctrl-C), timers
 * (the pipeline's settle tick, the progress line) and output writes only run when it turns.
 */
const YIELD_INTERVAL_MS = 50;

/**
 * The chunk loop for a regular file read synchronously: no promise per chunk, but the event
 * loop is let through every YIELD_INTERVAL_MS (and whenever `between` makes us wait), and the
 * signal is checked after each chunk. Returns true when stopped by the signal.
 */
async function feedFile(file: FileReader, parser: CaptureParser, signal: AbortSignal | undefined, between: Between): Promise<boolean> {
  try {
    let turned = performance.now();
    for (;;) {
      if (signal?.aborted) return true;
      const chunk = file.next();
      if (chunk === null) return false;
      parser.feed(chunk);
      if (parser.error !== null) return false;
      const wait = between?.();
      if (wait !== undefined) {
        if (signal === undefined) await wait;
        else if ((await unlessAborted(wait, signal)) === ABORTED) return true;
      } else if (performance.now() - turned >= YIELD_INTERVAL_MS) {
        await new Promise(setImmediate);
      } else {
        continue;
      }
      turned = performance.now();
    }
  } finally {
    await file.close();
  }
}

/** The chunk loop for asynchronous sources (streams, FIFOs, gzip). Returns true when stopped by the signal. */
async function feedChunks(
  chunks: AsyncIterable<Uint8Array>,
  parser: CaptureParser,
  signal: AbortSignal | undefined,
  between: Between,
): Promise<boolean> {
  if (signal !== undefined) return feedUntilAborted(chunks, parser, signal, between);
  for await (const chunk of chunks) {
    parser.feed(chunk);
    if (parser.error !== null) break;
    const wait = between?.();
    if (wait !== undefined) await wait;
  }
  return false;
}

/**
 * The chunk loop with a way out: each wait for the next chunk races the abort signal, so a
 * reader blocked on a quiet pipe stops at once. Returns true when stopped by the signal.
 */
async function feedUntilAborted(
  chunks: AsyncIterable<Uint8Array>,
  parser: CaptureParser,
  signal: AbortSignal,
  between: Between,
): Promise<boolean> {
  if (signal.aborted) return true;
  const it = chunks[Symbol.asyncIterator]();
  for (;;) {
    const next = it.next();
    const step = await unlessAborted(next, signal);
    if (step === ABORTED) {
      // The pending read is abandoned: whatever it settles with no longer matters.
      next.catch(() => undefined);
      return true;
    }
    if (step.done) return false;
    parser.feed(step.value);
    if (parser.error !== null) {
      await it.return?.();
      return false;
    }
    const wait = between?.();
    if (wait !== undefined && (await unlessAborted(wait, signal)) === ABORTED) return true;
  }
}

const ABORTED = Symbol('aborted');

/**
 * `work`'s outcome, or ABORTED as soon as `signal` fires. Each call listens to the signal only
 * until `work` settles. (Racing every chunk against one long-lived "aborted" promise instead
 * leaves a reaction on that promise per chunk, each holding the chunk it resolved with: a
 * 1.3 GB gzip-compressed capture kept all its decompressed chunks alive.)
 */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise<T | typeof ABORTED>((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

