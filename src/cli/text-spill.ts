// Text that must wait for its turn (a flow's summary waiting for lower-numbered streams still
// open), kept in memory up to a budget and beyond it in an unlinked temporary file, so a capture
// whose early flows never close does not hold every later flow's text in memory.

import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Characters of waiting text held in memory before the rest goes to disk. */
export const IN_MEMORY_BUDGET = 16 << 20;

/** Where a piece of text set aside on disk is. */
interface OnDisk {
  offset: number;
  length: number;
}

export class TextSpill<K> {
  private readonly held = new Map<K, string | OnDisk>();
  private inMemory = 0;
  private fd = -1;
  private end = 0;
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
    if (this.fd < 0) {
      const path = join(tmpdir(), `synack-${process.pid}-${randomBytes(6).toString('hex')}`);
      this.fd = openSync(path, 'wx+', 0o600);
      // Gone from the directory at once: the file lives only as long as the descriptor.
      unlinkSync(path);
    }
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.end + done);
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
    const bytes = Buffer.allocUnsafe(entry.length);
    let got = 0;
    while (got < entry.length) {
      const n = readSync(this.fd, bytes, got, entry.length - got, entry.offset + got);
      if (n === 0) throw new Error('text set aside on disk is shorter than written');
      got += n;
    }
    if (--this.onDisk === 0) this.end = 0;
    return bytes.toString('utf8');
  }

  /** Releases the file (whatever is still held is dropped). */
  close(): void {
    this.held.clear();
    this.inMemory = 0;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
