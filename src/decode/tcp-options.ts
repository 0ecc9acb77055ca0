// TCP options (RFC 9293 §3.2): the kinds synack names, and the walk over the option bytes.
// MSS 2 (RFC 9293 §3.2), window scale 3 (RFC 7323 §2.2), SACK-permitted 4 and SACK 5
// (RFC 2018 §2-3), timestamps 8 (RFC 7323 §3.2), MD5 19 (RFC 2385 §3.0), TCP-AO 29
// (RFC 5925 §2.2), MPTCP 30 (RFC 8684 §3), TFO 34 (RFC 7413 §4.1.1) and the shared
// experimental kind 254 carrying TFO's magic 0xF989 (RFC 6994 §3, RFC 7413 §4.1.1).

import { decodeError, hex, u16, u32 } from './bytes.js';
import type { DecodeError, TcpOptions } from './types.js';

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  MD5: 19,
  AO: 29,
  MPTCP: 30,
  FAST_OPEN: 34,
  EXPERIMENTAL_253: 253,
  EXPERIMENTAL_254: 254,
} as const;

/** Exact lengths (kind and length bytes included) of the fixed-size options. */
const FIXED_LENGTH: Readonly<Record<number, number>> = {
  [TcpOptionKind.MSS]: 4,
  [TcpOptionKind.WINDOW_SCALE]: 3,
  [TcpOptionKind.SACK_PERMITTED]: 2,
  [TcpOptionKind.TIMESTAMPS]: 10,
  [TcpOptionKind.MD5]: 18,
};

/** RFC 7413 §4.1.1: the ExID TFO used before kind 34 was assigned (RFC 6994 experiment id). */
export const TFO_EXPERIMENT_ID = 0xf989;

/** RFC 8684 §3 "MPTCP Option Subtypes" registry, by subtype number. */
export const MPTCP_SUBTYPES: readonly string[] = [
  'MP_CAPABLE',
  'MP_JOIN',
  'DSS',
  'ADD_ADDR',
  'REMOVE_ADDR',
  'MP_PRIO',
  'MP_FAIL',
  'MP_FASTCLOSE',
  'MP_TCPRST',
];

/** Name of an MPTCP subtype; 'MP_EXPERIMENTAL' for 0xf (RFC 8684 §8), else 'subtype N'. */
export function mptcpSubtypeName(subtype: number): string {
  return MPTCP_SUBTYPES[subtype] ?? (subtype === 0xf ? 'MP_EXPERIMENTAL' : `subtype ${subtype}`);
}

const LAYER = 'TCP options';

/**
 * Parses the options in d[start, end) into `opts` (keys are added only for options present).
 * `headerEnd` is where the data offset says the options end; when `end` is before it the
 * header was cut by the capture, and an option running past `end` is a truncation rather than
 * a malformed option.
 *
 * Returns the first problem met, or null. A bad length byte (0, 1, or past the end) stops the
 * walk, keeping what was parsed before it; a known option with the wrong length for its kind
 * is skipped, as Wireshark packet-tcp.c does ("option length should be 10"), and the walk
 * goes on.
 */
export function parseTcpOptions(
  d: Uint8Array,
  start: number,
  end: number,
  headerEnd: number,
  opts: TcpOptions,
): DecodeError | null {
  let err: DecodeError | null = null;
  let p = start;
  while (p < end) {
    const kind = d[p]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      p += 1;
      continue;
    }
    if (p + 1 >= end) {
      return err ?? truncatedOrInvalid(kind, p, end, headerEnd, 'has no length byte');
    }
    const len = d[p + 1]!;
    if (len < 2) {
      return err ?? decodeError('invalid', LAYER, `option kind ${kind} has length ${len}, less than 2`, p + 1);
    }
    if (p + len > end) {
      return err ?? truncatedOrInvalid(kind, p, end, headerEnd, `has length ${len}, ${end - p} bytes left`);
    }
    const bad = decodeOne(d, p, kind, len, opts);
    if (bad !== null && err === null) err = decodeError('invalid', LAYER, bad, p + 1);
    p += len;
  }
  return err;
}

function truncatedOrInvalid(kind: number, p: number, end: number, headerEnd: number, what: string): DecodeError {
  return end < headerEnd
    ? decodeError('truncated', LAYER, `option kind ${kind} ${what} (header cut by the capture)`, p)
    : decodeError('invalid', LAYER, `option kind ${kind} ${what} in the header`, p);
}

/** Stores one well-formed TLV; returns a sentence when its length is wrong for its kind. */
function decodeOne(d: Uint8Array, p: number, kind: number, len: number, opts: TcpOptions): string | null {
  const fixed = FIXED_LENGTH[kind];
  if (fixed !== undefined && len !== fixed) return `option kind ${kind} has length ${len}, should be ${fixed}`;
  switch (kind) {
    case TcpOptionKind.MSS:
      opts.mss = u16(d, p + 2);
      return null;
    case TcpOptionKind.WINDOW_SCALE:
      opts.wscale = d[p + 2]!;
      return null;
    case TcpOptionKind.SACK_PERMITTED:
      opts.sack_perm = true;
      return null;
    case TcpOptionKind.TIMESTAMPS:
      opts.ts_val = u32(d, p + 2);
      opts.ts_ecr = u32(d, p + 6);
      return null;
    case TcpOptionKind.MD5:
      opts.md5 = hex(d, p + 2, p + len);
      return null;
    case TcpOptionKind.SACK: {
      // RFC 2018 §3: 8 bytes per block after kind and length.
      if ((len - 2) % 8 !== 0 || len === 2) return `option kind 5 has length ${len}, not 2 + 8n`;
      const blocks: [number, number][] = [];
      for (let q = p + 2; q < p + len; q += 8) blocks.push([u32(d, q), u32(d, q + 4)]);
      opts.sack = blocks;
      return null;
    }
    case TcpOptionKind.AO:
      // RFC 5925 §2.2: KeyID, RNextKeyID, then the MAC.
      if (len < 4) return `option kind 29 has length ${len}, less than 4`;
      opts.ao = { keyid: d[p + 2]!, rnextkeyid: d[p + 3]!, mac: hex(d, p + 4, p + len) };
      return null;
    case TcpOptionKind.MPTCP: {
      // RFC 8684 §3: the subtype is the high nibble of the byte after the length.
      if (len < 3) return `option kind 30 has length ${len}, less than 3`;
      const subtype = d[p + 2]! >> 4;
      opts.mptcp = { subtype, name: mptcpSubtypeName(subtype), data: hex(d, p + 2, p + len) };
      return null;
    }
    case TcpOptionKind.FAST_OPEN:
      // RFC 7413 §4.1.1: a length of 2 is a cookie request, otherwise the cookie follows.
      opts.tfo = { kind: 34, cookie: hex(d, p + 2, p + len) };
      return null;
    case TcpOptionKind.EXPERIMENTAL_254:
      if (len >= 4 && u16(d, p + 2) === TFO_EXPERIMENT_ID) {
        opts.tfo = { kind: 254, cookie: hex(d, p + 4, p + len) };
        return null;
      }
      break;
  }
  (opts.unknown ??= []).push({ kind, data: hex(d, p + 2, p + len) });
  return null;
}
