#!/usr/bin/python3
"""manual_sa.py IPSECREF OUT: the Linux kernel's ESP (XFRM, manual SAs from
`ip xfrm`) against the reference's ESP (`ipsecref gateway`, a manual
tunnel), one algorithm row at a time. Runs inside a user-mode Linux guest
(manual_sa.sh), as root.

Per row: namespace K (192.0.2.1, inner 198.51.100.1 on lo) holds the
kernel's tunnel-mode SAs and policies 198.51.100.0/24 <-> 203.0.113.0/24;
namespace R (192.0.2.2, inner 203.0.113.1 on lo) runs `ipsecref gateway`
with a manual tunnel of the same SPIs and keys (in and out swapped); a veth
joins them, raw ESP (IP protocol 50, no UDP encapsulation). tcpdump records
the veth while R pings K's inner address and K pings R's (`ping -c 3 -W 2`
each): every ping must be answered, so each side decrypted the other's ESP
(RFC 4303 §3.4: ICV, decryption, padding and next header checked on
receipt). Then `ipsecref check CAPTURE --keys keys.json` must pass every ESP
packet of both SAs (RFC 4303 §3.4.4 ICV, §3.4.3 sequence numbers, §2.4-2.6
padding and next header), at least 12 ESP packets.

Rows: AES-GCM-16 128/256 (RFC 4106), AES-CBC-128 + HMAC-SHA2-256-128 (RFC
3602, RFC 4868), AES-CBC-128 + HMAC-SHA1-96 (RFC 2404), ChaCha20-Poly1305
(RFC 7634), AES-CTR-128 + HMAC-SHA2-256-128 (RFC 3686), AES-CCM-16 (RFC
4309), AES-GMAC (RFC 4543), NULL + HMAC-SHA2-256-128 (RFC 2410), and
AES-GCM-16 with ESN (RFC 4303 §2.2.1, replay-window 64). A row the kernel
refuses (`ip xfrm state add` fails) or the reference's configuration
refuses (`ipsecref gateway --check` fails) is UNSUPPORTED with the reason,
never silently skipped.

Negative control: the GCM-128 row again with the reference's keys one bit
off: the pings must fail and check must report ICV failures (RFC 4303
§3.4.4: a packet whose ICV does not verify is discarded).

Prints one line per row; evidence under OUT/ROW/ (capture.pcap, keys.json,
gateway.conf, gateway.log, xfrm-state.txt, xfrm-policy.txt, ping-*.txt,
check.txt). Exit 0 every supported row passed and the negative control
failed as expected, 77 not root, 1 otherwise.
"""
import json
import os
import signal
import subprocess
import sys
import time

K, R = "192.0.2.1", "192.0.2.2"
K_NET, K_IN = "198.51.100.0/24", "198.51.100.1"
R_NET, R_IN = "203.0.113.0/24", "203.0.113.1"
SPI_KR, SPI_RK = 0xc0001001, 0xc0002002  # K -> R, R -> K

SHA256_KR = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
SHA256_RK = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
SHA1_KR, SHA1_RK = SHA256_KR[:40], SHA256_RK[:40]


def key(n, seed):
    return bytes((seed * 37 + i * 11) & 0xff for i in range(n)).hex()


# name, the reference's proposal, encr (IANA), key bytes with salt, ip xfrm
# algorithm args (KEY and IKEY substituted), integ (IANA name), integ keys, esn
ROWS = [
    ("aes128gcm16", "aes128gcm16", "ENCR_AES_GCM_16", 20, ["aead", "rfc4106(gcm(aes))", "KEY", "128"], "NONE", None, False),
    ("aes256gcm16", "aes256gcm16", "ENCR_AES_GCM_16", 36, ["aead", "rfc4106(gcm(aes))", "KEY", "128"], "NONE", None, False),
    ("aes128-sha256", "aes128-sha256", "ENCR_AES_CBC", 16,
     ["enc", "cbc(aes)", "KEY", "auth-trunc", "hmac(sha256)", "IKEY", "128"], "AUTH_HMAC_SHA2_256_128", (SHA256_KR, SHA256_RK), False),
    ("aes128-sha1", "aes128-sha1", "ENCR_AES_CBC", 16,
     ["enc", "cbc(aes)", "KEY", "auth-trunc", "hmac(sha1)", "IKEY", "96"], "AUTH_HMAC_SHA1_96", (SHA1_KR, SHA1_RK), False),
    ("chacha20poly1305", "chacha20poly1305", "ENCR_CHACHA20_POLY1305", 36,
     ["aead", "rfc7539esp(chacha20,poly1305)", "KEY", "128"], "NONE", None, False),
    ("aes128ctr-sha256", "aes128ctr-sha256", "ENCR_AES_CTR", 20,
     ["enc", "rfc3686(ctr(aes))", "KEY", "auth-trunc", "hmac(sha256)", "IKEY", "128"], "AUTH_HMAC_SHA2_256_128", (SHA256_KR, SHA256_RK), False),
    ("aes128ccm16", "aes128ccm16", "ENCR_AES_CCM_16", 19, ["aead", "rfc4309(ccm(aes))", "KEY", "128"], "NONE", None, False),
    ("aes128gmac", "aes128gmac", "ENCR_NULL_AUTH_AES_GMAC", 20, ["aead", "rfc4543(gcm(aes))", "KEY", "128"], "NONE", None, False),
    ("null-sha256", "null-sha256", "ENCR_NULL", 0,
     ["enc", "ecb(cipher_null)", "KEY", "auth-trunc", "hmac(sha256)", "IKEY", "128"], "AUTH_HMAC_SHA2_256_128", (SHA256_KR, SHA256_RK), False),
    ("aes128gcm16-esn", "aes128gcm16-esn", "ENCR_AES_GCM_16", 20, ["aead", "rfc4106(gcm(aes))", "KEY", "128"], "NONE", None, True),
]


def run(cmd, out=None, check=False, timeout=60):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if out:
        with open(out, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n" + r.stdout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stdout.strip()}")
    return r


def flip(hexkey):
    b = bytearray(bytes.fromhex(hexkey))
    b[0] ^= 0x01
    return b.hex()


class Row:
    def __init__(self, ipsecref, out, row, negative=False):
        (self.name, self.proposal, self.encr, self.keylen, self.xalg, self.integ, self.ikeys, self.esn) = row
        self.ipsecref, self.negative = ipsecref, negative
        tag = self.name + ("-negative" if negative else "")
        self.dir = os.path.join(out, tag)
        os.makedirs(self.dir, exist_ok=True)
        self.tag = tag
        self.ns_k, self.ns_r = f"msa-k-{os.getpid()}", f"msa-r-{os.getpid()}"
        self.procs = []
        self.enc_kr, self.enc_rk = key(self.keylen, 1), key(self.keylen, 2)

    def p(self, name):
        return os.path.join(self.dir, name)

    def xalgs(self, enc, ikey):
        return [("0x" + enc if enc else "") if a == "KEY" else ("0x" + ikey if a == "IKEY" else a) for a in self.xalg]

    def gateway_conf(self):
        kin, kout = self.enc_kr, self.enc_rk
        iin, iout = self.ikeys if self.ikeys else (None, None)
        if self.negative:
            kin, kout = flip(kin), flip(kout)
        lines = ["manual {", "  t {", f"    local_addrs = {R}", f"    remote_addrs = {K}", f"    local_ts = {R_NET}",
                 f"    remote_ts = {K_NET}", f"    spi_in = {SPI_KR:#x}", f"    spi_out = {SPI_RK:#x}",
                 f"    esp_proposals = {self.proposal}", f"    enc_key_in = {kin}", f"    enc_key_out = {kout}"]
        if iin:
            lines += [f"    integ_key_in = {iin}", f"    integ_key_out = {iout}"]
        return "\n".join(lines + ["  }", "}", ""])

    def keys_json(self):
        esp = []
        for src, dst, spi, enc, ik in ((K, R, SPI_KR, self.enc_kr, self.ikeys[0] if self.ikeys else None),
                                       (R, K, SPI_RK, self.enc_rk, self.ikeys[1] if self.ikeys else None)):
            e = {"src": src, "dst": dst, "spi": f"{spi:#x}", "encr": self.encr, "encr_key": enc, "integ": self.integ,
                 "esn": self.esn, "mode": "tunnel", "udp_encapsulation": False}
            if ik:
                e["integ_key"] = ik
            if self.esn:
                e["replay_window"] = 64
            esp.append(e)
        return {"format": "ipsecref-keys", "version": 1, "comment": f"manual_sa.py row {self.tag} (the kernel's keys)",
                "esp": esp}

    def setup_net(self):
        ip = ["ip"]
        run(ip + ["netns", "add", self.ns_k], check=True)
        run(ip + ["netns", "add", self.ns_r], check=True)
        run(ip + ["link", "add", "msak", "netns", self.ns_k, "type", "veth", "peer", "name", "msar", "netns", self.ns_r], check=True)
        for ns, dev, outer, inner in ((self.ns_k, "msak", K, K_IN), (self.ns_r, "msar", R, R_IN)):
            run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            run(["ip", "-n", ns, "addr", "add", outer + "/24", "dev", dev], check=True)
            run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
            run(["ip", "-n", ns, "addr", "add", inner + "/32", "dev", "lo"], check=True)
        run(["ip", "-n", self.ns_k, "route", "add", R_NET, "via", R, "src", K_IN], check=True)

    def setup_xfrm(self):
        """The kernel's SAs and policies; returns None or the kernel's refusal."""
        xf = ["ip", "-n", self.ns_k, "xfrm"]
        flags = ["flag", "esn", "replay-window", "64"] if self.esn else ["replay-window", "32"]
        for src, dst, spi, enc, ik in ((K, R, SPI_KR, self.enc_kr, self.ikeys[0] if self.ikeys else None),
                                       (R, K, SPI_RK, self.enc_rk, self.ikeys[1] if self.ikeys else None)):
            r = run(xf + ["state", "add", "src", src, "dst", dst, "proto", "esp", "spi", f"{spi:#x}", "reqid", "1",
                          "mode", "tunnel"] + flags + self.xalgs(enc, ik), out=self.p("xfrm-commands.txt"))
            if r.returncode != 0:
                return r.stdout.strip()
        run(xf + ["policy", "add", "src", K_NET, "dst", R_NET, "dir", "out", "tmpl", "src", K, "dst", R, "proto", "esp",
                  "reqid", "1", "mode", "tunnel"], out=self.p("xfrm-commands.txt"), check=True)
        for d in ("in", "fwd"):
            run(xf + ["policy", "add", "src", R_NET, "dst", K_NET, "dir", d, "tmpl", "src", R, "dst", K, "proto", "esp",
                      "reqid", "1", "mode", "tunnel"], out=self.p("xfrm-commands.txt"), check=True)
        return None

    def start(self, cmd, log):
        f = open(log, "w")
        pr = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(pr)
        return pr

    def cleanup(self):
        for pr in self.procs:
            if pr.poll() is None:
                pr.send_signal(signal.SIGINT if "tcpdump" in pr.args else signal.SIGTERM)
        for pr in self.procs:
            try:
                pr.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pr.kill()
                pr.wait()
        for ns in (self.ns_k, self.ns_r):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)

    def run(self):
        with open(self.p("gateway.conf"), "w") as f:
            f.write(self.gateway_conf())
        with open(self.p("keys.json"), "w") as f:
            json.dump(self.keys_json(), f, indent=2)
        r = run([self.ipsecref, "gateway", "--config", self.p("gateway.conf"), "--check"], out=self.p("gateway-check.txt"))
        if r.returncode != 0:
            return "UNSUPPORTED", "by the reference's manual tunnels: " + r.stdout.strip().splitlines()[-1]
        try:
            self.setup_net()
            refused = self.setup_xfrm()
            if refused:
                return "UNSUPPORTED", "by this kernel: ip xfrm state add: " + refused
            run(["ip", "-n", self.ns_k, "xfrm", "state"], out=self.p("xfrm-state.txt"))
            run(["ip", "-n", self.ns_k, "xfrm", "policy"], out=self.p("xfrm-policy.txt"))
            tcpdump = self.start(["ip", "netns", "exec", self.ns_k, "tcpdump", "--immediate-mode", "-n", "-s", "0", "-U",
                                  "-i", "msak", "-w", self.p("capture.pcap"), "esp"], self.p("tcpdump.txt"))
            sock = f"/tmp/msa-{os.getpid()}.sock"
            gw = self.start(["ip", "netns", "exec", self.ns_r, self.ipsecref, "gateway", "--config", self.p("gateway.conf"),
                             "--control", sock, "--tun", "ipsecref0", "--no-ipv6", "--log-level", "debug"],
                            self.p("gateway.log"))
            for _ in range(100):
                if os.path.exists(self.p("capture.pcap")) and "listening" in open(self.p("tcpdump.txt")).read() and \
                        run([self.ipsecref, "ctl", "--socket", sock, "stats"]).returncode == 0:
                    break
                if gw.poll() is not None:
                    return "FAIL", f"the gateway exited {gw.returncode} (gateway.log)"
                time.sleep(0.1)
            else:
                return "FAIL", "the gateway or tcpdump did not come up"
            p1 = run(["ip", "netns", "exec", self.ns_r, "ping", "-c", "3", "-W", "2", "-I", R_IN, K_IN], out=self.p("ping-r-to-k.txt"))
            p2 = run(["ip", "netns", "exec", self.ns_k, "ping", "-c", "3", "-W", "2", "-I", K_IN, R_IN], out=self.p("ping-k-to-r.txt"))
            run(["ip", "-n", self.ns_k, "-s", "xfrm", "state"], out=self.p("xfrm-state.txt"))
            run([self.ipsecref, "ctl", "--socket", sock, "stats"], out=self.p("gateway-stats.txt"))
            time.sleep(0.5)
            self.cleanup()
            self.procs = []
        finally:
            self.cleanup()
        c = run([self.ipsecref, "check", self.p("capture.pcap"), "--keys", self.p("keys.json"), "--json"])
        with open(self.p("check.json"), "w") as f:
            f.write(c.stdout)
        run([self.ipsecref, "check", self.p("capture.pcap"), "--keys", self.p("keys.json")], out=self.p("check.txt"))
        text = open(self.p("check.txt")).read()
        esp = ok = 0
        icv = "IcvMismatch" in text
        sas = 0
        try:
            j = json.loads(c.stdout)
            esp = int(j.get("kinds", {}).get("esp", 0))
            for sa in j.get("sas", []):
                if sa.get("protocol") == "ESP" and sa.get("packets", 0) > 0:
                    sas += 1
                    ok += int(sa.get("ok", 0))
        except (ValueError, AttributeError, TypeError, KeyError):
            pass
        pings = f"pings R->K {'ok' if p1.returncode == 0 else 'FAILED'}, K->R {'ok' if p2.returncode == 0 else 'FAILED'}"
        counts = f"{pings}; check exit {c.returncode}, ESP packets {esp} on {sas} SAs, {ok} verified{', ICV failures' if icv else ''}"
        if self.negative:
            good = p1.returncode != 0 and p2.returncode != 0 and c.returncode == 1 and icv
            return ("PASS" if good else "FAIL"), "negative control (reference's keys one bit off): " + counts
        good = p1.returncode == 0 and p2.returncode == 0 and c.returncode == 0 and esp >= 12 and ok == esp and sas == 2
        return ("PASS" if good else "FAIL"), counts


def main():
    if len(sys.argv) != 3:
        print("usage: manual_sa.py IPSECREF OUT", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("SKIP: manual_sa.py needs root (network namespaces, ip xfrm)", file=sys.stderr)
        return 77
    ipsecref, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    only = os.environ.get("IPSECREF_MSA_ROWS", "").split(",") if os.environ.get("IPSECREF_MSA_ROWS") else None
    start = time.time()
    results = []
    for row, neg in [(r, False) for r in ROWS] + [(ROWS[0], True)]:
        if only and row[0] not in only:
            continue
        t = Row(ipsecref, out, row, neg)
        try:
            verdict, why = t.run()
        except Exception as e:  # the harness's own failure is the row's
            verdict, why = "FAIL", f"error: {e}"
        results.append((t.tag, verdict, why))
        print(f"{verdict:<11} {t.tag:<26} {why}", flush=True)
    bad = [r for r in results if r[1] == "FAIL"]
    print(f"manual_sa.py: {sum(r[1] == 'PASS' for r in results)} passed, {len(bad)} failed, "
          f"{sum(r[1] == 'UNSUPPORTED' for r in results)} unsupported, {time.time() - start:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
