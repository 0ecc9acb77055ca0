// A packet record (PacketRecord) as one line of JSON: exactly `JSON.stringify(record)` (with
// `{ capture, ...record }` for several inputs), key for key, held equal by
// test/render/packet-json.test.ts on every fixture capture. `packets --format ndjson` writes one
// record per segment, and the generic serialiser was a third of that command's time: here the
// keys are constant bytes and most values are numbers or strings known to need no escaping
// (formatted addresses and timestamps, flag, analysis and state names), written as UTF-8 in
// place (see ByteOutput).

import type { PacketRecord, PacketTransition } from './packet-record.js';
import type { TcpOptions } from '../decode/types.js';
import { NO_OPTIONS } from '../decode/tcp.js';
import { ByteOutput, fragment, type Fragment } from './byte-output.js';

const COMMA = 0x2c;

const K = {
  capture: fragment('{"capture":'),
  frame: fragment('{"frame":'),
  captureFrame: fragment(',"frame":'),
  ts: fragment(',"ts":"'),
  interface: fragment('","interface":'),
  src: fragment(',"src":"'),
  sport: fragment('","sport":'),
  dst: fragment(',"dst":"'),
  dport: fragment('","dport":'),
  stream: fragment(',"stream":'),
  flags: fragment(',"flags":'),
  flagNames: fragment(',"flag_names":'),
  seq: fragment(',"seq":'),
  ack: fragment(',"ack":'),
  relSeq: fragment(',"rel_seq":'),
  relAck: fragment(',"rel_ack":'),
  len: fragment(',"len":'),
  win: fragment(',"win":'),
  winScaled: fragment(',"win_scaled":'),
  options: fragment(',"options":'),
  malformed: fragment(',"malformed":'),
  analysis: fragment(',"analysis":'),
  transitions: fragment(',"transitions":'),
  close: fragment('}'),
  emptyList: fragment('[]'),
  emptyObject: fragment('{}'),
  endpoint: fragment('{"endpoint":"'),
  from: fragment('","from":"'),
  to: fragment('","to":"'),
  transitionEnd: fragment('"}'),
  mss: fragment('"mss":'),
  wscale: fragment('"wscale":'),
  sackPerm: fragment('"sack_perm":'),
  sack: fragment('"sack":'),
  tsVal: fragment('"ts_val":'),
  tsEcr: fragment('"ts_ecr":'),
  tfo: fragment('"tfo":'),
  mptcp: fragment('"mptcp":'),
  md5: fragment('"md5":'),
  ao: fragment('"ao":'),
  unknown: fragment('"unknown":'),
};

function transitions(out: ByteOutput, list: readonly PacketTransition[]): void {
  if (list.length === 0) {
    out.raw(K.emptyList);
    return;
  }
  out.byte(0x5b);
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (i > 0) out.byte(COMMA);
    out.raw(K.endpoint);
    out.text(t.endpoint);
    out.raw(K.from);
    out.text(t.from);
    out.raw(K.to);
    out.text(t.to);
    out.raw(K.transitionEnd);
  }
  out.byte(0x5d);
}

/** One option key, after a comma unless it is the first. */
function optionKey(out: ByteOutput, first: boolean, key: Fragment): false {
  if (!first) out.byte(COMMA);
  out.raw(key);
  return false;
}

/**
 * TCP options as JSON.stringify writes the decoder's options object: its keys are always in
 * the order blankOptions (decode/tcp.ts) declares them, absent ones undefined and left out.
 * Listed here one by one (a `for...in` over the eleven keys cost a third of the record);
 * numbers written directly, the rare structured options (SACK blocks, TFO, MPTCP, MD5, AO,
 * unknown kinds) through JSON.stringify.
 */
function options(out: ByteOutput, o: TcpOptions): void {
  if (o === NO_OPTIONS) {
    out.raw(K.emptyObject);
    return;
  }
  let first = true;
  out.byte(0x7b);
  if (o.mss !== undefined) {
    first = optionKey(out, first, K.mss);
    out.number(o.mss);
  }
  if (o.wscale !== undefined) {
    first = optionKey(out, first, K.wscale);
    out.number(o.wscale);
  }
  if (o.sack_perm !== undefined) {
    first = optionKey(out, first, K.sackPerm);
    out.boolean(o.sack_perm);
  }
  if (o.sack !== undefined) {
    first = optionKey(out, first, K.sack);
    out.text(JSON.stringify(o.sack));
  }
  if (o.ts_val !== undefined) {
    first = optionKey(out, first, K.tsVal);
    out.number(o.ts_val);
  }
  if (o.ts_ecr !== undefined) {
    first = optionKey(out, first, K.tsEcr);
    out.number(o.ts_ecr);
  }
  if (o.tfo !== undefined) {
    first = optionKey(out, first, K.tfo);
    out.text(JSON.stringify(o.tfo));
  }
  if (o.mptcp !== undefined) {
    first = optionKey(out, first, K.mptcp);
    out.text(JSON.stringify(o.mptcp));
  }
  if (o.md5 !== undefined) {
    first = optionKey(out, first, K.md5);
    out.text(JSON.stringify(o.md5));
  }
  if (o.ao !== undefined) {
    first = optionKey(out, first, K.ao);
    out.text(JSON.stringify(o.ao));
  }
  if (o.unknown !== undefined) {
    optionKey(out, first, K.unknown);
    out.text(JSON.stringify(o.unknown));
  }
  out.byte(0x7d);
}

/** The record as one line of JSON (no newline), written to `out`. */
export function writePacketJson(out: ByteOutput, r: PacketRecord, capture?: string): void {
  if (capture === undefined) out.raw(K.frame);
  else {
    out.raw(K.capture);
    out.text(JSON.stringify(capture));
    out.raw(K.captureFrame);
  }
  out.number(r.frame);
  out.raw(K.ts);
  out.text(r.ts);
  out.raw(K.interface);
  out.number(r.interface);
  out.raw(K.src);
  out.text(r.src);
  out.raw(K.sport);
  out.number(r.sport);
  out.raw(K.dst);
  out.text(r.dst);
  out.raw(K.dport);
  out.number(r.dport);
  out.raw(K.stream);
  out.number(r.stream);
  out.raw(K.flags);
  out.number(r.flags);
  out.raw(K.flagNames);
  out.plainStrings(r.flag_names);
  out.raw(K.seq);
  out.number(r.seq);
  out.raw(K.ack);
  out.number(r.ack);
  out.raw(K.relSeq);
  out.number(r.rel_seq);
  out.raw(K.relAck);
  out.number(r.rel_ack);
  out.raw(K.len);
  out.number(r.len);
  out.raw(K.win);
  out.number(r.win);
  out.raw(K.winScaled);
  if (r.win_scaled === null) out.null();
  else out.number(r.win_scaled);
  out.raw(K.options);
  options(out, r.options);
  out.raw(K.malformed);
  if (r.malformed === null) out.null();
  else out.text(JSON.stringify(r.malformed));
  out.raw(K.analysis);
  out.plainStrings(r.analysis);
  out.raw(K.transitions);
  transitions(out, r.transitions);
  out.raw(K.close);
}

const scratch = new ByteOutput(1024);

/** The record as one line of JSON (no newline), as a string. */
export function packetJson(r: PacketRecord, capture?: string): string {
  writePacketJson(scratch, r, capture);
  return scratch.take();
}
