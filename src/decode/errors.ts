// Turns a packet-level DecodeError into the sentence synack prints, e.g.
// "TCP header: data offset says 32 bytes, 20 captured (frame 812, byte 0x1a2c)".

import type { DecodeError } from './types.js';

/**
 * One line naming the layer, what was wrong, the frame, and the absolute file offset of the
 * offending field (frameFileOffset + err.offset) in hex, so it can be found with a hex viewer.
 */
export function formatDecodeError(err: DecodeError, frame: number, frameFileOffset: number): string {
  const at = frameFileOffset + err.offset;
  return `${err.layer}: ${err.detail} (frame ${frame}, byte 0x${at.toString(16)})`;
}
