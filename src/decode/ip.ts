// What an IP decoder hands to the transport layer, and the short names of IP protocols we
// do not decode (IANA "Assigned Internet Protocol Numbers").

/** Transport hand-off: one module-level instance is reused for every frame (see packet.ts). */
export interface IpPayload {
  /** IPv4 protocol / last IPv6 next-header value. */
  protocol: number;
  /** Position of the transport header in the buffer being decoded. */
  offset: number;
  /** End position of the transport bytes present: min(captured end, IP length end). */
  capturedEnd: number;
  /** Transport length the IP header claims (may exceed what was captured). */
  claimedLength: number;
}

export const IpProtocol = {
  HOPOPT: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NO_NEXT: 59,
  DSTOPTS: 60,
  SCTP: 132,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([
  [IpProtocol.ICMP, 'ICMP'],
  [IpProtocol.IGMP, 'IGMP'],
  [IpProtocol.IPIP, 'IP in IP'],
  [IpProtocol.UDP, 'UDP'],
  [IpProtocol.IPV6, 'IPv6 in IP'],
  [IpProtocol.GRE, 'GRE'],
  [IpProtocol.ESP, 'ESP'],
  [IpProtocol.ICMPV6, 'IPv6 ICMP'],
  [IpProtocol.NO_NEXT, 'IPv6 no next header'],
  [IpProtocol.SCTP, 'SCTP'],
  [103, 'PIM'],
  [112, 'VRRP'],
]);

/** 'UDP', 'ICMP', 'IPv6 ICMP'... or 'IP protocol 253'. */
export function ipProtocolReason(protocol: number): string {
  return NAMES.get(protocol) ?? `IP protocol ${protocol}`;
}
