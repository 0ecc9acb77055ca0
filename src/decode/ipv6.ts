// IPv6 fixed header (RFC 8200 §3) and the extension headers that may precede TCP: Hop-by-Hop
// (0) and Destination Options (60) (RFC 8200 §4.3, §4.6), Routing (43, §4.4), Fragment (44,
// §4.5) and the Authentication Header (51, RFC 4302 §2). Also the Jumbo Payload option
// (RFC 2675 §2) used by Linux BIG TCP, where the fixed header's payload length is 0.

import { decodeError, needBytes, u16, u32 } from './bytes.js';
import { IpProtocol, type IpPayload } from './ip.js';
import type { DecodedPacket } from './types.js';

/** Fixed-header offsets, checked against the RFC 8200 §3 diagram. */
export const Ipv6Field = {
  VERSION_CLASS_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SOURCE: 8,
  DESTINATION: 24,
} as const;

export const IPV6_HEADER_LENGTH = 40;

/** Offsets common to the extension headers (RFC 8200 §4). */
export const Ipv6ExtField = {
  NEXT_HEADER: 0,
  /** Hdr Ext Len (8-octet units past the first 8; AH: 4-octet units minus 2). */
  LENGTH: 1,
  /** Fragment header: offset (13 bits), reserved (2), M flag (1). */
  FRAGMENT_OFFSET_FLAGS: 2,
} as const;

export const IPV6_FRAGMENT_HEADER_LENGTH = 8;
/** RFC 2675 §2: Jumbo Payload option type and its data length. */
const JUMBO_OPTION = 0xc2;
const JUMBO_OPTION_DATA_LENGTH = 4;
/** RFC 8200 §4.2: Pad1 is the one option without a length byte. */
const PAD1 = 0;

const LAYER = 'IPv6 header';
const EXT_LAYER = 'IPv6 extension header';

const EXT_NAMES: Readonly<Record<number, string>> = {
  [IpProtocol.HOPOPT]: 'Hop-by-Hop Options',
  [IpProtocol.ROUTING]: 'Routing',
  [IpProtocol.FRAGMENT]: 'Fragment',
  [IpProtocol.AH]: 'Authentication',
  [IpProtocol.DSTOPTS]: 'Destination Options',
};

/** Finds the Jumbo Payload length in a Hop-by-Hop header's options at [p, stop); 0 when absent. */
function findJumbo(d: Uint8Array, p: number, stop: number): number {
  while (p < stop) {
    const type = d[p]!;
    if (type === PAD1) {
      p += 1;
      continue;
    }
    if (p + 2 > stop) return 0;
    const len = d[p + 1]!;
    if (type === JUMBO_OPTION && len === JUMBO_OPTION_DATA_LENGTH && p + 2 + len <= stop) return u32(d, p + 2);
    p += 2 + len;
  }
  return 0;
}

function noJumbo(o: number, out: DecodedPacket): false {
  out.error = decodeError('invalid', LAYER, 'payload length is 0 and no Jumbo Payload option follows', o + Ipv6Field.PAYLOAD_LENGTH);
  out.notTcp = 'invalid IPv6 header';
  return false;
}

/**
 * Decodes the IPv6 header at `o` and walks the extension headers to the transport header.
 * Arguments and result as for decodeIpv4.
 *
 * Limitations: fragments are not reassembled; an atomic fragment (offset 0, M clear, RFC 6946)
 * is decoded like an unfragmented packet. Extension headers are length-walked, not validated.
 */
export function decodeIpv6(
  d: Uint8Array,
  o: number,
  end: number,
  reportedEnd: number,
  out: DecodedPacket,
  pl: IpPayload,
): boolean {
  const avail = end - o;
  if (avail < IPV6_HEADER_LENGTH) {
    out.error = needBytes(LAYER, IPV6_HEADER_LENGTH, avail, o);
    out.notTcp = 'truncated IPv6 header';
    return false;
  }
  const version = d[o + Ipv6Field.VERSION_CLASS_FLOW]! >> 4;
  if (version !== 6) {
    out.error = decodeError('invalid', LAYER, `version is ${version}, not 6`, o);
    out.notTcp = 'invalid IPv6 header';
    return false;
  }
  out.ipVersion = 6;
  out.ipOffset = o;
  out.ttl = d[o + Ipv6Field.HOP_LIMIT]!;
  for (let i = 0; i < 4; i++) {
    out.srcAddr[i] = u32(d, o + Ipv6Field.SOURCE + 4 * i);
    out.dstAddr[i] = u32(d, o + Ipv6Field.DESTINATION + 4 * i);
  }

  const payloadLength = u16(d, o + Ipv6Field.PAYLOAD_LENGTH);
  out.ipTotalLength = IPV6_HEADER_LENGTH + payloadLength;
  let nh = d[o + Ipv6Field.NEXT_HEADER]!;
  let p = o + IPV6_HEADER_LENGTH;
  // Payload length 0 means a jumbogram (RFC 2675) when a Hop-by-Hop Jumbo option follows;
  // until it is found the datagram is taken to run to the end of the frame. Without one it
  // is malformed: unlike IPv4 TSO, Wireshark packet-ipv6.c then decodes no payload at all.
  const jumboExpected = payloadLength === 0;
  let claimedEnd = jumboExpected ? Math.max(p, reportedEnd) : p + payloadLength;
  if (claimedEnd > reportedEnd) {
    out.error = decodeError('invalid', LAYER, `payload length says ${payloadLength} bytes, the frame holds ${Math.max(0, reportedEnd - p)}`, o + Ipv6Field.PAYLOAD_LENGTH);
    claimedEnd = reportedEnd;
  }

  for (;;) {
    let len: number;
    switch (nh) {
      case IpProtocol.HOPOPT:
      case IpProtocol.ROUTING:
      case IpProtocol.DSTOPTS:
      case IpProtocol.AH:
        if (end - p < 2) {
          out.error = needBytes(EXT_LAYER, 2, end - p, p);
          out.notTcp = 'truncated IPv6 extension header';
          return false;
        }
        len = nh === IpProtocol.AH ? (d[p + Ipv6ExtField.LENGTH]! + 2) * 4 : (d[p + Ipv6ExtField.LENGTH]! + 1) * 8;
        break;
      case IpProtocol.FRAGMENT:
        len = IPV6_FRAGMENT_HEADER_LENGTH;
        break;
      default:
        // (An empty packet, payload length 0 with No Next Header, is well-formed.)
        if (jumboExpected && p === o + IPV6_HEADER_LENGTH && nh !== IpProtocol.NO_NEXT) return noJumbo(o, out);
        pl.protocol = nh;
        pl.offset = p;
        pl.capturedEnd = Math.min(end, claimedEnd);
        pl.claimedLength = claimedEnd - p;
        return true;
    }
    const name = EXT_NAMES[nh]!;
    if (end - p < len) {
      out.error = decodeError('truncated', EXT_LAYER, `${name} header says ${len} bytes, ${end - p} captured`, p);
      out.notTcp = 'truncated IPv6 extension header';
      return false;
    }
    if (p + len > claimedEnd) {
      out.error = decodeError('invalid', EXT_LAYER, `${name} header of ${len} bytes runs past the payload length (${claimedEnd - p} bytes left)`, p);
      out.notTcp = 'invalid IPv6 extension header';
      return false;
    }
    if (jumboExpected && p === o + IPV6_HEADER_LENGTH) {
      const jumbo = nh === IpProtocol.HOPOPT ? findJumbo(d, p + 2, p + len) : 0;
      if (jumbo === 0) return noJumbo(o, out);
      // RFC 2675 §2: the jumbo length counts everything after the fixed header.
      claimedEnd = o + IPV6_HEADER_LENGTH + jumbo;
    }
    if (nh === IpProtocol.FRAGMENT) {
      const offsetFlags = u16(d, p + Ipv6ExtField.FRAGMENT_OFFSET_FLAGS);
      if ((offsetFlags & 0xfff8) !== 0) {
        out.notTcp = 'IPv6 non-first fragment';
        return false;
      }
      if ((offsetFlags & 1) !== 0) {
        out.notTcp = 'IPv6 first fragment (not reassembled)';
        return false;
      }
    }
    nh = d[p + Ipv6ExtField.NEXT_HEADER]!;
    p += len;
  }
}
