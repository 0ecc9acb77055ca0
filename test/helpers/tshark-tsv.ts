// Test-only: reads the TShark golden files that sit beside each capture (X.tshark.tsv,
// X.analysis.tsv, X.streams.tsv) and turns the per-packet rows into the flow engine's
// FlowSegment records, so flow-level logic can be checked against tshark and Zeek even
// before (and independently of) our own readers and decoders.

import { existsSync, readFileSync } from 'node:fs';
import type { DecodedPacket, TcpHeader, TcpOptions } from '../../src/decode/types.js';
import type { FlowSegment, Side } from '../../src/flow/types.js';

/** One row of X.tshark.tsv, with the column names tshark printed. */
export type TsvRow = Record<string, string>;

/** Parses a tab-separated file with a header row. Returns [] for an empty file. */
export function readTsv(path: string): TsvRow[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const header = lines[0]!.split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    const row: TsvRow = {};
    header.forEach((name, i) => (row[name] = cells[i] ?? ''));
    return row;
  });
}

/** Golden file paths for a capture path ending in .pcap or .pcapng. */
export function goldenPaths(capture: string): {
  tshark: string;
  analysis: string;
  streams: string;
  conv: string;
  zeekConn: string;
} {
  const stem = capture.replace(/\.(pcapng|pcap)(\.gz)?$/, '');
  return {
    tshark: `${stem}.tshark.tsv`,
    analysis: `${stem}.analysis.tsv`,
    streams: `${stem}.streams.tsv`,
    conv: `${stem}.conv.txt`,
    zeekConn: `${stem}.zeek-conn.log`,
  };
}

/** IPv4 dotted quad or IPv6 text → the four 32-bit words DecodedPacket uses. */
export function addressWords(text: string): { version: 4 | 6; words: Uint32Array } {
  const words = new Uint32Array(4);
  if (!text.includes(':')) {
    const p = text.split('.').map(Number);
    words[0] = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
    return { version: 4, words };
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return { version: 6, words };
}

function parseEpoch(s: string): { sec: number; nsec: number } {
  const [sec, frac = ''] = s.split('.');
  return { sec: Number(sec), nsec: Number((frac + '000000000').slice(0, 9)) };
}

function num(s: string | undefined): number | undefined {
  return s === undefined || s === '' ? undefined : Number(s);
}

/** Builds a standalone DecodedPacket (fresh objects, safe to keep) from a tshark row. */
export function packetFromRow(row: TsvRow): DecodedPacket {
  const srcText = row['ip.src'] || row['ipv6.src'] || '0.0.0.0';
  const dstText = row['ip.dst'] || row['ipv6.dst'] || '0.0.0.0';
  const src = addressWords(srcText);
  const dst = addressWords(dstText);
  const ts = parseEpoch(row['frame.time_epoch'] ?? '0');
  const options: TcpOptions = {};
  const mss = num(row['tcp.options.mss_val']);
  if (mss !== undefined) options.mss = mss;
  const ws = num(row['tcp.options.wscale.shift']);
  if (ws !== undefined) options.wscale = ws;
  if (row['tcp.options.sack_perm']) options.sack_perm = true;
  const tsval = num(row['tcp.options.timestamp.tsval']);
  if (tsval !== undefined) {
    options.ts_val = tsval;
    options.ts_ecr = num(row['tcp.options.timestamp.tsecr']) ?? 0;
  }
  const tcp: TcpHeader = {
    srcPort: Number(row['tcp.srcport']),
    dstPort: Number(row['tcp.dstport']),
    seq: Number(row['tcp.seq_raw']),
    ack: Number(row['tcp.ack_raw'] || 0),
    headerLength: 20,
    flags: parseInt(row['tcp.flags'] || '0', 16),
    window: Number(row['tcp.window_size_value'] || 0),
    checksum: 0,
    urgentPointer: 0,
    payloadLength: Number(row['tcp.len'] || 0),
    payloadCaptured: Number(row['tcp.len'] || 0),
    payloadOffset: 0,
    options,
  };
  return {
    frame: Number(row['frame.number']),
    tsSec: ts.sec,
    tsNsec: ts.nsec,
    tsPrecision: 9,
    interfaceId: 0,
    linkType: 1,
    capturedLength: 0,
    originalLength: 0,
    dataOffset: 0,
    comment: null,
    data: new Uint8Array(0),
    vlanIds: [],
    ipVersion: src.version,
    srcAddr: src.words,
    dstAddr: dst.words,
    ttl: 64,
    ipOffset: 0,
    tcp,
    notTcp: null,
    error: null,
  };
}

/** A tshark stream's segments in frame order, with sides relative to its first packet. */
export interface GoldenStream {
  stream: number;
  rows: TsvRow[];
  segments: FlowSegment[];
}

/**
 * Groups a capture's tshark rows by `tcp.stream`. Side 0 is the sender of the stream's first
 * row, matching FlowSegment's convention.
 */
export function goldenStreams(tsharkTsv: string): GoldenStream[] {
  const byStream = new Map<number, GoldenStream>();
  for (const row of readTsv(tsharkTsv)) {
    const stream = Number(row['tcp.stream']);
    let g = byStream.get(stream);
    if (!g) {
      g = { stream, rows: [], segments: [] };
      byStream.set(stream, g);
    }
    const pkt = packetFromRow(row);
    const first = g.rows[0] ?? row;
    const firstSrc = `${first['ip.src'] || first['ipv6.src']}|${first['tcp.srcport']}`;
    const thisSrc = `${row['ip.src'] || row['ipv6.src']}|${row['tcp.srcport']}`;
    const side: Side = firstSrc === thisSrc ? 0 : 1;
    g.rows.push(row);
    g.segments.push({ pkt, tcp: pkt.tcp!, side });
  }
  return [...byStream.values()].sort((a, b) => a.stream - b.stream);
}

/** Names of the tcp.analysis.* flags set on an X.analysis.tsv row (without the prefix). */
export function analysisFlags(row: TsvRow): string[] {
  return Object.keys(row)
    .filter((k) => k.startsWith('tcp.analysis.') && row[k] !== '' && k !== 'tcp.analysis.initial_rtt')
    .map((k) => k.slice('tcp.analysis.'.length));
}
