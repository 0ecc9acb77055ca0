// `synack summary` text: one block per flow that reads like an expert walking through it. A
// header (who talked to whom, for how long, how much, and a one-word verdict), the handshake
// segment by segment with both endpoints' state changes and the +1 acknowledgements checked,
// what the SYNs agreed, the data phase in two lines, the teardown segment by segment, and what
// was unusual. Everything comes from the engine's reports and timeline (see human.ts FlowView);
// this module only words it.

import { TcpFlag } from '../decode/types.js';
import type { Role } from '../flow/lifecycle.js';
import type { LoggedRun, LoggedSegment, Phase, PhaseTotals } from '../flow/segment-log.js';
import { seqRelative } from '../flow/seq.js';
import { STATE_NAMES } from '../flow/states.js';
import type { TcpState, Transition } from '../flow/types.js';
import type { AnalysisName } from '../flow/wireshark.js';
import { NOTES, notesFor, type Explainer, type NoteId } from './explain.js';
import {
  bytesText,
  durationText,
  endpointText,
  flagsText,
  offsetText,
  plural,
  roleText,
  stateText,
  synOptionsText,
  warn,
  wrap,
  wrapKeepingUnits,
  times,
  styledLength,
  type FlowView,
  type Style,
} from './human.js';
import { VERDICT_NAMES, type Verdict } from './verdict.js';

const INDENT = '  ';
/** Indent of a section's own lines (segments, outcomes, notes). */
const DETAIL = '    ';

function other(role: Role): Role {
  return role === 'client' ? 'server' : 'client';
}

function verdictText(s: Style, verdict: Verdict): string {
  if (verdict === 'clean close') return s.c.green(verdict);
  if (verdict === 'open' || verdict === 'no handshake seen') return s.c.cyan(verdict);
  return s.c.red(verdict);
}

/**
 * The coloured words every summary repeats (roles, states, directions, headings, verdicts),
 * coloured once per Style: a chalk call costs more than the few characters it wraps, and each
 * flow needs dozens of them.
 */
interface Words {
  client: string;
  server: string;
  state: Record<TcpState, string>;
  verdict: Record<Verdict, string>;
  /** "client → server" and "client ← server". */
  fromClient: string;
  fromServer: string;
  /** " → " between the states of one endpoint, " · " between the endpoints. */
  then: string;
  and: string;
  check: string;
  handshake: string;
  data: string;
  teardown: string;
  ends: string;
  unusual: string;
}

const wordsByStyle = new WeakMap<Style, Words>();

function wordsOf(s: Style): Words {
  let w = wordsByStyle.get(s);
  if (w === undefined) {
    const client = roleText(s, 'client');
    const server = roleText(s, 'server');
    w = {
      client,
      server,
      state: Object.fromEntries(STATE_NAMES.map((st) => [st, stateText(s, st)])) as Record<TcpState, string>,
      verdict: Object.fromEntries(VERDICT_NAMES.map((v) => [v, verdictText(s, v)])) as Record<Verdict, string>,
      fromClient: `${client} ${s.g.right} ${server}`,
      fromServer: `${client} ${s.g.left} ${server}`,
      then: ` ${s.g.right} `,
      and: ` ${s.g.dot} `,
      check: s.c.green(s.g.check),
      handshake: INDENT + s.c.bold('Handshake'),
      data: INDENT + s.c.bold('Data'),
      teardown: INDENT + s.c.bold('Teardown'),
      ends: INDENT + s.c.bold('Ends'),
      unusual: INDENT + s.c.bold('Unusual'),
    };
    wordsByStyle.set(s, w);
  }
  return w;
}

/** Column widths shared by every segment line of one flow, and each listed segment's time. */
interface Columns {
  frame: number;
  time: number;
  /** Offsets from the flow's start, by index in the log (listed segments only). */
  times: string[];
  /** Where the lines under a segment line start: under its direction. */
  indent: string;
}

function columnsOf(v: FlowView): Columns {
  let frame = 1;
  let time = 1;
  const entries = v.log.entries;
  const times: string[] = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind !== 'segment' || e.phase === 'data') continue;
    const t = offsetText(v, e.sec, e.nsec);
    times[i] = t;
    frame = Math.max(frame, String(e.frame).length);
    time = Math.max(time, t.length);
  }
  return { frame, time, times, indent: INDENT + INDENT + ' '.repeat(frame + 1 + 2 + time + 2) };
}

function header(out: string[], v: FlowView, s: Style, w: Words): void {
  const r = v.report;
  const who = s.c.bold(`Stream ${r.stream}`) + `  ${roleText(s, 'client', endpointText(r.client))} ${s.g.right} ${roleText(s, 'server', endpointText(r.server))}`;
  const what = `${r.duration.toFixed(Math.min(Math.max(v.tsPrecision, 0), 9))} s  ${w.verdict[v.verdict]}`;
  // Long (IPv6) endpoints push the duration and verdict to a line of their own.
  if (styledLength(s, who) + 2 + styledLength(s, what) <= s.width) out.push(`${who}  ${what}`);
  else out.push(who, INDENT + what);
  out.push(
    INDENT +
      `${w.client} sent ${plural(r.packets.client, 'segment')}, ${bytesText(r.bytes.client)}; ` +
      `${w.server} sent ${plural(r.packets.server, 'segment')}, ${bytesText(r.bytes.server)}`,
  );
  if (r.roles_inferred) {
    out.push(INDENT + warn(s, 'roles inferred: no SYN or SYN-ACK seen, the server is taken to be the end on the lower (well-known) port'));
  } else if (r.handshake.status === 'missing') {
    out.push(INDENT + warn(s, "roles from the SYN-ACK: the client's SYN was not captured"));
  }
}

/** What a transition's cause says in parentheses ("crossed in flight"), or null. */
function parenthetical(cause: string): string | null {
  if (!cause.endsWith(')')) return null;
  const open = cause.indexOf('(');
  return open < 0 ? null : cause.slice(open + 1, -1);
}

/** "client CLOSED → SYN_SENT · server LISTEN → SYN_RCVD", chaining several changes of one end. */
function transitionsText(w: Words, list: readonly Transition[]): string {
  let text = '';
  let i = 0;
  while (i < list.length) {
    const endpoint = list[i]!.endpoint;
    if (i > 0) text += w.and;
    text += `${w[endpoint]} ${w.state[list[i]!.from]}`;
    let why = '';
    for (; i < list.length && list[i]!.endpoint === endpoint; i++) {
      text += w.then + w.state[list[i]!.to];
      why = parenthetical(list[i]!.cause) ?? why;
    }
    if (why !== '') text += ` (${why})`;
  }
  return text;
}

/**
 * The "+1" of a handshake ACK spelled out and checked: SYN-ACKs, and the ACK that moved its
 * receiver out of SYN_RCVD (or that the engine found wrong). The verdict is the engine's
 * (lifecycle.ts handshake_ack_mismatch); this only writes it.
 */
function ackCheck(v: FlowView, s: Style, w: Words, e: LoggedSegment): string | null {
  if (!(e.flags & TcpFlag.ACK) || e.phase !== 'open') return null;
  const peer = other(e.from);
  const isn = v.report.handshake.isn[peer];
  if (isn === null) return null;
  const mismatch = v.lifecycle.anomalies.some((a) => a.frame === e.frame && a.name === 'handshake_ack_mismatch');
  const completes = (v.transitionsAt.get(e.frame) ?? []).some((t) => t.endpoint === peer && t.from === 'SYN_RCVD' && t.to === 'ESTABLISHED');
  if (!(e.flags & TcpFlag.SYN) && !completes && !mismatch) return null;
  const who = peer === 'client' ? 'ISN(c)' : 'ISN(s)';
  if (mismatch) return warn(s, `ack ${s.g.cross} expected ${who}+1`);
  const rel = seqRelative(e.ack, isn);
  const synData = v.counters.syn_data[peer];
  if (rel === 1) return `ack = ${who}+1 ${w.check}` + (synData > 0 ? ` (the SYN's ${synData} data bytes not acknowledged)` : '');
  if (synData > 0 && rel === 1 + synData) return `ack = ${who}+1+${synData} ${w.check} (SYN and its data)`;
  return `ack = ${who}+${rel}`;
}

function segmentLines(out: string[], v: FlowView, s: Style, w: Words, cols: Columns, e: LoggedSegment, time: string): void {
  const direction = e.from === 'client' ? w.fromClient : w.fromServer;
  let text = `${INDENT}${INDENT}#${String(e.frame).padEnd(cols.frame)}  ${time.padStart(cols.time)}  ${direction}  ${flagsText(e.flags).padEnd(7)} seq ${e.relSeq}`;
  if (e.flags & TcpFlag.ACK) text += ` ack ${e.relAck}`;
  if (e.len > 0) text += ` len ${e.len}`;
  if (e.repeat) text += ' ' + warn(s, '(sent again)');
  if (e.analysis.length > 0) {
    const tags = e.analysis.filter((a) => !(e.repeat && a === 'retransmission'));
    if (tags.length > 0) text += ' ' + warn(s, `[${tags.join(', ')}]`);
  }
  out.push(text);
  const indent = cols.indent;
  const check = ackCheck(v, s, w, e);
  if (check !== null) out.push(indent + check);
  if (e.synOptions !== null && !e.repeat) pushAll(out, wrap(`offers ${synOptionsText(e.synOptions)}`, s.width, indent));
  const ts = v.transitionsAt.get(e.frame);
  if (ts !== undefined && ts.length > 0) {
    const one = indent + transitionsText(w, ts);
    if (styledLength(s, one) <= s.width) out.push(one);
    else for (const role of ['client', 'server'] as const) {
      const mine = ts.filter((t) => t.endpoint === role);
      if (mine.length > 0) out.push(indent + transitionsText(w, mine));
    }
  }
}

function runLines(out: string[], s: Style, r: LoggedRun): void {
  const parts: string[] = [];
  for (const role of ['client', 'server'] as const) {
    const side = r[role];
    if (side.segments === 0) continue;
    let p = `${role} sent ${plural(side.segments, 'segment')} (${bytesText(side.bytes)}`;
    if (side.retransmissions > 0) p += `, ${plural(side.retransmissions, 'retransmission')}`;
    parts.push(p + ')');
  }
  const frames = r.firstFrame === r.lastFrame ? `frame ${r.firstFrame}` : `frames ${r.firstFrame}${s.g.dash}${r.lastFrame}`;
  const body = wrapKeepingUnits(`${frames}: ${parts.join(', ')}`, s.width - 6, '');
  out.push(`${INDENT}${INDENT}${s.g.ellipsis} ${body[0]}`);
  for (let i = 1; i < body.length; i++) out.push(`${INDENT}${INDENT}${' '.repeat(s.g.ellipsis.length + 1)}${body[i]}`);
}

function phaseLines(out: string[], v: FlowView, s: Style, w: Words, cols: Columns, phase: Phase): void {
  const entries = v.log.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.phase !== phase) continue;
    if (e.kind === 'segment') segmentLines(out, v, s, w, cols, e, cols.times[i]!);
    else runLines(out, s, e);
  }
}

function handshakeOutcome(out: string[], v: FlowView, s: Style): void {
  const r = v.report;
  const hs = r.handshake;
  const say = (text: string, colour?: (t: string) => string) => detailLines(out, s, text, colour);
  const warnOf = (t: string) => warn(s, t);
  switch (hs.status) {
    case 'complete':
    case 'simultaneous-open': {
      const rtt = hs.rtt;
      let text = hs.status === 'complete' ? 'Established' : 'Established by a simultaneous open (the SYNs crossed in flight)';
      if (rtt.total !== null) {
        text += `: RTT ${durationText(rtt.total, s.g)}`;
        if (rtt.syn_synack !== null && rtt.synack_ack !== null) {
          text += ` (SYN${s.g.right}SYN-ACK ${durationText(rtt.syn_synack, s.g)}, SYN-ACK${s.g.right}ACK ${durationText(rtt.synack_ack, s.g)})`;
        }
      }
      say(text + '.');
      break;
    }
    case 'syn-only':
      say(`Never answered: nothing came back to the client's ${plural(hs.syn_retransmissions + 1, 'SYN')}.`, warnOf);
      break;
    case 'syn-synack':
      say('Half-open: the SYN-ACK was never acknowledged by the client.', warnOf);
      break;
    case 'refused':
      say(`Refused: the server answered the SYN with RST, so nothing listened on port ${r.server.port} (RFC 9293 §3.10.7.1).`, warnOf);
      break;
    case 'missing':
      if (hs.isn.server === null) {
        say('Not captured: the capture begins mid-connection; both ends are taken to be ESTABLISHED.');
      } else {
        say("Partly captured: the client's SYN is missing; the handshake starts at the SYN-ACK.");
      }
      break;
  }
  if (hs.status === 'missing' || hs.status === 'refused' || hs.status === 'syn-only') {
    if (hs.syn_retransmissions > 0 && hs.status !== 'syn-only') say(`The client re-sent its SYN ${times(hs.syn_retransmissions)}.`, warnOf);
    return;
  }
  const n = hs.negotiated;
  const c = hs.options.client;
  const sv = hs.options.server;
  let agreed = 'Agreed: ' + (n.mss !== null ? `MSS ${n.mss}` : 'no MSS option (536 assumed, RFC 9293 §3.7.1)');
  if (n.wscale !== null) {
    agreed += `, window scaling on (client ${s.g.times}${2 ** n.wscale.client}, server ${s.g.times}${2 ** n.wscale.server})`;
  } else if (c === null || sv === null) {
    agreed += `, window scaling unknown (${c === null ? "client's SYN" : "server's SYN-ACK"} not seen)`;
  } else {
    const missing = c.wscale === null && sv.wscale === null ? 'neither SYN offered it' : c.wscale === null ? "the client's SYN did not offer it" : "the server's SYN-ACK did not offer it";
    agreed += `, window scaling off (${missing})`;
  }
  agreed += `, SACK ${n.sack ? 'yes' : 'no'}, timestamps ${n.timestamps ? 'yes' : 'no'}, ECN ${n.ecn ? 'yes' : 'no'}.`;
  say(agreed);
  if (hs.syn_retransmissions > 0) {
    say(`The client sent its SYN ${times(hs.syn_retransmissions + 1)} (${plural(hs.syn_retransmissions, 'retransmission')}) before it was answered.`, warnOf);
  }
  if (hs.synack_retransmissions > 0) say(`The server re-sent its SYN-ACK ${times(hs.synack_retransmissions)}.`, warnOf);
  const synData = v.counters.syn_data.client;
  if (synData > 0) say(`The SYN carried ${plural(synData, 'byte')} of data (TCP Fast Open, RFC 7413).`);
  else if (c?.tfo && c.tfo.cookie === '') {
    say(`The client asked for a TCP Fast Open cookie${sv?.tfo && sv.tfo.cookie !== '' ? ` and the server gave one (${sv.tfo.cookie.length / 2} bytes)` : ''}.`);
  }
}

/** Plain text wrapped to the width at the detail indent, then coloured line by line. */
function detailLines(out: string[], s: Style, text: string, colour?: (t: string) => string): void {
  const lines = wrapKeepingUnits(text, s.width, DETAIL);
  if (colour === undefined) pushAll(out, lines);
  else for (const l of lines) out.push(DETAIL + colour(l.slice(DETAIL.length)));
}

function pushAll(out: string[], lines: readonly string[]): void {
  for (const l of lines) out.push(l);
}

/** Plain words for tshark's analysis flag names. */
const ANALYSIS_WORDS: Record<AnalysisName, [string, string]> = {
  retransmission: ['retransmission', 'retransmissions'],
  fast_retransmission: ['fast retransmission', 'fast retransmissions'],
  spurious_retransmission: ['spurious retransmission', 'spurious retransmissions'],
  out_of_order: ['out-of-order segment', 'out-of-order segments'],
  lost_segment: ['gap (previous segment not captured)', 'gaps (previous segment not captured)'],
  ack_lost_segment: ['ACK of an unseen segment', 'ACKs of unseen segments'],
  duplicate_ack: ['duplicate ACK', 'duplicate ACKs'],
  zero_window: ['zero window', 'zero windows'],
  zero_window_probe: ['zero-window probe', 'zero-window probes'],
  zero_window_probe_ack: ['zero-window probe ACK', 'zero-window probe ACKs'],
  window_full: ['window full', 'window full'],
  window_update: ['window update', 'window updates'],
  keep_alive: ['keep-alive', 'keep-alives'],
  keep_alive_ack: ['keep-alive ACK', 'keep-alive ACKs'],
  reused_ports: ['SYN on reused ports', 'SYNs on reused ports'],
};

const ANALYSIS_ORDER = Object.keys(ANALYSIS_WORDS) as AnalysisName[];

function analysisText(v: FlowView): string | null {
  const counts = v.report.analysis;
  let text: string | null = null;
  for (const name of ANALYSIS_ORDER) {
    const n = counts[name];
    if (n > 0) text = (text === null ? '' : text + ', ') + `${n} ${ANALYSIS_WORDS[name][n === 1 ? 0 : 1]}`;
  }
  return text;
}

function dataLines(out: string[], v: FlowView, s: Style, w: Words, t: PhaseTotals['data']): void {
  if (t.client.segments + t.server.segments === 0) {
    out.push(w.data + '  none between the handshake and the teardown');
  } else {
    const text =
      `client sent ${plural(t.client.segments, 'segment')} (${bytesText(t.client.bytes)}), ` +
      `server sent ${plural(t.server.segments, 'segment')} (${bytesText(t.server.bytes)})`;
    const body = wrap(text, s.width - 6, '');
    out.push(w.data + '  ' + body[0]);
    for (let i = 1; i < body.length; i++) out.push(DETAIL + body[i]);
  }
  const a = analysisText(v);
  if (a === null) out.push(DETAIL + 'tshark analysis: nothing flagged');
  else detailLines(out, s, `tshark analysis (whole flow): ${a}`, (t) => warn(s, t));
}

const TEARDOWN_KIND: Record<string, string> = {
  'four-way': 'four-way (FIN, ACK, FIN, ACK)',
  'three-way': 'three segments (FIN, FIN+ACK merged, ACK)',
  simultaneous: 'simultaneous close (the FINs crossed)',
  reset: 'reset',
  'half-closed': 'half-closed (one FIN only)',
  none: 'none seen',
};

function teardownLines(out: string[], v: FlowView, s: Style, w: Words, cols: Columns): void {
  const r = v.report;
  const td = r.teardown;
  let head = TEARDOWN_KIND[td.kind]!;
  if (td.kind === 'reset') head += ` by the ${td.reset_by === 'both' ? 'client and the server' : (td.reset_by ?? td.initiator ?? 'unknown')}, no FIN exchange`;
  else if (td.initiator === 'both') head += ', both closed at once';
  else if (td.initiator !== null) head += `, the ${td.initiator} closed first`;
  const body = wrap(head, s.width - 12, '');
  out.push(`${w.teardown}  ${body[0]}`);
  for (let i = 1; i < body.length; i++) out.push(DETAIL + body[i]);
  phaseLines(out, v, s, w, cols, 'close');
  const warnOf = (t: string) => warn(s, t);
  if (td.bytes_after_fin > 0 && td.initiator !== null && td.initiator !== 'both') {
    const passive = td.initiator === 'client' ? 'server' : 'client';
    detailLines(out, s, `Half-close: the ${passive} sent ${bytesText(td.bytes_after_fin)} after the ${td.initiator}'s FIN.`);
  }
  const fin = v.counters.fin_retransmissions;
  for (const role of ['client', 'server'] as const) {
    if (fin[role] > 0) detailLines(out, s, `The ${role} re-sent its FIN ${times(fin[role])}.`, warnOf);
  }
  const fs = r.final_state;
  const tw = (role: Role) => (fs[role] === 'TIME_WAIT' ? ` (for 2${s.g.times}MSL)` : '');
  out.push(`${DETAIL}Final states: ${w.client} ${w.state[fs.client]}${tw('client')}, ${w.server} ${w.state[fs.server]}${tw('server')}`);
}

function unusualLines(out: string[], v: FlowView, s: Style, w: Words): void {
  const anomalies = v.lifecycle.anomalies;
  const dropped = v.log.dropped;
  if (anomalies.length === 0 && dropped === 0) return;
  out.push(w.unusual);
  for (const a of anomalies) out.push(DETAIL + warn(s, `frame ${a.frame}: ${a.detail}`));
  if (dropped > 0) out.push(DETAIL + warn(s, `${plural(dropped, 'more state-changing segment')} not listed (the per-flow log is full)`));
}

function noteLines(out: string[], s: Style, ids: NoteId[]): void {
  for (const id of ids) {
    const body = wrap('Note: ' + NOTES[id], s.width, DETAIL);
    body[0] = body[0]!.replace('Note:', s.c.dim('Note:'));
    pushAll(out, body);
  }
}

/** The summary of one flow, ending with a blank line. */
export function summaryText(v: FlowView, s: Style, ex: Explainer): string {
  const w = wordsOf(s);
  const cols = columnsOf(v);
  // Which notes apply takes some work; without --explain none is ever shown.
  const notes = ex.enabled ? notesFor(v) : null;
  const out: string[] = [];
  header(out, v, s, w);
  out.push(w.handshake);
  phaseLines(out, v, s, w, cols, 'open');
  handshakeOutcome(out, v, s);
  if (notes !== null) noteLines(out, s, ex.take(notes.handshake));
  const data = v.log.totals.data;
  const established = data.client.segments + data.server.segments > 0 || v.log.entries.some((e) => e.phase !== 'open');
  const fs = v.report.final_state;
  if (established) {
    dataLines(out, v, s, w, data);
    teardownLines(out, v, s, w, cols);
  } else if (v.report.teardown.kind !== 'reset' || v.report.handshake.status !== 'refused') {
    out.push(`${w.ends}  never established; final states: ${w.client} ${w.state[fs.client]}, ${w.server} ${w.state[fs.server]}`);
  } else {
    out.push(`${w.ends}  final states: ${w.client} ${w.state[fs.client]}, ${w.server} ${w.state[fs.server]}`);
  }
  if (notes !== null) noteLines(out, s, ex.take(notes.teardown));
  unusualLines(out, v, s, w);
  // Two empty lines more: the text ends with a blank line.
  out.push('', '');
  return out.join('\n');
}

/** The closing block: flows counted per verdict, in the VERDICTS order. */
export function totalsText(counts: Map<Verdict, number>, s: Style): string {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return 'No TCP flows matched.\n';
  const lines = [s.c.bold(`Totals: ${plural(total, 'flow')}`)];
  const width = Math.max(...VERDICT_NAMES.filter((v) => counts.has(v)).map((v) => v.length));
  for (const v of VERDICT_NAMES) {
    const n = counts.get(v);
    if (n === undefined) continue;
    lines.push(`${INDENT}${verdictText(s, v)}${' '.repeat(width - v.length)}  ${String(n).padStart(String(total).length)}`);
  }
  return lines.join('\n') + '\n';
}
