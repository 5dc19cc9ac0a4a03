#!/usr/bin/python3
"""cookie_spus.py IPSECREF --spus N [--attempts 3]: a legitimate peer against a gateway that always asks for a cookie.

Namespaces (lab.py): the gateway under test (192.0.2.2, one connection for
%any peers, so new IKE SAs are placed round-robin over the SPUs) started
with `--spus N --cookie-threshold 0` (a COOKIE for every IKE_SA_INIT
request without a valid one), and a legitimate peer (a second `ipsecref
gateway`, 192.0.2.1).

The peer initiates --attempts times (terminating in between). Each time it
must establish with exactly 3 IKE requests (IKE_SA_INIT, IKE_SA_INIT again
with the cookie first, IKE_AUTH: RFC 7296 §2.6, the responder accepts the
cookie it gave) and ping through. The cookie a gateway hands out is its
own, whichever SPU made it: an initiator that echoes it must not be asked
again (the initiator gives up after 4 cookies in a row, ike_init.cc).

With --spus 1 this passes (interop/hostile-cookie-1-spu, the control); with
--spus 2 it fails (interop/hostile-cookie-2-spus; FINDINGS.md).
Exit 0 all checks passed, 1 a check failed, 2 bad usage.
"""
import argparse
import os
import sys
import time

# Nothing written into the source tree (no __pycache__ beside the modules).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from lab import Failure, log  # noqa: E402


def body(args):
    problems = []
    lab.require_programs(args.ipsecref)
    with lab.Lab(args.ipsecref) as L:
        L.start_gateway("gw", ["--spus", str(args.spus), "--cookie-threshold", "0"])
        L.start_gateway("peer")
        for attempt in range(1, args.attempts + 1):
            before = int(L.stats("peer")["ike_out"])
            name = L.ctl("peer", "initiate", "gw").get("name")
            try:
                L.established("peer", timeout=10)
                sent = int(L.stats("peer")["ike_out"]) - before
                # The peer reports ESTABLISHED when it has the IKE_AUTH
                # response; its SPU installs the CHILD SA and the route a
                # moment later (longer on a loaded machine): a few tries.
                received = 0
                for _ in range(3):
                    received = L.ping_through(2)
                    if received:
                        break
                    time.sleep(0.5)
                log("attempt %d: %s established with %d IKE requests, %d of 2 pings through"
                    % (attempt, name, sent, received))
                if sent != 3:
                    problems.append("attempt %d: %d IKE requests to establish, not 3 (IKE_SA_INIT, again with "
                                    "the cookie, IKE_AUTH)" % (attempt, sent))
                if received == 0:
                    problems.append("attempt %d: no ping got through" % attempt)
            except Failure as f:
                cookies = sum("answered with a COOKIE" in line and "192.0.2.1" in line
                              for line in L.log_of("gw").splitlines())
                problems.append("attempt %d with %d SPU(s): the peer did not establish (%d COOKIEs in the gateway's "
                                "log so far; its last lines: %s): %s"
                                % (attempt, args.spus, cookies, L.log_of("peer").strip().splitlines()[-2:], f))
            for sa in L.ctl("peer", "list").get("ike_sas", []):
                L.ctl("peer", "terminate", sa["name"], check=False)
            time.sleep(0.5)
        L.alive("gw")
    return problems


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("ipsecref")
    a.add_argument("--spus", type=int, required=True)
    a.add_argument("--attempts", type=int, default=3)
    args = a.parse_args()
    lab.main_wrapper(lambda: body(args))


if __name__ == "__main__":
    main()
