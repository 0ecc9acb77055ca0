// README "Output fields" documents every CSV column of packets and flows, in order: the list in
// src/render/fields.ts and the README must not drift apart.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOW_FIELDS, PACKET_FIELDS } from '../../src/render/fields.js';
import { ZEEK_CONN_FIELDS } from '../../src/render/zeek-tsv.js';
import { repoDir } from './binary.js';

const readme = readFileSync(join(repoDir, 'README.md'), 'utf8');

/** The backquoted names of the paragraph that starts with `lead`, in order. */
function documented(lead: string): string[] {
  const start = readme.indexOf(lead);
  expect(start, `README paragraph "${lead}"`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n\n', start);
  const names = [...readme.slice(start + lead.length, end).matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return names.slice(0, names.indexOf('The JSON record') >= 0 ? undefined : names.length);
}

describe('README "Output fields"', () => {
  it('lists every packets column in order', () => {
    const names = documented('`packets` (one record per TCP segment), CSV columns in order:');
    expect(names.slice(0, PACKET_FIELDS.length)).toEqual(PACKET_FIELDS.map((f) => f.name));
  });
  it('lists every flows column in order', () => {
    const names = documented('`flows` (one record per flow), CSV columns in order:');
    expect(names.slice(0, FLOW_FIELDS.length)).toEqual(FLOW_FIELDS.map((f) => f.name));
  });
  it('names the Zeek conn.log columns in order', () => {
    const start = readme.indexOf('then the columns `');
    const text = readme.slice(start + 'then the columns `'.length, readme.indexOf('`', start + 'then the columns `'.length));
    expect(text.split(/\s+/)).toEqual(ZEEK_CONN_FIELDS.map((f) => f.name));
  });
});
