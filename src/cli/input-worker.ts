// A worker thread analysing one input for parallel.ts: it rebuilds the command's line writer
// from plain data, runs the pipeline, and sends what the command writes to the main thread
// in batches (or, until its input's turn comes, sets it aside in its own spill file and says how
// much), then the input's report. It never touches the process's stdout or stderr.

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

async function main(): Promise<void> {
  const port = parentPort!;
  const { job, input, index, window, spillFd } = workerData as WorkerInput;
  let replayed = spillFd === null;
  // The main thread's file: it reads it back and closes it.
  const spill = new ScratchFile(spillFd ?? -1);
  let spilled = 0;
  const post = (m: WorkerMessage): void => port.postMessage(m);

  const controller = new AbortController();
  const credit = new OutputCredit(port, window, controller.signal);
  port.on('message', (m: MainMessage) => {
    if (m.type === 'abort') {
      controller.abort();
      credit.wake();
    } else if (m.type === 'active') replayed = true;
    else credit.written(m.bytes);
  });
  // The port must not keep the thread alive once the analysis is over.
  port.unref();

  const send = (bytes: Uint8Array): void => {
    if (!replayed) {
      // Not its turn yet: the main thread reads this back (through the same descriptor) later.
      spill.writeAt(bytes, spilled);
      spilled += bytes.length;
      post({ type: 'spilled', length: bytes.length });
      return;
    }
    credit.sent(bytes.length);
    // Transferred, not copied: each block has its own ArrayBuffer.
    port.postMessage({ type: 'stdout', bytes } satisfies WorkerMessage, [bytes.buffer as ArrayBuffer]);
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
  post({ type: 'done', report: serializeReport(report) });
}

await main();
