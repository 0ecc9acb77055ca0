// BSD loopback encapsulations: NULL (link type 0), a 4-byte address family in the capturing
// host's byte order, and LOOP (link type 108), the same field in network byte order (OpenBSD).
// The AF_INET6 value differs by OS: 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly),
// 30 (macOS), as the tcpdump.org LINKTYPE_NULL page and Wireshark's packet-null.c list.

import { needBytes, u32 } from './bytes.js';
import { EtherType, type NextLayer } from './ethertype.js';
import type { DecodedPacket } from './types.js';

export const LOOPBACK_HEADER_LENGTH = 4;

/** BSD address-family values found in the header. */
export const LoopbackFamily = {
  INET: 2,
  INET6_BSD: 24,
  INET6_FREEBSD: 28,
  INET6_DARWIN: 30,
} as const;

/** Byte-swaps a 32-bit value. */
function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * Decodes the loopback header. For NULL the family is host-order: a value whose low 16 bits
 * are zero when read big-endian was written by a little-endian host (Wireshark packet-null.c
 * makes the same guess), so it is byte-swapped. LOOP is always network order.
 */
export function decodeLoopback(
  d: Uint8Array,
  end: number,
  networkOrder: boolean,
  out: DecodedPacket,
  next: NextLayer,
): boolean {
  if (end < LOOPBACK_HEADER_LENGTH) {
    out.error = needBytes(networkOrder ? 'Loopback (LOOP)' : 'Loopback (NULL)', LOOPBACK_HEADER_LENGTH, end, 0);
    out.notTcp = 'truncated loopback header';
    return false;
  }
  let family = u32(d, 0);
  if (!networkOrder && (family & 0xffff) === 0) family = swap32(family);
  switch (family) {
    case LoopbackFamily.INET:
      next.etherType = EtherType.IPV4;
      break;
    case LoopbackFamily.INET6_BSD:
    case LoopbackFamily.INET6_FREEBSD:
    case LoopbackFamily.INET6_DARWIN:
      next.etherType = EtherType.IPV6;
      break;
    default:
      out.notTcp = `address family ${family}`;
      return false;
  }
  next.offset = LOOPBACK_HEADER_LENGTH;
  return true;
}
