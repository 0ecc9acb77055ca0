// Address text: IPv4 dotted quad and IPv6 in RFC 5952 canonical form, spelled exactly as
// tshark prints ip.src / ipv6.src (Wireshark hands IPv6 to inet_ntop, glibc's rules below).

const V4_CACHE_LIMIT = 4096;
/**
 * Recently formatted addresses, keyed by the address as a signed 32-bit integer (`| 0`): V8
 * keeps such a key as a small integer, where the unsigned value of an address at or above
 * 128.0.0.0 would be a heap number that every probe of the table has to load and compare
 * (about ten times slower per lookup once the table is large).
 */
const v4Cache = new Map<number, string>();

/** IPv4 text for a 32-bit address in network order, e.g. 0xc0000201 → "192.0.2.1". */
export function formatIpv4(word: number): string {
  const key = word | 0;
  let s = v4Cache.get(key);
  if (s === undefined) {
    const w = word >>> 0;
    s = `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
    if (v4Cache.size >= V4_CACHE_LIMIT) v4Cache.clear();
    v4Cache.set(key, s);
  }
  return s;
}

/**
 * Recently formatted IPv6 addresses, direct-mapped by a hash of the four words (a slot holds
 * the last address that hashed to it): `packets` formats two addresses per segment, and a
 * flow's segments repeat the same two.
 */
const V6_CACHE_BITS = 10;
const v6Words = new Uint32Array(4 << V6_CACHE_BITS);
const v6Text: (string | undefined)[] = new Array<string | undefined>(1 << V6_CACHE_BITS).fill(undefined);

/**
 * IPv6 text for four 32-bit words in network order (RFC 5952 §4): lower-case hex, leading
 * zeros dropped, the longest run of two or more zero groups replaced by "::" (the first run
 * on a tie), a single zero group left as "0". As glibc's inet_ntop (and so tshark) does, an
 * address whose first 96 bits are zero (other than :: and ::1-style values with a longer zero
 * run), or whose first 80 bits are zero followed by ffff, ends in dotted IPv4:
 * "::1.2.3.4", "::ffff:192.0.2.1".
 */
export function formatIpv6(words: ArrayLike<number>): string {
  const w0 = words[0]! >>> 0;
  const w1 = words[1]! >>> 0;
  const w2 = words[2]! >>> 0;
  const w3 = words[3]! >>> 0;
  const slot = Math.imul(w0 ^ w1 ^ w2 ^ w3, 0x9e3779b1) >>> (32 - V6_CACHE_BITS);
  const at = slot * 4;
  let s = v6Text[slot];
  if (s !== undefined && v6Words[at] === w0 && v6Words[at + 1] === w1 && v6Words[at + 2] === w2 && v6Words[at + 3] === w3) {
    return s;
  }
  s = ipv6Text(w0, w1, w2, w3);
  v6Words[at] = w0;
  v6Words[at + 1] = w1;
  v6Words[at + 2] = w2;
  v6Words[at + 3] = w3;
  v6Text[slot] = s;
  return s;
}

function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;

  const embedV4 = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff));
  const groups = embedV4 ? 6 : 8;
  let s = '';
  for (let i = 0; i < groups; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += g[i]!.toString(16);
  }
  if (embedV4) {
    if (!s.endsWith(':')) s += ':';
    s += formatIpv4(((g[6]! << 16) | g[7]!) >>> 0);
  }
  return s;
}

/** Text of an address as kept in DecodedPacket.srcAddr / dstAddr. */
export function formatAddress(version: 4 | 6, words: ArrayLike<number>): string {
  return version === 4 ? formatIpv4(words[0]!) : formatIpv6(words);
}
