"""base.py: what the interop runner asks of every implementation's adapter.

One Adapter object drives one implementation at one end of one run. The
runner (interop/matrix/runner.py) calls, in order: unsupported() (a reason
to skip, or None), start(), initiate() (the initiator only), then the case's
steps (state(), rekey_child(), rekey_ike(), liveness(), delete()), and
always stop() and collect(). An action that the implementation refuses
raises AdapterError with what it said.

state() returns the implementation's view of its SAs as rows (the shape of
interop/gateway/sa_view.py, so that two views can be compared):
  ["IKE", NAME, STATE, SPI_I, SPI_R]
  ["CHILD", NAME, STATE, SPI_IN, SPI_OUT, "udp"|"raw"]
STATE is ESTABLISHED for a usable IKE SA and INSTALLED for a usable CHILD
SA; SPIs in lower-case hex (16 digits IKE, 8 CHILD).

collect(keys) writes what the implementation tells of its keys into the
directory keys, in the formats `ipsecref check` and Wireshark read
(esp_sa, ikev2_decryption_table, keys.json), and returns what it wrote.
"""
import os
import subprocess


class AdapterError(Exception):
    """The implementation refused an action or could not be started."""


class End:
    """Everything an adapter knows of its end of a run."""

    def __init__(self, impl, side, peer, peer_addr, case, lab, work, out, psk, pki, ipsecref):
        self.impl = impl            # its entry in implementations.json (a dict, with "name")
        self.side = side            # lab.Side: this end
        self.peer = peer            # lab.Side: the other end
        self.peer_addr = peer_addr  # the other end's outer address as seen from here
        self.case = case            # cases.Case
        self.lab = lab
        self.work = work            # a private directory for its files (removed after the run)
        self.out = out              # the run's evidence directory (logs go here)
        self.psk = psk
        self.pki = pki              # pki.Pki (certificates per key type), or None
        self.ipsecref = ipsecref    # the ipsecref binary

    @property
    def role(self):
        return self.side.role

    def local_ts(self):
        return self.side.outer if self.case.mode == "transport" else self.side.inner_net

    def remote_ts(self):
        if self.case.mode == "transport":
            return self.peer_addr
        return self.peer.inner_net


class Adapter:
    def __init__(self, end):
        self.end = end

    def unsupported(self):
        """Why this implementation cannot run the case in this role (beyond its declared features), or None."""
        return None

    def start(self):
        raise NotImplementedError

    def initiate(self):
        raise NotImplementedError

    def state(self):
        raise NotImplementedError

    def rekey_child(self):
        raise NotImplementedError

    def rekey_ike(self):
        raise NotImplementedError

    def liveness(self):
        raise NotImplementedError

    def delete(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def collect(self, keys):
        return []

    # -- helpers for adapters ---------------------------------------------------
    def command(self, argv, timeout=30, env=None, ns=None):
        """Runs a control command to its end (in namespace ns if given); raises AdapterError when it fails."""
        full = (["/usr/sbin/ip", "netns", "exec", ns] if ns else []) + argv
        try:
            r = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise AdapterError("%s: no answer within %d s" % (" ".join(argv[:3]), timeout))
        with open(os.path.join(self.end.out, "commands-%s.txt" % self.end.role), "a") as f:
            f.write("$ %s\n%s%s[exit %d]\n" % (" ".join(argv), r.stdout, r.stderr, r.returncode))
        if r.returncode != 0:
            said = (r.stderr.strip() or r.stdout.strip()).splitlines()
            raise AdapterError("%s exited %d: %s" % (" ".join(argv[:3]), r.returncode, " / ".join(said[-2:])))
        return r.stdout

    @staticmethod
    def version(impl):
        """The implementation's version, from its version_command in implementations.json."""
        argv = impl.get("version_command")
        if not argv:
            return impl.get("version", "")
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout.strip() or r.stderr.strip()).splitlines()[0] if r.returncode == 0 else ""
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return ""
