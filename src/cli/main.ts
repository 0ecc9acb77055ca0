// The command line: declares the commands with commander, runs one, and is the single place
// where outcomes become exit statuses. Nothing below src/cli/ touches `process`.

import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UsageError } from './exit.js';
import type { Io } from './io.js';
import { processIo } from './process-io.js';
import { packetsCommand } from './packets.js';
import { flowsCommand } from './flows.js';
import { VERSION } from '../version.js';

/** Options every command accepts. */
export interface CommonOptions {
  color?: boolean;
}

const EXIT_HELP = `
Exit status:
  0  success
  1  synack check: a rule failed
  2  usage error (bad command line)
  3  input error: missing file, unknown format, damaged or truncated capture
     (what was read before the damage is still reported)`;

function common(cmd: Command): Command {
  return cmd
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output (NO_COLOR in the environment does the same)');
}

function formatOption(choices: string[], dflt: string): Option {
  return new Option('-f, --format <format>', 'output format').choices(choices).default(dflt);
}

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

  common(
    program
      .command('packets')
      .description('one line per TCP segment: flags, relative seq/ack, window, options, stream')
      .argument('<capture...>', 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin')
      .addOption(formatOption(['text', 'json', 'ndjson'], 'text')),
  )
    .addHelpText(
      'after',
      `
Examples:
  synack packets capture.pcap
  synack packets capture.pcapng --format ndjson | jq -c 'select(.flag_names | index("SYN"))'
  tcpdump -i lo -w - 'tcp port 8080' | synack packets -`,
    )
    .action((captures: string[], opts: PacketsCliOptions) => {
      pending = packetsCommand(captures, opts, io);
    });

  common(
    program
      .command('flows')
      .description('one row per TCP flow: handshake, teardown, final states of both endpoints')
      .argument('<capture...>', 'capture files, or - for stdin')
      .addOption(formatOption(['text', 'json', 'ndjson'], 'text')),
  )
    .addHelpText(
      'after',
      `
Examples:
  synack flows capture.pcap
  synack flows capture.pcap --format ndjson | jq -r 'select(.teardown.kind == "reset") | .stream'`,
    )
    .action((captures: string[], opts: FlowsCliOptions) => {
      pending = flowsCommand(captures, opts, io);
    });

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

export interface PacketsCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'ndjson';
}

export interface FlowsCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'ndjson';
}

/** Entry point used by bin/synack. */
export function runMain(): void {
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
