#!/usr/bin/python3
"""ipsecref tunnel-map on event files, each with the map the anchoring rules
give, worked out by hand from the rules (reference/spu/anchoring.h):
least-loaded gateways and manual tunnels (lowest index on a tie), round-robin
dynamic peers, tunnels on their IKE SA's SPU, nothing ever moved.

The first case is the example of the issue that asked for the command:
three SPUs, three IKE gateways, seven tunnels.

usage: tunnel_map_cases.py IPSECREF
"""
import json
import subprocess
import sys

EXAMPLE = """\
spus 3
gateway IKE-1
gateway IKE-2
gateway IKE-3
tunnel IPsec-1 over IKE-1
tunnel IPsec-2 over IKE-1
tunnel IPsec-3 over IKE-1
tunnel IPsec-4 over IKE-2
tunnel IPsec-5 over IKE-2
tunnel IPsec-6 over IKE-2
tunnel IPsec-7 over IKE-3
"""

EXAMPLE_MAP = """\
| SPU | IKE gateway | IPsec tunnels |
| --- | --- | --- |
| SPU0 | IKE-1 | IPsec-1 IPsec-2 IPsec-3 |
| SPU1 | IKE-2 | IPsec-4 IPsec-5 IPsec-6 |
| SPU2 | IKE-3 | IPsec-7 |
"""

EXAMPLE_SUMMARY = """\
| SPU | IKE gateways | IPsec tunnels | Load |
| --- | --- | --- | --- |
| SPU0 | 1 | 3 | 1 |
| SPU1 | 1 | 3 | 1 |
| SPU2 | 1 | 1 | 1 |
"""

# Two SPUs. G1 -> SPU0 (tie, lowest); M1 -> SPU1 (load 1 vs 0); D1, D2, D3
# round-robin from SPU0 whatever the load; G1 removed (SPU0 load 0) so G2 ->
# SPU0; T1 over D2 (SPU1) rekeyed stays on SPU1; D1's tunnel T2 on SPU0.
MIXED = """\
spus 2
gateway G1
manual M1
dynamic D1
dynamic D2
dynamic D3
tunnel T0 over G1
remove G1
gateway G2
tunnel T1 over D2
rekey T1 T1b
tunnel T2 over D1
"""

MIXED_MAP = """\
| SPU | IKE gateway | IPsec tunnels |
| --- | --- | --- |
| SPU0 | D1 (dynamic) D3 (dynamic) G2 | T2 |
| SPU1 | D2 (dynamic) | M1 (manual) T1b |
"""

# (name, arguments, stdin, exit code, stdout or None, stderr fragments)
CASES = [
    ("issue example", ["tunnel-map", "-"], EXAMPLE, 0, EXAMPLE_MAP, []),
    ("issue example, summary", ["tunnel-map", "--summary"], EXAMPLE, 0, EXAMPLE_SUMMARY, []),
    ("spus from the command line", ["tunnel-map", "--spus", "3"],
     EXAMPLE.replace("spus 3\n", ""), 0, EXAMPLE_MAP, []),
    ("interleaved arrivals, same map", ["tunnel-map"],
     "spus 3\ngateway IKE-1\ntunnel IPsec-1 over IKE-1\ngateway IKE-2\ntunnel IPsec-4 over IKE-2\n"
     "tunnel IPsec-2 over IKE-1\ngateway IKE-3\ntunnel IPsec-5 over IKE-2\ntunnel IPsec-3 over IKE-1\n"
     "tunnel IPsec-7 over IKE-3\ntunnel IPsec-6 over IKE-2\n", 0, EXAMPLE_MAP, []),
    ("manual, dynamic, removal, rekey", ["tunnel-map"], MIXED, 0, MIXED_MAP, []),
    # A device that broke a tie differently is within the rules: IKE-2 may
    # go to SPU1 or SPU2; it went to SPU2, so IKE-3 must go to SPU1.
    ("device's tie-break accepted", ["tunnel-map"],
     "spus 3\ngateway IKE-1 at SPU0\ngateway IKE-2 at SPU2\ngateway IKE-3 at SPU1\n"
     "tunnel IPsec-1 over IKE-2 at SPU2\n", 0, None, ["4 reported placements checked"]),
    ("device overloads an SPU", ["tunnel-map"],
     "spus 3\ngateway IKE-1 at SPU0\ngateway IKE-2 at SPU0\n", 1, "",
     ["line 3", "IKE-2", "spu.least-loaded", "SPU1, SPU2"]),
    ("device moves a tunnel off its IKE SA's SPU", ["tunnel-map"],
     "spus 2\ngateway IKE-1\ntunnel IPsec-1 over IKE-1 at SPU1\n", 1, "",
     ["line 3", "spu.follow-ike-sa", "IKE-1 is on SPU0"]),
    ("device skips a round-robin turn", ["tunnel-map"],
     "spus 3\ndynamic D1 at SPU1\ndynamic D2 at SPU0\n", 1, "",
     ["line 3", "spu.round-robin", "SPU2"]),
    ("rekeyed tunnel reported elsewhere", ["tunnel-map"],
     "spus 2\ngateway G\ntunnel T over G\nrekey T T2 at SPU1\n", 1, "",
     ["line 4", "spu.follow-ike-sa"]),
    ("unknown event", ["tunnel-map", "--spus", "2"], "gateway G\nbogus G2\n", 2, "",
     ["line 2", "unknown event 'bogus'"]),
    ("tunnel over nothing", ["tunnel-map", "--spus", "2"], "tunnel T over G\n", 2, "",
     ["line 1", "no gateway or dynamic peer named 'G'"]),
    ("name in use", ["tunnel-map", "--spus", "2"], "gateway G\nmanual G\n", 2, "",
     ["line 2", "already in use"]),
    ("no SPU count", ["tunnel-map"], "gateway G\n", 2, "", ["spus N"]),
    ("conflicting SPU counts", ["tunnel-map", "--spus", "2"], "spus 3\n", 2, "", ["spus 3", "--spus says 2"]),
    ("SPU beyond the count", ["tunnel-map"], "spus 2\ngateway G at SPU2\n", 2, "",
     ["line 2", "SPU2 does not exist"]),
]


def main():
    ipsecref = sys.argv[1]
    failures = 0
    for name, args, stdin, code, stdout, fragments in CASES:
        p = subprocess.run([ipsecref] + args, input=stdin, capture_output=True, text=True, timeout=30)
        problems = []
        if p.returncode != code:
            problems.append(f"exit {p.returncode}, expected {code}")
        if stdout is not None and stdout != "" and p.stdout != stdout:
            problems.append(f"stdout:\n{p.stdout}\nexpected:\n{stdout}")
        if stdout == "" and p.stdout:
            problems.append(f"unexpected stdout:\n{p.stdout}")
        for f in fragments:
            if f not in p.stdout + p.stderr:
                problems.append(f"'{f}' not in the output: {p.stdout}{p.stderr}")
        print(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems:
            print(f"     {problem}")
        failures += bool(problems)

    # JSON: the same example, every entry with its kind and (tunnels) IKE SA.
    p = subprocess.run([ipsecref, "tunnel-map", "--json"], input=MIXED, capture_output=True, text=True)
    doc = json.loads(p.stdout)
    expected = {
        "spus": 2, "checked_placements": 0,
        "map": [
            {"spu": 0, "load": 1,
             "ike": [{"name": "D1", "kind": "dynamic"}, {"name": "D3", "kind": "dynamic"},
                     {"name": "G2", "kind": "gateway"}],
             "tunnels": [{"name": "T2", "kind": "tunnel", "ike": "D1"}]},
            {"spu": 1, "load": 1,
             "ike": [{"name": "D2", "kind": "dynamic"}],
             "tunnels": [{"name": "M1", "kind": "manual"}, {"name": "T1b", "kind": "tunnel", "ike": "D2"}]},
        ],
    }
    ok = p.returncode == 0 and doc == expected
    print(f"{'ok  ' if ok else 'FAIL'} json")
    if not ok:
        print(json.dumps(doc, indent=2))
    failures += not ok
    print(f"{len(CASES) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
