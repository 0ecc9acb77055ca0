// What every command module shares: the context it runs in and the options all commands take.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_FLOWS } from '../flow/tracker.js';
import type { Io } from './io.js';
import { inspectInput } from './input-file.js';

export interface CommandContext {
  io: Io;
  /** Hands the command's work to main, which awaits it and turns it into the exit status. */
  run(work: Promise<number>): void;
}

/** Options every command accepts. */
export interface CommonOptions {
  color?: boolean;
  /** Upper bound on flows held at once (--max-flows); beyond it the least recently active are finished early. */
  maxFlows?: number;
  /** Inputs analysed at once on worker threads (--jobs; commands whose output allows it). */
  jobs?: number;
}

/** Adds the options every command takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output (NO_COLOR in the environment does the same)')
    .addOption(maxFlowsOption());
}

/** Parses a --max-flows value: a whole number of flows, at least 1. */
export function parseMaxFlows(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of flows, at least 1');
  return n;
}

/**
 * --max-flows N: memory is bounded by the flows held at once (about 2.3 KiB each, see
 * DEFAULT_MAX_FLOWS); past N the least recently active flow is finished early, with a warning.
 */
export function maxFlowsOption(): Option {
  return new Option('--max-flows <n>', 'most flows held at once; beyond it the least recently active are finished early (with a warning)')
    .argParser(parseMaxFlows)
    .default(DEFAULT_MAX_FLOWS);
}

export function formatOption(choices: string[], dflt: string): Option {
  return new Option('-f, --format <format>', 'output format').choices(choices).default(dflt);
}

/** Parses a --jobs value: a whole number, at least 1. */
export function parseJobs(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('expected a whole number of threads, 1 to 256');
  return n;
}

/** -j, --jobs N for summary and ladder: one large file's flows drawn on N threads (shards.ts). */
export function shardJobsOption(): Option {
  return new Option('-j, --jobs <n>', `threads to share one large uncompressed capture file over (same output; default 1: ${SHARDING_NOTE})`).argParser(parseJobs);
}

/**
 * -j, --jobs N: several inputs are analysed N at a time, each on its own worker thread (the
 * default uses every core when the inputs are large enough to gain from it: inputJobs); one
 * large file's flows are shared out over N threads only when asked for (shards.ts). Output is
 * the same as with --jobs 1, byte for byte.
 */
export function jobsOption(formats: string): Option {
  return new Option(
    '-j, --jobs <n>',
    `threads: several capture files in ${formats} are analysed this many at once (default: the number of cores once two of the files are 512 MiB or more, or 32 MiB gzip-compressed; else 1); one large uncompressed file is shared out over them when given (${SHARDING_NOTE}) — same output`,
  ).argParser(parseJobs);
}

/** Why sharing one file out is not the default. */
const SHARDING_NOTE = 'it pays with cores to spare, not on two';

/**
 * Inputs worth a thread of their own when --jobs is not given: uncompressed files of at least
 * this size, gzip-compressed ones of at least THREAD_MIN_GZIP_BYTES. Each thread compiles the
 * analysis afresh and V8's compiler and collector threads then have no idle core, while one
 * thread analysing the inputs one after the other reuses its compiled code. On two cores, two
 * 126 MB captures took 1.30 s on two threads and 0.98 s on one; two 1.3 GB captures 4.3 s and
 * 5.3 s; the same as gzip (7 MB and 74 MB files) 2.09 against 2.04 s and 10.0 against 11.4 s.
 */
export const THREAD_MIN_BYTES = 512 << 20;
export const THREAD_MIN_GZIP_BYTES = 32 << 20;

function worthAThread(input: string): boolean {
  const file = inspectInput(input);
  return file !== null && file.size >= (file.gzip ? THREAD_MIN_GZIP_BYTES : THREAD_MIN_BYTES);
}

/**
 * --jobs for several inputs: as given; by default every core when at least two inputs are large
 * enough to gain from threads (worthAThread), else one after the other (1).
 */
export function inputJobs(jobs: number | undefined, inputs: readonly string[]): number {
  if (jobs !== undefined) return jobs;
  let large = 0;
  for (const input of inputs) if (worthAThread(input) && ++large >= 2) return availableParallelism();
  return 1;
}
