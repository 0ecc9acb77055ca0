// An unlinked temporary file for output that must wait its turn (parallel.ts, text-spill.ts):
// created on first write with a name no one else can take, removed from the directory at once,
// so it lives only as long as its descriptor and nothing is left behind, even after a crash.

import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ScratchFile {
  /**
   * `fd`: a scratch file the main thread created (open()) and handed to this worker thread
   * (descriptors are shared by all threads): written here, read back and closed there. A file
   * a worker opens itself is closed when the worker exits, so workers never create one.
   */
  constructor(private fd = -1) {}

  /** Creates the file unless it exists; its descriptor. */
  open(): number {
    if (this.fd < 0) {
      const path = join(tmpdir(), `synack-${process.pid}-${randomBytes(6).toString('hex')}`);
      this.fd = openSync(path, 'wx+', 0o600);
      unlinkSync(path);
    }
    return this.fd;
  }

  /** Writes all of `bytes` at `offset`. */
  writeAt(bytes: Uint8Array, offset: number): void {
    const fd = this.open();
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
  }

  /** Reads up to `length` bytes at `offset` into `target`; returns how many there were. */
  readAt(target: Uint8Array, length: number, offset: number): number {
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, target, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
