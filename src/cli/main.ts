// The command line: declares the commands with commander, runs one, and is the single place
// where outcomes become exit statuses. Nothing below src/cli/ touches `process`.

import { Command, CommanderError } from 'commander';
import { ExitCode, UsageError } from './exit.js';
import type { Io } from './io.js';
import { processIo } from './process-io.js';
import { tuneHeap } from './heap.js';
import type { CommandContext } from './command.js';
import { registerPackets } from './packets.js';
import { registerFlows } from './flows.js';
import { registerSummary } from './summary.js';
import { registerLadder } from './ladder.js';
import { registerCheck } from './check.js';
import { VERSION } from '../version.js';


const EXIT_HELP = `
Exit status:
  0  success
  1  synack check: a rule failed
  2  usage error (bad command line)
  3  input error: missing file, unknown format, damaged or truncated capture
     (what was read before the damage is still reported)`;


export async function run(argv: string[], io: Io): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = new Command();
  program
    .name('synack')
    .description(
      'Explain how each TCP connection in a capture opened and closed.\n' +
        'Reads pcap and pcapng (gzip or not) from a file or from stdin (-).',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    })
    .addHelpText('after', EXIT_HELP);

  const ctx: CommandContext = { io, run: (p) => void (pending = p) };
  // Each command declares itself (arguments, options, help) in its own module.
  registerPackets(program, ctx);
  registerFlows(program, ctx);
  registerSummary(program, ctx);
  registerLadder(program, ctx);
  registerCheck(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return pending ? await pending : ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; everything else commander rejects is usage.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr(`synack: ${err.message}\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
}


/** Entry point used by bin/synack. */
export function runMain(): void {
  tuneHeap();
  const io = processIo();
  run(process.argv.slice(2), io)
    .then(async (code) => {
      await io.flush();
      process.exitCode = code;
    })
    .catch(async (err: unknown) => {
      // A bug, not a user error: say so plainly, without a stack trace unless asked for.
      await io.flush();
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`synack: internal error: ${msg}\n`);
      if (process.env.SYNACK_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
      process.exitCode = 70;
    });
}
