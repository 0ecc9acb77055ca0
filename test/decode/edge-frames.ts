// Hand-built frames for cases the shared corpus lacks (its README's "Known gaps") or has only
// once: S-tags and 0x9100 tags, IPv4 options on TCP, IPv6 AH, TFO kind 34, TCP-AO, MD5,
// reserved flag bits, bad data offsets, bad option lengths, TCP headers cut at every length,
// LOOP/NULL byte orders, raw IPv4/IPv6 link types. fixtures/edge-frames.pcapng holds them
// (one interface per link type) and fixtures/edge-frames.tshark.tsv is TShark's view of it.

import { be16, be32, ethernet, ipv4, ipv6, le32, tcp, vlanTag } from './build.js';

export interface EdgeFrame {
  note: string;
  linkType: number;
  bytes: number[];
  /** Length on the wire when snaplen cut the frame (defaults to bytes.length). */
  originalLength?: number;
}

const SYN_OPTS = [2, 4, ...be16(1460), 4, 2, 8, 10, ...be32(0x11223344), ...be32(0), 1, 3, 3, 7];
const syn = tcp({ src: 40000, dst: 443, seq: 0x7ffffff0, flags: 0x002, window: 64240, checksum: 0x1234, options: SYN_OPTS });

function v4(segment: number[], payload: number[] = [], p: Parameters<typeof ipv4>[0] | null = null): number[] {
  return [...ipv4(p ?? { payloadLength: segment.length + payload.length }), ...segment, ...payload];
}

function cutTcp(n: number): EdgeFrame {
  const full = [...ethernet(0x0800), ...v4(syn)];
  return { note: `TCP header cut by snaplen after ${n} bytes`, linkType: 1, bytes: full.slice(0, 34 + n), originalLength: full.length };
}

export const EDGE_FRAMES: EdgeFrame[] = [
  { note: '802.1ad S-tag + 802.1Q C-tag, IPv4 SYN', linkType: 1, bytes: [...ethernet(0x88a8), ...vlanTag(100, 0x8100), ...vlanTag(200, 0x0800), ...v4(syn)] },
  { note: 'legacy 0x9100 tag, IPv6 SYN-ACK', linkType: 1, bytes: [...ethernet(0x9100), ...vlanTag(7, 0x86dd), ...ipv6({ payloadLength: syn.length }), ...tcp({ src: 443, dst: 40000, seq: 5, ack: 0x7ffffff1, flags: 0x012, options: SYN_OPTS })] },
  {
    note: 'IPv4 options (NOP, NOP, Router Alert) on a TCP segment with 3 payload bytes',
    linkType: 1,
    bytes: [...ethernet(0x0800), ...ipv4({ payloadLength: 23, options: [1, 1, 0x94, 4, 0, 0, 0, 0] }), ...tcp({ flags: 0x018, seq: 9, ack: 10 }), 0x61, 0x62, 0x63],
  },
  { note: 'IPv4 total length 0 (TSO)', linkType: 1, bytes: [...ethernet(0x0800), ...ipv4({ payloadLength: 0, total: 0 }), ...tcp({ flags: 0x010, seq: 1, ack: 2 }), ...new Array(100).fill(0x78)] },
  { note: 'Ethernet padding after a 40-byte datagram', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x011, seq: 3, ack: 4 })), 0, 0, 0, 0, 0, 0] },
  {
    note: 'IPv6 Authentication Header before TCP',
    linkType: 1,
    bytes: [...ethernet(0x86dd), ...ipv6({ payloadLength: 24 + 20 + 2, nextHeader: 51 }), 6, 4, 0, 0, ...be32(0x100), ...be32(1), ...new Array(12).fill(0xaa), ...tcp({ flags: 0x018, seq: 77, ack: 88 }), 0x0d, 0x0a],
  },
  {
    note: 'IPv6 Destination Options + Routing (type 0) before TCP',
    linkType: 1,
    bytes: [...ethernet(0x86dd), ...ipv6({ payloadLength: 8 + 24 + 20, nextHeader: 60 }), 43, 0, 1, 4, 0, 0, 0, 0, 6, 2, 0, 0, 0, 0, 0, 0, ...new Array(16).fill(0x11), ...tcp({ flags: 0x010 })],
  },
  { note: 'TFO kind 34 with an 8-byte cookie (RFC 7413)', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x002, options: [2, 4, ...be16(1400), 34, 10, 1, 2, 3, 4, 5, 6, 7, 8] }))] },
  { note: 'TFO kind 34 cookie request', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x002, options: [34, 2, 1, 1] }))] },
  { note: 'TCP-AO (kind 29) and SACK blocks', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x010, options: [29, 8, 1, 2, 0xa1, 0xa2, 0xa3, 0xa4, 1, 1, 5, 10, ...be32(1000), ...be32(2000)] }))] },
  { note: 'MD5 signature (kind 19)', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x018, options: [19, 18, ...Array.from({ length: 16 }, (_, i) => 0xf0 + (i & 7)), 1, 1] }))] },
  { note: 'MPTCP MP_CAPABLE (subtype 0) in a SYN', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x002, options: [30, 4, 0x01, 0x81] }))] },
  { note: 'all 12 flag bits set (reserved, AE, CWR..FIN)', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0xfff }))] },
  { note: 'data offset 4 words (16 bytes), below the minimum', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ dataOffsetBytes: 16, flags: 0x010 }))] },
  { note: 'option length 0 after MSS', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x002, options: [2, 4, ...be16(536), 8, 0, 0, 0] }))] },
  { note: 'option running past the header (TS length 10, 6 bytes left)', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x002, options: [3, 3, 9, 8, 10, 0, 0, 0] }))] },
  { note: 'timestamps with length 8 then window scale', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x002, options: [8, 8, 0, 0, 0, 1, 0, 0, 3, 3, 5, 0] }))] },
  ...[0, 3, 4, 10, 15, 16, 17, 18, 19, 20, 22, 24, 25, 26, 30, 36, 39].map(cutTcp),
  { note: 'IPv4 first fragment with MF set', linkType: 1, bytes: [...ethernet(0x0800), ...v4(syn, [], { payloadLength: syn.length, flagsFragment: 0x2000 })] },
  { note: 'IPv4 total length larger than the frame (not snaplen)', linkType: 1, bytes: [...ethernet(0x0800), ...v4(tcp({ flags: 0x010 }), [], { payloadLength: 20, total: 400 })] },
  { note: 'NULL, AF_INET in big-endian order', linkType: 0, bytes: [...be32(2), ...v4(tcp({ flags: 0x004, seq: 42 }))] },
  { note: 'NULL, AF_INET6 = 28 (FreeBSD), little-endian', linkType: 0, bytes: [...le32(28), ...ipv6({ payloadLength: 20 }), ...tcp({ flags: 0x014 })] },
  { note: 'LOOP, AF_INET6 = 24 (OpenBSD)', linkType: 108, bytes: [...be32(24), ...ipv6({ payloadLength: 20 }), ...tcp({ flags: 0x011 })] },
  { note: 'LINKTYPE_IPV4 (228)', linkType: 228, bytes: v4(syn) },
  { note: 'IPv6 payload length 0 with no Jumbo option', linkType: 1, bytes: [...ethernet(0x86dd), ...ipv6({ payloadLength: 0 }), ...tcp({ flags: 0x018 }), 1, 2, 3, 4] },
  {
    note: 'IPv6 jumbogram: payload length 0, Hop-by-Hop Jumbo Payload (RFC 2675), frame cut by snaplen',
    linkType: 1,
    bytes: [...ethernet(0x86dd), ...ipv6({ payloadLength: 0, nextHeader: 0 }), 6, 0, 0xc2, 4, ...be32(70008), ...tcp({ flags: 0x010 }), 9, 9],
    originalLength: 14 + 40 + 70008,
  },
  { note: 'LINKTYPE_IPV6 (229)', linkType: 229, bytes: [...ipv6({ payloadLength: 20, hopLimit: 1 }), ...tcp({ flags: 0x0c2 })] },
];
