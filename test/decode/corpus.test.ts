// Corpus conformance: every frame of every capture in the shared corpus, decoded by synack,
// against TShark 4.0.17's golden X.tshark.tsv rows (addresses, ports, flags, raw seq/ack,
// tcp.len, window, MSS, window-scale shift, SACK-permitted, timestamps). Frames without a
// tshark row must not decode as TCP. Differences are allowed only when listed below with why.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/decode/address.js';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import { corpusDir as CORPUS, corpusFile, corpusFiles, hasCorpus } from '../helpers/corpus.js';
import { readRecords } from './mini-reader.js';

const FIELDS = [
  'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'tcp.flags',
  'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.window_size_value', 'tcp.options.mss_val',
  'tcp.options.wscale.shift', 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
] as const;
type Field = (typeof FIELDS)[number];

/** tshark's golden rows keyed by frame number. */
function goldenRows(tsv: string): Map<number, Record<string, string>> {
  const rows = new Map<number, Record<string, string>>();
  const lines = readFileSync(tsv, 'utf8').split('\n').filter((l) => l !== '');
  if (lines.length === 0) return rows;
  const header = lines[0]!.split('\t');
  for (const line of lines.slice(1)) {
    const cells = line.split('\t');
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = cells[i] ?? ''));
    rows.set(Number(row['frame.number']), row);
  }
  return rows;
}

/**
 * Known differences, "capture frame field" → reason. Each is a deliberate choice (see the
 * decoders' Limitations comments); the test fails if one disappears, so the list stays true.
 */
const KNOWN: Record<string, string> = {
  'pcapplusplus/frag_http_req.pcap 11 row':
    'tshark reassembles the 11 IPv4 fragments and shows the segment on the last one; we do not reassemble (ipv4.ts)',
  'zeek/ipv4/fragmented-syn.pcap 2 row':
    'tshark reassembles the 2 IPv4 fragments of the SYN and shows it on frame 2; we do not reassemble (ipv4.ts)',
};

interface Outcome {
  frames: number;
  rows: number;
  matched: number;
  mismatches: string[];
}

function check(rel: string): Outcome {
  const capture = corpusFile(rel);
  const tsv = capture.replace(/\.pcap(ng)?$/, '.tshark.tsv');
  const golden = goldenRows(tsv);
  const pkt = newDecodedPacket();
  const result: Outcome = { frames: 0, rows: golden.size, matched: 0, mismatches: [] };
  const seen = new Set<number>();
  for (const rec of readRecords(capture)) {
    result.frames++;
    decodePacket(rec, pkt);
    const row = golden.get(rec.frame);
    if (row === undefined) {
      if (pkt.tcp !== null) result.mismatches.push(`${rel} ${rec.frame} row: TCP for us, no tshark row`);
      continue;
    }
    seen.add(rec.frame);
    const tcp = pkt.tcp;
    if (tcp === null) {
      result.mismatches.push(`${rel} ${rec.frame} row: tshark row, not TCP for us (${pkt.notTcp})`);
      continue;
    }
    const v6 = pkt.ipVersion === 6;
    const addr = (w: Uint32Array) => (pkt.ipVersion === 0 ? '' : formatAddress(pkt.ipVersion as 4 | 6, w));
    const o = tcp.options;
    const ours: Record<Field, string> = {
      'ip.src': v6 ? '' : addr(pkt.srcAddr),
      'ipv6.src': v6 ? addr(pkt.srcAddr) : '',
      'tcp.srcport': String(tcp.srcPort),
      'ip.dst': v6 ? '' : addr(pkt.dstAddr),
      'ipv6.dst': v6 ? addr(pkt.dstAddr) : '',
      'tcp.dstport': String(tcp.dstPort),
      'tcp.flags': `0x${tcp.flags.toString(16).padStart(4, '0')}`,
      'tcp.seq_raw': String(tcp.seq),
      'tcp.ack_raw': String(tcp.ack),
      'tcp.len': String(tcp.payloadLength),
      'tcp.window_size_value': String(tcp.window),
      'tcp.options.mss_val': o.mss === undefined ? '' : String(o.mss),
      'tcp.options.wscale.shift': o.wscale === undefined ? '' : String(o.wscale),
      'tcp.options.sack_perm': o.sack_perm ? '0402' : '',
      'tcp.options.timestamp.tsval': o.ts_val === undefined ? '' : String(o.ts_val),
      'tcp.options.timestamp.tsecr': o.ts_ecr === undefined ? '' : String(o.ts_ecr),
    };
    let ok = true;
    for (const f of FIELDS) {
      if (ours[f] !== row[f]) {
        ok = false;
        result.mismatches.push(`${rel} ${rec.frame} ${f}: ours '${ours[f]}', tshark '${row[f]}'`);
      }
    }
    if (ok) result.matched++;
  }
  for (const frame of golden.keys()) {
    if (!seen.has(frame)) result.mismatches.push(`${rel} ${frame} row: tshark row, frame not read by us`);
  }
  return result;
}

describe.runIf(hasCorpus)('corpus conformance with TShark 4.0.17 (shared/corpus)', () => {
  const all = corpusFiles(/\.pcap(ng)?$/);
  const outcomes = new Map(all.map((c) => [c, check(c)]));

  it('finds the corpus captures', () => {
    expect(all.length).toBeGreaterThanOrEqual(70);
  });

  it.each(all)('%s matches tshark', (capture) => {
    const outcome = outcomes.get(capture)!;
    const unexplained = outcome.mismatches.filter((m) => KNOWN[m.slice(0, m.indexOf(':'))] === undefined);
    expect(unexplained).toEqual([]);
  });

  it('lists only differences that still occur', () => {
    const keys = new Set([...outcomes.values()].flatMap((o) => o.mismatches.map((m) => m.slice(0, m.indexOf(':')))));
    expect(Object.keys(KNOWN).filter((k) => !keys.has(k))).toEqual([]);
  });

  it('reports the totals', () => {
    const rows = [...outcomes.values()].reduce((n, o) => n + o.rows, 0);
    const matched = [...outcomes.values()].reduce((n, o) => n + o.matched, 0);
    const frames = [...outcomes.values()].reduce((n, o) => n + o.frames, 0);
    console.log(`corpus: ${all.length} captures, ${frames} frames, ${matched}/${rows} tshark TCP rows identical`);
    expect(matched).toBeGreaterThan(0);
  });
});

describe('corpus location', () => {
  it('finds the shared corpus, or says it is absent', () => {
    if (!hasCorpus) {
      console.log(`corpus not found at ${CORPUS}; the corpus-wide checks were not run`);
      return;
    }
    expect(existsSync(join(CORPUS, 'MANIFEST.tsv'))).toBe(true);
  });
});
