#!/usr/bin/python3
"""Cross-checks the reference's ESP sender against Wireshark's ESP receiver.

make_esp_capture writes N AES-128-GCM-16 tunnel-mode packets and their
esp_sa; then
  * `ipsecref check --keys DIR --json` must verify every one (ok == N, no
    failure, no finding, exit 0), and
  * tshark (Wireshark's own ESP dissector, decryption and ICV check on, the
    keys from the same esp_sa as `-o uat:esp_sa:<line>`) must decrypt every
    one: for each frame a good ICV, no bad one, and the inner IPv4/UDP packet
    dissected (inner addresses 10.x, UDP port 7 (Echo), an inner UDP checksum
    tshark finds correct).
Expected values come from tshark, not from the code under test.

Usage: esp_capture_crosscheck.py --generator PATH --ipsecref PATH [--packets N]
Exit 0 when both agree on all N packets.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def tshark_args(directory):
    """tshark's options for decrypting the capture in `directory`."""
    args = ["-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE",
            "-o", "udp.check_checksum:TRUE"]
    with open(os.path.join(directory, "esp_sa")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                args += ["-o", "uat:esp_sa:" + line]
    return args


def tshark_decrypted(directory):
    """(frames, decrypted and verified frames, problems) as tshark sees them."""
    fields = ["frame.number", "esp.spi", "esp.sequence", "esp.icv_good", "esp.icv_bad",
              "ip.src", "ip.dst", "udp.dstport", "udp.checksum.status"]
    cmd = ["tshark", "-n", "-r", os.path.join(directory, "capture.pcap")] + tshark_args(directory)
    cmd += ["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    frames = good = 0
    problems = []
    for line in out.splitlines():
        if not line.strip():
            continue
        frames += 1
        number, spi, seq, icv_good, icv_bad, src, dst, port, csum = line.split("|")
        srcs, dsts = src.split(","), dst.split(",")
        ok = (spi != "" and seq != "" and icv_good in ("1", "True") and icv_bad in ("0", "False")
              and len(srcs) == 2 and srcs[1].startswith("10.") and dsts[1].startswith("10.")
              and port == "7" and csum == "1")  # 1: checksum good
        if ok:
            good += 1
        elif len(problems) < 5:
            problems.append("frame %s: %s" % (number, line))
    return frames, good, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--generator", required=True)
    ap.add_argument("--ipsecref", required=True)
    ap.add_argument("--packets", type=int, default=200)
    a = ap.parse_args()
    fails = []
    with tempfile.TemporaryDirectory(prefix="esp-crosscheck-") as d:
        subprocess.run([a.generator, d, "--packets", str(a.packets)], check=True,
                       stdout=subprocess.DEVNULL)

        check = subprocess.run([a.ipsecref, "check", os.path.join(d, "capture.pcap"),
                                "--keys", d, "--json"], capture_output=True, text=True)
        report = json.loads(check.stdout)
        ok = sum(sa["ok"] for sa in report["sas"])
        print("ipsecref check: %d packets, %d SAs, %d ok, %d failed, %d findings, exit %d"
              % (report["packets"], len(report["sas"]), ok, report["failed"],
                 report["findings"], check.returncode))
        if check.returncode != 0 or report["packets"] != a.packets or ok != a.packets \
                or report["failed"] or report["findings"]:
            fails.append("ipsecref check did not verify all %d packets" % a.packets)
        if not all(sa["keys_known"] for sa in report["sas"]):
            fails.append("ipsecref check found an SA without keys")

        frames, good, problems = tshark_decrypted(d)
        print("tshark: %d frames, %d decrypted with a good ICV and a valid inner UDP packet"
              % (frames, good))
        if frames != a.packets or good != a.packets:
            fails.append("tshark decrypted %d of %d packets" % (good, a.packets))
            fails += problems
    for f in fails:
        print("FAIL: " + f)
    print("crosscheck: %s" % ("FAILED" if fails else "OK"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
