// Text that must wait for its turn (a flow's summary waiting for lower-numbered streams still
// open), kept in memory up to a budget and beyond it in an unlinked temporary file, so a capture
// whose early flows never close does not hold every later flow's text in memory.

import { ScratchFile } from './scratch-file.js';

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

export class TextSpill<K> {
  private readonly held = new Map<K, string | OnDisk>();
  private inMemory = 0;
  private readonly file = new ScratchFile();
  /** Logical end of what was set aside (file contents followed by `pendingWrite`). */
  private end = 0;
  /** Set-aside bytes not yet written to the file, starting at offset `end - pendingLength`. */
  private pendingWrite = Buffer.allocUnsafe(BLOCK);
  private pendingLength = 0;
  /** One block read back: texts are mostly taken in the order they were set aside. */
  private readBlock = Buffer.allocUnsafe(READ_BLOCK);
  private readStart = 0;
  private readLength = 0;
  /** Entries on disk not yet taken: at 0 the file is written from its start again. */
  private onDisk = 0;

  constructor(private readonly budget = IN_MEMORY_BUDGET) {}

  get size(): number {
    return this.held.size;
  }

  keys(): IterableIterator<K> {
    return this.held.keys();
  }

  set(key: K, text: string): void {
    if (this.inMemory + text.length <= this.budget) {
      this.held.set(key, text);
      this.inMemory += text.length;
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (this.pendingLength + bytes.length > BLOCK) this.flushPending();
    if (bytes.length > BLOCK) this.file.writeAt(bytes, this.end);
    else {
      bytes.copy(this.pendingWrite, this.pendingLength);
      this.pendingLength += bytes.length;
    }
    this.held.set(key, { offset: this.end, length: bytes.length });
    this.end += bytes.length;
    this.onDisk++;
  }

  /** The text for `key`, removed; undefined when there is none. */
  take(key: K): string | undefined {
    const entry = this.held.get(key);
    if (entry === undefined) return undefined;
    this.held.delete(key);
    if (typeof entry === 'string') {
      this.inMemory -= entry.length;
      return entry;
    }
    const text = this.read(entry).toString('utf8');
    if (--this.onDisk === 0) {
      this.end = 0;
      this.pendingLength = 0;
      this.readLength = 0;
    }
    return text;
  }

  /** Releases the file (whatever is still held is dropped). */
  close(): void {
    this.held.clear();
    this.inMemory = 0;
    this.file.close();
  }

  private read(e: OnDisk): Buffer {
    const pendingStart = this.end - this.pendingLength;
    if (e.offset >= pendingStart) return this.pendingWrite.subarray(e.offset - pendingStart, e.offset - pendingStart + e.length);
    if (e.offset < this.readStart || e.offset + e.length > this.readStart + this.readLength) {
      // Flows end roughly in stream order, so the next texts taken lie just after this one or
      // a little before it: read a block that starts a quarter block earlier.
      const start = e.length > READ_BLOCK / 2 ? e.offset : Math.max(0, e.offset - READ_BLOCK / 4);
      const size = Math.max(READ_BLOCK, e.offset + e.length - start);
      if (this.readBlock.length < size) this.readBlock = Buffer.allocUnsafe(size);
      const wanted = Math.min(size, pendingStart - start);
      const got = this.file.readAt(this.readBlock, wanted, start);
      if (start + got < e.offset + e.length) throw new Error('text set aside on disk is shorter than written');
      this.readStart = start;
      this.readLength = got;
    }
    return this.readBlock.subarray(e.offset - this.readStart, e.offset - this.readStart + e.length);
  }

  private flushPending(): void {
    if (this.pendingLength === 0) return;
    this.file.writeAt(this.pendingWrite.subarray(0, this.pendingLength), this.end - this.pendingLength);
    this.pendingLength = 0;
  }
}
