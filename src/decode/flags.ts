// TCP flag names as synack prints them (RFC bit order) and as tcpdump prints them
// (print-tcp.c's flag table).

import { TcpFlag } from './types.js';

/** Flag names in RFC bit order, low to high. */
const FLAG_ORDER: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, 'FIN'],
  [TcpFlag.SYN, 'SYN'],
  [TcpFlag.RST, 'RST'],
  [TcpFlag.PSH, 'PSH'],
  [TcpFlag.ACK, 'ACK'],
  [TcpFlag.URG, 'URG'],
  [TcpFlag.ECE, 'ECE'],
  [TcpFlag.CWR, 'CWR'],
  [TcpFlag.AE, 'AE'],
];

/**
 * Names of the set flags, from the lowest bit up (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE):
 * the RFC 9293 §3.1 bit order read right to left, so a SYN-ACK is ["SYN", "ACK"].
 */
export function flagNames(flags: number): string[] {
  const names: string[] = [];
  for (const [bit, name] of FLAG_ORDER) if ((flags & bit) !== 0) names.push(name);
  return names;
}

/**
 * flagNames for per-segment records: one shared, frozen array per flags value (12 bits), so
 * `packets` allocates nothing per segment for them.
 */
const FLAG_NAMES_BY_VALUE: (readonly string[] | undefined)[] = new Array(0x1000);
export function sharedFlagNames(flags: number): readonly string[] {
  const v = flags & 0x0fff;
  return (FLAG_NAMES_BY_VALUE[v] ??= Object.freeze(flagNames(v)));
}

/** tcpdump's flag letters, in print-tcp.c's table order. */
const TCPDUMP_ORDER: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
  [TcpFlag.AE, 'e'],
];

/**
 * tcpdump's flag text inside "Flags [...]": print-tcp.c's table in its order, F S R P . U E W
 * e ('.' is ACK, 'W' CWR, 'E' ECE, 'e' AE), or "none" when no flag is set.
 */
export function tcpdumpFlags(flags: number): string {
  let s = '';
  for (const [bit, ch] of TCPDUMP_ORDER) if ((flags & bit) !== 0) s += ch;
  return s === '' ? 'none' : s;
}
