#!/usr/bin/python3
"""campaign.py [--seconds S | --cpu-seconds C] [--jobs J] [--nice N] [--out DIR] [--build DIR] TARGET...

A fuzzing campaign: each TARGET's libFuzzer binary (the `fuzz` preset's,
build/fuzz/fuzz/<target>_fuzzer; build it first: cmake --preset fuzz &&
cmake --build --preset fuzz) runs over its corpus in DIR/<target>/corpus,
which starts as a copy of fuzz/corpus/<target>/ and is kept, so a second
campaign into the same DIR goes on from where the first stopped. Each runs
for S seconds of wall time (default 3600: one CPU-hour on an idle core), or
with --cpu-seconds until its process has used C seconds of CPU (read from
/proc; it is then stopped with SIGINT, which makes libFuzzer print its final
statistics): the measure that stays honest on a machine doing other work,
where --nice N (default 0) lets the campaign take only the idle cycles. A
fuzzer stopped by someone else's SIGINT (kill -INT) ends its campaign early,
recorded as interrupted, with its numbers so far.
J targets run at a time (default 1; on a 2-core machine J=2 gives each its
own core).

Written per target in DIR/<target>/: fuzzer.log, growth.csv (seconds since
the start, CPU seconds used, runs, cov, ft, corpus units: libFuzzer's status
lines with the times they were printed), history.jsonl (one line per
campaign into DIR: its summary, so the CPU time adds up over campaigns),
artifacts/ (crash-*, leak-*, timeout-*, oom-*: each a finding, to be fixed
and kept in fuzz/regressions/<target>/; a timeout or slow unit that replays
within 10 s at normal priority moves to artifacts/starved/: with --nice,
whose per-unit limit is 120 s of wall time instead of 10, a fuzzer can wait
that long for the CPU). And DIR/summary.md and
summary.json: per target this campaign's wall and CPU seconds, runs, runs
per CPU second, coverage (cov, the edges libFuzzer counts, and ft, its
features) after 1 and 10 CPU minutes and at the end, the corpus before and
after, the findings, and the CPU seconds and runs of every campaign into DIR
so far. Exit 0 no findings, 1 findings, 2 bad usage.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICKS = os.sysconf("SC_CLK_TCK")
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


def cpu_seconds(pid):
    """The CPU time (user + system) process `pid` has used so far, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of proc(5)


def at(growth, cpu):
    """The last status at or before `cpu` CPU seconds (None before the first)."""
    last = None
    for row in growth:
        if row[1] > cpu:
            break
        last = row
    return last


TIMEOUT = 10  # seconds a unit may take


def confirm_timeout(binary, artifacts, name):
    """Replays a timeout input at normal priority; one that finishes within
    TIMEOUT there was the machine's doing (a starved low-priority fuzzer),
    not the input's: it moves to artifacts/starved/ and is no finding."""
    path = os.path.join(artifacts, name)
    try:
        r = subprocess.run([binary, "-runs=1", "-timeout=%d" % TIMEOUT, path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=TIMEOUT * 3)
        reproduced = r.returncode != 0
    except subprocess.TimeoutExpired:
        reproduced = True
    if not reproduced:
        os.makedirs(os.path.join(artifacts, "starved"), exist_ok=True)
        os.replace(path, os.path.join(artifacts, "starved", name))


def run(target, binary, seconds, cpu_limit, niceness, out):
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
    # libFuzzer's -timeout is wall time per unit: a fuzzer at a low priority
    # may wait that long for the CPU on a busy machine (in one campaign at
    # nice 19 beside a build, all four targets stopped on "timeouts" whose
    # inputs then ran in 0.3 s). So with --nice the limit is 120 s, and every
    # timeout found is replayed below at normal priority.
    args = [binary, "-rss_limit_mb=2048", "-timeout=%d" % (120 if niceness else TIMEOUT), "-print_final_stats=1",
            "-artifact_prefix=" + artifacts + "/", corpus]
    dictionary = dict_of(target)
    if dictionary:
        args.insert(1, "-dict=" + dictionary)
    if seconds:
        args.insert(1, "-max_total_time=%d" % seconds)
    growth, stats = [], {}
    start = time.monotonic()
    stopped = threading.Event()  # set when the CPU budget is spent and SIGINT sent
    with open(os.path.join(d, "fuzzer.log"), "w") as log:
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             errors="replace", preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
                             env=dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"))

        done = threading.Event()  # the fuzzer's output has ended

        def watch():  # stops the fuzzer once it has used its CPU seconds
            # (never p.poll(): it would reap the fuzzer before os.wait4 below)
            while not done.is_set():
                used = cpu_seconds(p.pid)
                if used is not None and used >= cpu_limit:
                    stopped.set()
                    p.send_signal(signal.SIGINT)
                    return
                time.sleep(1)
        if cpu_limit:
            threading.Thread(target=watch, daemon=True).start()
        cpu = 0.0
        for line in p.stderr:
            log.write(line)
            m = STATUS.match(line)
            if m:
                cpu = cpu_seconds(p.pid) or cpu
                row = (round(time.monotonic() - start, 1), round(cpu, 1), int(m.group(1)), int(m.group(3)),
                       int(m.group(4)), int(m.group(5)))
                # At most one row every 5 CPU seconds, and every change of coverage.
                if not growth or row[1] - growth[-1][1] >= 5 or row[3:5] != growth[-1][3:5]:
                    growth.append(row)
            elif line.startswith("stat::"):
                k, _, v = line[6:].partition(":")
                stats[k.strip()] = v.strip()
        done.set()
        _, wait_status, usage = os.wait4(p.pid, 0)
        p.returncode = status = os.waitstatus_to_exitcode(wait_status)
    elapsed = round(time.monotonic() - start, 1)
    used = round(usage.ru_utime + usage.ru_stime, 1)
    # libFuzzer's -interrupted_exit_code: our own SIGINT at the CPU budget, or
    # the user's (the campaign stopped early; its numbers still count).
    interrupted = status == 72 and not stopped.is_set()
    if status == 72:
        status = 0
    with open(os.path.join(d, "growth.csv"), "w") as f:
        f.write("seconds,cpu_seconds,runs,cov,ft,corpus\n")
        for row in growth:
            f.write(",".join(str(x) for x in row) + "\n")
    for name in os.listdir(artifacts):
        if name.startswith(("timeout-", "slow-unit-")):
            confirm_timeout(binary, artifacts, name)
    findings = sorted(n for n in os.listdir(artifacts) if n.startswith(FINDING_PREFIXES))
    first, last = (growth[0] if growth else None), (growth[-1] if growth else None)
    def point(s):  # the coverage reached after s CPU seconds, if the campaign lasted that long
        r = at(growth, s) if used >= s else None
        return {"cov": r[3], "ft": r[4]} if r else None
    runs = int(stats.get("number_of_executed_units", last[2] if last else 0))
    result = {"target": target, "date": time.strftime("%Y-%m-%d %H:%M"), "seconds": elapsed,
              "cpu_seconds": used, "exit": status, "runs": runs,
              "runs_per_cpu_second": int(runs / used) if used else 0,
              "inited": {"cov": first[3], "ft": first[4]} if first else None,
              "after_1_min": point(60), "after_10_min": point(600),
              "end": {"cov": last[3], "ft": last[4]} if last else None,
              "corpus_before": before, "corpus_after": len(os.listdir(corpus)),
              "findings": findings, "peak_rss_mb": int(stats.get("peak_rss_mb", 0)), "interrupted": interrupted}
    history = os.path.join(d, "history.jsonl")
    with open(history, "a") as f:
        f.write(json.dumps(result) + "\n")
    with open(history) as f:
        earlier = [json.loads(line) for line in f if line.strip()]
    result["all_campaigns"] = {"count": len(earlier), "cpu_seconds": round(sum(r.get("cpu_seconds", r["seconds"])
                                                                             for r in earlier), 1),
                               "runs": sum(r["runs"] for r in earlier)}
    return result


def cell(x, key):
    return "-" if not x else str(x[key])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("targets", nargs="+")
    ap.add_argument("--seconds", type=int, default=None)
    ap.add_argument("--cpu-seconds", type=int, default=None)
    ap.add_argument("--nice", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "campaign"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "fuzz"))
    a = ap.parse_args()
    if a.seconds is None and a.cpu_seconds is None:
        a.seconds = 3600
    if (a.seconds is not None and a.seconds < 1) or (a.cpu_seconds is not None and a.cpu_seconds < 1) or a.jobs < 1:
        print("campaign.py: --seconds, --cpu-seconds and --jobs must be at least 1", file=sys.stderr)
        return 2
    if not 0 <= a.nice <= 19:
        print("campaign.py: --nice %d: must be 0 to 19" % a.nice, file=sys.stderr)
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
        r = run(t, binaries[t], a.seconds, a.cpu_seconds, a.nice, a.out)
        with lock:
            print("%s: %d runs in %.0f s, %.0f CPU s (%d/CPU s), cov %s -> %s, %d findings" % (
                t, r["runs"], r["seconds"], r["cpu_seconds"], r["runs_per_cpu_second"], cell(r["inited"], "cov"),
                cell(r["end"], "cov"), len(r["findings"])), flush=True)
        return r

    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(one, a.targets))
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump({"seconds_per_target": a.seconds, "cpu_seconds_per_target": a.cpu_seconds, "nice": a.nice,
                   "jobs": a.jobs, "targets": results}, f, indent=1)
    lines = ["| target | wall s | CPU s | runs | runs/CPU s | cov: start / 1 / 10 CPU min / end | ft at the end "
             "| corpus before -> after | findings | all campaigns: CPU s, runs |",
             "|---|---:|---:|---:|---:|---|---:|---|---|---|"]
    for r in results:
        lines.append("| %s | %.0f | %.0f | %d | %d | %s / %s / %s / %s | %s | %d -> %d | %s | %.0f, %d |" % (
            r["target"], r["seconds"], r["cpu_seconds"], r["runs"], r["runs_per_cpu_second"],
            cell(r["inited"], "cov"), cell(r["after_1_min"], "cov"), cell(r["after_10_min"], "cov"),
            cell(r["end"], "cov"), cell(r["end"], "ft"), r["corpus_before"], r["corpus_after"],
            ", ".join(r["findings"]) or "none", r["all_campaigns"]["cpu_seconds"], r["all_campaigns"]["runs"]))
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if any(r["findings"] or r["exit"] not in (0,) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
