// The bench's capture generator, checked by reading its output bytes back with a parser written
// here from the pcap/pcapng layouts and RFC header diagrams (not with synack's own readers).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaptures, type GeneratedCaptures } from '../../src/bench/generate.js';

const PACKETS = 2000;
const SEED = 7;

interface Packet {
  tsMicros: number;
  data: Buffer;
}

interface Segment {
  index: number;
  ipv6: boolean;
  key: string;
  fromKey: string;
  seq: number;
  ack: number;
  flags: number;
  headerLength: number;
  payload: number;
  options: Buffer;
}

const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;

/** Classic pcap, little-endian µs (magic d4 c3 b2 a1). */
function readPcap(file: Buffer): { linkType: number; packets: Packet[] } {
  expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect([file.readUInt16LE(4), file.readUInt16LE(6)]).toEqual([2, 4]);
  const packets: Packet[] = [];
  let at = 24;
  while (at < file.length) {
    const caplen = file.readUInt32LE(at + 8);
    expect(file.readUInt32LE(at + 12)).toBe(caplen);
    packets.push({
      tsMicros: file.readUInt32LE(at) * 1e6 + file.readUInt32LE(at + 4),
      data: file.subarray(at + 16, at + 16 + caplen),
    });
    at += 16 + caplen;
  }
  expect(at).toBe(file.length);
  return { linkType: file.readUInt32LE(20), packets };
}

/** pcapng: SHB, IDB, then EPBs only (what the generator promises). */
function readPcapng(file: Buffer): { linkType: number; tsresol: number | null; packets: Packet[] } {
  const packets: Packet[] = [];
  let linkType = -1;
  let tsresol: number | null = null;
  let at = 0;
  let blocks = 0;
  while (at < file.length) {
    const type = file.readUInt32LE(at);
    const length = file.readUInt32LE(at + 4);
    expect(length % 4).toBe(0);
    expect(file.readUInt32LE(at + length - 4)).toBe(length);
    if (blocks === 0) {
      expect(type).toBe(0x0a0d0d0a);
      expect(file.readUInt32LE(at + 8)).toBe(0x1a2b3c4d);
    } else if (blocks === 1) {
      expect(type).toBe(1);
      linkType = file.readUInt16LE(at + 8);
      for (let o = at + 16; o < at + length - 4; ) {
        const code = file.readUInt16LE(o);
        const olen = file.readUInt16LE(o + 2);
        if (code === 0) break;
        if (code === 9) tsresol = file[o + 4]!;
        o += 4 + ((olen + 3) & ~3);
      }
    } else {
      expect(type).toBe(6);
      expect(file.readUInt32LE(at + 8)).toBe(0);
      const caplen = file.readUInt32LE(at + 20);
      expect(file.readUInt32LE(at + 24)).toBe(caplen);
      packets.push({
        tsMicros: file.readUInt32LE(at + 12) * 4294967296 + file.readUInt32LE(at + 16),
        data: file.subarray(at + 28, at + 28 + caplen),
      });
    }
    at += length;
    blocks++;
  }
  return { linkType, tsresol, packets };
}

/** RFC 1071 sum over 16-bit big-endian words. */
function onesSum(bytes: Buffer, sum = 0): number {
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += bytes.readUInt16BE(i);
  if (bytes.length % 2) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Decodes Ethernet → IPv4/IPv6 → TCP, asserting lengths and checksums per the RFC diagrams. */
function decode(p: Packet, index: number): Segment {
  const d = p.data;
  const etherType = d.readUInt16BE(12);
  let ipv6: boolean;
  let src: string;
  let dst: string;
  let tcp: Buffer;
  let pseudo: number;
  if (etherType === 0x0800) {
    ipv6 = false;
    const ip = d.subarray(14);
    expect(ip[0]).toBe(0x45);
    expect(ip.readUInt16BE(2)).toBe(d.length - 14); // total length
    expect(ip[9]).toBe(6);
    expect(onesSum(ip.subarray(0, 20))).toBe(0xffff); // header checksum verifies
    src = [...ip.subarray(12, 16)].join('.');
    dst = [...ip.subarray(16, 20)].join('.');
    tcp = ip.subarray(20);
    pseudo = onesSum(ip.subarray(12, 20), 6 + tcp.length);
  } else {
    expect(etherType).toBe(0x86dd);
    ipv6 = true;
    const ip = d.subarray(14);
    expect(ip[0]! >> 4).toBe(6);
    expect(ip.readUInt16BE(4)).toBe(d.length - 54); // payload length
    expect(ip[6]).toBe(6);
    src = ip.subarray(8, 24).toString('hex');
    dst = ip.subarray(24, 40).toString('hex');
    tcp = ip.subarray(40);
    pseudo = onesSum(ip.subarray(8, 40), 6 + tcp.length);
  }
  expect(onesSum(tcp, pseudo)).toBe(0xffff); // TCP checksum verifies
  const headerLength = (tcp[12]! >> 4) * 4;
  expect(headerLength).toBeGreaterThanOrEqual(20);
  const sport = tcp.readUInt16BE(0);
  const dport = tcp.readUInt16BE(2);
  const a = `${src}:${sport}`;
  const b = `${dst}:${dport}`;
  return {
    index,
    ipv6,
    key: a < b ? `${a} ${b}` : `${b} ${a}`,
    fromKey: a,
    seq: tcp.readUInt32BE(4),
    ack: tcp.readUInt32BE(8),
    flags: tcp.readUInt16BE(12) & 0x0fff,
    headerLength,
    payload: tcp.length - headerLength,
    options: tcp.subarray(20, headerLength),
  };
}

/** Linux SYN options per the task: mss 1460, sackOK, TS val/ecr, nop, wscale 7 (RFC 9293/2018/7323 kinds). */
function expectLinuxSynOptions(options: Buffer): void {
  expect(options.length).toBe(20);
  expect([...options.subarray(0, 4)]).toEqual([2, 4, 0x05, 0xb4]);
  expect([...options.subarray(4, 6)]).toEqual([4, 2]);
  expect([...options.subarray(6, 8)]).toEqual([8, 10]);
  expect([...options.subarray(16, 20)]).toEqual([1, 3, 3, 7]);
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('bench capture generator', () => {
  let dir: string;
  let gen: GeneratedCaptures;
  let pcap: ReturnType<typeof readPcap>;
  let segments: Segment[];
  let flows: Map<string, Segment[]>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synack-bench-'));
    gen = await generateCaptures({ packets: PACKETS, seed: SEED, dir, name: 'a' });
    pcap = readPcap(readFileSync(gen.pcap.path));
    segments = pcap.packets.map(decode);
    flows = new Map();
    for (const s of segments) {
      const list = flows.get(s.key) ?? [];
      list.push(s);
      flows.set(s.key, list);
    }
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes exactly the requested number of Ethernet records with increasing timestamps', () => {
    expect(pcap.linkType).toBe(1);
    expect(pcap.packets.length).toBe(PACKETS);
    expect(gen.packets).toBe(PACKETS);
    for (let i = 1; i < pcap.packets.length; i++) {
      expect(pcap.packets[i]!.tsMicros).toBeGreaterThan(pcap.packets[i - 1]!.tsMicros);
    }
  });

  it('reports the flows, IPv6 share and endings that are in the file', () => {
    expect(flows.size).toBe(gen.flows);
    const v6 = [...flows.values()].filter((f) => f[0]!.ipv6).length;
    expect(v6).toBe(gen.ipv6Flows);
    expect(v6).toBeGreaterThan(0);
    expect(v6 / flows.size).toBeLessThan(0.25);
    let synOnly = 0;
    let rst = 0;
    let fin3 = 0;
    let fin4 = 0;
    for (const f of flows.values()) {
      if (f.every((s) => s.flags === SYN)) synOnly++;
      else if (f.some((s) => s.flags & RST)) rst++;
      else {
        // Three-segment teardown: the second FIN also acknowledges the first (no lone ACK between).
        const fins = f.filter((s) => s.flags & FIN);
        expect(fins.length).toBe(2);
        const between = f.slice(f.indexOf(fins[0]!) + 1, f.indexOf(fins[1]!));
        if (between.length === 0) fin3++;
        else fin4++;
      }
    }
    expect(synOnly).toBe(gen.endings['syn-only']);
    expect(rst).toBe(gen.endings.reset + gen.endings.refused);
    expect(fin3).toBe(gen.endings.fin3);
    expect(fin4).toBe(gen.endings.fin4);
    for (const n of [synOnly, rst, fin3, fin4]) expect(n).toBeGreaterThan(0);
  });

  it('opens every answered flow with SYN, SYN-ACK (ack = ISN+1), ACK (ack = server ISN+1)', () => {
    let answered = 0;
    for (const f of flows.values()) {
      const syn = f[0]!;
      expect(syn.flags).toBe(SYN);
      expectLinuxSynOptions(syn.options);
      const reply = f.find((s) => s.fromKey !== syn.fromKey);
      if (!reply) continue;
      expect(reply.ack).toBe((syn.seq + 1) >>> 0);
      if (reply.flags & RST) {
        expect(reply.flags).toBe(RST | ACK); // refused: RFC 9293 §3.10.7.1 <SEQ=0><ACK=ISN+1>
        expect(reply.seq).toBe(0);
        continue;
      }
      answered++;
      expect(reply.flags).toBe(SYN | ACK);
      expectLinuxSynOptions(reply.options);
      const third = f[f.indexOf(reply) + 1]!;
      expect(third.fromKey).toBe(syn.fromKey);
      expect(third.flags).toBe(ACK);
      expect(third.seq).toBe((syn.seq + 1) >>> 0);
      expect(third.ack).toBe((reply.seq + 1) >>> 0);
    }
    expect(answered).toBeGreaterThan(flows.size / 2);
  });

  it('keeps each direction contiguous and never acknowledges bytes not yet seen', () => {
    for (const f of flows.values()) {
      const nxt = new Map<string, number>(); // next expected seq per sender
      const sentEnd = new Map<string, number>(); // relative end of what each sender has sent
      const isn = new Map<string, number>();
      for (const s of f) {
        if (s.flags & SYN) {
          if (!isn.has(s.fromKey)) isn.set(s.fromKey, s.seq);
          expect(s.seq).toBe(isn.get(s.fromKey)); // a retransmitted SYN reuses the ISN
          nxt.set(s.fromKey, (s.seq + 1) >>> 0);
          sentEnd.set(s.fromKey, 1);
          continue;
        }
        const peer = [...isn.keys()].find((k) => k !== s.fromKey);
        if (s.flags === (RST | ACK) && !isn.has(s.fromKey)) continue; // refused: seq 0
        expect(s.seq).toBe(nxt.get(s.fromKey));
        const used = s.payload + (s.flags & FIN ? 1 : 0);
        nxt.set(s.fromKey, (s.seq + used) >>> 0);
        sentEnd.set(s.fromKey, sentEnd.get(s.fromKey)! + used);
        if (s.flags & ACK && peer !== undefined) {
          const relAck = (s.ack - isn.get(peer)!) >>> 0;
          expect(relAck).toBeLessThanOrEqual(sentEnd.get(peer)!);
        }
        expect(s.payload).toBeLessThanOrEqual(1448);
      }
    }
  });

  it('carries the same packets in the pcapng and the gzip', () => {
    const ng = readPcapng(readFileSync(gen.pcapng.path));
    expect(ng.linkType).toBe(1);
    expect(ng.tsresol).toBe(6);
    expect(ng.packets.length).toBe(PACKETS);
    for (let i = 0; i < PACKETS; i++) {
      expect(ng.packets[i]!.tsMicros).toBe(pcap.packets[i]!.tsMicros);
      expect(ng.packets[i]!.data.equals(pcap.packets[i]!.data)).toBe(true);
    }
    expect(gunzipSync(readFileSync(gen.gzip!.path)).equals(readFileSync(gen.pcap.path))).toBe(true);
  });

  it('gives the same bytes for the same seed and different bytes for another', async () => {
    const again = await generateCaptures({ packets: PACKETS, seed: SEED, dir, name: 'b' });
    expect(sha(again.pcap.path)).toBe(sha(gen.pcap.path));
    expect(sha(again.pcapng.path)).toBe(sha(gen.pcapng.path));
    const other = await generateCaptures({ packets: PACKETS, seed: SEED + 1, dir, name: 'c', gzip: false });
    expect(sha(other.pcap.path)).not.toBe(sha(gen.pcap.path));
    expect(other.gzip).toBeNull();
  });

  it('lands on small exact counts too (budget-trimmed last flow)', async () => {
    for (const n of [1, 2, 3, 4, 5, 7, 31]) {
      const small = await generateCaptures({ packets: n, seed: SEED, dir, name: `n${n}`, gzip: false });
      expect(readPcap(readFileSync(small.pcap.path)).packets.length).toBe(n);
    }
  });
});

const tshark = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(tshark)('bench capture generator, read by tshark', () => {
  it('shows no malformed packets or bad checksums, and one conversation per flow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-bench-'));
    try {
      const gen = await generateCaptures({ packets: PACKETS, seed: SEED, dir, name: 't', gzip: false });
      const checks = ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];
      for (const file of [gen.pcap.path, gen.pcapng.path]) {
        const expert = execFileSync('tshark', [...checks, '-r', file, '-q', '-z', 'expert'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        expect(expert).not.toMatch(/Malformed|Errors \(|checksum/i);
        const conv = execFileSync('tshark', ['-r', file, '-q', '-z', 'conv,tcp'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        expect(conv.split('\n').filter((l) => l.includes('<->')).length).toBe(gen.flows);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
