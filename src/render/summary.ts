// `synack summary` text: one block per flow that reads like an expert walking through it. A
// header (who talked to whom, for how long, how much, and a one-word verdict), the handshake
// segment by segment with both endpoints' state changes and the +1 acknowledgements checked,
// what the SYNs agreed, the data phase in two lines, the teardown segment by segment, and what
// was unusual. Everything comes from the engine's reports and timeline (see human.ts FlowView);
// this module only words it.

import { TcpFlag } from '../decode/types.js';
import type { Role } from '../flow/lifecycle.js';
import type { LoggedRun, LoggedSegment, Phase } from '../flow/segment-log.js';
import { seqRelative } from '../flow/seq.js';
import type { Transition } from '../flow/types.js';
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
  keepUnits,
  times,
  visibleLength,
  type FlowView,
  type Style,
} from './human.js';
import { VERDICT_NAMES, type Verdict } from './verdict.js';

const INDENT = '  ';
const DETAIL = '    ';

function other(role: Role): Role {
  return role === 'client' ? 'server' : 'client';
}

/** Column widths shared by every segment line of one flow. */
interface Columns {
  frame: number;
  time: number;
}

function columnsOf(v: FlowView): Columns {
  let frame = 1;
  let time = 1;
  for (const e of v.log.entries) {
    if (e.kind !== 'segment' || e.phase === 'data') continue;
    frame = Math.max(frame, String(e.frame).length);
    time = Math.max(time, offsetText(v, e.sec, e.nsec).length);
  }
  return { frame, time };
}

function verdictText(s: Style, verdict: Verdict): string {
  if (verdict === 'clean close') return s.c.green(verdict);
  if (verdict === 'open' || verdict === 'no handshake seen') return s.c.cyan(verdict);
  return s.c.red(verdict);
}

function header(v: FlowView, s: Style): string[] {
  const r = v.report;
  const lines: string[] = [];
  const who = s.c.bold(`Stream ${r.stream}`) + `  ${roleText(s, 'client', endpointText(r.client))} ${s.g.right} ${roleText(s, 'server', endpointText(r.server))}`;
  const what = `${r.duration.toFixed(Math.min(Math.max(v.tsPrecision, 0), 9))} s  ${verdictText(s, v.verdict)}`;
  // Long (IPv6) endpoints push the duration and verdict to a line of their own.
  if (visibleLength(who) + 2 + visibleLength(what) <= s.width) lines.push(`${who}  ${what}`);
  else lines.push(who, INDENT + what);
  lines.push(
    INDENT +
      `${roleText(s, 'client')} sent ${plural(r.packets.client, 'segment')}, ${bytesText(r.bytes.client)}; ` +
      `${roleText(s, 'server')} sent ${plural(r.packets.server, 'segment')}, ${bytesText(r.bytes.server)}`,
  );
  if (r.roles_inferred) {
    lines.push(INDENT + warn(s, 'roles inferred: no SYN or SYN-ACK seen, the server is taken to be the end on the lower (well-known) port'));
  } else if (r.handshake.status === 'missing') {
    lines.push(INDENT + warn(s, "roles from the SYN-ACK: the client's SYN was not captured"));
  }
  return lines;
}

function directionText(s: Style, from: Role): string {
  return from === 'client'
    ? `${roleText(s, 'client')} ${s.g.right} ${roleText(s, 'server')}`
    : `${roleText(s, 'client')} ${s.g.left} ${roleText(s, 'server')}`;
}

/** "client CLOSED → SYN_SENT · server LISTEN → SYN_RCVD", chaining several changes of one end. */
export function transitionsText(s: Style, list: Transition[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    const t = list[i]!;
    let text = `${roleText(s, t.endpoint)} ${stateText(s, t.from)}`;
    let j = i;
    let why = '';
    while (j < list.length && list[j]!.endpoint === t.endpoint) {
      text += ` ${s.g.right} ${stateText(s, list[j]!.to)}`;
      const m = /\((.*)\)$/.exec(list[j]!.cause);
      if (m) why = m[1]!;
      j++;
    }
    if (why !== '') text += ` (${why})`;
    parts.push(text);
    i = j;
  }
  return parts.join(` ${s.g.dot} `);
}

/**
 * The "+1" of a handshake ACK spelled out and checked: SYN-ACKs, and the ACK that moved its
 * receiver out of SYN_RCVD (or that the engine found wrong). The verdict is the engine's
 * (lifecycle.ts handshake_ack_mismatch); this only writes it.
 */
function ackCheck(v: FlowView, s: Style, e: LoggedSegment): string | null {
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
  if (rel === 1) return `ack = ${who}+1 ${s.c.green(s.g.check)}` + (synData > 0 ? ` (the SYN's ${synData} data bytes not acknowledged)` : '');
  if (synData > 0 && rel === 1 + synData) return `ack = ${who}+1+${synData} ${s.c.green(s.g.check)} (SYN and its data)`;
  return `ack = ${who}+${rel}`;
}

function segmentLines(v: FlowView, s: Style, cols: Columns, e: LoggedSegment): string[] {
  const time = offsetText(v, e.sec, e.nsec).padStart(cols.time);
  let text = `${INDENT}${INDENT}#${String(e.frame).padEnd(cols.frame)}  ${time}  ${directionText(s, e.from)}  ${flagsText(e.flags).padEnd(7)} seq ${e.relSeq}`;
  if (e.flags & TcpFlag.ACK) text += ` ack ${e.relAck}`;
  if (e.len > 0) text += ` len ${e.len}`;
  if (e.repeat) text += ' ' + warn(s, '(sent again)');
  const tags = e.analysis.filter((a) => !(e.repeat && a === 'retransmission'));
  if (tags.length > 0) text += ' ' + warn(s, `[${tags.join(', ')}]`);
  const lines = [text];
  const indent = INDENT + INDENT + ' '.repeat(cols.frame + 1 + 2 + cols.time + 2);
  const check = ackCheck(v, s, e);
  if (check !== null) lines.push(indent + check);
  if (e.synOptions !== null && !e.repeat) lines.push(...wrap(`offers ${synOptionsText(e.synOptions)}`, s.width, indent));
  const ts = v.transitionsAt.get(e.frame);
  if (ts !== undefined && ts.length > 0) {
    const one = indent + transitionsText(s, ts);
    if (visibleLength(one) <= s.width) lines.push(one);
    else for (const role of ['client', 'server'] as const) {
      const mine = ts.filter((t) => t.endpoint === role);
      if (mine.length > 0) lines.push(indent + transitionsText(s, mine));
    }
  }
  return lines;
}

function runLines(s: Style, r: LoggedRun): string[] {
  const parts: string[] = [];
  for (const role of ['client', 'server'] as const) {
    const side = r[role];
    if (side.segments === 0) continue;
    let p = `${role} sent ${plural(side.segments, 'segment')} (${bytesText(side.bytes)}`;
    if (side.retransmissions > 0) p += `, ${plural(side.retransmissions, 'retransmission')}`;
    parts.push(p + ')');
  }
  const frames = r.firstFrame === r.lastFrame ? `frame ${r.firstFrame}` : `frames ${r.firstFrame}${s.g.dash}${r.lastFrame}`;
  const body = wrap(keepUnits(`${frames}: ${parts.join(', ')}`), s.width - 6, '');
  return [`${INDENT}${INDENT}${s.g.ellipsis} ${body[0]}`, ...body.slice(1).map((l) => `${INDENT}${INDENT}${' '.repeat(s.g.ellipsis.length + 1)}${l}`)];
}

function phaseLines(v: FlowView, s: Style, cols: Columns, phase: Phase): string[] {
  const lines: string[] = [];
  for (const e of v.log.entries) {
    if (e.phase !== phase) continue;
    if (e.kind === 'segment') lines.push(...segmentLines(v, s, cols, e));
    else lines.push(...runLines(s, e));
  }
  return lines;
}

function handshakeOutcome(v: FlowView, s: Style): string[] {
  const r = v.report;
  const hs = r.handshake;
  const out: string[] = [];
  const say = (text: string, colour?: (t: string) => string) => out.push(...wrapped(s, text, colour));
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
    return out;
  }
  const n = hs.negotiated;
  const c = hs.options.client;
  const sv = hs.options.server;
  const agreed: string[] = [];
  agreed.push(n.mss !== null ? `MSS ${n.mss}` : 'no MSS option (536 assumed, RFC 9293 §3.7.1)');
  if (n.wscale !== null) {
    agreed.push(`window scaling on (client ${s.g.times}${2 ** n.wscale.client}, server ${s.g.times}${2 ** n.wscale.server})`);
  } else if (c === null || sv === null) {
    agreed.push(`window scaling unknown (${c === null ? "client's SYN" : "server's SYN-ACK"} not seen)`);
  } else {
    const missing = c.wscale === null && sv.wscale === null ? 'neither SYN offered it' : c.wscale === null ? "the client's SYN did not offer it" : "the server's SYN-ACK did not offer it";
    agreed.push(`window scaling off (${missing})`);
  }
  agreed.push(`SACK ${n.sack ? 'yes' : 'no'}`);
  agreed.push(`timestamps ${n.timestamps ? 'yes' : 'no'}`);
  agreed.push(`ECN ${n.ecn ? 'yes' : 'no'}`);
  say(`Agreed: ${agreed.join(', ')}.`);
  if (hs.syn_retransmissions > 0) {
    say(`The client sent its SYN ${times(hs.syn_retransmissions + 1)} (${plural(hs.syn_retransmissions, 'retransmission')}) before it was answered.`, warnOf);
  }
  if (hs.synack_retransmissions > 0) say(`The server re-sent its SYN-ACK ${times(hs.synack_retransmissions)}.`, warnOf);
  const synData = v.counters.syn_data.client;
  if (synData > 0) say(`The SYN carried ${plural(synData, 'byte')} of data (TCP Fast Open, RFC 7413).`);
  else if (c?.tfo && c.tfo.cookie === '') {
    say(`The client asked for a TCP Fast Open cookie${sv?.tfo && sv.tfo.cookie !== '' ? ` and the server gave one (${sv.tfo.cookie.length / 2} bytes)` : ''}.`);
  }
  return out;
}

/** Plain text wrapped to the width at the detail indent, then coloured line by line. */
function wrapped(s: Style, text: string, colour: (t: string) => string = (t) => t): string[] {
  return wrap(keepUnits(text), s.width, INDENT + DETAIL.slice(2)).map((l) => INDENT + DETAIL.slice(2) + colour(l.slice(INDENT.length + 2)));
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

function analysisText(v: FlowView): string | null {
  const counts = v.report.analysis;
  const parts: string[] = [];
  for (const name of Object.keys(ANALYSIS_WORDS) as AnalysisName[]) {
    const n = counts[name];
    if (n > 0) parts.push(`${n} ${ANALYSIS_WORDS[name][n === 1 ? 0 : 1]}`);
  }
  return parts.length === 0 ? null : parts.join(', ');
}

function dataLines(v: FlowView, s: Style): string[] {
  const t = v.log.totals.data;
  const lines: string[] = [];
  if (t.client.segments + t.server.segments === 0) {
    lines.push(INDENT + s.c.bold('Data') + '  none between the handshake and the teardown');
  } else {
    const text =
      `client sent ${plural(t.client.segments, 'segment')} (${bytesText(t.client.bytes)}), ` +
      `server sent ${plural(t.server.segments, 'segment')} (${bytesText(t.server.bytes)})`;
    const body = wrap(text, s.width - 6, '');
    lines.push(INDENT + s.c.bold('Data') + '  ' + body[0], ...body.slice(1).map((l) => INDENT + DETAIL.slice(2) + l));
  }
  const a = analysisText(v);
  if (a === null) lines.push(INDENT + DETAIL.slice(2) + 'tshark analysis: nothing flagged');
  else lines.push(...wrapped(s, `tshark analysis (whole flow): ${a}`, (t) => warn(s, t)));
  return lines;
}

const TEARDOWN_KIND: Record<string, string> = {
  'four-way': 'four-way (FIN, ACK, FIN, ACK)',
  'three-way': 'three segments (FIN, FIN+ACK merged, ACK)',
  simultaneous: 'simultaneous close (the FINs crossed)',
  reset: 'reset',
  'half-closed': 'half-closed (one FIN only)',
  none: 'none seen',
};

function teardownLines(v: FlowView, s: Style, cols: Columns): string[] {
  const r = v.report;
  const td = r.teardown;
  const lines: string[] = [];
  let head = TEARDOWN_KIND[td.kind]!;
  if (td.kind === 'reset') head += ` by the ${td.reset_by === 'both' ? 'client and the server' : (td.reset_by ?? td.initiator ?? 'unknown')}, no FIN exchange`;
  else if (td.initiator === 'both') head += ', both closed at once';
  else if (td.initiator !== null) head += `, the ${td.initiator} closed first`;
  const body = wrap(head, s.width - 12, '');
  lines.push(`${INDENT}${s.c.bold('Teardown')}  ${body[0]}`, ...body.slice(1).map((l) => INDENT + DETAIL.slice(2) + l));
  lines.push(...phaseLines(v, s, cols, 'close'));
  const say = (text: string, colour?: (t: string) => string) => lines.push(...wrapped(s, text, colour));
  const warnOf = (t: string) => warn(s, t);
  if (td.bytes_after_fin > 0 && td.initiator !== null && td.initiator !== 'both') {
    const passive = td.initiator === 'client' ? 'server' : 'client';
    say(`Half-close: the ${passive} sent ${bytesText(td.bytes_after_fin)} after the ${td.initiator}'s FIN.`);
  }
  const fin = v.counters.fin_retransmissions;
  for (const role of ['client', 'server'] as const) {
    if (fin[role] > 0) say(`The ${role} re-sent its FIN ${times(fin[role])}.`, warnOf);
  }
  const fs = r.final_state;
  const tw = (role: Role) => (fs[role] === 'TIME_WAIT' ? ` (for 2${s.g.times}MSL)` : '');
  lines.push(`${INDENT}${DETAIL.slice(2)}Final states: ${roleText(s, 'client')} ${stateText(s, fs.client)}${tw('client')}, ${roleText(s, 'server')} ${stateText(s, fs.server)}${tw('server')}`);
  return lines;
}

function unusualLines(v: FlowView, s: Style): string[] {
  const items = v.lifecycle.anomalies.map((a) => `frame ${a.frame}: ${a.detail}`);
  if (v.log.dropped > 0) items.push(`${plural(v.log.dropped, 'more state-changing segment')} not listed (the per-flow log is full)`);
  if (items.length === 0) return [];
  return [INDENT + s.c.bold('Unusual'), ...items.map((t) => INDENT + DETAIL.slice(2) + warn(s, t))];
}

function noteLines(s: Style, ids: NoteId[]): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const body = wrap('Note: ' + NOTES[id], s.width, INDENT + DETAIL.slice(2));
    body[0] = body[0]!.replace('Note:', s.c.dim('Note:'));
    out.push(...body);
  }
  return out;
}

/** The summary of one flow, ending with a blank line. */
export function summaryText(v: FlowView, s: Style, ex: Explainer): string {
  const cols = columnsOf(v);
  const notes = notesFor(v);
  const lines = header(v, s);
  lines.push(INDENT + s.c.bold('Handshake'));
  lines.push(...phaseLines(v, s, cols, 'open'));
  lines.push(...handshakeOutcome(v, s));
  lines.push(...noteLines(s, ex.take(notes.handshake)));
  const established = v.log.totals.data.client.segments + v.log.totals.data.server.segments > 0 || v.log.entries.some((e) => e.phase !== 'open');
  if (established) {
    lines.push(...dataLines(v, s));
    lines.push(...teardownLines(v, s, cols));
  } else if (v.report.teardown.kind !== 'reset' || v.report.handshake.status !== 'refused') {
    const fs = v.report.final_state;
    lines.push(`${INDENT}${s.c.bold('Ends')}  never established; final states: ${roleText(s, 'client')} ${stateText(s, fs.client)}, ${roleText(s, 'server')} ${stateText(s, fs.server)}`);
  } else {
    const fs = v.report.final_state;
    lines.push(`${INDENT}${s.c.bold('Ends')}  final states: ${roleText(s, 'client')} ${stateText(s, fs.client)}, ${roleText(s, 'server')} ${stateText(s, fs.server)}`);
  }
  lines.push(...noteLines(s, ex.take(notes.teardown)));
  lines.push(...unusualLines(v, s));
  return lines.join('\n') + '\n\n';
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
