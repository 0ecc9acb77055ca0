// What every command module shares: the context it runs in and the options all commands take.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_FLOWS } from '../flow/tracker.js';
import type { Io } from './io.js';

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
 * default uses every core); one large file's flows are shared out over N threads only when
 * asked for (shards.ts). Output is the same as with --jobs 1, byte for byte.
 */
export function jobsOption(formats: string): Option {
  return new Option(
    '-j, --jobs <n>',
    `threads: several capture files in ${formats} are analysed this many at once (default: the number of cores); one large uncompressed file is shared out over them when given (${SHARDING_NOTE}) — same output`,
  ).argParser(parseJobs);
}

/** Why sharing one file out is not the default. */
const SHARDING_NOTE = 'it pays with cores to spare, not on two';

/** --jobs for several inputs: as given, else every core. */
export function inputJobs(jobs: number | undefined): number {
  return jobs ?? availableParallelism();
}
