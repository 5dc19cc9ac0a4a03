"""swanctl.py: the swanctl.conf of one end, and the certificates of a run.

strongSwan's charon and the reference gateway (`ipsecref gateway` reads a
subset of swanctl.conf) share it: one connection `peer` with one CHILD SA
`net`, the case's proposals and authentication, rekeying on time off (only
the case's steps rekey), and in the liveness case a liveness check every
2 s of silence from the initiator (dpd_delay).

Pki makes, once per key type and runner, a CA and one end-entity
certificate per role with strongSwan's `pki` (strongswan-pki): the IDs are
the certificates' subjectAltNames.
"""
import os
import shutil
import subprocess

PKI = "/usr/bin/pki"


class Pki:
    def __init__(self, directory):
        self.directory = directory

    def files(self, key_type, role):
        """(ca.crt, ROLE.crt, ROLE.key) of key_type (ecdsa or rsa), made on first use."""
        d = os.path.join(self.directory, key_type)
        if not os.path.exists(os.path.join(d, "done")):
            self._make(key_type, d)
        return os.path.join(d, "ca.crt"), os.path.join(d, role + ".crt"), os.path.join(d, role + ".key")

    @staticmethod
    def _pki(args, stdin=None):
        r = subprocess.run([PKI] + args, input=stdin, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("pki %s: %s" % (" ".join(args[:2]), r.stderr.decode(errors="replace")[-300:]))
        return r.stdout

    def _make(self, key_type, d):
        os.makedirs(d, exist_ok=True)
        size = "2048" if key_type == "rsa" else "256"
        gen = ["--gen", "--type", key_type, "--size", size, "--outform", "pem"]
        ca_key = self._pki(gen)
        open(os.path.join(d, "ca.key"), "wb").write(ca_key)
        open(os.path.join(d, "ca.crt"), "wb").write(self._pki(
            ["--self", "--ca", "--lifetime", "30", "--in", os.path.join(d, "ca.key"), "--type", key_type,
             "--dn", "C=XX, O=ipsecref interop, CN=ipsecref interop %s CA" % key_type, "--outform", "pem"]))
        for role in ("initiator", "responder"):
            ident = role + ".interop.test"
            key = self._pki(gen)
            open(os.path.join(d, role + ".key"), "wb").write(key)
            pub = self._pki(["--pub", "--in", os.path.join(d, role + ".key"), "--type", key_type])
            open(os.path.join(d, role + ".crt"), "wb").write(self._pki(
                ["--issue", "--lifetime", "7", "--cacert", os.path.join(d, "ca.crt"), "--cakey",
                 os.path.join(d, "ca.key"), "--type", "pub", "--dn", "C=XX, O=ipsecref interop, CN=" + ident,
                 "--san", ident, "--outform", "pem"], stdin=pub))
        open(os.path.join(d, "done"), "w").close()


def place_certificates(end, directory):
    """Copies the end's certificates into directory/{x509ca,x509,private} (swanctl's layout);
    returns the swanctl.conf lines of its local and remote auth sections."""
    if end.case.auth == "psk":
        return ["auth = psk"], ["auth = psk"]
    ca, crt, key = end.pki.files(end.case.auth, end.role)
    for sub, src in (("x509ca", ca), ("x509", crt), ("private", key)):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
        shutil.copy(src, os.path.join(directory, sub, os.path.basename(src)))
    return ["auth = pubkey", "certs = %s" % os.path.basename(crt)], ["auth = pubkey"]


def send_cert(end):
    """The connection's send_cert: `always` with certificates. strongSwan and the reference send their
    certificate only when asked (ifasked), and libreswan asks with no CERTREQ (RFC 7296 section 3.7
    leaves CERTREQ optional), so that libreswan could not authenticate them otherwise."""
    return [] if end.case.auth == "psk" else ["    send_cert = always"]


def swanctl_conf(end, directory, psk=None):
    """The swanctl.conf text of this end; certificates placed beside it in directory."""
    case = end.case
    local_auth, remote_auth = place_certificates(end, directory)
    lines = [
        "connections {",
        "  peer {",
        "    version = 2",
        "    local_addrs = %s" % end.side.outer,
        "    remote_addrs = %s" % end.peer_addr,
        "    proposals = %s" % case.ike,
        "    fragmentation = yes",
        "    rekey_time = 0",
    ] + send_cert(end)
    if "liveness" in case.steps and end.role == "initiator":
        lines.append("    dpd_delay = 2s")
    lines += ["    local {"] + ["      " + l for l in local_auth + ["id = " + end.side.id]] + ["    }"]
    lines += ["    remote {"] + ["      " + l for l in remote_auth + ["id = " + end.peer.id]] + ["    }"]
    lines += [
        "    children {",
        "      net {",
        "        local_ts = %s" % end.local_ts(),
        "        remote_ts = %s" % end.remote_ts(),
        "        esp_proposals = %s" % case.esp,
        "        mode = %s" % case.mode,
        "        rekey_time = 0",
        "        start_action = none",
        "      }",
        "    }",
        "  }",
        "}",
    ]
    if case.auth == "psk":
        lines += ["secrets {", "  ike-peer {", "    id-1 = %s" % end.side.id, "    id-2 = %s" % end.peer.id,
                  "    secret = \"%s\"" % (psk if psk is not None else end.psk), "  }", "}"]
    return "\n".join(lines) + "\n"
