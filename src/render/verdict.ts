// The one-word verdict on a flow that heads its summary and that `--verdict` filters on. The
// names are a contract (README "Reading the summary", tests, filters): each is defined here once,
// with its meaning, and derived from the engine's handshake and teardown reports alone.

import type { FlowReport } from '../flow/report.js';

/** Every verdict, in the order the totals block lists them, with its one-line meaning. */
export const VERDICTS = {
  'clean close': 'both ends sent a FIN (four-way, three-segment or simultaneous close)',
  'reset by client': 'the client aborted the connection with a RST',
  'reset by server': 'the server aborted the connection with a RST',
  'reset by both': 'each end sent a RST',
  refused: 'the SYN was answered by a RST: nothing listened on the server port (RFC 9293 §3.10.7.1)',
  'never answered': 'the client sent SYNs and nothing came back',
  'half-open': 'a SYN-ACK answered the SYN but the handshake was never completed',
  'half-closed': 'one end sent a FIN, the other never did before the capture ended',
  open: 'established, neither FIN nor RST seen: still open when the capture ended',
  'no handshake seen': 'neither SYN nor SYN-ACK captured: the capture began mid-connection (roles inferred from the ports)',
} as const;

export type Verdict = keyof typeof VERDICTS;

export const VERDICT_NAMES = Object.keys(VERDICTS) as Verdict[];

/**
 * The verdict for a flow. The handshake decides first (refused, never answered, half-open, not
 * seen), then how it ended. A handshake that was never seen wins over the teardown: the
 * teardown section still tells how such a flow ended.
 */
export function verdictOf(r: FlowReport): Verdict {
  const hs = r.handshake.status;
  if (hs === 'refused') return 'refused';
  // A SYN-ACK without its SYN still shows the connection opening: judge it by how it ended.
  if (hs === 'missing' && r.handshake.isn.server === null) return 'no handshake seen';
  const td = r.teardown;
  if (td.kind === 'reset') {
    const by = td.reset_by ?? td.initiator;
    return by === 'both' ? 'reset by both' : by === 'client' ? 'reset by client' : 'reset by server';
  }
  if (hs === 'syn-only') return 'never answered';
  if (hs === 'syn-synack') return 'half-open';
  if (td.kind === 'four-way' || td.kind === 'three-way' || td.kind === 'simultaneous') return 'clean close';
  if (td.kind === 'half-closed') return 'half-closed';
  return 'open';
}

/** Parses a verdict as typed on the command line: case-insensitive, '-' or '_' for spaces. */
export function parseVerdict(text: string): Verdict | null {
  const t = text.trim().toLowerCase().replace(/[-_]+/g, ' ');
  for (const v of VERDICT_NAMES) if (v.replace(/-/g, ' ') === t) return v;
  return null;
}
