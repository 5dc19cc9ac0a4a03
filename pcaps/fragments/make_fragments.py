#!/usr/bin/python3
"""make_fragments.py [OUTDIR | --verify] - fragmented copies of real captures,
made by Scapy (Debian's python3-scapy 2.5.0, scapy.all.fragment / fragment6),
for ipsecref's IP reassembly: checked whole, each must give the per-SA results
of its original (pcaps/manifest.json, entries "fragments-*").

Every IP packet of the original is cut into fragments carrying at most 64
(IPv4) or 48 (IPv6) octets of data, and each fragment is sent with its original
packet's Ethernet header and timestamp (plus 1 us per fragment, to keep their
order). IPv4 keeps each packet's Identification; IPv6 fragments get
Identification = the original frame number.

  linux-xfrm-gcm-in-order.pcap    every packet's fragments in order
  linux-xfrm-gcm-reverse.pcap     every packet's fragments last first
  linux-xfrm-gcm-duplicate.pcap   in order, each packet's first fragment sent
                                  twice (an exact duplicate, RFC 5722 sec. 4)
  linux-xfrm-gcm-overlap.pcap     in order, but frame 7 (ESP SPI 0xcdb0fa10,
                                  seq 2) gets a forged fragment between its two:
                                  16 octets of 0xaa at offset 56, overlapping
                                  the first -> that datagram is discarded
  linux-xfrm-gcm-missing-last.pcap  in order, but frame 9 (ESP SPI 0xcdb0fa10,
                                  seq 3) lacks its last fragment -> incomplete
  linux-xfrm-ipv6-fragments.pcap  IPv6: every packet's fragments in order, but
                                  frame 6's (ESP SPI 0xc0556c98, seq 1) last first

Running it again gives the same bytes; --verify builds them in a temporary
directory and compares them with the committed files.
"""
import filecmp
import os
import sys
import tempfile

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, IPv6ExtHdrFragment, Ether, Raw, fragment, fragment6, rdpcap, wrpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.dirname(HERE)
FILES = ["linux-xfrm-gcm-in-order.pcap", "linux-xfrm-gcm-reverse.pcap",
         "linux-xfrm-gcm-duplicate.pcap", "linux-xfrm-gcm-overlap.pcap",
         "linux-xfrm-gcm-missing-last.pcap", "linux-xfrm-ipv6-fragments.pcap"]


def fragments4(frame):
    return [f for f in fragment(frame[IP], fragsize=64)]


def fragments6(frame, number):
    ip6 = frame[IPv6]
    whole = IPv6(src=ip6.src, dst=ip6.dst, tc=ip6.tc, fl=ip6.fl, hlim=ip6.hlim) / \
        IPv6ExtHdrFragment(id=number) / ip6.payload
    # fragment6's size counts the 40-octet header and the 8-octet Fragment header.
    return [f for f in fragment6(whole, 40 + 8 + 48)]


def emit(out, frame, pieces):
    for i, piece in enumerate(pieces):
        p = Ether(src=frame[Ether].src, dst=frame[Ether].dst, type=frame[Ether].type) / piece
        p.time = frame.time + i * 0.000001
        out.append(p)


def gcm(kind):
    out = []
    for number, frame in enumerate(rdpcap(os.path.join(PCAPS, "linux-xfrm-gcm/capture.pcap")), 1):
        pieces = fragments4(frame)
        if kind == "reverse":
            pieces.reverse()
        elif kind == "duplicate":
            pieces.insert(1, pieces[0].copy())
        elif kind == "overlap" and number == 7:
            forged = pieces[0].copy()
            forged.frag = 56 // 8
            forged.flags = "MF+DF"
            forged.remove_payload()
            forged.add_payload(Raw(b"\xaa" * 16))
            del forged.len
            del forged.chksum
            pieces.insert(1, IP(bytes(forged)))
        elif kind == "missing-last" and number == 9:
            pieces.pop()
        emit(out, frame, pieces)
    return out


def ipv6():
    out = []
    for number, frame in enumerate(rdpcap(os.path.join(PCAPS, "linux-xfrm-ipv6/capture.pcap")), 1):
        pieces = fragments6(frame, number)
        if number == 6:
            pieces.reverse()
        emit(out, frame, pieces)
    return out


def make(outdir):
    for kind in ["in-order", "reverse", "duplicate", "overlap", "missing-last"]:
        wrpcap(os.path.join(outdir, "linux-xfrm-gcm-%s.pcap" % kind), gcm(kind))
    wrpcap(os.path.join(outdir, "linux-xfrm-ipv6-fragments.pcap"), ipv6())


def verify():
    with tempfile.TemporaryDirectory() as tmp:
        make(tmp)
        bad = [f for f in FILES
               if not filecmp.cmp(os.path.join(tmp, f), os.path.join(HERE, f), shallow=False)]
    for f in bad:
        print("differs from what make_fragments.py makes: %s" % f)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--verify"]:
        sys.exit(verify())
    make(sys.argv[1] if len(sys.argv) > 1 else HERE)
