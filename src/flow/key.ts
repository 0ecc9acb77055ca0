// Flow keys: one string per unordered 4-tuple (address and port of both endpoints), so both
// directions of a connection find the same table entry. Built from the decoder's address words,
// never from formatted text.

import type { DecodedPacket } from '../decode/types.js';

/**
 * Key for the packet's 4-tuple, the same whichever direction the packet travels, plus whether
 * the packet's source is the "lower" endpoint of the key (used to tell sides apart cheaply).
 */
export function flowKey(pkt: DecodedPacket, srcPort: number, dstPort: number): string {
  const s = pkt.srcAddr;
  const d = pkt.dstAddr;
  let a: string;
  let b: string;
  if (pkt.ipVersion === 4) {
    a = s[0]! * 65536 + srcPort + '';
    b = d[0]! * 65536 + dstPort + '';
  } else {
    a = `${s[0]}.${s[1]}.${s[2]}.${s[3]}.${srcPort}`;
    b = `${d[0]}.${d[1]}.${d[2]}.${d[3]}.${dstPort}`;
  }
  return a < b ? `${pkt.ipVersion}|${a}|${b}` : `${pkt.ipVersion}|${b}|${a}`;
}
