// `synack check` through the real binary: every rule on a capture where it holds (exit 0) and
// one where it fails (exit 1), scopes, policy files, the JSON report, JUnit XML parsed back, and
// exit statuses 2 (usage) and 3 (damaged capture). Expectations come from how each kernel
// fixture was made (fixtures/kernel/README.md, EXPECTED.tsv) and tshark's goldens.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTsv } from '../helpers/tshark-tsv.js';
import { fixturesDir } from '../helpers/corpus.js';
import { ensureBuilt, fixture, run } from './binary.js';
import { parseXml, type XmlElement } from './xml-parse.js';

beforeAll(() => ensureBuilt());

const tmp = mkdtempSync(join(tmpdir(), 'synack-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const K = (name: string): string => fixture(`kernel/${name}.pcap`);
const kernelBytes = (name: string): Buffer => readFileSync(join(fixturesDir, 'kernel', `${name}.pcap`));

/** Classic pcap (µs, little-endian, as all kernel fixtures): the records' [offset, caplen]. */
function records(pcap: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const caplen = pcap.readUInt32LE(at + 8);
    out.push([at, caplen]);
    at += 16 + caplen;
  }
  return out;
}

/** The first SYN of syn-retransmission.pcap alone: a SYN never answered (half-open). */
function synOnly(): string {
  const src = kernelBytes('syn-retransmission');
  const [at, caplen] = records(src)[0]!;
  const path = join(tmp, 'syn-only.pcap');
  writeFileSync(path, Buffer.concat([src.subarray(0, 24), src.subarray(at, at + 16 + caplen)]));
  return path;
}

/**
 * client-close.pcap with the window field of frame `frame` (an ACK without SYN/FIN/RST) set to 0:
 * RFC 9293 §3.1 window at TCP offset 14; tshark flags such a segment tcp.analysis.zero_window.
 */
function zeroWindow(frame: number): string {
  const buf = Buffer.from(kernelBytes('client-close'));
  const [at] = records(buf)[frame - 1]!;
  const ip = at + 16 + 14; // Ethernet II header
  const tcp = ip + (buf[ip]! & 0x0f) * 4;
  expect(buf[tcp + 13]! & 0x07).toBe(0); // no SYN, FIN or RST on that frame
  buf.writeUInt16BE(0, tcp + 14);
  const path = join(tmp, `zero-window-${frame}.pcap`);
  writeFileSync(path, buf);
  return path;
}

function expected(capture: string): Record<string, string>[] {
  return readTsv(join(fixturesDir, 'kernel', 'EXPECTED.tsv')).filter((r) => r['capture'] === capture);
}

/** tshark's tcp.analysis.initial_rtt for stream 0 of a kernel capture. */
function initialRtt(name: string): number {
  const row = readTsv(join(fixturesDir, 'kernel', `${name}.analysis.tsv`)).find((r) => r['tcp.analysis.initial_rtt'] !== '')!;
  return Number(row['tcp.analysis.initial_rtt']);
}

async function check(args: string[]): Promise<number | null> {
  const r = await run(['check', ...args]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.code;
}

describe('each rule holds (0) on one capture and fails (1) on another', () => {
  const rtt = initialRtt('lossy-transfer'); // about 20 ms: 10 ms each way on the wire
  const synRetrans = Number(expected('syn-retransmission')[0]!['syn_retrans']);
  const manyFlows = expected('many-flows').length;
  const cases: { rule: string[]; holds: () => string; fails: () => string }[] = [
    { rule: ['--require-handshake'], holds: () => K('client-close'), fails: () => K('refused') },
    { rule: ['--forbid', 'reset'], holds: () => K('client-close'), fails: () => K('abort-linger0') },
    { rule: ['--forbid', 'refused'], holds: () => K('abort-linger0'), fails: () => K('refused') },
    { rule: ['--forbid', 'half-open'], holds: () => K('refused'), fails: synOnly },
    { rule: ['--forbid', 'syn-retransmission'], holds: () => K('client-close'), fails: () => K('syn-retransmission') },
    { rule: ['--forbid', 'retransmission'], holds: () => K('client-close'), fails: () => K('lossy-transfer') },
    { rule: ['--forbid', 'zero-window'], holds: () => K('client-close'), fails: () => zeroWindow(3) },
    { rule: ['--require-close', 'graceful'], holds: () => K('half-close'), fails: () => K('abort-linger0') },
    { rule: ['--require-close', 'any'], holds: () => K('abort-linger0'), fails: synOnly },
    { rule: ['--max-handshake-rtt', `${Math.ceil(rtt * 2000)}ms`], holds: () => K('lossy-transfer'), fails: () => K('lossy-transfer') },
    { rule: ['--max-syn-retransmissions', String(synRetrans)], holds: () => K('syn-retransmission'), fails: () => K('syn-retransmission') },
    { rule: ['--min-flows', String(manyFlows)], holds: () => K('many-flows'), fails: () => K('client-close') },
    { rule: ['--max-flows', String(manyFlows)], holds: () => K('many-flows'), fails: () => K('port-reuse') + ' ' + K('many-flows') },
  ];
  // The two rules whose failing case needs a tighter bound than the holding one.
  const tighter: Record<string, string[]> = {
    '--max-handshake-rtt': ['--max-handshake-rtt', `${Math.floor(rtt * 500)}ms`],
    '--max-syn-retransmissions': ['--max-syn-retransmissions', String(synRetrans - 1)],
  };
  for (const c of cases) {
    it(c.rule.join(' '), async () => {
      expect(await check([c.holds(), ...c.rule])).toBe(0);
      const failing = tighter[c.rule[0]!] ?? c.rule;
      expect(await check([...c.fails().split(' '), ...failing])).toBe(1);
    });
  }
});

describe('scope, report, policy, JUnit', () => {
  const resets = expected('many-flows').filter((r) => r['teardown'] === 'reset');

  it('--port limits the rule to flows with that port on either end', async () => {
    const clean = expected('many-flows').find((r) => r['teardown'] !== 'reset')!;
    const cleanPort = clean['client']!.split(':')[1]!;
    const resetPort = resets[0]!['client']!.split(':')[1]!;
    expect(await check([K('many-flows'), '--forbid', 'reset', '--port', cleanPort])).toBe(0);
    expect(await check([K('many-flows'), '--forbid', 'reset', '--port', resetPort])).toBe(1);
    expect(await check([K('many-flows'), '--forbid', 'reset', '--host', '10.9.9.9'])).toBe(0);
  });

  it('the text report names each offending flow: stream, endpoints, frames, why', async () => {
    const r = await run(['check', K('many-flows'), '--forbid', 'reset']);
    expect(r.code).toBe(1);
    for (const e of resets) expect(r.stdout).toMatch(new RegExp(`stream ${e['stream']} ${e['client']} → ${e['server']}, frames \\d+-\\d+: reset by client`));
    expect(r.stdout).toContain(`FAIL forbid reset: ${resets.length} of ${expected('many-flows').length} flows`);
  });

  it('--format json lists the violations', async () => {
    const r = await run(['check', K('many-flows'), '--forbid', 'reset', '--require-handshake', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; exit: number; rules: { rule: string; ok: boolean; violations: { stream: number }[] }[] };
    expect(doc.ok).toBe(false);
    expect(doc.exit).toBe(1);
    const reset = doc.rules.find((x) => x.rule === 'forbid reset')!;
    expect(reset.violations.map((v) => v.stream)).toEqual(resets.map((e) => Number(e['stream'])));
    expect(doc.rules.find((x) => x.rule === 'require-handshake')!.ok).toBe(true);
  });

  it('a policy file with scoped rule groups, and JUnit XML that parses', async () => {
    const policy = join(tmp, 'policy.json');
    const resetPort = Number(resets[0]!['client']!.split(':')[1]);
    writeFileSync(
      policy,
      JSON.stringify({
        'require-handshake': true,
        'max-handshake-rtt': '1s',
        rules: [{ port: resetPort, forbid: ['reset', 'zero-window'] }],
      }),
    );
    const junit = join(tmp, 'report.xml');
    const r = await run(['check', K('many-flows'), '--policy', policy, '--min-flows', '1', '--junit', junit]);
    expect(r.code).toBe(1);
    const root = parseXml(readFileSync(junit, 'utf8'));
    expect(root.name).toBe('testsuites');
    const suite = root.children[0]!;
    const cases = suite.children.filter((c) => c.name === 'testcase');
    expect(cases).toHaveLength(5); // min-flows, require-handshake, max-handshake-rtt, 2 forbids
    expect(suite.attrs['tests']).toBe('5');
    const failed = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
    expect(failed.map((c) => c.attrs['name'])).toEqual([`forbid reset [port ${resetPort}]`]);
    expect(suite.attrs['failures']).toBe('1');
    const failure = failed[0]!.children[0] as XmlElement;
    expect(failure.text).toContain(`stream ${resets[0]!['stream']} `);
  });

  it('a policy file with an unknown key, a bad value, or no rules at all: usage error 2', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'forbid-everything': true }));
    expect(await check([K('client-close'), '--policy', bad])).toBe(2);
    writeFileSync(bad, '{ not json');
    expect(await check([K('client-close'), '--policy', bad])).toBe(2);
    expect(await check([K('client-close'), '--policy', join(tmp, 'missing.json')])).toBe(2);
    expect(await check([K('client-close'), '--forbid', 'gremlins'])).toBe(2);
    expect(await check([K('client-close'), '--max-handshake-rtt', '50'])).toBe(2);
    expect(await check([K('client-close')])).toBe(2);
  });

  it('a damaged capture: exit 3, with the rules judged on what was read and reported', async () => {
    const whole = kernelBytes('many-flows');
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 7));
    const r = await run(['check', cut, '--require-handshake', '--format', 'json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { captures: { error: string | null; flows: number }[] };
    expect(doc.captures[0]!.error).toMatch(/byte offset/);
    expect(doc.captures[0]!.flows).toBe(expected('many-flows').length);
  });
});
