// The fuzz target: capture bytes in, every output synack can make out. One call runs the
// whole pipeline (capture parser, layer decoders, flow tracker with its analyzers) over the
// bytes and renders each segment (packets text and JSON) and each finished flow (flows JSON
// and table), with a small flow table so eviction is exercised too, then checks that parsing
// in chunks agrees with parsing whole. Any exception it lets out is a bug.
//
// Jazzer.js loads the compiled module (dist/fuzz/pipeline-target.js) and calls fuzz();
// test/fuzz/*.test.ts call runPipelineOnce() directly for the seeded pass in `npm test`.

import { Chalk } from 'chalk';
import { CaptureParser } from '../capture/parser.js';
import { segmentResults } from '../cli/packets.js';
import { flowReport, type FlowReport } from '../flow/report.js';
import { analyzeBytes, type InputReport } from '../pipeline.js';
import { flowsTable } from '../render/flows-table.js';
import { packetRecord } from '../render/packet-record.js';
import { packetLine, type TextContext } from '../render/packets-text.js';

/** Flow-table bound used while fuzzing: small, so most inputs also go through eviction. */
export const FUZZ_MAX_FLOWS = 4;

/** What one run produced, for the seeded tests' sanity checks. */
export interface FuzzRun {
  report: InputReport;
  /** Segments rendered. */
  segments: number;
  /** Flows rendered. */
  flows: number;
  /** Characters of output produced (a cheap fingerprint that forces every render). */
  outputChars: number;
  warnings: string[];
}

const chalk = new Chalk({ level: 0 });

/** Runs the whole pipeline over `data` and renders everything it yields. */
export function runPipelineOnce(data: Uint8Array): FuzzRun {
  const run: FuzzRun = { report: null!, segments: 0, flows: 0, outputChars: 0, warnings: [] };
  let ctx: TextContext | null = null;
  const flows: FlowReport[] = [];
  run.report = analyzeBytes(
    data,
    {
      onSegment: (pkt, info) => {
        const rec = packetRecord(pkt, segmentResults(pkt, info));
        ctx ??= { chalk, t0Sec: pkt.tsSec, t0Nsec: pkt.tsNsec };
        run.outputChars += packetLine(pkt, rec, ctx).length + JSON.stringify(rec).length;
        run.segments++;
      },
      onFlow: (flow) => {
        const report = flowReport(flow).report;
        run.outputChars += JSON.stringify(report).length;
        if (flows.length < 64) flows.push(report);
        run.flows++;
      },
      onWarning: (m) => {
        if (run.warnings.length < 10) run.warnings.push(m);
      },
    },
    { maxFlows: FUZZ_MAX_FLOWS, lingerSeconds: 5, idleTimeoutSeconds: 30 },
  );
  run.outputChars += flowsTable(flows, chalk, 100).length;
  return run;
}

/**
 * The chunking oracle: the push parser must read the same records and stop with the same error
 * whatever the chunk boundaries (a file read in 1 MiB pieces, a pipe in 64 KiB ones). Returns
 * null when they agree, else what differs.
 */
export function chunkingDisagreement(data: Uint8Array): string | null {
  const whole = parseSummary(data, [data.length]);
  // Small inputs: 7-byte chunks (every header straddles); large: three uneven cuts.
  const sizes = data.length <= 4096 ? [7] : [Math.floor(data.length / 3) + 1, 13, Math.floor(data.length / 2)];
  const chunked = parseSummary(data, sizes);
  return whole === chunked ? null : `whole: ${whole}\nchunked: ${chunked}`;
}

/** Records (frame, length, first and last byte) and the final error, as one string. */
function parseSummary(data: Uint8Array, sizes: number[]): string {
  let digest = 0;
  const parser = new CaptureParser((r) => {
    const d = r.data;
    digest = (Math.imul(digest, 31) + r.frame * 7 + r.capturedLength + (d.length > 0 ? d[0]! + d[d.length - 1]! * 3 : 0) + r.tsNsec) | 0;
  });
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    parser.feed(data.subarray(at, at + size));
    at += size;
  }
  const err = parser.end();
  return `${parser.records} records, digest ${digest}, ${err === null ? 'no error' : `${err.kind} at ${err.offset}: ${err.reason}`}`;
}

/** Jazzer.js entry point. */
export function fuzz(data: Buffer): void {
  runPipelineOnce(data);
  const differs = chunkingDisagreement(data);
  if (differs !== null) throw new Error(`chunked and whole parses disagree\n${differs}`);
}
