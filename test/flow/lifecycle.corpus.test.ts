// Lifecycle over real captures: every corpus capture's tshark rows (via goldenStreams), checked
// against what the peers say about the same flows — tshark's tcp.completeness bits and
// tcp.analysis.initial_rtt, Zeek's conn.log history/conn_state — plus spot checks read off the
// captures by hand, and every row of fixtures/kernel/EXPECTED.tsv when those captures exist.
// The tshark rows carry no SACK blocks, checksums or IP details; Lifecycle needs none of them.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Lifecycle, type LifecycleReport } from '../../src/flow/lifecycle.js';
import { goldenPaths, goldenStreams, readTsv, type GoldenStream } from '../helpers/tshark-tsv.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const kernelDir = fileURLToPath(new URL('../../fixtures/kernel/', import.meta.url));

function captures(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return captures(p);
      return /\.pcap(ng)?$/.test(name) ? [p] : [];
    });
}

interface Analysed {
  stream: GoldenStream;
  lc: Lifecycle;
  report: LifecycleReport;
}

function analyse(capture: string): Analysed[] {
  return goldenStreams(goldenPaths(capture).tshark).map((stream) => {
    const lc = new Lifecycle(stream.segments[0]!);
    for (const seg of stream.segments) lc.onSegment(seg);
    return { stream, lc, report: lc.report() };
  });
}

function one(rel: string): Analysed {
  const all = analyse(join(corpus, rel));
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe.runIf(existsSync(corpus))('Lifecycle on the corpus captures', () => {
  const all = existsSync(corpus) ? captures(corpus).map((c) => ({ rel: c.slice(corpus.length), flows: analyse(c) })) : [];

  it('analyses every stream of every capture without throwing, with a consistent report', () => {
    let streams = 0;
    for (const { flows } of all) {
      for (const { report } of flows) {
        streams++;
        for (const role of ['client', 'server'] as const) {
          const tl = report.transitions[role];
          for (let i = 1; i < tl.length; i++) expect(tl[i]!.from).toBe(tl[i - 1]!.to);
          if (tl.length > 0) expect(tl[tl.length - 1]!.to).toBe(report.final_state[role]);
        }
      }
    }
    // MANIFEST.tsv: the tcp_streams column sums to 105 over the corpus.
    expect(streams).toBe(105);
  });

  it('agrees with tshark tcp.completeness on FIN (16) and RST (32) for every stream', () => {
    const mismatches: string[] = [];
    for (const { rel, flows } of all) {
      const comp = new Map(readTsv(goldenPaths(join(corpus, rel)).streams).map((r) => [Number(r['stream']), Number(r['completeness'])]));
      for (const { stream, report } of flows) {
        const c = comp.get(stream.stream)!;
        if (c === 0) continue; // tshark computed no completeness (single-RST and SYN-less one-packet streams)
        const fin = finSenders({ stream, report } as Analysed);
        const anyFin = fin.client || fin.server;
        const rst = report.teardown.reset_by !== null;
        if (anyFin !== ((c & 16) !== 0) || (anyFin && report.teardown.initiator === null) || rst !== ((c & 32) !== 0)) mismatches.push(`${rel}#${stream.stream}`);
      }
    }
    // zeek/tcp/syn-then-stuff-then-rst.pcap: frame 3 is a FIN without ACK; tshark 4.0.17 leaves
    // the FIN bit out (completeness 37), the FIN is in the rows all the same.
    expect(mismatches).toEqual(['zeek/tcp/syn-then-stuff-then-rst.pcap#0']);
  });

  it('agrees with tshark on SYN/SYN-ACK/ACK (completeness & 7 = 7 iff complete), except where tshark saw the SYN-ACK first', () => {
    const mismatches: string[] = [];
    for (const { rel, flows } of all) {
      const comp = new Map(readTsv(goldenPaths(join(corpus, rel)).streams).map((r) => [Number(r['stream']), Number(r['completeness'])]));
      for (const { stream, report } of flows) {
        const c = comp.get(stream.stream)!;
        if (((c & 7) === 7) !== (report.handshake.status === 'complete')) mismatches.push(`${rel}#${stream.stream}`);
      }
    }
    // zeek/ipv6-http-atomic-frag.pcap stream 0: the SYN-ACK (frame 3) is recorded before the SYN
    // (frame 4, an earlier timestamp). tshark's one-pass completeness never sets SYN/SYN-ACK for it
    // (28); all three handshake segments are in the capture, so we say complete.
    // zeek/ftp/ipv6.pcap streams 1-3 (FTP data connections): completeness 30, without the SYN bit,
    // although each stream's first row is a bare SYN answered by a SYN-ACK and an ACK
    // (stream 1: frames 30, 31, 32). We follow the segments.
    expect(mismatches).toEqual([
      'zeek/ftp/ipv6.pcap#1',
      'zeek/ftp/ipv6.pcap#2',
      'zeek/ftp/ipv6.pcap#3',
      'zeek/ipv6-http-atomic-frag.pcap#0',
    ]);
  });

  it('measures the handshake RTT exactly as tshark tcp.analysis.initial_rtt', () => {
    let compared = 0;
    const mismatches: string[] = [];
    for (const { rel, flows } of all) {
      const rows = readTsv(goldenPaths(join(corpus, rel)).analysis);
      for (const { stream, report } of flows) {
        const first = rows.find((r) => Number(r['tcp.stream']) === stream.stream && r['tcp.analysis.initial_rtt']);
        if (!first || report.handshake.rtt.total === null) {
          if (first && report.handshake.status === 'complete') mismatches.push(`${rel}#${stream.stream}: no total`);
          continue;
        }
        compared++;
        const golden = Number(first['tcp.analysis.initial_rtt']);
        if (report.handshake.rtt.total !== golden) mismatches.push(`${rel}#${stream.stream}: ${report.handshake.rtt.total} vs ${golden}`);
      }
    }
    // The SYN-ACK recorded before its SYN (see above): we measure no total without the order.
    expect(mismatches).toEqual(['zeek/ipv6-http-atomic-frag.pcap#0: no total']);
    expect(compared).toBeGreaterThanOrEqual(40);
  });

  it('agrees with the Zeek conn.log baselines on roles, SYN/SYN-ACK, FIN and RST per side, and conn_state', () => {
    let rowsChecked = 0;
    for (const { rel, flows } of all) {
      const log = goldenPaths(join(corpus, rel)).zeekConn;
      if (!existsSync(log)) continue;
      const lines = readTsvLines(log);
      if (!lines.header.includes('id.orig_p')) continue; // syn-bad.zeek-conn.log is a column cut
      for (const z of lines.rows) {
        if (z['proto'] !== 'tcp') continue;
        const origPort = Number(z['id.orig_p']);
        const respPort = Number(z['id.resp_p']);
        const match = flows.find(({ stream, report }) => {
          const s0 = stream.segments[0]!.tcp;
          const clientPort = report.client === 0 ? s0.srcPort : s0.dstPort;
          const serverPort = report.client === 0 ? s0.dstPort : s0.srcPort;
          return clientPort === origPort && serverPort === respPort;
        });
        // Zeek's originator (after its ^ flip) is our client: the flow must be found that way round.
        expect(match, `${rel} ${origPort}->${respPort}`).toBeDefined();
        const r = match!.report;
        const h = z['history']!;
        const fins = finSenders(match!);
        expect(h.includes('S'), `${rel} S`).toBe(r.handshake.status !== 'missing');
        expect(h.includes('h'), `${rel} h`).toBe(r.handshake.isn.server !== null);
        expect(h.includes('F'), `${rel} F`).toBe(fins.client);
        expect(h.includes('f'), `${rel} f`).toBe(fins.server);
        expect(h.includes('R'), `${rel} R`).toBe(r.teardown.reset_by === 'client' || r.teardown.reset_by === 'both');
        expect(h.includes('r'), `${rel} r`).toBe(r.teardown.reset_by === 'server' || r.teardown.reset_by === 'both');
        const state = z['conn_state'];
        if (state === 'S1') expect(r.final_state).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
        if (state === 'RSTO') expect(r.teardown).toMatchObject({ kind: 'reset', reset_by: 'client' });
        if (state === 'SF') expect(fins).toEqual({ client: true, server: true });
        rowsChecked++;
      }
    }
    // ftp/ipv6 (6), miss_end_data, retransmit-fast009, missing-syn, optional-service-name,
    // tcp-http-with-padding, pop3-starttls, irc-starttls.
    expect(rowsChecked).toBe(13);
  });

  it('pcapplusplus/one_tcp_rst.pcap: the SYN is refused by a RST-ACK', () => {
    const { report } = one('pcapplusplus/one_tcp_rst.pcap');
    expect(report.handshake.status).toBe('refused');
    expect(report.handshake.isn.client).toBe(3820339060); // frame 1 seq_raw
    expect(report.teardown).toMatchObject({ kind: 'reset', reset_by: 'server', initiator: 'server' });
    expect(report.final_state).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('zeek/tcp/missing-syn.pcap: starts at the SYN-ACK, so the handshake is missing; client from the SYN-ACK', () => {
    const { report } = one('zeek/tcp/missing-syn.pcap');
    expect(report.handshake.status).toBe('missing');
    // Frame 1 is the SYN-ACK from port 80: its receiver (side 1, port 56730) is the client, as
    // Zeek's conn.log has it (orig 56730, history ^hADdFaf). The SYN-ACK decides the roles, so
    // they are not inferred from ports.
    expect(report.client).toBe(1);
    expect(report.roles_inferred).toBe(false);
    expect(report.handshake.isn).toEqual({ client: null, server: 2697137987 });
    expect(report.transitions.client[0]!.cause).toMatch(/^assumed/);
  });

  it('zeek/tcp/fin_retransmission.pcap: FIN before the SYN-ACK, FIN-ACK again after it, then the responder resets', () => {
    const { lc, report } = one('zeek/tcp/fin_retransmission.pcap');
    // Frames: 1 SYN, 2 FIN (seq = ISN, no ACK), 3 SYN-ACK, 4 FIN-ACK (same seq as frame 2), 5 RST.
    expect(report.anomalies.map((a) => [a.name, a.frame])).toEqual([['fin_before_handshake', 2]]);
    expect(report.handshake.status).toBe('complete');
    expect(lc.counters.fin_retransmissions.client).toBe(1);
    expect(report.teardown).toMatchObject({ kind: 'reset', initiator: 'client', reset_by: 'server' });
    expect(report.final_state).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('zeek/tcp/payload-syn.pcap: 100 bytes on the SYN, SYN-ACK acks 111 = ISN(10)+1+100, three-segment close', () => {
    const { lc, report } = one('zeek/tcp/payload-syn.pcap');
    expect(lc.counters.syn_data.client).toBe(100);
    expect(report.anomalies).toEqual([]);
    expect(report.handshake.status).toBe('complete');
    // Frame 5: the server's FIN-ACK acknowledges the client's FIN (ack 112).
    expect(report.teardown).toEqual({ kind: 'three-way', initiator: 'client', reset_by: null, bytes_after_fin: 0, time_wait: 'client' });
  });

  it('zeek/tcp/tcp-fast-open.pcap stream 1: SYN with 86 data bytes acknowledged by the SYN-ACK (acks 87)', () => {
    const flows = analyse(join(corpus, 'zeek/tcp/tcp-fast-open.pcap'));
    const { lc, report } = flows[1]!;
    expect(lc.counters.syn_data.client).toBe(86);
    expect(report.handshake.options.client!.tfo).toBeNull(); // goldens carry no TFO column
    expect(report.anomalies).toEqual([]);
    expect(report.handshake.status).toBe('complete');
  });

  it('zeek/tls/irc-starttls.pcap: half-close with 31 bytes from the server after the client FIN, then client RST', () => {
    const { report } = one('zeek/tls/irc-starttls.pcap');
    // Frames 16 (client FIN), 17 (server 31 bytes), 18 (client RST), 19 (server FIN), 20 (RST).
    expect(report.teardown).toEqual({ kind: 'reset', initiator: 'client', reset_by: 'client', bytes_after_fin: 31, time_wait: null });
  });

  it('zeek/tcp/window-scale-range.pcap: shift 255 is used as 14', () => {
    const { report } = one('zeek/tcp/window-scale-range.pcap');
    expect(report.anomalies.map((a) => a.name)).toEqual(['wscale_too_large']);
    expect(report.handshake.options.client!.wscale).toBe(255);
  });
});

/** Zeek's conn.log: a '#fields' header line, other '#' lines, then tab-separated rows. */
function readTsvLines(path: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const fieldsLine = lines.find((l) => l.startsWith('#fields'));
  if (!fieldsLine) return { header: [], rows: [] };
  const header = fieldsLine.split('\t').slice(1);
  const rows = lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => {
      const cells = l.split('\t');
      const row: Record<string, string> = {};
      header.forEach((h, i) => (row[h] = cells[i] ?? ''));
      return row;
    });
  return { header, rows };
}

/** Which sides sent a FIN, read from the tshark rows (not from our analysis). */
function finSenders(a: Analysed): { client: boolean; server: boolean } {
  let c = false;
  let s = false;
  for (const seg of a.stream.segments) {
    if (seg.tcp.flags & 1) {
      if (seg.side === a.report.client) c = true;
      else s = true;
    }
  }
  return { client: c, server: s };
}

describe.runIf(existsSync(join(kernelDir, 'EXPECTED.tsv')))('Lifecycle on the kernel captures (fixtures/kernel/EXPECTED.tsv)', () => {
  const expected = existsSync(join(kernelDir, 'EXPECTED.tsv')) ? readTsv(join(kernelDir, 'EXPECTED.tsv')) : [];
  /** EXPECTED.tsv column → how to read it from our report (first matching column name wins). */
  const columns: [string[], (r: LifecycleReport) => unknown][] = [
    [['handshake', 'handshake_status', 'status'], (r) => r.handshake.status],
    [['syn_retransmissions', 'syn_retrans'], (r) => r.handshake.syn_retransmissions],
    [['synack_retransmissions', 'synack_retrans'], (r) => r.handshake.synack_retransmissions],
    [['teardown', 'teardown_kind', 'kind'], (r) => r.teardown.kind],
    [['initiator'], (r) => r.teardown.initiator],
    [['reset_by'], (r) => r.teardown.reset_by],
    [['time_wait'], (r) => r.teardown.time_wait],
  ];
  // EXPECTED.tsv writes an absent who as 'none'; for the teardown column 'none' is a kind.
  const norm = (col: string, v: string | undefined): unknown =>
    v === undefined || v === '' || v === '-' || (v === 'none' && !['teardown', 'teardown_kind', 'kind'].includes(col))
      ? null
      : /^\d+$/.test(v)
        ? Number(v)
        : v;

  it('has rows and at least one column we know how to check', () => {
    expect(expected.length).toBeGreaterThan(0);
    const header = Object.keys(expected[0]!);
    expect(columns.some(([names]) => names.some((n) => header.includes(n)))).toBe(true);
  });

  for (const row of expected) {
    const name = row['capture'] ?? row['pcap'] ?? row['file'] ?? row['name'] ?? '';
    it(`${name} stream ${row['stream'] || 0}`, () => {
      const file = existsSync(join(kernelDir, name)) ? join(kernelDir, name) : join(kernelDir, `${name}.pcap`);
      const flows = analyse(file);
      const flow = flows.find((f) => f.stream.stream === Number(row['stream'] || 0));
      expect(flow, `stream ${row['stream'] || 0} in ${file}`).toBeDefined();
      for (const [names, get] of columns) {
        const col = names.find((n) => n in row);
        if (col === undefined) continue;
        expect(get(flow!.report), `${name}: ${col}`).toEqual(norm(col, row[col]));
      }
    });
  }
});
