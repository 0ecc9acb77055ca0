// What the two SYNs of a connection agreed on: each side's SYN options as seen, and the values
// in effect afterwards (MSS, window scaling, SACK, timestamps, ECN). Pure functions over copies
// taken from the SYN segments; Lifecycle (lifecycle.ts) calls them once per SYN and at report time.

import type { TcpOptions } from '../decode/types.js';
import { TcpFlag } from '../decode/types.js';

/** One side's SYN (or SYN-ACK) options, copied out of the scratch segment. */
export interface SynOptions {
  mss: number | null;
  /** Shift count as sent (not clamped). */
  wscale: number | null;
  sack_perm: boolean;
  timestamps: boolean;
  /** TCP Fast Open option (RFC 7413): cookie '' is a cookie request. */
  tfo: { kind: 34 | 254; cookie: string } | null;
  /** Multipath TCP subtype carried on the SYN (RFC 8684), e.g. MP_CAPABLE. */
  mptcp: { subtype: number; name: string } | null;
}

/** Values in effect once both SYNs are known. */
export interface Negotiated {
  /** min of both sides' MSS; the one seen when only one side sent it; null if neither did. */
  mss: number | null;
  /** Shift each side applies to the windows it sends, clamped to 14; null unless both SYNs carried the option. */
  wscale: { client: number; server: number } | null;
  sack: boolean;
  timestamps: boolean;
  ecn: boolean;
}

/** RFC 7323 §2.3: a shift above 14 is used as 14. */
export const MAX_WSCALE = 14;

/**
 * SynOptions without TFO or MPTCP, one per distinct value, keyed by mss, wscale and the two
 * flags packed into one small integer. Every flow keeps the options of both its SYNs for its
 * whole life, and the SYNs of a capture mostly carry a handful of option sets: shared, they
 * cost a flow nothing (they would be two objects of 72 bytes in every flow otherwise, each
 * copied twice by the young-generation collector). Frozen, since they are shared; bounded,
 * so that a capture of all-different SYNs cannot grow it without limit.
 */
const SHARED_SYN_OPTIONS = new Map<number, SynOptions>();
const SHARED_SYN_OPTIONS_LIMIT = 1024;

/** Copies the options of a SYN segment (the result is frozen; call for SYNs only). */
export function synOptions(o: TcpOptions): SynOptions {
  if (o.tfo !== undefined || o.mptcp !== undefined) return Object.freeze(copySynOptions(o));
  // mss + 1 < 2^17, wscale + 1 < 2^9 (0 for absent): the key stays below 2^28.
  const key = (((o.mss ?? -1) + 1) * 512 + ((o.wscale ?? -1) + 1)) * 4 + (o.sack_perm === true ? 2 : 0) + (o.ts_val !== undefined ? 1 : 0);
  let shared = SHARED_SYN_OPTIONS.get(key);
  if (shared === undefined) {
    shared = Object.freeze(copySynOptions(o));
    if (SHARED_SYN_OPTIONS.size < SHARED_SYN_OPTIONS_LIMIT) SHARED_SYN_OPTIONS.set(key, shared);
  }
  return shared;
}

function copySynOptions(o: TcpOptions): SynOptions {
  return {
    mss: o.mss ?? null,
    wscale: o.wscale ?? null,
    sack_perm: o.sack_perm === true,
    timestamps: o.ts_val !== undefined,
    tfo: o.tfo ? { kind: o.tfo.kind, cookie: o.tfo.cookie } : null,
    mptcp: o.mptcp ? { subtype: o.mptcp.subtype, name: o.mptcp.name } : null,
  };
}

/**
 * RFC 3168 §6.1.1: an "ECN-setup SYN" has ECE and CWR set; an "ECN-setup SYN-ACK" has ECE set
 * and CWR clear. A SYN-ACK with AE or CWR set is an AccECN reply (RFC 9768), not RFC 3168 ECN.
 */
export function isEcnSetupSyn(flags: number): boolean {
  return (flags & (TcpFlag.ECE | TcpFlag.CWR)) === (TcpFlag.ECE | TcpFlag.CWR);
}

export function isEcnSetupSynAck(flags: number): boolean {
  return (flags & (TcpFlag.ECE | TcpFlag.CWR | TcpFlag.AE)) === TcpFlag.ECE;
}

/**
 * What both SYNs agreed: window scaling only when both carried the option (RFC 7323 §2.2),
 * SACK only when both offered SACK-permitted (RFC 2018 §2), timestamps only when both SYNs
 * carried TSopt (RFC 7323 §3.2), ECN when an ECN-setup SYN got an ECN-setup SYN-ACK.
 */
export function negotiate(
  client: SynOptions | null,
  server: SynOptions | null,
  clientSynFlags: number,
  serverSynAckFlags: number,
): Negotiated {
  const cm = client?.mss ?? null;
  const sm = server?.mss ?? null;
  const mss = cm !== null && sm !== null ? Math.min(cm, sm) : (cm ?? sm);
  const bothWs = client !== null && server !== null && client.wscale !== null && server.wscale !== null;
  return {
    mss,
    wscale: bothWs
      ? { client: Math.min(client.wscale!, MAX_WSCALE), server: Math.min(server.wscale!, MAX_WSCALE) }
      : null,
    sack: client !== null && server !== null && client.sack_perm && server.sack_perm,
    timestamps: client !== null && server !== null && client.timestamps && server.timestamps,
    ecn: client !== null && server !== null && isEcnSetupSyn(clientSynFlags) && isEcnSetupSynAck(serverSynAckFlags),
  };
}
