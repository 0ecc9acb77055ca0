// Frame dispatcher: link layer by LINKTYPE_* value, then VLAN tags / PPPoE, IPv4 or IPv6 with
// its extension headers, then TCP. Fills one reused DecodedPacket per call and never throws
// for bad packet data: problems land in `error`, reasons for skipping in `notTcp`.
//
// The frame is decoded in place, in the reader's buffer: the layer decoders take and return
// positions in that buffer (`d`), and decodePacket turns them into offsets from the frame's
// first byte, the only offsets a DecodedPacket holds. No view or object is made per frame.

import type { CaptureRecord } from '../capture/types.js';
import { decodeEthernet } from './ethernet.js';
import { EtherType, etherTypeReason, type NextLayer } from './ethertype.js';
import { IpProtocol, ipProtocolReason, type IpPayload } from './ip.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeLoopback } from './loopback.js';
import { decodePppoeSession } from './pppoe.js';
import { decodeRawIp, RawLinkType } from './raw-ip.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeTcp, newTcpHeader } from './tcp.js';
import type { DecodedPacket, DecodeError, TcpHeader } from './types.js';
import { decodeVlanTag, isVlanTpid } from './vlan.js';

/** LINKTYPE_* values decodePacket understands (tcpdump.org link-layer header types). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_BSDOS: RawLinkType.RAW_BSDOS,
  RAW_OPENBSD: RawLinkType.RAW_OPENBSD,
  RAW: RawLinkType.RAW,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: RawLinkType.IPV4,
  IPV6: RawLinkType.IPV6,
  LINUX_SLL2: 276,
} as const;

const SUPPORTED: ReadonlySet<number> = new Set(Object.values(LinkType));

/** True when decodePacket knows the link type. */
export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}

// Hand-off records between layers: decoding is synchronous, so one of each serves every call.
const next: NextLayer = { etherType: 0, offset: 0 };
const ipPayload: IpPayload = { protocol: 0, offset: 0, capturedEnd: 0, claimedLength: 0 };
const tcpError: [DecodeError | null] = [null];

/**
 * The reused packet newDecodedPacket makes. Its `data` is a view of the frame made when read
 * (most packets are never asked for their bytes); a class, because V8 keeps an object literal
 * with an accessor in slow dictionary mode.
 */
class ScratchPacket implements DecodedPacket {
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  tsPrecision = 0;
  interfaceId = 0;
  linkType = 0;
  capturedLength = 0;
  originalLength = 0;
  dataOffset = 0;
  comment: string | null = null;
  vlanIds: number[] = [];
  ipVersion: 0 | 4 | 6 = 0;
  srcAddr = new Uint32Array(4);
  dstAddr = new Uint32Array(4);
  ttl = 0;
  ipTotalLength = 0;
  ipOffset = 0;
  tcp: TcpHeader | null = null;
  notTcp: string | null = null;
  error: DecodeError | null = null;

  /** The header `tcp` points to when set, reused for every frame. */
  readonly #tcpHeader = newTcpHeader();
  /** The frame is #bytes[#start, #end). */
  #bytes: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;

  get data(): Uint8Array {
    return this.#bytes.subarray(this.#start, this.#end);
  }

  set data(bytes: Uint8Array) {
    this.locate(bytes, 0, bytes.length);
  }

  /** Say where the frame's bytes are, without making a view. */
  locate(bytes: Uint8Array, start: number, end: number): void {
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }

  get tcpHeader(): TcpHeader {
    return this.#tcpHeader;
  }
}

/** A blank packet for decodePacket to fill; make one per reader and reuse it. */
export function newDecodedPacket(): DecodedPacket {
  return new ScratchPacket();
}

/**
 * Decodes one captured frame into `out`, resetting every field first. `out.tcp` (when set) is
 * a scratch header reused by the next call: copy what must outlive the callback.
 * The record's trailing `fcsLength` bytes are not part of any layer. `out` should come from
 * newDecodedPacket: any other DecodedPacket works, but costs a view and a header per call.
 */
export function decodePacket(rec: CaptureRecord, out: DecodedPacket): void {
  const d = rec.bytes;
  const start = rec.dataStart;
  // Bytes we may read: the captured bytes, less an FCS only if the capture kept it whole.
  const captured = Math.min(rec.capturedLength, d.length - start);
  const fcs = Math.max(0, rec.fcsLength);
  const end = start + Math.max(0, rec.originalLength <= captured ? captured - fcs : captured);
  // Where the frame ends on the wire (without FCS): bounds IPv4 TSO / IPv6 jumbo lengths.
  const reportedEnd = Math.max(end, start + rec.originalLength - fcs);

  out.frame = rec.frame;
  out.tsSec = rec.tsSec;
  out.tsNsec = rec.tsNsec;
  out.tsPrecision = rec.tsPrecision;
  out.interfaceId = rec.interfaceId;
  out.linkType = rec.linkType;
  out.capturedLength = rec.capturedLength;
  out.originalLength = rec.originalLength;
  out.dataOffset = rec.dataOffset;
  out.comment = rec.comment;
  if (out instanceof ScratchPacket) out.locate(d, start, start + captured);
  else out.data = d.subarray(start, start + captured);
  if (out.vlanIds.length !== 0) out.vlanIds.length = 0;
  out.ipVersion = 0;
  clearAddress(out.srcAddr);
  clearAddress(out.dstAddr);
  out.ttl = 0;
  out.ipTotalLength = 0;
  out.ipOffset = 0;
  out.tcp = null;
  out.notTcp = null;
  out.error = null;

  decodeLayers(d, start, end, reportedEnd, rec.linkType, out);
  if (start !== 0) toFrameOffsets(out, start);
}

/** Zeroes the four words of an address (TypedArray.fill is a slow runtime call for four words). */
function clearAddress(words: Uint32Array): void {
  words[0] = 0;
  words[1] = 0;
  words[2] = 0;
  words[3] = 0;
}

/** Turns the positions in the buffer that decoding left in `out` into offsets from the frame's first byte. */
function toFrameOffsets(out: DecodedPacket, start: number): void {
  if (out.ipVersion !== 0) out.ipOffset -= start;
  if (out.tcp !== null) out.tcp.payloadOffset -= start;
  // A DecodeError is made fresh for each damaged frame, so it is adjusted in place.
  if (out.error !== null) out.error.offset -= start;
}

/** Decodes the frame d[start, end) layer by layer into `out`, with positions in `d`. */
function decodeLayers(d: Uint8Array, start: number, end: number, reportedEnd: number, linkType: number, out: DecodedPacket): void {
  if (!decodeLink(d, start, end, linkType, out)) return;
  if (!decodeEtherTypes(d, end, out)) return;

  let ok: boolean;
  if (next.etherType === EtherType.IPV4) ok = decodeIpv4(d, next.offset, end, reportedEnd, out, ipPayload);
  else if (next.etherType === EtherType.IPV6) ok = decodeIpv6(d, next.offset, end, reportedEnd, out, ipPayload);
  else {
    out.notTcp = etherTypeReason(next.etherType);
    return;
  }
  if (!ok) return;
  if (ipPayload.protocol !== IpProtocol.TCP) {
    out.notTcp = ipProtocolReason(ipPayload.protocol);
    return;
  }

  const h = out instanceof ScratchPacket ? out.tcpHeader : newTcpHeader();
  out.tcp = decodeTcp(d, ipPayload.offset, ipPayload.capturedEnd, ipPayload.claimedLength, h, tcpError);
  if (out.tcp === null) out.notTcp = 'truncated TCP header';
  if (tcpError[0] !== null && out.error === null) out.error = tcpError[0];
}

function decodeLink(d: Uint8Array, start: number, end: number, linkType: number, out: DecodedPacket): boolean {
  switch (linkType) {
    case LinkType.ETHERNET:
      return decodeEthernet(d, start, end, out, next);
    case LinkType.LINUX_SLL:
      return decodeSll(d, start, end, out, next);
    case LinkType.LINUX_SLL2:
      return decodeSll2(d, start, end, out, next);
    case LinkType.NULL:
      return decodeLoopback(d, start, end, false, out, next);
    case LinkType.LOOP:
      return decodeLoopback(d, start, end, true, out, next);
    case LinkType.RAW:
    case LinkType.RAW_BSDOS:
    case LinkType.RAW_OPENBSD:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return decodeRawIp(d, start, end, linkType, out, next);
    default:
      out.notTcp = `unknown link type ${linkType}`;
      return false;
  }
}

/** Peels VLAN tags (any depth) and a PPPoE session header until an IP EtherType remains. */
function decodeEtherTypes(d: Uint8Array, end: number, out: DecodedPacket): boolean {
  for (;;) {
    if (isVlanTpid(next.etherType)) {
      if (!decodeVlanTag(d, end, out, next)) return false;
    } else if (next.etherType === EtherType.PPPOE_SESSION) {
      if (!decodePppoeSession(d, end, out, next)) return false;
    } else {
      return true;
    }
  }
}
