// readCapture() over real inputs: a path read in double-buffered chunks, a Readable (as
// standard input is), gzip around either, and the I/O and decompression failures.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
