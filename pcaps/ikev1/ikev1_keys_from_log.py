#!/usr/bin/python3
"""Writes Wireshark's key files of an IKEv1 capture from a charon log.

  ikev1_keys_from_log.py CHARON_LOG CAPTURE > ikev1_decryption_table
  ikev1_keys_from_log.py --esp-sa CHARON_LOG > esp_sa

strongSwan (keymat_v1.c) logs at ike level 4 each ISAKMP SA's
"encryption key Ka => N bytes" as a hex dump. Wireshark's table maps an
initiator cookie to that key, one row per ISAKMP SA:
<initiator cookie hex>,<encryption key hex> (hex fields are unquoted in this UAT). The cookies come from the
capture (tshark, in the order their first message appears), the keys from
the log in the order they were derived; the two lists must be as long.
Exit 1 when they are not, or when either is empty.
"""
import re
import subprocess
import sys

DUMP = re.compile(r"\[IKE\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})")


def keys(log_path):
    found = []
    lines = open(log_path, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"\[IKE\] encryption key Ka => (\d+) bytes", line)
        if not m:
            continue
        size, hexes = int(m.group(1)), ""
        for follow in lines[i + 1:]:
            d = DUMP.search(follow)
            if not d or len(hexes) >= 2 * size:
                break
            hexes += d.group(1).replace(" ", "").lower()
        found.append(hexes[:2 * size])
    return found


def dumps(log_path, label):
    """The hex dumps logged under `label` ("encryption initiator key"), in order."""
    found = []
    lines = open(log_path, errors="replace").read().splitlines()
    pattern = re.compile(r"\] %s => (\d+) bytes" % re.escape(label))
    for i, line in enumerate(lines):
        m = pattern.search(line)
        if not m:
            continue
        size, hexes = int(m.group(1)), ""
        for follow in lines[i + 1:]:
            d = re.search(r"\[[A-Z]{3}\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})", follow)
            if not d or len(hexes) >= 2 * size:
                break
            hexes += d.group(1).replace(" ", "").lower()
        found.append(hexes[:2 * size])
    return found


def esp_sa(log_path):
    """Wireshark esp_sa rows for the CHILD SAs of the log's daemon, which
    initiated each Quick Mode: strongSwan logs, per CHILD SA, the
    initiator's and responder's encryption and integrity keys (chd level 4)
    and "established with SPIs <in>_i <out>_o"; the initiator's keys protect
    what it sends (to the out SPI). ESP is AES-CBC with HMAC-SHA2-256-128,
    the recordings' proposal (record.sh)."""
    text = open(log_path, errors="replace").read()
    peers = re.search(r"IKE_SA \S+ established between ([0-9.]+)\[[^\]]*\]\.\.\.([0-9.]+)\[", text)
    spis = re.findall(r"CHILD_SA \S+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o", text)
    keys = [dumps(log_path, label) for label in ("encryption initiator key", "encryption responder key",
                                                 "integrity initiator key", "integrity responder key")]
    if not peers or not spis or any(len(k) != len(spis) for k in keys):
        return None
    me, other = peers.group(1), peers.group(2)
    rows = []
    for n, (spi_in, spi_out) in enumerate(spis):
        for src, dst, spi, e, a in ((me, other, spi_out, keys[0][n], keys[2][n]),
                                    (other, me, spi_in, keys[1][n], keys[3][n])):
            rows.append('"IPv4","%s","%s","0x%s","AES-CBC [RFC3602]","0x%s","HMAC-SHA-256-128 [RFC4868]","0x%s"'
                        % (src, dst, spi, e, a))
    return rows


def cookies(capture):
    out = subprocess.run(["tshark", "-n", "-r", capture, "-Y", "isakmp.version == 0x10", "-T", "fields",
                          "-e", "isakmp.ispi"], capture_output=True, text=True, check=True).stdout
    seen = []
    for line in out.split():
        c = line.strip().replace(":", "").lower()
        if c and c not in seen:
            seen.append(c)
    return seen


def main(argv):
    if len(argv) == 3 and argv[1] == "--esp-sa":
        rows = esp_sa(argv[2])
        if not rows:
            print("ikev1_keys_from_log: no CHILD SA keys in the log", file=sys.stderr)
            return 1
        print("\n".join(rows))
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    k, c = keys(argv[1]), cookies(argv[2])
    if not k or len(k) != len(c):
        print(f"ikev1_keys_from_log: {len(k)} keys in the log, {len(c)} ISAKMP SAs in the capture", file=sys.stderr)
        return 1
    for cookie, key in zip(c, k):
        print(f"{cookie},{key}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
