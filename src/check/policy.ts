// Where `synack check` rules come from: command-line flags and a JSON policy file. Both use the
// same names (a flag `--max-handshake-rtt 50ms` is the key "max-handshake-rtt": "50ms"), and one
// parser checks every value, so a mistake is a usage error naming the key, never a silent pass.
//
// Policy file (README "CI"):
//   {
//     "host": "10.0.0.2", "port": 8080,            scope of the rules at this level (optional)
//     "require-handshake": true,
//     "forbid": ["reset", "refused"],
//     "require-close": "graceful",
//     "max-handshake-rtt": "50ms",
//     "max-syn-retransmissions": 0,
//     "min-flows": 1, "max-flows": 100,
//     "rules": [ { "port": 5432, "forbid": "zero-window" } ]   more groups, each with its own scope
//   }

import { CLOSE_KINDS, FORBIDDABLE, normalizeHost, type CloseKind, type Forbidden, type Rule, type RuleSpec, type Scope } from './rules.js';

/** A policy or flag value that cannot be used; the CLI turns it into exit status 2. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60 };

/** "50ms", "1.5s", "250us": seconds. A unit is required, so "50" cannot mean two things. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m)\s*$/.exec(text);
  if (m === null) throw new PolicyError(`"${text}" is not a duration: use a number and a unit, e.g. 50ms, 1.5s, 250us`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

export function parseCount(text: string | number, what: string): number {
  const n = typeof text === 'number' ? text : /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new PolicyError(`${what}: expected a whole number ≥ 0, got ${JSON.stringify(text)}`);
  return n;
}

export function parseForbidden(text: string): Forbidden {
  if (!(FORBIDDABLE as readonly string[]).includes(text)) {
    throw new PolicyError(`forbid: "${text}" is not one of ${FORBIDDABLE.join(', ')}`);
  }
  return text as Forbidden;
}

export function parseCloseKind(text: string): CloseKind {
  if (!(CLOSE_KINDS as readonly string[]).includes(text)) {
    throw new PolicyError(`require-close: "${text}" is not one of ${CLOSE_KINDS.join(', ')}`);
  }
  return text as CloseKind;
}

export function parsePort(text: string | number): number {
  const n = parseCount(text, 'port');
  if (n < 1 || n > 65535) throw new PolicyError(`port: ${n} is not a TCP port (1-65535)`);
  return n;
}

/** The rule keys, shared by flags and policy files. */
export const RULE_KEYS = [
  'require-handshake',
  'forbid',
  'require-close',
  'max-handshake-rtt',
  'max-syn-retransmissions',
  'min-flows',
  'max-flows',
] as const;

/** Rule values as written (flags or JSON), before checking. */
export interface RuleValues {
  'require-handshake'?: unknown;
  forbid?: unknown;
  'require-close'?: unknown;
  'max-handshake-rtt'?: unknown;
  'max-syn-retransmissions'?: unknown;
  'min-flows'?: unknown;
  'max-flows'?: unknown;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string') throw new PolicyError(`${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function countValue(v: unknown, key: string): number {
  if (typeof v !== 'number' && typeof v !== 'string') throw new PolicyError(`${key}: expected a whole number, got ${JSON.stringify(v)}`);
  return parseCount(v, key);
}

/** Checks rule values and turns them into rules sharing one scope. */
export function rulesFrom(values: RuleValues, scope: Scope, source: string): Rule[] {
  const specs: RuleSpec[] = [];
  const rh = values['require-handshake'];
  if (rh !== undefined) {
    if (typeof rh !== 'boolean') throw new PolicyError(`require-handshake: expected true or false, got ${JSON.stringify(rh)}`);
    if (rh) specs.push({ kind: 'require-handshake' });
  }
  if (values.forbid !== undefined) {
    for (const v of list(values.forbid)) {
      for (const w of str(v, 'forbid').split(',')) specs.push({ kind: 'forbid', what: parseForbidden(w.trim()) });
    }
  }
  if (values['require-close'] !== undefined) {
    specs.push({ kind: 'require-close', how: parseCloseKind(str(values['require-close'], 'require-close')) });
  }
  if (values['max-handshake-rtt'] !== undefined) {
    const text = str(values['max-handshake-rtt'], 'max-handshake-rtt');
    specs.push({ kind: 'max-handshake-rtt', seconds: parseDuration(text), text: text.trim() });
  }
  for (const kind of ['max-syn-retransmissions', 'min-flows', 'max-flows'] as const) {
    if (values[kind] !== undefined) specs.push({ kind, n: countValue(values[kind], kind) });
  }
  return specs.map((spec) => ({ spec, scope, source }));
}

export function scopeFrom(hosts: unknown, ports: unknown, where: string): Scope {
  const scope: Scope = { hosts: [], ports: [] };
  if (hosts !== undefined) for (const h of list(hosts)) scope.hosts.push(normalizeHost(str(h, `${where}host`)));
  if (ports !== undefined) {
    for (const p of list(ports)) {
      if (typeof p !== 'number' && typeof p !== 'string') throw new PolicyError(`${where}port: expected a port number, got ${JSON.stringify(p)}`);
      scope.ports.push(parsePort(p));
    }
  }
  return scope;
}

const GROUP_KEYS = new Set<string>([...RULE_KEYS, 'host', 'port', 'description']);

function groupRules(group: unknown, where: string, source: string, allowNested: boolean): Rule[] {
  if (typeof group !== 'object' || group === null || Array.isArray(group)) {
    throw new PolicyError(`${where}expected an object of rules`);
  }
  const g = group as Record<string, unknown>;
  for (const key of Object.keys(g)) {
    if (!GROUP_KEYS.has(key) && !(allowNested && key === 'rules')) {
      throw new PolicyError(`${where}unknown key "${key}" (known: ${[...GROUP_KEYS, ...(allowNested ? ['rules'] : [])].join(', ')})`);
    }
  }
  const scope = scopeFrom(g['host'], g['port'], where);
  const rules = rulesFrom(g as RuleValues, scope, source);
  if (allowNested && g['rules'] !== undefined) {
    if (!Array.isArray(g['rules'])) throw new PolicyError(`${where}"rules" must be an array of rule groups`);
    g['rules'].forEach((sub, i) => rules.push(...groupRules(sub, `rules[${i}]: `, source, false)));
  }
  return rules;
}

/** Parses a policy file's text. `name` is used in messages and as each rule's source. */
export function parsePolicy(text: string, name: string): Rule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`${name}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return groupRules(doc, '', name, true);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`${name}: ${err.message}`);
    throw err;
  }
}
