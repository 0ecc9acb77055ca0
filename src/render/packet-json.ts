// A packet record (PacketRecord) as one line of JSON: exactly `JSON.stringify(record)` (with
// `{ capture, ...record }` for several inputs), key for key, held equal by
// test/render/packet-json.test.ts on every fixture capture. `packets --format ndjson` writes one
// record per segment, and the generic serialiser was a third of that command's time: here the
// keys are constant text and most values are numbers or strings known to need no escaping
// (formatted addresses and timestamps, flag, analysis and state names).

import type { PacketRecord, PacketTransition } from './packet-record.js';

/** A number as JSON.stringify writes it (Number::toString; NaN and infinities are null). */
function num(n: number): string {
  return Number.isFinite(n) ? '' + n : 'null';
}

/** Strings that never need escaping (names from fixed sets, formatted addresses, timestamps). */
function plainStrings(list: readonly string[]): string {
  if (list.length === 0) return '[]';
  let s = '["' + list[0]!;
  for (let i = 1; i < list.length; i++) s += '","' + list[i]!;
  return s + '"]';
}

function transitions(list: readonly PacketTransition[]): string {
  if (list.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    s += (i === 0 ? '{"endpoint":"' : ',{"endpoint":"') + t.endpoint + '","from":"' + t.from + '","to":"' + t.to + '"}';
  }
  return s + ']';
}

/**
 * TCP options in the object's own key order, absent (undefined) keys left out, as
 * JSON.stringify does; numbers and booleans written directly, the rare structured options
 * (SACK blocks, TFO, MPTCP, MD5, AO, unknown kinds) through JSON.stringify.
 */
function options(o: PacketRecord['options']): string {
  let s = '{';
  const values = o as Record<string, unknown>;
  for (const key in values) {
    const v = values[key];
    if (v === undefined) continue;
    s += (s.length === 1 ? '"' : ',"') + key + '":' + (typeof v === 'number' ? num(v) : typeof v === 'boolean' ? (v ? 'true' : 'false') : JSON.stringify(v));
  }
  return s + '}';
}

export function packetJson(r: PacketRecord, capture?: string): string {
  return (
    (capture === undefined ? '{"frame":' : '{"capture":' + JSON.stringify(capture) + ',"frame":') + num(r.frame) +
    ',"ts":"' + r.ts +
    '","interface":' + num(r.interface) +
    ',"src":"' + r.src +
    '","sport":' + num(r.sport) +
    ',"dst":"' + r.dst +
    '","dport":' + num(r.dport) +
    ',"stream":' + num(r.stream) +
    ',"flags":' + num(r.flags) +
    ',"flag_names":' + plainStrings(r.flag_names) +
    ',"seq":' + num(r.seq) +
    ',"ack":' + num(r.ack) +
    ',"rel_seq":' + num(r.rel_seq) +
    ',"rel_ack":' + num(r.rel_ack) +
    ',"len":' + num(r.len) +
    ',"win":' + num(r.win) +
    ',"win_scaled":' + (r.win_scaled === null ? 'null' : num(r.win_scaled)) +
    ',"options":' + options(r.options) +
    ',"malformed":' + (r.malformed === null ? 'null' : JSON.stringify(r.malformed)) +
    ',"analysis":' + plainStrings(r.analysis) +
    ',"transitions":' + transitions(r.transitions) +
    '}'
  );
}
