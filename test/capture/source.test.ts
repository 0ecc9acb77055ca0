// readCapture() over real inputs: a regular file read synchronously, a FIFO and a Readable (as
// standard input is) read as streams, gzip around any of them, and the I/O and decompression
// failures.

import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture, type CaptureSummary } from '../../src/capture/read.js';
import { corpusFile, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { copyRecord, parseBytes, type PlainRecord } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'synack-capture-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function read(input: string | Readable, chunkSize?: number): Promise<{ records: PlainRecord[]; summary: CaptureSummary }> {
  const records: PlainRecord[] = [];
  const summary = await readCapture(input, (r) => records.push(copyRecord(r)), chunkSize === undefined ? {} : { chunkSize });
  return { records, summary };
}

/** A Readable that hands out `bytes` in pieces of `size`, like a pipe would. */
function pipeLike(bytes: Uint8Array, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(Buffer.from(bytes.subarray(at, at + size)));
  return Readable.from(pieces);
}

const fixtures = {
  bePcapng: join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'),
  gzPcap: join(fixturesDir, 'formats/print-flags.pcap.gz'),
  gzPcapng: join(fixturesDir, 'formats/retransmit-timeout.pcapng.gz'),
};

describe('path and stream give the same records', () => {
  it('big-endian pcapng fixture, read with 64-byte file chunks and from a 1000-byte-piece stream', async () => {
    const bytes = readFileSync(fixtures.bePcapng);
    const expected = parseBytes(bytes).records;
    const viaPath = await read(fixtures.bePcapng, 64);
    const viaStream = await read(pipeLike(bytes, 1000));
    expect(viaPath.records).toEqual(expected);
    expect(viaStream.records).toEqual(expected);
    expect(viaPath.summary).toMatchObject({ format: 'pcapng', compression: null, records: 10, sections: 1, error: null, bytes: bytes.length });
    expect(viaStream.summary).toEqual(viaPath.summary);
  });

  it.runIf(hasCorpus)('a 105 KB pcap with an 80 KB record, 4 KiB file chunks vs the default 1 MiB', async () => {
    const path = corpusFile('tcpdump/bigtcp-ipv6-hbh.pcap');
    const small = await read(path, 4096);
    const big = await read(path);
    expect(small.records).toEqual(big.records);
    expect(big.records).toHaveLength(1);
    expect(big.records[0]!.data.equals(readFileSync(path).subarray(40))).toBe(true);
  });
});

describe('gzip is decompressed transparently', () => {
  it.runIf(hasCorpus)('pcap.gz by path and by stream equals the plain corpus file', async () => {
    const plain = await read(corpusFile('tcpdump/print-flags.pcap'));
    const viaPath = await read(fixtures.gzPcap, 100);
    const viaStream = await read(pipeLike(readFileSync(fixtures.gzPcap), 1));
    expect(viaPath.records).toEqual(plain.records);
    expect(viaStream.records).toEqual(plain.records);
    expect(viaPath.summary).toMatchObject({ compression: 'gzip', format: 'pcap-le-usec', records: 10, error: null });
  });

  it.runIf(hasCorpus)('pcapng.gz equals the plain corpus file', async () => {
    const plain = await read(corpusFile('zeek/tcp/retransmit-timeout.pcapng'));
    const gz = await read(fixtures.gzPcapng);
    expect(gz.records).toEqual(plain.records);
    expect(gz.summary).toMatchObject({ compression: 'gzip', format: 'pcapng', records: 3, error: null });
  });

  it('a cut-off gzip stream keeps the records before the cut and says it was truncated', async () => {
    const gz = readFileSync(fixtures.gzPcap);
    const cut = join(scratch, 'cut.pcap.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
    const { records, summary } = await read(cut);
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(10);
    expect(summary.error).toMatchObject({ kind: 'truncated' });
    expect(summary.error!.reason).toMatch(/gzip stream ends early/);
    expect(summary.error!.offset).toBe(summary.bytes);
  });

  it('corrupt deflate data is a format error', async () => {
    const gz = Buffer.from(readFileSync(fixtures.gzPcap));
    for (let i = 40; i < 80; i++) gz[i] ^= 0xff;
    const { summary } = await read(pipeLike(gz, 512));
    expect(summary.error?.kind).toMatch(/format|truncated/);
    expect(summary.error!.reason).toMatch(/gzip/);
  });
});

describe('I/O problems are returned, not thrown', () => {
  it('a missing file', async () => {
    const { summary } = await read(join(scratch, 'no-such.pcap'));
    expect(summary.error).toMatchObject({ kind: 'io', offset: 0 });
    expect(summary.error!.reason).toMatch(/no such file/);
    expect(summary.format).toBeNull();
  });

  it('a directory', async () => {
    const { summary } = await read(scratch);
    expect(summary.error).toMatchObject({ kind: 'io' });
    expect(summary.error!.reason).toMatch(/directory/);
  });

  it('an empty file says it is empty', async () => {
    const empty = join(scratch, 'empty.pcap');
    writeFileSync(empty, '');
    const { summary } = await read(empty);
    expect(summary.error).toMatchObject({ kind: 'truncated', offset: 0 });
    expect(summary.error!.reason).toMatch(/empty/);
  });

  it('a stream that fails part-way keeps what was read', async () => {
    const bytes = readFileSync(fixtures.bePcapng);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from(bytes.subarray(0, 2000));
      throw new Error('connection reset');
    }
    const { records, summary } = await read(Readable.from(failing()));
    expect(records.length).toBeGreaterThan(0);
    expect(summary.error).toMatchObject({ kind: 'io' });
    expect(summary.error!.reason).toMatch(/connection reset/);
  });
});

describe('stopping early', () => {
  it.runIf(hasCorpus)('a gzip-compressed damaged pcapng stops at the damage and releases the input', async () => {
    const { gzipSync } = await import('node:zlib');
    const damaged = readFileSync(corpusFile('derived/trunc-midblock-retransmit-timeout.pcapng'));
    // Damage after the first EPB: a block length that is not a multiple of 4, then 2 MiB of filler.
    const bytes = Buffer.concat([damaged.subarray(0, 348), Buffer.from([6, 0, 0, 0, 21, 0, 0, 0]), Buffer.alloc(2 * 1024 * 1024)]);
    const path = join(scratch, 'damaged.pcapng.gz');
    writeFileSync(path, gzipSync(bytes));
    const { records, summary } = await read(path, 1024);
    expect(records).toHaveLength(2);
    expect(summary.error).toMatchObject({ kind: 'format', offset: 352 });
    expect(summary.compression).toBe('gzip');
  });
});

/** A classic pcap of about `bytes` bytes: port-reuse.pcap's records repeated after its file header. */
function bigPcap(bytes: number): { path: string; records: number } {
  const pcap = readFileSync(join(fixturesDir, 'kernel/port-reuse.pcap'));
  const body = pcap.subarray(24);
  const copies = Math.ceil(bytes / body.length);
  const path = join(scratch, `big-${bytes}.pcap`);
  writeFileSync(path, Buffer.concat([pcap.subarray(0, 24), ...Array<Buffer>(copies).fill(body)]));
  return { path, records: copies * parseBytes(pcap).records.length };
}

/** Keeps the CPU busy for `ms`, as decoding and tracking a big chunk would. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('a regular file is read synchronously, and the event loop still turns', () => {
  it('timers fire while a large file is read', async () => {
    const { path, records } = bigPcap(4 << 20);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    let n = 0;
    const started = performance.now();
    const summary = await readCapture(path, () => void (n++ % 200 === 0 && spin(1)), { chunkSize: 64 * 1024 });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(summary).toMatchObject({ error: null, records });
    expect(elapsed).toBeGreaterThan(150);
    // The loop lets the event loop through at least every YIELD_INTERVAL_MS (50 ms).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 100));
  });

  it('the abort signal stops reading promptly, keeping the records read', async () => {
    const { path, records } = bigPcap(8 << 20);
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 50);
    let n = 0;
    const summary = await readCapture(path, () => void (n++ % 200 === 0 && spin(1)), {
      chunkSize: 64 * 1024,
      signal: controller.signal,
    });
    const stoppedAfter = performance.now() - abortedAt;
    expect(abortedAt).toBeGreaterThan(0);
    expect(summary.interrupted).toBe(true);
    expect(summary.error).toBeNull();
    expect(summary.records).toBeGreaterThan(0);
    expect(summary.records).toBeLessThan(records);
    expect(stoppedAfter).toBeLessThan(1000);
  });

  it('a signal aborted before reading starts reads nothing', async () => {
    const { path } = bigPcap(1 << 20);
    const summary = await readCapture(path, () => undefined, { signal: AbortSignal.abort() });
    expect(summary).toMatchObject({ interrupted: true, records: 0, error: null });
  });

  it('`between` is awaited after every chunk before the next one is parsed', async () => {
    const { path, records } = bigPcap(1 << 20);
    const chunkSize = 64 * 1024;
    let waiting = false;
    let calls = 0;
    let parsedWhileWaiting = 0;
    const summary = await readCapture(path, () => void (waiting && parsedWhileWaiting++), {
      chunkSize,
      between: () => {
        calls++;
        waiting = true;
        return new Promise<void>((resolve) => setTimeout(() => resolve(void (waiting = false)), 1));
      },
    });
    expect(summary).toMatchObject({ error: null, records });
    expect(parsedWhileWaiting).toBe(0);
    expect(calls).toBe(Math.ceil(summary.bytes / chunkSize));
  });
});

describe.runIf(process.platform !== 'win32')('a FIFO is read as a stream', () => {
  const fifo = (name: string): string => {
    const path = join(scratch, name);
    execFileSync('mkfifo', [path]);
    return path;
  };

  it('gives the same records as the file', async () => {
    const bytes = readFileSync(fixtures.bePcapng);
    const path = fifo('capture.fifo');
    const writer = createWriteStream(path);
    writer.end(bytes);
    const { records, summary } = await read(path);
    expect(records).toEqual(parseBytes(bytes).records);
    expect(summary).toMatchObject({ format: 'pcapng', records: 10, error: null, bytes: bytes.length });
  });

  it('a quiet FIFO still stops at the abort signal', async () => {
    const bytes = readFileSync(fixtures.bePcapng);
    const path = fifo('quiet.fifo');
    const writer = createWriteStream(path);
    // Half the capture, then nothing: the writer (a live capture) keeps the FIFO open.
    writer.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const records: PlainRecord[] = [];
    const summary = await readCapture(path, (r) => records.push(copyRecord(r)), { signal: controller.signal });
    writer.end();
    expect(summary.interrupted).toBe(true);
    expect(summary.error).toBeNull();
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(10);
  });
});
