#!/usr/bin/env python3
"""fake_gateway.py IPSECREF: the negative control of `ipsecref replay`.

Proves that the judge can fail: in a network namespace of its own
(ipsecref-rpl-fake-PID, the documentation addresses 192.0.2.1 and 192.0.2.2
on its loopback) a small UDP gateway answers the replay of the bundled
strongSwan capture (pcaps/strongswan-gcm, frames as tshark numbers them) in
one of three ways, and each run's exit code and verdicts are checked:

  honest     frame 15 (latest request) gets frame 16 again, IKE_SA_INIT gets a
             cookie, ESP replays are not counted       -> exit 0, 3 PASS
  reprocess  frame 15 gets a response with one byte changed, IKE_SA_INIT gets
             nothing, every ESP replay is counted       -> exit 1, 3 FAIL
  silent     nothing is answered, ESP is not counted    -> exit 1: the latest
             request and IKE_SA_INIT FAIL, ESP PASS

and a gateway address outside loopback and the documentation ranges is
refused (exit 2) before anything is sent. The namespace is removed on every
path. Run with /usr/bin/python3 (Scapy reads the capture).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE = os.path.join(HERE, "..", "..", "pcaps", "strongswan-gcm", "capture.pcap")
GATEWAY, PEER = "192.0.2.2", "192.0.2.1"
SPI_IN = 0x30855DA0  # tshark: frames 5..13, ESP SPI 0x30855da0, seq 1..5
# RFC 7296 §3.1 header (SPIi of frame 1, SPIr 0, N, IKE_SA_INIT, R, ID 0,
# length 48) and §3.10 Notify COOKIE (16390) with 12 bytes of cookie.
COOKIE_TAIL = bytes.fromhex("00000000000000002920222000000000000000300000001400004006") + bytes(range(12))


def gateway(mode, counters_path, stop):
    from scapy.all import IP, UDP, rdpcap
    frames = rdpcap(CAPTURE)
    # request (IKE bytes, marker removed) -> the gateway's captured response
    responses = {}
    # Only the latest request (frame 15) is answered: frame 3's exchange is
    # past the window (RFC 7296 §2.1), and silence is what it may get.
    for req, resp in ((15, 16),):
        q, r = bytes(frames[req - 1][UDP].payload), bytes(frames[resp - 1][UDP].payload)
        if frames[req - 1][UDP].dport == 4500:
            q, r = q[4:], r[4:]
        responses[q] = r
    init = bytes(frames[0][UDP].payload)
    counted = [5]  # the gateway took the five original packets
    socks = {}
    for port in (500, 4500):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((GATEWAY, port))
        s.settimeout(0.05)
        socks[port] = s

    def write_counters():
        with open(counters_path + ".tmp", "w") as f:
            f.write("list-sa event {gw {child-sas {gw-1 {spi-in=%08x packets-in=%d}}}}\n" % (SPI_IN, counted[0]))
        os.replace(counters_path + ".tmp", counters_path)

    write_counters()
    while not stop.is_set():
        for port, s in socks.items():
            try:
                data, addr = s.recvfrom(65535)
            except socket.timeout:
                continue
            marker = b""
            if port == 4500:
                if data[:4] != bytes(4):  # ESP in UDP
                    if mode == "reprocess":
                        counted[0] += 1
                        write_counters()
                    continue
                marker, data = data[:4], data[4:]
            if mode == "silent":
                continue
            if data == init:
                if mode == "honest":
                    s.sendto(init[:8] + COOKIE_TAIL, addr)
                continue
            if data in responses:
                answer = responses[data]
                if mode == "reprocess":
                    answer = answer[:-1] + bytes([answer[-1] ^ 1])
                s.sendto(marker + answer, addr)


def run_case(ipsecref, mode, workdir):
    counters = os.path.join(workdir, f"counters-{mode}.txt")
    stop = threading.Event()
    t = threading.Thread(target=gateway, args=(mode, counters, stop), daemon=True)
    t.start()
    for _ in range(100):
        if os.path.exists(counters):
            break
        threading.Event().wait(0.05)
    try:
        p = subprocess.run([ipsecref, "replay", CAPTURE, "--to", GATEWAY, "--from", PEER, "--timeout", "0.3",
                            "--esp-counters", f"cat {counters}", "--json"],
                           capture_output=True, text=True, timeout=60)
    finally:
        stop.set()
        t.join()
    return p


def inside(ipsecref):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in (GATEWAY, PEER):
        subprocess.run(["ip", "addr", "add", f"{a}/32", "dev", "lo"], check=True)
    expected = {
        "honest": (0, {"esp_in_udp": "PASS", "ike_sa_init": "PASS", "latest": "PASS"}),
        "reprocess": (1, {"esp_in_udp": "FAIL", "ike_sa_init": "FAIL", "latest": "FAIL"}),
        "silent": (1, {"esp_in_udp": "PASS", "ike_sa_init": "FAIL", "latest": "FAIL"}),
    }
    problems = []
    with tempfile.TemporaryDirectory() as workdir:
        for mode, (code, verdicts) in expected.items():
            p = run_case(ipsecref, mode, workdir)
            if p.returncode != code:
                problems.append(f"{mode}: exit {p.returncode}, {code} expected; {p.stderr.strip()}")
                continue
            report = json.loads(p.stdout)
            got = {}
            for x in report["results"]:
                key = "latest" if x.get("latest_request") else x["kind"]
                if x["kind"] == "ike_request" and not x["latest_request"]:
                    continue
                got[key] = x["verdict"]
                print(f"{mode:<10} {x['verdict']:<5} {key}: {x['reason']}")
            if got != verdicts:
                problems.append(f"{mode}: verdicts {got}, {verdicts} expected")
    p = subprocess.run([ipsecref, "replay", CAPTURE, "--to", "8.8.8.8", "--from", PEER],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 2 or "documentation address" not in p.stderr:
        problems.append(f"--to 8.8.8.8: exit {p.returncode}, stderr {p.stderr.strip()!r}; refusal (exit 2) expected")
    else:
        print("refused   --to 8.8.8.8:", p.stderr.strip())
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
        print("fake_gateway.py: needs root (a network namespace)", file=sys.stderr)
        return 1
    ns = f"ipsecref-rpl-fake-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--inside",
                               os.path.abspath(sys.argv[1])], timeout=170).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    sys.exit(main())
