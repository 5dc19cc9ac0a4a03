#!/usr/bin/python3
"""Turn strongSwan charon level-4 logs into IKEv2 key-material vectors.

charon at level 4 (ike and chd subsystems) prints the Diffie-Hellman shared
secret, SKEYSEED, every SK_* key, the octets each AUTH covers, the PSK AUTH
computation and the Child SA seed (Ni | Nr) and keys as hex dumps. This script
reads those dumps from one or more logs of the same connection and writes a
vector file in the ike_keymat_test_schema_v1 shape (vectors/README.md).

The nonces and SPIs are taken from the logged AUTH octets (RealMessage |
Nonce | prf(SK_p, ID')): the SPIs are the first 16 bytes of the message,
Nr follows the initiator's message and Ni the responder's. When a capture is
given, each RealMessage is also looked for among the IKE_SA_INIT datagrams
(tshark must be installed) so the vectors are tied to the wire as well.

Usage:
  /usr/bin/python3 tools/vectors/charon_log_keymat.py \\
      --log /work/shared/data/strongswan/gcm/charon-a.log \\
      --log /work/shared/data/strongswan/gcm/charon-b.log \\
      --capture /work/shared/data/strongswan/gcm/capture.pcap \\
      --provenance-dir shared/data/strongswan/gcm \\
      --psk pf-test-psk-0123456789 \\
      --out vectors/ike/keymat_strongswan_gcm.json

Nothing here computes a key: every value written is one the log printed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

# strongSwan's algorithm names in "selected proposal:" lines -> IANA names
# (IKEv2 Transform Types 1, 2, 3) and key length in bits.
ENCR = {
    "AES_CBC_128": ("ENCR_AES_CBC", 128),
    "AES_CBC_192": ("ENCR_AES_CBC", 192),
    "AES_CBC_256": ("ENCR_AES_CBC", 256),
    "AES_GCM_16_128": ("ENCR_AES_GCM_16", 128),
    "AES_GCM_16_192": ("ENCR_AES_GCM_16", 192),
    "AES_GCM_16_256": ("ENCR_AES_GCM_16", 256),
    "CHACHA20_POLY1305_256": ("ENCR_CHACHA20_POLY1305", 0),
}
INTEG = {
    "HMAC_SHA1_96": "AUTH_HMAC_SHA1_96",
    "HMAC_SHA2_256_128": "AUTH_HMAC_SHA2_256_128",
    "HMAC_SHA2_384_192": "AUTH_HMAC_SHA2_384_192",
    "HMAC_SHA2_512_256": "AUTH_HMAC_SHA2_512_256",
    "AES_XCBC_96": "AUTH_AES_XCBC_96",
}
PRF = {
    "PRF_HMAC_SHA1": "PRF_HMAC_SHA1",
    "PRF_HMAC_SHA2_256": "PRF_HMAC_SHA2_256",
    "PRF_HMAC_SHA2_384": "PRF_HMAC_SHA2_384",
    "PRF_HMAC_SHA2_512": "PRF_HMAC_SHA2_512",
    "PRF_AES128_XCBC": "PRF_AES128_XCBC",
}

# "08:29:31 13[IKE] SKEYSEED => 32 bytes @ 0x7fefec00b140"
DUMP_HEAD = re.compile(r"^\S+ (\d+)\[(\w+)\] (.+?) => (\d+) bytes @ 0x[0-9a-f]+$")
# "08:29:31 13[IKE]   16: 4E 01 28 ...  N.(I;3.?e.L...D."
DUMP_LINE = re.compile(r"^\S+ (\d+)\[(\w+)\]\s+(\d+): (.*)$")
PROPOSAL = re.compile(r"selected proposal: (IKE|ESP):(\S+)")


class LogError(Exception):
    pass


def read_dumps(path):
    """Yields (label, bytes) for every hex dump, and ('proposal', text) lines."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        m = PROPOSAL.search(lines[i])
        if m:
            yield ("proposal:" + m.group(1), m.group(2))
            i += 1
            continue
        head = DUMP_HEAD.match(lines[i])
        i += 1
        if not head:
            continue
        thread, subsystem, label, size = head.group(1), head.group(2), head.group(3), int(head.group(4))
        data = bytearray()
        # The dump lines follow in the same thread; other threads may interleave.
        j = i
        while len(data) < size and j < len(lines):
            line = DUMP_LINE.match(lines[j])
            j += 1
            if not line or line.group(1) != thread or line.group(2) != subsystem:
                continue
            if int(line.group(3)) != len(data):
                raise LogError(f"{path}: dump of {label!r} jumps to offset {line.group(3)} at {len(data)}")
            # 16 columns of "XX " (48 characters), then the ASCII rendering.
            data += bytes.fromhex(line.group(4)[:48].replace(" ", ""))
        if len(data) != size:
            raise LogError(f"{path}: dump of {label!r} has {len(data)} bytes, header says {size}")
        yield (label, bytes(data))


def ike_header_length(message):
    if len(message) < 28:
        raise LogError("AUTH octets shorter than an IKE header")
    return int.from_bytes(message[24:28], "big")


def parse_log(path):
    """Collects what one charon log printed about its IKE SA."""
    out = {"auth": [], "path": path}
    current_auth = None
    for label, value in read_dumps(path):
        if label.startswith("proposal:"):
            out[label] = value
        elif label == "shared Diffie Hellman secret":
            out["gir"] = value
        elif label == "SKEYSEED":
            out["skeyseed"] = value
        elif label.startswith("Sk_") and label.endswith(" secret"):
            out["sk" + label[3:-len(" secret")]] = value  # "Sk_ai secret" -> skai
        elif label == "IDx'":
            current_auth = {"idPayloadRest": value}
            out["auth"].append(current_auth)
        elif label == "SK_p" and current_auth is not None:
            current_auth["skp"] = value
        elif label.startswith("octets = message + nonce + prf(Sk_px, IDx')") and current_auth is not None:
            current_auth["octets"] = value
        elif label == "secret" and current_auth is not None:
            current_auth["psk"] = value
        elif label == "prf(secret, keypad)" and current_auth is not None:
            current_auth["prfKeyPad"] = value
        elif label.startswith("AUTH = prf(prf(secret, keypad), octets)") and current_auth is not None:
            current_auth["auth"] = value
            current_auth = None
        elif label == "seed":
            out["childSeed"] = value
        elif label == "encryption initiator key":
            out["childEncrI"] = value
        elif label == "encryption responder key":
            out["childEncrR"] = value
        elif label == "integrity initiator key":
            out["childIntegI"] = value
        elif label == "integrity responder key":
            out["childIntegR"] = value
    return out


def split_auth(record, prf_size):
    """Cuts AUTH octets into RealMessage | peer Nonce Data | prf(SK_p, ID')."""
    octets = record["octets"]
    message_length = ike_header_length(octets)
    nonce_length = len(octets) - message_length - prf_size
    if nonce_length < 16:
        raise LogError(f"AUTH octets of {len(octets)} bytes leave a {nonce_length}-byte nonce")
    message = octets[:message_length]
    flags = message[19]
    return {
        "signer": "initiator" if flags & 0x08 else "responder",
        "realMessage": message,
        "peerNonce": octets[message_length:message_length + nonce_length],
        "macedId": octets[message_length + nonce_length:],
    }


def ike_sa_init_datagrams(capture):
    tshark = shutil.which("tshark")
    if tshark is None:
        raise LogError("--capture given but tshark is not installed")
    result = subprocess.run([tshark, "-r", capture, "-Y", "udp.port==500", "-T", "fields", "-e", "udp.payload"],
                            check=True, capture_output=True, text=True)
    return [bytes.fromhex(line.strip()) for line in result.stdout.splitlines() if line.strip()]


def hexs(b):
    return b.hex()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", action="append", required=True, help="charon level-4 log (repeatable)")
    ap.add_argument("--capture", help="capture.pcap of the same run, to find each RealMessage on the wire")
    ap.add_argument("--provenance-dir", required=True,
                    help="how the source directory is named in the vectors, e.g. shared/data/strongswan/gcm")
    ap.add_argument("--psk", help="expected PSK (checked against the logged 'secret')")
    ap.add_argument("--implementation", default="strongSwan 5.9.8", help="implementation named in the provenance")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    datagrams = ike_sa_init_datagrams(args.capture) if args.capture else None
    groups = {}
    tests = []

    def add(group_key, test):
        tests.append((group_key, {"tcId": len(tests) + 1, **test}))

    for path in args.log:
        log = parse_log(path)
        where = f"{args.implementation} charon level-4 log, {args.provenance_dir}/{os.path.basename(path)}"
        ike = log.get("proposal:IKE")
        esp = log.get("proposal:ESP")
        if ike is None or esp is None:
            raise LogError(f"{path}: no selected IKE and ESP proposals")
        ike_parts = ike.split("/")
        encr, encr_bits = ENCR[ike_parts[0]]
        integ = "NONE"
        prf = None
        for part in ike_parts[1:]:
            if part in PRF:
                prf = PRF[part]
            elif part in INTEG:
                integ = INTEG[part]
        esp_parts = esp.split("/")
        child_encr, child_bits = ENCR[esp_parts[0]]
        child_integ = next((INTEG[p] for p in esp_parts[1:] if p in INTEG), "NONE")
        group_key = (prf, encr, encr_bits, integ, child_encr, child_bits, child_integ)
        groups[group_key] = {
            "prf": prf, "encr": encr, "encrKeySize": encr_bits, "integ": integ,
            "childEncr": child_encr, "childEncrKeySize": child_bits, "childInteg": child_integ,
        }
        prf_size = len(log["skd"])  # SK_d has the PRF's preferred key size, its output size for these PRFs

        auths = [dict(a, **split_auth(a, prf_size)) for a in log["auth"]]
        by_signer = {a["signer"]: a for a in auths}
        if set(by_signer) != {"initiator", "responder"}:
            raise LogError(f"{path}: expected one initiator and one responder AUTH, found {sorted(by_signer)}")
        init, resp = by_signer["initiator"], by_signer["responder"]
        nr, ni = init["peerNonce"], resp["peerNonce"]
        if log["childSeed"] != ni + nr:
            raise LogError(f"{path}: Child SA seed is not Ni | Nr as read from the AUTH octets")
        if init["realMessage"][:8] != resp["realMessage"][:8]:
            raise LogError(f"{path}: the two IKE_SA_INIT messages name different initiator SPIs")
        spi_i = resp["realMessage"][:8]
        spi_r = resp["realMessage"][8:16]
        if datagrams is not None:
            for a in auths:
                if a["realMessage"] not in datagrams:
                    raise LogError(f"{path}: the {a['signer']}'s IKE_SA_INIT is not in the capture")
        for a in auths:
            if args.psk is not None and a["psk"] != args.psk.encode():
                raise LogError(f"{path}: logged secret differs from --psk")

        keys = {
            "comment": "IKE SA keys and the IKE_AUTH Child SA keys, as the daemon logged them",
            "source": where + ("; nonces and SPIs from its AUTH octets, IKE_SA_INIT messages found in "
                               f"{args.provenance_dir}/capture.pcap" if datagrams is not None else ""),
            "flags": [],
            "ni": hexs(ni), "nr": hexs(nr), "spii": hexs(spi_i), "spir": hexs(spi_r),
            "gir": hexs(log["gir"]), "skeyseed": hexs(log["skeyseed"]),
        }
        for name in ("skd", "skai", "skar", "skei", "sker", "skpi", "skpr"):
            keys[name] = hexs(log.get(name, b""))
        for name in ("childEncrI", "childIntegI", "childEncrR", "childIntegR"):
            keys[name] = hexs(log.get(name, b""))
        keys["result"] = "valid"
        add(group_key, keys)

        for a in sorted(auths, key=lambda a: a["signer"] != "initiator"):
            test = {
                "comment": f"{a['signer']}'s AUTH (shared key): "
                           f"{'RealMessage1 | NonceRData' if a['signer'] == 'initiator' else 'RealMessage2 | NonceIData'}"
                           " | prf(SK_p, RestOfIDPayload)",
                "source": where,
                "flags": [],
                "skp": hexs(a["skp"]),
                "realMessage": hexs(a["realMessage"]),
                "peerNonce": hexs(a["peerNonce"]),
                "idPayloadRest": hexs(a["idPayloadRest"]),
                "signedOctets": hexs(a["octets"]),
                "psk": hexs(a["psk"]),
                "prfKeyPad": hexs(a["prfKeyPad"]),
                "auth": hexs(a["auth"]),
                "result": "valid",
            }
            add(group_key, test)

        if path == args.log[0]:
            # Negative cases built from the first log: the logged values with
            # one thing wrong, which must not reproduce them.
            wrong = bytearray(init["auth"])
            wrong[-1] ^= 0x01
            add(group_key, {
                "comment": "initiator's AUTH with its last bit flipped: must not match",
                "source": where + " (last bit of AUTH flipped)",
                "flags": ["TamperedAuth"],
                "psk": hexs(init["psk"]), "signedOctets": hexs(init["octets"]), "auth": hexs(bytes(wrong)),
                "result": "invalid",
            })
            add(group_key, {
                "comment": "initiator's signed octets built with SK_pr instead of SK_pi: must not match",
                "source": where + " (SK_pr given in place of SK_pi)",
                "flags": ["WrongSkp"],
                "skp": hexs(resp["skp"]),
                "realMessage": hexs(init["realMessage"]), "peerNonce": hexs(init["peerNonce"]),
                "idPayloadRest": hexs(init["idPayloadRest"]), "signedOctets": hexs(init["octets"]),
                "result": "invalid",
            })

    doc = {
        "algorithm": "IKEv2-KEYMAT",
        "schema": "ike_keymat_test_schema_v1",
        "numberOfTests": len(tests),
        "source": f"{args.implementation} against {args.implementation}, IKEv2 PSK: charon level-4 logs in "
                  f"{args.provenance_dir} (the logs are not in this repository; "
                  "tools/vectors/charon_log_keymat.py extracted these values)",
        "notes": {
            "TamperedAuth": {"bugType": "AUTH_NOT_CHECKED",
                             "description": "An AUTH value that differs from prf(prf(PSK, pad), octets) must be refused."},
            "WrongSkp": {"bugType": "WRONG_KEY",
                         "description": "MACedIDForI is keyed with SK_pi; SK_pr must not give the initiator's octets."},
        },
        "testGroups": [],
    }
    for key, group in groups.items():
        group = dict(group)
        group["tests"] = [t for k, t in tests if k == key]
        doc["testGroups"].append(group)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"{args.out}: {len(tests)} tests", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except (LogError, KeyError) as e:
        sys.exit(f"charon_log_keymat: {e}")
