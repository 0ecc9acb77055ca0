// A capture crafted against the flow table's hash must not turn lookups into list scans.
// The 4-tuple hash (flow-table.ts) once mixed an IPv4 endpoint as `address ^ port × K` before
// one finaliser: every (address, port) with the same value of that expression hashes alike,
// whatever the rest of the function does, so a file can put all its flows in one bucket and
// make each segment compare itself with every flow held (quadratic time: a hang in practice).
// Endpoints built that way must now hash apart, and such a file must read in linear time.

import { describe, expect, it } from 'vitest';
import { tupleHash } from '../../src/flow/flow-table.js';
import { newDecodedPacket } from '../../src/decode/packet.js';
import { analyzeBytes } from '../../src/pipeline.js';
import { PcapWriter, SYN } from './pcap-writer.js';

const K = 0x9e3779b1;
const X = 0x0a000001;
const N = 60_000;

/** Endpoint i: port i + 1, and the address that keeps `address ^ imul(port, K)` equal to X. */
function crafted(i: number): { addr: number; port: number } {
  const port = (i % 65535) + 1;
  return { addr: (X ^ Math.imul(port, K)) >>> 0, port };
}

describe('hash flooding', () => {
  it('crafted IPv4 endpoints spread over the buckets', () => {
    const pkt = newDecodedPacket();
    pkt.ipVersion = 4;
    pkt.dstAddr[0] = 0xc0000201;
    const hashes = new Set<number>();
    for (let i = 0; i < N; i++) {
      const e = crafted(i);
      pkt.srcAddr[0] = e.addr;
      hashes.add(tupleHash(pkt, e.port, 80));
    }
    // A fair 30-bit hash gives ~N distinct values (expected collisions: N² / 2^31 ≈ 2).
    expect(hashes.size).toBeGreaterThan(N - 100);
  });

  it('crafted IPv6 endpoints (words traded against each other) spread too', () => {
    const pkt = newDecodedPacket();
    pkt.ipVersion = 6;
    pkt.dstAddr.set([0x20010db8, 0, 0, 2]);
    const hashes = new Set<number>();
    for (let i = 0; i < N; i++) {
      // Word 1 varies; word 0 compensates under a "w0 ^ imul(w1, c)" style mix.
      const w1 = i + 1;
      pkt.srcAddr.set([(0x20010db8 ^ Math.imul(w1, 0x85ebca6b)) >>> 0, w1, 0, 1]);
      hashes.add(tupleHash(pkt, 443, 80));
    }
    expect(hashes.size).toBeGreaterThan(N - 100);
  });

  it(`a capture of ${N} such SYNs is read in linear time`, () => {
    const w = new PcapWriter();
    for (let i = 0; i < N; i++) {
      const e = crafted(i);
      w.tcp({ src: e.addr, dst: 0xc0000201, sport: e.port, dport: 80, seq: i, flags: SYN, sec: 1_700_000_000 });
    }
    const t0 = performance.now();
    const report = analyzeBytes(w.done(), {});
    const ms = performance.now() - t0;
    expect(report.flows).toBe(N);
    // One bucket would mean N²/2 = 1.8e9 tuple comparisons; spread out it takes well under 1 s.
    expect(ms).toBeLessThan(8000);
  });
});
