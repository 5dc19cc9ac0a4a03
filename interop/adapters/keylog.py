"""keylog.py: the keys implementations tell, as key files for `ipsecref check` and tshark.

Sources:
- `ip xfrm state` (the Linux kernel's SAs: every ESP/AH SA an IKE daemon
  installed, with its keys; read while the SAs exist, xfrm_keys);
- charon's log at level 4 (its IKE group prints the IKE SA's SPIs and keys,
  the CHD group the CHILD SA's; charon_keys);
- the reference gateway's --keys-out (keys.json, read as it is).
All go into one keys.json (README "Key files") per run, merged by SPI: two
ends tell the same SA, and the first telling is kept (`ipsecref check`
compares them anyway when both are given). Wireshark's esp_sa and
ikev2_decryption_table are written beside it for the algorithms Wireshark
4.0 names (wireshark_files).
"""
import json
import os
import re

# the kernel's algorithm names (ip xfrm state) -> IANA Transform Type 1 / 3 names;
# for AEADs the ICV length in bits picks the transform.
XFRM_AEAD = {
    ("rfc4106(gcm(aes))", 64): "ENCR_AES_GCM_8",
    ("rfc4106(gcm(aes))", 96): "ENCR_AES_GCM_12",
    ("rfc4106(gcm(aes))", 128): "ENCR_AES_GCM_16",
    ("rfc4309(ccm(aes))", 128): "ENCR_AES_CCM_16",
    ("rfc7539esp(chacha20,poly1305)", 128): "ENCR_CHACHA20_POLY1305",
}
XFRM_ENCR = {"cbc(aes)": "ENCR_AES_CBC", "rfc3686(ctr(aes))": "ENCR_AES_CTR", "ecb(cipher_null)": "ENCR_NULL"}
XFRM_INTEG = {
    ("hmac(sha1)", 96): "AUTH_HMAC_SHA1_96",
    ("hmac(sha256)", 128): "AUTH_HMAC_SHA2_256_128",
    ("hmac(sha384)", 192): "AUTH_HMAC_SHA2_384_192",
    ("hmac(sha512)", 256): "AUTH_HMAC_SHA2_512_256",
    ("xcbc(aes)", 96): "AUTH_AES_XCBC_96",
    ("cmac(aes)", 96): "AUTH_AES_CMAC_96",
}


def parse_xfrm_state(text):
    """The ESP SAs of `ip xfrm state` output, as keys.json esp entries."""
    sas, sa = [], None
    for line in text.splitlines():
        words = line.split()
        if line.startswith("src "):
            sa = {"src": words[1], "dst": words[3]}
            sas.append(sa)
            continue
        if sa is None or not words:
            continue
        if words[0] == "proto":
            sa["proto"] = words[1]
            sa["spi"] = words[words.index("spi") + 1]
            if "mode" in words:
                sa["mode"] = words[words.index("mode") + 1]
        elif words[0] == "replay-window":
            sa["esn"] = "esn" in words
        elif words[0] == "aead":
            sa["encr"] = XFRM_AEAD.get((words[1], int(words[3])), words[1])
            sa["encr_key"] = words[2][2:]
            sa["integ"] = "NONE"
        elif words[0] == "enc":
            sa["encr"] = XFRM_ENCR.get(words[1], words[1])
            sa["encr_key"] = words[2][2:]
        elif words[0] in ("auth-trunc", "auth"):
            bits = int(words[3]) if len(words) > 3 else 96
            sa["integ"] = XFRM_INTEG.get((words[1], bits), words[1])
            sa["integ_key"] = words[2][2:]
        elif words[0] == "encap":
            sa["udp_encapsulation"] = True
    out = []
    for sa in sas:
        if sa.get("proto") != "esp" or "encr" not in sa or not sa["encr"].startswith("ENCR_"):
            continue
        if sa.get("integ", "NONE") != "NONE" and not sa["integ"].startswith("AUTH_"):
            continue
        entry = {k: sa[k] for k in ("src", "dst", "spi", "encr", "encr_key", "integ", "integ_key", "esn", "mode",
                                    "udp_encapsulation") if k in sa}
        entry.setdefault("udp_encapsulation", False)
        out.append(entry)
    return out


def xfrm_keys(lab, ns):
    r = lab.run(ns, ["/usr/sbin/ip", "xfrm", "state"], check=False)
    return parse_xfrm_state(r.stdout) if r.returncode == 0 else []


# charon's log with ike = 4, chd = 4, enc = 1 (strongSwan 5.9.8): a key is a dump,
#   "16[IKE] Sk_ei secret => 20 bytes @ 0x55b626981d10" and lines "   0: A9 26 5A ...  text";
# an IKE SA's keys follow its SKEYSEED (Sk_d, Sk_ai, Sk_ar, Sk_ei, Sk_er, ...), and the
# SPIs of the first one are the first 16 octets of the NAT detection input logged just
# before (natd_chunk); a CHILD SA's keys ("encryption initiator key", ..., "integrity
# responder key") are followed by "adding inbound ESP SA" / "adding outbound ESP SA"
# with "  SPI 0x..., src A dst B". Whether this end initiated the exchange that made
# them is the last "parsed X request|response" (enc group) before them: the initiator
# keys protect what the exchange initiator sends (RFC 7296 section 2.17).
DUMP_HEAD = re.compile(r"\[(IKE|CHD)\] (Sk_d|Sk_ei|Sk_er|Sk_ai|Sk_ar|natd_chunk|encryption initiator key|"
                       r"encryption responder key|integrity initiator key|integrity responder key)"
                       r"(?: secret)? => (\d+) bytes")
DUMP_LINE = re.compile(r"\[(?:IKE|CHD)\]\s+\d+: ((?:[0-9A-F]{2} )+)")
PARSED = re.compile(r"\[ENC\] parsed \S+ (request|response)")
ADDING = re.compile(r"\[CHD\] adding (inbound|outbound) (ESP|AH) SA")
SPI_LINE = re.compile(r"\[CHD\]\s+SPI 0x([0-9a-f]{8}), src (\S+) dst (\S+)")


def charon_events(path):
    """The log as events: ("dump", label, hex), ("parsed", request|response), ("sa", direction, spi, src, dst)."""
    events, dump, want, direction = [], None, 0, None
    with open(path, errors="replace") as f:
        for line in f:
            m = DUMP_LINE.search(line)
            if m and dump is not None and len(dump[2]) < want:
                dump[2] += m.group(1).replace(" ", "").lower()
                continue
            dump = None
            m = DUMP_HEAD.search(line)
            if m:
                dump, want = ["dump", m.group(2), ""], int(m.group(3)) * 2
                events.append(dump)
                continue
            m = PARSED.search(line)
            if m:
                events.append(("parsed", m.group(1)))
                continue
            m = ADDING.search(line)
            if m:
                direction = m.group(1)
                continue
            m = SPI_LINE.search(line)
            if m and direction:
                events.append(("sa", direction, m.group(1), m.group(2), m.group(3)))
                direction = None
    return events


def charon_keys(path, ike_spis, ike_transforms, esp_transforms):
    """(ike, esp) keys.json entries from a charon key log. ike_spis: the IKE SAs' SPI pairs this
    end listed, in the order they appeared (they name the derivations after the first);
    ike_transforms / esp_transforms: (encr, integ) IANA names of the case's proposals."""
    ike, esp, keys, initiated = [], [], {}, None
    natd_spis, derivations = None, 0
    pending = []  # CHILD SA installs waiting for their keys' owner
    for ev in charon_events(path):
        if ev[0] == "parsed":
            initiated = ev[1] == "response"
        elif ev[0] == "dump":
            label, value = ev[1], ev[2]
            if label == "natd_chunk" and value[16:32] != "0" * 16:
                natd_spis = (value[:16], value[16:32])
            elif label == "Sk_d":
                keys = {}
                derivations += 1
            elif label.startswith("Sk_"):
                keys[label] = value
                if all(k in keys for k in ("Sk_ei", "Sk_er")) and \
                        (ike_transforms[1] == "NONE" or all(k in keys for k in ("Sk_ai", "Sk_ar"))):
                    spis = natd_spis if derivations == 1 and natd_spis else \
                        (tuple(ike_spis[derivations - 1]) if derivations <= len(ike_spis) else None)
                    if spis:
                        entry = {"spi_i": "0x" + spis[0], "spi_r": "0x" + spis[1], "encr": ike_transforms[0],
                                 "sk_ei": keys["Sk_ei"], "sk_er": keys["Sk_er"], "integ": ike_transforms[1]}
                        if ike_transforms[1] != "NONE":
                            entry.update(sk_ai=keys["Sk_ai"], sk_ar=keys["Sk_ar"])
                        ike.append(entry)
                    keys = {}
            else:
                keys[label] = value
        elif ev[0] == "sa" and "encryption initiator key" in keys:
            # the initiator's keys protect what the exchange initiator sends: its outbound SA
            mine = "initiator" if (ev[1] == "outbound") == bool(initiated) else "responder"
            entry = {"src": ev[3], "dst": ev[4], "spi": "0x" + ev[2], "encr": esp_transforms[0],
                     "encr_key": keys["encryption %s key" % mine], "integ": esp_transforms[1]}
            if esp_transforms[1] != "NONE":
                entry["integ_key"] = keys.get("integrity %s key" % mine, "")
            if esp_transforms[2]:
                entry["esn"] = True
            esp.append(entry)
    return ike, esp


# strongSwan's proposal keywords -> IANA names, for the transforms the cases use
ENCR_KEYWORDS = {"aes128gcm16": "ENCR_AES_GCM_16", "aes256gcm16": "ENCR_AES_GCM_16", "aes128": "ENCR_AES_CBC",
                 "aes256": "ENCR_AES_CBC", "chacha20poly1305": "ENCR_CHACHA20_POLY1305"}
INTEG_KEYWORDS = {"sha256": "AUTH_HMAC_SHA2_256_128", "sha384": "AUTH_HMAC_SHA2_384_192", "sha1": "AUTH_HMAC_SHA1_96"}


def transforms(proposal):
    """(encr, integ, esn) IANA names of a one-proposal keyword string such as aes256-sha256-modp3072."""
    words = proposal.split("-")
    encr = next((ENCR_KEYWORDS[w] for w in words if w in ENCR_KEYWORDS), "unknown")
    integ = next((INTEG_KEYWORDS[w] for w in words if w in INTEG_KEYWORDS), "NONE")
    return encr, integ, "esn" in words


def merge(keys_dir, entries, kind):
    """Adds entries (keys.json kind "esp" or "ike") to keys_dir/keys.json, one per SPI (pair)."""
    path = os.path.join(keys_dir, "keys.json")
    data = {"format": "ipsecref-keys", "version": 1}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    have = data.setdefault(kind, [])
    ident = (lambda e: (int(str(e["spi_i"]), 16), int(str(e["spi_r"]), 16))) if kind == "ike" else \
        (lambda e: (int(str(e["spi"]), 16) if isinstance(e["spi"], str) else e["spi"], e["dst"]))
    seen = {ident(e) for e in have}
    added = 0
    for e in entries:
        if ident(e) not in seen:
            have.append(e)
            seen.add(ident(e))
            added += 1
    if not have:
        del data[kind]
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    return added


def write_keys(keys_dir, ike, esp, source):
    os.makedirs(keys_dir, exist_ok=True)
    n = merge(keys_dir, ike, "ike") + merge(keys_dir, esp, "esp")
    return ["%s: %d SAs" % (source, n)]


# Wireshark 4.0's names (esp_sa, ikev2_decryption_table) of the transforms the cases use
WS_ESP_ENCR = {"ENCR_AES_GCM_16": "AES-GCM with 16 octet ICV [RFC4106]", "ENCR_AES_CBC": "AES-CBC [RFC3602]",
               "ENCR_NULL": "NULL"}
WS_ESP_INTEG = {"NONE": "NULL", "AUTH_HMAC_SHA2_256_128": "HMAC-SHA-256-128 [RFC4868]",
                "AUTH_HMAC_SHA1_96": "HMAC-SHA-1-96 [RFC2404]"}
WS_IKE_ENCR = {("ENCR_AES_GCM_16", 128): "AES-GCM-128 with 16 octet ICV [RFC5282]",
               ("ENCR_AES_GCM_16", 256): "AES-GCM-256 with 16 octet ICV [RFC5282]",
               ("ENCR_AES_CBC", 128): "AES-CBC-128 [RFC3602]", ("ENCR_AES_CBC", 256): "AES-CBC-256 [RFC3602]"}
WS_IKE_INTEG = {"NONE": "NONE [RFC4306]", "AUTH_HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
                "AUTH_HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]"}


def wireshark_files(keys_dir):
    """Writes esp_sa and ikev2_decryption_table from keys_dir/keys.json for what Wireshark can name;
    returns how many SAs it could not name."""
    path = os.path.join(keys_dir, "keys.json")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        data = json.load(f)
    esp_rows, ike_rows, unnamed = [], [], 0
    for e in data.get("esp", []):
        encr, integ = WS_ESP_ENCR.get(e["encr"]), WS_ESP_INTEG.get(e.get("integ", "NONE"))
        if encr is None or integ is None or e.get("esn"):
            unnamed += 1
            continue
        family = "IPv6" if ":" in e["src"] + e["dst"] else "IPv4"
        spi = e["spi"] if isinstance(e["spi"], str) else "0x%08x" % e["spi"]
        ike_key = e.get("integ_key", "")
        esp_rows.append('"%s","%s","%s","%s","%s","0x%s","%s","%s"' % (
            family, e["src"], e["dst"], spi, encr, e["encr_key"], integ, "0x" + ike_key if ike_key else ""))
    for e in data.get("ike", []):
        bits = e.get("encr_key_bits") or (len(e["sk_ei"]) // 2 - (4 if "GCM" in e["encr"] else 0)) * 8
        encr, integ = WS_IKE_ENCR.get((e["encr"], bits)), WS_IKE_INTEG.get(e.get("integ", "NONE"))
        if encr is None or integ is None:
            unnamed += 1
            continue
        ike_rows.append("%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"" % (
            str(e["spi_i"]).replace("0x", ""), str(e["spi_r"]).replace("0x", ""), e["sk_ei"], e["sk_er"], encr,
            e.get("sk_ai", ""), e.get("sk_ar", ""), integ))
    with open(os.path.join(keys_dir, "esp_sa"), "w") as f:
        f.write("".join(r + "\n" for r in esp_rows))
    with open(os.path.join(keys_dir, "ikev2_decryption_table"), "w") as f:
        f.write("".join(r + "\n" for r in ike_rows))
    return unnamed
