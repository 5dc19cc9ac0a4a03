"""judge.py: the judgement of a run's evidence after the run, and the bulk transfer.

judge() returns the problems found (an empty list: all good) and records
each check in the run:
  check     `ipsecref check capture.pcap --keys keys` exits 0: every ESP
            packet whose SA has keys decrypts and verifies, and every IKE
            message keeps the rules (check.txt, check.json); at least one
            ESP SA must have had keys when the case carried traffic
  tshark    Wireshark's dissector with the same keys: no IKE message whose
            integrity checksum is wrong, no ESP packet with a bad ICV, and
            every ESP packet of an SA it has keys for decrypted (tshark.txt;
            Wireshark 4.0 names neither ChaCha20-Poly1305 nor ESN SAs: those
            it only counts)
  udp-encap, raw-esp, fragments, liveness: the case's capture checks
            (cases.py), counted with tshark display filters
"""
import json
import os
import subprocess
import time

TSHARK = "/usr/bin/tshark"
BULK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bulk.py")
BULK_SIZE = 1 << 20
BULK_PORT = 5001


# An ICMP error quotes the start of the packet it answers, which tshark dissects
# as ESP or IKE too (with a bad ICV, being cut): such frames are counted apart.
NOT_ICMP_ERROR = "!(icmp.type == 3 || icmpv6.type == 1)"


def tshark(capture, keys, *args):
    argv = [TSHARK, "-n", "-r", capture, "-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE"]
    for name in ("esp_sa", "ikev2_decryption_table"):
        path = os.path.join(keys, name)
        if os.path.exists(path):
            for line in open(path):
                if line.strip():
                    argv += ["-o", "uat:%s:%s" % (name, line.strip())]
    r = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=120)
    return r.stdout


def count(capture, keys, display_filter):
    return len([l for l in tshark(capture, keys, "-Y", display_filter).splitlines() if l.strip()])


# capture check -> (display filter that must match at least one packet, one that must match none, what it means)
CAPTURE_CHECKS = {
    "udp-encap": ("udp.port == 4500 && esp", "esp && !udp", "ESP in UDP 4500 only (RFC 3948)"),
    "raw-esp": ("esp && !udp", "esp && udp", "raw ESP only (IP protocol 50)"),
    "fragments": ("isakmp.nextpayload == 53", None, "IKE fragments (SKF, RFC 7383)"),
}


def judge(run, ipsecref, keys, unnamed):
    capture = os.path.join(run.dir, "capture.pcap")
    problems = []
    if not os.path.exists(capture):
        run.record("check", "fail", "no capture")
        return ["no capture was written"]
    # -- ipsecref check ------------------------------------------------------------
    argv = [ipsecref, "check", capture, "--keys", keys, "--json"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    with open(os.path.join(run.dir, "check.json"), "w") as f:
        f.write(r.stdout)
    text = subprocess.run(argv[:-1], capture_output=True, text=True, timeout=300)
    with open(os.path.join(run.dir, "check.txt"), "w") as f:
        f.write(text.stdout + text.stderr)
    try:
        report = json.loads(r.stdout)
        sas = report.get("sas", [])
        keyed = [s for s in sas if s.get("keys_known")]
        ok = sum(s.get("ok", 0) for s in keyed)
        failed = sum(s.get("failed", 0) for s in keyed)
        detail = "exit %d; ESP/AH SAs %d, with keys %d: %d packets verified, %d failed; IKE errors %d" % (
            r.returncode, len(sas), len(keyed), ok, failed, report.get("ike_errors", 0))
    except ValueError:
        keyed, detail = [], "exit %d, no JSON: %s" % (r.returncode, r.stderr.strip()[-200:])
    if r.returncode != 0:
        problems.append("ipsecref check: %s" % detail)
        run.record("check", "fail", detail)
    elif not keyed:
        run.record("check", "skipped", detail + " (no end told its ESP keys)")
    else:
        run.record("check", "pass", detail)
    # -- tshark ----------------------------------------------------------------------
    fields = tshark(capture, keys, "-Y", NOT_ICMP_ERROR, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
                    "-e", "isakmp.exchangetype", "-e", "isakmp.enc.data", "-e", "isakmp.enc.pad_length",
                    "-e", "esp.spi", "-e", "esp.pad_len", "-e", "esp.icv_good", "-e", "esp.icv_bad")
    ike = enc = dec = esp = esp_dec = good = bad = 0
    for line in fields.splitlines():
        f = (line.split("|") + [""] * 7)[:7]
        if f[0]:
            ike += 1
            if f[1]:
                enc += 1
                dec += bool(f[2])
        if f[3]:
            esp += 1
            esp_dec += bool(f[4])
            good += "1" in f[5] or "True" in f[5]
            bad += "1" in f[6] or "True" in f[6]
    bad_ike = count(capture, keys, "isakmp.ikev2.integrity_checksum && " + NOT_ICMP_ERROR)
    icmp_errors = count(capture, keys, "(icmp.type == 3 || icmpv6.type == 1) && (esp || isakmp)")
    summary = ("IKE messages %d, encrypted %d, decrypted %d, integrity checksum wrong %d; "
               "ESP packets %d, decrypted %d, ICV good %d, ICV bad %d; SAs Wireshark cannot name: %d; "
               "ICMP destination unreachable quoting ESP or IKE: %d") % (
        ike, enc, dec, bad_ike, esp, esp_dec, good, bad, unnamed, icmp_errors)
    with open(os.path.join(run.dir, "tshark.txt"), "w") as f:
        f.write(summary + "\n")
    tshark_problems = []
    if bad_ike:
        tshark_problems.append("%d IKE messages with a wrong integrity checksum" % bad_ike)
    if bad:
        tshark_problems.append("%d ESP packets with a bad ICV" % bad)
    named = os.path.exists(os.path.join(keys, "esp_sa")) and os.path.getsize(os.path.join(keys, "esp_sa")) > 0
    if named and not unnamed and esp_dec != esp:
        tshark_problems.append("%d of %d ESP packets not decrypted" % (esp - esp_dec, esp))
    if tshark_problems:
        problems.append("tshark: " + "; ".join(tshark_problems))
    run.record("tshark", "fail" if tshark_problems else "pass", summary)
    # -- the case's capture checks ------------------------------------------------------
    for name in run.case.capture + (["liveness"] if "liveness" in run.case.steps else []):
        if name == "liveness":
            # an INFORMATIONAL request and a response (exchange type 37, RFC 7296 section 3.1)
            req = count(capture, keys, "isakmp.exchangetype == 37 && isakmp.flag_r == 0")
            resp = count(capture, keys, "isakmp.exchangetype == 37 && isakmp.flag_r == 1")
            ok, detail = req >= 1 and resp >= 1, "INFORMATIONAL requests %d, responses %d" % (req, resp)
        else:
            some, none, meaning = CAPTURE_CHECKS[name]
            n_some = count(capture, keys, some)
            n_none = count(capture, keys, none) if none else 0
            ok = n_some > 0 and n_none == 0
            detail = "%s: %d packets match '%s'%s" % (meaning, n_some, some,
                                                        ", %d match '%s'" % (n_none, none) if none else "")
        run.record(name, "pass" if ok else "fail", detail)
        if not ok:
            problems.append("%s: %s" % (name, detail))
    return problems


def bulk(lab, client, server, log):
    """BULK_SIZE bytes each way from client's inner address to server's; None when both arrived intact."""
    src, dst = lab.source(client), lab.target(server)
    serve = lab.spawn(server.ns, ["/usr/bin/python3", BULK, "serve", dst, str(BULK_PORT), str(BULK_SIZE)], log)
    try:
        time.sleep(0.5)
        r = lab.run(client.ns, ["/usr/bin/python3", BULK, "send", dst, str(BULK_PORT), str(BULK_SIZE), src],
                    check=False, timeout=90)
        with open(log, "a") as f:
            f.write(r.stdout + r.stderr)
        try:
            serve.wait(30)
        except Exception:
            pass
        if r.returncode != 0:
            return "initiator side: " + (r.stdout + r.stderr).strip()[-200:]
        if serve.returncode != 0:
            return "responder side: exit %s (bulk.txt)" % serve.returncode
        return None
    finally:
        lab.stop(serve)
