#!/usr/bin/python3
"""ipsecref check --junit: the JUnit XML parses (xml.etree) and says what
pcaps/manifest.json expects of each faulty capture (expected failures were
confirmed with tshark and Scapy): one testsuite per capture, one testcase
per SA, a <failure> per kind of problem naming its packets and requirement,
an <error> when the capture breaks off, findings as failures with --strict.
Then names that need escaping (a capture path with XML markup characters
and a byte that is not UTF-8) survive the trip.

Usage: junit_cases.py PATH/TO/ipsecref
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
PCAPS = os.path.join(ROOT, "pcaps")

problems = []


def expect(condition, what):
    if not condition:
        problems.append(what)


def run_check(ipsecref, capture, keys, args, out):
    cmd = [ipsecref, "check", capture, "--keys", keys, "--junit", out] + args
    return subprocess.run(cmd, capture_output=True, text=True).returncode


def suites_of(path):
    root = ET.parse(path).getroot()
    expect(root.tag == "testsuites", f"{path}: root is <{root.tag}>")
    return root, root.findall("testsuite")


def check_counts(name, element):
    """tests/failures/errors/skipped agree with the testcases under it."""
    cases = element.iter("testcase")
    n = f = e = s = 0
    for case in cases:
        n += 1
        f += case.find("failure") is not None
        e += case.find("error") is not None
        s += case.find("skipped") is not None
    for attr, value in (("tests", n), ("failures", f), ("errors", e), ("skipped", s)):
        expect(element.get(attr) == str(value),
               f"{name}: <{element.tag}> {attr}={element.get(attr)}, its testcases say {value}")


def packets_of(failure):
    m = re.search(r"packets? ([\d, ]+)$", failure.get("message"))
    return [int(x) for x in m.group(1).split(",")] if m else []


def check_entry(ipsecref, entry, tmp):
    name = entry["name"]
    out = os.path.join(tmp, name + ".xml")
    args = entry.get("args", [])
    if "expect_inner" in entry:
        args = args + ["--expect-inner", os.path.join(PCAPS, entry["expect_inner"])]
    code = run_check(ipsecref, os.path.join(PCAPS, entry["capture"]),
                     os.path.join(PCAPS, entry["keys"]), args, out)
    want = entry["expect"]
    expect(code == want["exit_code"], f"{name}: exit {code}, manifest says {want['exit_code']}")
    root, suites = suites_of(out)
    expect(len(suites) == 1, f"{name}: {len(suites)} testsuites, one capture was checked")
    check_counts(name, root)
    suite = suites[0]
    check_counts(name, suite)
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    for case in cases.values():
        expect(case.get("classname") == suite.get("name"),
               f"{name}: testcase classname {case.get('classname')} is not the suite's")

    # The capture read to its end, or an <error> naming the record it broke off at.
    read = cases.get("capture read to its end")
    expect(read is not None, f"{name}: no testcase for reading the capture")
    broke_off = want["exit_code"] == 2
    if read is not None:
        error = read.find("error")
        expect((error is not None) == broke_off,
               f"{name}: reading the capture: error {error is not None}, expected {broke_off}")
        if error is not None:
            expect(str(want["packets"] + 1) in error.get("message"),
                   f"{name}: the read error does not name record {want['packets'] + 1}: "
                   f"{error.get('message')}")

    # One testcase per SA of the manifest; its failures are the manifest's.
    failures = {}
    for f in want["failures"]:
        failures.setdefault(f["code"], []).append(f)
    seen_failures = {}
    for sa in want["sas"]:
        matching = [c for n, c in cases.items() if f"SPI {sa['spi']} " in n]
        expect(len(matching) == 1, f"{name}: {len(matching)} testcases for SPI {sa['spi']}")
        if len(matching) != 1:
            continue
        case = matching[0]
        found = case.findall("failure")
        expect(case.find("error") is None, f"{name}: SPI {sa['spi']} has an <error>")
        if sa.get("failed", 0) == 0 and "--strict" not in entry.get("args", []):
            expect(not found, f"{name}: SPI {sa['spi']} failed none, has {len(found)} <failure>")
        for failure in found:
            code = failure.get("type")
            seen_failures.setdefault(code, []).extend(packets_of(failure))
            for f in failures.get(code, []):
                if "requirement" in f:
                    expect(f["requirement"] in failure.get("message")
                           and f["requirement"] in (failure.text or ""),
                           f"{name}: {code} does not cite {f['requirement']}")
    expected_failures = {code: sorted(f["packet"] for f in fs) for code, fs in failures.items()}
    seen_failures = {code: sorted(p) for code, p in seen_failures.items()}
    if "--strict" not in entry.get("args", []):
        expect(seen_failures == expected_failures,
               f"{name}: failures {seen_failures}, manifest says {expected_failures}")
    else:
        # --strict: the findings that fail the check are failures too.
        expect(int(suite.get("failures")) >= 1, f"{name}: --strict, yet no failure")

    # strongSwan's captures hold one IKE SA (README: 80ea419260b5b6ec_i
    # 2c239fb98b89226d_r), its keys known; no IKE error in the faults.
    if entry["keys"].startswith("strongswan-gcm") and broke_off is False:
        ike = [c for n, c in cases.items() if n.startswith("IKE SA 80ea419260b5b6ec_i 2c239fb98b89226d_r")]
        expect(len(ike) == 1, f"{name}: {len(ike)} testcases for the IKE SA")
        if ike:
            expect(ike[0].find("failure") is None, f"{name}: the IKE SA has a failure")

    inner = [c for n, c in cases.items() if n.startswith("inner packets match")]
    expect(len(inner) == ("expect_inner" in entry),
           f"{name}: {len(inner)} inner-packet testcases")


def check_escaping(ipsecref, tmp):
    """A capture path with markup characters and a byte that is not UTF-8."""
    weird = os.path.join(tmp.encode(), b"a&b<c>\"d'\xff")
    os.makedirs(weird)
    capture = os.path.join(weird, b"capture.pcap")
    shutil.copy(os.path.join(PCAPS, "faults", "strongswan-gcm-flipped-bit.pcap").encode(), capture)
    out = os.path.join(tmp, "escaping.xml")
    code = subprocess.run([ipsecref.encode(), b"check", capture, b"--keys",
                           os.path.join(PCAPS, "strongswan-gcm").encode(), b"--junit",
                           out.encode()], capture_output=True).returncode
    expect(code == 1, f"escaping: exit {code}")
    _, suites = suites_of(out)
    name = suites[0].get("name") if suites else ""
    # \xff is not UTF-8: written as the four characters \xff.
    want = os.path.join(tmp, "a&b<c>\"d'\\xff", "capture.pcap")
    expect(name == want, f"escaping: suite name {name!r}, expected {want!r}")


def main():
    ipsecref = sys.argv[1]
    entries = json.load(open(os.path.join(PCAPS, "manifest.json")))["captures"]
    faults = [e for e in entries if e["name"].startswith("fault-")]
    assert len(faults) >= 8, "the faulty captures are missing from the manifest"
    with tempfile.TemporaryDirectory() as tmp:
        for entry in faults:
            check_entry(ipsecref, entry, tmp)
        check_escaping(ipsecref, tmp)
    for p in problems:
        print("FAIL", p)
    print(f"{len(faults)} faulty captures and the escaping case: "
          f"{'all as expected' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
