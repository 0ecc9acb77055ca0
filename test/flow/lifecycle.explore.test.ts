import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { Lifecycle } from '../../src/flow/lifecycle.js';
import { goldenPaths, goldenStreams, readTsv } from '../helpers/tshark-tsv.js';
const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
function walk(d: string): string[] { return readdirSync(d).flatMap((n) => { const p = join(d, n); return statSync(p).isDirectory() ? walk(p) : /\.pcap(ng)?$/.test(n) ? [p] : []; }); }
it('explore', () => {
  const out: string[] = [];
  for (const cap of walk(corpus)) {
    const g = goldenPaths(cap);
    const comp = new Map(readTsv(g.streams).map((r) => [r['stream'], r['completeness']]));
    for (const st of goldenStreams(g.tshark)) {
      const lc = new Lifecycle(st.segments[0]!);
      for (const s of st.segments) lc.onSegment(s);
      const r = lc.report();
      out.push([cap.slice(corpus.length), st.stream, comp.get(String(st.stream)), r.handshake.status, r.roles_inferred, r.teardown.kind, r.teardown.initiator, r.teardown.reset_by, r.teardown.time_wait, r.teardown.bytes_after_fin, r.final_state.client, r.final_state.server, r.handshake.rtt.total, r.anomalies.map((a) => `${a.name}@${a.frame}`).join(',')].join('\t'));
    }
  }
  writeFileSync('/tmp/p4/explore.tsv', out.join('\n') + '\n');
});
