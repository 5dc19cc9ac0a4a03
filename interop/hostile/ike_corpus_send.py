#!/usr/bin/python3
"""ike_corpus_send.py TARGET UNITS OUT [--rate R] [--wait S]

Run inside the peer namespace (malformed_ike.py starts it there). UNITS is
a JSON file: a list of {"name", "port", "data" (hex)}. Each unit's data is
sent as one UDP payload to TARGET:port from its own socket (its own
ephemeral port, so that every answer belongs to exactly one unit), at most R
a second; then answers are collected for S more seconds. OUT gets the units
again, each with "answers": the hex payloads that came back to its socket.
"""
import argparse
import json
import selectors
import socket
import time


def main():
    a = argparse.ArgumentParser()
    a.add_argument("target")
    a.add_argument("units")
    a.add_argument("out")
    a.add_argument("--rate", type=int, default=400)
    a.add_argument("--wait", type=float, default=2.0)
    args = a.parse_args()
    with open(args.units) as f:
        units = json.load(f)
    sel = selectors.DefaultSelector()
    sockets = []

    def receive(timeout):
        for key, _ in sel.select(timeout):
            try:
                data = key.fileobj.recv(65535)
            except OSError:
                continue
            units[key.data]["answers"].append(data.hex())

    start = time.time()
    for i, unit in enumerate(units):
        unit["answers"] = []
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        s.connect((args.target, unit["port"]))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        sockets.append(s)
        try:
            s.send(bytes.fromhex(unit["data"]))
        except OSError as e:  # a datagram too large for UDP: say so, send nothing
            unit["send_error"] = str(e)
        receive(max(start + (i + 1) / args.rate - time.time(), 0))
    end = time.time() + args.wait
    while time.time() < end:
        receive(0.1)
    for s in sockets:
        s.close()
    with open(args.out, "w") as f:
        json.dump(units, f)


if __name__ == "__main__":
    main()
