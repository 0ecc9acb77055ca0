// The analysis pipeline for one input: capture records → layer decoding → flow tracking.
// Commands plug renderers into its two callbacks (per segment, per finished flow) and get back
// what was read, skipped and damaged, so they can report it and choose the exit status.

import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseCapture, readCapture, type CaptureSummary } from './capture/index.js';
import type { CaptureRecord } from './capture/types.js';
import { decodePacket, newDecodedPacket } from './decode/packet.js';
import { formatDecodeError } from './decode/errors.js';
import type { DecodedPacket } from './decode/types.js';
import type { Flow } from './flow/flow.js';
import { DEFAULT_MAX_FLOWS, FlowTracker, type FlowEndReason, type SegmentInfo, type StreamRules } from './flow/tracker.js';
import { shardOf } from './flow/shard.js';

export interface PipelineHandlers {
  /**
   * Every frame whose TCP header decoded. `info` is null when the segment was not given to the
   * flow engine (a header a receiver would drop, e.g. data offset below 5).
   */
  onSegment?: (pkt: DecodedPacket, info: SegmentInfo | null) => void;
  /** Every flow, once complete (see FlowTracker). */
  onFlow?: (flow: Flow, reason: FlowEndReason) => void;
  /**
   * A flow's connection has ended (both endpoints closed, or a reset) and settled: SETTLE_SECONDS
   * of capture time have passed since, or SETTLE_WALL_MS of wall-clock time on a slow input (a
   * live pipe). Called at most once per flow, before onFlow; onFlow still follows after the
   * tracker's linger (later stray segments join the same flow meanwhile). Streaming outputs write
   * here; a flow that never settles before onFlow is not passed here at all.
   */
  onFinished?: (flow: Flow) => void;
  /**
   * Nothing reads a flow's analysis once onFinished had it (its record is written, and onFlow
   * only skips it): the flow may then drop most of its state while it lingers (Flow.retire).
   */
  settledFlowsDone?: boolean;
  /** Non-fatal remarks (flow table full...). */
  onWarning?: (message: string) => void;
  /**
   * Writes some of the output the handler holds back (a bounded amount); true while some is
   * still held. Called between input chunks, once the output has caught up (PipelineOptions
   * .between), and at end of input, after the last flows, until it returns false, waiting for
   * the output after each call: held-back output never piles up in the output stream's memory.
   */
  drain?: () => boolean;
}

export interface PipelineOptions {
  streamRules?: StreamRules;
  lingerSeconds?: number;
  idleTimeoutSeconds?: number;
  maxFlows?: number;
  /** Stops reading when aborted (Ctrl-C): what was read is analysed and reported as at end of input. */
  signal?: AbortSignal;
  /** Awaited between input chunks (output backpressure, see ReadOptions.between). */
  between?: () => Promise<void> | undefined;
  /** Running totals, updated as records are read (for a progress line). */
  live?: LiveCounters;
  /** This run analyses one share of the capture's flows (see cli/shards.ts). */
  shard?: ShardOptions;
}

/**
 * One of several threads reading the same capture, each owning the flows whose 4-tuple falls
 * in its share (flow/shard.ts). Every thread still reads every frame, so capture time, the
 * tracker's sweeps and the settle queue move exactly as in a one-thread run; each flow is
 * analysed by one thread only. What a one-thread run would number and order globally — stream
 * numbers, the order flows are handed over — is rebuilt from what each shard reports here.
 */
export interface ShardOptions {
  index: number;
  count: number;
  /** Set before each onFinished/onFlow call: where that hand-over falls in a one-thread run. */
  readonly key: EmitKey;
  /** A flow of this shard was created at `frame` (flows are numbered locally in this order). */
  onCreate(frame: number): void;
  /**
   * From `frame` on, a one-thread run could behave differently, for a reason no shard can see
   * alone (`reason`): capture time went backwards, or the flow table could have filled up. Called
   * once; the caller should stop this run and fall back to one thread.
   */
  onDiverge(frame: number, reason: string): void;
}

/**
 * Orders hand-overs as a one-thread run makes them: by the frame being read, then by the step
 * of FlowTracker.onSegment and the pipeline that makes them (EmitPhase), then within a step by
 * `sub`: the order of the tracker's lists, which is the order of frames (see startAnalysis).
 */
export interface EmitKey {
  frame: number;
  phase: EmitPhase;
  sub: number;
}

export const enum EmitPhase {
  /** A new connection on the same 4-tuple ends the old flow, before the segment is analysed. */
  PortReused = 0,
  /** The sweep after the segment: flows done lingering, by their last segment's frame. */
  Lingered = 1,
  /** The same sweep: flows idle past --idle-timeout, least recently active first. */
  Idle = 2,
  /** After the tracker: finished flows settled, in the order they finished. */
  Settled = 3,
  /** End of input (frame Infinity): every flow still held, in stream order (creation frame). */
  EndOfInput = 4,
}

/** Totals while reading: bytes of the (decompressed) input reached, frames read, flows emitted. */
export interface LiveCounters {
  bytes: number;
  frames: number;
  flows: number;
}

export interface InputReport {
  capture: CaptureSummary;
  /** Frames read. */
  frames: number;
  /** Frames with a decoded TCP header. */
  tcpSegments: number;
  /** Frames that are not TCP, counted by reason ('ARP', 'UDP', 'unknown link type 147'...). */
  skipped: Map<string, number>;
  /** Frames flagged malformed (decoded as far as they went). */
  malformed: number;
  /** The first few malformed-frame sentences, for the footer. */
  malformedExamples: string[];
  flows: number;
  /** Reading stopped because opts.signal was aborted. */
  interrupted: boolean;
}

const MAX_EXAMPLES = 5;

/**
 * Capture seconds a finished flow waits before onFinished, so the RSTs and ACKs that trail a
 * close are counted in it: Zeek's tcp_close_delay and tcp_reset_delay (init-bare.zeek, 5 s).
 */
export const SETTLE_SECONDS = 5;
/**
 * Wall-clock milliseconds after which a finished flow is handed over anyway, on a live input
 * (stdin, a pipe): there capture time only moves with packets, and this keeps output flowing
 * when the pipe is quiet. Never on a regular file, whose output must not depend on read speed.
 */
export const SETTLE_WALL_MS = 1000;
const SETTLE_TICK_MS = 250;

// Flow.pipelineMarks bits.
/** Seen finished and queued to settle. */
const MARK_QUEUED = 1;
/** Handed over by the tracker (onFlow): too late for onFinished. */
const MARK_EMITTED = 2;
/** Passed to onFinished. */
const MARK_SETTLED = 4;

/**
 * Whether the pipeline already passed this flow to onFinished (so an onFlow handler that also
 * writes finished flows can skip it without keeping its own set of flows).
 */
export function passedToOnFinished(flow: Flow): boolean {
  return (flow.pipelineMarks & MARK_SETTLED) !== 0;
}

/** A TCP header a receiver would drop (RFC 9293 §3.1: data offset < 5, or longer than the datagram) is not fed to any state machine. */
function receiverWouldDrop(pkt: DecodedPacket): boolean {
  const err = pkt.error;
  return err !== null && err.layer === 'TCP header' && err.kind === 'invalid';
}

/** The per-record analysis shared by analyzeInput and analyzeBytes. */
function startAnalysis(
  handlers: PipelineHandlers,
  opts: PipelineOptions,
): { report: InputReport; tracker: FlowTracker; onRecord: (rec: CaptureRecord) => void; tick: () => void } {
  const pkt = newDecodedPacket();
  const skipped = new Map<string, number>();
  const report: InputReport = {
    capture: null!,
    frames: 0,
    tcpSegments: 0,
    skipped,
    malformed: 0,
    malformedExamples: [],
    flows: 0,
    interrupted: false,
  };
  const live = opts.live;
  const onFlow = handlers.onFlow;
  const shard = opts.shard;
  const key = shard?.key;
  const tracker = new FlowTracker({
    streamRules: opts.streamRules,
    lingerSeconds: opts.lingerSeconds,
    idleTimeoutSeconds: opts.idleTimeoutSeconds,
    maxFlows: opts.maxFlows,
    onWarning: handlers.onWarning,
    onFlow: (flow, reason) => {
      if (key !== undefined) setFlowKey(key, flow, reason);
      flow.pipelineMarks |= MARK_EMITTED;
      report.flows++;
      if (live !== undefined) live.flows++;
      onFlow?.(flow, reason);
    },
  });
  const onSegment = handlers.onSegment;
  const onFinished = handlers.onFinished;
  // A segment handler may read any flow's analysis at any time: then nothing is retired.
  const retireSettled = handlers.settledFlowsDone === true && onSegment === undefined;
  // Finished flows waiting to settle, in the order they finished.
  const settling: { flow: Flow; sec: number; wall: number; frame: number }[] = [];
  let settleHead = 0;
  const settleDue = (nowSec: number, wallMs: number): void => {
    while (settleHead < settling.length) {
      const head = settling[settleHead]!;
      if (nowSec - head.sec < SETTLE_SECONDS && wallMs - head.wall < SETTLE_WALL_MS) break;
      settleHead++;
      const flow = head.flow;
      if ((flow.pipelineMarks & MARK_EMITTED) === 0) {
        if (key !== undefined) {
          key.phase = EmitPhase.Settled;
          key.sub = head.frame;
        }
        flow.pipelineMarks |= MARK_SETTLED;
        onFinished!(flow);
        if (retireSettled) flow.retire();
      }
    }
    // Drop the consumed front now and then (shift() on every flow would be quadratic).
    if (settleHead > 1024 && settleHead * 2 > settling.length) {
      settling.splice(0, settleHead);
      settleHead = 0;
    }
  };

  /** Shard bookkeeping: flows created here, the latest capture second, the table bound. */
  let shardCreated = 0;
  let shardClock = -Infinity;
  let diverged = false;
  const shardBound = shard === undefined ? Infinity : Math.floor(Math.max(1, opts.maxFlows ?? DEFAULT_MAX_FLOWS) / shard.count);
  const divergeShard = (frame: number, reason: string): void => {
    if (diverged) return;
    diverged = true;
    shard!.onDiverge(frame, reason);
  };

  const onRecord = (rec: CaptureRecord): void => {
    report.frames++;
    if (live !== undefined) {
      live.frames++;
      live.bytes = rec.dataOffset + rec.capturedLength;
    }
    decodePacket(rec, pkt);
    if (pkt.error !== null) {
      report.malformed++;
      if (report.malformedExamples.length < MAX_EXAMPLES) {
        report.malformedExamples.push(describeMalformed(pkt));
      }
    }
    if (pkt.tcp === null) {
      const reason = pkt.notTcp ?? (pkt.error ? `${pkt.error.layer} damaged` : 'not TCP');
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      return;
    }
    report.tcpSegments++;
    if (shard !== undefined) {
      key!.frame = pkt.frame;
      // Sweeps and settling compare each list's head with the clock and stop at the first that
      // must stay: with time going forwards each shard's lists stop where the whole list would.
      if (pkt.tsSec < shardClock) divergeShard(pkt.frame, 'capture time goes backwards');
      else shardClock = pkt.tsSec;
      if (shardOf(pkt, shard.count) !== shard.index) {
        // Another shard's flow: only the clock moves here, as the segment moves it there.
        if (!receiverWouldDrop(pkt)) tracker.advanceClock(pkt.tsSec);
        if (onFinished !== undefined && settleHead < settling.length) settleDue(pkt.tsSec, -Infinity);
        return;
      }
    }
    const info = receiverWouldDrop(pkt) ? null : tracker.onSegment(pkt);
    if (shard !== undefined && info !== null) {
      if (info.flow.stream === shardCreated) {
        shardCreated++;
        shard.onCreate(pkt.frame);
      }
      // Each shard below its share of the bound (bound / count): together they never reach
      // it, so no flow is evicted where a one-thread run would keep it (or the reverse).
      if (tracker.openFlows >= shardBound) divergeShard(pkt.frame + 1, 'the flow table may fill up');
    }
    onSegment?.(pkt, info);
    if (onFinished !== undefined) {
      // Queued once (a flow can reopen, e.g. a listener back in LISTEN: once is enough).
      if (info !== null && info.flow.finished && (info.flow.pipelineMarks & MARK_QUEUED) === 0) {
        info.flow.pipelineMarks |= MARK_QUEUED;
        settling.push({ flow: info.flow, sec: pkt.tsSec, wall: performance.now(), frame: pkt.frame });
      }
      // Per record only capture time moves the queue; the wall clock is read between chunks (tick).
      // The queue is seldom empty and its head seldom due: that is checked here, inline, so
      // that most records do not call settleDue at all.
      if (settleHead < settling.length && pkt.tsSec - settling[settleHead]!.sec >= SETTLE_SECONDS) {
        settleDue(pkt.tsSec, -Infinity);
      }
    }
  };
  // Between chunks (a quiet pipe), only the wall clock moves.
  const tick = (): void => settleDue(-Infinity, performance.now());
  return { report, tracker, onRecord, tick };
}

export async function analyzeInput(
  input: string | Readable,
  handlers: PipelineHandlers,
  opts: PipelineOptions = {},
): Promise<InputReport> {
  const { report, tracker, onRecord, tick } = startAnalysis(handlers, opts);
  // The wall clock settles flows only on a live input: on a file, capture time alone decides,
  // so what is written, and in what order, never depends on how fast the machine reads.
  const timer = handlers.onFinished !== undefined && isLive(input) ? setInterval(tick, SETTLE_TICK_MS) : null;
  timer?.unref();
  const drain = handlers.drain;
  const waitForOutput = opts.between;
  const between =
    drain === undefined
      ? waitForOutput
      : (): Promise<void> | undefined => {
          const wait = waitForOutput?.();
          if (wait === undefined) {
            drain();
            return undefined;
          }
          return wait.then(() => void drain());
        };
  try {
    report.capture = await readCapture(input, onRecord, { signal: opts.signal, between });
  } finally {
    if (timer !== null) clearInterval(timer);
  }
  report.interrupted = report.capture.interrupted === true;
  if (opts.shard !== undefined) opts.shard.key.frame = Infinity;
  tracker.finishAll();
  if (drain !== undefined) {
    while (drain()) await waitForOutput?.();
  }
  return report;
}

/** The EmitKey of a flow the tracker hands over (see EmitPhase for why each sub-order holds). */
function setFlowKey(key: EmitKey, flow: Flow, reason: FlowEndReason): void {
  switch (reason) {
    case 'port-reused':
      key.phase = EmitPhase.PortReused;
      key.sub = 0;
      break;
    case 'closed':
      // The linger list is in order of last activity: each segment of an ended flow moves it
      // to the tail, so the order is that of the flows' last frames.
      key.phase = EmitPhase.Lingered;
      key.sub = flow.lastFrame;
      break;
    case 'idle':
      // The recency list, likewise: moved to the newest end on every segment.
      key.phase = EmitPhase.Idle;
      key.sub = flow.lastFrame;
      break;
    default:
      // End of input, in stream order, which is creation order. (Evictions never happen in a
      // shard: it diverges before its table could fill, see startAnalysis.)
      key.frame = Infinity;
      key.phase = EmitPhase.EndOfInput;
      key.sub = flow.firstFrame;
  }
}

/**
 * analyzeInput over a whole capture already in memory, synchronously (fuzzing, tests). The
 * bytes must be decompressed pcap or pcapng.
 */
export function analyzeBytes(bytes: Uint8Array, handlers: PipelineHandlers, opts: PipelineOptions = {}): InputReport {
  const { report, tracker, onRecord } = startAnalysis(handlers, opts);
  const { parser, error } = parseCapture(bytes, onRecord);
  report.capture = {
    format: parser.format,
    compression: null,
    interfaces: parser.interfaces,
    sections: parser.sections,
    records: parser.records,
    bytes: parser.bytes,
    warnings: parser.warnings,
    error,
  };
  tracker.finishAll();
  return report;
}

/** Standard input, a stream, or a path that is not a regular file (a FIFO, /dev/stdin). */
function isLive(input: string | Readable): boolean {
  if (typeof input !== 'string' || input === '-') return true;
  try {
    return !statSync(input).isFile();
  } catch {
    return false; // cannot be opened: reading it reports why
  }
}

function describeMalformed(pkt: DecodedPacket): string {
  return formatDecodeError(pkt.error!, pkt.frame, pkt.dataOffset);
}
