// pcapng reader against tshark's view of each file (fixtures/formats/tshark/*.frames.tsv,
// made by TShark 4.0.17 — see fixtures/formats/README.md), the generator's block counts, and
// hand-built blocks per the pcapng draft.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tickResolution, ticksToTime } from '../../src/capture/timestamp.js';
import { corpusFile, corpusFiles, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { PcapngWriter } from './pcapng-writer.js';
import { epoch, parseBytes, type PlainRecord } from './support.js';

interface TsharkFrame {
  frame: number;
  time: string;
  len: number;
  caplen: number;
  interfaceId: string;
  section: string;
  comment: string;
}

function tsharkFrames(name: string): TsharkFrame[] {
  const text = readFileSync(join(fixturesDir, 'formats/tshark', `${name}.frames.tsv`), 'utf8');
  return text.split('\n').slice(1).filter(Boolean).map((line) => {
    const [frame, time, len, caplen, interfaceId, section, comment] = line.split('\t');
    return { frame: Number(frame), time: time!, len: Number(len), caplen: Number(caplen), interfaceId: interfaceId!, section: section!, comment: comment ?? '' };
  });
}

/**
 * Compare with tshark. TShark 4.0 also lists Custom Blocks as frames with no interface; those
 * rows are dropped (our frames count packet blocks only). It prints no time for an SPB, which
 * has none; we give 0.
 */
function compareWithTshark(records: PlainRecord[], frames: TsharkFrame[]): void {
  const packets = frames.filter((f) => f.interfaceId !== '');
  expect(records.length).toBe(packets.length);
  records.forEach((r, i) => {
    const t = packets[i]!;
    const where = `tshark frame ${t.frame}`;
    expect(t.time === '' ? '0.000000000' : t.time, where).toBe(epoch(r));
    expect(r.originalLength, where).toBe(t.len);
    expect(r.capturedLength, where).toBe(t.caplen);
    expect(r.data.length, where).toBe(t.caplen);
    expect(String(r.interfaceId), where).toBe(t.interfaceId);
    expect((r.comment ?? '').split('\n').join(','), where).toBe(t.comment);
  });
}

const pcapngs = corpusFiles(/\.pcapng$/).filter((f) => !f.startsWith('libpcap/') && !f.startsWith('derived/'));

describe.runIf(hasCorpus)('corpus pcapng files agree with tshark', () => {
  it('finds them', () => expect(pcapngs.length).toBe(8));
  it.each(pcapngs)('%s', (rel) => {
    const { records, error } = parseBytes(readFileSync(corpusFile(rel)));
    expect(error).toBeNull();
    compareWithTshark(records, tsharkFrames(rel.replaceAll('/', '__')));
  });

  it('pcapng-test-generator block counts: EPB + SPB packets, sections, interfaces', () => {
    for (const rel of pcapngs.filter((f) => f.startsWith('pcapng-test-generator/'))) {
      const txt = readFileSync(corpusFile(rel.replace(/\.pcapng$/, '.txt')), 'utf8');
      const count = (b: string): number => Number(new RegExp(`\\t${b}: (\\d+)`).exec(txt)?.[1] ?? 0);
      const { records, parser } = parseBytes(readFileSync(corpusFile(rel)));
      expect(records.length, rel).toBe(count('EPB') + count('SPB'));
      expect(parser.sections, rel).toBe(count('SHB'));
      expect(parser.interfaces.length, rel).toBe(count('IDB'));
    }
  });

  it('test202: three sections in BE, LE, BE order; interface ids restart per section', () => {
    const { records, parser } = parseBytes(readFileSync(corpusFile('pcapng-test-generator/output_be/difficult/test202.pcapng')));
    expect(parser.interfaces.map((i) => i.id)).toEqual([0, 1, 0, 0, 1]);
    expect(records.map((r) => r.interfaceId)).toEqual([0, 0, 1, 0, 0, 0, 0, 1]);
    expect(records.map((r) => r.linkType)).toEqual([1, 1, 0, 1, 1, 1, 1, 0]);
  });

  it('pcapng-example: EN10MB and LINUX_SLL interfaces, ns clock, 100+ packet comments', () => {
    const { records, parser } = parseBytes(readFileSync(corpusFile('pcapplusplus/pcapng-example.pcapng')));
    expect(parser.interfaces.map((i) => [i.linkType, i.tsPrecision])).toEqual([[1, 9], [113, 6]]);
    expect(records.filter((r) => r.comment !== null).length).toBeGreaterThan(90);
    expect(records.find((r) => r.comment !== null)).toMatchObject({ frame: 60, comment: 'Packet #1', interfaceId: 1, linkType: 113 });
  });

  it('pcapng-multi-interface: if_tsresol 10^-9 on one IDB, 10^-6 on the other', () => {
    const { records, parser } = parseBytes(readFileSync(corpusFile('zeek/pcapng-multi-interface.pcapng')));
    expect(parser.interfaces.map((i) => i.tsPrecision)).toEqual([9, 6]);
    expect(records.map((r) => r.tsPrecision)).toEqual([9, 9, 6, 6, 6, 6]);
  });

  it('test008: if_name, if_fcslen and if_tsresol read from IDB options', () => {
    const { records, parser } = parseBytes(readFileSync(corpusFile('pcapng-test-generator/output_le/basic/test008.pcapng')));
    // Interface names as tshark prints them (frame.interface_name): "eth-_0 foo" and "en1".
    expect(parser.interfaces.map((i) => i.name)).toEqual(['eth-_0 foo', 'en1']);
    expect(parser.interfaces.map((i) => i.tsPrecision)).toEqual([9, 9]);
    expect(records.every((r) => r.fcsLength === records[0]!.fcsLength)).toBe(true);
  });
});

describe('big-endian fixture with a binary clock (2^-20 s) and if_tsoffset', () => {
  const bytes = readFileSync(join(fixturesDir, 'formats/print-flags-be-bin20.pcapng'));
  const parsed = parseBytes(bytes);

  it('agrees with tshark on every frame (times, lengths, comments)', () => {
    expect(parsed.error).toBeNull();
    compareWithTshark(parsed.records, tsharkFrames('print-flags-be-bin20.pcapng'));
  });

  it('describes the interface and reads the obsolete Packet Block (frame 7)', () => {
    expect(parsed.parser.interfaces).toEqual([{ id: 0, linkType: 1, snapLength: 65535, tsPrecision: 9, name: 'eth-be' }]);
    expect(parsed.records.map((r) => r.frame)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(parsed.warnings).toEqual([]);
  });

  it.runIf(hasCorpus)('carries the same packet bytes as the pcap it was made from', () => {
    const source = parseBytes(readFileSync(corpusFile('tcpdump/print-flags.pcap')));
    expect(parsed.records.map((r) => r.data.toString('hex'))).toEqual(source.records.map((r) => r.data.toString('hex')));
  });
});

describe('hand-built pcapng blocks', () => {
  it('SPB takes min(original length, snaplen) bytes from interface 0 of its section', () => {
    const w = new PcapngWriter(true);
    w.shb().idb(101, 4).spb(Uint8Array.of(0x45, 0, 0, 20), 20);
    const { records, error } = parseBytes(w.bytes());
    expect(error).toBeNull();
    expect(records[0]).toMatchObject({ capturedLength: 4, originalLength: 20, linkType: 101, interfaceId: 0, tsSec: 0, tsNsec: 0 });
  });

  it('an EPB naming an interface its section lacks is an error at its interface id', () => {
    const w = new PcapngWriter(true);
    w.shb().idb(1, 0).epb(1, 0n, Uint8Array.of(1), 1);
    const { error } = parseBytes(w.bytes());
    expect(error).toMatchObject({ kind: 'format', offset: 28 + 20 + 8 });
    expect(error!.reason).toMatch(/interface 1.*only 1 interface/);
  });

  it('interfaces from an earlier section are forgotten by the next SHB', () => {
    const w = new PcapngWriter(false);
    w.shb().idb(1, 0).epb(0, 0n, Uint8Array.of(1), 1);
    w.setByteOrder(true);
    w.shb().epb(0, 0n, Uint8Array.of(2), 1);
    const { records, error } = parseBytes(w.bytes());
    expect(records).toHaveLength(1);
    expect(error!.reason).toMatch(/before any Interface Description Block/);
  });

  it('if_tsresol 10^-3 and a negative if_tsoffset', () => {
    const w = new PcapngWriter(true);
    w.shb().idb(1, 0, [w.option(9, Uint8Array.of(3)), w.option(14, w.i64(-100n))]).epb(0, 1234567n, Uint8Array.of(0), 1);
    const { records } = parseBytes(w.bytes());
    expect(records[0]).toMatchObject({ tsSec: 1234 - 100, tsNsec: 567000000, tsPrecision: 3 });
  });

  it('if_fcslen is in bits: 32 means a 4-byte FCS on every packet of the interface', () => {
    const w = new PcapngWriter(false);
    w.shb().idb(1, 0, [w.option(13, Uint8Array.of(32))]).epb(0, 0n, new Uint8Array(64), 64);
    const { records } = parseBytes(w.bytes());
    expect(records[0]!.fcsLength).toBe(4);
  });

  it('an option running past the end of an EPB costs the options, not the packet', () => {
    const w = new PcapngWriter(true);
    w.shb().idb(1, 0);
    const bytes = Buffer.from(w.epb(0, 0n, Uint8Array.of(1, 2, 3, 4), 4, [w.stringOption(1, 'ok')]).bytes());
    // Rewrite the comment's length (at EPB + 28 + 4 + 2) from 2 to 200.
    const epbStart = bytes.length - (12 + 20 + 4 + 8 + 4);
    bytes.writeUInt16LE(200, epbStart + 28 + 4 + 2);
    const { records, error, warnings } = parseBytes(bytes);
    expect(error).toBeNull();
    expect(records[0]).toMatchObject({ comment: null, capturedLength: 4 });
    expect(warnings[0]!.message).toMatch(/option 1 says 200 bytes/);
  });

  it('unknown block types are skipped with one warning per type', () => {
    const w = new PcapngWriter(true);
    w.shb().idb(1, 0).raw(0x12345678, new Uint8Array(8)).raw(0x12345678, new Uint8Array(4)).epb(0, 0n, Uint8Array.of(1), 1);
    const { records, warnings, error } = parseBytes(w.bytes());
    expect(error).toBeNull();
    expect(records).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.offset).toBe(28 + 20);
  });
});

describe('exact 64-bit timestamp division', () => {
  /** Reference conversion with BigInt. */
  function reference(ticks: bigint, tsresol: number): [number, number] {
    const binary = (tsresol & 0x80) !== 0;
    const n = BigInt(tsresol & 0x7f);
    const perSec = binary ? 1n << n : 10n ** n;
    const sec = ticks / perSec;
    const frac = ticks % perSec;
    return [Number(sec), Number((frac * 1_000_000_000n) / perSec)];
  }

  it('matches BigInt arithmetic for every decimal and some binary resolutions', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0x80, max: 0x80 + 63 })),
        (ticks, tsresol) => {
          const res = tickResolution(tsresol)!;
          const out = { tsSec: 0, tsNsec: 0 };
          const safe = ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), res, 0, out);
          const [sec, nsec] = reference(ticks, tsresol);
          expect(out.tsNsec).toBe(nsec);
          if (safe) expect(out.tsSec).toBe(sec);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('matches BigInt below 2^53 ticks (the single-division path), next to whole seconds too', () => {
    const whole = fc.tuple(fc.bigInt({ min: 0n, max: 5_000_000_000n }), fc.constantFrom(-2n, -1n, 0n, 1n));
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: 0n, max: (1n << 53n) - 1n }), whole),
        fc.integer({ min: 0, max: 9 }),
        (t, tsresol) => {
          const perSec = 10n ** BigInt(tsresol);
          const ticks = typeof t === 'bigint' ? t : t[0] * perSec + t[1];
          if (ticks < 0n || ticks >= 1n << 53n) return;
          const res = tickResolution(tsresol)!;
          const out = { tsSec: 0, tsNsec: 0 };
          expect(ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), res, 0, out)).toBe(true);
          expect([out.tsSec, out.tsNsec]).toEqual(reference(ticks, tsresol));
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('2^64 − 1 ns is 18446744073.709551615 s', () => {
    const out = { tsSec: 0, tsNsec: 0 };
    expect(ticksToTime(0xffffffff, 0xffffffff, tickResolution(9)!, 0, out)).toBe(true);
    expect(out).toEqual({ tsSec: 18446744073, tsNsec: 709551615 });
  });

  it('refuses resolutions libpcap refuses: 2^-64 and finer, 10^-20 and finer', () => {
    expect(tickResolution(0x80 | 63)).not.toBeNull();
    expect(tickResolution(0x80 | 64)).toBeNull();
    expect(tickResolution(19)).not.toBeNull();
    expect(tickResolution(20)).toBeNull();
  });
});
