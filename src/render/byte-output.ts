// Output written as UTF-8 bytes in place, for the serialisers of the per-segment records.
//
// Building a line as a string costs three times over in V8: each `+` makes a cons-string node,
// the finished tree of ~50 pieces is flattened into a copy, and the copy is encoded to UTF-8
// again when written. On `packets --format ndjson` (2.1M segments) that was about 1.5 µs of
// the segment's 3 µs. Here constant keys are pre-encoded fragments, integers are spelled digit
// by digit, and text known to be ASCII is copied a character at a time: one pass, no garbage.

/** UTF-8 bytes per UTF-16 code unit, at most (a surrogate pair is 4 bytes for 2 units). */
export const MAX_UTF8_PER_UNIT = 3;

const encoder = new TextEncoder();

const QUOTE = 0x22;
const TRUE = encoder.encode('true');
const FALSE = encoder.encode('false');
const NULL = encoder.encode('null');

/** Longer fragments are copied with TypedArray.set (a call that pays off past a few words). */
const LONG_FRAGMENT = 32;

/**
 * A block for output, not zero-filled: every byte handed over is written first, and a run of
 * `flows --format ndjson` hands over 228 MB in 64 KiB blocks, each of which `new Uint8Array`
 * would clear beforehand. (allocUnsafeSlow: a buffer of its own, never a slice of Node's shared
 * pool, so it can be transferred to another thread.)
 */
function uninitialized(size: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
}

/** A constant piece of JSON (keys, punctuation), encoded once. */
export function fragment(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * A growing block of output bytes: [0, pos) of `buf` are written and not yet handed over.
 * With a `handOver`, a full block is handed over whole and a new one started (the receiver owns
 * the bytes it is given); without one, the block grows and `take` returns what was written.
 */
export class ByteOutput {
  buf: Uint8Array;
  pos = 0;

  constructor(
    private readonly blockSize: number,
    private readonly handOver: ((bytes: Uint8Array) => void) | null = null,
  ) {
    this.buf = uninitialized(blockSize);
  }

  /** Makes sure `n` more bytes fit. */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.makeRoom(n);
  }

  /**
   * Hands over the bytes written so far (when there is a receiver): the block itself when at
   * least half full, else a copy of its bytes, the block kept for what follows (a receiver that
   * queues what it is given, like a stream to a slow pipe, must not hold a mostly empty block
   * for each short write).
   */
  flush(): void {
    if (this.pos === 0 || this.handOver === null) return;
    let bytes: Uint8Array;
    if (this.pos * 2 < this.buf.length) {
      bytes = this.buf.slice(0, this.pos);
    } else {
      bytes = this.buf.subarray(0, this.pos);
      this.buf = uninitialized(this.blockSize);
    }
    this.pos = 0;
    this.handOver(bytes);
  }

  /** Without a receiver: the bytes written so far as text, and the block emptied. */
  take(): string {
    const bytes = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  }

  private makeRoom(n: number): void {
    if (this.handOver !== null) {
      this.flush();
      if (n <= this.buf.length) return;
    }
    const bigger = uninitialized(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  /** A constant fragment. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.pos + n > this.buf.length) this.makeRoom(n);
    const buf = this.buf;
    let p = this.pos;
    if (n > LONG_FRAGMENT) {
      buf.set(bytes, p);
      this.pos = p + n;
      return;
    }
    for (let i = 0; i < n; i++) buf[p++] = bytes[i]!;
    this.pos = p;
  }

  /** One ASCII character, by code. */
  byte(code: number): void {
    if (this.pos + 1 > this.buf.length) this.makeRoom(1);
    this.buf[this.pos++] = code;
  }

  /** Any text, as UTF-8 (a character at a time while it is ASCII, as it nearly always is). */
  text(s: string): void {
    const n = s.length;
    if (this.pos + n * MAX_UTF8_PER_UNIT > this.buf.length) this.makeRoom(n * MAX_UTF8_PER_UNIT);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        p += encoder.encodeInto(s.slice(i), buf.subarray(p)).written;
        break;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A JSON string whose text is known to need no escaping (names from fixed sets, addresses, timestamps). */
  plainString(s: string): void {
    this.byte(QUOTE);
    this.text(s);
    this.byte(QUOTE);
  }

  /** A JSON array of such strings. */
  plainStrings(list: readonly string[]): void {
    this.byte(0x5b);
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.plainString(list[i]!);
    }
    this.byte(0x5d);
  }

  /** JSON true or false. */
  boolean(b: boolean): void {
    this.raw(b ? TRUE : FALSE);
  }

  /** JSON null. */
  null(): void {
    this.raw(NULL);
  }

  /**
   * A number as JSON.stringify writes it (ECMA-262 Number::toString; NaN and infinities as
   * null). Integers below 2^32 — ports, lengths, and the sequence numbers and timestamps that
   * V8 cannot keep unboxed — are spelled digit by digit, and so are the durations and round-trip
   * times of flow records, which are nanoseconds as seconds (see decimal()).
   */
  number(n: number): void {
    if (n >= 0 && n <= 0xffff_ffff && Math.floor(n) === n) {
      if (this.pos + 10 > this.buf.length) this.makeRoom(10);
      this.digits(n);
      return;
    }
    if (n >= 1e-6 && n < 1e6 && this.decimal(n)) return;
    this.text(Number.isFinite(n) ? '' + n : 'null');
  }

  /** An integer in [0, 2^32) in decimal; room for its digits is made. */
  private digits(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 0x30 + n;
      return;
    }
    const count = n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
    let p = this.pos + count;
    this.pos = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--p] = 0x30 + (n - q * 10);
      n = q;
    }
    buf[--p] = 0x30 + n;
  }

  /**
   * A number in [1e-6, 1e6) that is a whole number of nanoseconds (k / 10^9 for an integer k,
   * rounded to the nearest double, as division is) written as that decimal, trailing zeros cut;
   * false, with nothing written, for any other number. It is what Number::toString writes: the
   * decimal has at most 6 + 9 = 15 significant digits, and two different decimals of at most
   * 15 digits never round to the same double (DBL_DIG), so no shorter decimal gives n back; at
   * 1e-6 and above, Number::toString writes no exponent.
   */
  private decimal(n: number): boolean {
    const k = Math.round(n * 1e9);
    if (k / 1e9 !== n) return false;
    const whole = Math.floor(k / 1e9);
    let fraction = k - whole * 1e9;
    if (fraction < 0 || fraction >= 1e9) return false;
    // At most 6 digits, a point and 9 digits.
    if (this.pos + 16 > this.buf.length) this.makeRoom(16);
    this.digits(whole);
    if (fraction === 0) return true;
    let places = 9;
    while (fraction % 10 === 0) {
      fraction /= 10;
      places--;
    }
    const buf = this.buf;
    buf[this.pos] = 0x2e;
    let p = this.pos + 1 + places;
    this.pos = p;
    for (let i = 0; i < places; i++) {
      const q = Math.floor(fraction / 10);
      buf[--p] = 0x30 + (fraction - q * 10);
      fraction = q;
    }
    return true;
  }
}
