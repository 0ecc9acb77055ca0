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

/** Largest value taken as an address family; above it the field holds an EtherType. */
const MAX_FAMILY = 1500;

/**
 * Decodes the loopback header. For NULL the family is in the capturing host's order; as
 * Wireshark packet-null.c does, it is read little-endian and re-read big-endian when the
 * upper 16 bits are not zero. A NULL value above 1500 is not a family: Wireshark then takes
 * its low 16 bits as an EtherType with the payload still at byte 4 (frame 3 of PcapPlusPlus'
 * null_loopback.pcap, "0f 00 08 00", is IPv4 this way). LOOP is always network order.
 */
export function decodeLoopback(
  d: Uint8Array,
  start: number,
  end: number,
  networkOrder: boolean,
  out: DecodedPacket,
  next: NextLayer,
): boolean {
  if (end - start < LOOPBACK_HEADER_LENGTH) {
    out.error = needBytes(networkOrder ? 'Loopback (LOOP)' : 'Loopback (NULL)', LOOPBACK_HEADER_LENGTH, end - start, start);
    out.notTcp = 'truncated loopback header';
    return false;
  }
  let family = u32(d, start);
  if (!networkOrder) {
    const little = (d[start]! | (d[start + 1]! << 8) | (d[start + 2]! << 16) | (d[start + 3]! << 24)) >>> 0;
    if ((little & 0xffff0000) === 0) family = little;
    if (family > MAX_FAMILY) {
      next.etherType = family & 0xffff;
      next.offset = start + LOOPBACK_HEADER_LENGTH;
      return true;
    }
  }
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
  next.offset = start + LOOPBACK_HEADER_LENGTH;
  return true;
}
