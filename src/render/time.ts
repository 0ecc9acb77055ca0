// Exact timestamp text: epoch seconds as a decimal string at the capture's precision, and
// offsets between two exact timestamps. No floating point touches a printed timestamp.

/** "000".."999": three digits of a fraction, zero-padded. */
const DIGITS3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** The last whole second formatted: consecutive packets mostly share it. */
let lastSec = NaN;
let lastSecText = '';

/** `1285862902.700271` for µs captures, `...700271000` for ns; precision 0 prints whole seconds. */
export function formatEpoch(sec: number, nsec: number, precision: number): string {
  if (sec !== lastSec) {
    lastSec = sec;
    lastSecText = String(sec);
  }
  if (precision <= 0) return lastSecText;
  // µs and ns captures (nearly all of them) from three-digit groups: `packets` formats one
  // timestamp per segment, and padStart/slice cost several strings each.
  if (nsec >= 0 && nsec < 1e9 && Math.floor(nsec) === nsec) {
    if (precision === 6) {
      const us = Math.floor(nsec / 1000);
      const ms = Math.floor(us / 1000);
      return lastSecText + '.' + DIGITS3[ms]! + DIGITS3[us - ms * 1000]!;
    }
    if (precision === 9) {
      const us = Math.floor(nsec / 1000);
      const ms = Math.floor(us / 1000);
      return lastSecText + '.' + DIGITS3[ms]! + DIGITS3[us - ms * 1000]! + DIGITS3[nsec - us * 1000]!;
    }
  }
  const frac = String(nsec).padStart(9, '0').slice(0, Math.min(precision, 9));
  return `${lastSecText}.${frac}`;
}

/** b − a as a decimal string with `precision` digits (b ≥ a expected; negative handled). */
export function formatOffset(
  aSec: number,
  aNsec: number,
  bSec: number,
  bNsec: number,
  precision: number,
): string {
  let sec = bSec - aSec;
  let nsec = bNsec - aNsec;
  let sign = '';
  if (sec < 0 || (sec === 0 && nsec < 0)) {
    sign = '-';
    sec = -sec;
    nsec = -nsec;
  }
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  return sign + formatEpoch(sec, nsec, precision);
}

/** Seconds between two exact timestamps as a number rounded to the nanosecond. */
export function secondsDiff(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  const ns = (bSec - aSec) * 1e9 + (bNsec - aNsec);
  return Math.round(ns) / 1e9;
}
