#!/usr/bin/python3
"""check_programs.py [--root DIR] [--setup FILE] [--path PATH] [--list] [--self-test]

Every program a test or script of ipsecref runs, and every Python module a
script imports, must be installed by tools/setup.sh (ctest setup/programs).
A fresh Debian 12 machine failed tools/run-tests.sh at strongswan-replay
because `ping` came from no package setup.sh installs; this finds such a gap
before a fresh machine does.

What is scanned (under tools/, interop/, pcaps/, fuzz/, vectors/, reference/ and .ci/):
- shell scripts (*.sh, .ci/run): the word in command position of every
  simple command, inside $(...), `sh -c '...'`, `ip netns exec NS ...`,
  `env`, `timeout`, `exec` and `command -v` too; the script's own functions,
  shell builtins and keywords and commands held in variables (the project's
  own binaries) are not programs;
- Python scripts (*.py, and Python heredocs of shell scripts): the literal
  program of subprocess calls and command lists, shutil.which("..."), and
  every imported module outside the standard library and the project;
- shebang lines, absolute paths of programs and plug-ins (/usr/lib/...,
  /usr/sbin/...) anywhere in those files and in the CMakeLists' add_test
  COMMANDs (the /usr/bin/python3 every Python test runs with);
- plus DECLARED: what a scan cannot see (a command in a string handed to
  another program, a popen in C++).

Each program found must have a row in PACKAGES, its package must be named
in tools/setup.sh (or be one of Debian's Essential packages, always
installed), and it must be present (on PATH plus the sbin directories, or
at its absolute path); each module must be importable by /usr/bin/python3.
Every failure names the program, where a script runs it and the package
setup.sh must install. Exit 0 all present and accounted for, 1 otherwise.

--setup FILE checks against another setup.sh, --path PATH looks programs up
there instead of $PATH, --list prints what the scan found. --self-test shows
the check catches the case that broke the fresh machine: a setup.sh without
iputils-ping, and a PATH without ping, must each fail naming ping.
"""
import argparse
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SCANNED = ["tools", "interop", "pcaps", "fuzz", "vectors", "reference", ".ci"]

# Files whose programs are not the tests' (relative to the root), and why.
EXCLUDED = {
    "tools/setup.sh": "the installer itself: apt-get, dpkg-query, debconf-set-selections, sudo",
    "tools/fresh-machine.sh": "runs on the host and installs debootstrap itself",
    "tools/check_programs.py": "this check (its patterns would match themselves)",
    "fuzz/oss-fuzz": "runs in OSS-Fuzz's image, whose Dockerfile installs its tools",
}

# program (a name looked up on PATH, or an absolute path) -> the Debian
# package that provides it (dpkg -S on Debian 12).
PACKAGES = {
    "python3": "python3", "/usr/bin/python3": "python3",
    "ping": "iputils-ping",
    "ip": "iproute2", "/sbin/ip": "iproute2", "/usr/sbin/ip": "iproute2",
    "tcpdump": "tcpdump", "/usr/sbin/tcpdump": "tcpdump", "/usr/bin/tcpdump": "tcpdump",
    "tshark": "tshark",
    "swanctl": "strongswan-swanctl", "/usr/sbin/swanctl": "strongswan-swanctl",
    "/usr/lib/ipsec/charon": "strongswan-charon",
    "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so": "libcharon-extra-plugins",
    "/usr/lib/ipsec/plugins/libstrongswan-kernel-netlink.so": "libstrongswan",
    "/usr/lib/ipsec/plugins/libstrongswan-xauth-generic.so": "libcharon-extauth-plugins",
    "modprobe": "kmod", "/sbin/modprobe": "kmod", "/usr/lib/uml/modules": "user-mode-linux", "cc": "gcc",
    "certutil": "libnss3-tools", "/usr/bin/certutil": "libnss3-tools",
    "/usr/bin/linux.uml": "user-mode-linux",
    "cmake": "cmake", "ctest": "cmake",
    "awk": "mawk",
    "mount": "mount",
    "xxd": "xxd",
    "openssl": "openssl",
    "pki": "strongswan-pki",
    # tools/coverage.sh, and tools/fuzz/compare_mutators.sh's source-coverage yardstick
    "clang++-14": "clang-14", "llvm-profdata-14": "llvm-14", "llvm-cov-14": "llvm-14",
    # Essential packages (always installed; checked with dpkg-query below)
    "bash": "bash", "/bin/bash": "bash", "sh": "dash", "/bin/sh": "dash",
    "env": "coreutils", "/usr/bin/env": "coreutils",
    "basename": "coreutils", "cat": "coreutils", "cp": "coreutils", "cut": "coreutils",
    "date": "coreutils", "dirname": "coreutils", "head": "coreutils", "id": "coreutils",
    "mkdir": "coreutils", "mktemp": "coreutils", "nproc": "coreutils", "rm": "coreutils",
    "seq": "coreutils", "sleep": "coreutils", "sort": "coreutils", "stat": "coreutils",
    "tail": "coreutils", "tee": "coreutils", "timeout": "coreutils", "nice": "coreutils", "wc": "coreutils", "yes": "coreutils",
    "grep": "grep", "sed": "sed", "find": "findutils",
    "ls": "coreutils", "touch": "coreutils", "chmod": "coreutils", "ln": "coreutils",
    "tr": "coreutils",
    # the interop matrix (interop/run)
    "/usr/bin/ping": "iputils-ping", "/usr/bin/tshark": "tshark", "/usr/bin/pki": "strongswan-pki",
    "/usr/bin/openssl": "openssl", "/usr/bin/pk12util": "libnss3-tools", "/usr/sbin/nft": "nftables",
    "/usr/sbin/iptables-legacy": "iptables",
    # tools/fuzz/oss_fuzz_emulate.sh, and fuzz/oss-fuzz/build.sh as it runs it
    "apt-get": "apt", "dpkg-source": "dpkg-dev", "unzip": "unzip", "zip": "zip", "mv": "coreutils",
    "clang": "clang", "clang++": "clang", "make": "make", "flex": "flex", "bison": "bison",
    "ar": "binutils",
}

# Absolute paths the scan finds that are places, not programs a test runs here.
NOT_PROGRAMS = {
    "/usr/libexec/ipsec": "libreswan's directory, bind-mounted from its unpacked copy (interop/adapters/libreswan.py)",
    "/usr/libexec/ipsec/_updown": "libreswan's updown script inside that bind mount",
    "/usr/lib/ipsec/_updown": "named in a comment: strongSwan's updown, which pluto must not run",
}
ESSENTIAL = {"bash", "dash", "coreutils", "grep", "sed", "findutils"}

# Python module (top-level name) -> Debian package.
MODULES = {"scapy": "python3-scapy", "cryptography": "python3-cryptography"}

# What a scan cannot see: (program, where it is run, how).
DECLARED = [
    ("sh", "tools/ipsecref/replay_command.cc", "runs --esp-counters COMMAND through /bin/sh -c"),
    ("sleep", "tools/ipsecref/tests/cli_hostile_cases.py", "an --esp-counters command that never ends"),
    ("yes", "tools/ipsecref/tests/cli_hostile_cases.py", "an --esp-counters command that prints without end"),
    ("cat", "tools/ipsecref/tests/cli_option_sweep.py", "the reader of a FIFO given as an output"),
    ("swanctl", "interop/replay/strongswan_replay.sh", "the --esp-counters command is \"swanctl --list-sas ...\""),
    ("certutil", "interop/conformance/remote_target.cc", "the libreswan target makes pluto's NSS database"),
    ("mount", "interop/conformance/remote_target.cc", "charon's and pluto's private /run, pluto's /usr/libexec (sh -c)"),
    ("/usr/bin/linux.uml", "interop/conformance/run-target.sh", "the kernel targets run in interop/uml/guest.sh"),
    ("ip", "interop/xfrm/manual_sa.py", "namespaces, veth and the kernel's SAs through its run([...]) helper"),
    ("tcpdump", "interop/xfrm/manual_sa.py", "the capture, started through its start([...]) helper"),
    ("ping", "interop/xfrm/manual_sa.py", "the pings through the tunnel, through its run([...]) helper"),
    ("apt-get", "tools/fuzz/oss_fuzz_emulate.sh", "update and source with a private sources list, through its ${apt[@]} array"),
    ("dpkg-source", "tools/fuzz/oss_fuzz_emulate.sh", "apt-get source unpacks the Debian sources with it"),
    ("clang", "tools/fuzz/oss_fuzz_emulate.sh", "CC=clang for fuzz/oss-fuzz/build.sh"),
    ("clang++", "tools/fuzz/oss_fuzz_emulate.sh", "CXX=clang++ for fuzz/oss-fuzz/build.sh"),
    ("make", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "Crypto++'s GNUmakefile, libpcap's build"),
    ("cmake", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "libpcap's configuration"),
    ("flex", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "libpcap's scanner, through cmake"),
    ("bison", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "libpcap's grammar, through cmake"),
    ("zip", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "the seed corpora"),
    ("ar", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "the static libraries"),
    ("nproc", "fuzz/oss-fuzz/build.sh (run by tools/fuzz/oss_fuzz_emulate.sh)", "the number of jobs"),
]
DECLARED_MODULES = [
    ("cryptography", "scapy.layers.ipsec (interop/scapy/crosscheck.py, pcaps/crosscheck_decrypt.py)",
     "Scapy's ESP ciphers and AH's HMACs; python3-scapy only recommends it"),
]

ABSOLUTE = re.compile(r"(?<![\w$}.-])/(?:usr/)?(?:s?bin|lib|libexec)/[\w.+/-]*[\w+]")


# -- shell -------------------------------------------------------------------

def shell_builtins():
    out = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True).stdout
    return set(out.split()) | {"[", "[[", "]]", "{", "}", "!", "time"}


BUILTINS = shell_builtins()
SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "()", "{", "}", ";;", "|&", "\n", ";&", ";;&"}
AFTER_KEYWORD = {"then", "do", "else", "elif", "if", "while", "until", "time"}
REDIRECT = re.compile(r"^[0-9]*(>|>>|<|>&|<&|&>|&>>|<>)$")
HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_]\w*)\2")


def strip_heredocs(lines):
    """(lines without heredoc bodies, [(first line of the command, body)])."""
    kept, bodies = [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        kept.append(line)
        i += 1
        m = HEREDOC.search(line) if "<<<" not in line else None
        if not m:
            continue
        body = []
        while i < len(lines):
            text = lines[i].lstrip("\t") if m.group(1) else lines[i]
            i += 1
            if text.strip() == m.group(3):
                break
            body.append(lines[i - 1])
            kept.append("")  # keep line numbers
        kept.append("")
        bodies.append((line, "\n".join(body)))
    return kept, bodies


def strip_comments(text):
    out, quote, i = [], None, 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            quote = None if c == "'" else quote
        elif quote == '"':
            if c == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            quote = None if c == '"' else quote
        elif c in "'\"":
            quote = c
        elif c == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n;"):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def extract_substitutions(text):
    """text with every $(...), <(...), >(...) replaced by a word and $((...)) by 0; the bodies."""
    bodies, out, i = [], [], 0
    while i < len(text):
        if text.startswith(("$(", "<(", ">("), i):
            arithmetic = text.startswith("$((", i)
            depth, j, quote = 0, i + 1, None
            while j < len(text):
                c = text[j]
                if quote:
                    if c == quote:
                        quote = None
                elif c in "'\"" and not arithmetic:
                    quote = c
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if arithmetic:
                out.append("0")
            else:
                inner, more = extract_substitutions(text[i + 2:j])
                bodies.append(inner)
                bodies.extend(more)
                out.append("SUBSTITUTION")
            i = j + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out), bodies


def tokens(text):
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace = " \t\r"
    lex.commenters = ""
    lex.wordchars += "$@{}[]#%:,^+!"
    try:
        return list(lex)
    except ValueError:  # unbalanced quotes: scan what a whitespace split gives
        return text.split()


def shell_commands(text, functions):
    """The program words in command position of shell text (no heredocs, no comments)."""
    text, substitutions = extract_substitutions(text.replace("\\\n", " "))
    found = []
    for body in substitutions:
        found += shell_commands(body, functions)
    # ${...} expansions may hold spaces (${1:?usage: ...}): one word each
    words = tokens(re.sub(r"\$\{[^}]*\}", "$P", text))
    command_position, skip_until_paren, i = True, False, 0
    while i < len(words):
        w = words[i]
        i += 1
        if skip_until_paren:
            skip_until_paren = w != ")"
            command_position = not skip_until_paren
            continue
        array = command_position and w.endswith("=") and i < len(words) and words[i] == "("
        if w in ("((", "[[") or array:
            # arithmetic, a test, an array's words: no commands up to the end
            end = {"((": "))", "[[": "]]"}.get(w, ")")
            while i < len(words) and not words[i].startswith(end):
                i += 1
            i += 1
            continue
        if w == "!":
            continue  # `! COMMAND` or a test's negation: changes no position
        if w.isdigit() and i < len(words) and REDIRECT.match(words[i]):
            continue  # 2>&1
        if w in SEPARATORS or w in AFTER_KEYWORD:
            if w == ";;" or w == ";&":
                skip_until_paren = i < len(words) and words[i].strip() not in ("esac",)
                if skip_until_paren:
                    # patterns up to ')', possibly after newlines
                    while i < len(words) and words[i] == "\n":
                        i += 1
                    skip_until_paren = i < len(words) and words[i] != "esac"
            command_position = True
            continue
        if REDIRECT.match(w):
            i += 1  # its file
            continue
        if not command_position:
            continue
        if w == "case":  # case WORD in PATTERN) ...
            while i < len(words) and words[i] != "in":
                i += 1
            i += 1
            while i < len(words) and words[i] == "\n":
                i += 1
            skip_until_paren = True
            continue
        if w in ("for", "select", "local", "export", "declare", "readonly", "typeset"):
            command_position = False
            continue
        if re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=", w):  # an assignment before the command
            continue
        if w in ("exec", "command", "sudo", "nice", "nohup"):
            if w == "nice":
                found.append(w)
            if w == "command" and i < len(words) and words[i] == "-v":
                i += 1
            while i < len(words) and words[i].startswith("-"):
                # nice -n N: the option's value is not the command
                i += 2 if w == "nice" and words[i] == "-n" else 1
            continue
        if w == "env":
            found.append(w)
            while i < len(words) and (words[i].startswith("-") or "=" in words[i]):
                i += 1
            continue
        if w == "timeout":
            found.append(w)
            while i < len(words) and (words[i].startswith("-") or re.match(r"^[\d.]+[smhd]?$", words[i])):
                i += 1
            continue
        command_position = False
        if "$" in w or w in BUILTINS or w in functions or w == "SUBSTITUTION":
            continue
        if "/" in w and not w.startswith("/"):
            continue  # the project's own script or binary, by a relative path
        found.append(w)
        if w in ("sh", "bash") and i + 1 < len(words) and words[i] == "-c":
            found += shell_commands(words[i + 1], functions)
            i += 2
        elif w == "ip" and words[i:i + 2] == ["netns", "exec"]:
            i += 3  # ip netns exec NS COMMAND
            command_position = True
    return found


def scan_shell(text):
    lines = text.split("\n")
    kept, heredocs = strip_heredocs(lines)
    body = strip_comments("\n".join(kept))
    functions = set(re.findall(r"(?m)^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)", body))
    found = shell_commands(body, functions)
    modules = []
    for line, heredoc in heredocs:
        if re.search(r"\bpython3?\b", line):
            programs, mods = scan_python(heredoc, set())
            found += programs
            modules += mods
    return found, modules


# -- Python ------------------------------------------------------------------

PY_PROGRAMS = [
    re.compile(r"subprocess\.(?:run|call|check_call|check_output|Popen)\(\s*\[\s*[\"']([^\"'$]+)[\"']"),
    re.compile(r"\b(?:cmd|base|command|argv)\s*=\s*\[\s*[\"']([^\"'-][^\"']*)[\"']"),
    re.compile(r"shutil\.which\(\s*[\"']([^\"']+)[\"']"),
    re.compile(r"os\.exec\w*\(\s*[\"']([^\"']+)[\"']"),
]
PY_IMPORT = re.compile(r"(?m)^\s*(?:import\s+([A-Za-z_]\w*)|from\s+([A-Za-z_]\w*)[\w.]*\s+import\b)")


def scan_python(text, local_modules):
    programs = [m.group(1) for pattern in PY_PROGRAMS for m in pattern.finditer(text)]
    modules = [a or b for a, b in PY_IMPORT.findall(text)]
    modules = [m for m in modules
               if m not in sys.stdlib_module_names and m != "__future__" and m not in local_modules]
    return programs, modules


# -- the tree ----------------------------------------------------------------

def excluded(rel):
    return any(rel == e or rel.startswith(e + "/") for e in EXCLUDED)


def files(root):
    for top in SCANNED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in ("corpus", "regressions", "__pycache__"))
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if not excluded(rel):
                    yield rel
    yield "CMakeLists.txt"


def shebang(text):
    first = text.split("\n", 1)[0]
    if not first.startswith("#!"):
        return []
    words = first[2:].split()
    return words[:1] + (words[1:2] if words and words[0].endswith("/env") else [])


def scan(root):
    """({program: [where]}, {module: [where]})."""
    programs, modules = {}, {}

    def add(table, name, where):
        table.setdefault(name, [])
        if where not in table[name]:
            table[name].append(where)

    targets = set()
    for rel in files(root):
        if os.path.basename(rel) == "CMakeLists.txt":
            with open(os.path.join(root, rel)) as f:
                targets |= set(re.findall(r"add_executable\(\s*([\w-]+)", f.read()))
    for rel in files(root):
        path = os.path.join(root, rel)
        base = os.path.basename(rel)
        kind = ("shell" if base.endswith(".sh") or rel == ".ci/run" else
                "python" if base.endswith(".py") else
                "cmake" if base == "CMakeLists.txt" else None)
        if kind is None:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        found, mods = [], []
        if kind == "shell":
            found, mods = scan_shell(text)
        elif kind == "python":
            # the project's own modules (a script may put a sibling directory on its path)
            found, mods = scan_python(text, own_modules(root))
        else:
            for command in re.findall(r"add_test\s*\(.*?COMMAND\s+([^)]*)\)", text, re.S):
                first = command.split()[0]
                if first in ("${CMAKE_COMMAND}", "${CMAKE_CTEST_COMMAND}"):
                    found.append("cmake" if first == "${CMAKE_COMMAND}" else "ctest")
                elif re.fullmatch(r"\$\{\w+\}", first):  # a variable the file sets: its value
                    var = first[2:-1]
                    value = re.search(r"set\(%s\s+(\S+)" % re.escape(var), text) or \
                        re.search(r"find_program\(%s\s+(\S+)\s+PATHS\s+(\S+)" % re.escape(var), text)
                    found.append(first if not value else
                                 value.group(1) if value.lastindex == 1 else value.group(2) + "/" + value.group(1))
                elif "$" not in first and "/" not in first and first not in targets:
                    found.append(first)
            found += ABSOLUTE.findall("\n".join(re.findall(r"add_test\s*\(.*?\)", text, re.S)))
        if kind != "cmake":
            found += shebang(text) + ABSOLUTE.findall(text)
        for program in found:
            if program not in NOT_PROGRAMS:
                add(programs, program, rel)
        for module in mods:
            add(modules, module, rel)
    for program, where, how in DECLARED:
        add(programs, program, "%s (%s)" % (where, how))
    for module, where, how in DECLARED_MODULES:
        add(modules, module, "%s (%s)" % (where, how))
    return programs, modules


@functools.lru_cache(maxsize=None)
def own_modules(root):
    """The names of the project's Python modules (every *.py file's name under the scanned directories)."""
    names = set()
    for top in SCANNED:
        for directory, _, files in os.walk(os.path.join(root, top)):
            names |= {os.path.splitext(n)[0] for n in files if n.endswith(".py")}
    return names


def setup_packages(setup):
    text = open(setup).read()
    m = re.search(r"(?ms)^PACKAGES=\((.*?)^\)", text)
    if not m:
        return set()
    return set(strip_comments(m.group(1)).split())


@functools.lru_cache(maxsize=None)
def essential(package):
    """Whether dpkg says PACKAGE is Essential (None: no dpkg here)."""
    if not shutil.which("dpkg-query"):
        return None
    out = subprocess.run(["dpkg-query", "-W", "-f=${Essential}", package], capture_output=True, text=True)
    return out.stdout.strip() == "yes"


def check(root, setup, path, show):
    programs, modules = scan(root)
    packages = setup_packages(setup)
    problems = []
    search = path + ":/usr/local/sbin:/usr/sbin:/sbin"
    rel_setup = os.path.relpath(setup, root) if setup.startswith(root) else setup
    for program in sorted(programs):
        where = programs[program]
        run_by = "run by " + ", ".join(where[:3]) + (" and %d more" % (len(where) - 3) if len(where) > 3 else "")
        package = PACKAGES.get(program)
        if show:
            print("%-58s %-24s %s" % (program, package or "?", run_by))
        if package is None:
            problems.append("%s (%s): no Debian package for it in tools/check_programs.py's PACKAGES: "
                            "add its row (dpkg -S) and the package to %s" % (program, run_by, rel_setup))
            continue
        if package in ESSENTIAL:
            if essential(package) is False:
                problems.append("%s (%s): package %s is not Essential here: %s must install it"
                                % (program, run_by, package, rel_setup))
        elif package not in packages:
            problems.append("%s (%s): its package %s is not in %s" % (program, run_by, package, rel_setup))
        present = os.path.exists(program) if program.startswith("/") else shutil.which(program, path=search)
        if not present:
            problems.append("%s is missing (%s): package %s, %s" % (
                program, run_by, package, "run " + rel_setup if package in packages or package in ESSENTIAL
                else "which " + rel_setup + " must install"))
    for module in sorted(modules):
        where = modules[module]
        package = MODULES.get(module)
        if show:
            print("%-58s %-24s imported by %s" % ("python3: import " + module, package or "?", ", ".join(where)))
        if package is None:
            problems.append("Python module %s (imported by %s): no Debian package for it in "
                            "tools/check_programs.py's MODULES" % (module, ", ".join(where)))
            continue
        if package not in packages:
            problems.append("Python module %s (imported by %s): its package %s is not in %s"
                            % (module, ", ".join(where), package, rel_setup))
        if subprocess.run(["/usr/bin/python3", "-c", "import " + module], capture_output=True).returncode != 0:
            problems.append("Python module %s is missing (imported by %s): package %s, %s" % (
                module, ", ".join(where), package, "run " + rel_setup if package in packages
                else "which " + rel_setup + " must install"))
    for p in problems:
        print("FAIL " + p)
    print("programs: %d programs and %d Python modules found, %d problems"
          % (len(programs), len(modules), len(problems)))
    return problems


def self_test(root):
    """The check fails, naming ping, on the two ways the fresh machine broke."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        setup = os.path.join(tmp, "setup.sh")
        with open(os.path.join(root, "tools", "setup.sh")) as f:
            text = f.read()
        with open(setup, "w") as f:
            f.write(re.sub(r"\biputils-ping\b", "", text))
        print("-- a setup.sh without iputils-ping")
        problems = check(root, setup, os.environ.get("PATH", ""), False)
        named = [p for p in problems if p.startswith("ping ") and "iputils-ping is not in" in p]
        print("self-test: %s" % ("caught" if named else "NOT caught"))
        ok &= bool(named)

        # A PATH holding every program of the real one but ping.
        bin_dir = os.path.join(tmp, "bin")
        os.mkdir(bin_dir)
        for d in os.environ.get("PATH", "").split(":") + ["/usr/local/sbin", "/usr/sbin", "/sbin"]:
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                target = os.path.join(bin_dir, name)
                if name != "ping" and not os.path.lexists(target):
                    os.symlink(os.path.join(d, name), target)
        print("-- a PATH without ping (only %s)" % bin_dir)
        problems = check(root, os.path.join(root, "tools", "setup.sh"), bin_dir, False)
        named = [p for p in problems if p.startswith("ping is missing") and "package iputils-ping" in p]
        print("self-test: %s" % ("caught" if named else "NOT caught"))
        ok &= bool(named)
    print("RESULT: %s" % ("OK" if ok else "FAILED"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--setup")
    ap.add_argument("--path", default=os.environ.get("PATH", ""))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    if a.self_test:
        return 0 if self_test(root) else 1
    setup = os.path.abspath(a.setup or os.path.join(root, "tools", "setup.sh"))
    return 1 if check(root, setup, a.path, a.list) else 0


if __name__ == "__main__":
    sys.exit(main())
