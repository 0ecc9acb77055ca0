// Zeek-compatible connection summary: the `conn_state`, `history`, byte and packet counts that
// Zeek's conn.log prints for one TCP connection. It replays, per segment, what Zeek's TCP
// analyzer does (packet_analysis/protocol/tcp/TCPSessionAdapter.cc, analyzer/protocol/tcp/
// TCP_Endpoint.cc and TCP_Reassembler.cc, Conn.cc) and derives conn_state exactly as
// scripts/base/protocols/conn/main.zeek does, from the two endpoint states alone.
//
// Zeek keeps its own per-endpoint states, which are not RFC 9293's: INACTIVE, SYN_SENT,
// SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET. They live here and nowhere else.
//
// Limitations (where this differs from running Zeek on the same packets):
// - One ZeekConn is one Zeek connection. Zeek also ends a connection on timers (attempt 5 s,
//   close/reset linger 5 s, inactivity 5 min) and on SYN-based port reuse, and then starts a new
//   one for the next packet; the flow tracker decides where flows split, not this module.
// - The originator heuristic needs Zeek's `likely_server_ports`, which depends on the scripts
//   loaded; ZEEK_LIKELY_SERVER_PORTS approximates a default install and can be replaced.
// - Content gaps (history g/G, missed_bytes) come from a model of Zeek's reassembler that
//   tracks only which sequence ranges arrived, up to MAX_HOLES out-of-order ranges per side;
//   beyond that the highest range is forgotten (Zeek keeps all of them).
// - `duration` treats an endpoint as closed as soon as its FIN/RST is seen; Zeek defers the
//   close while reassembled data is still pending, which can extend duration slightly.
// - Checksums are checked only when the frame bytes are present and the segment fully
//   captured (as Zeek: caplen ≥ len). For IPv6 with a routing header Zeek uses the final
//   destination; we use the header's destination address.
// - history is capped at MAX_HISTORY letters (Zeek's is unbounded: S/H/F/R repeat whenever a
//   new sequence number is seen).

import type { DecodedPacket } from '../decode/types.js';
import { TcpFlag } from '../decode/types.js';
import { seqDiff } from './seq.js';
import type { FlowSegment, Side } from './types.js';

/** Zeek's endpoint states (TCP_Endpoint.h `EndpointState`), as conn.log's script sees them. */
export type ZeekEndpointState =
  | 'INACTIVE'
  | 'SYN_SENT'
  | 'SYN_ACK_SENT'
  | 'PARTIAL'
  | 'ESTABLISHED'
  | 'CLOSED'
  | 'RESET';

const INACTIVE = 0;
const SYN_SENT = 1;
const SYN_ACK_SENT = 2;
const PARTIAL = 3;
const ESTABLISHED = 4;
const CLOSED = 5;
const RESET = 6;
type StateCode = 0 | 1 | 2 | 3 | 4 | 5 | 6;

const STATE_NAMES: readonly ZeekEndpointState[] = [
  'INACTIVE',
  'SYN_SENT',
  'SYN_ACK_SENT',
  'PARTIAL',
  'ESTABLISHED',
  'CLOSED',
  'RESET',
];

// Connection::CheckHistory masks (TCP_Endpoint.h HIST_*); the responder's are shifted by 16.
const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10;
const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;

// Scaled (logarithmic) history entries: Connection::ScaledHistoryEntry, base 10.
const SCALED_CHECKSUM = 0;
const SCALED_RXMIT = 1;
const SCALED_WIN0 = 2;
const SCALED_GAP = 3;
const SCALED_LETTERS = ['C', 'T', 'W', 'G'] as const;

/**
 * The responder's history letter for each of the originator's: Zeek writes the responder's in
 * lower case. A table rather than toLowerCase(), which makes a new string at every call.
 */
const RESPONDER_LETTER: Readonly<Record<string, string>> = {
  S: 's', H: 'h', A: 'a', D: 'd', F: 'f', R: 'r', I: 'i', Q: 'q', C: 'c', T: 't', W: 'w', G: 'g',
};

/** The history letter for a packet of the originator (as given) or of the responder. */
function historyLetter(isOrig: boolean, code: string): string {
  return isOrig ? code : RESPONDER_LETTER[code]!;
}
const SCALING_BASE = 10;

/** TCPSessionAdapter.cc TOO_LARGE_SEQ_DELTA: SYN/RST sequence jumps Zeek refuses to trust. */
const TOO_LARGE_SEQ_DELTA = 1048576;
/** init-bare.zeek defaults the reassembler model uses. */
const TCP_MAX_INITIAL_WINDOW = 16384;
const TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS = 16384;
const TCP_EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS = 10 * 1024 * 1024;

/** Out-of-order sequence ranges remembered per side (see Limitations). */
export const MAX_HOLES = 32;
/** Longest history kept (see Limitations). */
export const MAX_HISTORY = 1024;

const TWO_32 = 0x1_0000_0000;

/**
 * TCP ports Zeek treats as likely servers when a connection's first packet is not a plain SYN
 * (TCPAnalyzer::WantConnection). Zeek builds `likely_server_ports` from the analyzers its loaded
 * scripts register; this is the TCP part of that set for a default `zeek` (base/ scripts).
 */
export const ZEEK_LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 2811, // FTP, GridFTP
  22, // SSH
  25, 587, // SMTP
  53, // DNS over TCP
  79, // Finger
  80, 81, 631, 1080, 3128, 8000, 8080, 8888, // HTTP
  88, // Kerberos
  110, // POP3
  135, // DCE/RPC endpoint mapper
  139, 445, // SMB
  143, // IMAP
  389, 3268, // LDAP
  443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // SSL/TLS
  502, // Modbus
  1883, // MQTT
  3306, // MySQL
  3389, // RDP
  5222, 5269, // XMPP
  5432, // PostgreSQL
  6379, // Redis
  6666, 6667, 6668, 6669, // IRC
  20000, // DNP3
]);

export interface ZeekConnOptions {
  /**
   * Skip TCP checksum validation, as `zeek -C` does. Default false: like a plain `zeek -r`, a
   * fully captured segment with a bad checksum is dropped and logged as history C/c.
   */
  ignoreChecksums?: boolean;
  /** Replaces ZEEK_LIKELY_SERVER_PORTS for the originator heuristic. */
  likelyServerPorts?: ReadonlySet<number>;
}

/** One conn.log row's TCP-derived fields. Byte/duration fields are null where Zeek logs '-'. */
export interface ZeekConnResult {
  conn_state: string;
  history: string;
  /** Which flow side Zeek calls the originator (id.orig_h/orig_p). */
  orig: Side;
  /** Zeek swapped the roles (history contains '^'). */
  flipped: boolean;
  /** Seconds from the first to the last packet Zeek counts; null when 0 (logged '-'). */
  duration: number | null;
  /** Payload bytes from sequence numbers (TCP_Endpoint::Size); null when duration is null. */
  orig_bytes: number | null;
  resp_bytes: number | null;
  /** Bytes in content gaps, both directions (conn/main.zeek content_gap handler). */
  missed_bytes: number;
  orig_pkts: number;
  resp_pkts: number;
  /** IP-level bytes (IP total length) per direction, as the ConnSize analyzer counts them. */
  orig_ip_bytes: number;
  resp_ip_bytes: number;
  orig_state: ZeekEndpointState;
  resp_state: ZeekEndpointState;
}

/**
 * conn/main.zeek `conn_state()` for TCP: the code from the final endpoint states, sizes and
 * history. Exported so each code can be checked on its own.
 */
export function zeekConnState(
  os: ZeekEndpointState,
  rs: ZeekEndpointState,
  origSize: number,
  respSize: number,
  history: string,
): string {
  const oInactive = os === 'INACTIVE' || os === 'PARTIAL';
  const rInactive = rs === 'INACTIVE' || rs === 'PARTIAL';
  if (rs === 'RESET') {
    if (os === 'SYN_SENT' || os === 'SYN_ACK_SENT' || (os === 'RESET' && origSize === 0 && respSize === 0)) {
      return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === 'RESET') {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === 'CLOSED' && os === 'CLOSED') return 'SF';
  if (os === 'CLOSED') return rInactive ? 'SH' : 'S2';
  if (rs === 'CLOSED') return oInactive ? 'SHR' : 'S3';
  if (os === 'SYN_SENT' && rs === 'INACTIVE') return 'S0';
  if (os === 'ESTABLISHED' && rs === 'ESTABLISHED') return 'S1';
  return 'OTH';
}

/**
 * One side of the connection: TCP_Endpoint plus its TCP_Reassembler's bookkeeping. A flow holds
 * two for its whole life, so they are kept small: the raw 32-bit sequence numbers are stored as
 * int32 (`| 0`, kept inline by V8, where a uint32 above 2^31 would be a separate heap number)
 * and read back unsigned through getters, and the scaled-history counters are plain fields.
 */
class Endpoint {
  state: StateCode = INACTIVE;
  prevState: StateCode = INACTIVE;
  private start32 = 0;
  private last32 = 0;
  private ack32 = 0;
  seqWraps = 0;
  ackWraps = 0;
  finCount = 0;
  finSeq = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  /** ScaledHistoryEntry counters (TCP_Endpoint chk_cnt, rxmt_cnt, win0_cnt, gap_cnt). */
  private chkCnt = 0;
  private rxmtCnt = 0;
  private win0Cnt = 0;
  private gapCnt = 0;
  pkts = 0;
  ipBytes = 0;

  // TCP_Reassembler model, in Zeek's relative sequence space (the first data octet is 1).
  /** Everything below this has been delivered or given up on (last_reassem_seq). */
  lastReassem = 1;
  /** Data below this is dropped on arrival (trim_seq). */
  trimSeq = 1;
  /** Out-of-order ranges above lastReassem: [start0, end0, start1, end1, ...], sorted, disjoint. */
  holes: number[] | null = null;
  skipDeliveries = false;

  setState(s: StateCode): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  /** Always a 32-bit value: Zeek initialises it from uint32 arithmetic. */
  get startSeq(): number {
    return this.start32 >>> 0;
  }

  /** One past the highest sequence number sent, raw 32-bit. */
  get lastSeq(): number {
    return this.last32 >>> 0;
  }

  /** Highest acknowledgement the peer sent for this side's data, raw 32-bit. */
  get ackSeq(): number {
    return this.ack32 >>> 0;
  }

  initSeqs(start: number, last: number): void {
    this.start32 = start | 0;
    this.ack32 = start | 0;
    this.last32 = last | 0;
  }

  /** Counts one more occurrence of a SCALED_* history entry; returns the new count. */
  countScaled(kind: number): number {
    switch (kind) {
      case SCALED_CHECKSUM:
        return ++this.chkCnt;
      case SCALED_RXMIT:
        return ++this.rxmtCnt;
      case SCALED_WIN0:
        return ++this.win0Cnt;
      default:
        return ++this.gapCnt;
    }
  }

  /** TCP_Endpoint::ToRelativeSeqSpace. */
  toRelative(seq: number, wraps: number): number {
    return wraps * TWO_32 + seq - this.startSeq;
  }

  updateLastSeq(seq: number): void {
    if (seq < this.lastSeq) this.seqWraps++;
    this.last32 = seq | 0;
  }

  updateAckSeq(seq: number): void {
    if (seq < this.ackSeq) this.ackWraps++;
    this.ack32 = seq | 0;
  }

  /** TCP_Endpoint::NoDataAcked: at most the SYN octet has been acknowledged. */
  noDataAcked(): boolean {
    const ack = this.ackWraps * TWO_32 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /** TCP_Endpoint::Size: payload octets from sequence numbers, SYN and FIN octets excluded. */
  size(peer: Endpoint): number {
    if (this.prevState === SYN_SENT && this.state === RESET && peer.state === INACTIVE && !this.noDataAcked()) {
      return 0; // a half-open connection discovered and aborted
    }
    const last = this.seqWraps * TWO_32 + this.lastSeq;
    const ack = this.ackWraps * TWO_32 + this.ackSeq;
    // Zeek's uint64 would wrap below zero; only an untrustworthy RST can get here.
    let size = Math.max(0, (last > ack ? last : ack) - this.startSeq);
    if (size !== 0) size--;
    if (this.finCount > 0 && size !== 0) size--;
    return size;
  }

  /** Bytes the reassembler still holds above the delivery point (NumUndeliveredBytes). */
  undeliveredBytes(): number {
    const h = this.holes;
    return h === null || h.length === 0 ? 0 : h[h.length - 1]! - this.lastReassem;
  }

  /** Approximate block_list.DataSize(): delivered-but-unacked plus out-of-order bytes. */
  bufferedBytes(): number {
    let n = Math.max(0, this.lastReassem - this.trimSeq);
    const h = this.holes;
    if (h !== null) for (let i = 0; i < h.length; i += 2) n += h[i + 1]! - h[i]!;
    return n;
  }

  /** Adds [start, end) to the out-of-order list, merging overlaps; start > lastReassem. */
  insertHole(start: number, end: number): void {
    const h = (this.holes ??= []);
    let i = 0;
    while (i < h.length && h[i + 1]! < start) i += 2;
    let j = i;
    while (j < h.length && h[j]! <= end) {
      if (h[j]! < start) start = h[j]!;
      if (h[j + 1]! > end) end = h[j + 1]!;
      j += 2;
    }
    // Replace h[i..j) with the merged range, in place (splice would allocate its result).
    const removed = j - i;
    if (removed === 0) {
      h.length += 2;
      for (let k = h.length - 1; k >= i + 2; k--) h[k] = h[k - 2]!;
    } else if (removed > 2) {
      for (let k = i + 2; k + removed - 2 < h.length; k++) h[k] = h[k + removed - 2]!;
      h.length -= removed - 2;
    }
    h[i] = start;
    h[i + 1] = end;
    if (h.length > 2 * MAX_HOLES) h.length = 2 * MAX_HOLES;
  }

  /** Drops the first n entries of the out-of-order list, in place. */
  dropHoles(n: number): void {
    const h = this.holes!;
    for (let k = n; k < h.length; k++) h[k - n] = h[k]!;
    h.length -= n;
  }

  /** Advances the delivery point over out-of-order ranges it now reaches (BlockInserted). */
  deliverContiguous(): void {
    const h = this.holes;
    if (h === null) return;
    let n = 0;
    while (n < h.length && h[n]! <= this.lastReassem) {
      if (h[n + 1]! > this.lastReassem) this.lastReassem = h[n + 1]!;
      n += 2;
    }
    if (n > 0) this.dropHoles(n);
  }
}

/**
 * Zeek's view of one TCP connection. Feed every segment of the flow in capture order with
 * onSegment(); read result() at the end (what conn.log prints when the connection is removed).
 */
export class ZeekConn {
  // The endpoints by flow side (two fields rather than an array: one object less per flow).
  private readonly ep0 = new Endpoint();
  private readonly ep1 = new Endpoint();
  /** Flow side Zeek currently calls the originator. */
  private origSide: Side = 0;
  private flips = 0;
  private started = false;
  private history = '';
  private histSeen = 0;
  private isPartial = false;
  /** Bit 0: originator's first packet seen, bit 1: responder's (TCPSessionAdapter first_packet_seen). */
  private firstPacketSeen = 0;
  private missedBytes = 0;
  private startSec = 0;
  private startNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  private readonly ignoreChecksums: boolean;
  private readonly likelyServerPorts: ReadonlySet<number>;

  constructor(opts: ZeekConnOptions = {}) {
    this.ignoreChecksums = opts.ignoreChecksums ?? false;
    this.likelyServerPorts = opts.likelyServerPorts ?? ZEEK_LIKELY_SERVER_PORTS;
  }

  private endpoint(side: number): Endpoint {
    return side === 0 ? this.ep0 : this.ep1;
  }

  onSegment(seg: FlowSegment): void {
    const { pkt, tcp } = seg;
    const flags = tcp.flags;
    if (!this.started) this.newConnection(seg);

    // TCPAnalyzer::ExtractTCP_Header: a header cut short by the snaplen is dropped uncounted.
    if (pkt.capturedLength < tcp.payloadOffset) return;

    const isOrig = seg.side === this.origSide;
    const endpoint = this.endpoint(seg.side);
    const peer = this.endpoint(seg.side ^ 1);
    const len = tcp.payloadLength;
    const caplen = tcp.payloadCaptured;

    // TCPAnalyzer::ValidateChecksum: only fully captured segments are checked; a bad one is
    // recorded as C/c and goes no further (not even into the packet counts).
    if (!this.ignoreChecksums && caplen >= len && tcpChecksumValid(pkt) === false) {
      this.scaledEntry(endpoint, isOrig, SCALED_CHECKSUM);
      return;
    }

    this.setPartialStatus(flags, isOrig);

    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    const baseSeq = tcp.seq >>> 0;
    const ackSeq = tcp.ack >>> 0;
    // get_segment_len: SYN and FIN take one octet each; a RST's payload is not stream data.
    const segLen = rst ? (syn ? 1 : 0) + (fin ? 1 : 0) : len + (syn ? 1 : 0) + (fin ? 1 : 0);
    const seqOnePast = (baseSeq + segLen) >>> 0;

    initEndpoint(endpoint, flags, baseSeq, seqOnePast);

    const rs = relativeSeq(endpoint, baseSeq, endpoint.lastSeq, endpoint.seqWraps);
    const seqUnderflow = rs.underflow;
    const relSeq = rs.rel;

    this.updateHistory(flags, endpoint, isOrig, relSeq, len);

    // update_window: only the zero-window history entry matters here (W/w). A 16-bit window
    // shifted by at most 14 is zero only when the raw field is zero.
    if (tcp.window === 0 && !rst && peer.state !== CLOSED && endpoint.state !== RESET) {
      this.scaledEntry(endpoint, isOrig, SCALED_WIN0);
    }

    if (!this.ep0.didClose || !this.ep1.didClose) {
      this.lastSec = pkt.tsSec;
      this.lastNsec = pkt.tsNsec;
    }

    if (fin) {
      endpoint.finCount++;
      endpoint.finSeq = relSeq + segLen;
    }

    let relAck = 0;
    if (ack) {
      if (peer.state === INACTIVE) {
        // init_peer: number the peer as though its SYN had been seen.
        relAck = 1;
        peer.initSeqs(ackSeq - 1, ackSeq - 1);
      } else {
        const r = relativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps);
        if (r.underflow) relAck = 0;
        else {
          relAck = r.rel;
          // update_ack_seq; ACKs on RSTs are not trusted.
          if (!rst) {
            const delta = seqDiff(ackSeq, peer.ackSeq);
            if (!(ackSeq === 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0) peer.updateAckSeq(ackSeq);
          }
        }
      }
    }

    this.updateLastSeq(endpoint, isOrig, seqOnePast, flags, len);

    const doClose = this.updateStateMachine(endpoint, peer, isOrig, baseSeq, len, flags);
    // A SYN/SYN-ACK reversal may have flipped the roles mid-packet; Zeek keeps using the
    // packet's original is_orig for the rest of it (CheckPIA_FirstPacket, ConnSize).

    if (ack) this.ackReceived(peer, relAck);

    this.firstPacketSeen |= isOrig ? 1 : 2;

    // TCP_Endpoint::DataSent → TCP_Reassembler::DataSent (data on a RST is not stream data).
    if (len > 0 && !rst && !seqUnderflow && caplen >= len) {
      this.dataSent(endpoint, syn ? relSeq + 1 : relSeq, len);
    }

    if (doClose) endpoint.didClose = true;

    // ConnSize analyzer: counted under the role the packet had when it arrived.
    const counted = this.endpoint(isOrig ? this.origSide : this.origSide ^ 1);
    counted.pkts++;
    counted.ipBytes += ipTotalLength(pkt);
  }

  result(): ZeekConnResult {
    const o = this.endpoint(this.origSide);
    const r = this.endpoint(this.origSide ^ 1);
    const duration = this.lastSec - this.startSec + (this.lastNsec - this.startNsec) / 1e9;
    const origSize = o.size(r);
    const respSize = r.size(o);
    const os = STATE_NAMES[o.state]!;
    const rs = STATE_NAMES[r.state]!;
    return {
      conn_state: zeekConnState(os, rs, origSize, respSize, this.history),
      history: this.history,
      orig: this.origSide,
      flipped: this.flips % 2 === 1,
      duration: duration > 0 ? duration : null,
      orig_bytes: duration > 0 ? origSize : null,
      resp_bytes: duration > 0 ? respSize : null,
      missed_bytes: this.missedBytes,
      orig_pkts: o.pkts,
      resp_pkts: r.pkts,
      orig_ip_bytes: o.ipBytes,
      resp_ip_bytes: r.ipBytes,
      orig_state: os,
      resp_state: rs,
    };
  }

  /** IPBasedAnalyzer::NewConn + TCPAnalyzer::WantConnection: pick the originator. */
  private newConnection(seg: FlowSegment): void {
    this.started = true;
    this.startSec = this.lastSec = seg.pkt.tsSec;
    this.startNsec = this.lastNsec = seg.pkt.tsNsec;
    const flags = seg.tcp.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    this.origSide = seg.side;
    if (!syn || ack) {
      // A partial connection (no SYN, or a SYN-ACK): guess the responder from the ports.
      const src = seg.tcp.srcPort;
      const dst = seg.tcp.dstPort;
      if (this.likelyServerPorts.has(src)) {
        // Both plausible: flip only if this is not a SYN-ACK (stealth scans) and dst > src.
        const flip = this.likelyServerPorts.has(dst) ? !syn && src < dst : true;
        if (flip) this.flipRoles();
      }
    }
  }

  /** Connection::FlipRoles + TCPSessionAdapter::FlipRoles. hist_seen is not swapped. */
  private flipRoles(): void {
    this.origSide = (this.origSide ^ 1) as Side;
    this.flips++;
    this.firstPacketSeen = ((this.firstPacketSeen & 1) << 1) | ((this.firstPacketSeen & 2) >> 1);
    this.isPartial = false;
    this.addHistory('^');
  }

  /** TCPSessionAdapter::SetPartialStatus. */
  private setPartialStatus(flags: number, isOrig: boolean): void {
    const syn = (flags & TcpFlag.SYN) !== 0;
    if (isOrig) {
      if ((this.firstPacketSeen & 1) === 0) this.isPartial = !syn || (flags & TcpFlag.ACK) !== 0;
    } else if ((this.firstPacketSeen & 2) === 0 && !this.isPartial) {
      this.isPartial = !syn;
    }
  }

  private addHistory(code: string): void {
    if (this.history.length < MAX_HISTORY) this.history += code;
  }

  /** Connection::CheckHistory via TCP_Endpoint: true if already seen, else records it. */
  private checkHistory(isOrig: boolean, mask: number, code: string): boolean {
    const m = isOrig ? mask : mask << 16;
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.addHistory(historyLetter(isOrig, code));
      return false;
    }
    return true;
  }

  /**
   * Connection::ScaledHistoryEntry: logged at the 1st, 10th, 100th... occurrence (Zeek's
   * threshold starts at 1 and is multiplied by the base each time the count reaches it).
   */
  private scaledEntry(endpoint: Endpoint, isOrig: boolean, kind: number): void {
    let count = endpoint.countScaled(kind);
    while (count % SCALING_BASE === 0) count /= SCALING_BASE;
    if (count === 1) {
      const letter = SCALED_LETTERS[kind]!;
      this.addHistory(historyLetter(isOrig, letter));
    }
  }

  /** TCPSessionAdapter.cc update_history. */
  private updateHistory(flags: number, endpoint: Endpoint, isOrig: boolean, relSeq: number, len: number): void {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.checkHistory(isOrig, HIST_FIN_RST_PKT, 'I');
      else this.checkHistory(isOrig, HIST_MULTI_FLAG_PKT, 'Q');
    } else if (bits === 1) {
      // S, H, F, R: once, and again whenever the control packet's sequence number differs.
      if (syn) {
        const code = (flags & TcpFlag.ACK) !== 0 ? 'H' : 'S';
        if (this.checkHistory(isOrig, HIST_SYN_PKT, code) && relSeq !== endpoint.histLastSyn) {
          this.addHistory(historyLetter(isOrig, code));
        }
        endpoint.histLastSyn = relSeq;
      }
      if (fin) {
        // A FIN's sequence number is taken after its data.
        if (this.checkHistory(isOrig, HIST_FIN_PKT, 'F') && relSeq + len !== endpoint.histLastFin) {
          this.addHistory(isOrig ? 'F' : 'f');
        }
        endpoint.histLastFin = relSeq + len;
      }
      if (rst) {
        if (this.checkHistory(isOrig, HIST_RST_PKT, 'R') && relSeq !== endpoint.histLastRst) {
          this.addHistory(isOrig ? 'R' : 'r');
        }
        endpoint.histLastRst = relSeq;
      }
    } else if (len > 0) {
      this.checkHistory(isOrig, HIST_DATA_PKT, 'D');
    } else if ((flags & TcpFlag.ACK) !== 0) {
      this.checkHistory(isOrig, HIST_ACK_PKT, 'A');
    }
  }

  /** TCPSessionAdapter.cc update_last_seq (its return value only feeds a weird). */
  private updateLastSeq(endpoint: Endpoint, isOrig: boolean, lastSeq: number, flags: number, len: number): void {
    const deltaLast = seqDiff(lastSeq, endpoint.lastSeq);
    if ((flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0 && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // An outlandish SYN/RST sequence number is not trusted.
    } else if ((flags & TcpFlag.FIN) !== 0 && endpoint.lastSeq === ((endpoint.startSeq + 1) >>> 0)) {
      // Only the SYN and the FIN seen: believe the FIN even if it looks old (> 2 GB flows).
      endpoint.updateLastSeq(lastSeq);
    } else if (endpoint.state === RESET) {
      // Nothing after a RST is trusted.
    } else if (deltaLast > 0) {
      endpoint.updateLastSeq(lastSeq);
    } else if (len > 0) {
      this.scaledEntry(endpoint, isOrig, SCALED_RXMIT); // payload at or below last_seq: T/t
    }
  }

  /**
   * TCPSessionAdapter::UpdateStateMachine and its Update*State helpers. Returns do_close.
   * Weird-only branches are left out; every state change is kept.
   */
  private updateStateMachine(
    endpoint: Endpoint,
    peer: Endpoint,
    isOrig: boolean,
    baseSeq: number,
    len: number,
    flags: number,
  ): boolean {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    let doClose = false;

    switch (endpoint.state) {
      case INACTIVE: {
        if (syn) {
          if (isOrig) {
            // Originator's SYN (or, oddly, SYN-ACK).
            endpoint.setState(ack ? SYN_ACK_SENT : SYN_SENT);
          } else {
            if (!ack && peer.state === SYN_ACK_SENT && baseSeq === endpoint.startSeq) {
              // SYN/SYN-ACK reversal (e.g. two capture interfaces): flip and establish.
              this.isPartial = false;
              this.flipRoles();
              peer.setState(ESTABLISHED);
              this.firstPacketSeen |= 1;
            }
            if (peer.state === SYN_SENT) peer.setState(ESTABLISHED);
            endpoint.setState(ESTABLISHED);
          }
        }
        if (fin) {
          endpoint.setState(CLOSED);
          doClose = true;
        }
        if (rst) {
          endpoint.setState(RESET);
          doClose = true;
        }
        if (endpoint.state === INACTIVE) {
          // No control flag changed the state.
          const origEp = this.endpoint(this.origSide);
          if (!isOrig && len === 0 && origEp.state === SYN_SENT) {
            // Some stacks ACK a SYN before answering it: not a partial connection.
          } else if (ack && peer.state === ESTABLISHED) {
            // The SYN was missed but the SYN-ACK seen: establish rather than go partial.
            endpoint.setState(ESTABLISHED);
            this.isPartial = false;
            this.firstPacketSeen |= isOrig ? 1 : 2;
          } else {
            endpoint.setState(PARTIAL);
          }
        }
        break;
      }
      case SYN_SENT:
      case SYN_ACK_SENT: {
        if (fin) {
          endpoint.setState(CLOSED);
          doClose = true;
        }
        if (rst) {
          endpoint.setState(RESET);
          doClose = true;
        }
        break;
      }
      case ESTABLISHED:
      case PARTIAL: {
        if (syn && endpoint.state === PARTIAL && peer.state === INACTIVE && !ack) {
          endpoint.setState(SYN_SENT); // SYN_after_partial
        }
        if (fin && !rst) {
          endpoint.setState(CLOSED);
          // The peer's FIN then RST was a normal close after all.
          if (peer.state === RESET && peer.prevState === CLOSED) peer.setState(CLOSED);
          doClose = true;
        }
        if (rst) {
          endpoint.setState(RESET);
          doClose = true;
        }
        break;
      }
      case CLOSED: {
        // After a FIN exchange a RST does not change our state.
        if (rst && peer.state !== CLOSED) {
          endpoint.setState(RESET);
          if (!endpoint.didClose) doClose = true;
        }
        break;
      }
      case RESET:
        break;
    }
    return doClose;
  }

  /** TCP_Reassembler::AckReceived for `endpoint`'s data, acknowledged up to relative `seq`. */
  private ackReceived(endpoint: Endpoint, relAck: number): void {
    let seq = relAck;
    if (endpoint.finCount > 0 && seq >= endpoint.finSeq) seq = endpoint.finSeq - 1;
    if (seq <= endpoint.trimSeq) return;
    // DataBlockList::Trim → TCP_Reassembler::Undelivered when the ACK passes undelivered data.
    if (seq > endpoint.lastReassem) {
      if (seq <= 2 && this.isPartial) {
        // Zeek's faked partial-connection SYN octet (or a keep-alive's): ignored, and
        // last_reassem_seq is left where it was (TCP_Reassembler::Undelivered).
      } else {
        if (!endpoint.skipDeliveries) {
          const h = endpoint.holes;
          while (h !== null && h.length > 0 && h[0]! < seq) {
            this.gap(endpoint, h[0]! - endpoint.lastReassem);
            endpoint.lastReassem = h[1]!;
            endpoint.dropHoles(2);
          }
          if (seq > endpoint.lastReassem) this.gap(endpoint, seq - endpoint.lastReassem);
        }
        if (seq > endpoint.lastReassem) endpoint.lastReassem = seq;
      }
    }
    const h = endpoint.holes;
    if (h !== null) {
      let n = 0;
      while (n < h.length && h[n + 1]! <= seq) n += 2;
      if (n > 0) endpoint.dropHoles(n);
    }
    endpoint.trimSeq = seq;
  }

  /** TCP_Reassembler::Gap: G/g only while both sides are established or closing cleanly. */
  private gap(endpoint: Endpoint, len: number): void {
    const peer = endpoint === this.ep0 ? this.ep1 : this.ep0;
    if (isClean(endpoint) && isClean(peer)) {
      const isOrig = this.endpoint(this.origSide) === endpoint;
      this.scaledEntry(endpoint, isOrig, SCALED_GAP);
      this.missedBytes += len; // conn/main.zeek content_gap
    }
  }

  /** TCP_Reassembler::DataSent + Reassembler::NewBlock, tracking only sequence ranges. */
  private dataSent(endpoint: Endpoint, relSeq: number, len: number): void {
    if (endpoint.skipDeliveries) return;
    let seq = relSeq;
    const upper = seq + len;
    const acked = endpoint.toRelative(endpoint.ackSeq, endpoint.ackWraps);
    if (seq < acked) {
      if (upper <= acked) return; // delivered and acknowledged already
      seq = acked;
    }
    if (upper <= endpoint.trimSeq) return;
    if (seq < endpoint.trimSeq) seq = endpoint.trimSeq;
    if (upper > endpoint.lastReassem) {
      if (seq <= endpoint.lastReassem) {
        endpoint.lastReassem = upper;
        endpoint.deliverContiguous();
        // BlockInserted: nothing acked yet and a lot sent — stop holding delivered data.
        const peer = endpoint === this.ep0 ? this.ep1 : this.ep0;
        if (endpoint.noDataAcked() && endpoint.size(peer) > TCP_MAX_INITIAL_WINDOW) {
          if (endpoint.lastReassem > endpoint.trimSeq) endpoint.trimSeq = endpoint.lastReassem;
        }
      } else {
        endpoint.insertHole(seq, upper);
      }
    }
    if (
      (endpoint.noDataAcked() && endpoint.undeliveredBytes() > TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS) ||
      endpoint.bufferedBytes() > TCP_EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS
    ) {
      // above_hole_data_without_any_acks / excessive_data_without_further_acks
      endpoint.holes = null;
      endpoint.skipDeliveries = true;
    }
  }
}

/** TCP_Reassembler.cc is_clean. */
function isClean(e: Endpoint): boolean {
  return e.state === ESTABLISHED || (e.state === CLOSED && e.prevState === ESTABLISHED);
}

/** TCPSessionAdapter.cc init_endpoint: (re)initialise an endpoint's sequence numbers. */
function initEndpoint(endpoint: Endpoint, flags: number, firstSeq: number, lastSeq: number): void {
  const syn = (flags & TcpFlag.SYN) !== 0;
  switch (endpoint.state) {
    case INACTIVE:
      if (syn) endpoint.initSeqs(firstSeq, lastSeq);
      // Partial connection: number as though a SYN preceded this segment.
      else endpoint.initSeqs(firstSeq - 1, firstSeq);
      break;
    case SYN_SENT:
    case SYN_ACK_SENT:
      if (syn && firstSeq !== endpoint.startSeq) endpoint.initSeqs(firstSeq, lastSeq); // SYN_seq_jump
      break;
    case ESTABLISHED:
    case PARTIAL:
      // A SYN inside the connection: guess that this one really sets it up.
      if (syn) endpoint.initSeqs(firstSeq, lastSeq);
      break;
    case RESET:
      // Sequence numbers set from a (possibly spoofed) RST are replaced by a later SYN's.
      if (syn && endpoint.prevState === INACTIVE) endpoint.initSeqs(firstSeq, lastSeq);
      break;
    default:
      break;
  }
}

// Scratch result for relativeSeq (no allocation per segment).
const REL = { rel: 0, underflow: false };

/** TCPSessionAdapter::get_relative_seq: 64-bit relative sequence, following wraparounds. */
function relativeSeq(endpoint: Endpoint, cur: number, last: number, wraps: number): typeof REL {
  const delta = seqDiff(cur, last);
  if (delta < 0) {
    if (wraps > 0 && cur > last) wraps--; // part of the previous 32-bit space
  } else if (delta > 0) {
    if (cur < last) wraps++; // the sequence space wrapped
  }
  REL.underflow = false;
  if (wraps === 0) {
    const d = seqDiff(cur, endpoint.startSeq);
    REL.underflow = d < 0;
    REL.rel = d;
  } else {
    REL.rel = endpoint.toRelative(cur, wraps);
  }
  return REL;
}

/**
 * IP total length of the packet as Zeek's ConnSize counts it: IPv4 total length, IPv6 payload
 * length + 40. Falls back to header + payload lengths when the frame bytes are absent.
 */
export function ipTotalLength(pkt: DecodedPacket): number {
  // Decoded packets carry the header's value; reading it from `data` would make a view per packet.
  if (pkt.ipTotalLength !== undefined && pkt.ipVersion !== 0) return pkt.ipTotalLength;
  const d = pkt.data;
  const o = pkt.ipOffset;
  if (pkt.ipVersion === 4 && d.length >= o + 4) return (d[o + 2]! << 8) | d[o + 3]!;
  if (pkt.ipVersion === 6 && d.length >= o + 6) return ((d[o + 4]! << 8) | d[o + 5]!) + 40;
  const tcp = pkt.tcp;
  const l4 = tcp === null ? 0 : tcp.headerLength + tcp.payloadLength;
  return l4 + (pkt.ipVersion === 6 ? 40 : 20);
}

/**
 * Verifies the TCP checksum over the frame bytes (RFC 9293 §3.1 pseudo-header; RFC 8200 §8.1
 * for IPv6). Returns null when it cannot be checked: bytes absent or segment not fully captured.
 */
export function tcpChecksumValid(pkt: DecodedPacket): boolean | null {
  const tcp = pkt.tcp;
  if (tcp === null || pkt.ipVersion === 0) return null;
  const d = pkt.data;
  const start = tcp.payloadOffset - tcp.headerLength;
  const tcpLen = tcp.headerLength + tcp.payloadLength;
  if (start < 0 || d.length < start + tcpLen || tcpLen > 0xffff) return null;
  let sum = 0;
  const words = pkt.ipVersion === 4 ? 1 : 4;
  for (let i = 0; i < words; i++) {
    const s = pkt.srcAddr[i]!;
    const t = pkt.dstAddr[i]!;
    sum += (s >>> 16) + (s & 0xffff) + (t >>> 16) + (t & 0xffff);
  }
  sum += 6 + tcpLen; // protocol number and TCP length (IPv6's 32-bit length: upper half zero)
  const end = start + tcpLen;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (d[i]! << 8) | d[i + 1]!;
  if (i < end) sum += d[i]! << 8; // odd length: pad with a zero octet
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}
