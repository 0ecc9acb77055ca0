// Several capture files at once: each input is analysed on a worker thread (input-worker.ts),
// up to --jobs at a time, and the main thread replays what each wrote, input after input, so
// stdout and stderr carry exactly what a run one input after the other would write.
//
// The input being replayed writes its output to stdout itself, once the main thread has written
// out everything before it (Io.directOutput: the process's stdout), or else sends it to the main
// thread, which writes it straight through; its worker then waits (between input chunks) when
// more than OUTPUT_WINDOW bytes of it are not yet written: the backpressure a slow pipe reader
// puts on a single run (writing itself, it waits in the write). Until its turn
// comes, a later input's worker sets its output aside itself, in an unlinked temporary file the
// main thread opened for it (a file a worker opens is closed when it exits), and says only how
// much it wrote: it never waits, memory stays flat whatever the output size, and the main thread,
// which used to receive every block and copy it to disk on a core the workers need, reads it back
// through the same descriptor (threads share them) when that input's turn comes.
// Ctrl-C stops every worker; inputs after the interrupted one say nothing, as when they were
// never read.

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
  /**
   * Where to set output aside until its turn comes (the descriptor of a scratch file the main
   * thread opened; see 'active'), or null when its turn has come already.
   */
  spillFd: number | null;
  /**
   * The main thread offers its standard output (Io.directOutput): once this input's turn has
   * come and everything before it is out, the worker writes there itself (see 'handover').
   */
  direct: boolean;
}

/** Messages from a worker, in the order it produced them. */
export type WorkerMessage =
  | { type: 'stdout'; bytes: Uint8Array }
  /** `length` more bytes of output are next in the worker's spill file. */
  | { type: 'spilled'; length: number }
  | { type: 'stderr'; text: string }
  /**
   * Its turn has come and it would write to stdout itself: everything it sends after this is
   * held back until the main thread has written out what came before and says 'direct'.
   */
  | { type: 'handover' }
  /** Writing to stdout failed: the reader went away (EPIPE, `closed`) or another error. */
  | { type: 'write-failed'; closed: boolean; message: string }
  | { type: 'done'; report: SerializedReport };

/**
 * Messages to a worker. `active`: its turn has come, output now goes to the main thread (or,
 * when it may write itself, is held back until `direct`); `direct`: everything before this
 * input's output is out, write it to descriptor `fd` from now on.
 */
export type MainMessage =
  | { type: 'written'; bytes: number }
  | { type: 'abort' }
  | { type: 'active' }
  | { type: 'direct'; fd: number };

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

interface Slot {
  input: string;
  index: number;
  worker: Worker | null;
  /** Messages not yet replayed. */
  queue: WorkerMessage[];
  /** Set once the main thread replays this input: its output then goes straight to stdout. */
  active: boolean;
  /** The spill file its worker writes before this input's turn, and how much was read back. */
  spill: { file: ScratchFile; read: number } | null;
  failed: Error | null;
  exited: boolean;
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
  const direct = io.directOutput;
  let started = 0;
  let running = 0;
  let stopped = false;
  /** The replay is over: workers still winding down are ignored, their spill files closed. */
  let finished = false;

  const start = (slot: Slot): void => {
    if (!slot.active) slot.spill = { file: new ScratchFile(), read: 0 };
    const spillFd = slot.spill === null ? null : slot.spill.file.open();
    const data: WorkerInput = { job: parallel.job, input: slot.input, index: slot.index, window: OUTPUT_WINDOW, spillFd, direct: direct !== undefined };
    const worker = new Worker(new URL('./input-worker.js', import.meta.url), { workerData: data, stdout: false, stderr: false });
    slot.worker = worker;
    running++;
    worker.on('message', (m: WorkerMessage) => {
      // After the replay has ended (a later input stopped by Ctrl-C): nothing more is wanted.
      if (finished) return;
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
    // The first input is replayed from the start: its worker need set nothing aside.
    slots[0]!.active = true;
    while (started < Math.min(parallel.jobs, slots.length)) start(slots[started++]!);
    // Ctrl-C before the workers existed: they stop at once, as a single run would.
    if (io.signal?.aborted === true) onAbort();
    for (const slot of slots) {
      // Its thread starts when an earlier input's worker exits, which can come after that
      // input's report: wait for it, unless reading was stopped (Ctrl-C) before it started.
      while (slot.worker === null && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      if (slot.worker === null) break;
      if (!slot.active) {
        slot.active = true;
        // What it sets aside from now on would only be read back at once.
        slot.worker.postMessage({ type: 'active' } satisfies MainMessage);
      }
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
        } else if (m.type === 'handover') {
          // The worker writes the rest itself, after what is already on its way.
          await direct!.drained();
          slot.worker.postMessage({ type: 'direct', fd: direct!.fd } satisfies MainMessage);
        } else if (m.type === 'write-failed') {
          direct!.failed(m.closed, m.message);
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
    // A worker may still write to its spill file until it has stopped: its descriptor is closed
    // only then (closed earlier, the number could be reused by another file and written to).
    await Promise.all(slots.map((s) => (s.worker !== null && !s.exited ? s.worker.terminate() : undefined)));
    for (const s of slots) s.spill?.file.close();
  }
}
