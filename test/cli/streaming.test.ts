// Streaming from a live pipe: a capture fed to stdin slowly, in chunks with pauses, as
// `tcpdump -U -w -` delivers it. The first finished flow must come out before the input ends,
// and SIGINT must end the run cleanly with what is known so far.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../helpers/corpus.js';
import { ensureBuilt, start } from './binary.js';

beforeAll(() => ensureBuilt());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// port-reuse.pcap: six connections one after the other; the first ends early in the file.
const capture = readFileSync(join(fixturesDir, 'kernel', 'port-reuse.pcap'));

describe('ndjson from a slow pipe', () => {
  it('writes the first finished flow before the input ends', async () => {
    const child = start(['flows', '-', '--format', 'ndjson']);
    const lines: { at: number; stream: number }[] = [];
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push({ at: Date.now(), stream: (JSON.parse(buf.slice(0, nl)) as { stream: number }).stream });
        buf = buf.slice(nl + 1);
      }
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const CHUNKS = 8;
    const size = Math.ceil(capture.length / CHUNKS);
    let lastWrite = 0;
    for (let i = 0; i < CHUNKS; i++) {
      child.stdin.write(capture.subarray(i * size, (i + 1) * size));
      lastWrite = Date.now();
      await sleep(250);
    }
    const linesBeforeEnd = lines.filter((l) => l.at <= lastWrite).length;
    child.stdin.end();
    expect(await closed).toBe(0);
    expect(linesBeforeEnd).toBeGreaterThan(0);
    expect(lines[0]!.stream).toBe(0);
    // All six connections in the end, each once.
    expect(lines.map((l) => l.stream).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('SIGINT: reports the flows read so far and exits 0', async () => {
    const child = start(['flows', '-', '--format', 'ndjson']);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // Half the capture, cut mid-record, and the pipe left open (a live capture still running).
    child.stdin.write(capture.subarray(0, Math.floor(capture.length / 2)));
    await sleep(500);
    child.kill('SIGINT');
    expect(await closed).toBe(0);
    const streams = out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { stream: number }).stream);
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams.length).toBeLessThan(6);
    expect(new Set(streams).size).toBe(streams.length);
    expect(err).toContain('interrupted');
    expect(err).not.toMatch(/\n\s+at /);
  });
});
