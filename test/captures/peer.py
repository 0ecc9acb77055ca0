#!/usr/bin/env python3
"""Traffic scenarios for fixtures/kernel/: real Linux TCP sockets doing one behaviour each.

Run by record.sh inside throwaway network namespaces while tcpdump records. Loopback
scenarios drive both ends from one thread so the order of socket calls (and so the order of
segments) is fixed; two-namespace scenarios run one role per namespace and meet at an
agreed wall-clock instant (--at) when they must act "at the same time".

  peer.py client-close|server-close|half-close|refused|abort-linger0|port-reuse|ipv6|tfo|many-flows
  peer.py syn-retransmission|lossy-transfer  server|client  --addr IP
  peer.py simultaneous-open|simultaneous-close  a|b  --addr IP --peer IP --at EPOCH

Every socket call has a timeout so a scenario cannot hang; record.sh bounds the whole run too.
"""
import argparse
import socket
import struct
import sys
import time

TIMEOUT = 10.0
TCP_FASTOPEN = 23  # linux/tcp.h; server-side option, value = pending TFO queue length
MSG_FASTOPEN = 0x20000000  # linux/socket.h; client sendto() with data in the SYN

REQUEST = b'GET /synack HTTP/1.0\r\nHost: kernel\r\n\r\n'
RESPONSE = b'HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello synack'


def listener(addr: str, port: int, family: int = socket.AF_INET) -> socket.socket:
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    ls.settimeout(TIMEOUT)
    return ls


def client(addr: str, sport: int, family: int = socket.AF_INET) -> socket.socket:
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((addr, sport))
    c.settimeout(TIMEOUT)
    return c


def recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise RuntimeError(f'peer closed after {len(buf)} of {n} bytes')
        buf += chunk
    return buf


def recv_eof(s: socket.socket) -> bytes:
    buf = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return buf
        buf += chunk


def exchange(c: socket.socket, s: socket.socket) -> None:
    """One request from client c, one response from server s."""
    c.sendall(REQUEST)
    recv_exact(s, len(REQUEST))
    s.sendall(RESPONSE)
    recv_exact(c, len(RESPONSE))


def open_pair(host: str, sport: int, dport: int, family: int = socket.AF_INET):
    ls = listener(host, dport, family)
    c = client(host, sport, family)
    c.connect((host, dport))
    s, _ = ls.accept()
    s.settimeout(TIMEOUT)
    return ls, c, s


# --- loopback scenarios (one process drives both ends) -------------------------------------

def client_close(_a) -> None:
    ls, c, s = open_pair('127.0.0.1', 40001, 8001)
    exchange(c, s)
    c.close()                      # client FIN first
    assert recv_eof(s) == b''
    time.sleep(0.3)                # server's kernel ACKs the FIN on its own before we close
    s.close()                      # server FIN; client (FIN-WAIT-2) -> TIME-WAIT
    time.sleep(0.2)
    ls.close()


def server_close(_a) -> None:
    ls, c, s = open_pair('127.0.0.1', 40002, 8002)
    exchange(c, s)
    s.close()                      # server FIN first
    assert recv_eof(c) == b''
    c.close()                      # client closes as soon as it reads EOF
    time.sleep(0.2)
    ls.close()


def half_close(_a) -> None:
    ls, c, s = open_pair('127.0.0.1', 40003, 8003)
    c.sendall(REQUEST)
    c.shutdown(socket.SHUT_WR)     # client FIN right after the request: FIN-WAIT-1/2
    assert recv_eof(s) == REQUEST  # server sees request then EOF: CLOSE-WAIT
    for i in range(4):             # server keeps sending after the client's FIN
        s.sendall(bytes([0x61 + i]) * 1000)
        time.sleep(0.05)           # separate sends -> separate segments on lo
    s.close()                      # server FIN; client -> TIME-WAIT
    assert len(recv_eof(c)) == 4000
    c.close()
    time.sleep(0.2)
    ls.close()


def refused(_a) -> None:
    c = client('127.0.0.1', 40004)
    try:
        c.connect(('127.0.0.1', 8004))  # nobody listens: RFC 9293 3.10.7.1, RST-ACK
        raise RuntimeError('connect to a closed port succeeded')
    except ConnectionRefusedError:
        pass
    c.close()


def abort_linger0(_a) -> None:
    ls, c, s = open_pair('127.0.0.1', 40005, 8005)
    exchange(c, s)
    # SO_LINGER {l_onoff=1, l_linger=0}: close() aborts with RST instead of FIN
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
    time.sleep(0.1)
    s.close()                      # already reset: nothing more goes on the wire
    ls.close()


def port_reuse(_a) -> None:
    ls = listener('127.0.0.1', 8008)
    for i in range(6):
        c = client('127.0.0.1', 40008)  # same 4-tuple every time
        c.connect(('127.0.0.1', 8008))  # server socket for it is in TIME-WAIT (after the 1st)
        s, _ = ls.accept()
        s.settimeout(TIMEOUT)
        exchange(c, s)
        s.close()                       # server closes first -> TIME-WAIT on the server
        assert recv_eof(c) == b''
        c.close()                       # LAST-ACK -> CLOSED when the final ACK arrives
        time.sleep(0.1)
    ls.close()


def ipv6(_a) -> None:
    ls, c, s = open_pair('::1', 40009, 8009, socket.AF_INET6)
    exchange(c, s)
    c.close()
    assert recv_eof(s) == b''
    time.sleep(0.3)
    s.close()
    time.sleep(0.2)
    ls.close()


def tfo(_a) -> None:
    # RFC 7413: needs net.ipv4.tcp_fastopen=3 (client+server) in this namespace.
    ls = listener('127.0.0.1', 8010)
    ls.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 5)
    for sport in (40010, 40011):
        c = client('127.0.0.1', sport)
        # 1st: no cookie cached -> SYN carries an empty TFO option (cookie request), data
        #      goes after the handshake; 2nd: SYN carries the cookie and the request.
        c.settimeout(None)  # blocking: sendto() returns once the data is queued
        c.sendto(REQUEST, MSG_FASTOPEN, ('127.0.0.1', 8010))
        c.settimeout(TIMEOUT)
        s, _ = ls.accept()
        s.settimeout(TIMEOUT)
        recv_exact(s, len(REQUEST))
        s.sendall(RESPONSE)
        recv_exact(c, len(RESPONSE))
        c.close()
        assert recv_eof(s) == b''
        s.close()
        time.sleep(0.3)
    ls.close()


def many_flows(_a) -> None:
    """20 flows opened in port order, then advanced round-robin so segments interleave.
    Flow k uses client port 41000+k; k % 4 picks the close: 0 client FIN first, 1 server
    FIN first, 2 client abort (SO_LINGER 0 -> RST), 3 client half-close then server data."""
    ls = listener('127.0.0.1', 8012)
    flows = []
    for k in range(20):
        c = client('127.0.0.1', 41000 + k)
        c.connect(('127.0.0.1', 8012))
        s, _ = ls.accept()
        s.settimeout(TIMEOUT)
        flows.append((k, c, s))
    for _, c, _ in flows:
        c.sendall(REQUEST)
    for k, c, s in flows:
        recv_exact(s, len(REQUEST))
        if k % 4 == 3:
            c.shutdown(socket.SHUT_WR)
    for k, c, s in flows:
        s.sendall(RESPONSE)
    for k, c, s in flows:
        recv_exact(c, len(RESPONSE))
    for k, c, s in flows:
        kind = k % 4
        if kind == 0:
            c.close()
        elif kind == 1:
            s.close()
        elif kind == 2:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            c.close()
        else:
            assert recv_eof(s) == b''
            s.sendall(b'z' * 500)   # data after the client's FIN
    time.sleep(0.1)
    for k, c, s in flows:
        kind = k % 4
        if kind == 0:
            assert recv_eof(s) == b''
            s.close()
        elif kind == 1:
            assert recv_eof(c) == b''
            c.close()
        elif kind == 2:
            s.close()
        else:
            s.close()
            assert len(recv_eof(c)) == 500
            c.close()
    time.sleep(0.3)
    ls.close()


# --- two-namespace scenarios (one role per process) ----------------------------------------

def syn_retransmission(a) -> None:
    # The wire drops the client's first SYNs; the client kernel retransmits them (RFC 6298
    # section 5 / RFC 9293 3.8.1: same ISN) until one gets through.
    if a.role == 'server':
        ls = listener(a.addr, 8006)
        ls.settimeout(30)
        s, _ = ls.accept()
        s.settimeout(TIMEOUT)
        recv_exact(s, len(REQUEST))
        s.sendall(RESPONSE)
        assert recv_eof(s) == b''
        s.close()
        ls.close()
    else:
        c = client(a.addr, 40006)
        c.settimeout(30)
        c.connect((a.peer, 8006))
        c.settimeout(TIMEOUT)
        c.sendall(REQUEST)
        recv_exact(c, len(RESPONSE))
        c.close()
        time.sleep(0.5)


BULK = 200 * 1024


def lossy_transfer(a) -> None:
    if a.role == 'server':
        ls = listener(a.addr, 8007)
        s, _ = ls.accept()
        s.settimeout(30)
        recv_exact(s, len(REQUEST))
        block = bytes(range(256)) * 4
        for i in range(BULK // len(block)):
            s.sendall(block)
        s.shutdown(socket.SHUT_WR)  # server FIN after the bulk data
        assert recv_eof(s) == b''
        s.close()                   # server FIN first -> server in TIME-WAIT
        ls.close()
    else:
        c = client(a.addr, 40007)
        c.connect((a.peer, 8007))
        c.settimeout(30)
        c.sendall(REQUEST)
        got = recv_eof(c)
        if len(got) != BULK:
            raise RuntimeError(f'bulk transfer got {len(got)} bytes')
        c.close()
        time.sleep(1.0)


def sleep_until(at: float) -> None:
    delta = at - time.time()
    if delta > 0:
        time.sleep(delta)


def simultaneous_open(a) -> None:
    # RFC 9293 section 3.5 figure 8: both ends in SYN-SENT, SYNs cross on a 200 ms wire.
    port, peer_port = (5001, 5002) if a.role == 'a' else (5002, 5001)
    s = client(a.addr, port)
    s.settimeout(TIMEOUT)
    sleep_until(a.at)
    s.connect((a.peer, peer_port))
    if a.role == 'a':
        s.sendall(REQUEST)
        recv_exact(s, len(RESPONSE))
    else:
        recv_exact(s, len(REQUEST))
        s.sendall(RESPONSE)
    if a.role == 'a':              # an ordinary close afterwards: a's FIN first
        sleep_until(a.at + 2.0)
        s.shutdown(socket.SHUT_WR)
        assert recv_eof(s) == b''
    else:
        assert recv_eof(s) == b''
        s.shutdown(socket.SHUT_WR)
    s.close()
    time.sleep(1.0)


def simultaneous_close(a) -> None:
    # RFC 9293 section 3.6 figure 13: both ends in ESTABLISHED call CLOSE together; FINs
    # cross, both go FIN-WAIT-1 -> CLOSING -> TIME-WAIT.
    if a.role == 'a':
        ls = listener(a.addr, 5003)
        s, _ = ls.accept()
        s.settimeout(TIMEOUT)
        recv_exact(s, len(REQUEST))
        s.sendall(RESPONSE)
        ls.close()
    else:
        s = client(a.addr, 5004)
        s.connect((a.peer, 5003))
        s.sendall(REQUEST)
        recv_exact(s, len(RESPONSE))
    sleep_until(a.at)
    s.shutdown(socket.SHUT_WR)
    assert recv_eof(s) == b''
    s.close()
    time.sleep(1.0)


SCENARIOS = {
    'client-close': client_close,
    'server-close': server_close,
    'half-close': half_close,
    'refused': refused,
    'abort-linger0': abort_linger0,
    'port-reuse': port_reuse,
    'ipv6': ipv6,
    'tfo': tfo,
    'many-flows': many_flows,
    'syn-retransmission': syn_retransmission,
    'lossy-transfer': lossy_transfer,
    'simultaneous-open': simultaneous_open,
    'simultaneous-close': simultaneous_close,
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('scenario', choices=sorted(SCENARIOS))
    ap.add_argument('role', nargs='?', default='')
    ap.add_argument('--addr', default='')
    ap.add_argument('--peer', default='')
    ap.add_argument('--at', type=float, default=0.0)
    a = ap.parse_args()
    SCENARIOS[a.scenario](a)
    return 0


if __name__ == '__main__':
    sys.exit(main())
