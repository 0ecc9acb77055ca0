// The flow table: turns the stream of decoded TCP segments into flows. It numbers streams as
// tshark's `tcp.stream` does, feeds each flow's analyzers in capture order, and hands finished
// flows to the caller as soon as they can no longer change, so memory is bounded by the flows
// open at once rather than by the length of the capture.

import type { DecodedPacket } from '../decode/types.js';
import { TcpFlag } from '../decode/types.js';
import { Flow } from './flow.js';
import { flowKey } from './key.js';
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

export class FlowTracker {
  private readonly table = new Map<string, Flow>();
  private nextStream = 0;
  private readonly linger: number;
  private readonly idle: number;
  private readonly maxFlows: number;
  private readonly rules: StreamRules;
  private lastSweep = -Infinity;
  private readonly seg: FlowSegment = { pkt: null!, tcp: null!, side: 0 };
  private readonly info: SegmentInfo = { flow: null!, side: 0 };
  /** Flows whose connection has ended, waiting out the linger time. */
  private readonly finishing = new Set<Flow>();
  evictedFlows = 0;

  constructor(private readonly opts: TrackerOptions) {
    this.linger = opts.lingerSeconds ?? 60;
    this.idle = opts.idleTimeoutSeconds ?? 0;
    this.maxFlows = opts.maxFlows ?? 1_000_000;
    this.rules = opts.streamRules ?? 'current';
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
    const key = flowKey(pkt, tcp.srcPort, tcp.dstPort);
    let flow = this.table.get(key);
    let side: Side = 0;
    let portsReused = false;
    if (flow !== undefined) {
      side = flow.sideOf(pkt, tcp.srcPort);
      if (this.startsNewStream(flow, side, tcp.flags, tcp.seq)) {
        this.emit(flow, 'port-reused');
        portsReused = true;
        flow = undefined;
        side = 0;
      }
    }
    if (flow === undefined) {
      if (this.table.size >= this.maxFlows) this.evictOldest();
      flow = new Flow(this.nextStream++, key, pkt, portsReused);
      this.table.set(key, flow);
    }
    const seg = this.seg;
    seg.pkt = pkt;
    seg.tcp = tcp;
    seg.side = side;
    const wasFinished = flow.finished;
    flow.onSegment(seg);
    if (!wasFinished && flow.finished) this.finishing.add(flow);
    else if (wasFinished && !flow.finished) this.finishing.delete(flow);

    const now = pkt.tsSec;
    if (now - this.lastSweep >= SWEEP_EVERY_SECONDS) this.sweep(now);

    this.info.flow = flow;
    this.info.side = side;
    return this.info;
  }

  /**
   * Wireshark's rule for a reused 4-tuple (packet-tcp.c, conversation lookup in dissect_tcp):
   * a bare SYN whose sequence number differs from the base sequence number already known for
   * its direction starts a new conversation. Current Wireshark also starts one for any bare SYN
   * once the conversation has seen a FIN or RST; TShark 4.0 does not.
   */
  private startsNewStream(flow: Flow, side: Side, flags: number, seq: number): boolean {
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) return false;
    const base = flow.wiresharkBaseSeq(side);
    if (base !== null && base !== seq) return true;
    return this.rules === 'current' && flow.sawFinOrRst;
  }

  /** Emits flows that finished and lingered, and (with an idle timeout) flows gone quiet. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const flow of this.finishing) {
      if (now - flow.lastSec > this.linger) this.emit(flow, 'closed');
    }
    if (this.idle > 0) {
      for (const flow of this.table.values()) {
        if (now - flow.lastSec > this.idle) this.emit(flow, 'idle');
      }
    }
  }

  /** Table full: finish the least recently active flow early (with a warning, never silently). */
  private evictOldest(): void {
    let oldest: Flow | undefined;
    for (const flow of this.table.values()) {
      if (oldest === undefined || flow.lastSec < oldest.lastSec) oldest = flow;
      if (flow.finished) {
        oldest = flow;
        break;
      }
    }
    if (oldest === undefined) return;
    if (this.evictedFlows === 0) {
      this.opts.onWarning?.(
        `more than ${this.maxFlows} flows open at once: finishing the least recently active early (raise --max-flows to keep them)`,
      );
    }
    this.evictedFlows++;
    this.emit(oldest, 'evicted');
  }

  private emit(flow: Flow, reason: FlowEndReason): void {
    if (this.table.get(flow.key) === flow) this.table.delete(flow.key);
    this.finishing.delete(flow);
    this.opts.onFlow(flow, reason);
  }

  /** End of input: every flow still held is emitted, in stream order. */
  finishAll(): void {
    const rest = [...this.table.values()].sort((a, b) => a.stream - b.stream);
    for (const flow of rest) this.emit(flow, 'end-of-input');
  }
}
