// TextSpill: waiting text comes out exactly as set and in stream order, whether it stayed in
// memory or went to disk past the budget, whatever the order it arrived in, including
// multi-byte characters, texts larger than a file block, and reuse of the file once everything
// on disk was written.

import { describe, expect, it } from 'vitest';
import { TextSpill, type TextOutput } from '../../src/cli/text-spill.js';

/** Collects what a spill writes, and how many writes of each kind it took. */
function sink(): TextOutput & { out: string; texts: number; byteWrites: number } {
  const utf8 = new TextDecoder();
  const s = {
    out: '',
    texts: 0,
    byteWrites: 0,
    stdout(t: string) {
      s.out += t;
      s.texts++;
    },
    stdoutBytes(b: Uint8Array) {
      s.out += utf8.decode(b);
      s.byteWrites++;
    },
  };
  return s;
}

describe('TextSpill', () => {
  it('writes a run of consecutive streams, from memory and from disk, up to the first missing one', () => {
    const spill = new TextSpill(100);
    const texts: string[] = [];
    for (let i = 0; i < 50; i++) texts.push(`flow ${i} ${'é→'.repeat(i % 7)} ${'x'.repeat(i * 3)}\n`);
    // Set last, into a budget freed by then: kept in memory, between texts kept on disk.
    texts[35] = 'in memory\n';
    texts.forEach((t, i) => {
      if (i !== 20 && i !== 35) spill.set(i, t);
    });
    expect(spill.size).toBe(48);
    const out = sink();
    expect(spill.writeRun(0, out)).toBe(20);
    expect(out.out).toBe(texts.slice(0, 20).join(''));
    expect(spill.writeRun(20, out)).toBe(20);
    spill.set(35, texts[35]!);
    spill.set(20, texts[20]!);
    expect(spill.writeRun(20, out)).toBe(50);
    expect(out.out).toBe(texts.join(''));
    expect(spill.size).toBe(0);
    // The file is reused once drained.
    const again = sink();
    spill.set(1, 'a'.repeat(300));
    spill.set(2, 'b'.repeat(10));
    expect(spill.writeRun(1, again)).toBe(3);
    expect(again.out).toBe('a'.repeat(300) + 'b'.repeat(10));
    spill.close();
  });

  it('spans several file blocks, texts arriving out of order and one larger than a block', () => {
    const spill = new TextSpill(10_000);
    const texts: string[] = [];
    for (let i = 0; i < 4000; i++) texts.push(`${i}:${'ü'.repeat(i % 13)}${'y'.repeat(200 + ((i * 7919) % 900))}\n`);
    texts[2500] = 'big'.repeat(700_000); // 2.1 MB, more than a block
    // Stream 0 arrives last (a connection open to the end); the rest nearly in order, as flows
    // end, each one written as soon as everything before it is there.
    const arrival = [...Array(3999).keys()].map((k) => 1 + (k ^ 3)).filter((k) => k < 4000);
    arrival.push(...[...Array(4000).keys()].filter((k) => k > 0 && !arrival.includes(k)), 0);
    const out = sink();
    let next = 0;
    for (const i of arrival) {
      spill.set(i, texts[i]!);
      next = spill.writeRun(next, out);
    }
    expect(next).toBe(4000);
    expect(out.out).toBe(texts.join(''));
    expect(spill.size).toBe(0);
    // What waited on disk (some 4 MB) went out in writes of many texts each, not one per text.
    expect(out.byteWrites).toBeLessThan(100);
    spill.close();
  });

  it('stops a run once its budget is written, from memory or from disk, and goes on from there', () => {
    const spill = new TextSpill(1_000);
    const texts = [...Array(200).keys()].map((i) => `${i} ${'z'.repeat(90)}\n`);
    texts.forEach((t, i) => spill.set(i, t));
    const out = sink();
    let next = 0;
    const runs: number[] = [];
    while (spill.has(next)) {
      const before = spill.released;
      next = spill.writeRun(next, out, Infinity, 2_000);
      runs.push(spill.released - before);
    }
    expect(next).toBe(200);
    expect(out.out).toBe(texts.join(''));
    // ~95 bytes a text: each run stops at the first text that reaches 2,000 bytes.
    expect(runs.slice(0, -1).every((n) => n >= 2_000 && n < 2_100)).toBe(true);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(spill.released);
    spill.close();
  });
});
