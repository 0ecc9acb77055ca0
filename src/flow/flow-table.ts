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
export function fmix(h: number): number {
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

/** The same value for both directions of a 4-tuple (30 bits; the table indexes its buckets by the low ones). */
export function tupleHash(pkt: DecodedPacket, srcPort: number, dstPort: number): number {
  const v6 = pkt.ipVersion === 6;
  return (endpointHash(v6, pkt.srcAddr, srcPort) + endpointHash(v6, pkt.dstAddr, dstPort)) & 0x3fffffff;
}

/** Buckets a new table starts with (a power of two). */
const INITIAL_BUCKETS = 1024;

/**
 * Chained hash table over Flow.nextInBucket. The buckets are a plain array indexed by the low
 * bits of the hash, doubled when the table holds more flows than buckets: cheaper per lookup
 * than a Map keyed by the hash (which hashes the key again and keeps an entry per flow), and
 * one pointer per bucket of memory.
 */
export class FlowTable {
  private buckets: (Flow | null)[] = new Array<Flow | null>(INITIAL_BUCKETS).fill(null);
  private mask = INITIAL_BUCKETS - 1;
  size = 0;
  /** Side of the packet in the flow returned by the last successful `find`. */
  side: Side = 0;

  /** The flow holding this packet's 4-tuple, or undefined; sets `side`. */
  find(pkt: DecodedPacket, srcPort: number, dstPort: number, hash: number): Flow | undefined {
    for (let f: Flow | null = this.buckets[hash & this.mask]!; f !== null; f = f.nextInBucket) {
      const side = f.sideOfTuple(pkt, srcPort, dstPort);
      if (side >= 0) {
        this.side = side as Side;
        return f;
      }
    }
    return undefined;
  }

  insert(flow: Flow): void {
    if (this.size >= this.buckets.length) this.grow();
    const i = flow.hash & this.mask;
    flow.nextInBucket = this.buckets[i]!;
    this.buckets[i] = flow;
    this.size++;
  }

  /** Removes the flow if it is in the table; returns whether it was. */
  remove(flow: Flow): boolean {
    const i = flow.hash & this.mask;
    let prev: Flow | null = null;
    for (let f: Flow | null = this.buckets[i]!; f !== null; prev = f, f = f.nextInBucket) {
      if (f !== flow) continue;
      if (prev === null) this.buckets[i] = f.nextInBucket;
      else prev.nextInBucket = f.nextInBucket;
      flow.nextInBucket = null;
      this.size--;
      return true;
    }
    return false;
  }

  /** Every flow held (bucket order: callers sort if they need an order). */
  *values(): IterableIterator<Flow> {
    for (const head of this.buckets) {
      for (let f: Flow | null = head; f !== null; f = f.nextInBucket) yield f;
    }
  }

  /** Doubles the buckets and relinks every flow into its new bucket. */
  private grow(): void {
    const old = this.buckets;
    const buckets = new Array<Flow | null>(old.length * 2).fill(null);
    const mask = buckets.length - 1;
    for (let f of old) {
      while (f !== null) {
        const next = f.nextInBucket;
        const i = f.hash & mask;
        f.nextInBucket = buckets[i]!;
        buckets[i] = f;
        f = next;
      }
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}
