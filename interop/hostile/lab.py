"""lab.py: network namespaces with live `ipsecref gateway`s for the hostile tests.

A Lab makes, for one test run, namespaces named ipsecref-hst-<role>-<PID>
joined by veth pairs (only the test's own documentation addresses inside
them), starts `ipsecref gateway` in them with the control socket, a capture
or any helper process, and on every way out (normal end, an exception,
SIGTERM from ctest's timeout, SIGINT) kills exactly the processes it started,
by PID, and deletes exactly the namespaces it made.

Addresses (RFC 5737 documentation ranges, and for the flood private ones,
RFC 1918, that exist only inside the test's namespaces):
  gw  the gateway under test: 192.0.2.2, inner 203.0.113.1 (203.0.113.0/24)
  peer a legitimate ipsecref gateway: 192.0.2.1, inner 198.51.100.1 (198.51.100.0/24)
  flood (when asked for) 10.98.0.2 on a second veth to gw (10.98.0.1); gw
        routes 10.99.0.0/16 to it.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GW, PEER = "192.0.2.2", "192.0.2.1"
GW_IN, PEER_IN = "203.0.113.1", "198.51.100.1"
GW_NET, PEER_NET = "203.0.113.0/24", "198.51.100.0/24"
FLOOD_LINK_GW, FLOOD_LINK = "10.98.0.1", "10.98.0.2"
FLOOD_NET = "10.99.0.0/16"
PSK = "ipsecref-hostile-psk-0123456789"

# Programs the tests run; tools/setup.sh installs each (iproute2, tcpdump,
# iputils-ping; Scapy, which reads every answer, is python3-scapy).
PROGRAMS = ["ip", "tcpdump", "ping"]


def log(text):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), text), flush=True)


def flood_address(i):
    """The i-th source address of the flood (i < 62500): 10.99.1.1, ..., 10.99.1.250, 10.99.2.1, ..."""
    return "10.99.%d.%d" % (1 + i // 250, 1 + i % 250)


class Failure(Exception):
    """A check failed (exit 1)."""


def require_programs(ipsecref):
    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    if missing:
        raise Failure("%s missing: run tools/setup.sh (iproute2, tcpdump, iputils-ping)" % ", ".join(missing))
    if os.geteuid() != 0:
        raise Failure("needs root (network namespaces)")
    if not os.access(ipsecref, os.X_OK):
        raise Failure("no ipsecref at %s" % ipsecref)


def gateway_conf(name, me, peer, my_net, peer_net, my_id, peer_id, remote_addrs=None, encap=False):
    """A swanctl.conf for one gateway: one connection `name`, PSK, one child;
    with `encap`, ESP in UDP even without a NAT (RFC 3948)."""
    return "\n".join([
        "connections {",
        "  %s {" % name,
        "    local_addrs = %s" % me,
        "    remote_addrs = %s" % (remote_addrs or peer),
        "    proposals = aes128gcm16-prfsha256-x25519",
    ] + (["    encap = yes"] if encap else []) + [
        "    local {",
        "      auth = psk",
        "      id = %s" % my_id,
        "    }",
        "    remote {",
        "      auth = psk",
        "      id = %s" % peer_id,
        "    }",
        "    children {",
        "      net {",
        "        local_ts = %s" % my_net,
        "        remote_ts = %s" % peer_net,
        "        esp_proposals = aes128gcm16",
        "      }",
        "    }",
        "  }",
        "}",
        "secrets {",
        "  ike-1 {",
        "    id-1 = gw.hostile.test",
        "    id-2 = peer.hostile.test",
        '    secret = "%s"' % PSK,
        "  }",
        "}",
        "",
    ])


class Lab:
    def __init__(self, ipsecref, flood=False):
        self.ipsecref = ipsecref
        self.pid = os.getpid()
        self.dir = tempfile.mkdtemp(prefix="ipsecref-hostile.")
        self.namespaces = []
        self.processes = []  # subprocess.Popen we started
        self.gateways = {}   # role -> (Popen, control socket)
        self.flood = flood
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, number, frame):
        raise Failure("stopped by signal %d" % number)

    def ns(self, role):
        return "ipsecref-hst-%s-%d" % (role, self.pid)

    def run(self, *command, check=True, timeout=30):
        r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise Failure("%s: exit %d: %s" % (" ".join(command), r.returncode, r.stdout.strip()))
        return r

    def ip(self, role, *args, check=True):
        return self.run("ip", "-n", self.ns(role), *args, check=check)

    def __enter__(self):
        for role in ["gw", "peer"] + (["flood"] if self.flood else []):
            self.run("ip", "netns", "add", self.ns(role))
            self.namespaces.append(self.ns(role))
            self.ip(role, "link", "set", "lo", "up")
        v = "hst%d" % self.pid
        self.run("ip", "link", "add", v + "p", "netns", self.ns("peer"), "type", "veth",
                 "peer", "name", v + "g", "netns", self.ns("gw"))
        self.ip("peer", "addr", "add", PEER + "/24", "dev", v + "p")
        self.ip("gw", "addr", "add", GW + "/24", "dev", v + "g")
        self.ip("peer", "link", "set", v + "p", "up")
        self.ip("gw", "link", "set", v + "g", "up")
        self.ip("peer", "addr", "add", PEER_IN + "/32", "dev", "lo")
        self.ip("gw", "addr", "add", GW_IN + "/32", "dev", "lo")
        self.peer_link, self.gw_link = v + "p", v + "g"
        if self.flood:
            self.run("ip", "link", "add", v + "f", "netns", self.ns("flood"), "type", "veth",
                     "peer", "name", v + "h", "netns", self.ns("gw"))
            self.ip("flood", "addr", "add", FLOOD_LINK + "/30", "dev", v + "f")
            self.ip("gw", "addr", "add", FLOOD_LINK_GW + "/30", "dev", v + "h")
            self.ip("flood", "link", "set", v + "f", "up")
            self.ip("gw", "link", "set", v + "h", "up")
            self.ip("gw", "route", "add", FLOOD_NET, "via", FLOOD_LINK)
            self.ip("flood", "route", "add", GW + "/32", "via", FLOOD_LINK_GW)
            self.flood_link = v + "f"
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        for p in self.processes:
            if p.poll() is None:
                p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.processes = []
        for n in self.namespaces:
            subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)
        self.namespaces = []
        if not os.environ.get("HOSTILE_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def spawn(self, role, command, output):
        """Starts `command` in the namespace of `role`, output to a file."""
        f = open(os.path.join(self.dir, output), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(role)] + command, stdout=f, stderr=subprocess.STDOUT)
        f.close()
        self.processes.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def start_gateway(self, role, extra=(), encap=False):
        """`ipsecref gateway` for `role` ("gw" or "peer"); waits for its control socket."""
        if role == "gw":
            conf = gateway_conf("peer", GW, PEER, GW_NET, PEER_NET, "gw.hostile.test", "peer.hostile.test",
                                remote_addrs="%any")
        else:
            conf = gateway_conf("gw", PEER, GW, PEER_NET, GW_NET, "peer.hostile.test", "gw.hostile.test", encap=encap)
        path = os.path.join(self.dir, role + ".conf")
        with open(path, "w") as f:
            f.write(conf)
        control = os.path.join(self.dir, role + ".sock")
        p = self.spawn(role, [self.ipsecref, "gateway", "--config", path, "--control", control,
                              "--tun", "hst%s%d" % (role[0], self.pid), "--no-ipv6", "--log-level", "debug"] + list(extra),
                       role + ".log")
        deadline = time.time() + 10
        while not os.path.exists(control):
            if p.poll() is not None:
                raise Failure("ipsecref gateway (%s) exited %d at start: %s" % (role, p.returncode, self.log_of(role)[-2000:]))
            if time.time() > deadline:
                raise Failure("ipsecref gateway (%s) made no control socket in 10 s" % role)
            time.sleep(0.05)
        self.gateways[role] = (p, control)
        return p

    def log_of(self, name):
        with open(os.path.join(self.dir, name + ".log"), errors="replace") as f:
            return f.read()

    def ctl(self, role, *command, check=True):
        p, control = self.gateways[role]
        r = self.run(self.ipsecref, "ctl", "--socket", control, "--json", *command, check=False)
        if check and r.returncode != 0:
            raise Failure("ctl %s on %s: exit %d: %s" % (" ".join(command), role, r.returncode, r.stdout.strip()))
        try:
            return json.loads(r.stdout)
        except ValueError:
            if check:
                raise Failure("ctl %s on %s: not JSON: %s" % (" ".join(command), role, r.stdout.strip()))
            return None

    def stats(self, role):
        s = self.ctl(role, "stats")
        if not s.get("ok", False):
            raise Failure("ctl stats on %s refused: %s" % (role, s))
        return s

    def alive(self, role):
        """The gateway is still running and answers `ctl stats`."""
        p, _ = self.gateways[role]
        if p.poll() is not None:
            raise Failure("ipsecref gateway (%s) is gone: exit %s; log tail:\n%s" % (role, p.returncode, self.log_of(role)[-3000:]))
        return self.stats(role)

    def rss_kib(self, role):
        """VmRSS of the gateway process itself (the child of `ip netns exec`, which execs it)."""
        p, _ = self.gateways[role]
        with open("/proc/%d/status" % p.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Failure("no VmRSS for PID %d" % p.pid)

    def established(self, role, timeout=15):
        """Waits until `role` lists an ESTABLISHED IKE SA with an INSTALLED CHILD SA."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            sas = self.ctl(role, "list").get("ike_sas", [])
            for sa in sas:
                if sa.get("state") == "ESTABLISHED" and any(c.get("state") == "INSTALLED" for c in sa.get("children", [])):
                    return sa
            time.sleep(0.2)
        raise Failure("%s: no ESTABLISHED IKE SA with an INSTALLED CHILD SA in %d s: %s" % (role, timeout, self.ctl(role, "list")))

    def ping_through(self, count=3):
        """Pings the gateway's inner address from the peer's, through the tunnel."""
        r = self.run("ip", "netns", "exec", self.ns("peer"), "ping", "-c", str(count), "-i", "0.2", "-W", "2",
                     "-I", PEER_IN, GW_IN, check=False, timeout=30)
        received = 0
        for line in r.stdout.splitlines():
            if "received" in line:
                received = int(line.split(",")[1].split()[0])
        return received


def dropped(stats, reason):
    """The count of packets `ctl stats` says were dropped for `reason`."""
    if reason not in stats.get("dropped", {}):
        raise Failure("ctl stats counts no drops for %r (it has %s)" % (reason, sorted(stats.get("dropped", {}))))
    return int(stats["dropped"][reason])


def main_wrapper(body):
    """Runs body(); prints RESULT, exit 0 passed, 1 a check failed."""
    try:
        problems = body()
    except Failure as f:
        problems = [str(f)]
    for p in problems:
        print("FAIL %s" % p, flush=True)
    print("RESULT: %s" % ("OK" if not problems else "FAILED (%d)" % len(problems)), flush=True)
    sys.exit(1 if problems else 0)
