"""Peak resident memory of one child process, for the tests that bound it
(memory_cases.py, ike_decode_cases.py): each child's own ru_maxrss from
wait4, with AddressSanitizer's quarantine of freed memory turned off (it
would count up to 256 MB the program already gave back), and the bound taken
above what `ipsecref --version` takes in the same build (a sanitizer's
shadow memory is in both)."""
import os
import subprocess
import tempfile
import time

# Appended to ASAN_OPTIONS (ignored by a build without AddressSanitizer).
NO_QUARANTINE = "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
MARGIN_KB = 40 * 1024


def run_measured(argv, stdin=subprocess.DEVNULL, timeout=20):
    """Runs argv; returns (exit code or None on a timeout, stdout, stderr,
    peak resident KB of this child alone)."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), NO_QUARANTINE]))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                _, status, usage = os.wait4(child.pid, 0)
                status = None
                break
            time.sleep(0.01)
        child.returncode = -1  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        code = None if status is None else os.waitstatus_to_exitcode(status)
        return (code, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                usage.ru_maxrss)


def bound_kb(tool):
    """The peak of a run that reads nothing, plus MARGIN_KB."""
    return run_measured([tool, "--version"])[3] + MARGIN_KB
