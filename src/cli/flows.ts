// `synack flows`: one record per TCP flow, as a table or JSON/NDJSON. NDJSON streams: a flow is
// written as soon as it is complete; the table and the JSON document list flows in stream order.

import { flowReport, type FlowReport } from '../flow/report.js';
import { flowsTable } from '../render/flows-table.js';
import { colorLevel, makeChalk } from './color.js';
import type { Io } from './io.js';
import { runInputs } from './inputs.js';
import type { Command } from 'commander';
import { formatOption, withCommonOptions, type CommandContext, type CommonOptions } from './command.js';

export interface FlowsCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'ndjson';
}

export function registerFlows(program: Command, ctx: CommandContext): void {
  withCommonOptions(
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
    .action((captures: string[], opts: FlowsCliOptions) => ctx.run(flowsCommand(captures, opts, ctx.io)));
}

export async function flowsCommand(captures: string[], opts: FlowsCliOptions, io: Io): Promise<number> {
  const format = opts.format;
  const held: { input: number; report: FlowReport }[] = [];
  const { exit } = await runInputs(
    captures,
    io,
    (_input, index) => ({
      onFlow: (flow) => {
        const { report } = flowReport(flow);
        if (format === 'ndjson') io.stdout(JSON.stringify(report) + '\n');
        else held.push({ input: index, report });
      },
      onWarning: (m) => io.stderr(`synack: ${m}\n`),
    }),
    { footer: format === 'text' },
  );
  // Flows complete in the order their connections end; people and documents want stream order.
  held.sort((a, b) => a.input - b.input || a.report.stream - b.report.stream);
  const reports = held.map((h) => h.report);
  if (format === 'json') {
    io.stdout(reports.length === 0 ? '[]\n' : '[\n' + reports.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n');
  } else if (format === 'text') {
    const chalk = makeChalk(colorLevel(opts.color, io.env, io.stdoutIsTTY));
    io.stdout(flowsTable(reports, chalk, io.columns));
  }
  return exit;
}
