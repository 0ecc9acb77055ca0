// Several capture files at once: each input is analysed on a worker thread (input-worker.ts),
// up to --jobs at a time, and the main thread replays what each wrote, input after input, so
// stdout and stderr carry exactly what a run one input after the other would write.
//
// The output of the input being replayed goes straight through, and its worker waits (between
// input chunks) when more than OUTPUT_WINDOW bytes of it are not yet written: the backpressure a
// slow pipe reader puts on a single run. A later input's output is set aside in an unlinked
// temporary file as it arrives, so its worker never waits and memory stays flat whatever the
// output size; it is copied out when that input's turn comes. Ctrl-C stops every worker; inputs
// after the interrupted one say nothing, as when they were never read.

import { Worker } from 'node:worker_threads';
import { CaptureError } from '../capture/types.js';
import type { InputReport } from '../pipeline.js';
import type { FlowLineSpec } from './flows.js';
import type { PacketLineSpec } from './packets.js';
import type { InputOutcome, ParallelOptions } from './inputs.js';
import { inputName } from './inputs.js';
import type { Io } from './io.js';
import { ScratchFile } from './scratch-file.js';

/** What a worker needs to rebuild a command's line writer: plain data only. */
export type InputJob =
  | (FlowLineSpec & { maxFlows?: number; idleTimeout?: number })
  | (PacketLineSpec & { maxFlows?: number });

/** Bytes a worker may have sent and the main thread not yet written. */
export const OUTPUT_WINDOW = 8 << 20;

/** workerData of input-worker.ts. */
export interface WorkerInput {
  job: InputJob;
  input: string;
  index: number;
  window: number;
}

/** Messages from a worker, in the order it produced them. */
export type WorkerMessage =
  | { type: 'stdout'; bytes: Uint8Array }
  | { type: 'stderr'; text: string }
  | { type: 'done'; report: SerializedReport };

/** Messages to a worker. */
export type MainMessage = { type: 'written'; bytes: number } | { type: 'abort' };

/** An InputReport as it crosses threads (the capture error loses its class on the way). */
export type SerializedReport = Omit<InputReport, 'capture'> & {
  capture: Omit<InputReport['capture'], 'error'> & { error: { reason: string; offset: number; kind: CaptureError['kind'] } | null };
};

export function serializeReport(r: InputReport): SerializedReport {
  const e = r.capture.error;
  return { ...r, capture: { ...r.capture, error: e === null ? null : { reason: e.reason, offset: e.offset, kind: e.kind } } };
}

export function deserializeReport(r: SerializedReport): InputReport {
  const e = r.capture.error;
  return { ...r, capture: { ...r.capture, error: e === null ? null : new CaptureError(e.reason, e.offset, e.kind) } };
}

/** A message waiting to be replayed; `spilled`: that many stdout bytes are next in the spill file. */
type Queued = WorkerMessage | { type: 'spilled'; length: number };

interface Slot {
  input: string;
  index: number;
  worker: Worker | null;
  /** Messages not yet replayed. */
  queue: Queued[];
  /** Set once the main thread replays this input: its output then goes straight to stdout. */
  active: boolean;
  /** Where output received before this input's turn waits (unlinked temporary file). */
  spill: { file: ScratchFile; written: number; read: number } | null;
  failed: Error | null;
  exited: boolean;
}

/** Appends a later input's output to its spill file. */
function spillOut(slot: Slot, bytes: Uint8Array): void {
  const spill = (slot.spill ??= { file: new ScratchFile(), written: 0, read: 0 });
  spill.file.writeAt(bytes, spill.written);
  spill.written += bytes.length;
  slot.queue.push({ type: 'spilled', length: bytes.length });
}

/** The next `length` spilled bytes of a slot. */
function readSpill(slot: Slot, length: number): Uint8Array {
  const spill = slot.spill!;
  const bytes = new Uint8Array(length);
  if (spill.file.readAt(bytes, length, spill.read) < length) {
    throw new Error(`output set aside for input ${slot.index + 1} is shorter than written`);
  }
  spill.read += length;
  return bytes;
}

export async function runParallel(
  inputs: string[],
  io: Io,
  parallel: ParallelOptions,
  outcome: InputOutcome,
): Promise<void> {
  const slots: Slot[] = inputs.map((input, index) => ({ input, index, worker: null, queue: [], active: false, spill: null, failed: null, exited: false }));
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  let started = 0;
  let running = 0;
  let stopped = false;
  /** The replay is over: workers still winding down are ignored, their spill files closed. */
  let finished = false;

  const start = (slot: Slot): void => {
    const data: WorkerInput = { job: parallel.job, input: slot.input, index: slot.index, window: OUTPUT_WINDOW };
    const worker = new Worker(new URL('./input-worker.js', import.meta.url), { workerData: data, stdout: false, stderr: false });
    slot.worker = worker;
    running++;
    worker.on('message', (m: WorkerMessage) => {
      // After the replay has ended (a later input stopped by Ctrl-C): nothing more is wanted.
      if (finished) return;
      if (m.type === 'stdout' && !slot.active) {
        // Not this input's turn yet: set aside, and let its worker go on at full speed.
        spillOut(slot, m.bytes);
        worker.postMessage({ type: 'written', bytes: m.bytes.length } satisfies MainMessage);
      } else {
        slot.queue.push(m);
      }
      poke();
    });
    worker.on('error', (err) => {
      slot.failed = err;
      poke();
    });
    worker.on('exit', () => {
      slot.exited = true;
      running--;
      // A free thread takes the next input.
      if (!stopped && started < slots.length) start(slots[started++]!);
      poke();
    });
  };
  const stopAll = (): void => {
    stopped = true;
    for (const s of slots) if (s.worker !== null && !s.exited) void s.worker.terminate();
  };
  const onAbort = (): void => {
    // Stop reading everywhere; each worker reports what it has read, as a single run would.
    stopped = true;
    for (const s of slots) s.worker?.postMessage({ type: 'abort' } satisfies MainMessage);
  };
  io.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    while (started < Math.min(parallel.jobs, slots.length)) start(slots[started++]!);
    // Ctrl-C before the workers existed: they stop at once, as a single run would.
    if (io.signal?.aborted === true) onAbort();
    for (const slot of slots) {
      // Its thread starts when an earlier input's worker exits, which can come after that
      // input's report: wait for it, unless reading was stopped (Ctrl-C) before it started.
      while (slot.worker === null && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      if (slot.worker === null) break;
      slot.active = true;
      let report: InputReport | null = null;
      while (report === null) {
        const m = slot.queue.shift();
        if (m === undefined) {
          if (slot.failed !== null) throw slot.failed;
          if (slot.exited) throw new Error(`the worker analysing ${inputName(slot.input)} stopped without a report`);
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (m.type === 'spilled') {
          io.stdoutBytes(readSpill(slot, m.length));
          await io.backpressure?.();
        } else if (m.type === 'stdout') {
          io.stdoutBytes(m.bytes);
          // Credit goes back once the bytes are on their way (after a slow reader has taken them).
          await io.backpressure?.();
          slot.worker.postMessage({ type: 'written', bytes: m.bytes.length } satisfies MainMessage);
        } else if (m.type === 'stderr') {
          io.stderr(m.text);
        } else {
          report = deserializeReport(m.report);
        }
      }
      if (!outcome.add(inputName(slot.input), report)) break;
    }
  } finally {
    finished = true;
    io.signal?.removeEventListener('abort', onAbort);
    stopAll();
    for (const s of slots) s.spill?.file.close();
  }
}
