// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, "Sequence Numbers"). Every comparison
// of sequence or acknowledgement numbers in synack goes through this module.

/** (a + n) mod 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance b − a in (−2^31, 2^31]: how far b is ahead of a. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

/** a < b in sequence space (RFC 9293 §3.4 "<" is modulo 2^32). */
export function seqLT(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLE(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGT(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGE(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/**
 * Unsigned offset of x from base, as Wireshark prints relative numbers: (x − base) mod 2^32.
 * `>>> 0` (ToUint32) is that reduction for any 32-bit x and base, signed or not, and avoids a
 * floating-point remainder on every segment.
 */
export function seqRelative(x: number, base: number): number {
  return (x - base) >>> 0;
}

/** The larger of two sequence numbers in sequence space. */
export function seqMax(a: number, b: number): number {
  return seqLT(a, b) ? b : a;
}
