// One TCP connection's life as both endpoints lived it: the RFC 9293 state of each endpoint,
// replayed segment by segment from a passive capture, plus how the connection opened (handshake)
// and closed (teardown). One Lifecycle per flow; the tracker feeds it every segment in capture
// order. State changes go through the table in states.ts and one `transition()`, which records
// the timeline every renderer draws from.
//
// Observer model. A segment changes its sender's state when it is sent and its receiver's state
// when it is received, and every captured segment is assumed delivered. Two RFC situations break
// "capture order = arrival order": crossed SYNs (simultaneous open, RFC 9293 §3.5 Figure 8) and
// crossed FINs (simultaneous close, §3.6 Figure 13). The evidence arrives one segment later (the
// peer's SYN carries no ACK; the peer's FIN does not acknowledge ours), and the receive-side
// transition already recorded for that peer is then re-read as happening after its own send
// (`uncross`). A refusal (SYN answered by RST, no SYN-ACK) is re-read the same way: the
// refusing host never had a listener (§3.10.7.1), so its LISTEN→SYN_RCVD is withdrawn.
//
// Limitations: sequence checks use what the capture shows (no SACK, no reassembly); a receive
// window is taken from the receiver's last advertised window (scaled once both SYNs are seen);
// segments missing from the capture are not guessed at beyond the "assumed" starting states.

import { TcpFlag } from '../decode/types.js';
import { negotiate, synOptions, MAX_WSCALE, type Negotiated, type SynOptions } from './handshake.js';
import { seqAdd, seqDiff, seqGE, seqGT, seqLE, seqLT, seqMax } from './seq.js';
import { EVENT_CAUSE, transitionFor, type TcpEvent } from './states.js';
import type { FlowSegment, Side, TcpState, Transition } from './types.js';

/**
 * Every anomaly name Lifecycle records, with its one-line meaning. Names are stable: they are
 * part of the JSON output. In each case the analysis goes on with the fallback stated.
 */
export const LIFECYCLE_ANOMALIES = {
  /** SYN-ACK or third ACK acknowledges something other than ISN+1 (§3.10.7.3/§3.10.7.4 fifth); the receiver does not advance. */
  handshake_ack_mismatch: 'handshake segment acknowledges something other than ISN+1',
  /** SYN from or to an endpoint that is already CLOSED/TIME_WAIT with the same ISN; ignored. */
  syn_after_close: 'SYN after the connection was closed',
  /** SYN or SYN-ACK with an ISN other than the first one seen from that endpoint (the tracker normally splits such flows); ignored. */
  syn_isn_changed: 'SYN with a different ISN from the same endpoint',
  /** FIN from an endpoint still in SYN_SENT (or without ACK before synchronisation); remembered for the teardown, no transition. */
  fin_before_handshake: 'FIN before the handshake completed',
  /** Payload without ACK from an endpoint in SYN_SENT, outside its SYN; no transition. */
  data_before_handshake: 'data before the handshake completed',
  /** RST whose sequence number is outside the receiver's window (RFC 9293 §3.10.7.4, RFC 5961 §3), or in SYN_SENT without an acceptable ACK (§3.10.7.3); the receiver ignores it. */
  rst_out_of_window: 'RST not acceptable to its receiver',
  /** Payload from an endpoint after it sent or accepted a RST (Zeek data_after_reset). Noted once per endpoint. */
  data_after_reset: 'data after the connection was reset',
  /** ACK beyond anything the other endpoint was seen to send (tshark ack_lost_segment). Noted once per direction. */
  ack_of_unseen_segment: 'ACK for data the capture never showed',
  /** SYN and RST set in one segment; treated as a RST (RST is checked first, §3.10.7.4). */
  invalid_flag_combination: 'SYN and RST in the same segment',
  /** Window scale shift above 14 (RFC 7323 §2.3: used as 14). */
  wscale_too_large: 'window scale shift above 14',
  /** An endpoint's timeline exceeded MAX_TRANSITIONS; later transitions are applied but not recorded. */
  timeline_truncated: 'too many transitions to record',
} as const;

export type LifecycleAnomalyName = keyof typeof LIFECYCLE_ANOMALIES;

export interface LifecycleAnomaly {
  name: LifecycleAnomalyName;
  frame: number;
  detail: string;
}

export type Role = 'client' | 'server';
export type HandshakeStatus = 'complete' | 'syn-only' | 'syn-synack' | 'refused' | 'simultaneous-open' | 'missing';
export type TeardownKind = 'four-way' | 'three-way' | 'simultaneous' | 'reset' | 'half-closed' | 'none';
export type Who = 'client' | 'server' | 'both' | null;

export interface HandshakeReport {
  status: HandshakeStatus;
  isn: { client: number | null; server: number | null };
  syn_retransmissions: number;
  synack_retransmissions: number;
  /**
   * Seconds, rounded to the nanosecond. syn_synack: first SYN-ACK minus the last client SYN
   * before it (the SYN it answers). synack_ack: the handshake-completing ACK minus the last
   * SYN-ACK before it. total: that ACK minus the same SYN, which is what Wireshark reports as
   * tcp.analysis.initial_rtt (it also measures from the most recent SYN).
   */
  rtt: { syn_synack: number | null; synack_ack: number | null; total: number | null };
  options: { client: SynOptions | null; server: SynOptions | null };
  negotiated: Negotiated;
}

export interface TeardownReport {
  kind: TeardownKind;
  initiator: Who;
  reset_by: Who;
  bytes_after_fin: number;
  time_wait: Who;
}

export interface LifecycleReport {
  client: Side;
  roles_inferred: boolean;
  handshake: HandshakeReport;
  teardown: TeardownReport;
  final_state: { client: TcpState; server: TcpState };
  transitions: { client: Transition[]; server: Transition[] };
  anomalies: LifecycleAnomaly[];
}

/** Counts that are not part of the report's JSON contract (yet). */
export interface LifecycleCounters {
  /** Payload bytes carried on the first SYN / SYN-ACK (TCP Fast Open, RFC 7413). */
  syn_data: { client: number; server: number };
  /** FIN segments re-sent with the same sequence number. */
  fin_retransmissions: { client: number; server: number };
  /** RST segments sent. */
  rst_segments: { client: number; server: number };
}

/** Bound on each endpoint's recorded timeline (the state machine itself is finite, but odd captures can cycle SYN_RCVD↔LISTEN). */
export const MAX_TRANSITIONS = 64;
/** Bound on recorded anomalies per flow. */
export const MAX_ANOMALIES = 64;
/** Largest unscaled window; used when the receiver never advertised one. */
const UNKNOWN_WINDOW = 0xffff;

/** Zeek-style role guess when no SYN says who opened: the well-known (< 1024), else the lower, port is the server. */
export function inferClientSide(side0SrcPort: number, side0DstPort: number): Side {
  const p0 = side0SrcPort;
  const p1 = side0DstPort;
  if (p1 < 1024 && p0 >= 1024) return 0;
  if (p0 < 1024 && p1 >= 1024) return 1;
  return p0 < p1 ? 1 : 0;
}

/** One endpoint's view: its state and the few numbers needed to judge segments (all O(1)). */
class Endpoint {
  state: TcpState;
  readonly timeline: Transition[] = [];
  /** Reached SYN_RCVD from LISTEN (RFC 9293 §3.10.7.4: an RST returns it to LISTEN). */
  passive = false;
  sentBareSyn = false;
  sentSynAck = false;
  /** Sent a SYN-ACK at some point (sentSynAck is cleared when a listener starts over). */
  everSentSynAck = false;
  hasIsn = false;
  /** An ISN was seen at some point (hasIsn is cleared when a listener starts over). */
  isnSeen = false;
  isn = 0;
  /** Bare SYNs / SYN-ACKs re-sent with the same ISN. */
  synRetransmissions = 0;
  synAckRetransmissions = 0;
  synData = 0;
  synFlags = 0;
  synAckFlags = 0;
  options: SynOptions | null = null;
  /** Time of the last SYN (client) or SYN-ACK (server) sent. */
  synSec = 0;
  synNsec = 0;
  /** Highest sequence number sent plus its length (SND.NXT as far as the capture shows). */
  hasNxt = false;
  nxt = 0;
  /** Highest acknowledgement sent (the endpoint's RCV.NXT as it told its peer). */
  hasAck = false;
  maxAck = 0;
  /** Last window advertised, in bytes (scaled once the shift is known). */
  hasWnd = false;
  wnd = 0;
  /** Window scale shift this endpoint applies to the windows it sends (0 unless negotiated). */
  shift = 0;
  finSent = false;
  finSeq = 0;
  finRetransmissions = 0;
  rstSegments = 0;
  /** Closed by a RST it sent or accepted. */
  reset = false;
  /** Sent a RST that aborted (not the answer to a stale SYN-ACK). */
  sentReset = false;
  enteredTimeWait = false;
  /** ACK value of the last unacceptable SYN-ACK this endpoint received in SYN_SENT. */
  hasBadSynAck = false;
  badSynAckAck = 0;
  noteDataAfterReset = true;
  noteUnseenAck = true;
  noteHandshakeAck = true;
  timelineFull = false;

  constructor(
    readonly role: Role,
    initial: TcpState,
  ) {
    this.state = initial;
  }

  /** Back in LISTEN after a RST (§3.10.7.4): the next SYN starts a new incarnation with a new ISN. */
  relisten(): void {
    this.passive = false;
    this.hasIsn = false;
    this.sentSynAck = false;
    this.hasNxt = false;
    this.hasAck = false;
    this.hasWnd = false;
    this.noteHandshakeAck = true;
  }
}

type FirstKind = 'syn' | 'synack' | 'mid';

function classifyFirst(flags: number): FirstKind {
  if ((flags & (TcpFlag.SYN | TcpFlag.RST)) !== TcpFlag.SYN) return 'mid';
  return flags & TcpFlag.ACK ? 'synack' : 'syn';
}

/** Nanoseconds between two exact timestamps, as seconds rounded to 9 decimals. */
function roundedSeconds(ns: number): number {
  return Math.round(ns) / 1e9;
}

function nsBetween(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (bSec - aSec) * 1e9 + (bNsec - aNsec);
}

function isClosedish(s: TcpState): boolean {
  return s === 'CLOSED' || s === 'TIME_WAIT';
}

export class Lifecycle {
  readonly clientSide: Side;
  readonly rolesInferred: boolean;
  /** The transitions the last onSegment caused (reused between calls). */
  readonly lastTransitions: Transition[] = [];

  private readonly ep: [Endpoint, Endpoint];
  private readonly first: FirstKind;
  private pendingAssume: boolean;
  private readonly anomalies: LifecycleAnomaly[] = [];

  private simultaneousOpen = false;
  private handshakeComplete = false;
  private refused = false;
  private simultaneousClose = false;
  private threeWayClose = false;
  private firstFinSide = -1;
  private firstRstSide = -1;
  private bytesAfterFin = 0;
  private resetEnded = false;
  private resetBeforeClose = false;
  private negotiatedShift = false;
  private isFinished = false;

  // Handshake timing (exact; -1 sec when not seen).
  private rttSynSec = -1;
  private rttSynNsec = 0;
  private synSynackNs = -1;
  private synackAckNs = -1;
  private totalNs = -1;

  constructor(first: FlowSegment) {
    const flags = first.tcp.flags;
    this.first = classifyFirst(flags);
    if (this.first === 'syn') {
      this.clientSide = first.side;
      this.rolesInferred = false;
    } else if (this.first === 'synack') {
      // The SYN-ACK's receiver sent the (uncaptured) SYN.
      this.clientSide = first.side === 0 ? 1 : 0;
      this.rolesInferred = false;
    } else {
      const c = inferClientSide(first.tcp.srcPort, first.tcp.dstPort);
      this.clientSide = first.side === 0 ? c : c === 0 ? 1 : 0;
      this.rolesInferred = true;
    }
    const client = new Endpoint('client', 'CLOSED');
    const server = new Endpoint('server', this.first === 'mid' ? 'CLOSED' : 'LISTEN');
    this.ep = this.clientSide === 0 ? [client, server] : [server, client];
    this.pendingAssume = this.first !== 'syn';
  }

  private get client(): Endpoint {
    return this.ep[this.clientSide];
  }

  private get server(): Endpoint {
    return this.ep[this.clientSide === 0 ? 1 : 0];
  }

  /**
   * Both ends CLOSED or TIME_WAIT, or a reset ended the connection. Only onSegment changes
   * what this depends on, so it is worked out once per segment there (the tracker and the
   * pipeline ask several times per packet).
   */
  get finished(): boolean {
    return this.isFinished;
  }

  private computeFinished(): boolean {
    if (this.resetEnded) return true;
    const c = this.client;
    const s = this.server;
    return c.timeline.length > 0 && s.timeline.length > 0 && isClosedish(c.state) && isClosedish(s.state);
  }

  get counters(): LifecycleCounters {
    const c = this.client;
    const s = this.server;
    return {
      syn_data: { client: c.synData, server: s.synData },
      fin_retransmissions: { client: c.finRetransmissions, server: s.finRetransmissions },
      rst_segments: { client: c.rstSegments, server: s.rstSegments },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The one place a state changes.

  private transition(e: Endpoint, to: TcpState, frame: number, cause: string): void {
    const from = e.state;
    if (from === to) return;
    e.state = to;
    if (to === 'TIME_WAIT') e.enteredTimeWait = true;
    if (e.timeline.length >= MAX_TRANSITIONS) {
      if (!e.timelineFull) {
        e.timelineFull = true;
        this.anomaly('timeline_truncated', frame, `${e.role} timeline holds ${MAX_TRANSITIONS} transitions; later ones are not recorded`);
      }
      return;
    }
    const t: Transition = { frame, endpoint: e.role, from, to, cause };
    e.timeline.push(t);
    this.lastTransitions.push(t);
  }

  /** Applies the table row for (state, event), if any. Returns whether the state changed. */
  private apply(e: Endpoint, event: TcpEvent, frame: number, causeSuffix = ''): boolean {
    const row = transitionFor(e.state, event);
    if (row === undefined) return false;
    this.transition(e, row.to, frame, causeSuffix ? EVENT_CAUSE[event] + causeSuffix : EVENT_CAUSE[event]);
    return true;
  }

  /** Withdraws an endpoint's last recorded transition (see the header: crossed segments). */
  private retract(e: Endpoint): void {
    const t = e.timeline[e.timeline.length - 1];
    if (t === undefined || t.to !== e.state) return;
    e.timeline.pop();
    const i = this.lastTransitions.indexOf(t);
    if (i >= 0) this.lastTransitions.splice(i, 1);
    e.state = t.from;
  }

  private anomaly(name: LifecycleAnomalyName, frame: number, detail: string): void {
    if (this.anomalies.length >= MAX_ANOMALIES) return;
    this.anomalies.push({ name, frame, detail });
  }

  // ---------------------------------------------------------------------------------------------
  // Per segment.

  onSegment(seg: FlowSegment): void {
    this.step(seg);
    this.isFinished = this.computeFinished();
  }

  private step(seg: FlowSegment): void {
    if (this.lastTransitions.length !== 0) this.lastTransitions.length = 0;
    const tcp = seg.tcp;
    const frame = seg.pkt.frame;
    const s = this.ep[seg.side];
    const r = this.ep[seg.side === 0 ? 1 : 0];

    if (this.pendingAssume) {
      this.pendingAssume = false;
      if (this.first === 'synack') {
        this.transition(this.client, 'SYN_SENT', frame, 'assumed (SYN not captured)');
        this.transition(this.server, 'SYN_RCVD', frame, 'assumed (SYN not captured)');
        this.server.passive = true;
      } else {
        this.transition(this.client, 'ESTABLISHED', frame, 'assumed (capture began mid-connection)');
        this.transition(this.server, 'ESTABLISHED', frame, 'assumed (capture began mid-connection)');
      }
    }

    const flags = tcp.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const len = tcp.payloadLength;
    const seq = tcp.seq;

    if (len > 0 && s.reset && s.noteDataAfterReset) {
      s.noteDataAfterReset = false;
      this.anomaly('data_after_reset', frame, `${s.role} sent ${len} bytes after the reset`);
    }

    if (rst) {
      if (syn) this.anomaly('invalid_flag_combination', frame, 'SYN and RST both set; handled as a RST');
      this.onReset(s, r, seg, frame);
      return;
    }

    // --- What the segment does to its sender. ---
    if (syn) {
      if (!this.onSendSyn(s, r, seg, frame, ack)) {
        this.updateSender(s, seg, syn, fin);
        return;
      }
    } else if (len > 0 && s.state === 'SYN_SENT' && !ack) {
      this.anomaly('data_before_handshake', frame, `${len} bytes without ACK while ${s.role} is in SYN_SENT`);
    }

    if (len > 0 && !syn) this.countAfterFin(s, seq, len);

    if (fin) this.onSendFin(s, r, seg, frame, ack);

    // --- What it does to its receiver (RFC 9293 §3.10.7: SYN, then ACK, then FIN). ---
    if (syn) this.onReceiveSyn(s, r, seg, frame, ack);
    else if (ack) this.onReceiveAck(s, r, seg, frame, fin);
    // Without ACK, a synchronised receiver drops the segment (§3.10.7.4 fifth check).

    this.updateSender(s, seg, syn, fin);
  }

  /** Keeps the sender's SND.NXT, last ACK and window current (after the segment is judged). */
  private updateSender(s: Endpoint, seg: FlowSegment, syn: boolean, fin: boolean): void {
    const tcp = seg.tcp;
    const end = seqAdd(tcp.seq, tcp.payloadLength + (syn ? 1 : 0) + (fin ? 1 : 0));
    if (!s.hasNxt) {
      s.hasNxt = true;
      s.nxt = end;
    } else s.nxt = seqMax(s.nxt, end);
    if (tcp.flags & TcpFlag.ACK) {
      if (!s.hasAck) {
        s.hasAck = true;
        s.maxAck = tcp.ack;
      } else s.maxAck = seqMax(s.maxAck, tcp.ack);
    }
    // RFC 7323 §2.2: the window field of a SYN is never scaled.
    s.hasWnd = true;
    // shift ≤ MAX_WSCALE (settleShift), so a shift by int is exact and cheaper than `2 **` per segment.
    s.wnd = syn ? tcp.window : tcp.window * (1 << s.shift);
  }

  /** Sender side of a SYN or SYN-ACK. Returns false when the segment is to be ignored beyond bookkeeping. */
  private onSendSyn(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number, ack: boolean): boolean {
    const tcp = seg.tcp;
    const what = ack ? 'SYN-ACK' : 'SYN';
    if (s.hasIsn && tcp.seq !== s.isn) {
      this.anomaly('syn_isn_changed', frame, `${s.role} ${what} with ISN ${tcp.seq}, first ISN was ${s.isn}`);
      return false;
    }
    if (isClosedish(s.state) && (s.timeline.length > 0 || s.reset)) {
      this.anomaly('syn_after_close', frame, `${s.role} sent a ${what} in ${s.state}`);
      return false;
    }
    if (!s.hasIsn) {
      s.hasIsn = true;
      s.isnSeen = true;
      s.isn = tcp.seq;
      s.synData = tcp.payloadLength;
      s.options = synOptions(tcp.options);
      if (s.options.wscale !== null && s.options.wscale > MAX_WSCALE) {
        this.anomaly('wscale_too_large', frame, `${s.role} window scale shift ${s.options.wscale}, used as ${MAX_WSCALE} (RFC 7323 §2.3)`);
      }
      this.settleShift();
    }
    s.synSec = seg.pkt.tsSec;
    s.synNsec = seg.pkt.tsNsec;

    if (!ack) {
      if (s.sentBareSyn) {
        s.synRetransmissions++;
        return true;
      }
      s.sentBareSyn = true;
      s.synFlags = tcp.flags;
      if (s.state === 'SYN_RCVD' && s.passive && !s.sentSynAck) {
        // Crossed SYNs (RFC 9293 §3.5 Figure 8): this SYN left before the peer's arrived, so the
        // endpoint was opening, not listening. Re-read its LISTEN→SYN_RCVD as CLOSED→SYN_SENT→SYN_RCVD.
        this.retract(s);
        s.state = 'CLOSED';
        s.passive = false;
        this.apply(s, 'snd_syn', frame);
        this.apply(s, 'rcv_syn', frame, ' (crossed in flight)');
        this.simultaneousOpen = true;
      } else {
        this.apply(s, 'snd_syn', frame);
      }
      return true;
    }

    // SYN-ACK: the sender is already SYN_RCVD (or assumed so); sending changes nothing (§3.10.7.2).
    if (s.sentSynAck) {
      s.synAckRetransmissions++;
      return true;
    }
    s.sentSynAck = true;
    s.everSentSynAck = true;
    s.synAckFlags = tcp.flags;
    if (r.sentBareSyn && r.state === 'SYN_SENT') {
      this.rttSynSec = r.synSec;
      this.rttSynNsec = r.synNsec;
      this.synSynackNs = nsBetween(r.synSec, r.synNsec, seg.pkt.tsSec, seg.pkt.tsNsec);
    }
    return true;
  }

  /** Fixes each side's window shift once both SYNs are seen (RFC 7323 §2.2: only if both sent the option). */
  private settleShift(): void {
    if (this.negotiatedShift) return;
    const a = this.ep[0].options;
    const b = this.ep[1].options;
    if (a === null || b === null) return;
    this.negotiatedShift = true;
    if (a.wscale === null || b.wscale === null) return;
    this.ep[0].shift = Math.min(a.wscale, MAX_WSCALE);
    this.ep[1].shift = Math.min(b.wscale, MAX_WSCALE);
  }

  /** Receiver side of a SYN or SYN-ACK (§3.10.7.2 LISTEN, §3.10.7.3 SYN-SENT, §3.10.7.4). */
  private onReceiveSyn(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number, ack: boolean): void {
    const tcp = seg.tcp;
    if (!ack) {
      if (r.state === 'LISTEN') {
        if (this.apply(r, 'rcv_syn', frame)) r.passive = true;
      } else if (r.state === 'SYN_SENT') {
        this.apply(r, 'rcv_syn', frame);
        this.simultaneousOpen = true;
      } else if (isClosedish(r.state) && (r.timeline.length > 0 || r.reset)) {
        this.anomaly('syn_after_close', frame, `${r.role} received a SYN in ${r.state}`);
      }
      return;
    }
    // SYN-ACK: acceptable when SND.UNA < SEG.ACK =< SND.NXT for the receiver (§3.10.7.3 first check).
    if (r.state !== 'SYN_SENT' && r.state !== 'SYN_RCVD') return;
    if (r.hasIsn && r.hasNxt && !(seqGT(tcp.ack, r.isn) && seqLE(tcp.ack, r.nxt))) {
      const expected = seqAdd(r.isn, 1);
      const withData = r.synData > 0 ? ` (or ${seqAdd(r.isn, 1 + r.synData)} with the SYN's ${r.synData} data bytes)` : '';
      this.anomaly('handshake_ack_mismatch', frame, `SYN-ACK acknowledges ${tcp.ack}, expected ISN+1 = ${expected}${withData}`);
      if (r.state === 'SYN_SENT') {
        r.hasBadSynAck = true;
        r.badSynAckAck = tcp.ack;
      }
      return;
    }
    if (r.state === 'SYN_SENT') this.apply(r, 'rcv_synack', frame);
    else this.apply(r, 'rcv_ack_of_syn', frame); // simultaneous open, §3.5 Figure 8 line 7
  }

  /** Receiver side of a non-SYN segment with ACK: the fifth check, then the FIN bit (§3.10.7.4). */
  private onReceiveAck(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number, fin: boolean): void {
    const tcp = seg.tcp;
    const ackNo = tcp.ack;

    if (r.hasNxt && seqGT(ackNo, r.nxt) && s.noteUnseenAck) {
      s.noteUnseenAck = false;
      this.anomaly('ack_of_unseen_segment', frame, `${s.role} acknowledges ${ackNo}, ${r.role} was only seen up to ${r.nxt}`);
    }

    if (r.state === 'SYN_RCVD' && r.sentSynAck) {
      if (seqGT(ackNo, r.isn) && (!r.hasNxt || seqLE(ackNo, r.nxt))) {
        const wasHandshake = this.apply(r, 'rcv_ack_of_syn', frame);
        if (wasHandshake && r === this.server && !this.simultaneousOpen) this.completeHandshake(seg);
      } else if (r.noteHandshakeAck) {
        r.noteHandshakeAck = false;
        this.anomaly('handshake_ack_mismatch', frame, `ACK acknowledges ${ackNo}, expected ISN+1 = ${seqAdd(r.isn, 1)}`);
      }
    }
    // §3.10.7.4 fifth check: in SYN-RECEIVED a segment whose ACK did not complete the handshake
    // is dropped, FIN and all.
    if (r.state === 'SYN_RCVD') return;

    const acksFin = r.finSent && seqGE(ackNo, seqAdd(r.finSeq, 1));
    if (fin && acksFin && r.state === 'FIN_WAIT_1') {
      // Three-segment close: the peer's FIN acknowledges ours, FIN-WAIT-1 → TIME-WAIT directly.
      if (this.apply(r, 'rcv_fin_ack', frame)) this.threeWayClose = true;
      return;
    }
    if (acksFin) this.apply(r, 'rcv_ack_of_fin', frame);
    if (fin) {
      if (r.state === 'FIN_WAIT_1') this.simultaneousClose = true;
      this.apply(r, 'rcv_fin', frame);
    }
  }

  /** The server just left SYN_RCVD on the client's ACK: record the handshake RTTs. */
  private completeHandshake(seg: FlowSegment): void {
    const srv = this.server;
    const t = seg.pkt;
    this.synackAckNs = nsBetween(srv.synSec, srv.synNsec, t.tsSec, t.tsNsec);
    if (this.client.sentBareSyn) {
      this.handshakeComplete = true;
      if (this.rttSynSec >= 0) this.totalNs = nsBetween(this.rttSynSec, this.rttSynNsec, t.tsSec, t.tsNsec);
    }
  }

  /** Sender side of a FIN (§3.10.4 CLOSE call), including retransmissions and crossed FINs. */
  private onSendFin(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number, ack: boolean): void {
    const tcp = seg.tcp;
    const finSeq = seqAdd(tcp.seq, tcp.payloadLength + ((tcp.flags & TcpFlag.SYN) !== 0 ? 1 : 0));
    if (s.finSent) {
      if (finSeq === s.finSeq) s.finRetransmissions++;
    } else {
      s.finSent = true;
      s.finSeq = finSeq;
      if (this.firstFinSide < 0) this.firstFinSide = s === this.ep[0] ? 0 : 1;
    }
    if (s.state === 'SYN_SENT' || s.state === 'LISTEN' || (s.state === 'CLOSED' && s.timeline.length === 0)) {
      this.anomaly('fin_before_handshake', frame, `${s.role} sent FIN in ${s.state}`);
      return;
    }
    const acksPeerFin = ack && r.finSent && seqGE(tcp.ack, seqAdd(r.finSeq, 1));
    const last = s.timeline[s.timeline.length - 1];
    if (s.state === 'CLOSE_WAIT' && r.finSent && !acksPeerFin && last !== undefined && last.to === 'CLOSE_WAIT') {
      // Crossed FINs (RFC 9293 §3.6 Figure 13): this FIN does not acknowledge the peer's, so it
      // was sent before the peer's FIN arrived. Re-read ESTABLISHED→CLOSE_WAIT as
      // ESTABLISHED→FIN_WAIT_1→CLOSING.
      this.retract(s);
      this.apply(s, 'snd_fin', frame);
      this.apply(s, 'rcv_fin', frame, ' (crossed in flight)');
      this.simultaneousClose = true;
      return;
    }
    this.apply(s, 'snd_fin', frame);
  }

  /** Payload the passive side sends after the first FIN (half-close), new bytes only. */
  private countAfterFin(s: Endpoint, seq: number, len: number): void {
    if (this.firstFinSide < 0 || this.ep[this.firstFinSide] === s || s.finSent) return;
    if (!s.hasNxt) {
      this.bytesAfterFin += len;
      return;
    }
    const fresh = seqDiff(seqAdd(seq, len), s.nxt);
    if (fresh > 0) this.bytesAfterFin += Math.min(fresh, len);
  }

  /** A RST: the sender aborts (§3.10.4); the receiver accepts it only if acceptable (§3.10.7.3, §3.10.7.4 / RFC 5961 §3). */
  private onReset(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number): void {
    const tcp = seg.tcp;
    s.rstSegments++;
    // Both FINs already sent: the connection was closing by FIN and a RST only cut it short
    // (Zeek still calls this SF); the teardown kind stays the FIN pattern.
    const closedBefore = (s.finSent && r.finSent) || (isClosedish(s.state) && isClosedish(r.state));
    let ended = false;

    // Sender.
    if (s.state === 'SYN_SENT' && s.hasBadSynAck && tcp.seq === s.badSynAckAck) {
      // §3.10.7.3: the answer to an unacceptable SYN-ACK (an old duplicate SYN, §3.5 Figure 9) is
      // <SEQ=SEG.ACK><CTL=RST>; the sender stays in SYN-SENT and the connection goes on.
    } else {
      s.sentReset = true;
      if (this.firstRstSide < 0) this.firstRstSide = s === this.ep[0] ? 0 : 1;
      if (s.state === 'SYN_RCVD' && s.passive && !s.sentSynAck) {
        // Refusal: the host had no listener (§3.10.7.1), so it never left CLOSED.
        this.retract(s);
        s.state = 'CLOSED';
        s.passive = false;
        ended = true;
      } else if (this.apply(s, 'snd_rst', frame)) ended = true;
      if (s.state === 'CLOSED') s.reset = true;
    }

    // Receiver.
    if (r.state !== 'CLOSED' && r.state !== 'LISTEN') {
      // (nothing to reset in CLOSED or LISTEN: §3.10.7.1, §3.10.7.2)
      const why = this.rstUnacceptable(s, r, seg);
      if (why !== null) {
        this.anomaly('rst_out_of_window', frame, why);
      } else {
        const clientRefused = r === this.client && r.state === 'SYN_SENT' && !s.sentSynAck;
        const passive = r.state === 'SYN_RCVD' && r.passive;
        if (this.apply(r, passive ? 'rcv_rst_passive' : 'rcv_rst', frame)) {
          if (passive) r.relisten();
          else {
            r.reset = true;
            ended = true;
          }
          if (clientRefused) this.refused = true;
        }
      }
    }

    if (ended) {
      this.resetEnded = true;
      if (!closedBefore) this.resetBeforeClose = true;
    }
  }

  /** Why the receiver would ignore this RST, or null when it is acceptable. */
  private rstUnacceptable(s: Endpoint, r: Endpoint, seg: FlowSegment): string | null {
    const tcp = seg.tcp;
    if (r.state === 'SYN_SENT') {
      // §3.10.7.3: acceptable only with an ACK that acknowledges the SYN.
      if (!(tcp.flags & TcpFlag.ACK)) return 'RST without ACK to an endpoint in SYN_SENT';
      if (r.hasIsn && r.hasNxt && !(seqGT(tcp.ack, r.isn) && seqLE(tcp.ack, r.nxt))) {
        return `RST acknowledges ${tcp.ack}, expected ISN+1 = ${seqAdd(r.isn, 1)}`;
      }
      return null;
    }
    // RCV.NXT as the receiver last stated it, else what the sender was seen to send.
    let rcvNxt: number;
    if (r.hasAck && (!s.hasNxt || seqLE(r.maxAck, s.nxt))) rcvNxt = r.maxAck;
    else if (s.hasNxt) rcvNxt = s.nxt;
    else return null;
    const wnd = Math.max(r.hasWnd ? r.wnd : UNKNOWN_WINDOW, 1);
    // RFC 5961 §3.2: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND (a zero window accepts SEG.SEQ = RCV.NXT).
    if (seqGE(tcp.seq, rcvNxt) && (wnd >= 0x8000_0000 || seqLT(tcp.seq, seqAdd(rcvNxt, wnd)))) return null;
    return `RST seq ${tcp.seq} outside ${r.role}'s window [${rcvNxt}, ${seqAdd(rcvNxt, wnd)})`;
  }

  // ---------------------------------------------------------------------------------------------
  // Report.

  private roleOf(side: number): Role {
    return side === this.clientSide ? 'client' : 'server';
  }

  private who(client: boolean, server: boolean): Who {
    return client && server ? 'both' : client ? 'client' : server ? 'server' : null;
  }

  report(): LifecycleReport {
    const c = this.client;
    const s = this.server;
    const status: HandshakeStatus = this.simultaneousOpen
      ? 'simultaneous-open'
      : !c.sentBareSyn
        ? 'missing'
        : this.handshakeComplete
          ? 'complete'
          : this.refused
            ? 'refused'
            : s.everSentSynAck
              ? 'syn-synack'
              : 'syn-only';

    const bothFin = c.finSent && s.finSent;
    const anyFin = c.finSent || s.finSent;
    const kind: TeardownKind = this.resetBeforeClose
      ? 'reset'
      : bothFin
        ? this.simultaneousClose
          ? 'simultaneous'
          : this.threeWayClose
            ? 'three-way'
            : 'four-way'
        : anyFin
          ? 'half-closed'
          : 'none';

    // Who began the teardown: the first FIN's sender ('both' when the FINs crossed), else the
    // first RST's sender (a refusal or an abort is begun by whoever resets).
    const initiator: Who = anyFin
      ? this.simultaneousClose && bothFin
        ? 'both'
        : this.roleOf(this.firstFinSide)
      : this.firstRstSide >= 0
        ? this.roleOf(this.firstRstSide)
        : null;

    const anomalies = this.anomalies.slice();
    return {
      client: this.clientSide,
      roles_inferred: this.rolesInferred,
      handshake: {
        status,
        isn: { client: c.isnSeen ? c.isn : null, server: s.isnSeen ? s.isn : null },
        syn_retransmissions: c.synRetransmissions,
        synack_retransmissions: s.synAckRetransmissions,
        rtt: {
          syn_synack: this.synSynackNs >= 0 ? roundedSeconds(this.synSynackNs) : null,
          synack_ack: this.synackAckNs >= 0 ? roundedSeconds(this.synackAckNs) : null,
          total: this.totalNs >= 0 ? roundedSeconds(this.totalNs) : null,
        },
        options: { client: c.options, server: s.options },
        negotiated: negotiate(c.options, s.options, c.synFlags, s.synAckFlags),
      },
      teardown: {
        kind,
        initiator,
        reset_by: this.who(c.sentReset, s.sentReset),
        bytes_after_fin: this.bytesAfterFin,
        time_wait: this.who(c.enteredTimeWait, s.enteredTimeWait),
      },
      final_state: { client: c.state, server: s.state },
      transitions: { client: c.timeline.slice(), server: s.timeline.slice() },
      anomalies,
    };
  }
}
