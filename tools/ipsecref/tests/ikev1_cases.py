#!/usr/bin/python3
"""ipsecref ike-decode and check decrypt IKEv1 (RFC 2409 Appendix B).

For each strongSwan IKEv1 capture (pcaps/strongswan-ikev1-*: strongSwan
5.9.8 against itself, keys from charon-a.log at ike level 4):
  - with the capture's ikev1_decryption_table, ike-decode decrypts every
    encrypted IKEv1 message and finds nothing wrong (exit 0);
  - check lists the ISAKMP SA with its exchanges, all contents seen, and
    the Quick Mode SA's two SPIs, which must be the SPIs of the capture's
    esp_sa (from charon's log, not from ipsecref) and be linked to the ESP
    SAs on the wire;
  - with keys.json giving only the pre-shared key (swanctl-a.conf) and the
    shared secret g^xy (charon-a.log's "shared Diffie Hellman secret"),
    ike-decode and check give the same as with the table (RFC 2409 §5).
Then the failures, on strongswan-ikev1-main: a wrong key (one bit of the
table's key flipped), a missing key (a table for another cookie) and a
broken IV chain (Quick Mode's first message cut out of the capture) are
reported naming the packet and the requirement, exit 1 (a missing key:
exit 0, a note, as IKEv2's missing keys are).

usage: ikev1_cases.py IPSECREF
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CAPTURES = ["main", "aggressive", "xauth", "main-3des"]
failures = []


def fail(what):
    failures.append(what)
    print("FAIL " + what)


def run(ipsecref, *args):
    r = subprocess.run([ipsecref, *args], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def esp_spis(directory):
    """The SPIs of the esp_sa file (written from charon's log by record.sh)."""
    with open(os.path.join(directory, "esp_sa")) as f:
        return sorted(int(line.split(",")[3].strip('"'), 16) for line in f if line.strip())


def logged(log, label):
    """The hex dump charon logged first under `label`, as hex."""
    lines = open(log, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        m = re.search(r" (\d+)\[IKE\] %s => (\d+) bytes" % re.escape(label), line)
        if not m:
            continue
        thread, size, out = m.group(1), int(m.group(2)), ""
        for follow in lines[i + 1:]:
            if len(out) >= 2 * size:
                break
            d = re.search(r" %s\[IKE\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})" % thread, follow)
            if d:
                out += d.group(1).replace(" ", "").lower()
        return out[:2 * size]
    raise ValueError("%s: nothing logged as %r" % (log, label))


def psk_of(directory):
    conf = open(os.path.join(directory, "swanctl-a.conf")).read()
    return re.search(r'ike-1 \{[^}]*secret = "([^"]*)"', conf).group(1)


def decode_ok(ipsecref, capture, keys, name):
    code, out, err = run(ipsecref, "ike-decode", capture, "--keys", keys, "--json")
    if code != 0:
        fail("%s: ike-decode exit %d: %s" % (name, code, (err or out)[-400:]))
        return 0
    messages = json.loads(out)
    encrypted = [m for m in messages if m.get("ike_version") == 1 and m.get("encrypted")]
    for m in encrypted:
        if not m.get("decrypted") or "decryption_error" in m:
            fail("%s: %s not decrypted: %s" % (name, m["input"], m.get("decryption_error")))
    if not encrypted:
        fail("%s: no encrypted IKEv1 message" % name)
    return len(encrypted)


def check_ok(ipsecref, capture, keys, directory, name):
    code, out, err = run(ipsecref, "check", capture, "--keys", keys, "--json")
    if code != 0:
        fail("%s: check exit %d: %s" % (name, code, (err or out)[-400:]))
        return
    report = json.loads(out)
    sas = report["ikev1_sas"]
    if len(sas) != 1 or not sas[0]["keys_known"]:
        fail("%s: expected one ISAKMP SA with keys: %s" % (name, sas))
        return
    types = [x["type"] for x in sas[0]["exchanges"]]
    for x in sas[0]["exchanges"]:
        if not x["contents_seen"] or "(encrypted)" in x["payloads"]:
            fail("%s: %s %s not seen: %s" % (name, x["type"], x["message_id"], x["payloads"]))
    phase1 = "Aggressive Mode" if "aggressive" in name else "Main Mode"
    for wanted in (phase1, "Quick Mode", "Informational") + (("Transaction",) if "xauth" in name else ()):
        if not any(wanted in t for t in types):
            fail("%s: no %s exchange among %s" % (name, wanted, types))
    if not any("Delete ISAKMP SA" in x["outcome"] for x in sas[0]["exchanges"]):
        fail("%s: the Delete of the ISAKMP SA is not reported" % name)
    children = [c for c in report["child_sas"] if c.get("ikev1_sa") == 0]
    if len(children) != 1:
        fail("%s: expected one Quick Mode SA, got %s" % (name, children))
        return
    c = children[0]
    spis = sorted(int(c[side]["spi"], 16) for side in ("at_initiator", "at_responder") if c[side]["spi"])
    if spis != esp_spis(directory):
        fail("%s: Quick Mode SPIs %s, esp_sa has %s" % (name, [hex(s) for s in spis],
                                                      [hex(s) for s in esp_spis(directory)]))
    for side in ("at_initiator", "at_responder"):
        sa = c[side]["sa"]
        if sa is None or report["sas"][sa]["packets"] == 0:
            fail("%s: the Quick Mode SA's %s SPI is not linked to ESP traffic" % (name, side))
    if any(f["kind"] == "spi_not_created" for f in report["ike_findings"]):
        fail("%s: ESP SPIs no exchange created: %s" % (name, report["ike_findings"]))
    print("ok   %s: check: %s; Quick Mode SA %s linked to ESP SAs #%d and #%d"
          % (name, ", ".join(types), "/".join(hex(s) for s in spis),
             c["at_initiator"]["sa"] + 1, c["at_responder"]["sa"] + 1))


def main():
    ipsecref = os.path.abspath(sys.argv[1])
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="ikev1-cases-") as tmp:
        for scenario in CAPTURES:
            name = "strongswan-ikev1-" + scenario
            d = os.path.join("pcaps", name)
            capture = os.path.join(d, "capture.pcap")
            n = decode_ok(ipsecref, capture, d, name)
            print("ok   %s: ike-decode --keys: %d encrypted messages decrypted" % (name, n))
            check_ok(ipsecref, capture, d, d, name)
            # keys.json: the PSK and g^xy only (no table), and esp_sa.
            keys = os.path.join(tmp, scenario)
            os.makedirs(keys)
            shutil.copy(os.path.join(d, "esp_sa"), keys)
            cookie = open(os.path.join(d, "ikev1_decryption_table")).read().split(",")[0].strip('"')
            with open(os.path.join(keys, "keys.json"), "w") as f:
                json.dump({"format": "ipsecref-keys", "version": 1,
                           "ikev1": [{"cookie_i": "0x" + cookie, "psk": psk_of(d),
                                      "dh_shared_secret": logged(os.path.join(d, "charon-a.log"),
                                                                 "shared Diffie Hellman secret")}]}, f)
            m = decode_ok(ipsecref, capture, keys, name + " (keys.json: PSK, g^xy)")
            if m != n:
                fail("%s: %d messages decrypted from the PSK, %d with the table" % (name, m, n))
            check_ok(ipsecref, capture, keys, d, name + " (keys.json: PSK, g^xy)")

        main = os.path.join("pcaps", "strongswan-ikev1-main")
        capture = os.path.join(main, "capture.pcap")
        row = open(os.path.join(main, "ikev1_decryption_table")).read().strip()
        cookie, key = row.split(",")
        # A wrong key: the first encrypted message (frame 5) does not parse.
        wrong = os.path.join(tmp, "wrong")
        os.makedirs(wrong)
        with open(os.path.join(wrong, "ikev1_decryption_table"), "w") as f:
            f.write("%s,%02x%s\n" % (cookie, int(key[:2], 16) ^ 1, key[2:]))
        code, out, _ = run(ipsecref, "ike-decode", capture, "--keys", wrong)
        section = out.split("== frame 5 ")[1].split("== frame")[0] if "== frame 5 " in out else ""
        if code != 1 or "DECRYPTION FAILED" not in section or "rfc2409#appendix-B" not in section \
                or "a wrong key" not in section:
            fail("wrong key: ike-decode exit %d, frame 5 says: %s" % (code, section[-600:]))
        code, out, _ = run(ipsecref, "check", capture, "--keys", wrong, "--json")
        found = [f for f in json.loads(out)["ikev1_sas"][0]["findings"] if f["kind"] == "decryption_failed"]
        if code != 1 or not found or found[0]["packets"][0] != 5 or found[0]["requirement"] != "rfc2409#appendix-B":
            fail("wrong key: check exit %d, findings %s" % (code, found))
        else:
            print("ok   wrong key: ike-decode and check exit 1, packets %s, %s: %s"
                  % (found[0]["packets"], found[0]["requirement"], found[0]["example"][:100]))
        # JUnit: the ISAKMP SA is a testcase, failing with the wrong key.
        import xml.etree.ElementTree as ET
        for keys_dir, fails in ((main, False), (wrong, True)):
            xml = os.path.join(tmp, "junit.xml")
            run(ipsecref, "check", capture, "--keys", keys_dir, "--junit", xml)
            cases = [c for c in ET.parse(xml).getroot().iter("testcase")
                     if c.get("name").startswith("IKEv1 ISAKMP SA %s_i" % cookie)]
            failures_found = [f for c in cases for f in c.findall("failure")]
            if len(cases) != 1 or bool(failures_found) != fails or \
                    (fails and "rfc2409#appendix-B" not in failures_found[0].get("message")):
                fail("junit with %s: testcases %s, failures %s" % (keys_dir, [c.get("name") for c in cases],
                                                                   [f.get("message") for f in failures_found]))
            else:
                print("ok   junit with %s: %s%s" % (keys_dir, cases[0].get("name"),
                                                  ": " + failures_found[0].get("message") if fails else ", no failure"))
        # A missing key: a table for another ISAKMP SA.
        other = os.path.join(tmp, "other")
        os.makedirs(other)
        with open(os.path.join(other, "ikev1_decryption_table"), "w") as f:
            f.write("0123456789abcdef,%s\n" % key)
        code, out, _ = run(ipsecref, "ike-decode", capture, "--keys", other)
        if code != 0 or "no key for initiator cookie %s" % cookie not in out:
            fail("missing key: ike-decode exit %d: %s" % (code, out[-400:]))
        code, out, _ = run(ipsecref, "check", capture, "--keys", other, "--json")
        notes = [f for f in json.loads(out)["ikev1_sas"][0]["findings"] if f["kind"] == "contents_not_seen"]
        if not notes or notes[0]["severity"] != "note":
            fail("missing key: check gives no note: %s" % out[-400:])
        else:
            print("ok   missing key: ike-decode exit 0 with the cookie named; check notes packets %s"
                  % notes[0]["packets"])
        # A broken IV chain: Quick Mode's first message (frame 7) cut out;
        # its second (now frame 7) starts from the wrong IV.
        from scapy.all import rdpcap, wrpcap
        packets = rdpcap(capture)
        cut = os.path.join(tmp, "no-frame-7.pcap")
        wrpcap(cut, [p for i, p in enumerate(packets) if i != 6])
        code, out, _ = run(ipsecref, "ike-decode", cut, "--keys", main)
        section = out.split("== frame 7 ")[1].split("== frame")[0] if "== frame 7 " in out else ""
        if code != 1 or "DECRYPTION FAILED" not in section or "IV chain" not in section:
            fail("broken IV chain: ike-decode exit %d, frame 7 says: %s" % (code, section[-600:]))
        else:
            print("ok   broken IV chain: ike-decode exit 1 at frame 7: %s"
                  % section.split("DECRYPTION FAILED: ")[1].splitlines()[0][:160])
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("all IKEv1 decryption cases pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
