#!/usr/bin/python3
"""run_manifest.py --ipsecref BIN [--manifest FILE] [NAME...]

Runs 'ipsecref check --json' on the captures of manifest.json (all, or the
named ones) and compares the report with what each entry expects: the exit
code, packet and kind counts, every listed SA field, the inner-packet
comparison, the read error, the exact set of failed packets (number, error
code and, where given, the requirement) and of packets with findings. Exit 0 iff all match.
File names in SA fields (the origins of keys) are compared relative to pcaps/.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def check_command(ipsecref, entry):
    cmd = [ipsecref, "check", os.path.relpath(os.path.join(HERE, entry["capture"])),
           "--keys", os.path.relpath(os.path.join(HERE, entry["keys"]))]
    if "expect_inner" in entry:
        cmd += ["--expect-inner", os.path.relpath(os.path.join(HERE, entry["expect_inner"]))]
    return cmd + entry.get("args", [])


def relative_to_pcaps(value):
    """The report with file names as the manifest gives them: relative to pcaps/."""
    prefix = os.path.relpath(HERE) + os.sep
    if isinstance(value, str):
        return value[len(prefix):] if value.startswith(prefix) else value
    if isinstance(value, list):
        return [relative_to_pcaps(v) for v in value]
    if isinstance(value, dict):
        return {k: relative_to_pcaps(v) for k, v in value.items()}
    return value


def check_entry(ipsecref, entry):
    problems = []
    run = subprocess.run(check_command(ipsecref, entry) + ["--json"], capture_output=True, text=True)
    expect = entry["expect"]
    if run.returncode != expect["exit_code"]:
        problems.append("exit code %d, expected %d" % (run.returncode, expect["exit_code"]))
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return problems + ["no JSON report; stderr: %s" % run.stderr.strip()]

    if "packets" in expect and report["packets"] != expect["packets"]:
        problems.append("packets %d, expected %d" % (report["packets"], expect["packets"]))
    if "kinds" in expect and report["kinds"] != expect["kinds"]:
        problems.append("kinds %s, expected %s" % (report["kinds"], expect["kinds"]))

    sas = {sa["spi"]: sa for sa in report["sas"]}
    if sorted(sas) != sorted(sa["spi"] for sa in expect.get("sas", [])):
        problems.append("SAs %s, expected %s" % (sorted(sas), sorted(sa["spi"] for sa in expect["sas"])))
    for want in expect.get("sas", []):
        have = sas.get(want["spi"])
        if have is None:
            continue
        for field, value in want.items():
            if relative_to_pcaps(have.get(field)) != value:
                problems.append("SA %s %s = %s, expected %s" % (want["spi"], field, have.get(field), value))

    if "inner" in expect:
        inner = report.get("inner")
        if inner is None:
            problems.append("no inner comparison in the report")
        else:
            for field, value in expect["inner"].items():
                if inner.get(field) != value:
                    problems.append("inner %s = %s, expected %s" % (field, inner.get(field), value))

    if "read_error" in expect:
        text = report.get("read_error", {}).get("text", "")
        if expect["read_error"] not in text:
            problems.append("read error %r does not mention %r" % (text, expect["read_error"]))
    elif "read_error" in report:
        problems.append("unexpected read error: %s" % report["read_error"]["text"])

    failed = {}
    for p in report["notable_packets"]:
        if p["verdict"] == "failed":
            failed[p["number"]] = p.get("error", {})
    wanted = {f["packet"]: f for f in expect.get("failures", [])}
    if sorted(failed) != sorted(wanted):
        problems.append("failed packets %s, expected %s" % (sorted(failed), sorted(wanted)))
    for number, want in wanted.items():
        error = failed.get(number)
        if error is None:
            continue
        if error.get("code") != want["code"]:
            problems.append("packet %d failed with %s, expected %s" % (number, error.get("code"), want["code"]))
        if "requirement" in want and error.get("requirement") != want["requirement"]:
            problems.append("packet %d cites %s, expected %s" % (number, error.get("requirement"), want["requirement"]))

    found = {}
    for p in report["notable_packets"]:
        for f in p.get("findings", []):
            found.setdefault(p["number"], []).append(f)
    wanted = {f["packet"]: f for f in expect.get("findings", [])}
    if sorted(found) != sorted(wanted):
        problems.append("packets with findings %s, expected %s" % (sorted(found), sorted(wanted)))
    for number, want in wanted.items():
        codes = [f["code"] for f in found.get(number, [])]
        if want["code"] not in codes:
            problems.append("packet %d findings %s, expected %s" % (number, codes, want["code"]))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ipsecref", required=True)
    ap.add_argument("--manifest", default=os.path.join(HERE, "manifest.json"))
    ap.add_argument("--show", action="store_true",
                    help="also print ipsecref's own report for every capture expected to pass "
                         "(the deliberately faulty ones are only compared with the manifest)")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    entries = json.load(open(args.manifest))["captures"]
    if args.names:
        unknown = set(args.names) - {e["name"] for e in entries}
        if unknown:
            print("unknown entries: %s" % ", ".join(sorted(unknown)))
            return 2
        entries = [e for e in entries if e["name"] in args.names]
    failures = 0
    for entry in entries:
        if args.show and entry["expect"]["exit_code"] == 0:
            cmd = check_command(args.ipsecref, entry)
            print("$ ipsecref " + " ".join(cmd[1:]))
            sys.stdout.flush()
            subprocess.run(cmd)
        problems = check_entry(args.ipsecref, entry)
        print("%s %s (manifest: %s)" % ("PASS" if not problems else "FAIL", entry["name"],
                                         "as expected" if not problems else "differs"))
        for p in problems:
            print("     " + p)
        failures += bool(problems)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
