// The flow table: tshark-compatible stream numbering on reused 4-tuples (both rule sets), and
// flows handed over as soon as they can no longer change, so memory follows open flows only.

import { describe, expect, it } from 'vitest';
import { FlowTracker, type FlowEndReason, type StreamRules } from '../../src/flow/tracker.js';
import type { Flow } from '../../src/flow/flow.js';
import { Conversation, ISN_A, ISN_B } from './builders.js';
import type { FlowSegment } from '../../src/flow/types.js';

function track(
  segments: FlowSegment[],
  opts: { rules?: StreamRules; linger?: number; idle?: number; maxFlows?: number } = {},
) {
  const emitted: { stream: number; reason: FlowEndReason; frames: [number, number]; atFrame: number }[] = [];
  const warnings: string[] = [];
  let current = 0;
  const tracker = new FlowTracker({
    streamRules: opts.rules,
    lingerSeconds: opts.linger,
    idleTimeoutSeconds: opts.idle,
    maxFlows: opts.maxFlows,
    onFlow: (f: Flow, reason) =>
      emitted.push({ stream: f.stream, reason, frames: [f.firstFrame, f.lastFrame], atFrame: current }),
    onWarning: (m) => warnings.push(m),
  });
  const streams: number[] = [];
  for (const s of segments) {
    current = s.pkt.frame;
    streams.push(tracker.onSegment(s.pkt).flow.stream);
  }
  tracker.finishAll();
  return { streams, emitted, warnings, tracker };
}

/** A refused connection retried with the SAME ISN (as some stacks do): SYN, RST-ACK, SYN, RST-ACK. */
function retriedWithSameIsn(): FlowSegment[] {
  const c = new Conversation({ isnA: ISN_A, isnB: ISN_B });
  c.a('S');
  c.b('RA');
  c.a('S', { seq: ISN_A, noAdvance: true, gapNs: 1e9 });
  c.b('RA', { ack: (ISN_A + 1) >>> 0 });
  return c.segments;
}

describe('stream numbering on a reused 4-tuple', () => {
  it('current Wireshark: a bare SYN after the stream saw RST starts a new stream even with the same ISN', () => {
    expect(track(retriedWithSameIsn(), { rules: 'current' }).streams).toEqual([0, 0, 1, 1]);
  });

  it('TShark 4.0: the same ISN keeps the stream (only a different ISN starts a new one)', () => {
    expect(track(retriedWithSameIsn(), { rules: '4.0' }).streams).toEqual([0, 0, 0, 0]);
  });

  it('a bare SYN with a different ISN starts a new stream under both rules', () => {
    for (const rules of ['current', '4.0'] as const) {
      const c = new Conversation({ isnA: ISN_A, isnB: ISN_B });
      c.a('S');
      c.a('S', { seq: 0x1000, noAdvance: true });
      expect(track(c.segments, { rules }).streams).toEqual([0, 1]);
    }
  });

  it('a retransmitted SYN (same ISN, no FIN or RST yet) stays in its stream under both rules', () => {
    for (const rules of ['current', '4.0'] as const) {
      const c = new Conversation({ isnA: ISN_A, isnB: ISN_B });
      c.a('S');
      c.a('S', { seq: ISN_A, noAdvance: true, gapNs: 1e9 });
      c.b('SA');
      c.a('A');
      expect(track(c.segments, { rules }).streams).toEqual([0, 0, 0, 0]);
    }
  });
});

/** One complete connection on port pair (pa, pb); `gapNs` before its SYN. */
function connection(pa: number, pb: number, gapNs: number): Conversation {
  const c = new Conversation({ isnA: ISN_A, isnB: ISN_B, portA: pa, portB: pb });
  c.a('S', { gapNs });
  c.b('SA');
  c.a('A');
  c.a('FA');
  c.b('FA');
  c.a('A');
  return c;
}

function renumber(segs: FlowSegment[], from: number): FlowSegment[] {
  segs.forEach((s, i) => (s.pkt.frame = from + i));
  return segs;
}

describe('flows are handed over as soon as they are complete', () => {
  it('a closed flow is emitted once the linger time has passed in capture time, not at end of input', () => {
    const first = connection(40000, 80, 1_000_000).segments;
    // A second, unrelated connection 120 s later (capture time) pushes the clock past the linger.
    const second = connection(40001, 80, 1_000_000).segments;
    for (const s of second) s.pkt.tsSec += 120;
    const all = renumber([...first, ...second], 1);
    const { emitted } = track(all, { linger: 60 });
    expect(emitted[0]).toMatchObject({ stream: 0, reason: 'closed' });
    // It was emitted while the second connection was being read, i.e. before the end of input.
    expect(emitted[0]!.atFrame).toBeLessThanOrEqual(first.length + 1);
    expect(emitted[1]).toMatchObject({ stream: 1, reason: 'end-of-input' });
  });

  it('an idle flow is emitted after --idle-timeout of capture time', () => {
    const c = new Conversation({ isnA: ISN_A, isnB: ISN_B, portA: 40000, portB: 80 });
    c.a('S');
    c.b('SA');
    c.a('A');
    const other = connection(40001, 80, 1).segments;
    for (const s of other) s.pkt.tsSec += 30;
    const { emitted } = track(renumber([...c.segments, ...other], 1), { idle: 10 });
    expect(emitted[0]).toMatchObject({ stream: 0, reason: 'idle' });
  });

  it('beyond --max-flows the least recently active flow is finished early, with one warning', () => {
    const segs: FlowSegment[] = [];
    for (let i = 0; i < 5; i++) {
      const c = new Conversation({ isnA: ISN_A, isnB: ISN_B, portA: 40000 + i, portB: 80 });
      c.a('S');
      for (const s of c.segments) s.pkt.tsSec += i;
      segs.push(...c.segments);
    }
    const { emitted, warnings, tracker } = track(renumber(segs, 1), { maxFlows: 3 });
    expect(emitted.filter((e) => e.reason === 'evicted').map((e) => e.stream)).toEqual([0, 1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/more than 3 flows/);
    expect(tracker.evictedFlows).toBe(2);
    expect(emitted).toHaveLength(5);
  });

  it('eviction goes by each flow\'s latest segment, whether the recency list was kept from the start (idle timeout) or built when the table filled', () => {
    const c = [0, 1, 2, 3, 4].map((i) => new Conversation({ isnA: ISN_A, isnB: ISN_B, portA: 40000 + i, portB: 80 }));
    for (const conv of c) conv.a('S');
    c[0]!.b('SA'); // flow 0 is active again after flows 1 and 2 opened
    const seg = (i: number, n: number) => c[i]!.segments[n]!;
    const segs = renumber([seg(0, 0), seg(1, 0), seg(2, 0), seg(0, 1), seg(3, 0), seg(4, 0)], 1);
    for (const idle of [undefined, 1000]) {
      const { emitted } = track(segs, { maxFlows: 3, idle });
      expect(emitted.filter((e) => e.reason === 'evicted').map((e) => e.stream)).toEqual([1, 2]);
    }
  });
});
