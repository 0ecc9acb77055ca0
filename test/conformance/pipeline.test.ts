// End-to-end conformance: every capture goes through the real pipeline (reader → decoders →
// flow tracker) and every TCP segment is compared with TShark 4.0.17's dump of the same file
// (X.tshark.tsv, X.analysis.tsv, X.streams.tsv), field by field. Differences are allowed only
// where listed below with the reason.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeInput } from '../../src/pipeline.js';
import { segmentResults } from '../../src/cli/packets.js';
import { packetRecord } from '../../src/render/packet-record.js';
import { corpusDir, fixturesDir, hasCorpus } from '../helpers/corpus.js';
import { goldenPaths, readTsv, type TsvRow } from '../helpers/tshark-tsv.js';

/** What we keep of each segment for the comparison. */
interface Seen {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  stream: number;
  flags: number;
  seq: number;
  ack: number;
  relSeq: number;
  relAck: number;
  len: number;
  win: number;
  winScaled: number | null;
  mss?: number;
  wscale?: number;
  sackPerm: boolean;
  tsVal?: number;
  tsEcr?: number;
  analysis: readonly string[];
  dupAckNum: number;
}

/**
 * Frames where TShark 4.0.17 and synack legitimately disagree, by capture path relative to its
 * folder (`corpus/...` covers both fixtures/corpus and ../shared/corpus).
 */
const KNOWN_FRAME_DIFFERENCES: Record<string, { frames: number[]; reason: string }> = {
  'pcapplusplus/frag_http_req.pcap': {
    frames: [11],
    reason: 'tshark reassembles IP fragments and shows the TCP segment on the last fragment; synack does not reassemble',
  },
  'zeek/ipv4/fragmented-syn.pcap': {
    frames: [2],
    reason: 'tshark reassembles IP fragments and shows the TCP segment on the last fragment; synack does not reassemble',
  },
};

/** Streams whose final completeness differs, with the reason. */
const KNOWN_COMPLETENESS_DIFFERENCES: Record<string, { streams: number[]; reason: string }> = {
  'pcapplusplus/frag_http_req.pcap': {
    streams: [0],
    reason: 'the only TCP segment is in IP fragments, which synack does not reassemble: no flow at all',
  },
  'zeek/ipv4/fragmented-syn.pcap': {
    streams: [0],
    reason: 'the only TCP segment is in IP fragments, which synack does not reassemble: no flow at all',
  },
  'zeek/ftp/ipv6.pcap': {
    streams: [1, 2, 3],
    reason:
      "passive-mode FTP data connections: tshark's FTP dissector creates the conversation before the SYN, so tshark never sets the SYN bit",
  },
};

function capturesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.pcap(ng)?$/.test(name) && existsSync(goldenPaths(p).tshark)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

async function run(path: string): Promise<{ seen: Map<number, Seen>; error: string | null }> {
  const seen = new Map<number, Seen>();
  const report = await analyzeInput(
    path,
    {
      onSegment: (pkt, info) => {
        const r = segmentResults(pkt, info);
        const rec = packetRecord(pkt, r);
        const o = pkt.tcp!.options;
        seen.set(pkt.frame, {
          src: rec.src,
          dst: rec.dst,
          sport: rec.sport,
          dport: rec.dport,
          stream: rec.stream,
          flags: rec.flags,
          seq: rec.seq,
          ack: rec.ack,
          relSeq: rec.rel_seq,
          relAck: rec.rel_ack,
          len: rec.len,
          win: rec.win,
          winScaled: rec.win_scaled,
          mss: o.mss,
          wscale: o.wscale,
          sackPerm: o.sack_perm === true,
          tsVal: o.ts_val,
          tsEcr: o.ts_ecr,
          analysis: r.analysis,
          dupAckNum: info ? info.flow.wireshark.dupAckNum : 0,
        });
      },
    },
    // TShark 4.0's rule for reused ports (the goldens were made with 4.0.17).
    { streamRules: '4.0' },
  );
  return { seen, error: report.capture.error?.message ?? null };
}

const opt = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));

/** Compares one frame; returns the names of the fields that differ. */
function compareFrame(row: TsvRow, a: TsvRow | undefined, s: Seen): string[] {
  const bad: string[] = [];
  const check = (name: string, ours: unknown, theirs: unknown): void => {
    if (ours !== theirs) bad.push(`${name}: synack ${String(ours)}, tshark ${String(theirs)}`);
  };
  check('src', s.src, row['ip.src'] || row['ipv6.src']);
  check('dst', s.dst, row['ip.dst'] || row['ipv6.dst']);
  check('sport', s.sport, Number(row['tcp.srcport']));
  check('dport', s.dport, Number(row['tcp.dstport']));
  check('stream', s.stream, Number(row['tcp.stream']));
  check('flags', s.flags, parseInt(row['tcp.flags']!, 16));
  check('seq_raw', s.seq, Number(row['tcp.seq_raw']));
  check('ack_raw', s.ack, Number(row['tcp.ack_raw']));
  check('rel_seq', s.relSeq, Number(row['tcp.seq']));
  check('rel_ack', s.relAck, Number(row['tcp.ack']));
  check('len', s.len, Number(row['tcp.len']));
  check('win', s.win, Number(row['tcp.window_size_value']));
  // win_scaled is null exactly where tshark does not know the scale (it then prints the raw value).
  check('win_scaled', s.winScaled ?? s.win, Number(row['tcp.window_size']));
  check('mss', s.mss, opt(row['tcp.options.mss_val']));
  check('wscale', s.wscale, opt(row['tcp.options.wscale.shift']));
  check('sack_perm', s.sackPerm, row['tcp.options.sack_perm'] !== '');
  check('ts_val', s.tsVal, opt(row['tcp.options.timestamp.tsval']));
  check('ts_ecr', s.tsEcr, opt(row['tcp.options.timestamp.tsecr']));
  if (a) {
    const theirs = Object.keys(a)
      .filter((k) => k.startsWith('tcp.analysis.') && k !== 'tcp.analysis.initial_rtt' && a[k] !== '')
      .map((k) => k.slice('tcp.analysis.'.length))
      .map((k) => (k === 'duplicate_ack_num' ? 'duplicate_ack' : k))
      .sort();
    check('analysis', [...s.analysis].sort().join(','), theirs.join(','));
    check('duplicate_ack_num', s.dupAckNum, Number(a['tcp.analysis.duplicate_ack_num'] || 0));
  }
  return bad;
}

interface Totals {
  captures: number;
  frames: number;
  agreeing: number;
  documented: number;
}

function conformanceSuite(title: string, root: string): void {
  const captures = capturesUnder(root);
  const totals: Totals = { captures: 0, frames: 0, agreeing: 0, documented: 0 };
  describe(title, () => {
    for (const path of captures) {
      const rel = relative(root, path).split('\\').join('/');
      it(rel, async () => {
        const g = goldenPaths(path);
        const rows = readTsv(g.tshark);
        const analysis = new Map(readTsv(g.analysis).map((r) => [Number(r['frame.number']), r]));
        const { seen } = await run(path);
        const known = KNOWN_FRAME_DIFFERENCES[rel];
        const problems: string[] = [];
        totals.captures++;
        const tsharkFrames = new Set<number>();
        for (const row of rows) {
          const frame = Number(row['frame.number']);
          tsharkFrames.add(frame);
          totals.frames++;
          if (known?.frames.includes(frame)) {
            totals.documented++;
            continue;
          }
          const s = seen.get(frame);
          if (!s) {
            problems.push(`frame ${frame}: tshark shows a TCP segment, synack none`);
            continue;
          }
          const bad = compareFrame(row, analysis.get(frame), s);
          if (bad.length === 0) totals.agreeing++;
          else problems.push(`frame ${frame}: ${bad.join('; ')}`);
        }
        for (const frame of seen.keys()) {
          if (!tsharkFrames.has(frame)) problems.push(`frame ${frame}: synack shows a TCP segment, tshark none`);
        }
        // Final (two-pass) completeness per stream.
        const knownC = KNOWN_COMPLETENESS_DIFFERENCES[rel];
        const finalByStream = new Map<number, number>();
        const { flows } = await flowsOf(path);
        for (const f of flows) finalByStream.set(f.stream, f.completeness);
        for (const r of readTsv(g.streams)) {
          const stream = Number(r['stream']);
          if (knownC?.streams.includes(stream)) continue;
          const ours = finalByStream.get(stream);
          if (ours !== Number(r['completeness'])) {
            problems.push(`stream ${stream}: completeness synack ${ours}, tshark ${r['completeness']}`);
          }
        }
        expect(problems).toEqual([]);
      });
    }
    it('totals', () => {
      // Printed for the record; the per-capture tests above are the assertions.
      console.log(
        `${title}: ${totals.captures} captures, ${totals.frames} tshark TCP rows, ${totals.agreeing} identical in every field, ${totals.documented} documented differences`,
      );
      expect(totals.agreeing + totals.documented).toBe(totals.frames);
    });
  });
}

import { flowReport, type FlowReport } from '../../src/flow/report.js';

async function flowsOf(path: string): Promise<{ flows: FlowReport[] }> {
  const flows: FlowReport[] = [];
  await analyzeInput(path, { onFlow: (f) => flows.push(flowReport(f).report) }, { streamRules: '4.0' });
  return { flows };
}

conformanceSuite('fixtures/kernel vs TShark 4.0.17', join(fixturesDir, 'kernel'));
conformanceSuite('fixtures/corpus vs TShark 4.0.17', join(fixturesDir, 'corpus'));
describe.runIf(hasCorpus)('shared corpus', () => {
  conformanceSuite('../shared/corpus vs TShark 4.0.17', corpusDir);
});
