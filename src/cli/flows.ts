// `synack flows`: one record per TCP flow, as a table, JSON, NDJSON, CSV or a Zeek conn.log.
// The line formats (ndjson, csv, zeek) stream: a flow is written as soon as its connection has
// ended (both endpoints closed, or a reset), or when it goes idle past --idle-timeout, and the
// rest at end of input. The flow stays in the tracker for its linger time so stray late segments
// still join it (stream numbers stay tshark's), but it is not written again. The table and the
// JSON document wait for the end and list flows in stream order, late segments included.

import { flowReport, type FlowReport } from '../flow/report.js';
import type { Flow } from '../flow/flow.js';
import { flowsTable } from '../render/flows-table.js';
import { flowJson, writeFlowJson } from '../render/flow-json.js';
import { csvHeader, csvRow, writeCsvRow } from '../render/csv.js';
import { FLOW_FIELDS, captureField, selectFields, type Field } from '../render/fields.js';
import { ZEEK_CONN_FIELDS, zeekHeader, zeekRow, zeekUid, type ZeekConnRecord } from '../render/zeek-tsv.js';
import { ExitCode, UsageError } from './exit.js';
import { colorLevel, makeChalk } from './color.js';
import type { Io } from './io.js';
import { runInputs } from './inputs.js';
import { passedToOnFinished, type PipelineHandlers } from '../pipeline.js';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatOption, inputJobs, jobsOption, withCommonOptions, type CommandContext, type CommonOptions } from './command.js';

export type FlowsFormat = 'text' | 'json' | 'ndjson' | 'csv' | 'zeek';

export interface FlowsCliOptions extends CommonOptions {
  format: FlowsFormat;
  /** Comma-separated column names for csv/zeek. */
  fields?: string;
  /** Capture-time seconds without a segment after which an open flow is written (0: never). */
  idleTimeout?: number;
}

const NEWLINE = 0x0a;

export type FlowLineFormat = 'ndjson' | 'csv' | 'zeek';

/** What decides how flows are written as lines (serialisable: a worker thread rebuilds it). */
export interface FlowLineSpec {
  command: 'flows';
  format: FlowLineFormat;
  fields?: string;
  /** Several inputs: records carry the input's name ("capture") or index (Zeek uid). */
  several: boolean;
}

/**
 * The line formats (ndjson, csv, zeek): the header, and for each input the handlers that write
 * each flow as soon as it is known. Throws UsageError for unknown --fields.
 */
export function flowLines(spec: FlowLineSpec, io: Io): { header: string; handlers: (input: string, index: number) => PipelineHandlers } {
  let header = '';
  let writeLine: (flow: Flow, input: string, index: number) => void;
  if (spec.format === 'ndjson') {
    const several = spec.several;
    const lines = io.lineOutput;
    writeLine = lines === undefined
      ? (flow, input) => io.stdout(flowJson(flowReport(flow).report, several ? input : undefined) + '\n')
      : (flow, input) => {
          writeFlowJson(lines.bytes, flowReport(flow).report, several ? input : undefined);
          lines.bytes.byte(NEWLINE);
          lines.written();
        };
  } else if (spec.format === 'csv') {
    const base = selectFields(FLOW_FIELDS, spec.fields);
    if (base.unknown.length > 0) throw unknownFields(base.unknown, FLOW_FIELDS);
    let fields: Field<FlowReport>[] = base.fields;
    let currentInput = '';
    if (spec.several) fields = [captureField<FlowReport>(() => currentInput), ...fields];
    header = csvHeader(fields as Field<unknown>[]);
    const lines = io.lineOutput;
    writeLine = (flow, input) => {
      currentInput = input;
      if (lines === undefined) io.stdout(csvRow(fields, flowReport(flow).report));
      else {
        writeCsvRow(lines.bytes, fields, flowReport(flow).report);
        lines.written();
      }
    };
  } else {
    const sel = selectFields(ZEEK_CONN_FIELDS, spec.fields);
    if (sel.unknown.length > 0) throw unknownFields(sel.unknown, ZEEK_CONN_FIELDS);
    const fields = sel.fields;
    header = zeekHeader(fields);
    writeLine = (flow, _input, index) => io.stdout(zeekRow(fields, zeekRecord(flow, index)));
  }
  return {
    header,
    handlers: (input, index) => {
      const emit = (flow: Flow): void => writeLine(flow, input, index);
      // Written once: when it settles (onFinished, at most once per flow and never after
      // onFlow), else when the tracker hands it over.
      return {
        onFinished: emit,
        onFlow: (flow) => {
          if (!passedToOnFinished(flow)) emit(flow);
        },
        settledFlowsDone: true,
        onWarning: (m) => io.stderr(`synack: ${m}\n`),
      };
    },
  };
}

/** Parses a duration in seconds (--idle-timeout): a non-negative number. */
export function parseSeconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number of seconds, e.g. 30 or 2.5');
  return n;
}

export function registerFlows(program: Command, ctx: CommandContext): void {
  withCommonOptions(
    program
      .command('flows')
      .description('one row per TCP flow: handshake, teardown, final states of both endpoints')
      .argument('<capture...>', 'capture files, or - for stdin')
      .addOption(formatOption(['text', 'json', 'ndjson', 'csv', 'zeek'], 'text'))
      .option('--fields <list>', 'columns for csv and zeek, comma-separated (README "Output fields")')
      .addOption(
        new Option('--idle-timeout <seconds>', 'write a flow once it has been idle this long (capture time); 0 = only at the end')
          .argParser(parseSeconds)
          .default(0),
      )
      .addOption(jobsOption('ndjson, csv or zeek')),
  )
    .addHelpText(
      'after',
      `
Several inputs: flows are numbered per input (stream restarts at 0), and every record gains a
first key "capture" holding the input as named ("-" for stdin). With --format ndjson and --jobs N,
one large uncompressed file is shared out over N threads (same output, byte for byte).

Examples:
  synack flows capture.pcap
  synack flows capture.pcap --format ndjson | jq -r 'select(.teardown.kind == "reset") | .stream'
  synack flows capture.pcap --format csv --fields stream,client.ip,server.port,handshake.rtt.total
  synack flows capture.pcap --format zeek | zeek-cut id.orig_h id.resp_p conn_state history
  tcpdump -i eth0 -U -w - 'tcp port 443' | synack flows - --format ndjson`,
    )
    .action((captures: string[], opts: FlowsCliOptions) => ctx.run(flowsCommand(captures, opts, ctx.io)));
}

/** The Zeek conn.log view of a flow (Zeek's originator, which may be our server). */
export function zeekRecord(flow: Flow, input: number): ZeekConnRecord {
  const result = flow.zeek.result();
  return {
    tsSec: flow.firstSec,
    tsNsec: flow.firstNsec,
    uid: zeekUid(input, flow.stream),
    orig: flow.endpoints[result.orig],
    resp: flow.endpoints[result.orig === 0 ? 1 : 0],
    result,
  };
}

export async function flowsCommand(captures: string[], opts: FlowsCliOptions, io: Io): Promise<number> {
  const format = opts.format;
  const several = captures.length > 1;
  if (opts.fields !== undefined && format !== 'csv' && format !== 'zeek') {
    throw new UsageError('--fields applies to --format csv and --format zeek');
  }

  const lines = format === 'ndjson' || format === 'csv' || format === 'zeek'
    ? flowLines({ command: 'flows', format, fields: opts.fields, several }, io)
    : null;
  if (lines !== null) io.stdout(lines.header);

  const held: { input: number; capture: string; report: FlowReport }[] = [];
  const jobs = inputJobs(opts.jobs, captures);
  const { exit } = await runInputs(
    captures,
    io,
    (input, index) => {
      if (lines !== null) return lines.handlers(input, index);
      return {
        onFlow: (flow) => {
          const { report } = flowReport(flow);
          held.push({ input: index, capture: input, report });
        },
        onWarning: (m) => io.stderr(`synack: ${m}\n`),
      };
    },
    {
      footer: format === 'text',
      maxFlows: opts.maxFlows,
      idleTimeoutSeconds: opts.idleTimeout,
      // The line formats are written input after input: each input can be analysed on its own
      // thread and its lines replayed in order.
      parallel: lines !== null && jobs > 1
        ? { jobs, shards: opts.jobs, job: { command: 'flows', format: format as FlowLineFormat, fields: opts.fields, several, maxFlows: opts.maxFlows, idleTimeout: opts.idleTimeout } }
        : undefined,
    },
  );
  if (lines !== null) return exit;
  // Flows complete in the order their connections end; people and documents want stream order.
  held.sort((a, b) => a.input - b.input || a.report.stream - b.report.stream);
  if (format === 'json') {
    if (held.length === 0) io.stdout('[]\n');
    else {
      // One record per line, written as it is serialised (never one string of the whole array).
      for (let i = 0; i < held.length; i++) {
        const { capture, report } = held[i]!;
        io.stdout((i === 0 ? '[\n' : ',\n') + flowJson(report, several ? capture : undefined));
      }
      io.stdout('\n]\n');
    }
  } else {
    const reports = held.map((h) => (several ? ({ capture: h.capture, ...h.report } as FlowReport) : h.report));
    const chalk = makeChalk(colorLevel(opts.color, io.env, io.stdoutIsTTY));
    if (reports.length > 0 || exit !== ExitCode.INPUT) io.stdout(flowsTable(reports, chalk, io.columns));
  }
  return exit;
}

/** A usage error naming the unknown columns and listing the valid ones. */
export function unknownFields(unknown: string[], all: readonly { name: string }[]): UsageError {
  return new UsageError(`unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; valid fields: ${all.map((f) => f.name).join(',')}`);
}
