// On a regular file, a finished flow is handed to onFinished only once capture time has moved
// SETTLE_SECONDS past the end of its connection, however slowly the file is read: the wall-clock
// rule is for live pipes. Here reading stalls for longer than SETTLE_WALL_MS after the first
// chunk (as a slow output reader would make it), and no flow may settle early because of it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaptures } from '../../src/bench/generate.js';
import { analyzeInput, SETTLE_SECONDS, SETTLE_WALL_MS } from '../../src/pipeline.js';
import type { Flow } from '../../src/flow/flow.js';

describe('settling on a file', () => {
  let dir = '';
  let capture = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synack-settle-'));
    // About 8 s of capture time, 19 MB: several 1 MiB chunks, flows ending in the first one.
    capture = (await generateCaptures({ packets: 30_000, dir, name: 'settle', gzip: false })).pcap.path;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('follows capture time even when reading stalls past the wall-clock delay', async () => {
    const finishedAt = new Map<Flow, number>();
    let now = 0;
    let settled = 0;
    const early: string[] = [];
    let stalled = false;
    await analyzeInput(
      capture,
      {
        onSegment: (pkt, info) => {
          now = pkt.tsSec;
          if (info !== null && info.flow.finished && !finishedAt.has(info.flow)) finishedAt.set(info.flow, pkt.tsSec);
        },
        onFinished: (flow) => {
          settled++;
          const at = finishedAt.get(flow)!;
          if (now - at < SETTLE_SECONDS) early.push(`stream ${flow.stream}: finished at ${at}, settled at ${now}`);
        },
      },
      {
        between: () => {
          if (stalled) return undefined;
          stalled = true;
          return new Promise((resolve) => setTimeout(resolve, SETTLE_WALL_MS + 500));
        },
      },
    );
    expect(stalled).toBe(true);
    expect(finishedAt.size).toBeGreaterThan(100);
    expect(settled).toBeGreaterThan(100);
    expect(early).toEqual([]);
  }, 30_000);
});
