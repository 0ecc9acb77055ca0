// Running the pipeline over the inputs named on the command line, and the one place that turns
// what happened to them into messages on stderr and an exit status.

import { analyzeInput, type InputReport, type PipelineHandlers, type PipelineOptions } from '../pipeline.js';
import { ExitCode } from './exit.js';
import type { Io } from './io.js';
import { startProgress } from './progress.js';
import { runParallel } from './parallel.js';
import type { InputJob } from './parallel.js';
import { runSharded, shardable, MAX_SHARDS } from './shards.js';

export function inputName(input: string): string {
  return input === '-' ? '<stdin>' : input;
}

/** "3 ARP, 2 UDP" in a stable order (most frequent first, then by name). */
function skippedText(skipped: Map<string, number>): string {
  return [...skipped.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
}

/** The footer line: what was read from one input and what was left aside. */
export function footer(name: string, r: InputReport): string {
  let s = `synack: ${name}: ${r.frames} frame${r.frames === 1 ? '' : 's'}, ${r.tcpSegments} TCP segment${r.tcpSegments === 1 ? '' : 's'}, ${r.flows} flow${r.flows === 1 ? '' : 's'}`;
  if (r.skipped.size > 0) s += `; skipped ${skippedText(r.skipped)}`;
  if (r.malformed > 0) s += `; ${r.malformed} malformed`;
  return s + '\n';
}

/** How to run inputs on worker threads (see parallel.ts); absent: one after the other. */
export interface ParallelOptions {
  /** Inputs analysed at once (--jobs). */
  jobs: number;
  /** Threads to share a single input's flows over: only when --jobs was given (shards.ts). */
  shards?: number;
  /** What a worker rebuilds the handlers from (the command's line-format writer). */
  job: InputJob;
}

/**
 * Analyses each input. Capture-level damage is reported with the file name, byte offset and how
 * much was read; it makes the exit status 3 but never hides what was decoded. With `parallel`
 * (and more than one file to read), inputs are analysed on worker threads at the same time;
 * what reaches stdout and stderr is the same, byte for byte, as one after the other.
 */
export async function runInputs(
  inputs: string[],
  io: Io,
  handlers: (input: string, index: number) => PipelineHandlers,
  opts: PipelineOptions & { footer: boolean; parallel?: ParallelOptions },
): Promise<{ exit: number; reports: InputReport[] }> {
  const stdinUses = inputs.filter((i) => i === '-').length;
  if (stdinUses > 1) {
    io.stderr('synack: standard input (-) can be read only once\n');
    return { exit: ExitCode.USAGE, reports: [] };
  }
  const outcome = new InputOutcome(io, opts.footer);
  const parallel = opts.parallel;
  if (parallel !== undefined && parallel.jobs > 1 && inputs.length > 1 && stdinUses === 0) {
    await runParallel(inputs, io, parallel, outcome);
    return outcome.finish();
  }
  if (parallel?.shards !== undefined && parallel.shards > 1 && inputs.length === 1) {
    const job = parallel.job;
    // One large file as NDJSON: its flows shared out over the threads (shards.ts).
    if (job.format === 'ndjson' && !job.several && shardable(inputs[0]!)) {
      await runSharded(inputs[0]!, io, { jobs: Math.min(parallel.shards, MAX_SHARDS), job }, outcome);
      return outcome.finish();
    }
  }
  for (const [index, input] of inputs.entries()) {
    const name = inputName(input);
    // Progress on stderr only when it is a terminal (progress.ts); never on stdout.
    const progress = startProgress(name, io.stderrIsTTY, (t) => io.stderr(t));
    const h = handlers(input, index);
    // Warnings (flow table full...) are never silent: stderr unless the command takes them.
    h.onWarning ??= (m) => io.stderr(`synack: ${name}: ${m}\n`);
    const report = await analyzeInput(input === '-' ? io.stdin : input, h, {
      ...opts,
      signal: io.signal,
      between: io.backpressure ? () => io.backpressure!() : undefined,
      live: progress.live,
    });
    progress.stop();
    if (!outcome.add(name, report)) break;
  }
  return outcome.finish();
}

/**
 * What happened to each input, said on stderr in input order, and the exit status it makes.
 * Shared by the sequential and the parallel runs so both say exactly the same.
 */
export class InputOutcome {
  exit: number = ExitCode.OK;
  readonly reports: InputReport[] = [];
  private readonly footers: string[] = [];

  constructor(
    private readonly io: Io,
    private readonly footer: boolean,
  ) {}

  /** Reports one input; false when reading stopped there (Ctrl-C) and later inputs are not read. */
  add(name: string, report: InputReport): boolean {
    const io = this.io;
    this.reports.push(report);
    const err = report.capture.error;
    if (err !== null) {
      this.exit = ExitCode.INPUT;
      if (err.kind === 'io') {
        io.stderr(`synack: ${name}: ${err.reason}\n`);
      } else {
        const read = report.frames > 0 ? `; ${report.frames} frame${report.frames === 1 ? '' : 's'} read before it are reported` : '';
        io.stderr(`synack: ${name}: ${err.reason} (byte offset ${err.offset})${read}\n`);
      }
    }
    // Footers wait for the end of the run: a reader that went away (`| head`) silences them.
    if (this.footer && (err === null || report.frames > 0)) this.footers.push(footer(name, report));
    for (const example of report.malformedExamples) io.stderr(`synack: ${name}: malformed: ${example}\n`);
    if (report.interrupted) {
      // Ctrl-C / SIGTERM: what was read is reported as at end of input; later inputs are not read.
      io.stderr(`synack: ${name}: interrupted after ${report.frames} frame${report.frames === 1 ? '' : 's'}; reporting what was read\n`);
      return false;
    }
    return true;
  }

  finish(): { exit: number; reports: InputReport[] } {
    for (const f of this.footers) this.io.stderr(f);
    return { exit: this.exit, reports: this.reports };
  }
}
