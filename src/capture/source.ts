// Where capture bytes come from: a regular file read synchronously into one reused 1 MiB
// buffer, any other file (a FIFO, a device) read in double-buffered chunks, a Readable (`-` is
// process.stdin), and gzip around any of them, detected from the first two bytes. Sources yield
// chunks; the parser (parser.ts) decides what they mean.

import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureError } from './types.js';
import { isGzip } from './magic.js';

/** Size of each file read. */
export const CHUNK_SIZE = 1024 * 1024;

/**
 * An opened input. An uncompressed regular file comes as a `file` to be read synchronously
 * (readCapture lets the event loop turn now and then); everything else as asynchronous chunks.
 */
export type CaptureSource =
  | { kind: 'file'; compression: null; file: FileReader }
  | {
      kind: 'stream';
      compression: 'gzip' | null;
      /**
       * The (decompressed) bytes, in order. A chunk may be overwritten once the consumer asks
       * for the next one, so finish with each chunk before calling next().
       */
      chunks: AsyncIterable<Uint8Array>;
    };

export interface SourceOptions {
  /** Read size for files, default CHUNK_SIZE (smaller values are for tests). */
  chunkSize?: number;
}

/** Turn a Node.js file-system error into a sentence for the CLI. */
export function ioError(err: unknown, what: string): CaptureError {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'ENOENT' ? 'no such file'
    : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied'
    : e.code === 'EISDIR' ? 'is a directory, not a capture file'
    : e.message ?? String(err);
  return new CaptureError(`cannot read ${what}: ${reason}`, 0, 'io');
}

/**
 * Open a capture: a path, `-` for standard input, or any Readable. Throws CaptureError('io')
 * when the input cannot be opened; reading errors surface from the reader the same way.
 */
export async function openSource(input: string | Readable, opts: SourceOptions = {}): Promise<CaptureSource> {
  const chunkSize = opts.chunkSize ?? CHUNK_SIZE;
  let raw: AsyncIterator<Uint8Array>;
  if (typeof input === 'string' && input !== '-') {
    let fh: FileHandle;
    let regular: boolean;
    try {
      fh = await open(input, 'r');
    } catch (err) {
      throw ioError(err, 'the capture file');
    }
    try {
      regular = (await fh.stat()).isFile();
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw ioError(err, 'the capture file');
    }
    if (regular) return openRegularFile(fh, chunkSize);
    // A FIFO or a device may block for as long as its writer likes: read it off the main thread.
    raw = fileChunks(fh, chunkSize);
  } else {
    const stream = input === '-' ? process.stdin : input;
    raw = streamChunks(stream as Readable);
  }

  // Peek at the first two bytes for the gzip magic.
  const head: Uint8Array[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < 2) {
    const step = await raw.next();
    if (step.done) {
      done = true;
      break;
    }
    if (step.value.length === 0) continue;
    // The file reader reuses its buffers; chunks kept while peeking must be copies.
    head.push(head.length === 0 && headLength + step.value.length >= 2 ? step.value : Uint8Array.from(step.value));
    headLength += step.value.length;
  }
  const first = head.length === 1 ? head[0]! : concat(head, headLength);
  const rest = done ? emptyIterator() : raw;
  if (!isGzip(first)) return { kind: 'stream', compression: null, chunks: prepend(first, rest) };
  // Chunks queued inside zlib must not be overwritten: give it private copies.
  return { kind: 'stream', compression: 'gzip', chunks: gunzip(prepend(Uint8Array.from(first), rest, true)) };
}

/** A regular file: read synchronously, unless its first two bytes say it is gzip-compressed. */
async function openRegularFile(fh: FileHandle, chunkSize: number): Promise<CaptureSource> {
  const file = new FileReader(fh, chunkSize);
  let gzip: boolean;
  try {
    gzip = isGzip(file.peek(2));
  } catch (err) {
    await file.close();
    throw err;
  }
  if (!gzip) return { kind: 'file', compression: null, file };
  return { kind: 'stream', compression: 'gzip', chunks: gunzip(fileReaderCopies(file)) };
}

/**
 * A regular file read with fs.readSync into one reused buffer. Reads from a regular file come
 * from the page cache or one disk request, so they never block for long; awaiting a thread-pool
 * read per chunk instead left the main thread idle for 7% of a run. The parser copies the
 * incomplete tail of each chunk (parser.ts), so one buffer is enough.
 */
export class FileReader {
  private readonly buffer: Buffer;
  /** File position of the next read. */
  private position = 0;
  private closed = false;

  constructor(
    private readonly fh: FileHandle,
    size: number,
  ) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Up to `count` bytes from the start of the file (fewer if it is shorter), without consuming them. */
  peek(count: number): Uint8Array {
    const bytes = new Uint8Array(count);
    let got = 0;
    try {
      got = readSync(this.fh.fd, bytes, 0, count, 0);
    } catch (err) {
      throw ioError(err, 'the capture file');
    }
    return bytes.subarray(0, got);
  }

  /**
   * The next chunk, valid until the following call; null at the end of the file. Fills the
   * whole buffer unless the file ends first. Throws CaptureError('io').
   */
  next(): Uint8Array | null {
    const buf = this.buffer;
    let got = 0;
    try {
      while (got < buf.length) {
        const n = readSync(this.fh.fd, buf, got, buf.length - got, this.position);
        if (n === 0) break;
        got += n;
        this.position += n;
      }
    } catch (err) {
      throw ioError(err, 'the capture file');
    }
    return got === 0 ? null : buf.subarray(0, got);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * A FileReader's chunks for gunzip: copies, since zlib keeps chunks queued while the reader's
 * buffer is refilled. Closes the file when done or stopped.
 */
async function* fileReaderCopies(file: FileReader): AsyncGenerator<Uint8Array> {
  try {
    for (let chunk = file.next(); chunk !== null; chunk = file.next()) yield Uint8Array.from(chunk);
  } finally {
    await file.close();
  }
}

/**
 * Read a FIFO or a device in `size`-byte chunks with two alternating buffers: the next read is
 * in flight while the consumer parses the current chunk, and a buffer is refilled only after
 * the consumer has asked for the chunk after it (so it is done with it). Reads are at the
 * current position (such files cannot seek; a positional read fails with ESPIPE), one at a time.
 */
async function* fileChunks(fh: FileHandle, size: number): AsyncGenerator<Uint8Array> {
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let which = 0;
  let pending: Promise<{ bytesRead: number }> | null = null;
  const read = (buf: Buffer): Promise<{ bytesRead: number }> => fh.read(buf, 0, size, null);
  try {
    pending = read(buffers[0]!);
    for (;;) {
      let got: number;
      try {
        got = (await pending).bytesRead;
      } catch (err) {
        pending = null;
        throw ioError(err, 'the capture file');
      }
      pending = null;
      if (got === 0) return;
      const current = buffers[which]!;
      which ^= 1;
      // The other buffer was yielded before this one, and the consumer has moved past it.
      pending = read(buffers[which]!);
      yield current.subarray(0, got);
    }
  } finally {
    if (pending !== null) await pending.catch(() => undefined);
    await fh.close().catch(() => undefined);
  }
}

async function* streamChunks(stream: Readable): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) {
      yield typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Uint8Array);
    }
  } catch (err) {
    throw err instanceof CaptureError ? err : ioError(err, 'the input stream');
  }
}

async function* prepend(first: Uint8Array, rest: AsyncIterator<Uint8Array>, copy = false): AsyncGenerator<Uint8Array> {
  let finished = false;
  try {
    if (first.length > 0) yield first;
    for (;;) {
      const step = await rest.next();
      if (step.done) {
        finished = true;
        return;
      }
      yield copy ? Uint8Array.from(step.value) : step.value;
    }
  } finally {
    // The consumer stopped early (or failed): let the underlying source close its file.
    if (!finished) await rest.return?.();
  }
}

async function* emptyIterator(): AsyncGenerator<Uint8Array> {}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Decompress with zlib, one compressed chunk at a time, waiting for zlib to take each before
 * offering the next. A corrupt or cut-off stream becomes a CaptureError naming the position.
 */
async function* gunzip(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const z = createGunzip();
  let inBytes = 0;
  let outBytes = 0;
  let failure: Error | null = null;
  let stopped = false;
  z.on('error', (err) => {
    failure = err;
  });
  const feeder = (async () => {
    for await (const chunk of compressed) {
      if (failure !== null || stopped) return;
      inBytes += chunk.length;
      if (!z.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            z.off('drain', done);
            z.off('error', done);
            z.off('close', done);
            resolve();
          };
          z.on('drain', done);
          z.on('error', done);
          z.on('close', done);
        });
      }
    }
    z.end();
  })();
  let feedError: unknown = null;
  feeder.catch((err) => {
    feedError = err;
    z.destroy();
  });
  try {
    for await (const out of z) {
      outBytes += (out as Buffer).length;
      yield out as Buffer;
    }
  } catch (err) {
    failure ??= err as Error;
  } finally {
    // Also reached when the consumer stops early: stop the feeder so the file gets closed.
    stopped = true;
    if (!z.destroyed && failure === null && feedError === null) z.destroy();
    await feeder.catch(() => undefined);
  }
  if (feedError !== null) throw feedError instanceof CaptureError ? feedError : ioError(feedError, 'the input');
  if (failure !== null) {
    const e = failure as NodeJS.ErrnoException;
    const truncated = e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message);
    throw new CaptureError(
      truncated
        ? `gzip stream ends early: ${inBytes} compressed bytes gave ${outBytes} bytes before the data stopped`
        : `gzip stream is corrupt (${e.message}) after ${outBytes} decompressed bytes`,
      outBytes,
      truncated ? 'truncated' : 'format',
    );
  }
}
