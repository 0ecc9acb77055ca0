// Writes one synthetic segment as an Ethernet II frame (IEEE 802.3 §3.1) carrying IPv4
// (RFC 791) or IPv6 (RFC 8200) and TCP (RFC 9293 §3.1), checksums included, straight into the
// output buffer. Payload bytes are zeros, so they add nothing to the checksums.

import { ACK, OPTS_NONE, OPTS_SYN, OPTS_TS, SYN, WINDOW_SCALE } from './traffic.js';
import type { Flow, Step } from './traffic.js';

export const ETHERNET_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const IPV4_HEADER = 20;
export const IPV6_HEADER = 40;
export const TCP_HEADER = 20;
export const IPPROTO_TCP = 6;
/** Largest frame the model produces: IPv6, SYN options, a full segment. */
export const MAX_FRAME = ETHERNET_HEADER + IPV6_HEADER + TCP_HEADER + 20 + 1448;

/** Option bytes after the fixed TCP header, per OPTS_* kind. */
const OPTION_LENGTH = [0, 12, 20];

/** IPv4 header offsets (RFC 791 §3.1). */
const Ip4 = { VERSION_IHL: 0, TOTAL_LENGTH: 2, IDENTIFICATION: 4, FLAGS_FRAGMENT: 6, TTL: 8, PROTOCOL: 9, CHECKSUM: 10, SOURCE: 12, DESTINATION: 16 } as const;
/** IPv6 header offsets (RFC 8200 §3). */
const Ip6 = { VERSION_CLASS_LABEL: 0, PAYLOAD_LENGTH: 4, NEXT_HEADER: 6, HOP_LIMIT: 7, SOURCE: 8, DESTINATION: 24 } as const;
/** TCP header offsets (RFC 9293 §3.1). */
const Tcp = { SOURCE_PORT: 0, DESTINATION_PORT: 2, SEQUENCE: 4, ACKNOWLEDGMENT: 8, OFFSET_FLAGS: 12, WINDOW: 14, CHECKSUM: 16, URGENT: 18, OPTIONS: 20 } as const;

const DONT_FRAGMENT = 0x4000;

/**
 * Writes `step` of `flow` at `at` in `buf` (`dv` views the same bytes) and returns the frame
 * length. `tsval`/`tsecr` fill the timestamp option when the step carries one.
 */
export function writeFrame(buf: Buffer, dv: DataView, at: number, flow: Flow, step: Step, tsval: number, tsecr: number): number {
  const dir = step.dir;
  const other = 1 - dir;
  const optLen = OPTION_LENGTH[step.options]!;
  const tcpLen = TCP_HEADER + optLen + step.payload;
  const ipHeader = flow.ipv6 ? IPV6_HEADER : IPV4_HEADER;
  const frameLen = ETHERNET_HEADER + ipHeader + tcpLen;

  // Ethernet II: destination, source, EtherType.
  buf.set(flow.mac[other]!, at);
  buf.set(flow.mac[dir]!, at + 6);
  dv.setUint16(at + 12, flow.ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);

  const ip = at + ETHERNET_HEADER;
  const src = flow.addr[dir]!;
  const dst = flow.addr[other]!;
  // Pseudo-header sum for the TCP checksum (RFC 9293 §3.1; RFC 8200 §8.1 for IPv6).
  let sum = IPPROTO_TCP + tcpLen;
  if (flow.ipv6) {
    dv.setUint32(ip + Ip6.VERSION_CLASS_LABEL, (0x6 << 28) | flow.flowLabel[dir]!);
    dv.setUint16(ip + Ip6.PAYLOAD_LENGTH, tcpLen);
    buf[ip + Ip6.NEXT_HEADER] = IPPROTO_TCP;
    buf[ip + Ip6.HOP_LIMIT] = flow.ttl[dir]!;
    buf.set(src, ip + Ip6.SOURCE);
    buf.set(dst, ip + Ip6.DESTINATION);
    for (let i = ip + Ip6.SOURCE; i < ip + IPV6_HEADER; i += 2) sum += dv.getUint16(i);
  } else {
    // Linux sends SYN-ACKs and socketless RSTs with ID 0, other DF segments from a per-socket counter.
    const zeroId = (step.flags & (SYN | ACK)) === (SYN | ACK) || step.options === OPTS_NONE;
    const id = zeroId ? 0 : flow.ipId[dir]!;
    if (!zeroId) flow.ipId[dir] = (id + 1) & 0xffff;
    buf[ip + Ip4.VERSION_IHL] = 0x45;
    buf[ip + 1] = 0; // DSCP/ECN
    dv.setUint16(ip + Ip4.TOTAL_LENGTH, IPV4_HEADER + tcpLen);
    dv.setUint16(ip + Ip4.IDENTIFICATION, id);
    dv.setUint16(ip + Ip4.FLAGS_FRAGMENT, DONT_FRAGMENT);
    buf[ip + Ip4.TTL] = flow.ttl[dir]!;
    buf[ip + Ip4.PROTOCOL] = IPPROTO_TCP;
    dv.setUint16(ip + Ip4.CHECKSUM, 0);
    buf.set(src, ip + Ip4.SOURCE);
    buf.set(dst, ip + Ip4.DESTINATION);
    dv.setUint16(ip + Ip4.CHECKSUM, checksum(dv, ip, IPV4_HEADER, 0));
    sum += dv.getUint16(ip + Ip4.SOURCE) + dv.getUint16(ip + Ip4.SOURCE + 2);
    sum += dv.getUint16(ip + Ip4.DESTINATION) + dv.getUint16(ip + Ip4.DESTINATION + 2);
  }

  const tcp = ip + ipHeader;
  dv.setUint16(tcp + Tcp.SOURCE_PORT, flow.port[dir]!);
  dv.setUint16(tcp + Tcp.DESTINATION_PORT, flow.port[other]!);
  dv.setUint32(tcp + Tcp.SEQUENCE, step.seq);
  dv.setUint32(tcp + Tcp.ACKNOWLEDGMENT, step.ack);
  dv.setUint16(tcp + Tcp.OFFSET_FLAGS, (((TCP_HEADER + optLen) >> 2) << 12) | step.flags);
  dv.setUint16(tcp + Tcp.WINDOW, step.window);
  dv.setUint16(tcp + Tcp.CHECKSUM, 0);
  dv.setUint16(tcp + Tcp.URGENT, 0);
  const opt = tcp + Tcp.OPTIONS;
  if (step.options === OPTS_TS) {
    // NOP, NOP, kind 8 length 10 (RFC 7323 §3.2), aligned as Linux does.
    dv.setUint32(opt, 0x0101080a);
    dv.setUint32(opt + 4, tsval);
    dv.setUint32(opt + 8, tsecr);
  } else if (step.options === OPTS_SYN) {
    // Linux tcp_options_write order: MSS (RFC 9293 §3.7.1), SACK permitted (RFC 2018),
    // Timestamps (RFC 7323), NOP, window scale (RFC 7323 §2.2).
    dv.setUint32(opt, 0x020405b4); // MSS 1460
    dv.setUint16(opt + 4, 0x0402);
    dv.setUint16(opt + 6, 0x080a);
    dv.setUint32(opt + 8, tsval);
    dv.setUint32(opt + 12, tsecr);
    dv.setUint32(opt + 16, 0x01030300 | WINDOW_SCALE);
  }
  const payloadAt = opt + optLen;
  buf.fill(0, payloadAt, payloadAt + step.payload);
  dv.setUint16(tcp + Tcp.CHECKSUM, checksum(dv, tcp, TCP_HEADER + optLen, sum));
  return frameLen;
}

/** RFC 1071 Internet checksum of `len` (even) bytes at `at`, starting from partial `sum`. */
export function checksum(dv: DataView, at: number, len: number, sum: number): number {
  for (let i = at, end = at + len; i < end; i += 2) sum += dv.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
