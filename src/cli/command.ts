// What every command module shares: the context it runs in and the options all commands take.

import { Option, type Command } from 'commander';
import type { Io } from './io.js';

export interface CommandContext {
  io: Io;
  /** Hands the command's work to main, which awaits it and turns it into the exit status. */
  run(work: Promise<number>): void;
}

/** Options every command accepts. */
export interface CommonOptions {
  color?: boolean;
}

/** Adds the options every command takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output (NO_COLOR in the environment does the same)');
}

export function formatOption(choices: string[], dflt: string): Option {
  return new Option('-f, --format <format>', 'output format').choices(choices).default(dflt);
}
