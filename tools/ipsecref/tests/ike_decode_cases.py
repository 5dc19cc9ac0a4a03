#!/usr/bin/python3
"""ipsecref ike-decode against edited copies of a real IKE_SA_INIT request.

The base message is frame 1 of pcaps/strongswan-gcm/capture.pcap (strongSwan
5.9.8), as `tshark -r ... -Y frame.number==1 -T fields -e udp.payload` prints
it. Each case below edits it in one place and states, from RFC 7296, what a
receiver must do: accept it (exit 0, possibly with notes), or refuse it
naming the code, the offset and the Notify a responder sends: none where
the error would be INVALID_SYNTAX, which goes only in an encrypted message
whose Message ID and integrity check were valid (RFC 7296 §3.10.1), so a
malformed IKE_SA_INIT request is dropped (§2.21.1).

Layout of the base message (offsets from the IKE header):
  0 header (Length at 24), 28 SA (40 bytes), 68 KE (72: group at 72,
  RESERVED at 74, data 76..139), 140 Nonce (36), 176 N(NAT_DETECTION_SOURCE_IP),
  204 N(NAT_DETECTION_DESTINATION_IP), 232 N(IKEV2_FRAGMENTATION_SUPPORTED),
  240 N(SIGNATURE_HASH_ALGORITHMS), 256 N(REDIRECT_SUPPORTED), end 264.

usage: ike_decode_cases.py IPSECREF
"""
import json
import os
import subprocess
import sys
import tempfile

from peak_memory import bound_kb, run_measured

BASE = bytes.fromhex(
    "80ea419260b5b6ec00000000000000002120220800000000000001082200002800000024010100030300000c01000014800e0100"
    "030000080200000500000008040000132800004800130000f7e7e60a5b2c459e1b9ced52892a1e7c8d1def47f7419c4f5486104"
    "32434130d69c1c8a723a9d0a27082c0e9d3c475b55881a6251dcb9f68fb79a579ecfa155229000024da4e137e1c90d52c3d6096"
    "bac644afd6596bd676df1caf06acb28ae4c32fec2a2900001c000040049fcfd5276ac1dad436afa1c74856268935475adb290000"
    "1c000040058b946a9f706fa764131993f3cb09a26c246b1e21290000080000402e290000100000402f000200030004000500000"
    "00800004016")

# Frame 1 of pcaps/strongswan-ikev1-main/capture.pcap: IKEv1 Main Mode
# message 1 (SA with one KEY_IKE transform, five Vendor IDs).
IKEV1_MM1 = bytes.fromhex(
    "9e97d2be7358cd6400000000000000000110020000000000000000b40d00003800000001000000010000002c01010001000000"
    "240101000080010007800e0080800200048004000e80030001800b0001800c3de00d00000c09002689dfd6b7120d000014afca"
    "d71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000000d0000144a131c81070358455c"
    "5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f")


def put(msg, at, data):
    return msg[:at] + bytes(data) + msg[at + len(data):]


def with_length(msg):
    return put(msg, 24, len(msg).to_bytes(4, "big"))


def append_unknown(critical):
    # RFC 7296 §2.5: payload type 200 (unassigned) after the last Notify.
    m = put(BASE, 256, [200]) + bytes([0, 0x80 if critical else 0, 0, 8]) + bytes.fromhex("deadbeef")
    return with_length(m)


def short_nonce():
    # Nonce Data cut to 8 bytes (RFC 7296 §2.10 asks for at least 16).
    m = BASE[:140] + bytes([0x29, 0, 0, 12]) + BASE[144:152] + BASE[176:]
    return with_length(m)


def without_ke():
    # SA's Next Payload now names Nonce; the KE payload is gone.
    m = put(BASE[:68] + BASE[140:], 28, [40])
    return with_length(m)


# (name, message, exit code, expectations)
# expectations: "notes": number of notes at least; "code"/"offset"/"notify"/"requirement": of some violation
CASES = [
    ("unmodified", BASE, 0, {}),
    ("minor version 2.1 (RFC 7296 §2.5: minor version ignored)", put(BASE, 17, [0x21]), 0, {}),
    ("reserved Flags bits set (RFC 7296 §3.1: ignored)", put(BASE, 19, [0x89]), 0, {}),
    ("generic header RESERVED bit set (RFC 7296 §3.2: ignored)", put(BASE, 141, [0x01]), 0, {"notes": 1}),
    ("KE RESERVED not zero (RFC 7296 §3.4: ignored)", put(BASE, 74, [0, 1]), 0, {"notes": 1}),
    ("unknown non-critical payload (RFC 7296 §2.5: skipped)", append_unknown(False), 0, {"notes": 1}),
    ("unknown critical payload (RFC 7296 §2.5)", append_unknown(True), 1,
     {"code": "UnsupportedCriticalPayload", "offset": 264, "notify": "UNSUPPORTED_CRITICAL_PAYLOAD"}),
    ("major version 3 (RFC 7296 §2.5)", put(BASE, 17, [0x30]), 1,
     {"malformed": True, "code": "BadVersion", "offset": 17, "notify": "INVALID_MAJOR_VERSION"}),
    # Major version 1 is ISAKMP (RFC 2408 §3.1): decoded as IKEv1, where
    # IKEv2's payload types (33 ...) are unknown and skipped, its Critical
    # bits non-zero RESERVED octets, its reserved Flags bit noted.
    ("IKEv2 payloads under an IKEv1 header (major version 1): read as ISAKMP", put(BASE, 17, [0x10]), 0,
     {"notes": 9, "ike_version": 1}),
    # Main Mode message 1 of pcaps/strongswan-ikev1-main (tshark: SA, 5 VIDs).
    ("IKEv1 Main Mode message 1 (strongSwan)", IKEV1_MM1, 0, {"ike_version": 1}),
    ("IKEv1: SA's Payload Length 4 past the message (RFC 2408 §3.2)", put(IKEV1_MM1, 30, [0, 0xb0]), 1,
     {"malformed": True, "code": "PayloadMalformed", "offset": 30, "requirement": "rfc2408#section-3.2",
      "ike_version": 1}),
    ("IKEv1: a major version 1 header cut at 20 bytes", IKEV1_MM1[:20], 1,
     {"malformed": True, "code": "Truncated", "offset": 0}),
    ("Length one more than the datagram (RFC 7296 §3.1)", put(BASE, 24, (265).to_bytes(4, "big")), 1,
     {"malformed": True, "code": "BadLength", "offset": 24, "notify": None}),
    ("last payload's length runs past the message (RFC 7296 §3.2)", put(BASE, 258, [0, 16]), 1,
     {"malformed": True, "code": "InvalidSyntax", "offset": 258, "notify": None}),
    ("header cut at 20 bytes", BASE[:20], 1, {"malformed": True, "code": "Truncated", "offset": 0}),
    ("8-byte nonce (RFC 7296 §3.9)", short_nonce(), 1,
     {"code": "InvalidSyntax", "requirement": "rfc7296#section-3.9", "notify": None}),
    ("KE for a group no proposal offers (RFC 7296 §3.4)", put(BASE, 72, [0, 14]), 1,
     {"code": "InvalidKePayload", "offset": 72, "notify": "INVALID_KE_PAYLOAD"}),
    ("KE point off the curve (RFC 6989 §2.3)", put(BASE, 139, [BASE[139] ^ 1]), 1,
     {"code": "BadPublicValue", "notify": None}),
    ("no KE payload (RFC 7296 §1.2)", without_ke(), 1,
     {"code": "InvalidSyntax", "requirement": "rfc7296#section-1.2", "notify": None}),
]


def matches(errors, want):
    for e in errors:
        if all(e.get(k) == v for k, v in want.items()):
            return True
    return False


def main():
    tool = sys.argv[1]
    failures = 0
    for name, message, exit_code, expect in CASES:
        run = subprocess.run([tool, "ike-decode", "--json"], input=message.hex() + "\n", capture_output=True,
                             text=True)
        problems = []
        if run.returncode != exit_code:
            problems.append(f"exit {run.returncode}, expected {exit_code}")
        try:
            result = json.loads(run.stdout)[0]
        except (ValueError, IndexError) as e:
            problems.append(f"no JSON result ({e}): {run.stdout[:200]} {run.stderr[:200]}")
            result = {}
        want = {k: v for k, v in expect.items() if k in ("code", "offset", "notify", "requirement")}
        if expect.get("malformed"):
            if not matches([result.get("malformed", {})], want):
                problems.append(f"malformed is {result.get('malformed')}, expected {want}")
        elif want and not matches(result.get("violations", []), want):
            problems.append(f"violations {result.get('violations')}, expected one with {want}")
        if "ike_version" in expect and result.get("ike_version") != expect["ike_version"]:
            problems.append(f"ike_version {result.get('ike_version')}, expected {expect['ike_version']}")
        if len(result.get("notes", [])) < expect.get("notes", 0):
            problems.append(f"notes {result.get('notes')}, expected at least {expect['notes']}")
        if exit_code == 0 and result and not result.get("ok"):
            problems.append(f"not ok: {result.get('violations')}")
        print(("FAIL " if problems else "ok   ") + name)
        for p in problems:
            print("     " + p)
        failures += bool(problems)
    print(f"{len(CASES)} cases, {failures} failed")
    failures += streaming_cases(tool)
    return 1 if failures else 0


def streaming_cases(tool):
    """The input is read line by line: an endless or huge input is judged
    from its first line in bounded memory (before, ike-decode read everything
    first: /dev/urandom never came back and passed 1.5 GB)."""
    failures = 0
    max_kb = bound_kb(tool)

    def report(name, problems):
        print(("FAIL " if problems else "ok   ") + name)
        for p in problems:
            print("     " + p)
        return bool(problems)

    code, out, err, peak = run_measured([tool, "ike-decode", "/dev/urandom"])
    problems = []
    if code != 2:
        problems.append(f"exit {code}, expected 2 (a timeout: the input was read whole)")
    if "/dev/urandom line 1:" not in err:
        problems.append(f"stderr does not name line 1: {err[:200]!r}")
    if peak > max_kb:
        problems.append(f"peak resident memory {peak} KB > {max_kb} KB")
    failures += report("/dev/urandom: refused at line 1, quickly and small", problems)

    with tempfile.TemporaryFile() as long_line:
        long_line.write(b"00" * (2 << 20) + b"\n")  # 4 MiB of hex on one line
        long_line.seek(0)
        code, out, err, peak = run_measured([tool, "ike-decode"], stdin=long_line)
    problems = []
    if code != 2 or "stdin line 1: longer than 1048576 bytes" not in err:
        problems.append(f"exit {code}, stderr {err[:200]!r}: expected 2 naming line 1 as too long")
    failures += report("a line longer than 1 MiB is refused before it is read whole", problems)

    # Messages before a bad line are judged and printed; the JSON array is closed.
    run = subprocess.run([tool, "ike-decode", "--json"], input=BASE.hex() + "\nzz\n", capture_output=True,
                         text=True)
    problems = []
    try:
        results = json.loads(run.stdout)
    except ValueError as e:
        results = []
        problems.append(f"stdout is not JSON ({e}): {run.stdout[:200]!r}")
    if run.returncode != 2 or "line 2" not in run.stderr:
        problems.append(f"exit {run.returncode}, stderr {run.stderr[:200]!r}: expected 2 naming line 2")
    if len(results) != 1 or not results[0].get("ok"):
        problems.append(f"expected line 1 judged ok before the error, got {results}")
    failures += report("line 1 judged before line 2 is read", problems)
    return failures


if __name__ == "__main__":
    sys.exit(main())
