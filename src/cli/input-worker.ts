// A worker thread analysing one input for parallel.ts: it rebuilds the command's line writer
// from plain data, runs the pipeline, and sends what the command writes to the main thread
// in batches (or, until its input's turn comes, sets it aside in its own spill file and says how
// much), then the input's report. Once its turn has come and the main thread has written out
// everything before it, it writes its output to stdout's descriptor itself when the main thread
// offers it (the process's stdout): one core then no longer copies every block of the output on
// behalf of the other. It never writes to stderr.

import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeInput } from '../pipeline.js';
import { flowLines } from './flows.js';
import { inputName } from './inputs.js';
import type { Io } from './io.js';
import { OutputCredit } from './output-credit.js';
import { ByteOutput } from '../render/byte-output.js';
import { packetLines } from './packets.js';
import { ScratchFile } from './scratch-file.js';
import { serializeReport, type MainMessage, type WorkerInput, type WorkerMessage } from './parallel.js';

/** Output is sent in batches of about this many characters (one message per record would cost more than the record). */
const BATCH = 1 << 16;

/**
 * Where the worker's output goes: `spill`, its spill file (its turn has not come); `main`, the
 * main thread, block by block; `hold`, memory, until the main thread has written out what comes
 * before (`handover`, then `direct`); `direct`, stdout's descriptor; `closed`, nowhere (a
 * write failed, the main thread ends the run).
 */
type Destination = 'spill' | 'main' | 'hold' | 'direct' | 'closed';

async function main(): Promise<void> {
  const port = parentPort!;
  const { job, input, index, window, spillFd, direct } = workerData as WorkerInput;
  const post = (m: WorkerMessage): void => port.postMessage(m);
  // The main thread's file: it reads it back and closes it.
  const spill = new ScratchFile(spillFd ?? -1);
  let spilled = 0;
  let dest: Destination = 'spill';
  /** Blocks held back while dest is `hold`, their total length, and who waits for `direct`. */
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let onDirect: (() => void) | null = null;
  let fd = -1;
  const turnComes = (): void => {
    if (direct) {
      dest = 'hold';
      post({ type: 'handover' });
    } else dest = 'main';
  };
  if (spillFd === null) turnComes();

  const controller = new AbortController();
  const credit = new OutputCredit(port, window, controller.signal);
  const goDirect = (): void => {
    dest = 'direct';
    const blocks = held;
    held = [];
    heldBytes = 0;
    for (const b of blocks) writeDirect(b);
    const w = onDirect;
    onDirect = null;
    w?.();
  };
  port.on('message', (m: MainMessage) => {
    if (m.type === 'abort') {
      controller.abort();
      credit.wake();
    } else if (m.type === 'active') turnComes();
    else if (m.type === 'direct') {
      fd = m.fd;
      goDirect();
    } else credit.written(m.bytes);
  });
  // The port must not keep the thread alive once the analysis is over.
  port.unref();
  /** Resolves once dest is no longer `hold` (keeping the thread alive until then). */
  const directComes = (): Promise<void> | undefined => {
    if (dest !== 'hold') return undefined;
    port.ref();
    return new Promise<void>((resolve) => {
      onDirect = () => {
        port.unref();
        resolve();
      };
    });
  };

  const writeDirect = (bytes: Uint8Array): void => {
    if (dest === 'closed') return;
    const failure = writeAll(fd, bytes);
    if (failure !== null) {
      dest = 'closed';
      post({ type: 'write-failed', closed: failure.code === 'EPIPE', message: failure.message });
    }
  };
  const send = (bytes: Uint8Array): void => {
    switch (dest) {
      case 'spill':
        // Not its turn yet: the main thread reads this back (through the same descriptor) later.
        spill.writeAt(bytes, spilled);
        spilled += bytes.length;
        post({ type: 'spilled', length: bytes.length });
        return;
      case 'main':
        credit.sent(bytes.length);
        // Transferred, not copied: each block has its own ArrayBuffer.
        port.postMessage({ type: 'stdout', bytes } satisfies WorkerMessage, [bytes.buffer as ArrayBuffer]);
        return;
      case 'hold':
        held.push(bytes);
        heldBytes += bytes.length;
        return;
      case 'direct':
        writeDirect(bytes);
        return;
      case 'closed':
        return;
    }
  };
  // Encoded here, on the worker's core, rather than by the main thread; a full block goes at once.
  const out = new ByteOutput(BATCH, send);
  const flush = (): void => out.flush();
  const io: Io = {
    stdout(text) {
      out.text(text);
    },
    // Blocks go when full, and before anything else the worker says (stderr, backpressure, done).
    lineOutput: { bytes: out, written() {} },
    stdoutBytes(bytes) {
      flush();
      send(bytes.slice());
    },
    stderr(text) {
      // In order with the output before it, as the main thread would write them.
      flush();
      post({ type: 'stderr', text });
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: null,
    env: process.env,
    stdin: undefined as never,
    signal: controller.signal,
    backpressure() {
      flush();
      // Held back beyond the window: wait for the main thread to catch up, as for credit.
      if (dest === 'hold' && heldBytes > window && !controller.signal.aborted) return directComes();
      return credit.wait();
    },
    async flush() {
      flush();
    },
  };

  const lines = job.command === 'flows' ? flowLines(job, io) : packetLines(job, io);
  const handlers = lines.handlers(input, index);
  // As runInputs does: warnings are never silent.
  handlers.onWarning ??= (m) => io.stderr(`synack: ${inputName(input)}: ${m}\n`);
  const report = await analyzeInput(input, handlers, {
    maxFlows: job.maxFlows,
    idleTimeoutSeconds: job.command === 'flows' ? job.idleTimeout : undefined,
    signal: controller.signal,
    between: () => io.backpressure!(),
  });
  flush();
  // Its output is written before the report says it is all there.
  await directComes();
  post({ type: 'done', report: serializeReport(report) });
}

/** A 1 ms pause: stdout is non-blocking when it is a pipe, and the reader has not caught up. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `bytes` to `fd`, waiting while the reader catches up (EAGAIN: a pipe or
 * terminal the main thread made non-blocking). The error that stopped it, or null.
 */
function writeAll(fd: number, bytes: Uint8Array): NodeJS.ErrnoException | null {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EAGAIN') return err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  return null;
}

await main();
