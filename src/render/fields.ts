// Column lists for the tabular formats (CSV, Zeek TSV): which fields of a packet or flow record
// become columns, in which order, and how a nested value becomes one cell. Column names are the
// record's JSON paths joined with dots (`client.ip`, `handshake.rtt.total`), so a column and the
// jq path of the same value have the same name. The order here is the stable column order of
// `--format csv`; README "Output fields" documents it (a test keeps the two in step).

import { ANALYSIS_NAMES } from '../flow/wireshark.js';
import type { FlowReport } from '../flow/report.js';
import type { Transition } from '../flow/types.js';
import type { PacketRecord, PacketTransition } from './packet-record.js';

/** One cell: numbers stay numbers, absent values are null (an empty CSV cell, Zeek's '-'). */
export type Cell = string | number | boolean | null;

export interface Field<R> {
  name: string;
  get(record: R): Cell;
}

/** A field read by following a dotted path; a missing or null step gives null. */
function pathField<R>(name: string, format: (v: unknown) => Cell = scalar): Field<R> {
  const steps = name.split('.');
  return {
    name,
    get(record: R): Cell {
      let v: unknown = record;
      for (const step of steps) {
        if (v === null || v === undefined) return null;
        v = (v as Record<string, unknown>)[step];
      }
      return v === undefined ? null : format(v);
    },
  };
}

function scalar(v: unknown): Cell {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  // Arrays of plain values (flag names, analysis names, anomalies) become one comma-joined cell.
  if (Array.isArray(v)) return v.join(',');
  return JSON.stringify(v);
}

/** `frame:FROM>TO` per transition, space-separated (the timeline in one cell). */
function transitionsCell(v: unknown): Cell {
  return (v as Transition[]).map((t) => `${t.frame}:${t.from}>${t.to}`).join(' ');
}

/** `endpoint:FROM>TO` per transition of one packet. */
function packetTransitionsCell(v: unknown): Cell {
  return (v as PacketTransition[]).map((t) => `${t.endpoint}:${t.from}>${t.to}`).join(' ');
}

/** SACK blocks as `left-right`, comma-separated (raw sequence numbers, as in the JSON). */
function sackCell(v: unknown): Cell {
  return (v as [number, number][]).map(([l, r]) => `${l}-${r}`).join(',');
}

const SYN_OPTION_LEAVES = ['mss', 'wscale', 'sack_perm', 'timestamps', 'tfo.kind', 'tfo.cookie', 'mptcp.name'];

/** Columns of `synack flows --format csv`, in order. */
export const FLOW_FIELDS: readonly Field<FlowReport>[] = [
  ...[
    'stream',
    'client.ip',
    'client.port',
    'server.ip',
    'server.port',
    'roles_inferred',
    'first_frame',
    'last_frame',
    'start',
    'end',
    'duration',
    'packets.client',
    'packets.server',
    'bytes.client',
    'bytes.server',
    'handshake.status',
    'handshake.isn.client',
    'handshake.isn.server',
    'handshake.syn_retransmissions',
    'handshake.synack_retransmissions',
    'handshake.rtt.syn_synack',
    'handshake.rtt.synack_ack',
    'handshake.rtt.total',
    ...SYN_OPTION_LEAVES.map((l) => `handshake.options.client.${l}`),
    ...SYN_OPTION_LEAVES.map((l) => `handshake.options.server.${l}`),
    'handshake.negotiated.mss',
    'handshake.negotiated.wscale.client',
    'handshake.negotiated.wscale.server',
    'handshake.negotiated.sack',
    'handshake.negotiated.timestamps',
    'handshake.negotiated.ecn',
    'teardown.kind',
    'teardown.initiator',
    'teardown.reset_by',
    'teardown.bytes_after_fin',
    'teardown.time_wait',
    'final_state.client',
    'final_state.server',
  ].map((n) => pathField<FlowReport>(n)),
  pathField<FlowReport>('transitions.client', transitionsCell),
  pathField<FlowReport>('transitions.server', transitionsCell),
  ...ANALYSIS_NAMES.map((n) => pathField<FlowReport>(`analysis.${n}`)),
  ...['anomalies', 'completeness', 'conn_state', 'history'].map((n) => pathField<FlowReport>(n)),
];

/** Columns of `synack packets --format csv`, in order. */
export const PACKET_FIELDS: readonly Field<PacketRecord>[] = [
  ...[
    'frame',
    'ts',
    'interface',
    'src',
    'sport',
    'dst',
    'dport',
    'stream',
    'flags',
    'flag_names',
    'seq',
    'ack',
    'rel_seq',
    'rel_ack',
    'len',
    'win',
    'win_scaled',
    'options.mss',
    'options.wscale',
    'options.sack_perm',
  ].map((n) => pathField<PacketRecord>(n)),
  pathField<PacketRecord>('options.sack', sackCell),
  ...['options.ts_val', 'options.ts_ecr', 'options.tfo.kind', 'options.tfo.cookie', 'options.mptcp.name', 'options.md5', 'malformed', 'analysis'].map(
    (n) => pathField<PacketRecord>(n),
  ),
  pathField<PacketRecord>('transitions', packetTransitionsCell),
];

/** The `capture` column (the input being read), present when several inputs are named. */
export function captureField<R>(current: () => string): Field<R> {
  return { name: 'capture', get: () => current() };
}

/**
 * Picks the columns named in a `--fields` list (comma-separated, in the order given). Returns the
 * unknown names instead when there are any, for a usage error that lists them.
 */
export function selectFields<F extends { name: string }>(
  all: readonly F[],
  list: string | undefined,
): { fields: F[]; unknown: string[] } {
  if (list === undefined) return { fields: [...all], unknown: [] };
  const byName = new Map(all.map((f) => [f.name, f]));
  const fields: F[] = [];
  const unknown: string[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    const f = byName.get(name);
    if (f === undefined) unknown.push(name);
    else fields.push(f);
  }
  if (fields.length === 0 && unknown.length === 0) unknown.push('(empty list)');
  return { fields, unknown };
}
