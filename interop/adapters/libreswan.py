"""libreswan.py: libreswan's pluto (Debian's 4.10) on the Linux kernel's ESP (XFRM).

Debian's libreswan conflicts with strongSwan's packages, so tools/setup.sh
unpacks it under options.root (/opt/ipsecref/libreswan) instead of
installing it. pluto hard-codes /usr/libexec/ipsec (addconn, _updown) and
/run/pluto: in its own `ip netns exec` mount namespace the unpacked
/usr/libexec and a private /run are bind-mounted over them. Its NSS database
(certificates and keys, imported with certutil and pk12util) is a directory
of the run. It is driven with whack over its control socket.

Proposals are written in ipsec.conf's syntax (PROPOSALS below, from
strongSwan's keywords of the case). Its SAs (whack --showstates): its state
serial numbers stand in for the IKE SPIs that pluto does not list, and the
CHILD SAs' SPIs are the kernel's; its keys are the kernel's (ip xfrm state),
read after every step. It tells no IKE SA keys: its SK_e and SK_a stay in
NSS (plutodebug="crypt private" dumps SK_pi and SK_pr only), so between two
libreswans the IKE messages go undecrypted; with any other peer that peer's
keys serve.
"""
import os
import re
import subprocess
import time

from base import Adapter, AdapterError
from keylog import xfrm_keys, write_keys

# strongSwan keyword -> ipsec.conf (libreswan 4.10, ipsec.conf(5): ike= and esp= take
# ENCRYPTION-INTEGRITY-PRF;DH in its own algorithm names)
ENCR = {"aes128gcm16": "aes_gcm128", "aes256gcm16": "aes_gcm256", "aes128": "aes128", "aes256": "aes256",
        "chacha20poly1305": "chacha20_poly1305"}
PRF = {"prfsha256": "sha2_256", "sha256": "sha2_256", "sha384": "sha2_384", "sha1": "sha1"}
INTEG = {"sha256": "sha2_256", "sha384": "sha2_384", "sha1": "sha1"}
DH = {"x25519": "dh31", "curve25519": "dh31", "ecp256": "dh19", "modp4096": "modp4096", "modp3072": "modp3072", "modp2048": "modp2048",
      "modp1024": "modp1024"}


def ike_proposal(keywords):
    """aes128gcm16-prfsha256-x25519 -> aes_gcm128-sha2_256;dh31"""
    words = keywords.split("-")
    encr = next(ENCR[w] for w in words if w in ENCR)
    prf = next(PRF[w] for w in words if w in PRF)
    dh = next(DH[w] for w in words if w in DH)
    return "%s-%s;%s" % (encr, prf, dh)


def esp_proposal(keywords):
    """aes256-sha256 -> aes256-sha2_256; aes128gcm16(-esn) -> aes_gcm128"""
    words = keywords.split("-")
    encr = next(ENCR[w] for w in words if w in ENCR)
    integ = [INTEG[w] for w in words if w in INTEG]
    return encr + ("-" + integ[0] if integ else "")


# whack --showstates:
#   #1: "peer":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in ...
#   #2: "peer":500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); ...
#   #2: "peer" esp.c5ee8d53@192.0.2.2 esp.c78d7958@192.0.2.1 tun.0@... Traffic: ...
STATE = re.compile(r"#(\d+): \"[^\"]+\"(?::\d+)? (STATE_V2_\w+)")
SPIS = re.compile(r"#(\d+): \"[^\"]+\"(?::\d+)? (?:esp|ah)[.:]([0-9a-f]+)@(\S+) (?:esp|ah)[.:]([0-9a-f]+)@(\S+)")


def parse_states(text, local):
    """sa_view rows from whack --showstates; local: this end's address (the inbound SA's destination)."""
    rows, child = [], {}
    for line in text.splitlines():
        m = SPIS.search(line)
        if m:
            serial, spi_a, dst_a, spi_b, dst_b = m.groups()
            inbound, outbound = (spi_a, spi_b) if dst_a == local else (spi_b, spi_a)
            if serial in child:
                child[serial][3:5] = [inbound.zfill(8), outbound.zfill(8)]
            continue
        m = STATE.search(line)
        if not m:
            continue
        serial, state = m.groups()
        if state.endswith("_IKE_SA"):
            # pluto lists no IKE SPIs: its serial number stands in for both
            rows.append(["IKE", "#" + serial, "ESTABLISHED", "#" + serial, "#" + serial])
        elif state.endswith("_CHILD_SA"):
            child[serial] = ["CHILD", "#" + serial, "INSTALLED", "-", "-", "raw"]
            rows.append(child[serial])
    return rows


class Libreswan(Adapter):
    def __init__(self, end):
        super().__init__(end)
        self.root = end.impl.get("options", {}).get("root", "/opt/ipsecref/libreswan")
        self.pluto = os.path.join(self.root, "usr/libexec/ipsec/pluto")
        self.whack_bin = os.path.join(self.root, "usr/libexec/ipsec/whack")
        w = end.work
        self.conf = os.path.join(w, "ipsec.conf")
        self.secrets = os.path.join(w, "ipsec.secrets")
        self.nss = os.path.join(w, "nss")
        self.ctl = os.path.join(w, "run", "pluto", "pluto.ctl")
        self.log = os.path.join(end.out, "pluto-%s.log" % end.role)
        self.proc = None
        self.xfrm = []

    def unsupported(self):
        return None if os.access(self.pluto, os.X_OK) else "no pluto at %s (tools/setup.sh unpacks it)" % self.pluto

    def start(self):
        e = self.end
        os.makedirs(os.path.join(e.work, "run", "pluto"), exist_ok=True)
        os.makedirs(self.nss, exist_ok=True)
        self.run(["/usr/bin/certutil", "-N", "-d", "sql:" + self.nss, "--empty-password"])
        case = e.case
        lines = ["config setup", "\tlogfile=%s" % self.log, "\tlogtime=yes", "\tplutodebug=none", "",
                 "conn peer", "\tikev2=insist", "\tleft=%s" % e.side.outer, "\tleftid=@%s" % e.side.id,
                 "\tright=%s" % e.peer_addr, "\trightid=@%s" % e.peer.id,
                 "\tike=%s" % ike_proposal(case.ike), "\tesp=%s" % esp_proposal(case.esp),
                 "\ttype=%s" % case.mode, "\tfragmentation=yes", "\tesn=%s" % ("yes" if "esn" in case.esp else "no"),
                 "\tikelifetime=24h", "\tsalifetime=8h",
                 # (addconn adds it by name below; auto=add would have it added a second time)
                 "\tauto=ignore",
                 # the cases' ESP proposals carry no DH group: no PFS in CREATE_CHILD_SA. libreswan's
                 # default (pfs=yes) would refuse a CHILD SA rekey without KE with NO_PROPOSAL_CHOSEN.
                 "\tpfs=no",
                 # (Debian's pluto would run /usr/lib/ipsec/_updown, which is strongSwan's)
                 "\tleftupdown=/usr/libexec/ipsec/_updown"]
        if case.mode == "tunnel":
            lines += ["\tleftsubnet=%s" % e.local_ts(), "\trightsubnet=%s" % e.remote_ts(),
                      "\tleftsourceip=%s" % e.side.inner]
        if "liveness" in case.steps and e.role == "initiator":
            lines += ["\tdpddelay=2s", "\tdpdtimeout=30s"]
        if case.auth == "psk":
            lines.append("\tauthby=secret")
            with open(self.secrets, "w") as f:
                f.write('@%s @%s : PSK "%s"\n' % (e.side.id, e.peer.id, e.psk))
        else:
            ca, crt, key = e.pki.files(case.auth, e.role)
            p12 = os.path.join(e.work, "me.p12")
            self.run(["/usr/bin/openssl", "pkcs12", "-export", "-in", crt, "-inkey", key, "-name", "me",
                      "-out", p12, "-passout", "pass:"])
            self.run(["/usr/bin/pk12util", "-i", p12, "-d", "sql:" + self.nss, "-W", ""])
            self.run(["/usr/bin/certutil", "-A", "-d", "sql:" + self.nss, "-n", "ca", "-t", "CT,,", "-i", ca])
            lines += ["\tauthby=%s" % ("ecdsa" if case.auth == "ecdsa" else "rsasig"), "\tleftcert=me",
                      "\trightca=%any", "\tleftsendcert=always"]
            open(self.secrets, "w").close()
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        shell = ("mount --bind %s/run /run && mount --bind %s/usr/libexec /usr/libexec && exec %s --nofork "
                 "--stderrlog --config %s --nssdir %s --secretsfile %s --ipsecdir %s --no-dnssec --use-xfrm") % (
            e.work, self.root, self.pluto, self.conf, self.nss, self.secrets, e.work)
        self.proc = e.lab.spawn(e.side.ns, ["/bin/sh", "-c", shell], os.path.join(e.out, "pluto-%s.stderr" % e.role))
        for _ in range(100):
            if os.path.exists(self.ctl):
                break
            if self.proc.poll() is not None:
                raise AdapterError("pluto exited at start, status %d" % self.proc.returncode)
            time.sleep(0.1)
        else:
            raise AdapterError("pluto's control socket did not appear within 10 s")
        # addconn reads ipsec.conf and adds the connection (as `ipsec auto --add` does)
        self.command(["/usr/sbin/ip", "netns", "exec", e.side.ns, "/bin/sh", "-c",
                      "mount --bind %s/usr/libexec /usr/libexec && exec %s/usr/libexec/ipsec/addconn --ctlsocket %s "
                      "--config %s peer" % (self.root, self.root, self.ctl, self.conf)])
        self.whack("--listen")

    def run(self, argv):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AdapterError("%s: %s" % (" ".join(argv[:2]), (r.stderr or r.stdout).strip()[-200:]))

    def whack(self, *args, timeout=30):
        return self.command([self.whack_bin, "--ctlsocket", self.ctl] + list(args), timeout=timeout)

    def initiate(self):
        out = self.whack("--initiate", "--name", "peer", timeout=40)
        if "established Child SA" not in out and "IPsec SA established" not in out:
            raise AdapterError("whack --initiate: %s" % " / ".join(out.strip().splitlines()[-2:]))

    def state(self):
        return parse_states(self.whack("--showstates"), self.end.side.outer)

    def rekey_child(self):
        self.whack("--rekey-ipsec", "--name", "peer")

    def rekey_ike(self):
        self.whack("--rekey-ike", "--name", "peer")

    def liveness(self):
        # whack has no command for one: the initiator's dpddelay sends it after 2 s idle
        pass

    def delete(self):
        self.whack("--terminate", "--name", "peer")

    def observe(self):
        self.xfrm += xfrm_keys(self.end.lab, self.end.side.ns)

    def stop(self):
        if self.proc is not None:
            self.end.lab.stop(self.proc)
            self.proc = None

    def collect(self, keys):
        return write_keys(keys, [], self.xfrm, "pluto-" + self.end.role)
