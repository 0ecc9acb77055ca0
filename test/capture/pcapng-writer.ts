// A minimal pcapng writer for building test fixtures in either byte order (pcapng draft §3-4).
// Test-only: it writes exactly the blocks a test asks for, padded and length-stamped.

export class PcapngWriter {
  private readonly parts: Uint8Array[] = [];

  constructor(private littleEndian: boolean) {}

  /** Switch byte order for the blocks that follow (call before a new section's shb()). */
  setByteOrder(littleEndian: boolean): void {
    this.littleEndian = littleEndian;
  }

  /** Section Header Block, version 1.0, section length -1 (unknown). */
  shb(options: Uint8Array[] = []): this {
    const fixed = new Uint8Array(16);
    const v = new DataView(fixed.buffer);
    v.setUint32(0, 0x1a2b3c4d, this.littleEndian);
    v.setUint16(4, 1, this.littleEndian);
    v.setUint16(6, 0, this.littleEndian);
    v.setBigInt64(8, -1n, this.littleEndian);
    return this.block(0x0a0d0d0a, [fixed, ...this.optionList(options)]);
  }

  idb(linkType: number, snapLength: number, options: Uint8Array[] = []): this {
    const fixed = new Uint8Array(8);
    const v = new DataView(fixed.buffer);
    v.setUint16(0, linkType, this.littleEndian);
    v.setUint32(4, snapLength, this.littleEndian);
    return this.block(1, [fixed, ...this.optionList(options)]);
  }

  /** Enhanced Packet Block (or, with `obsolete`, the old Packet Block with a 16-bit interface id). */
  epb(ifId: number, ticks: bigint, data: Uint8Array, originalLength: number, options: Uint8Array[] = [], obsolete = false): this {
    const fixed = new Uint8Array(20);
    const v = new DataView(fixed.buffer);
    if (obsolete) v.setUint16(0, ifId, this.littleEndian);
    else v.setUint32(0, ifId, this.littleEndian);
    v.setUint32(4, Number(ticks >> 32n), this.littleEndian);
    v.setUint32(8, Number(ticks & 0xffffffffn), this.littleEndian);
    v.setUint32(12, data.length, this.littleEndian);
    v.setUint32(16, originalLength, this.littleEndian);
    return this.block(obsolete ? 2 : 6, [fixed, pad(data), ...this.optionList(options)]);
  }

  spb(data: Uint8Array, originalLength: number): this {
    const fixed = new Uint8Array(4);
    new DataView(fixed.buffer).setUint32(0, originalLength, this.littleEndian);
    return this.block(3, [fixed, pad(data)]);
  }

  /** Any block type with a raw body (NRB, ISB, custom...). */
  raw(type: number, body: Uint8Array): this {
    return this.block(type, [pad(body)]);
  }

  /** One option TLV (code, length, value padded to 4). */
  option(code: number, value: Uint8Array): Uint8Array {
    const out = new Uint8Array(4 + ((value.length + 3) & ~3));
    const v = new DataView(out.buffer);
    v.setUint16(0, code, this.littleEndian);
    v.setUint16(2, value.length, this.littleEndian);
    out.set(value, 4);
    return out;
  }

  stringOption(code: number, text: string): Uint8Array {
    return this.option(code, new TextEncoder().encode(text));
  }

  u32(n: number): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n, this.littleEndian);
    return out;
  }

  i64(n: bigint): Uint8Array {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, n, this.littleEndian);
    return out;
  }

  bytes(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private optionList(options: Uint8Array[]): Uint8Array[] {
    return options.length === 0 ? [] : [...options, new Uint8Array(4)]; // opt_endofopt
  }

  private block(type: number, body: Uint8Array[]): this {
    const bodyLength = body.reduce((n, p) => n + p.length, 0);
    const total = 12 + bodyLength;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    v.setUint32(0, type, this.littleEndian);
    v.setUint32(4, total, this.littleEndian);
    let at = 8;
    for (const p of body) {
      out.set(p, at);
      at += p.length;
    }
    v.setUint32(total - 4, total, this.littleEndian);
    this.parts.push(out);
    return this;
  }
}

function pad(data: Uint8Array): Uint8Array {
  if (data.length % 4 === 0) return data;
  const out = new Uint8Array((data.length + 3) & ~3);
  out.set(data);
  return out;
}
