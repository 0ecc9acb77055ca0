// Rebuilds fixtures/formats/ from the shared corpus (see fixtures/formats/README.md):
//   npx vite-node test/capture/make-fixtures.ts
// It needs the corpus, gzip, and tshark (for the *.frames.tsv oracle files).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { corpusFile, corpusFiles, fixturesDir } from '../helpers/corpus.js';
import { PcapngWriter } from './pcapng-writer.js';

const out = join(fixturesDir, 'formats');
mkdirSync(join(out, 'tshark'), { recursive: true });

/** Classic little-endian µs pcap records, read by hand (independent of src/capture). */
function pcapRecords(bytes: Uint8Array): { sec: number; usec: number; orig: number; data: Uint8Array }[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('expected a little-endian µs pcap');
  const records = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const incl = v.getUint32(at + 8, true);
    records.push({
      sec: v.getUint32(at, true),
      usec: v.getUint32(at + 4, true),
      orig: v.getUint32(at + 12, true),
      data: bytes.subarray(at + 16, at + 16 + incl),
    });
    at += 16 + incl;
  }
  return records;
}

// 1. Big-endian pcapng, binary clock 2^-20 s with an if_tsoffset, from tcpdump's print-flags.pcap.
const TS_OFFSET = 1120000000n;
const source = pcapRecords(readFileSync(corpusFile('tcpdump/print-flags.pcap')));
const w = new PcapngWriter(false);
w.shb([w.stringOption(4, 'synack make-fixtures.ts')]);
w.idb(1, 65535, [
  w.stringOption(2, 'eth-be'),
  w.option(9, Uint8Array.of(0x80 | 20)),
  w.option(14, w.i64(TS_OFFSET)),
]);
// Name Resolution Block: one IPv4 record (type 1) then nrb_record_end; readers skip it.
w.raw(4, Uint8Array.of(0, 1, 0, 13, 10, 0, 0, 1, ...new TextEncoder().encode('host-a\0'), 0, 0, 0, 0, 0, 0, 0));
source.forEach((p, i) => {
  // Exact ticks: whole seconds shifted by 20 bits, plus floor(µs · 2^20 / 10^6).
  const ticks = ((BigInt(p.sec) - TS_OFFSET) << 20n) + (BigInt(p.usec) << 20n) / 1000000n;
  const options =
    i === 2 ? [w.stringOption(1, 'third packet: the SYN-ACK is acknowledged')]
    : i === 4 ? [w.stringOption(1, 'first comment'), w.stringOption(1, 'second comment')]
    : [];
  w.epb(0, ticks, p.data, p.orig, options, i === 6);
});
// Interface Statistics Block with no options (interface 0, timestamp 0).
w.raw(5, new Uint8Array(12));
writeFileSync(join(out, 'print-flags-be-bin20.pcapng'), w.bytes());

// 2. gzip-compressed copies (gzip -n: no name or time stamp, so the bytes are reproducible).
for (const rel of ['tcpdump/print-flags.pcap', 'zeek/tcp/retransmit-timeout.pcapng']) {
  const gz = execFileSync('gzip', ['-9', '-n', '-c', corpusFile(rel)]);
  writeFileSync(join(out, `${basename(rel)}.gz`), gz);
}

// 3. tshark's view of every pcapng file we test, as the timestamp/length/comment oracle.
const targets = [
  ...corpusFiles(/\.pcapng$/).filter((f) => !f.startsWith('libpcap/') && !f.startsWith('derived/')).map((f) => ({ name: f.replaceAll('/', '__'), path: corpusFile(f) })),
  { name: 'print-flags-be-bin20.pcapng', path: join(out, 'print-flags-be-bin20.pcapng') },
];
for (const t of targets) {
  const tsv = execFileSync(
    'tshark',
    ['-r', t.path, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t',
      '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len',
      '-e', 'frame.interface_id', '-e', 'frame.section_number', '-e', 'frame.comment'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  writeFileSync(join(out, 'tshark', `${t.name}.frames.tsv`), tsv);
}
console.log(`wrote fixtures to ${out}`);
