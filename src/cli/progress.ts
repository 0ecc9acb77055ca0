// The progress line on stderr while a large input is read: bytes reached, packets, flows and the
// packet rate, redrawn in place (`\r` + erase to end of line). Shown only when stderr is a
// terminal, and only once reading has taken more than a second, so quick runs and every pipe or
// log file stay free of it. stdout is never touched.

import type { LiveCounters } from '../pipeline.js';

/** Delay before the first line: inputs read faster than this get none. */
export const PROGRESS_DELAY_MS = 1000;
/** Redraw period. */
export const PROGRESS_EVERY_MS = 250;

export interface ProgressClock {
  now(): number;
  every(ms: number, tick: () => void): { stop(): void };
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  every(ms, tick) {
    const t = setInterval(tick, ms);
    // Never keep the process alive for a progress line.
    t.unref();
    return { stop: () => clearInterval(t) };
  },
};

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** One progress line (without the leading `\r`). */
export function progressLine(name: string, c: LiveCounters, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((c.frames * 1000) / elapsedMs) : 0;
  return `synack: ${name}: ${bytesText(c.bytes)} read, ${c.frames} packets, ${c.flows} flows, ${rate} packets/s`;
}

export interface Progress {
  /** The counters the pipeline updates (PipelineOptions.live). */
  live: LiveCounters;
  /** Stops redrawing and erases the line if one was drawn. */
  stop(): void;
}

/**
 * Starts a progress display for one input. With `enabled` false (stderr not a terminal) it only
 * hands out counters and never writes.
 */
export function startProgress(
  name: string,
  enabled: boolean,
  write: (text: string) => void,
  clock: ProgressClock = realClock,
): Progress {
  const live: LiveCounters = { bytes: 0, frames: 0, flows: 0 };
  if (!enabled) return { live, stop() {} };
  const start = clock.now();
  let drawn = false;
  const timer = clock.every(PROGRESS_EVERY_MS, () => {
    const elapsed = clock.now() - start;
    if (elapsed < PROGRESS_DELAY_MS) return;
    write(`\r\x1b[K${progressLine(name, live, elapsed)}`);
    drawn = true;
  });
  return {
    live,
    stop() {
      timer.stop();
      if (drawn) write('\r\x1b[K');
    },
  };
}
