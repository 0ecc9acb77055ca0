// `npm run fuzz [-- SECONDS [libFuzzer flags...]]`: coverage-guided fuzzing of the whole
// pipeline with Jazzer.js (libFuzzer inside Node.js). Runs the compiled target
// dist/fuzz/pipeline-target.js (npm run fuzz builds it first), seeded with every capture
// under fixtures/ (gzip ones decompressed) and, when present, the shared corpus. New
// interesting inputs accumulate in $SYNACK_FUZZ_DIR (default: <tmp>/synack-fuzz/corpus)
// across runs; crashes and timeouts are written to <that dir>/../artifacts/. Minimise a
// finding with `-minimize_crash=1 -runs=10000 <artifact>` and commit it under
// fixtures/regressions/ (test/fuzz/regressions.test.ts replays every file there).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ensureJazzerLoads } from './glibc-compat.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const seconds = args.length > 0 && /^\d+$/.test(args[0]) ? Number(args.shift()) : 60;
const work = resolve(process.env.SYNACK_FUZZ_DIR ?? join(tmpdir(), 'synack-fuzz', 'corpus'));
const seeds = join(work, '..', 'seeds');
const artifacts = join(work, '..', 'artifacts');
for (const dir of [work, seeds, artifacts]) mkdirSync(dir, { recursive: true });

const loaded = ensureJazzerLoads();
if (!loaded.startsWith('loaded') && !loaded.startsWith('patched') || loaded.includes('still')) {
  console.error(`synack fuzz: the Jazzer.js native addon cannot be loaded here (${loaded})`);
  process.exit(1);
}

/** Copies every capture under `dir` into the seed folder (gzip ones decompressed). */
function addSeeds(dir, prefix) {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      n += addSeeds(path, `${prefix}${name}__`);
      continue;
    }
    if (!/\.(pcap|pcapng|cap|bin)(\.gz)?$/.test(name) && !dir.endsWith('regressions')) continue;
    let bytes = readFileSync(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        continue;
      }
    }
    writeFileSync(join(seeds, `${prefix}${basename(name).replace(/\.gz$/, '')}`), bytes);
    n++;
  }
  return n;
}
const seedCount = addSeeds(join(root, 'fixtures'), '') + addSeeds(join(root, '..', 'shared', 'corpus'), 'corpus__');
console.error(`synack fuzz: ${seedCount} seed files, ${seconds} s, corpus ${work}`);

const jazzer = join(root, 'node_modules', '.bin', 'jazzer');
const result = spawnSync(
  jazzer,
  [
    join(root, 'dist', 'fuzz', 'pipeline-target.js'),
    work,
    seeds,
    '--sync',
    '-i', join(root, 'dist') + '/',
    '--',
    `-max_total_time=${seconds}`,
    '-max_len=131072',
    '-timeout=10',
    '-rss_limit_mb=2048',
    `-dict=${join(root, 'test', 'fuzz', 'capture.dict')}`,
    `-artifact_prefix=${artifacts}/`,
    '-print_final_stats=1',
    ...args,
  ],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
