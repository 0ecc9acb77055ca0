// Makes Jazzer.js's prebuilt libFuzzer addon load on glibc < 2.38 / GCC < 13 runtimes
// (Debian 12: glibc 2.36, libstdc++ GLIBCXX_3.4.30). The Linux prebuild of
// @jazzer.js/fuzzer 4.0.0 needs only three newer symbols:
// - __isoc23_strtol, __isoc23_strtoul (GLIBC_2.38): the C23 spellings glibc 2.38 headers give
//   strtol/strtoul; identical to the classic ones for the decimal flags libFuzzer parses, so
//   those imports are rebound to strtol@GLIBC_2.2.5 / strtoul@GLIBC_2.2.5;
// - std::ios_base_library_init() (GLIBCXX_3.4.32): GCC 13 only references it to pull in the
//   version; it has no relocation and is never called, so only the version need is lowered.
// It edits the ELF dynamic tables (ELF gABI: .dynsym, .gnu.version, .gnu.version_r) of the
// addon in node_modules, keeping the original as *.orig. Nothing changes when it loads as is.
//
// Usage: node test/fuzz/glibc-compat.mjs   (npm run fuzz runs it first)

import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const C23_PREFIX = '__isoc23_';
/** Version needs to lower: too-new version -> an older one the same library file defines. */
const LOWER = { 'GLIBC_2.38': 'GLIBC_2.2.5', 'GLIBCXX_3.4.32': 'GLIBCXX_3.4.29' };

/** Returns 'loaded', 'patched' or a reason it could not help. */
export function ensureJazzerLoads() {
  const require = createRequire(import.meta.url);
  const fuzzerDir = dirname(require.resolve('@jazzer.js/fuzzer/package.json'));
  const addon = join(fuzzerDir, 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
  if (tryLoad(addon)) return 'loaded';
  if (process.platform !== 'linux' || !existsSync(addon)) return `no usable addon at ${addon}`;
  const bytes = readFileSync(addon);
  const changed = rebindC23(bytes);
  if (changed === 0) return 'addon does not load and is not the glibc 2.38 case this script fixes';
  copyFileSync(addon, `${addon}.orig`);
  writeFileSync(addon, bytes);
  return tryLoad(addon) ? 'patched' : 'patched, but the addon still does not load';
}

function tryLoad(file) {
  try {
    process.dlopen({ exports: {} }, file);
    return true;
  } catch {
    return false;
  }
}

function cstr(buf, at) {
  let end = at;
  while (buf[end] !== 0) end++;
  return buf.toString('latin1', at, end);
}

/** ELF64 little-endian only (the x64 prebuild). Returns the number of entries changed. */
export function rebindC23(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return 0;
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(h + 4),
      offset: Number(buf.readBigUInt64LE(h + 0x18)),
      size: Number(buf.readBigUInt64LE(h + 0x20)),
      link: buf.readUInt32LE(h + 0x28),
      info: buf.readUInt32LE(h + 0x2c),
    });
  }
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (!dynsym || !versym || !verneed) return 0;
  const dynstr = sections[dynsym.link].offset;
  const needStr = sections[verneed.link].offset;

  // Walk Elf64_Verneed / Elf64_Vernaux: every aux entry's name, index and position.
  const aux = [];
  let vn = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    const cnt = buf.readUInt16LE(vn + 2);
    let a = vn + buf.readUInt32LE(vn + 8);
    for (let k = 0; k < cnt; k++) {
      aux.push({ at: a, name: cstr(buf, needStr + buf.readUInt32LE(a + 8)), index: buf.readUInt16LE(a + 6) & 0x7fff });
      a += buf.readUInt32LE(a + 12);
    }
    const next = buf.readUInt32LE(vn + 12);
    if (next === 0) break;
    vn += next;
  }
  const glibcOld = aux.find((x) => x.name === LOWER['GLIBC_2.38']);

  let changed = 0;
  const count = dynsym.size / 24;
  for (let i = 0; glibcOld !== undefined && i < count; i++) {
    const sym = dynsym.offset + i * 24;
    const nameOff = buf.readUInt32LE(sym);
    const name = cstr(buf, dynstr + nameOff);
    if (!name.startsWith(C23_PREFIX)) continue;
    // "__isoc23_strtol\0" ends with "strtol\0": point the name at that suffix.
    buf.writeUInt32LE(nameOff + C23_PREFIX.length, sym);
    buf.writeUInt16LE(glibcOld.index, versym.offset + i * 2);
    changed++;
  }
  // Make each too-new requirement ask for the older version instead (hash and name).
  for (const x of aux) {
    const older = LOWER[x.name];
    if (older === undefined) continue;
    const to = aux.find((y) => y.name === older);
    if (to === undefined) continue;
    buf.writeUInt32LE(buf.readUInt32LE(to.at), x.at); // vna_hash
    buf.writeUInt32LE(buf.readUInt32LE(to.at + 8), x.at + 8); // vna_name
    changed++;
  }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = ensureJazzerLoads();
  console.error(`jazzer addon: ${result}`);
  if (!result.startsWith('loaded') && !result.startsWith('patched')) process.exitCode = 1;
  else if (result.includes('still')) process.exitCode = 1;
}
