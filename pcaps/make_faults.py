#!/usr/bin/python3
"""make_faults.py [OUTDIR | --verify] - damaged variants of the real captures, for
ipsecref check to find exactly what was done to them (see manifest.json).

Each variant changes one thing in a copy of a capture in pcaps/ and says which
packet now fails and why. Pure standard library, deterministic: running it
again gives the same bytes (ctest 'captures.faults_reproducible' checks that
the committed files are what this script makes: --verify builds them in a
temporary directory and compares them with pcaps/faults/).

  strongswan-gcm-flipped-bit.pcap  frame 7 (ESP SPI 0x30855da0, seq 2): one
                                   ciphertext bit flipped -> ICV failure at 7
  strongswan-gcm-duplicate.pcap    frame 9 (seq 3) sent twice -> the copy,
                                   frame 10, is a replay
  strongswan-gcm-snaplen.pcap      frame 11 (seq 4) recorded with 60 of its
                                   162 bytes -> cut, unverifiable, at 11
  strongswan-gcm-short-esp.pcap    frame 13 (seq 5): ESP cut to 20 bytes, IP and
                                   UDP lengths and IP checksum made consistent
                                   -> truncated ESP at 13
  strongswan-gcm-truncated-file.pcap  the file ends 10 bytes early, inside
                                   frame 16 -> read error naming packet 16
  strongswan-gcm-wrong-key/esp_sa  SA 0xf4befda5 with the last key bit (the
                                   salt's) flipped -> ICV failure at 6, 8, 10,
                                   12, 14
  linux-xfrm-ah-transport-flipped-bit.pcap  frame 6 (AH SPI 0xcff6410f, seq
                                   1): one ICMP payload bit flipped -> ICV
                                   failure at 6
  null-hmac-zero-padding.pcap and null-hmac-zero-padding/esp_sa
                                   one ESP packet made here (raw IP): tunnel
                                   mode, ENCR_NULL + HMAC-SHA1-96 (hmac module),
                                   SPI 0x00c0ffee, padded with zeros instead of
                                   1, 2, 3 -> verified, with a padding finding
"""
import hashlib
import hmac
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ETHERNET = 14


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit("%s: not a little-endian classic pcap" % path)
    header, records, at = data[:24], [], 24
    while at < len(data):
        sec, frac, caplen, wirelen = struct.unpack("<IIII", data[at:at + 16])
        records.append([sec, frac, bytearray(data[at + 16:at + 16 + caplen]), wirelen])
        at += 16 + caplen
    return header, records


def write_pcap(path, header, records):
    with open(path, "wb") as f:
        f.write(header)
        for sec, frac, frame, wirelen in records:
            f.write(struct.pack("<IIII", sec, frac, len(frame), wirelen))
            f.write(bytes(frame))


def ipv4_checksum(header):
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) | header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fix_ipv4(frame):
    ip = ETHERNET
    ihl = (frame[ip] & 0x0F) * 4
    struct.pack_into("!H", frame, ip + 2, len(frame) - ip)
    struct.pack_into("!H", frame, ip + 10, 0)
    struct.pack_into("!H", frame, ip + 10, ipv4_checksum(frame[ip:ip + ihl]))


def null_hmac_zero_padding(out):
    key = b"\x5a" * 20
    inner = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 23, 0, 0, 64, 253, 0,
                                  bytes([198, 51, 100, 1]), bytes([203, 0, 113, 1])) + b"\xab\xcd\xef")
    struct.pack_into("!H", inner, 10, ipv4_checksum(inner[:20]))
    # RFC 4303: payload, padding (here zeros, not 1 2 3), pad length, next
    # header (4: IPv4, tunnel mode), then an ICV over SPI .. next header.
    esp = struct.pack("!II", 0x00C0FFEE, 1) + bytes(inner) + b"\0\0\0" + bytes([3, 4])
    esp += hmac.new(key, esp, hashlib.sha1).digest()[:12]
    outer = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(esp), 1, 0, 64, 50, 0,
                                  bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])))
    struct.pack_into("!H", outer, 10, ipv4_checksum(outer))
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)  # LINKTYPE_RAW
    frame = bytearray(bytes(outer) + esp)
    write_pcap(os.path.join(out, "null-hmac-zero-padding.pcap"), header, [[1795768171, 0, frame, len(frame)]])
    keys = os.path.join(out, "null-hmac-zero-padding")
    os.makedirs(keys, exist_ok=True)
    open(os.path.join(keys, "esp_sa"), "w").write(
        '"IPv4","192.0.2.1","192.0.2.2","0x00c0ffee","NULL","","HMAC-SHA-1-96 [RFC2404]","0x%s"\n' % key.hex())


def main(out):
    os.makedirs(out, exist_ok=True)
    header, gcm = read_pcap(os.path.join(HERE, "strongswan-gcm", "capture.pcap"))

    recs = [list(r) for r in gcm]
    recs[6][2] = bytearray(recs[6][2])
    recs[6][2][len(recs[6][2]) - 20] ^= 0x01
    write_pcap(os.path.join(out, "strongswan-gcm-flipped-bit.pcap"), header, recs)

    recs = [list(r) for r in gcm]
    recs.insert(9, list(recs[8]))
    write_pcap(os.path.join(out, "strongswan-gcm-duplicate.pcap"), header, recs)

    recs = [list(r) for r in gcm]
    recs[10][2] = recs[10][2][:60]  # wire length stays 162
    write_pcap(os.path.join(out, "strongswan-gcm-snaplen.pcap"), header, recs)

    recs = [list(r) for r in gcm]
    frame = bytearray(recs[12][2])
    udp = ETHERNET + (frame[ETHERNET] & 0x0F) * 4
    frame = frame[:udp + 8 + 20]
    struct.pack_into("!H", frame, udp + 4, 8 + 20)
    fix_ipv4(frame)
    recs[12] = [recs[12][0], recs[12][1], frame, len(frame)]
    write_pcap(os.path.join(out, "strongswan-gcm-short-esp.pcap"), header, recs)

    whole = os.path.join(out, "strongswan-gcm-truncated-file.pcap")
    write_pcap(whole, header, gcm)
    with open(whole, "r+b") as f:
        f.truncate(os.path.getsize(whole) - 10)

    keys = os.path.join(out, "strongswan-gcm-wrong-key")
    os.makedirs(keys, exist_ok=True)
    lines = open(os.path.join(HERE, "strongswan-gcm", "esp_sa")).read().splitlines()
    wrong = []
    for line in lines:
        if "0xf4befda5" in line:
            fields = line.split(",")
            key = fields[5].strip('"')
            fields[5] = '"%s%x"' % (key[:-1], int(key[-1], 16) ^ 1)
            line = ",".join(fields)
        wrong.append(line)
    open(os.path.join(keys, "esp_sa"), "w").write("\n".join(wrong) + "\n")

    header, ah = read_pcap(os.path.join(HERE, "linux-xfrm-ah-transport", "capture.pcap"))
    recs = [list(r) for r in ah]
    recs[5][2] = bytearray(recs[5][2])
    recs[5][2][len(recs[5][2]) - 1] ^= 0x01
    write_pcap(os.path.join(out, "linux-xfrm-ah-transport-flipped-bit.pcap"), header, recs)

    null_hmac_zero_padding(out)


def verify():
    import filecmp
    import tempfile
    committed = os.path.join(HERE, "faults")
    with tempfile.TemporaryDirectory() as tmp:
        main(tmp)
        made = sorted(os.path.relpath(os.path.join(d, f), tmp) for d, _, fs in os.walk(tmp) for f in fs)
        have = sorted(os.path.relpath(os.path.join(d, f), committed) for d, _, fs in os.walk(committed) for f in fs)
        if made != have:
            print("faults/ holds %s, make_faults.py makes %s" % (have, made))
            return 1
        differ = [f for f in made if not filecmp.cmp(os.path.join(tmp, f), os.path.join(committed, f), shallow=False)]
        for f in differ:
            print("faults/%s differs from what make_faults.py makes" % f)
        if not differ:
            print("faults/: %d files, as make_faults.py makes them" % len(made))
        return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--verify"]:
        sys.exit(verify())
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "faults"))
