// Sanity test of the recorded kernel fixtures themselves (not of synack): every row of
// fixtures/kernel/EXPECTED.tsv, which states what each scenario did by construction, must be
// consistent with the TShark 4.0.17 golden X.tshark.tsv recorded beside the capture.
// Flag bits and the SYN/FIN sequence-space rules are from RFC 9293 sections 3.1 and 3.4.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const KERNEL_DIR = fileURLToPath(new URL('../../fixtures/kernel/', import.meta.url));

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** One golden row, reduced to what the fixture checks need. */
interface Segment {
  frame: number;
  src: string; // "ip:port", IPv6 as "[addr]:port"
  dst: string;
  stream: number;
  flags: number;
  seqRaw: number;
  ackRaw: number;
  len: number;
}

interface ExpectedFlow {
  capture: string;
  stream: number;
  client: string;
  server: string;
  handshake: 'complete' | 'syn-only' | 'syn-synack' | 'refused' | 'simultaneous-open' | 'missing';
  synRetrans: number;
  synAckRetrans: number;
  teardown: 'four-way' | 'three-way' | 'simultaneous' | 'reset' | 'half-closed' | 'none';
  initiator: 'client' | 'server' | 'both' | 'none';
  resetBy: 'client' | 'server' | 'none';
  timeWait: 'client' | 'server' | 'both' | 'none';
}

function readTsv(file: string): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0]!.split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
  });
}

function endpoint(ip4: string, ip6: string, port: string): string {
  return ip4 !== '' ? `${ip4}:${port}` : `[${ip6}]:${port}`;
}

function loadSegments(capture: string): Segment[] {
  return readTsv(path.join(KERNEL_DIR, `${capture}.tshark.tsv`)).map((r) => ({
    frame: Number(r['frame.number']),
    src: endpoint(r['ip.src']!, r['ipv6.src']!, r['tcp.srcport']!),
    dst: endpoint(r['ip.dst']!, r['ipv6.dst']!, r['tcp.dstport']!),
    stream: Number(r['tcp.stream']),
    flags: Number.parseInt(r['tcp.flags']!, 16),
    seqRaw: Number(r['tcp.seq_raw']),
    ackRaw: Number(r['tcp.ack_raw']),
    len: Number(r['tcp.len']),
  }));
}

function loadExpected(): ExpectedFlow[] {
  return readTsv(path.join(KERNEL_DIR, 'EXPECTED.tsv')).map((r) => ({
    capture: r['capture']!,
    stream: Number(r['stream']),
    client: r['client']!,
    server: r['server']!,
    handshake: r['handshake'] as ExpectedFlow['handshake'],
    synRetrans: Number(r['syn_retrans']),
    synAckRetrans: Number(r['synack_retrans']),
    teardown: r['teardown'] as ExpectedFlow['teardown'],
    initiator: r['initiator'] as ExpectedFlow['initiator'],
    resetBy: r['reset_by'] as ExpectedFlow['resetBy'],
    timeWait: r['time_wait'] as ExpectedFlow['timeWait'],
  }));
}

const has = (s: Segment, bits: number): boolean => (s.flags & bits) === bits;
const bareSyn = (s: Segment): boolean => (s.flags & (SYN | ACK)) === SYN;
const synAck = (s: Segment): boolean => has(s, SYN | ACK);
const pureAck = (s: Segment): boolean => s.flags === ACK && s.len === 0;
/** The acknowledgment number that covers a FIN: SEG.SEQ + SEG.LEN + 1 (FIN takes one octet). */
const ackOfFin = (fin: Segment): number => (fin.seqRaw + fin.len + 1) % 2 ** 32;
/** The acknowledgment number that covers a SYN and any data it carries (TFO, RFC 7413 section 4.2). */
const ackOfSyn = (syn: Segment): number => (syn.seqRaw + syn.len + 1) % 2 ** 32;

/** Checks one EXPECTED row against its stream's segments; returns the failed statements. */
function checkFlow(e: ExpectedFlow, segs: Segment[]): string[] {
  const errors: string[] = [];
  const fail = (msg: string): void => void errors.push(msg);
  const from = (side: string): Segment[] => segs.filter((s) => s.src === side);
  const { client, server } = e;
  const other = (side: string): string => (side === client ? server : client);

  for (const s of segs) {
    const ok = (s.src === client && s.dst === server) || (s.src === server && s.dst === client);
    if (!ok) fail(`frame ${s.frame} ${s.src} -> ${s.dst} is not between ${client} and ${server}`);
  }

  // --- handshake (RFC 9293 3.5) ---
  const clientSyns = from(client).filter(bareSyn);
  const serverSyns = from(server).filter(bareSyn);
  const serverSynAcks = from(server).filter(synAck);
  if (new Set(clientSyns.map((s) => s.seqRaw)).size > 1) fail('client SYN retransmissions changed the ISN');
  switch (e.handshake) {
    case 'complete': {
      if (segs[0] === undefined || segs[0].src !== client || !bareSyn(segs[0])) fail('first segment is not the client SYN');
      if (clientSyns.length !== 1 + e.synRetrans) fail(`client sent ${clientSyns.length} SYNs, expected ${1 + e.synRetrans}`);
      if (serverSynAcks.length !== 1 + e.synAckRetrans) fail(`server sent ${serverSynAcks.length} SYN-ACKs, expected ${1 + e.synAckRetrans}`);
      if (serverSyns.length > 0 || from(client).some(synAck)) fail('SYNs from both sides: this is a simultaneous open');
      const sa = serverSynAcks[0];
      if (sa === undefined || clientSyns[0] === undefined) break;
      if (sa.ackRaw !== ackOfSyn(clientSyns[0])) fail('SYN-ACK does not acknowledge the client ISN');
      const third = from(client).find((s) => s.frame > sa.frame);
      if (third === undefined || !has(third, ACK) || third.ackRaw !== ackOfSyn(sa)) fail('no client ACK of the server ISN after the SYN-ACK');
      break;
    }
    case 'refused': {
      if (clientSyns.length !== 1 + e.synRetrans) fail(`client sent ${clientSyns.length} SYNs`);
      const last = segs[segs.length - 1];
      if (last === undefined || last.src !== server || !has(last, RST | ACK)) fail('the stream does not end with a server RST-ACK');
      else if (clientSyns[0] !== undefined && last.ackRaw !== ackOfSyn(clientSyns[0])) fail('RST-ACK does not acknowledge the SYN');
      if (serverSynAcks.length !== 0) fail('a refused connection has a SYN-ACK');
      break;
    }
    case 'simultaneous-open': {
      // RFC 9293 figure 8: both ends send a bare SYN, then each answers the other's with SYN-ACK.
      if (clientSyns.length !== 1 + e.synRetrans || serverSyns.length !== 1 + e.synRetrans) fail('each side should send exactly one bare SYN');
      const clientSynAcks = from(client).filter(synAck);
      const firstSynAck = segs.find(synAck);
      if (firstSynAck === undefined || clientSynAcks.length !== 1 || serverSynAcks.length !== 1) {
        fail('each side should send exactly one SYN-ACK');
        break;
      }
      if (!segs.filter(bareSyn).every((s) => s.frame < firstSynAck.frame)) fail('the SYNs did not cross: a SYN-ACK precedes a SYN');
      const [cs, ss, csa, ssa] = [clientSyns[0]!, serverSyns[0]!, clientSynAcks[0]!, serverSynAcks[0]!];
      if (csa.seqRaw !== cs.seqRaw || ssa.seqRaw !== ss.seqRaw) fail('a SYN-ACK changed its sender ISN');
      if (csa.ackRaw !== ackOfSyn(ss) || ssa.ackRaw !== ackOfSyn(cs)) fail('a SYN-ACK does not acknowledge the peer SYN');
      break;
    }
    default:
      fail(`handshake ${e.handshake} has no check (no fixture uses it)`);
  }

  // --- resets ---
  const resets = segs.filter((s) => has(s, RST));
  if (e.resetBy === 'none' && resets.length > 0) fail(`unexpected RST in frame ${resets[0]!.frame}`);
  if (e.resetBy !== 'none') {
    const side = e.resetBy === 'client' ? client : server;
    if (resets.length === 0) fail('no RST');
    if (resets.some((s) => s.src !== side)) fail(`an RST came from the ${e.resetBy === 'client' ? 'server' : 'client'}`);
  }

  // --- teardown (RFC 9293 3.6) ---
  const fins = segs.filter((s) => has(s, FIN));
  const firstFin = (side: string): Segment | undefined => from(side).find((s) => has(s, FIN));
  const last = segs[segs.length - 1];
  switch (e.teardown) {
    case 'reset':
      if (fins.length > 0) fail('a reset flow has a FIN');
      if (last === undefined || !has(last, RST)) fail('the stream does not end with the RST');
      if (e.initiator !== e.resetBy) fail('initiator of a reset teardown must be the resetting side');
      if (e.timeWait !== 'none') fail('a reset leaves no TIME-WAIT');
      break;
    case 'none':
      if (fins.length > 0 || resets.length > 0) fail('teardown none, but FIN or RST seen');
      break;
    case 'simultaneous': {
      // Each side's FIN was sent before it had seen the other's (its ACK does not cover it).
      const cf = firstFin(client);
      const sf = firstFin(server);
      if (cf === undefined || sf === undefined) { fail('both sides must send a FIN'); break; }
      if (cf.ackRaw === ackOfFin(sf) || sf.ackRaw === ackOfFin(cf)) fail('a FIN already acknowledges the other FIN: not simultaneous');
      if (!from(client).some((s) => pureAck(s) && s.ackRaw === ackOfFin(sf))) fail('client never ACKs the server FIN');
      if (!from(server).some((s) => pureAck(s) && s.ackRaw === ackOfFin(cf))) fail('server never ACKs the client FIN');
      if (e.initiator !== 'both' || e.timeWait !== 'both') fail('simultaneous close: initiator and TIME-WAIT are both');
      break;
    }
    default: {
      // four-way, three-way: one side's FIN first, the other's later. ('half-closed' means a
      // single FIN by the end of the capture; no kernel capture here ends that way.)
      if (e.initiator !== 'client' && e.initiator !== 'server') { fail('initiator must be client or server'); break; }
      const a = e.initiator === 'client' ? client : server;
      const b = other(a);
      const finA = firstFin(a);
      const finB = firstFin(b);
      if (fins[0] === undefined || fins[0].src !== a) fail(`first FIN is not from the ${e.initiator}`);
      if (finA === undefined || finB === undefined) { fail('both sides must send a FIN'); break; }
      const want = ackOfFin(finA);
      if (finB.ackRaw !== want) fail('the second FIN does not acknowledge the first');
      const bBeforeFin = from(b).filter((s) => s.frame > finA.frame && s.frame < finB.frame);
      const ackedEarly = bBeforeFin.some((s) => s.ackRaw === want);
      if (e.teardown === 'three-way' && (ackedEarly || finB.len > 0)) fail('three-way: the other side acknowledged the FIN before its own FIN');
      // Data from the passive side between the two FINs is a half-close inside a four-way close.
      if (e.teardown === 'four-way' && !ackedEarly) fail('four-way: no lone ACK of the first FIN');
      if (last === undefined || last.src !== a || !pureAck(last) || last.ackRaw !== ackOfFin(finB)) {
        fail('the stream does not end with the initiator ACK of the second FIN');
      }
      if (e.timeWait !== e.initiator) fail('TIME-WAIT must be on the side that closed first (RFC 9293 3.6)');
    }
  }
  return errors;
}

const expected = existsSync(KERNEL_DIR) ? loadExpected() : [];
const captures = [...new Set(expected.map((e) => e.capture))];

describe('fixtures/kernel', () => {
  it('every capture has its goldens and an EXPECTED row, and vice versa', () => {
    const pcaps = readdirSync(KERNEL_DIR).filter((f) => f.endsWith('.pcap')).map((f) => f.slice(0, -5)).sort();
    expect(pcaps).toEqual([...captures].sort());
    for (const c of pcaps) {
      for (const ext of ['tshark.tsv', 'analysis.tsv', 'streams.tsv', 'conv.txt']) {
        expect(existsSync(path.join(KERNEL_DIR, `${c}.${ext}`)), `${c}.${ext}`).toBe(true);
      }
    }
  });

  describe.each(captures)('%s', (capture) => {
    const rows = expected.filter((e) => e.capture === capture);
    const segs = loadSegments(capture);

    it('has one EXPECTED row per tshark stream', () => {
      const streams = [...new Set(segs.map((s) => s.stream))].sort((x, y) => x - y);
      expect(streams).toEqual(rows.map((r) => r.stream));
    });

    it.each(rows.map((r) => [r.stream, r] as const))('stream %i matches EXPECTED.tsv', (_n, row) => {
      expect(checkFlow(row, segs.filter((s) => s.stream === row.stream))).toEqual([]);
    });

    it('streams.tsv completeness agrees (SYN|SYN-ACK|ACK, DATA, FIN, RST bits)', () => {
      const final = new Map(readTsv(path.join(KERNEL_DIR, `${capture}.streams.tsv`)).map((r) => [Number(r['stream']), Number(r['completeness'])]));
      for (const row of rows) {
        if (row.handshake !== 'complete' && row.handshake !== 'simultaneous-open') continue;
        const mine = segs.filter((s) => s.stream === row.stream);
        // Wireshark packet-tcp.c: 1 SYN, 2 SYN-ACK, 4 ACK, 8 DATA, 16 FIN, 32 RST
        const want = 7 | (mine.some((s) => s.len > 0) ? 8 : 0) | (row.teardown === 'reset' ? 32 : 16);
        expect(final.get(row.stream), `stream ${row.stream}`).toBe(want);
      }
    });
  });

  // Behaviours a generic row cannot state, each known from the scenario script.
  it('tfo: the first SYN asks for a cookie, the second carries the 38-byte request', () => {
    const syns = loadSegments('tfo').filter(bareSyn);
    expect(syns.map((s) => s.len)).toEqual([0, 38]);
  });

  it('port-reuse: six streams on one 4-tuple, tshark flags the reused ports', () => {
    const segs = loadSegments('port-reuse');
    expect(new Set(segs.map((s) => `${s.src}>${s.dst}`)).size).toBe(2);
    const analysis = readTsv(path.join(KERNEL_DIR, 'port-reuse.analysis.tsv'));
    const reusedFrames = analysis.filter((r) => r['tcp.analysis.reused_ports'] === '1').map((r) => Number(r['frame.number']));
    const laterSyns = segs.filter((s) => bareSyn(s) && s.stream > 0).map((s) => s.frame);
    expect(reusedFrames).toEqual(laterSyns);
  });

  it('lossy-transfer: 204800 bytes with losses, retransmissions and duplicate ACKs', () => {
    const segs = loadSegments('lossy-transfer');
    const server = segs.filter((s) => s.src === '10.77.0.2:8007');
    const synack = server.find(synAck)!;
    const fin = server.find((s) => has(s, FIN))!;
    expect((fin.seqRaw + fin.len - ackOfSyn(synack) + 2 ** 32) % 2 ** 32).toBe(200 * 1024);
    const analysis = readTsv(path.join(KERNEL_DIR, 'lossy-transfer.analysis.tsv'));
    const count = (field: string): number => analysis.filter((r) => r[field] !== '').length;
    expect(count('tcp.analysis.retransmission') + count('tcp.analysis.fast_retransmission')).toBeGreaterThan(0);
    expect(count('tcp.analysis.duplicate_ack_num')).toBeGreaterThan(0);
    // snaplen 200 keeps headers only, but tcp.len still comes from the IP total length
    expect(Math.max(...server.map((s) => s.len))).toBe(1448);
  });

  it('ipv6: carried in IPv6 only', () => {
    expect(loadSegments('ipv6').every((s) => s.src.startsWith('[::1]:'))).toBe(true);
  });
});
