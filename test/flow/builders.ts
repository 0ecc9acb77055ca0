// Test-only segment builders for the flow engine: a two-endpoint conversation that keeps each
// side's next sequence number (RFC 9293 §3.4) so a test reads like the RFC's numbered segment
// diagrams, plus a replay helper that feeds segments through ONE reused scratch packet, as the
// tracker does, so analyzers that keep references to scratch objects fail.

import type { DecodedPacket, TcpHeader, TcpOptions } from '../../src/decode/types.js';
import { TcpFlag } from '../../src/decode/types.js';
import type { FlowSegment, Side } from '../../src/flow/types.js';

/** ISNs just below 2^32 so every conversation wraps the sequence space. */
export const ISN_A = 0xffff_fffe;
export const ISN_B = 0xffff_ff00;

export interface SegmentFields {
  seq?: number;
  ack?: number;
  len?: number;
  window?: number;
  options?: TcpOptions;
  /** Extra flag bits (ECE, CWR, AE...) or'ed into the parsed flags. */
  extraFlags?: number;
  /** Nanoseconds since the previous segment (default 1 ms). */
  gapNs?: number;
  /** Do not advance the sender's next sequence number (for retransmissions and odd segments). */
  noAdvance?: boolean;
}

/** Flags as tcpdump abbreviates them: S SYN, A ACK, F FIN, R RST, P PSH, U URG. */
export function parseFlags(text: string): number {
  let f = 0;
  for (const ch of text) {
    if (ch === 'S') f |= TcpFlag.SYN;
    else if (ch === 'A') f |= TcpFlag.ACK;
    else if (ch === 'F') f |= TcpFlag.FIN;
    else if (ch === 'R') f |= TcpFlag.RST;
    else if (ch === 'P') f |= TcpFlag.PSH;
    else if (ch === 'U') f |= TcpFlag.URG;
    else throw new Error(`unknown flag letter ${ch}`);
  }
  return f;
}

interface EndpointSpec {
  port: number;
  isn: number;
  nxt: number;
}

/**
 * A conversation between endpoint `a` (side 0: it must send the first segment) and `b` (side 1).
 * Sequence numbers default to the sender's next sequence number, ACK numbers to the peer's.
 */
export class Conversation {
  readonly segments: FlowSegment[] = [];
  private frame = 0;
  private sec = 1_700_000_000;
  private nsec = 0;
  private readonly ends: [EndpointSpec, EndpointSpec];

  constructor(opts: { isnA?: number; isnB?: number; portA?: number; portB?: number } = {}) {
    const isnA = opts.isnA ?? ISN_A;
    const isnB = opts.isnB ?? ISN_B;
    this.ends = [
      { port: opts.portA ?? 40000, isn: isnA, nxt: isnA },
      { port: opts.portB ?? 80, isn: isnB, nxt: isnB },
    ];
  }

  /** Next sequence number of side `side` (what its peer would acknowledge). */
  nxt(side: Side): number {
    return this.ends[side].nxt;
  }

  a(flags: string, f: SegmentFields = {}): FlowSegment {
    return this.add(0, flags, f);
  }

  b(flags: string, f: SegmentFields = {}): FlowSegment {
    return this.add(1, flags, f);
  }

  private add(side: Side, flagText: string, f: SegmentFields): FlowSegment {
    const me = this.ends[side];
    const peer = this.ends[side === 0 ? 1 : 0];
    const flags = parseFlags(flagText) | (f.extraFlags ?? 0);
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const len = f.len ?? 0;
    const seq = f.seq ?? (syn ? me.isn : me.nxt);
    const ack = f.ack ?? (flags & TcpFlag.ACK ? peer.nxt : 0);
    if (!f.noAdvance && !(flags & TcpFlag.RST)) {
      const end = (seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
      if (((end - me.nxt) | 0) > 0 || syn) me.nxt = end;
    }
    this.nsec += f.gapNs ?? 1_000_000;
    while (this.nsec >= 1e9) {
      this.nsec -= 1e9;
      this.sec += 1;
    }
    this.frame += 1;
    const tcp: TcpHeader = {
      srcPort: me.port,
      dstPort: peer.port,
      seq: seq >>> 0,
      ack: ack >>> 0,
      headerLength: 20,
      flags,
      window: f.window ?? 65535,
      checksum: 0,
      urgentPointer: 0,
      payloadLength: len,
      payloadCaptured: len,
      payloadOffset: 54,
      options: f.options ?? {},
    };
    const pkt = packet(this.frame, this.sec, this.nsec, tcp);
    const seg: FlowSegment = { pkt, tcp, side };
    this.segments.push(seg);
    return seg;
  }
}

/** A standalone IPv4/Ethernet DecodedPacket carrying `tcp` (fresh objects, safe to keep). */
export function packet(frame: number, sec: number, nsec: number, tcp: TcpHeader): DecodedPacket {
  return {
    frame,
    tsSec: sec,
    tsNsec: nsec,
    tsPrecision: 9,
    interfaceId: 0,
    linkType: 1,
    capturedLength: 54 + tcp.payloadCaptured,
    originalLength: 54 + tcp.payloadLength,
    dataOffset: 0,
    comment: null,
    data: new Uint8Array(0),
    vlanIds: [],
    ipVersion: 4,
    srcAddr: new Uint32Array(4),
    dstAddr: new Uint32Array(4),
    ttl: 64,
    ipOffset: 14,
    tcp,
    notTcp: null,
    error: null,
  };
}

/**
 * Feeds segments to `onSegment` through one scratch packet/header that is overwritten for every
 * segment and poisoned afterwards, like the tracker's reused decode buffers.
 */
export function replay(segments: readonly FlowSegment[], onSegment: (seg: FlowSegment) => void): void {
  const tcp: TcpHeader = { ...segments[0]!.tcp, options: {} };
  const pkt: DecodedPacket = { ...segments[0]!.pkt, tcp };
  const scratch: FlowSegment = { pkt, tcp, side: 0 };
  for (const s of segments) {
    Object.assign(tcp, s.tcp);
    tcp.options = { ...s.tcp.options };
    Object.assign(pkt, s.pkt);
    pkt.tcp = tcp;
    scratch.side = s.side;
    onSegment(scratch);
    // Poison: anything kept by reference now reads garbage.
    tcp.seq = 0xdead;
    tcp.ack = 0xbeef;
    tcp.flags = 0;
    tcp.options.mss = 1;
    tcp.options.wscale = 99;
    pkt.frame = -1;
  }
}
