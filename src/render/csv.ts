// CSV output (RFC 4180): a header row of column names, then one row per record. A cell holding a
// comma, a double quote, CR or LF is enclosed in double quotes with inner quotes doubled
// (RFC 4180 §2 rules 5-7). Rows end with LF, not CRLF, so `cut`/`awk` see no stray CR; every
// RFC 4180 reader accepts either. Numbers are written as numbers, booleans as true/false, and an
// absent value as an empty cell.

import type { Cell, Field } from './fields.js';

const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'string' ? v : String(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(fields: readonly Field<unknown>[]): string {
  return fields.map((f) => csvCell(f.name)).join(',') + '\n';
}

export function csvRow<R>(fields: readonly Field<R>[], record: R): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(fields[i]!.get(record));
  }
  return line + '\n';
}
