// Conformance of ZeekConn with Zeek's own conn.log baselines in the corpus (zeek/BASELINES.tsv)
// and the two conn_state/history values quoted in MANIFEST.tsv. Segments come from the tshark
// golden rows (test/helpers/tshark-tsv.ts), with each frame's real bytes attached from the
// capture: the rows say neither how much payload the snaplen kept (retransmit-fast009 is a
// headers-only capture, hence Zeek's content gaps) nor whether checksums are right (syn-bad,
// checked because Zeek ran it without -C).
//
// Mapping: Zeek's conn.log rows are matched to tshark streams by the unordered 4-tuple. In every
// baseline each TCP row maps to exactly one tshark stream and every stream to one row (Zeek did
// not split or merge any of them); pcapng-multi-interface's rows are UDP and are skipped, and
// syn-bad's baseline is a column cut without addresses (its capture holds one stream).

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ZeekConn, type ZeekConnResult } from '../../src/flow/zeek.js';
import type { FlowSegment } from '../../src/flow/types.js';
import { goldenPaths, goldenStreams, readTsv, type GoldenStream } from '../helpers/tshark-tsv.js';

// The shared corpus when present, else the copy of its TCP captures and baselines in fixtures/.
const sharedCorpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const corpus = existsSync(sharedCorpus) ? sharedCorpus : fileURLToPath(new URL('../../fixtures/corpus/', import.meta.url));
const kernelDir = fileURLToPath(new URL('../../fixtures/kernel/', import.meta.url));

/** A conn.log as rows of column name → value; handles full logs and btest-diff-cut output. */
function readConnLog(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  let fields: string[] | null = null;
  const rows: Record<string, string>[] = [];
  for (const line of lines) {
    if (line.startsWith('#fields')) {
      fields = line.split('\t').slice(1);
      continue;
    }
    if (line.startsWith('#')) continue;
    const cells = line.split('\t');
    if (fields === null) {
      fields = cells; // a cut: the first plain line is the header
      continue;
    }
    const row: Record<string, string> = {};
    fields.forEach((f, i) => (row[f] = cells[i] ?? ''));
    rows.push(row);
  }
  return rows;
}

function streamEnds(g: GoldenStream): [string, string] {
  const r = g.rows[0]!;
  return [
    `${r['ip.src'] || r['ipv6.src']}|${r['tcp.srcport']}`,
    `${r['ip.dst'] || r['ipv6.dst']}|${r['tcp.dstport']}`,
  ];
}

function tupleKey(a: string, b: string): string {
  return a < b ? `${a}~${b}` : `${b}~${a}`;
}

/**
 * Attaches each frame's real bytes from the classic little-endian pcap, so that snaplen-cut
 * payloads (payloadCaptured) and checksums are what Zeek saw; the TSV rows carry neither.
 * Link types: Ethernet (with 802.1Q tags), Linux cooked v1, NULL. IPv4, or IPv6 without
 * extension headers. Frames of other shapes keep the TSV-derived fields.
 */
function attachFrameBytes(pcapPath: string, streams: GoldenStream[]): void {
  const buf = readFileSync(pcapPath);
  expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const linkType = buf.readUInt32LE(20);
  const frames: Uint8Array[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const incl = buf.readUInt32LE(off + 8);
    frames.push(buf.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  for (const g of streams) {
    for (const seg of g.segments) {
      const f = frames[seg.pkt.frame - 1]!;
      let ip: number;
      let version: number;
      if (linkType === 1) {
        let o = 12;
        while (((f[o]! << 8) | f[o + 1]!) === 0x8100) o += 4;
        ip = o + 2;
        version = f[ip]! >> 4;
      } else if (linkType === 113) {
        ip = 16;
        version = f[ip]! >> 4;
      } else if (linkType === 0) {
        ip = 4;
        version = f[ip]! >> 4;
      } else {
        continue;
      }
      let tcpStart: number;
      if (version === 4) tcpStart = ip + (f[ip]! & 0x0f) * 4;
      else if (version === 6 && f[ip + 6] === 6) tcpStart = ip + 40;
      else continue;
      const doff = (f[tcpStart + 12]! >> 4) * 4;
      seg.pkt.data = f;
      seg.pkt.capturedLength = f.length;
      seg.pkt.ipOffset = ip;
      seg.tcp.headerLength = doff;
      seg.tcp.payloadOffset = tcpStart + doff;
      seg.tcp.payloadCaptured = Math.max(0, Math.min(seg.tcp.payloadLength, f.length - tcpStart - doff));
    }
  }
}

function run(segments: FlowSegment[], ignoreChecksums: boolean): ZeekConnResult {
  const conn = new ZeekConn({ ignoreChecksums });
  for (const s of segments) conn.onSegment(s);
  return conn.result();
}

interface Baseline {
  capture: string;
  connLog: string;
  ignoreChecksums: boolean;
}

function baselines(): Baseline[] {
  const out: Baseline[] = [];
  for (const row of readTsv(join(corpus, 'zeek/BASELINES.tsv'))) {
    out.push({
      capture: join(corpus, 'zeek', row['pcap']!),
      connLog: join(corpus, 'zeek', row['zeek_conn_log']!),
      ignoreChecksums: / -C /.test(` ${row['btest_command']} `),
    });
  }
  // Recorded kernel fixtures that come with a Zeek conn.log (none do yet: Zeek is not installed
  // where they are recorded), assumed to have been run with -C.
  if (existsSync(kernelDir)) {
    for (const name of readdirSync(kernelDir).filter((n) => /\.pcapng?$/.test(n))) {
      const capture = join(kernelDir, name);
      const connLog = goldenPaths(capture).zeekConn;
      if (existsSync(connLog)) out.push({ capture, connLog, ignoreChecksums: true });
    }
  }
  return out;
}

/** Every corpus capture with a tshark golden, for the sanity sweep. */
function allGoldens(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allGoldens(p));
    else if (e.name.endsWith('.tshark.tsv')) out.push(p);
  }
  return out.sort();
}

const CONN_STATES = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];

describe.runIf(existsSync(corpus))('ZeekConn against Zeek conn.log baselines', () => {
  const all = baselines();

  it('finds the baselines', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
  });

  for (const b of all) {
    const name = b.capture.slice(b.capture.lastIndexOf('/zeek/') + 6);
    it(`${name}: conn_state, history, roles, counts`, () => {
      const streams = goldenStreams(goldenPaths(b.capture).tshark);
      if (b.capture.endsWith('.pcap')) attachFrameBytes(b.capture, streams);
      const rows = readConnLog(b.connLog).filter((r) => (r['proto'] ?? 'tcp') === 'tcp');
      if (rows.length === 0) {
        expect(streams).toHaveLength(0); // UDP-only capture
        return;
      }
      const byTuple = new Map<string, GoldenStream>();
      for (const g of streams) byTuple.set(tupleKey(...streamEnds(g)), g);
      expect(rows).toHaveLength(streams.length);

      for (const row of rows) {
        let g: GoldenStream | undefined;
        if (row['id.orig_h'] !== undefined) {
          g = byTuple.get(tupleKey(`${row['id.orig_h']}|${row['id.orig_p']}`, `${row['id.resp_h']}|${row['id.resp_p']}`));
        } else {
          g = streams[0]; // column cut without addresses: the capture's only stream
        }
        expect(g, `stream for ${JSON.stringify(row)}`).toBeDefined();
        const ours = run(g!.segments, b.ignoreChecksums);
        const check = (field: string, mine: string | number | null): void => {
          const theirs = row[field];
          if (theirs === undefined) return; // column not in a cut baseline
          // No known differences: every compared field of every baseline row matches.
          const value = mine === null ? '-' : String(mine);
          expect(value, `${name} stream ${g!.stream} ${field}`).toBe(theirs);
        };
        check('conn_state', ours.conn_state);
        check('history', ours.history);
        check('orig_pkts', ours.orig_pkts);
        check('resp_pkts', ours.resp_pkts);
        check('orig_bytes', ours.orig_bytes);
        check('resp_bytes', ours.resp_bytes);
        check('missed_bytes', ours.missed_bytes);
        check('orig_ip_bytes', ours.orig_ip_bytes);
        check('resp_ip_bytes', ours.resp_ip_bytes);
        if (row['id.orig_h'] !== undefined) {
          const origEnd = streamEnds(g!)[ours.orig];
          expect(origEnd).toBe(`${row['id.orig_h']}|${row['id.orig_p']}`);
        }
      }
    });
  }

  // MANIFEST.tsv quotes Zeek's result for two traces whose conn.log is not in the corpus
  // (Baseline/scripts.base.protocols.conn.conn_state-RST-behavior/out).
  const manifest = readTsv(join(corpus, 'MANIFEST.tsv'));
  const quoted = manifest.filter((r) => /zeek: history \S+, conn_state \S+/.test(r['notes'] ?? ''));
  it('MANIFEST quotes two Zeek results', () => {
    expect(quoted.map((r) => r['path'])).toEqual(['zeek/tcp/syn-then-rst.pcap', 'zeek/tcp/syn-then-stuff-then-rst.pcap']);
  });
  for (const r of quoted) {
    const m = /zeek: history (\S+), conn_state (\S+?)[ )]/.exec(r['notes']!)!;
    it(`${r['path']}: history ${m[1]}, conn_state ${m[2]}`, () => {
      const streams = goldenStreams(goldenPaths(join(corpus, r['path']!)).tshark);
      expect(streams).toHaveLength(1);
      const ours = run(streams[0]!.segments, true);
      expect(ours.history).toBe(m[1]);
      expect(ours.conn_state).toBe(m[2]);
    });
  }
});

describe.runIf(existsSync(corpus))('ZeekConn over every corpus capture', () => {
  // No peer output for most captures: checks only that every stream yields a defined code,
  // a history over Zeek's alphabet, and packet counts that add up.
  it('yields valid conn_state and history for every tshark stream', () => {
    let streams = 0;
    for (const tsv of allGoldens(corpus)) {
      for (const g of goldenStreams(tsv)) {
        const r = run(g.segments, true);
        streams++;
        expect(CONN_STATES, `${tsv} stream ${g.stream}`).toContain(r.conn_state);
        expect(r.history, `${tsv} stream ${g.stream}`).toMatch(/^[\^SsHhAaDdFfRrCcGgTtWwIiQq]*$/);
        expect(r.orig_pkts + r.resp_pkts).toBe(g.segments.length);
      }
    }
    expect(streams).toBeGreaterThan(50);
  });
});
