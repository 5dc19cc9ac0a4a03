#!/usr/bin/python3
"""Checks every requirement citation of the tree against the section index.

  check_citations.py [--root DIR] [--index FILE]

Fails (exit 1) naming file:line for every `//=` whose RFC section is not in
tools/citations/sections.txt, every `//=` not followed by a `//#` line, and
every anchor of an unknown form, and every requirement string literal of a
C++ file ("rfcNNNN#section-X.Y", the requirement an error carries at run
time) that is of an unknown form or not in the index; exit 2 when the index
cannot be read.
The whole tree under --root is scanned (build trees and .git aside), so a
file moved or added anywhere is checked too.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import citations  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--root", default=citations.ROOT, help="tree to scan (default: this checkout)")
    ap.add_argument("--index", default=None, help="section index (default: ROOT/tools/citations/sections.txt)")
    args = ap.parse_args(argv)
    index = args.index or os.path.join(args.root, "tools", "citations", "sections.txt")
    try:
        sections, problems = citations.read_index(index)
    except OSError as e:
        print(f"check_citations: cannot read the index {index}: {e.strerror}", file=sys.stderr)
        return 2
    found, form_problems = citations.scan(args.root)
    requirements = citations.scan_requirements(args.root)
    problems += form_problems + citations.check(found, sections)
    problems += citations.check_requirements(requirements, sections)
    for p in sorted(problems, key=lambda p: (p.path, p.line)):
        print(p)
    rfc = sum(1 for c in found if c.key and c.key[0].startswith("rfc"))
    choice = sum(1 for c in found if c.key == ("ipsecref", "choice"))
    print(f"{len(found)} citations ({rfc} RFC, {choice} project choices, "
          f"{len(found) - rfc - choice} other), {len(requirements)} requirement strings, "
          f"{len(sections)} indexed sections, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
