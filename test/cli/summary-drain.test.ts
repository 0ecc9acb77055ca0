// summary writes flows in stream order, so when stream 0 never ends (an unanswered SYN, held to
// the end of input like tshark holds it) the text of every later flow waits until the end. That
// backlog must go out as the output drains, a bounded amount between two waits, not all at once
// into the output stream's memory (a 20 GB capture piped into a pager would queue gigabytes; on
// the 2.1M-packet benchmark capture with such a SYN, piped to a reader that waits, 348 MB of
// output was queued at the end, 11 MB now).
// The output here is an Io that says it is backed up past 1 MiB and drains on the next turn of
// the event loop; the test records the most it ever held.

import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaptures } from '../../src/bench/generate.js';
import { memoryIo, type Io } from '../../src/cli/io.js';
import { summaryCommand } from '../../src/cli/summary.js';

/**
 * A copy of a little-endian µs pcap, its capture time stretched STRETCH times (flows then end
 * and linger out during the capture, as in long captures, instead of all at its end), with first
 * an unanswered SYN (the first frame's, from port 1), which stays open to the end.
 */
function withHeldSyn(src: string, dst: string): void {
  const STRETCH = 20;
  const bytes = Buffer.from(readFileSync(src));
  const t0 = bytes.readUInt32LE(24) * 1e6 + bytes.readUInt32LE(28);
  for (let p = 24; p + 16 <= bytes.length; p += 16 + bytes.readUInt32LE(p + 8)) {
    const t = t0 + (bytes.readUInt32LE(p) * 1e6 + bytes.readUInt32LE(p + 4) - t0) * STRETCH;
    bytes.writeUInt32LE(Math.floor(t / 1e6), p);
    bytes.writeUInt32LE(t % 1e6, p + 4);
  }
  const firstLength = bytes.readUInt32LE(24 + 8);
  const syn = Buffer.from(bytes.subarray(24, 24 + 16 + firstLength));
  const ip = 16 + 14;
  const tcp = ip + (syn[ip]! & 0x0f) * 4;
  syn.writeUInt16BE(1, tcp);
  syn[tcp + 13] = 0x02;
  writeFileSync(dst, Buffer.concat([bytes.subarray(0, 24), syn, bytes.subarray(24)]));
}

const BACKED_UP = 1 << 20;

/** An Io whose output backs up past BACKED_UP bytes and drains on the next turn of the loop. */
function slowIo(): Io & { text: () => string; mostQueued: () => number } {
  const base = memoryIo();
  const chunks: Buffer[] = [];
  let queued = 0;
  let most = 0;
  const add = (b: Buffer): void => {
    chunks.push(b);
    queued += b.length;
    most = Math.max(most, queued);
  };
  return {
    ...base,
    lineOutput: undefined,
    stdout: (t) => add(Buffer.from(t, 'utf8')),
    stdoutBytes: (b) => add(Buffer.from(b)),
    backpressure: () =>
      queued < BACKED_UP
        ? undefined
        : new Promise<void>((resolve) =>
            setImmediate(() => {
              queued = 0;
              resolve();
            }),
          ),
    text: () => Buffer.concat(chunks).toString('utf8'),
    mostQueued: () => most,
  };
}

describe('summary behind a flow that never ends', () => {
  let dir = '';
  let capture = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synack-drain-'));
    const c = await generateCaptures({ packets: 200_000, dir, name: 'd', gzip: false });
    capture = join(dir, 'held.pcap');
    withHeldSyn(c.pcap.path, capture);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the waiting texts as the output drains, a few MiB at a time, in order', async () => {
    const quick = memoryIo();
    expect(await summaryCommand([capture], {}, quick)).toBe(0);
    // Every flow after stream 0 waited for it: megabytes of text, all released at the end.
    expect(quick.out.length).toBeGreaterThan(8 << 20);
    expect(quick.out.startsWith('Stream 0 ')).toBe(true);

    const slow = slowIo();
    expect(await summaryCommand([capture], {}, slow)).toBe(0);
    expect(slow.text()).toBe(quick.out);
    // Past the backed-up mark, at most two shares of the release budget (4 MiB): one by the last
    // flows, one by the first drain at end of input before the first wait; and a text or two.
    expect(slow.mostQueued()).toBeLessThan(BACKED_UP + 2 * (4 << 20) + (64 << 10));
  }, 120_000);
});
