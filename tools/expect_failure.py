#!/usr/bin/python3
"""expect_failure.py REGEX [--status N] -- COMMAND...

A test that a command fails loudly: passes when COMMAND exits non-zero (N,
when given) and its output (stdout and stderr together) matches REGEX, so a
silent pass or a failure for another reason fails the test. Prints what the
command printed.
"""
import re
import subprocess
import sys


def main():
    args = sys.argv[1:]
    if "--" not in args or args.index("--") < 1:
        print(__doc__, file=sys.stderr)
        return 2
    split = args.index("--")
    options, command = args[:split], args[split + 1:]
    regex, status = options[0], None
    if options[1:2] == ["--status"]:
        status = int(options[2])
    run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    print(run.stdout, end="")
    problems = []
    if run.returncode == 0:
        problems.append("exited 0: it had to fail")
    elif status is not None and run.returncode != status:
        problems.append("exited %d, expected %d" % (run.returncode, status))
    if not re.search(regex, run.stdout, re.M):
        problems.append("its output does not say /%s/" % regex)
    for p in problems:
        print("FAIL %s: %s" % (" ".join(command), p))
    print("RESULT: %s" % ("OK (failed loudly, exit %d)" % run.returncode if not problems else "FAILED"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
