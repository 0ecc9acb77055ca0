// IPv4 header (RFC 791 §3.1): addresses, TTL, the transport protocol and how many transport
// bytes the datagram claims. Fragments are not reassembled (see decodeIpv4).

import { decodeError, needBytes, u16, u32 } from './bytes.js';
import type { IpPayload } from './ip.js';
import type { DecodedPacket } from './types.js';

/** Field offsets, checked against the RFC 791 §3.1 diagram. */
export const Ipv4Field = {
  VERSION_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT_OFFSET: 6,
  TTL: 8,
  PROTOCOL: 9,
  HEADER_CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
} as const;

export const IPV4_MIN_HEADER_LENGTH = 20;
/** RFC 791: "More Fragments" flag and the 13-bit offset (in 8-byte units). */
const MF = 0x2000;
const OFFSET_MASK = 0x1fff;

const LAYER = 'IPv4 header';

/**
 * Decodes the IPv4 header at `o`. `end` is the end of the captured bytes, `reportedEnd` where
 * the frame ends on the wire (beyond `end` when snaplen cut it). On success fills the address
 * fields of `out` and `pl` and returns true; otherwise sets `notTcp` (and `error` when the
 * header is damaged) and returns false.
 *
 * Limitations: fragments are not reassembled. A non-first fragment has no TCP header; a first
 * fragment with MF set holds only part of the segment, so it is skipped too (tshark reassembles
 * and shows the segment on the frame that completes the datagram).
 */
export function decodeIpv4(
  d: Uint8Array,
  o: number,
  end: number,
  reportedEnd: number,
  out: DecodedPacket,
  pl: IpPayload,
): boolean {
  const avail = end - o;
  if (avail < IPV4_MIN_HEADER_LENGTH) {
    out.error = needBytes(LAYER, IPV4_MIN_HEADER_LENGTH, avail, o);
    out.notTcp = 'truncated IPv4 header';
    return false;
  }
  const vihl = d[o + Ipv4Field.VERSION_IHL]!;
  if (vihl >> 4 !== 4) {
    out.error = decodeError('invalid', LAYER, `version is ${vihl >> 4}, not 4`, o);
    out.notTcp = 'invalid IPv4 header';
    return false;
  }
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER_LENGTH) {
    out.error = decodeError('invalid', LAYER, `IHL says ${ihl} bytes, less than the 20-byte minimum`, o);
    out.notTcp = 'invalid IPv4 header';
    return false;
  }
  if (avail < ihl) {
    out.error = decodeError('truncated', LAYER, `IHL says ${ihl} bytes, ${avail} captured`, o);
    out.notTcp = 'truncated IPv4 header';
    return false;
  }

  out.ipVersion = 4;
  out.ipOffset = o;
  out.ttl = d[o + Ipv4Field.TTL]!;
  out.srcAddr[0] = u32(d, o + Ipv4Field.SOURCE);
  out.dstAddr[0] = u32(d, o + Ipv4Field.DESTINATION);

  const reported = reportedEnd - o;
  let total = u16(d, o + Ipv4Field.TOTAL_LENGTH);
  out.ipTotalLength = total;
  if (total === 0) {
    // TCP segmentation offload: the NIC fills the length in later, so the capture shows 0.
    // Wireshark packet-ip.c then takes the frame's reported length (tcpdump: "presumed TSO").
    total = reported;
  } else if (total < ihl) {
    out.error = decodeError('invalid', LAYER, `total length says ${total} bytes, less than the ${ihl}-byte header`, o + Ipv4Field.TOTAL_LENGTH);
    out.notTcp = 'invalid IPv4 header';
    return false;
  } else if (total > reported) {
    // The frame on the wire was shorter than the datagram claims: keep what the frame holds.
    out.error = decodeError('invalid', LAYER, `total length says ${total} bytes, the frame holds ${reported}`, o + Ipv4Field.TOTAL_LENGTH);
    total = reported;
  }

  const frag = u16(d, o + Ipv4Field.FLAGS_FRAGMENT_OFFSET);
  if ((frag & OFFSET_MASK) !== 0) {
    out.notTcp = 'IPv4 non-first fragment';
    return false;
  }
  if ((frag & MF) !== 0) {
    out.notTcp = 'IPv4 first fragment (not reassembled)';
    return false;
  }

  pl.protocol = d[o + Ipv4Field.PROTOCOL]!;
  pl.offset = o + ihl;
  pl.capturedEnd = Math.min(end, o + total);
  pl.claimedLength = total - ihl;
  return true;
}
