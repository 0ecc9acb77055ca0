// `synack packets`: one record per TCP segment, as text (tcpdump-like), JSON, NDJSON or CSV.
// Every format streams: a segment is written as soon as it has been tracked.

import type { DecodedPacket } from '../decode/types.js';
import type { SegmentInfo } from '../flow/tracker.js';
import { sharedAnalysisNames } from '../flow/wireshark.js';
import { packetRecord, type PacketRecord, type PacketTransition, type SegmentResults } from '../render/packet-record.js';
import { packetLine, type TextContext } from '../render/packets-text.js';
import { packetJson, writePacketJson } from '../render/packet-json.js';
import { csvHeader, csvRow, writeCsvRow } from '../render/csv.js';
import { PACKET_FIELDS, captureField, selectFields, type Field } from '../render/fields.js';
import { unknownFields } from './flows.js';
import { UsageError } from './exit.js';
import { colorLevel, makeChalk } from './color.js';
import type { Io } from './io.js';
import { runInputs } from './inputs.js';
import type { PipelineHandlers } from '../pipeline.js';
import type { Command } from 'commander';
import { formatOption, inputJobs, jobsOption, withCommonOptions, type CommandContext, type CommonOptions } from './command.js';

export interface PacketsCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'ndjson' | 'csv';
  /** Comma-separated column names for csv. */
  fields?: string;
}

export function registerPackets(program: Command, ctx: CommandContext): void {
  withCommonOptions(
    program
      .command('packets')
      .description('one line per TCP segment: flags, relative seq/ack, window, options, stream')
      .argument('<capture...>', 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin')
      .addOption(formatOption(['text', 'json', 'ndjson', 'csv'], 'text'))
      .option('--fields <list>', 'columns for csv, comma-separated (README "Output fields")')
      .addOption(jobsOption('ndjson or csv')),
  )
    .addHelpText(
      'after',
      `
With --format ndjson and --jobs N, one large uncompressed file is shared out over N threads
(same output, byte for byte).

Examples:
  synack packets capture.pcap
  synack packets capture.pcapng --format ndjson | jq -c 'select(.flag_names | index("SYN"))'
  tcpdump -i lo -w - 'tcp port 8080' | synack packets -`,
    )
    .action((captures: string[], opts: PacketsCliOptions) => ctx.run(packetsCommand(captures, opts, ctx.io)));
}

const NOT_TRACKED: SegmentResults = {
  stream: -1,
  relSeq: 0,
  relAck: 0,
  winScaled: null,
  analysis: [],
  transitions: [],
};

const NEWLINE = 0x0a;

const NO_TRANSITIONS: readonly PacketTransition[] = Object.freeze([]);

/** The flow engine's view of the segment just tracked. */
export function segmentResults(pkt: DecodedPacket, info: SegmentInfo | null): SegmentResults {
  if (info === null) return { ...NOT_TRACKED, relSeq: pkt.tcp!.seq, relAck: pkt.tcp!.ack };
  const flow = info.flow;
  const ws = flow.wireshark;
  const changes = flow.lifecycle.lastTransitions;
  // Most segments change no state: they share one empty list.
  const transitions: readonly PacketTransition[] = changes.length === 0
    ? NO_TRANSITIONS
    : changes.map((t) => ({ endpoint: t.endpoint, from: t.from, to: t.to }));
  return {
    stream: flow.stream,
    relSeq: ws.relSeq,
    relAck: ws.relAck,
    winScaled: ws.winScaled,
    analysis: sharedAnalysisNames(ws.flags),
    transitions,
  };
}

export type PacketLineFormat = 'ndjson' | 'csv';

/** What decides how segments are written as lines (serialisable: a worker thread rebuilds it). */
export interface PacketLineSpec {
  command: 'packets';
  format: PacketLineFormat;
  fields?: string;
  /** Several inputs: each record gains a first key (column) "capture", the input as named. */
  several: boolean;
}

/**
 * The line formats (ndjson, csv): the header, and for each input the handler writing each
 * segment as it is tracked. Throws UsageError for unknown --fields.
 */
export function packetLines(spec: PacketLineSpec, io: Io): { header: string; handlers: (input: string, index: number) => PipelineHandlers } {
  const several = spec.several;
  let currentInput = '';
  if (spec.format === 'csv') {
    const sel = selectFields(PACKET_FIELDS, spec.fields);
    if (sel.unknown.length > 0) throw unknownFields(sel.unknown, PACKET_FIELDS);
    const fields = several ? [captureField<PacketRecord>(() => currentInput), ...sel.fields] : sel.fields;
    const lines = io.lineOutput;
    const onSegment = lines === undefined
      ? (pkt: DecodedPacket, info: SegmentInfo | null): void => io.stdout(csvRow(fields, packetRecord(pkt, segmentResults(pkt, info))))
      : (pkt: DecodedPacket, info: SegmentInfo | null): void => {
          writeCsvRow(lines.bytes, fields, packetRecord(pkt, segmentResults(pkt, info)));
          lines.written();
        };
    return {
      header: csvHeader(fields as Field<unknown>[]),
      handlers: (input) => {
        currentInput = input;
        return { onSegment };
      },
    };
  }
  const lines = io.lineOutput;
  const onSegment = lines === undefined
    ? (pkt: DecodedPacket, info: SegmentInfo | null): void => {
        io.stdout(packetJson(packetRecord(pkt, segmentResults(pkt, info)), several ? currentInput : undefined) + '\n');
      }
    : (pkt: DecodedPacket, info: SegmentInfo | null): void => {
        writePacketJson(lines.bytes, packetRecord(pkt, segmentResults(pkt, info)), several ? currentInput : undefined);
        lines.bytes.byte(NEWLINE);
        lines.written();
      };
  return {
    header: '',
    handlers: (input) => {
      currentInput = input;
      return { onSegment };
    },
  };
}

export async function packetsCommand(captures: string[], opts: PacketsCliOptions, io: Io): Promise<number> {
  const format = opts.format;
  // Several inputs: each record gains a first key (column) "capture", the input as named.
  const several = captures.length > 1;
  if (opts.fields !== undefined && format !== 'csv') throw new UsageError('--fields applies to --format csv');
  if (format === 'ndjson' || format === 'csv') {
    const lines = packetLines({ command: 'packets', format, fields: opts.fields, several }, io);
    io.stdout(lines.header);
    const jobs = inputJobs(opts.jobs, captures);
    const { exit } = await runInputs(captures, io, lines.handlers, {
      footer: false,
      maxFlows: opts.maxFlows,
      // Each input's lines follow the previous input's: inputs can be analysed on their own
      // threads and their lines replayed in order.
      parallel: jobs > 1
        ? { jobs, shards: opts.jobs, job: { command: 'packets', format, fields: opts.fields, several, maxFlows: opts.maxFlows } }
        : undefined,
    });
    return exit;
  }

  const chalk = makeChalk(format === 'text' ? colorLevel(opts.color, io.env, io.stdoutIsTTY) : 0);
  let first = true;
  let ctx: TextContext | null = null;
  let currentInput = '';
  if (format === 'json') io.stdout('[');

  const emit = (pkt: DecodedPacket, info: SegmentInfo | null): void => {
    const rec: PacketRecord = packetRecord(pkt, segmentResults(pkt, info));
    if (format === 'text') {
      ctx ??= { chalk, t0Sec: pkt.tsSec, t0Nsec: pkt.tsNsec };
      io.stdout(packetLine(pkt, rec, ctx));
    } else {
      io.stdout((first ? '\n' : ',\n') + packetJson(rec, several ? currentInput : undefined));
    }
    first = false;
  };

  const { exit } = await runInputs(
    captures,
    io,
    (input) => {
      currentInput = input;
      return { onSegment: emit };
    },
    { footer: format === 'text', maxFlows: opts.maxFlows },
  );
  if (format === 'json') io.stdout(first ? ']\n' : '\n]\n');
  return exit;
}
