// PPPoE session stage (RFC 2516 §4, EtherType 0x8864) and the PPP protocol field that follows
// it (RFC 1661 §2): IPv4 is PPP protocol 0x0021, IPv6 0x0057 (RFC 5072 §3).

import { needBytes, u16 } from './bytes.js';
import { EtherType, type NextLayer } from './ethertype.js';
import type { DecodedPacket } from './types.js';

/** Offsets in the PPPoE header (RFC 2516 §4: VER/TYPE, CODE, SESSION_ID, LENGTH) plus PPP. */
export const PppoeField = {
  VER_TYPE: 0,
  CODE: 1,
  SESSION_ID: 2,
  LENGTH: 4,
  PPP_PROTOCOL: 6,
} as const;

/** PPPoE header (6) plus the 2-byte PPP protocol field. */
export const PPPOE_SESSION_HEADER_LENGTH = 8;

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** Decodes a PPPoE session header at `next.offset`; hands IPv4/IPv6 on as EtherTypes. */
export function decodePppoeSession(d: Uint8Array, end: number, out: DecodedPacket, next: NextLayer): boolean {
  const o = next.offset;
  if (end - o < PPPOE_SESSION_HEADER_LENGTH) {
    out.error = needBytes('PPPoE session', PPPOE_SESSION_HEADER_LENGTH, end - o, o);
    out.notTcp = 'truncated PPPoE header';
    return false;
  }
  const proto = u16(d, o + PppoeField.PPP_PROTOCOL);
  if (proto === PPP_IPV4) next.etherType = EtherType.IPV4;
  else if (proto === PPP_IPV6) next.etherType = EtherType.IPV6;
  else {
    out.notTcp = `PPP protocol 0x${proto.toString(16).padStart(4, '0')}`;
    return false;
  }
  next.offset = o + PPPOE_SESSION_HEADER_LENGTH;
  return true;
}
