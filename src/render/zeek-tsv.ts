// Zeek-style conn.log output (`synack flows --format zeek`): Zeek's ASCII log header lines
// (#separator, #set_separator, #empty_field, #unset_field, #path, #fields, #types), then one
// tab-separated row per flow, so zeek-cut and other conn.log tooling read it unchanged.
//
// Values come from ZeekConn (src/flow/zeek.ts), which replays Zeek's TCP analyzer; the
// originator is Zeek's (it may be our server when Zeek flipped the roles). Where we differ from a
// real `zeek -C -r`:
// - uid: Zeek draws it at random; ours is derived from the input index and tshark stream
//   number (`zeekUid`), so the same capture always gives the same uids.
// - service: needs Zeek's protocol analyzers; always unset ('-').
// - local_orig/local_resp: Zeek's default Site::local_nets, i.e. Site::private_address_space
//   with private_address_space_is_local = T (scripts/base/utils/site.zeek).
// - no #open/#close lines: they carry the wall-clock time of the run, and output must not depend
//   on when it was made.
// - ip_proto (6) is the last column, as Zeek ≥ 7 logs it (the corpus baselines have it).

import type { Endpoint } from '../flow/flow.js';
import type { ZeekConnResult } from '../flow/zeek.js';
import type { Field } from './fields.js';

/** What one conn.log row needs. */
export interface ZeekConnRecord {
  /** First packet of the connection: epoch seconds and nanoseconds. */
  tsSec: number;
  tsNsec: number;
  uid: string;
  orig: Endpoint;
  resp: Endpoint;
  result: ZeekConnResult;
}

type ZeekValue = string | number | boolean | null;

export interface ZeekField extends Field<ZeekConnRecord> {
  type: string;
  get(r: ZeekConnRecord): ZeekValue;
}

/** Zeek prints `time` and `interval` with six decimals (threading/formatters/Ascii.cc). */
function sixDecimals(sec: number, nsec: number): string {
  // Round to the microsecond in integers, so no float error reaches the text.
  let us = Math.round(nsec / 1000);
  let s = sec;
  if (us >= 1_000_000) {
    s += 1;
    us -= 1_000_000;
  }
  return `${s}.${String(us).padStart(6, '0')}`;
}

function interval(seconds: number | null): string | null {
  return seconds === null ? null : seconds.toFixed(6);
}

export const ZEEK_CONN_FIELDS: readonly ZeekField[] = [
  { name: 'ts', type: 'time', get: (r) => sixDecimals(r.tsSec, r.tsNsec) },
  { name: 'uid', type: 'string', get: (r) => r.uid },
  { name: 'id.orig_h', type: 'addr', get: (r) => r.orig.ip },
  { name: 'id.orig_p', type: 'port', get: (r) => r.orig.port },
  { name: 'id.resp_h', type: 'addr', get: (r) => r.resp.ip },
  { name: 'id.resp_p', type: 'port', get: (r) => r.resp.port },
  { name: 'proto', type: 'enum', get: () => 'tcp' },
  { name: 'service', type: 'string', get: () => null },
  { name: 'duration', type: 'interval', get: (r) => interval(r.result.duration) },
  { name: 'orig_bytes', type: 'count', get: (r) => r.result.orig_bytes },
  { name: 'resp_bytes', type: 'count', get: (r) => r.result.resp_bytes },
  { name: 'conn_state', type: 'string', get: (r) => r.result.conn_state },
  { name: 'local_orig', type: 'bool', get: (r) => isPrivateAddress(r.orig.ip) },
  { name: 'local_resp', type: 'bool', get: (r) => isPrivateAddress(r.resp.ip) },
  { name: 'missed_bytes', type: 'count', get: (r) => r.result.missed_bytes },
  { name: 'history', type: 'string', get: (r) => r.result.history },
  { name: 'orig_pkts', type: 'count', get: (r) => r.result.orig_pkts },
  { name: 'orig_ip_bytes', type: 'count', get: (r) => r.result.orig_ip_bytes },
  { name: 'resp_pkts', type: 'count', get: (r) => r.result.resp_pkts },
  { name: 'resp_ip_bytes', type: 'count', get: (r) => r.result.resp_ip_bytes },
  { name: 'tunnel_parents', type: 'set[string]', get: () => null },
  { name: 'ip_proto', type: 'count', get: () => 6 },
];

/** Zeek's ASCII writer: '-' unset, '(empty)' empty, T/F booleans, non-printables as \xNN. */
function zeekCell(v: ZeekValue): string {
  if (v === null) return '-';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return String(v);
  if (v === '') return '(empty)';
  if (v === '-') return '\\x2d';
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function zeekHeader(fields: readonly ZeekField[]): string {
  return (
    '#separator \\x09\n' +
    '#set_separator\t,\n' +
    '#empty_field\t(empty)\n' +
    '#unset_field\t-\n' +
    '#path\tconn\n' +
    `#fields\t${fields.map((f) => f.name).join('\t')}\n` +
    `#types\t${fields.map((f) => f.type).join('\t')}\n`
  );
}

export function zeekRow(fields: readonly ZeekField[], r: ZeekConnRecord): string {
  return fields.map((f) => zeekCell(f.get(r))).join('\t') + '\n';
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A Zeek-looking uid ('C' + 17 base-62 digits) that depends only on the input's position on
 * the command line and the stream number: a 64-bit mix (splitmix64's finaliser) of the pair.
 */
export function zeekUid(input: number, stream: number): string {
  let x = (BigInt(input) << 40n) ^ BigInt(stream) ^ 0x5359_4e41_434bn;
  const M = (1n << 64n) - 1n;
  const mix = (): bigint => {
    x = (x + 0x9e3779b97f4a7c15n) & M;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  };
  let n = (mix() << 64n) | mix();
  let out = '';
  for (let i = 0; i < 17; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return 'C' + out;
}

// ------------------------------------------------------------------------------------------------
// Site::private_address_space (scripts/base/utils/site.zeek), IANA special-purpose blocks.

const V4_PRIVATE: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4],
  ['255.255.255.255', 32],
];

// Each IPv4 block is also private as a 6to4 address (2002:V4ADDR::/16+prefix, RFC 3056).
const V6_PRIVATE: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:2::', 48],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
];

function parseV4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    const b = Number(p);
    if (!/^\d{1,3}$/.test(p) || b > 255) return null;
    n = n * 256 + b;
  }
  return n;
}

/** 16 bytes of an IPv6 address in text form (with :: and an optional dotted IPv4 tail). */
function parseV6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const words = (part: string): number[] | null => {
    if (part === '') return [];
    const w: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = parseV4(g);
        if (v4 === null) return null;
        w.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        w.push(parseInt(g, 16));
      }
    }
    return w;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  all.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function prefixMatch(a: Uint8Array, net: Uint8Array, bits: number): boolean {
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
}

const V4_NETS = V4_PRIVATE.map(([a, bits]) => [parseV4(a)!, bits] as const);
const V6_NETS: (readonly [Uint8Array, number])[] = [
  ...V6_PRIVATE.map(([a, bits]) => [parseV6(a)!, bits] as const),
  ...V4_PRIVATE.map(([a, bits]) => [parseV6(`2002:${v4Words(a)}::`)!, 16 + bits] as const),
];

function v4Words(a: string): string {
  const n = parseV4(a)!;
  return `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
}

/** Whether Zeek's default Site::local_nets holds the address (its private address space). */
export function isPrivateAddress(ip: string): boolean {
  const v4 = parseV4(ip);
  if (v4 !== null) {
    return V4_NETS.some(([net, bits]) => bits === 0 || v4 >>> (32 - bits) === net >>> (32 - bits));
  }
  const v6 = parseV6(ip.startsWith('[') ? ip.slice(1, -1) : ip);
  return v6 !== null && V6_NETS.some(([net, bits]) => prefixMatch(v6, net, bits));
}
