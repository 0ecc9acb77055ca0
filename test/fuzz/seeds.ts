// The fuzzing seeds, shared by `npm test`'s seeded pass: every capture under fixtures/
// (gzip ones decompressed), the shared corpus when present, and fixtures/regressions/.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { corpusDir, fixturesDir, hasCorpus } from '../helpers/corpus.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/;

function collect(dir: string, root: string, out: Seed[], all: boolean): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      collect(path, root, out, all);
      continue;
    }
    if (!all && !CAPTURE.test(name)) continue;
    if (name === 'README.md') continue;
    let bytes: Uint8Array = readFileSync(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        // A damaged gzip seed is still a seed, as is.
      }
    }
    out.push({ name: relative(root, path), bytes });
  }
}

/** Every fixture capture (fixtures/regressions/ included) and, when present, the corpus. */
export function fuzzSeeds(): Seed[] {
  const out: Seed[] = [];
  collect(fixturesDir, fixturesDir, out, false);
  if (hasCorpus) collect(corpusDir, join(corpusDir, '..'), out, false);
  return out;
}

/** The committed fuzz findings: every file in fixtures/regressions/ except README.md. */
export function regressionSeeds(): Seed[] {
  const out: Seed[] = [];
  collect(join(fixturesDir, 'regressions'), fixturesDir, out, true);
  return out;
}
