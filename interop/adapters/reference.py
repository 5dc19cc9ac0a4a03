"""reference.py: the reference as a live gateway, `ipsecref gateway`, in both roles.

It reads the same swanctl.conf as charon (swanctl.py), is driven with
`ipsecref ctl` over its control socket, and keeps every SA's keys in
--keys-out (keys.json, esp_sa, ikev2_decryption_table), which collect() hands
to the run. Its ESP is its own (a TUN device, raw ESP sockets), so it runs on
any kernel; transport mode and AH it negotiates but does not carry
(implementations.json leaves those features out).
"""
import json
import os
import shutil
import time

from base import Adapter, AdapterError
from keylog import merge
from swanctl import swanctl_conf
import sa_view


class Reference(Adapter):
    def __init__(self, end):
        super().__init__(end)
        w = end.work
        self.dir = os.path.join(w, "gateway")
        self.sock = os.path.join(w, "gateway.sock")
        self.keys = os.path.join(w, "gateway-keys")
        self.log = os.path.join(end.out, "gateway-%s.log" % end.role)
        self.proc = None

    def start(self):
        e = self.end
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, "swanctl.conf")
        with open(conf, "w") as f:
            f.write(swanctl_conf(e, self.dir))
        self.proc = e.lab.spawn(e.side.ns, [e.ipsecref, "gateway", "--config", conf, "--control", self.sock,
                                            "--keys-out", self.keys, "--log-level", "debug"], self.log)
        for _ in range(100):
            if os.path.exists(self.sock):
                return
            if self.proc.poll() is not None:
                raise AdapterError("ipsecref gateway exited at start, status %d: %s" % (
                    self.proc.returncode, open(self.log, errors="replace").read().strip().splitlines()[-1:]))
            time.sleep(0.1)
        raise AdapterError("the gateway's control socket did not appear within 10 s")

    def ctl(self, *args, timeout=30):
        return self.command([self.end.ipsecref, "ctl", "--socket", self.sock] + list(args), timeout=timeout)

    def state(self):
        return sa_view.gateway(self.ctl("list", "--json"))

    def name(self, kind):
        """The name of the established IKE SA (IKE-n) or installed CHILD SA (IPsec-n)."""
        rows = [r for r in self.state() if r[0] == kind and r[2] in ("ESTABLISHED", "INSTALLED")]
        if not rows:
            raise AdapterError("the gateway holds no usable %s SA" % kind)
        return rows[-1][1]

    def initiate(self):
        self.ctl("initiate", "peer")

    def rekey_child(self):
        self.ctl("rekey", self.name("CHILD"))

    def rekey_ike(self):
        self.ctl("rekey", self.name("IKE"))

    def liveness(self):
        self.ctl("liveness", self.name("IKE"))

    def delete(self):
        self.ctl("terminate", self.name("IKE"))

    def stop(self):
        if self.proc is not None:
            self.end.lab.stop(self.proc)
            self.proc = None

    def collect(self, keys):
        path = os.path.join(self.keys, "keys.json")
        if not os.path.exists(path):
            return []
        os.makedirs(keys, exist_ok=True)
        shutil.copytree(self.keys, os.path.join(keys, "gateway-" + self.end.role), dirs_exist_ok=True)
        with open(path) as f:
            data = json.load(f)
        n = merge(keys, data.get("ike", []), "ike") + merge(keys, data.get("esp", []), "esp")
        return ["gateway-%s: %d SAs" % (self.end.role, n)]
