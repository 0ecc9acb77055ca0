// IPv4 (RFC 791) and IPv6 (RFC 8200) headers: addresses, lengths, options, TSO, jumbograms,
// extension-header chains, fragments, and every truncated prefix of each header.

import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/decode/address.js';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import { be16, be32, ipv4, ipv6, rec, tcp } from './build.js';

const seg = tcp({ src: 1234, dst: 80, seq: 1000, flags: 0x018 });
const data = [0x47, 0x45, 0x54, 0x20]; // "GET "

function raw(bytes: number[], extra = {}) {
  const out = newDecodedPacket();
  decodePacket(rec(101, bytes, extra), out);
  return out;
}

describe('IPv4', () => {
  it('reads addresses, TTL and the TCP length from the total length', () => {
    const p = raw([...ipv4({ payloadLength: 24, ttl: 55 }), ...seg, ...data]);
    expect(formatAddress(4, p.srcAddr)).toBe('192.0.2.1');
    expect(formatAddress(4, p.dstAddr)).toBe('198.51.100.7');
    expect(p.ttl).toBe(55);
    expect(p.tcp?.payloadLength).toBe(4);
    expect(p.tcp?.payloadCaptured).toBe(4);
    expect(p.tcp?.payloadOffset).toBe(40);
  });

  it('skips IPv4 options by IHL (Router Alert, RFC 2113: 94 04 00 00)', () => {
    const p = raw([...ipv4({ payloadLength: 24, options: [0x94, 0x04, 0x00, 0x00] }), ...seg, ...data]);
    expect(p.tcp?.srcPort).toBe(1234);
    expect(p.tcp?.payloadOffset).toBe(44);
    expect(p.tcp?.payloadLength).toBe(4);
  });

  it('ignores link padding after the datagram', () => {
    const p = raw([...ipv4({ payloadLength: 20 }), ...seg, 0, 0, 0, 0, 0, 0]);
    expect(p.tcp?.payloadLength).toBe(0);
    expect(p.tcp?.payloadCaptured).toBe(0);
  });

  it('takes total length 0 as TSO: the datagram runs to the end of the frame', () => {
    const p = raw([...ipv4({ payloadLength: 0, total: 0 }), ...seg, ...data]);
    expect(p.tcp?.payloadLength).toBe(4);
    expect(p.error).toBeNull();
    // ...as far as the frame went on the wire, beyond the snaplen
    const cut = raw([...ipv4({ payloadLength: 0, total: 0 }), ...seg, ...data], { originalLength: 1064 });
    expect(cut.tcp?.payloadLength).toBe(1064 - 40);
    expect(cut.tcp?.payloadCaptured).toBe(4);
  });

  it('counts tcp.len from the total length when snaplen cut the payload', () => {
    const bytes = [...ipv4({ payloadLength: 1480 }), ...seg, ...data];
    const p = raw(bytes, { originalLength: 1500 });
    expect(p.tcp?.payloadLength).toBe(1460);
    expect(p.tcp?.payloadCaptured).toBe(4);
    expect(p.error).toBeNull();
  });

  it('skips fragments: non-first, and first with MF set', () => {
    const nonFirst = raw([...ipv4({ payloadLength: 24, flagsFragment: 0x0003 }), ...seg, ...data]);
    expect(nonFirst.tcp).toBeNull();
    expect(nonFirst.notTcp).toBe('IPv4 non-first fragment');
    expect(nonFirst.ipVersion).toBe(4);
    const first = raw([...ipv4({ payloadLength: 24, flagsFragment: 0x2000 }), ...seg, ...data]);
    expect(first.tcp).toBeNull();
    expect(first.notTcp).toBe('IPv4 first fragment (not reassembled)');
  });

  it('names other protocols', () => {
    expect(raw([...ipv4({ payloadLength: 8, protocol: 17 }), ...new Array(8).fill(0)]).notTcp).toBe('UDP');
    expect(raw([...ipv4({ payloadLength: 8, protocol: 1 }), ...new Array(8).fill(0)]).notTcp).toBe('ICMP');
    expect(raw([...ipv4({ payloadLength: 8, protocol: 253 }), ...new Array(8).fill(0)]).notTcp).toBe('IP protocol 253');
  });

  it('rejects IHL below 5 and total length below IHL', () => {
    const small = [...ipv4({ payloadLength: 20 }), ...seg];
    small[0] = 0x44;
    expect(raw(small).error).toEqual({ kind: 'invalid', layer: 'IPv4 header', detail: 'IHL says 16 bytes, less than the 20-byte minimum', offset: 0 });
    const p = raw([...ipv4({ payloadLength: 20, total: 12 }), ...seg]);
    expect(p.error).toEqual({ kind: 'invalid', layer: 'IPv4 header', detail: 'total length says 12 bytes, less than the 20-byte header', offset: 2 });
    expect(p.tcp).toBeNull();
  });

  it('notes a total length beyond the frame and keeps what the frame holds', () => {
    const p = raw([...ipv4({ payloadLength: 20, total: 100 }), ...seg]);
    expect(p.error).toEqual({ kind: 'invalid', layer: 'IPv4 header', detail: 'total length says 100 bytes, the frame holds 40', offset: 2 });
    expect(p.tcp?.payloadLength).toBe(0);
  });

  it('reports every truncated prefix of a 24-byte header', () => {
    const frame = [...ipv4({ payloadLength: 20, options: [1, 1, 1, 0] }), ...seg];
    for (let n = 1; n < 24; n++) {
      const p = raw(frame.slice(0, n));
      expect(p.tcp).toBeNull();
      expect(p.ipVersion).toBe(0);
      expect(p.error).toEqual(
        n < 20
          ? { kind: 'truncated', layer: 'IPv4 header', detail: `header needs 20 bytes, ${n} captured`, offset: 0 }
          : { kind: 'truncated', layer: 'IPv4 header', detail: `IHL says 24 bytes, ${n} captured`, offset: 0 },
      );
    }
  });
});

describe('IPv6', () => {
  const v6 = (nextHeader: number, exts: number[], payload: number[]) => [
    ...ipv6({ payloadLength: exts.length + payload.length, nextHeader }),
    ...exts,
    ...payload,
  ];
  // RFC 8200 §4.3/§4.6: next header, Hdr Ext Len 0, then a PadN option of 4 bytes (type 1, len 4).
  const opts8 = (next: number) => [next, 0, 1, 4, 0, 0, 0, 0];
  // RFC 8200 §4.4: Routing header type 0, segments left 0, reserved, one address (len 2 = 24 bytes).
  const routing = (next: number) => [next, 2, 0, 0, 0, 0, 0, 0, ...new Array(16).fill(0x11)];
  // RFC 8200 §4.5: next header, reserved, offset/res/M, identification.
  const fragment = (next: number, offset8: number, more: boolean) => [next, 0, ...be16((offset8 << 3) | (more ? 1 : 0)), ...be32(0xcafe)];
  // RFC 4302 §2: next, payload len (in 4-byte words minus 2: 4 → 24 bytes), reserved, SPI, seq, 12-byte ICV.
  const ah = (next: number) => [next, 4, 0, 0, ...be32(0x100), ...be32(1), ...new Array(12).fill(0xaa)];

  it('reads addresses and hop limit', () => {
    const p = raw(v6(6, [], [...seg, ...data]));
    expect(formatAddress(6, p.srcAddr)).toBe('2001:db8::1');
    expect(formatAddress(6, p.dstAddr)).toBe('2001:db8::2');
    expect(p.ttl).toBe(64);
    expect(p.tcp?.payloadLength).toBe(4);
  });

  it('walks Hop-by-Hop, Destination, Routing, atomic Fragment and AH headers to TCP', () => {
    const exts = [...opts8(60), ...opts8(43), ...routing(44), ...fragment(51, 0, false), ...ah(6)];
    const p = raw(v6(0, exts, [...seg, ...data]));
    expect(p.error).toBeNull();
    expect(p.tcp?.srcPort).toBe(1234);
    expect(p.tcp?.payloadOffset).toBe(40 + 8 + 8 + 24 + 8 + 24 + 20);
    expect(p.tcp?.payloadLength).toBe(4);
  });

  it('skips non-first fragments and first fragments with M set', () => {
    expect(raw(v6(44, fragment(6, 185, false), [...seg])).notTcp).toBe('IPv6 non-first fragment');
    expect(raw(v6(44, fragment(6, 0, true), [...seg])).notTcp).toBe('IPv6 first fragment (not reassembled)');
  });

  it('names ICMPv6, ESP and no-next-header', () => {
    expect(raw(v6(58, [], [128, 0, 0, 0])).notTcp).toBe('IPv6 ICMP');
    expect(raw(v6(0, opts8(58), [128, 0, 0, 0])).notTcp).toBe('IPv6 ICMP');
    expect(raw(v6(50, [], [0, 0, 0, 1, 0, 0, 0, 1])).notTcp).toBe('ESP');
    expect(raw(v6(59, [], [])).notTcp).toBe('IPv6 no next header');
  });

  it('takes a jumbogram length from the Hop-by-Hop Jumbo Payload option (RFC 2675)', () => {
    // Payload length 0; HBH: next 6, len 0, Jumbo (0xC2, 4, 80040). 80040 = 8 + 20 + 80012.
    const hbh = [6, 0, 0xc2, 4, ...be32(80040)];
    const p = raw([...ipv6({ payloadLength: 0, nextHeader: 0 }), ...hbh, ...seg, ...data], { originalLength: 80080 });
    expect(p.error).toBeNull();
    expect(p.tcp?.payloadLength).toBe(80012);
    expect(p.tcp?.payloadCaptured).toBe(4);
  });

  it('rejects payload length 0 without a Jumbo option, as tshark does (edge frame 41)', () => {
    const want = { kind: 'invalid', layer: 'IPv6 header', detail: 'payload length is 0 and no Jumbo Payload option follows', offset: 4 };
    const plain = raw([...ipv6({ payloadLength: 0 }), ...seg, ...data]);
    expect(plain.error).toEqual(want);
    expect(plain.tcp).toBeNull();
    expect(plain.notTcp).toBe('invalid IPv6 header');
    // A Hop-by-Hop header holding only PadN is no jumbogram either.
    expect(raw([...ipv6({ payloadLength: 0, nextHeader: 0 }), 6, 0, 1, 4, 0, 0, 0, 0, ...seg]).error).toEqual(want);
  });

  it('stops a chain that runs past the payload length or the capture', () => {
    const past = raw([...ipv6({ payloadLength: 16, nextHeader: 43 }), ...routing(6), ...seg]);
    expect(past.error).toEqual({
      kind: 'invalid', layer: 'IPv6 extension header',
      detail: 'Routing header of 24 bytes runs past the payload length (16 bytes left)', offset: 40,
    });
    expect(past.tcp).toBeNull();
    const frame = v6(0, [...opts8(43), ...routing(6)], seg);
    for (let n = 40; n < 80; n++) {
      const p = raw(frame.slice(0, n), { originalLength: frame.length });
      let want;
      if (n < 42) want = { kind: 'truncated', layer: 'IPv6 extension header', detail: `header needs 2 bytes, ${n - 40} captured`, offset: 40 };
      else if (n < 48) want = { kind: 'truncated', layer: 'IPv6 extension header', detail: `Hop-by-Hop Options header says 8 bytes, ${n - 40} captured`, offset: 40 };
      else if (n < 50) want = { kind: 'truncated', layer: 'IPv6 extension header', detail: `header needs 2 bytes, ${n - 48} captured`, offset: 48 };
      else if (n < 72) want = { kind: 'truncated', layer: 'IPv6 extension header', detail: `Routing header says 24 bytes, ${n - 48} captured`, offset: 48 };
      else want = { kind: 'truncated', layer: 'TCP header', detail: `header needs 20 bytes, ${n - 72} captured`, offset: 72 };
      expect(p.error).toEqual(want);
      expect(p.ipVersion).toBe(6);
    }
  });

  it('reports every truncated prefix of the fixed header', () => {
    const frame = v6(6, [], seg);
    for (let n = 1; n < 40; n++) {
      const p = raw(frame.slice(0, n));
      expect(p.error).toEqual({ kind: 'truncated', layer: 'IPv6 header', detail: `header needs 40 bytes, ${n} captured`, offset: 0 });
      expect(p.ipVersion).toBe(0);
    }
  });
});
