#!/usr/bin/python3
"""run_scenario.py IPSECREF SCENARIO OUTDIR: runs `ipsecref exchange SCENARIO
--pcap OUTDIR/capture.pcap --keys-out OUTDIR` and checks that it exits 0,
that the capture and the three key files exist, and that the report ends
with "PASS SCENARIO". Exit 0 when all holds, 1 otherwise (the report shown)."""
import os
import shutil
import subprocess
import sys


def main():
    ipsecref, name, out = sys.argv[1:4]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    capture = os.path.join(out, "capture.pcap")
    run = subprocess.run([ipsecref, "exchange", name, "--pcap", capture, "--keys-out", out],
                         capture_output=True, text=True)
    print(run.stdout, end="")
    print(run.stderr, end="", file=sys.stderr)
    problems = []
    if run.returncode != 0:
        problems.append("exit %d" % run.returncode)
    for f in ("capture.pcap", "ikev2_decryption_table", "esp_sa", "keys.json"):
        if not os.path.isfile(os.path.join(out, f)):
            problems.append("%s was not written" % f)
    if not run.stdout.rstrip().endswith("PASS " + name):
        problems.append("the report does not end with 'PASS %s'" % name)
    for p in problems:
        print("FAIL %s: %s" % (name, p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
