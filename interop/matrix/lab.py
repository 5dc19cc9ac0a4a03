"""lab.py: the network of one interop run, and the processes started in it.

A Lab makes, for one run, two network namespaces (the initiator's and the
responder's) joined by a veth pair, or three when the initiator sits behind
a NAT, and on every way out (normal end, an exception, a signal) kills
exactly the processes it started, by PID, and deletes exactly the
namespaces it made. Names are ipsecref-mx<PID>-<N><role>, so runs of two
runners never meet.

Addresses (documentation ranges only, RFC 5737 and RFC 3849; inside the
namespaces nothing else exists):

              outer (IPv4 / IPv6)          inner (protected traffic)
  initiator   192.0.2.1 / 2001:db8:1::1    198.51.100.1 / 2001:db8:a::1
  responder   192.0.2.2 / 2001:db8:1::2    203.0.113.1  / 2001:db8:b::1

Behind a NAT the initiator is 10.1.0.2 on a link to the NAT namespace
(10.1.0.1), which masquerades it as 192.0.2.1 toward the responder (nft).
With `mtu` the veth link (both links behind a NAT) gets that MTU.
"""
import os
import signal
import subprocess
import time

IP = "/usr/sbin/ip"


class LabError(Exception):
    """The lab itself could not be built (not a verdict on an implementation)."""


class Side:
    """One end of a run: its namespace and addresses."""

    def __init__(self, role, ns, outer, inner, inner_net, ident):
        self.role = role          # "initiator" or "responder"
        self.ns = ns
        self.outer = outer        # the address IKE and ESP leave from
        self.inner = inner        # the address the protected traffic leaves from
        self.inner_net = inner_net
        self.id = ident           # the IKE identity (FQDN)


ADDRESSES = {
    # family: (initiator outer, responder outer, prefix, initiator inner, net, responder inner, net)
    4: ("192.0.2.1", "192.0.2.2", 24, "198.51.100.1", "198.51.100.0/24", "203.0.113.1", "203.0.113.0/24"),
    6: ("2001:db8:1::1", "2001:db8:1::2", 64, "2001:db8:a::1", "2001:db8:a::/64", "2001:db8:b::1", "2001:db8:b::/64"),
}
NAT_INSIDE, NAT_GATEWAY = "10.1.0.2", "10.1.0.1"


class Lab:
    def __init__(self, tag, family=4, nat=False, mtu=None):
        self.tag = tag
        self.family = family
        self.nat = nat
        self.mtu = mtu
        self.namespaces = []
        self.procs = []
        base = "ipsecref-mx%d-%s" % (os.getpid(), tag)
        io, ro, self.prefix, ii, inet, ri, rnet = ADDRESSES[family]
        self.initiator = Side("initiator", base + "i", io, ii, inet, "initiator.interop.test")
        self.responder = Side("responder", base + "r", ro, ri, rnet, "responder.interop.test")
        self.nat_ns = base + "n" if nat else None
        # what the responder sees as the initiator's address
        self.initiator_seen = io
        if nat:
            self.initiator.outer = NAT_INSIDE
        self.capture_ns, self.capture_dev = self.responder.ns, "mx-r"

    def __enter__(self):
        try:
            self._build()
        except Exception:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def ip(self, *args, ns=None):
        argv = [IP] + (["-n", ns] if ns else []) + list(args)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise LabError("%s: %s" % (" ".join(argv), r.stderr.strip()))

    def _add_ns(self, name):
        self.ip("netns", "add", name)
        self.namespaces.append(name)
        self.ip("link", "set", "lo", "up", ns=name)

    def _build(self):
        i, r = self.initiator, self.responder
        for ns in [i.ns, r.ns] + ([self.nat_ns] if self.nat else []):
            self._add_ns(ns)
        mtu = ["mtu", str(self.mtu)] if self.mtu else []
        if self.nat:
            # initiator --(mx-i / mx-ni)-- NAT --(mx-no / mx-r)-- responder
            self.ip("link", "add", "mx-i", "netns", i.ns, *mtu, "type", "veth", "peer", "name", "mx-ni", "netns", self.nat_ns, *mtu)
            self.ip("link", "add", "mx-no", "netns", self.nat_ns, *mtu, "type", "veth", "peer", "name", "mx-r", "netns", r.ns, *mtu)
            self.ip("addr", "add", NAT_INSIDE + "/24", "dev", "mx-i", ns=i.ns)
            self.ip("addr", "add", NAT_GATEWAY + "/24", "dev", "mx-ni", ns=self.nat_ns)
            self.ip("addr", "add", "%s/%d" % (self.initiator_seen, self.prefix), "dev", "mx-no", ns=self.nat_ns)
            self.ip("addr", "add", "%s/%d" % (r.outer, self.prefix), "dev", "mx-r", ns=r.ns)
            for ns, dev in [(i.ns, "mx-i"), (self.nat_ns, "mx-ni"), (self.nat_ns, "mx-no"), (r.ns, "mx-r")]:
                self.ip("link", "set", dev, "up", ns=ns)
            self.ip("route", "add", "default", "via", NAT_GATEWAY, ns=i.ns)
            self.run(self.nat_ns, ["/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
            rules = 'table ip mx {\n chain post {\n  type nat hook postrouting priority 100;\n' \
                    '  oifname "mx-no" masquerade\n }\n}\n'
            if self.run(self.nat_ns, ["/usr/sbin/nft", "-f", "-"], input=rules, check=False).returncode != 0:
                # a kernel without nft's NAT chain (the user-mode Linux guest's): the legacy tables
                self.run(self.nat_ns, ["/usr/sbin/iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-o", "mx-no",
                                       "-j", "MASQUERADE"])
        else:
            self.ip("link", "add", "mx-i", "netns", i.ns, *mtu, "type", "veth", "peer", "name", "mx-r", "netns", r.ns, *mtu)
            for side, dev in [(i, "mx-i"), (r, "mx-r")]:
                extra = ["nodad"] if self.family == 6 else []
                self.ip("addr", "add", "%s/%d" % (side.outer, self.prefix), "dev", dev, *extra, ns=side.ns)
                self.ip("link", "set", dev, "up", ns=side.ns)
        for side in (i, r):
            host = 32 if self.family == 4 else 128
            extra = ["nodad"] if self.family == 6 else []
            self.ip("addr", "add", "%s/%d" % (side.inner, host), "dev", "lo", *extra, ns=side.ns)

    def run(self, ns, argv, timeout=30, check=True, **kw):
        """Runs argv in namespace ns to its end; returns the CompletedProcess."""
        full = [IP, "netns", "exec", ns] + argv if ns else argv
        try:
            r = subprocess.run(full, capture_output=True, text=True, timeout=timeout, **kw)
        except subprocess.TimeoutExpired:
            raise LabError("%s: no end within %d s" % (" ".join(argv), timeout))
        if check and r.returncode != 0:
            raise LabError("%s: exit %d: %s" % (" ".join(argv), r.returncode, (r.stderr or r.stdout).strip()[-300:]))
        return r

    def spawn(self, ns, argv, log, env=None):
        """Starts argv in namespace ns in the background, stdout and stderr to the file log."""
        out = open(log, "ab")
        p = subprocess.Popen([IP, "netns", "exec", ns] + argv, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        out.close()
        self.procs.append(p)
        return p

    def stop(self, p, grace=3.0):
        """Ends one started process: SIGTERM to its process group, SIGKILL after grace seconds."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(5)
        if p in self.procs:
            self.procs.remove(p)

    def close(self):
        for p in list(reversed(self.procs)):
            self.stop(p)
        for ns in reversed(self.namespaces):
            subprocess.run([IP, "netns", "del", ns], capture_output=True, timeout=20)
        self.namespaces = []

    def capture(self, path):
        """tcpdump on the responder's link: everything between the peers (IKE, ESP, AH, fragments)."""
        p = self.spawn(self.capture_ns, ["/usr/bin/tcpdump", "-n", "-s", "0", "-U", "--immediate-mode", "-B", "32768", "-Z", "root",
                                           "-i", self.capture_dev, "-w", path],
                       path + ".log")
        for _ in range(50):
            if os.path.exists(path) and os.path.getsize(path) > 0:
                break
            time.sleep(0.1)
        return p

    def ping(self, src, dst, count=3):
        """count pings from src to dst, one at a time (each may take 2 s); returns (answered, transcript)."""
        ns = src.ns
        answered, text = 0, []
        for _ in range(count):
            r = self.run(ns, ["/usr/bin/ping", "-n", "-c", "1", "-W", "2", "-I", self.source(src), self.target(dst)],
                         check=False, timeout=10)
            answered += r.returncode == 0
            text.append((r.stdout + r.stderr).strip())
        return answered, "\n".join(text)

    # In transport mode the protected traffic is between the outer addresses.
    transport = False

    def source(self, side):
        return side.outer if self.transport else side.inner

    def target(self, side):
        if not self.transport:
            return side.inner
        return self.initiator_seen if side is self.initiator else side.outer
