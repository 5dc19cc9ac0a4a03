#!/usr/bin/env python3
"""raw_send_check.py IPSECREF: what `ipsecref replay` sends of raw ESP and AH.

`ipsecref gateway` carries ESP only, so AH replay cannot be judged against
it; this test checks the planning and the sending instead. In a network
namespace of its own (ipsecref-rpl-raw-PID; the documentation addresses
192.0.2.1, 192.0.2.2, 2001:db8:0:1::1 and 2001:db8:0:1::2 on its loopback)
raw sockets of this script receive what `ipsecref replay --only ah|esp`
sends for three Linux XFRM captures of pcaps/, and every packet must equal
what the capture's peer sent to its gateway, as Scapy reads the capture
(not ipsecref):

  linux-xfrm-ah    AH (IP protocol 51), IPv4, tunnel: frames 5..13, SPI
                   0xc28eefa5; the payload from the AH header on and the IPv4
                   Identification as captured, and every received packet's
                   ICV verified by Scapy with the capture's key (HMAC-SHA2-
                   256-128, keys.csv.a): AH's ICV covers the Identification
                   (RFC 4302 §3.3.3.1.1.1), so a replay behind a header the
                   kernel built would fail it and prove nothing
  linux-xfrm-gcm   raw ESP (50), IPv4: frames 5..13, SPI 0xcdb0fa10
  linux-xfrm-ipv6  raw ESP, IPv6: frames 5..13, SPI 0xca59c218

With no counters to read, each SA's verdict is NOT JUDGED and replay exits 0.
The AH replay is judged too through --esp-counters, by a command standing in
for a gateway's SA list: a counter that stands still gives PASS citing RFC
4302 §3.4.3 (exit 0), one that moves gives FAIL (exit 1).
The namespace is removed on every path. Run with /usr/bin/python3 (Scapy).
"""
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "..", "pcaps")
V4 = ("192.0.2.1", "192.0.2.2")
V6 = ("2001:db8:0:1::1", "2001:db8:0:1::2")
# capture, --only, family, protocol, peer/gateway, SPI (tshark: esp.spi / ah.spi of frames 5..13)
CASES = [
    ("linux-xfrm-ah", "ah", socket.AF_INET, 51, V4, 0xC28EEFA5),
    ("linux-xfrm-gcm", "esp", socket.AF_INET, 50, V4, 0xCDB0FA10),
    ("linux-xfrm-ipv6", "esp", socket.AF_INET6, 50, V6, 0xCA59C218),
]
FRAMES = [5, 7, 9, 11, 13]


def captured(name, family):
    """(payload from ESP/AH on, IPv4 Identification or None) of frames 5..13, by Scapy."""
    from scapy.all import IP, IPv6, rdpcap
    frames = rdpcap(os.path.join(PCAPS, name, "capture.pcap"))
    out = []
    for n in FRAMES:
        f = frames[n - 1]
        if family == socket.AF_INET:
            out.append((bytes(f[IP].payload)[: f[IP].len - 4 * f[IP].ihl], f[IP].id))
        else:
            out.append((bytes(f[IPv6].payload)[: f[IPv6].plen], None))
    return out


def ah_sa(name, spi):
    """Scapy's AH SA of `spi`, its integrity key from the capture's keys.csv.a
    (strongSwan's save-keys CSV: 'esp', src, dst, SPI, ..., the integrity key
    in field 11)."""
    from scapy.layers.ipsec import AH, SecurityAssociation
    for line in open(os.path.join(PCAPS, name, "keys.csv.a")):
        f = line.strip().split(",")
        if f[0] == "esp" and int(f[3], 16) == spi:
            return SecurityAssociation(AH, spi=spi, auth_algo="SHA2-256-128", auth_key=bytes.fromhex(f[11]))
    raise SystemExit(f"{name}/keys.csv.a: no SA {spi:#010x}")


def receive_all(s, seconds):
    got = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return got
        got.append(s.recvfrom(65535))


def run_case(ipsecref, name, only, family, protocol, addresses, spi):
    problems = []
    s = socket.socket(family, socket.SOCK_RAW, protocol)
    try:
        p = subprocess.run([ipsecref, "replay", os.path.join(PCAPS, name, "capture.pcap"), "--to", addresses[1],
                            "--from", addresses[0], "--only", only, "--timeout", "0.2", "--json"],
                           capture_output=True, text=True, timeout=60)
        got = receive_all(s, 0.5)
    finally:
        s.close()
    if p.returncode != 0:
        return [f"{name}: exit {p.returncode}, 0 expected; {p.stderr.strip()}"]
    rows = json.loads(p.stdout)["results"]
    if [(r["kind"], r["spi"], r["packets"], r["verdict"]) for r in rows] != [(only, f"{spi:#010x}", FRAMES, "NOT JUDGED")]:
        problems.append(f"{name}: rows {rows}, one {only} SA {spi:#010x} of frames {FRAMES}, NOT JUDGED expected")
    want = captured(name, family)
    if len(got) != len(want):
        return problems + [f"{name}: {len(got)} packets of IP protocol {protocol} received, {len(want)} sent by the peer"]
    sa = ah_sa(name, spi) if protocol == 51 else None
    for n, ((data, source), (payload, ident)) in zip(FRAMES, zip(got, want)):
        if sa is not None:
            from scapy.all import IP
            try:
                sa.decrypt(IP(data))
            except Exception as e:  # scapy.layers.ipsec.IPSecIntegrityError
                problems.append(f"{name} frame {n}: the AH ICV of the packet received does not verify: {e}")
        if family == socket.AF_INET:
            # raw(7): IPv4 raw sockets receive the IP header too.
            header, data = data[: 4 * (data[0] & 0xF)], data[4 * (data[0] & 0xF):]
            if int.from_bytes(header[4:6], "big") != ident:
                problems.append(f"{name} frame {n}: IPv4 Identification {header[4:6].hex()}, {ident:04x} captured")
            if header[9] != protocol:
                problems.append(f"{name} frame {n}: IP protocol {header[9]}, {protocol} expected")
        if source[0] != addresses[0]:
            problems.append(f"{name} frame {n}: from {source[0]}, {addresses[0]} expected")
        if data != payload:
            problems.append(f"{name} frame {n}: {len(data)} bytes received differ from the {len(payload)} captured")
    if not problems:
        print(f"{name}: {len(got)} {only.upper()} packets of SPI {spi:#010x} arrived as captured"
              f"{', ICVs good' if sa else ''}; verdict NOT JUDGED")
    return problems


def judged_ah(ipsecref, workdir):
    """--esp-counters over the AH capture: a still and a moving counter."""
    problems = []
    state = os.path.join(workdir, "packets-in")
    # Prints the SA as `swanctl --list-sas --raw` does; 'moving' counts one
    # more packet at every call, as a gateway taking a replay would.
    command = ("n=$(cat {0}); [ \"$MOVING\" = yes ] && echo $((n + 1)) > {0}; "
               "echo \"list-sa event {{ah {{child-sas {{t {{spi-in=c28eefa5 packets-in=$n}}}}}}}}\"").format(state)
    for moving, code, verdict in (("no", 0, "PASS"), ("yes", 1, "FAIL")):
        with open(state, "w") as f:
            f.write("5\n")
        p = subprocess.run([ipsecref, "replay", os.path.join(PCAPS, "linux-xfrm-ah", "capture.pcap"), "--to", V4[1],
                            "--from", V4[0], "--only", "ah", "--timeout", "0.1", "--esp-counters", command, "--json"],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ, MOVING=moving))
        rows = json.loads(p.stdout)["results"] if p.stdout else []
        got = [(r["kind"], r["verdict"], r["requirement"]) for r in rows]
        if p.returncode != code or got != [("ah", verdict, "rfc4302#section-3.4.3")]:
            problems.append(f"AH with a {'moving' if moving == 'yes' else 'still'} counter: exit {p.returncode}, "
                            f"{got}; exit {code} and {verdict} citing rfc4302#section-3.4.3 expected; {p.stderr}")
        else:
            print(f"linux-xfrm-ah, counter {'moving' if moving == 'yes' else 'still'}: {verdict} {rows[0]['reason']}")
    return problems


def inside(ipsecref):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in V4:
        subprocess.run(["ip", "addr", "add", f"{a}/32", "dev", "lo"], check=True)
    for a in V6:
        subprocess.run(["ip", "addr", "add", f"{a}/128", "dev", "lo", "nodad"], check=True)
    problems = []
    for case in CASES:
        problems += run_case(ipsecref, *case)
    with tempfile.TemporaryDirectory() as workdir:
        problems += judged_ah(ipsecref, workdir)
    for problem in problems:
        print("FAIL", problem, file=sys.stderr)
    return 1 if problems else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        return inside(sys.argv[2])
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("raw_send_check.py: needs root (a network namespace, raw sockets)", file=sys.stderr)
        return 1
    ns = f"ipsecref-rpl-raw-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--inside",
                               os.path.abspath(sys.argv[1])], timeout=110).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    sys.exit(main())
