// Types shared by the flow engine's parts: the tracker that owns the flow table, the per-endpoint
// state machine, the Wireshark-style sequence analysis and the Zeek-compatible summary.

import type { DecodedPacket, TcpHeader } from '../decode/types.js';

/** RFC 9293 §3.3.2 connection states, spelled as the RFC spells them (with underscores). */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RCVD'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

/**
 * Which side of a flow sent a segment: 0 is the endpoint that sent the first segment the capture
 * shows for this flow, 1 the other. Roles (client/server) are decided by the lifecycle tracker
 * and mapped from these indexes when a flow is reported.
 */
export type Side = 0 | 1;

/**
 * One segment as the flow engine's parts see it: the decoded packet (scratch, valid only during
 * the call) plus which side sent it. `tcp` is never null here.
 */
export interface FlowSegment {
  pkt: DecodedPacket;
  tcp: TcpHeader;
  side: Side;
}

/** One state change of one endpoint, recorded on the flow's timeline. */
export interface Transition {
  frame: number;
  endpoint: 'client' | 'server';
  from: TcpState;
  to: TcpState;
  /** Short phrase naming the segment that caused it, e.g. 'sent SYN', 'received FIN'. */
  cause: string;
}

/** A flow's timestamps are exact: epoch seconds and nanoseconds, never floats. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

/** Seconds between two timestamps, as a number (for RTT and duration only). */
export function secondsBetween(a: Timestamp, b: Timestamp): number {
  return b.sec - a.sec + (b.nsec - a.nsec) / 1e9;
}
