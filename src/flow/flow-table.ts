// The flow table: finds a segment's flow by its 4-tuple in either direction without building a
// string key. Each endpoint (address words + port) hashes, under a per-process random key, to a
// 32-bit integer; the two are added, so both directions of a connection land in the same
// bucket, and a short chain through Flow.nextInBucket resolves collisions by comparing the
// numbers themselves.

import { randomBytes } from 'node:crypto';
import type { DecodedPacket } from '../decode/types.js';
import type { Flow } from './flow.js';
import type { Side } from './types.js';

/** murmur3's 32-bit finaliser (a bijection that spreads every input bit over the output). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * Per-process random key. Without it, and with the words combined linearly (`w0 ^ port × K`),
 * a capture could be built whose flows all share one bucket, each segment then comparing
 * itself with every flow held: quadratic time, 48 s for 60 000 SYNs (test/robustness/
 * hash-flooding.test.ts). Only bucket placement depends on it, never any output.
 */
const HASH_KEY = randomBytes(4).readUInt32LE(0);

/** One endpoint's address words and port, each folded in through the finaliser. */
function endpointHash(v6: boolean, w: Uint32Array, port: number): number {
  let h = fmix(w[0]! ^ HASH_KEY);
  if (v6) {
    h = fmix(h ^ w[1]!);
    h = fmix(h ^ w[2]!);
    h = fmix(h ^ w[3]!);
  }
  return fmix(h ^ port);
}

/** The same value for both directions of a 4-tuple (a small integer, cheap as a Map key). */
export function tupleHash(pkt: DecodedPacket, srcPort: number, dstPort: number): number {
  const v6 = pkt.ipVersion === 6;
  return (endpointHash(v6, pkt.srcAddr, srcPort) + endpointHash(v6, pkt.dstAddr, dstPort)) & 0x3fffffff;
}

export class FlowTable {
  private readonly heads = new Map<number, Flow>();
  size = 0;
  /** Side of the packet in the flow returned by the last successful `find`. */
  side: Side = 0;

  /** The flow holding this packet's 4-tuple, or undefined; sets `side`. */
  find(pkt: DecodedPacket, srcPort: number, dstPort: number, hash: number): Flow | undefined {
    for (let f: Flow | null = this.heads.get(hash) ?? null; f !== null; f = f.nextInBucket) {
      const side = f.sideOfTuple(pkt, srcPort, dstPort);
      if (side >= 0) {
        this.side = side as Side;
        return f;
      }
    }
    return undefined;
  }

  insert(flow: Flow): void {
    const head = this.heads.get(flow.hash);
    flow.nextInBucket = head ?? null;
    this.heads.set(flow.hash, flow);
    this.size++;
  }

  /** Removes the flow if it is in the table; returns whether it was. */
  remove(flow: Flow): boolean {
    let prev: Flow | null = null;
    for (let f = this.heads.get(flow.hash) ?? null; f !== null; prev = f, f = f.nextInBucket) {
      if (f !== flow) continue;
      if (prev === null) {
        if (f.nextInBucket === null) this.heads.delete(flow.hash);
        else this.heads.set(flow.hash, f.nextInBucket);
      } else {
        prev.nextInBucket = f.nextInBucket;
      }
      flow.nextInBucket = null;
      this.size--;
      return true;
    }
    return false;
  }

  /** Every flow held (bucket order: callers sort if they need an order). */
  *values(): IterableIterator<Flow> {
    for (const head of this.heads.values()) {
      for (let f: Flow | null = head; f !== null; f = f.nextInBucket) yield f;
    }
  }
}
