// Text that must wait for its turn (a flow's summary waiting for lower-numbered streams still
// open), kept in memory up to a budget and beyond it in an unlinked temporary file, so a capture
// whose early flows never close does not hold every later flow's text in memory. Texts are kept
// by stream number and leave in runs of consecutive streams, in order (writeRun).

import type { Io } from './io.js';
import { ScratchFile } from './scratch-file.js';
import { MAX_UTF8_PER_UNIT } from '../render/byte-output.js';

/** Characters of waiting text held in memory before the rest goes to disk. */
export const IN_MEMORY_BUDGET = 16 << 20;

/** Where a piece of text set aside on disk is. */
interface OnDisk {
  offset: number;
  length: number;
}

/** Bytes written to the spill file at a time. */
const BLOCK = 1 << 20;
/**
 * Bytes read back at a time. Texts are set aside in the order their flows end and taken in
 * stream order; a long flow's text lands later than those of the short flows that started after
 * it, so consecutive streams lie up to about a megabyte apart in the file on a busy capture.
 * With a block a few times that size each byte is read back about once (1 MiB blocks read the
 * spill of the large benchmark capture some twenty-eight times over).
 */
const READ_BLOCK = 4 << 20;
/** Blocks kept read back at once (see TextSpill.readBlocks). */
const READ_BLOCKS = 4;
/**
 * Bytes of released text per output write. Each write is a new buffer handed over to the output
 * (which may hold on to it after the call). Megabyte buffers, one after another, make V8 collect
 * its young generation for every one of them ("external memory pressure"), which costs more
 * than the extra writes of smaller ones.
 */
const OUTPUT_BATCH = 64 << 10;

/** Where released text goes: the command's standard output. */
export type TextOutput = Pick<Io, 'stdout' | 'stdoutBytes'>;

export class TextSpill {
  private readonly held = new Map<number, string | OnDisk>();
  /** Bytes (characters, for text kept in memory) written by writeRun so far. */
  released = 0;
  private inMemory = 0;
  private readonly file = new ScratchFile();
  /** Logical end of what was set aside (file contents followed by `pendingWrite`). */
  private end = 0;
  /** Set-aside bytes not yet written to the file, starting at offset `end - pendingLength`. */
  private readonly pendingWrite = Buffer.allocUnsafe(BLOCK);
  private pendingLength = 0;
  /**
   * Blocks read back, most recently used first. One would do when texts are taken in about the
   * order they were set aside (one thread); several threads drawing flows (shards.ts) set
   * aside interleaved runs of streams, and the reads alternate between a few places.
   */
  private readBlocks: { buf: Buffer; start: number; length: number }[] = [];
  /** Entries on disk not yet taken: at 0 the file is written from its start again. */
  private onDisk = 0;
  /** Their bytes: what one run can write at most. */
  private onDiskBytes = 0;

  constructor(private readonly budget = IN_MEMORY_BUDGET) {}

  get size(): number {
    return this.held.size;
  }

  has(stream: number): boolean {
    return this.held.has(stream);
  }

  keys(): IterableIterator<number> {
    return this.held.keys();
  }

  set(stream: number, text: string): void {
    if (this.inMemory + text.length <= this.budget) {
      this.held.set(stream, text);
      this.inMemory += text.length;
      return;
    }
    let length: number;
    if (text.length * MAX_UTF8_PER_UNIT <= BLOCK) {
      // Encoded straight into the write block, with room for the longest encoding.
      if (this.pendingLength + text.length * MAX_UTF8_PER_UNIT > BLOCK) this.flushPending();
      length = this.pendingWrite.write(text, this.pendingLength);
      this.pendingLength += length;
    } else {
      const bytes = Buffer.from(text, 'utf8');
      this.flushPending();
      this.file.writeAt(bytes, this.end);
      length = bytes.length;
    }
    this.held.set(stream, { offset: this.end, length });
    this.end += length;
    this.onDisk++;
    this.onDiskBytes += length;
  }

  /**
   * Writes the texts of streams `from`, `from + 1`, ... (below `until`) to `out` for as long as
   * there are any here, forgetting them, and stops once `budget` bytes (characters, for text
   * kept in memory) are written; returns the first stream not written. Text from disk goes out
   * as the UTF-8 bytes it was kept as, gathered into large writes: decoding it only for the
   * output to encode it again would cost more than the rest of the spilling.
   */
  writeRun(from: number, out: TextOutput, until = Infinity, budget = Infinity): number {
    let batch: Buffer | null = null;
    let used = 0;
    const flush = (): void => {
      if (used > 0) out.stdoutBytes(batch!.subarray(0, used));
      batch = null;
      used = 0;
    };
    let stream = from;
    let written = 0;
    for (let entry = this.held.get(stream); entry !== undefined && stream < until && written < budget; entry = this.held.get(++stream)) {
      this.held.delete(stream);
      if (typeof entry === 'string') {
        written += entry.length;
        this.inMemory -= entry.length;
        flush();
        if (entry.length > 0) out.stdout(entry);
        continue;
      }
      const bytes = this.read(entry);
      written += bytes.length;
      if (batch !== null && used + bytes.length > batch.length) flush();
      // Given up with each write (the output may still hold it), so sized to what is left.
      batch ??= Buffer.allocUnsafe(Math.max(bytes.length, Math.min(OUTPUT_BATCH, this.onDiskBytes)));
      batch.set(bytes, used);
      used += bytes.length;
      this.onDiskBytes -= bytes.length;
      if (--this.onDisk === 0) {
        this.end = 0;
        this.pendingLength = 0;
        this.readBlocks = [];
      }
    }
    flush();
    this.released += written;
    return stream;
  }

  /** Releases the file (whatever is still held is dropped). */
  close(): void {
    this.held.clear();
    this.inMemory = 0;
    this.onDisk = 0;
    this.onDiskBytes = 0;
    this.file.close();
  }

  private read(e: OnDisk): Buffer {
    const pendingStart = this.end - this.pendingLength;
    if (e.offset >= pendingStart) return this.pendingWrite.subarray(e.offset - pendingStart, e.offset - pendingStart + e.length);
    const blocks = this.readBlocks;
    let i = 0;
    while (i < blocks.length && (e.offset < blocks[i]!.start || e.offset + e.length > blocks[i]!.start + blocks[i]!.length)) i++;
    let block = blocks[i];
    if (block === undefined) {
      // Flows end roughly in stream order, so the next texts taken lie just after this one or
      // a little before it: read a block that starts a quarter block earlier.
      const start = e.length > READ_BLOCK / 2 ? e.offset : Math.max(0, e.offset - READ_BLOCK / 4);
      const size = Math.max(READ_BLOCK, e.offset + e.length - start);
      const reuse = blocks.length >= READ_BLOCKS ? blocks.pop()!.buf : null;
      const buf = reuse !== null && reuse.length >= size ? reuse : Buffer.allocUnsafe(size);
      const wanted = Math.min(size, pendingStart - start);
      const got = this.file.readAt(buf, wanted, start);
      if (start + got < e.offset + e.length) throw new Error('text set aside on disk is shorter than written');
      block = { buf, start, length: got };
      blocks.unshift(block);
    } else if (i > 0) {
      blocks.splice(i, 1);
      blocks.unshift(block);
    }
    return block.buf.subarray(e.offset - block.start, e.offset - block.start + e.length);
  }

  private flushPending(): void {
    if (this.pendingLength === 0) return;
    this.file.writeAt(this.pendingWrite.subarray(0, this.pendingLength), this.end - this.pendingLength);
    this.pendingLength = 0;
  }
}
