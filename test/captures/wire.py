#!/usr/bin/env python3
"""A userspace Ethernet 'wire' between two network namespaces, with delay and loss.

This kernel has no sch_netem, so `tc qdisc ... netem delay/loss` is not available. Instead
this script opens two TAP devices (IFF_TAP | IFF_NO_PI), moves each into its namespace and
relays frames between them with a fixed one-way delay, seeded random loss of TCP segments
that carry no SYN/FIN/RST, and an option to drop the first N SYNs sent from side A. The TCP traffic itself is still produced entirely by
the kernels' TCP stacks in the two namespaces; the wire only delays or drops frames, exactly
like a lossy link would. TAP devices have no TSO/GSO, so captures hold MTU-sized segments.

Usage:
  wire.py --ns-a NS --ns-b NS [--delay-ms 10] [--loss 0.03] [--seed 1]
          [--drop-syns-a N] [--max-seconds 60] [--ready FILE]
The devices are named syk-a (in NS A) and syk-b (in NS B). The wire writes 'ready' to
--ready once both are in place, and stops on SIGTERM/SIGINT or after --max-seconds.
"""
import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_IPV4 = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_TCP = 6


def open_tap(name: str) -> int:
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def tcp_flags(frame: bytes) -> int:
    """The TCP flags byte (RFC 9293 section 3.1) of an Ethernet/IP/TCP frame, or -1."""
    if len(frame) < 14:
        return -1
    ethertype = struct.unpack_from('!H', frame, 12)[0]
    if ethertype == ETH_P_IPV4 and len(frame) >= 34:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != IPPROTO_TCP:
            return -1
        tcp = 14 + ihl
    elif ethertype == ETH_P_IPV6 and len(frame) >= 54:
        if frame[20] != IPPROTO_TCP:  # no extension headers on our own traffic
            return -1
        tcp = 54
    else:
        return -1
    if len(frame) < tcp + 14:
        return -1
    return frame[tcp + 13]


SYN, RST, FIN, ACK = 0x02, 0x04, 0x01, 0x10


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--ns-a', required=True)
    ap.add_argument('--ns-b', required=True)
    ap.add_argument('--delay-ms', type=float, default=0.0)
    ap.add_argument('--loss', type=float, default=0.0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--drop-syns-a', type=int, default=0)
    ap.add_argument('--max-seconds', type=float, default=60.0)
    ap.add_argument('--ready')
    args = ap.parse_args()

    fds = {'a': open_tap('syk-a'), 'b': open_tap('syk-b')}
    subprocess.run(['ip', 'link', 'set', 'syk-a', 'netns', args.ns_a], check=True)
    subprocess.run(['ip', 'link', 'set', 'syk-b', 'netns', args.ns_b], check=True)
    if args.ready:
        with open(args.ready, 'w') as f:
            f.write('ready\n')

    stop = False

    def on_signal(_sig, _frm):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    rng = random.Random(args.seed)
    delay = args.delay_ms / 1000.0
    queue: list[tuple[float, int, int, bytes]] = []  # (due, order, out fd, frame): FIFO per due time
    order = 0
    syns_dropped = 0
    deadline = time.monotonic() + args.max_seconds
    while not stop and time.monotonic() < deadline:
        now = time.monotonic()
        timeout = 0.05 if not queue else max(0.0, min(0.05, queue[0][0] - now))
        readable, _, _ = select.select(list(fds.values()), [], [], timeout)
        for fd in readable:
            side = 'a' if fd == fds['a'] else 'b'
            out = fds['b'] if side == 'a' else fds['a']
            while True:
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                flags = tcp_flags(frame)
                bare_syn = flags >= 0 and (flags & (SYN | ACK)) == SYN
                if side == 'a' and syns_dropped < args.drop_syns_a and bare_syn:
                    syns_dropped += 1
                    continue
                # Random loss spares SYN/FIN/RST segments (and non-TCP frames) so that how
                # each flow opens and closes stays known by construction; data segments and
                # pure ACKs are lost with probability --loss.
                if args.loss > 0 and flags >= 0 and not flags & (SYN | FIN | RST):
                    if rng.random() < args.loss:
                        continue
                heapq.heappush(queue, (time.monotonic() + delay, order, out, frame))
                order += 1
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                os.write(out, frame)
            except OSError:
                pass  # device going down at teardown
    for fd in fds.values():
        os.close(fd)
    return 0


if __name__ == '__main__':
    sys.exit(main())
