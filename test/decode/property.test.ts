// fast-check properties: no input makes the decoder throw, for every link type, and damaged
// frames still leave a consistent record (a TCP header only with an IP layer, payload bounds).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import { ethernet, ipv4, ipv6, rec, tcp, vlanTag } from './build.js';

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

/** Valid prefixes worth mutating: random bytes alone rarely reach the TCP decoder. */
const seg = tcp({ options: [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 4, 0x21, 0] });
const SEEDS: [number, number[]][] = [
  [1, [...ethernet(0x0800), ...ipv4({ payloadLength: seg.length }), ...seg]],
  [1, [...ethernet(0x8100), ...vlanTag(3, 0x86dd), ...ipv6({ payloadLength: seg.length + 8, nextHeader: 0 }), 6, 0, 1, 4, 0, 0, 0, 0, ...seg]],
  [101, [...ipv6({ payloadLength: seg.length + 8, nextHeader: 44 }), 6, 0, 0, 0, 0, 0, 0, 1, ...seg]],
  [0, [2, 0, 0, 0, ...ipv4({ payloadLength: seg.length }), ...seg]],
];

function check(p: ReturnType<typeof newDecodedPacket>): void {
  if (p.tcp !== null) {
    expect(p.ipVersion).not.toBe(0);
    expect(p.notTcp).toBeNull();
    expect(p.tcp.payloadCaptured).toBeGreaterThanOrEqual(0);
    expect(p.tcp.payloadCaptured).toBeLessThanOrEqual(p.tcp.payloadLength);
    // (payloadOffset may lie past the captured bytes when the header was cut; nothing is read there)
    if (p.tcp.payloadCaptured > 0) expect(p.tcp.payloadOffset + p.tcp.payloadCaptured).toBeLessThanOrEqual(p.data.length);
  } else {
    expect(p.notTcp).not.toBeNull();
  }
  if (p.error !== null) {
    expect(p.error.offset).toBeGreaterThanOrEqual(0);
    expect(p.error.offset).toBeLessThanOrEqual(p.data.length);
  }
  // The stated IP length, as the frame's bytes hold it (what Zeek's ConnSize counts).
  const d = p.data;
  const ip = p.ipOffset;
  if (p.ipVersion === 4) expect(p.ipTotalLength).toBe((d[ip + 2]! << 8) | d[ip + 3]!);
  else if (p.ipVersion === 6) expect(p.ipTotalLength).toBe(((d[ip + 4]! << 8) | d[ip + 5]!) + 40);
  else expect(p.ipTotalLength).toBe(0);
}

/** A seed frame with up to six bytes overwritten, cut at a random length (snaplen). */
const damagedFrame = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
  .map(([[linkType, seed], edits, cut]) => {
    const bytes = Uint8Array.from(seed);
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    return { linkType, frame: bytes.subarray(0, cut % (bytes.length + 1)), originalLength: bytes.length };
  });

describe('decodePacket never throws', () => {
  it('on random bytes, for every link type, with any FCS and original length', () => {
    const out = newDecodedPacket();
    fc.assert(
      fc.property(
        fc.constantFrom(...LINK_TYPES),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 400 }),
        (linkType, bytes, fcsLength, extra) => {
          decodePacket(rec(linkType, bytes, { fcsLength, originalLength: bytes.length + extra }), out);
          check(out);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('on valid frames with random damage and random cuts', () => {
    const out = newDecodedPacket();
    fc.assert(
      fc.property(damagedFrame, ({ linkType, frame, originalLength }) => {
        decodePacket(rec(linkType, frame, { originalLength }), out);
        check(out);
      }),
      { numRuns: 3000 },
    );
  });
});

/** The decoded fields of a packet as plain data (the scratch packet is overwritten by the next call). */
function snapshot(p: ReturnType<typeof newDecodedPacket>): unknown {
  return {
    ipVersion: p.ipVersion,
    ipOffset: p.ipOffset,
    ttl: p.ttl,
    ipTotalLength: p.ipTotalLength,
    srcAddr: [...p.srcAddr],
    dstAddr: [...p.dstAddr],
    vlanIds: [...p.vlanIds],
    notTcp: p.notTcp,
    error: p.error === null ? null : { ...p.error },
    tcp: p.tcp === null ? null : { ...p.tcp, options: JSON.stringify(p.tcp.options) },
    data: [...p.data],
  };
}

describe('decoding in place', () => {
  it('a frame inside a larger buffer (as in a reader chunk) decodes as it does alone, reading nothing around it', () => {
    const out = newDecodedPacket();
    fc.assert(
      fc.property(
        damagedFrame,
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        ({ linkType, frame, originalLength }, before, after) => {
          decodePacket(rec(linkType, frame, { originalLength }), out);
          const alone = snapshot(out);
          const chunk = Uint8Array.from([...before, ...frame, ...after]);
          decodePacket(rec(linkType, chunk, { bytes: chunk, dataStart: before.length, capturedLength: frame.length, originalLength }), out);
          expect(snapshot(out)).toEqual(alone);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
