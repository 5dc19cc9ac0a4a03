#!/usr/bin/python3
"""Regenerates the seed corpora under fuzz/corpus/ (ngtcp2 style: one file per
seed, named after what it is).

    /usr/bin/python3 tools/fuzz/make_seeds.py

Sources:
  - vectors/esp/*.json: the published ESP packets (RFC 3602, draft-mcgrew-
    gcm-test-01, RFC 7634), wrapped in IPv4/IPv6 headers where the source
    gives only the ESP bytes;
  - /work/shared/data/*/*/capture.pcap (or $IPSECREF_CAPTURES): ESP, ESP-in-
    UDP, IKE-on-4500 and AH packets of real strongSwan / Linux XFRM runs;
  - packets built here under the fuzzers' pattern keys, one or more per
    transform, encrypted by this script's own ESP encoder (Python
    `cryptography`, independent of the reference; it is checked against the
    published vectors before anything is written).

The keys of published packets are looked up in kPublishedKeys of
fuzz/sa_selector.h, which also documents the input layouts.
Only the target directories this script knows are rewritten; files in them
that it did not write are removed, other targets' corpora are left alone.
"""

import argparse
import glob
import hashlib
import hmac
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
CAPTURES = os.environ.get("IPSECREF_CAPTURES", "/work/shared/data")

# IKEv2 transform IDs (IANA), as in reference/iana/iana.h.
ENCR = {
    "ENCR_3DES": 3, "ENCR_NULL": 11, "ENCR_AES_CBC": 12, "ENCR_AES_CTR": 13,
    "ENCR_AES_CCM_8": 14, "ENCR_AES_CCM_12": 15, "ENCR_AES_CCM_16": 16,
    "ENCR_AES_GCM_8": 18, "ENCR_AES_GCM_12": 19, "ENCR_AES_GCM_16": 20,
    "ENCR_NULL_AUTH_AES_GMAC": 21, "ENCR_CHACHA20_POLY1305": 28,
}
INTEG = {
    "NONE": 0, "AUTH_HMAC_SHA1_96": 2, "AUTH_AES_XCBC_96": 5, "AUTH_AES_CMAC_96": 8,
    "AUTH_HMAC_SHA2_256_128": 12, "AUTH_HMAC_SHA2_384_192": 13, "AUTH_HMAC_SHA2_512_256": 14,
}
# encr: (allowed key bits, salt bytes, IV bytes, block, ICV bytes for AEAD)
ENCR_SIZES = {
    3: ((192,), 0, 8, 8, 0), 11: ((0,), 0, 0, 1, 0), 12: ((128, 192, 256), 0, 16, 16, 0),
    13: ((128, 192, 256), 4, 8, 1, 0), 14: ((128, 192, 256), 3, 8, 1, 8),
    15: ((128, 192, 256), 3, 8, 1, 12), 16: ((128, 192, 256), 3, 8, 1, 16),
    18: ((128, 192, 256), 4, 8, 1, 8), 19: ((128, 192, 256), 4, 8, 1, 12),
    20: ((128, 192, 256), 4, 8, 1, 16), 21: ((128, 192, 256), 4, 8, 1, 16),
    28: ((256,), 4, 8, 1, 16),
}
INTEG_SIZES = {2: (20, 12), 5: (16, 12), 8: (16, 12), 12: (32, 16), 13: (48, 24), 14: (64, 32)}
AEAD = {14, 15, 16, 18, 19, 20, 21, 28}

ESP, AH, UDP, TCP, ICMP, ICMPV6 = 50, 51, 17, 6, 1, 58
IPV4_IN, IPV6_IN = 4, 41
HOP_BY_HOP, ROUTING, FRAGMENT, DEST_OPTS, NO_NEXT = 0, 43, 44, 60, 59


# --- keys -----------------------------------------------------------------

def published_keys():
    """kPublishedKeys of fuzz/sa_selector.h: [(source, encr, integ)], index 1 first."""
    text = open(os.path.join(ROOT, "fuzz", "sa_selector.h")).read()
    body = text[text.index("kPublishedKeys[] = {"):]
    body = body[:body.index("};")]
    return re.findall(r'\{"([^"]*)", "([0-9a-f]*)", "([0-9a-f]*)"\}', body)


KEYS = published_keys()
KEYS_BY_NAME = {source: i + 1 for i, (source, _, _) in enumerate(KEYS)}


def key_index(encr_hex="", integ_hex=""):
    for i, (_, e, a) in enumerate(KEYS):
        if e == encr_hex and (not integ_hex or a == integ_hex):
            return i + 1
    sys.exit(f"make_seeds: no kPublishedKeys entry for {encr_hex or integ_hex}; add it to fuzz/sa_selector.h")


def pattern(n, first):
    return bytes((first + i) & 0xff for i in range(n))


def selector(encr, integ=0, key_bits=None, table=0):
    """The 3 selector bytes (fuzz/sa_selector.h)."""
    allowed = [b for b in ENCR_SIZES[encr][0] if b]
    size_index = allowed.index(key_bits) if key_bits else 0
    return bytes([encr, integ, (table << 2) | size_index])


# --- ESP, our own encoder -------------------------------------------------

def xcbc_mac(key, msg):
    """AES-XCBC-MAC (RFC 3566 §4), before truncation."""
    ecb = lambda k, b: Cipher(algorithms.AES(k), modes.ECB()).encryptor().update(b)
    k1, k2, k3 = (ecb(key, bytes([c]) * 16) for c in (1, 2, 3))
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    e = bytes(16)
    for b in blocks[:-1]:
        e = ecb(k1, bytes(x ^ y for x, y in zip(b, e)))
    last = blocks[-1]
    if len(last) == 16:
        last = bytes(x ^ y for x, y in zip(last, k2))
    else:
        last = last + b"\x80" + bytes(15 - len(last))
        last = bytes(x ^ y for x, y in zip(last, k3))
    return ecb(k1, bytes(x ^ y for x, y in zip(last, e)))


def integrity(integ, key, msg):
    icv = INTEG_SIZES[integ][1]
    if integ == 2:
        return hmac.new(key, msg, hashlib.sha1).digest()[:icv]
    if integ in (12, 13, 14):
        h = {12: hashlib.sha256, 13: hashlib.sha384, 14: hashlib.sha512}[integ]
        return hmac.new(key, msg, h).digest()[:icv]
    if integ == 5:
        return xcbc_mac(key, msg)[:icv]
    if integ == 8:
        c = cmac.CMAC(algorithms.AES(key))
        c.update(msg)
        return c.finalize()[:icv]
    raise ValueError(integ)


def esp_packet(encr, keymat, integ, integ_key, spi, seq, iv, payload, next_header,
               esn=False, pad_length=None, padding=None, corrupt_icv=False):
    """SPI .. ICV (RFC 4303 §2), with default padding 1, 2, 3, ..."""
    bits, salt_size, iv_size, block, aead_icv = ENCR_SIZES[encr]
    assert len(iv) == iv_size
    align = max(block, 4)
    if pad_length is None:
        pad_length = (-(len(payload) + 2)) % align
    pad = padding if padding is not None else bytes(range(1, pad_length + 1))
    text = payload + pad + bytes([len(pad), next_header])
    assert len(text) % align == 0
    header = struct.pack("!II", spi, seq & 0xffffffff)
    seq_hi = struct.pack("!I", seq >> 32)
    key, salt = keymat[:len(keymat) - salt_size], keymat[len(keymat) - salt_size:]
    aad = struct.pack("!I", spi) + (seq_hi if esn else b"") + struct.pack("!I", seq & 0xffffffff)
    if encr in AEAD:
        nonce = salt + iv
        if encr in (18, 19, 20):
            sealed = AESGCM(key).encrypt(nonce, text, aad)
            ct, tag = sealed[:-16], sealed[-16:][:aead_icv]
        elif encr in (14, 15, 16):
            sealed = AESCCM(key, tag_length=aead_icv).encrypt(nonce, text, aad)
            ct, tag = sealed[:-aead_icv], sealed[-aead_icv:]
        elif encr == 21:
            # RFC 4543 §3: nothing encrypted; the IV and payload are authenticated.
            ct, tag = text, AESGCM(key).encrypt(nonce, b"", aad + iv + text)
        elif encr == 28:
            sealed = ChaCha20Poly1305(key).encrypt(nonce, text, aad)
            ct, tag = sealed[:-16], sealed[-16:]
        if corrupt_icv:
            tag = bytes([tag[0] ^ 0x80]) + tag[1:]
        return header + iv + ct + tag
    if encr == 11:
        ct = text
    elif encr == 12:
        ct = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor().update(text)
    elif encr == 3:
        ct = Cipher(algorithms.TripleDES(key), modes.CBC(iv)).encryptor().update(text)
    elif encr == 13:
        block0 = salt + iv + b"\x00\x00\x00\x01"  # RFC 3686 §4
        ct = Cipher(algorithms.AES(key), modes.CTR(block0)).encryptor().update(text)
    out = header + iv + ct
    if integ:
        icv = integrity(integ, integ_key, out + (seq_hi if esn else b""))
        if corrupt_icv:
            icv = bytes([icv[0] ^ 0x80]) + icv[1:]
        out += icv
    return out


# --- IP -------------------------------------------------------------------

V4_A, V4_B = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
V4_C, V4_D = bytes([198, 51, 100, 7]), bytes([203, 0, 113, 9])
V6_A = bytes.fromhex("20010db8000000000000000000000001")
V6_B = bytes.fromhex("20010db8000000000000000000000002")
V6_C = bytes.fromhex("20010db8000000010000000000000003")


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, payload, src=V4_A, dst=V4_B, ident=0x1234, ttl=64, tos=0, flags_frag=0x4000,
         options=b""):
    assert len(options) % 4 == 0
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, 20 + len(options) + len(payload), ident,
                    flags_frag, ttl, proto, 0, src, dst) + options
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def ipv6(next_header, payload, src=V6_A, dst=V6_B, tc=0, flow=0, hop_limit=64):
    first = (6 << 28) | (tc << 20) | flow
    return struct.pack("!IHBB", first, len(payload), next_header, hop_limit) + src + dst + payload


def udp(sport, dport, payload, src, dst):
    length = 8 + len(payload)
    d = struct.pack("!HHHH", sport, dport, length, 0) + payload
    if len(src) == 16:  # mandatory over IPv6
        pseudo = src + dst + struct.pack("!IxxxB", length, UDP)
        c = checksum(pseudo + d) or 0xffff
        d = d[:6] + struct.pack("!H", c) + d[8:]
    return d


def icmp_echo(ident=0x4242, seq=1, data=b"ipsecref fuzz seed"):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", checksum(m)) + m[4:]


def tcp_syn(sport=40000, dport=443):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)


def ext(next_header, body):
    """An IPv6 extension header (not Fragment): body padded to 8n - 2 bytes."""
    body = body + bytes((-(len(body) + 2)) % 8)
    return bytes([next_header, (len(body) + 2) // 8 - 1]) + body


def hop_by_hop(nh):
    return ext(nh, bytes([0x05, 0x02, 0x00, 0x00]))  # router alert (RFC 2711)


def dest_opts(nh):
    return ext(nh, bytes([0x1e, 0x02, 0xab, 0xcd]))


def routing0(nh, segments_left, addresses):
    return bytes([nh, 2 * len(addresses), 0, segments_left, 0, 0, 0, 0]) + b"".join(addresses)


def fragment(nh, offset=0, more=False, ident=0x0000abcd):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | int(more), ident)


def wrap_esp(esp, v6=False, in_udp=False):
    if v6:
        return ipv6(UDP, udp(4500, 4500, esp, V6_A, V6_B)) if in_udp else ipv6(ESP, esp)
    return ipv4(UDP, udp(4500, 4500, esp, V4_A, V4_B)) if in_udp else ipv4(ESP, esp)


# --- packets to protect ---------------------------------------------------

def plain_packets():
    """Inner packets with readable names: the interesting shapes of IPv4/IPv6."""
    v6_udp = udp(5353, 5353, b"hello over ipv6", V6_A, V6_B)
    return {
        "ipv4_icmp_echo": ipv4(ICMP, icmp_echo(), V4_C, V4_D),
        "ipv4_udp_dns": ipv4(UDP, udp(53000, 53, b"\x12\x34\x01\x00\x00\x01" + bytes(6), V4_C, V4_D),
                             V4_C, V4_D),
        "ipv4_tcp_syn_ecn": ipv4(TCP, tcp_syn(), V4_C, V4_D, tos=0xb9),
        "ipv4_options_router_alert": ipv4(UDP, udp(1, 2, b"opt", V4_C, V4_D), V4_C, V4_D,
                                          options=bytes([0x94, 0x04, 0x00, 0x00])),
        "ipv4_options_lsrr": ipv4(ICMP, icmp_echo(), V4_C, V4_D,
                                  options=bytes([0x83, 0x0b, 0x04]) + V4_A + V4_B + b"\x00"),
        "ipv4_first_fragment": ipv4(ICMP, icmp_echo(data=bytes(24)), V4_C, V4_D, flags_frag=0x2000),
        "ipv4_link_padding": ipv4(ICMP, icmp_echo(data=b""), V4_C, V4_D) + bytes(10),
        "ipv4_proto_no_next_header": ipv4(NO_NEXT, b"", V4_C, V4_D),
        "ipv6_icmpv6": ipv6(ICMPV6, bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b"ping6"),
        "ipv6_udp": ipv6(UDP, v6_udp),
        "ipv6_tcp_flow_label": ipv6(TCP, tcp_syn(), tc=0x2e, flow=0xbeef),
        "ipv6_hbh_dstopts_udp": ipv6(HOP_BY_HOP, hop_by_hop(DEST_OPTS) + dest_opts(UDP) + v6_udp),
        "ipv6_dstopts_routing_udp": ipv6(DEST_OPTS, dest_opts(ROUTING) +
                                         routing0(UDP, 1, [V6_C]) + v6_udp),
        "ipv6_atomic_fragment": ipv6(FRAGMENT, fragment(UDP) + v6_udp),
        "ipv6_fragment_middle": ipv6(FRAGMENT, fragment(UDP, offset=2, more=True) + v6_udp),
        "ipv6_no_next_header": ipv6(NO_NEXT, b""),
    }


# --- captures -------------------------------------------------------------

def capture_packets(path):
    """IP packets of a capture (link layer removed), in order."""
    from scapy.all import rdpcap, IP, IPv6
    out = []
    for p in rdpcap(path):
        ip = p.getlayer(IP) or p.getlayer(IPv6)
        if ip is not None:
            out.append(bytes(ip))
    return out


def classify(packet):
    """'esp', 'esp_udp', 'ike_udp4500', 'ike', 'ah' or None (IPv4 only: the captures are)."""
    if packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 15) * 4
    proto = packet[9]
    if proto == ESP:
        return "esp"
    if proto == AH:
        return "ah"
    if proto == UDP:
        ports = struct.unpack("!HH", packet[ihl:ihl + 4])
        if 4500 in ports:
            return "ike_udp4500" if packet[ihl + 8:ihl + 12] == bytes(4) else "esp_udp"
        return "ike"
    return None


def esp_sa_file(path):
    """Wireshark esp_sa rows: {spi: (encr hex, integ hex)}."""
    sas = {}
    if not os.path.exists(path):
        return sas
    for line in open(path):
        f = [x.strip('"') for x in line.strip().split('","')]
        if len(f) >= 8:
            sas[int(f[3], 16)] = (f[5][2:].lower() if f[5].startswith("0x") else "",
                                  f[7][2:].lower() if f[7].startswith("0x") else "")
    return sas


# --- corpora --------------------------------------------------------------

class Corpus:
    def __init__(self, target):
        self.target = target
        self.files = {}

    def add(self, name, data):
        assert re.fullmatch(r"[a-z0-9_]+", name), name
        assert name not in self.files, name
        self.files[name] = bytes(data)

    def write(self):
        d = os.path.join(CORPUS, self.target)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old not in self.files:
                os.remove(os.path.join(d, old))
        for name, data in sorted(self.files.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        size = sum(len(v) for v in self.files.values())
        print(f"fuzz/corpus/{self.target}: {len(self.files)} files, {size} bytes")


# esp_decap option bits (fuzz/esp_decap_fuzzer.cc)
D_ESN, D_TUNNEL, D_INFERRED, D_IGNORE_ICV, D_STRICT, D_RAW, D_NO_WINDOW, D_ASSUME = (
    1, 1 << 1, 2 << 1, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7)
# esp_roundtrip option bits (fuzz/esp_roundtrip_fuzzer.cc)
R_ESN, R_TUNNEL, R_OUTER6, R_UDP, R_TFC128, R_TFC1500, R_SEQ, R_PAD = (
    1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 2 << 4, 1 << 6, 1 << 7)


def decap_input(sel, flags, packet, assume=None):
    if assume is not None:
        flags |= D_ASSUME
    return sel + bytes([flags]) + (struct.pack("!Q", assume) if assume is not None else b"") + packet


def vectors():
    for path in sorted(glob.glob(os.path.join(ROOT, "vectors", "esp", "*.json"))):
        doc = json.load(open(path))
        for group in doc["testGroups"]:
            for t in group["tests"]:
                yield os.path.basename(path), group, t


def check_encoder():
    """Our encoder must reproduce every published ESP packet bit for bit (the
    amount of padding is not in the vectors: every aligned one is tried)."""
    n = 0
    for _, group, t in vectors():
        encr, integ = ENCR[group["encr"]], INTEG[group["integ"]]
        payload, esp = bytes.fromhex(t["payload"]), bytes.fromhex(t["esp"])
        align = max(ENCR_SIZES[encr][3], 4)
        for pad_length in range((-(len(payload) + 2)) % align, 256, align):
            ours = esp_packet(encr, bytes.fromhex(t["encrKey"]), integ, bytes.fromhex(t["integKey"]),
                              int(t["spi"], 16), int(t["seq"], 16), bytes.fromhex(t["iv"]), payload,
                              t["nextHeader"], esn=group["esn"], pad_length=pad_length)
            if ours == esp:
                break
        else:
            sys.exit(f"make_seeds: our ESP encoder disagrees with {group['encr']} tcId {t['tcId']}")
        n += 1
    print(f"encoder reproduces {n} published ESP packets")


def esp_decap_corpus():
    c = Corpus("esp_decap")

    # Published packets, under their own keys.
    names = {
        ("aes_cbc_rfc3602.json", 1): "rfc3602_case5_transport",
        ("aes_cbc_rfc3602.json", 2): "rfc3602_case6_transport",
        ("aes_cbc_rfc3602.json", 3): "rfc3602_case7_tunnel",
        ("aes_cbc_rfc3602.json", 4): "rfc3602_case8_tunnel",
        ("aes_gcm_draft_mcgrew.json", 1): "draft_mcgrew_case2_udp",
        ("aes_gcm_draft_mcgrew.json", 2): "draft_mcgrew_case3_aes256_ipv6",
        ("aes_gcm_draft_mcgrew.json", 3): "draft_mcgrew_case4_spi0",
        ("aes_gcm_draft_mcgrew.json", 5): "draft_mcgrew_case12_seq_ffffffff",
        ("aes_gcm_draft_mcgrew.json", 6): "draft_mcgrew_case1_esn",
        ("aes_gcm_draft_mcgrew.json", 10): "draft_mcgrew_case9_esn_aes256",
        ("aes_gcm_draft_mcgrew.json", 14): "draft_mcgrew_case14_esn_seq_max",
        ("aes_gcm_draft_mcgrew.json", 17): "draft_mcgrew_case15_gmac",
        ("chacha20_poly1305_rfc7634.json", 1): "rfc7634_appendix_a_tunnel",
    }
    for file, group, t in vectors():
        name = names.get((file, t["tcId"]))
        if name is None:
            continue
        encr, integ = ENCR[group["encr"]], INTEG[group["integ"]]
        sel = selector(encr, integ, table=key_index(t["encrKey"], t["integKey"]))
        flags = (D_ESN if group["esn"] else 0) | (D_TUNNEL if t["nextHeader"] in (4, 41) else 0)
        esp = bytes.fromhex(t["esp"])
        if t.get("packet"):
            packet = bytes.fromhex(t["packet"])
        else:
            packet = wrap_esp(esp, v6="ipv6" in name, in_udp="udp" in name)
        seq = int(t["seq"], 16)
        c.add(name, decap_input(sel, flags, packet, assume=seq - 1 if seq > 1 else None))
        if name == "rfc3602_case5_transport":
            c.add("rfc3602_case5_raw_esp", decap_input(sel, flags | D_RAW, esp))

    # Captures: the first data packet each way, under the keys from esp_sa.
    for scenario in ("strongswan/cbc", "strongswan/gcm", "linux-xfrm/gcm"):
        d = os.path.join(CAPTURES, scenario)
        path = os.path.join(d, "capture.pcap")
        if not os.path.exists(path):
            print(f"warning: {path} missing, capture seeds skipped", file=sys.stderr)
            continue
        sas = esp_sa_file(os.path.join(d, "esp_sa"))
        seen = set()
        tag = scenario.replace("/", "_").replace("-", "_")
        for packet in capture_packets(path):
            kind = classify(packet)
            if kind == "ike_udp4500" and "ike" not in seen and scenario == "strongswan/cbc":
                seen.add("ike")
                c.add(f"capture_{tag}_ike_on_4500", decap_input(selector(12, 12), D_TUNNEL, packet))
            if kind not in ("esp", "esp_udp"):
                continue
            ihl = (packet[0] & 15) * 4
            esp = packet[ihl + (8 if kind == "esp_udp" else 0):]
            spi, seq = struct.unpack("!II", esp[:8])
            if spi in seen or spi not in sas or seq > 2:
                continue
            seen.add(spi)
            encr_key, integ_key = sas[spi]
            encr, integ = (12, 12) if "cbc" in scenario else (20, 0)
            sel = selector(encr, integ, table=key_index(encr_key, integ_key))
            direction = "a_to_b" if packet[12:16] == V4_A else "b_to_a"
            c.add(f"capture_{tag}_{direction}", decap_input(sel, D_TUNNEL, packet))
    ah = os.path.join(CAPTURES, "linux-xfrm/ah-transport/capture.pcap")
    if os.path.exists(ah):
        packet = next(p for p in capture_packets(ah) if classify(p) == "ah")
        c.add("capture_linux_xfrm_ah_not_esp", decap_input(selector(20), D_TUNNEL, packet))

    # Every transform under the pattern keys, in assorted modes and framings.
    plain = plain_packets()
    cases = [
        # name, encr, integ, key bits, flags, inner, ipv6 outer, udp
        ("null_hmac_sha1_96_transport", 11, 2, None, 0, "ipv4_udp_dns", False, False),
        ("3des_hmac_sha2_256_tunnel", 3, 12, None, D_TUNNEL, "ipv4_icmp_echo", False, False),
        ("aes_cbc128_aes_xcbc_96_transport_ipv6", 12, 5, 128, 0, "ipv6_udp", True, False),
        ("aes_cbc256_hmac_sha2_512_esn_tunnel_ipv6_udp", 12, 14, 256, D_ESN | D_TUNNEL,
         "ipv6_tcp_flow_label", True, True),
        ("aes_cbc192_no_integrity_transport", 12, 0, 192, 0, "ipv4_tcp_syn_ecn", False, False),
        ("aes_ctr128_aes_cmac_96_tunnel_udp", 13, 8, 128, D_TUNNEL, "ipv4_udp_dns", False, True),
        ("aes_ctr256_hmac_sha2_384_esn_transport", 13, 13, 256, D_ESN, "ipv4_icmp_echo",
         False, False),
        ("aes_ccm8_128_transport", 14, 0, 128, 0, "ipv4_icmp_echo", False, False),
        ("aes_ccm12_192_esn_tunnel_ipv6", 15, 0, 192, D_ESN | D_TUNNEL, "ipv6_icmpv6", True, False),
        ("aes_ccm16_256_tunnel_udp", 16, 0, 256, D_TUNNEL, "ipv4_options_router_alert",
         False, True),
        ("aes_gcm8_128_transport_ipv6_ext_headers", 18, 0, 128, 0, "ipv6_hbh_dstopts_udp",
         True, False),
        ("aes_gcm12_192_esn_tunnel", 19, 0, 192, D_ESN | D_TUNNEL, "ipv6_dstopts_routing_udp",
         False, False),
        ("aes_gcm16_256_transport_udp", 20, 0, 256, 0, "ipv4_tcp_syn_ecn", False, True),
        ("aes_gmac128_tunnel", 21, 0, 128, D_TUNNEL, "ipv4_icmp_echo", False, False),
        ("chacha20_poly1305_tunnel_ipv6", 28, 0, 256, D_TUNNEL, "ipv6_udp", True, False),
        ("aes_gcm16_128_inferred_tunnel", 20, 0, 128, D_INFERRED, "ipv4_first_fragment",
         False, False),
    ]
    spi = 0x1000
    for name, encr, integ, bits, flags, inner_name, v6, in_udp in cases:
        spi += 1
        bits_ok = bits or ENCR_SIZES[encr][0][0]
        keymat = pattern(bits_ok // 8 + ENCR_SIZES[encr][1], 0x01)
        integ_key = pattern(INTEG_SIZES[integ][0], 0x80) if integ else b""
        iv = pattern(ENCR_SIZES[encr][2], 0xa0)
        inner = plain[inner_name]
        if flags & D_TUNNEL or flags & D_INFERRED:
            payload, nh = inner, IPV6_IN if inner[0] >> 4 == 6 else IPV4_IN
            outer_v6 = v6
        else:
            payload, nh, outer_v6 = transport_split(inner)
        esp = esp_packet(encr, keymat, integ, integ_key, spi, 1, iv, payload, nh,
                         esn=bool(flags & D_ESN))
        packet = (transport_join(inner, esp, in_udp) if not flags & (D_TUNNEL | D_INFERRED)
                  else wrap_esp(esp, v6=outer_v6, in_udp=in_udp))
        c.add(name, decap_input(selector(encr, integ, bits), flags, packet))

    # Odd ones: what the receiver must drop or report.
    def gcm(payload, nh, seq=1, **kw):
        return esp_packet(20, pattern(20, 0x01), 0, b"", 0x2000, seq, pattern(8, 0xa0), payload,
                          nh, **kw)
    inner = plain["ipv4_icmp_echo"]
    c.add("aes_gcm16_dummy_packet_nh59",
          decap_input(selector(20, 0, 128), D_TUNNEL, wrap_esp(gcm(bytes(40), NO_NEXT))))
    c.add("aes_gcm16_bad_icv_ignored",
          decap_input(selector(20, 0, 128), D_TUNNEL | D_IGNORE_ICV,
                      wrap_esp(gcm(inner, IPV4_IN, corrupt_icv=True))))
    c.add("aes_gcm16_tfc_padding_tunnel",
          decap_input(selector(20, 0, 128), D_TUNNEL, wrap_esp(gcm(inner + bytes(64), IPV4_IN))))
    c.add("aes_gcm16_nondefault_padding_strict",
          decap_input(selector(20, 0, 128), D_TUNNEL | D_STRICT,
                      wrap_esp(gcm(inner, IPV4_IN, padding=b"\xaa\xbb\xcc\xdd\xee\xff\x00\x11"))))
    c.add("aes_gcm16_esn_high_half_assumed",
          decap_input(selector(20, 0, 128), D_TUNNEL | D_ESN,
                      wrap_esp(gcm(inner, IPV4_IN, seq=0x100000001, esn=True)), assume=0x100000000))
    c.add("aes_gcm16_no_replay_window",
          decap_input(selector(20, 0, 128), D_TUNNEL | D_NO_WINDOW, wrap_esp(gcm(inner, IPV4_IN))))
    cbc = esp_packet(12, pattern(16, 0x01), 2, pattern(20, 0x80), 0x3000, 7, pattern(16, 0xa0),
                     icmp_echo(), ICMP)
    c.add("aes_cbc128_hmac_sha1_raw_esp", decap_input(selector(12, 2, 128), D_RAW, cbc))
    c.add("nat_keepalive", decap_input(selector(20), D_TUNNEL,
                                       ipv4(UDP, udp(4500, 4500, b"\xff", V4_A, V4_B))))
    return c


def transport_split(packet):
    """(payload, next header, is IPv6) of a transport-mode packet: what ESP protects."""
    if packet[0] >> 4 == 4:
        ihl = (packet[0] & 15) * 4
        total = struct.unpack("!H", packet[2:4])[0]
        return packet[ihl:total], packet[9], False
    at, nh = 40, packet[6]
    while nh in (HOP_BY_HOP, ROUTING, FRAGMENT) or (nh == DEST_OPTS and packet[at] == ROUTING):
        length = 8 if nh == FRAGMENT else (packet[at + 1] + 1) * 8
        nh, at = packet[at], at + length
    return packet[at:], nh, True


def transport_join(packet, esp, in_udp):
    """`packet` with its protected part replaced by `esp` (RFC 4303 §3.1.1)."""
    payload, _, v6 = transport_split(packet)
    front = bytearray(packet[:len(packet) - len(payload)])
    # the next-header byte that pointed at the payload now points at ESP/UDP
    if v6:
        at, field, nh = 40, 6, packet[6]
        while at < len(front):
            length = 8 if nh == FRAGMENT else (packet[at + 1] + 1) * 8
            field, nh, at = at, packet[at], at + length
        src, dst = bytes(front[8:24]), bytes(front[24:40])
    else:
        field = 9
        src, dst = bytes(front[12:16]), bytes(front[16:20])
    front[field] = UDP if in_udp else ESP
    body = udp(4500, 4500, esp, src, dst) if in_udp else esp
    out = bytearray(front + body)
    if v6:
        out[4:6] = struct.pack("!H", len(out) - 40)
    else:
        ihl = (out[0] & 15) * 4
        out[2:4] = struct.pack("!H", len(out))
        out[10:12] = b"\x00\x00"
        out[10:12] = struct.pack("!H", checksum(bytes(out[:ihl])))
    return bytes(out)


def esp_roundtrip_corpus():
    c = Corpus("esp_roundtrip")
    plain = plain_packets()

    def add(name, encr, integ, bits, flags, inner, seq=None, pad=None):
        head = selector(encr, integ, bits) + bytes([flags | (R_SEQ if seq is not None else 0) |
                                                    (R_PAD if pad is not None else 0)])
        if seq is not None:
            head += struct.pack("!Q", seq)
        if pad is not None:
            head += bytes([pad])
        c.add(name, head + plain[inner])

    add("ipv4_icmp_aes_gcm16_tunnel", 20, 0, 128, R_TUNNEL, "ipv4_icmp_echo")
    add("ipv4_udp_aes_cbc_hmac_sha1_transport", 12, 2, 128, 0, "ipv4_udp_dns")
    add("ipv4_options_3des_hmac_sha2_256_transport", 3, 12, None, 0, "ipv4_options_router_alert")
    add("ipv4_lsrr_null_aes_xcbc_tunnel_ipv6", 11, 5, None, R_TUNNEL | R_OUTER6, "ipv4_options_lsrr")
    add("ipv4_fragment_aes_ctr_cmac_tunnel_udp", 13, 8, 192, R_TUNNEL | R_UDP, "ipv4_first_fragment")
    add("ipv4_tcp_ecn_aes_ccm8_tunnel_tfc1500", 14, 0, 256, R_TUNNEL | R_TFC1500, "ipv4_tcp_syn_ecn")
    add("ipv4_padding_aes_ccm12_transport_udp", 15, 0, 128, R_UDP, "ipv4_link_padding")
    add("ipv6_udp_aes_ccm16_transport", 16, 0, 192, 0, "ipv6_udp")
    add("ipv6_hbh_dstopts_aes_gcm8_transport_esn", 18, 0, 256, R_ESN, "ipv6_hbh_dstopts_udp")
    add("ipv6_routing_aes_gcm12_transport_udp", 19, 0, 192, R_UDP, "ipv6_dstopts_routing_udp")
    add("ipv6_atomic_fragment_gmac_transport", 21, 0, 128, 0, "ipv6_atomic_fragment")
    add("ipv6_fragment_chacha20_tunnel_ipv6_tfc128", 28, 0, 256, R_TUNNEL | R_OUTER6 | R_TFC128,
        "ipv6_fragment_middle")
    add("ipv6_tcp_aes_cbc256_sha2_512_tunnel_esn_seq", 12, 14, 256, R_TUNNEL | R_ESN,
        "ipv6_tcp_flow_label", seq=0x00000001fffffff0)
    add("ipv6_icmpv6_aes_ctr_sha2_384_transport_pad", 13, 13, 256, 0, "ipv6_icmpv6", pad=253)
    add("ipv4_icmp_aes_cbc_no_integrity_seq_max", 12, 0, 128, R_TUNNEL, "ipv4_icmp_echo",
        seq=0xffffffff)
    return c


# esp_inner option bits (fuzz/esp_inner_fuzzer.cc)
I_ESN, I_TUNNEL, I_INFERRED, I_OUTER6, I_UDP, I_STRICT, I_OWN_PAD = (
    1, 1 << 1, 2 << 1, 1 << 3, 1 << 4, 1 << 5, 1 << 6)


def esp_inner_corpus():
    c = Corpus("esp_inner")
    plain = plain_packets()

    def add(name, encr, integ, bits, flags, next_header, pad, payload):
        c.add(name, selector(encr, integ, bits) + bytes([flags, next_header, pad]) + payload)

    icmp = plain["ipv4_icmp_echo"]
    add("tunnel_ipv4_aes_gcm16", 20, 0, 128, I_TUNNEL, 4, 0, icmp)
    add("tunnel_ipv6_tfc_chacha20", 28, 0, 256, I_TUNNEL | I_OUTER6, 41, 0, plain["ipv6_udp"] + bytes(64))
    add("tunnel_version_mismatch_aes_cbc_sha2", 12, 12, 128, I_TUNNEL, 41, 0, icmp)
    add("tunnel_next_header_udp_refused", 20, 0, 128, I_TUNNEL, 17, 0, icmp)
    add("tunnel_truncated_inner_ccm16", 16, 0, 128, I_TUNNEL | I_UDP, 4, 0, icmp[:24])
    add("transport_udp_aes_ctr_cmac", 13, 8, 192, 0, 17, 5, bytes(range(40)))
    add("transport_ipv6_esn_gcm8", 18, 0, 256, I_OUTER6 | I_ESN, 6, 0, bytes(20))
    add("inferred_ipv4_gmac", 21, 0, 128, I_INFERRED, 4, 0, icmp)
    add("inferred_tcp_3des_sha1", 3, 2, None, I_INFERRED, 6, 0, bytes(32))
    add("dummy_tunnel_gcm16", 20, 0, 128, I_TUNNEL, 59, 0, bytes(48))
    add("dummy_transport_null_sha2", 11, 12, None, 0, 59, 2, bytes(16))
    # Own padding (the last bytes of the payload): the default, then a wrong one
    # refused strictly and reported otherwise.
    # (46 bytes of ICMP + 16 of padding + 2 fill AES-CBC's 16-byte blocks.)
    add("own_padding_default_cbc", 12, 14, 256, I_TUNNEL | I_OWN_PAD, 4, 16,
        icmp + bytes(range(1, 17)))
    add("own_padding_wrong_strict_cbc", 12, 12, 128, I_TUNNEL | I_OWN_PAD | I_STRICT, 4, 16,
        icmp + bytes(16))
    add("own_padding_wrong_lenient_gcm", 20, 0, 128, I_OWN_PAD, 17, 3, bytes(39) + bytes([1, 2, 4]))
    return c


def ip_walk_corpus():
    c = Corpus("ip_walk")
    for name, p in plain_packets().items():
        c.add(name, p)
    bad = bytearray(plain_packets()["ipv4_icmp_echo"])
    bad[10] ^= 0xff
    c.add("ipv4_bad_header_checksum", bad)
    c.add("ipv6_routing_segments_left", ipv6(ROUTING, routing0(UDP, 2, [V6_C, V6_B]) +
                                             udp(1, 2, b"x", V6_A, V6_C), dst=V6_C))
    c.add("ipv6_esp_after_hbh", ipv6(HOP_BY_HOP, hop_by_hop(ESP) + bytes(24)))
    for scenario, kinds in (("strongswan/cbc", ("esp_udp", "ike_udp4500")),
                            ("linux-xfrm/gcm", ("esp",)), ("linux-xfrm/ah-transport", ("ah",))):
        path = os.path.join(CAPTURES, scenario, "capture.pcap")
        if not os.path.exists(path):
            continue
        tag = scenario.replace("/", "_").replace("-", "_")
        for kind in kinds:
            p = next((p for p in capture_packets(path) if classify(p) == kind), None)
            if p is not None:
                c.add(f"capture_{tag}_{kind}", p)
    return c


# ah_verify option bits (fuzz/ah_verify_fuzzer.cc)
A_ESN, A_TUNNEL, A_OUTER6, A_ROUNDTRIP, A_NO_WINDOW, A_SEQ = 1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5


def scapy_ah(integ, key, spi, seq, packet, tunnel=None, esn=False):
    """AH by Scapy's implementation (independent of the reference)."""
    from scapy.all import IP, IPv6
    from scapy.layers.ipsec import AH as AH_LAYER, SecurityAssociation
    algo = {2: "HMAC-SHA1-96", 8: "AES-CMAC-96", 12: "SHA2-256-128", 13: "SHA2-384-192",
            14: "SHA2-512-256"}[integ]
    pkt = (IP if packet[0] >> 4 == 4 else IPv6)(packet)
    sa = SecurityAssociation(AH_LAYER, spi=spi, seq_num=seq, auth_algo=algo, auth_key=key,
                             tunnel_header=tunnel, esn_en=esn)
    return bytes(sa.encrypt(pkt))


def ah_verify_corpus():
    c = Corpus("ah_verify")
    ah = os.path.join(CAPTURES, "linux-xfrm/ah-transport/capture.pcap")
    if os.path.exists(ah):
        seen = {}
        for p in capture_packets(ah):
            if classify(p) != "ah":
                continue
            direction = "a_to_b" if p[12:16] == V4_A else "b_to_a"
            seen[direction] = seen.get(direction, 0) + 1
            if seen[direction] > 2:
                continue
            key = KEYS_BY_NAME[f"capture linux-xfrm/ah-transport 192.0.2.{1 if direction == 'a_to_b' else 2} to .{2 if direction == 'a_to_b' else 1}"]
            c.add(f"capture_linux_xfrm_ah_transport_{direction}_{seen[direction]}",
                  bytes([2, key, 0]) + p)

    plain = plain_packets()
    from scapy.all import IP, IPv6
    verify_cases = [
        ("scapy_hmac_sha1_96_transport_ipv4", 2, 0, "ipv4_udp_dns", None),
        ("scapy_hmac_sha2_256_transport_ipv4_ecn", 12, 0, "ipv4_tcp_syn_ecn", None),
        ("scapy_hmac_sha2_384_transport_ipv6", 13, 0, "ipv6_udp", None),
        ("scapy_hmac_sha2_512_esn_transport_ipv6_flow", 14, A_ESN, "ipv6_tcp_flow_label", None),
        ("scapy_aes_cmac_96_transport_ipv4", 8, 0, "ipv4_icmp_echo", None),
        ("scapy_hmac_sha2_256_tunnel_ipv4", 12, A_TUNNEL, "ipv4_icmp_echo",
         IP(src="192.0.2.1", dst="192.0.2.2")),
        ("scapy_hmac_sha1_96_tunnel_ipv6", 2, A_TUNNEL | A_OUTER6, "ipv6_icmpv6",
         IPv6(src="2001:db8::1", dst="2001:db8::2")),
    ]
    for name, integ, flags, inner, tunnel in verify_cases:
        key = pattern(INTEG_SIZES[integ][0], 0x80)
        packet = scapy_ah(integ, key, 0x2000 + len(c.files), 1, plain[inner], tunnel,
                          esn=bool(flags & A_ESN))
        c.add(name, bytes([integ, 0, flags]) + packet)

    roundtrip_cases = [
        ("roundtrip_hmac_sha1_transport_ipv4_options", 2, 0, "ipv4_options_lsrr"),
        ("roundtrip_aes_xcbc_transport_ipv4_router_alert", 5, 0, "ipv4_options_router_alert"),
        ("roundtrip_aes_cmac_tunnel_ipv6_fragment", 8, A_TUNNEL | A_OUTER6, "ipv6_fragment_middle"),
        ("roundtrip_sha2_256_transport_ipv6_hbh_dstopts", 12, 0, "ipv6_hbh_dstopts_udp"),
        ("roundtrip_sha2_384_transport_ipv6_routing", 13, A_ESN, "ipv6_dstopts_routing_udp"),
        ("roundtrip_sha2_512_tunnel_ipv4_fragment", 14, A_TUNNEL, "ipv4_first_fragment"),
        ("roundtrip_sha2_256_transport_ipv6_atomic_fragment", 12, A_NO_WINDOW, "ipv6_atomic_fragment"),
    ]
    for name, integ, flags, inner in roundtrip_cases:
        c.add(name, bytes([integ, 0, flags | A_ROUNDTRIP]) + plain[inner])
    c.add("roundtrip_sha1_seq_max_transport_ipv4", bytes([2, 0, A_ROUNDTRIP | A_SEQ]) +
          struct.pack("!Q", 0xffffffff) + plain["ipv4_udp_dns"])
    c.add("roundtrip_sha2_256_esn_next_subspace_tunnel", bytes([12, 0, A_ROUNDTRIP | A_SEQ | A_ESN | A_TUNNEL]) +
          struct.pack("!Q", 0x100000000) + plain["ipv4_icmp_echo"])
    return c


# classify: cut(1) | IP packet (fuzz/classify_fuzzer.cc); 255 classifies
# these seeds whole (all but the captures' IKE messages are shorter).
WHOLE = 255


def ike_header(spi_i, spi_r=0, next_payload=33, exchange=34, flags=0x08, body=b""):
    """IKEv2 header (RFC 7296 §3.1): SPIs, Next Payload, version 2.0, ..."""
    return struct.pack("!QQBBBBII", spi_i, spi_r, next_payload, 0x20, exchange, flags, 0,
                       28 + len(body)) + body


def ah_header(next_header, spi, seq, icv=bytes(12)):
    """AH (RFC 4302 §2): Payload Len counts 32-bit words minus 2."""
    return struct.pack("!BBHII", next_header, (12 + len(icv)) // 4 - 2, 0, spi, seq) + icv


def classify_corpus():
    c = Corpus("classify")

    def add(name, packet, cut=WHOLE):
        c.add(name, bytes([cut]) + packet)

    for scenario, kinds in (("strongswan/cbc", ("ike", "ike_udp4500", "esp_udp")),
                            ("linux-xfrm/gcm", ("esp",)), ("linux-xfrm/ah-transport", ("ah",))):
        path = os.path.join(CAPTURES, scenario, "capture.pcap")
        if not os.path.exists(path):
            print(f"warning: {path} missing, capture seeds skipped", file=sys.stderr)
            continue
        tag = scenario.replace("/", "_").replace("-", "_")
        for kind in kinds:
            p = next((p for p in capture_packets(path) if classify(p) == kind), None)
            if p is not None:
                add(f"capture_{tag}_{kind}", p)

    spi_i, spi_r = 0x0123456789abcdef, 0xfedcba9876543210
    nonce = bytes([0, 0, 0, 8]) + pattern(4, 0x10)  # a last payload: Nonce of 4 bytes
    sa_init = ike_header(spi_i, body=nonce, next_payload=40)
    auth = ike_header(spi_i, spi_r, next_payload=46, exchange=35, flags=0x08)
    gcm = esp_packet(20, pattern(20, 0x01), 0, b"", 0x2000, 1, pattern(8, 0xa0),
                     icmp_echo(), ICMP)
    icv = pattern(12, 0xc0)
    ipsec = [
        # IKE on 500, on 4500 behind the non-ESP marker, keepalives
        ("ipv4_udp500_ike_sa_init", ipv4(UDP, udp(500, 500, sa_init, V4_A, V4_B))),
        ("ipv6_udp500_ike_sa_init", ipv6(UDP, udp(500, 500, sa_init, V6_A, V6_B))),
        ("ipv4_udp500_to_4500_ike", ipv4(UDP, udp(4500, 500, sa_init, V4_A, V4_B))),
        ("ipv4_udp4500_ike_auth", ipv4(UDP, udp(4500, 4500, bytes(4) + auth, V4_A, V4_B))),
        ("ipv6_udp4500_ike_auth", ipv6(UDP, udp(4500, 4500, bytes(4) + auth, V6_A, V6_B))),
        ("ipv4_udp4500_marker_only", ipv4(UDP, udp(4500, 4500, bytes(4), V4_A, V4_B))),
        ("ipv4_nat_keepalive", ipv4(UDP, udp(4500, 4500, b"\xff", V4_A, V4_B))),
        ("ipv6_nat_keepalive", ipv6(UDP, udp(4500, 4500, b"\xff", V6_A, V6_B))),
        ("ipv4_nat_keepalive_link_padding",
         ipv4(UDP, udp(4500, 4500, b"\xff", V4_A, V4_B)) + bytes(17)),
        # ESP, ESP in UDP, AH
        ("ipv4_esp", ipv4(ESP, gcm)),
        ("ipv6_esp", ipv6(ESP, gcm)),
        ("ipv6_esp_after_hbh_dstopts",
         ipv6(HOP_BY_HOP, hop_by_hop(DEST_OPTS) + dest_opts(ESP) + gcm)),
        ("ipv4_esp_first_fragment", ipv4(ESP, gcm, flags_frag=0x2000)),
        ("ipv4_udp4500_esp", ipv4(UDP, udp(4500, 4500, gcm, V4_A, V4_B))),
        ("ipv6_udp4500_esp", ipv6(UDP, udp(4500, 4500, gcm, V6_A, V6_B))),
        ("ipv4_udp4500_esp_header_only", ipv4(UDP, udp(4500, 4500, gcm[:8], V4_A, V4_B))),
        ("ipv4_udp4500_too_short_for_esp", ipv4(UDP, udp(4500, 4500, gcm[:7], V4_A, V4_B))),
        ("ipv4_ah_transport", ipv4(AH, ah_header(ICMP, 0x3000, 7, icv) + icmp_echo())),
        ("ipv6_ah_tunnel", ipv6(AH, ah_header(IPV6_IN, 0x3001, 1, icv) +
                                ipv6(ICMPV6, bytes([128, 0, 0, 0, 0, 1, 0, 1])))),
        ("ipv6_fragment_ah", ipv6(FRAGMENT, fragment(AH) + ah_header(UDP, 0x3002, 2, icv))),
        # neither
        ("ipv4_udp_dns", ipv4(UDP, udp(53000, 53, bytes(12), V4_C, V4_D), V4_C, V4_D)),
        ("ipv4_icmp_echo", ipv4(ICMP, icmp_echo(), V4_C, V4_D)),
        ("ipv6_no_next_header", ipv6(NO_NEXT, b"")),
    ]
    for name, packet in ipsec:
        add(name, packet)

    # The UDP length, not the IP payload, bounds what 4500 carries.
    short = bytearray(ipv4(UDP, udp(4500, 4500, b"\xff" + bytes(7), V4_A, V4_B)))
    short[24:26] = struct.pack("!H", 9)
    add("ipv4_udp4500_length_says_keepalive", short)

    # Captures cut short (the header comment of fuzz/classify_fuzzer.cc):
    # inside and just after each field that classification reads.
    packets = dict(ipsec)
    cuts = [
        ("ipv4_cut_in_ip_header", "ipv4_esp", 12),
        ("ipv6_cut_in_hop_by_hop", "ipv6_esp_after_hbh_dstopts", 44),
        ("ipv4_esp_cut_in_spi", "ipv4_esp", 22),
        ("ipv4_esp_cut_after_spi", "ipv4_esp", 24),
        ("ipv4_esp_cut_after_seq", "ipv4_esp", 28),
        ("ipv6_esp_cut_after_spi", "ipv6_esp", 44),
        ("ipv4_ah_cut_in_spi", "ipv4_ah_transport", 26),
        ("ipv4_ah_cut_after_spi", "ipv4_ah_transport", 28),
        ("ipv4_udp500_cut_in_ports", "ipv4_udp500_ike_sa_init", 23),
        ("ipv4_udp500_cut_in_ike_spis", "ipv4_udp500_ike_sa_init", 40),
        ("ipv4_udp500_cut_after_ike_spis", "ipv4_udp500_ike_sa_init", 44),
        ("ipv4_udp4500_cut_in_udp_header", "ipv4_udp4500_esp", 26),
        ("ipv4_udp4500_cut_in_marker", "ipv4_udp4500_ike_auth", 30),
        ("ipv4_udp4500_cut_after_marker", "ipv4_udp4500_ike_auth", 32),
        ("ipv4_udp4500_cut_after_ike_spis", "ipv4_udp4500_ike_auth", 48),
        ("ipv4_udp4500_esp_cut_in_header", "ipv4_udp4500_esp", 33),
        ("ipv4_udp4500_esp_cut_after_header", "ipv4_udp4500_esp", 36),
        ("ipv4_nat_keepalive_cut_before_payload", "ipv4_nat_keepalive", 28),
        ("ipv6_udp4500_cut_after_marker", "ipv6_udp4500_ike_auth", 52),
    ]
    for name, source, cut in cuts:
        add(name, packets[source], cut)

    # Not a well-formed IP header.
    add("malformed_ipv4_total_length_beyond_data", ipv4(ESP, gcm)[:-4])
    add("malformed_ipv6_hop_by_hop_beyond_data", ipv6(HOP_BY_HOP, hop_by_hop(ESP))[:-4])
    add("malformed_version_5", bytes([0x55]) + ipv4(ESP, gcm)[1:])
    return c


def spd_selectors_corpus():
    # The SPD reads the selectors of the same plain and malformed packets.
    c = Corpus("spd_selectors")
    for name, data in ip_walk_corpus().files.items():
        c.add(name, data)
    return c


def gateway_datagram_corpus():
    # fuzz/gateway_datagram_fuzzer.cc: byte 0 the path (0 UDP/500, 1 UDP/4500,
    # 2 raw ESP, 3 inner), byte 1 the source address's last octet (+0x80:
    # source port 4500), then the payload. IKE messages come from the
    # ike_decode seeds (captures of strongSwan and the Linux kernel).
    c = Corpus("gateway_datagram")
    ike = os.path.join(CORPUS, "ike_decode")
    for name in sorted(os.listdir(ike)):
        if not (name.endswith("_ike_sa_init_req") or name.endswith("_informational_req")
                or name.endswith("_ike_auth_req")):
            continue
        if not name.startswith(("strongswan-gcm_", "strongswan-cbc_", "linux-xfrm-gcm_")):
            continue
        with open(os.path.join(ike, name), "rb") as f:
            message = f.read()
        tag = re.sub(r"[^a-z0-9_]", "_", name)
        c.add("udp500_" + tag, bytes([0, 7]) + message)
        c.add("udp4500_" + tag, bytes([1, 0x87]) + bytes(4) + message)
    c.add("udp4500_nat_keepalive", bytes([1, 0x87, 0xff]))
    c.add("udp4500_esp_manual_spi", bytes([1, 9]) + struct.pack("!II", 0x1000, 1) + bytes(32))
    c.add("udp4500_esp_unknown_spi", bytes([1, 9]) + struct.pack("!II", 0x4242, 1) + bytes(32))
    c.add("udp4500_short", bytes([1, 9, 0, 0]))
    esp = struct.pack("!II", 0x1000, 1) + bytes(8) + bytes(24)
    c.add("raw_esp_manual_spi", bytes([2, 9]) + ipv4(ESP, esp, src=bytes([192, 0, 2, 9]), dst=V4_A))
    c.add("raw_esp_fragment", bytes([2, 9]) + ipv4(ESP, esp, src=bytes([192, 0, 2, 9]), dst=V4_A,
                                                   flags_frag=0x2000))
    to_manual = udp(1234, 53, b"query", bytes([10, 1, 0, 5]), bytes([10, 9, 0, 7]))
    c.add("inner_to_manual_tunnel", bytes([3, 0]) + ipv4(UDP, to_manual, src=bytes([10, 1, 0, 5]),
                                                          dst=bytes([10, 9, 0, 7])))
    to_trap = udp(1234, 53, b"query", bytes([10, 1, 0, 5]), bytes([10, 2, 0, 7]))
    c.add("inner_to_trap", bytes([3, 0]) + ipv4(UDP, to_trap, src=bytes([10, 1, 0, 5]),
                                                 dst=bytes([10, 2, 0, 7])))
    c.add("inner_no_policy", bytes([3, 0]) + plain_packets()["ipv4_udp_dns"])
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()
    check_encoder()
    corpora = [esp_decap_corpus(), esp_roundtrip_corpus(), ip_walk_corpus()]
    if os.path.exists(os.path.join(ROOT, "fuzz", "esp_inner_fuzzer.cc")):
        corpora.append(esp_inner_corpus())
    if os.path.exists(os.path.join(ROOT, "fuzz", "ah_verify_fuzzer.cc")):
        corpora.append(ah_verify_corpus())
    if os.path.exists(os.path.join(ROOT, "fuzz", "classify_fuzzer.cc")):
        corpora.append(classify_corpus())
    if os.path.exists(os.path.join(ROOT, "fuzz", "spd_selectors_fuzzer.cc")):
        corpora.append(spd_selectors_corpus())
    if os.path.exists(os.path.join(ROOT, "fuzz", "gateway_datagram_fuzzer.cc")):
        corpora.append(gateway_datagram_corpus())
    for corpus in corpora:
        corpus.write()


if __name__ == "__main__":
    main()
