// Self-time ranking of a hand-written .cpuprofile (Chrome DevTools Protocol Profiler.Profile).

import { describe, expect, it } from 'vitest';
import { topSelfTime, type CpuProfile } from '../../src/bench/profile.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });

describe('topSelfTime', () => {
  it('charges each sample the time until the next one and merges identical frames', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '', -1) },
        { id: 2, callFrame: frame('decodeTcp', 'file:///x/dist/decode/tcp.js', 58) },
        { id: 3, callFrame: frame('decodeTcp', 'file:///x/dist/decode/tcp.js', 58) }, // another call path
        { id: 4, callFrame: frame('', 'file:///x/dist/a.js', 0) },
        { id: 5, callFrame: frame('(garbage collector)', '', -1) },
      ],
      startTime: 1000,
      // samples at 1000+0, +100, +400, +450, +1450; profile ends at 1000+2000
      samples: [2, 5, 3, 4, 2],
      timeDeltas: [0, 100, 300, 50, 1000],
      endTime: 3000,
    };
    // Each sample lasts until the next; the last one until endTime (3000 − 2450 = 550 µs).
    // a.js: 1000 µs; decodeTcp: 100 + 50 + 550 = 700 µs over two nodes; GC: 300 µs; of 2000 µs.
    expect(topSelfTime(profile, 3)).toEqual([
      { label: '(anonymous) (a.js:1)', ms: 1, share: 0.5 },
      { label: 'decodeTcp (tcp.js:59)', ms: 0.7, share: 0.35 },
      { label: '(garbage collector)', ms: 0.3, share: 0.15 },
    ]);
    expect(topSelfTime(profile, 1)).toHaveLength(1);
  });
});
