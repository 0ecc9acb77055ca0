// pcapng decoder (draft-ietf-opsawg-pcapng): sections with their own byte order, interface
// descriptions and their clocks, and the three packet blocks (EPB, SPB, obsolete PB). Every
// other block is skipped by its length. libpcap sf-pcapng.c and Wireshark wiretap/pcapng.c are
// the readers whose verdicts we reproduce.

import type { RecordDecoder, RecordSink } from './decoder.js';
import { MICROSECONDS, resolutionPrecision, tickResolution, ticksToTime, type TickResolution } from './timestamp.js';
import { CaptureError, type CaptureInterface } from './types.js';

/** Block type codes (pcapng draft §10.1). */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Obsolete Packet Block (pcapng draft Appendix A). */
  OPB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  /** systemd Journal Export Block. */
  SJE: 0x00000009,
  /** Decryption Secrets Block. */
  DSB: 0x0000000a,
  /** Custom Block, copiable and not. */
  CB: 0x00000bad,
  DCB: 0x40000bad,
} as const;

/** Offsets common to every block (pcapng draft §3.1). */
const BLOCK = { TYPE: 0, TOTAL_LENGTH: 4, BODY: 8, MIN_LENGTH: 12 } as const;
/** Section Header Block fields (§4.1). */
const SHB = { BYTE_ORDER_MAGIC: 8, MAJOR: 12, MINOR: 14, SECTION_LENGTH: 16, OPTIONS: 24, MIN_LENGTH: 28 } as const;
/** Interface Description Block fields (§4.2). */
const IDB = { LINKTYPE: 8, RESERVED: 10, SNAPLEN: 12, OPTIONS: 16, MIN_LENGTH: 20 } as const;
/** Enhanced Packet Block fields (§4.3). */
const EPB = { INTERFACE_ID: 8, TS_HIGH: 12, TS_LOW: 16, CAPLEN: 20, ORIGLEN: 24, DATA: 28, MIN_LENGTH: 32 } as const;
/** Simple Packet Block fields (§4.4). */
const SPB = { ORIGLEN: 8, DATA: 12, MIN_LENGTH: 16 } as const;
/** Obsolete Packet Block fields (Appendix A): 16-bit interface id and drops count. */
const OPB = { INTERFACE_ID: 8, DROPS: 10, TS_HIGH: 12, TS_LOW: 16, CAPLEN: 20, ORIGLEN: 24, DATA: 28, MIN_LENGTH: 32 } as const;

/** Option codes used here (§3.5, §4.2). */
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/**
 * Largest block we agree to buffer: libpcap's INITIAL_MAX_BLOCKSIZE (16 MiB). A larger total
 * length is treated as damage rather than a reason to wait for that many bytes.
 */
export const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

/** One IDB of the current section, with its clock resolved. */
interface SectionInterface {
  info: CaptureInterface;
  resolution: TickResolution;
  offsetSec: number;
  fcsLength: number;
}

const utf8 = new TextDecoder('utf-8');

/**
 * A string option's text. The draft says strings are not zero-terminated, but writers do
 * terminate them and sometimes leave garbage after the NUL inside the option length
 * (PcapPlusPlus pcapng-example.pcapng); Wireshark stops at the first NUL, and so do we.
 */
function optionString(bytes: Uint8Array, at: number, length: number): string {
  let end = at;
  const limit = at + length;
  while (end < limit && bytes[end] !== 0) end++;
  return utf8.decode(bytes.subarray(at, end));
}

function blockName(type: number): string {
  switch (type) {
    case BlockType.SHB: return 'Section Header Block';
    case BlockType.IDB: return 'Interface Description Block';
    case BlockType.OPB: return 'Packet Block';
    case BlockType.SPB: return 'Simple Packet Block';
    case BlockType.EPB: return 'Enhanced Packet Block';
    default: return `block of type 0x${(type >>> 0).toString(16).padStart(8, '0')}`;
  }
}

export class PcapngDecoder implements RecordDecoder {
  readonly format = 'pcapng' as const;
  /** Enough for any block's type and length, and for an SHB's byte-order magic. */
  readonly headerLength = BLOCK.MIN_LENGTH;

  /** Byte order of the current section. */
  private le = true;
  private section: SectionInterface[] = [];
  private readonly all: CaptureInterface[] = [];
  private sectionCount = 0;
  private readonly warnedTypes = new Set<number>();
  private readonly opt = new OptionCursor();

  constructor(private readonly sink: RecordSink) {}

  interfaces(): CaptureInterface[] {
    return this.all;
  }

  /** Number of Section Header Blocks read. */
  sections(): number {
    return this.sectionCount;
  }

  unitLength(view: DataView, off: number, abs: number): number | CaptureError {
    let le = this.le;
    const isShb = view.getUint32(off + BLOCK.TYPE, false) === BlockType.SHB;
    if (isShb) {
      // A new section may switch byte order: the SHB's byte-order magic says which (§4.1).
      const bom = view.getUint32(off + SHB.BYTE_ORDER_MAGIC, false);
      if (bom === BYTE_ORDER_MAGIC) le = false;
      else if (bom === 0x4d3c2b1a) le = true;
      else {
        return new CaptureError(
          `Section Header Block has a bad byte-order magic 0x${bom.toString(16).padStart(8, '0')} (expected 1a2b3c4d in either byte order)`,
          abs + SHB.BYTE_ORDER_MAGIC,
          'format',
        );
      }
    }
    const len = view.getUint32(off + BLOCK.TOTAL_LENGTH, le);
    const at = abs + BLOCK.TOTAL_LENGTH;
    const type = isShb ? BlockType.SHB : view.getUint32(off + BLOCK.TYPE, le);
    // libpcap sf-pcapng.c read_block(): "block in pcapng dump file has a length of 21 that is
    // not a multiple of 4"; "... of N < 12".
    if (len < BLOCK.MIN_LENGTH) {
      return new CaptureError(`${blockName(type)} has a total length of ${len}, less than the minimum 12`, at, 'format');
    }
    if (len % 4 !== 0) {
      return new CaptureError(`${blockName(type)} has a total length of ${len}, which is not a multiple of 4`, at, 'format');
    }
    if (len > MAX_BLOCK_LENGTH) {
      return new CaptureError(`${blockName(type)} has a total length of ${len}, more than the ${MAX_BLOCK_LENGTH}-byte limit`, at, 'format');
    }
    if (isShb && len < SHB.MIN_LENGTH) {
      return new CaptureError(`Section Header Block has a total length of ${len}, less than the minimum 28`, at, 'format');
    }
    return len;
  }

  decode(view: DataView, bytes: Uint8Array, off: number, len: number, abs: number): CaptureError | null {
    const isShb = view.getUint32(off + BLOCK.TYPE, false) === BlockType.SHB;
    if (isShb) this.le = view.getUint32(off + SHB.BYTE_ORDER_MAGIC, false) !== BYTE_ORDER_MAGIC;
    const le = this.le;
    const type = isShb ? BlockType.SHB : view.getUint32(off + BLOCK.TYPE, le);
    const trailer = view.getUint32(off + len - 4, le);
    if (trailer !== len) {
      // libpcap: "block total length in header 32 and trailer 808464432 don't match".
      return new CaptureError(
        `${blockName(type)} total length is ${len} in its header but ${trailer} in its trailer`,
        abs + len - 4,
        'format',
      );
    }
    switch (type) {
      case BlockType.SHB:
        return this.decodeShb(view, off, len, abs);
      case BlockType.IDB:
        return this.decodeIdb(view, bytes, off, len, abs);
      case BlockType.EPB:
        return this.decodeEpb(view, bytes, off, len, abs, EPB.MIN_LENGTH, true);
      case BlockType.OPB:
        return this.decodeEpb(view, bytes, off, len, abs, OPB.MIN_LENGTH, false);
      case BlockType.SPB:
        return this.decodeSpb(view, bytes, off, len, abs);
      case BlockType.NRB:
      case BlockType.ISB:
      case BlockType.SJE:
      case BlockType.DSB:
      case BlockType.CB:
      case BlockType.DCB:
        return null; // Nothing a TCP dissector needs; skipped by length.
      default:
        if (!this.warnedTypes.has(type)) {
          this.warnedTypes.add(type);
          this.sink.warn(abs, `skipped unknown ${blockName(type)} (${len} bytes; later ones of this type skipped silently)`);
        }
        return null;
    }
  }

  describeTruncation(_abs: number, have: number, need: number | null): string {
    if (need === null) return `pcapng block header cut short: 12 bytes needed, only ${have} present`;
    return `pcapng block cut short: its header says ${need} bytes, only ${have} present`;
  }

  private decodeShb(view: DataView, off: number, len: number, abs: number): CaptureError | null {
    const major = view.getUint16(off + SHB.MAJOR, this.le);
    const minor = view.getUint16(off + SHB.MINOR, this.le);
    // libpcap and Wireshark read versions 1.0 and 1.2 (1.2 was written by some tools for the
    // same format); anything else is refused ("unsupported pcapng savefile version 0.1").
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      return new CaptureError(`unsupported pcapng section version ${major}.${minor} (readable: 1.0 and 1.2)`, abs + SHB.MAJOR, 'format');
    }
    const err = this.checkOptions(view, off + SHB.OPTIONS, off + len - 4, abs - off, 'Section Header Block');
    if (err !== null) return err;
    // Interface ids restart in every section (§4.1).
    this.section = [];
    this.sectionCount++;
    return null;
  }

  private decodeIdb(view: DataView, bytes: Uint8Array, off: number, len: number, abs: number): CaptureError | null {
    if (len < IDB.MIN_LENGTH) {
      return new CaptureError(`Interface Description Block is ${len} bytes, too short for its fixed fields`, abs, 'format');
    }
    const le = this.le;
    const iface: SectionInterface = {
      info: {
        id: this.section.length,
        linkType: view.getUint16(off + IDB.LINKTYPE, le),
        snapLength: view.getUint32(off + IDB.SNAPLEN, le),
        tsPrecision: 6,
        name: null,
      },
      resolution: MICROSECONDS,
      offsetSec: 0,
      fcsLength: 0,
    };
    let sawResolution = false;
    const base = abs - off;
    const opt = this.opt;
    opt.start(off + IDB.OPTIONS, off + len - 4);
    while (opt.advance(view, le)) {
      const at = opt.value;
      const length = opt.length;
      switch (opt.code) {
        case IF_NAME:
          iface.info.name = optionString(bytes, at, length);
          break;
        case IF_TSRESOL: {
          if (length !== 1) {
            return new CaptureError(`if_tsresol option has length ${length}, not 1`, base + at - 2, 'format');
          }
          const value = bytes[at]!;
          const res = tickResolution(value);
          if (res === null) {
            // libpcap: "if_tsresol option resolution 2^-72 is too high".
            const shown = value & 0x80 ? `2^-${value & 0x7f}` : `10^-${value}`;
            return new CaptureError(`if_tsresol resolution ${shown} is finer than a 64-bit timestamp can count`, base + at, 'format');
          }
          if (sawResolution) {
            this.sink.warn(base + at, 'interface has more than one if_tsresol option; the first one is used');
            break;
          }
          sawResolution = true;
          iface.resolution = res;
          iface.info.tsPrecision = resolutionPrecision(res);
          break;
        }
        case IF_TSOFFSET:
          if (length !== 8) {
            return new CaptureError(`if_tsoffset option has length ${length}, not 8`, base + at - 2, 'format');
          }
          iface.offsetSec = Number(view.getBigInt64(at, le));
          break;
        case IF_FCSLEN:
          if (length !== 1) {
            return new CaptureError(`if_fcslen option has length ${length}, not 1`, base + at - 2, 'format');
          }
          // if_fcslen counts bits (pcapng draft §4.2; Wireshark converts it to bytes the same way).
          iface.fcsLength = bytes[at]! >>> 3;
          if ((bytes[at]! & 7) !== 0) this.sink.warn(base + at, `if_fcslen ${bytes[at]} is not a whole number of bytes`);
          break;
        default:
          break;
      }
    }
    const err = opt.overrun(base, 'Interface Description Block');
    if (err !== null) return err;
    this.section.push(iface);
    this.all.push(iface.info);
    return null;
  }

  /** Enhanced Packet Block, or with `enhanced` false the obsolete Packet Block (same layout but a 16-bit interface id). */
  private decodeEpb(
    view: DataView,
    bytes: Uint8Array,
    off: number,
    len: number,
    abs: number,
    minLength: number,
    enhanced: boolean,
  ): CaptureError | null {
    const name = enhanced ? 'Enhanced Packet Block' : 'Packet Block';
    if (len < minLength) {
      return new CaptureError(`${name} is ${len} bytes, too short for its fixed fields`, abs, 'format');
    }
    const le = this.le;
    const ifId = enhanced ? view.getUint32(off + EPB.INTERFACE_ID, le) : view.getUint16(off + OPB.INTERFACE_ID, le);
    const iface = this.interfaceFor(ifId, name, abs);
    if (iface instanceof CaptureError) return iface;
    const caplen = view.getUint32(off + EPB.CAPLEN, le);
    const dataEnd = off + EPB.DATA + caplen;
    const bodyEnd = off + len - 4;
    if (caplen > len || dataEnd > bodyEnd) {
      return new CaptureError(
        `${name} says ${caplen} captured bytes but has room for ${bodyEnd - off - EPB.DATA}`,
        abs + EPB.CAPLEN,
        'format',
      );
    }
    const r = this.sink.record;
    if (!ticksToTime(view.getUint32(off + EPB.TS_HIGH, le), view.getUint32(off + EPB.TS_LOW, le), iface.resolution, iface.offsetSec, r)) {
      this.sink.warn(abs + EPB.TS_HIGH, 'timestamp is beyond 2^53 seconds and was rounded');
    }
    r.interfaceId = ifId;
    r.linkType = iface.info.linkType;
    r.tsPrecision = iface.info.tsPrecision;
    r.capturedLength = caplen;
    r.originalLength = view.getUint32(off + EPB.ORIGLEN, le);
    r.fcsLength = iface.fcsLength;
    r.dataOffset = abs + EPB.DATA;
    r.bytes = bytes;
    r.dataStart = off + EPB.DATA;
    r.comment = null;
    const optStart = off + EPB.DATA + ((caplen + 3) & ~3);
    if (optStart < bodyEnd) {
      const opt = this.opt;
      opt.start(optStart, bodyEnd);
      while (opt.advance(view, le)) {
        if (opt.code === OPT_COMMENT) {
          const text = optionString(bytes, opt.value, opt.length);
          r.comment = r.comment === null ? text : `${r.comment}\n${text}`;
        }
      }
      // A damaged option list on a packet costs the options, not the packet.
      const err = opt.overrun(abs - off, name);
      if (err !== null) this.sink.warn(err.offset, `${err.reason}; packet kept without the remaining options`);
    }
    this.sink.emit();
    return null;
  }

  private decodeSpb(view: DataView, bytes: Uint8Array, off: number, len: number, abs: number): CaptureError | null {
    if (len < SPB.MIN_LENGTH) {
      return new CaptureError(`Simple Packet Block is ${len} bytes, too short for its fixed fields`, abs, 'format');
    }
    // An SPB belongs to the section's first interface (§4.4).
    const iface = this.interfaceFor(0, 'Simple Packet Block', abs);
    if (iface instanceof CaptureError) return iface;
    const le = this.le;
    const orig = view.getUint32(off + SPB.ORIGLEN, le);
    // Captured length is min(original length, snaplen) (§4.4; libpcap does the same).
    const snap = iface.info.snapLength;
    const caplen = snap !== 0 && snap < orig ? snap : orig;
    const room = len - SPB.MIN_LENGTH;
    if (caplen > room) {
      return new CaptureError(
        `Simple Packet Block holds ${caplen} captured bytes by its length fields but has room for ${room}`,
        abs + SPB.ORIGLEN,
        'format',
      );
    }
    const r = this.sink.record;
    // An SPB carries no timestamp; 0 (the epoch) stands for "unknown" (tshark prints none).
    r.tsSec = 0;
    r.tsNsec = 0;
    r.interfaceId = 0;
    r.linkType = iface.info.linkType;
    r.tsPrecision = iface.info.tsPrecision;
    r.capturedLength = caplen;
    r.originalLength = orig;
    r.fcsLength = iface.fcsLength;
    r.dataOffset = abs + SPB.DATA;
    r.bytes = bytes;
    r.dataStart = off + SPB.DATA;
    r.comment = null;
    this.sink.emit();
    return null;
  }

  private interfaceFor(ifId: number, name: string, abs: number): SectionInterface | CaptureError {
    const iface = this.section[ifId];
    if (iface !== undefined) return iface;
    if (this.section.length === 0) {
      // libpcap: "the capture file has a packet block before any Interface Description Blocks".
      return new CaptureError(`${name} comes before any Interface Description Block in its section`, abs, 'format');
    }
    return new CaptureError(
      `${name} refers to interface ${ifId}, but its section describes only ${this.section.length} interface${this.section.length === 1 ? '' : 's'}`,
      abs + EPB.INTERFACE_ID,
      'format',
    );
  }

  /** Check a whole option list for overruns without looking at the values (SHB options). */
  private checkOptions(view: DataView, start: number, end: number, base: number, where: string): CaptureError | null {
    const opt = this.opt;
    opt.start(start, end);
    while (opt.advance(view, this.le));
    return opt.overrun(base, where);
  }
}

/**
 * Cursor over a TLV option list in [start, end) (§3.5): 2-byte code, 2-byte length, value
 * padded to 4 bytes. One instance is reused, so reading options allocates nothing.
 */
class OptionCursor {
  code = 0;
  /** Position of the current option's value. */
  value = 0;
  length = 0;
  private next = 0;
  private end = 0;
  private bad = -1;

  start(start: number, end: number): void {
    this.next = start;
    this.end = end;
    this.bad = -1;
  }

  /** Move to the next option; false at opt_endofopt, at the end, or on an overrun. */
  advance(view: DataView, le: boolean): boolean {
    const at = this.next;
    if (at + 4 > this.end) return false;
    this.code = view.getUint16(at, le);
    this.length = view.getUint16(at + 2, le);
    if (this.code === OPT_ENDOFOPT) return false;
    this.value = at + 4;
    if (this.value + this.length > this.end) {
      this.bad = at;
      return false;
    }
    this.next = this.value + ((this.length + 3) & ~3);
    return true;
  }

  /** The overrun that stopped advance(), if any, as an error at its length field. */
  overrun(base: number, where: string): CaptureError | null {
    if (this.bad < 0) return null;
    // tshark: "pcapng: Not enough data to handle option of length 12336".
    return new CaptureError(
      `${where} option ${this.code} says ${this.length} bytes but only ${this.end - this.bad - 4} remain in the block`,
      base + this.bad + 2,
      'format',
    );
  }
}
