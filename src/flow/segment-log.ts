// The segments a person wants to see of one flow, kept while the capture is read: every segment
// that opens or closes the connection or changes an endpoint's state (a "key" segment), with
// the flow engine's results for it copied out, and everything between key segments folded into
// runs (segments, bytes and analysis flags per direction). Summary and ladder render from it.
// Memory is bounded per flow: at most `maxSegments` key segments are kept; later ones fold
// into runs too, and `dropped` says how many.
//
// The log only copies what the engine decided (relative numbers and analysis flags from
// wireshark.ts); it judges nothing itself. State changes are not copied: renderers take them
// from the lifecycle's final timeline, which can still re-read a transition after the fact
// (crossed SYNs or FINs, refusals: see lifecycle.ts).

import type { DecodedPacket } from '../decode/types.js';
import { TcpFlag } from '../decode/types.js';
import type { Flow } from './flow.js';
import type { Role } from './lifecycle.js';
import { synOptions, type SynOptions } from './handshake.js';
import { sharedAnalysisNames, ANALYSIS, type AnalysisName } from './wireshark.js';

/**
 * Which part of the connection's life a segment belongs to, from the states the engine has
 * recorded so far: `open` until both endpoints reached ESTABLISHED (or, failing that, until a
 * FIN or RST after one of them did), `data` between, `close` from the first FIN or RST after
 * an endpoint was established.
 */
export type Phase = 'open' | 'data' | 'close';

/** One key segment, copied out of the scratch packet. */
export interface LoggedSegment {
  kind: 'segment';
  phase: Phase;
  frame: number;
  sec: number;
  nsec: number;
  /** Who sent it. */
  from: Role;
  flags: number;
  /** tshark's relative tcp.seq / tcp.ack (wireshark.ts). */
  relSeq: number;
  relAck: number;
  seq: number;
  ack: number;
  len: number;
  /** Window as sent, and after scaling when known (tshark tcp.window_size). */
  win: number;
  winScaled: number | null;
  /** The options of a SYN or SYN-ACK (null on other segments). */
  synOptions: SynOptions | null;
  /** tshark tcp.analysis.* names flagged on this segment (shared per flags value: read only). */
  analysis: readonly AnalysisName[];
  /** A SYN, SYN-ACK or FIN its sender already sent with the same sequence number. */
  repeat: boolean;
}

/** Per-direction counts of a run of non-key segments. */
export interface RunSide {
  segments: number;
  bytes: number;
  /** Segments that carried payload. */
  dataSegments: number;
  /** Segments flagged retransmission (fast and spurious included, as tshark displays them). */
  retransmissions: number;
  /** Every other tcp.analysis flag, counted. */
  analysis: Partial<Record<AnalysisName, number>>;
}

/** Consecutive non-key segments, folded. */
export interface LoggedRun {
  kind: 'run';
  phase: Phase;
  firstFrame: number;
  lastFrame: number;
  sec: number;
  nsec: number;
  lastSec: number;
  lastNsec: number;
  client: RunSide;
  server: RunSide;
}

export type LogEntry = LoggedSegment | LoggedRun;

export interface SegmentLogOptions {
  /** Key segments kept per flow (default 64). */
  maxSegments?: number;
  /** Treat every segment as a key segment (ladder --all), still within maxSegments. */
  all?: boolean;
}

const DEFAULT_MAX_SEGMENTS = 64;

/** Segments and payload bytes per phase and sender. */
export type PhaseTotals = Record<Phase, Record<Role, { segments: number; bytes: number }>>;

/**
 * What a run side's `analysis` is until a flag is counted: most runs see none, and a log lives
 * as long as its flow, so an empty object per side would be kept (and promoted) for nothing.
 */
const NO_ANALYSIS: Partial<Record<AnalysisName, number>> = Object.freeze({});

function emptySide(): RunSide {
  return { segments: 0, bytes: 0, dataSegments: 0, retransmissions: 0, analysis: NO_ANALYSIS };
}

/** Index of a phase's [client segments, client bytes, server segments, server bytes] in `counts`. */
function countsAt(phase: Phase): number {
  return phase === 'open' ? 0 : phase === 'data' ? 4 : 8;
}

/** The log of one flow. Feed it each segment right after the tracker processed it. */
export class SegmentLog {
  readonly entries: LogEntry[] = [];
  /** Key segments folded into runs because the log was full. */
  dropped = 0;
  /**
   * Segments and bytes per phase and sender (see `totals`) as one row of numbers: a log lives as
   * long as its flow, and the nested objects of `totals` would be ten more objects per flow.
   */
  private readonly counts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  private phase: Phase = 'open';
  private clientEstablished = false;
  private serverEstablished = false;
  private keyCount = 0;
  private readonly max: number;
  private readonly all: boolean;

  constructor(opts: SegmentLogOptions = {}) {
    this.max = opts.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    this.all = opts.all === true;
  }

  /** Segments and payload bytes per phase and sender, key segments included (built per call). */
  get totals(): PhaseTotals {
    const c = this.counts;
    const phase = (at: number) => ({ client: { segments: c[at]!, bytes: c[at + 1]! }, server: { segments: c[at + 2]!, bytes: c[at + 3]! } });
    return { open: phase(0), data: phase(4), close: phase(8) };
  }

  /** Records the segment the flow's analyzers have just processed. */
  add(pkt: DecodedPacket, flow: Flow): void {
    const tcp = pkt.tcp!;
    const transitions = flow.lifecycle.lastTransitions;
    const from: Role = flow.sideOf(pkt, tcp.srcPort) === flow.lifecycle.clientSide ? 'client' : 'server';
    const flags = tcp.flags;

    // Phase of this segment: decided before its own transitions, except that the segment which
    // completes the handshake still belongs to it.
    if (this.phase !== 'close' && (flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0 && (this.clientEstablished || this.serverEstablished)) {
      this.phase = 'close';
    }
    const phase = this.phase;
    if (transitions.length > 0) {
      for (const t of transitions) {
        if (t.to !== 'ESTABLISHED') continue;
        if (t.endpoint === 'client') this.clientEstablished = true;
        else this.serverEstablished = true;
      }
      if (phase === 'open' && this.clientEstablished && this.serverEstablished) this.phase = 'data';
    }

    const at = countsAt(phase) + (from === 'client' ? 0 : 2);
    this.counts[at]!++;
    this.counts[at + 1]! += tcp.payloadLength;

    const key = this.all || (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) !== 0 || transitions.length > 0;
    if (key && this.keyCount < this.max) {
      this.keyCount++;
      const syn = (flags & TcpFlag.SYN) !== 0;
      this.entries.push({
        kind: 'segment',
        phase,
        frame: pkt.frame,
        sec: pkt.tsSec,
        nsec: pkt.tsNsec,
        from,
        flags,
        relSeq: flow.wireshark.relSeq,
        relAck: flow.wireshark.relAck,
        seq: tcp.seq,
        ack: tcp.ack,
        len: tcp.payloadLength,
        win: tcp.window,
        winScaled: flow.wireshark.winScaled,
        synOptions: syn ? synOptions(tcp.options) : null,
        analysis: sharedAnalysisNames(flow.wireshark.flags),
        repeat: this.isRepeat(from, flags, tcp.seq, tcp.payloadLength),
      });
      return;
    }
    if (key) this.dropped++;
    this.fold(pkt, phase, from, flow.wireshark.flags);
  }

  /** The same control segment (SYN, SYN-ACK or FIN) from the same sender at the same sequence number. */
  private isRepeat(from: Role, flags: number, seq: number, len: number): boolean {
    const ctl = flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.ACK);
    if ((flags & (TcpFlag.SYN | TcpFlag.FIN)) === 0) return false;
    for (const e of this.entries) {
      if (e.kind !== 'segment' || e.from !== from) continue;
      if ((e.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.ACK)) !== ctl) continue;
      if (flags & TcpFlag.SYN ? e.seq === seq : e.seq + e.len === seq + len) return true;
    }
    return false;
  }

  private fold(pkt: DecodedPacket, phase: Phase, from: Role, analysis: number): void {
    const tcp = pkt.tcp!;
    let run = this.entries[this.entries.length - 1];
    if (run === undefined || run.kind !== 'run' || run.phase !== phase) {
      run = {
        kind: 'run',
        phase,
        firstFrame: pkt.frame,
        lastFrame: pkt.frame,
        sec: pkt.tsSec,
        nsec: pkt.tsNsec,
        lastSec: pkt.tsSec,
        lastNsec: pkt.tsNsec,
        client: emptySide(),
        server: emptySide(),
      };
      this.entries.push(run);
    }
    run.lastFrame = pkt.frame;
    run.lastSec = pkt.tsSec;
    run.lastNsec = pkt.tsNsec;
    const side = run[from];
    side.segments++;
    side.bytes += tcp.payloadLength;
    if (tcp.payloadLength > 0) side.dataSegments++;
    if (analysis !== 0) {
      if (analysis & ANALYSIS.retransmission) side.retransmissions++;
      const names = sharedAnalysisNames(analysis & ~ANALYSIS.retransmission);
      if (names.length > 0 && side.analysis === NO_ANALYSIS) side.analysis = {};
      for (const name of names) side.analysis[name] = (side.analysis[name] ?? 0) + 1;
    }
  }
}

/**
 * Keeps one SegmentLog per open flow for a command's `onSegment` handler; `take` hands a
 * finished flow's log over (and forgets it) in `onFlow`.
 */
export class SegmentLogBook {
  private readonly logs = new Map<Flow, SegmentLog>();

  constructor(private readonly opts: SegmentLogOptions = {}) {}

  add(pkt: DecodedPacket, flow: Flow): void {
    let log = this.logs.get(flow);
    if (log === undefined) {
      log = new SegmentLog(this.opts);
      this.logs.set(flow, log);
    }
    log.add(pkt, flow);
  }

  take(flow: Flow): SegmentLog {
    const log = this.logs.get(flow) ?? new SegmentLog(this.opts);
    this.logs.delete(flow);
    return log;
  }
}
