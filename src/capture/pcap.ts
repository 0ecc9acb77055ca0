// Classic libpcap savefile decoder: the 24-byte file header and the 16-byte record headers
// (draft-ietf-opsawg-pcap; libpcap sf-pcap.c is the reference reader we agree with).

import type { RecordDecoder, RecordSink } from './decoder.js';
import { CaptureError, type CaptureFormat, type CaptureInterface } from './types.js';

/** File header field offsets (draft-ietf-opsawg-pcap §4). */
export const PCAP_FILE_HEADER = {
  MAGIC: 0,
  VERSION_MAJOR: 4,
  VERSION_MINOR: 6,
  THISZONE: 8,
  SIGFIGS: 12,
  SNAPLEN: 16,
  LINKTYPE: 20,
  LENGTH: 24,
} as const;

/** Record header field offsets (draft-ietf-opsawg-pcap §5). */
export const PCAP_RECORD_HEADER = {
  TS_SEC: 0,
  TS_FRACTION: 4,
  INCL_LEN: 8,
  ORIG_LEN: 12,
  LENGTH: 16,
} as const;

/** Magic numbers as read in the writer's byte order. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;

/**
 * The link-type word (libpcap pcap/pcap.h LT_* macros, also Wireshark wiretap/libpcap.c):
 * bits 0–15 LINKTYPE_*, bits 16–25 reserved and required to be zero (LT_RESERVED1), bit 26
 * "FCS length present" (LT_FCS_LENGTH_PRESENT), bits 28–31 the FCS length in 16-bit units
 * (LT_FCS_LENGTH). The IETF draft draws these bits differently; readers in the wild (libpcap,
 * tshark) use the macros, so we do too.
 */
const LT_LINKTYPE_MASK = 0x0000ffff;
const LT_RESERVED1_MASK = 0x03ff0000;
const LT_FCS_LENGTH_PRESENT = 0x04000000;

/**
 * Largest captured length accepted in a record: the snapshot length, but never less than
 * 262144 (libpcap's MAXIMUM_SNAPLEN; files written with a smaller snaplen by buggy tools still
 * read) and never more than 128 MiB (libpcap's largest per-link-type maximum, DLT_DBUS). A
 * larger incl_len is damage, not data: we stop instead of waiting for that many bytes.
 */
export const MAX_SNAPLEN_FLOOR = 262144;
export const MAX_SNAPLEN_CEILING = 128 * 1024 * 1024;

/** How the caplen/len fields are ordered (libpcap sf-pcap.c swapped_type_t). */
const enum LengthOrder {
  Normal,
  Swapped,
  MaybeSwapped,
}

export class PcapDecoder implements RecordDecoder {
  readonly format: CaptureFormat;
  headerLength: number = PCAP_FILE_HEADER.LENGTH;

  private readonly le: boolean;
  private readonly nsec: boolean;
  private headerDone = false;
  private lengthOrder = LengthOrder.Normal;
  private maxCaptured = MAX_SNAPLEN_FLOOR;
  private iface: CaptureInterface | null = null;
  private fcsLength = 0;
  private warnedFraction = false;
  private warnedSnaplen = false;

  constructor(
    private readonly sink: RecordSink,
    littleEndian: boolean,
    nanoseconds: boolean,
  ) {
    this.le = littleEndian;
    this.nsec = nanoseconds;
    this.format = `pcap-${littleEndian ? 'le' : 'be'}-${nanoseconds ? 'nsec' : 'usec'}`;
  }

  sections(): number {
    return this.headerDone ? 1 : 0;
  }

  interfaces(): CaptureInterface[] {
    return this.iface === null ? [] : [this.iface];
  }

  unitLength(view: DataView, off: number, abs: number): number | CaptureError {
    if (!this.headerDone) return PCAP_FILE_HEADER.LENGTH;
    const caplen = this.capturedLength(view, off);
    if (caplen > this.maxCaptured) {
      const snap = this.iface!.snapLength;
      return new CaptureError(
        `record header says ${caplen} captured bytes, more than the snapshot length ${snap} ` +
          `allows (limit ${this.maxCaptured}); the file is damaged`,
        abs + PCAP_RECORD_HEADER.INCL_LEN,
        'format',
      );
    }
    return PCAP_RECORD_HEADER.LENGTH + caplen;
  }

  decode(view: DataView, bytes: Uint8Array, off: number, len: number, abs: number): CaptureError | null {
    if (!this.headerDone) return this.decodeFileHeader(view, off, abs);

    const le = this.le;
    const r = this.sink.record;
    const caplen = len - PCAP_RECORD_HEADER.LENGTH;
    const incl = view.getUint32(off + PCAP_RECORD_HEADER.INCL_LEN, le);
    const orig = view.getUint32(off + PCAP_RECORD_HEADER.ORIG_LEN, le);
    r.originalLength = caplen === incl ? orig : incl;
    r.capturedLength = caplen;

    let sec = view.getUint32(off + PCAP_RECORD_HEADER.TS_SEC, le);
    let nsec = view.getUint32(off + PCAP_RECORD_HEADER.TS_FRACTION, le);
    if (!this.nsec) nsec *= 1000;
    if (nsec >= 1_000_000_000) {
      // Out-of-range fraction: carry the whole seconds so tsNsec keeps its invariant.
      sec += Math.floor(nsec / 1_000_000_000);
      nsec %= 1_000_000_000;
      if (!this.warnedFraction) {
        this.warnedFraction = true;
        this.sink.warn(
          abs + PCAP_RECORD_HEADER.TS_FRACTION,
          `timestamp fraction is ${this.nsec ? 'a billion nanoseconds' : 'a million microseconds'} or more; carried into the seconds (first occurrence)`,
        );
      }
    }
    r.tsSec = sec;
    r.tsNsec = nsec;
    if (caplen > this.iface!.snapLength && this.iface!.snapLength !== 0 && !this.warnedSnaplen) {
      this.warnedSnaplen = true;
      this.sink.warn(
        abs + PCAP_RECORD_HEADER.INCL_LEN,
        `record has ${caplen} captured bytes, more than the snapshot length ${this.iface!.snapLength} (first occurrence)`,
      );
    }
    const start = off + PCAP_RECORD_HEADER.LENGTH;
    r.interfaceId = 0;
    r.linkType = this.iface!.linkType;
    r.tsPrecision = this.nsec ? 9 : 6;
    r.fcsLength = this.fcsLength;
    r.dataOffset = abs + PCAP_RECORD_HEADER.LENGTH;
    r.bytes = bytes;
    r.dataStart = start;
    r.comment = null;
    this.sink.emit();
    return null;
  }

  describeTruncation(abs: number, have: number, need: number | null): string {
    if (!this.headerDone) {
      return `pcap file header cut short: ${PCAP_FILE_HEADER.LENGTH} bytes needed, only ${have} present`;
    }
    if (need === null) {
      return `pcap record header cut short: ${PCAP_RECORD_HEADER.LENGTH} bytes needed, only ${have} present`;
    }
    const caplen = need - PCAP_RECORD_HEADER.LENGTH;
    return `pcap record cut short: header says ${caplen} captured bytes, only ${have - PCAP_RECORD_HEADER.LENGTH} present`;
  }

  private capturedLength(view: DataView, off: number): number {
    const incl = view.getUint32(off + PCAP_RECORD_HEADER.INCL_LEN, this.le);
    switch (this.lengthOrder) {
      case LengthOrder.Normal:
        return incl;
      case LengthOrder.Swapped:
        return view.getUint32(off + PCAP_RECORD_HEADER.ORIG_LEN, this.le);
      case LengthOrder.MaybeSwapped: {
        // libpcap sf-pcap.c: version 2.3 files exist in both orders; caplen ≤ len decides.
        const orig = view.getUint32(off + PCAP_RECORD_HEADER.ORIG_LEN, this.le);
        return incl <= orig ? incl : orig;
      }
    }
  }

  private decodeFileHeader(view: DataView, off: number, abs: number): CaptureError | null {
    const le = this.le;
    const major = view.getUint16(off + PCAP_FILE_HEADER.VERSION_MAJOR, le);
    const minor = view.getUint16(off + PCAP_FILE_HEADER.VERSION_MINOR, le);
    // libpcap sf-pcap.c reads 2.0–2.4 and DG/UX's 543.0; everything else is refused with
    // "unsupported pcap savefile version M.m" (tshark: "major version M unsupported").
    if (major === 2 && minor <= 4) {
      // Versions before 2.3 wrote len before caplen; 2.3 files exist both ways.
      this.lengthOrder = minor < 3 ? LengthOrder.Swapped : minor === 3 ? LengthOrder.MaybeSwapped : LengthOrder.Normal;
    } else if (major === 543 && minor === 0) {
      this.lengthOrder = LengthOrder.Swapped;
    } else {
      return new CaptureError(
        `unsupported pcap savefile version ${major}.${minor} (readable: 2.0 to 2.4)`,
        abs + PCAP_FILE_HEADER.VERSION_MAJOR,
        'format',
      );
    }
    const word = view.getUint32(off + PCAP_FILE_HEADER.LINKTYPE, le);
    const reserved = word & LT_RESERVED1_MASK;
    if (reserved !== 0) {
      // libpcap: "savefile linktype reserved field not zero (0x00300000)".
      return new CaptureError(
        `pcap link-type field has reserved bits set (0x${hex8(reserved)} in 0x${hex8(word)})`,
        abs + PCAP_FILE_HEADER.LINKTYPE,
        'format',
      );
    }
    this.fcsLength = (word & LT_FCS_LENGTH_PRESENT) !== 0 ? (word >>> 28) * 2 : 0;
    const snapLength = view.getUint32(off + PCAP_FILE_HEADER.SNAPLEN, le);
    this.maxCaptured = Math.max(MAX_SNAPLEN_FLOOR, Math.min(snapLength, MAX_SNAPLEN_CEILING));
    this.iface = {
      id: 0,
      linkType: word & LT_LINKTYPE_MASK,
      snapLength,
      tsPrecision: this.nsec ? 9 : 6,
      name: null,
    };
    this.headerDone = true;
    this.headerLength = PCAP_RECORD_HEADER.LENGTH;
    return null;
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
