// Every committed fuzz finding (fixtures/regressions/) through the whole pipeline, with the
// outcome it must now have, read whole and in every chunk size up to its length.

import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/parser.js';
import { chunkingDisagreement, runPipelineOnce } from '../../src/fuzz/pipeline-target.js';
import { regressionSeeds } from './seeds.js';

/** Per file: the capture error it must end with (null: read cleanly). */
const EXPECTED: Record<string, string | null> = {
  // 1000 SYNs from endpoints whose (address ^ port × 0x9e3779b1) is constant: one bucket under
  // the unkeyed hash. Timing is checked at scale in test/robustness/hash-flooding.test.ts.
  'regressions/hash-flood-ipv4.pcap': null,
  'regressions/unknown-magic-chunked.bin':
    'not a pcap or pcapng capture: the file starts with 3c 21 44 4f 43 54 59 50 ("<!DOCTYP")',
  'regressions/unknown-magic-short.bin': 'not a pcap or pcapng capture: the file starts with 68 65 6c 6c 6f ("hello")',
};

describe('fuzzing regressions', () => {
  const seeds = regressionSeeds();

  it('every file in fixtures/regressions/ has an expectation, and every expectation a file', () => {
    expect(seeds.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const s of seeds) {
    it(`${s.name}: the same outcome whole and in every chunk size`, () => {
      const r = runPipelineOnce(s.bytes);
      expect(r.report.capture.error?.reason ?? null).toBe(EXPECTED[s.name]);
      expect(r.segments).toBe(r.report.frames);
      expect(chunkingDisagreement(s.bytes)).toBeNull();
      for (let size = 1; size <= Math.min(s.bytes.length, 64); size++) {
        const parser = new CaptureParser(() => undefined);
        for (let at = 0; at < s.bytes.length; at += size) parser.feed(s.bytes.subarray(at, at + size));
        expect(parser.end()?.reason ?? null, `chunks of ${size}`).toBe(EXPECTED[s.name]);
      }
    });
  }
});
