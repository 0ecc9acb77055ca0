// What the command line can tell about an input before reading it: whether it is a regular
// file, its size, and whether it is gzip-compressed. Used to decide how to spread inputs over
// threads; the run itself says what is wrong with an input that cannot be opened.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isGzip } from '../capture/magic.js';

export interface InputFile {
  size: number;
  /** The file starts with gzip's magic (capture/magic.ts isGzip). */
  gzip: boolean;
}

/** A regular file's size and compression; null for `-`, FIFOs, devices and what cannot be opened. */
export function inspectInput(path: string): InputFile | null {
  if (path === '-') return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const magic = new Uint8Array(2);
    const got = readSync(fd, magic, 0, 2, 0);
    return { size: st.size, gzip: isGzip(magic.subarray(0, got)) };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
