// Resource limits of the flow table: memory follows the flows held at once (measured per flow,
// which sizes DEFAULT_MAX_FLOWS), --max-flows finishes the least recently active flows early
// with one warning and never loses one, and eviction costs O(1) rather than a table scan.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseCapture } from '../../src/capture/parser.js';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import type { Flow } from '../../src/flow/flow.js';
import { DEFAULT_MAX_FLOWS, FlowTracker, type FlowEndReason } from '../../src/flow/tracker.js';
import { analyzeBytes } from '../../src/pipeline.js';
import { run } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { ACK, FIN, openHandshakes, PcapWriter, SYN } from './pcap-writer.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Feeds a capture into a tracker and returns it without finishing (flows stay held). */
function feed(bytes: Uint8Array, tracker: FlowTracker): void {
  const pkt = newDecodedPacket();
  parseCapture(bytes, (rec) => {
    decodePacket(rec, pkt);
    if (pkt.tcp !== null && pkt.error === null) tracker.onSegment(pkt);
  });
}

describe('memory per held flow', () => {
  it('100 000 open handshakes cost a few KiB each, so the default bound fits 24 GiB', () => {
    const n = 100_000;
    const capture = openHandshakes(n);
    const held: Flow[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    const tracker = new FlowTracker({ onFlow: (f) => held.push(f), maxFlows: 2 * n });
    feed(capture, tracker);
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(tracker.openFlows).toBe(n);
    const perFlow = (after - before) / n;
    console.log(`synack: ${Math.round(perFlow)} bytes of heap per held flow (${n} flows, ${Math.round((after - before) / 2 ** 20)} MiB)`);
    // DEFAULT_MAX_FLOWS budgets about half of Node's ~4 GiB default heap for open handshakes.
    expect(perFlow).toBeLessThan(5 * 1024);
    expect(DEFAULT_MAX_FLOWS * perFlow).toBeLessThan(2.5 * 2 ** 30);
    tracker.finishAll();
    expect(held).toHaveLength(n);
  });
});

describe('--max-flows', () => {
  it('evicts the least recently active flow, warns once, and loses none', () => {
    const n = 5_000;
    const limit = 100;
    const emitted: { stream: number; reason: FlowEndReason }[] = [];
    const warnings: string[] = [];
    const tracker = new FlowTracker({
      maxFlows: limit,
      onFlow: (f, reason) => emitted.push({ stream: f.stream, reason }),
      onWarning: (m) => warnings.push(m),
    });
    feed(openHandshakes(n), tracker);
    expect(tracker.openFlows).toBe(limit);
    tracker.finishAll();
    // Each connection's three segments arrive together, so flows are evicted in stream order.
    const evicted = emitted.filter((e) => e.reason === 'evicted').map((e) => e.stream);
    expect(evicted).toEqual(Array.from({ length: n - limit }, (_, i) => i));
    expect(tracker.evictedFlows).toBe(n - limit);
    expect(emitted).toHaveLength(n);
    expect(new Set(emitted.map((e) => e.stream)).size).toBe(n);
    expect(warnings).toEqual([
      `more than ${limit} flows open at once: finishing the least recently active early (raise --max-flows to keep them)`,
    ]);
  });

  it('a flow that stays active is kept while quieter ones are evicted', () => {
    // Flow A (port 1024) sends a segment between every new connection; with room for 3 flows
    // it must survive to the end while the one-shot connections come and go.
    const ends: { port: number; reason: FlowEndReason }[] = [];
    const bytes = interleave(50);
    const report = analyzeBytes(bytes, { onFlow: (f, reason) => ends.push({ port: f.endpoints[0].port, reason }) }, { maxFlows: 3 });
    expect(report.capture.error).toBeNull();
    const a = ends.filter((e) => e.port === 1024);
    expect(a).toEqual([{ port: 1024, reason: 'end-of-input' }]);
    expect(ends.filter((e) => e.reason === 'evicted')).toHaveLength(51 - 3);
  });

  it('a flow that already closed (lingering) is evicted before a quieter open one', () => {
    const w = new PcapWriter();
    const t = 1_700_000_000;
    const open = (sport: number, usec: number): void => {
      w.tcp({ sport, dport: 80, seq: 1, flags: SYN, sec: t, usec });
      w.tcp({ src: 0x0a000002, dst: 0x0a000001, sport: 80, dport: sport, seq: 9, ack: 2, flags: SYN | ACK, sec: t, usec: usec + 1 });
      w.tcp({ sport, dport: 80, seq: 2, ack: 10, flags: ACK, sec: t, usec: usec + 2 });
    };
    open(1001, 0); // B: open, and the least recently active from here on
    open(1002, 100); // A: opens, then closes (FIN both ways, last ACK)
    w.tcp({ sport: 1002, dport: 80, seq: 2, ack: 10, flags: FIN | ACK, sec: t, usec: 110 });
    w.tcp({ src: 0x0a000002, dst: 0x0a000001, sport: 80, dport: 1002, seq: 10, ack: 3, flags: FIN | ACK, sec: t, usec: 111 });
    w.tcp({ sport: 1002, dport: 80, seq: 3, ack: 11, flags: ACK, sec: t, usec: 112 });
    open(1003, 200); // C
    open(1004, 300); // D: the table (3) is full
    const ends: { port: number; reason: FlowEndReason }[] = [];
    analyzeBytes(w.done(), { onFlow: (f, reason) => ends.push({ port: f.endpoints[0].port, reason }) }, { maxFlows: 3 });
    expect(ends).toEqual([
      { port: 1002, reason: 'evicted' },
      { port: 1001, reason: 'end-of-input' },
      { port: 1003, reason: 'end-of-input' },
      { port: 1004, reason: 'end-of-input' },
    ]);
  });

  it('eviction is O(1): 200 000 flows through a 50 000-flow table in seconds, not a scan per flow', () => {
    const n = 200_000;
    const tracker = new FlowTracker({ maxFlows: 50_000, onFlow: () => undefined });
    const capture = openHandshakes(n);
    const t0 = performance.now();
    feed(capture, tracker);
    const ms = performance.now() - t0;
    console.log(`synack: 600 000 segments, 150 000 evictions from a 50 000-flow table in ${Math.round(ms)} ms`);
    expect(tracker.evictedFlows).toBe(n - 50_000);
    // A scan of the table per eviction would be 150 000 × 50 000 = 7.5e9 steps (minutes).
    expect(ms).toBeLessThan(20_000);
  });

  it('is a CLI option of packets and flows: bad values are usage errors, eviction warns on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-maxflows-'));
    const file = join(dir, 'ten.pcap');
    writeFileSync(file, openHandshakes(10));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const bad of ['0', '-1', 'x', '1.5']) {
      const io = memoryIo();
      expect(await run(['flows', '--max-flows', bad, file], io)).toBe(2);
      expect(io.err).toMatch(/--max-flows/);
    }
    const io = memoryIo();
    expect(await run(['packets', '--max-flows', '4', '--format', 'ndjson', file], io)).toBe(0);
    expect(io.out.trim().split('\n')).toHaveLength(30);
    expect(io.err).toContain('more than 4 flows open at once');
    const io2 = memoryIo();
    expect(await run(['flows', '--max-flows', '4', '--format', 'ndjson', file], io2)).toBe(0);
    expect(io2.out.trim().split('\n')).toHaveLength(10);
    expect(io2.err).toContain('more than 4 flows open at once');
  });
});

/** Connection A (port 1024) opens, then 50 one-shot connections each followed by an ACK from A. */
function interleave(k: number): Uint8Array {
  const a = openHandshakes(1);
  const parts: Uint8Array[] = [a];
  const aAck = a.subarray(a.length - (16 + 54)); // A's last record: its ACK
  for (let i = 0; i < k; i++) {
    const c = openHandshakes(1, 2000 + i);
    parts.push(c.subarray(24).slice(), aAck.slice());
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
