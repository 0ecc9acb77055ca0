// The push parser: one record stream whatever the format. feed() parses every complete
// record in a chunk in place and keeps only an incomplete tail; end() says whether the file
// stopped cleanly. Framing, buffering and offsets live here; the formats live in pcap.ts and
// pcapng.ts.

import type { RecordDecoder, RecordSink } from './decoder.js';
import { describeBytes, detectFormat, MAGIC_LENGTH } from './magic.js';
import { PcapDecoder } from './pcap.js';
import { PcapngDecoder } from './pcapng.js';
import {
  CaptureError,
  type CaptureFormat,
  type CaptureInterface,
  type CaptureRecord,
  type CaptureWarning,
} from './types.js';

/** Receives each packet; the record and the buffer its bytes are in are reused after the callback returns. */
export type RecordCallback = (record: CaptureRecord) => void;

/**
 * The parser's one reused record. A Buffer view per record (and its garbage) cost about 3% of
 * a `flows` run, so `data` is made from `bytes` only when read. A class, because V8 keeps an
 * object literal with an accessor in slow dictionary mode.
 */
class ScratchRecord implements CaptureRecord {
  frame = 0;
  interfaceId = 0;
  linkType = 0;
  tsSec = 0;
  tsNsec = 0;
  tsPrecision = 0;
  capturedLength = 0;
  originalLength = 0;
  fcsLength = 0;
  dataOffset = 0;
  bytes: Uint8Array = new Uint8Array(0);
  dataStart = 0;
  comment: string | null = null;

  get data(): Uint8Array {
    return this.bytes.subarray(this.dataStart, this.dataStart + this.capturedLength);
  }
}

/** Cap on stored warnings, so a pathological file cannot grow memory through them. */
export const MAX_WARNINGS = 100;

/**
 * Incremental capture reader: classic pcap (µs/ns, either byte order) and pcapng.
 *
 * The incomplete tail of a chunk is copied once, into a carry buffer that grows with the bytes
 * actually received (never by a length field); a packet straddling two chunks is delivered
 * from that buffer, every other packet straight from the chunk. Chunks are not retained after
 * feed() returns.
 *
 * Limitations:
 * - `frame` counts packet blocks only; TShark 4.0 also numbers pcapng Custom Blocks as frames,
 *   so its frame numbers run ahead of ours after a Custom Block.
 * - pcapng interface ids are section-local (as tshark's frame.interface_id); `interfaces`
 *   lists every section's IDBs in file order.
 * - A Simple Packet Block has no timestamp; its record says 0 s (tshark prints none).
 * - gzip input must be decompressed by the caller (readCapture() does).
 */
export class CaptureParser implements RecordSink {
  readonly record: CaptureRecord = new ScratchRecord();
  readonly warnings: CaptureWarning[] = [];

  private decoder: RecordDecoder | null = null;
  private failure: CaptureError | null = null;
  private ended = false;
  /** Absolute offset of the next byte feed() will see. */
  private position = 0;
  /** Bytes of an incomplete unit (or of the magic number) carried to the next chunk. */
  private carry = new Uint8Array(0);
  private carryView = new DataView(this.carry.buffer);
  private carryLength = 0;
  /** Absolute offset of carry[0]. */
  private carryStart = 0;
  private warningsDropped = 0;

  constructor(private readonly onRecord: RecordCallback) {}

  /** The detected format, or null before the first four bytes. */
  get format(): CaptureFormat | null {
    return this.decoder === null ? null : this.decoder.format;
  }

  /** Interfaces seen so far (pcap: one; pcapng: every IDB of every section, in file order). */
  get interfaces(): CaptureInterface[] {
    return this.decoder === null ? [] : this.decoder.interfaces();
  }

  /** pcapng Section Header Blocks read (1 for classic pcap once its header is read). */
  get sections(): number {
    return this.decoder === null ? 0 : this.decoder.sections();
  }

  /** Packets delivered so far. */
  get records(): number {
    return this.record.frame;
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.position;
  }

  /** The error that stopped parsing, if any (end() also reports truncation here). */
  get error(): CaptureError | null {
    return this.failure;
  }

  emit(): void {
    this.record.frame++;
    this.onRecord(this.record);
  }

  warn(offset: number, message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ offset, message });
    else if (this.warningsDropped++ === 0) {
      this.warnings.push({ offset, message: `more than ${MAX_WARNINGS} warnings; the rest are not shown` });
    }
  }

  /** Parse every complete record in `chunk`. Does nothing once an error has been found. */
  feed(chunk: Uint8Array): void {
    if (this.ended) throw new Error('CaptureParser.feed() called after end()');
    const base = this.position;
    this.position += chunk.length;
    if (this.failure !== null || chunk.length === 0) return;
    let pos = 0;
    if (this.decoder === null) {
      pos = this.detect(chunk);
      if (pos < 0 || this.failure !== null) return;
    }
    if (this.carryLength > 0) {
      pos = this.completeCarry(chunk, pos);
      if (pos < 0 || this.failure !== null) return;
    }
    this.parseChunk(chunk, pos, base);
  }

  /** Declare the end of input; returns the error that ended reading (null for a clean end). */
  end(): CaptureError | null {
    if (this.ended) return this.failure;
    this.ended = true;
    if (this.failure !== null) return this.failure;
    if (this.position === 0) {
      // libpcap: "truncated dump file; tried to read 4 file header bytes, only got 0".
      this.failure = new CaptureError('capture file is empty (0 bytes)', 0, 'truncated');
    } else if (this.decoder === null && this.carryLength >= MAGIC_LENGTH) {
      // An unknown magic number in a file shorter than the bytes detect() waits for.
      this.failure = unknownFormat(this.carry.subarray(0, this.carryLength));
    } else if (this.decoder === null) {
      this.failure = new CaptureError(
        `capture file is only ${this.position} byte${this.position === 1 ? '' : 's'} long, too short for a magic number`,
        0,
        'truncated',
      );
    } else if (this.carryLength > 0) {
      const d = this.decoder;
      let need: number | null = null;
      if (this.carryLength >= d.headerLength) {
        const len = d.unitLength(this.carryView, 0, this.carryStart);
        need = typeof len === 'number' ? len : null;
      }
      this.failure = new CaptureError(d.describeTruncation(this.carryStart, this.carryLength, need), this.carryStart, 'truncated');
    }
    return this.failure;
  }

  /** Choose the decoder from the magic number; returns the chunk position after what was used, or -1. */
  private detect(chunk: Uint8Array): number {
    let pos = 0;
    let magic: Uint8Array;
    if (this.carryLength + chunk.length < MAGIC_LENGTH) {
      this.appendCarry(chunk, 0, chunk.length);
      return -1;
    }
    if (this.carryLength > 0) {
      // (The carry may already hold more than the magic: an unknown file waiting for the
      // bytes its error message shows, see below.)
      pos = Math.max(0, MAGIC_LENGTH - this.carryLength);
      this.appendCarry(chunk, 0, pos);
      magic = this.carry.subarray(0, MAGIC_LENGTH);
    } else {
      magic = chunk.subarray(0, MAGIC_LENGTH);
    }
    const found = detectFormat(magic);
    switch (found.kind) {
      case 'pcap':
        this.decoder = new PcapDecoder(this, found.littleEndian, found.nanoseconds);
        break;
      case 'pcapng':
        this.decoder = new PcapngDecoder(this);
        break;
      case 'gzip':
        this.failure = new CaptureError('data is gzip-compressed; decompress it before parsing (readCapture() does)', 0, 'format');
        return -1;
      case 'unsupported':
        this.failure = new CaptureError(`${found.what} files are not supported (first bytes ${describeBytes(magic, 4)})`, 0, 'format');
        return -1;
      case 'unknown': {
        // The message shows the first UNKNOWN_SHOWN bytes: collect them (end() makes do with
        // fewer) so that it does not depend on where the input's chunks happen to end.
        if (this.carryLength === 0 && chunk.length >= UNKNOWN_SHOWN) {
          this.failure = unknownFormat(chunk);
          return -1;
        }
        const take = Math.min(UNKNOWN_SHOWN - this.carryLength, chunk.length - pos);
        this.appendCarry(chunk, pos, Math.max(0, take));
        if (this.carryLength >= UNKNOWN_SHOWN) this.failure = unknownFormat(this.carry.subarray(0, this.carryLength));
        return -1;
      }
    }
    return pos;
  }

  /**
   * Finish the unit whose start is in the carry buffer with bytes from `chunk`, copying only
   * what that unit still lacks. Returns the chunk position after them, or -1 when the chunk
   * ran out (or an error was found) first.
   */
  private completeCarry(chunk: Uint8Array, pos: number): number {
    const d = this.decoder!;
    const header = d.headerLength;
    if (this.carryLength < header) {
      const take = Math.min(header - this.carryLength, chunk.length - pos);
      this.appendCarry(chunk, pos, take);
      pos += take;
      if (this.carryLength < header) return -1;
    }
    const len = d.unitLength(this.carryView, 0, this.carryStart);
    if (typeof len !== 'number') {
      this.failure = len;
      return -1;
    }
    if (this.carryLength < len) {
      const take = Math.min(len - this.carryLength, chunk.length - pos);
      this.appendCarry(chunk, pos, take);
      pos += take;
      if (this.carryLength < len) return -1;
    }
    const err = d.decode(this.carryView, this.carry, 0, len, this.carryStart);
    this.carryLength = 0;
    if (err !== null) {
      this.failure = err;
      return -1;
    }
    return pos;
  }

  private parseChunk(chunk: Uint8Array, start: number, base: number): void {
    const d = this.decoder!;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = chunk.length;
    let pos = start;
    for (;;) {
      const avail = end - pos;
      if (avail < d.headerLength) break;
      const len = d.unitLength(view, pos, base + pos);
      if (typeof len !== 'number') {
        this.failure = len;
        return;
      }
      if (avail < len) break;
      const err = d.decode(view, chunk, pos, len, base + pos);
      if (err !== null) {
        this.failure = err;
        return;
      }
      pos += len;
    }
    if (pos < end) {
      this.carryStart = base + pos;
      this.appendCarry(chunk, pos, end - pos);
    }
  }

  /** Append bytes to the carry buffer, growing it geometrically by bytes actually received. */
  private appendCarry(src: Uint8Array, from: number, count: number): void {
    if (count <= 0) return;
    const needed = this.carryLength + count;
    if (needed > this.carry.length) {
      const grown = new Uint8Array(Math.max(needed, this.carry.length * 2, 256));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
      this.carryView = new DataView(grown.buffer);
    }
    this.carry.set(src.subarray(from, from + count), this.carryLength);
    this.carryLength += count;
  }
}

/** Bytes of an unrecognised file shown in its error. */
const UNKNOWN_SHOWN = 8;

function unknownFormat(head: Uint8Array): CaptureError {
  return new CaptureError(`not a pcap or pcapng capture: the file starts with ${describeBytes(head, UNKNOWN_SHOWN)}`, 0, 'format');
}

/** Parse a whole in-memory capture synchronously (tests, small files). */
export function parseCapture(
  bytes: Uint8Array,
  onRecord: RecordCallback,
): { parser: CaptureParser; error: CaptureError | null } {
  const parser = new CaptureParser(onRecord);
  parser.feed(bytes);
  return { parser, error: parser.end() };
}
