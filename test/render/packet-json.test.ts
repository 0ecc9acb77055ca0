// packetJson must be JSON.stringify of the same record, byte for byte: every segment of every
// capture we ship (kernel, public corpus, formats, the hand-built edge frames with TFO, MD5, AO,
// SACK, unknown options and malformed headers) and of ../shared/corpus when present, alone and
// with a "capture" key whose name needs escaping.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeInput } from '../../src/pipeline.js';
import { packetRecord } from '../../src/render/packet-record.js';
import { packetJson } from '../../src/render/packet-json.js';
import { segmentResults } from '../../src/cli/packets.js';
import { corpusDir, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { captureFiles as captures, shippedCaptures } from '../helpers/captures.js';

/** Segments compared and the first difference, over one capture. */
async function compare(path: string, capture?: string): Promise<{ segments: number; mismatch: string | null }> {
  let segments = 0;
  let mismatch: string | null = null;
  await analyzeInput(path, {
    onSegment: (pkt, info) => {
      const rec = packetRecord(pkt, segmentResults(pkt, info));
      const expected = JSON.stringify(capture === undefined ? rec : { capture, ...rec });
      const got = packetJson(rec, capture);
      segments++;
      if (got !== expected && mismatch === null) mismatch = `frame ${pkt.frame}:\n  got      ${got}\n  expected ${expected}`;
    },
  });
  return { segments, mismatch };
}

const SHIPPED = shippedCaptures();

describe('packetJson equals JSON.stringify', () => {
  it('on every segment of every capture in fixtures/ and the edge frames', async () => {
    let total = 0;
    for (const path of SHIPPED) {
      const r = await compare(path);
      expect(r.mismatch, path).toBeNull();
      total += r.segments;
    }
    expect(SHIPPED.length).toBeGreaterThan(60);
    expect(total).toBeGreaterThan(2000);
  });

  it('with a "capture" key that needs escaping', async () => {
    const r = await compare(join(fixturesDir, 'kernel', 'tfo.pcap'), 'dir "q"\\tab\tend-é.pcap');
    expect(r.segments).toBeGreaterThan(0);
    expect(r.mismatch).toBeNull();
  });

  it.runIf(hasCorpus)('on every segment of ../shared/corpus', async () => {
    let total = 0;
    for (const path of captures(corpusDir)) {
      const r = await compare(path);
      expect(r.mismatch, path).toBeNull();
      total += r.segments;
    }
    expect(total).toBeGreaterThan(1000);
  });
});
