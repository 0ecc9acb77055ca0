#!/usr/bin/env bash
# Re-record every capture in fixtures/kernel/ from real Linux kernel TCP traffic.
#
# Usage (as root):  test/captures/record.sh              # all captures
#                   test/captures/record.sh tfo ipv6     # selected ones (names without .pcap)
#
# Each capture gets its own throwaway network namespace(s) named synack-rec-*, deleted again
# on exit (also on failure). Traffic only ever uses loopback inside a namespace, or the
# private 10.77.0.0/24 link between two namespaces made by wire.py (a userspace TAP relay
# that adds delay and loss, because this kernel has no sch_netem). tcpdump captures only the
# scenario's port, with -U, and stops after a short settle. Every step is time-bounded.
# A re-run makes new but equivalent captures (new ISNs, timestamps and, for the lossy
# transfer, a different pattern of losses once timing differs). Afterwards run goldens.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../fixtures/kernel"
mkdir -p "$out"
out=$(cd "$out" && pwd)
peer=(python3 "$here/peer.py")
P=synack-rec
tmp=$(mktemp -d)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns del "$ns"; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_capture NS IFACE NAME FILTER SNAPLEN: tcpdump in the background, wait until it listens
start_capture() {
    local ns=$1 iface=$2 name=$3 filter=$4 snap=$5
    rm -f "$out/$name.pcap"
    ip netns exec "$ns" timeout 120 tcpdump -Z root -U --immediate-mode -n -i "$iface" -s "$snap" \
        -w "$out/$name.pcap" "$filter" 2>"$tmp/$name.tcpdump.err" &
    cap_pid=$!
    pids+=("$cap_pid")
    for _ in $(seq 50); do
        grep -q 'listening on' "$tmp/$name.tcpdump.err" && return 0
        sleep 0.1
    done
    echo "tcpdump did not start for $name" >&2
    cat "$tmp/$name.tcpdump.err" >&2
    return 1
}

stop_capture() {
    sleep 1                                 # let the last segments reach the capture
    kill -INT "$cap_pid"
    wait "$cap_pid" || true
    tail -n 3 "$tmp/$1.tcpdump.err" | tr '\n' ' ' >&2; echo >&2
}

# loopback NAME PORT [sysctl ...]: one namespace, both ends on its lo
loopback() {
    local name=$1 port=$2; shift 2
    local ns=$P-$name
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    for s in "$@"; do ip netns exec "$ns" sysctl -q -w "$s"; done
    start_capture "$ns" lo "$name" "tcp port $port" 200
    ip netns exec "$ns" timeout 60 "${peer[@]}" "$name"
    stop_capture "$name"
    ip netns del "$ns"
}

# two_ns NAME [wire.py options]: namespaces $P-a (10.77.0.1, side A) and $P-b (10.77.0.2)
# joined by wire.py; static MACs and neighbour entries so no ARP precedes the first SYN.
two_ns() {
    local name=$1; shift
    ip netns add "$P-a"; ip netns add "$P-b"
    timeout 120 python3 "$here/wire.py" --ns-a "$P-a" --ns-b "$P-b" --ready "$tmp/ready" \
        --max-seconds 110 "$@" &
    wire_pid=$!
    pids+=("$wire_pid")
    for _ in $(seq 50); do [ -f "$tmp/ready" ] && break; sleep 0.1; done
    [ -f "$tmp/ready" ] || { echo "wire.py did not start" >&2; return 1; }
    rm -f "$tmp/ready"
    local side mine theirs
    for side in a b; do
        if [ $side = a ]; then mine=1; theirs=2; else mine=2; theirs=1; fi
        ip netns exec "$P-$side" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
        ip -n "$P-$side" link set lo up
        ip -n "$P-$side" link set syk-$side address 02:00:00:77:00:0$mine
        ip -n "$P-$side" addr add 10.77.0.$mine/24 dev syk-$side
        ip -n "$P-$side" link set syk-$side up
        ip -n "$P-$side" neigh replace 10.77.0.$theirs lladdr 02:00:00:77:00:0$theirs \
            dev syk-$side nud permanent
    done
}

two_ns_done() {
    kill "$wire_pid" 2>/dev/null || true
    wait "$wire_pid" || true
    ip netns del "$P-a"; ip netns del "$P-b"
}

# client_server NAME PORT SNAP: server in B, client in A, capture on A's side of the wire
client_server() {
    local name=$1 port=$2 snap=$3
    start_capture "$P-a" syk-a "$name" "tcp port $port" "$snap"
    ip netns exec "$P-b" timeout 60 "${peer[@]}" "$name" server --addr 10.77.0.2 &
    local srv=$!
    sleep 0.3
    ip netns exec "$P-a" timeout 60 "${peer[@]}" "$name" client --addr 10.77.0.1 --peer 10.77.0.2
    wait "$srv"
    stop_capture "$name"
}

# both_ends NAME PORT: roles a (in A) and b (in B) act at the same wall-clock instant
both_ends() {
    local name=$1 port=$2
    start_capture "$P-a" syk-a "$name" "tcp port $port" 200
    local at
    at=$(python3 -c 'import time; print(f"{time.time() + 1.5:.3f}")')
    ip netns exec "$P-b" timeout 60 "${peer[@]}" "$name" b --addr 10.77.0.2 --peer 10.77.0.1 --at "$at" &
    local b=$!
    ip netns exec "$P-a" timeout 60 "${peer[@]}" "$name" a --addr 10.77.0.1 --peer 10.77.0.2 --at "$at"
    wait "$b"
    stop_capture "$name"
}

record() {
    echo "== $1" >&2
    case $1 in
        client-close)   loopback client-close 8001 ;;
        server-close)   loopback server-close 8002 ;;
        half-close)     loopback half-close 8003 ;;
        refused)        loopback refused 8004 ;;
        abort-linger0)  loopback abort-linger0 8005 ;;
        port-reuse)     loopback port-reuse 8008 ;;
        ipv6)           loopback ipv6 8009 ;;
        tfo)            loopback tfo 8010 net.ipv4.tcp_fastopen=3 ;;
        many-flows)     loopback many-flows 8012 ;;
        syn-retransmission)
            two_ns syn-retransmission --drop-syns-a 2
            client_server syn-retransmission 8006 200
            two_ns_done ;;
        lossy-transfer)
            two_ns lossy-transfer --delay-ms 10 --loss 0.03 --seed 7
            client_server lossy-transfer 8007 200
            two_ns_done ;;
        simultaneous-open)
            two_ns simultaneous-open --delay-ms 200
            both_ends simultaneous-open 5001
            two_ns_done ;;
        simultaneous-close)
            two_ns simultaneous-close --delay-ms 200
            both_ends simultaneous-close 5003
            two_ns_done ;;
        *) echo "unknown capture: $1" >&2; return 2 ;;
    esac
}

ALL=(client-close server-close half-close refused abort-linger0 syn-retransmission
     lossy-transfer port-reuse ipv6 tfo simultaneous-open simultaneous-close many-flows)
if [ $# -gt 0 ]; then names=("$@"); else names=("${ALL[@]}"); fi
for n in "${names[@]}"; do record "$n"; done
uname -r >"$out/KERNEL.txt"
