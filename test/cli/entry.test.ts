// bin/synack runs the bundle `npm run build` makes; in a checkout never built it says how to
// build rather than print a stack trace.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath } from './binary.js';

describe('bin/synack', () => {
  it('without dist/: a one-line message naming the build command, exit 70', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-unbuilt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(binPath, join(dir, 'bin', 'synack'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'synack'), 'flows', 'x.pcap'], { encoding: 'utf8' });
      expect(r.status).toBe(70);
      expect(r.stderr).toBe('synack: not built yet: run `npm install` (or `npm run build`) in the synack folder\n');
      expect(r.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
