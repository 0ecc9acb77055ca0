// TCP header (RFC 9293 §3.1) and options: every field, the 12-bit flags with AE, tcp.len,
// each option kind, bad option lengths, and every truncated prefix of a header with options.

import { describe, expect, it } from 'vitest';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import { flagNames, tcpdumpFlags } from '../../src/decode/flags.js';
import { parseTcpOptions } from '../../src/decode/tcp-options.js';
import type { TcpOptions } from '../../src/decode/types.js';
import { be16, be32, ipv4, rec, tcp } from './build.js';

function raw(segment: number[], payload: number[] = [], extra = {}) {
  const out = newDecodedPacket();
  decodePacket(rec(101, [...ipv4({ payloadLength: segment.length + payload.length }), ...segment, ...payload], extra), out);
  return out;
}

// RFC 7323 Appendix / a typical Linux SYN: MSS 1460, SACK-permitted, TS 0x01020304/0, NOP, WS 7.
const SYN_OPTIONS = [2, 4, ...be16(1460), 4, 2, 8, 10, ...be32(0x01020304), ...be32(0), 1, 3, 3, 7];

function opts(bytes: number[]): { opts: TcpOptions; err: ReturnType<typeof parseTcpOptions> } {
  const o: TcpOptions = {};
  const d = Uint8Array.from(bytes);
  return { opts: o, err: parseTcpOptions(d, 0, d.length, d.length, o) };
}

describe('TCP header', () => {
  it('reads every fixed field', () => {
    const p = raw(tcp({ src: 0xfedc, dst: 443, seq: 0xfffffff0, ack: 0x80000001, flags: 0x010, window: 513, checksum: 0x1f2e, urgent: 7 }), [1, 2, 3]);
    expect(p.tcp).toMatchObject({
      srcPort: 0xfedc, dstPort: 443, seq: 0xfffffff0, ack: 0x80000001, headerLength: 20, flags: 0x010,
      window: 513, checksum: 0x1f2e, urgentPointer: 7, payloadLength: 3, payloadCaptured: 3, payloadOffset: 40,
    });
    expect(p.tcp?.options).toEqual({});
    expect(p.error).toBeNull();
  });

  it('keeps all 12 flag bits, AE (0x100) and the reserved bits included', () => {
    expect(raw(tcp({ flags: 0x1c2 })).tcp?.flags).toBe(0x1c2);
    expect(raw(tcp({ flags: 0xfff })).tcp?.flags).toBe(0xfff);
  });

  it('decodes the options of a SYN', () => {
    const p = raw(tcp({ options: SYN_OPTIONS }));
    expect(p.tcp?.headerLength).toBe(40);
    expect(p.tcp?.options).toEqual({ mss: 1460, sack_perm: true, ts_val: 0x01020304, ts_ecr: 0, wscale: 7 });
  });

  it('rejects a data offset below 5 words', () => {
    const p = raw(tcp({ dataOffsetBytes: 16 }));
    expect(p.error).toEqual({ kind: 'invalid', layer: 'TCP header', detail: 'data offset says 16 bytes, less than the 20-byte minimum', offset: 32 });
    expect(p.tcp?.srcPort).toBe(49152);
    // tshark's tcp.len still counts from the bogus offset: 20 IP payload bytes − 16 (edge frame 14).
    expect(p.tcp?.payloadLength).toBe(4);
  });

  it('reports a data offset beyond the IP length', () => {
    const segment = tcp({ options: SYN_OPTIONS }).slice(0, 24);
    segment[12] = 0xa0; // data offset 40 bytes in a 24-byte datagram payload
    const p = raw(segment);
    expect(p.error).toEqual({ kind: 'invalid', layer: 'TCP header', detail: 'data offset says 40 bytes, the IP length leaves 24', offset: 32 });
    expect(p.tcp?.payloadLength).toBe(0);
  });

  it('reports every truncated prefix of a 40-byte header, decoding what is present', () => {
    const segment = tcp({ seq: 5, ack: 6, flags: 0x012, window: 4000, checksum: 0xbeef, urgent: 0, options: SYN_OPTIONS });
    for (let n = 0; n < 40; n++) {
      // snaplen cut the frame: the IP total length still says 40 + 20.
      const bytes = [...ipv4({ payloadLength: 40 }), ...segment].slice(0, 20 + n);
      const out = newDecodedPacket();
      decodePacket(rec(101, bytes, { originalLength: 60 }), out);
      if (n < 16) {
        expect(out.tcp).toBeNull();
        expect(out.notTcp).toBe('truncated TCP header');
        expect(out.error).toEqual({ kind: 'truncated', layer: 'TCP header', detail: `header needs 20 bytes, ${n} captured`, offset: 20 });
        continue;
      }
      expect(out.tcp).toMatchObject({ srcPort: 49152, dstPort: 80, seq: 5, ack: 6, flags: 0x012, window: 4000, headerLength: 40, payloadLength: 0 });
      expect(out.tcp?.checksum).toBe(n >= 18 ? 0xbeef : 0);
      if (n < 20) {
        expect(out.error).toEqual({ kind: 'truncated', layer: 'TCP header', detail: `header needs 20 bytes, ${n} captured`, offset: 20 });
        expect(out.tcp?.options).toEqual({});
        continue;
      }
      expect(out.error).toEqual({ kind: 'truncated', layer: 'TCP header', detail: `data offset says 40 bytes, ${n} captured`, offset: 32 });
      // Options wholly captured are kept: MSS ends at 24, SACK-permitted at 26, TS at 36, WS at 40.
      const want: TcpOptions = {};
      if (n >= 24) want.mss = 1460;
      if (n >= 26) want.sack_perm = true;
      if (n >= 36) Object.assign(want, { ts_val: 0x01020304, ts_ecr: 0 });
      expect(out.tcp?.options).toEqual(want);
    }
  });
});

describe('TCP options', () => {
  it('reads SACK blocks (RFC 2018 §3)', () => {
    const r = opts([1, 1, 5, 18, ...be32(100), ...be32(200), ...be32(0xfffffff0), ...be32(16)]);
    expect(r.opts.sack).toEqual([[100, 200], [0xfffffff0, 16]]);
    expect(r.err).toBeNull();
  });

  it('reads TFO kind 34 (cookie and request) and kind 254 with magic 0xF989 (RFC 7413 §4.1.1)', () => {
    expect(opts([34, 10, 1, 2, 3, 4, 5, 6, 7, 8]).opts.tfo).toEqual({ kind: 34, cookie: '0102030405060708' });
    expect(opts([34, 2]).opts.tfo).toEqual({ kind: 34, cookie: '' });
    expect(opts([254, 8, 0xf9, 0x89, 0xde, 0xad, 0xbe, 0xef]).opts.tfo).toEqual({ kind: 254, cookie: 'deadbeef' });
    expect(opts([254, 4, 0xf9, 0x89]).opts.tfo).toEqual({ kind: 254, cookie: '' });
    // AccECN's experimental option (ExID 0xACC0) is not TFO: kept as unknown.
    const acc = opts([254, 4, 0xac, 0xc0]);
    expect(acc.opts.tfo).toBeUndefined();
    expect(acc.opts.unknown).toEqual([{ kind: 254, data: 'acc0' }]);
  });

  it('names MPTCP subtypes (RFC 8684 §3)', () => {
    const names = ['MP_CAPABLE', 'MP_JOIN', 'DSS', 'ADD_ADDR', 'REMOVE_ADDR', 'MP_PRIO', 'MP_FAIL', 'MP_FASTCLOSE', 'MP_TCPRST'];
    names.forEach((name, subtype) => {
      expect(opts([30, 4, (subtype << 4) | 1, 0x81]).opts.mptcp).toEqual({ subtype, name, data: `${((subtype << 4) | 1).toString(16).padStart(2, '0')}81` });
    });
    expect(opts([30, 3, 0xf0]).opts.mptcp?.name).toBe('MP_EXPERIMENTAL');
  });

  it('reads MD5 (RFC 2385) and TCP-AO (RFC 5925 §2.2)', () => {
    const digest = Array.from({ length: 16 }, (_, i) => i);
    expect(opts([19, 18, ...digest]).opts.md5).toBe('000102030405060708090a0b0c0d0e0f');
    expect(opts([29, 8, 3, 4, 0xa1, 0xa2, 0xa3, 0xa4]).opts.ao).toEqual({ keyid: 3, rnextkeyid: 4, mac: 'a1a2a3a4' });
  });

  it('keeps unknown kinds with their bytes, in order, and stops at EOL', () => {
    const r = opts([27, 8, 1, 2, 3, 4, 5, 6, 28, 4, 0x80, 0x01, 0, 2, 4, 5, 0xb4]);
    expect(r.opts.unknown).toEqual([{ kind: 27, data: '010203040506' }, { kind: 28, data: '8001' }]);
    expect(r.opts.mss).toBeUndefined();
    expect(r.err).toBeNull();
  });

  it('stops at a length of 0 or 1, keeping what came before', () => {
    for (const len of [0, 1]) {
      const r = opts([2, 4, ...be16(536), 8, len, 0, 0]);
      expect(r.opts).toEqual({ mss: 536 });
      expect(r.err).toEqual({ kind: 'invalid', layer: 'TCP options', detail: `option kind 8 has length ${len}, less than 2`, offset: 5 });
    }
  });

  it('stops at an option running past the header end', () => {
    const r = opts([3, 3, 14, 8, 10, 0, 0, 0, 1]);
    expect(r.opts).toEqual({ wscale: 14 });
    expect(r.err).toEqual({ kind: 'invalid', layer: 'TCP options', detail: 'option kind 8 has length 10, 6 bytes left in the header', offset: 3 });
    const lone = opts([1, 1, 1, 2]);
    expect(lone.err).toEqual({ kind: 'invalid', layer: 'TCP options', detail: 'option kind 2 has no length byte in the header', offset: 3 });
  });

  it('skips a known option with the wrong length and goes on (Wireshark: "option length should be 10")', () => {
    // The SYN of zeek/tcp/truncated-header.pcap: MSS, SACK-permitted, timestamps with length 8.
    const r = opts([2, 4, 5, 0xb4, 4, 2, 8, 8, 0, 0, 0, 1, 0, 0, 3, 3, 2, 0]);
    expect(r.opts).toEqual({ mss: 1460, sack_perm: true, wscale: 2 });
    expect(r.err).toEqual({ kind: 'invalid', layer: 'TCP options', detail: 'option kind 8 has length 8, should be 10', offset: 7 });
  });
});

describe('flag names', () => {
  it('lists flags in RFC bit order, FIN first', () => {
    expect(flagNames(0x012)).toEqual(['SYN', 'ACK']);
    expect(flagNames(0x1ff)).toEqual(['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE']);
    expect(flagNames(0)).toEqual([]);
  });

  it("prints tcpdump's bracket text (print-tcp.c order F S R P . U E W e)", () => {
    expect(tcpdumpFlags(0x002)).toBe('S');
    expect(tcpdumpFlags(0x012)).toBe('S.');
    expect(tcpdumpFlags(0x011)).toBe('F.');
    expect(tcpdumpFlags(0x0ff)).toBe('FSRP.UEW');
    expect(tcpdumpFlags(0x1c2)).toBe('SEWe');
    expect(tcpdumpFlags(0)).toBe('none');
  });
});
