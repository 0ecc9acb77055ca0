// One flow: one incarnation of a 4-tuple. Holds what the tracker counts itself (endpoints,
// frames, times, packets and bytes per side) and the per-flow analyzers that rebuild its life:
// the RFC 9293 lifecycle of both endpoints, Wireshark's sequence analysis and Zeek's summary.

import type { DecodedPacket } from '../decode/types.js';
import { TcpFlag } from '../decode/types.js';
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import { Lifecycle } from './lifecycle.js';
import { WiresharkAnalysis, type WiresharkAnalysisOptions } from './wireshark.js';
import { ZeekConn, type ZeekConnOptions } from './zeek.js';
import type { FlowSegment, Side } from './types.js';

// The analyzers' options, shared by every flow rather than built per flow.
const WIRESHARK_NEW: WiresharkAnalysisOptions = { portsReused: false };
const WIRESHARK_PORTS_REUSED: WiresharkAnalysisOptions = { portsReused: true };
/** synack reports on captures, whose checksums are often offloaded: like `zeek -C`. */
const ZEEK_OPTIONS: ZeekConnOptions = { ignoreChecksums: true };

export interface Endpoint {
  ip: string;
  port: number;
}

export class Flow {
  /**
   * tshark-compatible stream index. (A shard analysing part of a capture numbers its flows
   * locally and gives a flow its global number once handed over, see cli/shard-worker.ts.)
   */
  stream: number;
  /** FlowTable bucket (both directions of the 4-tuple hash alike) and collision chain. */
  readonly hash: number;
  nextInBucket: Flow | null = null;
  readonly ipVersion: 4 | 6;
  /**
   * Address words and port of side 0 (the sender of the first captured segment) and side 1.
   * Kept as int32 fields (`| 0`) rather than a typed array per side: small integers stay
   * unboxed in the object, and a flow costs two typed arrays and their buffers less (the flow
   * table holds up to hundreds of thousands of flows, each surviving several GCs).
   */
  private readonly side0A0: number;
  private readonly side0A1: number;
  private readonly side0A2: number;
  private readonly side0A3: number;
  private readonly side0Port: number;
  private readonly side1A0: number;
  private readonly side1A1: number;
  private readonly side1A2: number;
  private readonly side1A3: number;
  private readonly side1Port: number;
  /** Formatted on first use (see `endpoints`). */
  private endpointText: [Endpoint, Endpoint] | null = null;

  firstFrame: number;
  lastFrame: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  tsPrecision: number;
  // Packets and payload bytes (tcp.len) per side: fields rather than two small arrays per flow.
  private packets0 = 0;
  private packets1 = 0;
  private bytes0 = 0;
  private bytes1 = 0;
  sawFinOrRst = false;

  private lifecycleState: Lifecycle | null;
  readonly wireshark: WiresharkAnalysis;
  private zeekState: ZeekConn | null;
  /** See retire(). */
  retired = false;

  /**
   * The analysis pipeline's bookkeeping bits for this flow (pipeline.ts); not for other users.
   * A field instead of WeakSets keyed by flow: every WeakSet entry is an ephemeron the GC must
   * revisit at each major collection, and a capture can hold hundreds of thousands of flows.
   */
  pipelineMarks = 0;

  /** FlowTracker's recency list (least recently active first); not for other users. */
  older: Flow | null = null;
  newer: Flow | null = null;
  /** FlowTracker's segment count at this flow's latest segment; not for other users. */
  lastActive = 0;
  /** FlowTracker's list of ended flows waiting out their linger time; not for other users. */
  lingering = false;
  prevLingering: Flow | null = null;
  nextLingering: Flow | null = null;

  /** `first` is the flow's first segment, from side 0 (not yet fed to onSegment). */
  constructor(stream: number, hash: number, first: FlowSegment, portsReused = false) {
    const tcp = first.tcp;
    this.stream = stream;
    this.hash = hash;
    const pkt = first.pkt;
    this.ipVersion = pkt.ipVersion === 6 ? 6 : 4;
    const src = pkt.srcAddr;
    const dst = pkt.dstAddr;
    this.side0A0 = src[0]! | 0;
    this.side0A1 = src[1]! | 0;
    this.side0A2 = src[2]! | 0;
    this.side0A3 = src[3]! | 0;
    this.side0Port = tcp.srcPort;
    this.side1A0 = dst[0]! | 0;
    this.side1A1 = dst[1]! | 0;
    this.side1A2 = dst[2]! | 0;
    this.side1A3 = dst[3]! | 0;
    this.side1Port = tcp.dstPort;
    this.firstFrame = this.lastFrame = pkt.frame;
    this.firstSec = this.lastSec = pkt.tsSec;
    this.firstNsec = this.lastNsec = pkt.tsNsec;
    this.tsPrecision = pkt.tsPrecision;
    this.lifecycleState = new Lifecycle(first);
    this.wireshark = new WiresharkAnalysis(portsReused ? WIRESHARK_PORTS_REUSED : WIRESHARK_NEW);
    this.zeekState = new ZeekConn(ZEEK_OPTIONS);
  }

  /** Both endpoints' RFC 9293 lifecycle. */
  get lifecycle(): Lifecycle {
    return this.lifecycleState ?? retiredAccess('lifecycle');
  }

  /** Zeek's view of the connection. */
  get zeek(): ZeekConn {
    return this.zeekState ?? retiredAccess('Zeek analysis');
  }

  /**
   * The flow's record is written and nothing will read its analysis again (pipeline.ts, for
   * the line formats): drop the lifecycle and the Zeek analyzer, about 1.4 KB of the flow's
   * 2.25, while it lingers. Late segments still join it, so stream numbers stay tshark's, and
   * the Wireshark analysis, which decides when a SYN on the same 4-tuple starts a new stream,
   * still sees them. A retired flow counts as finished (it was when its record was written).
   * Dropped before V8 copies them to its old generation, they die young: on the 2.1M-packet
   * bench capture 96 MB promoted instead of 213 MB, and peak RSS about 200 MB instead of 270.
   */
  retire(): void {
    this.retired = true;
    this.lifecycleState = null;
    this.zeekState = null;
  }

  /**
   * Endpoints by side, as text. Formatted when first asked (in practice when the flow is
   * reported), from the address words kept for the table: most flows are asked only once.
   */
  get endpoints(): [Endpoint, Endpoint] {
    return (this.endpointText ??= [
      { ip: this.addressText(this.side0A0, this.side0A1, this.side0A2, this.side0A3), port: this.side0Port },
      { ip: this.addressText(this.side1A0, this.side1A1, this.side1A2, this.side1A3), port: this.side1Port },
    ]);
  }

  /** One side's address as text (IPv4 needs only its one word, and no array for it). */
  private addressText(a0: number, a1: number, a2: number, a3: number): string {
    return this.ipVersion === 4 ? formatIpv4(a0) : formatIpv6([a0, a1, a2, a3]);
  }

  /** Packets per side. */
  get packets(): [number, number] {
    return [this.packets0, this.packets1];
  }

  /** Payload bytes per side (tcp.len). */
  get bytes(): [number, number] {
    return [this.bytes0, this.bytes1];
  }

  /** Packets one side sent (`packets[side]` without the array). */
  packetsFrom(side: Side): number {
    return side === 0 ? this.packets0 : this.packets1;
  }

  /** Payload bytes one side sent (`bytes[side]` without the array). */
  bytesFrom(side: Side): number {
    return side === 0 ? this.bytes0 : this.bytes1;
  }

  /**
   * Which side sent a packet of this 4-tuple: 0 when its source is side 0's endpoint, 1 when it
   * is side 1's, −1 when the packet belongs to another 4-tuple. A socket connected to itself
   * (both endpoints equal) counts as side 0.
   */
  /** Which side sent this packet of the flow (its source is side 0's endpoint, or not). */
  sideOf(pkt: DecodedPacket, srcPort: number): Side {
    return this.sideOfTuple(pkt, srcPort, pkt.tcp?.dstPort ?? this.side1Port) === 1 ? 1 : 0;
  }

  sideOfTuple(pkt: DecodedPacket, srcPort: number, dstPort: number): -1 | 0 | 1 {
    if ((pkt.ipVersion === 6 ? 6 : 4) !== this.ipVersion) return -1;
    // Unused words are zero for IPv4 (decodePacket clears them), so all four always compare.
    const s = pkt.srcAddr;
    const d = pkt.dstAddr;
    if (srcPort === this.side0Port && dstPort === this.side1Port
        && (s[0]! | 0) === this.side0A0 && (d[0]! | 0) === this.side1A0
        && (s[1]! | 0) === this.side0A1 && (s[2]! | 0) === this.side0A2 && (s[3]! | 0) === this.side0A3
        && (d[1]! | 0) === this.side1A1 && (d[2]! | 0) === this.side1A2 && (d[3]! | 0) === this.side1A3) return 0;
    if (srcPort === this.side1Port && dstPort === this.side0Port
        && (s[0]! | 0) === this.side1A0 && (d[0]! | 0) === this.side0A0
        && (s[1]! | 0) === this.side1A1 && (s[2]! | 0) === this.side1A2 && (s[3]! | 0) === this.side1A3
        && (d[1]! | 0) === this.side0A1 && (d[2]! | 0) === this.side0A2 && (d[3]! | 0) === this.side0A3) return 1;
    return -1;
  }

  onSegment(seg: FlowSegment): void {
    const pkt = seg.pkt;
    const tcp = seg.tcp;
    this.lastFrame = pkt.frame;
    this.lastSec = pkt.tsSec;
    this.lastNsec = pkt.tsNsec;
    if (seg.side === 0) {
      this.packets0++;
      this.bytes0 += tcp.payloadLength;
    } else {
      this.packets1++;
      this.bytes1 += tcp.payloadLength;
    }
    if (tcp.flags & (TcpFlag.FIN | TcpFlag.RST)) this.sawFinOrRst = true;
    this.wireshark.onSegment(seg);
    if (this.retired) return;
    this.lifecycleState!.onSegment(seg);
    this.zeekState!.onSegment(seg);
  }

  /** Both endpoints closed (or a reset ended the connection): nothing more can happen to it. */
  get finished(): boolean {
    return this.retired || this.lifecycleState!.finished;
  }
}

function retiredAccess(what: string): never {
  throw new Error(`internal error: the ${what} of a retired flow was read`);
}
