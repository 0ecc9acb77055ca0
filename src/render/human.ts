// What the human-readable renderers (summary, ladder) share: the view of one finished flow they
// draw from, the glyph sets (Unicode or ASCII), colour by meaning, and small text helpers.
// Colour marks states, client versus server, and warnings; nothing else, and the text reads the
// same without it.

import type { ChalkInstance } from 'chalk';
import type { Flow, Endpoint } from '../flow/flow.js';
import { flowReport, type FlowReport } from '../flow/report.js';
import type { LifecycleCounters, LifecycleReport, Role } from '../flow/lifecycle.js';
import type { SegmentLog } from '../flow/segment-log.js';
import type { TcpState, Transition } from '../flow/types.js';
import { sharedFlagNames } from '../decode/flags.js';
import { formatOffset } from './time.js';
import { verdictOf, type Verdict } from './verdict.js';
import type { SynOptions } from '../flow/handshake.js';

/** Everything a human renderer needs about one finished flow (built once, in onFlow). */
export interface FlowView {
  report: FlowReport;
  lifecycle: LifecycleReport;
  counters: LifecycleCounters;
  log: SegmentLog;
  verdict: Verdict;
  /** The flow's first segment: times print as offsets from it. */
  t0Sec: number;
  t0Nsec: number;
  tsPrecision: number;
  /** Both endpoints' state changes by frame, the sender's first (from the final timeline). */
  transitionsAt: Map<number, Transition[]>;
}

export function flowView(flow: Flow, log: SegmentLog): FlowView {
  const { report, lifecycle } = flowReport(flow);
  const transitionsAt = new Map<number, Transition[]>();
  for (const side of [report.transitions.client, report.transitions.server]) {
    for (const t of side) {
      const list = transitionsAt.get(t.frame);
      if (list === undefined) transitionsAt.set(t.frame, [t]);
      else list.push(t);
    }
  }
  // Within a frame, the sender's changes come first: it sent the segment before the peer got it.
  for (const e of log.entries) {
    if (e.kind !== 'segment') continue;
    const list = transitionsAt.get(e.frame);
    if (list !== undefined && list.length > 1) senderFirst(list, e.from);
  }
  return {
    report,
    lifecycle,
    counters: flow.lifecycle.counters,
    log,
    verdict: verdictOf(report),
    t0Sec: flow.firstSec,
    t0Nsec: flow.firstNsec,
    tsPrecision: flow.tsPrecision,
    transitionsAt,
  };
}

/**
 * Moves the sender's changes ahead of the peer's, each side keeping its order: a stable sort on
 * "is the sender's", without Array.prototype.sort's working arrays for lists of two to four.
 */
function senderFirst(list: Transition[], sender: Role): void {
  let firstPeer = 0;
  while (firstPeer < list.length && list[firstPeer]!.endpoint === sender) firstPeer++;
  let next = firstPeer + 1;
  while (next < list.length && list[next]!.endpoint !== sender) next++;
  if (next >= list.length) return; // no change of the sender's after one of the peer's
  const peer = list.filter((t) => t.endpoint !== sender);
  let at = firstPeer;
  for (let i = firstPeer; i < list.length; i++) if (list[i]!.endpoint === sender) list[at++] = list[i]!;
  for (const t of peer) list[at++] = t;
}

/** The state of each endpoint before its first recorded change (its final state when none). */
export function initialStates(v: FlowView): { client: TcpState; server: TcpState } {
  const c = v.report.transitions.client[0];
  const s = v.report.transitions.server[0];
  return { client: c ? c.from : v.report.final_state.client, server: s ? s.from : v.report.final_state.server };
}

/** Glyphs for one output: Unicode box drawing by default, plain ASCII on request. */
export interface Glyphs {
  right: string;
  left: string;
  line: string;
  dotted: string;
  headRight: string;
  headLeft: string;
  lifeline: string;
  check: string;
  cross: string;
  ellipsis: string;
  dot: string;
  times: string;
  micro: string;
  dash: string;
}

export const UNICODE: Glyphs = {
  right: '→',
  left: '←',
  line: '─',
  dotted: '┄',
  headRight: '▶',
  headLeft: '◀',
  lifeline: '│',
  check: '✓',
  cross: '✗',
  ellipsis: '…',
  dot: '·',
  times: '×',
  micro: 'µ',
  dash: '–',
};

export const ASCII: Glyphs = {
  right: '->',
  left: '<-',
  line: '-',
  dotted: '.',
  headRight: '>',
  headLeft: '<',
  lifeline: '|',
  check: 'ok',
  cross: 'MISMATCH',
  ellipsis: '...',
  dot: ';',
  times: 'x',
  micro: 'u',
  dash: '-',
};

/** How to draw: colour, glyphs and the width to fit. */
export interface Style {
  c: ChalkInstance;
  g: Glyphs;
  width: number;
}

/** States coloured by what they mean: established green, opening/closing yellow, closed cyan. */
export function stateText(s: Style, state: TcpState): string {
  if (state === 'ESTABLISHED') return s.c.green(state);
  if (state === 'CLOSED' || state === 'TIME_WAIT' || state === 'LISTEN') return s.c.cyan(state);
  return s.c.yellow(state);
}

/** Client and server each keep one colour everywhere. */
export function roleText(s: Style, role: Role, text: string = role): string {
  return role === 'client' ? s.c.blue(text) : s.c.magenta(text);
}

export function warn(s: Style, text: string): string {
  return s.c.yellow(text);
}

/** flagsText per 12-bit flags value, made on first use: a capture uses a handful of them. */
const FLAGS_TEXT: (string | undefined)[] = new Array(0x1000);

/** Flags as a list of names, e.g. "SYN,ACK", "FIN,PSH,ACK"; "none" for no flags. */
export function flagsText(flags: number): string {
  const v = flags & 0x0fff;
  return (FLAGS_TEXT[v] ??= sharedFlagNames(v).join(',') || 'none');
}

export function endpointText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Offset from the flow's first segment at the capture's precision. */
export function offsetText(v: FlowView, sec: number, nsec: number): string {
  return formatOffset(v.t0Sec, v.t0Nsec, sec, nsec, v.tsPrecision);
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "once", "twice", "3 times". */
export function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

/** Bytes as a person reads them: exact below 10 000, then kB/MB with one decimal (SI). */
export function bytesText(n: number): string {
  if (n < 10_000) return `${n} B`;
  if (n < 10_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** A short duration: µs below 1 ms, ms below 1 s, else seconds. */
export function durationText(seconds: number, g: Glyphs): string {
  const us = Math.round(seconds * 1e6);
  if (us < 1000) return `${us} ${g.micro}s`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${seconds.toFixed(3)} s`;
}

/** Options a SYN offered, in words: "mss 1460, SACK, timestamps, wscale 7". */
export function synOptionsText(o: SynOptions | null): string {
  if (o === null) return 'not seen';
  const parts: string[] = [];
  if (o.mss !== null) parts.push(`mss ${o.mss}`);
  if (o.sack_perm) parts.push('SACK');
  if (o.timestamps) parts.push('timestamps');
  if (o.wscale !== null) parts.push(`wscale ${o.wscale}`);
  if (o.tfo !== null) parts.push(o.tfo.cookie === '' ? 'TFO cookie request' : `TFO cookie (${o.tfo.cookie.length / 2} bytes)`);
  if (o.mptcp !== null) parts.push(`MPTCP ${o.mptcp.name}`);
  return parts.length === 0 ? 'no options' : parts.join(', ');
}

/** Visible length of a string that may hold ANSI colour codes. */
export function visibleLength(text: string): number {
  if (text.indexOf('\u001b') < 0) return text.length; // no colour: most output, every pipe
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/**
 * Visible length of text drawn in style `s`. Without colour there are no codes to skip, and
 * `text.length` spares visibleLength's search through (and so flattening of) a freshly
 * concatenated string.
 */
export function styledLength(s: Style, text: string): number {
  return s.c.level === 0 ? text.length : visibleLength(text);
}

/** Pads a possibly coloured string to a visible width. */
export function padVisible(text: string, width: number): string {
  const n = visibleLength(text);
  return n >= width ? text : text + ' '.repeat(width - n);
}

/** Joins each number to its unit ("5792 B") with a no-break space. */
function keepUnits(text: string): string {
  return text.replace(/(\d) (B|kB|MB|ms|s|µs|us)\b/g, '$1\u00a0$2');
}

/** `wrap`, never breaking between a number and its unit ("5792 B"). */
export function wrapKeepingUnits(text: string, width: number, indent: string): string[] {
  // Text that fits is not broken anywhere: no unit to keep (and no rewriting to pay for).
  return wrap(indent.length + text.length <= width ? text : keepUnits(text), width, indent);
}

/**
 * Word-wraps plain text to `width`, every line starting with `indent`. A no-break space
 * (U+00A0) joins two words that must stay together; it is printed as a plain space.
 */
export function wrap(text: string, width: number, indent: string): string[] {
  const n = text.length;
  // Leading, trailing or doubled spaces (and empty text): filled word by word.
  if (n === 0 || text.charCodeAt(0) === 0x20 || text.charCodeAt(n - 1) === 0x20 || text.includes('  ')) {
    return wrapWords(text, width, indent).map((l) => l.replace(/\u00a0/g, ' '));
  }
  // Words one space apart (everything the renderers word-wrap): each line is the longest run of
  // whole words that fits, so the breaks are found by searching for spaces, without splitting
  // the text into words. Gives what wrapWords gives for such text.
  const printed = text.includes('\u00a0') ? text.replaceAll('\u00a0', ' ') : text;
  const room = width - indent.length;
  const lines: string[] = [];
  let start = 0;
  while (n - start > room) {
    // The last space with at most `room` characters between the line's start and it; failing
    // that, a word longer than the room, alone on its line.
    let end = text.lastIndexOf(' ', start + room);
    if (end < start) end = text.indexOf(' ', start);
    if (end < 0) break;
    lines.push(indent + printed.slice(start, end));
    start = end + 1;
  }
  lines.push(indent + printed.slice(start));
  return lines;
}

function wrapWords(text: string, width: number, indent: string): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length > indent.length && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? ' ' : '') + w;
  }
  if (line.length > indent.length) lines.push(line);
  return lines;
}
