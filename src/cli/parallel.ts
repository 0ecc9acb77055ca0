// Several capture files at once: each input is analysed on a worker thread (input-worker.ts),
// up to --jobs at a time, and the main thread replays what each wrote, input after input, so
// stdout and stderr carry exactly what a run one input after the other would write.
//
// The output of the input being replayed goes straight through; a later input's output waits in
// memory, at most OUTPUT_WINDOW characters per worker: past that the worker pauses between input
// chunks until the main thread has written what it sent (the same backpressure a slow pipe
// reader puts on a single run). Ctrl-C stops every worker; inputs after the interrupted one say
// nothing, as when they were never read.

import { Worker } from 'node:worker_threads';
import { CaptureError } from '../capture/types.js';
import type { InputReport, PipelineOptions } from '../pipeline.js';
import type { FlowLineSpec } from './flows.js';
import type { PacketLineSpec } from './packets.js';
import type { InputOutcome, ParallelOptions } from './inputs.js';
import { inputName } from './inputs.js';
import type { Io } from './io.js';

/** What a worker needs to rebuild a command's line writer: plain data only. */
export type InputJob =
  | (FlowLineSpec & { maxFlows?: number; idleTimeout?: number })
  | (PacketLineSpec & { maxFlows?: number });

/** Characters a worker may have sent and the main thread not yet written. */
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
  | { type: 'stdout'; text: string }
  | { type: 'stderr'; text: string }
  | { type: 'done'; report: SerializedReport };

/** Messages to a worker. */
export type MainMessage = { type: 'written'; chars: number } | { type: 'abort' };

/** An InputReport as it crosses threads (the capture error loses its class on the way). */
export type SerializedReport = Omit<InputReport, 'capture'> & {
  capture: Omit<InputReport['capture'], 'error'> & { error: { reason: string; offset: number; kind: CaptureError['kind'] } | null };
};

export function serializeReport(r: InputReport): SerializedReport {
  const e = r.capture.error;
  return { ...r, capture: { ...r.capture, error: e === null ? null : { reason: e.reason, offset: e.offset, kind: e.kind } } };
}

function deserializeReport(r: SerializedReport): InputReport {
  const e = r.capture.error;
  return { ...r, capture: { ...r.capture, error: e === null ? null : new CaptureError(e.reason, e.offset, e.kind) } };
}

interface Slot {
  input: string;
  index: number;
  worker: Worker | null;
  /** Messages not yet replayed. */
  queue: WorkerMessage[];
  failed: Error | null;
  exited: boolean;
}

export async function runParallel(
  inputs: string[],
  io: Io,
  parallel: ParallelOptions,
  _opts: PipelineOptions,
  outcome: InputOutcome,
): Promise<void> {
  const slots: Slot[] = inputs.map((input, index) => ({ input, index, worker: null, queue: [], failed: null, exited: false }));
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  let started = 0;
  let running = 0;
  let stopped = false;

  const start = (slot: Slot): void => {
    const data: WorkerInput = { job: parallel.job, input: slot.input, index: slot.index, window: OUTPUT_WINDOW };
    const worker = new Worker(new URL('./input-worker.js', import.meta.url), { workerData: data, stdout: false, stderr: false });
    slot.worker = worker;
    running++;
    worker.on('message', (m: WorkerMessage) => {
      slot.queue.push(m);
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
    for (const slot of slots) {
      if (slot.worker === null) break; // not started: reading stopped before it
      let report: InputReport | null = null;
      while (report === null) {
        const m = slot.queue.shift();
        if (m === undefined) {
          if (slot.failed !== null) throw slot.failed;
          if (slot.exited) throw new Error(`the worker analysing ${inputName(slot.input)} stopped without a report`);
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (m.type === 'stdout') {
          io.stdout(m.text);
          // Credit goes back once the text is on its way (after a slow reader has taken it).
          await io.backpressure?.();
          slot.worker.postMessage({ type: 'written', chars: m.text.length } satisfies MainMessage);
        } else if (m.type === 'stderr') {
          io.stderr(m.text);
        } else {
          report = deserializeReport(m.report);
        }
      }
      if (!outcome.add(inputName(slot.input), report)) break;
    }
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    stopAll();
  }
}
