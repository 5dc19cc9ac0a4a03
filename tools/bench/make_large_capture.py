#!/usr/bin/env python3
"""Writes large captures for memory measurements of `ipsecref check`
(tools/bench/README.md, "Memory") and for the memory-bound test
(tools/ipsecref/tests/memory_cases.py).

  empty N    N records of 0 bytes (16-byte record header each)
  spis N     N ESP packets, each on its own SPI (no keys: not judged)
  esp N      N ESP packets of one SA, sequence numbers 1..N, every 1000th
             one missing (gaps), 64 bytes of (garbage) ciphertext each
  ike N      N IKE_SA_INIT requests (a bare RFC 7296 §3.1 header on UDP port
             500), each from its own initiator SPI

The format is libpcap's (https://wiki.wireshark.org/Development/LibpcapFileFormat):
a 24-byte file header, then per record a 16-byte header (seconds,
microseconds, captured length, original length) and the bytes. Link type
101 (LINKTYPE_RAW): each record is an IPv4 packet.

usage: make_large_capture.py {empty|spis|esp|ike} N OUT.pcap"""
import struct
import sys

LINKTYPE_RAW = 101


def ipv4(protocol, payload):
    total = 20 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, protocol, 0,
                         bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2]))
    # RFC 791 §3.1: the ones' complement of the ones' complement sum of the header's 16-bit words.
    words = sum(struct.unpack("!10H", header))
    while words > 0xffff:
        words = (words & 0xffff) + (words >> 16)
    return header[:10] + struct.pack("!H", ~words & 0xffff) + header[12:] + payload


def ipv4_esp(spi, seq, payload=b"\x00" * 64):
    return ipv4(50, struct.pack("!II", spi, seq) + payload)


def ipv4_ike_sa_init(spi_i):
    # Initiator SPI, responder SPI 0, next payload none, version 2.0,
    # IKE_SA_INIT (34), flags Initiator, message ID 0, length 28.
    ike = struct.pack("!QQBBBBII", spi_i, 0, 0, 0x20, 34, 0x08, 0, 28)
    return ipv4(17, struct.pack("!HHHH", 500, 500, 8 + len(ike), 0) + ike)


def records(kind, n):
    if kind == "empty":
        for i in range(n):
            yield i, b""
    elif kind == "spis":
        for i in range(n):
            yield i, ipv4_esp(0x10000 + i, 1)
    elif kind == "esp":
        for i in range(n):
            seq = i + 1
            if seq % 1000 == 0:
                continue
            yield i, ipv4_esp(0xc0ffee01, seq)
    elif kind == "ike":
        for i in range(n):
            yield i, ipv4_ike_sa_init(i + 1)
    else:
        raise SystemExit(f"unknown kind {kind!r}: empty, spis, esp or ike")


def write_capture(kind, n, path):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, LINKTYPE_RAW))
        chunk = []
        for i, packet in records(kind, n):
            chunk.append(struct.pack("<IIII", i // 1000, (i % 1000) * 1000, len(packet), len(packet)))
            chunk.append(packet)
            if len(chunk) >= 20000:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    write_capture(sys.argv[1], int(sys.argv[2]), sys.argv[3])


if __name__ == "__main__":
    main()
