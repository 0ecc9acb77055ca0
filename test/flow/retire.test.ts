// A flow whose record is written (settled, line formats) drops its lifecycle and Zeek state while
// it lingers (Flow.retire). What the tracker still decides for it must not change: a late ACK
// joins it; a bare SYN after its FIN starts a new stream (current Wireshark's rule), and on that
// new stream a SYN with another ISN starts one more; every record written is the one written
// without retiring. The capture is the kernel client-close recording with such segments
// appended after it settled.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes, type PipelineHandlers } from '../../src/pipeline.js';
import { flowReport } from '../../src/flow/report.js';
import { flowJson } from '../../src/render/flow-json.js';
import type { Flow } from '../../src/flow/flow.js';

const CAPTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'kernel', 'client-close.pcap');

/** The capture's records (little-endian µs pcap), each with its header. */
function records(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 24; p + 16 <= bytes.length; p += 16 + bytes.readUInt32LE(p + 8)) out.push(bytes.subarray(p, p + 16 + bytes.readUInt32LE(p + 8)));
  return out;
}

/** A copy of a record at `seconds` after the capture's first, its TCP sequence number moved by `seqDelta`. */
function later(rec: Buffer, first: Buffer, seconds: number, seqDelta = 0): Buffer {
  const r = Buffer.from(rec);
  r.writeUInt32LE(first.readUInt32LE(0) + seconds, 0);
  const tcp = 16 + 14 + (r[16 + 14]! & 0x0f) * 4;
  r.writeUInt32BE((r.readUInt32BE(tcp + 4) + seqDelta) >>> 0, tcp + 4);
  return r;
}

function run(capture: Buffer, retire: boolean): { lines: string[]; retired: number } {
  const lines: string[] = [];
  const flows: Flow[] = [];
  const write = (flow: Flow): void => {
    lines.push(flowJson(flowReport(flow).report));
  };
  const handlers: PipelineHandlers = {
    onFinished: write,
    onFlow: (flow) => {
      flows.push(flow);
      if (!flow.retired && !lines.some((l) => l.startsWith(`{"stream":${flow.stream},`))) write(flow);
    },
    settledFlowsDone: retire,
  };
  analyzeBytes(capture, handlers);
  return { lines, retired: flows.filter((f) => f.retired).length };
}

describe('retired flows', () => {
  it('still take late segments and retransmitted SYNs, and a new ISN still starts a stream', () => {
    const bytes = readFileSync(CAPTURE);
    const recs = records(bytes);
    expect(recs).toHaveLength(11);
    const [syn, , , , , , , , , , lastAck] = recs as [Buffer, ...Buffer[]] & Buffer[];
    const capture = Buffer.concat([
      bytes.subarray(0, 24),
      ...recs,
      // 7 s on: the flow settles (5 s after it ended) and its record is written.
      later(lastAck!, syn, 7),
      // Late: a duplicate ACK joins stream 0.
      later(lastAck!, syn, 10),
      // The client's SYN again: stream 0 saw a FIN, so a new stream (1).
      later(syn, syn, 12),
      // A SYN with another ISN on the same 4-tuple: stream 1 knows an ISN, so a new stream (2).
      later(syn, syn, 20, 1000),
    ]);
    const kept = run(capture, false);
    const retired = run(capture, true);
    expect(retired.retired).toBe(1);
    expect(kept.retired).toBe(0);
    expect(retired.lines).toEqual(kept.lines);
    expect(retired.lines.map((l) => JSON.parse(l).stream)).toEqual([0, 1, 2]);
    // Stream 0 was written when it settled (frame 12); the late ACK (13) joined it, not a new stream.
    expect(JSON.parse(retired.lines[0]!).last_frame).toBe(12);
    expect(JSON.parse(retired.lines[1]!).first_frame).toBe(14);
    expect(JSON.parse(retired.lines[2]!).first_frame).toBe(15);
  });
});
