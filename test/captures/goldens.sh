#!/usr/bin/env bash
# Write the TShark goldens next to every capture in fixtures/kernel/ (or the ones named):
#   X.tshark.tsv    per-packet TCP fields (one pass, relative sequence numbers)
#   X.analysis.tsv  per-packet tcp.analysis.* flags (one pass)
#   X.streams.tsv   final tcp.completeness per tcp.stream (two-pass run, -2)
#   X.conv.txt      tshark -q -z conv,tcp
# Same fields and options as the conformance corpus's regen.sh, so one comparison harness
# serves both. Made with TShark 4.0.17; other versions decode some fields differently.
#
# Usage:  test/captures/goldens.sh                    # every fixtures/kernel/*.pcap
#         test/captures/goldens.sh tfo.pcap ipv6.pcap # selected ones (names inside fixtures/kernel)
# Prints "<capture> TAB <exit of fields run> TAB <exit of conv run> TAB <tshark stderr>".
set -u
cd "$(dirname "$0")/../../fixtures/kernel" || exit 1
export LC_ALL=C TZ=UTC

want="4.0.17"
have=$(tshark --version 2>/dev/null | head -1 | sed -n 's/^TShark (Wireshark) \([0-9.]*\).*/\1/p')
[ "$have" = "$want" ] || echo "WARNING: tshark $have found, goldens are meant for $want" >&2

FIELDS=(frame.number frame.time_epoch ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport
        tcp.stream tcp.flags tcp.seq_raw tcp.ack_raw tcp.seq tcp.ack tcp.len
        tcp.window_size_value tcp.window_size tcp.options.mss_val tcp.options.wscale.shift
        tcp.options.sack_perm tcp.options.timestamp.tsval tcp.options.timestamp.tsecr
        tcp.completeness)
AFIELDS=(frame.number tcp.stream tcp.analysis.retransmission tcp.analysis.fast_retransmission
         tcp.analysis.spurious_retransmission tcp.analysis.out_of_order tcp.analysis.lost_segment
         tcp.analysis.ack_lost_segment tcp.analysis.duplicate_ack_num tcp.analysis.zero_window
         tcp.analysis.zero_window_probe tcp.analysis.zero_window_probe_ack tcp.analysis.window_full
         tcp.analysis.window_update tcp.analysis.keep_alive tcp.analysis.keep_alive_ack
         tcp.analysis.reused_ports tcp.analysis.initial_rtt)
EARGS=(); for f in "${FIELDS[@]}"; do EARGS+=(-e "$f"); done
AARGS=(); for f in "${AFIELDS[@]}"; do AARGS+=(-e "$f"); done
SEQ=(-o tcp.relative_sequence_numbers:TRUE -o tcp.analyze_sequence_numbers:TRUE)

if [ $# -gt 0 ]; then files=("$@"); else files=(*.pcap); fi
for f in "${files[@]}"; do
    stem="${f%.*}"
    err1=$(tshark -r "$f" "${SEQ[@]}" -Y tcp -T fields -E header=y -E separator=/t -E occurrence=f \
        "${EARGS[@]}" 2>&1 >"$stem.tshark.tsv")
    rc1=$?
    err2=$(tshark -r "$f" -q -z conv,tcp 2>&1 >"$stem.conv.txt")
    rc2=$?
    # final per-stream completeness needs two passes (one-pass rows show the value before each packet)
    { printf 'stream\tcompleteness\n'
      tshark -2 -r "$f" -Y tcp -T fields -E separator=/t -e tcp.stream -e tcp.completeness 2>/dev/null \
        | awk -F'\t' '$1!="" && !seen[$1]++' | sort -n; } >"$stem.streams.tsv"
    tshark -r "$f" "${SEQ[@]}" -Y tcp -T fields -E header=y -E separator=/t -E occurrence=f \
        "${AARGS[@]}" >"$stem.analysis.tsv" 2>/dev/null
    msg=$(printf '%s\n%s\n' "$err1" "$err2" | grep -v -e 'Running as user' -e '^$' | awk '!seen[$0]++' | tr '\n\t' '  ')
    printf '%s\t%s\t%s\t%s\n' "$f" "$rc1" "$rc2" "$msg"
done
