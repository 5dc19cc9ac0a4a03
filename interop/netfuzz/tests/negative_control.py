#!/usr/bin/env python3
"""negative_control.py IPSECREF OUTDIR: `ipsecref fuzz` must find what is there.

In a network namespace of its own (ipsecref-nfz-PID, 192.0.2.1 and
192.0.2.2 on its loopback) fake_ike_target.py plays the IUT at
udp:192.0.2.2, and `ipsecref fuzz --prefixes ike-sa-init` runs against it
in three modes:

  hang    the fake stops answering after the first malformed IKE_SA_INIT:
          exit 1, a finding whose `stopped` says the target stopped
          answering, the run ended early (a udp: target cannot be restarted);
  syntax  the fake answers a malformed IKE_SA_INIT with an unprotected
          N(INVALID_SYNTAX): exit 1, a finding breaking R4
          (rfc7296#section-2.21.1), the probes all answered;
  honest  the fake refuses everything with N(NO_PROPOSAL_CHOSEN): exit 0,
          no finding (no false alarm).

Each finding's directory must hold capture.pcap, keys.json,
ikev2_decryption_table, finding.json and replay.sh; replay.sh, run
against a freshly started fake of the same mode, must exit 1 with a
finding at the same iteration and of the same kind. Also: a udp: address
outside this machine's test ranges is refused (exit 2) before anything is
sent. And SIGINT in the middle of a run against the honest fake ends it
with summary.json written (stopped_early says so) and exit 0. The
namespace and the fakes are removed on every path.
Exit 0 passed, 1 a check failed, 77 not root.
"""
import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fake_ike_target.py")
SEED, COUNT = "7", "25"
TARGET_FILE = """connections {
  fake {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes128gcm16-prfsha256-x25519
    local { auth = psk
            id = moon.example }
    remote { auth = psk
             id = sun.example }
    children {
      net { local_ts = 10.1.0.0/16
            remote_ts = 10.2.0.0/16
            esp_proposals = aes128gcm16 }
    }
  }
}
secrets {
  ike-fake { id-1 = moon.example
             id-2 = sun.example
             secret = "a shared secret of the test suite" }
}
"""


class Lab:
    def __init__(self):
        self.ns = "ipsecref-nfz-%d" % os.getpid()
        self.fake = None

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        for cmd in (["link", "set", "lo", "up"], ["addr", "add", "192.0.2.1/32", "dev", "lo"],
                    ["addr", "add", "192.0.2.2/32", "dev", "lo"]):
            subprocess.run(["ip", "-n", self.ns] + cmd, check=True)
        return self

    def start_fake(self, mode, log):
        self.stop_fake()
        self.fake = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, FAKE, "192.0.2.2", "500", mode,
                                      "--log", log])
        # Ready when it says so in its log.
        for _ in range(50):
            if os.path.exists(log) and "listening" in open(log).read():
                return
            subprocess.run(["sleep", "0.1"])
        raise RuntimeError("the fake did not come up: " + log)

    def stop_fake(self):
        if self.fake is not None:
            self.fake.send_signal(signal.SIGTERM)
            try:
                self.fake.wait(5)
            except subprocess.TimeoutExpired:
                self.fake.kill()
                self.fake.wait()
            self.fake = None

    def run(self, args):
        return subprocess.run(["ip", "netns", "exec", self.ns] + args, capture_output=True, text=True)

    def __exit__(self, *exc):
        self.stop_fake()
        subprocess.run(["ip", "netns", "del", self.ns])


def check_mode(lab, ipsecref, out, mode, problems):
    def fail(text):
        problems.append("%s: %s" % (mode, text))

    run_dir = os.path.join(out, mode)
    subprocess.run(["rm", "-rf", run_dir, run_dir + "-replay"])
    os.makedirs(run_dir)
    lab.start_fake(mode, os.path.join(run_dir, "fake.log"))
    p = lab.run([ipsecref, "fuzz", "--target", "udp:192.0.2.2", "--target-file", os.path.join(out, "target.conf"),
                 "--prefixes", "ike-sa-init", "--count", COUNT, "--seed", SEED, "--settle", "0.5", "--out", run_dir])
    lab.stop_fake()
    print("--- %s: exit %d\n%s%s" % (mode, p.returncode, p.stdout, p.stderr))
    s = json.load(open(os.path.join(run_dir, "summary.json")))
    if mode == "honest":
        if p.returncode != 0 or s["findings"]:
            fail("exit %d, %d findings: a false alarm" % (p.returncode, len(s["findings"])))
        if s["probes_failed"] or s["iterations"] != int(COUNT):
            fail("%d probes failed, %d iterations" % (s["probes_failed"], s["iterations"]))
        return
    if p.returncode != 1 or not s["findings"]:
        return fail("exit %d with %d findings; expected 1 and a finding" % (p.returncode, len(s["findings"])))
    f = s["findings"][0]
    if mode == "hang" and (not f["stopped"] or "stopped answering" not in s["stopped_early"]):
        fail("the finding does not say the target stopped: %s" % f)
    if mode == "syntax" and not any(b.startswith("R4 ") for b in f["broken"]):
        fail("the finding breaks no R4: %s" % f)
    if mode == "syntax" and s["probes_failed"]:
        fail("%d probes failed against a target that answers" % s["probes_failed"])
    for name in ("capture.pcap", "keys.json", "ikev2_decryption_table", "finding.json", "replay.sh"):
        if not os.path.isfile(os.path.join(f["dir"], name)):
            fail("no %s in %s" % (name, f["dir"]))
    finding = json.load(open(os.path.join(f["dir"], "finding.json")))
    for key in ("iteration", "seed", "prefix", "mutated_message", "operators", "wrong", "rules", "replay", "suspects"):
        if key not in finding:
            fail("finding.json has no %s" % key)
    if not finding.get("operators"):
        fail("finding.json lists no operator: the mutation is not recorded")
    # The replay reproduces it against a fresh fake.
    lab.start_fake(mode, os.path.join(run_dir, "fake-replay.log"))
    r = lab.run(["sh", os.path.join(f["dir"], "replay.sh"), run_dir + "-replay"])
    lab.stop_fake()
    print("--- %s replay: exit %d\n%s%s" % (mode, r.returncode, r.stdout, r.stderr))
    # replay.sh runs each suspect iteration into OUT/<iteration>/ and stops at
    # the first that finds it again: that is the last directory it wrote.
    tried = [k for k in finding["suspects"] if os.path.exists(os.path.join(run_dir + "-replay", str(k), "summary.json"))]
    if r.returncode != 1 or not tried:
        return fail("replay.sh: exit %d, tried %s; expected exit 1" % (r.returncode, tried))
    rs = json.load(open(os.path.join(run_dir + "-replay", str(tried[-1]), "summary.json")))
    if len(rs["findings"]) != 1 or rs["findings"][0]["iteration"] != tried[-1]:
        return fail("replay.sh: findings %s in the run of iteration %d" % (rs["findings"], tried[-1]))
    if mode == "syntax" and tried != [f["iteration"]]:
        fail("replay.sh tried %s, not the finding's iteration %d alone" % (tried, f["iteration"]))
    again = rs["findings"][0]
    if bool(again["stopped"]) != bool(f["stopped"]) or [b.split()[0] for b in again["broken"]] != [b.split()[0] for b in f["broken"]]:
        fail("replay.sh found another kind: %s, not %s" % (again, f))


def check_interrupt(lab, ipsecref, out, problems):
    """Ctrl-C in the middle of a run: summary.json still written, the run
    ended early saying so, exit 0 (no finding against the honest fake)."""
    run_dir = os.path.join(out, "interrupted")
    subprocess.run(["rm", "-rf", run_dir])
    os.makedirs(run_dir)
    lab.start_fake("honest", os.path.join(run_dir, "fake.log"))
    p = subprocess.Popen(["ip", "netns", "exec", lab.ns, ipsecref, "fuzz", "--target", "udp:192.0.2.2", "--target-file",
                          os.path.join(out, "target.conf"), "--prefixes", "ike-sa-init", "--count", "1000", "--seed",
                          SEED, "--settle", "0.5", "--out", run_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    subprocess.run(["sleep", "4"])
    p.send_signal(signal.SIGINT)
    try:
        stdout, stderr = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        stdout, stderr = p.communicate()
        problems.append("interrupted: still running 30 s after SIGINT")
    lab.stop_fake()
    print("--- interrupted: exit %d\n%s%s" % (p.returncode, stdout, stderr))
    summary = os.path.join(run_dir, "summary.json")
    if not os.path.isfile(summary):
        return problems.append("interrupted: no summary.json after SIGINT (exit %d)" % p.returncode)
    s = json.load(open(summary))
    if p.returncode != 0 or "interrupted" not in s.get("stopped_early", "") or not 1 <= s["iterations"] < 1000:
        problems.append("interrupted: exit %d, stopped_early %r, %d iterations; expected 0, 'interrupted ...', "
                        "1..999" % (p.returncode, s.get("stopped_early"), s["iterations"]))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ipsecref, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if os.geteuid() != 0:
        print("SKIP: needs root (a network namespace)", file=sys.stderr)
        return 77
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "target.conf"), "w") as f:
        f.write(TARGET_FILE)
    problems = []
    # A target off this machine is refused before anything is sent.
    p = subprocess.run([ipsecref, "fuzz", "--target", "udp:8.8.8.8", "--target-file", os.path.join(out, "target.conf"),
                        "--count", "1", "--out", os.path.join(out, "refused")], capture_output=True, text=True)
    if p.returncode != 2 or "8.8.8.8" not in p.stderr or os.path.exists(os.path.join(out, "refused")):
        problems.append("udp:8.8.8.8: exit %d, %r; expected 2 naming the address, nothing written" % (p.returncode, p.stderr))
    with Lab() as lab:
        for mode in ("hang", "syntax", "honest"):
            check_mode(lab, ipsecref, out, mode, problems)
        check_interrupt(lab, ipsecref, out, problems)
    for problem in problems:
        print("FAIL: " + problem, file=sys.stderr)
    if not problems:
        print("PASS: hang and syntax found and replayed, honest clean, SIGINT keeps the summary, udp:8.8.8.8 refused")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
