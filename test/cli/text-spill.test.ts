// TextSpill: waiting text comes back exactly as set, whether it stayed in memory or went to disk
// past the budget, in any order of taking, including multi-byte characters and reuse of the file
// once everything on disk was taken.

import { describe, expect, it } from 'vitest';
import { TextSpill } from '../../src/cli/text-spill.js';

describe('TextSpill', () => {
  it('returns every text once, from memory or from disk, in any order', () => {
    const spill = new TextSpill<number>(100);
    const texts = new Map<number, string>();
    for (let i = 0; i < 50; i++) {
      const t = `flow ${i} ${'é→'.repeat(i % 7)} ${'x'.repeat(i * 3)}\n`;
      texts.set(i, t);
      spill.set(i, t);
    }
    expect(spill.size).toBe(50);
    // Odd streams first, then even ones backwards.
    const order = [...texts.keys()].filter((k) => k % 2 === 1).concat([...texts.keys()].filter((k) => k % 2 === 0).reverse());
    for (const k of order) expect(spill.take(k)).toBe(texts.get(k));
    expect(spill.size).toBe(0);
    expect(spill.take(3)).toBeUndefined();
    // The file is reused once drained.
    spill.set(1, 'a'.repeat(300));
    spill.set(2, 'b'.repeat(10));
    expect(spill.take(2)).toBe('b'.repeat(10));
    expect(spill.take(1)).toBe('a'.repeat(300));
    spill.close();
  });
});
