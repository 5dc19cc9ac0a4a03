#!/usr/bin/python3
"""crosscheck_decrypt.py --ipsecref BIN DIR

Independent check of 'ipsecref decrypt' with Scapy (Debian's python3-scapy;
run with /usr/bin/python3). DIR is a capture directory under pcaps/ with
capture.pcap and its keys.

- The output must be a pcap that Scapy's rdpcap and tshark read as IP
  packets, of link type LINKTYPE_RAW (101), one packet per ESP/AH packet of the capture, each with
  the timestamp of the ESP/AH packet it came from.
- With a cleartext capture that holds IP packets (inner-cleartext.pcap), the
  output must equal its IP packets as a multiset, byte for byte.
- For AH (keys.csv rows with protocol 51), Scapy verifies every AH packet
  itself (scapy.layers.ipsec, keys from keys.csv.a) and what it hands up
  must equal the output packet by packet.
Exit 0 iff all of that holds; 1 also when tshark is missing (tools/setup.sh
installs it): half a cross-check is not a pass.
"""
import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
from scapy.all import IP, IPv6, UDP, conf, raw, rdpcap  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402
from scapy.utils import RawPcapReader  # noqa: E402

conf.verb = 0
AH_INTEG = {2: "HMAC-SHA1-96", 12: "SHA2-256-128", 13: "SHA2-384-192", 14: "SHA2-512-256"}


def ip_layer(p):
    if IP in p:
        return p[IP]
    if IPv6 in p:
        return p[IPv6]
    return None


def ns(t):
    return int(round(t * 1000000000))


def ipsec_packets(capture):
    """(index, packet) of the ESP, ESP-in-UDP-4500 and AH packets."""
    out = []
    for p in rdpcap(capture):
        ipl = ip_layer(p)
        if ipl is None:
            continue
        proto = ipl.proto if ipl.version == 4 else ipl.nh
        if proto in (50, 51):
            out.append(p)
        elif UDP in p and 4500 in (p[UDP].sport, p[UDP].dport):
            payload = raw(p[UDP].payload)
            if len(payload) >= 8 and payload[:4] != b"\0\0\0\0":
                out.append(p)
    return out


def ah_keys(directory):
    keys = {}
    for name in ("keys.csv.a", "keys.csv", "keys.csv.b"):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            continue
        for line in open(path):
            r = line.strip().split(",")
            if r[0] == "esp" and len(r) > 14 and r[14] == "51":
                keys[int(r[3], 16)] = dict(integ=int(r[6]), key=bytes.fromhex(r[11]), esn=r[7] == "1",
                                           tunnel=r[8] == "2", src=r[1].split("[")[0], dst=r[2].split("[")[0])
    return keys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ipsecref", required=True)
    ap.add_argument("dir")
    args = ap.parse_args()
    capture = os.path.join(args.dir, "capture.pcap")
    tshark = shutil.which("tshark")
    if not tshark:
        print("FAIL tshark is not installed (tools/setup.sh installs it): its half of the cross-check cannot run")
        print("RESULT: FAILED")
        return 1
    fails = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "inner.pcap")
        run = subprocess.run([args.ipsecref, "decrypt", capture, "--keys", args.dir, "-o", out],
                             capture_output=True, text=True)
        print(run.stdout.strip())
        if run.returncode != 0:
            print("ipsecref decrypt exited %d: %s" % (run.returncode, run.stderr.strip()))
            return 1
        reader = RawPcapReader(out)
        linktype = reader.linktype
        reader.close()
        if linktype != 101:
            fails.append("link type %d, expected LINKTYPE_RAW (101)" % linktype)
        decrypted = rdpcap(out)
        wire = ipsec_packets(capture)
        if len(decrypted) != len(wire):
            fails.append("%d packets written, the capture has %d ESP/AH packets" % (len(decrypted), len(wire)))
        for d, w in zip(decrypted, wire):
            if ns(d.time) != ns(w.time):
                fails.append("timestamp %s, its ESP/AH packet has %s" % (d.time, w.time))
                break
        got = [raw(ip_layer(p)) for p in decrypted]
        seen = subprocess.run([tshark, "-n", "-r", out, "-T", "fields", "-e", "ip.len", "-e", "ipv6.plen"],
                              capture_output=True, text=True)
        lines = [l for l in seen.stdout.splitlines() if l.strip()]
        if seen.returncode != 0 or len(lines) != len(got):
            fails.append("tshark reads %d IP packets (exit %d), %d were written"
                         % (len(lines), seen.returncode, len(got)))
        else:
            print("tshark: reads the %d packets as IP" % len(lines))

        clear = os.path.join(args.dir, "inner-cleartext.pcap")
        expected = []
        if os.path.exists(clear):
            expected = [raw(ip_layer(p)) for p in rdpcap(clear) if ip_layer(p) is not None]
        if expected:
            if collections.Counter(got) != collections.Counter(expected):
                fails.append("decrypted packets differ from the IP packets of inner-cleartext.pcap "
                             "(%d vs %d)" % (len(got), len(expected)))
            else:
                print("scapy: %d decrypted packets equal the %d IP packets of inner-cleartext.pcap"
                      % (len(got), len(expected)))

        keys = ah_keys(args.dir)
        if keys:
            checked = 0
            for w, mine in zip(wire, got):
                ipl = ip_layer(w)
                spi = ipl[AH].spi
                k = keys.get(spi)
                if k is None:
                    fails.append("no AH keys for SPI %#x" % spi)
                    continue
                tunnel = (IP if ipl.version == 4 else IPv6)(src=k["src"], dst=k["dst"]) if k["tunnel"] else None
                sa = SecurityAssociation(AH, spi=spi, auth_algo=AH_INTEG[k["integ"]], auth_key=k["key"],
                                         tunnel_header=tunnel, esn_en=k["esn"])
                theirs = sa.decrypt((IP if ipl.version == 4 else IPv6)(raw(ipl)))
                if raw(theirs) != mine:
                    fails.append("AH SPI %#x seq %d: scapy hands up %s, ipsecref %s"
                                 % (spi, ipl[AH].seq, raw(theirs).hex(), mine.hex()))
                checked += 1
            print("scapy: %d AH packets verified by scapy, equal to ipsecref's output" % checked)
        if not expected and not keys:
            fails.append("nothing to compare with: no IP packets in inner-cleartext.pcap and no AH keys")
    for f in fails:
        print("FAIL " + f)
    print("RESULT: %s" % ("OK" if not fails else "FAILED"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
