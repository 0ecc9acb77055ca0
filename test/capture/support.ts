// Test support for the capture readers: run the parser and keep plain copies of the records.

import { CaptureParser } from '../../src/capture/parser.js';
import type { CaptureError, CaptureRecord, CaptureWarning } from '../../src/capture/types.js';

/** A record detached from the parser's reused scratch object (and from the buffer it pointed into). */
export interface PlainRecord extends Omit<CaptureRecord, 'data' | 'bytes' | 'dataStart'> {
  data: Buffer;
}

export function copyRecord(r: CaptureRecord): PlainRecord {
  const { bytes: _bytes, dataStart: _dataStart, ...fields } = r;
  return { ...fields, data: Buffer.from(r.data) };
}

export interface Parsed {
  records: PlainRecord[];
  error: CaptureError | null;
  warnings: CaptureWarning[];
  parser: CaptureParser;
}

/** Parse `bytes` fed in chunks of `chunkSize` (default: all at once). */
export function parseBytes(bytes: Uint8Array, chunkSize = bytes.length || 1): Parsed {
  const records: PlainRecord[] = [];
  const parser = new CaptureParser((r) => records.push(copyRecord(r)));
  for (let at = 0; at < bytes.length; at += chunkSize) parser.feed(bytes.subarray(at, at + chunkSize));
  const error = parser.end();
  return { records, error, warnings: parser.warnings, parser };
}

/** "1120622255.938065528": tshark's frame.time_epoch spelling of a record's time. */
export function epoch(r: { tsSec: number; tsNsec: number }): string {
  return `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`;
}
