// The contract between the push parser (framing, buffering, offsets) and a file-format
// decoder (what the bytes of one header, record or block mean). Internal to src/capture/.

import type { CaptureError, CaptureFormat, CaptureInterface, CaptureRecord } from './types.js';

/** Where a decoder delivers packets and remarks. */
export interface RecordSink {
  /** The single scratch record; the decoder fills every field except `frame`, then calls emit(). */
  readonly record: CaptureRecord;
  emit(): void;
  warn(offset: number, message: string): void;
}

/**
 * A format decoder sees the file as a sequence of self-delimiting units (pcap: the file header,
 * then records; pcapng: blocks). The parser guarantees that `headerLength` bytes are present
 * before calling unitLength(), and that the whole unit is present before calling decode().
 * Offsets are positions in `view`/`bytes`; `abs` is the unit's absolute offset in the file.
 */
export interface RecordDecoder {
  readonly format: CaptureFormat;
  /** Bytes needed at the start of the next unit to learn its length (always ≤ the unit's length). */
  readonly headerLength: number;
  /** Total length of the unit starting at `off`, or the error that makes it unreadable. */
  unitLength(view: DataView, off: number, abs: number): number | CaptureError;
  /** Decode one complete unit, emitting any packet it holds; returns an error to stop reading. */
  decode(view: DataView, bytes: Uint8Array, off: number, len: number, abs: number): CaptureError | null;
  /** What is missing when the file ends inside a unit of `need` bytes of which `have` are present. */
  describeTruncation(abs: number, have: number, need: number | null): string;
  /** Sections read so far (pcapng SHBs; 1 for classic pcap once its header is read). */
  sections(): number;
  /** Every interface seen so far, in file order. */
  interfaces(): CaptureInterface[];
}
