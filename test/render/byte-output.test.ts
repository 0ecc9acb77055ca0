// ByteOutput writes records as UTF-8 in place: whatever is written — fragments, characters,
// text with or without non-ASCII characters, numbers of every kind — must come out as the same
// text written with strings, whether the block is handed over whenever it fills (tiny blocks,
// so that records straddle them) or grows and is taken as a string. Fragments up to 250 bytes
// take both ways of copying them (word by word, and TypedArray.set past LONG_FRAGMENT).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteOutput, fragment } from '../../src/render/byte-output.js';

type Op = { kind: 'raw' | 'text'; value: string } | { kind: 'byte'; value: number } | { kind: 'number'; value: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('raw' as const), value: fc.string({ maxLength: 250 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')) }),
  fc.record({ kind: fc.constant('text' as const), value: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 })) }),
  fc.record({ kind: fc.constant('byte' as const), value: fc.integer({ min: 0x20, max: 0x7e }) }),
  fc.record({
    kind: fc.constant('number' as const),
    value: fc.oneof(
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.integer({ min: -1e6, max: 2 ** 40 }),
      fc.double(),
      fc.constantFrom(0, 9, 10, 99, 100, 1e9 - 1, 1e9, 2 ** 32 - 1, 2 ** 32, -0, 1e-6, 1e-7, 999999.999999999, 1e6, 0.1 + 0.2),
      // Durations and round-trip times: nanoseconds as seconds, exactly and as secondsBetween
      // computes them (two roundings, which may land on a double that is no whole nanosecond).
      fc.integer({ min: 0, max: 1e16 }).map((k) => k / 1e9),
      fc.tuple(fc.integer({ min: 0, max: 2e6 }), fc.integer({ min: -999_999_999, max: 999_999_999 })).map(([s, ns]) => s + ns / 1e9),
      fc.integer({ min: 0, max: 1e7 }).map((us) => us / 1e6),
    ),
  }),
);

function write(out: ByteOutput, ops: Op[]): string {
  let expected = '';
  for (const o of ops) {
    switch (o.kind) {
      case 'raw':
        out.raw(fragment(o.value));
        expected += o.value;
        break;
      case 'text':
        out.text(o.value);
        expected += o.value;
        break;
      case 'byte':
        out.byte(o.value);
        expected += String.fromCharCode(o.value);
        break;
      case 'number':
        out.number(o.value);
        expected += JSON.stringify(o.value);
        break;
    }
  }
  return expected;
}

describe('ByteOutput', () => {
  it('hands over blocks whose bytes, joined, are the UTF-8 of what was written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(op, { maxLength: 60 }), (size, ops) => {
        const blocks: Uint8Array[] = [];
        const out = new ByteOutput(size, (b) => blocks.push(b));
        const expected = write(out, ops);
        out.flush();
        return Buffer.concat(blocks).toString('utf8') === expected && Buffer.concat(blocks).equals(Buffer.from(expected, 'utf8'));
      }),
      { numRuns: 3_000 },
    );
  });

  it('without a receiver, grows and gives back the text', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const out = new ByteOutput(4);
        const expected = write(out, ops);
        return out.take() === expected && out.pos === 0;
      }),
      { numRuns: 3_000 },
    );
  });

  it('hands a block over when the next piece might not fit, and never an empty one', () => {
    const blocks: string[] = [];
    const out = new ByteOutput(16, (b) => blocks.push(Buffer.from(b).toString()));
    out.raw(fragment('abcdef'));
    out.byte(0x2c);
    expect(blocks).toEqual([]);
    // A number may take ten bytes: 7 + 10 > 16.
    out.number(42);
    expect(blocks).toEqual(['abcdef,']);
    out.flush();
    out.flush();
    expect(blocks).toEqual(['abcdef,', '42']);
  });
});
