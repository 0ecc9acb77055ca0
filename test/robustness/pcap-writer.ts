// Test-only classic pcap writer for hand-built hostile captures: the 24-byte file header and
// 16-byte record headers of draft-ietf-opsawg-pcap §4-5 (little-endian, microseconds), and
// Ethernet/IPv4/TCP frames laid out per RFC 791 §3.1 and RFC 9293 §3.1 with room to break any
// field. Writes straight into one growing buffer, so captures with 100 000 flows stay cheap.

export const LINKTYPE_ETHERNET = 1;

export interface FrameSpec {
  src?: number;
  dst?: number;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** Flag bits as in RFC 9293 §3.1 (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  flags: number;
  /** Data offset in 32-bit words as written on the wire (default 5, or 5 + options/4). */
  dataOffset?: number;
  /** IPv4 IHL in 32-bit words as written (default 5). */
  ihl?: number;
  options?: number[];
  payload?: number;
  window?: number;
  /** Seconds since the epoch. */
  sec?: number;
  usec?: number;
  /** Captured bytes kept (snaplen cut); default the whole frame. */
  snap?: number;
}

export class PcapWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  constructor(linkType = LINKTYPE_ETHERNET, snaplen = 262144) {
    this.u32(0xa1b2c3d4); // magic, written little-endian: d4 c3 b2 a1
    this.u16(2);
    this.u16(4);
    this.u32(0); // thiszone
    this.u32(0); // sigfigs
    this.u32(snaplen);
    this.u32(linkType);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.length++] = n & 0xff;
  }
  u16(n: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, n, true);
    this.length += 2;
  }
  u32(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, n >>> 0, true);
    this.length += 4;
  }
  be16(n: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, n, false);
    this.length += 2;
  }
  be32(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, n >>> 0, false);
    this.length += 4;
  }
  bytes(b: ArrayLike<number>): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A record whose header says `inclLen`/`origLen` whatever bytes follow. */
  recordHeader(sec: number, usec: number, inclLen: number, origLen: number): void {
    this.u32(sec);
    this.u32(usec);
    this.u32(inclLen);
    this.u32(origLen);
  }

  /** One Ethernet + IPv4 + TCP frame as a record. */
  tcp(f: FrameSpec): void {
    const opts = f.options ?? [];
    const payload = f.payload ?? 0;
    const ihlWords = f.ihl ?? 5;
    const ipHeader = 20; // bytes actually written; IHL may claim otherwise
    const doff = f.dataOffset ?? 5 + Math.ceil(opts.length / 4);
    const tcpBytes = 20 + opts.length + payload;
    const frameLen = 14 + ipHeader + tcpBytes;
    const snap = Math.min(f.snap ?? frameLen, frameLen);
    this.recordHeader(f.sec ?? 1_700_000_000, f.usec ?? 0, snap, frameLen);
    const start = this.length;
    // Ethernet II: dst, src, EtherType IPv4.
    this.bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    this.be16(0x0800);
    // IPv4 (RFC 791 §3.1).
    this.u8(0x40 | (ihlWords & 0x0f));
    this.u8(0);
    this.be16(ipHeader + tcpBytes);
    this.be16(0);
    this.be16(0x4000); // DF
    this.u8(64);
    this.u8(6);
    this.be16(0);
    this.be32(f.src ?? 0x0a000001);
    this.be32(f.dst ?? 0x0a000002);
    // TCP (RFC 9293 §3.1).
    this.be16(f.sport);
    this.be16(f.dport);
    this.be32(f.seq);
    this.be32(f.ack ?? 0);
    this.u8((doff & 0x0f) << 4);
    this.u8(f.flags & 0xff);
    this.be16(f.window ?? 65535);
    this.be16(0);
    this.be16(0);
    this.bytes(opts);
    this.ensure(payload);
    this.buf.fill(0x61, this.length, this.length + payload);
    this.length += payload;
    // Keep only the captured part.
    this.length = start + snap;
  }

  /** The capture so far (a view; copy it if the writer is used again). */
  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export const SYN = 0x02;
export const ACK = 0x10;
export const FIN = 0x01;
export const RST = 0x04;
export const PSH = 0x08;

/** `n` handshakes (SYN, SYN-ACK, ACK) left open, one client port each, 1 ms apart. */
export function openHandshakes(n: number, firstPort = 1024): Uint8Array {
  const w = new PcapWriter();
  for (let i = 0; i < n; i++) {
    const sport = firstPort + (i % 60000);
    const src = 0x0a000001 + Math.floor(i / 60000);
    const sec = 1_700_000_000 + Math.floor(i / 1000);
    const usec = (i % 1000) * 1000;
    w.tcp({ src, sport, dport: 80, seq: 1000, flags: SYN, sec, usec });
    w.tcp({ src: 0x0a000002, dst: src, sport: 80, dport: sport, seq: 5000, ack: 1001, flags: SYN | ACK, sec, usec });
    w.tcp({ src, sport, dport: 80, seq: 1001, ack: 5001, flags: ACK, sec, usec });
  }
  return w.done();
}
