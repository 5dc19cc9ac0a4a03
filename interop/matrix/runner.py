"""runner.py: the interop matrix, implementations x implementations x cases.

For every selected pair (initiator, responder), the diagonal included, and
every case, one run: a Lab (lab.py) with the two namespaces, tcpdump on the
link, both adapters started (interop/adapters/), the IKE SA initiated, the
case's steps judged one by one (STEPS), then the evidence judged after the
run (judge.py): `ipsecref check` on every packet with the keys both ends
told, tshark with the same keys, and the case's capture checks. The first
failed step ends a run; its verdict is `fail` with that step's reason.
A run whose case needs a feature one of its implementations lacks, or that
an adapter declines, is `unsupported` and not started: as
quic-interop-runner's exit 127, it is never counted as a failure. `error`
is for the harness itself (a namespace it could not make).

Every run leaves in OUT/<initiator>_<responder>/<case>/: capture.pcap,
keys/ (keys.json, esp_sa, ikev2_decryption_table, and each end's own key
files), both ends' logs and configurations, commands-*.txt (every control
command and its answer), state-*.txt (both ends' SA listings after each
step), check.txt and check.json (`ipsecref check`), tshark.txt and
result.json. OUT/results.json gathers them (report.py renders it).

Implementations that need the Linux kernel's ESP/AH (`"kernel": "uml"`)
run in one user-mode Linux guest for all their runs (interop/uml/guest.sh):
the runner starts itself inside it with those runs only, and reads their
result.json files afterwards.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(INTEROP, "adapters"), os.path.join(INTEROP, "gateway")]

import judge  # noqa: E402
import lab as lablib  # noqa: E402
from base import AdapterError, End  # noqa: E402
from cases import CASES  # noqa: E402
from keylog import wireshark_files, write_keys  # noqa: E402
from swanctl import Pki  # noqa: E402
import sa_view  # noqa: E402

PSK = "ipsecref-interop-psk-0123456789"
WAIT = 20  # seconds a step may take to show its result on both ends
PINGS = 3
FAULTS = {
    # a deliberately broken adapter: the runs it takes part in must turn red
    "wrong-psk": "its PSK differs from the peer's",
    "wrong-proposal": "it proposes and accepts only AES-CBC-256/HMAC-SHA2-384/MODP-4096 in IKE, which every "
                      "implementation has and no other end is configured with",
}


class StepFailed(Exception):
    def __init__(self, step, why):
        super().__init__("%s: %s" % (step, why))
        self.step, self.why = step, why


# adapter name (implementations.json) -> its class in interop/adapters/NAME.py
ADAPTERS = {"strongswan": "Strongswan", "libreswan": "Libreswan", "reference": "Reference"}


def adapter_class(name):
    return getattr(__import__(name), ADAPTERS[name])


def load_implementations(path):
    """implementations.json, checked: every problem raises ValueError naming the implementation and field."""
    with open(path) as f:
        data = json.load(f)
    impls = data.get("implementations") if isinstance(data, dict) else None
    if not isinstance(impls, dict) or not impls:
        raise ValueError("no \"implementations\" object")
    rules = {
        "adapter": lambda v: v in ADAPTERS,
        "kernel": lambda v: v in ("host", "uml"),
        "roles": lambda v: isinstance(v, list) and v and set(v) <= {"initiator", "responder"},
        "features": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "options": lambda v: isinstance(v, dict),
    }
    for name, impl in impls.items():
        if not isinstance(impl, dict):
            raise ValueError("implementation %s: not an object" % name)
        for key, ok in rules.items():
            if key not in impl and key != "options":
                raise ValueError("implementation %s: no \"%s\"" % (name, key))
            if key in impl and not ok(impl[key]):
                raise ValueError("implementation %s: \"%s\" is %s, not valid (adapters: %s; kernel: host or uml; "
                                 "roles: initiator, responder)" % (name, key, json.dumps(impl[key])[:80],
                                                                   ", ".join(ADAPTERS)))
        impl["name"] = name
    return impls


class Run:
    def __init__(self, initiator, responder, case_name, out, index):
        self.initiator, self.responder = initiator, responder
        self.case_name, self.case = case_name, CASES[case_name]
        self.evidence = os.path.join("%s_%s" % (initiator["name"], responder["name"]), case_name)
        self.dir = os.path.join(out, self.evidence)
        self.index = index
        self.checks = []

    def record(self, name, verdict, detail=""):
        """One judged check; a step done twice (ping before and after a rekey) is numbered."""
        names = {c["name"] for c in self.checks}
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = "%s (%d)" % (name, n)
        self.checks.append({"name": unique, "verdict": verdict, "detail": detail})

    def result(self, verdict, reason, start, judged=True):
        r = {"initiator": self.initiator["name"], "responder": self.responder["name"], "case": self.case_name,
             "verdict": verdict, "reason": reason, "duration_s": round(time.time() - start, 1),
             "checks": self.checks, "evidence": self.evidence}
        if not judged:
            r["judged"] = False  # the runner outside the guest judges it and removes this
        with open(os.path.join(self.dir, "result.json"), "w") as f:
            json.dump(r, f, indent=1)
        return r


class Runner:
    def __init__(self, impls, ipsecref, out, fault=None, verbose=True):
        self.impls, self.ipsecref, self.out = impls, ipsecref, out
        self.fault = fault  # (fault name, implementation name) or None
        self.pki = Pki(os.path.join(out, "pki"))
        self.verbose = verbose
        self.defer_judging = False

    def log(self, text):
        if self.verbose:
            print("[%s] %s" % (time.strftime("%H:%M:%S"), text), flush=True)

    # -- one run ------------------------------------------------------------------
    def why_unsupported(self, run):
        for impl, role in ((run.initiator, "initiator"), (run.responder, "responder")):
            if role not in impl["roles"]:
                return "%s does not act as %s" % (impl["name"], role)
            lacking = [f for f in run.case.features if f not in impl["features"]]
            if lacking:
                return "%s lacks %s" % (impl["name"], ", ".join(lacking))
        return None

    def execute(self, run):
        start = time.time()
        shutil.rmtree(run.dir, ignore_errors=True)
        os.makedirs(run.dir)
        why = self.why_unsupported(run)
        if why:
            return run.result("unsupported", why, start)
        case = run.case
        work = tempfile.mkdtemp(prefix="ipsecref-interop-")
        try:
            with lablib.Lab("%d" % run.index, family=case.family, nat=case.nat, mtu=case.mtu) as lab:
                lab.transport = case.mode == "transport"
                ends = self.make_ends(run, lab, work)
                for a in ends:
                    why = a.unsupported()
                    if why:
                        return run.result("unsupported", "%s: %s" % (a.end.impl["name"], why), start)
                capture = lab.capture(os.path.join(run.dir, "capture.pcap"))
                try:
                    self.drive(run, lab, ends)
                    verdict, reason = "pass", ""
                except StepFailed as e:
                    verdict, reason = "fail", str(e)
                    run.record(e.step, "fail", e.why)
                except AdapterError as e:
                    verdict, reason = "fail", str(e)
                    run.record("adapter", "fail", str(e))
                finally:
                    self.observe_keys(run, ends)
                    for a in reversed(ends):
                        a.stop()
                    time.sleep(0.3)
                    lab.stop(capture)
                keys = os.path.join(run.dir, "keys")
                write_keys(keys, [], [], "")
                for a in ends:
                    a.collect(keys)
                if self.defer_judging:  # in the guest: the host judges (tshark is slow in UML)
                    return run.result(verdict, reason, start, judged=False)
                return self.judge(run, verdict, reason, start)
        except lablib.LabError as e:
            return run.result("error", "lab: %s" % e, start)
        except (OSError, RuntimeError) as e:  # the harness's own files and tools (pki)
            return run.result("error", "harness: %s" % e, start)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def judge(self, run, verdict, reason, start):
        """The evidence judged after the run (judge.py); a passing run fails on a problem found."""
        keys = os.path.join(run.dir, "keys")
        unnamed = wireshark_files(keys)
        problems = judge.judge(run, self.ipsecref, keys, unnamed)
        if verdict == "pass" and problems:
            verdict, reason = "fail", "; ".join(problems)
        return run.result(verdict, reason, start)

    def make_ends(self, run, lab, work):
        ends = []
        for impl, side, peer, addr in ((run.responder, lab.responder, lab.initiator, lab.initiator_seen),
                                       (run.initiator, lab.initiator, lab.responder, lab.responder.outer)):
            w = os.path.join(work, side.role)
            os.makedirs(w)
            psk = PSK
            end = End(impl, side, peer, addr, run.case, lab, w, run.dir, psk, self.pki, self.ipsecref)
            # the broken implementation's ends; against itself only its responder, so that the two differ
            if self.fault and self.fault[1] == impl["name"] and not (
                    run.initiator is run.responder and side.role == "initiator"):
                end = faulty(end, self.fault[0])
            ends.append(adapter_class(impl["adapter"])(end))
        return ends  # responder first: it is started first

    def observe_keys(self, run, ends):
        for a in ends:
            observe = getattr(a, "observe", None)
            if observe:
                try:
                    observe()
                except (AdapterError, lablib.LabError):
                    pass

    # -- the steps ---------------------------------------------------------------------
    def views(self, ends):
        rows = []
        for a in ends:
            try:
                rows.append(a.state())
            except AdapterError as e:
                raise StepFailed("state", "%s: %s" % (a.end.impl["name"], e))
        return rows

    def snapshot(self, run, ends, label):
        with open(os.path.join(run.dir, "state.txt"), "a") as f:
            f.write("== %s\n" % label)
            for a in ends:
                try:
                    f.write("-- %s (%s)\n%s\n" % (a.end.impl["name"], a.end.role,
                                                  "\n".join(" ".join(r) for r in a.state())))
                except AdapterError as e:
                    f.write("-- %s: %s\n" % (a.end.impl["name"], e))

    def wait_agree(self, run, ends, step, changed=None):
        """Until both ends show one agreed IKE SA and CHILD SA (and, with changed, SPIs
        other than those given); returns the agreed rows of the initiator."""
        resp, init = ends
        names = (init.end.impl["name"] + " (initiator)", resp.end.impl["name"] + " (responder)")
        why = ""
        deadline = time.time() + WAIT
        while time.time() < deadline:
            iv, rv = init.state(), resp.state()
            why = sa_view.agree(iv, rv, names)
            if not why:
                spis = spi_summary(iv)
                if changed is None or all(spis[k] != changed[k] for k in changed):
                    self.snapshot(run, ends, step)
                    return spis
                why = "still the SPIs %s" % ", ".join("%s %s" % (k, "/".join(changed[k])) for k in changed)
            time.sleep(0.5)
        self.snapshot(run, ends, step)
        raise StepFailed(step, "the ends do not agree after %d s: %s" % (WAIT, why))

    def drive(self, run, lab, ends):
        resp, init = ends
        case = run.case
        resp.start()
        init.start()
        try:
            init.initiate()
        except AdapterError as e:
            raise StepFailed("initiate", str(e))
        spis = self.wait_agree(run, ends, "established")
        run.record("established", "pass", "IKE %s, CHILD %s" % ("/".join(spis["ike"]), "/".join(spis["child"])))
        for step in case.steps:
            spis = STEPS[step](self, run, lab, ends, spis)
            self.observe_keys(run, ends)

    def step_ping(self, run, lab, ends, spis):
        resp, init = ends
        with open(os.path.join(run.dir, "ping.txt"), "a") as f:
            for src, dst in ((init.end.side, resp.end.side), (resp.end.side, init.end.side)):
                answered, text = lab.ping(src, dst, PINGS)
                f.write("== %s -> %s\n%s\n" % (lab.source(src), lab.target(dst), text))
                if answered != PINGS:
                    raise StepFailed("ping", "%d of %d pings %s -> %s answered" % (
                        answered, PINGS, lab.source(src), lab.target(dst)))
        run.record("ping", "pass", "%d each way" % PINGS)
        return spis

    def step_bulk(self, run, lab, ends, spis):
        resp, init = ends
        r = judge.bulk(lab, init.end.side, resp.end.side, os.path.join(run.dir, "bulk.txt"))
        if r:
            raise StepFailed("bulk", r)
        run.record("bulk", "pass", "1 MiB each way, SHA-256 equal")
        return spis

    def rekey(self, run, ends, spis, kind):
        step = "rekey-" + kind
        for a in (ends[1], ends[0]):  # the initiator, then the responder
            try:
                getattr(a, "rekey_" + kind)()
            except AdapterError as e:
                raise StepFailed(step, "%s (%s): %s" % (a.end.impl["name"], a.end.role, e))
            key = "ike" if kind == "ike" else "child"
            spis = self.wait_agree(run, ends, "%s by %s" % (step, a.end.role), changed={key: spis[key]})
            run.record("%s by %s" % (step, a.end.role), "pass", "new %s SPIs %s" % (key.upper(), "/".join(spis[key])))
        return spis

    def step_rekey_child(self, run, lab, ends, spis):
        return self.rekey(run, ends, spis, "child")

    def step_rekey_ike(self, run, lab, ends, spis):
        return self.rekey(run, ends, spis, "ike")

    def step_liveness(self, run, lab, ends, spis):
        try:
            ends[1].liveness()
        except AdapterError as e:
            raise StepFailed("liveness", str(e))
        time.sleep(6)  # a dpd_delay of 2 s (swanctl.py) and its answer
        spis = self.wait_agree(run, ends, "liveness")
        run.record("liveness", "pass", "still established (the capture check counts the exchange)")
        return spis

    def step_delete(self, run, lab, ends, spis):
        try:
            ends[1].delete()
        except AdapterError as e:
            raise StepFailed("delete", str(e))
        deadline = time.time() + WAIT
        while time.time() < deadline:
            left = [(a.end.impl["name"], [" ".join(r[1:3]) for r in a.state()
                                          if not (r[0] == "CHILD" and r[2] == "DELETED")]) for a in ends]
            if not any(rows for _, rows in left):
                self.snapshot(run, ends, "deleted")
                run.record("delete", "pass", "no SA on either end")
                return spis
            time.sleep(0.5)
        self.snapshot(run, ends, "deleted")
        raise StepFailed("delete", "SAs left after %d s: %s" % (WAIT, left))


STEPS = {
    "ping": Runner.step_ping,
    "bulk": Runner.step_bulk,
    "rekey-child": Runner.step_rekey_child,
    "rekey-ike": Runner.step_rekey_ike,
    "liveness": Runner.step_liveness,
    "delete": Runner.step_delete,
}


def spi_summary(rows):
    rows = [r for r in rows if not (r[0] == "CHILD" and r[2] == "DELETED")]
    ike = [r for r in rows if r[0] == "IKE"][0]
    child = [r for r in rows if r[0] == "CHILD"][0]
    return {"ike": ike[3:5], "child": child[3:5], "encap": child[5]}


def faulty(end, fault):
    """The end with a deliberate fault (FAULTS): its configuration is broken."""
    if fault == "wrong-psk":
        end.psk = "not-" + end.psk
    elif fault == "wrong-proposal":
        case = end.case
        broken = type(case).__new__(type(case))
        broken.__dict__.update(case.__dict__)
        broken.ike = "aes256-sha384-modp4096"
        end.case = broken
    return end


# -- the command line -------------------------------------------------------------------
def parse_list(text, known, what):
    if not text:
        return list(known)
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise Usage("unknown %s %s (known: %s)" % (what, ", ".join(unknown), ", ".join(known)))
    return chosen


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Usage(Exception):
    """A bad option or input file: exit 2 with the reason."""


def main(argv=None):
    try:
        return run_main(argv)
    except Usage as e:
        print("interop: %s" % e, file=sys.stderr)
        return 2


def run_main(argv=None):
    import argparse
    import signal
    # a signal (ctest's timeout, ^C) unwinds like an exception: every Lab removes its
    # namespaces and stops the processes it started on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    p = argparse.ArgumentParser(prog="interop/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--peers", help="implementations, comma-separated (default: all of implementations.json)")
    p.add_argument("--initiators", help="only these as initiator (default: --peers)")
    p.add_argument("--responders", help="only these as responder (default: --peers)")
    p.add_argument("--cases", help="cases, comma-separated (default: all; --list shows them)")
    p.add_argument("--out", default="interop-results", help="the results directory (default: interop-results)")
    p.add_argument("--ipsecref", default=os.environ.get("IPSECREF", ""), help="the ipsecref binary")
    p.add_argument("--implementations", default=os.path.join(INTEROP, "implementations.json"))
    p.add_argument("--fault", help="FAULT:IMPLEMENTATION, a deliberately broken adapter: " +
                   "; ".join("%s (%s)" % kv for kv in FAULTS.items()))
    p.add_argument("--list", action="store_true", help="list the implementations and cases")
    p.add_argument("--rejudge", metavar="DIR", help="judge the evidence of DIR/results.json again: each run's "
                   "after-the-run checks must come out as recorded")
    p.add_argument("--in-guest", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    try:
        impls = load_implementations(a.implementations)
    except (OSError, ValueError) as e:
        raise Usage("--implementations %s: %s" % (a.implementations, e))
    if a.list:
        for name, impl in impls.items():
            print("%-16s %-5s %s" % (name, impl["kernel"], impl.get("description", "")))
        for name, case in CASES.items():
            print("%-16s %s  [needs: %s]" % (name, case.description, ", ".join(case.features) or "-"))
        return 0
    peers = parse_list(a.peers, impls, "implementation")
    initiators = parse_list(a.initiators, peers, "initiator")
    responders = parse_list(a.responders, peers, "responder")
    cases = parse_list(a.cases, CASES, "case")
    fault = None
    if a.fault:
        name, _, impl = a.fault.partition(":")
        if name not in FAULTS or impl not in impls:
            raise Usage("--fault %s: FAULT:IMPLEMENTATION, FAULT one of %s" % (a.fault, ", ".join(FAULTS)))
        fault = (name, impl)
    ipsecref = a.ipsecref
    if not ipsecref or not os.access(ipsecref, os.X_OK):
        raise Usage("no ipsecref binary (--ipsecref PATH or IPSECREF=PATH), got '%s'" % ipsecref)
    ipsecref = os.path.abspath(ipsecref)
    if a.rejudge:
        return rejudge(a.rejudge, impls, ipsecref)
    if os.geteuid() != 0:
        print("interop: needs root (network namespaces)", file=sys.stderr)
        return 77
    try:
        os.makedirs(a.out, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=a.out)
        probe.close()
    except OSError as e:
        raise Usage("--out %s: not a writable directory (%s)" % (a.out, e.strerror or e))
    out = os.path.abspath(a.out)
    pairs = [(impls[i], impls[r]) for i in initiators for r in responders]
    runs = [Run(i, r, c, out, n) for n, ((i, r), c) in enumerate(((pair, c) for pair in pairs for c in cases), 1)]
    runner = Runner(impls, ipsecref, out, fault)
    start = time.time()
    in_uml = [r for r in runs if "uml" in (r.initiator["kernel"], r.responder["kernel"])]
    on_host = [r for r in runs if r not in in_uml]
    if a.in_guest:
        on_host, in_uml = runs, []
        runner.defer_judging = True
    results = []
    for run in on_host:
        r = runner.execute(run)
        said = r["verdict"].upper() if r.get("judged", True) else "driven, %s so far" % r["verdict"]
        runner.log("%-8s %s -> %s %s %s(%.1f s)" % (said, r["initiator"], r["responder"], r["case"],
                                                   ": " + r["reason"] + " " if r["reason"] else "", r["duration_s"]))
        results.append(r)
    if in_uml:
        results += run_in_guest(a, in_uml, out, ipsecref, fault, runner)
    if a.in_guest:
        return 0
    return finish(impls, peers, cases, results, out, start, ipsecref, initiators, responders)


def run_in_guest(a, runs, out, ipsecref, fault, runner):
    """The runs that need the kernel's ESP/AH, in one user-mode Linux guest; their result.json files."""
    pairs = sorted({(r.initiator["name"], r.responder["name"]) for r in runs})
    cases = list(dict.fromkeys(r.case_name for r in runs))
    results = []
    for run in runs:  # stale results of an earlier run must not be read as this run's
        shutil.rmtree(run.dir, ignore_errors=True)
    runner.log("booting one user-mode Linux guest for %d runs (%s)" % (len(runs), ", ".join("%s->%s" % p for p in pairs)))
    # each pair with its cases; the guest runs them in order and writes OUT/<pair>/<case>/result.json
    script = os.path.join(out, ".guest-runs.sh")
    progress = os.path.join(out, "guest-progress.log")  # what the runner in the guest says, as it says it
    open(progress, "w").close()
    with open(script, "w") as f:
        f.write("#!/bin/sh\nrc=0\n")
        for i, r in pairs:
            argv = [sys.executable, os.path.join(INTEROP, "run"), "--in-guest", "--initiators", i, "--responders", r,
                    "--peers", ",".join(sorted({i, r})), "--cases", ",".join(cases), "--out", out,
                    "--ipsecref", ipsecref, "--implementations", os.path.abspath(a.implementations)]
            if fault:
                argv += ["--fault", "%s:%s" % fault]
            f.write(" ".join("'%s'" % x for x in argv) + " >> '%s' 2>&1 || rc=1\n" % progress)
        f.write("exit $rc\n")
    guest = os.path.join(INTEROP, "uml", "guest.sh")
    with open(os.path.join(out, "guest.log"), "w") as log:
        proc = subprocess.Popen(["/bin/bash", guest, "--rw", out, "--timeout", str(600 + 120 * len(runs)), "--",
                                 "/bin/sh", script], stdout=log, stderr=subprocess.STDOUT)
        with open(progress) as f:
            while True:
                line = f.readline()
                if line:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                elif proc.poll() is not None:
                    break
                else:
                    time.sleep(0.5)
    with open(os.path.join(out, "guest.log")) as f:
        said = f.read().strip().splitlines() or ["exit %d" % proc.returncode]
    for run in runs:
        path = os.path.join(run.dir, "result.json")
        if os.path.exists(path):
            with open(path) as f:
                r = json.load(f)
            if r.pop("judged", True) is False:
                run.checks = r["checks"]
                r = runner.judge(run, r["verdict"], r["reason"], time.time() - r["duration_s"])
                runner.log("%-8s %s -> %s %s %s(judged)" % (r["verdict"].upper(), r["initiator"], r["responder"],
                                                           r["case"], ": " + r["reason"] + " " if r["reason"] else ""))
            results.append(r)
        else:
            os.makedirs(run.dir, exist_ok=True)
            results.append(run.result("error", "the user-mode Linux guest left no result (guest.log: %s)" %
                                      said[-1],
                                      time.time()))
    return results


def finish(impls, peers, cases, results, out, start, ipsecref, initiators, responders):
    end = time.time()
    version = subprocess.run([ipsecref, "--version"], capture_output=True, text=True).stdout.strip()
    data = {
        "schema": "ipsecref-interop-1",
        "ipsecref_version": version or "unknown",
        "start": utc(start), "end": utc(end), "duration_s": round(end - start, 1),
        "implementations": {
            n: {"description": impls[n].get("description", ""),
                "version": implementation_version(impls[n], ipsecref) or "unknown",
                "kernel": impls[n]["kernel"], "roles": impls[n]["roles"]} for n in peers},
        "cases": {c: {"description": CASES[c].description, "requirements": CASES[c].requirements} for c in cases},
        "runs": results,
    }
    path = os.path.join(out, "results.json")
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=1)
    os.replace(path + ".tmp", path)
    import report
    if report.main([path, "--html", os.path.join(out, "matrix.html"), "--markdown", os.path.join(out, "matrix.md")]):
        return 1
    counts = {}
    for r in results:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    print("interop: %d runs: %s; %s, %s" % (len(results), ", ".join("%s %d" % kv for kv in sorted(counts.items())),
                                             path, os.path.join(out, "matrix.html")))
    return 1 if counts.get("fail") or counts.get("error") else 0


def implementation_version(impl, ipsecref):
    argv = impl.get("version_command")
    if argv and argv[0] == "@ipsecref":
        argv = [ipsecref] + argv[1:]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10) if argv else None
        return (r.stdout.strip() or r.stderr.strip()).splitlines()[0] if r and r.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return ""


def rejudge(directory, impls, ipsecref):
    """Judges every run's evidence again (judge.py); exit 1 when a check comes out otherwise than recorded."""
    import report
    try:
        data = report.load(os.path.join(directory, "results.json"))
    except report.ResultsError as e:
        raise Usage("--rejudge: %s" % e)
    runner = Runner(impls, ipsecref, os.path.abspath(directory))
    after = {"check", "tshark"} | {c for case in CASES.values() for c in case.capture} | {"liveness"}
    differ, judged = [], 0
    for r in data["runs"]:
        if r["verdict"] in ("unsupported", "error"):
            continue
        run = Run(impls[r["initiator"]], impls[r["responder"]], r["case"], runner.out, 0)
        run.checks = [c for c in r["checks"] if c["name"] not in after]
        steps_passed = r["verdict"] == "pass" or any(c["name"] in after and c["verdict"] == "fail" for c in r["checks"])
        again = runner.judge(run, "pass" if steps_passed else "fail", "" if steps_passed else r["reason"], time.time())
        judged += 1
        was = {c["name"]: c["verdict"] for c in r["checks"] if c["name"] in after}
        now = {c["name"]: c["verdict"] for c in again["checks"] if c["name"] in after}
        if was != now or again["verdict"] != r["verdict"]:
            differ.append("%s -> %s %s: recorded %s %s, now %s %s" % (r["initiator"], r["responder"], r["case"],
                                                                      r["verdict"], was, again["verdict"], now))
        # the run's own result.json is written again by judge(): put the recorded one back
        with open(os.path.join(run.dir, "result.json"), "w") as f:
            json.dump(r, f, indent=1)
    for d in differ:
        print("DIFFERS " + d)
    print("interop: %d runs judged again, %d differ" % (judged, len(differ)))
    return 1 if differ else 0
