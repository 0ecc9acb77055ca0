// --jobs for several inputs when it is not given: threads only once at least two inputs are
// large enough to gain from them (src/cli/command.ts inputJobs); as given otherwise. Sizes are
// made with sparse files, which take no disk space.

import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inputJobs, THREAD_MIN_BYTES, THREAD_MIN_GZIP_BYTES } from '../../src/cli/command.js';
import { inspectInput } from '../../src/cli/input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'synack-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` bytes (sparse), starting with the gzip magic when asked. */
function file(name: string, size: number, gzip = false): string {
  const path = join(dir, name);
  writeFileSync(path, gzip ? Buffer.from([0x1f, 0x8b]) : Buffer.from([0xd4, 0xc3]));
  truncateSync(path, size);
  return path;
}

const bigPcap = file('big.pcap', THREAD_MIN_BYTES);
const bigPcap2 = file('big2.pcap', THREAD_MIN_BYTES + 1);
const smallPcap = file('small.pcap', THREAD_MIN_BYTES - 1);
const bigGzip = file('big.pcap.gz', THREAD_MIN_GZIP_BYTES, true);
const smallGzip = file('small.pcap.gz', THREAD_MIN_GZIP_BYTES - 1, true);
// Large enough for a gzip file, too small for an uncompressed one.
const midPcap = file('mid.pcap', THREAD_MIN_GZIP_BYTES);

describe('inspectInput', () => {
  it('gives size and compression of regular files, and nothing for stdin or missing files', () => {
    expect(inspectInput(bigGzip)).toEqual({ size: THREAD_MIN_GZIP_BYTES, gzip: true });
    expect(inspectInput(midPcap)).toEqual({ size: THREAD_MIN_GZIP_BYTES, gzip: false });
    expect(inspectInput('-')).toBeNull();
    expect(inspectInput(join(dir, 'missing.pcap'))).toBeNull();
    expect(inspectInput(dir)).toBeNull();
  });
});

describe('inputJobs', () => {
  const cores = availableParallelism();

  it('uses every core once two inputs are large', () => {
    expect(inputJobs(undefined, [bigPcap, bigPcap2])).toBe(cores);
    expect(inputJobs(undefined, [smallPcap, bigGzip, bigPcap])).toBe(cores);
    expect(inputJobs(undefined, [bigGzip, bigGzip])).toBe(cores);
  });

  it('reads small inputs one after the other', () => {
    expect(inputJobs(undefined, [smallPcap, smallPcap])).toBe(1);
    expect(inputJobs(undefined, [bigPcap, smallPcap, smallGzip, midPcap])).toBe(1);
    expect(inputJobs(undefined, [bigPcap])).toBe(1);
    expect(inputJobs(undefined, ['-', bigPcap])).toBe(1);
  });

  it('takes --jobs as given', () => {
    expect(inputJobs(3, [smallPcap, smallPcap])).toBe(3);
    expect(inputJobs(1, [bigPcap, bigPcap2])).toBe(1);
  });
});
