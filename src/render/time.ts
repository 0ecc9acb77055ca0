// Exact timestamp text: epoch seconds as a decimal string at the capture's precision, and
// offsets between two exact timestamps. No floating point touches a printed timestamp.

/** `1285862902.700271` for µs captures, `...700271000` for ns; precision 0 prints whole seconds. */
export function formatEpoch(sec: number, nsec: number, precision: number): string {
  if (precision <= 0) return String(sec);
  const frac = String(nsec).padStart(9, '0').slice(0, Math.min(precision, 9));
  return `${sec}.${frac}`;
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
