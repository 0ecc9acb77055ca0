// V8 heap settings for a synack process (the CLI only: importing synack's modules changes
// nothing).
//
// A flow outlives its connection: it lingers for late segments (60 s of capture time, a third
// of a second of reading on a fast file), so nearly every flow is copied to V8's old generation
// and dies there. By default V8 lets the old generation grow to up to four times what its last
// full collection kept before it collects again: on the 2.1M-packet bench capture `summary`
// kept about 110 MB and peaked at 533–548 MB of RSS, `ladder` at 535 MB. Growing by at most
// twice (heap growing factor 1 + 100/100) keeps them at about 360 MB, `flows` at 175 MB instead
// of 209 and `packets` at 190 instead of 247, for no time we could measure (hyperfine, 8
// alternating runs of each: flows 3.82 → 3.79 s, summary 6.85 → 6.50, packets 6.52 → 6.19;
// another 10-run pair of summary gave 6.37 → 6.79, within the machine's ±10%).

import { setFlagsFromString } from 'node:v8';

/** V8's --heap-growing-percent for synack: the old generation at most doubles between full collections. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * The V8 flags to set, or none when the user chose the heap growth already (node
 * --heap-growing-percent=N, or the same in NODE_OPTIONS): theirs is kept.
 */
export function heapFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const chosen = (s: string): boolean => /--heap[-_]growing[-_]percent\b/.test(s);
  if (execArgv.some(chosen) || (nodeOptions !== undefined && chosen(nodeOptions))) return [];
  return [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
}

/**
 * Applies heapFlags to this process, before the analysis allocates anything much. V8 reads the
 * growing factor each time it sets the next collection's limit, so it holds from then on, for
 * worker threads too (flags are per process).
 */
export function tuneHeap(): void {
  for (const flag of heapFlags(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
}
