// The progress line (src/cli/progress.ts) with a fake clock: nothing during the first second,
// then a line redrawn in place with bytes, packets, flows and rate; erased at the end; never
// anything when disabled (stderr not a terminal).

import { describe, expect, it } from 'vitest';
import { PROGRESS_DELAY_MS, PROGRESS_EVERY_MS, startProgress, type ProgressClock } from '../../src/cli/progress.js';

function fakeClock(): ProgressClock & { advance(ms: number): void } {
  let now = 0;
  const ticks: { every: number; next: number; tick: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    every(ms, tick) {
      const t = { every: ms, next: ms, tick, live: true };
      ticks.push(t);
      return { stop: () => void (t.live = false) };
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = ticks.filter((t) => t.live && t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (due === undefined) break;
        now = due.next;
        due.next += due.every;
        due.tick();
      }
      now = end;
    },
  };
}

describe('progress line', () => {
  it('waits a second, then shows bytes, packets, flows and rate; erases itself at the end', () => {
    const clock = fakeClock();
    let err = '';
    const p = startProgress('big.pcap', true, (t) => (err += t), clock);
    p.live.bytes = 3 * 1024 * 1024;
    p.live.frames = 5000;
    p.live.flows = 7;
    clock.advance(PROGRESS_DELAY_MS - PROGRESS_EVERY_MS);
    expect(err).toBe('');
    clock.advance(PROGRESS_EVERY_MS);
    expect(err).toBe('\r\x1b[Ksynack: big.pcap: 3.0 MiB read, 5000 packets, 7 flows, 5000 packets/s');
    p.stop();
    expect(err.endsWith('\r\x1b[K')).toBe(true);
    const before = err;
    clock.advance(5000);
    expect(err).toBe(before);
  });

  it('a quick input leaves no trace', () => {
    const clock = fakeClock();
    let err = '';
    const p = startProgress('small.pcap', true, (t) => (err += t), clock);
    clock.advance(PROGRESS_DELAY_MS / 2);
    p.stop();
    expect(err).toBe('');
  });

  it('disabled (stderr is not a terminal): never writes', () => {
    const clock = fakeClock();
    let err = '';
    const p = startProgress('big.pcap', false, (t) => (err += t), clock);
    clock.advance(10_000);
    p.stop();
    expect(err).toBe('');
  });
});
