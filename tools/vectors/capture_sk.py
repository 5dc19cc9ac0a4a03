#!/usr/bin/python3
"""capture_sk.py [--captures DIR] [--seeds]

Writes the IKEv2 Encrypted payload (SK) vectors, schema ike_sk_test_schema_v1
(vectors/README.md):

  vectors/ike/sk_rfc7634.json
      RFC 7634 Appendix B (ChaCha20-Poly1305 IKEv2 example), transcribed
      from the RFC, and invalid variants of it.
  vectors/ike/sk_strongswan.json
      Every SK message of the strongSwan captures in
      DIR/{gcm,cbc}/capture.pcap (default /work/shared/data/strongswan),
      and invalid variants of them.

Where the values come from (nothing here runs the reference):
  - the wire bytes: Scapy reads the pcap; the IKE message is the UDP
    payload (after the 4-byte non-ESP marker on port 4500);
    associatedData is the message up to the SK body, body the rest;
  - the keys: Wireshark's ikev2_decryption_table written by strongSwan
    (save-keys), cross-checked with keys.csv.a for the transform IDs;
  - the plaintext, IV, padding and Pad Length: tshark decrypts the message
    with that table (-o uat:ikev2_decryption_table) and reports the
    Integrity Checksum Data as [correct]; a message whose ICV tshark does
    not call correct is not written.
  - invalid variants are valid cases with bytes edited here: one ICV bit
    flipped, one ciphertext bit flipped, the body cut short, and a Pad
    Length too large. The last needs a fresh ICV: for CBC the Pad Length is
    changed by flipping a bit of the previous ciphertext block (CBC
    malleability, no decryption needed) and the HMAC recomputed with
    Python's hmac; for the AEADs the plaintext is re-sealed with Python
    `cryptography` (Debian python3-cryptography), which is first checked to
    reproduce the published body bit for bit.

--seeds also rewrites the fuzz seed corpora fuzz/corpus/ike_sk/ and
fuzz/corpus/ike_skf/ from these vectors (input layouts: the header comments
of fuzz/ike_sk_fuzzer.cc and fuzz/ike_skf_fuzzer.cc).

Run with Debian's interpreter: /usr/bin/python3 tools/vectors/capture_sk.py
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305  # noqa: E402
from scapy.all import UDP, raw, rdpcap  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "vectors", "ike")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

SK = 46
SKF = 53

ENCR_NAMES = {3: "ENCR_3DES", 12: "ENCR_AES_CBC", 13: "ENCR_AES_CTR", 14: "ENCR_AES_CCM_8",
              15: "ENCR_AES_CCM_12", 16: "ENCR_AES_CCM_16", 18: "ENCR_AES_GCM_8",
              19: "ENCR_AES_GCM_12", 20: "ENCR_AES_GCM_16", 28: "ENCR_CHACHA20_POLY1305"}
INTEG_NAMES = {0: "NONE", 2: "AUTH_HMAC_SHA1_96", 5: "AUTH_AES_XCBC_96", 8: "AUTH_AES_CMAC_96",
               12: "AUTH_HMAC_SHA2_256_128", 13: "AUTH_HMAC_SHA2_384_192", 14: "AUTH_HMAC_SHA2_512_256"}
# IV and ICV bytes, salt bytes, block size
SIZES = {"ENCR_AES_CBC": (16, 0, 16), "ENCR_AES_GCM_16": (8, 4, 1), "ENCR_CHACHA20_POLY1305": (8, 4, 1)}
ICV = {"AUTH_HMAC_SHA2_256_128": 16, "ENCR_AES_GCM_16": 16, "ENCR_CHACHA20_POLY1305": 16}
HMACS = {"AUTH_HMAC_SHA2_256_128": (hashlib.sha256, 16)}

# How Wireshark names the transforms in ikev2_decryption_table.
WIRESHARK_ENCR = [(re.compile(r"^AES-GCM-(\d+) with 16 octet ICV"), "ENCR_AES_GCM_16"),
                  (re.compile(r"^AES-CBC-(\d+) "), "ENCR_AES_CBC")]
WIRESHARK_INTEG = {"NONE": "NONE", "HMAC_SHA2_256_128": "AUTH_HMAC_SHA2_256_128"}

# RFC 7634 Appendix B, as printed there: KEYMAT (key || salt), IV, the
# IKE header with the Encrypted payload header (the AAD), the plaintext
# (one Notify payload and a zero Pad Length) and the encrypted body.
RFC7634_B = dict(
    encrKey="808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" "a0a1a2a3",
    iv="1011121314151617",
    associatedData="c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7" "2e202500000000090000004529000029",
    plaintext="0000000c000040010000000a",
    padLength=0,
    ciphertext="610394701f8d017f7c12924889",
    tag="6b71bfe25236efd7cdc67066906315b2",
)


def fail(msg):
    sys.exit("capture_sk.py: " + msg)


def flip(hexstr, byte, bit=0):
    b = bytearray.fromhex(hexstr)
    b[byte] ^= 1 << bit
    return b.hex()


def aead_seal(encr, keymat, iv, aad, text):
    _, salt, _ = SIZES[encr]
    key, nonce = keymat[:-salt], keymat[-salt:] + iv
    cls = ChaCha20Poly1305 if encr == "ENCR_CHACHA20_POLY1305" else AESGCM
    return cls(key).encrypt(nonce, text, aad)


def invalid_variants(t, group):
    """Invalid tests made by editing the bytes of valid test t."""
    encr, integ = group["encr"], group["integ"]
    iv_size = SIZES[encr][0]
    icv = ICV[integ] if integ != "NONE" else ICV[encr]
    body = t["body"]
    n = len(body) // 2
    base = {k: t[k] for k in ("encrKey", "integKey", "associatedData", "iv", "plaintext", "padLength")}
    if "padding" in t:
        base["padding"] = t["padding"]
    out = []
    out.append(dict(base, comment=t["comment"] + "; last ICV bit flipped", flags=["ModifiedIcv"],
                    body=flip(body, n - 1, 7), result="invalid", error="IcvMismatch"))
    out.append(dict(base, comment=t["comment"] + "; first ciphertext bit flipped", flags=["ModifiedCiphertext"],
                    body=flip(body, iv_size, 0), result="invalid", error="IcvMismatch"))
    # Truncation: the IKE header Length then disagrees too, so the message
    # is also given a corrected Length (the cut must be caught by the body
    # checks, not only by the Length).
    for keep, why, err in ((iv_size + icv, "IV and ICV only, no Pad Length", "Truncated"),
                           (n - 1, "one byte short", None)):
        ad = bytearray.fromhex(t["associatedData"])
        struct.pack_into(">I", ad, 24, len(ad) + keep)
        struct.pack_into(">H", ad, len(ad) - 2, 4 + keep)
        case = dict(base, comment=t["comment"] + "; body cut to %d bytes (%s), Lengths adjusted" % (keep, why),
                    flags=["Truncated"], associatedData=ad.hex(), body=body[:2 * keep], result="invalid")
        if err:
            case["error"] = err
        elif encr == "ENCR_AES_CBC":
            case["error"] = "BadAlignment"
        else:
            case["error"] = "IcvMismatch"
        out.append(case)
    out.append(pad_too_large(t, group, base))
    return out


def pad_too_large(t, group, base):
    """A correctly authenticated body whose Pad Length exceeds the data."""
    encr, integ = group["encr"], group["integ"]
    iv_size = SIZES[encr][0]
    ad = bytes.fromhex(t["associatedData"])
    body = bytearray.fromhex(t["body"])
    text_len = len(t["plaintext"]) // 2 + t["padLength"] + 1
    if text_len > 0xff:
        fail("cannot make a Pad Length beyond %d decrypted bytes" % text_len)
    new_pad = 0xff  # beyond the data: at most text_len - 1 bytes can precede the Pad Length
    if encr == "ENCR_AES_CBC":
        digest, icv = HMACS[integ]
        # P_last = D(C_last) xor C_prev: xoring C_prev's last byte xors the
        # Pad Length by the same value.
        prev_last = iv_size + text_len - 16 - 1  # byte before the last block's last byte
        body[prev_last] ^= t["padLength"] ^ new_pad
        mac = hmac.new(bytes.fromhex(t["integKey"]), ad + bytes(body[:-icv]), digest).digest()[:icv]
        body[-icv:] = mac
        how = "previous ciphertext block edited (CBC), HMAC recomputed with Python hmac"
    else:
        padding = t.get("padding", "00" * t["padLength"])
        plain = bytes.fromhex(t["plaintext"]) + bytes.fromhex(padding) + bytes([new_pad])
        iv = bytes(body[:iv_size])
        body = bytearray(iv + aead_seal(encr, bytes.fromhex(t["encrKey"]), iv, ad, plain))
        how = "re-sealed with Python cryptography"
    return dict(base, comment=t["comment"] + "; Pad Length set to %d, beyond the %d decrypted bytes (%s)"
                % (new_pad, text_len, how),
                flags=["PadLengthTooLarge"], body=body.hex(), result="invalid", error="BadPadLength")


def rfc7634_file():
    v = RFC7634_B
    keymat = bytes.fromhex(v["encrKey"])
    sealed = aead_seal("ENCR_CHACHA20_POLY1305", keymat, bytes.fromhex(v["iv"]), bytes.fromhex(v["associatedData"]),
                       bytes.fromhex(v["plaintext"]) + b"\0")
    if sealed.hex() != v["ciphertext"] + v["tag"]:
        fail("Python cryptography does not reproduce RFC 7634 Appendix B")
    group = {"encr": "ENCR_CHACHA20_POLY1305", "encrKeySize": 256, "integ": "NONE"}
    valid = dict(comment="RFC 7634 Appendix B: INFORMATIONAL request (Message ID 9) carrying one Notify, "
                 "ChaCha20-Poly1305, pad length 0",
                 flags=[], source="RFC 7634 Appendix B", encrKey=v["encrKey"], integKey="",
                 associatedData=v["associatedData"], iv=v["iv"], plaintext=v["plaintext"], padLength=0,
                 body=v["iv"] + v["ciphertext"] + v["tag"], result="valid")
    tests = [valid] + [dict(t, source="RFC 7634 Appendix B, edited here") for t in invalid_variants(valid, group)]
    group["tests"] = tests
    return doc([group], "RFC 7634 Appendix B (IKEv2 example with ChaCha20-Poly1305)",
               ["AAD = IKE header || Encrypted payload header (RFC 5282 section 5.1, which RFC 7634 applies to ChaCha20-Poly1305); "
                "nonce = salt a0a1a2a3 || IV; body = IV || ciphertext || tag.",
                "Invalid cases are the appendix's message with bytes edited by tools/vectors/capture_sk.py."])


def tshark_messages(capture, table):
    uat = "uat:ikev2_decryption_table:" + table
    base = ["tshark", "-r", capture, "-o", uat, "-Y", "isakmp.enc.icd"]
    frames = json.loads(subprocess.run(base + ["-T", "json", "-x"], capture_output=True, check=True).stdout)
    pdml = subprocess.run(base + ["-T", "pdml"], capture_output=True, check=True, text=True).stdout
    verdicts = re.findall(r'name="isakmp\.enc\.icd" showname="[^"]*\[(correct|incorrect[^\]]*)\]', pdml)
    if len(verdicts) != len(frames):
        fail("%s: %d messages but %d ICV verdicts from tshark" % (capture, len(frames), len(verdicts)))
    out = {}
    for frame, verdict in zip(frames, verdicts):
        layers = frame["_source"]["layers"]
        number = int(layers["frame"]["frame.number"])
        found = {}

        def walk(node):
            if isinstance(node, dict):
                for k, val in node.items():
                    if k.startswith("isakmp.enc.") and k.endswith("_raw"):
                        found[k[len("isakmp.enc."):-4]] = val[0] if isinstance(val[0], str) else val[0][0]
                    walk(val)
            elif isinstance(node, list):
                for x in node:
                    walk(x)

        walk(layers["isakmp"])
        found["verdict"] = verdict
        out[number] = found
    return out


def load_keys(directory):
    line = open(os.path.join(directory, "ikev2_decryption_table")).read().strip()
    f = next(__import__("csv").reader([line]))
    table = dict(spi_i=f[0], spi_r=f[1], sk_ei=f[2], sk_er=f[3], encr_name=f[4], sk_ai=f[5], sk_ar=f[6],
                 integ_name=f[7])
    for r in open(os.path.join(directory, "keys.csv.a")):
        r = r.strip().split(",")
        if r[0] == "ike" and r[5] == table["spi_i"] and r[6] == table["spi_r"]:
            encr, bits, integ = ENCR_NAMES[int(r[7])], int(r[8]), INTEG_NAMES[int(r[9])]
            if (r[15], r[16], r[13], r[14]) != (table["sk_ei"], table["sk_er"], table["sk_ai"], table["sk_ar"]):
                fail("%s: keys.csv.a and ikev2_decryption_table disagree" % directory)
            break
    else:
        fail("%s: no ike row in keys.csv.a" % directory)
    ws = [name for rx, name in WIRESHARK_ENCR if rx.match(table["encr_name"])]
    ws_bits = int(re.search(r"-(\d+)", table["encr_name"]).group(1))
    ws_integ = WIRESHARK_INTEG.get(table["integ_name"].split(" ")[0])
    if ws != [encr] or ws_bits != bits or ws_integ != integ:
        fail("%s: transforms %s/%s vs %s %d %s" % (directory, table["encr_name"], table["integ_name"], encr, bits, integ))
    table.update(encr=encr, bits=bits, integ=integ)
    return table


def ike_messages(capture):
    """frame number -> IKE message bytes (non-ESP marker removed)."""
    out = {}
    for i, p in enumerate(rdpcap(capture), 1):
        if UDP not in p:
            continue
        u = p[UDP]
        data = raw(u.payload)
        if 4500 in (u.sport, u.dport):
            if data[:4] != b"\0\0\0\0":
                continue  # ESP in UDP
            data = data[4:]
        elif 500 not in (u.sport, u.dport):
            continue
        out[i] = data
    return out


def split_sk(msg):
    """(associated data, body) of the message's SK or SKF payload."""
    np, off = msg[16], 28
    while np not in (SK, SKF):
        if np == 0 or off + 4 > len(msg):
            return None
        np, length = msg[off], struct.unpack(">H", msg[off + 2:off + 4])[0]
        off += length
    length = struct.unpack(">H", msg[off + 2:off + 4])[0]
    head = 4 if np == SK else 8
    if off + length != len(msg) or struct.unpack(">I", msg[24:28])[0] != len(msg):
        fail("SK payload is not the last, or the IKE Length is wrong")
    return msg[:off + head], msg[off + head:off + length]


EXCHANGES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}


def capture_file(captures):
    groups = []
    for name in ("gcm", "cbc"):
        directory = os.path.join(captures, name)
        capture = os.path.join(directory, "capture.pcap")
        keys = load_keys(directory)
        decrypted = tshark_messages(capture, open(os.path.join(directory, "ikev2_decryption_table")).read().strip())
        messages = ike_messages(capture)
        tests = []
        for number, d in sorted(decrypted.items()):
            if d["verdict"] != "correct":
                fail("%s frame %d: tshark says the ICV is %s" % (capture, number, d["verdict"]))
            msg = messages[number]
            ad, body = split_sk(msg)
            initiator = msg[19] & 0x08 != 0
            iv_size = SIZES[keys["encr"]][0]
            plaintext = d.get("contained", "")
            padding = d.get("padding", "")
            pad_length = int(d["pad_length"], 16)
            if d["decrypted"] != plaintext + padding + d["pad_length"] or len(padding) // 2 != pad_length:
                fail("%s frame %d: tshark's decrypted data does not add up" % (capture, number))
            if body[:iv_size].hex() != d["iv"] or body[-len(d["icd"]) // 2:].hex() != d["icd"]:
                fail("%s frame %d: IV or ICV differ between Scapy and tshark" % (capture, number))
            what = "%s %s (Message ID %d) from the %s" % (
                EXCHANGES.get(msg[18], str(msg[18])), "response" if msg[19] & 0x20 else "request",
                struct.unpack(">I", msg[20:24])[0], "initiator" if initiator else "responder")
            t = dict(comment="strongSwan 5.9.8 capture %s frame %d: %s, %d bytes of inner payloads, pad length %d"
                     % (name, number, what, len(plaintext) // 2, pad_length),
                     flags=[], source="capture strongswan/%s/capture.pcap frame %d; plaintext decrypted by tshark "
                     "(Wireshark 4.0) with ikev2_decryption_table" % (name, number),
                     encrKey=keys["sk_ei" if initiator else "sk_er"],
                     integKey=keys["sk_ai" if initiator else "sk_ar"] if keys["integ"] != "NONE" else "",
                     associatedData=ad.hex(), iv=d["iv"], plaintext=plaintext, padLength=pad_length)
            if padding and padding != "00" * pad_length:
                t["padding"] = padding
            t.update(body=body.hex(), result="valid")
            tests.append(t)
        group = {"encr": keys["encr"], "encrKeySize": keys["bits"], "integ": keys["integ"]}
        # Check the independent HMAC and AEAD before trusting them to build
        # invalid cases.
        if keys["encr"] == "ENCR_AES_CBC":
            digest, icv = HMACS[keys["integ"]]
            for t in tests:
                covered = bytes.fromhex(t["associatedData"] + t["body"])[:-icv]
                if hmac.new(bytes.fromhex(t["integKey"]), covered, digest).digest()[:icv].hex() != t["body"][-2 * icv:]:
                    fail("Python hmac does not reproduce the ICV of %s" % t["comment"])
        else:
            for t in tests:
                plain = bytes.fromhex(t["plaintext"] + t.get("padding", "00" * t["padLength"])) + bytes([t["padLength"]])
                iv = bytes.fromhex(t["iv"])
                if (iv + aead_seal(keys["encr"], bytes.fromhex(t["encrKey"]), iv, bytes.fromhex(t["associatedData"]),
                                   plain)).hex() != t["body"]:
                    fail("Python cryptography does not reproduce %s" % t["comment"])
        edited = []
        for t in tests[:2]:
            for v in invalid_variants(t, group):
                v["source"] = t["source"].split(";")[0] + ", edited here"
                edited.append(v)
        group["tests"] = tests + edited
        groups.append(group)
    return doc(groups, "strongSwan 5.9.8 captures (/work/shared/data/strongswan/{gcm,cbc}), decrypted by tshark",
               ["Each valid test is one IKE message of a capture: associatedData = IKE header || SK payload "
                "header, body = IV || ciphertext || ICV, both from the wire (Scapy); keys from the Wireshark "
                "ikev2_decryption_table strongSwan wrote; plaintext, padding and Pad Length as tshark decrypted "
                "them, with tshark reporting the ICV correct.",
                "Invalid tests are valid ones with bytes edited by tools/vectors/capture_sk.py (comment says how)."])


def doc(groups, source, header):
    n = 0
    for g in groups:
        for t in g["tests"]:
            n += 1
            t["tcId"] = n
            # tcId first, then the rest in a stable order
            ordered = {"tcId": n}
            ordered.update({k: t[k] for k in ("comment", "flags", "source") if k in t})
            ordered.update({k: v for k, v in t.items() if k not in ordered})
            t.clear()
            t.update(ordered)
    return {
        "algorithm": "IKEv2 Encrypted payload",
        "schema": "ike_sk_test_schema_v1",
        "numberOfTests": n,
        "source": source,
        "header": header + ["Written by tools/vectors/capture_sk.py; do not edit by hand."],
        "notes": {
            "ModifiedIcv": {"bugType": "AUTH_BYPASS", "description": "An ICV bit is flipped: RFC 7296 section 3.14 "
                            "and 2.21.2 require the message to be dropped."},
            "ModifiedCiphertext": {"bugType": "AUTH_BYPASS", "description": "A ciphertext bit is flipped: the ICV "
                                   "no longer verifies."},
            "Truncated": {"bugType": "MALFORMED_INPUT", "description": "The body is cut short (lengths in the "
                          "headers adjusted): too short for IV, Pad Length and ICV, not whole blocks, or an ICV "
                          "that no longer verifies."},
            "PadLengthTooLarge": {"bugType": "MALFORMED_INPUT", "description": "An authentic body whose Pad Length "
                                  "exceeds the decrypted data (RFC 7296 section 3.14)."},
        },
        "testGroups": groups,
    }


def write_json(path, d):
    with open(path, "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
    print("wrote %s (%d tests)" % (os.path.relpath(path, ROOT), d["numberOfTests"]))


# ---- fuzz seeds -----------------------------------------------------------

# Option bits of fuzz/ike_sk_fuzzer.cc.
SK_FLAG_IGNORE_ICV = 1


def write_seeds(docs):
    fuzzer = open(os.path.join(ROOT, "fuzz", "ike_sk_fuzzer.cc")).read()
    suites = re.findall(r'^\s*\{"[^"]*", Encr::\w+, \d+, Integ::\w+, "([0-9a-f]*)", "[0-9a-f]*"\},', fuzzer, re.M)
    if not suites:
        fail("no kPublishedSuites entries found in fuzz/ike_sk_fuzzer.cc")
    sk_dir, skf_dir = os.path.join(CORPUS, "ike_sk"), os.path.join(CORPUS, "ike_skf")
    for d in (sk_dir, skf_dir):
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    count = 0
    for name, d in docs:
        for g in d["testGroups"]:
            for t in g["tests"]:
                if t["encrKey"] not in suites:
                    continue
                index = suites.index(t["encrKey"])
                message = bytes.fromhex(t["associatedData"] + t["body"])
                flags = 0 if t["result"] == "valid" else SK_FLAG_IGNORE_ICV
                seed = bytes([index, flags]) + message
                fname = "%s_tc%d_%s_%s" % (name, t["tcId"], t["result"], (t.get("flags") or ["ok"])[0].lower())
                open(os.path.join(sk_dir, fname), "wb").write(seed)
                count += 1
    # Reassembler seeds: the capture plaintexts cut into fragments and
    # delivered out of order, with a duplicate and a restart.
    skf = 0
    for name, d in docs:
        for g in d["testGroups"]:
            for t in g["tests"]:
                if t["result"] != "valid" or len(t["plaintext"]) < 40:
                    continue
                plain = bytes.fromhex(t["plaintext"])
                for size, order in ((64, "reverse"), (100, "dup")):
                    pieces = [plain[i:i + size] for i in range(0, len(plain), size)]
                    total = len(pieces)
                    numbers = list(range(1, total + 1))
                    if order == "reverse":
                        numbers.reverse()
                    else:
                        numbers = numbers[:1] + numbers + numbers[-1:]
                    seed = bytes([64]) + struct.pack(">H", 4096)
                    for nr in numbers:
                        p = pieces[nr - 1]
                        seed += struct.pack(">HHBB", nr, total, 35 if nr == 1 else 0, len(p)) + p
                    fname = "%s_tc%d_%d_fragments_%s" % (name, t["tcId"], total, order)
                    open(os.path.join(skf_dir, fname), "wb").write(seed)
                    skf += 1
    print("wrote %d seeds to fuzz/corpus/ike_sk and %d to fuzz/corpus/ike_skf" % (count, skf))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--captures", default="/work/shared/data/strongswan")
    ap.add_argument("--seeds", action="store_true")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    docs = [("rfc7634", rfc7634_file()), ("strongswan", capture_file(args.captures))]
    for name, d in docs:
        write_json(os.path.join(OUT, "sk_%s.json" % name), d)
    if args.seeds:
        write_seeds(docs)


if __name__ == "__main__":
    main()
