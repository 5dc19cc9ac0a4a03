#!/usr/bin/python3
"""Independent checks of `ipsecref exchange` captures with tshark and `ipsecref check`.

  tshark_check.py --ipsecref BIN --tool IKE_PAYLOADS [--tshark PATH] [--keep DIR] SCENARIO...

For every scenario, runs

  ipsecref exchange SCENARIO --pcap D/capture.pcap --keys-out D --json

and checks the capture it wrote:

 1. tshark (IP and UDP checksum validation on, the exported
    ikev2_decryption_table given as -o uat rows, no personal profile)
    dissects every packet as ISAKMP with no malformed packet and no expert
    item of severity error;
 2. every message tshark decrypts has its ICV `correct`, and the payload
    labels tshark finds (inside SK when it decrypted it, outside for
    IKE_SA_INIT) equal the ladder `ipsecref exchange` printed for that
    datagram ("SA KE Nonce N(NAT_DETECTION_SOURCE_IP) ..."); every SK
    message of an IKE SA that the table holds must be decrypted (an SKF
    fragment counts when tshark reassembles its message);
 3. interop/tshark/compare.py's message-by-message comparison of the
    reference's decoder (ike_payloads) with tshark on the same capture and
    table;
 4. `ipsecref check D/capture.pcap --keys D` says PASS.

Exit 0 when all holds for every scenario; 1 otherwise (each problem named
with scenario and frame); 77 when tshark is not installed.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# interop/tshark/compare.py, loaded by its path (it is a script of another directory).
_spec = importlib.util.spec_from_file_location(
    "compare", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark", "compare.py"))
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)

# RFC 7296 section 3.2 (and RFC 7383 section 2.5 for SKF): the payload
# type numbers and the labels of the RFC's ladders.
LABELS = {"33": "SA", "34": "KE", "35": "IDi", "36": "IDr", "37": "CERT", "38": "CERTREQ", "39": "AUTH",
          "40": "Nonce", "42": "D", "43": "V", "44": "TSi", "45": "TSr", "46": "SK", "47": "CP", "48": "EAP",
          "53": "SKF"}
NOTIFY_NAME = re.compile(r"Notify Message Type: ([A-Za-z0-9_]+) \(\d+\)")
# Wireshark's expert severities (epan/proto.h PI_ERROR).
PI_ERROR = 0x00800000


def label(payload):
    kind = payload.get("show")
    if kind == "41":
        for c in payload:
            if c.get("name") == "isakmp.notify.msgtype":
                m = NOTIFY_NAME.search(c.get("showname") or "")
                return "N(%s)" % (m.group(1) if m else c.get("show"))
    return LABELS.get(kind, "payload %s" % kind)


def expert_errors(element):
    """Descriptions of every malformed marker and expert error under `element`."""
    found = []
    for f in element.iter("field"):
        name = f.get("name") or ""
        if name == "_ws.malformed":
            found.append(f.get("showname") or "malformed")
        if name == "_ws.expert":
            severity = [c.get("show") for c in f.iter("field") if c.get("name") == "_ws.expert.severity"]
            if severity and int(severity[0]) >= PI_ERROR:
                found.append(f.get("showname") or "expert error")
    for p in element.iter("proto"):
        if p.get("name") == "_ws.malformed":
            found.append(p.get("showname") or "malformed")
    return found


def tshark_frames(tshark, capture, table, home):
    """{frame: {"errors": [...], "labels": [...] or None, "encrypted": bool, "icv": str, "names": str}}."""
    cmd = [tshark, "-n", "-r", capture, "-T", "pdml", "-o", "ip.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE"]
    with open(table) as f:
        for row in f:
            row = row.strip()
            if row:
                cmd += ["-o", "uat:ikev2_decryption_table:" + row]
    run = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, HOME=home, XDG_CONFIG_HOME=home))
    if run.returncode != 0:
        raise RuntimeError("tshark failed (exit %d): %s" % (run.returncode, run.stderr.strip()))
    frames = {}
    for packet in ET.fromstring(run.stdout).iter("packet"):
        number = None
        record = {"errors": expert_errors(packet), "labels": None, "encrypted": False, "icv": None,
                  "isakmp": False}
        for proto in packet:
            if proto.get("name") == "geninfo":
                number = int(compare.child_show(proto, "num"))
            if proto.get("name") != "isakmp":
                continue
            record["isakmp"] = True
            record["spi_i"] = (compare.child_show(proto, "isakmp.ispi") or "").replace(":", "")
            record["spi_r"] = (compare.child_show(proto, "isakmp.rspi") or "").replace(":", "")
            outer = compare.children(proto, "isakmp.typepayload")
            labels = []
            for payload in outer:
                if payload.get("show") in ("46", "53"):
                    record["encrypted"] = True
                    record["skf"] = payload.get("show") == "53"
                    inner = compare.inner_payloads(payload)
                    record["icv"] = compare.icv_verdict(payload)
                    if inner is None:
                        labels = None
                        break
                    labels += [label(p) for p in inner]
                else:
                    labels.append(label(payload))
            record["labels"] = labels
        frames[number] = record
    return frames


def ladder_labels(message):
    m = re.search(r"\{(.*)\}", message)
    return m.group(1).split() if m else None


def check_scenario(args, name, workdir, home):
    """(problems, counts) for one scenario."""
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    capture = os.path.join(d, "capture.pcap")
    run = subprocess.run([args.ipsecref, "exchange", name, "--pcap", capture, "--keys-out", d, "--json"],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):
        return ["ipsecref exchange %s: exit %d: %s" % (name, run.returncode, run.stderr.strip())], {}
    report = json.loads(run.stdout)
    problems = []
    table = os.path.join(d, "ikev2_decryption_table")
    frames = tshark_frames(args.tshark, capture, table, home)
    with open(table) as f:
        keyed = {tuple(row.split(",")[:2]) for row in f if row.strip()}
    counts = {"packets": len(frames), "decrypted": 0, "encrypted": 0, "compared": 0}
    for datagram in report["datagrams"]:
        n = datagram["number"]
        f = frames.get(n)
        if f is None:
            problems.append("frame %d: not in tshark's dissection" % n)
            continue
        for e in f["errors"]:
            problems.append("frame %d: tshark: %s" % (n, e))
        if not f["isakmp"]:
            problems.append("frame %d: tshark does not dissect it as ISAKMP" % n)
            continue
        if f["encrypted"]:
            counts["encrypted"] += 1
            if f["labels"] is None:
                fragment = re.search(r"fragment (\d+)/(\d+)", datagram.get("note", ""))
                if fragment and fragment.group(1) != fragment.group(2):
                    continue  # tshark shows an SKF message where it reassembles it: at the last fragment
                if (f["spi_i"], f["spi_r"]) in keyed:
                    problems.append("frame %d: tshark did not decrypt it, though the table holds IKE SA %s_i %s_r"
                                    % (n, f["spi_i"], f["spi_r"]))
                continue
            counts["decrypted"] += 1
            if f["icv"] != "correct":
                problems.append("frame %d: tshark found the ICV %s" % (n, f["icv"] or "unchecked"))
        expected = ladder_labels(datagram["message"])
        if f["labels"] is not None and expected is not None:
            counts["compared"] += 1
            if f["labels"] != expected:
                problems.append("frame %d: payloads differ\n    ladder: %s\n    tshark: %s"
                                % (n, " ".join(expected), " ".join(f["labels"])))
    # compare.py: the reference's decoder against tshark, frame by frame.
    mine = compare.ours(args.tool, d, table)
    theirs = compare.theirs(args.tshark, d, table, home)
    _, _, _, _, more = compare.compare(name, mine, theirs, False)
    problems += ["compare.py: " + p for p in more]
    # ipsecref check: PASS.
    check = subprocess.run([args.ipsecref, "check", capture, "--keys", d], capture_output=True, text=True)
    if check.returncode != 0 or "result   PASS" not in check.stdout:
        problems.append("ipsecref check: exit %d\n%s" % (check.returncode, check.stdout[-2000:]))
    counts["keyed_ike_sas"] = len(keyed)
    return problems, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--ipsecref", required=True)
    parser.add_argument("--tool", required=True, help="the ike_payloads binary (interop/tshark)")
    parser.add_argument("--tshark", default=shutil.which("tshark"))
    parser.add_argument("--keep", help="write the captures here instead of a temporary directory")
    parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args()
    if not args.tshark:
        print("exchange-tshark: tshark is not installed (tools/setup.sh installs it); skipped")
        return 77
    failed = 0
    with tempfile.TemporaryDirectory(prefix="exchange-tshark-") as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        workdir = args.keep or tmp
        for name in args.scenarios:
            try:
                problems, counts = check_scenario(args, name, workdir, home)
            except (OSError, RuntimeError, ET.ParseError, ValueError, KeyError) as ex:
                problems, counts = ["%s: %s" % (type(ex).__name__, ex)], {}
            if problems:
                failed += 1
                print("FAIL %s" % name)
                for p in problems:
                    print("  " + p)
            else:
                print("ok   %s: %d packets, no malformed or expert error; %d of %d encrypted messages decrypted "
                      "with ICV correct; %d payload sequences equal the ladder; ipsecref check PASS"
                      % (name, counts["packets"], counts["decrypted"], counts["encrypted"], counts["compared"]))
    print("exchange-tshark: %d passed, %d failed" % (len(args.scenarios) - failed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
