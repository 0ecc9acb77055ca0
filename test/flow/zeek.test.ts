// Unit tests for the Zeek-compatible connection summary, one hand-built segment sequence per
// conn_state code and per history letter. Expected values follow the definitions in Zeek's
// scripts/base/protocols/conn/main.zeek (quoted per test). ISNs sit just below 2^32 so every
// sequence computation crosses the wrap. Segments are fed through one reused scratch packet,
// as the tracker does, so nothing may be kept by reference.

import { describe, expect, it } from 'vitest';
import type { DecodedPacket, TcpHeader } from '../../src/decode/types.js';
import type { FlowSegment, Side } from '../../src/flow/types.js';
import { ZeekConn, zeekConnState, tcpChecksumValid, type ZeekConnOptions } from '../../src/flow/zeek.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

/** Client and server ISNs: both wrap within a few segments. */
const C = 0xffff_fff0;
const S = 0xffff_ff00;
const add = (a: number, n: number): number => (a + n) >>> 0;

interface Spec {
  side: Side;
  flags: number;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  /** Seconds since the first packet. */
  t?: number;
}

/** Ports: side 0 is 40000, side 1 is `serverPort` (50000 is not a likely server port). */
function feed(specs: Spec[], opts: ZeekConnOptions & { serverPort?: number } = {}): ZeekConn {
  const conn = new ZeekConn({ ignoreChecksums: true, ...opts });
  const serverPort = opts.serverPort ?? 50000;
  const tcp: TcpHeader = {
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, headerLength: 20, flags: 0, window: 0, checksum: 0,
    urgentPointer: 0, payloadLength: 0, payloadCaptured: 0, payloadOffset: 0, options: {},
  };
  const pkt: DecodedPacket = {
    frame: 0, tsSec: 0, tsNsec: 0, tsPrecision: 9, interfaceId: 0, linkType: 1, capturedLength: 0,
    originalLength: 0, dataOffset: 0, comment: null, data: new Uint8Array(0), vlanIds: [],
    ipVersion: 4, srcAddr: new Uint32Array(4), dstAddr: new Uint32Array(4), ttl: 64, ipOffset: 0,
    tcp, notTcp: null, error: null,
  };
  const seg: FlowSegment = { pkt, tcp, side: 0 };
  specs.forEach((s, i) => {
    const t = s.t ?? i * 0.01;
    pkt.frame = i + 1;
    pkt.tsSec = 1_700_000_000 + Math.floor(t);
    pkt.tsNsec = Math.round((t - Math.floor(t)) * 1e9);
    pkt.srcAddr[0] = s.side === 0 ? 0x0a000001 : 0x0a000002;
    pkt.dstAddr[0] = s.side === 0 ? 0x0a000002 : 0x0a000001;
    tcp.srcPort = s.side === 0 ? 40000 : serverPort;
    tcp.dstPort = s.side === 0 ? serverPort : 40000;
    tcp.flags = s.flags;
    tcp.seq = s.seq >>> 0;
    tcp.ack = (s.ack ?? 0) >>> 0;
    tcp.payloadLength = tcp.payloadCaptured = s.len ?? 0;
    tcp.window = s.win ?? 1000;
    seg.side = s.side;
    conn.onSegment(seg);
  });
  return conn;
}

/** SYN, SYN-ACK, ACK with the ISNs above. */
const HANDSHAKE: Spec[] = [
  { side: 0, flags: SYN, seq: C },
  { side: 1, flags: SYN | ACK, seq: S, ack: add(C, 1) },
  { side: 0, flags: ACK, seq: add(C, 1), ack: add(S, 1) },
];

describe('conn_state codes from segment sequences', () => {
  it('S0 "Connection attempt seen, no reply": a lone SYN', () => {
    const r = feed([{ side: 0, flags: SYN, seq: C }]).result();
    expect(r.conn_state).toBe('S0');
    expect(r.history).toBe('S');
    expect(r.orig_pkts).toBe(1);
    expect(r.resp_pkts).toBe(0);
    // One packet: duration 0, so Zeek logs no duration or byte counts.
    expect(r.duration).toBeNull();
    expect(r.orig_bytes).toBeNull();
  });

  it('S1 "Connection established, not terminated": the three-way handshake', () => {
    const r = feed(HANDSHAKE).result();
    expect(r.conn_state).toBe('S1');
    expect(r.history).toBe('ShA');
    expect(r.orig_state).toBe('ESTABLISHED');
    expect(r.resp_state).toBe('ESTABLISHED');
  });

  it('SF "Normal establishment and termination", with byte counts across the wrap', () => {
    const r = feed([
      ...HANDSHAKE,
      { side: 0, flags: ACK | PSH, seq: add(C, 1), ack: add(S, 1), len: 100 },
      { side: 1, flags: ACK | PSH, seq: add(S, 1), ack: add(C, 101), len: 300 },
      { side: 0, flags: FIN | ACK, seq: add(C, 101), ack: add(S, 301) },
      { side: 1, flags: FIN | ACK, seq: add(S, 301), ack: add(C, 102) },
      { side: 0, flags: ACK, seq: add(C, 102), ack: add(S, 302), t: 5 },
    ]).result();
    expect(r.conn_state).toBe('SF');
    expect(r.history).toBe('ShADdFf');
    expect(r.orig_bytes).toBe(100);
    expect(r.resp_bytes).toBe(300);
    expect(r.orig_pkts).toBe(5);
    expect(r.resp_pkts).toBe(3);
    expect(r.missed_bytes).toBe(0);
    // The final ACK comes after both sides closed: it is not part of the duration.
    expect(r.duration).toBeCloseTo(0.06, 9);
  });

  it('REJ "Connection attempt rejected": SYN answered by RST-ACK', () => {
    const r = feed([
      { side: 0, flags: SYN, seq: C },
      { side: 1, flags: RST | ACK, seq: 0, ack: add(C, 1) },
    ]).result();
    expect(r.conn_state).toBe('REJ');
    expect(r.history).toBe('Sr');
  });

  it('S2 "close attempt by originator seen (but no reply from responder)"', () => {
    const r = feed([...HANDSHAKE, { side: 0, flags: FIN | ACK, seq: add(C, 1), ack: add(S, 1) }]).result();
    expect(r.conn_state).toBe('S2');
    expect(r.history).toBe('ShAF');
  });

  it('S3 "close attempt by responder seen (but no reply from originator)"', () => {
    const r = feed([...HANDSHAKE, { side: 1, flags: FIN | ACK, seq: add(S, 1), ack: add(C, 1) }]).result();
    expect(r.conn_state).toBe('S3');
    expect(r.history).toBe('ShAf');
  });

  it('RSTO "Connection established, originator aborted (sent a RST)"', () => {
    const r = feed([...HANDSHAKE, { side: 0, flags: RST | ACK, seq: add(C, 1), ack: add(S, 1) }]).result();
    expect(r.conn_state).toBe('RSTO');
    expect(r.history).toBe('ShAR');
  });

  it('RSTR "Responder sent a RST"', () => {
    const r = feed([...HANDSHAKE, { side: 1, flags: RST, seq: add(S, 1) }]).result();
    expect(r.conn_state).toBe('RSTR');
    expect(r.history).toBe('ShAr');
  });

  it('RSTOS0 "Originator sent a SYN followed by a RST, we never saw a SYN-ACK"', () => {
    const r = feed([
      { side: 0, flags: SYN, seq: C },
      { side: 0, flags: RST, seq: add(C, 1) },
    ]).result();
    expect(r.conn_state).toBe('RSTOS0');
    expect(r.history).toBe('SR');
  });

  it('RSTRH "Responder sent a SYN ACK followed by a RST, we never saw a SYN"', () => {
    // First packet a SYN-ACK from port 80: Zeek makes its sender the responder ('^').
    const r = feed(
      [
        { side: 1, flags: SYN | ACK, seq: S, ack: add(C, 1) },
        { side: 1, flags: RST, seq: add(S, 1) },
      ],
      { serverPort: 80 },
    ).result();
    expect(r.conn_state).toBe('RSTRH');
    expect(r.history).toBe('^hr');
    expect(r.flipped).toBe(true);
    expect(r.orig).toBe(0);
  });

  it('SH "Originator sent a SYN followed by a FIN, we never saw a SYN ACK"', () => {
    const r = feed([
      { side: 0, flags: SYN, seq: C },
      { side: 0, flags: FIN, seq: add(C, 1) },
    ]).result();
    expect(r.conn_state).toBe('SH');
    expect(r.history).toBe('SF');
  });

  it('SHR "Responder sent a SYN ACK followed by a FIN, we never saw a SYN"', () => {
    const r = feed(
      [
        { side: 1, flags: SYN | ACK, seq: S, ack: add(C, 1) },
        { side: 1, flags: FIN | ACK, seq: add(S, 1), ack: add(C, 1) },
      ],
      { serverPort: 80 },
    ).result();
    expect(r.conn_state).toBe('SHR');
    expect(r.history).toBe('^hf');
  });

  it('OTH "No SYN seen, just midstream traffic"', () => {
    const r = feed([
      { side: 0, flags: ACK | PSH, seq: C, ack: S, len: 10 },
      { side: 1, flags: ACK, seq: S, ack: add(C, 10) },
    ]).result();
    expect(r.conn_state).toBe('OTH');
    expect(r.history).toBe('Da');
    expect(r.orig_state).toBe('PARTIAL');
    expect(r.resp_state).toBe('PARTIAL');
    // Partial connections are numbered as though a SYN preceded the first segment.
    expect(r.orig_bytes).toBe(10);
  });
});

describe('zeekConnState (conn/main.zeek conn_state)', () => {
  it('REJ when both sides reset without a byte sent', () => {
    expect(zeekConnState('RESET', 'RESET', 0, 0, 'SrR')).toBe('REJ');
    expect(zeekConnState('RESET', 'RESET', 5, 0, 'ShADrR')).toBe('RSTR');
  });
  it('RSTOS0 needs S then R with no H, A, F, G, I or Q in between', () => {
    expect(zeekConnState('RESET', 'INACTIVE', 0, 0, '^SR')).toBe('RSTOS0');
    expect(zeekConnState('RESET', 'INACTIVE', 0, 0, 'SAR')).toBe('OTH');
    expect(zeekConnState('RESET', 'PARTIAL', 0, 0, 'SdR')).toBe('RSTOS0');
  });
  it('SF before S2/S3, and OTH for leftovers', () => {
    expect(zeekConnState('CLOSED', 'CLOSED', 0, 0, '')).toBe('SF');
    expect(zeekConnState('CLOSED', 'PARTIAL', 0, 0, '')).toBe('SH');
    expect(zeekConnState('SYN_ACK_SENT', 'INACTIVE', 0, 0, 'H')).toBe('OTH');
  });
});

describe('history letters', () => {
  it('S is not repeated for a retransmitted SYN, nor for a new ISN (init_endpoint re-bases it)', () => {
    const same = feed([
      { side: 0, flags: SYN, seq: C },
      { side: 0, flags: SYN, seq: C, t: 1 },
    ]).result();
    expect(same.history).toBe('S');
    // From SYN_SENT a SYN with another ISN re-initialises the endpoint (Zeek's SYN_seq_jump),
    // so its relative sequence number is 0 again, the same as the last SYN's.
    const moved = feed([
      { side: 0, flags: SYN, seq: C },
      { side: 0, flags: SYN, seq: add(C, 7000), t: 1 },
    ]).result();
    expect(moved.history).toBe('S');
  });

  it('F and R repeat when the new packet ends at another sequence number, not otherwise', () => {
    const fin: Spec = { side: 0, flags: FIN | ACK, seq: add(C, 1), ack: add(S, 1) };
    expect(feed([...HANDSHAKE, fin, fin]).result().history).toBe('ShAF');
    const later: Spec = { side: 0, flags: FIN | ACK, seq: add(C, 1), ack: add(S, 1), len: 20 };
    expect(feed([...HANDSHAKE, fin, later]).result().history).toBe('ShAFF');
    const rst = (seq: number): Spec => ({ side: 1, flags: RST, seq });
    expect(feed([...HANDSHAKE, rst(add(S, 1)), rst(add(S, 1))]).result().history).toBe('ShAr');
    expect(feed([...HANDSHAKE, rst(add(S, 1)), rst(add(S, 2))]).result().history).toBe('ShArr');
  });

  it('A, D, a, d are logged once per direction', () => {
    const r = feed([
      ...HANDSHAKE,
      { side: 0, flags: ACK, seq: add(C, 1), ack: add(S, 1), len: 10 },
      { side: 0, flags: ACK, seq: add(C, 11), ack: add(S, 1), len: 10 },
      { side: 1, flags: ACK, seq: add(S, 1), ack: add(C, 21) },
      { side: 1, flags: ACK, seq: add(S, 1), ack: add(C, 21), len: 5 },
      { side: 1, flags: ACK, seq: add(S, 6), ack: add(C, 21), len: 5 },
      { side: 0, flags: ACK, seq: add(C, 21), ack: add(S, 11) },
    ]).result();
    expect(r.history).toBe('ShADad');
    expect(r.orig_bytes).toBe(20);
    expect(r.resp_bytes).toBe(10);
  });

  it('T/t: retransmitted payload, logged at the 1st and 10th occurrence', () => {
    const data: Spec = { side: 0, flags: ACK | PSH, seq: add(C, 1), ack: add(S, 1), len: 50 };
    const once = feed([...HANDSHAKE, data, data]).result();
    expect(once.history).toBe('ShADT');
    const ten = feed([...HANDSHAKE, data, ...Array<Spec>(10).fill(data)]).result();
    expect(ten.history).toBe('ShADTT');
    const nine = feed([...HANDSHAKE, data, ...Array<Spec>(9).fill(data)]).result();
    expect(nine.history).toBe('ShADT');
  });

  it('W/w: zero window advertisement (update_window runs after update_history: a before w)', () => {
    const r = feed([...HANDSHAKE, { side: 1, flags: ACK, seq: add(S, 1), ack: add(C, 1), win: 0 }]).result();
    expect(r.history).toBe('ShAaw');
    // Not after the peer has closed: such zero windows are boring (update_window).
    const closed = feed([
      ...HANDSHAKE,
      { side: 0, flags: FIN | ACK, seq: add(C, 1), ack: add(S, 1) },
      { side: 1, flags: ACK, seq: add(S, 1), ack: add(C, 2), win: 0 },
    ]).result();
    expect(closed.history).toBe('ShAFa');
  });

  it('G/g: a content gap revealed by an ACK, counted in missed_bytes', () => {
    const r = feed([
      ...HANDSHAKE,
      // Orig's first 1000 bytes are not in the capture; the next 500 are.
      { side: 0, flags: ACK, seq: add(C, 1001), ack: add(S, 1), len: 500 },
      { side: 1, flags: ACK, seq: add(S, 1), ack: add(C, 1501) },
    ]).result();
    expect(r.history).toBe('ShADaG');
    expect(r.missed_bytes).toBe(1000);
    expect(r.orig_bytes).toBe(1500);
  });

  it('G: out-of-order data that fills in is no gap; each remaining hole is counted', () => {
    const d = (from: number, len: number): Spec => ({ side: 0, flags: ACK, seq: add(C, from), ack: add(S, 1), len });
    const ackTo = (n: number): Spec => ({ side: 1, flags: ACK, seq: add(S, 1), ack: add(C, n) });
    const filled = feed([...HANDSHAKE, d(201, 100), d(101, 100), d(1, 100), ackTo(301)]).result();
    expect(filled.missed_bytes).toBe(0);
    // Zeek's update_last_seq calls any payload below last_seq a retransmission: T.
    expect(filled.history).toBe('ShADTa');
    // Holes [1,101) and [201,301) never arrive: two gaps, 200 bytes, G logged once (1st of 10).
    const holes = feed([...HANDSHAKE, d(301, 100), d(101, 100), ackTo(401)]).result();
    expect(holes.missed_bytes).toBe(200);
    expect(holes.history).toBe('ShADTaG');
  });

  it('no G when the gap is revealed only by the ACK of a FIN-closed side', () => {
    // Zeek reports gaps only while both sides are established or cleanly closing.
    const r = feed([
      { side: 0, flags: SYN, seq: C },
      { side: 1, flags: RST | ACK, seq: 0, ack: add(C, 1) },
    ]).result();
    expect(r.missed_bytes).toBe(0);
    expect(r.history).not.toMatch(/[Gg]/);
  });

  it('I: a packet with both FIN and RST set', () => {
    const r = feed([...HANDSHAKE, { side: 0, flags: FIN | RST | ACK, seq: add(C, 1), ack: add(S, 1) }]).result();
    expect(r.history).toBe('ShAI');
    expect(r.conn_state).toBe('RSTO');
  });

  it('Q: a multi-flag packet (SYN+FIN)', () => {
    const r = feed([{ side: 0, flags: SYN | FIN, seq: C }]).result();
    expect(r.history).toBe('Q');
  });

  it('^: first packet a SYN-ACK from a likely server port', () => {
    // The SYN-ACK comes from port 40000, not a likely server port: no flip.
    const r = feed(
      [
        { side: 0, flags: SYN | ACK, seq: S, ack: add(C, 1) },
        { side: 1, flags: ACK, seq: add(C, 1), ack: add(S, 1) },
      ],
      { serverPort: 88 },
    ).result();
    expect(r.history).toBe('Ha');
    expect(r.flipped).toBe(false);
    const flipped = feed(
      [
        { side: 1, flags: SYN | ACK, seq: S, ack: add(C, 1) },
        { side: 0, flags: ACK, seq: add(C, 1), ack: add(S, 1) },
      ],
      { serverPort: 88 },
    ).result();
    expect(flipped.history).toBe('^hA');
    expect(flipped.orig).toBe(0);
    expect(flipped.conn_state).toBe('S1');
  });

  it('^: with both ports plausible, a non-SYN first packet flips only if its src port is lower', () => {
    const conn = new ZeekConn({ ignoreChecksums: true, likelyServerPorts: new Set([40000, 50000]) });
    const r = feedWith(conn, [{ side: 0, flags: ACK, seq: C, ack: S }]);
    expect(r.history).toBe('^a');
    expect(r.orig).toBe(1);
  });

  it('^: SYN/SYN-ACK reversal flips the roles mid-connection', () => {
    const r = feed([
      { side: 0, flags: SYN | ACK, seq: S, ack: add(C, 1) },
      { side: 1, flags: SYN, seq: C },
    ]).result();
    expect(r.history).toBe('Hs^');
    expect(r.orig).toBe(1);
    expect(r.conn_state).toBe('S1');
  });
});

/** Feeds specs into an existing ZeekConn (ports 40000 ↔ 50000). */
function feedWith(conn: ZeekConn, specs: Spec[]): ReturnType<ZeekConn['result']> {
  const tcp: TcpHeader = {
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, headerLength: 20, flags: 0, window: 1000, checksum: 0,
    urgentPointer: 0, payloadLength: 0, payloadCaptured: 0, payloadOffset: 0, options: {},
  };
  for (const s of specs) {
    tcp.srcPort = s.side === 0 ? 40000 : 50000;
    tcp.dstPort = s.side === 0 ? 50000 : 40000;
    tcp.flags = s.flags;
    tcp.seq = s.seq;
    tcp.ack = s.ack ?? 0;
    tcp.payloadLength = tcp.payloadCaptured = s.len ?? 0;
    const pkt = { ...scratchPacket(), tcp };
    conn.onSegment({ pkt, tcp, side: s.side });
  }
  return conn.result();
}

function scratchPacket(): DecodedPacket {
  return {
    frame: 1, tsSec: 0, tsNsec: 0, tsPrecision: 9, interfaceId: 0, linkType: 1, capturedLength: 0,
    originalLength: 0, dataOffset: 0, comment: null, data: new Uint8Array(0), vlanIds: [],
    ipVersion: 4, srcAddr: new Uint32Array(4), dstAddr: new Uint32Array(4), ttl: 64, ipOffset: 0,
    tcp: null, notTcp: null, error: null,
  };
}

describe('checksums (history C/c)', () => {
  /**
   * An Ethernet + IPv4 + TCP SYN built by hand per RFC 791 / RFC 9293 §3.1, 10.0.0.1:40000 →
   * 10.0.0.2:80, ISN C, no options. The TCP checksum is computed here the long way: the
   * one's-complement sum of the pseudo-header (src, dst, zero, protocol 6, TCP length 20) and
   * the header's 16-bit words, complemented.
   */
  function synFrame(): Uint8Array {
    const f = new Uint8Array(14 + 20 + 20);
    f.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
    f.set([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    const t = 34;
    f.set([0x9c, 0x40, 0x00, 0x50], t); // ports 40000, 80
    f.set([0xff, 0xff, 0xff, 0xf0], t + 4); // seq C
    f.set([0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0], t + 8); // ack, doff 5, SYN, win, csum, urg
    const words = [0x0a00, 0x0001, 0x0a00, 0x0002, 0x0006, 20];
    for (let i = t; i < t + 20; i += 2) words.push((f[i]! << 8) | f[i + 1]!);
    let sum = words.reduce((a, b) => a + b, 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    const csum = ~sum & 0xffff;
    f[t + 16] = csum >> 8;
    f[t + 17] = csum & 0xff;
    return f;
  }

  function synPacket(frame: Uint8Array): FlowSegment {
    const tcp: TcpHeader = {
      srcPort: 40000, dstPort: 80, seq: C, ack: 0, headerLength: 20, flags: SYN, window: 0xffff,
      checksum: (frame[50]! << 8) | frame[51]!, urgentPointer: 0, payloadLength: 0, payloadCaptured: 0,
      payloadOffset: 54, options: {},
    };
    const pkt: DecodedPacket = {
      ...scratchPacket(), data: frame, capturedLength: frame.length, ipOffset: 14, tcp,
      srcAddr: Uint32Array.of(0x0a000001, 0, 0, 0), dstAddr: Uint32Array.of(0x0a000002, 0, 0, 0),
    };
    return { pkt, tcp, side: 0 };
  }

  it('accepts the hand-built SYN and rejects it with one byte changed', () => {
    const good = synFrame();
    expect(tcpChecksumValid(synPacket(good).pkt)).toBe(true);
    const bad = synFrame();
    bad[34 + 14] ^= 0x01; // window
    expect(tcpChecksumValid(synPacket(bad).pkt)).toBe(false);
    expect(tcpChecksumValid(scratchPacket())).toBeNull();
  });

  it('a bad checksum is history C, the packet is neither analysed nor counted', () => {
    const bad = synFrame();
    bad[34 + 14] ^= 0x01;
    const conn = new ZeekConn();
    conn.onSegment(synPacket(bad));
    const r = conn.result();
    expect(r.history).toBe('C');
    expect(r.conn_state).toBe('OTH');
    expect(r.orig_pkts).toBe(0);
    // The same packet with -C semantics is an ordinary connection attempt.
    const ignoring = new ZeekConn({ ignoreChecksums: true });
    ignoring.onSegment(synPacket(bad));
    expect(ignoring.result().history).toBe('S');
    expect(ignoring.result().orig_ip_bytes).toBe(40);
  });

  it('C is logged again at the 10th bad packet', () => {
    const bad = synFrame();
    bad[34 + 14] ^= 0x01;
    const conn = new ZeekConn();
    for (let i = 0; i < 9; i++) conn.onSegment(synPacket(bad));
    expect(conn.result().history).toBe('C');
    conn.onSegment(synPacket(bad));
    expect(conn.result().history).toBe('CC');
  });
});
