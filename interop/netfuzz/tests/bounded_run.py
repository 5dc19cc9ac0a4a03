#!/usr/bin/env python3
"""bounded_run.py IPSECREF TARGET OUTDIR COUNT [SEED]: a bounded `ipsecref fuzz`
against a namespace target (strongswan or gateway, started by the fuzzer).

Checked: the run completes all COUNT iterations (exit 0 no finding, or 1
findings: a real IUT may break a rule, and then the finding must be
complete); every probe was answered (the IUT neither crashed nor hung);
summary.json agrees with itself (the prefix counts and the answer counts
each add up to the iterations, the probes ran at least every 5 iterations)
and with stdout; most mutations reached their message (the prefixes work);
the ESP prefix ran and each ESP iteration's clean echo requests got a
reply;
each finding's directory holds capture.pcap, keys.json,
ikev2_decryption_table, finding.json and an executable replay.sh naming
--seed and --iteration.
Exit 0 passed, 1 a check failed, 77 not root (the target's own exit 77).
"""
import json
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    ipsecref, target, out, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    seed = sys.argv[5] if len(sys.argv) > 5 else "1"
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)", file=sys.stderr)
        return 77
    subprocess.run(["rm", "-rf", out])
    began = time.monotonic()
    p = subprocess.run([ipsecref, "fuzz", "--target", target, "--count", str(count), "--seed", seed, "--time", "100",
                        "--out", out], capture_output=True, text=True)
    elapsed = time.monotonic() - began
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    if p.returncode == 77:
        return 77
    problems = []
    if p.returncode not in (0, 1):
        problems.append("exit %d, not 0 or 1" % p.returncode)
    try:
        s = json.load(open(os.path.join(out, "summary.json")))
    except (OSError, ValueError) as e:
        print("FAIL: no summary.json: %s" % e, file=sys.stderr)
        return 1
    n = s["iterations"]
    if n != count:
        problems.append("%d iterations, not %d (stopped early: %s)" % (n, count, s["stopped_early"]))
    if sum(s["prefixes"].values()) != n:
        problems.append("prefix counts add up to %d, not %d" % (sum(s["prefixes"].values()), n))
    if sum(s["answers"].values()) != n:
        problems.append("answer counts add up to %d, not %d" % (sum(s["answers"].values()), n))
    if s["probes"] < n // 5:
        problems.append("%d probes for %d iterations (one every 5 at least)" % (s["probes"], n))
    if s["probes_failed"] != 0:
        problems.append("%d probes failed: the target stopped answering" % s["probes_failed"])
    if s["mutations_reached"] < n // 2:
        problems.append("only %d of %d mutations reached their message" % (s["mutations_reached"], n))
    # The ESP prefix reaches a working dataplane: the clean echo requests
    # of an ESP iteration get replies. Each iteration comes after others
    # that left CHILD SAs of the same selectors behind (the tester never
    # deletes them): the IUT must send its replies on the newest, whose
    # keys the tester has.
    for e in s.get("esp", []):
        if e["clean_sent"] and not e["clean_answered"]:
            problems.append("ESP iteration %d (%s): none of %d clean echo requests answered" %
                            (e["iteration"], e["step"], e["clean_sent"]))
    if not s.get("esp"):
        problems.append("no ESP iteration ran: the ESP prefix is not exercised")
    if (p.returncode == 1) != bool(s["findings"]):
        problems.append("exit %d with %d findings" % (p.returncode, len(s["findings"])))
    if "%d iterations" % n not in p.stdout:
        problems.append("stdout does not say %d iterations" % n)
    for f in s["findings"]:
        for name in ("capture.pcap", "keys.json", "ikev2_decryption_table", "finding.json", "replay.sh"):
            if not os.path.isfile(os.path.join(f["dir"], name)):
                problems.append("finding %d: no %s" % (f["iteration"], name))
        replay = os.path.join(f["dir"], "replay.sh")
        if os.path.isfile(replay):
            text = open(replay).read()
            if not os.access(replay, os.X_OK) or "--iteration %d" % f["iteration"] not in text or "--seed " + seed not in text:
                problems.append("finding %d: replay.sh does not name its seed and iteration" % f["iteration"])
    print("%s: %d iterations in %.1f s (%.2f/s), %d probes, %d findings" % (
        target, n, elapsed, n / elapsed if elapsed else 0, s["probes"], len(s["findings"])))
    for problem in problems:
        print("FAIL: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
