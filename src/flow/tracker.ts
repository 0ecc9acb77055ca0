// The flow table: turns the stream of decoded TCP segments into flows. It numbers streams as
// tshark's `tcp.stream` does, feeds each flow's analyzers in capture order, and hands finished
// flows to the caller as soon as they can no longer change, so memory is bounded by the flows
// open at once rather than by the length of the capture.

import type { DecodedPacket } from '../decode/types.js';
import { TcpFlag } from '../decode/types.js';
import { Flow } from './flow.js';
import { FlowTable, tupleHash } from './flow-table.js';
import type { FlowSegment, Side } from './types.js';

/** Which rule set decides when a reused 4-tuple starts a new stream. */
export type StreamRules = 'current' | '4.0';

export interface TrackerOptions {
  /**
   * Capture-time seconds a finished flow (both sides closed, or reset) is kept before it is
   * emitted, so late ACKs, retransmitted FINs and RSTs still land in it. Default 60 (Linux's
   * TIME_WAIT length).
   */
  lingerSeconds?: number;
  /** Capture-time seconds without a segment after which an open flow is emitted. 0 = never. */
  idleTimeoutSeconds?: number;
  /** Upper bound on flows held at once; beyond it the least recently active are finished early. */
  maxFlows?: number;
  /** Stream-numbering rules: current Wireshark (default) or TShark 4.0 (for its goldens). */
  streamRules?: StreamRules;
  /** Called for every flow once it is complete (finished and lingered, idle, evicted, or at end). */
  onFlow: (flow: Flow, reason: FlowEndReason) => void;
  /** Called when the flow table is full and a flow is finished early. */
  onWarning?: (message: string) => void;
}

export type FlowEndReason = 'closed' | 'idle' | 'evicted' | 'end-of-input' | 'port-reused';

/** Per-segment results, overwritten for every packet (copy what you keep). */
export interface SegmentInfo {
  flow: Flow;
  side: Side;
}

const SWEEP_EVERY_SECONDS = 1;

/**
 * Default bound on flows held at once, sized for a 24 GiB machine. What runs out first there is
 * not RAM but the V8 heap: Node.js 20 caps it at about 4 GiB (heap_size_limit 4144 MiB on a
 * 24 GiB host) unless run with --max-old-space-size. A held flow costs about 2.3 KiB of heap
 * (measured with process.memoryUsage() over 100 000 open handshakes, see
 * test/robustness/flow-limits.test.ts), so 500 000 flows take about 1.1 GiB, leaving most of
 * the heap for flows that carry more state (timelines, out-of-order ranges, summary logs) and
 * for the rest of the program. Beyond the bound flows are finished early with a warning.
 */
export const DEFAULT_MAX_FLOWS = 500_000;

export class FlowTracker {
  private readonly table = new FlowTable();
  private nextStream = 0;
  private readonly linger: number;
  private readonly idle: number;
  private readonly maxFlows: number;
  private readonly rules: StreamRules;
  private lastSweep = -Infinity;
  private readonly seg: FlowSegment = { pkt: null!, tcp: null!, side: 0 };
  private readonly info: SegmentInfo = { flow: null!, side: 0 };
  /**
   * Flows whose connection has ended, waiting out the linger time, in order of last activity:
   * a doubly linked list through Flow.prevLingering/nextLingering (a flow re-joins at the tail
   * on every late segment, which a Set would pay for with a delete and an insert).
   */
  private lingerHead: Flow | null = null;
  private lingerTail: Flow | null = null;
  /**
   * Every held flow on a doubly linked list through Flow.older/newer, least recently active
   * at `oldest`, while `keepRecency`: moving a flow to the newest end on each segment is a few
   * pointer writes, so eviction and the idle sweep never scan the table.
   */
  private oldest: Flow | null = null;
  private newest: Flow | null = null;
  /**
   * Whether the recency list is kept. Only the idle sweep and eviction read it, and a move to
   * the newest end writes to the flow's two neighbours, flows last active at unrelated times
   * and so seldom in the CPU cache. Without an idle timeout the list is therefore built when
   * the table first fills, from each flow's `lastActive`, and kept from then on.
   */
  private keepRecency: boolean;
  /** Segments fed so far: the clock Flow.lastActive reads. */
  private segments = 0;
  evictedFlows = 0;

  constructor(private readonly opts: TrackerOptions) {
    this.linger = opts.lingerSeconds ?? 60;
    this.idle = opts.idleTimeoutSeconds ?? 0;
    this.maxFlows = Math.max(1, opts.maxFlows ?? DEFAULT_MAX_FLOWS);
    this.rules = opts.streamRules ?? 'current';
    this.keepRecency = this.idle > 0;
  }

  /** Flows currently held. */
  get openFlows(): number {
    return this.table.size;
  }

  /**
   * Feeds one decoded packet whose TCP header decoded (pkt.tcp non-null, header length ≥ 20).
   * Returns the flow and side it belongs to; the flow's analyzers hold the per-segment results.
   */
  onSegment(pkt: DecodedPacket): SegmentInfo {
    const tcp = pkt.tcp!;
    const hash = tupleHash(pkt, tcp.srcPort, tcp.dstPort);
    let flow = this.table.find(pkt, tcp.srcPort, tcp.dstPort, hash);
    const seg = this.seg;
    seg.pkt = pkt;
    seg.tcp = tcp;
    seg.side = 0;
    let portsReused = false;
    if (flow !== undefined) {
      seg.side = this.table.side;
      if (this.startsNewStream(flow, seg)) {
        this.emit(flow, 'port-reused');
        portsReused = true;
        flow = undefined;
        seg.side = 0;
      }
    }
    if (flow === undefined) {
      if (this.table.size >= this.maxFlows) this.evictOldest();
      flow = new Flow(this.nextStream++, hash, seg, portsReused);
      this.table.insert(flow);
      if (this.keepRecency) this.link(flow);
    } else if (this.keepRecency && flow !== this.newest) {
      this.unlink(flow);
      this.link(flow);
    }
    flow.lastActive = ++this.segments;
    const side = seg.side;
    flow.onSegment(seg);
    if (flow.lingering) this.stopLingering(flow);
    // Kept in order of last activity, so the sweep can stop at the first flow still lingering.
    if (flow.finished) this.startLingering(flow);

    const now = pkt.tsSec;
    if (now - this.lastSweep >= SWEEP_EVERY_SECONDS) this.sweep(now);

    this.info.flow = flow;
    this.info.side = side;
    return this.info;
  }

  /**
   * Capture time seen on a segment of a flow this tracker does not hold (another shard's, see
   * pipeline.ts): the same sweep as onSegment's, so flows end at the same frames in every shard.
   */
  advanceClock(now: number): void {
    if (now - this.lastSweep >= SWEEP_EVERY_SECONDS) this.sweep(now);
  }

  /**
   * Wireshark's rule for a reused 4-tuple (packet-tcp.c, conversation lookup in dissect_tcp):
   * a bare SYN whose sequence number differs from the base sequence number already known for
   * its direction starts a new conversation. Current Wireshark also starts one for any bare SYN
   * once the conversation has seen a FIN or RST; TShark 4.0 does not.
   */
  private startsNewStream(flow: Flow, seg: FlowSegment): boolean {
    if (flow.wireshark.startsNewConversation(seg)) return true;
    const bareSyn = (seg.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    return bareSyn && this.rules === 'current' && flow.sawFinOrRst;
  }

  /**
   * Emits flows that finished and lingered, and (with an idle timeout) flows gone quiet. Both
   * walks stop at the first flow that must stay, so a sweep costs what it emits. (Timestamps
   * that run backwards can hide an idle flow behind a fresher one until a later sweep.)
   */
  private sweep(now: number): void {
    this.lastSweep = now;
    while (this.lingerHead !== null && now - this.lingerHead.lastSec > this.linger) this.emit(this.lingerHead, 'closed');
    if (this.idle > 0) {
      while (this.oldest !== null && now - this.oldest.lastSec > this.idle) this.emit(this.oldest, 'idle');
    }
  }

  /**
   * Table full: finish one flow early, with a warning, never silently. A flow that has already
   * ended (waiting out its linger) goes first, the one that ended earliest; otherwise the
   * least recently active one.
   */
  private evictOldest(): void {
    if (!this.keepRecency) this.startRecency();
    const victim = this.lingerHead ?? this.oldest;
    if (victim === null) return;
    if (this.evictedFlows === 0) {
      this.opts.onWarning?.(
        `more than ${this.maxFlows} flows open at once: finishing the least recently active early (raise --max-flows to keep them)`,
      );
    }
    this.evictedFlows++;
    this.emit(victim, 'evicted');
  }

  private emit(flow: Flow, reason: FlowEndReason): void {
    if (this.table.remove(flow) && this.keepRecency) this.unlink(flow);
    if (flow.lingering) this.stopLingering(flow);
    this.opts.onFlow(flow, reason);
  }

  /** Appends an ended flow at the tail of the linger list. */
  private startLingering(flow: Flow): void {
    flow.lingering = true;
    flow.prevLingering = this.lingerTail;
    flow.nextLingering = null;
    if (this.lingerTail !== null) this.lingerTail.nextLingering = flow;
    else this.lingerHead = flow;
    this.lingerTail = flow;
  }

  private stopLingering(flow: Flow): void {
    if (flow.prevLingering !== null) flow.prevLingering.nextLingering = flow.nextLingering;
    else this.lingerHead = flow.nextLingering;
    if (flow.nextLingering !== null) flow.nextLingering.prevLingering = flow.prevLingering;
    else this.lingerTail = flow.prevLingering;
    flow.prevLingering = flow.nextLingering = null;
    flow.lingering = false;
  }

  /**
   * Builds the recency list from the flows held, least recently active first (the order the
   * list has when it is kept from the start), and keeps it from now on.
   */
  private startRecency(): void {
    const held = [...this.table.values()].sort((a, b) => a.lastActive - b.lastActive);
    for (const flow of held) this.link(flow);
    this.keepRecency = true;
  }

  /** Appends a flow at the newest end of the recency list. */
  private link(flow: Flow): void {
    flow.older = this.newest;
    flow.newer = null;
    if (this.newest !== null) this.newest.newer = flow;
    else this.oldest = flow;
    this.newest = flow;
  }

  private unlink(flow: Flow): void {
    if (flow.older !== null) flow.older.newer = flow.newer;
    else this.oldest = flow.newer;
    if (flow.newer !== null) flow.newer.older = flow.older;
    else this.newest = flow.older;
    flow.older = flow.newer = null;
  }

  /** End of input: every flow still held is emitted, in stream order. */
  finishAll(): void {
    const rest = [...this.table.values()].sort((a, b) => a.stream - b.stream);
    for (const flow of rest) this.emit(flow, 'end-of-input');
  }
}
