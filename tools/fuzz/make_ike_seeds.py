#!/usr/bin/python3
"""Regenerates the seed corpus of the ike_decode fuzz target,
fuzz/corpus/ike_decode/, one file per IKE message, named after where it
came from:

    /usr/bin/python3 tools/fuzz/make_ike_seeds.py

Sources:
  - every IKE message of every pcaps/*/capture.pcap: the UDP payload on port
    500, and on port 4500 what follows the four-octet zero non-ESP marker
    (RFC 3948 §2.2; ESP-in-UDP and NAT keepalives are skipped). Named
    `<capture>_frame<N>_<exchange>_<req|resp>`, e.g.
    `strongswan-gcm_frame1_ike_sa_init_req`.
  - a few messages built here, byte by byte from RFC 7296 §3, carrying in
    the clear the payloads that real traffic only sends inside SK (IDi, AUTH,
    CERT, CERTREQ, CP, TSi/TSr, Delete, EAP, ESP and AH proposals) and SKF,
    so that mutations start from every payload parser. Named `synthetic_*`.

The captures are read with Scapy. Files in the corpus directory that this
script did not write are removed; other targets' corpora are left alone.
"""

import glob
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "ike_decode")

# IKEv2 Exchange Types (RFC 7296 §3.1, RFC 9242, RFC 9370).
EXCHANGES = {34: "ike_sa_init", 35: "ike_auth", 36: "create_child_sa", 37: "informational",
             43: "ike_intermediate", 44: "ike_followup_ke"}
FLAG_RESPONSE = 0x20
NON_ESP_MARKER = bytes(4)


def ike_messages(path):
    """(frame number, IKE message bytes) of a capture, in order."""
    from scapy.all import UDP, rdpcap
    out = []
    for number, packet in enumerate(rdpcap(path), start=1):
        udp = packet.getlayer(UDP)
        if udp is None:
            continue
        payload = bytes(udp.payload)
        ports = (udp.sport, udp.dport)
        if 4500 in ports:
            if len(payload) < 4 or payload[:4] != NON_ESP_MARKER:
                continue  # ESP in UDP, or a NAT keepalive (0xff)
            payload = payload[4:]
        elif 500 not in ports:
            continue
        if len(payload) >= 28:
            out.append((number, payload))
    return out


def seed_name(capture, number, message):
    exchange = message[18]
    what = EXCHANGES.get(exchange, f"exchange{exchange}")
    direction = "resp" if message[19] & FLAG_RESPONSE else "req"
    return f"{capture}_frame{number}_{what}_{direction}"


# --- messages built from RFC 7296 §3 ---------------------------------------

def payload(next_payload, body, critical=False):
    """Generic payload header (§3.2) and body."""
    return struct.pack("!BBH", next_payload, 0x80 if critical else 0, 4 + len(body)) + body


def chain(payloads, last_next=0):
    """[(type, body)] -> (first type, bytes) with Next Payload chained; the
    last payload's Next Payload is `last_next` (an SK/SKF payload's names its
    first inner payload, §3.14)."""
    out = b""
    for i, (_, body) in enumerate(payloads):
        following = payloads[i + 1][0] if i + 1 < len(payloads) else last_next
        out += payload(following, body)
    return (payloads[0][0] if payloads else 0), out


def message(exchange, flags, message_id, payloads, first_inner=0):
    """IKE header (§3.1), then the payloads."""
    first, body = chain(payloads, first_inner)
    header = struct.pack("!QQBBBBII", 0x0102030405060708, 0x1112131415161718, first, 0x20, exchange, flags,
                         message_id, 28 + len(body))
    return header + body


def transform(ttype, tid, attrs=b"", last=False):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def proposal(number, protocol, spi, transforms, last=True):
    ts = b"".join(transform(t, i, a, last=(k == len(transforms) - 1)) for k, (t, i, a) in enumerate(transforms))
    body = struct.pack("!BBBB", number, protocol, len(spi), len(transforms)) + spi + ts
    return struct.pack("!BBH", 0 if last else 2, 0, 4 + len(body)) + body


KEY_LENGTH_128 = struct.pack("!HH", 0x8000 | 14, 128)
KEY_LENGTH_256 = struct.pack("!HH", 0x8000 | 14, 256)


def v4_selector(start, end, proto=0, ports=(0, 65535)):
    return struct.pack("!BBHHH", 7, proto, 16, *ports) + bytes(start) + bytes(end)


def v6_selector(start, end):
    return struct.pack("!BBHHH", 8, 0, 40, 0, 65535) + bytes(start) + bytes(end)


def ts_payload(selectors):
    return struct.pack("!B3x", len(selectors)) + b"".join(selectors)


def notify(ntype, data=b"", protocol=0, spi=b""):
    return struct.pack("!BBH", protocol, len(spi), ntype) + spi + data


def synthetic():
    SA, KE, IDI, IDR, CERT, CERTREQ, AUTH, NONCE, N, D, V, TSI, TSR, SK, CP, EAP, SKF = (
        33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 53)
    esp_sa = (proposal(1, 3, b"\xc0\x00\x00\x01", [(1, 20, KEY_LENGTH_256), (5, 0, b"")], last=False) +
              proposal(2, 3, b"\xc0\x00\x00\x01", [(1, 12, KEY_LENGTH_128), (3, 12, b""), (5, 1, b"")]))
    ah_sa = proposal(1, 2, b"\xc0\x00\x00\x02", [(3, 12, b""), (4, 19, b""), (5, 0, b"")])
    ike_rekey_sa = proposal(1, 1, bytes(range(8)), [(1, 28, b""), (2, 5, b""), (4, 31, b""), (6, 36, b"")])
    ts4 = ts_payload([v4_selector([192, 0, 2, 0], [192, 0, 2, 255]),
                      v4_selector([198, 51, 100, 7], [198, 51, 100, 7], 6, (443, 443))])
    ts6 = ts_payload([v6_selector([0x20, 0x01, 0x0d, 0xb8] + [0] * 12, [0x20, 0x01, 0x0d, 0xb8] + [0xff] * 12),
                      struct.pack("!BBH", 10, 0, 8) + b"lbl\x00"])  # TS_SECLABEL, RFC 9478
    cp = struct.pack("!B3x", 1) + b"".join(struct.pack("!HH", t, len(v)) + v for t, v in [
        (1, b""), (3, b""), (8, b""), (10, b""), (14, b"\x00\x01\x00\x03"), (7, b"ipsecref")])
    seeds = {
        "synthetic_ike_auth_inner_payloads_in_the_clear": message(35, 0x08, 1, [
            (IDI, struct.pack("!B3x", 2) + b"a.pf.test"),
            (CERT, b"\x04" + bytes(range(64))),
            (CERTREQ, b"\x04" + bytes(40)),
            (N, notify(16384)),
            (IDR, struct.pack("!B3x", 1) + bytes([192, 0, 2, 2])),
            (AUTH, struct.pack("!B3x", 9) + bytes(64)),
            (CP, cp),
            (SA, esp_sa),
            (TSI, ts4),
            (TSR, ts6),
            (N, notify(16391)),
            (N, notify(16394)),
        ]),
        "synthetic_create_child_sa_rekey_ike_and_ah": message(36, 0x08, 2, [
            (SA, ike_rekey_sa),
            (NONCE, bytes(range(32))),
            (KE, struct.pack("!HH", 31, 0) + bytes(32)),
            (N, notify(16393, protocol=2, spi=b"\xc0\x00\x00\x02")),
            (SA, ah_sa),
        ]),
        "synthetic_informational_delete_and_vendor_id": message(37, 0x20, 3, [
            (D, struct.pack("!BBH", 3, 4, 2) + b"\xc0\x00\x00\x01\xc0\x00\x00\x03"),
            (D, struct.pack("!BBH", 1, 0, 0)),
            (V, b"ipsecref seed"),
            (N, notify(24)),
        ]),
        "synthetic_ike_auth_eap": message(35, 0x20, 1, [
            (IDR, struct.pack("!B3x", 11) + b"key-id"),
            (EAP, bytes([1, 7, 0, 9, 1]) + b"user"),
            (EAP, bytes([3, 7, 0, 4])),
        ]),
        "synthetic_skf_fragment_1_of_2": message(35, 0x08, 1, [(SKF, struct.pack("!HH", 1, 2) + bytes(48))],
                                                 first_inner=IDI),
        "synthetic_unknown_payloads_critical_and_not": message(37, 0x08, 4, [
            (200, b"not critical"),
            (N, notify(16430)),
        ]),
    }
    # An unknown critical payload: set the C bit of the first payload.
    crit = bytearray(message(37, 0x08, 5, [(201, b"critical"), (N, notify(16430))]))
    crit[29] = 0x80
    seeds["synthetic_unknown_critical_payload"] = bytes(crit)
    return seeds


def main():
    files = {}
    captures = sorted(glob.glob(os.path.join(ROOT, "pcaps", "*", "capture.pcap")))
    for path in captures:
        capture = os.path.basename(os.path.dirname(path))
        for number, data in ike_messages(path):
            name = seed_name(capture, number, data)
            assert re.fullmatch(r"[a-z0-9_.-]+", name), name
            assert name not in files, name
            files[name] = data
    from_captures = len(files)
    for name, data in synthetic().items():
        assert struct.unpack("!I", data[24:28])[0] == len(data), name
        files[name] = data

    os.makedirs(CORPUS, exist_ok=True)
    for old in os.listdir(CORPUS):
        if old not in files:
            os.remove(os.path.join(CORPUS, old))
    for name, data in sorted(files.items()):
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(data)
    print(f"fuzz/corpus/ike_decode: {from_captures} messages from {len(captures)} captures, "
          f"{len(files) - from_captures} synthetic, {sum(len(d) for d in files.values())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
