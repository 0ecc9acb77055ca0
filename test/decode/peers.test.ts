// Text that must match the peers: tcpdump's "Flags [...]" for every TCP frame of the tcpdump
// corpus captures (their .tcpdump.out files), tshark's IPv6 address spelling, and the
// decode-error sentence.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAddress, formatIpv4, formatIpv6 } from '../../src/decode/address.js';
import { formatDecodeError } from '../../src/decode/errors.js';
import { decodePacket, newDecodedPacket } from '../../src/decode/packet.js';
import { tcpdumpFlags } from '../../src/decode/flags.js';
import { corpusFile } from '../helpers/corpus.js';
import { readRecords } from './mini-reader.js';

const TCPDUMP = corpusFile('tcpdump');

/** Packet number → the first "Flags [...]" text of that packet in a tcpdump -# output. */
function tcpdumpFlagText(out: string): Map<number, string> {
  const flags = new Map<number, string>();
  let current = 0;
  for (const line of out.split('\n')) {
    const start = /^\s*(\d+)\s\s/.exec(line);
    if (start) current = Number(start[1]);
    const f = /: Flags \[([^\]]*)\]/.exec(line);
    if (f && current !== 0 && !flags.has(current)) flags.set(current, f[1]!);
  }
  return flags;
}

describe.runIf(existsSync(TCPDUMP))('tcpdump flag text (shared/corpus/tcpdump/*.tcpdump.out)', () => {
  const outs = existsSync(TCPDUMP) ? readdirSync(TCPDUMP).filter((f) => f.endsWith('.tcpdump.out')).sort() : [];

  it.each(outs)('%s', (name) => {
    const stem = name.replace(/\.tcpdump\.out$/, '');
    const capture = [`${stem}.pcap`, `${stem}.pcapng`].map((c) => join(TCPDUMP, c)).find((c) => existsSync(c))!;
    const expected = tcpdumpFlagText(readFileSync(join(TCPDUMP, name), 'utf8'));
    const pkt = newDecodedPacket();
    let compared = 0;
    for (const rec of readRecords(capture)) {
      decodePacket(rec, pkt);
      const text = expected.get(rec.frame);
      if (pkt.tcp === null || text === undefined) continue;
      expect(`${rec.frame} ${tcpdumpFlags(pkt.tcp.flags)}`).toBe(`${rec.frame} ${text}`);
      compared++;
    }
    // tcp-handshake-nano was printed with -q, which shows no flags at all.
    if (expected.size > 0) expect(compared).toBeGreaterThan(0);
    else expect(readFileSync(join(TCPDUMP, name), 'utf8')).toMatch(/: tcp \d+/);
  });
});

describe('address text', () => {
  it('prints IPv4 dotted quads', () => {
    expect(formatIpv4(0xc0000201)).toBe('192.0.2.1');
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(formatAddress(4, Uint32Array.of(0x0a000001, 0, 0, 0))).toBe('10.0.0.1');
  });

  const words = (...groups: number[]) =>
    Uint32Array.from([0, 1, 2, 3], (i) => ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0);

  it('follows RFC 5952 §4 (examples from §4.2.2, §4.2.3, §4.3)', () => {
    expect(formatIpv6(words(0x2001, 0xdb8, 0, 0, 0, 0, 2, 1))).toBe('2001:db8::2:1');
    expect(formatIpv6(words(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(words(0x2001, 0, 0, 1, 0, 0, 0, 1))).toBe('2001:0:0:1::1');
    expect(formatIpv6(words(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(words(0x2001, 0xdb8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xaaaa))).toBe('2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa');
  });

  // Spellings printed by TShark 4.0.17 for ipv6.src of these addresses (hand-built raw-IPv6
  // frames run through `tshark -T fields -e ipv6.src`).
  it.each([
    [words(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304), '::ffff:1.2.3.4'],
    [words(0, 0, 0, 0, 0, 0, 0x0102, 0x0304), '::1.2.3.4'],
    [words(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
    [words(0, 0, 0, 0, 0, 0, 0, 0), '::'],
    [words(1, 0, 0, 1, 0, 0, 0, 1), '1:0:0:1::1'],
    [words(1, 0, 0, 0, 1, 0, 0, 1), '1::1:0:0:1'],
    [words(0, 0, 0, 0, 0, 0, 1, 0), '::0.1.0.0'],
    [words(0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304), '::ffff:0:102:304'],
    [words(0x64, 0xff9b, 0, 0, 0, 0, 0x0102, 0x0304), '64:ff9b::102:304'],
    [words(0xfe80, 0, 0, 0, 0xabcd, 0, 0, 1), 'fe80::abcd:0:0:1'],
    [words(1, 0, 0, 0, 0, 0, 0, 0), '1::'],
    [words(0, 0, 1, 0, 0, 0, 0, 0), '0:0:1::'],
    [words(0, 0, 0, 0, 0, 0xffff, 0, 0), '::ffff:0.0.0.0'],
    [words(0, 0, 0, 0, 0, 0, 0, 0x100), '::100'],
  ])('%s → %s as tshark spells it', (w, text) => {
    expect(formatAddress(6, w)).toBe(text);
  });
});

describe('decode error text', () => {
  it('names layer, detail, frame and the absolute byte of the field in hex', () => {
    const err = { kind: 'truncated' as const, layer: 'TCP header', detail: 'data offset says 32 bytes, 20 captured', offset: 0x2e };
    expect(formatDecodeError(err, 812, 0x19fe)).toBe('TCP header: data offset says 32 bytes, 20 captured (frame 812, byte 0x1a2c)');
  });
});
