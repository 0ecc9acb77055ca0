// Raw IP link types: 101 (LINKTYPE_RAW), 12 and 14 (the DLT_RAW values of BSD/OS and OpenBSD),
// where the IP version nibble decides; 228 (LINKTYPE_IPV4) and 229 (LINKTYPE_IPV6) fix it.

import { EtherType, type NextLayer } from './ethertype.js';
import type { DecodedPacket } from './types.js';

export const RawLinkType = {
  RAW: 101,
  RAW_BSDOS: 12,
  RAW_OPENBSD: 14,
  IPV4: 228,
  IPV6: 229,
} as const;

/** Picks IPv4 or IPv6 for the raw-IP frame d[start, end). */
export function decodeRawIp(d: Uint8Array, start: number, end: number, linkType: number, out: DecodedPacket, next: NextLayer): boolean {
  next.offset = start;
  if (linkType === RawLinkType.IPV4) {
    next.etherType = EtherType.IPV4;
    return true;
  }
  if (linkType === RawLinkType.IPV6) {
    next.etherType = EtherType.IPV6;
    return true;
  }
  if (end - start < 1) {
    out.notTcp = 'empty frame';
    return false;
  }
  const version = d[start]! >> 4;
  if (version === 4) next.etherType = EtherType.IPV4;
  else if (version === 6) next.etherType = EtherType.IPV6;
  else {
    out.notTcp = `raw IP version ${version}`;
    return false;
  }
  return true;
}
