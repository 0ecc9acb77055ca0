// Link layers: Ethernet II, 802.3 LLC, VLAN stacks, PPPoE, Linux SLL/SLL2, NULL/LOOP, raw IP,
// unknown link types, FCS stripping, and every truncated prefix of the link headers.

import { describe, expect, it } from 'vitest';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import { be16, be32, ethernet, ipv4, ipv6, le32, rec, tcp, vlanTag } from './build.js';

const seg = tcp({ src: 1234, dst: 80, seq: 1000, flags: 0x002 });
const ip4 = [...ipv4({ payloadLength: seg.length }), ...seg];
const ip6 = [...ipv6({ payloadLength: seg.length }), ...seg];

function decode(linkType: number, bytes: number[], extra = {}) {
  const out = newDecodedPacket();
  decodePacket(rec(linkType, bytes, extra), out);
  return out;
}

describe('Ethernet II (link type 1)', () => {
  it('decodes IPv4 over Ethernet to the TCP header', () => {
    const p = decode(1, [...ethernet(0x0800), ...ip4]);
    expect(p.error).toBeNull();
    expect(p.notTcp).toBeNull();
    expect(p.ipVersion).toBe(4);
    expect(p.ipOffset).toBe(14);
    expect(p.tcp?.srcPort).toBe(1234);
    expect(p.tcp?.seq).toBe(1000);
  });

  it('decodes IPv6 over Ethernet', () => {
    const p = decode(1, [...ethernet(0x86dd), ...ip6]);
    expect(p.ipVersion).toBe(6);
    expect(p.tcp?.dstPort).toBe(80);
  });

  it('names ARP, LLDP and 802.3 length frames as not TCP', () => {
    expect(decode(1, [...ethernet(0x0806), ...new Array(28).fill(0)]).notTcp).toBe('ARP');
    expect(decode(1, [...ethernet(0x88cc), 0, 0]).notTcp).toBe('ethertype 0x88cc');
    // IEEE 802.3 length 38 followed by an LLC header (STP: DSAP 0x42, SSAP 0x42, UI).
    const llc = decode(1, [...ethernet(38), 0x42, 0x42, 0x03, ...new Array(35).fill(0)]);
    expect(llc.notTcp).toBe('802.3 LLC frame');
    expect(llc.error).toBeNull();
  });

  it('reports every truncated prefix of the 14-byte header', () => {
    const frame = [...ethernet(0x0800), ...ip4];
    for (let n = 0; n < 14; n++) {
      const p = decode(1, frame.slice(0, n));
      expect(p.tcp).toBeNull();
      expect(p.error).toEqual({ kind: 'truncated', layer: 'Ethernet', detail: `header needs 14 bytes, ${n} captured`, offset: 0 });
    }
  });

  it('ignores the FCS the capture kept (fcsLength) but not when snaplen cut it off', () => {
    // IPv4 total length 40 + 4 FCS bytes; with the FCS counted as data tcp.len would not change,
    // but an FCS inside a 20-byte TCP header with TSO length would. Use IPv4 TSO (total 0):
    const tso = [...ethernet(0x0800), ...ipv4({ payloadLength: 20, total: 0 }), ...seg, 0xde, 0xad, 0xbe, 0xef];
    expect(decode(1, tso, { fcsLength: 4 }).tcp?.payloadLength).toBe(0);
    expect(decode(1, tso, { fcsLength: 0 }).tcp?.payloadLength).toBe(4);
  });
});

describe('VLAN tags', () => {
  it('reads one 802.1Q tag', () => {
    const p = decode(1, [...ethernet(0x8100), ...vlanTag(100, 0x0800), ...ip4]);
    expect(p.vlanIds).toEqual([100]);
    expect(p.ipOffset).toBe(18);
    expect(p.tcp?.srcPort).toBe(1234);
  });

  it('reads 802.1ad + 802.1Q (QinQ) and a legacy 0x9100 stack of three, outermost first', () => {
    const qinq = decode(1, [...ethernet(0x88a8), ...vlanTag(10, 0x8100), ...vlanTag(20, 0x86dd), ...ip6]);
    expect(qinq.vlanIds).toEqual([10, 20]);
    expect(qinq.tcp).not.toBeNull();
    const three = decode(1, [...ethernet(0x9100), ...vlanTag(1, 0x9100), ...vlanTag(2, 0x8100), ...vlanTag(4095, 0x0800), ...ip4]);
    expect(three.vlanIds).toEqual([1, 2, 4095]);
    expect(three.ipOffset).toBe(26);
  });

  it('keeps only the 12-bit VID of the TCI (PCP and DEI dropped)', () => {
    const p = decode(1, [...ethernet(0x8100), 0xe0 | 0x10 | 0x0a, 0xbc, ...be16(0x0800), ...ip4]);
    expect(p.vlanIds).toEqual([0xabc]);
  });

  it('reports every truncated prefix of a tag', () => {
    const frame = [...ethernet(0x88a8), ...vlanTag(10, 0x8100), ...vlanTag(20, 0x0800), ...ip4];
    for (let n = 14; n < 22; n++) {
      const p = decode(1, frame.slice(0, n));
      const inFirst = n < 18;
      expect(p.error).toEqual({
        kind: 'truncated',
        layer: inFirst ? '802.1ad tag' : '802.1Q tag',
        detail: `header needs 4 bytes, ${n - (inFirst ? 14 : 18)} captured`,
        offset: inFirst ? 14 : 18,
      });
    }
  });
});

describe('PPPoE session (RFC 2516)', () => {
  // VER 1 TYPE 1, CODE 0 (session data), SESSION_ID, LENGTH, then PPP protocol 0x0021 (IPv4).
  const pppoe = (proto: number, len: number) => [0x11, 0x00, ...be16(0x1234), ...be16(len + 2), ...be16(proto)];

  it('carries IPv4 (PPP 0x0021) and IPv6 (PPP 0x0057), also inside VLAN tags', () => {
    expect(decode(1, [...ethernet(0x8864), ...pppoe(0x0021, ip4.length), ...ip4]).tcp?.srcPort).toBe(1234);
    const v = decode(1, [...ethernet(0x8100), ...vlanTag(5, 0x8100), ...vlanTag(6, 0x8864), ...pppoe(0x0057, ip6.length), ...ip6]);
    expect(v.vlanIds).toEqual([5, 6]);
    expect(v.ipVersion).toBe(6);
    expect(v.ipOffset).toBe(14 + 8 + 8);
  });

  it('names other PPP protocols and reports a cut header', () => {
    expect(decode(1, [...ethernet(0x8864), ...pppoe(0xc021, 4), 1, 1, 0, 4]).notTcp).toBe('PPP protocol 0xc021');
    expect(decode(1, [...ethernet(0x8864), 0x11, 0x00, 0x12]).error).toEqual({
      kind: 'truncated', layer: 'PPPoE session', detail: 'header needs 8 bytes, 3 captured', offset: 14,
    });
  });
});

describe('Linux cooked capture', () => {
  // SLL: packet type 0 (to us), ARPHRD_ETHER 1, address length 6, 8 address bytes, protocol.
  const sll = (proto: number) => [...be16(0), ...be16(1), ...be16(6), 2, 0, 0, 0, 0, 1, 0, 0, ...be16(proto)];
  // SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, 8 address bytes.
  const sll2 = (proto: number) => [...be16(proto), 0, 0, ...be32(2), ...be16(1), 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];

  it('SLL (113) hands the protocol field on as an EtherType', () => {
    const p = decode(113, [...sll(0x0800), ...ip4]);
    expect(p.ipOffset).toBe(16);
    expect(p.tcp?.srcPort).toBe(1234);
    expect(decode(113, [...sll(0x0004), 0x42, 0x42, 0x03]).notTcp).toBe('Linux cooked protocol 0x0004');
    expect(decode(113, [...sll(0x8100), ...vlanTag(7, 0x86dd), ...ip6]).vlanIds).toEqual([7]);
  });

  it('SLL2 (276) puts the protocol first', () => {
    const p = decode(276, [...sll2(0x86dd), ...ip6]);
    expect(p.ipOffset).toBe(20);
    expect(p.ipVersion).toBe(6);
    expect(p.tcp?.dstPort).toBe(80);
  });

  it('reports every truncated prefix of both headers', () => {
    for (let n = 0; n < 16; n++) {
      expect(decode(113, sll(0x0800).slice(0, n)).error).toEqual({
        kind: 'truncated', layer: 'Linux cooked (SLL)', detail: `header needs 16 bytes, ${n} captured`, offset: 0,
      });
    }
    for (let n = 0; n < 20; n++) {
      expect(decode(276, sll2(0x0800).slice(0, n)).error).toEqual({
        kind: 'truncated', layer: 'Linux cooked (SLL2)', detail: `header needs 20 bytes, ${n} captured`, offset: 0,
      });
    }
  });
});

describe('BSD loopback NULL (0) and LOOP (108)', () => {
  it('reads the NULL family in either byte order', () => {
    expect(decode(0, [...le32(2), ...ip4]).ipVersion).toBe(4);
    expect(decode(0, [...be32(2), ...ip4]).ipVersion).toBe(4);
    for (const af6 of [24, 28, 30]) {
      expect(decode(0, [...le32(af6), ...ip6]).ipVersion).toBe(6);
      expect(decode(0, [...be32(af6), ...ip6]).tcp?.srcPort).toBe(1234);
    }
    expect(decode(0, [...le32(7), 0, 0]).notTcp).toBe('address family 7');
  });

  it('takes a NULL value above 1500 as an EtherType in its low 16 bits, as tshark does', () => {
    // Frame 3 of PcapPlusPlus null_loopback.pcap starts 0f 00 08 00 45 00: tshark shows IPv4.
    const p = decode(0, [0x0f, 0x00, 0x08, 0x00, ...ipv4({ payloadLength: 8, protocol: 17 }), ...new Array(8).fill(0)]);
    expect(p.ipVersion).toBe(4);
    expect(p.notTcp).toBe('UDP');
  });

  it('reads LOOP in network order only', () => {
    expect(decode(108, [...be32(2), ...ip4]).ipOffset).toBe(4);
    expect(decode(108, [...be32(30), ...ip6]).ipVersion).toBe(6);
    // 02 00 00 00 is AF 0x02000000 in network order, not AF_INET.
    expect(decode(108, [...le32(2), ...ip4]).notTcp).toBe(`address family ${0x02000000}`);
  });

  it('reports every truncated prefix of the 4-byte header', () => {
    for (let n = 0; n < 4; n++) {
      expect(decode(0, le32(2).slice(0, n)).error).toEqual({
        kind: 'truncated', layer: 'Loopback (NULL)', detail: `header needs 4 bytes, ${n} captured`, offset: 0,
      });
      expect(decode(108, be32(2).slice(0, n)).error?.layer).toBe('Loopback (LOOP)');
    }
  });
});

describe('raw IP', () => {
  it('lets the version nibble decide for 101, 12 and 14', () => {
    for (const lt of [101, 12, 14]) {
      expect(decode(lt, ip4).ipVersion).toBe(4);
      expect(decode(lt, ip6).ipVersion).toBe(6);
      expect(decode(lt, [0x50, 0, 0, 0]).notTcp).toBe('raw IP version 5');
      expect(decode(lt, []).notTcp).toBe('empty frame');
    }
  });

  it('fixes the version for 228 (IPv4) and 229 (IPv6)', () => {
    expect(decode(228, ip4).tcp?.srcPort).toBe(1234);
    expect(decode(229, ip6).tcp?.srcPort).toBe(1234);
    const wrong = decode(228, ip6);
    expect(wrong.tcp).toBeNull();
    expect(wrong.error).toEqual({ kind: 'invalid', layer: 'IPv4 header', detail: 'version is 6, not 4', offset: 0 });
  });
});

describe('dispatch', () => {
  it('names unknown link types', () => {
    const p = decode(147, ip4);
    expect(p.notTcp).toBe('unknown link type 147');
    expect(p.error).toBeNull();
  });

  it('resets every field of the reused packet', () => {
    const out = newDecodedPacket();
    decodePacket(rec(1, [...ethernet(0x8100), ...vlanTag(9, 0x86dd), ...ip6]), out);
    expect(out.tcp).not.toBeNull();
    decodePacket(rec(1, [...ethernet(0x0806), ...new Array(28).fill(0)], { frame: 8 }), out);
    expect(out.frame).toBe(8);
    expect(out.vlanIds).toEqual([]);
    expect(out.ipVersion).toBe(0);
    expect([...out.srcAddr, ...out.dstAddr]).toEqual(new Array(8).fill(0));
    expect(out.ttl).toBe(0);
    expect(out.tcp).toBeNull();
    expect(out.notTcp).toBe('ARP');
    expect(out.error).toBeNull();
  });
});
