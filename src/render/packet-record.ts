// The per-segment record of `synack packets`: one plain object per TCP segment whose keys are
// the machine-output contract (see README "packets fields"). Text, JSON, NDJSON and CSV all
// render from this one record.

import type { DecodedPacket, TcpOptions } from '../decode/types.js';
import { sharedFlagNames } from '../decode/flags.js';
import { formatDecodeError } from '../decode/errors.js';
import { formatAddress } from '../decode/address.js';
import { formatEpoch } from './time.js';
import type { TcpState } from '../flow/types.js';

export interface PacketTransition {
  endpoint: 'client' | 'server';
  from: TcpState;
  to: TcpState;
}

export interface PacketRecord {
  frame: number;
  ts: string;
  interface: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  stream: number;
  flags: number;
  flag_names: readonly string[];
  seq: number;
  ack: number;
  rel_seq: number;
  rel_ack: number;
  len: number;
  win: number;
  win_scaled: number | null;
  options: TcpOptions;
  malformed: string | null;
  analysis: readonly string[];
  transitions: readonly PacketTransition[];
}

/** Flow-engine results for one segment, as the tracker computed them. */
export interface SegmentResults {
  stream: number;
  relSeq: number;
  relAck: number;
  winScaled: number | null;
  analysis: readonly string[];
  transitions: readonly PacketTransition[];
}

export function packetRecord(pkt: DecodedPacket, r: SegmentResults): PacketRecord {
  const tcp = pkt.tcp!;
  return {
    frame: pkt.frame,
    ts: formatEpoch(pkt.tsSec, pkt.tsNsec, pkt.tsPrecision),
    interface: pkt.interfaceId,
    src: formatAddress(pkt.ipVersion === 6 ? 6 : 4, pkt.srcAddr),
    sport: tcp.srcPort,
    dst: formatAddress(pkt.ipVersion === 6 ? 6 : 4, pkt.dstAddr),
    dport: tcp.dstPort,
    stream: r.stream,
    flags: tcp.flags,
    flag_names: sharedFlagNames(tcp.flags),
    seq: tcp.seq,
    ack: tcp.ack,
    rel_seq: r.relSeq,
    rel_ack: r.relAck,
    len: tcp.payloadLength,
    win: tcp.window,
    win_scaled: r.winScaled,
    options: tcp.options,
    malformed: pkt.error ? formatDecodeError(pkt.error, pkt.frame, pkt.dataOffset) : null,
    analysis: r.analysis,
    transitions: r.transitions,
  };
}
