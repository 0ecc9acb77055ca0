// The fast paths of the per-segment formatting must write exactly what the plain definitions
// write: timestamps from three-digit groups and a cached second (against padStart/slice), and
// IPv6 text from a direct-mapped cache whose slots are shared by many addresses (against
// parsing the text back).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEpoch } from '../../src/render/time.js';
import { formatIpv6 } from '../../src/decode/address.js';

describe('formatEpoch', () => {
  const plain = (sec: number, nsec: number, precision: number): string =>
    precision <= 0 ? String(sec) : `${sec}.${String(nsec).padStart(9, '0').slice(0, Math.min(precision, 9))}`;

  it('equals the padded-fraction definition at every precision, seconds changing or not', () => {
    const stamp = fc.record({
      sec: fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1_709_294_400, 1_709_294_401)),
      nsec: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(0, 1, 999, 1_000, 999_999, 1_000_000, 999_999_999)),
      precision: fc.integer({ min: 0, max: 12 }),
    });
    fc.assert(
      fc.property(fc.array(stamp, { minLength: 1, maxLength: 20 }), (stamps) =>
        stamps.every(({ sec, nsec, precision }) => formatEpoch(sec, nsec, precision) === plain(sec, nsec, precision)),
      ),
      { numRuns: 5_000 },
    );
  });
});

/** The eight groups an IPv6 text stands for (full, "::"-compressed, or ending in dotted IPv4). */
function parseIpv6(text: string): number[] {
  let groupsText = text;
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    groupsText = text.slice(0, dotted.index);
    if (groupsText.endsWith(':') && !groupsText.endsWith('::')) groupsText = groupsText.slice(0, -1);
  }
  const hex = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head, rest] = groupsText.split('::') as [string, string | undefined];
  const left = hex(head);
  const right = rest === undefined ? [] : hex(rest);
  const zeros = 8 - tail.length - left.length - right.length;
  return [...left, ...Array<number>(rest === undefined ? 0 : zeros).fill(0), ...right, ...tail];
}

describe('formatIpv6', () => {
  // Few distinct groups and many zero runs: addresses repeat, share cache slots and exercise
  // every "::" and dotted-IPv4 rule.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
  const address = fc.array(group, { minLength: 8, maxLength: 8 });

  it('gives each address its own text however the cache slots are shared', () => {
    fc.assert(
      fc.property(fc.array(address, { minLength: 1, maxLength: 3_000 }), (addresses) => {
        for (const g of [...addresses, ...addresses.reverse()]) {
          const words = [0, 1, 2, 3].map((i) => ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0);
          const text = formatIpv6(words);
          if (parseIpv6(text).join() !== g.join()) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same text on a hit as on a miss', () => {
    const words = [0x2001_0db8, 0, 0, 1];
    const first = formatIpv6(words);
    expect(formatIpv6(Uint32Array.from(words))).toBe(first);
    expect(first).toBe('2001:db8::1');
  });
});
