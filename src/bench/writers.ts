// Output files of the generator: a classic pcap (little-endian, µs, LINKTYPE_ETHERNET), the same
// packets as pcapng (SHB, IDB, EPBs; draft-ietf-opsawg-pcapng §4) and a gzip of the pcap bytes,
// streamed through zlib as they are produced. Each file is written in ~1 MiB writeSync calls.

import { closeSync, createWriteStream, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { WriteStream } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;
export const SNAPLEN = 262144;
const CHUNK = 1 << 20;
/** Room kept free past CHUNK so one record never straddles a flush. */
const SLACK = 4096;

/** A file written through a reused buffer: reserve room, fill it, flush when full. */
class ChunkFile {
  readonly buf = Buffer.alloc(CHUNK + SLACK);
  readonly dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  used = 0;
  bytes = 0;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Makes sure `n` (≤ SLACK) bytes fit after `used`, flushing first if the chunk is full. */
  reserve(n: number): number {
    if (this.used + n > CHUNK) this.flush();
    return this.used;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.onFlush(this.buf, this.used);
    this.bytes += this.used;
    this.used = 0;
  }

  /** Hook for a copy of every flushed chunk (the gzip stream). */
  onFlush(_buf: Buffer, _len: number): void {}

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Classic pcap: 24-byte global header then 16-byte record headers (LE, µs timestamps). */
export class PcapWriter extends ChunkFile {
  private gzip: Gzip | null = null;
  private gzipFile: WriteStream | null = null;
  /** True when zlib's input buffer is full: the producer should await `drained()`. */
  needsDrain = false;

  constructor(path: string, gzipPath: string | null) {
    super(path);
    if (gzipPath !== null) {
      // A few chunks of input buffer let zlib compress (on the libuv pool) while we generate.
      // (Node passes stream options through to the Transform; @types/node does not list them.)
      this.gzip = createGzip({ highWaterMark: 4 * CHUNK } as ZlibOptions);
      this.gzipFile = createWriteStream(gzipPath);
      this.gzip.pipe(this.gzipFile);
    }
    const at = this.reserve(24);
    const dv = this.dv;
    dv.setUint32(at, 0xa1b2c3d4, true); // magic, µs resolution
    dv.setUint16(at + 4, 2, true); // version 2.4
    dv.setUint16(at + 6, 4, true);
    dv.setInt32(at + 8, 0, true); // thiszone
    dv.setUint32(at + 12, 0, true); // sigfigs
    dv.setUint32(at + 16, SNAPLEN, true);
    dv.setUint32(at + 20, LINKTYPE_ETHERNET, true);
    this.used += 24;
  }

  /** Room for a record of up to `maxFrame` bytes; returns where the frame bytes go. */
  begin(maxFrame: number): number {
    return this.reserve(16 + maxFrame) + 16;
  }

  /** Completes the record begun at `begin`, whose frame is `len` bytes. */
  commit(tsSec: number, tsUsec: number, len: number): void {
    const at = this.used;
    const dv = this.dv;
    dv.setUint32(at, tsSec, true);
    dv.setUint32(at + 4, tsUsec, true);
    dv.setUint32(at + 8, len, true); // captured
    dv.setUint32(at + 12, len, true); // on the wire
    this.used += 16 + len;
  }

  override onFlush(buf: Buffer, len: number): void {
    if (this.gzip !== null && len > 0) {
      // zlib keeps the chunk until compressed, and ours is reused: hand it a copy.
      if (!this.gzip.write(Buffer.from(buf.subarray(0, len)))) this.needsDrain = true;
    }
  }

  async drained(): Promise<void> {
    if (this.needsDrain && this.gzip !== null) {
      await once(this.gzip, 'drain');
    }
    this.needsDrain = false;
  }

  /** Flushes and closes the pcap, then ends the gzip stream and waits for its file. */
  async finish(): Promise<void> {
    this.close();
    if (this.gzip !== null && this.gzipFile !== null) {
      this.gzip.end();
      await finished(this.gzipFile);
    }
  }
}

/** pcapng: one Section Header Block, one Interface Description Block, then Enhanced Packet Blocks. */
export class PcapngWriter extends ChunkFile {
  constructor(path: string, application: string) {
    super(path);
    const dv = this.dv;
    // SHB (§4.1): type, length, byte-order magic, version 1.0, section length -1, shb_userappl.
    const app = Buffer.from(application, 'utf8');
    const appPadded = (app.length + 3) & ~3;
    const shbLength = 28 + 4 + appPadded + 4;
    let at = this.reserve(shbLength);
    dv.setUint32(at, 0x0a0d0d0a, true);
    dv.setUint32(at + 4, shbLength, true);
    dv.setUint32(at + 8, 0x1a2b3c4d, true);
    dv.setUint16(at + 12, 1, true);
    dv.setUint16(at + 14, 0, true);
    dv.setInt32(at + 16, -1, true);
    dv.setInt32(at + 20, -1, true);
    dv.setUint16(at + 24, 4, true); // shb_userappl
    dv.setUint16(at + 26, app.length, true);
    this.buf.fill(0, at + 28, at + 28 + appPadded);
    app.copy(this.buf, at + 28);
    dv.setUint32(at + 28 + appPadded, 0, true); // opt_endofopt
    dv.setUint32(at + shbLength - 4, shbLength, true);
    this.used += shbLength;
    // IDB (§4.2): link type, snaplen, if_tsresol = 6 (µs, also the default), opt_endofopt.
    const idbLength = 20 + 8 + 4;
    at = this.reserve(idbLength);
    dv.setUint32(at, 0x00000001, true);
    dv.setUint32(at + 4, idbLength, true);
    dv.setUint16(at + 8, LINKTYPE_ETHERNET, true);
    dv.setUint16(at + 10, 0, true);
    dv.setUint32(at + 12, SNAPLEN, true);
    dv.setUint16(at + 16, 9, true); // if_tsresol
    dv.setUint16(at + 18, 1, true);
    dv.setUint32(at + 20, 6, true); // value byte 6, three bytes of padding
    dv.setUint32(at + 24, 0, true); // opt_endofopt
    dv.setUint32(at + 28, idbLength, true);
    this.used += idbLength;
  }

  /** Appends an EPB (§4.3) for interface 0 holding `len` bytes copied from `src` at `from`. */
  packet(tsMicros: number, src: Buffer, from: number, len: number): void {
    const padded = (len + 3) & ~3;
    const blockLength = 28 + padded + 4;
    const at = this.reserve(blockLength);
    const dv = this.dv;
    dv.setUint32(at, 0x00000006, true);
    dv.setUint32(at + 4, blockLength, true);
    dv.setUint32(at + 8, 0, true); // interface id
    dv.setUint32(at + 12, Math.floor(tsMicros / 4294967296), true);
    dv.setUint32(at + 16, tsMicros % 4294967296, true);
    dv.setUint32(at + 20, len, true);
    dv.setUint32(at + 24, len, true);
    src.copy(this.buf, at + 28, from, from + len);
    for (let i = at + 28 + len; i < at + 28 + padded; i++) this.buf[i] = 0;
    dv.setUint32(at + 28 + padded, blockLength, true);
    this.used += blockLength;
  }
}
