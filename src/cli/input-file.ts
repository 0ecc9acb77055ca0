// What the command line can tell about an input before reading it: whether it is a regular
// file, its size, and whether it is gzip-compressed. Used to decide how to spread inputs over
// threads; the run itself says what is wrong with an input that cannot be opened.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface InputFile {
  size: number;
  /** RFC 1952 §2.3.1: the file starts with ID1 0x1f, ID2 0x8b. */
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
    return { size: st.size, gzip: got === 2 && magic[0] === 0x1f && magic[1] === 0x8b };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
