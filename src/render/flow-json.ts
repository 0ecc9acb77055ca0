// A flow record (FlowReport) as one line of JSON: exactly `JSON.stringify(report)` (with
// `{ capture, ...report }` for several inputs), key for key, held equal by
// test/render/flow-json.test.ts on every fixture capture. `flows --format ndjson` writes one
// record of about 2 KB per flow, and the generic serialiser was a quarter of that command's
// time: here the keys are constant bytes, and most values are numbers or strings known to need
// no escaping (formatted addresses and timestamps, state, cause, verdict and anomaly names),
// written as UTF-8 in place (see ByteOutput).

import type { FlowReport } from '../flow/report.js';
import type { HandshakeReport, TeardownReport } from '../flow/lifecycle.js';
import type { SynOptions } from '../flow/handshake.js';
import type { Transition } from '../flow/types.js';
import { ANALYSIS_NAMES } from '../flow/wireshark.js';
import { ByteOutput, Fragment, fragment } from './byte-output.js';

const K = {
  capture: fragment('{"capture":'),
  stream: fragment('{"stream":'),
  captureStream: fragment(',"stream":'),
  clientIp: fragment(',"client":{"ip":"'),
  port: fragment('","port":'),
  serverIp: fragment('},"server":{"ip":"'),
  rolesInferred: fragment('},"roles_inferred":'),
  firstFrame: fragment(',"first_frame":'),
  lastFrame: fragment(',"last_frame":'),
  start: fragment(',"start":"'),
  end: fragment('","end":"'),
  duration: fragment('","duration":'),
  packets: fragment(',"packets":{"client":'),
  bytes: fragment('},"bytes":{"client":'),
  server: fragment(',"server":'),
  handshake: fragment('},"handshake":'),
  teardown: fragment(',"teardown":'),
  finalState: fragment(',"final_state":{"client":"'),
  serverString: fragment('","server":"'),
  transitions: fragment('"},"transitions":{"client":'),
  analysis: fragment('},"analysis":'),
  anomalies: fragment(',"anomalies":'),
  completeness: fragment(',"completeness":'),
  connState: fragment(',"conn_state":"'),
  // Zeek's history letters (conn.log "history": [A-Za-z^]) need no escaping either.
  history: fragment('","history":"'),
  recordEnd: fragment('"}'),
  // handshake
  status: fragment('{"status":"'),
  isn: fragment('","isn":{"client":'),
  synRetransmissions: fragment('},"syn_retransmissions":'),
  synackRetransmissions: fragment(',"synack_retransmissions":'),
  rtt: fragment(',"rtt":{"syn_synack":'),
  synackAck: fragment(',"synack_ack":'),
  total: fragment(',"total":'),
  options: fragment('},"options":{"client":'),
  negotiated: fragment('},"negotiated":{"mss":'),
  wscale: fragment(',"wscale":'),
  wscaleClient: fragment('{"client":'),
  sack: fragment(',"sack":'),
  timestamps: fragment(',"timestamps":'),
  ecn: fragment(',"ecn":'),
  handshakeEnd: fragment('}}'),
  // SYN options
  mss: fragment('{"mss":'),
  sackPerm: fragment(',"sack_perm":'),
  tfo: fragment(',"tfo":'),
  mptcp: fragment(',"mptcp":'),
  // teardown
  kind: fragment('{"kind":"'),
  initiator: fragment('","initiator":'),
  resetBy: fragment(',"reset_by":'),
  bytesAfterFin: fragment(',"bytes_after_fin":'),
  timeWait: fragment(',"time_wait":'),
  // transitions (the rest of each: transitionTail)
  frame: fragment('{"frame":'),
  emptyList: fragment('[]'),
};

function num(out: ByteOutput, n: number | null): void {
  if (n === null) out.null();
  else out.number(n);
}

/** A string from a fixed set of names (never escaped), or null. */
function name(out: ByteOutput, s: string | null): void {
  if (s === null) out.null();
  else out.plainString(s);
}

/**
 * SYN options without TFO or MPTCP are shared objects, a handful per capture (handshake.ts
 * synOptions): each is encoded once. Weakly held, and only those, so a capture of all-different
 * SYNs cannot grow it.
 */
const encodedSynOptions = new WeakMap<SynOptions, Fragment>();
/** Their longest encoding: `{"mss":65535,"wscale":255,"sack_perm":false,…,"mptcp":null}` is 87 bytes. */
const SHARED_SYN_OPTIONS_MAX = 128;

function synOptions(out: ByteOutput, o: SynOptions | null): void {
  if (o === null) {
    out.null();
    return;
  }
  const shared = o.tfo === null && o.mptcp === null;
  if (shared) {
    const encoded = encodedSynOptions.get(o);
    if (encoded !== undefined) {
      out.raw(encoded);
      return;
    }
    // All of it in the block as it is now, to be copied from there below.
    out.reserve(SHARED_SYN_OPTIONS_MAX);
  }
  const start = out.pos;
  out.raw(K.mss);
  num(out, o.mss);
  out.raw(K.wscale);
  num(out, o.wscale);
  out.raw(K.sackPerm);
  out.boolean(o.sack_perm);
  out.raw(K.timestamps);
  out.boolean(o.timestamps);
  // TFO cookies and MPTCP names are rare and go through the generic serialiser.
  out.raw(K.tfo);
  if (o.tfo === null) out.null();
  else out.text(JSON.stringify(o.tfo));
  out.raw(K.mptcp);
  if (o.mptcp === null) out.null();
  else out.text(JSON.stringify(o.mptcp));
  out.byte(0x7d);
  if (shared) encodedSynOptions.set(o, new Fragment(out.buf.slice(start, out.pos)));
}

function handshake(out: ByteOutput, h: HandshakeReport): void {
  const n = h.negotiated;
  out.raw(K.status);
  out.text(h.status);
  out.raw(K.isn);
  num(out, h.isn.client);
  out.raw(K.server);
  num(out, h.isn.server);
  out.raw(K.synRetransmissions);
  num(out, h.syn_retransmissions);
  out.raw(K.synackRetransmissions);
  num(out, h.synack_retransmissions);
  out.raw(K.rtt);
  num(out, h.rtt.syn_synack);
  out.raw(K.synackAck);
  num(out, h.rtt.synack_ack);
  out.raw(K.total);
  num(out, h.rtt.total);
  out.raw(K.options);
  synOptions(out, h.options.client);
  out.raw(K.server);
  synOptions(out, h.options.server);
  out.raw(K.negotiated);
  num(out, n.mss);
  out.raw(K.wscale);
  if (n.wscale === null) out.null();
  else {
    out.raw(K.wscaleClient);
    num(out, n.wscale.client);
    out.raw(K.server);
    num(out, n.wscale.server);
    out.byte(0x7d);
  }
  out.raw(K.sack);
  out.boolean(n.sack);
  out.raw(K.timestamps);
  out.boolean(n.timestamps);
  out.raw(K.ecn);
  out.boolean(n.ecn);
  out.raw(K.handshakeEnd);
}

function teardown(out: ByteOutput, t: TeardownReport): void {
  out.raw(K.kind);
  out.text(t.kind);
  out.raw(K.initiator);
  name(out, t.initiator);
  out.raw(K.resetBy);
  name(out, t.reset_by);
  out.raw(K.bytesAfterFin);
  num(out, t.bytes_after_fin);
  out.raw(K.timeWait);
  name(out, t.time_wait);
  out.byte(0x7d);
}

/**
 * What follows a transition's frame number, `,"endpoint":…,"cause":"…"}`, encoded once per
 * combination: endpoint, from, to and cause come from fixed sets (a few dozen combinations occur),
 * and a flow writes about ten transitions, half of its record's bytes. Keyed endpoint → cause →
 * from → to; the strings are the lifecycle's constants, so each lookup hashes nothing new.
 */
const transitionTails = new Map<string, Map<string, Map<string, Map<string, Fragment>>>>();
let transitionTailCount = 0;
/** Beyond this many combinations (never reached by the lifecycle's own names), tails are encoded each time. */
const MAX_TRANSITION_TAILS = 4096;

function encodeTransitionTail(t: Transition): Fragment {
  return fragment(`,"endpoint":${JSON.stringify(t.endpoint)},"from":${JSON.stringify(t.from)},"to":${JSON.stringify(t.to)},"cause":${JSON.stringify(t.cause)}}`);
}

function transitionTail(t: Transition): Fragment {
  let byCause = transitionTails.get(t.endpoint);
  let byFrom = byCause?.get(t.cause);
  let byTo = byFrom?.get(t.from);
  const tail = byTo?.get(t.to);
  if (tail !== undefined) return tail;
  if (transitionTailCount >= MAX_TRANSITION_TAILS) return encodeTransitionTail(t);
  if (byCause === undefined) transitionTails.set(t.endpoint, (byCause = new Map()));
  if (byFrom === undefined) byCause.set(t.cause, (byFrom = new Map()));
  if (byTo === undefined) byFrom.set(t.from, (byTo = new Map()));
  const bytes = encodeTransitionTail(t);
  byTo.set(t.to, bytes);
  transitionTailCount++;
  return bytes;
}

function transitions(out: ByteOutput, list: readonly Transition[]): void {
  if (list.length === 0) {
    out.raw(K.emptyList);
    return;
  }
  out.byte(0x5b);
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (i > 0) out.byte(0x2c);
    out.raw(K.frame);
    num(out, t.frame);
    out.raw(transitionTail(t));
  }
  out.byte(0x5d);
}

/** `{"name":` for the first analysis counter, `,"name":` for the others. */
const ANALYSIS_KEYS = ANALYSIS_NAMES.map((n, i) => fragment(`${i === 0 ? '{' : ','}"${n}":`));
/** The analysis block of a flow without any tcp.analysis event (most flows). */
const NO_ANALYSIS = fragment('{' + ANALYSIS_NAMES.map((n) => `"${n}":0`).join(',') + '}');

function analysis(out: ByteOutput, a: FlowReport['analysis']): void {
  // Read with for...in, whose keyed loads V8 serves from the object's enum cache: read by name
  // in a loop over ANALYSIS_NAMES, `a[ANALYSIS_NAMES[i]]` is a keyed load whose key changes at
  // every step, megamorphic, a dictionary lookup each (250 ns a record against 40, measured
  // alone; Object.values costs 330). The keys come in ANALYSIS_NAMES order (WiresharkAnalysis
  // .counts builds the object as one literal in that order): checked as they go by.
  let events = 0;
  let i = 0;
  let inOrder = true;
  for (const key in a) {
    if (ANALYSIS_NAMES[i++] !== key) inOrder = false;
    events |= a[key as keyof typeof a];
  }
  if (!inOrder || i !== ANALYSIS_NAMES.length) {
    out.text(JSON.stringify(a));
    return;
  }
  if (events === 0) {
    out.raw(NO_ANALYSIS);
    return;
  }
  i = 0;
  for (const key in a) {
    out.raw(ANALYSIS_KEYS[i++]!);
    num(out, a[key as keyof typeof a]);
  }
  out.byte(0x7d);
}

/** The flow record as one line of JSON (no newline), written to `out`. */
export function writeFlowJson(out: ByteOutput, r: FlowReport, capture?: string): void {
  if (capture === undefined) out.raw(K.stream);
  else {
    out.raw(K.capture);
    out.text(JSON.stringify(capture));
    out.raw(K.captureStream);
  }
  num(out, r.stream);
  out.raw(K.clientIp);
  out.text(r.client.ip);
  out.raw(K.port);
  num(out, r.client.port);
  out.raw(K.serverIp);
  out.text(r.server.ip);
  out.raw(K.port);
  num(out, r.server.port);
  out.raw(K.rolesInferred);
  out.boolean(r.roles_inferred);
  out.raw(K.firstFrame);
  num(out, r.first_frame);
  out.raw(K.lastFrame);
  num(out, r.last_frame);
  out.raw(K.start);
  out.text(r.start);
  out.raw(K.end);
  out.text(r.end);
  out.raw(K.duration);
  num(out, r.duration);
  out.raw(K.packets);
  num(out, r.packets.client);
  out.raw(K.server);
  num(out, r.packets.server);
  out.raw(K.bytes);
  num(out, r.bytes.client);
  out.raw(K.server);
  num(out, r.bytes.server);
  out.raw(K.handshake);
  handshake(out, r.handshake);
  out.raw(K.teardown);
  teardown(out, r.teardown);
  out.raw(K.finalState);
  out.text(r.final_state.client);
  out.raw(K.serverString);
  out.text(r.final_state.server);
  out.raw(K.transitions);
  transitions(out, r.transitions.client);
  out.raw(K.server);
  transitions(out, r.transitions.server);
  out.raw(K.analysis);
  analysis(out, r.analysis);
  out.raw(K.anomalies);
  out.plainStrings(r.anomalies);
  out.raw(K.completeness);
  num(out, r.completeness);
  out.raw(K.connState);
  out.text(r.conn_state);
  out.raw(K.history);
  out.text(r.history);
  out.raw(K.recordEnd);
}

const scratch = new ByteOutput(4096);

/** The flow record as one line of JSON (no newline), as a string. */
export function flowJson(r: FlowReport, capture?: string): string {
  writeFlowJson(scratch, r, capture);
  return scratch.take();
}
