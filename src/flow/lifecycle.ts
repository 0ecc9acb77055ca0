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
import {
  CLOSE_WAIT,
  CLOSED,
  ESTABLISHED,
  EVENT_CAUSE,
  EVENT_NAMES,
  FIN_WAIT_1,
  LISTEN,
  nextState,
  RCV_ACK_OF_FIN,
  RCV_ACK_OF_SYN,
  RCV_FIN,
  RCV_FIN_ACK,
  RCV_RST,
  RCV_RST_PASSIVE,
  RCV_SYN,
  RCV_SYNACK,
  SND_FIN,
  SND_RST,
  SND_SYN,
  STATE_NAMES,
  SYN_RCVD,
  SYN_SENT,
  TIME_WAIT,
  type EventCode,
  type StateCode,
} from './states.js';
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

// Endpoint.bits: the yes/no facts about one endpoint, one bit each. A flow keeps its two
// endpoints for its whole life (often through several garbage collections); one small-integer
// field costs what a single boolean field costs, so eighteen of them shrink each endpoint by
// 136 bytes. The accessors below keep the state machine reading as plain properties.
const PASSIVE = 1 << 0;
const SENT_BARE_SYN = 1 << 1;
const SENT_SYN_ACK = 1 << 2;
const EVER_SENT_SYN_ACK = 1 << 3;
const HAS_ISN = 1 << 4;
const ISN_SEEN = 1 << 5;
const HAS_NXT = 1 << 6;
const HAS_ACK = 1 << 7;
const HAS_WND = 1 << 8;
const FIN_SENT = 1 << 9;
const RESET = 1 << 10;
const SENT_RESET = 1 << 11;
const ENTERED_TIME_WAIT = 1 << 12;
const HAS_BAD_SYN_ACK = 1 << 13;
const NOTE_DATA_AFTER_RESET = 1 << 14;
const NOTE_UNSEEN_ACK = 1 << 15;
const NOTE_HANDSHAKE_ACK = 1 << 16;
const TIMELINE_FULL = 1 << 17;

/**
 * One endpoint's view: its state and the few numbers needed to judge segments (all O(1)).
 * Sequence and acknowledgement numbers (isn, nxt, maxAck, finSeq, badSynAckAck) are held as
 * int32 (`x | 0`): V8 keeps a uint32 above 2^31 in an object field as a separate heap number,
 * an int32 it keeps inline. seq.ts compares either form alike; `>>> 0` turns one back into
 * the unsigned number for output.
 */
class Endpoint {
  state: StateCode;
  /** Transitions of this endpoint recorded in the Lifecycle's log. */
  recorded = 0;
  bits = NOTE_DATA_AFTER_RESET | NOTE_UNSEEN_ACK | NOTE_HANDSHAKE_ACK;
  /** int32 (see above). */
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
  /** Highest sequence number sent plus its length (SND.NXT as far as the capture shows); int32. */
  nxt = 0;
  /** Highest acknowledgement sent (the endpoint's RCV.NXT as it told its peer); int32. */
  maxAck = 0;
  /** Last window advertised, in bytes (scaled once the shift is known). */
  wnd = 0;
  /** Window scale shift this endpoint applies to the windows it sends (0 unless negotiated). */
  shift = 0;
  /** int32. */
  finSeq = 0;
  finRetransmissions = 0;
  rstSegments = 0;
  /** ACK value of the last unacceptable SYN-ACK this endpoint received in SYN_SENT; int32. */
  badSynAckAck = 0;

  constructor(
    readonly role: Role,
    initial: StateCode,
  ) {
    this.state = initial;
  }

  private flag(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }

  /** Reached SYN_RCVD from LISTEN (RFC 9293 §3.10.7.4: an RST returns it to LISTEN). */
  get passive(): boolean { return (this.bits & PASSIVE) !== 0; }
  set passive(on: boolean) { this.flag(PASSIVE, on); }
  get sentBareSyn(): boolean { return (this.bits & SENT_BARE_SYN) !== 0; }
  set sentBareSyn(on: boolean) { this.flag(SENT_BARE_SYN, on); }
  get sentSynAck(): boolean { return (this.bits & SENT_SYN_ACK) !== 0; }
  set sentSynAck(on: boolean) { this.flag(SENT_SYN_ACK, on); }
  /** Sent a SYN-ACK at some point (sentSynAck is cleared when a listener starts over). */
  get everSentSynAck(): boolean { return (this.bits & EVER_SENT_SYN_ACK) !== 0; }
  set everSentSynAck(on: boolean) { this.flag(EVER_SENT_SYN_ACK, on); }
  get hasIsn(): boolean { return (this.bits & HAS_ISN) !== 0; }
  set hasIsn(on: boolean) { this.flag(HAS_ISN, on); }
  /** An ISN was seen at some point (hasIsn is cleared when a listener starts over). */
  get isnSeen(): boolean { return (this.bits & ISN_SEEN) !== 0; }
  set isnSeen(on: boolean) { this.flag(ISN_SEEN, on); }
  get hasNxt(): boolean { return (this.bits & HAS_NXT) !== 0; }
  set hasNxt(on: boolean) { this.flag(HAS_NXT, on); }
  get hasAck(): boolean { return (this.bits & HAS_ACK) !== 0; }
  set hasAck(on: boolean) { this.flag(HAS_ACK, on); }
  get hasWnd(): boolean { return (this.bits & HAS_WND) !== 0; }
  set hasWnd(on: boolean) { this.flag(HAS_WND, on); }
  get finSent(): boolean { return (this.bits & FIN_SENT) !== 0; }
  set finSent(on: boolean) { this.flag(FIN_SENT, on); }
  /** Closed by a RST it sent or accepted. */
  get reset(): boolean { return (this.bits & RESET) !== 0; }
  set reset(on: boolean) { this.flag(RESET, on); }
  /** Sent a RST that aborted (not the answer to a stale SYN-ACK). */
  get sentReset(): boolean { return (this.bits & SENT_RESET) !== 0; }
  set sentReset(on: boolean) { this.flag(SENT_RESET, on); }
  get enteredTimeWait(): boolean { return (this.bits & ENTERED_TIME_WAIT) !== 0; }
  set enteredTimeWait(on: boolean) { this.flag(ENTERED_TIME_WAIT, on); }
  get hasBadSynAck(): boolean { return (this.bits & HAS_BAD_SYN_ACK) !== 0; }
  set hasBadSynAck(on: boolean) { this.flag(HAS_BAD_SYN_ACK, on); }
  get noteDataAfterReset(): boolean { return (this.bits & NOTE_DATA_AFTER_RESET) !== 0; }
  set noteDataAfterReset(on: boolean) { this.flag(NOTE_DATA_AFTER_RESET, on); }
  get noteUnseenAck(): boolean { return (this.bits & NOTE_UNSEEN_ACK) !== 0; }
  set noteUnseenAck(on: boolean) { this.flag(NOTE_UNSEEN_ACK, on); }
  get noteHandshakeAck(): boolean { return (this.bits & NOTE_HANDSHAKE_ACK) !== 0; }
  set noteHandshakeAck(on: boolean) { this.flag(NOTE_HANDSHAKE_ACK, on); }
  get timelineFull(): boolean { return (this.bits & TIMELINE_FULL) !== 0; }
  set timelineFull(on: boolean) { this.flag(TIMELINE_FULL, on); }

  /** Back in LISTEN after a RST (§3.10.7.4): the next SYN starts a new incarnation with a new ISN. */
  relisten(): void {
    this.bits = (this.bits & ~(PASSIVE | HAS_ISN | SENT_SYN_ACK | HAS_NXT | HAS_ACK | HAS_WND)) | NOTE_HANDSHAKE_ACK;
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

function isClosedish(s: StateCode): boolean {
  return s === CLOSED || s === TIME_WAIT;
}

// A recorded transition's cause: the event's EVENT_CAUSE phrase, possibly re-read as crossed
// in flight, or one of the assumed starts.
const CAUSE_ASSUMED_SYN = EVENT_NAMES.length;
const CAUSE_ASSUMED_MID = EVENT_NAMES.length + 1;
/** Added to an event's code: the transition was re-read as crossed in flight. */
const CAUSE_CROSSED = 16;

function causeText(cause: number): string {
  if (cause === CAUSE_ASSUMED_SYN) return 'assumed (SYN not captured)';
  if (cause === CAUSE_ASSUMED_MID) return 'assumed (capture began mid-connection)';
  if (cause >= CAUSE_CROSSED) return EVENT_CAUSE[EVENT_NAMES[cause - CAUSE_CROSSED]!] + ' (crossed in flight)';
  return EVENT_CAUSE[EVENT_NAMES[cause]!];
}

// One recorded transition is one number in Lifecycle.log: frame × 2^14 + the fields below. A
// flow records about ten; as Transition objects in two arrays they cost some 1 KiB per flow,
// as numbers in one array about 150 bytes (a double array holds its numbers unboxed). The
// objects are built when someone asks for them (report, lastTransitions).
const LOG_CAUSE_BITS = 5;
const LOG_TO_SHIFT = LOG_CAUSE_BITS;
const LOG_FROM_SHIFT = LOG_TO_SHIFT + 4;
const LOG_SERVER = 1 << (LOG_FROM_SHIFT + 4);
const LOG_FRAME = LOG_SERVER * 2;

function logEntry(e: Endpoint, from: StateCode, to: StateCode, frame: number, cause: number): number {
  return frame * LOG_FRAME + (e.role === 'server' ? LOG_SERVER : 0) + (from << LOG_FROM_SHIFT) + (to << LOG_TO_SHIFT) + cause;
}

function logTo(entry: number): StateCode {
  return ((entry % LOG_FRAME) >> LOG_TO_SHIFT) & 15;
}

function logFrom(entry: number): StateCode {
  return ((entry % LOG_FRAME) >> LOG_FROM_SHIFT) & 15;
}

function logRole(entry: number): Role {
  return entry % LOG_FRAME >= LOG_SERVER ? 'server' : 'client';
}

function logTransition(entry: number): Transition {
  const low = entry % LOG_FRAME;
  return {
    frame: (entry - low) / LOG_FRAME,
    endpoint: logRole(entry),
    from: STATE_NAMES[logFrom(entry)]!,
    to: STATE_NAMES[logTo(entry)]!,
    cause: causeText(low & ((1 << LOG_CAUSE_BITS) - 1)),
  };
}

const NO_TRANSITIONS: readonly Transition[] = Object.freeze([]);

// Lifecycle.facts: the flow's yes/no facts, one bit each (as Endpoint.bits, and for the same
// reason: every flow holds one Lifecycle for its whole life).
const ROLES_INFERRED = 1 << 0;
const PENDING_ASSUME = 1 << 1;
const SIMULTANEOUS_OPEN = 1 << 2;
const HANDSHAKE_COMPLETE = 1 << 3;
const REFUSED = 1 << 4;
const SIMULTANEOUS_CLOSE = 1 << 5;
const THREE_WAY_CLOSE = 1 << 6;
const RESET_ENDED = 1 << 7;
const RESET_BEFORE_CLOSE = 1 << 8;
const NEGOTIATED_SHIFT = 1 << 9;
const FINISHED = 1 << 10;

export class Lifecycle {
  readonly clientSide: Side;

  // The endpoints by flow side (two fields rather than an array: one object less per flow).
  private readonly ep0: Endpoint;
  private readonly ep1: Endpoint;
  private readonly first: FirstKind;
  /** Both endpoints' recorded transitions in the order they happened (see logEntry). */
  private readonly log: number[] = [];
  /** Index in `log` of the first transition the current segment caused. */
  private segmentStart = 0;
  /** Allocated with the first anomaly: most flows have none. */
  private anomalies: LifecycleAnomaly[] | null = null;

  private facts = 0;
  private firstFinSide = -1;
  private firstRstSide = -1;
  private bytesAfterFin = 0;

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
    } else if (this.first === 'synack') {
      // The SYN-ACK's receiver sent the (uncaptured) SYN.
      this.clientSide = first.side === 0 ? 1 : 0;
    } else {
      const c = inferClientSide(first.tcp.srcPort, first.tcp.dstPort);
      this.clientSide = first.side === 0 ? c : c === 0 ? 1 : 0;
      this.rolesInferred = true;
    }
    const client = new Endpoint('client', CLOSED);
    const server = new Endpoint('server', this.first === 'mid' ? CLOSED : LISTEN);
    this.ep0 = this.clientSide === 0 ? client : server;
    this.ep1 = this.clientSide === 0 ? server : client;
    this.pendingAssume = this.first !== 'syn';
  }

  private fact(bit: number, on: boolean): void {
    this.facts = on ? this.facts | bit : this.facts & ~bit;
  }

  /** No SYN said who opened: the client was guessed from the ports (inferClientSide). */
  get rolesInferred(): boolean { return (this.facts & ROLES_INFERRED) !== 0; }
  private set rolesInferred(on: boolean) { this.fact(ROLES_INFERRED, on); }
  /** The first segment was not a SYN: the starting states are assumed at the first step. */
  private get pendingAssume(): boolean { return (this.facts & PENDING_ASSUME) !== 0; }
  private set pendingAssume(on: boolean) { this.fact(PENDING_ASSUME, on); }
  private get simultaneousOpen(): boolean { return (this.facts & SIMULTANEOUS_OPEN) !== 0; }
  private set simultaneousOpen(on: boolean) { this.fact(SIMULTANEOUS_OPEN, on); }
  private get handshakeComplete(): boolean { return (this.facts & HANDSHAKE_COMPLETE) !== 0; }
  private set handshakeComplete(on: boolean) { this.fact(HANDSHAKE_COMPLETE, on); }
  private get refused(): boolean { return (this.facts & REFUSED) !== 0; }
  private set refused(on: boolean) { this.fact(REFUSED, on); }
  private get simultaneousClose(): boolean { return (this.facts & SIMULTANEOUS_CLOSE) !== 0; }
  private set simultaneousClose(on: boolean) { this.fact(SIMULTANEOUS_CLOSE, on); }
  private get threeWayClose(): boolean { return (this.facts & THREE_WAY_CLOSE) !== 0; }
  private set threeWayClose(on: boolean) { this.fact(THREE_WAY_CLOSE, on); }
  private get resetEnded(): boolean { return (this.facts & RESET_ENDED) !== 0; }
  private set resetEnded(on: boolean) { this.fact(RESET_ENDED, on); }
  private get resetBeforeClose(): boolean { return (this.facts & RESET_BEFORE_CLOSE) !== 0; }
  private set resetBeforeClose(on: boolean) { this.fact(RESET_BEFORE_CLOSE, on); }
  private get negotiatedShift(): boolean { return (this.facts & NEGOTIATED_SHIFT) !== 0; }
  private set negotiatedShift(on: boolean) { this.fact(NEGOTIATED_SHIFT, on); }

  private get client(): Endpoint {
    return this.clientSide === 0 ? this.ep0 : this.ep1;
  }

  private get server(): Endpoint {
    return this.clientSide === 0 ? this.ep1 : this.ep0;
  }

  /**
   * Both ends CLOSED or TIME_WAIT, or a reset ended the connection. Only onSegment changes
   * what this depends on, so it is worked out once per segment there (the tracker and the
   * pipeline ask several times per packet).
   */
  get finished(): boolean {
    return (this.facts & FINISHED) !== 0;
  }

  private computeFinished(): boolean {
    if (this.resetEnded) return true;
    const c = this.client;
    const s = this.server;
    return c.recorded > 0 && s.recorded > 0 && isClosedish(c.state) && isClosedish(s.state);
  }

  /** The transitions the last onSegment caused (a new array when there are any). */
  get lastTransitions(): readonly Transition[] {
    const log = this.log;
    if (this.segmentStart === log.length) return NO_TRANSITIONS;
    const out: Transition[] = [];
    for (let i = this.segmentStart; i < log.length; i++) out.push(logTransition(log[i]!));
    return out;
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

  private transition(e: Endpoint, to: StateCode, frame: number, cause: number): void {
    const from = e.state;
    if (from === to) return;
    e.state = to;
    if (to === TIME_WAIT) e.enteredTimeWait = true;
    if (e.recorded >= MAX_TRANSITIONS) {
      if (!e.timelineFull) {
        e.timelineFull = true;
        this.anomaly('timeline_truncated', frame, `${e.role} timeline holds ${MAX_TRANSITIONS} transitions; later ones are not recorded`);
      }
      return;
    }
    e.recorded++;
    this.log.push(logEntry(e, from, to, frame, cause));
  }

  /**
   * Applies the table row for (state, event), if any. Returns whether the state changed.
   * `crossed`: the segment is re-read as having crossed the peer's in flight (see the header).
   */
  private apply(e: Endpoint, event: EventCode, frame: number, crossed = false): boolean {
    const to = nextState(e.state, event);
    if (to < 0) return false;
    this.transition(e, to, frame, crossed ? event + CAUSE_CROSSED : event);
    return true;
  }

  /** Index in `log` of an endpoint's last recorded transition, or −1. */
  private lastRecorded(e: Endpoint): number {
    if (e.recorded === 0) return -1;
    const log = this.log;
    for (let i = log.length - 1; i >= 0; i--) if (logRole(log[i]!) === e.role) return i;
    return -1;
  }

  /** The state an endpoint's last recorded transition led to, or −1 when none is recorded. */
  private lastRecordedTo(e: Endpoint): StateCode {
    const i = this.lastRecorded(e);
    return i < 0 ? -1 : logTo(this.log[i]!);
  }

  /** Withdraws an endpoint's last recorded transition (see the header: crossed segments). */
  private retract(e: Endpoint): void {
    const i = this.lastRecorded(e);
    if (i < 0) return;
    const entry = this.log[i]!;
    if (logTo(entry) !== e.state) return;
    this.log.splice(i, 1);
    if (i < this.segmentStart) this.segmentStart--;
    e.recorded--;
    e.state = logFrom(entry);
  }

  private anomaly(name: LifecycleAnomalyName, frame: number, detail: string): void {
    const list = (this.anomalies ??= []);
    if (list.length >= MAX_ANOMALIES) return;
    list.push({ name, frame, detail });
  }

  // ---------------------------------------------------------------------------------------------
  // Per segment.

  onSegment(seg: FlowSegment): void {
    this.step(seg);
    this.fact(FINISHED, this.computeFinished());
  }

  private step(seg: FlowSegment): void {
    this.segmentStart = this.log.length;
    const tcp = seg.tcp;
    const frame = seg.pkt.frame;
    const s = seg.side === 0 ? this.ep0 : this.ep1;
    const r = seg.side === 0 ? this.ep1 : this.ep0;

    if (this.pendingAssume) {
      this.pendingAssume = false;
      if (this.first === 'synack') {
        this.transition(this.client, SYN_SENT, frame, CAUSE_ASSUMED_SYN);
        this.transition(this.server, SYN_RCVD, frame, CAUSE_ASSUMED_SYN);
        this.server.passive = true;
      } else {
        this.transition(this.client, ESTABLISHED, frame, CAUSE_ASSUMED_MID);
        this.transition(this.server, ESTABLISHED, frame, CAUSE_ASSUMED_MID);
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
    } else if (len > 0 && s.state === SYN_SENT && !ack) {
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
      s.nxt = end | 0;
    } else s.nxt = seqMax(s.nxt, end) | 0;
    if (tcp.flags & TcpFlag.ACK) {
      if (!s.hasAck) {
        s.hasAck = true;
        s.maxAck = tcp.ack | 0;
      } else s.maxAck = seqMax(s.maxAck, tcp.ack) | 0;
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
    if (s.hasIsn && (tcp.seq | 0) !== s.isn) {
      this.anomaly('syn_isn_changed', frame, `${s.role} ${what} with ISN ${tcp.seq}, first ISN was ${s.isn >>> 0}`);
      return false;
    }
    if (isClosedish(s.state) && (s.recorded > 0 || s.reset)) {
      this.anomaly('syn_after_close', frame, `${s.role} sent a ${what} in ${STATE_NAMES[s.state]}`);
      return false;
    }
    if (!s.hasIsn) {
      s.hasIsn = true;
      s.isnSeen = true;
      s.isn = tcp.seq | 0;
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
      if (s.state === SYN_RCVD && s.passive && !s.sentSynAck) {
        // Crossed SYNs (RFC 9293 §3.5 Figure 8): this SYN left before the peer's arrived, so the
        // endpoint was opening, not listening. Re-read its LISTEN→SYN_RCVD as CLOSED→SYN_SENT→SYN_RCVD.
        this.retract(s);
        s.state = CLOSED;
        s.passive = false;
        this.apply(s, SND_SYN, frame);
        this.apply(s, RCV_SYN, frame, true);
        this.simultaneousOpen = true;
      } else {
        this.apply(s, SND_SYN, frame);
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
    if (r.sentBareSyn && r.state === SYN_SENT) {
      this.rttSynSec = r.synSec;
      this.rttSynNsec = r.synNsec;
      this.synSynackNs = nsBetween(r.synSec, r.synNsec, seg.pkt.tsSec, seg.pkt.tsNsec);
    }
    return true;
  }

  /** Fixes each side's window shift once both SYNs are seen (RFC 7323 §2.2: only if both sent the option). */
  private settleShift(): void {
    if (this.negotiatedShift) return;
    const a = this.ep0.options;
    const b = this.ep1.options;
    if (a === null || b === null) return;
    this.negotiatedShift = true;
    if (a.wscale === null || b.wscale === null) return;
    this.ep0.shift = Math.min(a.wscale, MAX_WSCALE);
    this.ep1.shift = Math.min(b.wscale, MAX_WSCALE);
  }

  /** Receiver side of a SYN or SYN-ACK (§3.10.7.2 LISTEN, §3.10.7.3 SYN-SENT, §3.10.7.4). */
  private onReceiveSyn(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number, ack: boolean): void {
    const tcp = seg.tcp;
    if (!ack) {
      if (r.state === LISTEN) {
        if (this.apply(r, RCV_SYN, frame)) r.passive = true;
      } else if (r.state === SYN_SENT) {
        this.apply(r, RCV_SYN, frame);
        this.simultaneousOpen = true;
      } else if (isClosedish(r.state) && (r.recorded > 0 || r.reset)) {
        this.anomaly('syn_after_close', frame, `${r.role} received a SYN in ${STATE_NAMES[r.state]}`);
      }
      return;
    }
    // SYN-ACK: acceptable when SND.UNA < SEG.ACK =< SND.NXT for the receiver (§3.10.7.3 first check).
    if (r.state !== SYN_SENT && r.state !== SYN_RCVD) return;
    if (r.hasIsn && r.hasNxt && !(seqGT(tcp.ack, r.isn) && seqLE(tcp.ack, r.nxt))) {
      const expected = seqAdd(r.isn, 1);
      const withData = r.synData > 0 ? ` (or ${seqAdd(r.isn, 1 + r.synData)} with the SYN's ${r.synData} data bytes)` : '';
      this.anomaly('handshake_ack_mismatch', frame, `SYN-ACK acknowledges ${tcp.ack}, expected ISN+1 = ${expected}${withData}`);
      if (r.state === SYN_SENT) {
        r.hasBadSynAck = true;
        r.badSynAckAck = tcp.ack | 0;
      }
      return;
    }
    if (r.state === SYN_SENT) this.apply(r, RCV_SYNACK, frame);
    else this.apply(r, RCV_ACK_OF_SYN, frame); // simultaneous open, §3.5 Figure 8 line 7
  }

  /** Receiver side of a non-SYN segment with ACK: the fifth check, then the FIN bit (§3.10.7.4). */
  private onReceiveAck(s: Endpoint, r: Endpoint, seg: FlowSegment, frame: number, fin: boolean): void {
    const tcp = seg.tcp;
    const ackNo = tcp.ack;

    if (r.hasNxt && seqGT(ackNo, r.nxt) && s.noteUnseenAck) {
      s.noteUnseenAck = false;
      this.anomaly('ack_of_unseen_segment', frame, `${s.role} acknowledges ${ackNo}, ${r.role} was only seen up to ${r.nxt >>> 0}`);
    }

    if (r.state === SYN_RCVD && r.sentSynAck) {
      if (seqGT(ackNo, r.isn) && (!r.hasNxt || seqLE(ackNo, r.nxt))) {
        const wasHandshake = this.apply(r, RCV_ACK_OF_SYN, frame);
        if (wasHandshake && r === this.server && !this.simultaneousOpen) this.completeHandshake(seg);
      } else if (r.noteHandshakeAck) {
        r.noteHandshakeAck = false;
        this.anomaly('handshake_ack_mismatch', frame, `ACK acknowledges ${ackNo}, expected ISN+1 = ${seqAdd(r.isn, 1)}`);
      }
    }
    // §3.10.7.4 fifth check: in SYN-RECEIVED a segment whose ACK did not complete the handshake
    // is dropped, FIN and all.
    if (r.state === SYN_RCVD) return;

    const acksFin = r.finSent && seqGE(ackNo, seqAdd(r.finSeq, 1));
    if (fin && acksFin && r.state === FIN_WAIT_1) {
      // Three-segment close: the peer's FIN acknowledges ours, FIN-WAIT-1 → TIME-WAIT directly.
      if (this.apply(r, RCV_FIN_ACK, frame)) this.threeWayClose = true;
      return;
    }
    if (acksFin) this.apply(r, RCV_ACK_OF_FIN, frame);
    if (fin) {
      if (r.state === FIN_WAIT_1) this.simultaneousClose = true;
      this.apply(r, RCV_FIN, frame);
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
    const finSeq = seqAdd(tcp.seq, tcp.payloadLength + ((tcp.flags & TcpFlag.SYN) !== 0 ? 1 : 0)) | 0;
    if (s.finSent) {
      if (finSeq === s.finSeq) s.finRetransmissions++;
    } else {
      s.finSent = true;
      s.finSeq = finSeq;
      if (this.firstFinSide < 0) this.firstFinSide = s === this.ep0 ? 0 : 1;
    }
    if (s.state === SYN_SENT || s.state === LISTEN || (s.state === CLOSED && s.recorded === 0)) {
      this.anomaly('fin_before_handshake', frame, `${s.role} sent FIN in ${STATE_NAMES[s.state]}`);
      return;
    }
    const acksPeerFin = ack && r.finSent && seqGE(tcp.ack, seqAdd(r.finSeq, 1));
    if (s.state === CLOSE_WAIT && r.finSent && !acksPeerFin && this.lastRecordedTo(s) === CLOSE_WAIT) {
      // Crossed FINs (RFC 9293 §3.6 Figure 13): this FIN does not acknowledge the peer's, so it
      // was sent before the peer's FIN arrived. Re-read ESTABLISHED→CLOSE_WAIT as
      // ESTABLISHED→FIN_WAIT_1→CLOSING.
      this.retract(s);
      this.apply(s, SND_FIN, frame);
      this.apply(s, RCV_FIN, frame, true);
      this.simultaneousClose = true;
      return;
    }
    this.apply(s, SND_FIN, frame);
  }

  /** Payload the passive side sends after the first FIN (half-close), new bytes only. */
  private countAfterFin(s: Endpoint, seq: number, len: number): void {
    if (this.firstFinSide < 0 || (this.firstFinSide === 0 ? this.ep0 : this.ep1) === s || s.finSent) return;
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
    if (s.state === SYN_SENT && s.hasBadSynAck && (tcp.seq | 0) === s.badSynAckAck) {
      // §3.10.7.3: the answer to an unacceptable SYN-ACK (an old duplicate SYN, §3.5 Figure 9) is
      // <SEQ=SEG.ACK><CTL=RST>; the sender stays in SYN-SENT and the connection goes on.
    } else {
      s.sentReset = true;
      if (this.firstRstSide < 0) this.firstRstSide = s === this.ep0 ? 0 : 1;
      if (s.state === SYN_RCVD && s.passive && !s.sentSynAck) {
        // Refusal: the host had no listener (§3.10.7.1), so it never left CLOSED.
        this.retract(s);
        s.state = CLOSED;
        s.passive = false;
        ended = true;
      } else if (this.apply(s, SND_RST, frame)) ended = true;
      if (s.state === CLOSED) s.reset = true;
    }

    // Receiver.
    if (r.state !== CLOSED && r.state !== LISTEN) {
      // (nothing to reset in CLOSED or LISTEN: §3.10.7.1, §3.10.7.2)
      const why = this.rstUnacceptable(s, r, seg);
      if (why !== null) {
        this.anomaly('rst_out_of_window', frame, why);
      } else {
        const clientRefused = r === this.client && r.state === SYN_SENT && !s.sentSynAck;
        const passive = r.state === SYN_RCVD && r.passive;
        if (this.apply(r, passive ? RCV_RST_PASSIVE : RCV_RST, frame)) {
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
    if (r.state === SYN_SENT) {
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
    return `RST seq ${tcp.seq} outside ${r.role}'s window [${rcvNxt >>> 0}, ${seqAdd(rcvNxt, wnd)})`;
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

    const anomalies = this.anomalies === null ? [] : this.anomalies.slice();
    // Sized up front: `recorded` counts each endpoint's entries in the log (a flow records about
    // five per endpoint, which growing arrays from empty would give room for sixteen).
    const client = new Array<Transition>(c.recorded);
    const server = new Array<Transition>(s.recorded);
    let nc = 0;
    let ns = 0;
    for (const entry of this.log) {
      if (logRole(entry) === 'client') client[nc++] = logTransition(entry);
      else server[ns++] = logTransition(entry);
    }
    return {
      client: this.clientSide,
      roles_inferred: this.rolesInferred,
      handshake: {
        status,
        isn: { client: c.isnSeen ? c.isn >>> 0 : null, server: s.isnSeen ? s.isn >>> 0 : null },
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
      final_state: { client: STATE_NAMES[c.state]!, server: STATE_NAMES[s.state]! },
      transitions: { client, server },
      anomalies,
    };
  }
}
