#!/usr/bin/python3
"""hostile_cases.py IPSECREF: `ipsecref exchange` with command lines that
must be refused: exit 2, the problem named on stderr (and as JSON on stdout
with --json), no signal, and no output file written or damaged."""
import json
import os
import struct
import subprocess
import sys
import tempfile


def run(ipsecref, *args):
    return subprocess.run([ipsecref, "exchange", *args], capture_output=True, text=True, timeout=60)


def main():
    ipsecref = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory(prefix="exchange-hostile-") as tmp:
        keys = os.path.join(tmp, "keys")
        existing = os.path.join(tmp, "existing.pcap")
        with open(existing, "wb") as f:
            f.write(b"an existing file that a refused run must leave as it was")
        a_file = os.path.join(tmp, "a-file")
        with open(a_file, "w") as f:
            f.write("x")
        cases = [
            # (name, args, exit code, text stderr must hold)
            ("unknown scenario", ["no-such-scenario"], 2, 'unknown scenario "no-such-scenario"'),
            ("no scenario", [], 2, "a SCENARIO is required"),
            ("unwritable --pcap", ["basic", "--pcap", os.path.join(tmp, "no", "such", "dir", "x.pcap")], 2,
             "x.pcap"),
            ("--pcap a directory", ["basic", "--pcap", tmp], 2, tmp),
            ("--pcap equal to a key file", ["basic", "--keys-out", keys, "--pcap", os.path.join(keys, "keys.json")],
             2, "one of the key files"),
            ("--pcap equal to a key file by another name",
             ["basic", "--keys-out", keys, "--pcap", os.path.join(keys, ".", "esp_sa")], 2, "one of the key files"),
            ("--keys-out a file", ["basic", "--keys-out", a_file], 2, "a-file"),
            ("--pcap empty", ["basic", "--pcap", ""], 2, "--pcap"),
            ("--seed not a number", ["basic", "--seed", "twelve"], 2, "--seed"),
            ("--seed negative", ["basic", "--seed", "-1"], 2, "--seed"),
            ("unknown deviation", ["basic", "--deviation", "drop-nth=3", "--pcap", existing], 2,
             "unknown deviation 'drop-nth'"),
            ("unknown deviation peer", ["basic", "--deviation", "server:drop-out=2"], 2, "unknown peer 'server'"),
            ("deviation argument out of range", ["basic", "--deviation", "drop-out=0"], 2, "drop-out"),
            ("--pcap /dev/full", ["basic", "--pcap", "/dev/full"], 2, "/dev/full"),
        ]
        for name, args, code, text in cases:
            r = run(ipsecref, *args)
            if r.returncode != code:
                failures.append("%s: exit %d, expected %d\n  stderr: %s" % (name, r.returncode, code, r.stderr))
            elif text not in r.stderr:
                failures.append("%s: stderr does not name %r\n  stderr: %s" % (name, text, r.stderr))
            else:
                print("ok   %s: exit %d, %s" % (name, r.returncode, r.stderr.strip().splitlines()[0]))
        with open(existing, "rb") as f:
            if f.read() != b"an existing file that a refused run must leave as it was":
                failures.append("a refused run changed the existing --pcap file")
        if os.path.exists(os.path.join(tmp, "no")):
            failures.append("a refused run created a directory for --pcap")
        leftovers = [f for f in os.listdir(tmp) if ".ipsecref-" in f] + \
                    ([f for f in os.listdir(keys) if ".ipsecref-" in f] if os.path.isdir(keys) else [])
        if leftovers:
            failures.append("temporary files left behind: %s" % leftovers)
        # --json: the error as a JSON object on stdout.
        r = run(ipsecref, "no-such-scenario", "--json")
        try:
            error = json.loads(r.stdout)["error"]
            if r.returncode != 2 or error["exit_code"] != 2 or "no-such-scenario" not in error["message"]:
                failures.append("--json unknown scenario: %s" % r.stdout)
            else:
                print("ok   --json unknown scenario: %s" % error["message"])
        except (ValueError, KeyError) as ex:
            failures.append("--json unknown scenario: not a JSON error (%s): %r" % (ex, r.stdout))
        # A good run for contrast: exit 0, files in place.
        r = run(ipsecref, "basic", "--pcap", existing, "--keys-out", keys)
        if r.returncode != 0 or not os.path.isfile(os.path.join(keys, "keys.json")):
            failures.append("basic: exit %d: %s" % (r.returncode, r.stderr))
        else:
            print("ok   basic with --pcap over an existing file and --keys-out: exit 0")
        # A known deviation runs: the lost IKE_AUTH response leaves the basic
        # scenario (no timers) without an IKE SA: exit 1, the failure named.
        r = run(ipsecref, "basic", "--deviation", "responder:drop-out=2")
        if r.returncode != 1 or "failed: the IKE SA was not established" not in r.stdout:
            failures.append("basic --deviation responder:drop-out=2: exit %d\n%s" % (r.returncode, r.stdout))
        else:
            print("ok   basic --deviation responder:drop-out=2: exit 1, the IKE SA was not established")
        # The capture's times are the fake clock's (2026-01-01T00:00:00Z =
        # 1767225600 s since the epoch); the IKE_AUTH request is retransmitted
        # after the 4 s of the default schedule (reference/ike/sa/config.h).
        capture = os.path.join(tmp, "times.pcap")
        run(ipsecref, "retransmission", "--pcap", capture)
        with open(capture, "rb") as f:
            data = f.read()
        times, offset = [], 24
        while offset + 16 <= len(data):
            seconds, micros, length, _ = struct.unpack_from("<IIII", data, offset)
            times.append(seconds + micros / 1e6)
            offset += 16 + length
        if len(times) != 6 or times[0] != 1767225600 or times[4] - times[0] != 4.0:
            failures.append("retransmission capture times: %s" % times)
        else:
            print("ok   retransmission capture: starts at 1767225600 s, the retransmission 4 s later")
        # --json on a good run: the ladder, the final SAs and the verdict.
        r = run(ipsecref, "retransmission", "--json", "--pcap", os.path.join(tmp, "r.pcap"))
        try:
            report = json.loads(r.stdout)
            notes = [d.get("note") for d in report["datagrams"]]
            if (r.returncode != 0 or report["verdict"] != "PASS" or len(report["datagrams"]) != 6
                    or notes[3] != "lost" or notes[4] != "retransmission"
                    or report["runs"][0]["initiator"][0]["state"] != "ESTABLISHED"):
                failures.append("--json retransmission: %s" % r.stdout[:2000])
            else:
                print("ok   --json retransmission: 6 datagrams, the 4th lost, the 5th a retransmission, PASS")
        except (ValueError, KeyError, IndexError) as ex:
            failures.append("--json retransmission: not the report expected (%s): %r" % (ex, r.stdout[:500]))
    for f in failures:
        print("FAIL " + f)
    print("exchange hostile cases: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
