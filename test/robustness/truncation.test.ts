// fast-check properties over the decoders: for any valid Ethernet [+ 802.1Q tags] + IPv4 (with
// options) or IPv6 + TCP (with options) frame, every snaplen cut gives exactly the error its
// layout predicts: the layer whose bytes ran out, the bytes that layer needs (its fixed size,
// or the IHL / data offset it claims), the bytes captured from its start, and its offset. The
// expectations come from the RFC header sizes (Ethernet 14, 802.1Q 4, RFC 791 20 + options,
// RFC 8200 40, RFC 9293 20 + options), computed here, not from the decoder.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import type { DecodeError } from '../../src/decode/types.js';
import { ethernet, ipv4, ipv6, rec, tcp, vlanTag } from '../decode/build.js';

interface Layout {
  bytes: number[];
  vlanTags: number;
  ipStart: number;
  ipVersion: 4 | 6;
  /** IPv4 header bytes per IHL (20..60), or 40. */
  ipHeader: number;
  tcpStart: number;
  /** TCP header bytes per data offset (20..60). */
  tcpHeader: number;
  payload: number;
}

const frameArb = fc
  .record({
    vlanTags: fc.integer({ min: 0, max: 2 }),
    v6: fc.boolean(),
    ipOptionWords: fc.integer({ min: 0, max: 10 }),
    tcpOptionWords: fc.integer({ min: 0, max: 10 }),
    payload: fc.integer({ min: 0, max: 24 }),
    sport: fc.integer({ min: 0, max: 65535 }),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    flags: fc.integer({ min: 0, max: 0x1ff }),
  })
  .map((p): Layout => {
    // Options made of NOPs (kind 1), valid for both IPv4 (RFC 791) and TCP (RFC 9293 §3.2).
    const tcpBytes = tcp({ src: p.sport, seq: p.seq, flags: p.flags, options: new Array(p.tcpOptionWords * 4).fill(1) });
    const payload = new Array(p.payload).fill(0x61);
    const l4 = [...tcpBytes, ...payload];
    const ipBytes = p.v6
      ? ipv6({ payloadLength: l4.length })
      : ipv4({ payloadLength: l4.length, options: new Array(p.ipOptionWords * 4).fill(1) });
    const ipType = p.v6 ? 0x86dd : 0x0800;
    const link: number[] = [];
    if (p.vlanTags === 0) link.push(...ethernet(ipType));
    else {
      link.push(...ethernet(0x8100));
      for (let i = 0; i < p.vlanTags; i++) link.push(...vlanTag(100 + i, i === p.vlanTags - 1 ? ipType : 0x8100));
    }
    return {
      bytes: [...link, ...ipBytes, ...l4],
      vlanTags: p.vlanTags,
      ipStart: link.length,
      ipVersion: p.v6 ? 6 : 4,
      ipHeader: ipBytes.length,
      tcpStart: link.length + ipBytes.length,
      tcpHeader: tcpBytes.length,
      payload: p.payload,
    };
  });

/** The error a cut after `k` bytes must give, from the layout alone. */
function expectedError(f: Layout, k: number): { error: Omit<DecodeError, 'kind'> & { kind: 'truncated' } | null; tcp: boolean } {
  const t = (layer: string, detail: string, offset: number) => ({ error: { kind: 'truncated' as const, layer, detail, offset }, tcp: false });
  if (k < 14) return t('Ethernet', `header needs 14 bytes, ${k} captured`, 0);
  for (let i = 0; i < f.vlanTags; i++) {
    const o = 14 + 4 * i;
    if (k < o + 4) return t('802.1Q tag', `header needs 4 bytes, ${k - o} captured`, o);
  }
  const ip = f.ipStart;
  if (f.ipVersion === 6) {
    if (k < ip + 40) return t('IPv6 header', `header needs 40 bytes, ${k - ip} captured`, ip);
  } else {
    if (k < ip + 20) return t('IPv4 header', `header needs 20 bytes, ${k - ip} captured`, ip);
    if (k < ip + f.ipHeader) return t('IPv4 header', `IHL says ${f.ipHeader} bytes, ${k - ip} captured`, ip);
  }
  const o = f.tcpStart;
  const avail = k - o;
  // Fewer than 16 bytes: no usable TCP header at all (Wireshark reads through the window).
  if (avail < 16) return t('TCP header', `header needs 20 bytes, ${avail} captured`, o);
  if (avail < 20) return { ...t('TCP header', `header needs 20 bytes, ${avail} captured`, o), tcp: true };
  if (avail < f.tcpHeader) return { ...t('TCP header', `data offset says ${f.tcpHeader} bytes, ${avail} captured`, o + 12), tcp: true };
  return { error: null, tcp: true };
}

describe('every snaplen cut of a valid frame gives the exact error', () => {
  it('Ethernet, 802.1Q, IPv4/IPv6 and TCP with options, all cut points', () => {
    const out = newDecodedPacket();
    fc.assert(
      fc.property(frameArb, (f) => {
        const whole = Uint8Array.from(f.bytes);
        for (let k = 0; k <= whole.length; k++) {
          decodePacket(rec(1, whole.subarray(0, k), { originalLength: whole.length }), out);
          const want = expectedError(f, k);
          expect(out.error, `cut at ${k} of ${whole.length}`).toEqual(want.error);
          expect(out.tcp !== null, `tcp at cut ${k}`).toBe(want.tcp);
          if (out.tcp !== null) {
            // tshark's tcp.len is what the IP length claims, whatever was captured.
            expect(out.tcp.payloadLength).toBe(f.payload);
            expect(out.tcp.payloadCaptured).toBe(Math.max(0, Math.min(f.payload, k - f.tcpStart - f.tcpHeader)));
          } else {
            const layer = want.error!.layer;
            expect(out.notTcp).toBe(`truncated ${layer === 'Ethernet' ? 'Ethernet header' : layer}`);
          }
        }
      }),
      { numRuns: 150, seed: 0x5ac4 },
    );
  });

  it('random bytes after a valid prefix never throw, whatever the link type and lengths', () => {
    const out = newDecodedPacket();
    fc.assert(
      fc.property(
        frameArb,
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom(0, 1, 12, 101, 108, 113, 276),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 8 }),
        (f, junk, at, linkType, orig, fcs) => {
          const bytes = Uint8Array.from([...f.bytes.slice(0, at), ...junk]);
          decodePacket(rec(linkType, bytes, { originalLength: orig, fcsLength: fcs }), out);
          if (out.error !== null) expect(out.error.offset).toBeLessThanOrEqual(bytes.length);
          if (out.tcp === null) expect(out.notTcp).not.toBeNull();
        },
      ),
      { numRuns: 3000, seed: 0x5ac5 },
    );
  });
});
