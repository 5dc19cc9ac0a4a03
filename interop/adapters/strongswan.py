"""strongswan.py: strongSwan's charon (Debian's 5.9.8), configured with swanctl over vici.

options.ipsec in implementations.json picks the dataplane:
  libipsec  the kernel-libipsec plugin: userspace ESP on a TUN device (tunnel
            mode only, ESP always in UDP 4500, no ESN, no AH); runs on any kernel
  kernel    kernel-netlink only: the Linux kernel's own ESP/AH (XFRM); needs a
            kernel that has it (the user-mode Linux guest, interop/uml/guest.sh)

Two charons on one machine: /var/run/charon.pid is hard-coded, so each gets a
private /run (a bind mount in its own `ip netns exec` mount namespace).
Key material: Debian ships no save-keys plugin, so charon logs its keys
(the IKE group at level 4 prints SK_ei/SK_er/SK_ai/SK_ar; the CHD group at
level 4 the CHILD SA keys) into a log of its own, keys.log, which
collect() turns into the key files; on the kernel dataplane the CHILD SAs'
keys are also read from `ip xfrm state`.
"""
import os
import subprocess
import time

from base import Adapter, AdapterError
from keylog import charon_keys, transforms, xfrm_keys, write_keys
from swanctl import swanctl_conf
import sa_view

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
PLUGINS = {
    # Debian's plugins (strongswan-charon, libstrongswan-standard-plugins, libcharon-extra-plugins)
    "libipsec": "random nonce openssl aes sha1 sha2 hmac gcm xcbc kdf pem pkcs1 pkcs8 x509 pubkey constraints "
                "kernel-libipsec kernel-netlink socket-default vici",
    "kernel": "random nonce openssl aes sha1 sha2 hmac gcm xcbc kdf pem pkcs1 pkcs8 x509 pubkey constraints "
              "kernel-netlink socket-default vici",
}


class Strongswan(Adapter):
    def __init__(self, end):
        super().__init__(end)
        self.ipsec = end.impl.get("options", {}).get("ipsec", "libipsec")
        w = end.work
        self.conf = os.path.join(w, "strongswan.conf")
        self.swanctl_dir = os.path.join(w, "swanctl")
        self.vici = "unix://" + os.path.join(w, "charon.vici")
        self.log = os.path.join(end.out, "charon-%s.log" % end.role)
        self.keylog = os.path.join(end.out, "charon-keys-%s.log" % end.role)
        self.proc = None
        self.ike_seen = []   # IKE SA SPI pairs in the order this end listed them
        self.xfrm = []       # the kernel's SAs, read after every step (they go with charon)
        self.env = dict(os.environ, STRONGSWAN_CONF=self.conf, SWANCTL_DIR=self.swanctl_dir)

    def unsupported(self):
        c = self.end.case
        if self.ipsec == "libipsec":
            if c.mode == "transport":
                return "kernel-libipsec carries tunnel mode only"
            if "esn" in c.esp:
                return "kernel-libipsec has no extended sequence numbers"
        return None

    def start(self):
        e = self.end
        os.makedirs(os.path.join(e.work, "run"), exist_ok=True)
        os.makedirs(self.swanctl_dir, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("""charon {
  load = %s
  install_routes = yes
  retransmit_tries = 3
  retransmit_timeout = 2
  fragment_size = 1280
  filelog {
    f {
      path = %s
      append = no
      time_format = %%T
      log_level = yes
      default = 1
      ike = 2
      cfg = 2
      chd = 2
      net = 1
      enc = 1
      flush_line = yes
    }
    k {
      path = %s
      append = no
      default = 0
      ike = 4
      chd = 4
      enc = 1
      flush_line = yes
    }
  }
  syslog { daemon { default = -1 } auth { default = -1 } }
  plugins { vici { socket = %s } }
}
swanctl { load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey }
""" % (PLUGINS[self.ipsec], self.log, self.keylog, self.vici))
        with open(os.path.join(self.swanctl_dir, "swanctl.conf"), "w") as f:
            f.write(swanctl_conf(e, self.swanctl_dir))
        self.proc = e.lab.spawn(e.side.ns, ["/bin/sh", "-c", "mount --bind %s/run /run && exec %s" % (e.work, CHARON)],
                                os.path.join(e.out, "charon-%s.stdout" % e.role), env=self.env)
        sock = self.vici[len("unix://"):]
        for _ in range(100):
            if os.path.exists(sock):
                break
            if self.proc.poll() is not None:
                raise AdapterError("charon exited at start, status %d" % self.proc.returncode)
            time.sleep(0.1)
        else:
            raise AdapterError("charon's vici socket did not appear within 10 s")
        self.swanctl("--load-all")

    def swanctl(self, *args, timeout=30):
        return self.command([SWANCTL] + list(args) + ["--uri", self.vici], timeout=timeout, env=self.env)

    def initiate(self):
        self.swanctl("--initiate", "--child", "net", "--timeout", "25", timeout=30)

    def state(self):
        rows = sa_view.charon(self.swanctl("--list-sas"))
        for r in rows:
            if r[0] == "IKE" and r[3:5] not in self.ike_seen and r[4] != "0" * 16:
                self.ike_seen.append(r[3:5])
        return rows

    def observe(self):
        if self.ipsec == "kernel":
            self.xfrm += xfrm_keys(self.end.lab, self.end.side.ns)

    def rekey_child(self):
        self.swanctl("--rekey", "--child", "net")

    def rekey_ike(self):
        self.swanctl("--rekey", "--ike", "peer")

    def liveness(self):
        # swanctl has no command for it: the initiator's dpd_delay (swanctl.py)
        # sends one after 2 s without a message from the peer.
        pass

    def delete(self):
        self.swanctl("--terminate", "--ike", "peer", "--timeout", "10", timeout=15)

    def stop(self):
        if self.proc is not None:
            self.end.lab.stop(self.proc)
            self.proc = None

    def collect(self, keys):
        case = self.end.case
        ike, esp = [], []
        if os.path.exists(self.keylog):
            ike, esp = charon_keys(self.keylog, self.ike_seen, transforms(case.ike), transforms(case.esp))
        # the kernel's own record of its SAs first, charon's log after it
        return write_keys(keys, ike, self.xfrm + esp, "charon-" + self.end.role)
