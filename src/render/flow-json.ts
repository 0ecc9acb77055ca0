// A flow record (FlowReport) as one line of JSON: exactly `JSON.stringify(report)` (with
// `{ capture, ...report }` for several inputs), key for key, held equal by
// test/render/flow-json.test.ts on every fixture capture. `flows --format ndjson` writes one
// record of about 2 KB per flow, and the generic serialiser was a quarter of that command's
// time: here the keys are constant text, and most values are numbers or strings known to need
// no escaping (formatted addresses and timestamps, state, cause, verdict and anomaly names).

import type { FlowReport } from '../flow/report.js';
import type { HandshakeReport, TeardownReport } from '../flow/lifecycle.js';
import type { SynOptions } from '../flow/handshake.js';
import type { Transition } from '../flow/types.js';
import { ANALYSIS_NAMES } from '../flow/wireshark.js';

/** A number as JSON.stringify writes it (Number::toString; NaN and infinities are null). */
function num(n: number | null): string {
  return n !== null && Number.isFinite(n) ? '' + n : 'null';
}

/** A string from a fixed set of names (never escaped), or null. */
function name(s: string | null): string {
  return s === null ? 'null' : '"' + s + '"';
}

function synOptions(o: SynOptions | null): string {
  if (o === null) return 'null';
  return (
    '{"mss":' + num(o.mss) +
    ',"wscale":' + num(o.wscale) +
    ',"sack_perm":' + o.sack_perm +
    ',"timestamps":' + o.timestamps +
    // TFO cookies and MPTCP names are rare and go through the generic serialiser.
    ',"tfo":' + JSON.stringify(o.tfo) +
    ',"mptcp":' + JSON.stringify(o.mptcp) +
    '}'
  );
}

function handshake(h: HandshakeReport): string {
  const n = h.negotiated;
  return (
    '{"status":"' + h.status +
    '","isn":{"client":' + num(h.isn.client) +
    ',"server":' + num(h.isn.server) +
    '},"syn_retransmissions":' + num(h.syn_retransmissions) +
    ',"synack_retransmissions":' + num(h.synack_retransmissions) +
    ',"rtt":{"syn_synack":' + num(h.rtt.syn_synack) +
    ',"synack_ack":' + num(h.rtt.synack_ack) +
    ',"total":' + num(h.rtt.total) +
    '},"options":{"client":' + synOptions(h.options.client) +
    ',"server":' + synOptions(h.options.server) +
    '},"negotiated":{"mss":' + num(n.mss) +
    ',"wscale":' + (n.wscale === null ? 'null' : '{"client":' + num(n.wscale.client) + ',"server":' + num(n.wscale.server) + '}') +
    ',"sack":' + n.sack +
    ',"timestamps":' + n.timestamps +
    ',"ecn":' + n.ecn +
    '}}'
  );
}

function teardown(t: TeardownReport): string {
  return (
    '{"kind":"' + t.kind +
    '","initiator":' + name(t.initiator) +
    ',"reset_by":' + name(t.reset_by) +
    ',"bytes_after_fin":' + num(t.bytes_after_fin) +
    ',"time_wait":' + name(t.time_wait) +
    '}'
  );
}

function transitions(list: readonly Transition[]): string {
  if (list.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    s += (i === 0 ? '{"frame":' : ',{"frame":') + num(t.frame) +
      ',"endpoint":"' + t.endpoint + '","from":"' + t.from + '","to":"' + t.to +
      // Causes are phrases from a fixed table ("sent SYN", "received FIN"...).
      '","cause":"' + t.cause + '"}';
  }
  return s + ']';
}

/** `"name":` for the first analysis counter, `,"name":` for the others. */
const ANALYSIS_KEYS = ANALYSIS_NAMES.map((n, i) => `${i === 0 ? '' : ','}"${n}":`);
/** The analysis block of a flow without any tcp.analysis event (most flows). */
const NO_ANALYSIS = '{' + ANALYSIS_NAMES.map((n) => `"${n}":0`).join(',') + '}';

function analysis(a: FlowReport['analysis']): string {
  let events = 0;
  for (let i = 0; i < ANALYSIS_NAMES.length; i++) events |= a[ANALYSIS_NAMES[i]!];
  if (events === 0) return NO_ANALYSIS;
  let s = '{';
  for (let i = 0; i < ANALYSIS_NAMES.length; i++) s += ANALYSIS_KEYS[i]! + num(a[ANALYSIS_NAMES[i]!]);
  return s + '}';
}

function names(list: readonly string[]): string {
  if (list.length === 0) return '[]';
  let s = '["' + list[0]!;
  for (let i = 1; i < list.length; i++) s += '","' + list[i]!;
  return s + '"]';
}

export function flowJson(r: FlowReport, capture?: string): string {
  return (
    (capture === undefined ? '{"stream":' : '{"capture":' + JSON.stringify(capture) + ',"stream":') + num(r.stream) +
    ',"client":{"ip":"' + r.client.ip + '","port":' + num(r.client.port) +
    '},"server":{"ip":"' + r.server.ip + '","port":' + num(r.server.port) +
    '},"roles_inferred":' + r.roles_inferred +
    ',"first_frame":' + num(r.first_frame) +
    ',"last_frame":' + num(r.last_frame) +
    ',"start":"' + r.start +
    '","end":"' + r.end +
    '","duration":' + num(r.duration) +
    ',"packets":{"client":' + num(r.packets.client) + ',"server":' + num(r.packets.server) +
    '},"bytes":{"client":' + num(r.bytes.client) + ',"server":' + num(r.bytes.server) +
    '},"handshake":' + handshake(r.handshake) +
    ',"teardown":' + teardown(r.teardown) +
    ',"final_state":{"client":"' + r.final_state.client + '","server":"' + r.final_state.server +
    '"},"transitions":{"client":' + transitions(r.transitions.client) + ',"server":' + transitions(r.transitions.server) +
    '},"analysis":' + analysis(r.analysis) +
    ',"anomalies":' + names(r.anomalies) +
    ',"completeness":' + num(r.completeness) +
    ',"conn_state":"' + r.conn_state +
    // Zeek's history letters (conn.log "history": [A-Za-z^]) need no escaping either.
    '","history":"' + r.history +
    '"}'
  );
}
