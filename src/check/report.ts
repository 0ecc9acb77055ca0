// What `synack check` says: a short human report (each failed rule with the offending flows:
// stream, endpoints, frames, why), a JSON document for machines, and JUnit XML for CI
// dashboards (junit.ts). Pure functions over results.

import type { ChalkInstance } from 'chalk';
import type { Endpoint } from '../flow/flow.js';
import { scopeText, type RuleResult, type Violation } from './rules.js';

/** What was read from one input, for the report. */
export interface CaptureOutcome {
  capture: string;
  flows: number;
  /** Why reading stopped early (exit status 3), or null. */
  error: string | null;
}

export interface CheckOutcome {
  results: RuleResult[];
  captures: CaptureOutcome[];
  exit: number;
}

/** Most offending flows listed per rule in the text and JUnit reports (JSON lists all). */
export const MAX_LISTED = 20;

function endpoint(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function framesText(frames: number[]): string {
  if (frames.length === 0) return '';
  return ` (frame${frames.length === 1 ? '' : 's'} ${frames.join(', ')})`;
}

/** One line per offending flow: where it is, who it is, why. */
export function violationLine(v: Violation, showCapture: boolean): string {
  const r = v.flow.report;
  const where = showCapture ? `${v.flow.capture} ` : '';
  return `${where}stream ${r.stream} ${endpoint(r.client)} → ${endpoint(r.server)}, frames ${r.first_frame}-${r.last_frame}: ${v.reason}${framesText(v.frames)}`;
}

export function title(res: RuleResult): string {
  const scope = scopeText(res.rule.scope);
  return scope === '' ? res.name : `${res.name} [${scope}]`;
}

export function checkText(o: CheckOutcome, c: ChalkInstance): string {
  const several = o.captures.length > 1;
  const failed = o.results.filter((r) => !r.ok).length;
  const flows = o.captures.reduce((n, x) => n + x.flows, 0);
  let s = '';
  for (const res of o.results) {
    if (res.ok) {
      const what = res.detail ?? `${res.checked} flow${res.checked === 1 ? '' : 's'}`;
      s += `${c.green('PASS')} ${title(res)}: ${what}\n`;
      continue;
    }
    const what = res.detail ?? `${res.violations.length} of ${res.checked} flow${res.checked === 1 ? '' : 's'}`;
    s += `${c.red('FAIL')} ${title(res)}: ${what}\n`;
    for (const v of res.violations.slice(0, MAX_LISTED)) s += `     ${violationLine(v, several)}\n`;
    if (res.violations.length > MAX_LISTED) s += `     ... and ${res.violations.length - MAX_LISTED} more\n`;
  }
  for (const cap of o.captures) {
    if (cap.error !== null) s += `${c.red('ERROR')} ${cap.capture}: ${cap.error}; the rules saw only what was read before it\n`;
  }
  const verdict = failed === 0 ? c.green('all rules hold') : c.red(`${failed} of ${o.results.length} rules failed`);
  s += `synack check: ${verdict} (${flows} flow${flows === 1 ? '' : 's'} in ${o.captures.length} capture${o.captures.length === 1 ? '' : 's'})\n`;
  return s;
}

/** The JSON document of `check --format json` (keys are a contract, README "CI"). */
export function checkJson(o: CheckOutcome): string {
  const doc = {
    ok: o.exit === 0,
    exit: o.exit,
    captures: o.captures,
    rules: o.results.map((res) => ({
      rule: res.name,
      source: res.rule.source,
      scope: { host: res.rule.scope.hosts, port: res.rule.scope.ports },
      ok: res.ok,
      checked: res.checked,
      detail: res.detail,
      violations: res.violations.map((v) => ({
        capture: v.flow.capture,
        stream: v.flow.report.stream,
        client: v.flow.report.client,
        server: v.flow.report.server,
        first_frame: v.flow.report.first_frame,
        last_frame: v.flow.report.last_frame,
        frames: v.frames,
        reason: v.reason,
      })),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
