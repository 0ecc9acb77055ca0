// Ethernet II / IEEE 802.3 MAC header (link type 1). Tags and PPPoE that may follow are decoded
// by vlan.ts and pppoe.ts; an 802.3 length field means an LLC frame, which is never IP here.

import { needBytes, u16 } from './bytes.js';
import { MAX_8023_LENGTH, MIN_ETHERTYPE, type NextLayer } from './ethertype.js';
import type { DecodedPacket } from './types.js';

/** Field offsets (IEEE 802.3 §3.1.1: destination, source, length/type). */
export const EthernetField = {
  DESTINATION: 0,
  SOURCE: 6,
  TYPE_OR_LENGTH: 12,
} as const;

export const ETHERNET_HEADER_LENGTH = 14;

/**
 * Decodes the MAC header at `start`, the first byte of the frame d[start, end). Returns false
 * (with `notTcp`/`error` set) when the frame ends early or carries no EtherType.
 */
export function decodeEthernet(d: Uint8Array, start: number, end: number, out: DecodedPacket, next: NextLayer): boolean {
  if (end - start < ETHERNET_HEADER_LENGTH) {
    out.error = needBytes('Ethernet', ETHERNET_HEADER_LENGTH, end - start, start);
    out.notTcp = 'truncated Ethernet header';
    return false;
  }
  const type = u16(d, start + EthernetField.TYPE_OR_LENGTH);
  if (type <= MAX_8023_LENGTH) {
    // IEEE 802.3 length field: an LLC (802.2) frame such as STP or CDP, never IP for us.
    out.notTcp = '802.3 LLC frame';
    return false;
  }
  if (type < MIN_ETHERTYPE) {
    out.notTcp = `ethertype 0x${type.toString(16).padStart(4, '0')}`;
    return false;
  }
  next.etherType = type;
  next.offset = start + ETHERNET_HEADER_LENGTH;
  return true;
}
