// Classic pcap reader against two independent oracles: the pcap-parser package (records,
// timestamps, lengths, bytes) and TShark 4.0.17's golden frame.time_epoch column.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { corpusFile, corpusFiles, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { epoch, parseBytes } from './support.js';

const require = createRequire(import.meta.url);
const pcapp = require('pcap-parser') as {
  parse(input: Readable): NodeJS.EventEmitter;
};

interface OracleRecord {
  sec: number;
  frac: number;
  caplen: number;
  len: number;
  data: Buffer;
}

/**
 * Read with pcap-parser. It only knows the µs magic, so nanosecond files are handed to it with
 * the µs magic written in (the record layout is identical) and its "microseconds" are ns.
 */
function oracle(bytes: Buffer): Promise<{ records: OracleRecord[]; error: Error | null }> {
  const copy = Buffer.from(bytes);
  const m = copy.readUInt32LE(0);
  if (m === 0xa1b23c4d) copy.writeUInt32LE(0xa1b2c3d4, 0);
  if (copy.readUInt32BE(0) === 0xa1b23c4d) copy.writeUInt32BE(0xa1b2c3d4, 0);
  return new Promise((resolve) => {
    const records: OracleRecord[] = [];
    let error: Error | null = null;
    const p = pcapp.parse(Readable.from([copy]));
    p.on('packet', (pkt: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      records.push({
        sec: pkt.header.timestampSeconds,
        frac: pkt.header.timestampMicroseconds,
        caplen: pkt.header.capturedLength,
        len: pkt.header.originalLength,
        data: Buffer.from(pkt.data),
      });
    });
    p.on('error', (e: Error) => (error = e));
    p.on('end', () => resolve({ records, error }));
  });
}

async function compareWithOracle(bytes: Buffer): Promise<number> {
  const nsec = bytes.readUInt32LE(0) === 0xa1b23c4d || bytes.readUInt32BE(0) === 0xa1b23c4d;
  const ours = parseBytes(bytes);
  const theirs = await oracle(bytes);
  expect(theirs.error).toBeNull();
  // pcap-parser silently drops a cut-off last record; so do we, but we also say so.
  expect(ours.records.length).toBe(theirs.records.length);
  ours.records.forEach((r, i) => {
    const o = theirs.records[i]!;
    expect(r.frame).toBe(i + 1);
    expect(r.tsSec).toBe(o.sec);
    expect(r.tsNsec).toBe(nsec ? o.frac : o.frac * 1000);
    expect(r.tsPrecision).toBe(nsec ? 9 : 6);
    expect(r.capturedLength).toBe(o.caplen);
    expect(r.originalLength).toBe(o.len);
    expect(r.data.equals(o.data)).toBe(true);
  });
  return ours.records.length;
}

const classic = corpusFiles(/\.pcap$/).filter((f) => !f.startsWith('libpcap/'));

describe.runIf(hasCorpus)('classic pcap corpus files agree with pcap-parser', () => {
  it('finds the corpus captures', () => {
    expect(classic.length).toBeGreaterThan(40);
  });
  it.each(classic)('%s', async (rel) => {
    await compareWithOracle(readFileSync(corpusFile(rel)));
  });
});

describe.runIf(hasCorpus)('timestamps match tshark frame.time_epoch (golden TSV)', () => {
  const withRows = [...classic, ...corpusFiles(/\.pcapng$/).filter((f) => !f.startsWith('libpcap/'))];
  it.each(withRows)('%s', (rel) => {
    const tsv = readFileSync(corpusFile(rel.replace(/\.pcap(ng)?$/, '.tshark.tsv')), 'utf8');
    const rows = tsv.split('\n').slice(1).filter((l) => l !== '').map((l) => l.split('\t'));
    const { records } = parseBytes(readFileSync(corpusFile(rel)));
    const byFrame = new Map(records.map((r) => [r.frame, r]));
    for (const [frame, time] of rows) {
      const r = byFrame.get(Number(frame));
      expect(r, `frame ${frame}`).toBeDefined();
      expect(epoch(r!), `frame ${frame}`).toBe(time);
    }
  });
});

describe.runIf(hasCorpus)('formats and link types match MANIFEST.tsv', () => {
  const manifest = readFileSync(corpusFile('MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
  const rows = manifest.filter(([path, , , , lt, format]) => !path!.startsWith('libpcap/') && lt !== '-' && !format!.startsWith('empty'));
  it.each(rows.map((r) => [r[0]!, r[4]!, r[5]!]))('%s: %s, %s', (rel, linkTypes, format) => {
    const { records, parser } = parseBytes(readFileSync(corpusFile(rel)));
    const expectedFormat = format.startsWith('pcapng') ? 'pcapng' : format;
    expect(parser.format).toBe(expectedFormat);
    const expectedTypes = [...linkTypes.matchAll(/(\d+) \(/g)].map((m) => Number(m[1]));
    const seen = [...new Set(records.map((r) => r.linkType))];
    // Files with no packets (zeek/empty.pcap) still declare the link type in their header.
    const declared = records.length === 0 ? parser.interfaces.map((i) => i.linkType) : seen;
    expect(declared).toEqual(expectedTypes);
  });
});

describe.runIf(hasCorpus)('gzip fixture', () => {
  it('print-flags.pcap.gz decompresses to the corpus file and parses the same', async () => {
    const gz = readFileSync(join(fixturesDir, 'formats/print-flags.pcap.gz'));
    const plain = readFileSync(corpusFile('tcpdump/print-flags.pcap'));
    expect(gunzipSync(gz).equals(plain)).toBe(true);
    expect(await compareWithOracle(plain)).toBe(10);
  });
});

describe('classic pcap built by hand', () => {
  /** A pcap header + records, per draft-ietf-opsawg-pcap §4-5. */
  function pcap(opts: { le: boolean; magic: number; major?: number; minor?: number; snaplen?: number; linkWord: number; records: [number, number, number, number, number[]][] }): Buffer {
    const parts: Buffer[] = [];
    const h = Buffer.alloc(24);
    const w32 = (b: Buffer, v: number, at: number): number => (opts.le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
    const w16 = (b: Buffer, v: number, at: number): number => (opts.le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
    w32(h, opts.magic, 0);
    w16(h, opts.major ?? 2, 4);
    w16(h, opts.minor ?? 4, 6);
    w32(h, opts.snaplen ?? 65535, 16);
    w32(h, opts.linkWord, 20);
    parts.push(h);
    for (const [sec, frac, incl, orig, data] of opts.records) {
      const r = Buffer.alloc(16);
      w32(r, sec, 0);
      w32(r, frac, 4);
      w32(r, incl, 8);
      w32(r, orig, 12);
      parts.push(r, Buffer.from(data));
    }
    return Buffer.concat(parts);
  }

  it('reads FCS bits from the link-type word (libpcap LT_FCS_LENGTH_PRESENT, 16-bit units)', () => {
    // 0x24000001: FCS present (bit 26), length 2 × 16 bits = 4 bytes, LINKTYPE_ETHERNET.
    const { records, error, parser } = parseBytes(pcap({ le: true, magic: 0xa1b2c3d4, linkWord: 0x24000001, records: [[1, 2, 4, 4, [1, 2, 3, 4]]] }));
    expect(error).toBeNull();
    expect(records[0]!.fcsLength).toBe(4);
    expect(records[0]!.linkType).toBe(1);
    expect(parser.interfaces[0]!.linkType).toBe(1);
  });

  it('ignores the FCS length when the present bit is clear', () => {
    const { records } = parseBytes(pcap({ le: true, magic: 0xa1b2c3d4, linkWord: 0x20000001, records: [[1, 2, 1, 1, [9]]] }));
    expect(records[0]!.fcsLength).toBe(0);
  });

  it('big-endian nanosecond file: fields read in network order', () => {
    const { records, parser } = parseBytes(pcap({ le: false, magic: 0xa1b23c4d, linkWord: 101, records: [[0x5f000000, 999999999, 2, 60, [0x45, 0]]] }));
    expect(parser.format).toBe('pcap-be-nsec');
    expect(records[0]).toMatchObject({ tsSec: 0x5f000000, tsNsec: 999999999, capturedLength: 2, originalLength: 60, linkType: 101, tsPrecision: 9 });
  });

  it('version 2.2 files have len before caplen (libpcap sf-pcap.c SWAPPED)', () => {
    const { records } = parseBytes(pcap({ le: true, magic: 0xa1b2c3d4, minor: 2, linkWord: 1, records: [[1, 0, 60, 3, [7, 8, 9]]] }));
    expect(records[0]).toMatchObject({ capturedLength: 3, originalLength: 60 });
  });

  it('version 2.3 files are unswapped when caplen ≤ len and swapped otherwise', () => {
    const { records } = parseBytes(pcap({ le: true, magic: 0xa1b2c3d4, minor: 3, linkWord: 1, records: [[1, 0, 2, 50, [1, 2]], [1, 0, 40, 2, [3, 4]]] }));
    expect(records.map((r) => [r.capturedLength, r.originalLength])).toEqual([[2, 50], [2, 40]]);
  });

  it('a µs fraction of a million or more is carried into the seconds, with a warning', () => {
    const { records, warnings } = parseBytes(pcap({ le: true, magic: 0xa1b2c3d4, linkWord: 1, records: [[10, 2500000, 1, 1, [0]]] }));
    expect(records[0]).toMatchObject({ tsSec: 12, tsNsec: 500000000 });
    expect(warnings).toHaveLength(1);
  });

  it('an incl_len beyond max(snaplen, 262144) is damage, reported where the field is', () => {
    const { records, error } = parseBytes(pcap({ le: true, magic: 0xa1b2c3d4, linkWord: 1, records: [[1, 0, 1, 1, [5]], [1, 0, 300000, 300000, []]] }));
    expect(records).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'format', offset: 24 + 17 + 8 });
    expect(error!.reason).toMatch(/300000 captured bytes/);
  });

  it('names what an unknown file starts with', () => {
    const { error } = parseBytes(Buffer.from('<!DOCTYPE html>'));
    expect(error).toMatchObject({ kind: 'format', offset: 0 });
    expect(error!.reason).toContain('3c 21 44 4f 43 54 59 50 ("<!DOCTYP")');
  });
});
