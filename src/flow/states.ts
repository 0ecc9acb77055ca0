// The RFC 9293 connection state machine as one table: for each endpoint state, the events that
// move it and where they lead. An "event" is one side of one captured segment as seen by one
// endpoint: something it sent, or something it received (every captured segment is assumed
// delivered). Lifecycle (lifecycle.ts) decides which event a segment is; this table alone
// decides what the event does. A (state, event) pair without a row changes nothing — that is
// how retransmissions and segments the RFC says to drop are absorbed.

import type { TcpState } from './types.js';

/** What happened to one endpoint: `snd_*` it sent, `rcv_*` it received (and accepted). */
export type TcpEvent =
  /** Sent a bare SYN (active OPEN). */
  | 'snd_syn'
  /** Sent a FIN (CLOSE call). */
  | 'snd_fin'
  /** Sent a RST (ABORT call). */
  | 'snd_rst'
  /** Received a bare SYN. */
  | 'rcv_syn'
  /** Received a SYN-ACK whose ACK acknowledges our SYN. */
  | 'rcv_synack'
  /** Received an ACK that acknowledges our SYN (third segment of the handshake). */
  | 'rcv_ack_of_syn'
  /** Received an ACK that acknowledges our FIN. */
  | 'rcv_ack_of_fin'
  /** Received a FIN (that does not also acknowledge our FIN). */
  | 'rcv_fin'
  /** In FIN-WAIT-1, received a FIN whose ACK also acknowledges our FIN (three-segment close). */
  | 'rcv_fin_ack'
  /** Received an acceptable RST. */
  | 'rcv_rst'
  /** Received an acceptable RST in a connection that came from LISTEN (passive OPEN). */
  | 'rcv_rst_passive';

/** One row: the state an event leads to and the RFC 9293 text that says so. */
export interface TransitionRow {
  to: TcpState;
  rfc: string;
}

type Table = { readonly [S in TcpState]: { readonly [E in TcpEvent]?: TransitionRow } };

const ABORT: TransitionRow = { to: 'CLOSED', rfc: '§3.10.4 ABORT call: send RST, delete the TCB, enter CLOSED' };
const RESET: TransitionRow = {
  to: 'CLOSED',
  rfc: '§3.10.7.4 second check: RST bit set and sequence acceptable, enter CLOSED',
};

/**
 * The transition table, keyed by (state, event). Section numbers are RFC 9293; §3.3.2 is the
 * state diagram (Figure 5) every row also appears in.
 */
export const TRANSITIONS: Table = {
  CLOSED: {
    snd_syn: { to: 'SYN_SENT', rfc: '§3.10.1 OPEN call (active): send SYN, enter SYN-SENT' },
  },
  LISTEN: {
    rcv_syn: { to: 'SYN_RCVD', rfc: '§3.10.7.2 LISTEN, fourth: SYN bit set, send SYN-ACK, enter SYN-RECEIVED' },
    snd_syn: { to: 'SYN_SENT', rfc: '§3.10.2 SEND call in LISTEN: passive becomes active, send SYN, enter SYN-SENT' },
    // An RST to LISTEN is ignored (§3.10.7.2 first check): no rcv_rst row.
  },
  SYN_SENT: {
    rcv_synack: { to: 'ESTABLISHED', rfc: '§3.10.7.3 SYN-SENT, fourth: SYN and our SYN ACKed (SND.UNA > ISS), enter ESTABLISHED' },
    rcv_syn: { to: 'SYN_RCVD', rfc: '§3.10.7.3 SYN-SENT, fourth: SYN without ACK, enter SYN-RECEIVED (simultaneous open, §3.5 Figure 8)' },
    rcv_rst: { to: 'CLOSED', rfc: '§3.10.7.3 SYN-SENT, second: RST with acceptable ACK, "connection reset", enter CLOSED' },
    snd_rst: ABORT,
  },
  SYN_RCVD: {
    rcv_ack_of_syn: { to: 'ESTABLISHED', rfc: '§3.10.7.4 SYN-RECEIVED, fifth: SND.UNA < SEG.ACK =< SND.NXT, enter ESTABLISHED' },
    // §3.10.7.4 eighth lists FIN in SYN-RECEIVED → CLOSE-WAIT, but a segment reaches that step
    // only after its ACK passed the fifth check, which already moved SYN-RECEIVED to ESTABLISHED.
    rcv_rst: RESET,
    rcv_rst_passive: { to: 'LISTEN', rfc: '§3.10.7.4 SYN-RECEIVED, second: RST and the connection came from a passive OPEN, return to LISTEN' },
    snd_fin: { to: 'FIN_WAIT_1', rfc: '§3.10.4 CLOSE call in SYN-RECEIVED: send FIN, enter FIN-WAIT-1' },
    snd_rst: ABORT,
  },
  ESTABLISHED: {
    snd_fin: { to: 'FIN_WAIT_1', rfc: '§3.10.4 CLOSE call in ESTABLISHED: send FIN, enter FIN-WAIT-1 (§3.6 case 1)' },
    rcv_fin: { to: 'CLOSE_WAIT', rfc: '§3.10.7.4 eighth: FIN in ESTABLISHED, enter CLOSE-WAIT (§3.6 case 2)' },
    rcv_rst: RESET,
    snd_rst: ABORT,
  },
  FIN_WAIT_1: {
    rcv_ack_of_fin: { to: 'FIN_WAIT_2', rfc: '§3.10.7.4 FIN-WAIT-1, fifth: our FIN is now acknowledged, enter FIN-WAIT-2' },
    rcv_fin: { to: 'CLOSING', rfc: '§3.10.7.4 FIN-WAIT-1, eighth: FIN but our FIN not ACKed, enter CLOSING (§3.6 case 3)' },
    rcv_fin_ack: { to: 'TIME_WAIT', rfc: '§3.10.7.4 FIN-WAIT-1, eighth: our FIN ACKed in this segment, enter TIME-WAIT' },
    rcv_rst: RESET,
    snd_rst: ABORT,
  },
  FIN_WAIT_2: {
    rcv_fin: { to: 'TIME_WAIT', rfc: '§3.10.7.4 FIN-WAIT-2, eighth: FIN, enter TIME-WAIT' },
    rcv_rst: RESET,
    snd_rst: ABORT,
  },
  CLOSE_WAIT: {
    snd_fin: { to: 'LAST_ACK', rfc: '§3.10.4 CLOSE call in CLOSE-WAIT: send FIN, enter LAST-ACK (§3.6 case 2)' },
    rcv_rst: RESET,
    snd_rst: ABORT,
  },
  CLOSING: {
    rcv_ack_of_fin: { to: 'TIME_WAIT', rfc: '§3.10.7.4 CLOSING, fifth: our FIN ACKed, enter TIME-WAIT' },
    rcv_rst: { to: 'CLOSED', rfc: '§3.10.7.4 CLOSING, second: RST, enter CLOSED' },
    snd_rst: ABORT,
  },
  LAST_ACK: {
    rcv_ack_of_fin: { to: 'CLOSED', rfc: '§3.10.7.4 LAST-ACK, fifth: our FIN ACKed, delete the TCB, enter CLOSED' },
    rcv_rst: { to: 'CLOSED', rfc: '§3.10.7.4 LAST-ACK, second: RST, enter CLOSED' },
    snd_rst: ABORT,
  },
  TIME_WAIT: {
    // A retransmitted FIN only restarts the 2 MSL timer (§3.10.7.4 eighth): no rcv_fin row.
    rcv_rst: { to: 'CLOSED', rfc: '§3.10.7.4 TIME-WAIT, second: RST, enter CLOSED (RFC 1337 hazard)' },
    snd_rst: ABORT,
  },
};

/** The row for (state, event), or undefined when the event leaves the state unchanged. */
export function transitionFor(state: TcpState, event: TcpEvent): TransitionRow | undefined {
  return TRANSITIONS[state][event];
}

/** Short phrase recorded as a Transition's `cause`. */
export const EVENT_CAUSE: { readonly [E in TcpEvent]: string } = {
  snd_syn: 'sent SYN',
  snd_fin: 'sent FIN',
  snd_rst: 'sent RST',
  rcv_syn: 'received SYN',
  rcv_synack: 'received SYN-ACK',
  rcv_ack_of_syn: 'received ACK of SYN',
  rcv_ack_of_fin: 'received ACK of FIN',
  rcv_fin: 'received FIN',
  rcv_fin_ack: 'received FIN-ACK',
  rcv_rst: 'received RST',
  rcv_rst_passive: 'received RST',
};

// -------------------------------------------------------------------------------------------------
// The same table in the form Lifecycle runs it. States and events are small integers there: per
// segment, an endpoint's state is compared and looked up by index instead of by string key
// (`TRANSITIONS[state][event]` with varying keys is a megamorphic property lookup in V8), and
// one state fits in a few bits of a recorded transition. Built from TRANSITIONS, so the table
// above stays the only statement of the rules.

/** Every state, by code (RFC 9293 §3.3.2 order). */
export const STATE_NAMES: readonly TcpState[] = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RCVD',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
];

/** Index into STATE_NAMES. */
export type StateCode = number;
export const CLOSED = 0;
export const LISTEN = 1;
export const SYN_SENT = 2;
export const SYN_RCVD = 3;
export const ESTABLISHED = 4;
export const FIN_WAIT_1 = 5;
export const FIN_WAIT_2 = 6;
export const CLOSE_WAIT = 7;
export const CLOSING = 8;
export const LAST_ACK = 9;
export const TIME_WAIT = 10;

/** Every event, by code. */
export const EVENT_NAMES: readonly TcpEvent[] = [
  'snd_syn',
  'snd_fin',
  'snd_rst',
  'rcv_syn',
  'rcv_synack',
  'rcv_ack_of_syn',
  'rcv_ack_of_fin',
  'rcv_fin',
  'rcv_fin_ack',
  'rcv_rst',
  'rcv_rst_passive',
];

/** Index into EVENT_NAMES. */
export type EventCode = number;
export const SND_SYN = 0;
export const SND_FIN = 1;
export const SND_RST = 2;
export const RCV_SYN = 3;
export const RCV_SYNACK = 4;
export const RCV_ACK_OF_SYN = 5;
export const RCV_ACK_OF_FIN = 6;
export const RCV_FIN = 7;
export const RCV_FIN_ACK = 8;
export const RCV_RST = 9;
export const RCV_RST_PASSIVE = 10;

const EVENT_COUNT = EVENT_NAMES.length;
/** NEXT_STATE[state × EVENT_COUNT + event]: the row's target state, or −1 for no row. */
const NEXT_STATE = new Int8Array(STATE_NAMES.length * EVENT_COUNT).fill(-1);
STATE_NAMES.forEach((state, s) => {
  EVENT_NAMES.forEach((event, e) => {
    const row = TRANSITIONS[state][event];
    if (row !== undefined) NEXT_STATE[s * EVENT_COUNT + e] = STATE_NAMES.indexOf(row.to);
  });
});

/** transitionFor by code: the state (state, event) leads to, or −1 when it leaves the state unchanged. */
export function nextState(state: StateCode, event: EventCode): StateCode {
  return NEXT_STATE[state * EVENT_COUNT + event]!;
}
