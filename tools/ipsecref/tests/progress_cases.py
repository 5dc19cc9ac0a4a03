#!/usr/bin/env python3
"""ipsecref check --progress: the progress line goes to stderr only, never
into the report on stdout; `always` prints it (one line per update off a
terminal) ending at 100% with the capture's packet count; `auto` prints
nothing when stderr is not a terminal, nor on a terminal for a capture that
takes less than half a second; `never` prints nothing.

The capture's packet count and size are facts of the file: 16 frames
(tshark -r pcaps/strongswan-gcm/capture.pcap), 3.3 kB (its size on disk).

usage: progress_cases.py IPSECREF"""
import os
import pty
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
CAPTURE = os.path.join(ROOT, "pcaps", "strongswan-gcm", "capture.pcap")
KEYS = os.path.join(ROOT, "pcaps", "strongswan-gcm")
LINE = re.compile(r"^check: (\d+)% \((\S+ \S+) of (\S+ \S+)\), (\d+) packets, [\d.]+ s(, about [\d.]+ s left)?$")


def run(tool, *extra):
    return subprocess.run([tool, "check", CAPTURE, "--keys", KEYS, *extra], capture_output=True, text=True)


def under_terminal(tool, *extra):
    """Runs with stderr on a pseudo-terminal; returns (exit code, what the terminal got)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execv(tool, [tool, "check", CAPTURE, "--keys", KEYS, *extra])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode()


def main():
    tool = sys.argv[1]
    failures = []
    checks = []

    def expect(cond, what):
        checks.append(what)
        if not cond:
            failures.append(what)

    plain = run(tool)
    expect(plain.returncode == 0, f"plain check exits {plain.returncode}")
    expect(plain.stderr == "", f"auto off a terminal printed {plain.stderr!r}")

    always = run(tool, "--progress", "always")
    expect(always.returncode == 0, f"--progress always exits {always.returncode}")
    expect(always.stdout == plain.stdout, "--progress always changed the report on stdout")
    lines = always.stderr.splitlines()
    expect(len(lines) >= 1 and all(LINE.match(l) for l in lines), f"progress lines malformed: {lines!r}")
    last = LINE.match(lines[-1]) if lines else None
    expect(last is not None and last.group(1) == "100" and last.group(4) == "16"
           and last.group(2) == last.group(3) == "3.3 kB", f"last progress line: {lines[-1:]!r}")

    never = run(tool, "--progress", "never")
    expect(never.stderr == "" and never.stdout == plain.stdout, "--progress never printed or changed something")

    code, shown = under_terminal(tool)
    expect(code == 0 and shown == "", f"auto on a terminal, a short capture: exit {code}, shown {shown!r}")
    code, shown = under_terminal(tool, "--progress", "always")
    expect(code == 0 and "\r" in shown and "100% (3.3 kB of 3.3 kB), 16 packets" in shown,
           f"always on a terminal redraws in place: {shown!r}")

    bad = run(tool, "--progress", "sometimes")
    expect(bad.returncode != 0 and "sometimes" in bad.stderr, "--progress sometimes was not refused")

    for f in failures:
        print("FAIL:", f)
    print(f"progress cases: {len(checks) - len(failures)} of {len(checks)} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
