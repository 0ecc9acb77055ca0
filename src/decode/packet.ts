// Frame dispatcher: link layer by LINKTYPE_* value, then VLAN tags / PPPoE, IPv4 or IPv6 with
// its extension headers, then TCP. Fills one reused DecodedPacket per call and never throws
// for bad packet data: problems land in `error`, reasons for skipping in `notTcp`.

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

/** Scratch TCP header kept on each packet made by newDecodedPacket. */
const TCP_SCRATCH = Symbol('tcpScratch');
type ScratchPacket = DecodedPacket & { [TCP_SCRATCH]?: TcpHeader };

// Hand-off records between layers: decoding is synchronous, so one of each serves every call.
const next: NextLayer = { etherType: 0, offset: 0 };
const ipPayload: IpPayload = { protocol: 0, offset: 0, capturedEnd: 0, claimedLength: 0 };
const tcpError: [DecodeError | null] = [null];

/** A blank packet for decodePacket to fill; make one per reader and reuse it. */
export function newDecodedPacket(): DecodedPacket {
  const p: ScratchPacket = {
    frame: 0,
    tsSec: 0,
    tsNsec: 0,
    tsPrecision: 0,
    interfaceId: 0,
    linkType: 0,
    capturedLength: 0,
    originalLength: 0,
    dataOffset: 0,
    comment: null,
    data: new Uint8Array(0),
    vlanIds: [],
    ipVersion: 0,
    srcAddr: new Uint32Array(4),
    dstAddr: new Uint32Array(4),
    ttl: 0,
    ipOffset: 0,
    tcp: null,
    notTcp: null,
    error: null,
  };
  p[TCP_SCRATCH] = newTcpHeader();
  return p;
}

/**
 * Decodes one captured frame into `out`, resetting every field first. `out.tcp` (when set) is
 * a scratch header reused by the next call: copy what must outlive the callback.
 * The record's trailing `fcsLength` bytes are not part of any layer.
 */
export function decodePacket(rec: CaptureRecord, out: DecodedPacket): void {
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
  out.data = rec.data;
  if (out.vlanIds.length !== 0) out.vlanIds.length = 0;
  out.ipVersion = 0;
  out.srcAddr.fill(0);
  out.dstAddr.fill(0);
  out.ttl = 0;
  out.ipOffset = 0;
  out.tcp = null;
  out.notTcp = null;
  out.error = null;

  const d = rec.data;
  const fcs = Math.max(0, rec.fcsLength);
  // Bytes we may read: the captured bytes, less an FCS only if the capture kept it whole.
  const captured = Math.min(rec.capturedLength, d.length);
  const end = Math.max(0, rec.originalLength <= captured ? captured - fcs : captured);
  // Where the frame ends on the wire (without FCS): bounds IPv4 TSO / IPv6 jumbo lengths.
  const reportedEnd = Math.max(end, rec.originalLength - fcs);

  if (!decodeLink(d, end, rec.linkType, out)) return;
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

  const scratch = out as ScratchPacket;
  const h = (scratch[TCP_SCRATCH] ??= newTcpHeader());
  out.tcp = decodeTcp(d, ipPayload.offset, ipPayload.capturedEnd, ipPayload.claimedLength, h, tcpError);
  if (out.tcp === null) out.notTcp = 'truncated TCP header';
  if (tcpError[0] !== null && out.error === null) out.error = tcpError[0];
}

function decodeLink(d: Uint8Array, end: number, linkType: number, out: DecodedPacket): boolean {
  switch (linkType) {
    case LinkType.ETHERNET:
      return decodeEthernet(d, end, out, next);
    case LinkType.LINUX_SLL:
      return decodeSll(d, end, out, next);
    case LinkType.LINUX_SLL2:
      return decodeSll2(d, end, out, next);
    case LinkType.NULL:
      return decodeLoopback(d, end, false, out, next);
    case LinkType.LOOP:
      return decodeLoopback(d, end, true, out, next);
    case LinkType.RAW:
    case LinkType.RAW_BSDOS:
    case LinkType.RAW_OPENBSD:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return decodeRawIp(d, end, linkType, out, next);
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
