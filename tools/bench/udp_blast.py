#!/usr/bin/python3
"""A UDP blast for gateway_bench.sh: `send` sends datagrams of SIZE payload
bytes from SRC to DST:PORT as fast as it can for SECONDS and prints how many
it sent; `recv` counts the datagrams that reach ADDR:PORT until none came
for a second (or SECONDS passed) and prints a JSON line: packets, payload
bytes, the time between the first and the last, and Mbit/s of payload.

usage: udp_blast.py send SRC DST PORT SIZE SECONDS
       udp_blast.py recv ADDR PORT SECONDS
"""
import json
import socket
import sys
import time


def send(src, dst, port, size, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    payload = b"\xa5" * size
    sent = dropped = 0
    end = time.monotonic() + seconds
    while True:
        for _ in range(256):
            try:
                s.sendto(payload, (dst, port))
                sent += 1
            except (BlockingIOError, OSError):
                dropped += 1
        if time.monotonic() >= end:
            break
    print(json.dumps({"sent": sent, "send_errors": dropped}))


def recv(addr, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, port))
    s.settimeout(1.0)
    packets = payload = 0
    first = last = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = s.recv(65535)
        except socket.timeout:
            if first is not None:
                break
            continue
        last = time.monotonic()
        if first is None:
            first = last
        packets += 1
        payload += len(data)
    span = (last - first) if first is not None and last > first else 0.0
    print(json.dumps({"packets": packets, "bytes": payload, "seconds": span,
                      "mbit_per_second": payload * 8 / span / 1e6 if span else 0.0}))


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    elif len(sys.argv) == 5 and sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
