#!/usr/bin/python3
"""`ipsecref conformance` from the command line, against the embedded reference:

- the whole catalogue: exit 0, every run pass (or unsupported, with a
  reason), at least 150 cases and 350 runs, every requirement a section the
  citation checker knows (tools/citations/sections.txt);
- the reports agree: JSON (the issue's shape), JUnit XML (one testcase per
  run, no failure), HTML (self-contained, every run id, the summary);
- --keep: a pcap and key files per run, re-judged by `ipsecref check`
  (check.txt), the JSON's evidence naming them;
- --expect: a run listed as a known failure that passes is an unexpected
  pass (exit 1); a run that fails and is listed is an expected failure
  (exit 0);
- --mutation: every run of the catalogue killed by one of its faults;
- bad usage: exit 2, the problem named, nothing written.

Usage: conformance_cases.py IPSECREF
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CATALOGUE = os.path.join(ROOT, "interop", "conformance", "catalogue")
problems = []


def run(ipsecref, *args, cwd=None):
    return subprocess.run([ipsecref, "conformance", *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def expect(cond, what):
    if not cond:
        problems.append(what)
    return cond


def sections():
    with open(os.path.join(ROOT, "tools", "citations", "sections.txt")) as f:
        rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
    return {f"{r[0]}#section-{r[1]}" for r in rows if len(r) >= 2}


def whole_suite(ipsecref, work):
    junit, html = os.path.join(work, "j.xml"), os.path.join(work, "r.html")
    p = run(ipsecref, "--json", "--junit", junit, "--html", html)
    expect(p.returncode == 0, f"whole suite: exit {p.returncode}: {p.stderr[-500:]}")
    report = json.loads(p.stdout)
    cases = report["cases"]
    expect(report["target"] == "reference", f"target {report['target']}")
    ids = {c["case"] for c in cases}
    expect(len(ids) >= 150, f"{len(ids)} unique cases, fewer than 150")
    expect(len(cases) >= 350, f"{len(cases)} runs, fewer than 350")
    known = sections()
    for c in cases:
        for key in ("id", "verdict", "requirement", "expected", "observed", "evidence", "level", "role"):
            expect(key in c, f"{c.get('id')}: no '{key}' in the JSON")
        expect(c["verdict"] in ("pass", "unsupported"), f"{c['id']}: {c['verdict']}: {c.get('observed')}")
        if c["verdict"] == "unsupported":
            expect(c.get("reason"), f"{c['id']}: unsupported without a reason")
        expect(re.fullmatch(r"rfc\d+#section-[0-9A-Z.]+", c["requirement"]) is not None,
               f"{c['id']}: requirement {c['requirement']}")
        expect(c["requirement"] in known, f"{c['id']}: {c['requirement']} is not in tools/citations/sections.txt")
    s = report["summary"]
    expect(s["total"] == len(cases) and s["pass"] + s["unsupported"] == len(cases), f"summary {s}")
    tree = ET.parse(junit).getroot()
    expect(int(tree.get("tests")) == len(cases), f"JUnit tests={tree.get('tests')}, runs {len(cases)}")
    expect(int(tree.get("failures")) == 0 and int(tree.get("errors")) == 0, "JUnit failures or errors")
    expect(len(tree.findall(".//testcase")) == len(cases), "JUnit: not one testcase per run")
    with open(html) as f:
        page = f.read()
    for c in cases:
        if c["id"].replace("&", "&amp;") not in page:
            expect(False, f"HTML lacks {c['id']}")
            break
    expect(not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", page), "HTML loads something from outside")
    expect("By group" in page and "By level" in page, "HTML without the summary tables")
    print(f"whole suite: {len(ids)} cases, {len(cases)} runs, {s['pass']} pass, {s['unsupported']} unsupported")
    # The text report ends with the summary table.
    p = run(ipsecref)
    expect(p.returncode == 0 and re.search(r"^all +\d+ +0 ", p.stdout, re.M), f"text report: {p.stdout[-400:]}")


def keep(ipsecref, work):
    kept = os.path.join(work, "kept")
    p = run(ipsecref, "--cases", "INIT-HDR-0*,AUTH-*", "--keep", kept, "--json")
    expect(p.returncode == 0, f"--keep: exit {p.returncode}: {p.stderr[-300:]}")
    cases = json.loads(p.stdout)["cases"]
    expect(len(cases) >= 5, f"--keep: only {len(cases)} runs")
    for c in cases:
        ev = c["evidence"]
        expect(os.path.isfile(ev.get("pcap", "")), f"{c['id']}: no pcap kept")
        for name in ("ikev2_decryption_table", "esp_sa", "keys.json", "check.txt"):
            expect(os.path.isfile(os.path.join(ev.get("keys", ""), name)), f"{c['id']}: no {name}")
        expect(ev.get("check", "").startswith("ipsecref check: exit"), f"{c['id']}: evidence not re-judged: {ev}")
    # The re-judge of an undeviated run finds nothing wrong.
    basic = [c for c in cases if c["case"] == "AUTH-PAYLOADS-01.R"] or cases[:1]
    expect("exit 0" in basic[0]["evidence"]["check"], f"{basic[0]['id']}: {basic[0]['evidence']}")


def expectations(ipsecref, work):
    # A case that fails against the reference by construction.
    cat = os.path.join(work, "cat")
    os.makedirs(cat)
    with open(os.path.join(cat, "x.json"), "w") as f:
        json.dump({"cases": [
            {"id": "X-PASS", "title": "t", "requirement": "rfc7296#section-1.2", "says": "s", "level": "MUST",
             "role": "responder", "expect": [{"check": "established"}], "faults": ["block-out=1"]},
            {"id": "X-FAIL", "title": "t", "requirement": "rfc7296#section-1.2", "says": "s", "level": "MUST",
             "role": "responder", "expect": [{"check": "not-established"}], "faults": ["block-out=1"]}]}, f)
    p = run(ipsecref, "--catalogue", cat)
    expect(p.returncode == 1 and "fail X-FAIL" in p.stdout, f"a failing case: exit {p.returncode}: {p.stdout[:300]}")
    expect("observed: the tester holds an established IKE SA" in p.stdout and "<-- IUT" in p.stdout,
           f"a failure shows what was observed and the ladder: {p.stdout[:600]}")
    listed = os.path.join(work, "expect.txt")
    with open(listed, "w") as f:
        f.write("# known failures\nX-FAIL   the reference establishes, by construction\n")
    p = run(ipsecref, "--catalogue", cat, "--expect", listed, "--json")
    got = {c["id"]: c["verdict"] for c in json.loads(p.stdout)["cases"]}
    expect(p.returncode == 0 and got == {"X-PASS": "pass", "X-FAIL": "expected-fail"}, f"--expect: {p.returncode} {got}")
    with open(listed, "w") as f:
        f.write("X-PASS   listed, yet it passes\n")
    p = run(ipsecref, "--catalogue", cat, "--expect", listed, "--json", "--cases", "X-PASS")
    got = {c["id"]: c["verdict"] for c in json.loads(p.stdout)["cases"]}
    expect(p.returncode == 1 and got == {"X-PASS": "unexpected-pass"}, f"unexpected pass: {p.returncode} {got}")
    p = run(ipsecref, "--catalogue", cat, "--mutation", "--json")
    m = json.loads(p.stdout)
    expect(p.returncode == 1 and m["killed"] == 1, f"--mutation of a case no fault kills: {p.returncode} {m}")


def mutation(ipsecref):
    p = run(ipsecref, "--mutation", "--json")
    m = json.loads(p.stdout)
    survivors = [r["id"] for r in m["runs"] if not r["killed"]]
    expect(p.returncode == 0 and not survivors, f"--mutation: exit {p.returncode}, surviving {survivors[:10]}")
    print(f"mutation: {m['killed']} of {m['total']} runs killed")


def hostile(ipsecref, work):
    bad_json = os.path.join(work, "bad")
    os.makedirs(bad_json)
    with open(os.path.join(bad_json, "b.json"), "w") as f:
        f.write('{"cases": [\n  {"id": "X",,}\n]}\n')
    bad_expect = os.path.join(work, "bad-expect.txt")
    with open(bad_expect, "w") as f:
        f.write("INIT-HDR-01.R\n")
    a_file = os.path.join(work, "a-file")
    open(a_file, "w").close()
    cases = [
        (["--target", "nowhere"], "unknown target"),
        (["--role", "bystander"], "--role"),
        (["--cases", "NO-SUCH-*"], "no case matches"),
        (["--catalogue", os.path.join(work, "missing")], "not a directory"),
        (["--catalogue", bad_json], "b.json:2:"),
        (["--expect", bad_expect, "--cases", "INIT-HDR-01*"], "bad-expect.txt:1: 'INIT-HDR-01.R' needs a reason"),
        (["--expect", os.path.join(work, "missing.txt")], "missing.txt"),
        (["--html", work], "directory"),
        (["--junit", "/nonexistent-dir/x.xml"], "x.xml"),
        (["--keep", a_file, "--cases", "INIT-HDR-01*"], "--keep"),
    ]
    for args, says in cases:
        p = run(ipsecref, *args)
        expect(p.returncode == 2, f"{args}: exit {p.returncode}, not 2")
        expect(says in p.stderr, f"{args}: stderr does not name '{says}': {p.stderr[-300:]}")
    expect(os.path.getsize(a_file) == 0, "--keep on a file changed it")


def main():
    ipsecref = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        whole_suite(ipsecref, work)
        keep(ipsecref, work)
        expectations(ipsecref, work)
        mutation(ipsecref)
        hostile(ipsecref, work)
    for p in problems:
        print("FAIL:", p)
    print("conformance cases:", "PASS" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
