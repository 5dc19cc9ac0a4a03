#!/usr/bin/python3
"""ike_flood.py TARGET --addresses N --per-address K --rate R [--echo-cookies]

Run inside the flood namespace (half_open_flood.py starts it there, after
adding the N addresses lab.flood_address(0..N-1) to its link). Sends K IKE_SA_INIT
requests (ike_wire.ike_sa_init_request, fresh SPIi each) from each of N
source addresses, each from its own UDP socket (its own ephemeral port), to
TARGET:500 at about R requests a second, then listens two seconds more.
With --echo-cookies, a request answered with N(COOKIE) is sent again with
that cookie first (RFC 7296 §2.6), as a flooder that owns its addresses can.

Prints one JSON object: requests sent, cookies echoed, answers, answers with
N(COOKIE), answers with SA/KE/Nonce (a half-open IKE SA was made), other
answers by notify type, and the seconds it took.
"""
import argparse
import json
import os
import resource
import selectors
import socket
import sys
import time

# Nothing written into the source tree (no __pycache__ beside the modules).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ike_wire  # noqa: E402
import lab  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    a.add_argument("target")
    a.add_argument("--addresses", type=int, required=True)
    a.add_argument("--per-address", type=int, default=4)
    a.add_argument("--rate", type=int, default=1000)
    a.add_argument("--echo-cookies", action="store_true")
    args = a.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.addresses * args.per_address + 64
    if need > hard:
        print("ike_flood.py: %d sockets needed, the open-file limit is %d: fewer --addresses or --per-address"
              % (need, hard), file=sys.stderr)
        return 2
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    sel = selectors.DefaultSelector()
    out = {"sent": 0, "echoed": 0, "answers": 0, "cookie_answers": 0, "sa_answers": 0, "other": {},
           "unreadable": 0}
    requests = {}  # socket -> the request it sent
    echoed = set()
    start = time.time()
    interval = 1.0 / args.rate

    def receive(timeout):
        for key, _ in sel.select(timeout):
            s = key.fileobj
            try:
                data = s.recv(65535)
            except OSError:
                continue
            out["answers"] += 1
            m = ike_wire.parse(data)
            if m is None:
                out["unreadable"] += 1
                continue
            if ike_wire.COOKIE in m["notifies"]:
                out["cookie_answers"] += 1
                # One echo per request: a second cookie for the same request is an answer, not a loop.
                if args.echo_cookies and s not in echoed:
                    echoed.add(s)
                    s.send(ike_wire.with_cookie(requests[s], ike_wire.notify_data(data, ike_wire.COOKIE)))
                    out["echoed"] += 1
            elif ike_wire.SA in m["payloads"] and ike_wire.KE in m["payloads"]:
                out["sa_answers"] += 1
            else:
                k = ",".join(str(n) for n in m["notifies"]) or "none"
                out["other"][k] = out["other"].get(k, 0) + 1

    n = 0
    for i in range(args.addresses):
        source = lab.flood_address(i)
        for _ in range(args.per_address):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((source, 0))
            s.connect((args.target, 500))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            requests[s] = ike_wire.ike_sa_init_request(os.urandom(8))
            s.send(requests[s])
            out["sent"] += 1
            n += 1
            # Pace: never ahead of `rate` requests a second.
            ahead = start + n * interval - time.time()
            receive(max(ahead, 0))
    end = time.time() + 2
    while time.time() < end:
        receive(0.1)
    out["duration_s"] = round(time.time() - start, 2)
    for s in requests:
        s.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
