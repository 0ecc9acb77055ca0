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

/**
 * Fragments longer than this are copied with TypedArray.set; shorter ones — keys with their
 * punctuation, 14 bytes on average, and the cached tails of transitions, about 90 — four bytes
 * at a time (see Fragment). At 192 rather than 96, the writer of flow records ran 5% fewer
 * instructions (cachegrind).
 */
const LONG_FRAGMENT = 192;

/**
 * A block for output, not zero-filled: every byte handed over is written first, and a run of
 * `flows --format ndjson` hands over 228 MB in 64 KiB blocks, each of which `new Uint8Array`
 * would clear beforehand. (allocUnsafeSlow: a buffer of its own, never a slice of Node's shared
 * pool, so it can be transferred to another thread.)
 */
function uninitialized(size: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
}

/**
 * A constant piece of output (a key with its punctuation, a cached value), encoded once, and
 * also kept as little-endian 32-bit words: written with DataView.setUint32, a 14-byte key is
 * four stores instead of fourteen, about a third of the time of a byte loop (9 against 26 ns
 * per fragment, measured alone) and half that of TypedArray.set, whose call dominates at this
 * length. The last word may carry up to three bytes past the fragment's end; they land beyond
 * the write position, in room made for them, and are overwritten by what follows.
 */
export class Fragment {
  readonly length: number;
  readonly words: Uint32Array;

  constructor(readonly bytes: Uint8Array) {
    const n = bytes.length;
    this.length = n;
    this.words = new Uint32Array((n + 3) >> 2);
    for (let i = 0; i < n; i++) this.words[i >> 2]! |= bytes[i]! << ((i & 3) * 8);
  }
}

/** A constant piece of JSON (keys, punctuation), encoded once. */
export function fragment(text: string): Fragment {
  return new Fragment(encoder.encode(text));
}

const TRUE = fragment('true');
const FALSE = fragment('false');
const NULL = fragment('null');

/**
 * A growing block of output bytes: [0, pos) of `buf` are written and not yet handed over.
 * With a `handOver`, a full block is handed over whole and a new one started (the receiver owns
 * the bytes it is given); without one, the block grows and `take` returns what was written.
 */
export class ByteOutput {
  private block: Uint8Array;
  /** The block as a DataView, for Fragment words. */
  private view: DataView;
  pos = 0;

  constructor(
    private readonly blockSize: number,
    private readonly handOver: ((bytes: Uint8Array) => void) | null = null,
  ) {
    this.block = uninitialized(blockSize);
    this.view = new DataView(this.block.buffer, this.block.byteOffset, this.block.byteLength);
  }

  /** The block being written: [0, pos) are written and not yet handed over. */
  get buf(): Uint8Array {
    return this.block;
  }

  private setBlock(block: Uint8Array): void {
    this.block = block;
    this.view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  }

  /** Makes sure `n` more bytes fit. */
  reserve(n: number): void {
    if (this.pos + n > this.block.length) this.makeRoom(n);
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
    if (this.pos * 2 < this.block.length) {
      bytes = this.block.slice(0, this.pos);
    } else {
      bytes = this.block.subarray(0, this.pos);
      this.setBlock(uninitialized(this.blockSize));
    }
    this.pos = 0;
    this.handOver(bytes);
  }

  /** Without a receiver: the bytes written so far as text, and the block emptied. */
  take(): string {
    const bytes = this.block.subarray(0, this.pos);
    this.pos = 0;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  }

  private makeRoom(n: number): void {
    if (this.handOver !== null) {
      this.flush();
      if (n <= this.block.length) return;
    }
    const bigger = uninitialized(Math.max(this.block.length * 2, this.pos + n));
    bigger.set(this.block.subarray(0, this.pos));
    this.setBlock(bigger);
  }

  /** A constant fragment. */
  raw(f: Fragment): void {
    const n = f.length;
    if (n > LONG_FRAGMENT) {
      if (this.pos + n > this.block.length) this.makeRoom(n);
      this.block.set(f.bytes, this.pos);
      this.pos += n;
      return;
    }
    const words = f.words;
    const count = words.length;
    if (this.pos + count * 4 > this.block.length) this.makeRoom(count * 4);
    const view = this.view;
    const p = this.pos;
    for (let i = 0; i < count; i++) view.setUint32(p + i * 4, words[i]!, true);
    this.pos = p + n;
  }

  /** One ASCII character, by code. */
  byte(code: number): void {
    if (this.pos + 1 > this.block.length) this.makeRoom(1);
    this.block[this.pos++] = code;
  }

  /** Any text, as UTF-8 (a character at a time while it is ASCII, as it nearly always is). */
  text(s: string): void {
    const n = s.length;
    if (this.pos + n * MAX_UTF8_PER_UNIT > this.block.length) this.makeRoom(n * MAX_UTF8_PER_UNIT);
    const buf = this.block;
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
      if (this.pos + 10 > this.block.length) this.makeRoom(10);
      this.digits(n);
      return;
    }
    if (n >= 1e-6 && n < 1e6 && this.decimal(n)) return;
    this.text(Number.isFinite(n) ? '' + n : 'null');
  }

  /** An integer in [0, 2^32) in decimal; room for its digits is made. */
  private digits(n: number): void {
    const buf = this.block;
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
    if (this.pos + 16 > this.block.length) this.makeRoom(16);
    this.digits(whole);
    if (fraction === 0) return true;
    let places = 9;
    while (fraction % 10 === 0) {
      fraction /= 10;
      places--;
    }
    const buf = this.block;
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
