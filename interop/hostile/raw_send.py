#!/usr/bin/python3
"""raw_send.py PACKETS: sends IPv4 packets as they are (a raw IPPROTO_RAW socket).

Run inside the peer namespace (esp_live.py starts it there). PACKETS is a
JSON list of hex strings, each a whole IPv4 packet (header included, its
source an address of the namespace). Sends them in order, 20 ms apart.
"""
import json
import socket
import sys
import time


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        packets = [bytes.fromhex(h) for h in json.load(f)]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for p in packets:
        s.sendto(p, (socket.inet_ntoa(p[16:20]), 0))
        time.sleep(0.02)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
