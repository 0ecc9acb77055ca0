// `--explain`: short teaching notes on how TCP works, each shown once per run beside the first
// flow that shows the behaviour. Which notes apply is read from the flow's reports (handshake,
// teardown, timeline); the text is ours, drawn from RFC 9293 and the RFCs each note names.

import type { FlowView } from './human.js';

/** Every note, keyed by the behaviour it explains. */
export const NOTES = {
  'three-way-handshake':
    'Why three segments: each side picks an initial sequence number (ISN) and must learn that the other got it. ' +
    'The SYN carries the client ISN, the SYN-ACK acknowledges it (ISN+1) and carries the server ISN, the last ACK ' +
    'acknowledges that. After three segments each direction has been shown to both send and receive (RFC 9293 §3.5). ' +
    'The server may merge its ACK and its SYN because it has both ready at once.',
  'syn-retransmission':
    'A SYN that gets no answer is re-sent with the same ISN after a timeout that doubles each time ' +
    '(1 s, then 2 s, 4 s... on Linux; RFC 6298 §5). Repeated SYNs mean the SYN or its answer was lost, or a firewall drops them.',
  'syn-data':
    'Data on a SYN is rare: a server must not hand it to the application before the handshake ends, unless ' +
    'TCP Fast Open is used (RFC 7413). The client first asks for a cookie (empty TFO option); with a cookie, later ' +
    'SYNs carry the request and the server can answer one round trip sooner.',
  'simultaneous-open':
    'Simultaneous open: both ends sent a SYN before receiving the other one. Each receives a SYN in SYN_SENT, moves to ' +
    'SYN_RCVD, answers with a SYN-ACK, and both reach ESTABLISHED with four segments instead of three (RFC 9293 §3.5, Figure 8).',
  refused:
    'A SYN answered by RST means no socket listened on that port (RFC 9293 §3.10.7.1): the connection is refused at once, ' +
    'and the client application gets ECONNREFUSED.',
  'four-way-teardown':
    'Why the close usually takes four segments: each direction is closed on its own. A FIN says "I will send no more"; ' +
    'the peer ACKs it at once, but sends its own FIN only when its application calls close(), which can be much later. ' +
    'So the ACK and the FIN travel separately.',
  'three-way-teardown':
    'FIN and ACK merged: when the application closes as soon as it reads end-of-file, its FIN is ready before the ' +
    'delayed ACK of the peer FIN leaves, and one segment carries both (FIN+ACK), so the close takes three segments.',
  'half-close':
    'Half-close: a FIN closes one direction only. The end that received it (CLOSE_WAIT) may go on sending for as ' +
    'long as it likes, and the end that sent it (FIN_WAIT_2) keeps receiving (RFC 9293 §3.6; shutdown(SHUT_WR)).',
  'close-wait':
    'CLOSE_WAIT: the peer has closed its side, and TCP waits for this application to call close(). A socket that stays ' +
    'in CLOSE_WAIT is an application that forgot to close.',
  'time-wait':
    'TIME_WAIT: the end that closed first waits 2×MSL (Maximum Segment Lifetime; 60 s on Linux) before forgetting the ' +
    'connection, so that its last ACK can be re-sent if the peer FIN is repeated, and so that stray segments of this ' +
    'connection die out before the same 4-tuple is used again (RFC 9293 §3.6.1).',
  'simultaneous-close':
    'Simultaneous close: both FINs were sent before either arrived. Both ends go FIN_WAIT_1 → CLOSING → TIME_WAIT, ' +
    'and both wait 2×MSL (RFC 9293 §3.6, Figure 13).',
  reset:
    'A RST aborts: unsent and unread data is thrown away, no FIN exchange happens and nobody enters TIME_WAIT ' +
    '(RFC 9293 §3.10.4 ABORT). Applications do it on purpose with SO_LINGER {on, 0}, or a stack sends it for a ' +
    'segment that belongs to no connection.',
  'mid-stream':
    'The capture began after this connection opened, so its handshake is missing: the roles and the starting states ' +
    '(both ESTABLISHED) are assumptions, and relative sequence numbers start from the first segment seen.',
} as const;

export type NoteId = keyof typeof NOTES;

/** Which section of a summary a note goes with. */
export type NoteSection = 'handshake' | 'teardown';

/** The notes that apply to one flow, per section, in a fixed order. */
export function notesFor(v: FlowView): Record<NoteSection, NoteId[]> {
  const r = v.report;
  const hs = r.handshake;
  const td = r.teardown;
  const handshake: NoteId[] = [];
  const teardown: NoteId[] = [];
  if (hs.status === 'complete') handshake.push('three-way-handshake');
  if (hs.status === 'simultaneous-open') handshake.push('simultaneous-open');
  if (hs.status === 'missing') handshake.push('mid-stream');
  if (hs.status === 'refused') handshake.push('refused');
  if (hs.syn_retransmissions > 0) handshake.push('syn-retransmission');
  if (v.counters.syn_data.client > 0 || hs.options.client?.tfo) handshake.push('syn-data');

  if (td.kind === 'four-way') teardown.push('four-way-teardown');
  if (td.kind === 'three-way') teardown.push('three-way-teardown');
  if (td.kind === 'simultaneous') teardown.push('simultaneous-close');
  if (td.bytes_after_fin > 0) teardown.push('half-close');
  const everywhere = [...r.transitions.client, ...r.transitions.server];
  if (everywhere.some((t) => t.to === 'CLOSE_WAIT')) teardown.push('close-wait');
  if (td.time_wait !== null) teardown.push('time-wait');
  if (td.kind === 'reset' && hs.status !== 'refused') teardown.push('reset');
  return { handshake, teardown };
}

/** Remembers which notes a run has shown, so each appears once. */
export class Explainer {
  private readonly shown = new Set<NoteId>();

  constructor(readonly enabled: boolean) {}

  /** The notes of `ids` not shown yet (marking them shown); [] when explaining is off. */
  take(ids: NoteId[]): NoteId[] {
    if (!this.enabled) return [];
    const out: NoteId[] = [];
    for (const id of ids) {
      if (this.shown.has(id)) continue;
      this.shown.add(id);
      out.push(id);
    }
    return out;
  }
}
