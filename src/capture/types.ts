// Capture-level types shared by every reader: one record stream, whatever the file format.

/** Which container the bytes were in; detected from the magic number, never the file name. */
export type CaptureFormat =
  | 'pcap-le-usec'
  | 'pcap-be-usec'
  | 'pcap-le-nsec'
  | 'pcap-be-nsec'
  | 'pcapng';

/**
 * One captured frame. Readers hand out a single scratch object per file and overwrite it for
 * every record: the packet bytes stay in the reader's current chunk (`bytes`, from `dataStart`)
 * and are valid only until the callback returns. Anything kept longer must be copied.
 */
export interface CaptureRecord {
  /** 1-based, counting every packet record in the file (EPB, SPB, OPB; classic pcap records). */
  frame: number;
  /** pcapng interface id; 0 for classic pcap. */
  interfaceId: number;
  /** LINKTYPE_* value of the record's interface (FCS bits already stripped off). */
  linkType: number;
  /** Epoch seconds (integer, may be negative with if_tsoffset). */
  tsSec: number;
  /** Nanoseconds within the second, 0 ≤ tsNsec < 1e9, always an integer. */
  tsNsec: number;
  /** Decimal digits the capture's clock resolves: 6 for µs pcap, 9 for ns, 0..9 for pcapng. */
  tsPrecision: number;
  /** Bytes of packet data present (from `dataStart` in `bytes`). */
  capturedLength: number;
  /** Length of the packet on the wire (may exceed capturedLength when snaplen cut it). */
  originalLength: number;
  /** Number of FCS bytes at the end of the packet data (pcap link-type FCS bits, pcapng if_fcslen). */
  fcsLength: number;
  /** Absolute byte offset of the packet data in the (decompressed) file. */
  dataOffset: number;
  /**
   * The buffer holding the packet data: the reader's current chunk, or its carry buffer for a
   * record that straddled two chunks. The packet is bytes[dataStart, dataStart + capturedLength).
   * Decoders read it in place, so reading a record allocates nothing.
   */
  bytes: Uint8Array;
  /** Index of the packet's first byte in `bytes`. */
  dataStart: number;
  /**
   * The packet bytes as a view of their own, for consumers that need one record's bytes. The
   * readers make it on each access (an allocation): hot paths read `bytes` from `dataStart`.
   */
  readonly data: Uint8Array;
  /** pcapng opt_comment values joined with "\n", or null. */
  comment: string | null;
}

/** Static facts about the capture, known after its header (or first SHB/IDB) is read. */
export interface CaptureInterface {
  id: number;
  linkType: number;
  snapLength: number;
  tsPrecision: number;
  name: string | null;
}

/**
 * A capture-level problem that ends reading: bad magic, unsupported version, truncated record,
 * impossible block length. Everything read before it remains valid.
 */
export class CaptureError extends Error {
  constructor(
    /** Sentence saying what was wrong, without the file name (the CLI adds it). */
    readonly reason: string,
    /** Byte offset in the (decompressed) file where the problem starts. */
    readonly offset: number,
    /** Kind of damage, for exit codes and tests. */
    readonly kind: 'format' | 'truncated' | 'io',
  ) {
    super(`${reason} (byte offset ${offset})`);
    this.name = 'CaptureError';
  }
}

/** Non-fatal remark about the capture (skipped block, unknown option...). */
export interface CaptureWarning {
  offset: number;
  message: string;
}
