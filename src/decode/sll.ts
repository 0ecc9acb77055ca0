// Linux "cooked" capture headers: SLL (link type 113, 16 bytes) and SLL2 (link type 276,
// 20 bytes), as written by libpcap for the "any" device (see libpcap's pcap/sll.h and the
// tcpdump.org LINKTYPE_LINUX_SLL / LINKTYPE_LINUX_SLL2 pages). Both carry an EtherType.

import { needBytes, u16 } from './bytes.js';
import { MIN_ETHERTYPE, type NextLayer } from './ethertype.js';
import type { DecodedPacket } from './types.js';

/** SLL (v1) offsets: packet type, ARPHRD type, address length, 8-byte address, protocol. */
export const SllField = {
  PACKET_TYPE: 0,
  ARPHRD_TYPE: 2,
  ADDRESS_LENGTH: 4,
  ADDRESS: 6,
  PROTOCOL: 14,
} as const;
export const SLL_HEADER_LENGTH = 16;

/** SLL2 offsets: protocol first, then reserved, interface index, ARPHRD, packet type, address. */
export const Sll2Field = {
  PROTOCOL: 0,
  RESERVED: 2,
  INTERFACE_INDEX: 4,
  ARPHRD_TYPE: 8,
  PACKET_TYPE: 10,
  ADDRESS_LENGTH: 11,
  ADDRESS: 12,
} as const;
export const SLL2_HEADER_LENGTH = 20;

/** ARPHRD_NETLINK: the protocol field is a netlink family, not an EtherType. */
const ARPHRD_NETLINK = 824;

function finish(
  protocol: number,
  arphrd: number,
  payload: number,
  out: DecodedPacket,
  next: NextLayer,
): boolean {
  if (arphrd === ARPHRD_NETLINK) {
    out.notTcp = 'netlink';
    return false;
  }
  if (protocol < MIN_ETHERTYPE) {
    // Values below 0x0600 are Linux ETH_P_* pseudo-protocols (0x0004 = 802.2 LLC, ...).
    out.notTcp = `Linux cooked protocol 0x${protocol.toString(16).padStart(4, '0')}`;
    return false;
  }
  next.etherType = protocol;
  next.offset = payload;
  return true;
}

/** Decodes an SLL (v1) header at `start`, the first byte of the frame d[start, end). */
export function decodeSll(d: Uint8Array, start: number, end: number, out: DecodedPacket, next: NextLayer): boolean {
  if (end - start < SLL_HEADER_LENGTH) {
    out.error = needBytes('Linux cooked (SLL)', SLL_HEADER_LENGTH, end - start, start);
    out.notTcp = 'truncated Linux cooked header';
    return false;
  }
  return finish(u16(d, start + SllField.PROTOCOL), u16(d, start + SllField.ARPHRD_TYPE), start + SLL_HEADER_LENGTH, out, next);
}

/** Decodes an SLL2 header at `start`, the first byte of the frame d[start, end). */
export function decodeSll2(d: Uint8Array, start: number, end: number, out: DecodedPacket, next: NextLayer): boolean {
  if (end - start < SLL2_HEADER_LENGTH) {
    out.error = needBytes('Linux cooked (SLL2)', SLL2_HEADER_LENGTH, end - start, start);
    out.notTcp = 'truncated Linux cooked header';
    return false;
  }
  return finish(u16(d, start + Sll2Field.PROTOCOL), u16(d, start + Sll2Field.ARPHRD_TYPE), start + SLL2_HEADER_LENGTH, out, next);
}
