// Hand-built hostile captures, one per trick in the issue: length fields that lie (a record of
// 4 GiB, pcapng block lengths of 0 and 0xFFFFFFFF, option lengths of 0 and 1), IHL below 5,
// IPv6 extension-header chains that run long or past the end, TCP data offsets below 5 or past
// the captured bytes. Each must end cleanly: a capture error (reading stops, what came before
// stands) or a malformed packet (flagged, counted, and the next packet read), with memory
// following the bytes present rather than the lengths claimed.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read.js';
import { memoryIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { flowReport, type FlowReport } from '../../src/flow/report.js';
import { analyzeBytes, type InputReport } from '../../src/pipeline.js';
import type { DecodedPacket } from '../../src/decode/types.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { ethernet, ipv4, ipv6, tcp } from '../decode/build.js';
import { ACK, FIN, PcapWriter, PSH, RST, SYN } from './pcap-writer.js';

interface Seen {
  frame: number;
  malformed: string | null;
  tracked: boolean;
}

function analyze(bytes: Uint8Array): { report: InputReport; segments: Seen[]; flows: FlowReport[] } {
  const segments: Seen[] = [];
  const flows: FlowReport[] = [];
  const report = analyzeBytes(bytes, {
    onSegment: (pkt: DecodedPacket, info) =>
      segments.push({ frame: pkt.frame, malformed: pkt.error ? `${pkt.error.layer}: ${pkt.error.detail}` : null, tracked: info !== null }),
    onFlow: (f) => flows.push(flowReport(f).report),
  });
  return { report, segments, flows };
}

/** A client 10.0.0.1:40000 talking to 10.0.0.2:80: handshake frames 1-3. */
function handshake(w: PcapWriter): void {
  w.tcp({ sport: 40000, dport: 80, seq: 100, flags: SYN, sec: 1_700_000_000 });
  w.tcp({ src: 0x0a000002, dst: 0x0a000001, sport: 80, dport: 40000, seq: 900, ack: 101, flags: SYN | ACK, sec: 1_700_000_000, usec: 10 });
  w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: ACK, sec: 1_700_000_000, usec: 20 });
}

const scratch = mkdtempSync(join(tmpdir(), 'synack-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;

async function cli(bytes: Uint8Array, ...argv: string[]): Promise<{ code: number; out: string; err: string; file: string }> {
  const dir = join(scratch, String(files++));
  mkdirSync(dir);
  const file = join(dir, 'hostile.pcap');
  writeFileSync(file, bytes);
  const io = memoryIo();
  const code = await run([...argv, file], io);
  return { code, out: io.out, err: io.err, file };
}

describe('capture length fields that lie', () => {
  it('a pcap record header claiming 4 GiB stops reading there, at once, keeping the records before it', async () => {
    const w = new PcapWriter();
    handshake(w);
    const cut = w.length;
    w.recordHeader(1_700_000_001, 0, 0xffffffff, 0xffffffff);
    w.bytes(new Uint8Array(100));
    const bytes = w.done();
    const before = process.memoryUsage().arrayBuffers;
    const { report, segments, flows } = analyze(bytes);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    expect(report.capture.error?.kind).toBe('format');
    // draft-ietf-opsawg-pcap §5: incl_len is the third word of the record header.
    expect(report.capture.error?.offset).toBe(cut + 8);
    expect(report.capture.error?.reason).toMatch(/4294967295 captured bytes/);
    expect(segments.map((s) => s.frame)).toEqual([1, 2, 3]);
    expect(flows).toHaveLength(1);

    const r = await cli(bytes, 'packets', '--format', 'ndjson');
    expect(r.code).toBe(3);
    expect(r.out.trim().split('\n')).toHaveLength(3);
    expect(r.err).toContain(`synack: ${r.file}: record header says 4294967295 captured bytes`);
    expect(r.err).toContain(`(byte offset ${cut + 8}); 3 frames read before it are reported`);
  });

  it('a record claiming 256 KiB of a file that stops: the parser holds only the bytes that came', async () => {
    const w = new PcapWriter();
    handshake(w);
    const cut = w.length;
    w.recordHeader(1_700_000_001, 0, 262144, 262144);
    w.bytes(new Uint8Array(1000));
    const bytes = w.done();
    // Stream it in 512-byte chunks: nothing may be allocated for the claimed 256 KiB.
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 512) chunks.push(bytes.slice(i, i + 512));
    let frames = 0;
    const summary = await readCapture(Readable.from(chunks), () => void frames++);
    expect(frames).toBe(3);
    expect(summary.error?.kind).toBe('truncated');
    expect(summary.error?.offset).toBe(cut);
    expect(summary.error?.reason).toBe('pcap record cut short: header says 262144 captured bytes, only 1000 present');
  });

  const pcapngWith = (patch: (w: PcapngWriter) => void): Uint8Array => {
    const w = new PcapngWriter(true).shb().idb(1, 65535);
    patch(w);
    return w.bytes();
  };
  const frame = Uint8Array.from([...ethernet(0x0800), ...ipv4({ payloadLength: 20 }), ...tcp({})]);

  for (const [claimed, says] of [
    [0, 'total length of 0, less than the minimum 12'],
    [8, 'total length of 8, less than the minimum 12'],
    [0xffffffff, 'total length of 4294967295, which is not a multiple of 4'],
    [0xfffffffc, 'total length of 4294967292, more than the 16777216-byte limit'],
  ] as const) {
    it(`a pcapng block length of ${claimed} is an error at its length field, after the packets before it`, () => {
      const good = pcapngWith((w) => w.epb(0, 0n, frame, frame.length));
      const bytes = new Uint8Array(good.length + 16);
      bytes.set(good);
      const v = new DataView(bytes.buffer);
      v.setUint32(good.length, 6, true); // an EPB...
      v.setUint32(good.length + 4, claimed, true); // ...whose total length lies
      const { report, segments } = analyze(bytes);
      expect(segments.map((s) => s.frame)).toEqual([1]);
      expect(report.capture.error?.offset).toBe(good.length + 4);
      expect(report.capture.error?.reason).toBe(`Enhanced Packet Block has a ${says}`);
    });
  }

  it('an if_tsresol option of length 0 or 1 byte too few is refused; a zero-length comment is fine', () => {
    // (The offsets below rest on an SHB of 28 bytes and an option-less IDB of 20: check that.)
    expect(pcapngWith(() => undefined).length).toBe(28 + 20);
    const w0 = new PcapngWriter(true).shb();
    w0.idb(1, 65535, [w0.option(9, new Uint8Array(0))]);
    const a = analyze(w0.bytes());
    // The IDB starts after the 28-byte SHB, its options after 16 bytes of fixed fields, and
    // the error points at the option's length field (code 2 bytes, then length).
    expect(a.report.capture.error?.reason).toBe('if_tsresol option has length 0, not 1');
    expect(a.report.capture.error?.offset).toBe(28 + 16 + 2);
    const w1 = new PcapngWriter(true).shb();
    w1.idb(1, 65535, [w1.option(9, Uint8Array.of(6, 6))]);
    expect(analyze(w1.bytes()).report.capture.error?.reason).toBe('if_tsresol option has length 2, not 1');
    const w2 = new PcapngWriter(true).shb().idb(1, 65535);
    w2.epb(0, 0n, frame, frame.length, [w2.option(1, new Uint8Array(0))]);
    const c = analyze(w2.bytes());
    expect(c.report.capture.error).toBeNull();
    expect(c.segments).toHaveLength(1);
  });

  it('an EPB option running past its block costs the options, not the packet', () => {
    const w = new PcapngWriter(true).shb().idb(1, 65535);
    const bogus = w.option(1, Uint8Array.of(0x41, 0x42, 0x43, 0x44));
    new DataView(bogus.buffer).setUint16(2, 0xffff, true); // opt_comment claiming 65535 bytes
    w.epb(0, 0n, frame, frame.length, [bogus]);
    w.epb(0, 1n, frame, frame.length);
    const { report, segments } = analyze(w.bytes());
    expect(report.capture.error).toBeNull();
    expect(segments.map((s) => s.frame)).toEqual([1, 2]);
    expect(report.capture.warnings.map((x) => x.message)).toEqual([
      'Enhanced Packet Block option 1 says 65535 bytes but only 8 remain in the block; packet kept without the remaining options',
    ]);
  });
});

describe('packet-level damage is flagged, counted, and the next packet read', () => {
  it('IHL below 5: not TCP, malformed, and the following segment is analysed', async () => {
    const w = new PcapWriter();
    handshake(w);
    w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: RST, ihl: 4, sec: 1_700_000_000, usec: 30 });
    w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: PSH | ACK, payload: 10, sec: 1_700_000_000, usec: 40 });
    const { report, segments, flows } = analyze(w.done());
    expect(report.capture.error).toBeNull();
    expect(report.frames).toBe(5);
    expect(report.malformed).toBe(1);
    expect(report.skipped.get('invalid IPv4 header')).toBe(1);
    // Frame 4 = record 4: data starts at 24 + 3 × (16 + 54) + 16; the IPv4 header 14 bytes in.
    expect(report.malformedExamples).toEqual(['IPv4 header: IHL says 16 bytes, less than the 20-byte minimum (frame 4, byte 0x108)']);
    expect(segments.map((s) => s.frame)).toEqual([1, 2, 3, 5]);
    expect(flows).toHaveLength(1);
    expect(flows[0]!.teardown.kind).not.toBe('reset');
    expect(flows[0]!.bytes.client).toBe(10);
  });

  it('TCP data offset below 5: shown with `malformed`, stream -1, and no state machine moves', async () => {
    // The same conversation twice: frame 4 is a RST with data offset 4 (16 bytes), or an
    // unrelated non-IP frame. The flow must come out identical, frame numbers included.
    const build = (bogus: boolean): Uint8Array => {
      const w = new PcapWriter();
      handshake(w);
      if (bogus) w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: RST | ACK, dataOffset: 4, sec: 1_700_000_000, usec: 30 });
      else {
        w.recordHeader(1_700_000_000, 30, 14 + 28, 14 + 28);
        w.bytes([...ethernet(0x0806), ...new Array(28).fill(0)]); // ARP
      }
      w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: FIN | ACK, sec: 1_700_000_000, usec: 40 });
      w.tcp({ src: 0x0a000002, dst: 0x0a000001, sport: 80, dport: 40000, seq: 901, ack: 102, flags: FIN | ACK, sec: 1_700_000_000, usec: 50 });
      w.tcp({ sport: 40000, dport: 80, seq: 102, ack: 902, flags: ACK, sec: 1_700_000_000, usec: 60 });
      return w.done();
    };
    const hostile = analyze(build(true));
    const clean = analyze(build(false));
    expect(hostile.flows).toEqual(clean.flows);
    expect(hostile.flows[0]!.teardown.kind).not.toBe('reset');
    expect(hostile.report.malformed).toBe(1);
    expect(hostile.segments.find((s) => s.frame === 4)).toEqual({
      frame: 4,
      malformed: 'TCP header: data offset says 16 bytes, less than the 20-byte minimum',
      tracked: false,
    });

    const r = await cli(build(true), 'packets', '--format', 'ndjson');
    expect(r.code).toBe(0);
    const records = r.out.trim().split('\n').map((l) => JSON.parse(l) as { frame: number; stream: number; malformed: string | null; flag_names: string[] });
    expect(records.map((x) => x.frame)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const bad = records[3]!;
    // Record 4's data starts at 24 + 3 × 70 + 16 = 250; the data offset byte is 14 + 20 + 12 in.
    expect(bad).toMatchObject({ stream: -1, flag_names: ['RST', 'ACK'] });
    expect(bad.malformed).toBe('TCP header: data offset says 16 bytes, less than the 20-byte minimum (frame 4, byte 0x128)');
    expect(records.filter((x) => x.malformed !== null)).toHaveLength(1);
    expect(r.err).toContain(`synack: ${r.file}: malformed: TCP header: data offset says 16 bytes, less than the 20-byte minimum (frame 4, byte 0x128)`);
    const t = await cli(build(true), 'packets');
    expect(t.err).toContain('1 malformed');
  });

  it('TCP data offset past the captured bytes (snaplen): flagged as truncated, still tracked', () => {
    const w = new PcapWriter();
    handshake(w);
    // Data offset 15 (60 bytes) with 40 option bytes, cut by the capture after 24 TCP bytes.
    w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: ACK, dataOffset: 15, options: new Array(40).fill(1), snap: 14 + 20 + 24, usec: 30, sec: 1_700_000_000 });
    w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: ACK, payload: 5, usec: 40, sec: 1_700_000_000 });
    const { report, segments } = analyze(w.done());
    expect(report.capture.error).toBeNull();
    expect(segments.map((s) => [s.frame, s.malformed, s.tracked])).toEqual([
      [1, null, true],
      [2, null, true],
      [3, null, true],
      [4, 'TCP header: data offset says 60 bytes, 24 captured', true],
      [5, null, true],
    ]);
  });

  it('TCP option lengths 0 and 1 stop the option walk with an exact error; the segment counts', () => {
    for (const len of [0, 1]) {
      const w = new PcapWriter();
      handshake(w);
      w.tcp({ sport: 40000, dport: 80, seq: 101, ack: 901, flags: ACK, options: [1, 1, 8, len], sec: 1_700_000_000, usec: 30 });
      const { segments, report } = analyze(w.done());
      expect(segments[3]).toEqual({ frame: 4, malformed: `TCP options: option kind 8 has length ${len}, less than 2`, tracked: true });
      expect(report.malformed).toBe(1);
    }
  });
});

describe('IPv6 extension-header chains', () => {
  const seg = tcp({ flags: 0x002 });
  /** `n` Destination Options headers of 8 bytes (PadN filling each), then TCP. */
  const chain = (n: number, payloadLength?: number): number[] => {
    const ext: number[] = [];
    for (let i = 0; i < n; i++) ext.push(i === n - 1 ? 6 : 60, 0, 1, 4, 0, 0, 0, 0);
    return [...ethernet(0x86dd), ...ipv6({ payloadLength: payloadLength ?? ext.length + seg.length, nextHeader: 60 }), ...ext, ...seg];
  };
  const one = (bytes: number[]): Uint8Array => {
    const w = new PcapWriter();
    w.recordHeader(1_700_000_000, 0, bytes.length, bytes.length);
    w.bytes(bytes);
    return w.done();
  };

  it('a chain of 7000 headers (56 000 bytes) is walked to the TCP header in linear time', () => {
    const t0 = performance.now();
    const { segments, report } = analyze(one(chain(7000)));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(report.malformed).toBe(0);
    expect(segments).toEqual([{ frame: 1, malformed: null, tracked: true }]);
  });

  it('a chain whose last header runs past the captured bytes is a truncation, and the next packet is read', () => {
    const bytes = chain(3);
    // Make the third header claim (255 + 1) × 8 bytes: it runs past the frame's end.
    const third = 14 + 40 + 16;
    bytes[third + 1] = 255;
    const w = new PcapWriter();
    w.recordHeader(1_700_000_000, 0, bytes.length, bytes.length);
    w.bytes(bytes);
    w.tcp({ sport: 1, dport: 2, seq: 1, flags: SYN });
    const { report, segments } = analyze(w.done());
    // From the third header on, 8 + 20 (TCP) bytes remain; it starts at file offset 24 + 16 + 70.
    expect(report.malformedExamples[0]).toBe('IPv6 extension header: Destination Options header says 2048 bytes, 28 captured (frame 1, byte 0x6e)');
    expect(report.skipped.get('truncated IPv6 extension header')).toBe(1);
    expect(segments.map((s) => s.frame)).toEqual([2]);
  });

  it('a chain that runs past the payload length (but not the frame) is invalid', () => {
    const bytes = chain(3, 16);
    const { report } = analyze(one(bytes));
    expect(report.malformedExamples[0]).toMatch(/^IPv6 extension header: Destination Options header of 8 bytes runs past the payload length \(0 bytes left\)/);
  });
});
