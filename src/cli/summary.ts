// `synack summary` (the default command: `synack capture.pcap`): each flow explained in stream
// order, then a totals block counting flows per verdict. Also the machinery `ladder` shares:
// the filter options, the per-flow segment log kept while reading, and stream-ordered output.

import { Option, type Command } from 'commander';
import type { Flow } from '../flow/flow.js';
import { SegmentLogBook, type SegmentLogOptions } from '../flow/segment-log.js';
import type { TcpState } from '../flow/types.js';
import { Explainer } from '../render/explain.js';
import { ASCII, UNICODE, flowView, type FlowView, type Style } from '../render/human.js';
import { summaryText, totalsText } from '../render/summary.js';
import { ExitCode } from './exit.js';
import { VERDICT_NAMES, parseVerdict, type Verdict } from '../render/verdict.js';
import { colorLevel, makeChalk } from './color.js';
import { shardJobsOption, withCommonOptions, type CommandContext, type CommonOptions } from './command.js';
import { UsageError } from './exit.js';
import { InputOutcome, runInputs } from './inputs.js';
import { MAX_SHARDS, runShardedHuman, shardable, skipping } from './shards.js';
import { TextSpill } from './text-spill.js';
import type { Io } from './io.js';

/** Options that choose flows and how they are drawn, shared by summary and ladder. */
export interface HumanCliOptions extends CommonOptions {
  stream?: string;
  flow?: string;
  host?: string;
  port?: string;
  state?: string;
  verdict?: string;
  explain?: boolean;
  ascii?: boolean;
  width?: string;
}

const STATES: readonly TcpState[] = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
];

/** The options every human-output command takes. */
export function withHumanOptions(cmd: Command): Command {
  return withCommonOptions(cmd)
    .option('-s, --stream <n>', 'only these streams (tshark tcp.stream), comma-separated')
    .addOption(new Option('--flow <n>', 'same as --stream').hideHelp())
    .option('--host <address>', 'only flows with this IP address at either end')
    .option('--port <port>', 'only flows with this port at either end')
    .option('--state <state>', 'only flows where either end finished in this state (e.g. TIME_WAIT)')
    .option('--verdict <verdict>', `only flows with this verdict (${VERDICT_NAMES.join(', ')})`)
    .option('--explain', 'add short notes on how TCP works, once per behaviour')
    .option('--ascii', 'plain ASCII instead of Unicode arrows and box drawing')
    .option('--width <columns>', 'fit this many columns (default: the terminal width, else 80)')
    .addOption(shardJobsOption());
}

export interface FlowFilter {
  streams: Set<number> | null;
  host: string | null;
  port: number | null;
  state: TcpState | null;
  verdict: Verdict | null;
}

/** Checks the filter options; a bad value is a usage error (exit 2). */
export function parseFilter(o: HumanCliOptions): FlowFilter {
  const streamText = o.stream ?? o.flow;
  let streams: Set<number> | null = null;
  if (streamText !== undefined) {
    streams = new Set();
    for (const part of streamText.split(',')) {
      if (!/^\d+$/.test(part.trim())) throw new UsageError(`--stream: "${part}" is not a stream number`);
      streams.add(Number(part.trim()));
    }
  }
  let port: number | null = null;
  if (o.port !== undefined) {
    if (!/^\d+$/.test(o.port) || Number(o.port) > 65535) throw new UsageError(`--port: "${o.port}" is not a port number`);
    port = Number(o.port);
  }
  let state: TcpState | null = null;
  if (o.state !== undefined) {
    const t = o.state.trim().toUpperCase().replace(/-/g, '_');
    state = STATES.find((s) => s === t || s.replace(/_/g, '') === t) ?? null;
    if (state === null) throw new UsageError(`--state: "${o.state}" is not a TCP state (${STATES.join(', ')})`);
  }
  let verdict: Verdict | null = null;
  if (o.verdict !== undefined) {
    verdict = parseVerdict(o.verdict);
    if (verdict === null) throw new UsageError(`--verdict: "${o.verdict}" is not a verdict (${VERDICT_NAMES.join(', ')})`);
  }
  const host = o.host === undefined ? null : o.host.replace(/^\[|\]$/g, '').toLowerCase();
  return { streams, host, port, state, verdict };
}

/** True when the flow passes every filter given (stream, host and port need no analysis). */
export function quickMatch(f: FlowFilter, flow: Flow): boolean {
  if (f.streams !== null && !f.streams.has(flow.stream)) return false;
  // The endpoints' text is made when first asked for: not for every open flow when no filter needs it.
  if (f.host === null && f.port === null) return true;
  const [a, b] = flow.endpoints;
  if (f.host !== null && a.ip !== f.host && b.ip !== f.host) return false;
  if (f.port !== null && a.port !== f.port && b.port !== f.port) return false;
  return true;
}

export function viewMatch(f: FlowFilter, v: FlowView): boolean {
  if (f.state !== null && v.report.final_state.client !== f.state && v.report.final_state.server !== f.state) return false;
  if (f.verdict !== null && v.verdict !== f.verdict) return false;
  return true;
}

export function styleFor(o: HumanCliOptions, io: Io): Style {
  let width = io.columns ?? 80;
  if (o.width !== undefined) {
    if (!/^\d+$/.test(o.width) || Number(o.width) < 40) throw new UsageError(`--width: "${o.width}" must be a number of columns, at least 40`);
    width = Number(o.width);
  }
  return {
    c: makeChalk(colorLevel(o.color, io.env, io.stdoutIsTTY)),
    g: o.ascii ? ASCII : UNICODE,
    width,
  };
}

/** Waiting texts written per step (see releaseFrom in runHumanFlows). */
const RELEASE_BUDGET = 4 << 20;

/**
 * Runs the inputs, logging each flow's key segments, and writes `render`'s text for every flow
 * that passes the filter, in stream order per input. Flows complete in the order their
 * connections end, so a reorder buffer holds those that finished before a lower-numbered one
 * (every later flow, behind one that never closes). What it holds is the flow's text, rendered
 * as soon as the flow is handed over, and past a budget kept on disk (text-spill.ts); only
 * --explain, whose notes depend on the flows shown before, holds flows and renders in order.
 */
export async function runHumanFlows(
  captures: string[],
  o: HumanCliOptions,
  io: Io,
  logOptions: SegmentLogOptions,
  render: (v: FlowView) => string,
  sharding?: { command: 'summary' | 'ladder'; onTally: (verdicts: Map<string, number>) => void },
): Promise<number> {
  const filter = parseFilter(o);
  const inOrder = o.explain === true;
  // One large file: its flows drawn on several threads (shards.ts), unless the notes of
  // --explain (which depend on the flows drawn before) or --stream (numbers known only once
  // the shards are merged) ask for one thread.
  const jobs = o.jobs ?? 1;
  if (sharding !== undefined && captures.length === 1 && jobs > 1 && !inOrder && o.stream === undefined && o.flow === undefined && shardable(captures[0]!)) {
    const outcome = new InputOutcome(io, true);
    const human = { opts: { ...o }, columns: io.columns, stdoutIsTTY: io.stdoutIsTTY, env: { ...io.env } };
    const r = await runShardedHuman(captures[0]!, io, Math.min(jobs, MAX_SHARDS), { command: sharding.command, maxFlows: o.maxFlows, human }, outcome);
    if (r.how === 'merged') {
      sharding.onTally(r.tally);
      return outcome.finish().exit;
    }
    // A shard met what only one thread can do exactly: again on one thread, after what is out.
    io = skipping(io, r.written);
  }
  let flushPrevious = (): void => {};
  const { exit } = await runInputs(
    captures,
    io,
    () => {
      flushPrevious();
      const book = new SegmentLogBook(logOptions);
      // Flows waiting for a lower-numbered stream: as flows (in-order rendering) or as their
      // text (rendered at handover; beyond a budget, on disk).
      const flows = new Map<number, Flow>();
      const texts = new TextSpill();
      let next = 0;
      /** The flow's text, or '' when the filter leaves it out. */
      const text = (flow: Flow): string => {
        const log = book.take(flow);
        if (!quickMatch(filter, flow)) return '';
        const v = flowView(flow, log);
        return viewMatch(filter, v) ? render(v) : '';
      };
      const write = (t: string): void => {
        if (t.length > 0) io.stdout(t);
      };
      /**
       * Writes the waiting streams `s`, `s + 1`, ... that are there; returns the first that is
       * not. When a long flow ends, the texts of every later flow may be waiting behind it: at
       * most RELEASE_BUDGET bytes of them go out from one drain call to the next (the pipeline
       * waits for the output between them), the rest as the output drains.
       */
      let releasedSinceWait = 0;
      const releaseFrom = (s: number, budget = RELEASE_BUDGET - releasedSinceWait): number => {
        if (budget <= 0) return s;
        if (!inOrder) {
          const before = texts.released;
          s = texts.writeRun(s, io, Infinity, budget);
          releasedSinceWait += texts.released - before;
          return s;
        }
        let written = 0;
        for (let flow = flows.get(s); flow !== undefined && written < budget; flow = flows.get(++s)) {
          flows.delete(s);
          const t = text(flow);
          written += t.length;
          write(t);
        }
        releasedSinceWait += written;
        return s;
      };
      // Every stream number is handed over exactly once (the tracker numbers flows as it creates
      // them), so nothing should be left here; if something is, it still comes out, in order.
      flushPrevious = () => {
        for (const s of [...flows.keys(), ...texts.keys()].sort((x, y) => x - y)) releaseFrom(s, Infinity);
        texts.close();
      };
      return {
        onSegment: (pkt, info) => {
          if (info !== null && quickMatch(filter, info.flow)) book.add(pkt, info.flow);
        },
        onFlow: (flow) => {
          if (flow.stream === next) {
            write(text(flow));
            next++;
          } else if (inOrder) {
            flows.set(flow.stream, flow);
          } else {
            texts.set(flow.stream, text(flow));
          }
          next = releaseFrom(next);
        },
        drain: () => {
          releasedSinceWait = 0;
          next = releaseFrom(next);
          return texts.has(next) || flows.has(next);
        },
        onWarning: (m) => io.stderr(`synack: ${m}\n`),
      };
    },
    { footer: true, maxFlows: o.maxFlows },
  );
  flushPrevious();
  return exit;
}

export function registerSummary(program: Command, ctx: CommandContext): void {
  withHumanOptions(
    program
      .command('summary', { isDefault: true })
      .description('(default) explain each flow: handshake and teardown step by step, both endpoint states, what was unusual')
      .argument('<capture...>', 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin'),
  )
    .addHelpText(
      'after',
      `
Verdicts:
${VERDICT_NAMES.map((v) => `  ${v}`).join('\n')}

Examples:
  synack capture.pcap
  synack summary capture.pcap --stream 3 --explain
  synack summary capture.pcap --verdict "reset by server" --port 443`,
    )
    .action((captures: string[], opts: HumanCliOptions) => ctx.run(summaryCommand(captures, opts, ctx.io)));
}

export async function summaryCommand(captures: string[], opts: HumanCliOptions, io: Io): Promise<number> {
  const style = styleFor(opts, io);
  const explainer = new Explainer(opts.explain === true);
  const counts = new Map<Verdict, number>();
  const exit = await runHumanFlows(
    captures,
    opts,
    io,
    {},
    (v) => {
      counts.set(v.verdict, (counts.get(v.verdict) ?? 0) + 1);
      return summaryText(v, style, explainer);
    },
    {
      command: 'summary',
      onTally: (verdicts) => {
        for (const [v, n] of verdicts) counts.set(v as Verdict, (counts.get(v as Verdict) ?? 0) + n);
      },
    },
  );
  // Nothing read at all (missing file, not a capture): stderr said why; no empty totals on stdout.
  if (counts.size > 0 || exit !== ExitCode.INPUT) io.stdout(totalsText(counts, style));
  return exit;
}
