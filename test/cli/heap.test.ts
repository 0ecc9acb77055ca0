// The CLI sets V8's heap growth (src/cli/heap.ts) unless the user already chose one, on the
// node command line or in NODE_OPTIONS. Its effect on peak memory is measured by the benchmark
// (`npm run bench`: peak RSS of each command), not here.

import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapFlags } from '../../src/cli/heap.js';

describe('heapFlags', () => {
  it('sets the growth when nothing chose it', () => {
    expect(heapFlags([], undefined)).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    expect(heapFlags(['--max-old-space-size=4096'], '--enable-source-maps')).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  });

  it("keeps the user's choice, in either spelling, from node's arguments or NODE_OPTIONS", () => {
    expect(heapFlags(['--heap-growing-percent=300'], undefined)).toEqual([]);
    expect(heapFlags(['--heap_growing_percent', '50'], undefined)).toEqual([]);
    expect(heapFlags([], '--max-old-space-size=8192 --heap-growing-percent=20')).toEqual([]);
  });
});
