// A strict RFC 4180 reader for the tests: quoted fields, doubled quotes, commas and line breaks
// inside quotes; rows end with LF or CRLF. Throws on a malformed document.

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  let atCellStart = true;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && !',\r\n'.includes(text[i]!)) throw new Error(`CSV: text after a closing quote at ${i}`);
        continue;
      }
      cell += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (!atCellStart) throw new Error(`CSV: quote inside an unquoted cell at ${i}`);
      quoted = true;
      atCellStart = false;
      i++;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
      atCellStart = true;
      i++;
    } else if (ch === '\n' || ch === '\r') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      atCellStart = true;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      cell += ch;
      atCellStart = false;
      i++;
    }
  }
  if (quoted) throw new Error('CSV: unterminated quoted cell');
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Rows as objects keyed by the header row; every row must have the header's width. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (header === undefined) throw new Error('CSV: no header row');
  return rows.map((r, n) => {
    if (r.length !== header.length) throw new Error(`CSV: row ${n + 1} has ${r.length} cells, header has ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, r[i]!]));
  });
}
