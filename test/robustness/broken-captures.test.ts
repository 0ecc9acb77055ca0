// The corpus's broken files through the real command line (in-process, with a memory Io):
// libpcap's own reject tests (libpcap/, with libpcap's message in EXPECTED_ERRORS.tsv) and the
// derived captures (derived/). Capture-level damage must give exit status 3 and one stderr line
// naming the file, the byte offset and what was wrong, after printing everything before it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { corpusFile, corpusFiles, hasCorpus } from '../helpers/corpus.js';

async function synack(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await run(argv, io);
  return { code, out: io.out, err: io.err };
}

/** Rows of a tshark golden (header excluded). */
function tsharkRows(rel: string): number {
  const text = readFileSync(corpusFile(rel.replace(/\.pcap(ng)?$/, '.tshark.tsv')), 'utf8');
  return text.split('\n').filter(Boolean).length - (text.length > 0 ? 1 : 0);
}

/** The "(byte offset N)" of an error line. */
function offsetIn(line: string): number {
  const m = /\(byte offset (\d+)\)/.exec(line);
  expect(m, line).not.toBeNull();
  return Number(m![1]);
}

/**
 * What libpcap's message says that ours must say too: the numbers and values it quotes. Some
 * numbers are libpcap's read bookkeeping rather than facts about the file: the 4 bytes it tried
 * to read from the empty file; 19 for the 23-byte file (it counts after the 4-byte magic; we
 * count all 23); and 32 for the SHB's total length, which bytes 4-7 (34 00 00 00) give as 52.
 */
const NOT_OURS: Record<string, string[]> = {
  'pcap-empty-file.pcap': ['4'],
  'pcap-truncated-hdr-23.pcap': ['19'],
  'shb-option-too-long.pcapng': ['32'],
};
function quotedFacts(file: string, libpcapError: string): string[] {
  const skip = NOT_OURS[file] ?? [];
  return (libpcapError.match(/0x[0-9a-f]+|2\^-\d+|\d+(\.\d+)?/g) ?? []).filter((n) => !skip.includes(n));
}

describe.runIf(hasCorpus)('libpcap/ reject tests through the CLI', () => {
  const expected = hasCorpus
    ? readFileSync(corpusFile('libpcap/EXPECTED_ERRORS.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => l.split('\t') as [string, string])
    : [];

  it('lists every capture in the folder', () => {
    expect(expected.map(([f]) => `libpcap/${f}`).sort()).toEqual(corpusFiles(/\.pcap(ng)?$/).filter((f) => f.startsWith('libpcap/')));
  });

  for (const [file, libpcapError] of expected) {
    for (const command of ['packets', 'flows'] as const) {
      it(`${command} ${file}: exit 3, file, offset and what libpcap says`, async () => {
        const path = corpusFile(`libpcap/${file}`);
        const size = readFileSync(path).length;
        const r = await synack(command, '--format', 'ndjson', path);
        expect(r.code).toBe(3);
        expect(r.out).toBe('');
        const lines = r.err.split('\n').filter(Boolean);
        expect(lines).toHaveLength(1);
        const line = lines[0]!;
        expect(line.startsWith(`synack: ${path}: `)).toBe(true);
        expect(offsetIn(line)).toBeLessThanOrEqual(size);
        for (const fact of quotedFacts(file, libpcapError.replace(/^Failed opening: /, ''))) expect(line).toContain(fact);
        expect(line).not.toMatch(/\n\s+at |Error:/);
      });
    }
  }
});

/** Byte offset where the last, cut-off unit starts, found by walking the length fields. */
function lastUnitStart(bytes: Uint8Array, pcapng: boolean): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = pcapng ? 0 : 24;
  for (;;) {
    const len = pcapng ? v.getUint32(at + 4, true) : 16 + v.getUint32(at + 8, true);
    if (at + len > bytes.length) return at;
    at += len;
  }
}

describe.runIf(hasCorpus)('derived/ captures through the CLI', () => {
  it('covers the folder', () => {
    expect(corpusFiles(/\.pcap(ng)?$/).filter((f) => f.startsWith('derived/'))).toEqual([
      'derived/loop108-null_loopback.pcap',
      'derived/raw14-payload-syn.pcap',
      'derived/trunc-midblock-retransmit-timeout.pcapng',
      'derived/trunc-midrecord-one_tcp_stream_fin_rst_close_packet.pcap',
    ]);
  });

  for (const rel of ['derived/loop108-null_loopback.pcap', 'derived/raw14-payload-syn.pcap']) {
    it(`${rel} is whole: exit 0, one record per tshark row`, async () => {
      const r = await synack('packets', '--format', 'ndjson', corpusFile(rel));
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out.split('\n').filter(Boolean)).toHaveLength(tsharkRows(rel));
    });
  }

  for (const rel of ['derived/trunc-midrecord-one_tcp_stream_fin_rst_close_packet.pcap', 'derived/trunc-midblock-retransmit-timeout.pcapng']) {
    it(`${rel}: what precedes the cut is printed (as many records as tshark), then exit 3 naming the cut`, async () => {
      const path = corpusFile(rel);
      const bytes = new Uint8Array(readFileSync(path));
      const cutAt = lastUnitStart(bytes, rel.endsWith('.pcapng'));
      const rows = tsharkRows(rel);
      expect(rows).toBeGreaterThan(0);

      const p = await synack('packets', '--format', 'ndjson', path);
      expect(p.code).toBe(3);
      const records = p.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { frame: number });
      expect(records.map((r) => r.frame)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
      const err = p.err.split('\n').filter(Boolean);
      expect(err).toHaveLength(1);
      expect(err[0]).toContain(`synack: ${path}: `);
      expect(err[0]).toMatch(/cut short/);
      expect(offsetIn(err[0]!)).toBe(cutAt);
      expect(err[0]).toContain(`${rows} frames read before it are reported`);

      // flows: the flows of the frames before the cut are reported too.
      const f = await synack('flows', '--format', 'ndjson', path);
      expect(f.code).toBe(3);
      const flows = f.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { packets: { client: number; server: number } });
      expect(flows.length).toBeGreaterThan(0);
      expect(flows.reduce((n, x) => n + x.packets.client + x.packets.server, 0)).toBe(rows);

      // The text table keeps its footer after the error line.
      const t = await synack('flows', path);
      expect(t.code).toBe(3);
      expect(t.err).toMatch(new RegExp(`synack: .*: ${rows} frames`));
    });
  }
});

describe('capture-level errors without the corpus', () => {
  it('a missing file: exit 3 and the file named', async () => {
    const r = await synack('packets', 'no/such/file.pcap');
    expect(r.code).toBe(3);
    expect(r.err).toBe('synack: no/such/file.pcap: cannot read the capture file: no such file\n');
  });
});
