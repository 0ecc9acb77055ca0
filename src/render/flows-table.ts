// The `synack flows` table: a row per flow, the columns a person scans first.

import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { FlowReport } from '../flow/report.js';

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function stateColour(c: ChalkInstance, state: string): string {
  if (state === 'ESTABLISHED') return c.green(state);
  if (state === 'TIME_WAIT' || state === 'CLOSED') return c.cyan(state);
  return c.yellow(state);
}

export function flowsTable(flows: FlowReport[], c: ChalkInstance, _columns: number | null): string {
  if (flows.length === 0) return 'No TCP flows.\n';
  const table = new Table({
    head: ['stream', 'client', 'server', 'handshake', 'teardown', 'first FIN', 'final states (c / s)', 'duration s', 'pkts c→s/s→c', 'bytes c→s/s→c', 'conn_state'],
    style: { head: [], border: [] },
  });
  for (const f of flows) {
    const roles = f.roles_inferred ? c.dim(' (inferred)') : '';
    table.push([
      String(f.stream),
      endpoint(f.client) + roles,
      endpoint(f.server),
      f.handshake.status === 'complete' ? c.green(f.handshake.status) : c.yellow(f.handshake.status),
      f.teardown.kind === 'reset' ? c.red(f.teardown.kind) : f.teardown.kind,
      f.teardown.initiator ?? '-',
      `${stateColour(c, f.final_state.client)} / ${stateColour(c, f.final_state.server)}`,
      f.duration.toFixed(6),
      `${f.packets.client}/${f.packets.server}`,
      `${f.bytes.client}/${f.bytes.server}`,
      f.conn_state,
    ]);
  }
  return table.toString() + '\n';
}
