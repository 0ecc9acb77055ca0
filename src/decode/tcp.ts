// TCP header (RFC 9293 §3.1): ports, sequence and acknowledgement numbers, data offset, the
// 12-bit flags field (AE from RFC 9768), window, checksum, urgent pointer, and the payload
// length the IP layer implies (tshark's tcp.len). Flag names are in flags.ts.

import { decodeError, u16, u32 } from './bytes.js';
import { parseTcpOptions } from './tcp-options.js';
import type { DecodeError, TcpHeader, TcpOptions } from './types.js';

/** Field offsets, checked against the RFC 9293 §3.1 diagram. */
export const TcpField = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQUENCE: 4,
  ACKNOWLEDGMENT: 8,
  /** Data offset (4 bits), reserved (3), AE (1); the next byte holds CWR..FIN. */
  DATA_OFFSET_FLAGS: 12,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT_POINTER: 18,
  OPTIONS: 20,
} as const;

export const TCP_MIN_HEADER_LENGTH = 20;
/**
 * Fewest captured bytes from which a segment is reported: through the window field. Wireshark
 * packet-tcp.c reads seq, ack, flags and window before adding them, so with fewer than 16
 * bytes tshark shows only the ports; such a header is useless to the flow engine and we
 * decode none of it.
 */
export const TCP_MIN_USABLE_LENGTH = 16;
/** tshark's tcp.flags keeps all 12 bits after the data offset (reserved bits included). */
const FLAGS_MASK = 0x0fff;

const LAYER = 'TCP header';

/** Options object for segments without options (shared, frozen: never write to it). */
export const NO_OPTIONS: TcpOptions = Object.freeze({});

/**
 * Every option key, in the order JSON output lists them. The per-header scratch object has all
 * of them, undefined when absent: JSON.stringify leaves undefined keys out, so the output is as
 * if absent keys were never there, and the hot path allocates nothing for the common options.
 */
function blankOptions(): TcpOptions {
  return {
    mss: undefined,
    wscale: undefined,
    sack_perm: undefined,
    sack: undefined,
    ts_val: undefined,
    ts_ecr: undefined,
    tfo: undefined,
    mptcp: undefined,
    md5: undefined,
    ao: undefined,
    unknown: undefined,
  };
}

const SCRATCH = Symbol('options scratch');
type ScratchHeader = TcpHeader & { [SCRATCH]?: TcpOptions };

/** The header's reused options object, cleared (valid until the header is decoded again). */
function scratchOptions(h: ScratchHeader): TcpOptions {
  let o = h[SCRATCH];
  if (o === undefined) {
    o = blankOptions();
    h[SCRATCH] = o;
  } else {
    o.mss = undefined;
    o.wscale = undefined;
    o.sack_perm = undefined;
    o.sack = undefined;
    o.ts_val = undefined;
    o.ts_ecr = undefined;
    o.tfo = undefined;
    o.mptcp = undefined;
    o.md5 = undefined;
    o.ao = undefined;
    o.unknown = undefined;
  }
  return o;
}

/** A blank header for reuse by decodeTcp. */
export function newTcpHeader(): TcpHeader {
  return {
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    headerLength: 0,
    flags: 0,
    window: 0,
    checksum: 0,
    urgentPointer: 0,
    payloadLength: 0,
    payloadCaptured: 0,
    payloadOffset: 0,
    options: NO_OPTIONS,
  };
}

/**
 * Decodes the TCP header at `o` into `h`. `end` is the end of the transport bytes present
 * (captured and within the IP length), `claimed` the transport length per the IP header.
 * Returns null when no usable header is present (see TCP_MIN_USABLE_LENGTH; `err[0]` says
 * why), else `h`, with `err[0]` set to the first problem met if the header is damaged or cut.
 *
 * Limitations: when the header is cut after 16 bytes, the checksum and urgent pointer read as
 * 0 if absent; options are parsed as far as they were captured.
 */
export function decodeTcp(
  d: Uint8Array,
  o: number,
  end: number,
  claimed: number,
  h: TcpHeader,
  err: [DecodeError | null],
): TcpHeader | null {
  const avail = end - o;
  err[0] = null;
  if (avail < TCP_MIN_USABLE_LENGTH) {
    err[0] = decodeError('truncated', LAYER, `header needs 20 bytes, ${Math.max(0, avail)} captured`, o);
    return null;
  }
  h.srcPort = u16(d, o + TcpField.SOURCE_PORT);
  h.dstPort = u16(d, o + TcpField.DESTINATION_PORT);
  h.seq = u32(d, o + TcpField.SEQUENCE);
  h.ack = u32(d, o + TcpField.ACKNOWLEDGMENT);
  const offFlags = u16(d, o + TcpField.DATA_OFFSET_FLAGS);
  const hlen = (offFlags >> 12) * 4;
  h.headerLength = hlen;
  h.flags = offFlags & FLAGS_MASK;
  h.window = u16(d, o + TcpField.WINDOW);
  h.checksum = avail >= TcpField.URGENT_POINTER ? u16(d, o + TcpField.CHECKSUM) : 0;
  h.urgentPointer = avail >= TCP_MIN_HEADER_LENGTH ? u16(d, o + TcpField.URGENT_POINTER) : 0;
  h.options = NO_OPTIONS;
  h.payloadLength = 0;
  h.payloadCaptured = 0;
  h.payloadOffset = o + hlen;

  if (hlen < TCP_MIN_HEADER_LENGTH) {
    // Wireshark packet-tcp.c stops at a "bogus TCP header length" after the ports and seq,
    // yet still counts tcp.len from the bogus offset and files the segment in its stream.
    // We keep the fixed fields the bytes hold; the error tells the flow engine to distrust it.
    err[0] = decodeError('invalid', LAYER, `data offset says ${hlen} bytes, less than the 20-byte minimum`, o + TcpField.DATA_OFFSET_FLAGS);
    h.payloadLength = Math.max(0, claimed - hlen);
    h.payloadCaptured = Math.max(0, Math.min(h.payloadLength, end - h.payloadOffset));
    return h;
  }
  // The header ends where the data offset says, unless the IP length ends it first (a
  // malformed datagram); `avail` may be shorter still when snaplen cut the frame.
  const headerEnd = o + Math.min(hlen, Math.max(claimed, 0));
  if (claimed < hlen) {
    err[0] = decodeError('invalid', LAYER, `data offset says ${hlen} bytes, the IP length leaves ${claimed}`, o + TcpField.DATA_OFFSET_FLAGS);
  } else if (avail < hlen) {
    err[0] = avail < TCP_MIN_HEADER_LENGTH
      ? decodeError('truncated', LAYER, `header needs 20 bytes, ${avail} captured`, o)
      : decodeError('truncated', LAYER, `data offset says ${hlen} bytes, ${avail} captured`, o + TcpField.DATA_OFFSET_FLAGS);
  }
  if (hlen > TCP_MIN_HEADER_LENGTH && avail > TCP_MIN_HEADER_LENGTH) {
    const opts = scratchOptions(h);
    const optErr = parseTcpOptions(d, o + TCP_MIN_HEADER_LENGTH, Math.min(headerEnd, end), headerEnd, opts);
    h.options = opts;
    if (err[0] === null) err[0] = optErr;
  }
  // tshark's tcp.len: the IP-claimed transport length less the header, whatever was captured.
  h.payloadLength = Math.max(0, claimed - hlen);
  h.payloadCaptured = Math.max(0, Math.min(h.payloadLength, end - h.payloadOffset));
  return h;
}
