// Decoded-packet types: the plain records every layer decoder fills in. Renderers and the flow
// tracker read these and never touch raw bytes.

/**
 * TCP options as decoded from one segment (RFC 9293 §3.1, RFC 7323, RFC 2018, RFC 7413,
 * RFC 8684, RFC 2385, RFC 5925). Keys are absent when the option is absent; the key names are
 * part of the `packets --format ndjson` contract.
 */
export interface TcpOptions {
  /** Maximum segment size (kind 2). */
  mss?: number;
  /** Window scale shift count as sent (kind 3), not clamped. */
  wscale?: number;
  /** SACK-permitted (kind 4). */
  sack_perm?: boolean;
  /** SACK blocks (kind 5), each [left edge, right edge] as raw 32-bit sequence numbers. */
  sack?: [number, number][];
  /** Timestamps (kind 8). */
  ts_val?: number;
  ts_ecr?: number;
  /** TCP Fast Open cookie (kind 34, or kind 254 with magic 0xF989); cookie '' is a request. */
  tfo?: { kind: 34 | 254; cookie: string };
  /** Multipath TCP (kind 30): subtype number and name, raw bytes after kind/length in hex. */
  mptcp?: { subtype: number; name: string; data: string };
  /** TCP MD5 signature (kind 19), digest in hex. */
  md5?: string;
  /** TCP Authentication Option (kind 29). */
  ao?: { keyid: number; rnextkeyid: number; mac: string };
  /** Any other kind, bytes after kind/length in hex, in order of appearance. */
  unknown?: { kind: number; data: string }[];
}

/** Why a layer could not be decoded in full. */
export type DecodeErrorKind = 'truncated' | 'invalid' | 'unsupported';

/**
 * A packet-level problem: the packet is decoded as far as it goes and this says where it
 * stopped. `offset` is relative to the start of the frame's bytes; the formatter adds the
 * frame number and the absolute file offset.
 */
export interface DecodeError {
  kind: DecodeErrorKind;
  /** Layer name as printed: 'Ethernet', '802.1Q tag', 'Linux cooked (SLL)', 'IPv4 header', 'IPv6 extension header', 'TCP header', 'TCP options'... */
  layer: string;
  /** What went wrong, without frame or offset, e.g. 'data offset says 32 bytes, 20 captured'. */
  detail: string;
  /** Byte offset within the frame where the offending layer/field starts. */
  offset: number;
}

/** TCP header of one segment (RFC 9293 §3.1). All numbers are unsigned. */
export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** Raw sequence number as on the wire. */
  seq: number;
  /** Raw acknowledgement number as on the wire (meaningful only with ACK set). */
  ack: number;
  /** Header length in bytes (data offset × 4). */
  headerLength: number;
  /** 12-bit flags field as tshark's `tcp.flags`: FIN 0x001 … CWR 0x080, AE 0x100 (ex-NS). */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  /** Payload bytes claimed by the IP length (not limited by snaplen), as tshark's `tcp.len`. */
  payloadLength: number;
  /** Payload bytes actually present in the capture. */
  payloadCaptured: number;
  /** Offset of the payload within the frame. */
  payloadOffset: number;
  options: TcpOptions;
}

/** TCP flag bits (RFC 9293 §3.1; AE from RFC 9768, formerly NS of RFC 3540). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

/**
 * One frame after decoding. Decoders fill a reused scratch object: copy what outlives the
 * callback. Addresses are kept as 32-bit words (IPv4 in word 0; IPv6 in words 0..3, network
 * order) so flow keys need no strings; `formatAddress` renders them.
 */
export interface DecodedPacket {
  frame: number;
  tsSec: number;
  tsNsec: number;
  tsPrecision: number;
  interfaceId: number;
  linkType: number;
  capturedLength: number;
  originalLength: number;
  /** Absolute file offset of the frame's first byte, for error messages. */
  dataOffset: number;
  comment: string | null;
  /**
   * The frame's bytes (a view into the reader's chunk, valid only during the callback). On a
   * packet from newDecodedPacket each read makes a new view: read it once, and only when needed.
   */
  data: Uint8Array;

  /** 802.1Q/802.1ad VLAN ids, outermost first (empty when untagged). */
  vlanIds: number[];
  /** 0 when no IP layer was decoded. */
  ipVersion: 0 | 4 | 6;
  srcAddr: Uint32Array;
  dstAddr: Uint32Array;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /**
   * Datagram length the IP header states, as on the wire: the IPv4 total length (RFC 791 §3.1;
   * 0 under TSO), or the IPv6 payload length plus the 40-byte fixed header (RFC 8200 §3). Set
   * by decodePacket (0 without an IP layer), so its users need not read the frame's bytes;
   * absent on packets built by hand.
   */
  ipTotalLength?: number;
  /** Offset of the IP header within the frame. */
  ipOffset: number;

  /** The TCP header, or null when the frame carries no decodable TCP header. */
  tcp: TcpHeader | null;
  /** Why a frame is not TCP, for the skipped-frames footer (e.g. 'ARP', 'UDP', 'IPv4 non-first fragment'). */
  notTcp: string | null;
  /** First decode problem met (the frame is decoded up to it), or null. */
  error: DecodeError | null;
}
