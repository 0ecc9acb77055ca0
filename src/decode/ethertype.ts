// EtherType values synack dispatches on (IEEE Registration Authority list), their short names
// for the skipped-frames footer, and the hand-off record between link layers.

/** EtherTypes the decoders act on or name. */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** IEEE 802.1Q customer VLAN tag (C-tag). */
  VLAN: 0x8100,
  RARP: 0x8035,
  IPV6: 0x86dd,
  /** IEEE 802.1ad service VLAN tag (S-tag). */
  QINQ: 0x88a8,
  /** Pre-standard Q-in-Q tag still sent by some switches. */
  QINQ_LEGACY: 0x9100,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  MPLS: 0x8847,
  LLDP: 0x88cc,
} as const;

/** Largest value of the Ethernet type/length field that is a length (IEEE 802.3 §3.2.6). */
export const MAX_8023_LENGTH = 1500;
/** Smallest value that is an EtherType (IEEE 802.3 §3.2.6); 1501..1535 are undefined. */
export const MIN_ETHERTYPE = 0x0600;

const NAMES: ReadonlyMap<number, string> = new Map([
  [EtherType.ARP, 'ARP'],
  [EtherType.RARP, 'RARP'],
  [EtherType.PPPOE_DISCOVERY, 'PPPoE discovery'],
  [EtherType.MPLS, 'MPLS'],
]);

/** Short name for a frame whose EtherType we do not decode: 'ARP', or 'ethertype 0x88cc'. */
export function etherTypeReason(type: number): string {
  return NAMES.get(type) ?? `ethertype 0x${type.toString(16).padStart(4, '0')}`;
}

/**
 * What a link-layer decoder hands to the next layer: the EtherType of the payload and where it
 * starts. One module-level instance is reused for every frame (see packet.ts).
 */
export interface NextLayer {
  etherType: number;
  /** Position of the payload in the buffer being decoded (not relative to the frame). */
  offset: number;
}
