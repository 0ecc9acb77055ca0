// Chunking invariance: however the bytes are split between feed() calls, the records, the
// error and the warnings are the same.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/parser.js';
import { corpusFile, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { copyRecord, parseBytes, type PlainRecord } from './support.js';

const corpusSamples = [
  'tcpdump/pptp.pcap', // big-endian µs
  'pcapplusplus/nanosecs_big_endian.pcap',
  'tcpdump/bigtcp-ipv6-hbh.pcap', // one 80 KB record
  'pcapplusplus/pcapng-example.pcapng', // two interfaces, comments
  'pcapng-test-generator/output_be/difficult/test202.pcapng', // three sections, mixed byte order
  'derived/trunc-midrecord-one_tcp_stream_fin_rst_close_packet.pcap', // ends with an error
  'libpcap/shb-option-too-long.pcapng',
];

function summary(p: ReturnType<typeof parseBytes>): unknown {
  return {
    records: p.records.map((r) => ({ ...r, data: r.data.toString('hex') })),
    error: p.error === null ? null : { kind: p.error.kind, offset: p.error.offset, reason: p.error.reason },
    warnings: p.warnings,
    interfaces: p.parser.interfaces,
    sections: p.parser.sections,
    bytes: p.parser.bytes,
  };
}

function check(bytes: Buffer): void {
  const whole = summary(parseBytes(bytes));
  for (const size of [1, 7, 64, 1024 * 1024]) {
    expect(summary(parseBytes(bytes, size)), `chunks of ${size}`).toEqual(whole);
  }
}

describe.runIf(hasCorpus)('chunks of 1, 7, 64 bytes and 1 MiB give identical results', () => {
  it.each(corpusSamples)('%s', (rel) => check(readFileSync(corpusFile(rel))));
});

describe('chunking of the fixtures', () => {
  it('print-flags-be-bin20.pcapng', () => check(readFileSync(join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'))));

  it('random splits (fast-check) give the same records', () => {
    const bytes = readFileSync(join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'));
    const whole = summary(parseBytes(bytes));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const records: PlainRecord[] = [];
        const parser = new CaptureParser((r) => records.push(copyRecord(r)));
        for (let i = 1; i < points.length; i++) parser.feed(bytes.subarray(points[i - 1], points[i]));
        const error = parser.end();
        expect(summary({ records, error, warnings: parser.warnings, parser })).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('a record delivered from the carry buffer is a view, valid during the callback', () => {
    const bytes = readFileSync(join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'));
    const seen: string[] = [];
    const parser = new CaptureParser((r) => {
      expect(r.data.length).toBe(r.capturedLength);
      expect(Buffer.from(r.data).equals(bytes.subarray(r.dataOffset, r.dataOffset + r.capturedLength))).toBe(true);
      seen.push(String(r.frame));
    });
    for (let at = 0; at < bytes.length; at += 100) parser.feed(bytes.subarray(at, at + 100));
    expect(parser.end()).toBeNull();
    expect(seen).toHaveLength(10);
  });

  it('empty chunks change nothing', () => {
    const bytes = readFileSync(join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'));
    const records: PlainRecord[] = [];
    const parser = new CaptureParser((r) => records.push(copyRecord(r)));
    parser.feed(new Uint8Array(0));
    parser.feed(bytes.subarray(0, 2));
    parser.feed(new Uint8Array(0));
    parser.feed(bytes.subarray(2));
    expect(parser.end()).toBeNull();
    expect(records).toHaveLength(10);
  });
});
