// Big-endian integer reads over a frame's bytes, and the one place decode errors are built.
// Reads compose bytes directly so the per-packet path allocates nothing (no DataView per frame);
// every caller has already checked the bounds for its whole header, so these do not.

import type { DecodeError, DecodeErrorKind } from './types.js';

/** Unsigned 16-bit network-order read at `o`. */
export function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

/** Unsigned 32-bit network-order read at `o`. */
export function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

/** Lower-case hex of d[start, end) (used only for rare options kept as text). */
export function hex(d: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX_BYTE[d[i]!];
  return s;
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Four lower-case hex digits, as tshark and our notTcp reasons print ethertypes. */
export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** A DecodeError record (allocated only when a packet is damaged). */
export function decodeError(
  kind: DecodeErrorKind,
  layer: string,
  detail: string,
  offset: number,
): DecodeError {
  return { kind, layer, detail, offset };
}

/** The usual truncation sentence: "header needs 20 bytes, 14 captured". */
export function needBytes(layer: string, needed: number, available: number, offset: number): DecodeError {
  return decodeError('truncated', layer, `header needs ${needed} bytes, ${Math.max(0, available)} captured`, offset);
}
