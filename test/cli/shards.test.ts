// One capture on several threads (shards.ts): whatever the number of shards, `flows --format
// ndjson` writes the bytes a one-thread run writes — stream numbers, record order, the input's
// messages and exit status — on every capture we ship and the public corpus, with idle
// timeouts, and when a shard must give up (capture time going backwards, a flow table that
// could fill up) and the file is analysed again on one thread.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureFiles, shippedCaptures } from '../helpers/captures.js';
import { corpusDir, hasCorpus } from '../helpers/corpus.js';
import { ensureBuilt, fixture, repoDir, run } from './binary.js';

// The worker threads load compiled modules, so these tests drive dist/ in-process.
type Dist = {
  runSharded: typeof import('../../src/cli/shards.js').runSharded;
  shardable: typeof import('../../src/cli/shards.js').shardable;
  shardPolicy: typeof import('../../src/cli/shards.js').shardPolicy;
  RecordBatch: typeof import('../../src/cli/shards.js').RecordBatch;
  summaryCommand: typeof import('../../src/cli/summary.js').summaryCommand;
  ladderCommand: typeof import('../../src/cli/ladder.js').ladderCommand;
  flowsCommand: typeof import('../../src/cli/flows.js').flowsCommand;
  packetsCommand: typeof import('../../src/cli/packets.js').packetsCommand;
  memoryIo: typeof import('../../src/cli/io.js').memoryIo;
  InputOutcome: typeof import('../../src/cli/inputs.js').InputOutcome;
};
let dist: Dist;

beforeAll(async () => {
  ensureBuilt();
  const load = (m: string): Promise<Record<string, unknown>> => import(join(repoDir, 'dist', 'cli', m));
  dist = { ...(await load('shards.js')), ...(await load('flows.js')), ...(await load('packets.js')), ...(await load('summary.js')), ...(await load('ladder.js')), ...(await load('io.js')), ...(await load('inputs.js')) } as unknown as Dist;
});

interface Run {
  out: string;
  err: string;
  exit: number;
}

interface Options {
  command?: 'flows' | 'packets';
  maxFlows?: number;
  idleTimeout?: number;
}

async function oneThread(path: string, opts: Options = {}): Promise<Run> {
  const io = dist.memoryIo();
  const exit = opts.command === 'packets'
    ? await dist.packetsCommand([path], { format: 'ndjson', jobs: 1, maxFlows: opts.maxFlows }, io)
    : await dist.flowsCommand([path], { format: 'ndjson', jobs: 1, idleTimeout: opts.idleTimeout ?? 0, maxFlows: opts.maxFlows }, io);
  return { out: io.out, err: io.err, exit };
}

async function sharded(path: string, jobs: number, opts: Options = {}): Promise<Run & { how: string }> {
  const io = dist.memoryIo();
  const outcome = new dist.InputOutcome(io, false);
  const job = { command: opts.command ?? 'flows', maxFlows: opts.maxFlows, idleTimeout: opts.idleTimeout ?? 0 };
  const how = await dist.runSharded(path, io, { jobs, job }, outcome);
  const { exit } = outcome.finish();
  return { out: io.out, err: io.err, exit, how };
}

/** A copy of a pcap (little-endian, microseconds) whose `frame`-th record is stamped `back` seconds earlier. */
function withTimeGoingBack(src: string, dest: string, frame: number, back: number): void {
  const b = Buffer.from(readFileSync(src));
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  let off = 24;
  for (let i = 1; i < frame; i++) off += 16 + b.readUInt32LE(off + 8);
  b.writeUInt32LE(b.readUInt32LE(off) - back, off);
  writeFileSync(dest, b);
}

describe('one capture on several threads: the bytes of one thread', () => {
  it('on every capture we ship, with 2 and 3 shards', async () => {
    const captures = shippedCaptures();
    let flows = 0;
    let merged = 0;
    for (const path of captures) {
      const one = await oneThread(path);
      for (const jobs of [2, 3]) {
        const many = await sharded(path, jobs);
        // A few captures have timestamps out of order (pcapng interfaces interleaved): those
        // are read again on one thread, with the same result.
        if (many.how === 'merged') merged++;
        expect(many.out, `${path}, ${jobs} shards`).toBe(one.out);
        expect(many.err, path).toBe(one.err);
        expect(many.exit, path).toBe(one.exit);
      }
      flows += one.out.split('\n').length - 1;
      // Segment records: every segment in frame order, stream numbers as one thread gives them.
      const onePackets = await oneThread(path, { command: 'packets' });
      const manyPackets = await sharded(path, 2, { command: 'packets' });
      expect(manyPackets.out, `${path}, packets`).toBe(onePackets.out);
      expect(manyPackets.err, path).toBe(onePackets.err);
      expect(manyPackets.exit, path).toBe(onePackets.exit);
    }
    expect(captures.length).toBeGreaterThan(20);
    expect(merged).toBeGreaterThan(captures.length * 2 * 0.8);
    expect(flows).toBeGreaterThan(300);
  });

  it.runIf(hasCorpus)('on every capture of the public corpus', async () => {
    let merged = 0;
    for (const path of captureFiles(corpusDir)) {
      for (const command of ['flows', 'packets'] as const) {
        const one = await oneThread(path, { command });
        const many = await sharded(path, 2, { command });
        expect(many.out, `${path} ${command}`).toBe(one.out);
        expect(many.err, path).toBe(one.err);
        expect(many.exit, path).toBe(one.exit);
        if (many.how === 'merged') merged++;
      }
    }
    expect(merged).toBeGreaterThan(20);
  });

  it('on a capture cut in the middle of a record, and on a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-shards-cut-'));
    try {
      const whole = readFileSync(fixture('kernel/many-flows.pcap'));
      const cut = join(dir, 'cut.pcap');
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
      for (const path of [cut, join(dir, 'missing.pcap')]) {
        for (const command of ['flows', 'packets'] as const) {
          const one = await oneThread(path, { command });
          const many = await sharded(path, 2, { command });
          expect(one.exit).toBe(3);
          expect(many.out, `${path} ${command}`).toBe(one.out);
          expect(many.err, path).toBe(one.err);
          expect(many.exit, path).toBe(one.exit);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with an idle timeout (flows written as they go quiet)', async () => {
    for (const name of ['kernel/many-flows.pcap', 'kernel/port-reuse.pcap', 'kernel/lossy-transfer.pcap']) {
      const one = await oneThread(fixture(name), { idleTimeout: 0.5 });
      const many = await sharded(fixture(name), 2, { idleTimeout: 0.5 });
      expect(many.how).toBe('merged');
      expect(many.out, name).toBe(one.out);
    }
  });

  describe('when a shard cannot match one thread, the file is read again on one thread', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'synack-shards-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('a flow table that could fill up (--max-flows): same flows, same evictions, same warning', async () => {
      const path = fixture('kernel/many-flows.pcap');
      const one = await oneThread(path, { maxFlows: 4 });
      expect(one.err).toContain('more than 4 flows open at once');
      const many = await sharded(path, 2, { maxFlows: 4 });
      expect(many.how).toBe('one-thread');
      expect(many.out).toBe(one.out);
      expect(many.err).toBe(one.err);
      const onePackets = await oneThread(path, { command: 'packets', maxFlows: 4 });
      const manyPackets = await sharded(path, 2, { command: 'packets', maxFlows: 4 });
      expect(manyPackets.how).toBe('one-thread');
      expect(manyPackets.out).toBe(onePackets.out);
      expect(manyPackets.err).toBe(onePackets.err);
    });

    it('capture time going backwards, late in the file: what was written is not written twice', async () => {
      const src = fixture('kernel/many-flows.pcap');
      const one0 = await oneThread(src);
      const frames = one0.out.split('\n').length; // any frame well inside the capture
      const path = join(dir, 'time-back.pcap');
      withTimeGoingBack(src, path, Math.max(40, frames * 3), 30);
      const one = await oneThread(path);
      const many = await sharded(path, 2);
      expect(many.how).toBe('one-thread');
      expect(many.out).toBe(one.out);
      expect(many.err).toBe(one.err);
    });
  });

  it('the command line shares out a large uncompressed file, not a small or compressed one', async () => {
    expect(dist.shardable(fixture('kernel/many-flows.pcap'))).toBe(false);
    expect(dist.shardable(fixture('formats/retransmit-timeout.pcapng.gz'))).toBe(false);
    expect(dist.shardable('-')).toBe(false);
    expect(dist.shardable('no-such-file.pcap')).toBe(false);
  });
});

describe('the command line', () => {
  let dir = '';
  let capture = '';
  beforeAll(async () => {
    const { generateCaptures } = await import('../../src/bench/generate.js');
    dir = mkdtempSync(join(tmpdir(), 'synack-shards-cli-'));
    capture = (await generateCaptures({ packets: 40_000, dir, name: 'shards', gzip: false })).pcap.path;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shares a large file out when --jobs is given and writes what --jobs 1 (and the default) writes, flows and packets', async () => {
    expect(dist.shardable(capture)).toBe(true);
    const one = await run(['flows', '--format', 'ndjson', '--jobs', '1', capture]);
    const many = await run(['flows', '--format', 'ndjson', '--jobs', '2', capture]);
    const byDefault = await run(['flows', '--format', 'ndjson', capture]);
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n').length).toBeGreaterThan(1000);
    for (const r of [many, byDefault]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(one.stdout);
      expect(r.stderr).toBe(one.stderr);
    }
    const packetsOne = await run(['packets', '--format', 'ndjson', '--jobs', '1', capture]);
    const packetsMany = await run(['packets', '--format', 'ndjson', '--jobs', '2', capture]);
    expect(packetsOne.stdout.split('\n').length).toBeGreaterThan(40_000);
    expect(packetsMany.stdout).toBe(packetsOne.stdout);
    expect(packetsMany.code).toBe(0);
  });
});

describe('summary and ladder on several threads: the bytes of one thread', () => {
  // Every capture through the shards, however small (the command line shares out 16 MiB and up).
  beforeAll(() => {
    dist.shardPolicy.minBytes = 0;
  });
  afterAll(() => {
    dist.shardPolicy.minBytes = 16 << 20;
  });

  const variants: [string, Record<string, unknown>][] = [
    ['summary', {}],
    ['summary', { color: true, width: '120' }],
    ['summary', { port: '443', verdict: 'reset by client' }],
    ['ladder', {}],
    ['ladder', { all: true, ascii: true, color: true }],
  ];

  it('on every capture we ship (stdout, stderr with its footer, exit status)', async () => {
    expect(dist.shardable(fixture('kernel/many-flows.pcap'))).toBe(true);
    const captures = shippedCaptures();
    for (const path of captures) {
      // The plain drawings on every capture; colour, width, filters and --all on the kernel ones.
      for (const [command, opts] of path.includes('/kernel/') ? variants : [variants[0]!, variants[3]!]) {
        const runIt = (jobs: number): Promise<Run> => {
          const io = dist.memoryIo();
          const o = { ...opts, jobs };
          const p = command === 'summary' ? dist.summaryCommand([path], o, io) : dist.ladderCommand([path], o, io);
          return p.then((exit) => ({ out: io.out, err: io.err, exit }));
        };
        const one = await runIt(1);
        const many = await runIt(2);
        expect(many.out, `${command} ${JSON.stringify(opts)} ${path}`).toBe(one.out);
        expect(many.err, path).toBe(one.err);
        expect(many.exit, path).toBe(one.exit);
      }
    }
  });

  it('falls back to one thread where a shard cannot match it (--max-flows)', async () => {
    const path = fixture('kernel/many-flows.pcap');
    for (const command of ['summary', 'ladder'] as const) {
      const runIt = async (jobs: number): Promise<Run> => {
        const io = dist.memoryIo();
        const o = { jobs, maxFlows: 4 };
        const exit = command === 'summary' ? await dist.summaryCommand([path], o, io) : await dist.ladderCommand([path], o, io);
        return { out: io.out, err: io.err, exit };
      };
      const one = await runIt(1);
      expect(one.err).toContain('more than 4 flows open at once');
      const many = await runIt(2);
      expect(many.out, command).toBe(one.out);
      expect(many.err, command).toBe(one.err);
    }
  });
});

describe('a shard batch', () => {
  it('gives byte offsets of each record and its stream-number gap, ASCII or not', () => {
    const records: [string, string][] = [['{"stream":', ',"a":1}\n'], ['{"x":"é","stream":', ',"b":"→"}\n'], ['{"stream":', ',"c":"😀"}\n']];
    for (const set of [records.slice(0, 1), records]) {
      const batch = new dist.RecordBatch();
      set.forEach(([before, after], i) => batch.add({ frame: i, phase: 0, sub: 0 }, i, before, after));
      const { batch: sealed } = batch.seal(7);
      const bytes = Buffer.from(sealed.bytes);
      let start = 0;
      set.forEach(([before, after], i) => {
        expect(bytes.subarray(start, sealed.splits[i]).toString()).toBe(before);
        expect(bytes.subarray(sealed.splits[i], sealed.ends[i]).toString()).toBe(after);
        start = sealed.ends[i]!;
      });
      expect(start).toBe(bytes.length);
    }
  });
});
