#!/usr/bin/python3
"""coverage_summary.py EXPORT_JSON LAYERS_JSON ROOT [--markdown FILE] [--json FILE] [--goal PERCENT]

Line and branch coverage per module of reference/, from `llvm-cov export
-summary-only` (EXPORT_JSON) and the build's module table (LAYERS_JSON:
each ipsecref_module's folders). A file belongs to the module whose folder
is the longest prefix of its path; reference/testing/ (the tests' harness)
is shown on a line of its own and left out of the total. Also lists the
files with the most uncovered lines. Exit 0; 2 on unreadable input, naming
the file and what is wrong.
"""
import argparse
import json
import os
import sys


def load(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("coverage_summary.py: %s %s: %s" % (what, path, e))


def percent(covered, count):
    return 100.0 * covered / count if count else 100.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    p.add_argument("export")
    p.add_argument("layers")
    p.add_argument("root")
    p.add_argument("--markdown")
    p.add_argument("--json")
    p.add_argument("--goal", type=float, default=90.0)
    a = p.parse_args()
    export = load(a.export, "llvm-cov export file")
    layers = load(a.layers, "module table")
    try:
        files = export["data"][0]["files"]
        dirs = sorted(((d.rstrip("/") + "/", name) for name, m in layers.items() for d in m["dirs"]),
                      key=lambda x: -len(x[0]))
    except (KeyError, IndexError, TypeError) as e:
        sys.exit("coverage_summary.py: unexpected layout of %s or %s: %r" % (a.export, a.layers, e))

    root = os.path.abspath(a.root) + "/"
    modules = {}
    per_file = []
    for f in files:
        path = f["filename"]
        rel = path[len(root):] if path.startswith(root) else path
        if not rel.startswith("reference/"):
            continue
        module = next((name for d, name in dirs if rel.startswith(d)), "(no module)")
        s = f["summary"]
        m = modules.setdefault(module, {"files": 0, "lines": 0, "lines_covered": 0, "branches": 0,
                                        "branches_covered": 0})
        m["files"] += 1
        m["lines"] += s["lines"]["count"]
        m["lines_covered"] += s["lines"]["covered"]
        m["branches"] += s["branches"]["count"]
        m["branches_covered"] += s["branches"]["covered"]
        per_file.append((s["lines"]["count"] - s["lines"]["covered"], rel, module,
                         percent(s["lines"]["covered"], s["lines"]["count"])))

    harness = {"ipsecref_testing"}
    total = {k: sum(m[k] for n, m in modules.items() if n not in harness)
             for k in ("files", "lines", "lines_covered", "branches", "branches_covered")}
    rows = []
    for name in sorted(modules):
        m = modules[name]
        rows.append({"module": name, **m, "line_percent": round(percent(m["lines_covered"], m["lines"]), 1),
                     "branch_percent": round(percent(m["branches_covered"], m["branches"]), 1),
                     "harness": name in harness})
    line_total = percent(total["lines_covered"], total["lines"])
    summary = {"modules": rows, "total": {**total, "line_percent": round(line_total, 1),
                                          "branch_percent": round(percent(total["branches_covered"],
                                                                          total["branches"]), 1)},
               "goal_line_percent": a.goal,
               "most_uncovered": [{"file": r, "module": m, "uncovered_lines": u, "line_percent": round(pc, 1)}
                                  for u, r, m, pc in sorted(per_file, reverse=True)[:20]]}

    out = ["| module | files | lines | covered | lines % | branches | covered | branches % |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = r["module"] + (" (tests' harness, not in the total)" if r["harness"] else "")
        out.append("| %s | %d | %d | %d | %.1f | %d | %d | %.1f |" % (
            name, r["files"], r["lines"], r["lines_covered"], r["line_percent"], r["branches"],
            r["branches_covered"], r["branch_percent"]))
    t = summary["total"]
    out.append("| **reference/ (total)** | %d | %d | %d | **%.1f** | %d | %d | **%.1f** |" % (
        t["files"], t["lines"], t["lines_covered"], t["line_percent"], t["branches"], t["branches_covered"],
        t["branch_percent"]))
    out.append("")
    out.append("Goal: %.0f %% of the lines of reference/: %s." % (
        a.goal, "met" if line_total >= a.goal else "not met (%.1f %%)" % line_total))
    out.append("")
    out.append("Files with the most uncovered lines:")
    out.append("")
    out.append("| file | module | uncovered lines | lines % |")
    out.append("|---|---|---:|---:|")
    for x in summary["most_uncovered"]:
        out.append("| %s | %s | %d | %.1f |" % (x["file"], x["module"], x["uncovered_lines"], x["line_percent"]))
    text = "\n".join(out) + "\n"
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
