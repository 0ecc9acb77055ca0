// Capture format detection by magic number only (never by file name): classic pcap in both
// byte orders and both clocks, pcapng, and gzip around either.

import { PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from './pcap.js';

export type Detected =
  | { kind: 'pcap'; littleEndian: boolean; nanoseconds: boolean }
  | { kind: 'pcapng' }
  | { kind: 'gzip' }
  /** Recognised but unreadable; `what` names it. */
  | { kind: 'unsupported'; what: string }
  | { kind: 'unknown' };

/** Bytes needed by detectFormat(). */
export const MAGIC_LENGTH = 4;

/** RFC 1952 §2.3.1: a gzip member starts with ID1 0x1f, ID2 0x8b. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Identify a capture from its first four bytes. */
export function detectFormat(b: Uint8Array): Detected {
  if (isGzip(b)) return { kind: 'gzip' };
  const be = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const le = ((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0;
  if (be === 0x0a0d0d0a) return { kind: 'pcapng' };
  if (be === PCAP_MAGIC_USEC) return { kind: 'pcap', littleEndian: false, nanoseconds: false };
  if (le === PCAP_MAGIC_USEC) return { kind: 'pcap', littleEndian: true, nanoseconds: false };
  if (be === PCAP_MAGIC_NSEC) return { kind: 'pcap', littleEndian: false, nanoseconds: true };
  if (le === PCAP_MAGIC_NSEC) return { kind: 'pcap', littleEndian: true, nanoseconds: true };
  // libpcap sf-pcap.c KUZNETZOV_TCPDUMP_MAGIC: Alexey Kuznetzov's patched libpcap, with a
  // longer record header that libpcap itself reads only by guesswork.
  if (be === 0xa1b2cd34 || le === 0xa1b2cd34) return { kind: 'unsupported', what: 'modified (Kuznetzov) pcap' };
  // A pcapng SHB whose CR/LF bytes were rewritten by a text-mode transfer.
  if (b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0a) return { kind: 'unsupported', what: 'pcapng damaged by a text-mode (CR/LF) transfer' };
  return { kind: 'unknown' };
}

/** "3c 21 44 4f ("<!DO")": how an unrecognised start of file is shown in errors. */
export function describeBytes(b: Uint8Array, n: number): string {
  const shown = b.subarray(0, Math.min(n, b.length));
  const hex = Array.from(shown, (x) => x.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(shown, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
  return `${hex} ("${text}")`;
}
