// Wireshark-compatible per-flow sequence analysis: for every segment of one tshark stream it
// reproduces what TShark 4.0 prints as tcp.seq / tcp.ack (relative numbers), tcp.window_size
// (window after scaling), the tcp.analysis.* flags with tcp.analysis.duplicate_ack_num, and the
// stream's tcp.completeness bitmask. Each rule follows epan/dissectors/packet-tcp.c
// (tcp_analyze_sequence_number, verify_tcp_window_scaling, dissect_tcp) and says so where it is
// applied. The state is O(1) per flow: tshark's list of unacknowledged segments only feeds RTT,
// RTO and bytes-in-flight fields, none of which we reproduce, so it is not kept.
//
// Limitations (known on purpose):
// - MPTCP: tshark suppresses duplicate ACKs while the set of MPTCP option kinds seen on the
//   MPTCP *connection* grows (RFC 8684 §4); we track it per TCP flow only, so an MPTCP
//   connection spread over several subflows can differ.
// - Segments tshark cannot size (IP fragments not reassembled, IP length shorter than the TCP
//   header) are analysed here like any other; tshark skips the analysis for them.
// - The analysis options are tshark's defaults (relative sequence numbers, "analyze TCP
//   sequence numbers" on, unknown window scaling left unknown).
// - Version: the rules are those of the packet-tcp.c generation around 4.0, corrected where
//   TShark 4.0.17's own output disagrees (ACKed-unseen-segment boundary, no flag on a repeated
//   SYN). Rules that no golden capture exercises follow that source unverified: spurious
//   retransmission tested before fast retransmission and out-of-order, the unscaled first
//   window in the window-full test (issue 14690), and the MPTCP duplicate-ACK exemption.

import { TcpFlag } from '../decode/types.js';
import { seqAdd, seqGE, seqGT, seqRelative } from './seq.js';
import type { FlowSegment, Side } from './types.js';

/**
 * Bits of `WiresharkAnalysis.flags`, one per tshark field `tcp.analysis.<name>`. A bit is set
 * exactly when tshark prints that field for the frame: like tshark, fast and spurious
 * retransmissions also carry `retransmission`, and `duplicate_ack` goes with a non-zero
 * `duplicate_ack_num`.
 */
export const ANALYSIS = {
  retransmission: 1 << 0,
  fast_retransmission: 1 << 1,
  spurious_retransmission: 1 << 2,
  out_of_order: 1 << 3,
  /** "Previous segment not captured". */
  lost_segment: 1 << 4,
  /** "ACKed unseen segment". */
  ack_lost_segment: 1 << 5,
  duplicate_ack: 1 << 6,
  zero_window: 1 << 7,
  zero_window_probe: 1 << 8,
  zero_window_probe_ack: 1 << 9,
  window_full: 1 << 10,
  window_update: 1 << 11,
  keep_alive: 1 << 12,
  keep_alive_ack: 1 << 13,
  /** A SYN of a reused 4-tuple, or a repeated SYN / changed SYN-ACK (packet-tcp.c dissect_tcp). */
  reused_ports: 1 << 14,
} as const;

export type AnalysisName = keyof typeof ANALYSIS;

/** Every analysis name, in bit order. */
export const ANALYSIS_NAMES = Object.keys(ANALYSIS) as AnalysisName[];

/** The names of the bits set in `flags`, in bit order. */
export function analysisNames(flags: number): AnalysisName[] {
  const names: AnalysisName[] = [];
  for (const name of ANALYSIS_NAMES) if (flags & ANALYSIS[name]) names.push(name);
  return names;
}

const ANALYSIS_NAMES_BY_FLAGS = new Map<number, readonly AnalysisName[]>();

/** analysisNames as one shared, frozen array per distinct flags value (per-segment records). */
export function sharedAnalysisNames(flags: number): readonly AnalysisName[] {
  let names = ANALYSIS_NAMES_BY_FLAGS.get(flags);
  if (names === undefined) {
    names = Object.freeze(analysisNames(flags));
    ANALYSIS_NAMES_BY_FLAGS.set(flags, names);
  }
  return names;
}

/** counts() of a flow without any flagged segment (most flows): a new object, as callers may keep it. */
function zeroCounts(): Record<AnalysisName, number> {
  return {
    retransmission: 0,
    fast_retransmission: 0,
    spurious_retransmission: 0,
    out_of_order: 0,
    lost_segment: 0,
    ack_lost_segment: 0,
    duplicate_ack: 0,
    zero_window: 0,
    zero_window_probe: 0,
    zero_window_probe_ack: 0,
    window_full: 0,
    window_update: 0,
    keep_alive: 0,
    keep_alive_ack: 0,
    reused_ports: 0,
  };
}

/** tcp.completeness bits (packet-tcp.c TCP_COMPLETENESS_*). */
export const COMPLETENESS = {
  SYN: 0x01,
  SYN_ACK: 0x02,
  ACK: 0x04,
  DATA: 0x08,
  FIN: 0x10,
  RST: 0x20,
} as const;

// tshark's internal analysis bits (packet-tcp.c TCP_A_*), kept apart from the displayed ones
// because the display adds `retransmission` to fast and spurious retransmissions.
const A_RETRANSMISSION = 0x0001;
const A_LOST_PACKET = 0x0002;
const A_ACK_LOST_PACKET = 0x0004;
const A_KEEP_ALIVE = 0x0008;
const A_DUPLICATE_ACK = 0x0010;
const A_ZERO_WINDOW = 0x0020;
const A_ZERO_WINDOW_PROBE = 0x0040;
const A_ZERO_WINDOW_PROBE_ACK = 0x0080;
const A_KEEP_ALIVE_ACK = 0x0100;
const A_OUT_OF_ORDER = 0x0200;
const A_FAST_RETRANSMISSION = 0x0400;
const A_WINDOW_UPDATE = 0x0800;
const A_WINDOW_FULL = 0x1000;
const A_REUSED_PORTS = 0x2000;
const A_SPURIOUS_RETRANSMISSION = 0x4000;

/** Internal bit → displayed bit(s), in bit order of the internal flags. */
const DISPLAY: readonly [number, number][] = [
  [A_RETRANSMISSION, ANALYSIS.retransmission],
  [A_LOST_PACKET, ANALYSIS.lost_segment],
  [A_ACK_LOST_PACKET, ANALYSIS.ack_lost_segment],
  [A_KEEP_ALIVE, ANALYSIS.keep_alive],
  [A_ZERO_WINDOW, ANALYSIS.zero_window],
  [A_ZERO_WINDOW_PROBE, ANALYSIS.zero_window_probe],
  [A_ZERO_WINDOW_PROBE_ACK, ANALYSIS.zero_window_probe_ack],
  [A_KEEP_ALIVE_ACK, ANALYSIS.keep_alive_ack],
  [A_OUT_OF_ORDER, ANALYSIS.out_of_order],
  // packet-tcp.c tcp_sequence_number_analysis_print_retransmission: fast and spurious
  // retransmissions also add the plain retransmission expert info.
  [A_FAST_RETRANSMISSION, ANALYSIS.fast_retransmission | ANALYSIS.retransmission],
  [A_SPURIOUS_RETRANSMISSION, ANALYSIS.spurious_retransmission | ANALYSIS.retransmission],
  [A_WINDOW_UPDATE, ANALYSIS.window_update],
  [A_WINDOW_FULL, ANALYSIS.window_full],
  [A_REUSED_PORTS, ANALYSIS.reused_ports],
];

/** Window scale states besides a shift count (packet-tcp.c tcp_flow_t.win_scale). */
const WS_UNKNOWN = -1;
const WS_NONE = -2;
/** RFC 7323 §2.3: a shift above 14 is treated as 14 (tshark does the same). */
const WS_MAX_SHIFT = 14;

/** Fast retransmission: within 20 ms of the last duplicate ACK (packet-tcp.c). */
const FAST_RETRANSMISSION_NS = 20_000_000;
/** Out-of-order threshold when no initial RTT is known yet: 3 ms (packet-tcp.c). */
const DEFAULT_OOO_THRESHOLD_NS = 3_000_000;

const MPTCP_TRACKED_SUBTYPES = 8; // MP_CAPABLE … MP_FASTCLOSE set tshark's mp_operations bits

/**
 * One direction's analysis state (packet-tcp.c tcp_flow_t and tcp_analyze_seq_flow_info_t).
 * Zero doubles as "not seen yet" for nextSeq, lastAck and maxSeqToBeAcked exactly as in tshark,
 * which is why a flow whose numbers really are 0 behaves as tshark's does.
 *
 * The 32-bit numbers (sequence numbers, acknowledgements, the window) are stored as int32
 * (`| 0`) and read back unsigned through accessors: V8 keeps an int32 inline in the object,
 * but a uint32 above 2^31 as a separate heap number, and a flow keeps both directions for its
 * whole life.
 */
class Direction {
  private baseSeq32 = 0;
  baseSet = false;
  /** Shift count ≥ 0, or WS_UNKNOWN / WS_NONE. */
  winScale = WS_UNKNOWN;
  /** Starts at G_MAXUINT32, as in tshark (see `window`). */
  private window32 = -1;
  private nextSeq32 = 0;
  nextSeqSec = 0;
  nextSeqNsec = 0;
  private lastAck32 = 0;
  lastAckSec = 0;
  lastAckNsec = 0;
  private maxSeqToBeAcked32 = 0;
  /** Duplicate ACKs in a row; −1 after an "ACKed unseen segment" (packet-tcp.c). */
  dupAckNum = 0;
  lastNonDupAck = 0;
  lastSegmentFlags = 0;
  isFirstAck = false;
  /** tshark's mp_operations snapshot for this direction. */
  mpOps = 0;

  get baseSeq(): number {
    return this.baseSeq32 >>> 0;
  }
  set baseSeq(seq: number) {
    this.baseSeq32 = seq | 0;
  }

  /** Last raw window sent; tshark starts it at G_MAXUINT32 so nothing looks like a change. */
  get window(): number {
    return this.window32 >>> 0;
  }
  set window(window: number) {
    this.window32 = window | 0;
  }

  get nextSeq(): number {
    return this.nextSeq32 >>> 0;
  }
  set nextSeq(seq: number) {
    this.nextSeq32 = seq | 0;
  }

  get lastAck(): number {
    return this.lastAck32 >>> 0;
  }
  set lastAck(ack: number) {
    this.lastAck32 = ack | 0;
  }

  get maxSeqToBeAcked(): number {
    return this.maxSeqToBeAcked32 >>> 0;
  }
  set maxSeqToBeAcked(seq: number) {
    this.maxSeqToBeAcked32 = seq | 0;
  }
}

/** Options for one flow's analysis. */
export interface WiresharkAnalysisOptions {
  /**
   * The flow was opened by a bare SYN on a 4-tuple whose previous conversation it replaces
   * (see `startsNewConversation`): tshark then flags that SYN `reused_ports` and starts the
   * completeness at SYN instead of at "new conversation".
   */
  portsReused?: boolean;
}

/**
 * TShark 4.0's per-stream analysis. Feed every segment of the stream, in capture order, to
 * `onSegment`; the public fields then describe that segment until the next call.
 */
export class WiresharkAnalysis {
  /** tcp.seq: sequence number relative to the sender's base (ISN, or first seq − 1). */
  relSeq = 0;
  /** tcp.ack: relative to the peer's base when ACK is set; the raw field otherwise (as tshark). */
  relAck = 0;
  /**
   * tcp.window_size: the window shifted by the sender's scale when tshark knows it, the raw
   * window when it knows there is no scaling (and always on SYNs, which are never scaled), and
   * null when the scale is unknown (tshark then prints the raw value).
   */
  winScaled: number | null = null;
  /** ANALYSIS bits tshark prints for this segment. */
  flags = 0;
  /** tcp.analysis.duplicate_ack_num, or 0. */
  dupAckNum = 0;
  /** tcp.analysis.duplicate_ack_frame (the last non-duplicate ACK), or 0. */
  dupAckFrame = 0;
  /** tcp.completeness as a one-pass tshark prints it on this segment: the value before it. */
  completenessBefore = 0;

  // The directions by sending side (two fields rather than an array: one object less per flow).
  private readonly dir0 = new Direction();
  private readonly dir1 = new Direction();
  private completenessBits = 0;
  /** No segment fed yet: tshark's conversation_is_new. */
  private isNew: boolean;
  /** The next segment is the SYN that reopened a reused 4-tuple. */
  private pendingReuse = false;
  /** Most recent bare SYN (tshark ts_mru_syn). */
  private mruSynSeen = false;
  private mruSynSec = 0;
  private mruSynNsec = 0;
  /** Initial RTT in nanoseconds (tshark ts_first_rtt); 0 while unknown, as in tshark. */
  private firstRttNs = 0;
  private mptcpSeen = false;
  private mptcpOps = 0;
  /**
   * Segments per ANALYSIS bit, allocated on the first flagged segment: most flows never carry a
   * flag, and a 15-double typed array is too big for V8's on-heap buffers (an off-heap
   * allocation per flow that the GC must track and free).
   */
  private totals: Float64Array | null = null;

  constructor(options: WiresharkAnalysisOptions = {}) {
    this.isNew = !options.portsReused;
    if (options.portsReused) {
      // packet-tcp.c dissect_tcp: "a new conversation starting with a SYN implies
      // conversation completeness value 1", and the SYN is flagged as reusing the ports.
      this.completenessBits = COMPLETENESS.SYN;
      this.pendingReuse = true;
    }
  }

  /** The base sequence number tshark holds for a side, or null before it has one. */
  baseSeq(side: Side): number | null {
    const d = side === 0 ? this.dir0 : this.dir1;
    return d.baseSet ? d.baseSeq : null;
  }

  /**
   * True when tshark would not add this segment to the current conversation but open a new one
   * on the same 4-tuple: a bare SYN whose sequence number differs from the base already known
   * for its sender (packet-tcp.c dissect_tcp, "TA_PORTS_REUSED").
   */
  startsNewConversation(seg: FlowSegment): boolean {
    const tcp = seg.tcp;
    if ((tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) return false;
    const d = seg.side === 0 ? this.dir0 : this.dir1;
    return d.baseSet && d.baseSeq !== tcp.seq;
  }

  /** Final tcp.completeness of the stream (what `tshark -2` prints). */
  completeness(): number {
    return this.completenessBits;
  }

  /** tcp.analysis.initial_rtt in nanoseconds: first bare ACK after the last bare SYN; null until then. */
  initialRttNs(): number | null {
    return this.firstRttNs === 0 ? null : this.firstRttNs;
  }

  /** How many segments of this flow carried each flag so far (keys in ANALYSIS order). */
  counts(): Record<AnalysisName, number> {
    const t = this.totals;
    if (t === null) return zeroCounts();
    // One literal, read once per reported flow: filling `{}` key by key walks fifteen hidden
    // classes through a megamorphic keyed store. The indexes are the ANALYSIS bit numbers;
    // test/flow/wireshark.test.ts holds the key order to ANALYSIS_NAMES.
    return {
      retransmission: t[0]!,
      fast_retransmission: t[1]!,
      spurious_retransmission: t[2]!,
      out_of_order: t[3]!,
      lost_segment: t[4]!,
      ack_lost_segment: t[5]!,
      duplicate_ack: t[6]!,
      zero_window: t[7]!,
      zero_window_probe: t[8]!,
      zero_window_probe_ack: t[9]!,
      window_full: t[10]!,
      window_update: t[11]!,
      keep_alive: t[12]!,
      keep_alive_ack: t[13]!,
      reused_ports: t[14]!,
    };
  }

  onSegment(seg: FlowSegment): void {
    const tcp = seg.tcp;
    const fwd = seg.side === 0 ? this.dir0 : this.dir1;
    const rev = seg.side === 0 ? this.dir1 : this.dir0;
    const th = tcp.flags;
    const syn = (th & TcpFlag.SYN) !== 0;
    const ack = (th & TcpFlag.ACK) !== 0;
    let a = 0; // internal TCP_A_* flags of this segment

    // dissect_tcp, before the analysis: the SYN reopening a reused 4-tuple is flagged, and a
    // SYN-ACK with a new sequence number replaces its sender's base (Wireshark issue 16944).
    // A retransmitted SYN (same seq) is not flagged by 4.0 (fixtures/kernel/syn-retransmission).
    if (this.pendingReuse) {
      a |= A_REUSED_PORTS;
      this.pendingReuse = false;
    } else if (syn && ack && fwd.baseSet && tcp.seq !== fwd.baseSeq) {
      fwd.baseSeq = tcp.seq;
      a |= A_REUSED_PORTS;
    }

    a = this.analyze(seg, fwd, rev, a);
    this.publish(a);

    // dissect_tcp: relative numbers after the analysis set the bases.
    this.relSeq = seqRelative(tcp.seq, fwd.baseSeq);
    this.relAck = ack ? seqRelative(tcp.ack, rev.baseSeq) : tcp.ack;

    // dissect_tcp "re-calculate window size, based on scaling factor": SYNs are never scaled.
    if (syn) this.winScaled = tcp.window;
    else if (fwd.winScale >= 0) this.winScaled = tcp.window * (1 << fwd.winScale);
    else if (fwd.winScale === WS_NONE) this.winScaled = tcp.window;
    else this.winScaled = null;

    this.updateCompleteness(th, tcp.payloadLength);

    const tsSec = seg.pkt.tsSec;
    const tsNsec = seg.pkt.tsNsec;
    if (syn) {
      fwd.isFirstAck = true;
      if (!ack) {
        this.mruSynSeen = true;
        this.mruSynSec = tsSec;
        this.mruSynNsec = tsNsec;
      }
    } else if (ack) {
      // Initial RTT: the first bare ACK after a SYN, measured from the most recent SYN.
      if (this.mruSynSeen && this.firstRttNs === 0) {
        this.firstRttNs = (tsSec - this.mruSynSec) * 1e9 + (tsNsec - this.mruSynNsec);
      }
      // Issue 14690: window scaling only applies once this side has sent an ACK.
      fwd.isFirstAck = false;
    }

    // Options are dissected after the analysis, so they affect the next segments only.
    const options = tcp.options;
    if (options.wscale !== undefined) {
      // Any segment's WS option is stored (tshark does not check for SYN here).
      fwd.winScale = Math.min(options.wscale, WS_MAX_SHIFT);
    }
    if (syn) this.verifyWindowScaling(ack, fwd, rev);
    if (options.mptcp !== undefined) {
      this.mptcpSeen = true;
      if (options.mptcp.subtype < MPTCP_TRACKED_SUBTYPES) this.mptcpOps |= 1 << options.mptcp.subtype;
    }
  }

  /**
   * packet-tcp.c tcp_analyze_sequence_number, for one segment: updates both directions and
   * returns the TCP_A_* flags. Comparisons use Wireshark's macros: LT_SEQ(x, y) is
   * seqGT(y, x) and LE_SEQ(x, y) is seqGE(y, x) (they differ from seqLT/seqLE only at a
   * distance of exactly 2^31).
   */
  private analyze(seg: FlowSegment, fwd: Direction, rev: Direction, a: number): number {
    const tcp = seg.tcp;
    const seq = tcp.seq;
    const ack = tcp.ack;
    const th = tcp.flags;
    const seglen = tcp.payloadLength;
    const window = tcp.window;
    const frame = seg.pkt.frame;
    const tsSec = seg.pkt.tsSec;
    const tsNsec = seg.pkt.tsNsec;
    const synFinRst = th & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST);

    // Base sequence numbers: the SYN's seq, else one before the first seq seen; the peer's
    // from the first ACK (ack − 1), since a SYN's ack field need not be zero.
    if (!fwd.baseSet) {
      fwd.baseSeq = th & TcpFlag.SYN ? seq : seqAdd(seq, -1);
      fwd.baseSet = true;
    }
    if (!rev.baseSet && th & TcpFlag.ACK) {
      rev.baseSeq = seqAdd(ack, -1);
      rev.baseSet = true;
    }

    forward: {
      // ZERO WINDOW PROBE: one byte at the next expected seq while the peer's window is 0.
      if (seglen === 1 && seq === fwd.nextSeq && rev.window === 0) {
        a |= A_ZERO_WINDOW_PROBE;
        break forward;
      }
      // ZERO WINDOW: window 0 on anything but SYN/FIN/RST.
      if (window === 0 && synFinRst === 0) a |= A_ZERO_WINDOW;

      // LOST PACKET: beyond the highest nextseq seen (not checked for RSTs).
      if (fwd.nextSeq !== 0 && seqGT(seq, fwd.nextSeq) && (th & TcpFlag.RST) === 0) {
        a |= A_LOST_PACKET;
      }
      // KEEP ALIVE: 0 or 1 byte starting one before the next expected seq.
      if ((seglen === 0 || seglen === 1) && seq === seqAdd(fwd.nextSeq, -1) && synFinRst === 0) {
        a |= A_KEEP_ALIVE;
      }
      // WINDOW UPDATE: empty, same seq/ack as before, a different non-zero window.
      if (
        seglen === 0 &&
        window !== 0 &&
        window !== fwd.window &&
        seq === fwd.nextSeq &&
        ack === fwd.lastAck &&
        synFinRst === 0
      ) {
        a |= A_WINDOW_UPDATE;
      }
      // WINDOW FULL: data reaching exactly the right edge of the peer's advertised window.
      if (seglen > 0 && rev.winScale !== WS_UNKNOWN && synFinRst === 0) {
        // Issue 14690: the peer's first window after its SYN is not scaled yet.
        const shift = rev.isFirstAck || rev.winScale === WS_NONE ? 0 : rev.winScale;
        const edge = seqAdd(rev.lastAck, (rev.window << shift) >>> 0);
        if (seqAdd(seq, seglen) === edge) a |= A_WINDOW_FULL;
      }
      // KEEP ALIVE ACK: repeats the last ACK right after a keep-alive from the peer.
      if (
        seglen === 0 &&
        window !== 0 &&
        window === fwd.window &&
        seq === fwd.nextSeq &&
        ack === fwd.lastAck &&
        rev.lastSegmentFlags & A_KEEP_ALIVE &&
        synFinRst === 0
      ) {
        a |= A_KEEP_ALIVE_ACK;
        break forward;
      }
      // ZERO WINDOW PROBE ACK: repeats the last ACK and the zero window after a probe.
      if (
        seglen === 0 &&
        window === 0 &&
        window === fwd.window &&
        seq === fwd.nextSeq &&
        ack === fwd.lastAck &&
        rev.lastSegmentFlags & A_ZERO_WINDOW_PROBE &&
        synFinRst === 0
      ) {
        a |= A_ZERO_WINDOW_PROBE_ACK;
        break forward;
      }
      // DUPLICATE ACK: empty, same window/seq/ack as this side's previous segment.
      if (
        seglen === 0 &&
        window !== 0 &&
        window === fwd.window &&
        seq === fwd.nextSeq &&
        ack === fwd.lastAck &&
        synFinRst === 0
      ) {
        // RFC 8684 §4: MPTCP may repeat ACKs to carry options; tshark ignores those while
        // the connection's set of MPTCP option kinds differs from this side's snapshot.
        if (!(this.mptcpSeen && this.mptcpOps !== fwd.mpOps)) {
          // After an "ACKed unseen segment" the count restarts at 1.
          fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
          a |= A_DUPLICATE_ACK;
          this.dupAckNum = fwd.dupAckNum;
          this.dupAckFrame = fwd.lastNonDupAck;
        }
      }
    }

    // A new ack number resets the duplicate-ACK count.
    if (ack !== fwd.lastAck) {
      fwd.lastNonDupAck = frame;
      fwd.dupAckNum = 0;
    }

    // ACKED LOST PACKET: acknowledges beyond the highest contiguous seq the peer was seen
    // sending. If the peer has sent more since, the boundary jumps to its nextseq; otherwise
    // the gap is reported once, until the peer sends a new ACK (its duplicate-ACK count is
    // parked at −1 meanwhile). Both comparisons of the two boundaries are plain unsigned ones
    // in packet-tcp.c. TShark 4.0.17 jumps when maxseqtobeacked < nextseq: that is what its
    // output shows (tcpdump/of13_ericsson.pcapng frames 86-91, zeek/ipv6-http-atomic-frag.pcap
    // frames 6-7); later versions test ">".
    if (rev.maxSeqToBeAcked !== 0 && seqGT(ack, rev.maxSeqToBeAcked) && th & TcpFlag.ACK) {
      if (rev.maxSeqToBeAcked < rev.nextSeq) {
        rev.maxSeqToBeAcked = rev.nextSeq;
        a |= A_ACK_LOST_PACKET;
      } else {
        if (rev.dupAckNum === 0) a |= A_ACK_LOST_PACKET;
        rev.dupAckNum = -1;
      }
    }

    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS: a segment occupying
    // sequence space (data, SYN or FIN) that does not advance nextseq.
    retrans: if (seglen > 0 || th & (TcpFlag.SYN | TcpFlag.FIN)) {
      let notAdvanced = fwd.nextSeq !== 0 && seqGT(fwd.nextSeq, seq);
      if (a & A_KEEP_ALIVE) break retrans;
      // More than one byte starting at nextseq − 1 (after a possible zero-window probe)
      // brings new data: not a retransmission.
      if (seglen > 1 && seqAdd(fwd.nextSeq, -1) === seq) notAdvanced = false;

      // SPURIOUS: all of its data was already acknowledged by the peer.
      if (seglen > 0 && rev.lastAck !== 0 && seqGE(rev.lastAck, seqAdd(seq, seglen))) {
        a |= A_SPURIOUS_RETRANSMISSION;
        break retrans;
      }
      // FAST RETRANSMISSION: ≥ 2 duplicate ACKs from the peer asking for this seq, within 20 ms.
      const sinceDupAck = (tsSec - rev.lastAckSec) * 1e9 + (tsNsec - rev.lastAckNsec);
      if (
        notAdvanced &&
        rev.dupAckNum >= 2 &&
        rev.lastAck === seq &&
        sinceDupAck >= 0 &&
        sinceDupAck < FAST_RETRANSMISSION_NS
      ) {
        a |= A_FAST_RETRANSMISSION;
        break retrans;
      }
      // OUT-OF-ORDER: soon after the highest segment (within the initial RTT, or 3 ms) and
      // not ending exactly at nextseq (SYN and FIN count as one).
      const sinceNext = (tsSec - fwd.nextSeqSec) * 1e9 + (tsNsec - fwd.nextSeqNsec);
      const threshold = this.firstRttNs === 0 ? DEFAULT_OOO_THRESHOLD_NS : this.firstRttNs;
      const end = seqAdd(seq, seglen + (th & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0));
      if (notAdvanced && sinceNext >= 0 && sinceNext < threshold && fwd.nextSeq !== end) {
        a |= A_OUT_OF_ORDER;
        break retrans;
      }
      if (notAdvanced) a |= A_RETRANSMISSION;
    }

    // Highest nextseq seen (zero-window probes do not advance it).
    let nextSeq = seqAdd(seq, seglen);
    if (th & (TcpFlag.SYN | TcpFlag.FIN)) nextSeq = seqAdd(nextSeq, 1);
    const probe = (a & A_ZERO_WINDOW_PROBE) !== 0;
    if ((seqGT(nextSeq, fwd.nextSeq) || fwd.nextSeq === 0) && !probe) {
      fwd.nextSeq = nextSeq;
      fwd.nextSeqSec = tsSec;
      fwd.nextSeqNsec = tsNsec;
    }
    // Highest contiguous seq, for "ACKed unseen segment".
    if ((seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && !probe) {
      fwd.maxSeqToBeAcked = fwd.nextSeq;
    }

    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckSec = tsSec;
    fwd.lastAckNsec = tsNsec;
    if (this.mptcpSeen) fwd.mpOps = this.mptcpOps;
    fwd.lastSegmentFlags = a;
    return a;
  }

  /** Turns the internal flags into the displayed ANALYSIS bits and counts them. */
  private publish(a: number): void {
    let flags = 0;
    if (a !== 0) {
      for (const [internal, shown] of DISPLAY) if (a & internal) flags |= shown;
      // tcp_sequence_number_analysis_print_duplicate: only with a non-zero count.
      if (a & A_DUPLICATE_ACK && this.dupAckNum !== 0) flags |= ANALYSIS.duplicate_ack;
      const totals = (this.totals ??= new Float64Array(ANALYSIS_NAMES.length));
      for (let i = 0; i < ANALYSIS_NAMES.length; i++) if (flags & (1 << i)) totals[i]!++;
    }
    if (!(a & A_DUPLICATE_ACK)) {
      this.dupAckNum = 0;
      this.dupAckFrame = 0;
    }
    this.flags = flags;
  }

  /**
   * dissect_tcp "initialize or move forward the conversation completeness". A new
   * conversation only counts a bare SYN (and its data, TCP Fast Open); after that, SYN-ACK,
   * bare ACK, data on a non-SYN ACK, FIN with ACK and RST each add their bit.
   */
  private updateCompleteness(th: number, seglen: number): void {
    this.completenessBefore = this.completenessBits;
    let bits = this.completenessBits;
    const synAck = th & (TcpFlag.SYN | TcpFlag.ACK);
    if (this.isNew) {
      this.isNew = false;
      if (synAck === TcpFlag.SYN) {
        bits |= COMPLETENESS.SYN;
        if (seglen > 0) bits |= COMPLETENESS.DATA;
      }
    } else {
      if (synAck === (TcpFlag.SYN | TcpFlag.ACK)) bits |= COMPLETENESS.SYN_ACK;
      if (synAck === TcpFlag.ACK) bits |= seglen > 0 ? COMPLETENESS.DATA : COMPLETENESS.ACK;
      if ((th & (TcpFlag.FIN | TcpFlag.ACK)) === (TcpFlag.FIN | TcpFlag.ACK)) bits |= COMPLETENESS.FIN;
      if (th & TcpFlag.RST) bits |= COMPLETENESS.RST;
    }
    this.completenessBits = bits;
  }

  /**
   * packet-tcp.c verify_tcp_window_scaling, after a SYN's options: a SYN without WS means
   * neither side scales; a SYN-ACK with WS answering a SYN without it does not scale either.
   */
  private verifyWindowScaling(isSynAck: boolean, fwd: Direction, rev: Direction): void {
    if (fwd.winScale === WS_UNKNOWN) {
      fwd.winScale = WS_NONE;
      rev.winScale = WS_NONE;
    } else if (isSynAck && rev.winScale === WS_NONE) {
      fwd.winScale = WS_NONE;
    }
  }
}
