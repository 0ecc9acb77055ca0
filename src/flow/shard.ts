// Which share of a capture's flows a segment belongs to, when several threads analyse one
// capture (pipeline.ts ShardOptions). Both directions of a connection, and every connection
// reusing its 4-tuple, must land in the same share, in every thread: so the hash is symmetric
// and, unlike the flow table's (flow-table.ts), has no per-process key. It only balances work;
// no output depends on it.

import type { DecodedPacket } from '../decode/types.js';
import { fmix } from './flow-table.js';

function endpoint(v6: boolean, w: Uint32Array, port: number): number {
  let h = w[0]!;
  if (v6) h = fmix(fmix(fmix(h) ^ w[1]!) ^ w[2]!) ^ w[3]!;
  return fmix(fmix(h) ^ port);
}

/** The share (0 ≤ n < count) of a TCP segment's 4-tuple. */
export function shardOf(pkt: DecodedPacket, count: number): number {
  const v6 = pkt.ipVersion === 6;
  const tcp = pkt.tcp!;
  return ((endpoint(v6, pkt.srcAddr, tcp.srcPort) + endpoint(v6, pkt.dstAddr, tcp.dstPort)) >>> 0) % count;
}
