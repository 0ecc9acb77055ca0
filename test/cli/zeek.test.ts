// `synack flows --format zeek` against Zeek's own conn.log baselines in the corpus
// (zeek/BASELINES.tsv): the same header lines and #types, and for every TCP row of a full
// baseline, the same values in each column Zeek computes deterministically. Masked, as the
// baselines themselves mask or as we cannot reproduce: ts and uid (random per run), service
// (needs Zeek's protocol analyzers). syn-bad.pcap is left out: its baseline comes from a run
// with checksum checking on, and synack runs Zeek's logic as `zeek -C`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusDir as sharedCorpusDir, fixturesDir, hasCorpus } from '../helpers/corpus.js';

// The shared corpus when present, else the copy of its TCP captures and baselines in fixtures/.
const corpusDir = hasCorpus ? sharedCorpusDir : join(fixturesDir, 'corpus');
import { readTsv } from '../helpers/tshark-tsv.js';
import { ensureBuilt, run } from './binary.js';

beforeAll(() => ensureBuilt());

interface ZeekLog {
  header: Map<string, string>;
  fields: string[];
  types: string[];
  rows: Record<string, string>[];
}

function parseZeekLog(text: string): ZeekLog {
  const header = new Map<string, string>();
  let fields: string[] = [];
  let types: string[] = [];
  const rows: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('###')) continue;
    if (line.startsWith('#')) {
      const sep = line.startsWith('#separator') ? ' ' : '\t';
      const i = line.indexOf(sep);
      const key = line.slice(1, i);
      const value = line.slice(i + 1);
      header.set(key, value);
      if (key === 'fields') fields = value.split('\t');
      if (key === 'types') types = value.split('\t');
      continue;
    }
    const cells = line.split('\t');
    expect(cells).toHaveLength(fields.length);
    rows.push(Object.fromEntries(fields.map((f, i) => [f, cells[i]!])));
  }
  return { header, fields, types, rows };
}

const MASKED = new Set(['ts', 'uid', 'service']);
const key = (r: Record<string, string>): string => `${r['id.orig_h']}|${r['id.orig_p']}|${r['id.resp_h']}|${r['id.resp_p']}`;

describe('--format zeek against Zeek conn.log baselines', () => {
  const baselines = readTsv(join(corpusDir, 'zeek', 'BASELINES.tsv')).filter((b) => b['columns'] === 'full conn.log');

  it('the corpus has full baselines to compare with', () => {
    expect(baselines.length).toBeGreaterThanOrEqual(8);
  });

  for (const b of baselines) {
    it(b['pcap']!, async () => {
      const base = parseZeekLog(readFileSync(join(corpusDir, 'zeek', b['zeek_conn_log']!), 'utf8'));
      const r = await run(['flows', join(corpusDir, 'zeek', b['pcap']!), '--format', 'zeek']);
      expect(r.code).toBe(0);
      const ours = parseZeekLog(r.stdout);
      // Header lines zeek-cut relies on, and the same columns with the same types.
      for (const h of ['separator', 'set_separator', 'empty_field', 'unset_field', 'path']) expect(ours.header.get(h)).toBe(base.header.get(h));
      expect(ours.fields).toEqual(base.fields);
      expect(ours.types).toEqual(base.types);
      const tcp = base.rows.filter((x) => x['proto'] === 'tcp');
      const byKey = new Map(ours.rows.map((x) => [key(x), x]));
      for (const want of tcp) {
        const got = byKey.get(key(want));
        expect(got, `no row for ${key(want)}`).toBeDefined();
        for (const f of base.fields) {
          if (MASKED.has(f)) continue;
          expect(`${f}=${got![f]}`).toBe(`${f}=${want[f]}`);
        }
      }
    });
  }
});

