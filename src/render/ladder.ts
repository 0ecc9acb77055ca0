// `synack ladder`: one flow as a terminal sequence diagram, the picture of every TCP textbook
// (RFC 9293 §3.5 Figure 7) and of Wireshark's Flow Graph. Time runs down the left; the client's
// and the server's lifelines stand either side of the arrows, each endpoint's state written
// beside its lifeline on the row of the segment that changed it; an arrow per key segment
// labelled with flags, relative seq/ack and length; runs of data folded into dotted arrows.
// Fits the width given (80 columns and up); wider layouts add window and SYN options.

import { TcpFlag } from '../decode/types.js';
import type { Role } from '../flow/lifecycle.js';
import type { LoggedRun, LoggedSegment } from '../flow/segment-log.js';
import type { TcpState, Transition } from '../flow/types.js';
import type { AnalysisName } from '../flow/wireshark.js';
import { NOTES, notesFor, type Explainer } from './explain.js';
import {
  bytesText,
  endpointText,
  flagsText,
  initialStates,
  offsetText,
  padVisible,
  plural,
  roleText,
  stateText,
  warn,
  wrap,
  type FlowView,
  type Style,
} from './human.js';

/** Widest state name (ESTABLISHED). */
const STATE_WIDTH = 11;
/** Arrow area at or above which labels carry the window and SYN options. */
const WIDE_ARROWS = 70;
/** Longest arrow: past this, a wider terminal only leaves the diagram easier to read, not longer. */
const MAX_ARROWS = 100;

interface Layout {
  time: number;
  frame: number;
  arrows: number;
  wide: boolean;
}

function layoutOf(v: FlowView, s: Style): Layout {
  let time = 4;
  let frame = 'frame'.length;
  for (const e of v.log.entries) {
    time = Math.max(time, offsetText(v, e.sec, e.nsec).length);
    if (e.kind === 'segment') frame = Math.max(frame, String(e.frame).length + 1);
  }
  // time ␣ frame ␣␣ state ␣ │ arrows │ ␣ state
  const fixed = time + 1 + frame + 2 + STATE_WIDTH + 1 + 1 + 1 + 1 + STATE_WIDTH;
  const arrows = Math.min(MAX_ARROWS, Math.max(24, s.width - fixed));
  return { time, frame, arrows, wide: arrows >= WIDE_ARROWS };
}

/** One row: the left margin (time, frame), the client's state, the arrow area, the server's state. */
function row(s: Style, L: Layout, time: string, frame: string, client: string, middle: string, server: string): string {
  const left = time.padStart(L.time) + ' ' + frame.padEnd(L.frame) + '  ';
  const line = left + ' '.repeat(Math.max(0, STATE_WIDTH - visibleStateLength(client))) + client + ' ' + s.g.lifeline + padVisible(middle, L.arrows) + s.g.lifeline + ' ' + server;
  return line.trimEnd();
}

function visibleStateLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

function fit(text: string, width: number, ellipsis: string): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - ellipsis.length)) + ellipsis;
}

/** An arrow across the area: `── label ───▶` or `◀── label ───`, coloured by its sender. */
function arrow(s: Style, L: Layout, from: Role, label: string, dotted: boolean): string {
  const g = s.g;
  const line = dotted ? g.dotted : g.line;
  const head = from === 'client' ? g.headRight : g.headLeft;
  // Every glyph is one column wide: head, two line glyphs, a space either side of the label.
  const fixed = head.length + 2 * line.length + 2;
  const text = fit(label, L.arrows - fixed - 1, g.ellipsis);
  const fill = line.repeat(Math.max(1, L.arrows - fixed - text.length));
  const body = from === 'client' ? `${line}${line} ${text} ${fill}${head}` : `${head}${line}${line} ${text} ${fill}`;
  return roleText(s, from, body);
}

function segmentLabel(v: FlowView, L: Layout, e: LoggedSegment): string {
  const room = L.arrows - 6;
  let label = baseLabel(e, false, true);
  // Narrow areas: first tcpdump's "seq first:last" range instead of "len", then without PSH.
  if (label.length > room) label = baseLabel(e, true, true);
  if (label.length > room) label = baseLabel(e, true, false);
  if (L.wide) {
    label += ` win ${e.winScaled ?? e.win}`;
    const o = e.synOptions;
    if (o !== null) {
      const parts: string[] = [];
      if (o.mss !== null) parts.push(`mss ${o.mss}`);
      if (o.sack_perm) parts.push('sack');
      if (o.timestamps) parts.push('ts');
      if (o.wscale !== null) parts.push(`ws ${o.wscale}`);
      if (o.tfo !== null) parts.push(o.tfo.cookie === '' ? 'tfo req' : 'tfo cookie');
      if (parts.length > 0) label += ` <${parts.join(',')}>`;
    }
  }
  if (e.repeat) label += ' (again)';
  else {
    const tags = shortAnalysis(e.analysis);
    if (tags.length > 0) label += ` [${tags.join(',')}]`;
  }
  void v;
  return label;
}

function baseLabel(e: LoggedSegment, range: boolean, psh: boolean): string {
  const flags = psh ? e.flags : e.flags & ~TcpFlag.PSH;
  let label = `${flagsText(flags)} seq ${e.relSeq}`;
  if (range && e.len > 0) label += `:${(e.relSeq + e.len) >>> 0}`;
  if (e.flags & TcpFlag.ACK) label += ` ack ${e.relAck}`;
  if (!range && e.len > 0) label += ` len ${e.len}`;
  return label;
}

/** tshark analysis names as short arrow tags; plain `retransmission` is implied by fast/spurious. */
const SHORT_ANALYSIS: Record<AnalysisName, string> = {
  retransmission: 'retrans',
  fast_retransmission: 'fast retrans',
  spurious_retransmission: 'spurious retrans',
  out_of_order: 'out of order',
  lost_segment: 'prev not captured',
  ack_lost_segment: 'acks unseen',
  duplicate_ack: 'dup ack',
  zero_window: 'zero win',
  zero_window_probe: 'zero win probe',
  zero_window_probe_ack: 'zero win probe ack',
  window_full: 'win full',
  window_update: 'win update',
  keep_alive: 'keep-alive',
  keep_alive_ack: 'keep-alive ack',
  reused_ports: 'reused ports',
};

function shortAnalysis(names: readonly AnalysisName[]): string[] {
  const implied = names.includes('fast_retransmission') || names.includes('spurious_retransmission');
  return names.filter((n) => !(implied && n === 'retransmission')).map((n) => SHORT_ANALYSIS[n]);
}

/** The state each endpoint shows on this row: its last change at this frame, if any. */
function statesAt(list: Transition[] | undefined): { client: TcpState | null; server: TcpState | null; chains: Transition[][] } {
  const out = { client: null as TcpState | null, server: null as TcpState | null, chains: [] as Transition[][] };
  if (list === undefined) return out;
  for (const role of ['client', 'server'] as const) {
    const mine = list.filter((t) => t.endpoint === role);
    if (mine.length === 0) continue;
    out[role] = mine[mine.length - 1]!.to;
    if (mine.length > 1 || /\(/.test(mine[0]!.cause)) out.chains.push(mine);
  }
  return out;
}

function chainText(s: Style, chain: Transition[]): string {
  const first = chain[0]!;
  let text = `${first.endpoint} ${first.from}`;
  let why = '';
  for (const t of chain) {
    text += ` ${s.g.right} ${t.to}`;
    const m = /\((.*)\)$/.exec(t.cause);
    if (m) why = m[1]!;
  }
  return why === '' ? text : `${text}: ${why}`;
}

function segmentRows(v: FlowView, s: Style, L: Layout, e: LoggedSegment): string[] {
  const st = statesAt(v.transitionsAt.get(e.frame));
  const rows = [
    row(
      s,
      L,
      offsetText(v, e.sec, e.nsec),
      `#${e.frame}`,
      st.client ? stateText(s, st.client) : '',
      arrow(s, L, e.from, segmentLabel(v, L, e), false),
      st.server ? stateText(s, st.server) : '',
    ),
  ];
  for (const chain of st.chains) rows.push(...noteRows(s, L, `(${chainText(s, chain)})`, (t) => s.c.dim(t)));
  for (const a of v.lifecycle.anomalies) {
    if (a.frame === e.frame) rows.push(...noteRows(s, L, `! ${a.detail}`, (t) => warn(s, t)));
  }
  return rows;
}

/** A remark between the lifelines, wrapped to the arrow area. */
function noteRows(s: Style, L: Layout, text: string, colour: (t: string) => string): string[] {
  return wrap(text, L.arrows - 1, ' ').map((line) => row(s, L, '', '', '', colour(line), ''));
}

function runRows(v: FlowView, s: Style, L: Layout, r: LoggedRun): string[] {
  const rows: string[] = [];
  const frames = r.firstFrame === r.lastFrame ? `#${r.firstFrame}` : `#${r.firstFrame}${s.g.dash}${r.lastFrame}`;
  let first = true;
  for (const role of ['client', 'server'] as const) {
    const side = r[role];
    if (side.segments === 0) continue;
    let label = `${s.g.ellipsis} ${plural(side.segments, 'segment')}`;
    if (side.bytes > 0) label += `, ${bytesText(side.bytes)}`;
    else label += ' (no data)';
    if (side.retransmissions > 0) label += `, ${side.retransmissions} retr.`;
    if (L.wide) label += `  ${frames}`;
    rows.push(row(s, L, first ? offsetText(v, r.sec, r.nsec) : '', '', '', arrow(s, L, role, label, true), ''));
    first = false;
  }
  return rows;
}

/** The ladder of one flow, ending with a blank line. */
export function ladderText(v: FlowView, s: Style, ex: Explainer): string {
  const r = v.report;
  const L = layoutOf(v, s);
  const lines: string[] = [];
  lines.push(
    `${s.c.bold(`Stream ${r.stream}`)}  ${roleText(s, 'client', endpointText(r.client))} ${s.g.right} ${roleText(s, 'server', endpointText(r.server))}  (${v.verdict})` +
      (r.roles_inferred ? warn(s, '  roles inferred') : ''),
  );
  lines.push('');
  const names = row(s, L, 'time', 'frame', roleText(s, 'client'), '', roleText(s, 'server')).replace(new RegExp(escapeRegExp(s.g.lifeline), 'g'), ' ');
  lines.push(names.trimEnd());
  const init = initialStates(v);
  lines.push(row(s, L, '', '', stateText(s, init.client), '', stateText(s, init.server)));
  for (const e of v.log.entries) {
    if (e.kind === 'segment') lines.push(...segmentRows(v, s, L, e));
    else lines.push(...runRows(v, s, L, e));
  }
  if (v.log.dropped > 0) lines.push(row(s, L, '', '', '', warn(s, ` ${plural(v.log.dropped, 'more key segment')} folded (log full)`), ''));
  lines.push(row(s, L, '', 'end', stateText(s, r.final_state.client), '', stateText(s, r.final_state.server)));
  const notes = notesFor(v);
  for (const id of ex.take([...notes.handshake, ...notes.teardown])) {
    const body = wrap('Note: ' + NOTES[id], s.width, '  ');
    body[0] = body[0]!.replace('Note:', s.c.dim('Note:'));
    lines.push(...body);
  }
  return lines.join('\n') + '\n\n';
}

function escapeRegExp(t: string): string {
  return t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
