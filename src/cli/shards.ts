// One capture file on several cores: `flows --format ndjson` with --jobs > 1 and a single
// uncompressed file. Each worker thread (shard-worker.ts) reads the whole file and analyses the
// flows whose 4-tuple falls in its share (pipeline.ts ShardOptions); the main thread merges
// what they send into exactly what one thread would write:
//
// - stream numbers: tshark numbers streams in the order they are first seen, so a flow's number
//   is the count of flows, in all shards, created at an earlier frame;
// - record order: a one-thread run writes a flow when something happens at some frame (it
//   settles, lingers out, goes idle, its 4-tuple is reused) or at the end; each record comes
//   with that frame and step (EmitKey), each shard sends its records in that order, and the
//   main thread writes the smallest key once no shard can still send a smaller one.
//
// Two things no shard can see alone would make a one-thread run behave differently: capture
// time going backwards (the tracker's lists are then no longer in time order) and a flow table
// filling up (eviction depends on all flows held). A shard that meets one says so before
// sending anything past it; the main thread then stops the workers and analyses the file again
// on one thread, writing only what it had not written yet — the same bytes, since both runs
// agree up to there.

import { Worker } from 'node:worker_threads';
import { analyzeInput, type EmitKey, type InputReport } from '../pipeline.js';
import { flowLines } from './flows.js';
import { packetLines } from './packets.js';
import { inputName, type InputOutcome } from './inputs.js';
import { inspectInput } from './input-file.js';
import type { Io } from './io.js';
import type { HumanCliOptions } from './summary.js';
import { TextSpill } from './text-spill.js';
import { OUTPUT_WINDOW, deserializeReport, type MainMessage, type SerializedReport } from './parallel.js';

/**
 * Files smaller than this are read on one thread: starting the workers (~50 ms) would cost
 * more than sharing the work saves.
 */
export const SHARD_MIN_BYTES = 16 << 20;

/** What shardable() requires; tests lower the size to run every capture through the shards. */
export const shardPolicy = { minBytes: SHARD_MIN_BYTES };

/**
 * Shards at most: each reads and decodes the whole file (about a quarter of the work), so more
 * threads add memory faster than speed.
 */
export const MAX_SHARDS = 4;

/** workerData of shard-worker.ts. */
export interface ShardInput {
  /**
   * `flows`: flow records (NDJSON); `packets`: segment records (NDJSON); `summary`, `ladder`:
   * each flow's text, rendered as `human` says.
   */
  command: 'flows' | 'packets' | 'summary' | 'ladder';
  human?: HumanShardSpec;
  input: string;
  index: number;
  count: number;
  maxFlows?: number;
  idleTimeout?: number;
  window: number;
}

/** What a shard needs to draw flows as the main thread would (HumanCliOptions and the terminal). */
export interface HumanShardSpec {
  opts: HumanCliOptions & { all?: boolean };
  columns: number | null;
  stdoutIsTTY: boolean;
  env: Record<string, string | undefined>;
}

/** Flow texts a shard drew: per flow its global stream number, hand-over frame and text. */
export interface FlowTexts {
  streams: Float64Array;
  frames: Float64Array;
  /** One string each: the main thread may keep some a long time, and a slice keeps its whole parent alive. */
  texts: string[];
  /** Their total length. */
  length: number;
}

/** Records a shard sends at once, with its progress. */
export interface SealedBatch {
  /** Every hand-over at a frame up to this one (Infinity: all) is in this batch or an earlier one. */
  progress: number;
  /** Per record: frame, phase, sub (its EmitKey) and the flow's local stream number. */
  keys: Float64Array;
  /**
   * Per record: where its stream number goes and where it ends, as offsets in `bytes` (each
   * record starts where the previous ended).
   */
  splits: Uint32Array;
  ends: Uint32Array;
  bytes: Uint8Array;
  /** Frames at which this shard's next flows were created, in order. */
  creations: Float64Array;
  /** Local stream numbers of flows the tracker handed over: no record of them follows. */
  ended: Float64Array;
  texts?: FlowTexts;
}

export type ShardMessage =
  | { type: 'batch'; batch: SealedBatch }
  | { type: 'diverged'; frame: number; reason: string }
  | { type: 'done'; report: SerializedReport; tally?: [string, number][] };

/** Global stream numbers for a shard's next flows, in its creation order (human output). */
export type NumbersMessage = { type: 'numbers'; streams: number[] };

const KEY_FIELDS = 4;

/** Records collected by a shard until the next batch is sent. */
export class RecordBatch {
  private readonly keys: number[] = [];
  private readonly splits: number[] = [];
  private readonly ends: number[] = [];
  private readonly creations: number[] = [];
  private readonly endedStreams: number[] = [];
  private text = '';
  private readonly flowTexts: { streams: number[]; frames: number[]; texts: string[]; length: number } = { streams: [], frames: [], texts: [], length: 0 };

  get byteLength(): number {
    return this.text.length + this.flowTexts.length;
  }

  /** A flow's text (human output), by its global stream number and hand-over frame. */
  flowText(stream: number, frame: number, text: string): void {
    const t = this.flowTexts;
    t.streams.push(stream);
    t.frames.push(frame);
    t.texts.push(text);
    t.length += text.length;
  }

  /**
   * A record: `before` and `after` its stream number, which the main thread writes between
   * them (`stream`: the flow's local number, or a negative number written as it is).
   */
  add(key: EmitKey, stream: number, before: string, after: string): void {
    this.keys.push(key.frame, key.phase, key.sub, stream);
    this.text += before;
    this.splits.push(this.text.length);
    this.text += after;
    this.ends.push(this.text.length);
  }

  created(frame: number): void {
    this.creations.push(frame);
  }

  ended(stream: number): void {
    this.endedStreams.push(stream);
  }

  /** The batch, and the buffers to transfer with it. */
  seal(progress: number): { batch: SealedBatch; transfer: ArrayBuffer[] } {
    const text = this.text;
    const length = Buffer.byteLength(text, 'utf8');
    // Its own ArrayBuffer (never a slice of Buffer's pool), so it can be transferred.
    const bytes = Buffer.allocUnsafeSlow(length);
    const splits = Uint32Array.from(this.splits);
    const ends = Uint32Array.from(this.ends);
    if (length === text.length) {
      // ASCII, as records nearly always are: one byte per character, offsets as they are.
      bytes.write(text, 0, length, 'latin1');
    } else {
      bytes.write(text, 0, length, 'utf8');
      // Offsets in characters are not offsets in bytes: measure each piece once, in order.
      let chars = 0;
      let offset = 0;
      const bytesAt = (to: number): number => {
        offset += Buffer.byteLength(text.slice(chars, to));
        chars = to;
        return offset;
      };
      for (let i = 0; i < ends.length; i++) {
        splits[i] = bytesAt(splits[i]!);
        ends[i] = bytesAt(ends[i]!);
      }
    }
    const keys = Float64Array.from(this.keys);
    const creations = Float64Array.from(this.creations);
    const ended = Float64Array.from(this.endedStreams);
    const t = this.flowTexts;
    const texts = t.streams.length === 0
      ? undefined
      : { streams: Float64Array.from(t.streams), frames: Float64Array.from(t.frames), texts: t.texts, length: t.length };
    return {
      batch: { progress, keys, splits, ends, bytes, creations, ended, texts },
      transfer: [keys.buffer, splits.buffer, ends.buffer, bytes.buffer, creations.buffer, ended.buffer] as ArrayBuffer[],
    };
  }
}

/** Whether a file is worth sharding: a regular file, large enough, not gzip (decompression would be done twice). */
export function shardable(path: string): boolean {
  const file = inspectInput(path);
  return file !== null && !file.gzip && file.size >= shardPolicy.minBytes;
}

/** A batch as the main thread holds it until its records are written. */
interface Pending extends SealedBatch {
  /** The same bytes, as a Buffer (for Buffer.copy). */
  buf: Buffer;
  /** Streams whose global numbers can be forgotten once this batch's records are written. */
  forget: number[];
}

interface Shard {
  worker: Worker;
  batches: Pending[];
  /** Flow texts not yet written (human output). */
  texts: FlowTexts[];
  /** Verdict counts of the flows drawn (human output). */
  tally: [string, number][] | null;
  /** Next record of batches[0]. */
  next: number;
  /** Creation frames not yet numbered: creations[0] from position createNext. */
  creations: Float64Array[];
  createNext: number;
  /** Local stream numbers given so far, and the global number of each flow still held. */
  numbered: number;
  global: Map<number, number>;
  /** Global numbers given since the shard was last told (human output: the shard renders them). */
  fresh: number[];
  progress: number;
  report: SerializedReport | null;
  failed: Error | null;
  exited: boolean;
}

/** The worker threads of one run, and what they have sent. */
class ShardSet {
  readonly shards: Shard[] = [];
  /** The first shard that could no longer match a one-thread run, and where. */
  diverged: { frame: number; reason: string } | null = null;
  private wake: (() => void) | null = null;
  private readonly onAbort = (): void => {
    for (const s of this.shards) s.worker.postMessage({ type: 'abort' } satisfies MainMessage);
  };

  constructor(
    private readonly input: string,
    count: number,
    job: Omit<ShardInput, 'input' | 'index' | 'count' | 'window'>,
    private readonly io: Io,
  ) {
    for (let index = 0; index < count; index++) {
      const data: ShardInput = { ...job, input, index, count, window: OUTPUT_WINDOW };
      const worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: data, stdout: false, stderr: false });
      const shard: Shard = {
        worker,
        batches: [],
        next: 0,
        texts: [],
        creations: [],
        createNext: 0,
        numbered: 0,
        global: new Map(),
        fresh: [],
        progress: 0,
        report: null,
        tally: null,
        failed: null,
        exited: false,
      };
      worker.on('message', (m: ShardMessage) => {
        if (m.type === 'batch') this.received(shard, m.batch);
        else if (m.type === 'diverged') this.diverged ??= m;
        else {
          shard.report = m.report;
          shard.tally = m.tally ?? null;
        }
        this.poke();
      });
      worker.on('error', (err) => {
        shard.failed = err;
        this.poke();
      });
      worker.on('exit', () => {
        shard.exited = true;
        this.poke();
      });
      this.shards.push(shard);
    }
    io.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (io.signal?.aborted === true) this.onAbort();
  }

  private received(shard: Shard, b: SealedBatch): void {
    if (b.creations.length > 0) shard.creations.push(b.creations);
    if (b.ends.length > 0) shard.batches.push({ ...b, buf: Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.length), forget: [] });
    if (b.texts !== undefined) shard.texts.push(b.texts);
    // A flow's records all come before its end: its number is needed until they are written.
    const last = shard.batches[shard.batches.length - 1];
    for (const stream of b.ended) {
      if (last !== undefined) last.forget.push(stream);
      else shard.global.delete(stream);
    }
    shard.progress = b.progress;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves when a shard has sent something, failed or stopped. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Throws what a worker threw, or that one stopped without reporting. */
  check(): void {
    for (const s of this.shards) {
      if (s.failed !== null) throw s.failed;
      if (s.exited && s.report === null && this.diverged === null) throw new Error(`a worker analysing ${inputName(this.input)} stopped without a report`);
    }
  }

  /** Every capture frame up to this one has been analysed by every shard. */
  get progress(): number {
    let p = Infinity;
    for (const s of this.shards) p = Math.min(p, s.progress);
    return p;
  }

  stop(): void {
    this.io.signal?.removeEventListener('abort', this.onAbort);
    for (const s of this.shards) if (!s.exited) void s.worker.terminate();
  }
}

/**
 * Analyses one file on `jobs` threads and writes its flows (or segments) as NDJSON, exactly as
 * one thread would; reports the input to `outcome`. Says how it went: merged from the shards,
 * or started again on one thread after a shard diverged.
 */
export async function runSharded(
  input: string,
  io: Io,
  parallel: { jobs: number; job: { command: 'flows' | 'packets'; maxFlows?: number; idleTimeout?: number } },
  outcome: InputOutcome,
): Promise<'merged' | 'one-thread'> {
  const set = new ShardSet(input, parallel.jobs, parallel.job, io);
  const shards = set.shards;
  let nextStream = 0;
  /** Bytes of stdout written so far (what a fallback run skips). */
  let written = 0;
  try {
    for (;;) {
      set.check();
      if (set.diverged !== null) break;
      nextStream = numberStreams(shards, nextStream);
      for (const s of shards) s.fresh.length = 0;
      const out = releaseRecords(shards);
      if (out !== null) {
        for (const block of out.blocks) {
          io.stdoutBytes(block);
          written += block.length;
        }
        await io.backpressure?.();
        for (let i = 0; i < shards.length; i++) {
          if (out.perShard[i]! > 0) shards[i]!.worker.postMessage({ type: 'written', bytes: out.perShard[i]! } satisfies MainMessage);
        }
        continue;
      }
      if (shards.every((s) => s.report !== null && !dropSpent(s))) break;
      await set.changed();
    }
  } finally {
    set.stop();
  }

  if (set.diverged !== null) {
    // Start again on this thread; the first `written` bytes are already out, and identical.
    const rest = skipping(io, written);
    const lines = parallel.job.command === 'flows'
      ? flowLines({ command: 'flows', format: 'ndjson', several: false }, rest)
      : packetLines({ command: 'packets', format: 'ndjson', several: false }, rest);
    const handlers = lines.handlers(input, 0);
    // As runInputs does: warnings are never silent.
    handlers.onWarning ??= (m) => io.stderr(`synack: ${inputName(input)}: ${m}\n`);
    const report = await analyzeInput(input, handlers, {
      maxFlows: parallel.job.maxFlows,
      idleTimeoutSeconds: parallel.job.idleTimeout,
      signal: io.signal,
      between: io.backpressure ? () => io.backpressure!() : undefined,
    });
    outcome.add(inputName(input), report);
    return 'one-thread';
  }
  outcome.add(inputName(input), combineReports(shards.map((s) => deserializeReport(s.report!))));
  return 'merged';
}

/**
 * summary and ladder (without --explain) on `jobs` threads: each shard draws its flows once the
 * main thread has told it their global stream numbers (the text shows them, and its layout
 * depends on their width), and the main thread writes the texts in stream order, as a
 * one-thread run does. A text is written only once every shard is past the frame its flow was
 * handed over at, so nothing written can be undone by a shard diverging later. Returns the
 * shards' verdict counts, or — after a divergence — how many bytes were written already: the
 * caller then reads the file again on one thread and skips them.
 */
export async function runShardedHuman(
  input: string,
  io: Io,
  jobs: number,
  job: { command: 'summary' | 'ladder'; maxFlows?: number; human: HumanShardSpec },
  outcome: InputOutcome,
): Promise<{ how: 'merged'; tally: Map<string, number> } | { how: 'one-thread'; written: number }> {
  const set = new ShardSet(input, jobs, job, io);
  const shards = set.shards;
  /** Texts waiting for a lower stream (beyond a budget, on disk), and their hand-over frames. */
  const texts = new TextSpill();
  const frames = new Map<number, number>();
  let nextStream = 0;
  let nextOut = 0;
  let written = 0;
  const out = {
    stdout(text: string): void {
      io.stdout(text);
      written += Buffer.byteLength(text);
    },
    stdoutBytes(bytes: Uint8Array): void {
      io.stdoutBytes(bytes);
      written += bytes.length;
    },
  };
  try {
    for (;;) {
      set.check();
      if (set.diverged !== null) break;
      nextStream = numberStreams(shards, nextStream);
      for (const s of shards) {
        if (s.fresh.length > 0) {
          s.worker.postMessage({ type: 'numbers', streams: s.fresh } satisfies NumbersMessage);
          s.fresh = [];
        }
      }
      const acks = shards.map(() => 0);
      shards.forEach((s, i) => {
        for (const t of s.texts) {
          for (let k = 0; k < t.streams.length; k++) {
            texts.set(t.streams[k]!, t.texts[k]!);
            frames.set(t.streams[k]!, t.frames[k]!);
          }
          acks[i]! += t.length;
        }
        s.texts.length = 0;
      });
      const progress = set.progress;
      let until = nextOut;
      for (let f = frames.get(until); f !== undefined && f <= progress; f = frames.get(until)) frames.delete(until++);
      const wrote = until > nextOut;
      if (wrote) nextOut = texts.writeRun(nextOut, out, until);
      // Credit goes back once the output has room again, so a slow reader slows the shards.
      if (wrote) await io.backpressure?.();
      acks.forEach((n, i) => {
        if (n > 0) shards[i]!.worker.postMessage({ type: 'written', bytes: n } satisfies MainMessage);
      });
      if (shards.every((s) => s.report !== null && s.texts.length === 0)) break;
      if (!wrote) await set.changed();
    }
  } finally {
    set.stop();
    if (set.diverged !== null) texts.close();
  }
  if (set.diverged !== null) return { how: 'one-thread', written };
  // Every stream was drawn by exactly one shard; anything left still comes out, in order.
  for (const s of [...texts.keys()].sort((a, b) => a - b)) texts.writeRun(s, out);
  texts.close();
  const tally = new Map<string, number>();
  for (const s of shards) for (const [v, n] of s.tally ?? []) tally.set(v, (tally.get(v) ?? 0) + n);
  outcome.add(inputName(input), combineReports(shards.map((s) => deserializeReport(s.report!))));
  return { how: 'merged', tally };
}

/**
 * Gives global stream numbers, in frame order, to the flows created in every shard, as far as
 * every shard has reported its creations. Returns the next number to give.
 */
function numberStreams(shards: Shard[], next: number): number {
  for (;;) {
    let best: Shard | null = null;
    let bestFrame = Infinity;
    for (const s of shards) {
      const f = headCreation(s);
      if (f !== null && f < bestFrame) {
        best = s;
        bestFrame = f;
      }
    }
    if (best === null) return next;
    // A shard with nothing pending could still report an earlier creation, unless it is past it.
    for (const s of shards) {
      if (s !== best && headCreation(s) === null && s.progress < bestFrame) return next;
    }
    best.global.set(best.numbered++, next);
    best.fresh.push(next++);
    best.createNext++;
  }
}

/** The frame of a shard's next creation not yet numbered, or null. */
function headCreation(s: Shard): number | null {
  while (s.creations.length > 0) {
    const c = s.creations[0]!;
    if (s.createNext < c.length) return c[s.createNext]!;
    s.creations.shift();
    s.createNext = 0;
  }
  return null;
}

/** Negative when record a (keys at ka) comes before record b (keys at kb). */
function compareKeys(a: Float64Array, ka: number, b: Float64Array, kb: number): number {
  return a[ka]! - b[kb]! || a[ka + 1]! - b[kb + 1]! || a[ka + 2]! - b[kb + 2]!;
}

/** Output blocks the main thread fills (the records are copied once, into these). */
const BLOCK = 1 << 20;

/** Bytes for stdout, filled in blocks each handed over whole. */
class OutputBlocks {
  readonly done: Uint8Array[] = [];
  private block = Buffer.allocUnsafeSlow(BLOCK);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.block.length) return;
    if (this.pos > 0) this.done.push(this.block.subarray(0, this.pos));
    this.block = Buffer.allocUnsafeSlow(Math.max(BLOCK, n));
    this.pos = 0;
  }

  copy(from: Buffer, start: number, end: number): void {
    this.room(end - start);
    this.pos += from.copy(this.block, this.pos, start, end);
  }

  number(n: number): void {
    this.room(24);
    this.pos += this.block.write(String(n), this.pos, 'latin1');
  }

  finish(): Uint8Array[] {
    if (this.pos > 0) this.done.push(this.block.subarray(0, this.pos));
    this.pos = 0;
    this.block = Buffer.allocUnsafeSlow(0);
    return this.done;
  }
}

/**
 * Writes, in one-thread order, every record no shard can still precede; null when none can be
 * written yet.
 */
function releaseRecords(shards: Shard[]): { blocks: Uint8Array[]; perShard: number[] } | null {
  let out: OutputBlocks | null = null;
  const perShard = shards.map(() => 0);
  const pending = shards.map(() => false);
  for (;;) {
    let best = -1;
    for (let i = 0; i < shards.length; i++) {
      const s = shards[i]!;
      pending[i] = dropSpent(s);
      if (!pending[i]) continue;
      if (best < 0) best = i;
      else {
        const b = shards[best]!;
        if (compareKeys(s.batches[0]!.keys, s.next * KEY_FIELDS, b.batches[0]!.keys, b.next * KEY_FIELDS) < 0) best = i;
      }
    }
    if (best < 0) break;
    const s = shards[best]!;
    const batch = s.batches[0]!;
    const k = s.next * KEY_FIELDS;
    // A shard with a record pending will send nothing before it (its records come in order, and
    // this one is the smallest); a shard with none could, unless it is past this frame.
    const frame = batch.keys[k]!;
    let blocked = false;
    for (let i = 0; i < shards.length; i++) if (!pending[i] && shards[i]!.progress < frame) blocked = true;
    if (blocked) break;
    const local = batch.keys[k + 3]!;
    let stream = local;
    if (local >= 0) {
      const global = s.global.get(local);
      if (global === undefined) break; // its creation is not numbered yet
      stream = global;
    }
    const start = s.next === 0 ? 0 : batch.ends[s.next - 1]!;
    const split = batch.splits[s.next]!;
    const end = batch.ends[s.next]!;
    out ??= new OutputBlocks();
    out.copy(batch.buf, start, split);
    out.number(stream);
    out.copy(batch.buf, split, end);
    perShard[best]! += end - start;
    s.next++;
  }
  return out === null ? null : { blocks: out.finish(), perShard };
}

/** Drops a shard's written batches. True when a record is pending. */
function dropSpent(s: Shard): boolean {
  while (s.batches.length > 0 && s.next >= s.batches[0]!.ends.length) {
    for (const stream of s.batches.shift()!.forget) s.global.delete(stream);
    s.next = 0;
  }
  return s.batches.length > 0;
}

/** The input's report from its shards: each read every frame; the flows are shared out. */
function combineReports(reports: InputReport[]): InputReport {
  // Interrupted shards stop at different frames: the one that read most speaks for the input.
  const first = reports.reduce((a, b) => (b.frames > a.frames ? b : a));
  return { ...first, flows: reports.reduce((n, r) => n + r.flows, 0), interrupted: reports.some((r) => r.interrupted) };
}

/** An Io whose first `skip` bytes of stdout are dropped (written already by the shards). */
export function skipping(io: Io, skip: number): Io {
  const take = (bytes: Uint8Array): Uint8Array | null => {
    if (skip === 0) return bytes;
    if (bytes.length <= skip) {
      skip -= bytes.length;
      return null;
    }
    const rest = bytes.subarray(skip);
    skip = 0;
    return rest;
  };
  return {
    ...io,
    // Every byte passes through the two methods below, which count what to skip.
    lineOutput: undefined,
    stdout(text) {
      if (skip === 0) io.stdout(text);
      else {
        const rest = take(Buffer.from(text, 'utf8'));
        if (rest !== null) io.stdoutBytes(rest);
      }
    },
    stdoutBytes(bytes) {
      const rest = take(bytes);
      if (rest !== null) io.stdoutBytes(rest);
    },
  };
}
