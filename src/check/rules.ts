// The assertions of `synack check`: what each rule means in terms of the per-flow record
// (FlowReport) and the frames that show it, and one pure evaluation over every flow of the
// inputs. Rules are data (RuleSpec); a scope limits a rule to flows touching given hosts/ports,
// like tcpdump's `host` and `port` primitives (either endpoint matches).

import type { FlowReport } from '../flow/report.js';
import type { TcpState } from '../flow/types.js';

export const FORBIDDABLE = ['reset', 'refused', 'half-open', 'syn-retransmission', 'retransmission', 'zero-window'] as const;
export type Forbidden = (typeof FORBIDDABLE)[number];

export const CLOSE_KINDS = ['graceful', 'any'] as const;
export type CloseKind = (typeof CLOSE_KINDS)[number];

export type RuleSpec =
  | { kind: 'require-handshake' }
  | { kind: 'forbid'; what: Forbidden }
  | { kind: 'require-close'; how: CloseKind }
  | { kind: 'max-handshake-rtt'; seconds: number; text: string }
  | { kind: 'max-syn-retransmissions'; n: number }
  | { kind: 'min-flows'; n: number }
  | { kind: 'max-flows'; n: number };

/** Flows a rule applies to: any listed host (either endpoint) and any listed port; empty = all. */
export interface Scope {
  hosts: string[];
  ports: number[];
}

export interface Rule {
  spec: RuleSpec;
  scope: Scope;
  /** Where the rule came from: 'command line' or the policy file's name. */
  source: string;
}

/** Frames that show what happened to a flow, collected while its segments were tracked. */
export interface FlowEvidence {
  /** Bare SYNs and SYN-ACKs, in order (the first of each kind is the original). */
  syn: number[];
  synAck: number[];
  rst: number[];
  fin: number[];
  /** Frames tshark marks tcp.analysis.retransmission / tcp.analysis.zero_window. */
  retransmission: number[];
  zeroWindow: number[];
}

/** Most frames kept per kind of evidence; the counts in the report stay exact. */
export const MAX_EVIDENCE_FRAMES = 16;

export function newEvidence(): FlowEvidence {
  return { syn: [], synAck: [], rst: [], fin: [], retransmission: [], zeroWindow: [] };
}

export function addFrame(list: number[], frame: number): void {
  if (list.length < MAX_EVIDENCE_FRAMES) list.push(frame);
}

export interface CheckedFlow {
  /** The input as named on the command line. */
  capture: string;
  report: FlowReport;
  evidence: FlowEvidence;
}

export interface Violation {
  flow: CheckedFlow;
  /** Why, in one sentence. */
  reason: string;
  /** The frames that show it (may be empty). */
  frames: number[];
}

export interface RuleResult {
  rule: Rule;
  /** "forbid reset", "max-handshake-rtt 50ms"... */
  name: string;
  ok: boolean;
  /** Flows in the rule's scope. */
  checked: number;
  violations: Violation[];
  /** For the flow-count rules: the count against the bound. */
  detail: string | null;
}

export function ruleName(spec: RuleSpec): string {
  switch (spec.kind) {
    case 'require-handshake':
      return 'require-handshake';
    case 'forbid':
      return `forbid ${spec.what}`;
    case 'require-close':
      return `require-close ${spec.how}`;
    case 'max-handshake-rtt':
      return `max-handshake-rtt ${spec.text}`;
    default:
      return `${spec.kind} ${spec.n}`;
  }
}

export function scopeText(scope: Scope): string {
  const parts: string[] = [];
  if (scope.hosts.length > 0) parts.push(`host ${scope.hosts.join(' or ')}`);
  if (scope.ports.length > 0) parts.push(`port ${scope.ports.join(' or ')}`);
  return parts.join(' and ');
}

/** Lower-case, brackets off: the form flow endpoints use. */
export function normalizeHost(h: string): string {
  const t = h.trim().toLowerCase();
  return t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
}

export function inScope(scope: Scope, r: FlowReport): boolean {
  if (scope.hosts.length > 0 && !scope.hosts.some((h) => h === r.client.ip.toLowerCase() || h === r.server.ip.toLowerCase())) {
    return false;
  }
  return scope.ports.length === 0 || scope.ports.some((p) => p === r.client.port || p === r.server.port);
}

const FIN_CLOSES = new Set(['four-way', 'three-way', 'simultaneous']);

function closedish(s: TcpState): boolean {
  return s === 'CLOSED' || s === 'TIME_WAIT';
}

/** Why the handshake did not complete (RFC 9293 §3.5), with the frames showing it. */
function handshakeFailure(f: CheckedFlow): { reason: string; frames: number[] } | null {
  const r = f.report;
  const e = f.evidence;
  switch (r.handshake.status) {
    case 'complete':
    case 'simultaneous-open':
      return null;
    case 'syn-only':
      return { reason: `SYN never answered (${e.syn.length} SYN${e.syn.length === 1 ? '' : 's'} sent)`, frames: e.syn };
    case 'syn-synack':
      return { reason: 'SYN-ACK sent, the final ACK of the handshake never seen', frames: [...e.syn, ...e.synAck] };
    case 'refused':
      return { reason: 'refused: the SYN was answered by a RST', frames: [...e.syn, ...e.rst] };
    case 'missing':
      return { reason: 'no SYN captured: the capture began mid-connection', frames: [r.first_frame] };
  }
}

function rtText(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(3).replace(/\.?0+$/, '')} ms` : `${seconds.toFixed(6).replace(/\.?0+$/, '')} s`;
}

/** The verdict of one rule on one flow: null when it holds (or does not apply). */
function judge(spec: RuleSpec, f: CheckedFlow): { reason: string; frames: number[] } | null {
  const r = f.report;
  const e = f.evidence;
  switch (spec.kind) {
    case 'require-handshake':
      return handshakeFailure(f);
    case 'forbid':
      switch (spec.what) {
        case 'reset':
          // A refusal is a RST too, but it has its own rule (refused): here, connections aborted.
          if (r.handshake.status === 'refused' || (r.teardown.reset_by === null && r.teardown.kind !== 'reset')) return null;
          return { reason: `reset by ${r.teardown.reset_by ?? 'an endpoint'}`, frames: e.rst };
        case 'refused':
          return r.handshake.status === 'refused' ? handshakeFailure(f) : null;
        case 'half-open':
          // RFC 4987 §2: a connection left half-open (SYN_RCVD or SYN_SENT), never completed.
          return r.handshake.status === 'syn-only' || r.handshake.status === 'syn-synack' ? handshakeFailure(f) : null;
        case 'syn-retransmission': {
          const n = r.handshake.syn_retransmissions;
          const m = r.handshake.synack_retransmissions;
          if (n + m === 0) return null;
          const parts = [];
          if (n > 0) parts.push(`SYN sent ${n + 1} times`);
          if (m > 0) parts.push(`SYN-ACK sent ${m + 1} times`);
          return { reason: parts.join(', '), frames: [...e.syn.slice(1), ...e.synAck.slice(1)] };
        }
        case 'retransmission': {
          const n = r.analysis.retransmission;
          return n === 0 ? null : { reason: `${n} retransmission${n === 1 ? '' : 's'} (tcp.analysis.retransmission)`, frames: e.retransmission };
        }
        case 'zero-window': {
          const n = r.analysis.zero_window;
          return n === 0 ? null : { reason: `${n} zero-window segment${n === 1 ? '' : 's'} (tcp.analysis.zero_window)`, frames: e.zeroWindow };
        }
      }
      return null;
    case 'require-close': {
      const t = r.teardown;
      if (t.reset_by !== null || t.kind === 'reset') {
        if (spec.how === 'any') return null;
        return { reason: `closed by a reset from ${t.reset_by ?? 'an endpoint'}, not by FINs`, frames: e.rst };
      }
      if (FIN_CLOSES.has(t.kind)) {
        if (closedish(r.final_state.client) && closedish(r.final_state.server)) return null;
        return {
          reason: `both FINs sent, but not both acknowledged (final states ${r.final_state.client} / ${r.final_state.server})`,
          frames: e.fin,
        };
      }
      if (t.kind === 'half-closed') {
        return { reason: `half-closed: only the ${t.initiator ?? 'one'} side sent a FIN`, frames: e.fin };
      }
      return { reason: `never closed: no FIN or RST before the capture ended (last frame ${r.last_frame})`, frames: [] };
    }
    case 'max-handshake-rtt': {
      const rtt = r.handshake.rtt.total;
      if (rtt === null || rtt <= spec.seconds) return null;
      return { reason: `handshake RTT ${rtText(rtt)} (SYN to ACK) exceeds ${spec.text}`, frames: [e.syn.at(-1) ?? r.first_frame] };
    }
    case 'max-syn-retransmissions': {
      const n = r.handshake.syn_retransmissions;
      return n <= spec.n ? null : { reason: `SYN retransmitted ${n} time${n === 1 ? '' : 's'} (at most ${spec.n} allowed)`, frames: e.syn.slice(1) };
    }
    default:
      return null;
  }
}

export function evaluateRule(rule: Rule, flows: readonly CheckedFlow[]): RuleResult {
  const scoped = flows.filter((f) => inScope(rule.scope, f.report));
  const name = ruleName(rule.spec);
  const spec = rule.spec;
  if (spec.kind === 'min-flows' || spec.kind === 'max-flows') {
    const n = scoped.length;
    const ok = spec.kind === 'min-flows' ? n >= spec.n : n <= spec.n;
    const detail = `${n} flow${n === 1 ? '' : 's'}, ${spec.kind === 'min-flows' ? 'at least' : 'at most'} ${spec.n} required`;
    return { rule, name, ok, checked: n, violations: [], detail };
  }
  const violations: Violation[] = [];
  for (const f of scoped) {
    const v = judge(spec, f);
    if (v !== null) violations.push({ flow: f, reason: v.reason, frames: v.frames });
  }
  return { rule, name, ok: violations.length === 0, checked: scoped.length, violations, detail: null };
}

export function evaluate(rules: readonly Rule[], flows: readonly CheckedFlow[]): RuleResult[] {
  return rules.map((r) => evaluateRule(r, flows));
}
