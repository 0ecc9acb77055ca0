// csvRow writes each cell as UTF-8 in place, with numbers spelled digit by digit and plain
// strings copied: the row must be exactly the cells as csvCell spells them (RFC 4180 quoting,
// String() for numbers and booleans, empty for null), joined by commas and ended by LF.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from '../../src/render/csv.js';
import type { Cell, Field } from '../../src/render/fields.js';

const cell: fc.Arbitrary<Cell> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -1, 2 ** 32, 0.023457),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('a,b', 'say "hi"', 'line\nbreak', 'cr\r', '10.0.0.1', 'é→ü'),
);

describe('csvRow', () => {
  it('is the cells as csvCell spells them, comma-separated, LF-terminated', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 30 }), (cells) => {
        const fields: Field<Cell[]>[] = cells.map((_, i) => ({ name: `c${i}`, get: (r) => r[i]! }));
        return csvRow(fields, cells) === cells.map(csvCell).join(',') + '\n';
      }),
      { numRuns: 5_000 },
    );
    expect(csvRow([{ name: 'n', get: () => NaN }], null)).toBe('NaN\n');
  });
});
