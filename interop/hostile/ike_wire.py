"""ike_wire.py: the few IKEv2 messages the hostile tests send, built from
RFC 7296 §3 by hand, and the answers they get, read with Scapy's IKEv2
layer (scapy.contrib.ikev2: an implementation independent of ipsecref).
"""
import os
import struct

from scapy.contrib.ikev2 import IKEv2, IKEv2_payload_Notify

# RFC 7296 §3.2 payload types, §3.1 exchange types and flags, §3.10.1 notify types.
SA, KE, NONCE, NOTIFY, ENCRYPTED = 33, 34, 40, 41, 46
IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL = 34, 35, 36, 37
FLAG_INITIATOR, FLAG_VERSION, FLAG_RESPONSE = 0x08, 0x10, 0x20
COOKIE = 16390
INVALID_IKE_SPI, INVALID_MAJOR_VERSION, INVALID_SYNTAX = 4, 5, 7
NON_ESP_MARKER = b"\x00\x00\x00\x00"  # RFC 3948 §2.2


def header(spi_i, spi_r, next_payload, exchange, flags, message_id, length):
    """The IKE header (RFC 7296 §3.1): version 2.0."""
    return struct.pack("!8s8sBBBBII", spi_i, spi_r, next_payload, 0x20, exchange, flags, message_id, length)


def generic(next_payload, body):
    """A payload: the generic payload header (§3.2), not critical."""
    return struct.pack("!BBH", next_payload, 0, 4 + len(body)) + body


def transform(last, kind, ident, attributes=b""):
    """A transform substructure (§3.3.2)."""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attributes), kind, 0, ident) + attributes


def ike_sa_init_request(spi_i):
    """HDR, SAi1, KEi, Ni (§1.2): aes128gcm16-prfsha256-x25519,
    as the gateway's connection proposes; the key exchange data is random
    (32 octets, the size of a Curve25519 public value, RFC 8031 §2)."""
    transforms = (transform(False, 1, 20, struct.pack("!HH", 0x800E, 128))  # ENCR_AES_GCM_16, key length 128
                  + transform(False, 2, 5)                                # PRF_HMAC_SHA2_256
                  + transform(True, 4, 31))                               # Curve25519
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 3) + transforms
    body = generic(KE, proposal)
    body += generic(NONCE, struct.pack("!HH", 31, 0) + os.urandom(32))
    body += generic(0, os.urandom(32))
    return header(spi_i, bytes(8), SA, IKE_SA_INIT, FLAG_INITIATOR, 0, 28 + len(body)) + body


def with_cookie(request, cookie):
    """The IKE_SA_INIT request again with N(COOKIE) first and the rest
    unchanged, as RFC 7296 §2.6 says an initiator repeats it."""
    first = request[16]
    body = generic(first, struct.pack("!BBH", 0, 0, COOKIE) + cookie) + request[28:]
    return request[:16] + bytes([NOTIFY]) + request[17:24] + struct.pack("!I", 28 + len(body)) + body


def parse(data):
    """Reads an IKE message with Scapy: (header fields, [payload type], [notify type]).
    None when Scapy cannot read even the header."""
    if len(data) < 28:
        return None
    m = IKEv2(data)
    payloads, notifies = [], []
    p = m.payload
    kind = m.next_payload
    while p is not None and p.name != "NoPayload" and kind != 0:
        payloads.append(kind)
        if isinstance(p, IKEv2_payload_Notify):
            notifies.append(int(p.type))
        if not hasattr(p, "next_payload"):
            break
        kind = p.next_payload
        p = p.payload
    return {
        "spi_i": bytes(m.init_SPI), "spi_r": bytes(m.resp_SPI), "exchange": int(m.exch_type),
        "flags": int(m.flags), "message_id": int(m.id), "payloads": payloads, "notifies": notifies,
    }


def notify_data(data, notify_type):
    """The notification data of the first notify of this type, by Scapy."""
    p = IKEv2(data).payload
    while p is not None and p.name != "NoPayload":
        if isinstance(p, IKEv2_payload_Notify) and int(p.type) == notify_type:
            return bytes(p.load)
        p = p.payload
    return None
