// Unit tests for the per-endpoint RFC 9293 state machine (src/flow/lifecycle.ts, states.ts),
// grouped by the state the segments act on. Segment sequences follow the RFC 9293 figures
// (§3.5 Figures 6-10, §3.6 Figures 12-13); ISNs sit just below 2^32 so every case wraps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/types.js';
import { inferClientSide, Lifecycle, MAX_TRANSITIONS, type LifecycleReport } from '../../src/flow/lifecycle.js';
import { TRANSITIONS } from '../../src/flow/states.js';
import type { FlowSegment, TcpState, Transition } from '../../src/flow/types.js';
import { Conversation, ISN_A, ISN_B, replay } from './builders.js';

/** Feeds the conversation through a scratch segment, like the tracker, and returns the analyzer. */
function run(conv: Conversation, perSegment?: (lc: Lifecycle, seg: FlowSegment) => void): Lifecycle {
  let lc: Lifecycle | undefined;
  replay(conv.segments, (seg) => {
    lc ??= new Lifecycle(seg);
    lc.onSegment(seg);
    perSegment?.(lc, seg);
  });
  return lc!;
}

/** Timeline as compact "frame from→to (cause)" strings. */
function steps(ts: readonly Transition[]): string[] {
  return ts.map((t) => `${t.frame} ${t.from}→${t.to} (${t.cause})`);
}

function names(r: LifecycleReport): string[] {
  return r.anomalies.map((a) => a.name);
}

/** RFC 9293 §3.5 Figure 6: the three-way handshake, a = client. */
function handshake(conv = new Conversation()): Conversation {
  conv.a('S');
  conv.b('SA');
  conv.a('A');
  return conv;
}

describe('CLOSED/LISTEN: three-way handshake (RFC 9293 §3.5 Figure 6)', () => {
  it('moves the client CLOSED→SYN_SENT→ESTABLISHED and the server LISTEN→SYN_RCVD→ESTABLISHED', () => {
    const r = run(handshake()).report();
    expect(r.client).toBe(0);
    expect(r.roles_inferred).toBe(false);
    expect(steps(r.transitions.client)).toEqual(['1 CLOSED→SYN_SENT (sent SYN)', '2 SYN_SENT→ESTABLISHED (received SYN-ACK)']);
    expect(steps(r.transitions.server)).toEqual(['1 LISTEN→SYN_RCVD (received SYN)', '3 SYN_RCVD→ESTABLISHED (received ACK of SYN)']);
    expect(r.handshake.status).toBe('complete');
    expect(r.handshake.isn).toEqual({ client: ISN_A, server: ISN_B });
    expect(r.final_state).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(r.anomalies).toEqual([]);
  });

  it('measures the handshake RTTs exactly (ns arithmetic, 9 decimals)', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('SA', { gapNs: 2_500_001 });
    conv.a('A', { gapNs: 999_999_999 }); // crosses a second boundary
    const r = run(conv).report();
    expect(r.handshake.rtt).toEqual({ syn_synack: 0.002500001, synack_ack: 0.999999999, total: 1.0025 });
  });

  it('reports each side\'s SYN options and what both agreed (RFC 7323 §2.2, §3.2; RFC 2018)', () => {
    const conv = new Conversation();
    conv.a('S', { options: { mss: 1460, wscale: 7, sack_perm: true, ts_val: 1, ts_ecr: 0 } });
    conv.b('SA', { options: { mss: 1400, wscale: 15, ts_val: 9, ts_ecr: 1 } });
    conv.a('A');
    const r = run(conv).report();
    expect(r.handshake.options.client).toEqual({ mss: 1460, wscale: 7, sack_perm: true, timestamps: true, tfo: null, mptcp: null });
    expect(r.handshake.options.server).toEqual({ mss: 1400, wscale: 15, sack_perm: false, timestamps: true, tfo: null, mptcp: null });
    // 15 > 14 is used as 14 (RFC 7323 §2.3); SACK needs both SACK-permitted options.
    expect(r.handshake.negotiated).toEqual({ mss: 1400, wscale: { client: 7, server: 14 }, sack: false, timestamps: true, ecn: false });
    expect(names(r)).toEqual(['wscale_too_large']);
  });

  it('has no window scaling unless both SYNs carried it, and MSS from the one side that sent it', () => {
    const conv = new Conversation();
    conv.a('S', { options: { mss: 536, wscale: 2, sack_perm: true } });
    conv.b('SA', { options: { sack_perm: true } });
    conv.a('A');
    const n = run(conv).report().handshake.negotiated;
    expect(n).toEqual({ mss: 536, wscale: null, sack: true, timestamps: false, ecn: false });
  });

  it('negotiates ECN only for an ECN-setup SYN (ECE+CWR) answered by an ECN-setup SYN-ACK (ECE only), RFC 3168 §6.1.1', () => {
    const ecn = (synFlags: number, synAckFlags: number): boolean => {
      const conv = new Conversation();
      conv.a('S', { extraFlags: synFlags });
      conv.b('SA', { extraFlags: synAckFlags });
      conv.a('A');
      return run(conv).report().handshake.negotiated.ecn;
    };
    expect(ecn(TcpFlag.ECE | TcpFlag.CWR, TcpFlag.ECE)).toBe(true);
    expect(ecn(TcpFlag.ECE | TcpFlag.CWR, TcpFlag.ECE | TcpFlag.CWR)).toBe(false);
    expect(ecn(TcpFlag.ECE, TcpFlag.ECE)).toBe(false);
    // AccECN (RFC 9768): AE+CWR+ECE on the SYN, CWR on the SYN-ACK (tcpdump accecn_handshake.pcap).
    expect(ecn(TcpFlag.AE | TcpFlag.ECE | TcpFlag.CWR, TcpFlag.CWR)).toBe(false);
  });
});

describe('SYN_SENT', () => {
  it('flags a SYN-ACK that does not acknowledge ISN+1 and stays in SYN_SENT', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('SA', { ack: 1 }); // ISN_A + 1 is 0xFFFFFFFF; 1 is two further on, past the wrap
    const r = run(conv).report();
    expect(r.anomalies).toEqual([
      { name: 'handshake_ack_mismatch', frame: 2, detail: 'SYN-ACK acknowledges 1, expected ISN+1 = 4294967295' },
    ]);
    expect(r.final_state.client).toBe('SYN_SENT');
    expect(r.handshake.status).toBe('syn-synack');
  });

  it('counts retransmitted SYNs (same ISN) without repeating the transition; RTT from the SYN answered', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.a('S', { gapNs: 1_000_000_000 });
    conv.a('S', { gapNs: 2_000_000_000 });
    conv.b('SA', { gapNs: 30_000_000 });
    conv.a('A', { gapNs: 1_000 });
    const r = run(conv).report();
    expect(r.handshake.syn_retransmissions).toBe(2);
    expect(r.handshake.synack_retransmissions).toBe(0);
    expect(steps(r.transitions.client)).toEqual(['1 CLOSED→SYN_SENT (sent SYN)', '4 SYN_SENT→ESTABLISHED (received SYN-ACK)']);
    expect(steps(r.transitions.server)).toEqual(['1 LISTEN→SYN_RCVD (received SYN)', '5 SYN_RCVD→ESTABLISHED (received ACK of SYN)']);
    expect(r.handshake.rtt).toEqual({ syn_synack: 0.03, synack_ack: 0.000001, total: 0.030001 });
    expect(r.handshake.status).toBe('complete');
  });

  it('counts a SYN with data (TCP Fast Open, RFC 7413) and accepts a SYN-ACK that acknowledges it', () => {
    const conv = new Conversation();
    conv.a('S', { len: 86, options: { tfo: { kind: 254, cookie: '0011223344556677' } } });
    conv.b('SA'); // acknowledges ISN+1+86, as in zeek/tcp/tcp-fast-open.pcap (SYN-ACK acks 87)
    conv.a('A');
    const lc = run(conv);
    const r = lc.report();
    expect(conv.segments[1]!.tcp.ack).toBe((ISN_A + 87) >>> 0);
    expect(r.anomalies).toEqual([]);
    expect(r.handshake.status).toBe('complete');
    expect(r.handshake.options.client!.tfo).toEqual({ kind: 254, cookie: '0011223344556677' });
    expect(lc.counters.syn_data).toEqual({ client: 86, server: 0 });
  });

  it('is refused when the SYN is answered by an acceptable RST-ACK (the refuser never listened)', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('RA', { seq: 0 });
    const lc = run(conv);
    const r = lc.report();
    expect(r.handshake.status).toBe('refused');
    expect(steps(r.transitions.client)).toEqual(['1 CLOSED→SYN_SENT (sent SYN)', '2 SYN_SENT→CLOSED (received RST)']);
    expect(r.transitions.server).toEqual([]);
    expect(r.final_state).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    expect(r.teardown).toEqual({ kind: 'reset', initiator: 'server', reset_by: 'server', bytes_after_fin: 0, time_wait: null });
    expect(lc.finished).toBe(true);
  });

  it('ignores a RST whose ACK does not acknowledge the SYN (§3.10.7.3) and records rst_out_of_window', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('RA', { seq: 0, ack: 5 });
    conv.b('R', { seq: 0 });
    const lc = run(conv);
    const r = lc.report();
    expect(r.anomalies).toEqual([
      { name: 'rst_out_of_window', frame: 2, detail: 'RST acknowledges 5, expected ISN+1 = 4294967295' },
      { name: 'rst_out_of_window', frame: 3, detail: 'RST without ACK to an endpoint in SYN_SENT' },
    ]);
    expect(r.final_state.client).toBe('SYN_SENT');
    expect(r.handshake.status).toBe('syn-only');
  });

  it('records fin_before_handshake for a FIN sent in SYN_SENT and changes no state', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.a('F', { seq: ISN_A, noAdvance: true });
    const r = run(conv).report();
    expect(r.anomalies).toEqual([{ name: 'fin_before_handshake', frame: 2, detail: 'client sent FIN in SYN_SENT' }]);
    expect(r.final_state).toEqual({ client: 'SYN_SENT', server: 'SYN_RCVD' });
    expect(r.teardown.kind).toBe('half-closed');
    expect(r.teardown.initiator).toBe('client');
  });

  it('simultaneous open (§3.5 Figure 8): both SYN_SENT→SYN_RCVD→ESTABLISHED', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('S'); // crossed: b's SYN left before a's arrived
    conv.a('SA');
    conv.b('SA');
    const transitionsAt: string[][] = [];
    const r = run(conv, (lc) => transitionsAt.push(steps(lc.lastTransitions))).report();
    expect(r.handshake.status).toBe('simultaneous-open');
    expect(steps(r.transitions.client)).toEqual([
      '1 CLOSED→SYN_SENT (sent SYN)',
      '2 SYN_SENT→SYN_RCVD (received SYN)',
      '4 SYN_RCVD→ESTABLISHED (received ACK of SYN)',
    ]);
    expect(steps(r.transitions.server)).toEqual([
      '2 CLOSED→SYN_SENT (sent SYN)',
      '2 SYN_SENT→SYN_RCVD (received SYN (crossed in flight))',
      '3 SYN_RCVD→ESTABLISHED (received ACK of SYN)',
    ]);
    expect(transitionsAt[1]).toEqual([
      '2 CLOSED→SYN_SENT (sent SYN)',
      '2 SYN_SENT→SYN_RCVD (received SYN (crossed in flight))',
      '2 SYN_SENT→SYN_RCVD (received SYN)',
    ]);
    expect(r.handshake.syn_retransmissions).toBe(0);
    expect(r.handshake.synack_retransmissions).toBe(0);
    expect(r.anomalies).toEqual([]);
  });
});

describe('SYN_RCVD', () => {
  it('flags a third segment that does not acknowledge ISN(s)+1 and stays in SYN_RCVD', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('SA');
    conv.a('A', { ack: ISN_B }); // acknowledges the ISN itself, not ISN+1
    const r = run(conv).report();
    expect(r.anomalies).toEqual([
      { name: 'handshake_ack_mismatch', frame: 3, detail: `ACK acknowledges ${ISN_B}, expected ISN+1 = ${ISN_B + 1}` },
    ]);
    expect(r.final_state).toEqual({ client: 'ESTABLISHED', server: 'SYN_RCVD' });
    expect(r.handshake.status).toBe('syn-synack');
  });

  it('counts SYN-ACK retransmissions; synack_ack is measured from the last SYN-ACK', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('SA', { gapNs: 1_000 });
    conv.b('SA', { gapNs: 1_000_000_000 });
    conv.a('A', { gapNs: 2_000 });
    const r = run(conv).report();
    expect(r.handshake.synack_retransmissions).toBe(1);
    expect(r.handshake.rtt).toEqual({ syn_synack: 0.000001, synack_ack: 0.000002, total: 1.000003 });
    expect(r.transitions.server).toHaveLength(2);
  });

  it('returns a passive opener to LISTEN when the client resets the half-open connection (§3.10.7.4)', () => {
    const conv = new Conversation();
    conv.a('S');
    conv.b('SA');
    conv.a('R');
    const lc = run(conv);
    const r = lc.report();
    expect(steps(r.transitions.server)).toEqual(['1 LISTEN→SYN_RCVD (received SYN)', '3 SYN_RCVD→LISTEN (received RST)']);
    expect(steps(r.transitions.client)).toEqual([
      '1 CLOSED→SYN_SENT (sent SYN)',
      '2 SYN_SENT→ESTABLISHED (received SYN-ACK)',
      '3 ESTABLISHED→CLOSED (sent RST)',
    ]);
    expect(r.handshake.status).toBe('syn-synack');
    expect(r.teardown).toEqual({ kind: 'reset', initiator: 'client', reset_by: 'client', bytes_after_fin: 0, time_wait: null });
    expect(lc.finished).toBe(true);
  });

  it('recovers from an old duplicate SYN (§3.5 Figure 9): RST answers the stale SYN-ACK, then the real handshake', () => {
    // RFC numbers shifted by K so that 90..101 straddle 2^32.
    const K = 0x1_0000_0000 - 95;
    const n = (x: number): number => (x + K) >>> 0;
    const conv = new Conversation({ isnA: n(100), isnB: n(300) });
    conv.a('S'); //                                   1. <SEQ=100><CTL=SYN>
    conv.b('SA', { ack: n(91) }); //                  3. <SEQ=300><ACK=91><CTL=SYN,ACK> (answers the old SYN 90)
    conv.a('R', { seq: n(91) }); //                   4. <SEQ=91><CTL=RST>
    conv.a('S', { seq: n(100) }); //                  5. <SEQ=100><CTL=SYN>
    conv.b('SA', { seq: n(400), ack: n(101) }); //    6. <SEQ=400><ACK=101><CTL=SYN,ACK>
    conv.a('A', { seq: n(101), ack: n(401) }); //     7. <SEQ=101><ACK=401><CTL=ACK>
    const r = run(conv).report();
    expect(r.anomalies).toEqual([
      { name: 'handshake_ack_mismatch', frame: 2, detail: `SYN-ACK acknowledges ${n(91)}, expected ISN+1 = ${n(101)}` },
    ]);
    expect(steps(r.transitions.client)).toEqual(['1 CLOSED→SYN_SENT (sent SYN)', '5 SYN_SENT→ESTABLISHED (received SYN-ACK)']);
    expect(steps(r.transitions.server)).toEqual([
      '1 LISTEN→SYN_RCVD (received SYN)',
      '3 SYN_RCVD→LISTEN (received RST)',
      '4 LISTEN→SYN_RCVD (received SYN)',
      '6 SYN_RCVD→ESTABLISHED (received ACK of SYN)',
    ]);
    expect(r.handshake.status).toBe('complete');
    expect(r.handshake.isn).toEqual({ client: n(100), server: n(400) });
    expect(r.handshake.syn_retransmissions).toBe(1);
    expect(r.teardown.reset_by).toBeNull();
    expect(r.teardown.kind).toBe('none');
  });
});

describe('ESTABLISHED and the closing states (§3.6)', () => {
  it('four-way close: active closer ends in TIME_WAIT, passive closer in CLOSED (§3.6 Figure 12)', () => {
    const conv = handshake();
    conv.a('PA', { len: 10 }); // 4: wraps the client's sequence numbers past 2^32
    conv.b('A'); //               5
    conv.a('FA'); //              6  client: ESTABLISHED → FIN_WAIT_1
    conv.b('A'); //               7  client: → FIN_WAIT_2
    conv.b('FA'); //              8  server: CLOSE_WAIT → LAST_ACK; client → TIME_WAIT
    conv.a('A'); //               9  server: → CLOSED
    const lc = run(conv);
    const r = lc.report();
    expect(steps(r.transitions.client).slice(2)).toEqual([
      '6 ESTABLISHED→FIN_WAIT_1 (sent FIN)',
      '7 FIN_WAIT_1→FIN_WAIT_2 (received ACK of FIN)',
      '8 FIN_WAIT_2→TIME_WAIT (received FIN)',
    ]);
    expect(steps(r.transitions.server).slice(2)).toEqual([
      '6 ESTABLISHED→CLOSE_WAIT (received FIN)',
      '8 CLOSE_WAIT→LAST_ACK (sent FIN)',
      '9 LAST_ACK→CLOSED (received ACK of FIN)',
    ]);
    expect(r.teardown).toEqual({ kind: 'four-way', initiator: 'client', reset_by: null, bytes_after_fin: 0, time_wait: 'client' });
    expect(r.final_state).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
    expect(r.anomalies).toEqual([]);
    expect(lc.finished).toBe(true);
  });

  it('three-segment close: a FIN that acknowledges the first FIN takes FIN_WAIT_1 straight to TIME_WAIT (§3.10.7.4)', () => {
    const conv = handshake();
    conv.b('FA'); // 4 server closes first
    conv.a('FA'); // 5 client's FIN acknowledges the server's FIN
    conv.b('A'); //  6
    const r = run(conv).report();
    expect(steps(r.transitions.server).slice(2)).toEqual([
      '4 ESTABLISHED→FIN_WAIT_1 (sent FIN)',
      '5 FIN_WAIT_1→TIME_WAIT (received FIN-ACK)',
    ]);
    expect(steps(r.transitions.client).slice(2)).toEqual([
      '4 ESTABLISHED→CLOSE_WAIT (received FIN)',
      '5 CLOSE_WAIT→LAST_ACK (sent FIN)',
      '6 LAST_ACK→CLOSED (received ACK of FIN)',
    ]);
    expect(r.teardown).toEqual({ kind: 'three-way', initiator: 'server', reset_by: null, bytes_after_fin: 0, time_wait: 'server' });
  });

  it('simultaneous close (§3.6 Figure 13): both FIN_WAIT_1→CLOSING→TIME_WAIT', () => {
    const conv = handshake();
    const finSeqA = conv.nxt(0);
    conv.a('FA'); //                   4
    conv.b('FA', { ack: finSeqA }); // 5 does not acknowledge a's FIN: crossed
    conv.a('A'); //                    6
    conv.b('A'); //                    7
    const lc = run(conv);
    const r = lc.report();
    expect(steps(r.transitions.client).slice(2)).toEqual([
      '4 ESTABLISHED→FIN_WAIT_1 (sent FIN)',
      '5 FIN_WAIT_1→CLOSING (received FIN)',
      '7 CLOSING→TIME_WAIT (received ACK of FIN)',
    ]);
    expect(steps(r.transitions.server).slice(2)).toEqual([
      '5 ESTABLISHED→FIN_WAIT_1 (sent FIN)',
      '5 FIN_WAIT_1→CLOSING (received FIN (crossed in flight))',
      '6 CLOSING→TIME_WAIT (received ACK of FIN)',
    ]);
    expect(r.teardown).toEqual({ kind: 'simultaneous', initiator: 'both', reset_by: null, bytes_after_fin: 0, time_wait: 'both' });
    expect(lc.finished).toBe(true);
  });

  it('half-close: counts new bytes the passive side sends after the first FIN, not retransmissions', () => {
    const conv = handshake();
    conv.a('FA'); //                        4
    conv.b('A'); //                         5
    const dataSeq = conv.nxt(1);
    conv.b('PA', { len: 100 }); //          6
    conv.b('PA', { len: 100, seq: dataSeq }); // 7 retransmission
    conv.b('PA', { len: 50 }); //           8
    conv.a('A'); //                         9
    const lc = run(conv);
    const r = lc.report();
    expect(r.teardown).toEqual({ kind: 'half-closed', initiator: 'client', reset_by: null, bytes_after_fin: 150, time_wait: null });
    expect(r.final_state).toEqual({ client: 'FIN_WAIT_2', server: 'CLOSE_WAIT' });
    expect(lc.finished).toBe(false);
  });

  it('counts FIN retransmissions without a second transition', () => {
    const conv = handshake();
    const finSeq = conv.nxt(0);
    conv.a('FA'); // 4
    conv.a('FA', { seq: finSeq }); // 5 same FIN again
    const lc = run(conv);
    const r = lc.report();
    expect(lc.counters.fin_retransmissions).toEqual({ client: 1, server: 0 });
    expect(steps(r.transitions.client).slice(2)).toEqual(['4 ESTABLISHED→FIN_WAIT_1 (sent FIN)']);
    expect(steps(r.transitions.server).slice(2)).toEqual(['4 ESTABLISHED→CLOSE_WAIT (received FIN)']);
  });

  it('accepts an in-window RST: both ends CLOSED, reset_by the sender', () => {
    const conv = handshake();
    conv.b('PA', { len: 20 });
    conv.b('RA');
    const lc = run(conv);
    const r = lc.report();
    expect(r.final_state).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    expect(r.teardown).toEqual({ kind: 'reset', initiator: 'server', reset_by: 'server', bytes_after_fin: 0, time_wait: null });
    expect(r.anomalies).toEqual([]);
    expect(lc.finished).toBe(true);
  });

  it('ignores an out-of-window RST (RFC 5961 §3) and notes data after a reset', () => {
    const conv = handshake();
    const rcvNxt = conv.nxt(1);
    conv.b('R', { seq: (rcvNxt + 70_000) >>> 0 }); // 4: window is 65535
    conv.a('PA', { len: 5 }); // 5: client still ESTABLISHED, not an anomaly
    conv.b('PA', { len: 7 }); // 6: the server reset itself
    conv.b('PA', { len: 7 }); // 7: noted once
    const r = run(conv).report();
    expect(r.anomalies).toEqual([
      {
        name: 'rst_out_of_window',
        frame: 4,
        detail: `RST seq ${(rcvNxt + 70_000) >>> 0} outside client's window [${rcvNxt}, ${(rcvNxt + 65_535) >>> 0})`,
      },
      { name: 'data_after_reset', frame: 6, detail: 'server sent 7 bytes after the reset' },
    ]);
    expect(r.final_state).toEqual({ client: 'ESTABLISHED', server: 'CLOSED' });
  });

  it('scales the receive window once both SYNs carried window scale (RFC 7323 §2.2)', () => {
    const conv = new Conversation();
    conv.a('S', { options: { wscale: 7 } });
    conv.b('SA', { options: { wscale: 7 } });
    conv.a('A', { window: 1000 }); // 128000 bytes
    const rcvNxt = conv.nxt(1);
    conv.b('R', { seq: (rcvNxt + 100_000) >>> 0 });
    const r = run(conv).report();
    expect(r.anomalies).toEqual([]);
    expect(r.final_state.client).toBe('CLOSED');
  });

  it('a RST after both ends closed with FINs leaves the teardown kind alone', () => {
    const conv = handshake();
    conv.a('FA');
    conv.b('FA');
    conv.a('A');
    conv.a('R');
    const r = run(conv).report();
    expect(r.teardown.kind).toBe('three-way');
    expect(r.teardown.reset_by).toBe('client');
  });

  it('notes ack_of_unseen_segment once per direction', () => {
    const conv = handshake();
    const ahead = (conv.nxt(0) + 1000) >>> 0;
    conv.b('A', { ack: ahead });
    conv.b('A', { ack: ahead });
    const r = run(conv).report();
    expect(r.anomalies).toEqual([
      { name: 'ack_of_unseen_segment', frame: 4, detail: `server acknowledges ${ahead}, client was only seen up to ${conv.nxt(0)}` },
    ]);
  });
});

describe('CLOSED and TIME_WAIT after the end', () => {
  it('records syn_after_close for a SYN from a closed endpoint and changes nothing', () => {
    const conv = handshake();
    conv.a('FA');
    conv.b('FA');
    conv.a('A');
    conv.a('S', { seq: ISN_A, noAdvance: true });
    const r = run(conv).report();
    expect(r.anomalies).toEqual([{ name: 'syn_after_close', frame: 7, detail: 'client sent a SYN in TIME_WAIT' }]);
    expect(r.final_state).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });
});

describe('captures that start or end mid-connection', () => {
  it('starts both ends ESTABLISHED with an "assumed" cause, status missing, roles from ports', () => {
    const conv = new Conversation({ portA: 443, portB: 51000 });
    conv.a('PA', { len: 31 });
    conv.a('FA');
    conv.a('FA', { seq: (ISN_A + 31) >>> 0, noAdvance: true });
    const lc = run(conv);
    const r = lc.report();
    expect(r.roles_inferred).toBe(true);
    expect(r.client).toBe(1);
    expect(steps(r.transitions.server)).toEqual([
      '1 CLOSED→ESTABLISHED (assumed (capture began mid-connection))',
      '2 ESTABLISHED→FIN_WAIT_1 (sent FIN)',
    ]);
    expect(steps(r.transitions.client)).toEqual([
      '1 CLOSED→ESTABLISHED (assumed (capture began mid-connection))',
      '2 ESTABLISHED→CLOSE_WAIT (received FIN)',
    ]);
    expect(r.handshake.status).toBe('missing');
    expect(r.handshake.isn).toEqual({ client: null, server: null });
    expect(r.handshake.rtt).toEqual({ syn_synack: null, synack_ack: null, total: null });
    expect(r.handshake.options).toEqual({ client: null, server: null });
    expect(lc.counters.fin_retransmissions.server).toBe(1);
    expect(r.teardown.kind).toBe('half-closed');
  });

  it('infers roles Zeek\'s way: the well-known port, else the lower port, is the server', () => {
    expect(inferClientSide(51000, 443)).toBe(0);
    expect(inferClientSide(443, 51000)).toBe(1);
    expect(inferClientSide(8080, 50000)).toBe(1);
    expect(inferClientSide(50000, 8080)).toBe(0);
    expect(inferClientSide(80, 80)).toBe(0);
  });

  it('takes the receiver of a first SYN-ACK as the client, without inferring', () => {
    const conv = new Conversation({ portA: 80, portB: 56730 });
    conv.a('SA', { ack: 1512382794 }); // zeek/tcp/missing-syn.pcap frame 1
    conv.b('A', { seq: 1512382794, gapNs: 649_000 });
    const r = run(conv).report();
    expect(r.client).toBe(1);
    expect(r.roles_inferred).toBe(false);
    expect(r.handshake.status).toBe('missing');
    expect(r.handshake.isn).toEqual({ client: null, server: ISN_A });
    expect(steps(r.transitions.client)).toEqual([
      '1 CLOSED→SYN_SENT (assumed (SYN not captured))',
      '1 SYN_SENT→ESTABLISHED (received SYN-ACK)',
    ]);
    expect(steps(r.transitions.server)).toEqual([
      '1 LISTEN→SYN_RCVD (assumed (SYN not captured))',
      '2 SYN_RCVD→ESTABLISHED (received ACK of SYN)',
    ]);
    expect(r.handshake.rtt).toEqual({ syn_synack: null, synack_ack: 0.000649, total: null });
  });

  it('leaves both ends ESTABLISHED when the capture ends mid-connection', () => {
    const conv = handshake();
    conv.a('PA', { len: 100 });
    conv.b('A');
    const lc = run(conv);
    const r = lc.report();
    expect(r.final_state).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(r.teardown).toEqual({ kind: 'none', initiator: null, reset_by: null, bytes_after_fin: 0, time_wait: null });
    expect(lc.finished).toBe(false);
  });
});

describe('report contract', () => {
  it('has exactly the agreed JSON keys', () => {
    const r = run(handshake()).report();
    expect(Object.keys(r)).toEqual(['client', 'roles_inferred', 'handshake', 'teardown', 'final_state', 'transitions', 'anomalies']);
    expect(Object.keys(r.handshake)).toEqual(['status', 'isn', 'syn_retransmissions', 'synack_retransmissions', 'rtt', 'options', 'negotiated']);
    expect(Object.keys(r.handshake.rtt)).toEqual(['syn_synack', 'synack_ack', 'total']);
    expect(Object.keys(r.handshake.negotiated)).toEqual(['mss', 'wscale', 'sack', 'timestamps', 'ecn']);
    expect(Object.keys(r.teardown)).toEqual(['kind', 'initiator', 'reset_by', 'bytes_after_fin', 'time_wait']);
    expect(Object.keys(r.transitions.client[0]!)).toEqual(['frame', 'endpoint', 'from', 'to', 'cause']);
  });
});

describe('odd sequences (property)', () => {
  const flagSets = ['S', 'SA', 'A', 'PA', 'FA', 'F', 'R', 'RA', 'SR', 'SF', 'FPA'];
  const segArb = fc.record({
    side: fc.constantFrom(0, 1),
    flags: fc.constantFrom(...flagSets),
    seqDelta: fc.integer({ min: -3, max: 70_000 }),
    ackDelta: fc.integer({ min: -3, max: 3 }),
    len: fc.constantFrom(0, 0, 1, 100),
  });

  /** Every recorded step is a table row, an assumed start, or one of the documented re-readings. */
  function legal(t: Transition): boolean {
    if (t.cause.startsWith('assumed')) return true;
    const rows = Object.values(TRANSITIONS[t.from as TcpState]);
    return rows.some((row) => row?.to === t.to);
  }

  it('never throws, keeps each timeline contiguous, legal and bounded', () => {
    fc.assert(
      fc.property(fc.array(segArb, { minLength: 1, maxLength: 60 }), (plan) => {
        const conv = new Conversation();
        const first = plan[0]!;
        for (const p of plan) {
          const side = (p.side === first.side ? 0 : 1) as 0 | 1;
          const base = conv.nxt(side);
          const peer = conv.nxt(side === 0 ? 1 : 0);
          const f = { seq: (base + p.seqDelta) >>> 0, ack: (peer + p.ackDelta) >>> 0, len: p.len };
          if (side === 0) conv.a(p.flags, f);
          else conv.b(p.flags, f);
        }
        const lc = run(conv);
        const r = lc.report();
        for (const tl of [r.transitions.client, r.transitions.server]) {
          expect(tl.length).toBeLessThanOrEqual(MAX_TRANSITIONS);
          for (let i = 0; i < tl.length; i++) {
            expect(legal(tl[i]!)).toBe(true);
            if (i > 0) expect(tl[i]!.from).toBe(tl[i - 1]!.to);
          }
          const last = tl[tl.length - 1];
          if (last && tl.length < MAX_TRANSITIONS) {
            expect(last.to).toBe(tl === r.transitions.client ? r.final_state.client : r.final_state.server);
          }
        }
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      }),
      { numRuns: 400 },
    );
  });
});
