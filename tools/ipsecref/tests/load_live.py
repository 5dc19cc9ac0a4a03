#!/usr/bin/python3
"""`ipsecref load` against a live `ipsecref gateway`: two network namespaces
joined by a veth pair (names carry this process's PID, both removed at the
end), the gateway responding in one (PSK, --spus 2), the load initiating 50
IKE SAs with a CHILD SA each from the other. The load's JSON report must say
50 established, none failed or timed out, and the gateway's `ctl stats`
must count 50 IKE SAs over its SPUs. A second run asks for a proposal the
gateway does not accept: the report counts 5 failures and exit code 1; an
ESP proposal the reference cannot read is exit 2, the option named.

Needs root (namespaces); iproute2 from tools/setup.sh.

usage: load_live.py IPSECREF
"""
import json
import os
import subprocess
import sys
import tempfile
import time

PID = os.getpid()
NS_GATEWAY = f"irload-g-{PID}"
NS_LOAD = f"irload-l-{PID}"
GATEWAY_ADDR, LOAD_ADDR = "192.0.2.2", "192.0.2.1"

CONF = """connections {
  load {
    local_addrs = %s
    proposals = aes128gcm16-prfsha256-ecp256
    local {
      auth = psk
      id = %s
    }
    remote {
      auth = psk
    }
    children {
      load {
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-load {
    secret = "load-test-psk"
  }
}
""" % (GATEWAY_ADDR, GATEWAY_ADDR)


def ip(*args):
    subprocess.run(["ip", *args], check=True)


def setup():
    ip("netns", "add", NS_GATEWAY)
    ip("netns", "add", NS_LOAD)
    ip("link", "add", f"irlg{PID}"[:15], "netns", NS_GATEWAY, "type", "veth", "peer", "name", f"irll{PID}"[:15],
       "netns", NS_LOAD)
    ip("-n", NS_GATEWAY, "addr", "add", GATEWAY_ADDR + "/24", "dev", f"irlg{PID}"[:15])
    ip("-n", NS_LOAD, "addr", "add", LOAD_ADDR + "/24", "dev", f"irll{PID}"[:15])
    for ns, dev in ((NS_GATEWAY, f"irlg{PID}"[:15]), (NS_LOAD, f"irll{PID}"[:15])):
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "set", dev, "up")


def teardown():
    for ns in (NS_GATEWAY, NS_LOAD):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def load(ipsecref, *extra):
    run = subprocess.run(["ip", "netns", "exec", NS_LOAD, ipsecref, "load", "--to", GATEWAY_ADDR, "--psk",
                          "load-test-psk", "--timeout", "10", "--json", *extra],
                         capture_output=True, text=True, timeout=60)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        sys.exit(f"FAIL: load printed no JSON (exit {run.returncode}): {run.stdout!r} {run.stderr!r}")
    return run.returncode, report


def main():
    ipsecref = os.path.abspath(sys.argv[1])
    failures = []
    work = tempfile.mkdtemp(prefix="irload-")
    conf = os.path.join(work, "swanctl.conf")
    control = os.path.join(work, "ctl")
    with open(conf, "w") as f:
        f.write(CONF)
    setup()
    gateway = None
    try:
        log = open(os.path.join(work, "gateway.log"), "w")
        gateway = subprocess.Popen(
            ["ip", "netns", "exec", NS_GATEWAY, ipsecref, "gateway", "--config", conf, "--spus", "2", "--control",
             control, "--tun", f"irl{PID}"[:15], "--no-routes", "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT)
        # The control socket comes after the IKE sockets are bound.
        for _ in range(100):
            if os.path.exists(control) or gateway.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(control):
            sys.exit(f"FAIL: the gateway did not start: {open(log.name).read()}")

        # Neighbour resolution first: a burst of 50 IKE_SA_INITs to an
        # unresolved address loses all but the first few.
        subprocess.run(["ip", "netns", "exec", NS_LOAD, "ping", "-c", "1", "-W", "2", GATEWAY_ADDR],
                       stdout=subprocess.DEVNULL)
        code, report = load(ipsecref, "--count", "50")
        print(f"load --count 50: exit {code}, {report.get('established')} established, "
              f"{report.get('setups_per_second', 0):.1f} setups/s, latency {report.get('latency_ms')}, "
              f"{report.get('retransmits')} retransmissions")
        expected = {"requested": 50, "established": 50, "failed": 0, "timed_out": 0, "initiate_failures": 0}
        for key, value in expected.items():
            if report.get(key) != value:
                failures.append(f"load --count 50: {key} {report.get(key)}, expected {value}")
        if code != 0:
            failures.append(f"load --count 50: exit {code}, expected 0")
        latency = report.get("latency_ms", {})
        if not 0 < latency.get("p50", 0) <= latency.get("p99", 0) <= latency.get("max", 0):
            failures.append(f"load --count 50: latency percentiles out of order: {latency}")

        stats = subprocess.run([ipsecref, "ctl", "--socket", control, "stats", "--json"], capture_output=True,
                               text=True, timeout=10)
        per_spu = json.loads(stats.stdout).get("ike_sas_per_spu", [])
        print(f"gateway ike_sas_per_spu {per_spu}")
        if sum(per_spu) != 50 or len(per_spu) != 2:
            failures.append(f"gateway ike_sas_per_spu {per_spu}, expected 50 IKE SAs over 2 SPUs")

        # A proposal the gateway does not accept (NO_PROPOSAL_CHOSEN): every setup fails.
        code, report = load(ipsecref, "--count", "5", "--proposal", "aes256-sha384-modp3072")
        print(f"load with a refused proposal: exit {code}, failed {report.get('failed')}, "
              f"reasons {report.get('failure_reasons')}")
        if code != 1 or report.get("failed") != 5 or report.get("established") != 0:
            failures.append(f"refused proposal: exit {code}, report {report}, expected exit 1 and 5 failed")

        # A value the configuration refuses is a usage error naming its option.
        bad = subprocess.run(["ip", "netns", "exec", NS_LOAD, ipsecref, "load", "--to", GATEWAY_ADDR, "--count", "1",
                              "--esp-proposal", "aes128gcm16-bogus"], capture_output=True, text=True, timeout=30)
        print(f"load --esp-proposal aes128gcm16-bogus: exit {bad.returncode}: {bad.stderr.strip()}")
        if bad.returncode != 2 or "--esp-proposal" not in bad.stderr or "bogus" not in bad.stderr:
            failures.append(f"bad --esp-proposal: exit {bad.returncode}, stderr {bad.stderr!r}, expected exit 2 naming it")
    finally:
        if gateway is not None:
            gateway.terminate()
            try:
                gateway.wait(timeout=10)
            except subprocess.TimeoutExpired:
                gateway.kill()
        teardown()
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(open(os.path.join(work, "gateway.log")).read()[-3000:])
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
