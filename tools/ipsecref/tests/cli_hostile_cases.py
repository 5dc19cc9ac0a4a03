#!/usr/bin/python3
"""Regression cases for the command line's edges (issue 11, section 3): each
case is a defect that was found, run as it was found, with what the tool must
do instead. Exit codes: 0 good, 1 check failed, 2 bad usage, unreadable input
or an output that could not be written; never a signal.

  1  decrypt -o - wrote the pcap, closed stdout, then printed the summary
     (abort, 134): the summary now goes to stderr.
  2  a path that is not UTF-8 aborted every --json report (nlohmann
     type_error 316): such bytes are written as the text \\xHH.
  3  a full or closed stdout aborted --json and lost text reports with exit 0.
  4  NaN and infinities passed the range checks (replay --timeout nan hung).
  9  a directory as input exited 0.
 10  replay --gateway-address was never validated.
 11  outputs truncated their inputs, or an existing file before the input was
     read; now refused, and written beside and renamed when complete.
 12  replay --esp-counters read without bound and waited forever.
 and: --json errors as a JSON object on stdout, the system's reason for a
 file that cannot be opened, long echoes cut.

usage: cli_hostile_cases.py IPSECREF
"""
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
GCM = os.path.join(ROOT, "pcaps", "strongswan-gcm")
CAPTURE = os.path.join(GCM, "capture.pcap")
# One known-answer vector file, small.
VECTOR = os.path.join(ROOT, "vectors", "cipher", "aes_ctr_rfc3686.json")
NOT_UTF8 = b"\xff\xfeq"

problems = []

# What AddressSanitizer, LeakSanitizer and UBSan print on stderr when they
# find something (as cli_option_sweep.py reads it).
SANITIZER_REPORT = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b": runtime error: ")


def run(args, stdin=None, timeout=30, stdout_to=None, close_stdout=False, stderr_to=subprocess.PIPE):
    """Runs ipsecref; never a signal, and exit 0, 1 or 2."""
    argv = [IPSECREF] + [a for a in args]
    if close_stdout:
        argv = ["/bin/sh", "-c", 'exec "$0" "$@" >&-'] + argv
    out = subprocess.PIPE
    handle = None
    if stdout_to is not None:
        handle = open(stdout_to, "wb")
        out = handle
    try:
        p = subprocess.run(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL, stdout=out,
                           stderr=stderr_to, timeout=timeout)
    finally:
        if handle:
            handle.close()
    if p.returncode not in (0, 1, 2):
        problems.append(f"{args!r}: exit {p.returncode} (a signal or abort?); stderr {(p.stderr or b'')[-300:]!r}")
    # Under the sanitizers a finding exits 1, which the line above allows:
    # their report on stderr is what tells it apart.
    if any(s in (p.stderr or b"") for s in SANITIZER_REPORT):
        problems.append(f"{args!r}: exit {p.returncode}, a sanitizer report on stderr: {p.stderr[:3000]!r}")
    return p


def expect(name, cond, p=None):
    if not cond:
        detail = f": exit {p.returncode}, stderr {(p.stderr or b'')[-400:]!r}" if p is not None else ""
        problems.append(f"{name}{detail}")


def pcap_records(data):
    """The number of records of a classic pcap (header 24 bytes, record header 16)."""
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, n = 24, 0
    while at + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        at += 16 + caplen
        n += 1
    return n


def case_decrypt_to_stdout(work):
    p = run(["decrypt", CAPTURE, "--keys", GCM, "-o", "-"])
    expect("1 decrypt -o -: exit 0", p.returncode == 0, p)
    # The inner packets of the capture as strongSwan's peer captured them in
    # cleartext (pcaps/strongswan-gcm/PROVENANCE.md): 10 packets.
    with open(os.path.join(GCM, "inner-cleartext.pcap"), "rb") as f:
        expected = pcap_records(f.read())
    expect(f"1 decrypt -o -: a pcap of {expected} packets on stdout", p.stdout[:4] == b"\x4d\x3c\xb2\xa1"
           and pcap_records(p.stdout) == expected, p)
    expect("1 decrypt -o -: the summary on stderr", b"wrote 10 packets" in p.stderr, p)
    out = os.path.join(work, "out.pcap")
    q = run(["decrypt", CAPTURE, "--keys", GCM, "-o", out])
    with open(out, "rb") as f:
        expect("1 decrypt -o -: the same bytes as -o FILE", f.read() == p.stdout, q)


def case_not_utf8_paths(work):
    d = os.path.join(work.encode(), b"d" + NOT_UTF8)
    os.mkdir(d)
    capture = os.path.join(d, b"c.pcap")
    shutil.copy(CAPTURE, capture)
    vector = os.path.join(d, b"v.json")
    shutil.copy(VECTOR, vector)
    escaped = "d\\xff\\xfeq"
    for args, member in (
        (["check", capture, "--keys", GCM, "--json"], lambda j: j["capture"]),
        (["ike-decode", capture, "--json"], None),
        (["vectors", vector, "--json"], lambda j: j[0]["file"]),
        (["check", os.path.join(d, b"missing.pcap"), "--keys", GCM, "--json"], lambda j: j["error"]["message"]),
        (["tunnel-map", os.path.join(d, b"missing"), "--json"], lambda j: j["error"]["message"]),
        (["replay", capture, "--to", "127.0.0.1", "--gateway-address", "192.0.2.99", "--json"],
         lambda j: j["error"]["message"]),
    ):
        p = run(args)
        try:
            report = json.loads(p.stdout)
        except ValueError as e:
            expect(f"2 {args[0]} --json on a path that is not UTF-8: JSON on stdout ({e})", False, p)
            continue
        if member is not None:
            expect(f"2 {args[0]} --json: the path written with \\xHH", escaped in member(report), p)


def case_utf8_kept(work):
    # RFC 3629 section 4: valid UTF-8 (e-acute, a 4-byte emoji) is kept; an
    # overlong NUL (C0 80) and an encoded surrogate (ED A0 80) are not UTF-8.
    name = b"v\xc3\xa9\xc0\x80\xed\xa0\x80\xf0\x9f\x98\x80"
    d = os.path.join(work.encode(), name)
    os.mkdir(d)
    capture = os.path.join(d, b"c.pcap")
    shutil.copy(CAPTURE, capture)
    p = run(["check", capture, "--keys", GCM, "--json"])
    try:
        got = json.loads(p.stdout)["capture"]
    except (ValueError, KeyError) as e:
        got = f"no report ({e})"
    want = "v\u00e9\\xc0\\x80\\xed\\xa0\\x80\U0001f600"
    expect(f"2 UTF-8 kept, the rest as \\xHH: {got!r}", got.endswith(want + "/c.pcap"), p)


def case_full_or_closed_stdout(work):
    tm = os.path.join(work, "map.events")
    with open(tm, "w") as f:
        f.write("spus 2\ngateway G1\n")
    commands = [
        ["check", CAPTURE, "--keys", GCM],
        ["ike-decode", CAPTURE, "--keys", GCM],
        ["tunnel-map", tm],
        ["vectors", VECTOR],
    ]
    for args in commands:
        for extra in ([], ["--json"]):
            for how in ("full", "closed"):
                p = run(args + extra, stdout_to="/dev/full" if how == "full" else None, close_stdout=how == "closed")
                expect(f"3 {' '.join(args[:1] + extra)} with stdout {how}: exit 2, said on stderr",
                       p.returncode == 2 and b"not written" in p.stderr, p)
    # A full stderr: the message is lost, never an abort; the exit code stays.
    with open("/dev/full", "wb") as full:
        p = run(["check", os.path.join(work, "missing.pcap"), "--keys", GCM], stderr_to=full)
        expect("3 an error with stderr full: exit 2", p.returncode == 2, p)
        p = run(["check", CAPTURE, "--keys", GCM, "--progress", "always"], stderr_to=full)
        expect("3 check --progress always with stderr full: the report, exit 0", p.returncode == 0
               and b"result   PASS" in p.stdout, p)
    p = run(["decrypt", CAPTURE, "--keys", GCM, "-o", "-"], stdout_to="/dev/full")
    expect("3 decrypt -o - to /dev/full: exit 2", p.returncode == 2 and b"No space left" in p.stderr, p)


def case_not_finite(work):
    for option, command in (("--timeout", ["replay", CAPTURE, "--to", "127.0.0.1"]),
                            ("--esp-counters-timeout", ["replay", CAPTURE, "--to", "127.0.0.1"]),
                            ("--spus", ["tunnel-map", "-"]),
                            ("--replay-window", ["check", CAPTURE, "--keys", GCM]),
                            ("--period", ["totp", "--secret", "GEZDGNBV"]),
                            ("--digits", ["totp", "--secret", "GEZDGNBV"])):
        for value in ("nan", "NaN", "inf", "-inf", "infinity", "1e999", "-1", "4294967296"):
            p = run(command + [option, value], timeout=20)
            expect(f"4 {command[0]} {option} {value}: exit 2 naming the option",
                   p.returncode == 2 and option.encode() in p.stderr, p)
    p = run(["check", CAPTURE, "--keys", GCM, "--replay-window", "1048577"])
    expect("4 check --replay-window above 2^20: refused, not cut", p.returncode == 2, p)


def case_directory_input(work):
    for args in (["check", work, "--keys", GCM], ["decrypt", work, "--keys", GCM, "-o", os.path.join(work, "o")],
                 ["ike-decode", work], ["tunnel-map", work], ["replay", work, "--to", "127.0.0.1"],
                 ["check", CAPTURE, "--keys", GCM, "--expect-inner", work],
                 ["ike-decode", work, "--json"], ["tunnel-map", work, "--json"]):
        p = run(args)
        expect(f"9 {' '.join(args[:1])} DIRECTORY: exit 2, 'is a directory'",
               p.returncode == 2 and b"is a directory" in p.stderr, p)


def case_gateway_address(work):
    for value, said in (("nonsense", b"not an IPv4 or IPv6 address"), ("", b"empty value"),
                        ("*", b"not an IPv4 or IPv6 address"), ("192.0.2.99", b"no packet")):
        p = run(["replay", CAPTURE, "--to", "127.0.0.1", "--gateway-address", value])
        expect(f"10 replay --gateway-address {value!r}: exit 2", p.returncode == 2 and said in p.stderr, p)


def files_in(d):
    return sorted(os.listdir(d))


def case_output_is_input(work):
    d = os.path.join(work, "same")
    os.mkdir(d)
    x = os.path.join(d, "x.pcap")
    shutil.copy(CAPTURE, x)
    os.symlink("x.pcap", os.path.join(d, "link.pcap"))
    os.link(x, os.path.join(d, "hard.pcap"))
    keys = os.path.join(d, "keys")
    shutil.copytree(GCM, keys)
    with open(CAPTURE, "rb") as f:
        original = f.read()
    before = files_in(d)
    for out in ("x.pcap", "link.pcap", "hard.pcap", "keys/esp_sa"):
        for args in (["decrypt", x, "--keys", keys, "-o", os.path.join(d, out)],
                     ["check", x, "--keys", keys, "--junit", os.path.join(d, out)]):
            p = run(args)
            expect(f"11 {args[0]} with {out} as output: refused (exit 2)",
                   p.returncode == 2 and b"is the input" in p.stderr, p)
    with open(x, "rb") as f:
        expect("11 the capture is untouched", f.read() == original)
    expect("11 nothing left beside", files_in(d) == before)

    existing = os.path.join(d, "existing.pcap")
    with open(existing, "wb") as f:
        f.write(b"keep me")
    empty = os.path.join(d, "empty.pcap")
    open(empty, "wb").close()
    p = run(["decrypt", empty, "--keys", keys, "-o", existing])
    with open(existing, "rb") as f:
        expect("11 decrypt EMPTY -o EXISTING: exit 2, EXISTING untouched",
               p.returncode == 2 and f.read() == b"keep me", p)
    expect("11 no temporary file left after a failure", files_in(d) == sorted(before + ["empty.pcap", "existing.pcap"]))

    # Complete runs: the file replaced, its permissions kept; a new one gets the umask's.
    os.chmod(existing, 0o600)
    p = run(["decrypt", x, "--keys", keys, "-o", existing])
    with open(existing, "rb") as f:
        expect("11 decrypt -o EXISTING: replaced by the pcap", p.returncode == 0 and f.read(4) == b"\x4d\x3c\xb2\xa1", p)
    expect("11 the replaced file keeps mode 0600", stat.S_IMODE(os.stat(existing).st_mode) == 0o600)
    junit = os.path.join(d, "junit.xml")
    old = os.umask(0o027)
    try:
        p = run(["check", x, "--keys", keys, "--junit", junit])
    finally:
        os.umask(old)
    expect("11 check --junit NEW: written with the umask's mode",
           p.returncode == 0 and stat.S_IMODE(os.stat(junit).st_mode) == 0o640, p)
    expect("11 no temporary file left after success",
           not [n for n in files_in(d) if ".ipsecref-" in n])
    # Written through a link: the link stays, its target is replaced.
    os.symlink("target.xml", os.path.join(d, "via.xml"))
    with open(os.path.join(d, "target.xml"), "w") as f:
        f.write("old")
    p = run(["check", x, "--keys", keys, "--junit", os.path.join(d, "via.xml")])
    with open(os.path.join(d, "target.xml")) as f:
        expect("11 --junit through a symbolic link: the target written, the link kept",
               p.returncode == 0 and f.read().startswith("<?xml") and os.path.islink(os.path.join(d, "via.xml")), p)
    p = run(["check", x, "--keys", keys, "--junit", "-"])
    expect("11 --junit -: refused (stdout carries the report)", p.returncode == 2, p)
    # -o /dev/stdout with stdout redirected to a file: that file gets the
    # pcap (as with -o -), the summary goes to stderr.
    redirected = os.path.join(d, "redirected.pcap")
    p = run(["decrypt", x, "--keys", keys, "-o", "/dev/stdout"], stdout_to=redirected)
    with open(redirected, "rb") as f:
        expect("11 -o /dev/stdout into a file: the pcap in it, the summary on stderr",
               p.returncode == 0 and f.read(4) == b"\x4d\x3c\xb2\xa1" and b"wrote 10 packets" in p.stderr, p)
    p = run(["check", x, "--keys", keys, "--junit", "/dev/stdout"], stdout_to=redirected)
    expect("11 --junit /dev/stdout into a file: refused", p.returncode == 2 and b"standard output" in p.stderr, p)
    p = run(["decrypt", x, "--keys", keys, "-o", d])
    expect("11 -o DIRECTORY: refused", p.returncode == 2 and b"is a directory" in p.stderr, p)
    p = run(["decrypt", x, "--keys", keys, "-o", "/dev/full"])
    expect("11 -o /dev/full: exit 2 with the reason", p.returncode == 2 and b"No space left" in p.stderr, p)
    p = run(["decrypt", x, "--keys", keys, "-o", "/dev/null"])
    expect("11 -o /dev/null: written in place, exit 0", p.returncode == 0 and os.path.exists("/dev/null"), p)
    expect("11 /dev/null is still a device", stat.S_ISCHR(os.stat("/dev/null").st_mode))


def case_esp_counters(work):
    replay_esp = ["replay", CAPTURE, "--to", "127.0.0.1", "--from", "127.0.0.1", "--only", "esp"]
    marker = "37.4321"  # a sleep nobody else runs, to find it if it outlives the tool
    started = time.monotonic()
    p = run(replay_esp + ["--esp-counters", f"sleep {marker}", "--esp-counters-timeout", "1"], timeout=30)
    took = time.monotonic() - started
    expect("12 --esp-counters that never ends: exit 2 within seconds, the command killed",
           p.returncode == 2 and b"killed" in p.stderr and took < 15, p)
    time.sleep(0.2)
    alive = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        alive.append(pid)
            except OSError:
                pass
    expect(f"12 the counter command's child is gone (still: {alive})", not alive)
    p = run(replay_esp + ["--esp-counters", "yes spi-in=00000000"], timeout=60)
    expect("12 --esp-counters that prints without end: exit 2 at the size bound",
           p.returncode == 2 and b"MiB" in p.stderr, p)
    p = run(replay_esp + ["--esp-counters", "exit 3"])
    expect("12 --esp-counters that fails: exit 2 with its status", p.returncode == 2 and b"status 3" in p.stderr, p)


def case_smaller(work):
    p = run(["check", os.path.join(work, "missing.pcap"), "--keys", GCM, "--json"])
    try:
        error = json.loads(p.stdout)["error"]
        expect("--json error object: code, message, exit code",
               error["exit_code"] == 2 and error["code"] == "IoError" and "No such file" in error["message"], p)
    except (ValueError, KeyError, TypeError) as e:
        expect(f"--json on an error: a JSON error object on stdout ({e})", False, p)
    p = run(["check", "--json"])
    try:
        error = json.loads(p.stdout)["error"]
        expect("--json on a bad command line: code Usage, the command named",
               error["code"] == "Usage" and error["command"] == "check" and "capture is required" in error["message"], p)
    except (ValueError, KeyError, TypeError) as e:
        expect(f"--json on a bad command line: a JSON error object ({e})", False, p)
    notdir = os.path.join(work, "file")
    open(notdir, "w").close()
    for args in (["check", os.path.join(notdir, "x.pcap"), "--keys", GCM], ["tunnel-map", os.path.join(notdir, "x")],
                 ["ike-decode", os.path.join(notdir, "x")], ["check", CAPTURE, "--keys", os.path.join(notdir, "k")]):
        p = run(args)
        expect(f"cannot open says why: {args[0]}", p.returncode == 2 and b"Not a directory" in p.stderr, p)
    # A 100 KB argument (Linux passes at most 128 KiB in one) and a 10 MB
    # name inside a file: echoes are cut.
    long = "a" * 100000
    for args in (["check", long, "--keys", GCM], ["replay", CAPTURE, "--to", long], ["check", CAPTURE, "--keys", GCM,
                 "--progress", long], ["replay", CAPTURE, "--to", "127.0.0.1", "--only", long],
                 ["replay", CAPTURE, "--to", "127.0.0.1", "--gateway-address", long]):
        p = run(args)
        expect(f"a 100 KB {args[1] if args[0] != 'replay' else args[3]}: exit 2 and an echo cut to a few hundred bytes",
               p.returncode == 2 and len(p.stderr) < 2000 and b"100000 bytes" in p.stderr, p)
    events = os.path.join(work, "long.events")
    with open(events, "w") as f:
        f.write("spus 2\ngateway " + "b" * (10 << 20) + "\n")
    p = run(["tunnel-map", events])
    expect("a 10 MB name in an event file: exit 2, the echo cut", p.returncode == 2 and len(p.stderr) < 5000, p)
    # A FIFO as input, with a writer: read, refused as not a capture, no hang.
    fifo = os.path.join(work, "fifo")
    os.mkfifo(fifo)
    writer = subprocess.Popen(["/bin/sh", "-c", f"printf 'not a capture' > {fifo}"])
    p = run(["check", fifo, "--keys", GCM], timeout=20)
    writer.wait(timeout=20)
    expect("a FIFO as capture: read and refused (exit 2)", p.returncode == 2, p)


def main():
    global IPSECREF
    IPSECREF = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        for case in (case_decrypt_to_stdout, case_not_utf8_paths, case_utf8_kept, case_full_or_closed_stdout, case_not_finite,
                     case_directory_input, case_gateway_address, case_output_is_input, case_esp_counters,
                     case_smaller):
            sub = os.path.join(work, case.__name__)
            os.mkdir(sub)
            try:
                case(sub)
            except subprocess.TimeoutExpired as e:
                problems.append(f"{case.__name__}: hung: {e}")
    for p in problems:
        print("FAIL", p)
    print(f"cli_hostile_cases: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
