// Test-only capture reader: whole-file, classic pcap (4 magics) and pcapng (SHB, IDB, EPB, SPB,
// obsolete PB), so the decoder tests do not depend on src/capture. It stops quietly at the
// first damage (truncated record, bad block), keeping the records before it, as tshark does.

import { readFileSync } from 'node:fs';
import type { CaptureRecord } from '../../src/capture/types.js';

function record(frame: number, data: Uint8Array, fileOffset: number, linkType: number, interfaceId: number, origLen: number, fcsLength: number): CaptureRecord {
  return {
    frame,
    interfaceId,
    linkType,
    tsSec: 0,
    tsNsec: 0,
    tsPrecision: 6,
    capturedLength: data.length,
    originalLength: origLen,
    fcsLength,
    dataOffset: fileOffset,
    bytes: data,
    dataStart: 0,
    data,
    comment: null,
  };
}

/** Every packet record of a pcap or pcapng file, numbered as tshark numbers frames. */
export function readRecords(path: string): CaptureRecord[] {
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 4) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = dv.getUint32(0, false);
  if (magicBE === 0x0a0d0d0a) return readPcapng(bytes, dv);
  return readPcap(bytes, dv);
}

function readPcap(bytes: Uint8Array, dv: DataView): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  if (bytes.length < 24) return out;
  const m = dv.getUint32(0, true);
  let le: boolean;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) le = true;
  else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) le = false;
  else return out;
  if (dv.getUint16(4, le) !== 2) return out;
  const lt = dv.getUint32(20, le);
  if ((lt & 0x03ff0000) !== 0) return out; // reserved bits: libpcap and tshark reject the file
  const linkType = lt & 0xffff;
  // libpcap LT_FCS_LENGTH: bit 26 says an FCS length is present, bits 28-31 hold it in 16-bit words.
  const fcs = (lt & 0x04000000) !== 0 ? ((lt >>> 28) & 0xf) * 2 : 0;
  let o = 24;
  let frame = 0;
  while (o + 16 <= bytes.length) {
    const incl = dv.getUint32(o + 8, le);
    const orig = dv.getUint32(o + 12, le);
    if (o + 16 + incl > bytes.length) break;
    out.push(record(++frame, bytes.subarray(o + 16, o + 16 + incl), o + 16, linkType, 0, orig, fcs));
    o += 16 + incl;
  }
  return out;
}

function readPcapng(bytes: Uint8Array, dv: DataView): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  let o = 0;
  let le = true;
  let ifaces: { linkType: number; fcs: number }[] = [];
  let frame = 0;
  while (o + 12 <= bytes.length) {
    let type = dv.getUint32(o, le);
    if (dv.getUint32(o, false) === 0x0a0d0d0a) {
      type = 0x0a0d0d0a;
      const bom = dv.getUint32(o + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else break;
      ifaces = [];
    }
    const len = dv.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0 || o + len > bytes.length) break;
    const body = o + 8;
    if (type === 0x00000001) {
      const linkType = dv.getUint16(body, le);
      let fcs = 0;
      // options start after linktype(2), reserved(2), snaplen(4)
      let p = body + 8;
      const stop = o + len - 4;
      while (p + 4 <= stop) {
        const code = dv.getUint16(p, le);
        const olen = dv.getUint16(p + 2, le);
        if (code === 0) break;
        if (code === 13 && olen >= 1) fcs = bytes[p + 4]!; // if_fcslen
        p += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linkType, fcs });
    } else if (type === 0x00000006 || type === 0x00000002) {
      const id = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
      const incl = dv.getUint32(body + 12, le);
      const orig = dv.getUint32(body + 16, le);
      const iface = ifaces[id];
      if (iface === undefined || body + 20 + incl > o + len) break;
      out.push(record(++frame, bytes.subarray(body + 20, body + 20 + incl), body + 20, iface.linkType, id, orig, iface.fcs));
    } else if (type === 0x00000003) {
      const iface = ifaces[0];
      if (iface === undefined) break;
      const orig = dv.getUint32(body, le);
      const incl = Math.min(orig, len - 16);
      out.push(record(++frame, bytes.subarray(body + 4, body + 4 + incl), body + 4, iface.linkType, 0, orig, iface.fcs));
    } else if (type === 0x00000bad || type === 0x40000bad) {
      // TShark 4.0 shows pcapng Custom Blocks as frames (corpus README): count them likewise.
      frame++;
    }
    o += len;
  }
  return out;
}
