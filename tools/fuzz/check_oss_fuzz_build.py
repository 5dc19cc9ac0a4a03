#!/usr/bin/python3
"""check_oss_fuzz_build.py [--root DIR] [--self-test]

Static checks of fuzz/oss-fuzz/ (ctest oss-fuzz/build-sh-variables, label
unit), the cheap part of what tools/fuzz/oss_fuzz_emulate.sh proves by
running it:

- build.sh reads no variable but OSS-Fuzz's ($CC $CXX $CFLAGS $CXXFLAGS
  $LIB_FUZZING_ENGINE $SRC $WORK $OUT) and the ones it assigns itself, each
  assigned before it is first read (so `X=${X:-default}`, a variable taken
  from the environment, fails); no indirection (${!NAME});
- every $SRC/<dir> that build.sh requires is a `git clone ... <dir>` of the
  Dockerfile, whose WORKDIR is $SRC/ipsecref (where build.sh runs).

Exit 0 when all holds, 1 naming each problem. --self-test shows the checks
catch a variable from the environment and a clone the Dockerfile lacks.
"""
import argparse
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ALLOWED = {"CC", "CXX", "CFLAGS", "CXXFLAGS", "LIB_FUZZING_ENGINE", "SRC", "WORK", "OUT"}

READ = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
INDIRECT = re.compile(r"\$\{!")
ASSIGN = re.compile(r"(?:^|[\s;(&|'\"])(?:local\s+|export\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_][A-Za-z0-9_]*)\+?=")
FOR = re.compile(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b")
READ_BUILTIN = re.compile(r"\bread\s+(?:-\w+\s+)*([A-Za-z_][A-Za-z0-9_ ]*)")
REQUIRED_CLONE = re.compile(r"\[\[\s+-d\s+\$SRC/([\w.-]+)")
CLONE = re.compile(r"git\s+clone\b[^\n]*?\s(\S+)\s*$", re.M)


def strip_comments(text):
    """Whole-line comments out; line numbers kept."""
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.split("\n"))


def word_end(text, i):
    """The end of the shell word starting at i (quotes, ${...} and $(...) kept whole)."""
    depth, quote = 0, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\":
                i += 1
        elif c in "'\"":
            quote = c
        elif text.startswith("${", i) or text.startswith("$(", i):
            depth += 1
            i += 1
        elif c in "})" and depth:
            depth -= 1
        elif depth == 0 and (c.isspace() or c in ";&|)"):
            break
        i += 1
    return i


def check_variables(text):
    body = strip_comments(text)
    problems = []
    # name -> where its first assignment takes effect: after the value, so
    # that X=${X:-default} reads X before assigning it.
    assigned = {}
    for m in ASSIGN.finditer(body):
        assigned[m.group(1)] = min(assigned.get(m.group(1), len(body)), word_end(body, m.end()))
    for m in FOR.finditer(body):
        assigned[m.group(1)] = min(assigned.get(m.group(1), len(body)), m.end())
    for m in READ_BUILTIN.finditer(body):
        for name in m.group(1).split():
            assigned[name] = min(assigned.get(name, m.start(1)), m.start(1))
    for m in INDIRECT.finditer(body):
        line = body.count("\n", 0, m.start()) + 1
        problems.append("build.sh:%d: ${!...} (indirection) reads a variable by a computed name" % line)
    seen = set()
    for m in READ.finditer(body):
        name = m.group(1)
        if name in ALLOWED or name in seen:
            continue
        line = body.count("\n", 0, m.start()) + 1
        if name not in assigned:
            problems.append("build.sh:%d: reads $%s, which is neither OSS-Fuzz's (%s) nor assigned by build.sh"
                            % (line, name, " ".join(sorted(ALLOWED))))
            seen.add(name)
        elif m.start() < assigned[name]:
            problems.append("build.sh:%d: reads $%s before assigning it (from the environment)" % (line, name))
            seen.add(name)
    return problems


def check_clones(build_sh, dockerfile):
    problems = []
    clones = {os.path.basename(d.rstrip("/")) for d in CLONE.findall(dockerfile)}
    for d in sorted(set(REQUIRED_CLONE.findall(strip_comments(build_sh)))):
        if d.split("/")[0] not in clones:
            problems.append("build.sh uses $SRC/%s, but the Dockerfile clones no %s (its clones: %s)"
                            % (d, d.split("/")[0], ", ".join(sorted(clones)) or "none"))
    if not re.search(r"(?m)^WORKDIR\s+\$SRC/ipsecref\s*$", dockerfile):
        problems.append("the Dockerfile's WORKDIR is not $SRC/ipsecref, where build.sh runs")
    return problems


def check(root):
    with open(os.path.join(root, "fuzz", "oss-fuzz", "build.sh")) as f:
        build_sh = f.read()
    with open(os.path.join(root, "fuzz", "oss-fuzz", "Dockerfile")) as f:
        dockerfile = f.read()
    return check_variables(build_sh) + check_clones(build_sh, dockerfile)


def self_test():
    ok = True
    bad = 'ROOT=${IPSECREF_ROOT:-x}\nJOBS=${JOBS:-2}\necho "$CXX $ROOT $JOBS ${!X}"\n'
    problems = check_variables(bad)
    for needle in ("$IPSECREF_ROOT, which is neither", "$JOBS before assigning", "indirection"):
        caught = any(needle in p for p in problems)
        print("self-test: %-36s %s" % (needle, "caught" if caught else "NOT caught"))
        ok &= caught
    good = 'A=1\nfor f in x; do echo "$f $A $OUT"; done\nread -r b c <<<"1 2"\necho "$b$c"\n'
    clean = not check_variables(good)
    print("self-test: %-36s %s" % ("a clean script", "passes" if clean else "FAILS: %s" % check_variables(good)))
    ok &= clean
    problems = check_clones('[[ -d $SRC/json ]]\n', "RUN git clone https://example.org/x.git fmt\nWORKDIR $SRC/ipsecref\n")
    caught = any("clones no json" in p for p in problems)
    print("self-test: %-36s %s" % ("a clone the Dockerfile lacks", "caught" if caught else "NOT caught"))
    ok &= caught
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return 0 if self_test() else 1
    problems = check(os.path.abspath(a.root))
    for p in problems:
        print("FAIL " + p)
    print("oss-fuzz build.sh: %d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
