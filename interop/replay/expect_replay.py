#!/usr/bin/env python3
"""expect_replay.py REPLAY.json --esp N [--init fresh|silent|any]: checks what
`ipsecref replay --json` judged against a live strongSwan, so that a run that
judged nothing (no SA listed, no answer waited for) cannot pass unnoticed."""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--esp", type=int, default=0, help="ESP packets the peer sent (one SA); 0: none expected")
    ap.add_argument("--init", choices=["fresh", "silent", "any"], default="any",
                    help="how the replayed IKE_SA_INIT must have been answered")
    ap.add_argument("--latest", type=int, default=1, help="latest requests that must get the cached response")
    a = ap.parse_args()
    r = json.load(open(a.report))
    problems = []
    res = r["results"]
    for x in res:
        print(f"{x['verdict']:<10} {x['kind']} {x.get('packet', x.get('spi'))}: {x['reason']}", file=sys.stderr)
    if r["result"] != "PASS" or r["failed"] != 0:
        problems.append(f"result {r['result']}, {r['failed']} failed")
    esp = [x for x in res if x["kind"] == "esp_in_udp"]
    if a.esp:
        if len(esp) != 1:
            problems.append(f"{len(esp)} ESP SAs judged, 1 expected")
        else:
            e = esp[0]
            if e["verdict"] != "PASS" or len(e["packets"]) != a.esp:
                problems.append(f"ESP: {e['verdict']} over {len(e['packets'])} packets, PASS over {a.esp} expected")
            if e.get("packets_in_before") != a.esp:
                problems.append(f"ESP: the gateway counted {e.get('packets_in_before')} packets in before, "
                                f"{a.esp} were sent through the tunnel")
    elif esp:
        problems.append("ESP judged where none was expected")
    init = [x for x in res if x["kind"] == "ike_sa_init"]
    if len(init) != 1 or init[0]["verdict"] != "PASS":
        problems.append(f"IKE_SA_INIT: {[(x['verdict'], x['reason']) for x in init]}")
    elif a.init == "fresh" and "fresh response" not in init[0]["reason"] and "cookie" not in init[0]["reason"]:
        problems.append(f"IKE_SA_INIT: a fresh response or a cookie expected: {init[0]['reason']}")
    elif a.init == "silent" and init[0]["answers"] != 0:
        problems.append(f"IKE_SA_INIT: silence expected while its IKE SA lives: {init[0]['reason']}")
    latest = [x for x in res if x["kind"] == "ike_request" and x["latest_request"]
              and x["verdict"] == "PASS" and x["answers"] == 1]
    if len(latest) != a.latest:
        problems.append(f"{len(latest)} latest IKE requests answered with the cached response, {a.latest} expected")
    for p in problems:
        print("expect_replay:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
