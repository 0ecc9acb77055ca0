// Unit tests of the Wireshark-compatible analysis from hand-built segment sequences. Initial
// sequence numbers sit just below 2^32 so every exchange crosses the wrap. Expected values are
// worked out by hand from the rules of Wireshark's packet-tcp.c (tcp_analyze_sequence_number,
// verify_tcp_window_scaling, dissect_tcp), several of them also visible in the corpus goldens
// (cited where they are).

import { describe, expect, it } from 'vitest';
import type { TcpHeader, TcpOptions } from '../../src/decode/types.js';
import { TcpFlag } from '../../src/decode/types.js';
import type { FlowSegment, Side } from '../../src/flow/types.js';
import { packet } from './builders.js';
import { ANALYSIS, ANALYSIS_NAMES, COMPLETENESS, WiresharkAnalysis, analysisNames } from '../../src/flow/wireshark.js';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

/** Client (side 0) and server (side 1) ISNs: 256 and 16 below 2^32. */
const ISN: [number, number] = [0xffff_ff00, 0xffff_fff0];

function raw(side: Side, rel: number): number {
  return (ISN[side] + rel) >>> 0;
}

interface SendOpts {
  len?: number;
  win?: number;
  options?: TcpOptions;
  /** Milliseconds since the previous segment (default 10). */
  dt?: number;
  /** Raw ack field instead of ISN-relative (default for segments without ACK: 0). */
  rawAck?: number;
  /** Raw sequence number instead of ISN-relative. */
  rawSeq?: number;
}

/** Feeds segments to one analysis; sequence numbers are given relative to the sender's ISN. */
class Script {
  readonly ws: WiresharkAnalysis;
  private ns = 1_700_000_000 * 1e9;
  private frame = 0;

  constructor(ws = new WiresharkAnalysis()) {
    this.ws = ws;
  }

  seg(side: Side, flags: number, relSeq: number, relAck: number, o: SendOpts = {}): FlowSegment {
    this.ns += (o.dt ?? 10) * 1e6;
    this.frame++;
    const len = o.len ?? 0;
    const tcp: TcpHeader = {
      srcPort: side === 0 ? 40000 : 80,
      dstPort: side === 0 ? 80 : 40000,
      seq: o.rawSeq ?? raw(side, relSeq),
      ack: o.rawAck ?? (flags & ACK ? raw(side === 0 ? 1 : 0, relAck) : 0),
      headerLength: 20,
      flags,
      window: o.win ?? 1000,
      checksum: 0,
      urgentPointer: 0,
      payloadLength: len,
      payloadCaptured: len,
      payloadOffset: 54,
      options: o.options ?? {},
    };
    const pkt = packet(this.frame, Math.floor(this.ns / 1e9), this.ns % 1e9, tcp);
    return { pkt, tcp, side };
  }

  send(side: Side, flags: number, relSeq: number, relAck: number, o: SendOpts = {}): WiresharkAnalysis {
    this.ws.onSegment(this.seg(side, flags, relSeq, relAck, o));
    return this.ws;
  }

  /** SYN, SYN-ACK, ACK, 10 ms apart (initial RTT 20 ms), windows 1000, no options. */
  handshake(): this {
    this.send(0, SYN, 0, 0);
    this.send(1, SYN | ACK, 0, 1);
    this.send(0, ACK, 1, 1);
    return this;
  }
}

const names = (ws: WiresharkAnalysis): string[] => analysisNames(ws.flags);

describe('relative sequence and acknowledgement numbers', () => {
  it('counts from each ISN across the 2^32 wrap', () => {
    const s = new Script();
    let ws = s.send(0, SYN, 0, 0);
    expect([ws.relSeq, ws.relAck]).toEqual([0, 0]);
    ws = s.send(1, SYN | ACK, 0, 1);
    expect([ws.relSeq, ws.relAck]).toEqual([0, 1]);
    ws = s.send(0, ACK, 1, 1);
    expect([ws.relSeq, ws.relAck]).toEqual([1, 1]);
    // 300 bytes from ISN + 1 = 0xffffff01 end at 0x2d, past the wrap.
    ws = s.send(0, PSH | ACK, 1, 1, { len: 300 });
    expect([ws.relSeq, ws.relAck]).toEqual([1, 1]);
    ws = s.send(1, ACK, 1, 301);
    expect(ws.relAck).toBe(301);
    expect(s.seg(1, ACK, 1, 301).tcp.ack).toBe(0x2d);
    ws = s.send(1, PSH | ACK, 1, 301, { len: 40 });
    ws = s.send(0, ACK, 301, 41);
    expect([ws.relSeq, ws.relAck]).toEqual([301, 41]);
  });

  it('starts at 1 when the capture begins mid-stream (bases are seq − 1 and ack − 1)', () => {
    const s = new Script();
    const ws = s.send(0, PSH | ACK, 0, 0, { len: 10, rawSeq: 0 });
    // seq 0 → base 0xffffffff; ack raw ISN[1] → base ISN[1] − 1.
    expect([ws.relSeq, ws.relAck]).toEqual([1, 1]);
  });

  it('prints the raw ack field when ACK is not set (as tshark: zeek/tcp/fin_retransmission.pcap frame 5)', () => {
    const s = new Script().handshake();
    const ws = s.send(0, RST, 1, 0, { rawAck: 12345 });
    expect(ws.relAck).toBe(12345);
    expect(ws.relSeq).toBe(1);
  });
});

describe('window scaling (tcp.window_size)', () => {
  it('never scales SYNs, then shifts by the sender’s WS, clamping shifts above 14', () => {
    const s = new Script();
    expect(s.send(0, SYN, 0, 0, { win: 64240, options: { wscale: 7 } }).winScaled).toBe(64240);
    expect(s.send(1, SYN | ACK, 0, 1, { win: 65160, options: { wscale: 255 } }).winScaled).toBe(65160);
    expect(s.send(0, ACK, 1, 1, { win: 100 }).winScaled).toBe(100 * 128);
    expect(s.send(1, ACK, 1, 1, { win: 3 }).winScaled).toBe(3 * 16384);
  });

  it('does not scale when the SYN has no WS, even if the SYN-ACK has one', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0);
    s.send(1, SYN | ACK, 0, 1, { options: { wscale: 7 } });
    expect(s.send(0, ACK, 1, 1, { win: 100 }).winScaled).toBe(100);
    expect(s.send(1, ACK, 1, 1, { win: 5 }).winScaled).toBe(5);
  });

  it('does not scale when the SYN-ACK has no WS', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0, { options: { wscale: 2 } });
    s.send(1, SYN | ACK, 0, 1);
    expect(s.send(0, ACK, 1, 1, { win: 100 }).winScaled).toBe(100);
  });

  it('is unknown (null) without a handshake', () => {
    const s = new Script();
    expect(s.send(0, ACK, 1, 1, { win: 100 }).winScaled).toBeNull();
    expect(s.send(1, ACK, 1, 1, { win: 100 }).winScaled).toBeNull();
  });

  it('knows only the SYN-ACK sender’s scale when the SYN was missed (zeek/tcp/missing-syn.pcap)', () => {
    const s = new Script();
    s.send(1, SYN | ACK, 0, 1, { win: 57344, options: { wscale: 0 } });
    expect(s.send(0, ACK, 1, 1, { win: 1460 }).winScaled).toBeNull();
    expect(s.send(1, ACK, 1, 1, { win: 57920 }).winScaled).toBe(57920);
  });
});

describe('tcp.completeness', () => {
  it('adds SYN, SYN-ACK, ACK, DATA, FIN as the conversation goes (value before each segment)', () => {
    const s = new Script();
    const before: number[] = [];
    const step = (ws: WiresharkAnalysis): void => void before.push(ws.completenessBefore);
    step(s.send(0, SYN, 0, 0));
    step(s.send(1, SYN | ACK, 0, 1));
    step(s.send(0, ACK, 1, 1));
    step(s.send(0, PSH | ACK, 1, 1, { len: 10 }));
    step(s.send(1, ACK, 1, 11));
    step(s.send(0, FIN | ACK, 11, 1));
    step(s.send(1, FIN | ACK, 1, 12));
    step(s.send(0, ACK, 12, 2));
    expect(before).toEqual([0, 1, 3, 7, 15, 15, 31, 31]);
    expect(s.ws.completeness()).toBe(31);
  });

  it('gives 37 for a refused connection: the RST-ACK counts as ACK and RST (pcapplusplus/one_tcp_rst.pcap)', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0);
    s.send(1, RST | ACK, 0, 1);
    expect(s.ws.completeness()).toBe(COMPLETENESS.SYN | COMPLETENESS.ACK | COMPLETENESS.RST);
  });

  it('ignores everything but a bare SYN on the first segment', () => {
    const s = new Script();
    s.send(1, SYN | ACK, 0, 1);
    expect(s.ws.completeness()).toBe(0);
    s.send(0, ACK, 1, 1);
    expect(s.ws.completeness()).toBe(COMPLETENESS.ACK);
  });

  it('counts data on the SYN (TCP Fast Open)', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0, { len: 38 });
    expect(s.ws.completeness()).toBe(COMPLETENESS.SYN | COMPLETENESS.DATA);
  });

  it('needs ACK with FIN', () => {
    const s = new Script().handshake();
    s.send(0, FIN, 1, 0);
    expect(s.ws.completeness() & COMPLETENESS.FIN).toBe(0);
  });
});

describe('tcp.analysis flags', () => {
  it('retransmission: data below nextseq, long after the original', () => {
    const s = new Script().handshake();
    expect(names(s.send(0, PSH | ACK, 1, 1, { len: 100 }))).toEqual([]);
    const ws = s.send(0, PSH | ACK, 1, 1, { len: 100, dt: 200 });
    expect(names(ws)).toEqual(['retransmission']);
  });

  it('retransmission of a SYN (fixtures/kernel/syn-retransmission.pcap), not a port reuse', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0);
    expect(names(s.send(0, SYN, 0, 0, { dt: 1000 }))).toEqual(['retransmission']);
  });

  it('lost_segment, then out_of_order for the gap filled within the initial RTT', () => {
    const s = new Script().handshake(); // initial RTT 20 ms
    expect(names(s.send(0, PSH | ACK, 1, 1, { len: 10 }))).toEqual([]);
    expect(names(s.send(0, PSH | ACK, 21, 1, { len: 10, dt: 1 }))).toEqual(['lost_segment']);
    expect(names(s.send(0, PSH | ACK, 11, 1, { len: 10, dt: 1 }))).toEqual(['out_of_order']);
  });

  it('lost_segment is not reported for RSTs', () => {
    const s = new Script().handshake();
    s.send(0, PSH | ACK, 1, 1, { len: 10 });
    expect(names(s.send(0, RST, 500, 0))).toEqual([]);
  });

  it('ack_lost_segment: the peer acknowledges data never seen, reported once per gap', () => {
    const s = new Script().handshake();
    s.send(0, PSH | ACK, 1, 1, { len: 10 });
    expect(names(s.send(1, ACK, 1, 51))).toEqual(['ack_lost_segment']);
    // Same ACK again: a duplicate ACK, and the gap is not reported twice.
    const ws = s.send(1, ACK, 1, 51);
    expect(names(ws)).toEqual(['duplicate_ack']);
    expect(ws.dupAckNum).toBe(1);
  });

  it('duplicate_ack counts, then fast_retransmission (also shown as retransmission)', () => {
    const s = new Script().handshake(); // frames 1-3; the SYN-ACK (frame 2) set the server's ack
    s.send(0, PSH | ACK, 1, 1, { len: 100 });
    s.send(0, PSH | ACK, 101, 1, { len: 100 });
    const nums: number[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = s.send(1, ACK, 1, 1, { dt: 2 });
      expect(names(ws)).toEqual(['duplicate_ack']);
      expect(ws.dupAckFrame).toBe(2);
      nums.push(ws.dupAckNum);
    }
    expect(nums).toEqual([1, 2, 3]);
    const ws = s.send(0, PSH | ACK, 1, 1, { len: 100, dt: 5 });
    expect(names(ws)).toEqual(['retransmission', 'fast_retransmission']);
    expect(ws.dupAckNum).toBe(0);
    const counts = ws.counts();
    expect(counts.duplicate_ack).toBe(3);
    expect(counts.fast_retransmission).toBe(1);
    expect(counts.retransmission).toBe(1);
    expect(counts.out_of_order).toBe(0);
    // counts() spells its keys out: the JSON key order is ANALYSIS_NAMES, flagged or not.
    expect(Object.keys(counts)).toEqual(ANALYSIS_NAMES);
    expect(Object.keys(new WiresharkAnalysis().counts())).toEqual(ANALYSIS_NAMES);
    expect(ANALYSIS_NAMES.map((n) => ANALYSIS[n])).toEqual(ANALYSIS_NAMES.map((_, i) => 1 << i));
  });

  it('spurious_retransmission: the data was already acknowledged (also shown as retransmission)', () => {
    const s = new Script().handshake();
    s.send(0, PSH | ACK, 1, 1, { len: 100 });
    s.send(1, ACK, 1, 101);
    const ws = s.send(0, PSH | ACK, 1, 1, { len: 100, dt: 300 });
    expect(names(ws)).toEqual(['retransmission', 'spurious_retransmission']);
  });

  it('zero_window, zero_window_probe, zero_window_probe_ack, then window_update', () => {
    const s = new Script().handshake();
    expect(names(s.send(1, ACK, 1, 1, { win: 0 }))).toEqual(['zero_window']);
    expect(names(s.send(0, PSH | ACK, 1, 1, { len: 1 }))).toEqual(['zero_window_probe']);
    expect(names(s.send(1, ACK, 1, 1, { win: 0 }))).toEqual(['zero_window', 'zero_window_probe_ack']);
    expect(names(s.send(1, ACK, 1, 1, { win: 2000 }))).toEqual(['window_update']);
    // The probe did not advance nextseq: the same byte sent again is new data, not a retransmission.
    expect(names(s.send(0, PSH | ACK, 1, 1, { len: 1 }))).toEqual([]);
  });

  it('window_full: data up to the right edge of the peer’s window', () => {
    const s = new Script().handshake(); // no window scaling: the server's window is 1000 bytes
    expect(names(s.send(0, PSH | ACK, 1, 1, { len: 1000 }))).toEqual(['window_full']);
  });

  it('window_full with scaling: the first window after the SYN-ACK is taken unscaled (issue 14690)', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0, { options: { wscale: 2 } });
    s.send(1, SYN | ACK, 0, 1, { options: { wscale: 3 } });
    s.send(0, ACK, 1, 1);
    expect(names(s.send(0, PSH | ACK, 1, 1, { len: 1000 }))).toEqual(['window_full']);
    s.send(1, ACK, 1, 1001, { win: 500 }); // 500 << 3 = 4000 bytes from 1001
    expect(names(s.send(0, PSH | ACK, 1001, 1, { len: 3999 }))).toEqual([]);
    expect(names(s.send(0, PSH | ACK, 5000, 1, { len: 1 }))).toEqual(['window_full']);
  });

  it('keep_alive (one byte before nextseq, 0 or 1 byte) and keep_alive_ack', () => {
    const s = new Script().handshake();
    s.send(0, PSH | ACK, 1, 1, { len: 10 });
    s.send(1, ACK, 1, 11);
    expect(names(s.send(0, ACK, 10, 1, { dt: 45_000 }))).toEqual(['keep_alive']);
    expect(names(s.send(1, ACK, 1, 11))).toEqual(['keep_alive_ack']);
    expect(names(s.send(0, ACK, 10, 1, { len: 1, dt: 45_000 }))).toEqual(['keep_alive']);
  });

  it('window_update on the first empty segment whose seq and ack are 0 (zeek/tcp/syn-then-stuff-then-rst.pcap)', () => {
    // tshark starts nextseq and lastack at 0 and the window at 2^32 − 1.
    const s = new Script();
    s.send(0, SYN, 0, 0, { rawSeq: 0 });
    expect(names(s.send(1, ACK, 0, 0, { rawSeq: 0, rawAck: 0 }))).toEqual(['window_update']);
  });
});

describe('reused ports and stream boundaries', () => {
  it('reports the base sequence numbers it holds', () => {
    const s = new Script();
    expect(s.ws.baseSeq(0)).toBeNull();
    s.send(0, SYN, 0, 0);
    expect(s.ws.baseSeq(0)).toBe(ISN[0]);
    expect(s.ws.baseSeq(1)).toBeNull();
    s.send(1, SYN | ACK, 0, 1);
    expect(s.ws.baseSeq(1)).toBe(ISN[1]);
  });

  it('a bare SYN with a new ISN starts a new conversation; a repeated one does not', () => {
    const s = new Script().handshake();
    expect(s.ws.startsNewConversation(s.seg(0, SYN, 0, 0))).toBe(false);
    expect(s.ws.startsNewConversation(s.seg(0, SYN, 5000, 0))).toBe(true);
    expect(s.ws.startsNewConversation(s.seg(1, SYN | ACK, 5000, 1))).toBe(false);
  });

  it('the SYN opening a reused 4-tuple is flagged and starts the completeness at SYN (fixtures/kernel/port-reuse.pcap)', () => {
    const s = new Script(new WiresharkAnalysis({ portsReused: true }));
    const ws = s.send(0, SYN, 0, 0);
    expect(names(ws)).toEqual(['reused_ports']);
    expect(ws.completenessBefore).toBe(COMPLETENESS.SYN);
    expect(names(s.send(1, SYN | ACK, 0, 1))).toEqual([]);
  });

  it('a SYN-ACK with a new sequence number replaces the base and is flagged', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0);
    s.send(1, SYN | ACK, 0, 1);
    const ws = s.send(1, SYN | ACK, 7000, 1);
    // Beyond the old SYN-ACK's nextseq, so also "previous segment not captured".
    expect(names(ws)).toEqual(['lost_segment', 'reused_ports']);
    expect(ws.relSeq).toBe(0);
    expect(s.ws.baseSeq(1)).toBe(raw(1, 7000));
  });
});

describe('initial RTT', () => {
  it('is the time from the last bare SYN to the first ACK without SYN', () => {
    const s = new Script();
    s.send(0, SYN, 0, 0);
    s.send(0, SYN, 0, 0, { dt: 1000 }); // retransmitted: the RTT counts from this one
    expect(s.ws.initialRttNs()).toBeNull();
    s.send(1, SYN | ACK, 0, 1, { dt: 7 });
    s.send(0, ACK, 1, 1, { dt: 5 });
    expect(s.ws.initialRttNs()).toBe(12_000_000);
  });
});

describe('analysisNames', () => {
  it('lists the names of the bits set, in bit order', () => {
    expect(analysisNames(ANALYSIS.keep_alive | ANALYSIS.retransmission)).toEqual(['retransmission', 'keep_alive']);
    expect(analysisNames(0)).toEqual([]);
  });
});
