// Word wrapping of the human outputs: `wrap` finds its breaks by searching for spaces, and must
// break exactly where the plain greedy algorithm (split into words, fill each line) does, for
// any text, width and indent; `wrapKeepingUnits` never separates a number from its unit.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wrap, wrapKeepingUnits } from '../../src/render/human.js';

/** The greedy fill, word by word: the definition `wrap` must match. */
function greedy(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const w of text.split(' ')) {
    if (line.length > indent.length && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? ' ' : '') + w;
  }
  if (line.length > indent.length) lines.push(line);
  return lines.map((l) => l.replace(/\u00a0/g, ' '));
}

const word = fc.stringMatching(/^[a-z0-9→()µ\u00a0]{0,14}$/);
/** Words joined by one space, or now and then by none or several (leading, trailing, doubled). */
const text = fc.tuple(fc.array(word, { maxLength: 30 }), fc.array(fc.constantFrom(' ', ' ', ' ', ' ', '', '  ', '   '), { maxLength: 30 })).map(([words, gaps]) =>
  words.map((w, i) => w + (i < words.length - 1 ? (gaps[i] ?? ' ') : '')).join(''),
);
const indent = fc.constantFrom('', ' ', '    ', ' '.repeat(23));

describe('wrap', () => {
  it('breaks where the word-by-word greedy fill breaks', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 90 }), indent, (t, width, ind) => {
        expect(wrap(t, width, ind)).toEqual(greedy(t, width, ind));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps words longer than the line on lines of their own', () => {
    expect(wrap('a bbbbbbbbbb c dd', 6, '  ')).toEqual(['  a', '  bbbbbbbbbb', '  c dd']);
    expect(wrap('x\u00a0y z', 5, '')).toEqual(['x y z']);
    expect(wrap('x\u00a0y z', 4, '')).toEqual(['x y', 'z']);
    expect(wrap('', 10, '  ')).toEqual([]);
  });
});

describe('wrapKeepingUnits', () => {
  const units = fc.tuple(fc.array(fc.constantFrom('sent', '5792', 'B', 'kB', 'ms', 's,', 'µs', 'segments', '(12', 'us)', '1.5'), { maxLength: 25 })).map(([w]) => w.join(' '));

  it('is the greedy fill with every number joined to the unit after it', () => {
    fc.assert(
      fc.property(units, fc.integer({ min: 10, max: 90 }), indent, (t, width, ind) => {
        expect(wrapKeepingUnits(t, width, ind)).toEqual(greedy(t.replace(/(\d) (B|kB|MB|ms|s|µs|us)\b/g, '$1\u00a0$2'), width, ind));
      }),
      { numRuns: 3000 },
    );
  });

  it('does not break "5792 B"', () => {
    expect(wrapKeepingUnits('the server sent 5792 B', 20, '')).toEqual(['the server sent', '5792 B']);
  });
});
