// flowJson must be JSON.stringify of the same flow record, byte for byte: every flow of every
// capture we ship (kernel captures, the public corpus copies, formats, the hand-built edge
// frames) and of ../shared/corpus when present, alone and with a "capture" key that needs
// escaping.

import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { analyzeInput } from '../../src/pipeline.js';
import { flowReport } from '../../src/flow/report.js';
import { flowJson } from '../../src/render/flow-json.js';
import { corpusDir, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { captureFiles, shippedCaptures } from '../helpers/captures.js';

/** Flows compared and the first difference, over one capture. */
async function compare(path: string, capture?: string): Promise<{ flows: number; mismatch: string | null }> {
  let flows = 0;
  let mismatch: string | null = null;
  await analyzeInput(path, {
    onFlow: (flow) => {
      const report = flowReport(flow).report;
      const expected = JSON.stringify(capture === undefined ? report : { capture, ...report });
      const got = flowJson(report, capture);
      flows++;
      if (got !== expected && mismatch === null) mismatch = `stream ${report.stream}:\n  got      ${got}\n  expected ${expected}`;
    },
  });
  return { flows, mismatch };
}

const SHIPPED = shippedCaptures();

describe('writeFlowJson into blocks handed over as they fill', () => {
  // Encodings cached on first use (SYN option sets, transition tails) are copied from the block
  // they were written to: with blocks this small, that happens at every block boundary.
  it.each([16, 64, 333])('equals JSON.stringify with %i-byte blocks, caches filled on the way', async (blockSize) => {
    vi.resetModules();
    const { writeFlowJson } = await import('../../src/render/flow-json.js');
    const { ByteOutput } = await import('../../src/render/byte-output.js');
    const chunks: Uint8Array[] = [];
    const out = new ByteOutput(blockSize, (b) => chunks.push(b.slice()));
    const expected: string[] = [];
    for (const path of SHIPPED) {
      await analyzeInput(path, {
        onFlow: (flow) => {
          const report = flowReport(flow).report;
          expected.push(JSON.stringify(report));
          writeFlowJson(out, report);
          out.byte(0x0a);
        },
      });
    }
    out.flush();
    expect(expected.length).toBeGreaterThan(300);
    const got = Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
    expect(got.length).toBe(expected.length);
    const first = got.findIndex((line, i) => line !== expected[i]);
    expect(first === -1 ? null : { line: first, got: got[first], expected: expected[first] }).toBeNull();
  });
});

describe('flowJson equals JSON.stringify', () => {
  it('on every flow of every capture in fixtures/ and the edge frames', async () => {
    let total = 0;
    const seen = { tfo: false, mptcp: false, analysis: false, anomalies: false, nullIsn: false };
    for (const path of SHIPPED) {
      const r = await compare(path);
      expect(r.mismatch, path).toBeNull();
      total += r.flows;
      await analyzeInput(path, {
        onFlow: (flow) => {
          const rep = flowReport(flow).report;
          const o = rep.handshake.options;
          if (o.client?.tfo || o.server?.tfo) seen.tfo = true;
          if (o.client?.mptcp || o.server?.mptcp) seen.mptcp = true;
          if (Object.values(rep.analysis).some((n) => n > 0)) seen.analysis = true;
          if (rep.anomalies.length > 0) seen.anomalies = true;
          if (rep.handshake.isn.client === null) seen.nullIsn = true;
        },
      });
    }
    expect(total).toBeGreaterThan(300);
    // The irregular parts were all exercised.
    expect(seen).toEqual({ tfo: true, mptcp: true, analysis: true, anomalies: true, nullIsn: true });
  });

  it('with a "capture" key that needs escaping', async () => {
    const r = await compare(join(fixturesDir, 'kernel', 'many-flows.pcap'), 'dir "q"\\tab\tend-é.pcap');
    expect(r.flows).toBeGreaterThan(0);
    expect(r.mismatch).toBeNull();
  });

  it.runIf(hasCorpus)('on every flow of ../shared/corpus', async () => {
    let total = 0;
    for (const path of captureFiles(corpusDir)) {
      const r = await compare(path);
      expect(r.mismatch, path).toBeNull();
      total += r.flows;
    }
    expect(total).toBeGreaterThan(100);
  });
});
