#!/usr/bin/python3
"""A sweep of hostile command lines over every subcommand of ipsecref: each
option and input in turn gets empty strings, '-', huge, negative and
non-finite numbers, /dev/full, /dev/null and /dev/zero, missing files,
directories, a FIFO with a writer, bytes that are not UTF-8 and a 100 KB
name, alone and with --json. Every run must

  - end (a timeout per run: nothing may wait forever),
  - exit 0, 1 or 2, never by a signal or an abort,
  - name the problem on stderr when it exits 2 ("ipsecref ...: ..."),
    in a few KB at most,
  - under --json, print JSON on stdout (the report or the error object),
  - print no sanitizer report (AddressSanitizer, LeakSanitizer, UBSan): they
    exit 1, which alone would pass as an ordinary failure.

Bounded to well under a minute (runs in parallel, a few seconds each at most).

--light (the sanitizer builds, tools/CMakeLists.txt): every option still
gets every hostile value under the sanitizers, but once instead of twice:
with --json for every other value, without for the rest (decrypt, which has
no --json, always without), so both output paths of every subcommand still
run there. What it leaves out is each command line's second run in the
other output format; the plain build (dev) runs the whole sweep, both
formats. A sanitized run costs over ten times a plain one (CI: 229 s under
ASan against 15 s), the conformance runs most.

usage: cli_option_sweep.py IPSECREF [--light]
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
GCM = os.path.join(ROOT, "pcaps", "strongswan-gcm")
CAPTURE = os.path.join(GCM, "capture.pcap")
VECTOR = os.path.join(ROOT, "vectors", "cipher", "aes_ctr_rfc3686.json")
CATALOGUE = os.path.join(ROOT, "interop", "conformance", "catalogue")
PER_RUN = 15  # seconds
SLOW = 2  # seconds: runs that take longer are named (the sweep must stay under a minute)


def hostile(work):
    """(label, value) pairs; values are bytes so that non-UTF-8 ones pass as they are."""
    missing = os.path.join(work, "missing").encode()
    return [
        ("empty", b""), ("dash", b"-"), ("zero", b"0"), ("negative", b"-1"), ("huge", b"9" * 40),
        ("1e999", b"1e999"), ("nan", b"nan"), ("inf", b"inf"), ("-inf", b"-inf"), ("hex", b"0x1"),
        ("space", b" 1"), ("/dev/full", b"/dev/full"), ("/dev/null", b"/dev/null"), ("/dev/zero", b"/dev/zero"),
        ("missing", missing), ("directory", work.encode()), ("not-utf8", os.path.join(work, "x\xff").encode("latin-1")),
        ("long", b"n" * 100000), ("option-like", b"--json"),
        ("fifo", os.path.join(work, "fifo").encode()),
    ]


def commands(work):
    """Each subcommand's good command line, and which of its arguments the sweep replaces."""
    events = os.path.join(work, "map.events")
    with open(events, "w") as f:
        f.write("spus 2\ngateway G1\ntunnel T1 over G1\n")
    gateway_conf = os.path.join(work, "gateway.conf")
    with open(gateway_conf, "w") as f:
        f.write("connections {\n  c {\n    remote_addrs = 192.0.2.2\n    local {\n      auth = psk\n    }\n"
                "    remote {\n      auth = psk\n    }\n  }\n}\nsecrets {\n  ike-1 {\n    secret = \"s\"\n  }\n}\n")
    no_gateway = os.path.join(work, "no-gateway.sock")
    with open(os.path.join(work, "expect.txt"), "w") as f:
        f.write("INIT-HDR-01* known to fail\n")
    replay = ["replay", CAPTURE, "--to", "127.0.0.1", "--from", "127.0.0.1", "--timeout", "0.05",
              "--only", "ike-request"]
    return [
        (["check", CAPTURE, "--keys", GCM], [1, 3]),
        (["check", CAPTURE, "--keys", GCM, "--replay-window", "64"], [5]),
        (["check", CAPTURE, "--keys", GCM, "--progress", "never"], [5]),
        (["check", CAPTURE, "--keys", GCM, "--expect-inner", os.path.join(GCM, "inner-cleartext.pcap")], [5]),
        (["check", CAPTURE, "--keys", GCM, "--junit", os.path.join(work, "out.xml")], [5]),
        (["decrypt", CAPTURE, "--keys", GCM, "-o", os.path.join(work, "out.pcap")], [1, 3, 5]),
        (["ike-decode", CAPTURE, "--keys", GCM], [1, 3]),
        (["tunnel-map", events], [1]),
        (["tunnel-map", events, "--spus", "2"], [3]),
        (["vectors", VECTOR], [1]),
        (["totp", "--secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "--algorithm", "sha1", "--digits", "8", "--period",
          "30", "--time", "59"], [2, 4, 6, 8, 10]),
        (replay, [1, 3, 5, 7, 9]),
        (replay + ["--gateway-address", "192.0.2.2"], [11]),
        (replay + ["--esp-counters", "true"], [11]),
        (replay + ["--keys", GCM], [11]),
        (replay + ["--esp-counters-timeout", "1"], [11]),
        # ESP selected, so that the control socket is asked (none listens).
        (replay[:-1] + ["esp", "--gateway-control", os.path.join(work, "none.sock")], [11]),
        (["exchange", "basic", "--pcap", os.path.join(work, "x.pcap"), "--keys-out", os.path.join(work, "keys"),
          "--seed", "1"], [1, 3, 5, 7]),
        (["exchange", "basic", "--deviation", "none"], [3]),
        # --check reads the configuration and exits: the sweep never starts a live gateway.
        (["gateway", "--config", gateway_conf, "--check"], [2]),
        (["gateway", "--config", gateway_conf, "--check", "--spus", "2", "--log-level", "info"], [5, 7]),
        (["gateway", "--config", gateway_conf, "--check", "--fragment-size", "576"], [5]),
        (["ctl", "--socket", no_gateway, "list"], [2, 3]),
        (["ctl", "--socket", no_gateway, "rekey", "IKE-1"], [4]),
        (["tunnel-map", "--gateway", no_gateway], [2]),
        (["conformance", "--cases", "INIT-HDR-01*", "--html", os.path.join(work, "r.html"), "--junit",
          os.path.join(work, "r.xml")], [2, 4, 6]),
        (["conformance", "--role", "initiator", "--cases", "INIT-HDR-0*", "--target", "reference"], [2, 4, 6]),
        (["conformance", "--catalogue", CATALOGUE, "--list"], [2]),
        (["conformance", "--cases", "INIT-HDR-01*", "--expect", os.path.join(work, "expect.txt")], [2, 4]),
        # fuzz: an --out that cannot be made ends every run before anything
        # is sent (the out check comes after the options', before the
        # target); the second line sweeps --out with a target file missing.
        (["fuzz", "--target", "udp:127.0.0.1:9", "--target-file", gateway_conf, "--count", "1", "--time", "1",
          "--seed", "1", "--settle", "0.1", "--probe-every", "1", "--prefixes", "ike-sa-init", "--iteration", "0",
          "--out", "/dev/null/fz"], [2, 4, 6, 8, 10, 12, 14, 16, 18]),
        (["fuzz", "--target", "udp:127.0.0.1:9", "--target-file", os.path.join(work, "missing.conf"), "--out",
          os.path.join(work, "fz")], [6]),
    ]


# The options that name an output: a FIFO there gets a reader, elsewhere a writer.
OUTPUTS = (b"-o", b"--junit", b"--pcap", b"--html")


def fifo_peer(path, output):
    """The other end of the FIFO, in the background: a reader for an output,
    else a writer of garbage (a FIFO without one blocks, as it should)."""
    script = f"cat '{path}' > /dev/null" if output else f"printf 'not what is expected' > '{path}'"
    return subprocess.Popen(["/bin/sh", "-c", script], stderr=subprocess.DEVNULL)


def run(ipsecref, argv, work):
    writer = None
    fifo = os.path.join(work, "fifo").encode()
    if fifo in argv:
        writer = fifo_peer(fifo.decode(), argv[argv.index(fifo) - 1] in OUTPUTS)
    started = time.monotonic()
    try:
        p = subprocess.run([ipsecref.encode()] + argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=PER_RUN,
                           cwd=work)
    except subprocess.TimeoutExpired:
        return argv, None
    finally:
        if writer is not None:
            if writer.poll() is None:
                writer.kill()  # the tool did not open the FIFO: its peer waits to
            writer.wait()
    took = time.monotonic() - started
    if took > SLOW:
        print(f"slow: {took:.1f} s: {b' '.join(a[:60] for a in argv).decode('latin-1')}")
    return argv, p


# What AddressSanitizer, LeakSanitizer and UBSan print on stderr when they
# find something (ASan and UBSan then exit 1, which the exit check allows).
SANITIZER_REPORT = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b": runtime error: ")


def judge(argv, p, as_json):
    shown = b" ".join(a if len(a) < 60 else a[:40] + b"...(%d bytes)" % len(a) for a in argv).decode("latin-1")
    if p is None:
        return f"{shown}: still running after {PER_RUN} s"
    if any(s in p.stderr for s in SANITIZER_REPORT):
        return f"{shown}: exit {p.returncode}, a sanitizer report on stderr: {p.stderr[:3000]!r}"
    if p.returncode not in (0, 1, 2):
        return f"{shown}: exit {p.returncode} (a signal or abort); stderr {p.stderr[-300:]!r}"
    if p.returncode == 2 and not p.stderr.strip():
        return f"{shown}: exit 2 without saying why on stderr: {p.stderr[-300:]!r}"
    if len(p.stderr) > 8192:
        return f"{shown}: {len(p.stderr)} bytes on stderr (echoes must be cut)"
    if as_json:
        try:
            json.loads(p.stdout)
        except ValueError as e:
            return f"{shown}: --json, but stdout is not JSON ({e}): {p.stdout[:200]!r}"
    return None


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--light"]):
        sys.exit("usage: cli_option_sweep.py IPSECREF [--light]")
    ipsecref = os.path.abspath(sys.argv[1])
    light = sys.argv[2:] == ["--light"]
    with tempfile.TemporaryDirectory() as work:
        os.mkfifo(os.path.join(work, "fifo"))
        runs = []
        for base, slots in commands(work):
            for slot in slots:
                for i, (label, value) in enumerate(hostile(work)):
                    # ike-decode reads its whole input before parsing, and
                    # opens it twice (pcap or hex?): a FIFO or an endless
                    # device waits for it to stream its input (issue 11
                    # section 3, item 7, under way apart).
                    if base[0] == "ike-decode" and slot == 1 and label in ("fifo", "/dev/zero", "/dev/full"):
                        continue
                    argv = [a.encode() for a in base]
                    argv[slot] = value
                    has_json = base[0] != "decrypt"  # every other subcommand has --json
                    if not light:
                        runs.append((argv, False))
                        if has_json:
                            runs.append((argv + [b"--json"], True))
                    elif has_json and i % 2 == 1:
                        runs.append((argv + [b"--json"], True))
                    else:
                        runs.append((argv, False))
        # The FIFO has one writer at a time: those runs go one after another.
        fifo = os.path.join(work, "fifo").encode()
        serial = [r for r in runs if fifo in r[0]]
        parallel = [r for r in runs if fifo not in r[0]]
        problems = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            for (argv, as_json), (_, p) in zip(parallel, pool.map(lambda r: run(ipsecref, r[0], work), parallel)):
                if (problem := judge(argv, p, as_json)) is not None:
                    problems.append(problem)
        for argv, as_json in serial:
            _, p = run(ipsecref, argv, work)
            if (problem := judge(argv, p, as_json)) is not None:
                problems.append(problem)
    for problem in problems:
        print("FAIL", problem)
    print(f"cli_option_sweep: {len(runs)} command lines{' (--light)' if light else ''}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
