// `synack check`: assertions over a capture, for CI. Rules come from flags and/or a JSON policy
// file (src/check/policy.ts), are judged on every flow (src/check/rules.ts), and the verdict is
// a short report (text or JSON), optionally JUnit XML, and the exit status:
// 0 all rules hold, 1 a rule failed, 2 usage error, 3 unreadable or damaged capture (the rules
// are still judged on what was read and reported; 3 wins over 1 because the verdict is partial).

import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { TcpFlag } from '../decode/types.js';
import type { Flow } from '../flow/flow.js';
import { flowReport } from '../flow/report.js';
import { ANALYSIS } from '../flow/wireshark.js';
import { PolicyError, parsePolicy, rulesFrom, scopeFrom } from '../check/policy.js';
import { addFrame, evaluate, newEvidence, type CheckedFlow, type FlowEvidence, type Rule } from '../check/rules.js';
import { checkJson, checkText, type CaptureOutcome, type CheckOutcome } from '../check/report.js';
import { checkJunit } from '../check/junit.js';
import { colorLevel, makeChalk } from './color.js';
import type { CommandContext } from './command.js';
import { ExitCode, UsageError } from './exit.js';
import { runInputs } from './inputs.js';
import type { Io } from './io.js';

export interface CheckCliOptions {
  color?: boolean;
  format: 'text' | 'json';
  policy?: string;
  junit?: string;
  requireHandshake?: boolean;
  forbid: string[];
  requireClose?: string;
  maxHandshakeRtt?: string;
  maxSynRetransmissions?: string;
  minFlows?: string;
  maxFlows?: string;
  host: string[];
  port: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const HELP = `
Rules (each flag may be combined with the others and with --policy):
  --require-handshake          every flow completes its three-way handshake
  --forbid WHAT                no flow may show WHAT: reset (aborted by RST), refused (SYN answered
                               by RST), half-open (handshake never completed), syn-retransmission
                               (SYN or SYN-ACK sent again), retransmission, zero-window
  --require-close graceful     both FINs sent and acknowledged (any: FINs or a RST, not left open)
  --max-handshake-rtt 50ms     SYN to handshake-completing ACK (units ns, us, ms, s, m)
  --max-syn-retransmissions N  client SYNs re-sent at most N times
  --min-flows N / --max-flows N  number of flows in scope
Scope: --host/--port (repeatable) limit the flag rules to flows with that host or port on
either end; policy files give each group of rules its own "host"/"port" (README "CI").

Exit status:
  0  all rules hold
  1  a rule failed
  2  usage error (bad flag, policy file unreadable or invalid)
  3  unreadable or damaged capture: the rules were judged on what was read, which is reported

Examples:
  synack check test.pcap --require-handshake --forbid reset --port 8080
  synack check test.pcap --policy ci/tcp-policy.json --junit reports/tcp.xml
  synack check test.pcap --max-handshake-rtt 50ms --format json | jq '.rules[] | select(.ok | not)'`;

export function registerCheck(program: Command, ctx: CommandContext): void {
  program
    .command('check')
    .description('assert rules over the flows of a capture (for CI): exit 0 if they hold, 1 if not')
    .argument('<capture...>', 'capture files, or - for stdin')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--policy <file>', 'JSON policy file with rules (README "CI")')
    .option('--junit <file>', 'also write JUnit XML (one testcase per rule) to this file')
    .option('--require-handshake', 'every flow completes its three-way handshake')
    .option('--forbid <what>', 'forbid reset|refused|half-open|syn-retransmission|retransmission|zero-window (repeatable)', collect, [])
    .option('--require-close <how>', 'graceful (both FINs acknowledged) or any (FINs or RST)')
    .option('--max-handshake-rtt <duration>', 'largest handshake RTT allowed, e.g. 50ms')
    .option('--max-syn-retransmissions <n>', 'most SYN retransmissions allowed per flow')
    .option('--min-flows <n>', 'fewest flows in scope')
    .option('--max-flows <n>', 'most flows in scope')
    .option('--host <address>', 'only flows with this address on either end (repeatable)', collect, [])
    .option('--port <port>', 'only flows with this port on either end (repeatable)', collect, [])
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output (NO_COLOR in the environment does the same)')
    .addHelpText('after', HELP)
    .action((captures: string[], opts: CheckCliOptions) => ctx.run(checkCommand(captures, opts, ctx.io)));
}

/** The rules the flags and the policy file ask for. Throws UsageError for anything unusable. */
export async function checkRules(opts: CheckCliOptions): Promise<Rule[]> {
  const rules: Rule[] = [];
  try {
    const scope = scopeFrom(opts.host.length > 0 ? opts.host : undefined, opts.port.length > 0 ? opts.port : undefined, '--');
    rules.push(
      ...rulesFrom(
        {
          'require-handshake': opts.requireHandshake,
          forbid: opts.forbid.length > 0 ? opts.forbid : undefined,
          'require-close': opts.requireClose,
          'max-handshake-rtt': opts.maxHandshakeRtt,
          'max-syn-retransmissions': opts.maxSynRetransmissions,
          'min-flows': opts.minFlows,
          'max-flows': opts.maxFlows,
        },
        scope,
        'command line',
      ),
    );
    if (opts.policy !== undefined) {
      let text: string;
      try {
        text = await readFile(opts.policy, 'utf8');
      } catch (err) {
        throw new PolicyError(`cannot read policy file ${opts.policy}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      rules.push(...parsePolicy(text, opts.policy));
    }
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(err.message);
    throw err;
  }
  if (rules.length === 0) throw new UsageError('check: no rules given (use rule flags such as --require-handshake, or --policy FILE)');
  return rules;
}

/** Collects, per flow, the frames that later explain a verdict. */
function recordEvidence(flow: Flow, flags: number, frame: number, ev: FlowEvidence): void {
  if (flags & TcpFlag.SYN && !(flags & TcpFlag.RST)) addFrame(flags & TcpFlag.ACK ? ev.synAck : ev.syn, frame);
  if (flags & TcpFlag.RST) addFrame(ev.rst, frame);
  if (flags & TcpFlag.FIN) addFrame(ev.fin, frame);
  const a = flow.wireshark.flags;
  if (a & ANALYSIS.retransmission) addFrame(ev.retransmission, frame);
  if (a & ANALYSIS.zero_window) addFrame(ev.zeroWindow, frame);
}

export async function checkCommand(captures: string[], opts: CheckCliOptions, io: Io): Promise<number> {
  const rules = await checkRules(opts);
  const flows: CheckedFlow[] = [];
  const { exit: readExit, reports } = await runInputs(
    captures,
    io,
    (input) => {
      const evidence = new Map<Flow, FlowEvidence>();
      return {
        onSegment: (pkt, info) => {
          if (info === null) return;
          let ev = evidence.get(info.flow);
          if (ev === undefined) evidence.set(info.flow, (ev = newEvidence()));
          recordEvidence(info.flow, pkt.tcp!.flags, pkt.frame, ev);
        },
        onFlow: (flow) => {
          flows.push({ capture: input, report: flowReport(flow).report, evidence: evidence.get(flow) ?? newEvidence() });
          evidence.delete(flow);
        },
      };
    },
    { footer: false },
  );
  if (readExit === ExitCode.USAGE) return ExitCode.USAGE;
  flows.sort((a, b) => captures.indexOf(a.capture) - captures.indexOf(b.capture) || a.report.stream - b.report.stream);

  const results = evaluate(rules, flows);
  const captureOutcomes: CaptureOutcome[] = reports.map((r, i) => {
    const e = r.capture.error;
    return {
      capture: captures[i]!,
      flows: r.flows,
      error: e === null ? null : e.kind === 'io' ? e.reason : `${e.reason} (byte offset ${e.offset})`,
    };
  });
  const failed = results.some((r) => !r.ok);
  let exit: number = readExit !== ExitCode.OK ? ExitCode.INPUT : failed ? ExitCode.CHECK_FAILED : ExitCode.OK;
  const outcome: CheckOutcome = { results, captures: captureOutcomes, exit };

  if (opts.junit !== undefined) {
    try {
      await writeFile(opts.junit, checkJunit(outcome));
    } catch (err) {
      io.stderr(`synack: cannot write JUnit report ${opts.junit}: ${(err as Error).message}\n`);
      exit = ExitCode.INPUT;
      outcome.exit = exit;
    }
  }
  if (opts.format === 'json') io.stdout(checkJson(outcome));
  else io.stdout(checkText(outcome, makeChalk(colorLevel(opts.color, io.env, io.stdoutIsTTY))));
  return exit;
}
