// The synthetic traffic model behind the bench captures: who talks to whom, and the exact
// segments of each TCP flow (times, flags, relative seq/ack, windows), planned when the flow
// starts. Frame bytes are written by frame.ts; interleaving and writing is generate.ts.
//
// The capture point is a tap on the clients' LAN uplink, as on a Linux gateway: a client's
// segment is seen the moment it is sent, a server's reaction one round-trip later.
//
// Limitations: no loss, reordering or retransmission except the SYN retransmissions of
// unanswered flows; no pipelining (a client waits for the whole response before its next
// request), so every ACK field is what the sender has really received; payload bytes are
// zeros; 4-tuples are unique across the capture while fewer than ~14k flows use one client
// host (about 57M flows in all).

import type { Prng } from './prng.js';

/** How a flow ends. */
export type FlowEnding =
  /** FIN, ACK; FIN, ACK — RFC 9293 §3.6 normal close, each FIN acknowledged on its own. */
  | 'fin4'
  /** FIN; FIN+ACK merged; ACK — the peer's ACK of the first FIN rides on its own FIN. */
  | 'fin3'
  /** RST+ACK after data: an application closed with unread data (RFC 2525 §2.17). */
  | 'reset'
  /** SYN answered by RST+ACK: nothing listens on the port (RFC 9293 §3.10.7.1). */
  | 'refused'
  /** SYN with no answer, retransmitted after Linux's 1 s initial RTO, doubling. */
  | 'syn-only';

export const FLOW_ENDINGS: readonly FlowEnding[] = ['fin4', 'fin3', 'reset', 'refused', 'syn-only'];
/** Relative weights of FLOW_ENDINGS for flows that are not budget-trimmed. */
const ENDING_WEIGHTS = [40, 35, 15, 4, 6];

export const CLIENT = 0;
export const SERVER = 1;

/** TCP flag bits (RFC 9293 §3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** Which options a segment carries (frame.ts writes them). */
export const OPTS_NONE = 0;
/** NOP, NOP, Timestamps: 12 bytes (RFC 7323 Appendix A layout, as Linux sends). */
export const OPTS_TS = 1;
/** Linux SYN/SYN-ACK: MSS 1460, SACK permitted, Timestamps, NOP, window scale 7: 20 bytes. */
export const OPTS_SYN = 2;

/** MSS 1460 less the 12 bytes of the timestamp option every data segment carries. */
export const SEGMENT_PAYLOAD = 1448;
export const WINDOW_SCALE = 7;
/** Linux's SYN windows for MSS 1460: 44 × 1460 and, with timestamps, 45 × 1448. */
const SYN_WINDOW = [64240, 65160];
/** First scaled windows after the handshake (× 2^7 ≈ 64 KiB), grown as data arrives. */
const BASE_WINDOW = [502, 509];
const CWND_INITIAL = 10; // RFC 6928
const CWND_MAX = 32;

/** Fraction of flows carried over IPv6. */
const IPV6_SHARE = 0.1;
const IPV4_CLIENT_HOSTS = 4094; // 10.0.0.1 – 10.0.15.254
const IPV6_CLIENT_HOSTS = 512;
const IPV4_SERVERS = 508; // 198.51.100.1-254, 203.0.113.1-254 (RFC 5737)
const IPV6_SERVERS = 64; // 2001:db8:ffff::/64 (RFC 3849)
const SERVER_PORTS = [443, 80, 22, 8080, 5432, 6379, 993, 25];
const SERVER_PORT_WEIGHTS = [60, 20, 5, 5, 3, 3, 2, 2];
const EPHEMERAL_LOW = 32768; // Linux net.ipv4.ip_local_port_range
const EPHEMERAL_HIGH = 60999;

/** The gateway's MAC: source of every server segment on the tap. Locally administered. */
export const GATEWAY_MAC = Uint8Array.of(0x02, 0x53, 0x59, 0x4e, 0x41, 0x43);

/** One planned segment. */
export interface Step {
  /** Microseconds since the capture's first packet. */
  time: number;
  /** CLIENT or SERVER: who sends it. */
  dir: number;
  flags: number;
  options: number;
  /** Absolute sequence number. */
  seq: number;
  /** Absolute acknowledgement number; 0 when ACK is not set. */
  ack: number;
  window: number;
  payload: number;
}

/** A flow from its first to its last segment, with the per-endpoint state frame.ts needs. */
export interface Flow {
  id: number;
  ipv6: boolean;
  ending: FlowEnding;
  /** Index CLIENT/SERVER for every pair below. */
  addr: [Uint8Array, Uint8Array];
  port: [number, number];
  /** Source MAC of each side's frames on the tap. */
  mac: [Uint8Array, Uint8Array];
  ttl: [number, number];
  isn: [number, number];
  tsBase: [number, number];
  /** Next IPv4 identification per side (Linux: per-socket counter from a random start). */
  ipId: [number, number];
  /** IPv6 flow label per side (Linux auto flow labels). */
  flowLabel: [number, number];
  /** Last TSval each side sent, echoed by the other. */
  lastTsval: [number, number];
  rttUs: number;
  steps: Step[];
  /** Index of the next step to write. */
  next: number;
}

interface ClientHost {
  addr: Uint8Array;
  mac: Uint8Array;
  nextPort: number;
}

/** Plans flows one at a time; all randomness comes from the Prng it is given. */
export class TrafficModel {
  private readonly v4Clients: ClientHost[] = [];
  private readonly v6Clients: ClientHost[] = [];
  private readonly v4Servers: Uint8Array[] = [];
  private readonly v6Servers: Uint8Array[] = [];

  // Planning scratch for the flow being built.
  private steps: Step[] = [];
  private budget = Infinity;
  private sent = [0, 0];
  private received = [0, 0];
  private last = 0;
  private rtt = 0;
  private rateGapPerByte = 0;
  private isn = [0, 0];

  constructor(private readonly rng: Prng) {
    for (let h = 1; h <= IPV4_CLIENT_HOSTS; h++) {
      this.v4Clients.push({
        addr: Uint8Array.of(10, 0, (h >> 8) & 0x0f, h & 0xff),
        mac: Uint8Array.of(0x02, 0x00, 0x0a, 0x00, (h >> 8) & 0xff, h & 0xff),
        nextPort: rng.int(EPHEMERAL_LOW, EPHEMERAL_HIGH),
      });
      if ((h & 0xff) === 0xfe) h += 2; // skip x.x.x.255 and x.x.x+1.0
    }
    for (let h = 0; h < IPV6_CLIENT_HOSTS; h++) {
      const addr = new Uint8Array(16);
      addr.set([0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01]); // 2001:db8:1::/64
      for (let i = 8; i < 16; i++) addr[i] = rng.int(0, 255);
      addr[8]! &= 0xfd; // RFC 7136: the u bit carries no meaning; keep it 0 like SLAAC privacy addresses
      this.v6Clients.push({
        addr,
        mac: Uint8Array.of(0x02, 0x00, 0x06, 0x00, (h >> 8) & 0xff, h & 0xff),
        nextPort: rng.int(EPHEMERAL_LOW, EPHEMERAL_HIGH),
      });
    }
    for (let s = 1; s <= 254; s++) this.v4Servers.push(Uint8Array.of(198, 51, 100, s));
    for (let s = 1; s <= 254; s++) this.v4Servers.push(Uint8Array.of(203, 0, 113, s));
    for (let s = 1; s <= IPV6_SERVERS; s++) {
      const addr = new Uint8Array(16);
      addr.set([0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff]);
      addr[15] = s;
      this.v6Servers.push(addr);
    }
    if (this.v4Servers.length !== IPV4_SERVERS) throw new Error('server pool size');
  }

  /**
   * Plans flow `id` starting `startUs` µs into the capture. With `budget` set the flow has
   * exactly that many segments (used to land on the requested packet count); otherwise its
   * length follows the traffic mix.
   */
  plan(id: number, startUs: number, budget?: number): Flow {
    const rng = this.rng;
    const ipv6 = rng.chance(IPV6_SHARE);
    const host = ipv6
      ? this.v6Clients[rng.int(0, IPV6_CLIENT_HOSTS - 1)]!
      : this.v4Clients[rng.int(0, this.v4Clients.length - 1)]!;
    const clientPort = host.nextPort;
    host.nextPort += rng.int(1, 3);
    if (host.nextPort > EPHEMERAL_HIGH) host.nextPort -= EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    const server = ipv6
      ? this.v6Servers[rng.int(0, IPV6_SERVERS - 1)]!
      : this.v4Servers[rng.int(0, IPV4_SERVERS - 1)]!;
    const serverPort = SERVER_PORTS[rng.weighted(SERVER_PORT_WEIGHTS)]!;

    let ending: FlowEnding;
    if (budget === undefined) {
      ending = FLOW_ENDINGS[rng.weighted(ENDING_WEIGHTS)]!;
      this.budget = Infinity;
    } else {
      // Fewest segments per ending: syn-only 1, reset 4 (handshake + RST).
      ending = budget <= 3 ? 'syn-only' : 'reset';
      this.budget = budget;
    }

    this.rtt = Math.round(rng.logUniform(300, 150_000));
    // Bottleneck 10 Mbit/s – 1 Gbit/s: µs per byte between back-to-back segments.
    this.rateGapPerByte = 8 / rng.logUniform(10, 1000);
    this.steps = [];
    this.sent[0] = this.sent[1] = 0;
    this.received[0] = this.received[1] = 0;
    this.last = startUs;
    this.isn = [rng.nextU32(), rng.nextU32()];

    const flow: Flow = {
      id,
      ipv6,
      ending,
      addr: [host.addr, server],
      port: [clientPort, serverPort],
      mac: [host.mac, GATEWAY_MAC],
      ttl: [64, 64 - rng.int(3, 20)],
      isn: [this.isn[0]!, this.isn[1]!],
      tsBase: [rng.nextU32(), rng.nextU32()],
      ipId: [rng.int(0, 0xffff), rng.int(0, 0xffff)],
      flowLabel: [rng.int(1, 0xfffff), rng.int(1, 0xfffff)],
      lastTsval: [0, 0],
      rttUs: this.rtt,
      steps: this.steps,
      next: 0,
    };

    this.add(startUs, CLIENT, SYN, OPTS_SYN, 0);
    if (ending === 'syn-only') {
      const syns = budget ?? 1 + rng.weighted([60, 25, 15]);
      for (let i = 1, rto = 1_000_000, t = startUs; i < syns; i++, rto *= 2) {
        t += rto;
        this.add(t, CLIENT, SYN, OPTS_SYN, 0);
      }
    } else if (ending === 'refused') {
      this.add(startUs + this.rtt, SERVER, RST | ACK, OPTS_NONE, 0);
    } else {
      this.handshake();
      this.conversation(budget === undefined ? 1 + Math.floor(rng.exponential(0.6)) : Infinity);
      this.teardown(ending);
    }
    // Server ACKs one RTT after the client segment they acknowledge can overtake client
    // segments planned later; put the flow in time order (stable: ties keep plan order).
    this.steps.sort((a, b) => a.time - b.time);
    return flow;
  }

  private handshake(): void {
    this.add(this.last + this.react(SERVER), SERVER, SYN | ACK, OPTS_SYN, 0);
    this.add(this.last + this.react(CLIENT), CLIENT, ACK, OPTS_TS, 0);
  }

  /** `exchanges` request/response rounds; with a budget, as many as fit in it. */
  private conversation(exchanges: number): void {
    const rng = this.rng;
    for (let x = 0; x < exchanges && this.room(); x++) {
      if (x > 0) this.last += Math.round(rng.logUniform(1_000, 1_000_000)); // user/app think time
      const request = rng.chance(0.95)
        ? Math.round(rng.logUniform(60, 1400))
        : Math.round(rng.logUniform(2_000, 150_000)); // an upload
      this.last += rng.int(5, 200);
      this.transfer(CLIENT, request);
      if (!this.room()) return;
      this.last += this.rtt + Math.round(rng.logUniform(50, 30_000)); // server think time
      this.transfer(SERVER, Math.round(rng.logUniform(100, 48_000)));
    }
  }

  /**
   * `bytes` from `sender`, in slow-start rounds (RFC 5681 §3.1, IW10 per RFC 6928); the receiver
   * ACKs every second full segment and the last one (RFC 9293 §3.8.6.3).
   */
  private transfer(sender: number, bytes: number): void {
    const receiver = 1 - sender;
    let cwnd = CWND_INITIAL;
    let t = this.last;
    let unacked = 0;
    while (bytes > 0 && this.room()) {
      let firstAck = -1;
      for (let i = 0; i < cwnd && bytes > 0 && this.room(); i++) {
        const len = Math.min(bytes, SEGMENT_PAYLOAD);
        bytes -= len;
        this.add(t, sender, bytes === 0 ? PSH | ACK : ACK, OPTS_TS, len);
        const sentAt = t;
        t += Math.max(1, Math.round((len + 66) * this.rateGapPerByte));
        if (++unacked === 2 || bytes === 0) {
          unacked = 0;
          if (!this.room()) break;
          const at = sentAt + this.react(receiver);
          this.add(at, receiver, ACK, OPTS_TS, 0, false);
          if (firstAck < 0) firstAck = at;
        }
      }
      if (bytes > 0 && firstAck >= 0) {
        // The next round leaves when the first ACK reaches the sender.
        t = Math.max(t, firstAck + (sender === SERVER ? this.rtt : this.rng.int(10, 40)));
      }
      cwnd = Math.min(cwnd * 2, CWND_MAX);
    }
    for (const s of this.steps) if (s.time > this.last) this.last = s.time;
  }

  private teardown(ending: FlowEnding): void {
    const rng = this.rng;
    const a = rng.chance(0.6) ? CLIENT : SERVER;
    const b = 1 - a;
    this.last += Math.round(rng.logUniform(500, 3_000_000)); // idle until someone closes
    if (ending === 'reset') {
      this.add(this.last, a, RST | ACK, OPTS_TS, 0);
      return;
    }
    this.add(this.last, a, FIN | ACK, OPTS_TS, 0);
    if (ending === 'fin4') {
      this.add(this.last + this.react(b), b, ACK, OPTS_TS, 0);
      this.add(this.last + Math.round(rng.logUniform(20, 20_000)), b, FIN | ACK, OPTS_TS, 0);
    } else {
      this.add(this.last + this.react(b), b, FIN | ACK, OPTS_TS, 0);
    }
    this.add(this.last + this.react(a), a, ACK, OPTS_TS, 0);
  }

  /** Tap-time delay before `who` answers the segment just seen: a server is one RTT away. */
  private react(who: number): number {
    return who === SERVER ? this.rtt + this.rng.int(20, 100) : this.rng.int(20, 80);
  }

  private room(): boolean {
    return this.steps.length < this.budget;
  }

  /**
   * Appends a segment at `time` and advances the sender's sequence space. Relative ack is what
   * the sender has received. `advance` = false for ACKs planned ahead of the flow's clock.
   */
  private add(time: number, dir: number, flags: number, options: number, payload: number, advance = true): void {
    const other = 1 - dir;
    const refused = (flags & RST) !== 0 && this.steps.length === 1;
    // RFC 9293 §3.10.7.1: a refusal is <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    const seq = refused ? 0 : (this.isn[dir]! + (flags & SYN ? 0 : this.sent[dir]!)) >>> 0;
    // No loss and no pipelining: the sender has received all its peer has sent so far.
    const ack = flags & ACK ? (this.isn[other]! + this.sent[other]!) >>> 0 : 0;
    let window: number;
    if (flags & SYN) window = SYN_WINDOW[dir]!;
    else if (refused) window = 0;
    else window = BASE_WINDOW[dir]! + Math.min(2500, Math.floor(this.received[dir]! / 512));
    this.steps.push({ time: Math.round(time), dir, flags, options, seq, ack, window, payload });
    if (!refused) {
      const consumed = payload + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
      if (flags & SYN) this.sent[dir] = 1; // retransmitted SYNs consume the same number
      else this.sent[dir]! += consumed;
      this.received[other]! += consumed;
    }
    if (advance && time > this.last) this.last = Math.round(time);
  }
}
