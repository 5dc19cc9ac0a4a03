#!/usr/bin/python3
"""The requirements report: for each cited RFC section, its title, the code
that cites it, the tests that cite it and the conformance cases that test
it (interop/conformance/catalogue/*.json, by their `requirement`), so a
reader finds any requirement's code, tests and cases in one hop.

  requirements_report.py [--json] [-o FILE] [--root DIR]

Markdown on stdout (or FILE); --json gives the same as one JSON object.
Sections come from tools/citations/sections.txt, sites from the `//=`
citations of the whole tree (see check_citations.py). A site is a test when
its path matches TEST_PATHS; otherwise it is code. Exit 0, or 2 when the
index cannot be read or the output cannot be written.
"""

import argparse
import fnmatch
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import citations  # noqa: E402

# Paths of tests: gtest files and their helpers, Python test scripts, fuzz
# targets, test generators, the known-answer vector runners and the
# cross-checks against other implementations.
TEST_PATHS = (
    "*_test.*", "*_test_*", "*/tests/*", "tests/*", "fuzz/*", "*/testing/*",
    "vectors/*", "interop/scapy/*", "interop/tshark/*",
)


def is_test(path):
    return any(fnmatch.fnmatch(path, p) for p in TEST_PATHS)


def natural(section):
    """Sort key: 3.10 after 3.9, appendices after sections, the whole RFC first."""
    if section == "-":
        return (0,)
    appendix = section.startswith("appendix-")
    parts = re.split(r"[.-]", section.removeprefix("appendix-"))
    return (2 if appendix else 1,) + tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def rfc_number(doc):
    return int(doc.removeprefix("rfc"))


CATALOGUE = os.path.join("interop", "conformance", "catalogue")


def conformance_cases(root):
    """(rfc, section) -> the catalogue's cases that cite it; a file that does
    not read is skipped here (the catalogue's own tests refuse it)."""
    out = {}
    directory = os.path.join(root, CATALOGUE)
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if not name.endswith(".json"):
            continue
        path = os.path.join(CATALOGUE, name)
        try:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                cases = json.load(f).get("cases", [])
        except (OSError, ValueError):
            continue
        for c in cases:
            m = re.fullmatch(r"(rfc\d+)#section-(.+)", str(c.get("requirement", "")))
            if m:
                out.setdefault((m.group(1), m.group(2)), []).append(
                    {"id": c.get("id"), "title": c.get("title"), "level": c.get("level"), "role": c.get("role"),
                     "path": path})
    return out


def build(root, sections):
    found, _ = citations.scan(root)
    groups = {}
    for c in found:
        if c.key is None:
            continue
        g = groups.setdefault(c.key, {"code": [], "tests": [], "conformance": []})
        g["tests" if is_test(c.path) else "code"].append(
            {"path": c.path, "line": c.line, "text": " ".join(c.text)})
    for key, cases in conformance_cases(root).items():
        groups.setdefault(key, {"code": [], "tests": [], "conformance": []})["conformance"] = cases
    rfcs = []
    for doc in sorted({k[0] for k in groups if k[0].startswith("rfc")}, key=rfc_number):
        entries = []
        for key in sorted((k for k in groups if k[0] == doc), key=lambda k: natural(k[1])):
            entries.append({
                "anchor": doc if key[1] == "-" else (
                    f"{doc}#{key[1]}" if key[1].startswith("appendix-") else f"{doc}#section-{key[1]}"),
                "section": key[1],
                "title": sections.get(key, "(not in the index)"),
                **groups[key],
            })
        rfcs.append({"rfc": doc, "title": sections.get((doc, "-"), "(not in the index)"), "sections": entries})
    choice = groups.get(("ipsecref", "choice"), {"code": [], "tests": [], "conformance": []})
    docs = [{"document": k[1], "name": k[2], **groups[k]} for k in sorted(k for k in groups if k[0] == "doc")]
    return {"rfcs": rfcs, "project_choices": choice, "project_documents": docs}


def sites_md(kind, sites):
    if not sites:
        return [f"- {kind}: none"]
    out = [f"- {kind}:"]
    for s in sites:
        out.append(f"  - {s['path']}:{s['line']}: {s['text']}")
    return out


def cases_md(cases):
    if not cases:
        return ["- Conformance cases: none"]
    return ["- Conformance cases:"] + [f"  - {c['id']} ({c['level']}, the IUT as {c['role']}): {c['title']}"
                                       for c in cases]


def markdown(report):
    n_sections = sum(len(r["sections"]) for r in report["rfcs"])
    untested = [e["anchor"] for r in report["rfcs"] for e in r["sections"] if not e["tests"]]
    with_cases = sum(1 for r in report["rfcs"] for e in r["sections"] if e["conformance"])
    bare = [e["anchor"] for r in report["rfcs"] for e in r["sections"] if not e["tests"] and not e["conformance"]]
    out = ["# Requirements report", "",
           "Generated by tools/citations/requirements_report.py from the `//=` citations of the tree "
           "and the section titles of tools/citations/sections.txt. Test sites are those of "
           "`*_test.*`, `tests/`, `fuzz/`, `testing/`, `vectors/` and the interop cross-checks.", "",
           f"{len(report['rfcs'])} RFCs, {n_sections} sections cited; "
           f"{n_sections - len(untested)} of them cited by a test too, {with_cases} tested by conformance "
           f"cases (interop/conformance/catalogue/).", ""]
    for r in report["rfcs"]:
        out += [f"## {r['rfc'].upper().replace('RFC', 'RFC ')}: {r['title']}", ""]
        for e in r["sections"]:
            where = "the RFC as a whole" if e["section"] == "-" else (
                e["section"].replace("appendix-", "Appendix ") if e["section"].startswith("appendix-")
                else f"§{e['section']}")
            out.append(f"### {e['anchor']}: {where} {e['title']}" if e["section"] != "-"
                       else f"### {e['anchor']}: {where}")
            out += [""] + sites_md("Code", e["code"]) + sites_md("Tests", e["tests"]) + cases_md(e["conformance"]) + [""]
    choice = report["project_choices"]
    out += ["## Project choices (ipsecref#choice)", "",
            "Behaviour no RFC requires: defaults, limits and policies of our own, each with its reason.", ""]
    out += sites_md("Code", choice["code"]) + sites_md("Tests", choice["tests"]) + [""]
    if report["project_documents"]:
        out += ["## Project documents", ""]
        for d in report["project_documents"]:
            out += [f"### {d['document']}: {d['name']}", ""] + sites_md("Code", d["code"]) + \
                sites_md("Tests", d["tests"]) + [""]
    if untested:
        out += ["## Sections no test cites", ""] + [f"- {a}" for a in untested] + [""]
    if bare:
        out += ["## Sections with neither a test nor a conformance case", ""] + [f"- {a}" for a in bare] + [""]
    return "\n".join(out)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object instead of Markdown")
    ap.add_argument("-o", "--output", help="write to FILE instead of stdout")
    ap.add_argument("--root", default=citations.ROOT, help="tree to scan (default: this checkout)")
    args = ap.parse_args(argv)
    index = os.path.join(args.root, "tools", "citations", "sections.txt")
    try:
        sections, _ = citations.read_index(index)
    except OSError as e:
        print(f"requirements_report: cannot read the index {index}: {e.strerror}", file=sys.stderr)
        return 2
    report = build(args.root, sections)
    text = json.dumps(report, indent=1) + "\n" if args.json else markdown(report)
    try:
        if args.output:
            tmp = args.output + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, args.output)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except OSError as e:
        print(f"requirements_report: cannot write {args.output or 'stdout'}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
