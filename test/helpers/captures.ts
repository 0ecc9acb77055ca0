// Every capture file under a folder (pcap, pcapng, cap, gzip-compressed or not), sorted: for
// tests that check a property on every segment or flow we ship or the corpus holds.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './corpus.js';

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/;

export function captureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (CAPTURE.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Every capture the repository ships: fixtures/ and the decoder's hand-built edge frames. */
export function shippedCaptures(): string[] {
  return [...captureFiles(fixturesDir), join(fixturesDir, '..', 'test', 'decode', 'fixtures', 'edge-frames.pcapng')];
}
