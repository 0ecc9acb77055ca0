// The real binary in pipelines: every output format parsed back and checked against tshark's
// goldens for the same capture, stdin input, `| head`, colour switches, several inputs, and the
// exit statuses of damaged or missing input.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readTsv } from '../helpers/tshark-tsv.js';
import { fixturesDir } from '../helpers/corpus.js';
import { collect, ensureBuilt, fixture, headOne, run, start } from './binary.js';
import { csvObjects } from './csv-parse.js';

beforeAll(() => ensureBuilt());

const MANY = fixture('kernel/many-flows.pcap');
const golden = (name: string, kind: 'tshark' | 'streams'): Record<string, string>[] =>
  readTsv(join(fixturesDir, 'kernel', `${name}.${kind}.tsv`));
const ESC = '\x1b[';

/** tshark's per-stream completeness for a kernel capture, by stream number. */
function completeness(name: string): Map<number, number> {
  return new Map(golden(name, 'streams').map((r) => [Number(r['stream']), Number(r['completeness'])]));
}

describe('flows: every format parses back and agrees with tshark', () => {
  const want = completeness('many-flows');

  it('ndjson: one JSON object per line, one per tshark stream, with its completeness', async () => {
    const r = await run(['flows', MANY, '--format', 'ndjson']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    const flows = lines.map((l) => JSON.parse(l) as { stream: number; completeness: number });
    expect(flows).toHaveLength(want.size);
    for (const f of flows) expect(f.completeness).toBe(want.get(f.stream));
  });

  it('json: one document, flows in stream order', async () => {
    const r = await run(['flows', MANY, '--format', 'json']);
    expect(r.code).toBe(0);
    const flows = JSON.parse(r.stdout) as { stream: number; completeness: number }[];
    expect(flows.map((f) => f.stream)).toEqual([...want.keys()].sort((a, b) => a - b));
    for (const f of flows) expect(f.completeness).toBe(want.get(f.stream));
  });

  it('csv: header row, numbers as numbers, values equal to the goldens and EXPECTED.tsv', async () => {
    const r = await run(['flows', MANY, '--format', 'csv']);
    expect(r.code).toBe(0);
    const rows = csvObjects(r.stdout);
    expect(rows).toHaveLength(want.size);
    const expected = readTsv(join(fixturesDir, 'kernel', 'EXPECTED.tsv')).filter((e) => e['capture'] === 'many-flows');
    for (const row of rows) {
      expect(Number(row['completeness'])).toBe(want.get(Number(row['stream'])));
      const e = expected.find((x) => x['stream'] === row['stream'])!;
      expect(`${row['client.ip']}:${row['client.port']}`).toBe(e['client']);
      expect(`${row['server.ip']}:${row['server.port']}`).toBe(e['server']);
      expect(row['teardown.kind']).toBe(e['teardown']);
      expect(row['handshake.status']).toBe(e['handshake']);
      expect(row['duration']).toMatch(/^\d+(\.\d+)?$/);
    }
  });

  it('csv --fields picks and orders columns', async () => {
    const r = await run(['flows', MANY, '--format', 'csv', '--fields', 'completeness,stream']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('completeness,stream');
    for (const line of lines.slice(1)) {
      const [c, s] = line.split(',').map(Number);
      expect(c).toBe(want.get(s!));
    }
  });

  it('--fields with an unknown name is a usage error (2) naming it', async () => {
    const r = await run(['flows', MANY, '--format', 'csv', '--fields', 'stream,nope']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('nope');
  });

  it('an unknown format is a usage error (2)', async () => {
    const r = await run(['flows', MANY, '--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('packets: csv and ndjson against tshark per frame', () => {
  const rows = golden('refused', 'tshark').concat();
  it('csv: flags, relative seq/ack and RFC 4180 quoting of "RST,ACK"', async () => {
    const r = await run(['packets', fixture('kernel/refused.pcap'), '--format', 'csv']);
    expect(r.code).toBe(0);
    const recs = csvObjects(r.stdout);
    expect(recs).toHaveLength(rows.length);
    recs.forEach((rec, i) => {
      const t = rows[i]!;
      expect(Number(rec['frame'])).toBe(Number(t['frame.number']));
      expect(Number(rec['flags'])).toBe(parseInt(t['tcp.flags']!, 16));
      expect(Number(rec['rel_seq'])).toBe(Number(t['tcp.seq']));
      expect(Number(rec['rel_ack'])).toBe(Number(t['tcp.ack']));
      expect(Number(rec['stream'])).toBe(Number(t['tcp.stream']));
    });
    // The RST-ACK's flag names hold a comma, so the cell is quoted in the raw text.
    expect(r.stdout).toContain('"RST,ACK"');
    expect(recs[1]!['flag_names']).toBe('RST,ACK');
  });

  it('ndjson: one object per TCP frame tshark shows', async () => {
    const t = golden('lossy-transfer', 'tshark');
    const r = await run(['packets', fixture('kernel/lossy-transfer.pcap'), '--format', 'ndjson']);
    expect(r.code).toBe(0);
    const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { frame: number; len: number });
    expect(recs.map((x) => x.frame)).toEqual(t.map((x) => Number(x['frame.number'])));
    expect(recs.map((x) => x.len)).toEqual(t.map((x) => Number(x['tcp.len'])));
  });
});

describe('pipes', () => {
  it('reads the capture from stdin (-) exactly as from the file', async () => {
    const bytes = readFileSync(join(fixturesDir, 'kernel', 'many-flows.pcap'));
    const fromFile = await run(['flows', MANY, '--format', 'json']);
    const fromPipe = await run(['flows', '-', '--format', 'json'], { stdin: bytes });
    expect(fromPipe.code).toBe(0);
    expect(fromPipe.stdout).toBe(fromFile.stdout);
  });

  for (const format of ['ndjson', 'csv', 'text']) {
    it(`| head -1 (${format}): exit 0, nothing on stderr`, async () => {
      // Enough output to overflow any pipe buffer: the same capture named 40 times.
      const child = start(['packets', ...new Array<string>(40).fill(fixture('kernel/lossy-transfer.pcap')), '--format', format]);
      const { first, code, stderr } = await headOne(child);
      expect(first.length).toBeGreaterThan(0);
      expect(code).toBe(0);
      expect(stderr).toBe('');
    });
  }

  it('several inputs: each record names its capture and streams restart at 0', async () => {
    const a = fixture('kernel/refused.pcap');
    const b = fixture('kernel/tfo.pcap');
    const r = await run(['flows', a, b, '--format', 'ndjson']);
    expect(r.code).toBe(0);
    const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { capture: string; stream: number });
    expect(recs.map((x) => [x.capture, x.stream])).toEqual([
      [a, 0],
      [b, 0],
      [b, 1],
    ]);
    // The same in CSV: a first column "capture".
    const csv = await run(['packets', a, b, '--format', 'csv', '--fields', 'frame,stream']);
    const rows = csvObjects(csv.stdout);
    expect(Object.keys(rows[0]!)).toEqual(['capture', 'frame', 'stream']);
    expect(rows.filter((x) => x['capture'] === a)).toHaveLength(golden('refused', 'tshark').length);
    expect(rows.filter((x) => x['capture'] === b)).toHaveLength(golden('tfo', 'tshark').length);
  });
});

describe('colour', () => {
  const args = ['flows', fixture('kernel/refused.pcap')];
  it('off when stdout is not a terminal', async () => {
    expect((await run(args)).stdout).not.toContain(ESC);
  });
  it('FORCE_COLOR turns it on; NO_COLOR wins over FORCE_COLOR; --color wins over NO_COLOR', async () => {
    expect((await run(args, { env: { FORCE_COLOR: '1' } })).stdout).toContain(ESC);
    expect((await run(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toContain(ESC);
    expect((await run([...args, '--color'], { env: { NO_COLOR: '1' } })).stdout).toContain(ESC);
    expect((await run([...args, '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout).not.toContain(ESC);
  });
  it('never in machine formats, whatever the environment', async () => {
    for (const format of ['json', 'ndjson', 'csv', 'zeek']) {
      const r = await run([...args, '--format', format, '--color'], { env: { FORCE_COLOR: '3' } });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(ESC);
    }
  });
});

describe('exit status 3: input errors, never a stack trace', () => {
  it('a missing file', async () => {
    const r = await run(['flows', 'no/such/file.pcap']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no/such/file.pcap');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a truncated capture: what was read is reported, then where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const whole = readFileSync(join(fixturesDir, 'kernel', 'port-reuse.pcap'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 10)); // the last record loses 10 bytes
    const frames = golden('port-reuse', 'tshark').length;
    const r = await run(['packets', cut, '--format', 'ndjson']);
    expect(r.code).toBe(3);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(frames - 1);
    expect(r.stderr).toMatch(/byte offset \d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('not a capture at all', async () => {
    const r = await run(['flows', 'README.md', '--format', 'json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toContain('README.md');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('progress', () => {
  it('never written when stderr is not a terminal', async () => {
    const r = await run(['packets', ...new Array<string>(20).fill(fixture('kernel/lossy-transfer.pcap')), '--format', 'ndjson']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

// Keep the collect helper referenced for readers of this file: run() is built on it.
void collect;
