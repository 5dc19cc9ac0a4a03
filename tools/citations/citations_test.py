#!/usr/bin/python3
"""Tests of check_citations.py and requirements_report.py.

  citations_test.py [REPORT.md]

The checker runs on a small tree written here, holding each kind of bad
citation, and must name each by file:line; then on this checkout, where it
must pass. The report runs on this checkout (written to REPORT.md when
given) and must list rfc4303 §3.4.3 with its title, code and tests.
The requirement strings errors carry ("rfc4303#section-3.4.3" in a C++
string literal) are checked against the index too.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
CHECK = os.path.join(HERE, "check_citations.py")
REPORT = os.path.join(HERE, "requirements_report.py")
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}")


def run(*args):
    return subprocess.run([PY, *args], capture_output=True, text=True, timeout=120)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def bad_tree():
    with tempfile.TemporaryDirectory() as root:
        write(root, "tools/citations/sections.txt",
              "ipsecref choice A project choice\nrfc4303 - ESP\nrfc4303 3.4.3 Sequence Number Verification\n"
              "rfc4303 appendix-A2.1 Managing and Using the Anti-Replay Window\n")
        write(root, "docs/schema.md", "### `x_schema_v1`\n")
        write(root, "deep/moved/dir/good.cc",
              "//= rfc4303#section-3.4.3\n//# Duplicates are dropped.\n"
              "  //= rfc4303#appendix-A2.1\n  //# The window slides.\n"
              "//= ipsecref#choice\n//# Our default.\n"
              "//= docs/schema.md x_schema_v1\n//# Fields as the schema gives.\n"
              "//= rfc4303\n//# ESP.\n"
              "ENSURE(ok, kReplay, 0, \"rfc4303#section-3.4.3\", \"a replay\");\n"
              "  {\"rfc4303\", \"rfc4303#appendix-A2.1\"},\n")
        write(root, "a/unknown_section.cc", "int x;\n//= rfc4303#section-9.9\n//# No such section.\n")
        write(root, "a/no_text.h", "//= rfc4303#section-3.4.3\nint y;\n")
        write(root, "a/url.cc", "//= https://www.rfc-editor.org/rfc/rfc4303#section-3.4.3\n//# A URL.\n")
        write(root, "a/typo.cc", "//= rfc4303#sec-3.4.3\n//# Typo.\n")
        write(root, "a/empty.cc", "\n\n//=\n//# Nothing named.\n")
        write(root, "a/no_doc.cc", "//= missing.md name\n//# A missing document.\n")
        write(root, "a/unknown_rfc.cc", "//= rfc9999#section-1\n//# Not indexed.\n")
        write(root, "a/requirement_unknown.cc",
              "int f() {\n  return Fail(\"rfc4303#section-3.4.9\", \"no such section\");\n}\n")
        write(root, "a/requirement_typo.h", "constexpr auto kRule = \"rfc4303#sec-3.4.3\";\n")
        write(root, "a/requirement_comment.cc", "// a comment quoting \"rfc4303#section-9.9\" is no requirement\n")
        write(root, "a/requirement.py", "REQUIREMENT = \"rfc4303#section-9.9\"  # not C++: not scanned\n")
        write(root, "tests/case_test.py", "# //= rfc4303#section-3.4.4\n# //# Not indexed either.\n")
        write(root, "build/ignored.cc", "//= rfc1#section-1\n")
        r = run(CHECK, "--root", root)
        out = r.stdout
        expect(r.returncode == 1, f"bad tree: exit 1, got {r.returncode}: {r.stderr}")
        for where in ("a/unknown_section.cc:2:", "a/no_text.h:1:", "a/url.cc:1:", "a/typo.cc:1:",
                      "a/empty.cc:3:", "a/no_doc.cc:1:", "a/unknown_rfc.cc:1:", "tests/case_test.py:1:",
                      "a/requirement_unknown.cc:2:", "a/requirement_typo.h:1:"):
            expect(where in out, f"bad tree: the checker names {where}\n{out}")
        expect("deep/moved" not in out, f"bad tree: good citations pass wherever they are\n{out}")
        expect("build/" not in out, f"bad tree: build trees are not scanned\n{out}")
        expect("requirement_comment" not in out and "requirement.py" not in out,
               f"bad tree: requirement strings are read from C++ code only\n{out}")
        expect(len([l for l in out.splitlines() if l.startswith(("a/", "tests/"))]) == 10,
               f"bad tree: one problem a bad citation\n{out}")
        # No index: exit 2 with the reason.
        os.remove(os.path.join(root, "tools/citations/sections.txt"))
        r = run(CHECK, "--root", root)
        expect(r.returncode == 2 and "cannot read the index" in r.stderr, f"no index: exit 2, got {r.returncode}")


def this_tree(report_md):
    r = run(CHECK)
    expect(r.returncode == 0, f"this checkout: every citation is indexed and well formed\n{r.stdout}")
    r = run(REPORT, "--json")
    expect(r.returncode == 0, f"report --json: exit 0, got {r.returncode}: {r.stderr}")
    report = json.loads(r.stdout)
    esp = [x for x in report["rfcs"] if x["rfc"] == "rfc4303"]
    expect(len(esp) == 1, "report: rfc4303 is listed")
    s = [e for e in esp[0]["sections"] if e["section"] == "3.4.3"] if esp else []
    expect(len(s) == 1, "report: rfc4303 §3.4.3 is listed")
    if s:
        expect(s[0]["title"] == "Sequence Number Verification", f"report: its title, got {s[0]['title']}")
        expect(any(c["path"].endswith(".cc") and "_test" not in c["path"] for c in s[0]["code"]),
               "report: rfc4303 §3.4.3 has code sites")
        expect(any("_test" in t["path"] for t in s[0]["tests"]), "report: rfc4303 §3.4.3 has test sites")
    expect(report["project_choices"]["code"], "report: the project choices are listed")
    # The conformance catalogue's cases are listed under the section they cite.
    ike = [x for x in report["rfcs"] if x["rfc"] == "rfc7296"]
    s25 = [e for e in ike[0]["sections"] if e["section"] == "2.5"] if ike else []
    expect(s25 and any(c["path"].startswith("interop/conformance/catalogue/") and c["id"]
                       for c in s25[0]["conformance"]), "report: rfc7296 §2.5 lists its conformance cases")
    args = [REPORT] + (["-o", report_md] if report_md else [])
    r = run(*args)
    expect(r.returncode == 0, f"report: exit 0, got {r.returncode}: {r.stderr}")
    md = open(report_md, encoding="utf-8").read() if report_md else r.stdout
    expect("### rfc4303#section-3.4.3: §3.4.3 Sequence Number Verification" in md,
           "report: the Markdown has a heading for rfc4303 §3.4.3")
    expect("- Conformance cases:\n  - " in md, "report: the Markdown lists conformance cases")
    r = run(REPORT, "-o", "/nonexistent-dir/report.md")
    expect(r.returncode == 2 and "cannot write" in r.stderr, "report: an unwritable output exits 2")


bad_tree()
this_tree(sys.argv[1] if len(sys.argv) > 1 else None)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
