// The human outputs (summary, ladder, --explain) checked against the real world: the verdicts
// against what each kernel scenario did by construction (fixtures/kernel/EXPECTED.tsv), frame
// numbers and relative seq/ack against TShark's goldens, state sequences against RFC 9293, plus
// the layout promises (fits the width, colour only adds colour, --ascii is ASCII).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { analyzeInput } from '../../src/pipeline.js';
import { flowReport } from '../../src/flow/report.js';
import { SegmentLog, SegmentLogBook } from '../../src/flow/segment-log.js';
import type { Flow } from '../../src/flow/flow.js';
import { parseVerdict, verdictOf, VERDICT_NAMES, type Verdict } from '../../src/render/verdict.js';
import { NOTES } from '../../src/render/explain.js';
import { fixturesDir } from '../helpers/corpus.js';
import { readTsv } from '../helpers/tshark-tsv.js';

const kernel = (name: string) => join(fixturesDir, 'kernel', name);
const KERNEL = ['client-close', 'server-close', 'half-close', 'refused', 'abort-linger0', 'syn-retransmission', 'lossy-transfer', 'port-reuse', 'ipv6', 'tfo', 'simultaneous-open', 'simultaneous-close', 'many-flows'];
const expected = readTsv(kernel('EXPECTED.tsv'));

async function synack(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo({ env });
  const code = await run(args, io);
  return { code, out: io.out, err: io.err };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (t: string) => t.replace(/\u001b\[[0-9;]*m/g, '');

/** The verdict a scenario must get, from what it did by construction (EXPECTED.tsv). */
function expectedVerdict(row: Record<string, string>): Verdict {
  if (row.handshake === 'refused') return 'refused';
  if (row.teardown === 'reset') return `reset by ${row.reset_by}` as Verdict;
  if (['four-way', 'three-way', 'simultaneous'].includes(row.teardown!)) return 'clean close';
  throw new Error(`no verdict rule for ${JSON.stringify(row)}`);
}

describe('verdicts', () => {
  for (const name of KERNEL) {
    it(`${name}: every flow gets the verdict its scenario implies`, async () => {
      const got = new Map<number, Verdict>();
      await analyzeInput(kernel(`${name}.pcap`), { onFlow: (f: Flow) => got.set(f.stream, verdictOf(flowReport(f).report)) });
      const rows = expected.filter((r) => r.capture === name);
      expect(rows.length).toBeGreaterThan(0);
      expect(got.size).toBe(rows.length);
      for (const r of rows) expect(got.get(Number(r.stream)), `stream ${r.stream}`).toBe(expectedVerdict(r));
    });
  }

  it('parses verdicts as typed on a command line', () => {
    expect(parseVerdict('reset-by-server')).toBe('reset by server');
    expect(parseVerdict('Clean_Close')).toBe('clean close');
    expect(parseVerdict('half-open')).toBe('half-open');
    expect(parseVerdict('half open')).toBe('half-open');
    expect(parseVerdict('closed')).toBeNull();
    expect(new Set(VERDICT_NAMES.map((v) => parseVerdict(v))).size).toBe(VERDICT_NAMES.length);
  });
});

describe('summary', () => {
  it('lists the handshake and teardown segments with tshark frame numbers and relative seq/ack', async () => {
    const { code, out } = await synack(['summary', kernel('client-close.pcap')]);
    expect(code).toBe(0);
    const rows = readTsv(kernel('client-close.tshark.tsv'));
    const lines = out.split('\n');
    // Control segments (SYN, FIN, RST) and the ACKs the README names: 3 (handshake), 9 and 11 (teardown).
    for (const frame of [1, 2, 3, 8, 9, 10, 11]) {
      const row = rows.find((r) => r['frame.number'] === String(frame))!;
      const line = lines.find((l) => l.trimStart().startsWith(`#${frame} `));
      expect(line, `frame ${frame}`).toBeDefined();
      expect(line).toContain(`seq ${row['tcp.seq']}`);
      if (Number(row['tcp.flags']) & 0x10) expect(line).toContain(`ack ${row['tcp.ack']}`);
    }
    // Data segments are summed, not listed.
    expect(lines.some((l) => l.trimStart().startsWith('#4 '))).toBe(false);
    expect(out).toContain('Data  client sent 2 segments (38 B), server sent 2 segments (51 B)');
  });

  it('spells out and checks the +1 of both handshake ACKs', async () => {
    const { out } = await synack(['summary', kernel('client-close.pcap')]);
    expect(out).toContain('ack = ISN(c)+1 ✓');
    expect(out).toContain('ack = ISN(s)+1 ✓');
    // TFO stream 1: the SYN carried the 38-byte request and the SYN-ACK acknowledged it (fixtures/kernel/README.md).
    const tfo = await synack(['summary', kernel('tfo.pcap'), '--stream', '1']);
    expect(tfo.out).toContain('ack = ISN(c)+1+38 ✓');
  });

  it('walks the four-way close through the RFC 9293 §3.6 states of both ends', async () => {
    const { out } = await synack(['summary', kernel('client-close.pcap')]);
    const teardown = out.slice(out.indexOf('Teardown'));
    const order = [
      'client ESTABLISHED → FIN_WAIT_1',
      'server ESTABLISHED → CLOSE_WAIT',
      'client FIN_WAIT_1 → FIN_WAIT_2',
      'server CLOSE_WAIT → LAST_ACK',
      'client FIN_WAIT_2 → TIME_WAIT',
      'server LAST_ACK → CLOSED',
    ];
    let at = 0;
    for (const step of order) {
      const i = teardown.indexOf(step, at);
      expect(i, step).toBeGreaterThanOrEqual(0);
      at = i;
    }
    expect(out).toContain('four-way');
    expect(out).toContain('the client closed first');
    expect(out).toContain('Final states: client TIME_WAIT');
  });

  it('reports the half-close bytes and the retransmitted SYNs the scenarios made', async () => {
    expect((await synack(['summary', kernel('half-close.pcap')])).out).toContain('the server sent 4000 B after the client\'s FIN');
    expect((await synack(['summary', kernel('syn-retransmission.pcap')])).out).toContain('The client sent its SYN 3 times (2 retransmissions)');
    expect((await synack(['summary', kernel('refused.pcap')])).out).toMatch(/Refused: the server answered the SYN with RST/);
  });

  it('is the default command', async () => {
    const a = await synack([kernel('server-close.pcap')]);
    const b = await synack(['summary', kernel('server-close.pcap')]);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
  });

  it('filters by stream, port, host, final state and verdict, and counts verdicts in the totals', async () => {
    const many = kernel('many-flows.pcap');
    const rows = expected.filter((r) => r.capture === 'many-flows');
    const streams = (out: string) => [...out.matchAll(/^Stream (\d+)/gm)].map((m) => Number(m[1]));
    expect(streams((await synack([many, '--stream', '3,7'])).out)).toEqual([3, 7]);
    expect(streams((await synack([many, '--port', '41005'])).out)).toEqual([5]);
    expect(streams((await synack([many, '--host', '127.0.0.1'])).out)).toHaveLength(rows.length);
    const resets = rows.filter((r) => r.reset_by === 'client').map((r) => Number(r.stream));
    const byVerdict = await synack([many, '--verdict', 'reset-by-client']);
    expect(streams(byVerdict.out)).toEqual(resets);
    expect(byVerdict.out).toMatch(new RegExp(`Totals: ${resets.length} flows\\n  reset by client +${resets.length}\\n`));
    const timeWait = rows.filter((r) => r.time_wait !== 'none').map((r) => Number(r.stream));
    expect(streams((await synack([many, '--state', 'time-wait'])).out)).toEqual(timeWait);
    const all = await synack([many]);
    const clean = rows.filter((r) => r.teardown !== 'reset').length;
    expect(all.out).toMatch(new RegExp(`clean close +${clean}\\n`));
  });

  it('rejects bad filter values as usage errors', async () => {
    for (const args of [['--stream', 'x'], ['--port', '70000'], ['--state', 'OPEN'], ['--verdict', 'fine'], ['--width', '10']]) {
      const r = await synack([kernel('client-close.pcap'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(args[0]);
    }
  });
});

describe('layout', () => {
  for (const name of KERNEL) {
    it(`${name}: summary and ladder fit 80 and 160 columns`, async () => {
      for (const width of ['80', '160']) {
        for (const cmd of ['summary', 'ladder']) {
          const { out } = await synack([cmd, kernel(`${name}.pcap`), '--width', width, '--explain']);
          for (const line of out.split('\n')) expect([...line].length, `${cmd} ${width}: ${line}`).toBeLessThanOrEqual(Number(width));
        }
      }
    });
  }

  it('colour only adds colour: the text without it is the same', async () => {
    for (const cmd of ['summary', 'ladder']) {
      const plain = await synack([cmd, kernel('simultaneous-close.pcap'), '--explain']);
      const coloured = await synack([cmd, kernel('simultaneous-close.pcap'), '--explain', '--color']);
      expect(coloured.out).not.toBe(plain.out);
      expect(stripAnsi(coloured.out)).toBe(plain.out);
      expect(plain.out).not.toContain('\u001b[');
    }
    // NO_COLOR wins over a forced level from the environment.
    const env = await synack(['ladder', kernel('refused.pcap')], { NO_COLOR: '1', FORCE_COLOR: '3' });
    expect(env.out).not.toContain('\u001b[');
  });

  it('--ascii draws with ASCII only', async () => {
    for (const cmd of ['summary', 'ladder']) {
      const { out } = await synack([cmd, kernel('syn-retransmission.pcap'), '--ascii']);
      expect(out).toMatch(/^[\x20-\x7e\n]*$/);
    }
  });

  it('ladder --all draws one arrow per segment tshark lists', async () => {
    const rows = readTsv(kernel('lossy-transfer.tshark.tsv'));
    const { out } = await synack(['ladder', kernel('lossy-transfer.pcap'), '--all']);
    const arrows = out.split('\n').filter((l) => /^\s*\d+\.\d+ #\d+/.test(l));
    expect(arrows).toHaveLength(rows.length);
    for (const [i, line] of arrows.entries()) expect(line).toContain(`#${rows[i]!['frame.number']} `);
    // Folded by default: fewer rows than segments, and the folded counts add up.
    const folded = (await synack(['ladder', kernel('lossy-transfer.pcap')])).out;
    const segs = [...folded.matchAll(/… (\d+) segments?/g)].reduce((n, m) => n + Number(m[1]), 0);
    const keys = folded.split('\n').filter((l) => /#\d+ /.test(l)).length;
    expect(segs + keys).toBe(rows.length);
  });
});

describe('--explain', () => {
  it('shows each note once per run, beside the first flow that shows the behaviour', async () => {
    const { out } = await synack(['summary', kernel('many-flows.pcap'), '--explain']);
    for (const id of ['three-way-handshake', 'four-way-teardown', 'time-wait', 'close-wait', 'reset', 'half-close'] as const) {
      const start = NOTES[id].slice(0, 30);
      expect(out.split(start).length - 1, id).toBe(1);
    }
    // The reset note goes with stream 2, the first abort (k mod 4 = 2).
    const stream2 = out.slice(out.indexOf('Stream 2 '), out.indexOf('Stream 3 '));
    expect(stream2).toContain(NOTES.reset.slice(0, 30));
    expect((await synack(['summary', kernel('many-flows.pcap')])).out).not.toContain('Note:');
  });
});

describe('segment log', () => {
  it('stays bounded and still accounts for every segment', async () => {
    const book = new SegmentLogBook({ maxSegments: 4 });
    const logs: { log: SegmentLog; packets: number }[] = [];
    await analyzeInput(kernel('lossy-transfer.pcap'), {
      onSegment: (pkt, info) => info && book.add(pkt, info.flow),
      onFlow: (f) => logs.push({ log: book.take(f), packets: f.packets[0] + f.packets[1] }),
    });
    expect(logs).toHaveLength(1);
    const { log, packets } = logs[0]!;
    const keys = log.entries.filter((e) => e.kind === 'segment').length;
    expect(keys).toBe(4);
    expect(log.dropped).toBeGreaterThan(0);
    const folded = log.entries.reduce((n, e) => n + (e.kind === 'run' ? e.client.segments + e.server.segments : 0), 0);
    expect(keys + folded).toBe(readTsv(kernel('lossy-transfer.tshark.tsv')).length);
    expect(packets).toBe(keys + folded);
  });
});

describe('help', () => {
  for (const cmd of ['summary', 'ladder']) {
    it(`${cmd} --help shows pasteable examples`, async () => {
      const { code, out } = await synack([cmd, '--help']);
      expect(code).toBe(0);
      expect(out).toMatch(/Examples:\n {2}synack /);
    });
  }
});
