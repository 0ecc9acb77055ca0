// `npm run bench [-- --large] [-- --prof] [-- --runs N]`: generates the synthetic captures if
// missing, times synack's commands and the peer tools on them (each a child process, one
// warm-up then N runs, tools alternating run by run), prints medians, throughput, peak RSS and
// the ratios we hold ourselves to. Not run by CI.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { DEFAULT_PACKETS, DEFAULT_SEED, LARGE_PACKETS, describeCaptures, ensureCaptures } from './generate.js';
import type { GeneratedCaptures } from './generate.js';
import { topSelfTime, type CpuProfile } from './profile.js';
import { hasGnuTime, runMeasured, warmPageCache, type RunResult } from './run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SYNACK = join(ROOT, 'bin', 'synack');

/** One measured command on one capture. */
interface Command {
  /** Stable id used by the ratios. */
  id: string;
  label: string;
  argv: string[];
  /** Bytes of capture data the command goes through (the uncompressed pcap for .gz). */
  bytes: number;
  /** Times the capture is read (several inputs on one command line); default 1. */
  inputs?: number;
  /** The files it reads, read through untimed before each run (warmPageCache). */
  files: string[];
}

interface Measurement {
  command: Command;
  capture: GeneratedCaptures;
  runs: RunResult[];
  failed: string | null;
}

/** Table borders without a rule between rows, so the table stays one line per command. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

const USAGE = `usage: npm run bench -- [options]
  --large          also measure the ${LARGE_PACKETS}-packet capture (~1.3 GB) and check scaling
  --prof           run synack flows once under node --cpu-prof and list the top 15 self-time functions
  --runs N         timed runs per command after the warm-up (default 5)
  --warmup N       warm-up runs per command (default 1)
  --packets N      size of the default capture (default ${DEFAULT_PACKETS})
  --seed N         generator seed (default ${DEFAULT_SEED})
  --only LIST      comma-separated substrings: measure only commands whose label matches one
  --out DIR        where captures go (default bench/out)
  --generate-only  generate (or reuse) the captures, measure nothing`;

function which(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function commandsFor(c: GeneratedCaptures, peers: Record<string, boolean>): Command[] {
  const pcap = c.pcap.path;
  const cmds: Command[] = [
    { id: 'flows', label: 'synack flows --format ndjson (pcap)', argv: ['node', SYNACK, 'flows', pcap, '--format', 'ndjson'], bytes: c.pcap.bytes, files: [pcap] },
    { id: 'flows-pcapng', label: 'synack flows --format ndjson (pcapng)', argv: ['node', SYNACK, 'flows', c.pcapng.path, '--format', 'ndjson'], bytes: c.pcapng.bytes, files: [c.pcapng.path] },
    // One file shared out over two threads (shards.ts), which is only done when asked for.
    { id: 'flows-shards', label: 'synack flows --format ndjson --jobs 2 (one file)', argv: ['node', SYNACK, 'flows', pcap, '--format', 'ndjson', '--jobs', '2'], bytes: c.pcap.bytes, files: [pcap] },
  ];
  if (c.gzip) {
    cmds.push({ id: 'flows-gzip', label: 'synack flows --format ndjson (pcap.gz)', argv: ['node', SYNACK, 'flows', c.gzip.path, '--format', 'ndjson'], bytes: c.pcap.bytes, files: [c.gzip.path] });
  }
  cmds.push(
    { id: 'summary', label: 'synack (summary)', argv: ['node', SYNACK, pcap], bytes: c.pcap.bytes, files: [pcap] },
    { id: 'packets', label: 'synack packets --format ndjson', argv: ['node', SYNACK, 'packets', pcap, '--format', 'ndjson'], bytes: c.pcap.bytes, files: [pcap] },
    // Two inputs: one after the other, then on two worker threads.
    { id: 'flows-2-j1', label: 'synack flows --format ndjson F F --jobs 1', argv: ['node', SYNACK, 'flows', pcap, pcap, '--format', 'ndjson', '--jobs', '1'], bytes: 2 * c.pcap.bytes, inputs: 2, files: [pcap] },
    { id: 'flows-2-j2', label: 'synack flows --format ndjson F F --jobs 2', argv: ['node', SYNACK, 'flows', pcap, pcap, '--format', 'ndjson', '--jobs', '2'], bytes: 2 * c.pcap.bytes, inputs: 2, files: [pcap] },
    // What this machine allows two files: two separate processes at once, nothing shared.
    {
      id: 'flows-2-procs',
      label: 'two synack flows --format ndjson F at once',
      argv: ['sh', '-c', 'node "$0" flows "$1" --format ndjson & node "$0" flows "$1" --format ndjson; wait', SYNACK, pcap],
      bytes: 2 * c.pcap.bytes,
      inputs: 2,
      files: [pcap],
    },
  );
  if (c.gzip && peers.zcat) cmds.push({ id: 'zcat', label: 'zcat pcap.gz', argv: ['zcat', c.gzip.path], bytes: c.pcap.bytes, files: [c.gzip.path] });
  if (peers.tshark) cmds.push({ id: 'tshark', label: 'tshark -q -z conv,tcp', argv: ['tshark', '-r', pcap, '-q', '-z', 'conv,tcp'], bytes: c.pcap.bytes, files: [pcap] });
  if (peers.tcptrace) cmds.push({ id: 'tcptrace', label: 'tcptrace -n', argv: ['tcptrace', '-n', pcap], bytes: c.pcap.bytes, files: [pcap] });
  if (peers.tcpdump) cmds.push({ id: 'tcpdump', label: 'tcpdump -nn -w /dev/null', argv: ['tcpdump', '-nn', '-r', pcap, '-w', '/dev/null'], bytes: c.pcap.bytes, files: [pcap] });
  return cmds;
}

/**
 * Warm-up then `runs` rounds; every round runs each command once, so tools alternate. Before
 * each run its files are read through, untimed: every run reads from the page cache.
 */
async function measure(captures: GeneratedCaptures[], peers: Record<string, boolean>, runs: number, warmup: number, only: string[]): Promise<Measurement[]> {
  const all: Measurement[] = [];
  for (const capture of captures) {
    for (const command of commandsFor(capture, peers)) {
      if (only.length > 0 && !only.some((o) => command.label.includes(o) || command.id.includes(o))) continue;
      all.push({ command, capture, runs: [], failed: null });
    }
  }
  const rounds = warmup + runs;
  for (let round = 0; round < rounds; round++) {
    const tag = round < warmup ? `warm-up ${round + 1}/${warmup}` : `run ${round - warmup + 1}/${runs}`;
    for (const m of all) {
      if (m.failed !== null) continue;
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${tag}: ${m.command.label} (${m.capture.packets} packets)`);
      warmPageCache(m.command.files);
      const r = await runMeasured(m.command.argv);
      if (!r.ok) m.failed = r.error ?? 'failed';
      else if (round >= warmup) m.runs.push(r);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  return all;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const medianMs = (m: Measurement | undefined): number | null =>
  m && m.failed === null && m.runs.length > 0 ? median(m.runs.map((r) => r.wallMs)) : null;

function renderTable(ms: Measurement[]): string {
  const table = new Table({
    head: ['capture', 'command', 'median s', 'range s', 'packets/s', 'best packets/s', 'MB/s', 'peak RSS MB'],
    style: { head: [], border: [] },
    chars: COMPACT,
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const m of ms) {
    const size = `${Math.round(m.capture.packets / 1000)}k`;
    const med = medianMs(m);
    if (m.failed !== null || med === null) {
      table.push([size, m.command.label, { colSpan: 6, content: `failed: ${(m.failed ?? 'no runs').slice(0, 70)}` }]);
      continue;
    }
    const walls = m.runs.map((r) => r.wallMs);
    const rss = m.runs.map((r) => r.peakRssKib).filter((x): x is number => x !== null);
    const packets = m.capture.packets * (m.command.inputs ?? 1);
    const perSecond = (ms: number): string => Math.round(packets / (ms / 1000)).toLocaleString('en-US');
    table.push([
      size,
      m.command.label,
      (med / 1000).toFixed(3),
      `${(Math.min(...walls) / 1000).toFixed(2)}–${(Math.max(...walls) / 1000).toFixed(2)}`,
      perSecond(med),
      // From the fastest run: the least disturbed by whatever else the host was doing.
      perSecond(Math.min(...walls)),
      (m.command.bytes / 1e6 / (med / 1000)).toFixed(1),
      rss.length > 0 ? (Math.max(...rss) / 1024).toFixed(0) : '?',
    ]);
  }
  return table.toString();
}

function ratioLine(label: string, value: number | null, target: number, compare: 'max' | 'min' | 'band' = 'max'): string {
  if (value === null) return `  ${label}: n/a (a command failed or was not measured)`;
  const ok = compare === 'max' ? value <= target : compare === 'min' ? value >= target : Math.abs(value - 1) <= target;
  const goal = compare === 'max' ? `≤ ${target}` : compare === 'min' ? `≥ ${target}` : `1 ± ${target}`;
  return `  ${label}: ${value.toFixed(3)} (target ${goal}) ${ok ? 'ok' : 'MISSED'}`;
}

/** A ratio reported without a target. */
function infoLine(label: string, value: number | null): string {
  return `  ${label}: ${value === null ? 'n/a' : value.toFixed(3)}`;
}

/** The single-file synack runs whose peak memory is held to the 400 MB target. */
const PEAK_RSS_IDS = ['flows', 'flows-pcapng', 'flows-gzip', 'summary', 'packets'];

/** The largest peak RSS (MB) over these measurements' runs; null unless all of them ran. */
function peakRss(ms: Measurement[]): number | null {
  let peak = 0;
  for (const m of ms) {
    const rss = m.failed === null ? m.runs.map((r) => r.peakRssKib).filter((x): x is number => x !== null) : [];
    if (rss.length === 0) return null;
    peak = Math.max(peak, ...rss);
  }
  return ms.length === 0 ? null : peak / 1024;
}

/**
 * A ratio between commands, as the median over rounds of the ratio within each round. Every round
 * runs each command once, back to back (measure), so a ratio within a round compares runs made
 * under the same load; on a shared host whose load drifts over a run of the bench (the large
 * one takes about 18 minutes), that cancels what the ratio of two medians, taken from different
 * rounds, does not. `f` gets each round's wall times (ms) in the order of `ids`; null when a
 * command failed or did not run.
 */
function pairedRatio(ms: Measurement[], capture: GeneratedCaptures, ids: string[], f: (t: number[]) => number): number | null {
  const runs = ids.map((id) => {
    const m = ms.find((x) => x.capture === capture && x.command.id === id);
    return m !== undefined && m.failed === null && m.runs.length > 0 ? m.runs.map((r) => r.wallMs) : null;
  });
  if (runs.some((r) => r === null)) return null;
  const rounds = Math.min(...runs.map((r) => r!.length));
  const values: number[] = [];
  for (let k = 0; k < rounds; k++) values.push(f(runs.map((r) => r![k]!)));
  return median(values);
}

function ratios(ms: Measurement[], capture: GeneratedCaptures): string[] {
  const t = (id: string): number | null => medianMs(ms.find((m) => m.capture === capture && m.command.id === id));
  const div = (a: string, b: string): number | null => pairedRatio(ms, capture, [a, b], ([x, y]) => x! / y!);
  return [
    `ratios on ${capture.packets} packets (each the median over rounds of the ratio within a round):`,
    ratioLine('synack flows, millions of packets/s', t('flows') === null ? null : capture.packets / (t('flows')! / 1000) / 1e6, 1.2, 'min'),
    ratioLine('synack flows / tshark conv,tcp', div('flows', 'tshark'), 0.15),
    ratioLine('synack flows / tcptrace -n', div('flows', 'tcptrace'), 1),
    ratioLine('flows pcapng / pcap', div('flows-pcapng', 'flows'), 1.15),
    ratioLine('flows pcap.gz / (zcat + flows pcap)', pairedRatio(ms, capture, ['flows-gzip', 'zcat', 'flows'], ([g, z, f]) => g! / (z! + f!)), 1.3),
    ratioLine('summary / flows', div('summary', 'flows'), 2),
    ratioLine('packets / flows', div('packets', 'flows'), 2),
    ratioLine('two files: throughput --jobs 2 / --jobs 1', div('flows-2-j1', 'flows-2-j2'), 1.8, 'min'),
    infoLine('two files, what the machine allows: throughput of two processes at once / --jobs 1', div('flows-2-j1', 'flows-2-procs')),
    infoLine('two files: throughput --jobs 2 / two processes at once', div('flows-2-procs', 'flows-2-j2')),
    infoLine('one file on two threads: throughput flows --jobs 2 / flows', div('flows', 'flows-shards')),
    ratioLine(`peak RSS MB, largest of ${PEAK_RSS_IDS.join(', ')}`, peakRss(ms.filter((m) => m.capture === capture && PEAK_RSS_IDS.includes(m.command.id))), 400),
  ];
}

function scaling(ms: Measurement[], small: GeneratedCaptures, large: GeneratedCaptures): string {
  const perPacket = (c: GeneratedCaptures): number | null => {
    const t = medianMs(ms.find((m) => m.capture === c && m.command.id === 'flows'));
    return t === null ? null : t / c.packets;
  };
  const a = perPacket(small);
  const b = perPacket(large);
  const detail = a !== null && b !== null ? ` (${(a * 1e6).toFixed(0)} vs ${(b * 1e6).toFixed(0)} ns/packet)` : '';
  // "No super-linear step": the large capture may cost less per packet (start-up and JIT warm-up
  // weigh more on the small one), never more than 15% more.
  return ratioLine(`scaling: flows cost per packet ${large.packets} / ${small.packets}${detail}`, a !== null && b !== null ? b / a : null, 1.15);
}

async function profile(capture: GeneratedCaptures, outDir: string): Promise<string[]> {
  const dir = join(outDir, 'prof');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The same code as bin/synack, unbundled: the profile then names each function's own file.
  const argv = ['node', '--cpu-prof', '--cpu-prof-dir', dir, join(ROOT, 'dist', 'cli', 'entry.js'), 'flows', capture.pcap.path, '--format', 'ndjson'];
  warmPageCache([capture.pcap.path]);
  const r = await runMeasured(argv);
  if (!r.ok) return [`profile: failed: ${r.error}`];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) return ['profile: node wrote no .cpuprofile'];
  const top = topSelfTime(JSON.parse(readFileSync(files[0]!, 'utf8')) as CpuProfile, 15);
  const table = new Table({ head: ['self ms', '%', 'function'], style: { head: [], border: [] }, chars: COMPACT, colAligns: ['right', 'right', 'left'] });
  for (const f of top) table.push([f.ms.toFixed(0), (f.share * 100).toFixed(1), f.label]);
  return [`profile of synack flows on ${capture.packets} packets (${files[0]}), top 15 by self time:`, table.toString()];
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        large: { type: 'boolean', default: false },
        prof: { type: 'boolean', default: false },
        runs: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '1' },
        packets: { type: 'string', default: String(DEFAULT_PACKETS) },
        seed: { type: 'string', default: String(DEFAULT_SEED) },
        only: { type: 'string', default: '' },
        out: { type: 'string', default: join(ROOT, 'bench', 'out') },
        'generate-only': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const int = (name: string, s: string, min: number): number => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} wants an integer ≥ ${min}, got ${s}`);
    return n;
  };
  const runs = int('runs', args.runs, 1);
  const warmup = int('warmup', args.warmup, 0);
  const seed = int('seed', args.seed, 0);
  const sizes = [int('packets', args.packets, 1)];
  if (args.large) sizes.push(LARGE_PACKETS);

  const captures: GeneratedCaptures[] = [];
  for (const packets of sizes) {
    const started = process.hrtime.bigint();
    const c = await ensureCaptures({ packets, seed, dir: args.out });
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`${describeCaptures(c)}${c.reused ? '' : `\n  (${secs.toFixed(1)} s)`}\n`);
    captures.push(c);
  }
  if (args['generate-only']) return 0;

  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    process.stdout.write('note: dist/cli/main.js is missing; run `npm run build` (npm run bench does)\n');
  }
  const peers = Object.fromEntries(['tshark', 'tcptrace', 'tcpdump', 'zcat'].map((t) => [t, which(t)]));
  const missing = Object.entries(peers).filter(([, present]) => !present).map(([t]) => t);
  process.stdout.write(
    `measuring: ${warmup} warm-up + ${runs} runs per command; peak RSS from ` +
      `${hasGnuTime() ? '/usr/bin/time -f %M' : '/proc/<pid>/status VmHWM (apt-get install time for GNU time)'}` +
      `${missing.length > 0 ? `; not installed: ${missing.join(', ')}` : ''}\n`,
  );
  const only = args.only === '' ? [] : args.only.split(',').map((s) => s.trim());
  const ms = await measure(captures, peers, runs, warmup, only);
  const lines = [renderTable(ms), ''];
  for (const c of captures) lines.push(...ratios(ms, c));
  if (captures.length > 1) lines.push(scaling(ms, captures[0]!, captures[1]!));
  if (args.prof) lines.push('', ...(await profile(captures[0]!, args.out)));
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = e instanceof RangeError ? 2 : 1;
  },
);
