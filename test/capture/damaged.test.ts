// Damaged captures: libpcap's reject files, the corpus's cut-off files, and every truncation
// of small valid files. Each must end in a CaptureError with a kind and an offset — never an
// exception — and keep every record before the damage.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusFile, corpusFiles, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { parseBytes } from './support.js';

/**
 * Expected outcome per libpcap reject file. `libpcap` is the substring of libpcap's own message
 * (EXPECTED_ERRORS.tsv) that our sentence must also carry, so the two say the same thing.
 */
const LIBPCAP: Record<string, { kind: string; offset: number; says: RegExp }> = {
  'linktype-reserved-field-not-zero.pcap': { kind: 'format', offset: 20, says: /reserved bits set \(0x00300000/ },
  'pcap-empty-file.pcap': { kind: 'truncated', offset: 0, says: /empty \(0 bytes\)/ },
  'pcap-invalid-version-1.pcap': { kind: 'format', offset: 4, says: /unsupported pcap savefile version 1\.4/ },
  'pcap-truncated-hdr-23.pcap': { kind: 'truncated', offset: 0, says: /file header cut short: 24 bytes needed, only 23 present/ },
  'pcapng-block-len-not-mult4.pcapng': { kind: 'format', offset: 32, says: /length of 21, which is not a multiple of 4/ },
  'pcapng-idb-tsresol-bin-high.pcapng': { kind: 'format', offset: 48, says: /if_tsresol resolution 2\^-72/ },
  'pcapng-invalid-vers-1.pcapng': { kind: 'format', offset: 12, says: /unsupported pcapng section version 0\.1/ },
  'pcapng-packet-before-idb.pcapng': { kind: 'format', offset: 28, says: /before any Interface Description Block/ },
  // libpcap reports the IDB trailer after it; the SHB's own trailer (0x30303030) is already wrong.
  'shb-option-too-long.pcapng': { kind: 'format', offset: 48, says: /52 in its header but 808464432 in its trailer/ },
};

describe.runIf(hasCorpus)('libpcap reject files', () => {
  const files = corpusFiles(/\.pcap(ng)?$/).filter((f) => f.startsWith('libpcap/'));
  it('covers every file of EXPECTED_ERRORS.tsv', () => {
    const listed = readFileSync(corpusFile('libpcap/EXPECTED_ERRORS.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[0]);
    expect(files.map((f) => f.slice('libpcap/'.length)).sort()).toEqual([...listed].sort());
    expect(Object.keys(LIBPCAP).sort()).toEqual([...listed].sort());
  });
  it.each(files)('%s', (rel) => {
    const expected = LIBPCAP[rel.slice('libpcap/'.length)]!;
    const { records, error } = parseBytes(readFileSync(corpusFile(rel)));
    expect(records).toHaveLength(0);
    expect(error).not.toBeNull();
    expect(error!.kind).toBe(expected.kind);
    expect(error!.offset).toBe(expected.offset);
    expect(error!.reason).toMatch(expected.says);
  });
});

describe.runIf(hasCorpus)('files cut off part-way (derived/trunc-*)', () => {
  // Record counts are tshark's "[N packets read before the error]" in MANIFEST.tsv.
  it('pcap cut inside the last record: 12 records, then truncated at that record', () => {
    const bytes = readFileSync(corpusFile('derived/trunc-midrecord-one_tcp_stream_fin_rst_close_packet.pcap'));
    const { records, error } = parseBytes(bytes);
    expect(records).toHaveLength(12);
    const last = records.at(-1)!;
    expect(error).toMatchObject({ kind: 'truncated', offset: last.dataOffset + last.capturedLength });
    expect(error!.reason).toMatch(/header says 60 captured bytes, only 30 present/);
  });
  it('pcapng cut inside the last EPB: 2 records, then truncated at that block', () => {
    const bytes = readFileSync(corpusFile('derived/trunc-midblock-retransmit-timeout.pcapng'));
    const { records, error } = parseBytes(bytes);
    expect(records).toHaveLength(2);
    expect(error).toMatchObject({ kind: 'truncated', offset: 348 });
    expect(error!.reason).toMatch(/says 104 bytes, only 52 present/);
    expect(bytes.length - 348).toBe(52);
  });
});

/** Unit boundaries of a little-endian µs pcap, walked by hand: header, then 16 + incl_len each. */
function pcapBoundaries(b: Buffer): number[] {
  const out = [24];
  for (let at = 24; at < b.length; ) {
    at += 16 + b.readUInt32LE(at + 8);
    out.push(at);
  }
  return out;
}

/** Block boundaries of a single-byte-order pcapng file, walked by hand. */
function pcapngBoundaries(b: Buffer, le: boolean): number[] {
  const out: number[] = [];
  for (let at = 0; at < b.length; ) {
    at += le ? b.readUInt32LE(at + 4) : b.readUInt32BE(at + 4);
    out.push(at);
  }
  return out;
}

function everyTruncation(bytes: Buffer, boundaries: number[], packetEnds: number[]): void {
  const full = parseBytes(bytes).records;
  for (let len = 0; len <= bytes.length; len++) {
    let result!: ReturnType<typeof parseBytes>;
    expect(() => (result = parseBytes(bytes.subarray(0, len)))).not.toThrow();
    const complete = packetEnds.filter((end) => end <= len).length;
    expect(result.records.length, `cut at ${len}`).toBe(complete);
    result.records.forEach((r, i) => expect(r.data.equals(full[i]!.data)).toBe(true));
    if (boundaries.includes(len)) expect(result.error, `cut at ${len}`).toBeNull();
    else {
      expect(result.error?.kind, `cut at ${len}`).toBe('truncated');
      expect(result.error!.offset).toBeLessThanOrEqual(len);
    }
  }
}

describe.runIf(hasCorpus)('every truncation of a small valid file', () => {
  it('classic pcap (pcapplusplus/one_tcp_rst.pcap, 190 bytes)', () => {
    const bytes = readFileSync(corpusFile('pcapplusplus/one_tcp_rst.pcap'));
    const b = pcapBoundaries(bytes);
    everyTruncation(bytes, b, b.slice(1));
  });
  it('pcapng (zeek/tcp/retransmit-timeout.pcapng, 452 bytes)', () => {
    const bytes = readFileSync(corpusFile('zeek/tcp/retransmit-timeout.pcapng'));
    const b = pcapngBoundaries(bytes, true);
    // Packets are the EPBs (type 6).
    const ends = b.filter((end, i) => bytes.readUInt32LE(i === 0 ? 0 : b[i - 1]!) === 6);
    expect(ends).toHaveLength(3);
    everyTruncation(bytes, b, ends);
  });
});

describe('every truncation of the big-endian fixture', () => {
  it('print-flags-be-bin20.pcapng (first 1200 bytes)', () => {
    const whole = readFileSync(join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'));
    const b = pcapngBoundaries(whole, false);
    const cut = b.filter((x) => x <= 1200).at(-1)!;
    const bytes = whole.subarray(0, cut);
    const bounds = b.filter((x) => x <= cut);
    const ends = bounds.filter((end, i) => [2, 6].includes(bytes.readUInt32BE(i === 0 ? 0 : bounds[i - 1]!)));
    expect(ends.length).toBeGreaterThan(3);
    everyTruncation(bytes, bounds, ends);
  });
});

describe('too short to identify', () => {
  it('a 3-byte file', () => {
    const { error } = parseBytes(Buffer.from([0xd4, 0xc3, 0xb2]));
    expect(error).toMatchObject({ kind: 'truncated', offset: 0 });
    expect(error!.reason).toMatch(/only 3 bytes long/);
  });
  it('gzip data handed straight to the parser says so', () => {
    const { error } = parseBytes(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    expect(error).toMatchObject({ kind: 'format' });
    expect(error!.reason).toMatch(/gzip/);
  });
});
