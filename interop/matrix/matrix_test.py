#!/usr/bin/python3
"""matrix_test.py IPSECREF MODE OUT: the interop matrix runner (interop/run) as ctest runs it.

MODE
  host    strongSwan (kernel-libipsec) and the reference, every pair with
          the reference in it, both ways, and every case: every run passes or is unsupported, and
          unsupported exactly where implementations.json lacks a feature;
          every run's evidence is there and judges again as recorded
          (--rejudge); results.json is valid (report.py) and the HTML and
          Markdown reports are written.
  faults  a deliberately broken adapter turns exactly the right cells red:
          --fault wrong-psk:reference fails the PSK case (gcm) wherever the
          reference takes part and nowhere else, and leaves the certificate
          case (ecdsa) green; --fault wrong-proposal:reference fails every
          run with the reference and no other (its IKE proposal, which every
          implementation has, is one no other end is configured with).
  uml     strongSwan on the kernel's XFRM, libreswan and the reference in one
          user-mode Linux guest: the gcm case in every pair, and the esn and
          transport cases where both ends have them; all pass.
  cli     bad command lines and input files (unknown implementation or case,
          an --out that cannot be a directory, a broken implementations.json,
          a bad --fault, a missing or broken --rejudge directory): each exits 2
          with one line naming the option and what is wrong, never a traceback;
          needs no root.
Exit 0 all as expected, 1 otherwise (every difference named), 77 when not
root (ctest counts it as skipped).
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(os.path.dirname(HERE), "run")
sys.path.insert(0, HERE)
import report  # noqa: E402


def interop(ipsecref, out, *args):
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([sys.executable, RUN, "--ipsecref", ipsecref, "--out", out] + list(args),
                       capture_output=True, text=True, timeout=3000)
    print(r.stdout[-6000:], r.stderr[-3000:])
    results = report.load(os.path.join(out, "results.json"))
    return r.returncode, {(x["initiator"], x["responder"], x["case"]): x for x in results["runs"]}


def expect(problems, what, got, want):
    if got != want:
        problems.append("%s: %s, expected %s" % (what, got, want))


def host(ipsecref, out):
    problems = []
    with open(os.path.join(os.path.dirname(HERE), "implementations.json")) as f:
        impls = json.load(f)["implementations"]
    from cases import CASES
    # Every pair with the reference in it, both ways; strongSwan against
    # itself tests no code of the project and is left to the whole matrix
    # (tools/run-interop.sh).
    for part, initiators, responders in (("a", "reference", "strongswan,reference"),
                                         ("b", "strongswan", "reference")):
        part_out = os.path.join(out, part)
        rc, runs = interop(ipsecref, part_out, "--peers", "strongswan,reference",
                           "--initiators", initiators, "--responders", responders)
        expect(problems, "exit", rc, 0)
        for (i, r, c), run in sorted(runs.items()):
            lacking = [f for f in CASES[c].features if f not in impls[i]["features"] or f not in impls[r]["features"]]
            expect(problems, "%s -> %s %s" % (i, r, c), run["verdict"], "unsupported" if lacking else "pass")
            if run["verdict"] == "pass":
                for name in ("capture.pcap", "keys/keys.json", "check.txt", "tshark.txt", "result.json"):
                    if not os.path.exists(os.path.join(part_out, run["evidence"], name)):
                        problems.append("%s -> %s %s: no %s" % (i, r, c, name))
                # the keys the ends told decrypt the traffic (ipsecref check found keyed SAs)
                check = [x for x in run["checks"] if x["name"] == "check"]
                expect(problems, "%s -> %s %s check" % (i, r, c), check[0]["verdict"] if check else None, "pass")
        pairs = len(initiators.split(",")) * len(responders.split(","))
        expect(problems, "runs (%s)" % part, len(runs), pairs * len(CASES))
        for name in ("matrix.html", "matrix.md"):
            if not os.path.exists(os.path.join(part_out, name)):
                problems.append("no %s" % name)
        r = subprocess.run([sys.executable, RUN, "--ipsecref", ipsecref, "--rejudge", part_out],
                           capture_output=True, text=True)
        print(r.stdout)
        expect(problems, "--rejudge exit (%s)" % part, r.returncode, 0)
    return problems


def faults(ipsecref, out):
    problems = []
    rc, runs = interop(ipsecref, out, "--peers", "strongswan,reference", "--cases", "gcm,ecdsa",
                       "--fault", "wrong-psk:reference")
    expect(problems, "wrong-psk exit", rc, 1)
    for (i, r, c), run in sorted(runs.items()):
        red = c == "gcm" and "reference" in (i, r)
        expect(problems, "wrong-psk %s -> %s %s" % (i, r, c), run["verdict"], "fail" if red else "pass")
    rc, runs = interop(ipsecref, out, "--peers", "strongswan,reference", "--cases", "gcm",
                       "--fault", "wrong-proposal:reference")
    expect(problems, "wrong-proposal exit", rc, 1)
    for (i, r, c), run in sorted(runs.items()):
        expect(problems, "wrong-proposal %s -> %s %s" % (i, r, c), run["verdict"],
               "fail" if "reference" in (i, r) else "pass")
    return problems


def uml(ipsecref, out):
    problems = []
    peers = ["strongswan-xfrm", "libreswan", "reference"]
    rc, runs = interop(ipsecref, out, "--peers", ",".join(peers), "--cases", "gcm,esn,transport")
    expect(problems, "exit", rc, 0)
    for (i, r, c), run in sorted(runs.items()):
        kernel_only = c == "transport" and "reference" in (i, r)
        expect(problems, "%s -> %s %s" % (i, r, c), run["verdict"], "unsupported" if kernel_only else "pass")
    expect(problems, "runs", len(runs), 27)
    return problems


def cli(ipsecref, out):
    problems = []
    os.makedirs(out, exist_ok=True)
    broken = {"not-json.json": "{", "empty.json": "{}", "bad-kernel.json":
              '{"implementations": {"x": {"adapter": "strongswan", "kernel": "vm", "roles": ["initiator"], "features": []}}}',
              "bad-adapter.json":
              '{"implementations": {"x": {"adapter": "racoon", "kernel": "host", "roles": ["initiator"], "features": []}}}',
              "bad-roles.json":
              '{"implementations": {"x": {"adapter": "reference", "kernel": "host", "roles": "both", "features": []}}}'}
    for name, text in broken.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    os.makedirs(os.path.join(out, "no-results"), exist_ok=True)
    os.makedirs(os.path.join(out, "bad-results"), exist_ok=True)
    with open(os.path.join(out, "bad-results", "results.json"), "w") as f:
        f.write('{"schema": "ipsecref-interop-1"}')
    cases = [
        (["--peers", "nosuch"], "unknown implementation nosuch"),
        (["--cases", "gcm,nosuch"], "unknown case nosuch"),
        (["--initiators", "libreswan", "--peers", "strongswan"], "unknown initiator libreswan"),
        (["--out", "/dev/null/x"], "--out /dev/null/x: not a writable directory"),
        (["--out", "/proc/version"], "--out /proc/version: not a writable directory"),
        (["--fault", "wrong-psk"], "--fault wrong-psk: FAULT:IMPLEMENTATION"),
        (["--fault", "bogus:reference"], "--fault bogus:reference"),
        (["--implementations", os.path.join(out, "missing.json")], "No such file"),
        (["--rejudge", os.path.join(out, "no-results")], "--rejudge: "),
        (["--rejudge", os.path.join(out, "bad-results")], "--rejudge: "),
        (["--ipsecref", "/nonexistent"], "no ipsecref binary"),
        (["--out"], "expected one argument"),
    ] + [(["--implementations", os.path.join(out, n)], "--implementations") for n in broken]
    for args, said in cases:
        argv = [sys.executable, RUN] + (["--ipsecref", ipsecref] if "--ipsecref" not in args else []) + args
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 2 or said not in r.stderr or "Traceback" in r.stderr or len(r.stderr) > 2000:
            problems.append("%s: exit %d, stderr %r (expected exit 2 naming %r)" % (
                " ".join(args), r.returncode, r.stderr[-300:], said))
    return problems


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("host", "faults", "uml", "cli"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[2] == "cli":
        problems = cli(os.path.abspath(sys.argv[1]), sys.argv[3])
    elif os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        return 77
    else:
        problems = {"host": host, "faults": faults, "uml": uml}[sys.argv[2]](os.path.abspath(sys.argv[1]),
                                                                            sys.argv[3])
    for p in problems:
        print("FAIL " + p)
    print("matrix_test %s: %s" % (sys.argv[2], "%d problems" % len(problems) if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
