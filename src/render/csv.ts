// CSV output (RFC 4180): a header row of column names, then one row per record. A cell holding a
// comma, a double quote, CR or LF is enclosed in double quotes with inner quotes doubled
// (RFC 4180 §2 rules 5-7). Rows end with LF, not CRLF, so `cut`/`awk` see no stray CR; every
// RFC 4180 reader accepts either. Numbers are written as numbers, booleans as true/false, and an
// absent value as an empty cell.

import type { Cell, Field } from './fields.js';
import { ByteOutput } from './byte-output.js';

const NEEDS_QUOTES = /[",\r\n]/;
const COMMA = 0x2c;
const LF = 0x0a;

export function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'string' ? v : String(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(fields: readonly Field<unknown>[]): string {
  return fields.map((f) => csvCell(f.name)).join(',') + '\n';
}

/** One record's row (with its LF), written to `out`: cells as csvCell spells them. */
export function writeCsvRow<R>(out: ByteOutput, fields: readonly Field<R>[], record: R): void {
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out.byte(COMMA);
    const v = fields[i]!.get(record);
    if (v === null) continue;
    if (typeof v === 'number' && Number.isFinite(v)) out.number(v);
    else if (typeof v === 'string' && !NEEDS_QUOTES.test(v)) out.text(v);
    else out.text(csvCell(v));
  }
  out.byte(LF);
}

const scratch = new ByteOutput(1024);

export function csvRow<R>(fields: readonly Field<R>[], record: R): string {
  writeCsvRow(scratch, fields, record);
  return scratch.take();
}
