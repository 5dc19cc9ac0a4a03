#!/usr/bin/env python3
"""fake_ike_target.py ADDRESS PORT MODE [--log FILE]: the negative control's IUT.

A tiny UDP "IKE responder" that refuses every IKE_SA_INIT request it can
read with an unprotected N(NO_PROPOSAL_CHOSEN) response (RFC 7296 §3.1
header with the request's SPIi, zero SPIr, the R flag, Message ID 0; §3.10
Notify): an answer RFC 7296 §2.21.1 allows, so that a fresh tester's
IKE_SA_INIT counts as answered. A request it finds malformed (a payload
other than SA, KE, Nonce, N or Vendor ID; the critical bit on any payload;
SA, KE or Nonce missing or twice; payload lengths that do not add up to the
header's Length and the datagram's size) gets, by MODE:

  hang    nothing, and nothing more is answered from then on: a crash or a
          hang as the fuzzer sees it (its probe must find it);
  syntax  an unprotected N(INVALID_SYNTAX) IKE_SA_INIT response, which
          §2.21.1 forbids (INVALID_SYNTAX goes only in a protected message):
          the fuzzer's rule R4 must find it.
  honest  N(NO_PROPOSAL_CHOSEN) like any other (no finding expected).

Responses (R flag set) are never answered. Runs until killed.
"""
import socket
import struct
import sys

IKE_SA_INIT = 34
FLAG_RESPONSE = 0x20
SA, KE, NONCE, NOTIFY, VENDOR_ID = 33, 34, 40, 41, 43
NO_PROPOSAL_CHOSEN, INVALID_SYNTAX = 14, 7


def malformed(data):
    """Why the IKE_SA_INIT request is malformed, or None."""
    if len(data) < 28:
        return "shorter than an IKE header"
    next_payload = data[16]
    length = struct.unpack("!I", data[24:28])[0]
    if length != len(data):
        return "header Length %d, datagram %d" % (length, len(data))
    offset, seen = 28, []
    while next_payload != 0:
        if next_payload not in (SA, KE, NONCE, NOTIFY, VENDOR_ID):
            return "payload type %d" % next_payload
        if offset + 4 > len(data):
            return "payload header past the end"
        following, flags, plen = struct.unpack("!BBH", data[offset:offset + 4])
        if flags & 0x80:
            return "critical bit on payload %d" % next_payload
        if plen < 4 or offset + plen > len(data):
            return "payload length %d" % plen
        seen.append(next_payload)
        offset += plen
        next_payload = following
    if offset != len(data):
        return "%d bytes after the last payload" % (len(data) - offset)
    for t in (SA, KE, NONCE):
        if seen.count(t) != 1:
            return "payload %d %d times" % (t, seen.count(t))
    return None


def answer(request, notify_type):
    notify = struct.pack("!BBHBBH", 0, 0, 8, 0, 0, notify_type)
    header = request[:8] + bytes(8) + struct.pack("!BBBBII", NOTIFY, 0x20, IKE_SA_INIT, FLAG_RESPONSE, 0,
                                                  28 + len(notify))
    return header + notify


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in ("hang", "syntax", "honest"):
        print(__doc__, file=sys.stderr)
        return 2
    address, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    log = open(sys.argv[sys.argv.index("--log") + 1], "a") if "--log" in sys.argv else sys.stderr
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    print("listening on %s:%d (%s)" % (address, port, mode), file=log, flush=True)
    dead = False
    while True:
        data, peer = s.recvfrom(65535)
        if dead or len(data) < 28 or data[19] & FLAG_RESPONSE or data[18] != IKE_SA_INIT:
            print("ignored %d bytes from %s%s" % (len(data), peer, " (hung)" if dead else ""), file=log, flush=True)
            continue
        why = malformed(data)
        print("IKE_SA_INIT from %s: %s" % (peer, why or "well formed"), file=log, flush=True)
        if why and mode == "hang":
            dead = True
            print("hanging from now on", file=log, flush=True)
            continue
        s.sendto(answer(data, INVALID_SYNTAX if why and mode == "syntax" else NO_PROPOSAL_CHOSEN), peer)


if __name__ == "__main__":
    sys.exit(main())
