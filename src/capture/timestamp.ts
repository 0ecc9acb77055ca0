// Capture timestamps: turning a pcapng 64-bit tick count at a declared resolution (if_tsresol)
// into exact integer seconds + nanoseconds. No floating point ever touches a timestamp.

/**
 * A pcapng interface clock (pcapng draft §4.2, option if_tsresol): ticks are units of
 * 10^-exponent s, or of 2^-exponent s when `binary` is set. Default (no option) is 10^-6.
 */
export interface TickResolution {
  binary: boolean;
  exponent: number;
  /** 10^exponent when !binary and exponent ≤ 9 (the fast path), else 0. */
  divisor: number;
  /** Nanoseconds per tick for the fast path: 10^(9 - exponent). */
  nsPerTick: number;
}

/** Decimal digits of the clock as `CaptureRecord.tsPrecision`: n for 10^-n (capped at 9), 9 for binary. */
export function resolutionPrecision(res: TickResolution): number {
  return res.binary ? 9 : Math.min(res.exponent, 9);
}

/**
 * Decode the one-byte if_tsresol value. The most significant bit selects base 2, the other
 * seven bits are the negative exponent. Returns null for values libpcap refuses because the
 * tick rate does not fit in 64 bits (sf-pcapng.c: 2^-64 and finer, 10^-20 and finer).
 */
export function tickResolution(tsresol: number): TickResolution | null {
  const binary = (tsresol & 0x80) !== 0;
  const exponent = tsresol & 0x7f;
  if (binary ? exponent > 63 : exponent > 19) return null;
  const fast = !binary && exponent <= 9;
  return {
    binary,
    exponent,
    divisor: fast ? 10 ** exponent : 0,
    nsPerTick: fast ? 10 ** (9 - exponent) : 0,
  };
}

/** The pcapng default clock: microseconds (pcapng draft §4.2, if_tsresol absent). */
export const MICROSECONDS: TickResolution = tickResolution(6)!;

/** Target of a conversion; `CaptureRecord` satisfies it, so no object is allocated per packet. */
export interface TimeSink {
  tsSec: number;
  tsNsec: number;
}

const NS_PER_SEC = 1_000_000_000n;

/**
 * Store `(hi·2^32 + lo)` ticks as seconds + nanoseconds in `out`, adding `offsetSec`
 * (if_tsoffset). Sub-nanosecond digits are truncated, as Wireshark and libpcap do.
 * Returns false when the seconds value is not a safe integer (only absurd timestamps).
 */
export function ticksToTime(
  hi: number,
  lo: number,
  res: TickResolution,
  offsetSec: number,
  out: TimeSink,
): boolean {
  if (res.divisor !== 0 && hi < 0x200000) {
    // Fewer than 2^53 ticks (microsecond counts for the next 285 years): one exact division.
    // The quotient of the float division can be off by one next to an integer; the remainder,
    // exact in integer doubles, says so and is corrected.
    const d = res.divisor;
    const ticks = hi * 4294967296 + lo;
    let sec = Math.floor(ticks / d);
    let rem = ticks - sec * d;
    if (rem < 0) {
      sec--;
      rem += d;
    } else if (rem >= d) {
      sec++;
      rem -= d;
    }
    out.tsSec = sec + offsetSec;
    out.tsNsec = rem * res.nsPerTick;
    return Number.isSafeInteger(out.tsSec);
  }
  if (res.divisor !== 0) {
    // Long division of the 64-bit tick count by 10^n ≤ 10^9, one 16-bit digit at a time:
    // every partial remainder is < 10^9 so `rem * 65536 + digit` stays below 2^53.
    const d = res.divisor;
    let cur = hi >>> 16;
    const q3 = Math.floor(cur / d);
    let rem = cur - q3 * d;
    cur = rem * 65536 + (hi & 0xffff);
    const q2 = Math.floor(cur / d);
    rem = cur - q2 * d;
    cur = rem * 65536 + (lo >>> 16);
    const q1 = Math.floor(cur / d);
    rem = cur - q1 * d;
    cur = rem * 65536 + (lo & 0xffff);
    const q0 = Math.floor(cur / d);
    rem = cur - q0 * d;
    out.tsSec = q3 * 281474976710656 + q2 * 4294967296 + q1 * 65536 + q0 + offsetSec;
    out.tsNsec = rem * res.nsPerTick;
    return Number.isSafeInteger(out.tsSec);
  }
  // Rare resolutions (binary, or decimal finer than 1 ns): BigInt keeps them exact.
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  let sec: bigint;
  let nsec: bigint;
  if (res.binary) {
    const shift = BigInt(res.exponent);
    sec = ticks >> shift;
    nsec = ((ticks & ((1n << shift) - 1n)) * NS_PER_SEC) >> shift;
  } else {
    const perSec = 10n ** BigInt(res.exponent);
    sec = ticks / perSec;
    nsec = (ticks % perSec) / 10n ** BigInt(res.exponent - 9);
  }
  out.tsSec = Number(sec) + offsetSec;
  out.tsNsec = Number(nsec);
  return Number.isSafeInteger(out.tsSec);
}
