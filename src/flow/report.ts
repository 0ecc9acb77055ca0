// The per-flow record of `synack flows`: one plain object whose keys are the machine-output
// contract (README "flows fields"). Built once, when the tracker hands over a finished flow;
// every renderer (table, JSON, summary) reads from it or from the flow's analyzers.

import type { Flow, Endpoint } from './flow.js';
import type { HandshakeReport, LifecycleAnomaly, LifecycleReport, TeardownReport } from './lifecycle.js';
import type { TcpState, Transition } from './types.js';
import { formatEpoch, secondsDiff } from '../render/time.js';
import type { AnalysisName } from './wireshark.js';

export interface FlowReport {
  stream: number;
  client: Endpoint;
  server: Endpoint;
  roles_inferred: boolean;
  first_frame: number;
  last_frame: number;
  start: string;
  end: string;
  duration: number;
  packets: { client: number; server: number };
  bytes: { client: number; server: number };
  handshake: HandshakeReport;
  teardown: TeardownReport;
  final_state: { client: TcpState; server: TcpState };
  transitions: { client: Transition[]; server: Transition[] };
  analysis: Record<AnalysisName, number>;
  anomalies: string[];
  completeness: number;
  conn_state: string;
  history: string;
}

/** The record plus the detail renderers need and the JSON does not carry. */
export interface FlowDetail {
  report: FlowReport;
  lifecycle: LifecycleReport;
}

export function flowReport(flow: Flow): FlowDetail {
  const life = flow.lifecycle.report();
  const c = life.client;
  const s = c === 0 ? 1 : 0;
  const zeek = flow.zeek.result();
  const endpoints = flow.endpoints;
  const report: FlowReport = {
    stream: flow.stream,
    client: endpoints[c],
    server: endpoints[s],
    roles_inferred: life.roles_inferred,
    first_frame: flow.firstFrame,
    last_frame: flow.lastFrame,
    start: formatEpoch(flow.firstSec, flow.firstNsec, flow.tsPrecision),
    end: formatEpoch(flow.lastSec, flow.lastNsec, flow.tsPrecision),
    duration: secondsDiff(flow.firstSec, flow.firstNsec, flow.lastSec, flow.lastNsec),
    packets: { client: flow.packetsFrom(c), server: flow.packetsFrom(s) },
    bytes: { client: flow.bytesFrom(c), server: flow.bytesFrom(s) },
    handshake: life.handshake,
    teardown: life.teardown,
    final_state: life.final_state,
    transitions: life.transitions,
    analysis: flow.wireshark.counts(),
    anomalies: anomalyNames(life.anomalies),
    completeness: flow.wireshark.completeness(),
    conn_state: zeek.conn_state,
    history: zeek.history,
  };
  return { report, lifecycle: life };
}

/** Each anomaly's name once, in order of first occurrence; most flows have none, and get [] without a Set. */
function anomalyNames(list: readonly LifecycleAnomaly[]): string[] {
  if (list.length === 0) return [];
  return [...new Set(list.map((a) => a.name))];
}
