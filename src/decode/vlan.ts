// IEEE 802.1Q VLAN tags (C-tag 0x8100), IEEE 802.1ad S-tags (0x88a8) and the pre-standard
// 0x9100 Q-in-Q tag, stacked to any depth. Each tag is the 2-byte TCI plus the inner EtherType.

import { needBytes, u16 } from './bytes.js';
import { EtherType, type NextLayer } from './ethertype.js';
import type { DecodedPacket } from './types.js';

/** Offsets within one tag, after its TPID (IEEE 802.1Q §9.6: PCP/DEI/VID, then EtherType). */
export const VlanField = {
  TCI: 0,
  INNER_TYPE: 2,
} as const;

export const VLAN_TAG_LENGTH = 4;
/** VLAN identifier bits of the TCI. */
const VID_MASK = 0x0fff;

/** True for the TPIDs that introduce a VLAN tag. */
export function isVlanTpid(etherType: number): boolean {
  return etherType === EtherType.VLAN || etherType === EtherType.QINQ || etherType === EtherType.QINQ_LEGACY;
}

/**
 * Decodes the tag at `next.offset` (the TPID was the previous EtherType), appends its VLAN id to
 * `out.vlanIds` and advances `next`. Returns false with an error when the tag is cut short.
 */
export function decodeVlanTag(d: Uint8Array, end: number, out: DecodedPacket, next: NextLayer): boolean {
  const o = next.offset;
  if (end - o < VLAN_TAG_LENGTH) {
    const layer = next.etherType === EtherType.VLAN ? '802.1Q tag' : '802.1ad tag';
    out.error = needBytes(layer, VLAN_TAG_LENGTH, end - o, o);
    out.notTcp = `truncated ${layer}`;
    return false;
  }
  out.vlanIds.push(u16(d, o + VlanField.TCI) & VID_MASK);
  next.etherType = u16(d, o + VlanField.INNER_TYPE);
  next.offset = o + VLAN_TAG_LENGTH;
  return true;
}
