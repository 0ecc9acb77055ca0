// `synack packets` text: one line per TCP segment in the spirit of tcpdump, with the frame
// number, time since the first frame, the stream index and relative numbers, plus what the
// flow engine made of the segment (analysis flags, state changes).

import type { ChalkInstance } from 'chalk';
import type { DecodedPacket } from '../decode/types.js';
import { tcpdumpFlags } from '../decode/flags.js';
import { optionsText } from './options-text.js';
import { formatOffset } from './time.js';
import type { PacketRecord } from './packet-record.js';

export interface TextContext {
  chalk: ChalkInstance;
  /** Timestamp of the first frame of the input, for relative times. */
  t0Sec: number;
  t0Nsec: number;
}

function endpointText(ip: string, port: number): string {
  // tcpdump's host.port; IPv6 addresses keep the same form (tcpdump prints ::1.8080).
  return `${ip}.${port}`;
}

export function packetLine(pkt: DecodedPacket, rec: PacketRecord, ctx: TextContext): string {
  const c = ctx.chalk;
  const tcp = pkt.tcp!;
  const time = formatOffset(ctx.t0Sec, ctx.t0Nsec, pkt.tsSec, pkt.tsNsec, pkt.tsPrecision);
  const flags = tcpdumpFlags(tcp.flags);
  let line =
    `${String(rec.frame).padStart(6)} ${time} ` +
    `${c.dim(rec.stream < 0 ? '#-' : '#' + rec.stream)} ` +
    `${endpointText(rec.src, rec.sport)} > ${endpointText(rec.dst, rec.dport)}: ` +
    `Flags [${flagColour(c, tcp.flags)(flags)}], seq ${rec.rel_seq}`;
  if (rec.len > 0) line += `:${(rec.rel_seq + rec.len) >>> 0}`;
  if (tcp.flags & 0x010) line += `, ack ${rec.rel_ack}`;
  line += `, win ${rec.win_scaled ?? rec.win}`;
  if (tcp.headerLength > 20) {
    const data = pkt.data; // (a new view on each read)
    const optStart = tcp.payloadOffset - tcp.headerLength + 20;
    const optEnd = Math.min(tcp.payloadOffset, data.length);
    if (optEnd > optStart) {
      const sackBase = tcp.flags & 0x010 ? (rec.ack - rec.rel_ack) >>> 0 : null;
      line += `, options [${optionsText(data, optStart, optEnd, sackBase)}]`;
    }
  }
  line += `, length ${rec.len}`;
  if (rec.analysis.length > 0) line += ' ' + c.yellow(`[${rec.analysis.join(', ')}]`);
  for (const t of rec.transitions) line += ' ' + c.cyan(`${t.endpoint} ${t.from}→${t.to}`);
  if (rec.malformed) line += ' ' + c.red(`[malformed: ${rec.malformed}]`);
  // pcapng packet comments (opt_comment), kept for display; several are joined with newlines.
  if (pkt.comment !== null) line += ' ' + c.dim(`# ${pkt.comment.replace(/\s*\n\s*/g, ' | ')}`);
  return line + '\n';
}

function flagColour(c: ChalkInstance, flags: number): (s: string) => string {
  if (flags & 0x004) return c.red;
  if (flags & 0x002) return c.green;
  if (flags & 0x001) return c.magenta;
  return (s) => s;
}
