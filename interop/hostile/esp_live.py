#!/usr/bin/python3
"""esp_live.py IPSECREF [--encap] [--response-to-source]: replayed and forged ESP, and a forged IKE message, against a live `ipsecref gateway`.

Namespaces (lab.py): the gateway under test (192.0.2.2, --keys-out) and a
legitimate peer, a second `ipsecref gateway` (192.0.2.1), with an IKE SA
and a CHILD SA between them: ESP in IP (protocol 50), or with --encap (the
peer's connection has encap = yes) ESP in UDP 4500 and IKE on 4500 too
(RFC 3948; packets re-sent in UDP carry no UDP checksum, see
without_udp_checksum()). tcpdump records the
peer's link while the peer pings through the tunnel and runs a liveness
check (an empty protected INFORMATIONAL request, RFC 7296 §2.4); Scapy
reads the capture. Then, from the peer's namespace:

1. the captured ESP packets from the peer are sent again, unchanged (a raw
   socket): every one must be dropped and counted `replay` (RFC 4303
   §3.4.3), none delivered (the CHILD SA's packets_in and the gateway's
   inner_out stay);
2. the last of them with fresh sequence numbers (1000 and more beyond the
   highest seen) and its last ICV octet flipped: each must be dropped and
   counted `authentication_failed` (RFC 4303 §3.4.4), none delivered;
3. control: one packet protected by Scapy (scapy.layers.ipsec, AES-GCM-16,
   RFC 4106) with the gateway's own keys (from --keys-out keys.json) and a
   fresh sequence number is delivered and counted as no drop: the counters
   above tell a good packet from a bad one;
4. the peer pings again: the tunnel still carries traffic (the forged
   sequence numbers did not move the replay window, RFC 4303 §3.4.3: the
   window is updated only for packets whose ICV verified);
5. control: the captured liveness request sent again unchanged (from
   another port of the peer's address) makes the gateway send exactly one
   message, its cached response (RFC 7296 §2.1: the responder answers a
   retransmission of its latest request): the "nothing sent" check below
   sees answers when there are some. With --response-to-source, that
   response must also come back to the address and port the retransmission
   came from (RFC 7296 §2.11; FINDINGS.md: it does not);
6. the captured IKE liveness request with the next Message ID and its last
   ICV octet flipped, sent over UDP: no answer may come, the gateway sends
   nothing (ike_out stays) and the IKE SA stays ESTABLISHED with the same
   SPIs (RFC 7296 §2.21.2, §3.14: a message whose integrity check fails is
   dropped silently); then the peer's own liveness check with that Message
   ID is answered (the forged one consumed nothing).
Exit 0 all checks passed, 1 a check failed (also: a program missing, not
root), 2 bad usage.
"""
import argparse
import json
import os
import signal
import struct
import sys
import time

# Nothing written into the source tree (no __pycache__ beside the modules).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ike_wire  # noqa: E402
import lab  # noqa: E402
from lab import Failure, dropped, log  # noqa: E402

from scapy.layers.inet import ICMP, IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The reasons `ctl stats` may drop an inbound ESP packet for (the others,
# no_policy for one, are about packets from the TUN device).
ESP_DROPS = ["replay", "authentication_failed", "unknown_spi", "malformed", "esp_refused", "policy_mismatch"]


def child_of(L, role):
    for sa in L.ctl(role, "list").get("ike_sas", []):
        if sa.get("state") == "ESTABLISHED":
            for c in sa.get("children", []):
                if c.get("state") == "INSTALLED":
                    return sa, c
    raise Failure("%s has no ESTABLISHED IKE SA with an INSTALLED CHILD SA" % role)


def capture(L, name, link):
    p = L.spawn("peer", ["tcpdump", "-i", link, "-U", "-n", "-w", os.path.join(L.dir, name + ".pcap"),
                         "esp or udp port 500 or udp port 4500"], name + "-tcpdump.log")
    deadline = time.time() + 10
    while "listening on" not in L.log_of(name + "-tcpdump"):
        if p.poll() is not None or time.time() > deadline:
            raise Failure("tcpdump did not start: %s" % L.log_of(name + "-tcpdump"))
        time.sleep(0.05)
    return p


def stop_capture(L, p):
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    L.stop(p)


def send_raw(L, name, packets):
    path = os.path.join(L.dir, name + ".json")
    with open(path, "w") as f:
        json.dump([bytes(p).hex() for p in packets], f)
    p = L.spawn("peer", ["/usr/bin/python3", os.path.join(HERE, "raw_send.py"), path], name + ".log")
    if p.wait(timeout=30) != 0:
        raise Failure("raw_send.py (%s) exit %d: %s" % (name, p.returncode, L.log_of(name)))
    time.sleep(0.5)


def send_udp(L, name, payload, port):
    """One IKE datagram to the gateway's `port` from a fresh port; its answers."""
    units = os.path.join(L.dir, name + ".json")
    out = os.path.join(L.dir, name + "-answers.json")
    with open(units, "w") as f:
        json.dump([{"name": name, "port": port, "data": payload.hex()}], f)
    p = L.spawn("peer", ["/usr/bin/python3", os.path.join(HERE, "ike_corpus_send.py"), lab.GW, units, out],
                name + ".log")
    if p.wait(timeout=30) != 0:
        raise Failure("ike_corpus_send.py (%s) exit %d: %s" % (name, p.returncode, L.log_of(name)))
    with open(out) as f:
        return [bytes.fromhex(a) for a in json.load(f)[0]["answers"]]


def esp_offset(packet):
    """Where ESP starts in an IPv4 packet: after the header, and after the
    UDP header for ESP in UDP (RFC 3948 §2.1)."""
    ihl = (packet[0] & 0x0F) * 4
    return ihl + 8 if packet[9] == 17 else ihl


def without_udp_checksum(packet):
    """The packet with a UDP checksum of zero (none, RFC 768) when it is ESP in
    UDP: a capture on a veth link holds checksums the sender's kernel left
    for the hardware to fill, and forged packets would need a new one; the
    ESP packet inside is unchanged."""
    p = bytearray(packet)
    if p[9] == 17:
        ihl = (p[0] & 0x0F) * 4
        p[ihl + 6:ihl + 8] = b"\0\0"
    return bytes(p)


def delta(after, before, key):
    return int(after[key]) - int(before[key])


def body(args):
    problems = []
    lab.require_programs(args.ipsecref)
    with lab.Lab(args.ipsecref) as L:
        keys_dir = os.path.join(L.dir, "keys")
        os.mkdir(keys_dir)
        L.start_gateway("gw", ["--keys-out", keys_dir, "--spus", str(args.spus)])
        L.start_gateway("peer", encap=args.encap)
        L.ctl("peer", "initiate", "gw")
        peer_sa = L.established("peer")
        L.established("gw")

        # -- the capture: pings and a liveness check -------------------------
        cap = capture(L, "tunnel", L.peer_link)
        if L.ping_through(5) != 5:
            problems.append("not every ping of the capture got through")
        L.ctl("peer", "liveness", peer_sa["name"])
        time.sleep(1)
        stop_capture(L, cap)
        esp, liveness, ike_port = [], None, 500
        for frame in rdpcap(os.path.join(L.dir, "tunnel.pcap")):
            if IP not in frame or frame[IP].src != lab.PEER or frame[IP].dst != lab.GW:
                continue
            packet = bytes(frame[IP])
            if frame[IP].proto == 50:
                esp.append(packet)
            elif UDP in frame and frame[UDP].dport in (500, 4500):
                payload = bytes(frame[UDP].payload)
                port = frame[UDP].dport
                if port == 4500 and not payload.startswith(ike_wire.NON_ESP_MARKER):
                    esp.append(packet)  # ESP in UDP (RFC 3948 §2.1)
                    continue
                m = ike_wire.parse(payload[4:] if port == 4500 else payload)
                if m and m["exchange"] == ike_wire.INFORMATIONAL and not m["flags"] & ike_wire.FLAG_RESPONSE:
                    liveness, ike_port = payload, port
        log("captured %d ESP packets from the peer (%s), liveness request: %s"
            % (len(esp), "in UDP" if args.encap else "in IP", "on port %d" % ike_port if liveness else "none"))
        if len(esp) < 5 or liveness is None:
            raise Failure("the capture holds %d ESP packets from the peer (5 expected) and %s liveness request"
                          % (len(esp), "a" if liveness else "no"))
        if any((esp_offset(p) > (p[0] & 0x0F) * 4) != args.encap for p in esp):
            raise Failure("ESP %s expected, the capture has other" % ("in UDP" if args.encap else "in IP"))
        _, c = child_of(L, "gw")
        if bool(c.get("encapsulated")) != args.encap:
            problems.append("the gateway's CHILD SA is %sencapsulated, expected %s" % ("" if c.get("encapsulated") else "not ",
                                                                                        args.encap))
        seq = max(struct.unpack("!I", p[esp_offset(p) + 4:esp_offset(p) + 8])[0] for p in esp)
        spi = struct.unpack("!I", esp[0][esp_offset(esp[0]):esp_offset(esp[0]) + 4])[0]

        # -- 1. replayed ESP ----------------------------------------------------
        s0, (_, c0) = L.alive("gw"), child_of(L, "gw")
        send_raw(L, "replay", [without_udp_checksum(p) for p in esp])
        s1, (_, c1) = L.alive("gw"), child_of(L, "gw")
        log("replayed %d ESP packets: esp_in +%d, replay +%d, packets_in +%d, inner_out +%d"
            % (len(esp), delta(s1, s0, "esp_in"), dropped(s1, "replay") - dropped(s0, "replay"),
               delta(c1, c0, "packets_in"), delta(s1, s0, "inner_out")))
        if delta(s1, s0, "esp_in") != len(esp):
            problems.append("replay: the gateway saw %d of the %d replayed packets" % (delta(s1, s0, "esp_in"), len(esp)))
        if dropped(s1, "replay") - dropped(s0, "replay") != len(esp):
            problems.append("replay: %d of %d replayed ESP packets counted `replay`"
                            % (dropped(s1, "replay") - dropped(s0, "replay"), len(esp)))
        if delta(c1, c0, "packets_in") or delta(s1, s0, "inner_out"):
            problems.append("replay: replayed packets were delivered (packets_in +%d, inner_out +%d)"
                            % (delta(c1, c0, "packets_in"), delta(s1, s0, "inner_out")))

        # -- 2. fresh sequence numbers, a bad ICV ---------------------------------
        forged = []
        for k in range(3):
            p = bytearray(esp[-1])
            struct.pack_into("!I", p, esp_offset(p) + 4, seq + 1000 + k)
            p[-1] ^= 0x01
            forged.append(without_udp_checksum(p))
        send_raw(L, "bad-icv", forged)
        s2, (_, c2) = L.alive("gw"), child_of(L, "gw")
        log("sent %d ESP packets with fresh sequence numbers and a bad ICV: authentication_failed +%d, replay +%d, "
            "packets_in +%d" % (len(forged), dropped(s2, "authentication_failed") - dropped(s1, "authentication_failed"),
                                dropped(s2, "replay") - dropped(s1, "replay"), delta(c2, c1, "packets_in")))
        if dropped(s2, "authentication_failed") - dropped(s1, "authentication_failed") != len(forged):
            problems.append("bad ICV: %d of %d counted `authentication_failed`"
                            % (dropped(s2, "authentication_failed") - dropped(s1, "authentication_failed"), len(forged)))
        if delta(c2, c1, "packets_in") or delta(s2, s1, "inner_out"):
            problems.append("bad ICV: forged packets were delivered (packets_in +%d)" % delta(c2, c1, "packets_in"))

        # -- 3. control: a packet protected with the real keys is delivered -------
        with open(os.path.join(keys_dir, "keys.json")) as f:
            entry = [e for e in json.load(f)["esp"] if int(e["spi"], 16) == spi]
        if not entry:
            raise Failure("keys.json has no ESP SA with SPI %08x" % spi)
        sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=bytes.fromhex(entry[0]["encr_key"]),
                                 auth_algo="NULL", tunnel_header=IP(src=lab.PEER, dst=lab.GW))
        protected = sa.encrypt(IP(src=lab.PEER_IN, dst=lab.GW_IN) / ICMP(id=0x4242, seq=1) / b"ipsecref-hostile",
                               seq_num=seq + 10)
        # In UDP: the ESP packet wrapped here (Scapy 2.5's nat_t_header
        # writes a UDP Length of 8, leaving the ESP packet outside the datagram).
        good = (IP(src=lab.PEER, dst=lab.GW) / UDP(sport=4500, dport=4500) / Raw(bytes(protected[ESP]))
                if args.encap else protected)
        send_raw(L, "control", [good])
        s3, (_, c3) = L.alive("gw"), child_of(L, "gw")
        drops = sum(dropped(s3, r) - dropped(s2, r) for r in ESP_DROPS)
        log("control: a packet Scapy protected with the gateway's keys: packets_in +%d, inner_out +%d, drops +%d"
            % (delta(c3, c2, "packets_in"), delta(s3, s2, "inner_out"), drops))
        if delta(c3, c2, "packets_in") != 1 or drops:
            problems.append("control: the packet Scapy protected with the real keys was not delivered "
                            "(packets_in +%d, drops +%d): the checks above cannot tell good from bad"
                            % (delta(c3, c2, "packets_in"), drops))

        # -- 4. the tunnel still works ------------------------------------------------
        received = L.ping_through(3)
        log("after the forgeries the peer pings through: %d of 3" % received)
        if received == 0:
            problems.append("after the forged ESP no ping gets through: the replay window moved?")

        # -- 5. control: an unchanged retransmission is answered --------------------
        before = L.alive("gw")
        answers = send_udp(L, "ike-retransmit", liveness, ike_port)
        after = L.alive("gw")
        log("control: the captured liveness request sent again unchanged: %d answer(s), ike_in +%d, ike_out +%d"
            % (len(answers), delta(after, before, "ike_in"), delta(after, before, "ike_out")))
        if delta(after, before, "ike_in") != 1 or delta(after, before, "ike_out") != 1:
            problems.append("control: the unchanged retransmission made the gateway send %d messages, "
                            "not its cached response" % delta(after, before, "ike_out"))
        if args.response_to_source and (len(answers) != 1
                                        or not ike_wire.parse(answers[0])["flags"] & ike_wire.FLAG_RESPONSE):
            problems.append("RFC 7296 §2.11: the response to the retransmission did not come back to the address "
                            "and port it was sent from (%d answers there); see FINDINGS.md" % len(answers))

        # -- 6. an IKE message with a bad ICV ------------------------------------------
        marker = 4 if ike_port == 4500 else 0
        h = ike_wire.parse(liveness[marker:])
        before, (gw_sa, _) = L.alive("gw"), child_of(L, "gw")
        bad = bytearray(liveness)
        struct.pack_into("!I", bad, marker + 20, h["message_id"] + 1)
        bad[-1] ^= 0x01
        answers = send_udp(L, "ike-bad-icv", bytes(bad), ike_port)
        time.sleep(0.5)
        after, (gw_sa2, _) = L.alive("gw"), child_of(L, "gw")
        log("IKE INFORMATIONAL request (Message ID %d) with a bad ICV: %d answers, ike_in +%d, ike_out +%d, IKE SA %s %s"
            % (h["message_id"] + 1, len(answers), delta(after, before, "ike_in"), delta(after, before, "ike_out"),
               gw_sa2["name"], gw_sa2["state"]))
        if delta(after, before, "ike_in") != 1:
            problems.append("IKE bad ICV: the gateway did not receive it (ike_in +%d)" % delta(after, before, "ike_in"))
        if answers or delta(after, before, "ike_out"):
            problems.append("IKE bad ICV: answered (%d answers, ike_out +%d); it must be dropped silently"
                            % (len(answers), delta(after, before, "ike_out")))
        if (gw_sa2["name"], gw_sa2["spi_i"], gw_sa2["spi_r"], gw_sa2["state"]) != (
                gw_sa["name"], gw_sa["spi_i"], gw_sa["spi_r"], "ESTABLISHED"):
            problems.append("IKE bad ICV: the IKE SA changed: %s -> %s" % (gw_sa, gw_sa2))
        L.ctl("peer", "liveness", peer_sa["name"])
        time.sleep(1)
        later = L.alive("gw")
        if delta(later, after, "ike_in") != 1 or delta(later, after, "ike_out") != 1:
            problems.append("IKE bad ICV: the peer's own next liveness check was not answered (ike_in +%d, ike_out +%d)"
                            % (delta(later, after, "ike_in"), delta(later, after, "ike_out")))
        else:
            log("the peer's liveness check with Message ID %d is answered: the forged one consumed nothing"
                % (h["message_id"] + 1))

        L.alive("gw")
    return problems


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("ipsecref")
    a.add_argument("--spus", type=int, default=1, help="the gateway's SPUs")
    a.add_argument("--encap", action="store_true", help="ESP in UDP 4500 (the peer's connection has encap = yes)")
    a.add_argument("--response-to-source", action="store_true",
                   help="also check that the cached response goes to the port the retransmission came from")
    args = a.parse_args()
    lab.main_wrapper(lambda: body(args))


if __name__ == "__main__":
    main()
