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

  it('spans several file blocks: in order, shuffled, and a text larger than a block', () => {
    const spill = new TextSpill<number>(10_000);
    const texts: string[] = [];
    for (let i = 0; i < 4000; i++) texts.push(`${i}:${'ü'.repeat(i % 13)}${'y'.repeat(200 + ((i * 7919) % 900))}\n`);
    texts[2500] = 'big'.repeat(700_000); // 2.1 MB, more than a block
    texts.forEach((t, i) => spill.set(i, t));
    // First half in order, then the rest in a fixed shuffled order.
    for (let i = 0; i < 2000; i++) expect(spill.take(i)).toBe(texts[i]);
    const rest = [...Array(2000).keys()].map((k) => 2000 + ((k * 7) % 2000));
    for (const i of rest) expect(spill.take(i)).toBe(texts[i]);
    expect(spill.size).toBe(0);
    spill.close();
  });
});
