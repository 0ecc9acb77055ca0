// TCP options as tcpdump prints them (print-tcp.c): in wire order, NOPs included, e.g.
// `mss 1460,sackOK,TS val 10 ecr 0,nop,wscale 7`. Rendering only: the option values
// themselves come from src/decode/tcp-options.ts; this walks the bytes just for their order.

import { TcpOptionKind, TFO_EXPERIMENT_ID, mptcpSubtypeName } from '../decode/tcp-options.js';
import { hex, u16, u32 } from '../decode/bytes.js';

/**
 * Options text for the option bytes d[start, end). `sackBase` turns SACK edges into relative
 * numbers (the receiver acknowledges the peer's sequence space: pass ack − rel_ack), or null
 * for raw edges.
 */
export function optionsText(d: Uint8Array, start: number, end: number, sackBase: number | null): string {
  const parts: string[] = [];
  let p = start;
  while (p < end) {
    const kind = d[p]!;
    if (kind === TcpOptionKind.EOL) {
      parts.push('eol');
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      parts.push('nop');
      p++;
      continue;
    }
    const len = p + 1 < end ? d[p + 1]! : 0;
    if (len < 2 || p + len > end) {
      parts.push(`[bad opt ${kind}]`);
      break;
    }
    parts.push(one(d, p, kind, len, sackBase));
    p += len;
  }
  return parts.join(',');
}

function one(d: Uint8Array, p: number, kind: number, len: number, sackBase: number | null): string {
  switch (kind) {
    case TcpOptionKind.MSS:
      if (len === 4) return `mss ${u16(d, p + 2)}`;
      break;
    case TcpOptionKind.WINDOW_SCALE:
      if (len === 3) return `wscale ${d[p + 2]}`;
      break;
    case TcpOptionKind.SACK_PERMITTED:
      if (len === 2) return 'sackOK';
      break;
    case TcpOptionKind.SACK: {
      const blocks: string[] = [];
      for (let q = p + 2; q + 8 <= p + len; q += 8) {
        const l = u32(d, q);
        const r = u32(d, q + 4);
        blocks.push(sackBase === null ? `{${l}:${r}}` : `{${(l - sackBase) >>> 0}:${(r - sackBase) >>> 0}}`);
      }
      return `sack ${blocks.length} ${blocks.join('')}`;
    }
    case TcpOptionKind.TIMESTAMPS:
      if (len === 10) return `TS val ${u32(d, p + 2)} ecr ${u32(d, p + 6)}`;
      break;
    case TcpOptionKind.MD5:
      return `md5 ${hex(d, p + 2, p + len)}`;
    case TcpOptionKind.AO:
      if (len >= 4) return `tcp-ao keyid ${d[p + 2]} rnextkeyid ${d[p + 3]} mac ${hex(d, p + 4, p + len)}`;
      break;
    case TcpOptionKind.MPTCP:
      if (len >= 3) return `mptcp ${mptcpSubtypeName(d[p + 2]! >> 4)}`;
      break;
    case TcpOptionKind.FAST_OPEN:
      return len === 2 ? 'tfo cookiereq' : `tfo cookie ${hex(d, p + 2, p + len)}`;
    case TcpOptionKind.EXPERIMENTAL_254:
      if (len >= 4 && u16(d, p + 2) === TFO_EXPERIMENT_ID) {
        return len === 4 ? 'tfo cookiereq' : `tfo cookie ${hex(d, p + 4, p + len)}`;
      }
      break;
  }
  return len > 2 ? `unknown-${kind} 0x${hex(d, p + 2, p + len)}` : `unknown-${kind}`;
}
