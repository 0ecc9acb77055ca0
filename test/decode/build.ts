// Test-only byte builders. Each lays a header out field by field in the order of its RFC
// diagram, so a test's expected values come from the RFC, not from the decoder.

import type { CaptureRecord } from '../../src/capture/types.js';

export const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
export const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const le32 = (n: number): number[] => be32(n).reverse();

/** Ethernet II (IEEE 802.3 §3.1.1): dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type. */
export function ethernet(type: number): number[] {
  return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...be16(type)];
}

/** One VLAN tag after its TPID: TCI (PCP 0, DEI 0, VID) and the inner EtherType. */
export function vlanTag(vid: number, innerType: number): number[] {
  return [...be16(vid & 0x0fff), ...be16(innerType)];
}

/** RFC 791 §3.1 header; `total` defaults to header + payloadLength. */
export function ipv4(p: {
  payloadLength: number;
  protocol?: number;
  src?: number[];
  dst?: number[];
  options?: number[];
  total?: number;
  flagsFragment?: number;
  ttl?: number;
}): number[] {
  const opts = p.options ?? [];
  const ihl = 20 + opts.length;
  return [
    0x40 | (ihl / 4), 0x00, // version 4, IHL; TOS
    ...be16(p.total ?? ihl + p.payloadLength), // total length
    0x12, 0x34, // identification
    ...be16(p.flagsFragment ?? 0x4000), // flags (DF) + fragment offset
    p.ttl ?? 64, p.protocol ?? 6, // TTL, protocol
    0x00, 0x00, // header checksum (not checked)
    ...(p.src ?? [192, 0, 2, 1]),
    ...(p.dst ?? [198, 51, 100, 7]),
    ...opts,
  ];
}

/** RFC 8200 §3 fixed header, addresses 2001:db8::1 → 2001:db8::2 unless given. */
export function ipv6(p: { payloadLength: number; nextHeader?: number; hopLimit?: number; src?: number[]; dst?: number[] }): number[] {
  const a = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];
  return [
    0x60, 0x00, 0x00, 0x00, // version 6, traffic class 0, flow label 0
    ...be16(p.payloadLength),
    p.nextHeader ?? 6,
    p.hopLimit ?? 64,
    ...(p.src ?? a(1)),
    ...(p.dst ?? a(2)),
  ];
}

/** RFC 9293 §3.1 header; the data offset counts the options (which must be padded to 4). */
export function tcp(p: {
  src?: number;
  dst?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  checksum?: number;
  urgent?: number;
  options?: number[];
  dataOffsetBytes?: number;
}): number[] {
  const opts = p.options ?? [];
  const hlen = p.dataOffsetBytes ?? 20 + opts.length;
  const flags = p.flags ?? 0x002;
  return [
    ...be16(p.src ?? 49152),
    ...be16(p.dst ?? 80),
    ...be32(p.seq ?? 0x01020304),
    ...be32(p.ack ?? 0),
    ((hlen / 4) << 4) | ((flags >> 8) & 0x0f), flags & 0xff, // data offset, reserved/AE, flags
    ...be16(p.window ?? 65535),
    ...be16(p.checksum ?? 0xabcd),
    ...be16(p.urgent ?? 0),
    ...opts,
  ];
}

/** A capture record holding `bytes` (nothing cut unless `originalLength` says more). */
export function rec(linkType: number, bytes: number[] | Uint8Array, extra: Partial<CaptureRecord> = {}): CaptureRecord {
  const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  return {
    frame: 7,
    interfaceId: 0,
    linkType,
    tsSec: 0,
    tsNsec: 0,
    tsPrecision: 6,
    capturedLength: data.length,
    originalLength: data.length,
    fcsLength: 0,
    dataOffset: 0x100,
    bytes: data,
    dataStart: 0,
    data,
    comment: null,
    ...extra,
  };
}
