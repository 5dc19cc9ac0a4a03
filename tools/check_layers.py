#!/usr/bin/env python3
"""Checks the layering of the stack against what the build declares.

Every module of reference/ and interop/ is a CMake library declared with
ipsecref_module(NAME DIRS ... USES ...); the build writes their folders and
uses to layers.json. A file of a module may include the headers of its own
module and of the modules it uses, directly or through them; nothing else of
the project. Tests (`*_test.cc`, `*_test_util.h`) may also include any module
of reference/ (a test may build its inputs with a higher layer), never the
harness. Every .h/.cc under reference/ must belong to a module; files of
interop/ outside a module are the harness's programs (top of the stack). Exit 0 when all holds, 1 naming every file:line that
breaks it, 2 on bad usage.

--self-test plants a wrong include (reference/esp including interop/check)
in a copy of the tree's file list and checks that it is caught.
"""
import argparse
import json
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:reference|interop)/[^"]+)"')
SOURCE_ROOTS = ("reference", "interop")


def closure(layers, name):
    seen, todo = set(), [name]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(u for u in layers[m]["uses"] if u in layers)
    return seen


def module_of(dir_to_module, path):
    """The module whose folder holds `path` (the longest matching folder)."""
    best = None
    for d, m in dir_to_module.items():
        if (path.startswith(d + "/")) and (best is None or len(d) > len(best[0])):
            best = (d, m)
    return best[1] if best else None


def is_test(path):
    base = os.path.basename(path)
    return base.endswith("_test.cc") or base.endswith("_test_util.h") or base.endswith("_test.h")


def check(layers, files):
    """files: {relative path: text}. Returns a list of problems."""
    dir_to_module = {d: m for m, v in layers.items() for d in v["dirs"]}
    allowed = {m: closure(layers, m) for m in layers}
    reference_modules = {m for m, v in layers.items()
                         if any(d.startswith("reference/") for d in v["dirs"])}
    problems = []
    for path, text in sorted(files.items()):
        own = module_of(dir_to_module, path)
        if own is None:
            if not path.startswith("reference/"):
                continue  # a program of the harness (a cross-check driver): top of the stack
            problems.append(f"{path}: in no module: declare its folder with ipsecref_module() "
                            "in the CMakeLists.txt of its layer")
            continue
        may = set(allowed[own])
        if is_test(path):
            may |= reference_modules
        for number, line in enumerate(text.splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = module_of(dir_to_module, m.group(1))
            if target is None:
                problems.append(f"{path}:{number}: includes {m.group(1)}, which is in no module")
            elif target not in may:
                problems.append(f"{path}:{number}: {own} includes {m.group(1)} of {target}, "
                                f"which {own} does not use (DESIGN.md: a module uses only the "
                                f"layers below it; add it to USES only if the layering allows)")
    return problems


def read_tree(root):
    files = {}
    for top in SOURCE_ROOTS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".h", ".cc")):
                    full = os.path.join(dirpath, n)
                    rel = os.path.relpath(full, root)
                    with open(full, encoding="utf-8", errors="replace") as f:
                        files[rel] = f.read()
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", required=True, help="layers.json written by the build")
    ap.add_argument("--root", required=True, help="the source tree")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    try:
        with open(a.layers, encoding="utf-8") as f:
            layers = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_layers: cannot read {a.layers}: {e}", file=sys.stderr)
        return 2
    files = read_tree(a.root)
    if a.self_test:
        planted = "reference/esp/planted.cc"
        files = {planted: '#include "reference/esp/esp_sa.h"\n#include "interop/check/capture_check.h"\n',
                 "reference/unknown/x.cc": "\n",
                 "interop/driver/main.cc": '#include "interop/check/capture_check.h"\n'}
        problems = check(layers, files)
        want = [f"{planted}:2:", "reference/unknown/x.cc: in no module"]
        missing = [w for w in want if not any(p.startswith(w) for p in problems)]
        if missing or len(problems) != 2:
            print("check_layers self-test: expected exactly the planted problems "
                  f"{want}, got {problems}", file=sys.stderr)
            return 1
        print("check_layers self-test: the planted wrong include and the stray file are caught")
        return 0
    problems = check(layers, files)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check_layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
