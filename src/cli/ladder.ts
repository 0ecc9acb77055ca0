// `synack ladder`: each selected flow as a sequence diagram (render/ladder.ts). Shares the flow
// filters, the segment log and stream ordering with `summary` (cli/summary.ts).

import type { Command } from 'commander';
import { Explainer } from '../render/explain.js';
import { ladderText } from '../render/ladder.js';
import type { CommandContext } from './command.js';
import type { Io } from './io.js';
import { ExitCode } from './exit.js';
import { runHumanFlows, styleFor, withHumanOptions, type HumanCliOptions } from './summary.js';

export interface LadderCliOptions extends HumanCliOptions {
  all?: boolean;
}

/** Key segments drawn per flow with --all; beyond it, segments fold into summarised arrows. */
export const LADDER_ALL_LIMIT = 2000;

export function registerLadder(program: Command, ctx: CommandContext): void {
  withHumanOptions(
    program
      .command('ladder')
      .description('draw each flow as a sequence diagram: client and server lifelines, states, one arrow per segment')
      .argument('<capture...>', 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin')
      .option('--all', `draw every segment instead of folding data into summarised arrows (up to ${LADDER_ALL_LIMIT} per flow)`),
  )
    .addHelpText(
      'after',
      `
Examples:
  synack ladder capture.pcap --stream 0
  synack ladder capture.pcap --stream 2 --all --ascii
  synack ladder capture.pcap --verdict refused --width 160`,
    )
    .action((captures: string[], opts: LadderCliOptions) => ctx.run(ladderCommand(captures, opts, ctx.io)));
}

export async function ladderCommand(captures: string[], opts: LadderCliOptions, io: Io): Promise<number> {
  const style = styleFor(opts, io);
  const explainer = new Explainer(opts.explain === true);
  let drawn = 0;
  const logOptions = opts.all ? { all: true, maxSegments: LADDER_ALL_LIMIT } : {};
  const exit = await runHumanFlows(
    captures,
    opts,
    io,
    logOptions,
    (v) => {
      drawn++;
      return ladderText(v, style, explainer);
    },
    {
      command: 'ladder',
      onTally: (verdicts) => {
        for (const n of verdicts.values()) drawn += n;
      },
    },
  );
  if (drawn === 0 && exit !== ExitCode.INPUT) io.stdout('No TCP flows matched.\n');
  return exit;
}
