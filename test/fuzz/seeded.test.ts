// `npm test`'s short, deterministic fuzzing pass (the coverage-guided fuzzer is `npm run fuzz`):
// every seed through the whole pipeline as the Jazzer.js target runs it, every cut of a few
// seeds, and a fixed-seed fast-check campaign of the mutations that break parsers (bit flips,
// length fields stomped with 0 / 1 / 0xFFFFFFFF..., cuts, splices, repeats). Nothing may throw.
// Budget: well under 60 s on one shared core.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CaptureError } from '../../src/capture/types.js';
import { analyzeInput } from '../../src/pipeline.js';
import { chunkingDisagreement, runPipelineOnce, type FuzzRun } from '../../src/fuzz/pipeline-target.js';
import { fuzzSeeds } from './seeds.js';

const seeds = fuzzSeeds();

function checkRun(r: FuzzRun, input: Uint8Array): void {
  const rep = r.report;
  expect(rep.frames).toBe(rep.capture.records);
  expect(r.segments).toBe(rep.tcpSegments);
  expect(r.segments).toBeLessThanOrEqual(rep.frames);
  expect(r.flows).toBe(rep.flows);
  expect(rep.malformed).toBeLessThanOrEqual(rep.frames);
  const err = rep.capture.error;
  if (err !== null) {
    expect(err).toBeInstanceOf(CaptureError);
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(input.length);
  }
}

describe('seeded fuzzing pass', () => {
  it('has seeds: the fixtures at least', () => {
    expect(seeds.filter((s) => s.name.startsWith('kernel/')).length).toBeGreaterThanOrEqual(10);
  });

  it('every seed runs through the whole pipeline, and parses the same in chunks', () => {
    for (const s of seeds) {
      checkRun(runPipelineOnce(s.bytes), s.bytes);
      expect(chunkingDisagreement(s.bytes), s.name).toBeNull();
    }
  });

  it('every cut of two small seeds (one pcap, one pcapng) ends in a clean truncation error', () => {
    const small = ['kernel/refused.pcap', 'formats/print-flags-be-bin20.pcapng'].map((n) => seeds.find((s) => s.name === n)!);
    for (const s of small) {
      expect(s, 'seed present').toBeDefined();
      const limit = Math.min(s.bytes.length, 4096);
      for (let k = 0; k < limit; k++) {
        const cut = s.bytes.subarray(0, k);
        const r = runPipelineOnce(cut);
        checkRun(r, cut);
        // A cut at a record boundary is a complete (shorter) file; anywhere else it is truncated.
        if (r.report.capture.error !== null) expect(r.report.capture.error.kind).toBe('truncated');
      }
    }
  });

  it('fixed-seed mutations of every seed never throw', () => {
    const interesting = [0, 1, 2, 3, 4, 5, 8, 11, 12, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xfffffffc, 0xffffffff];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(...interesting), le: fc.boolean() }),
      fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.constantFrom(...interesting), le: fc.boolean() }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }), times: fc.integer({ min: 2, max: 8 }) }),
    );
    type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
    const apply = (input: Uint8Array, ms: Mutation[]): Uint8Array => {
      let b = Uint8Array.from(input);
      for (const m of ms) {
        if (b.length === 0) break;
        const at = m.at % b.length;
        const v = new DataView(b.buffer);
        switch (m.kind) {
          case 'flip':
            b[at]! ^= 1 << m.bit;
            break;
          case 'byte':
            b[at] = m.value;
            break;
          case 'u32':
            if (at + 4 <= b.length) v.setUint32(at, m.value >>> 0, m.le);
            break;
          case 'u16':
            if (at + 2 <= b.length) v.setUint16(at, m.value & 0xffff, m.le);
            break;
          case 'cut':
            b = b.subarray(0, at);
            break;
          case 'repeat': {
            const part = b.subarray(at, Math.min(b.length, at + m.length));
            const out = new Uint8Array(b.length + part.length * (m.times - 1));
            out.set(b.subarray(0, at + part.length));
            for (let i = 1; i < m.times; i++) out.set(part, at + part.length * i);
            out.set(b.subarray(at + part.length), at + part.length * m.times);
            b = out;
            break;
          }
        }
      }
      return b;
    };
    // Mostly the small seeds: more mutations per second, same parsers.
    const pool = seeds.filter((s) => s.bytes.length <= 16384);
    expect(pool.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: pool.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, ms) => {
        const input = apply(pool[i]!.bytes, ms);
        checkRun(runPipelineOnce(input), input);
        expect(chunkingDisagreement(input)).toBeNull();
      }),
      { numRuns: 20000, seed: 0x51ac4 },
    );
  });

  it('damaged gzip around a capture: the streaming path reports, never rejects', async () => {
    const seed = seeds.find((s) => s.name === 'kernel/client-close.pcap')!;
    const packed = gzipSync(seed.bytes);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.integer({ min: 1, max: 700 }), async (at, value, cut, chunk) => {
        let bytes = Uint8Array.from(packed);
        const i = at % bytes.length;
        if (cut) bytes = bytes.subarray(0, i);
        else bytes[i] = value;
        const chunks: Uint8Array[] = [];
        for (let k = 0; k < bytes.length; k += chunk) chunks.push(bytes.slice(k, k + chunk));
        const report = await analyzeInput(Readable.from(chunks), {});
        expect(report.frames).toBe(report.capture.records);
        if (report.capture.error !== null) expect(['format', 'truncated']).toContain(report.capture.error.kind);
      }),
      { numRuns: 300, seed: 0x6a1b },
    );
  });
});
