#!/usr/bin/python3
"""campaign.py [--seconds S] [--jobs J] [--out DIR] [--build DIR] TARGET...

A fuzzing campaign: each TARGET's libFuzzer binary (the `fuzz` preset's,
build/fuzz/fuzz/<target>_fuzzer; build it first: cmake --preset fuzz &&
cmake --build --preset fuzz) runs for S seconds (default 3600: one
CPU-hour, one process per target) over its corpus in DIR/<target>/corpus,
which starts as a copy of fuzz/corpus/<target>/ and is kept, so a second
campaign into the same DIR goes on from where the first stopped. J targets
run at a time (default 1; on a 2-core machine J=2 gives each its own core).

Written per target in DIR/<target>/: fuzzer.log, growth.csv (seconds since
the start, runs, cov, ft, corpus units: libFuzzer's status lines with the
time they were printed), artifacts/ (crash-*, leak-*, timeout-*, oom-*:
each a finding, to be fixed and kept in fuzz/regressions/<target>/). And
DIR/summary.md and summary.json: per target the seconds, runs, runs per
second, coverage (cov, the edges libFuzzer counts, and ft, its features)
after 1 minute, 10 minutes and at the end, the corpus before and after, and
the findings. Exit 0 no findings, 1 findings, 2 bad usage.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATUS = re.compile(r"^#(\d+)\s+(INITED|NEW|REDUCE|pulse|DONE)\s+cov: (\d+) ft: (\d+) corp: (\d+)/")
FINDING_PREFIXES = ("crash-", "leak-", "timeout-", "oom-", "slow-unit-")


def dict_of(target):
    options = os.path.join(ROOT, "fuzz", target + "_fuzzer.options")
    if not os.path.exists(options):
        return None
    with open(options) as f:
        for line in f:
            m = re.match(r"\s*dict\s*=\s*(\S+)", line)
            if m:
                return os.path.join(ROOT, "fuzz", m.group(1))
    return None


def at(growth, seconds):
    """The last status at or before `seconds` (None before the first)."""
    last = None
    for row in growth:
        if row[0] > seconds:
            break
        last = row
    return last


def run(target, binary, seconds, out):
    d = os.path.join(out, target)
    corpus, artifacts = os.path.join(d, "corpus"), os.path.join(d, "artifacts")
    if not os.path.isdir(corpus):
        seeds = os.path.join(ROOT, "fuzz", "corpus", target)
        if os.path.isdir(seeds):
            shutil.copytree(seeds, corpus)
        else:
            os.makedirs(corpus)
    os.makedirs(artifacts, exist_ok=True)
    before = len(os.listdir(corpus))
    args = [binary, "-max_total_time=%d" % seconds, "-rss_limit_mb=2048", "-timeout=10", "-print_final_stats=1",
            "-artifact_prefix=" + artifacts + "/", corpus]
    dictionary = dict_of(target)
    if dictionary:
        args.insert(1, "-dict=" + dictionary)
    growth, stats = [], {}
    start = time.monotonic()
    with open(os.path.join(d, "fuzzer.log"), "w") as log:
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             errors="replace", env=dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"))
        for line in p.stderr:
            log.write(line)
            m = STATUS.match(line)
            if m:
                row = (round(time.monotonic() - start, 1), int(m.group(1)), int(m.group(3)), int(m.group(4)),
                       int(m.group(5)))
                # At most one row every 5 s, and every change of coverage.
                if not growth or row[0] - growth[-1][0] >= 5 or row[2:4] != growth[-1][2:4]:
                    growth.append(row)
            elif line.startswith("stat::"):
                k, _, v = line[6:].partition(":")
                stats[k.strip()] = v.strip()
        status = p.wait()
    elapsed = round(time.monotonic() - start, 1)
    with open(os.path.join(d, "growth.csv"), "w") as f:
        f.write("seconds,runs,cov,ft,corpus\n")
        for row in growth:
            f.write(",".join(str(x) for x in row) + "\n")
    findings = sorted(n for n in os.listdir(artifacts) if n.startswith(FINDING_PREFIXES))
    first, last = (growth[0] if growth else None), (growth[-1] if growth else None)
    def point(s):  # the coverage reached after s seconds, if the campaign lasted that long
        r = at(growth, s) if elapsed >= s else None
        return {"cov": r[2], "ft": r[3]} if r else None
    return {"target": target, "seconds": elapsed, "exit": status,
            "runs": int(stats.get("number_of_executed_units", last[1] if last else 0)),
            "runs_per_second": int(stats.get("average_exec_per_sec", 0)),
            "inited": {"cov": first[2], "ft": first[3]} if first else None,
            "after_1_min": point(60), "after_10_min": point(600),
            "end": {"cov": last[2], "ft": last[3]} if last else None,
            "corpus_before": before, "corpus_after": len(os.listdir(corpus)),
            "findings": findings, "peak_rss_mb": int(stats.get("peak_rss_mb", 0))}


def cell(x, key):
    return "-" if not x else str(x[key])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("targets", nargs="+")
    ap.add_argument("--seconds", type=int, default=3600)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "campaign"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "fuzz"))
    a = ap.parse_args()
    if a.seconds < 1 or a.jobs < 1:
        print("campaign.py: --seconds and --jobs must be at least 1", file=sys.stderr)
        return 2
    binaries = {}
    for t in a.targets:
        b = os.path.join(a.build, "fuzz", t + "_fuzzer")
        if not os.access(b, os.X_OK):
            print("campaign.py: no fuzzer %s (unknown target %s, or the fuzz preset not built)" % (b, t),
                  file=sys.stderr)
            return 2
        binaries[t] = b
    try:
        os.makedirs(a.out, exist_ok=True)
    except OSError as e:
        print("campaign.py: --out %s: %s" % (a.out, e.strerror), file=sys.stderr)
        return 2
    lock = threading.Lock()

    def one(t):
        r = run(t, binaries[t], a.seconds, a.out)
        with lock:
            print("%s: %d runs in %.0f s (%d/s), cov %s -> %s, %d findings" % (
                t, r["runs"], r["seconds"], r["runs_per_second"], cell(r["inited"], "cov"), cell(r["end"], "cov"),
                len(r["findings"])), flush=True)
        return r

    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(one, a.targets))
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump({"seconds_per_target": a.seconds, "jobs": a.jobs, "targets": results}, f, indent=1)
    lines = ["| target | seconds | runs | runs/s | cov: start / 1 min / 10 min / end | ft at the end "
             "| corpus before -> after | findings |", "|---|---:|---:|---:|---|---:|---|---|"]
    for r in results:
        lines.append("| %s | %.0f | %d | %d | %s / %s / %s / %s | %s | %d -> %d | %s |" % (
            r["target"], r["seconds"], r["runs"], r["runs_per_second"], cell(r["inited"], "cov"),
            cell(r["after_1_min"], "cov"), cell(r["after_10_min"], "cov"), cell(r["end"], "cov"),
            cell(r["end"], "ft"), r["corpus_before"], r["corpus_after"],
            ", ".join(r["findings"]) or "none"))
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if any(r["findings"] or r["exit"] not in (0,) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
