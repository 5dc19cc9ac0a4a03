"""Reading the requirement citations of the source tree and the section index.

A citation is a comment line `//= <anchor>` followed by one or more `//#`
lines that state the requirement in our own words (in Python files the
lines may start with `# `). Anchors take three forms:

  rfcNNNN                     the RFC as a whole
  rfcNNNN#section-X.Y         a numbered section
  rfcNNNN#appendix-X          an appendix (or a numbered part of one)
  ipsecref#choice             a project choice, not an RFC requirement
  <path> <name>               a project document (a file of this tree) and
                              a name that occurs in it, e.g. a schema name

The code also carries requirements at run time: an error names the
requirement it breaks as a string literal, e.g.
`ENSURE(..., "rfc7296#section-3.10", ...)`. Every such literal of a C++
file (`"rfcNNNN"`, `"rfcNNNN#section-X.Y"`, `"rfcNNNN#appendix-X"`) must
name a section of the index too.

tools/citations/sections.txt lists every RFC section the code may cite, one a
line: `rfcNNNN <section> <title>`, <section> being `-` for the RFC as a whole,
`X.Y` for a section and `appendix-X` for an appendix.
"""

import os
import re
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INDEX = os.path.join(ROOT, "tools", "citations", "sections.txt")

# Directories never scanned: version control, build trees, caches.
SKIPPED_DIRS = {".git", "__pycache__", ".cache", "node_modules"}
SKIPPED_DIR_PREFIXES = ("build-", "build_", "cmake-build")
# Documents: their examples of citations are not citations.
SKIPPED_SUFFIXES = (".md",)
# Files larger than this are data (captures, corpora), not source.
MAX_SOURCE_BYTES = 4 * 1024 * 1024

CITE = re.compile(r"^\s*(?:#\s*)?//=(.*)$")
TEXT = re.compile(r"^\s*(?:#\s*)?//#")
# A requirement carried in a C++ string literal: "rfcNNNN" or "rfcNNNN#...".
REQUIREMENT_LITERAL = re.compile(r'"(rfc[0-9]+(?:#[^"\\]*)?)"')
REQUIREMENT_SUFFIXES = (".cc", ".h")
RFC_ANCHOR = re.compile(r"^rfc([1-9][0-9]*)(?:#(section|appendix)-([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*))?$")
CHOICE_ANCHOR = "ipsecref#choice"


@dataclass
class Citation:
    path: str  # relative to the root, '/'-separated
    line: int  # 1-based
    anchor: str  # as written
    key: tuple | None = None  # ("rfc7296", "2.6"), ("ipsecref", "choice"), ("doc", path, name)
    text: list = field(default_factory=list)  # the //# lines


@dataclass
class Requirement:
    """A requirement string literal of the code, e.g. "rfc7296#section-3.10"."""
    path: str
    line: int
    anchor: str
    key: tuple | None = None


@dataclass
class Problem:
    path: str
    line: int
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


def section_key(anchor):
    """("rfcNNNN", section) for an RFC anchor, None when it is not one."""
    m = RFC_ANCHOR.match(anchor)
    if not m:
        return None
    rfc = f"rfc{m.group(1)}"
    if m.group(2) is None:
        return (rfc, "-")
    if m.group(2) == "section":
        return (rfc, m.group(3))
    return (rfc, f"appendix-{m.group(3)}")


def read_index(path=INDEX):
    """{(rfc, section): title} and the problems of the index itself."""
    sections, problems = {}, []
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                problems.append(Problem(rel, n, f"expected '<rfc> <section> <title>', got {line!r}"))
                continue
            doc, section, title = parts
            if doc == "ipsecref":
                key = (doc, section)
            else:
                anchor = doc if section == "-" else (
                    f"{doc}#{section}" if section.startswith("appendix-") else f"{doc}#section-{section}")
                key = section_key(anchor)
                if key is None:
                    problems.append(Problem(rel, n, f"not an RFC section: {doc} {section}"))
                    continue
            if key in sections:
                problems.append(Problem(rel, n, f"{doc} {section} is listed twice"))
            sections[key] = title
    for (doc, section) in list(sections):
        if doc.startswith("rfc") and (doc, "-") not in sections:
            problems.append(Problem(rel, 0, f"{doc} has sections but no '{doc} - <title>' line"))
    return sections, problems


def source_files(root=ROOT):
    """Every text file of the tree, build trees and version control aside."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIPPED_DIRS and d != "build" and not d.startswith(SKIPPED_DIR_PREFIXES))
        for name in sorted(filenames):
            if name.endswith(SKIPPED_SUFFIXES):
                continue
            full = os.path.join(dirpath, name)
            try:
                if os.path.getsize(full) > MAX_SOURCE_BYTES or not os.path.isfile(full):
                    continue
                with open(full, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if b"\0" in data or (b"//=" not in data and b'"rfc' not in data):
                continue
            yield os.path.relpath(full, root).replace(os.sep, "/"), data.decode("utf-8", "replace")


def parse_citations(rel, text, root=ROOT):
    """The citations of one file, and the problems of their form."""
    citations, problems = [], []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = CITE.match(line)
        if not m:
            continue
        rest = m.group(1).strip()
        c = Citation(rel, i + 1, rest)
        j = i + 1
        while j < len(lines) and TEXT.match(lines[j]):
            c.text.append(TEXT.sub("", lines[j]).strip())
            j += 1
        if not c.text:
            problems.append(Problem(rel, i + 1, f"'//= {rest}' is not followed by a '//#' line stating the requirement"))
        words = rest.split(None, 1)
        if not words:
            problems.append(Problem(rel, i + 1, "'//=' names no anchor"))
        elif words[0] == CHOICE_ANCHOR and len(words) == 1:
            c.key = ("ipsecref", "choice")
        elif (key := section_key(words[0])) is not None and len(words) == 1:
            c.key = key
        elif len(words) == 2 and not words[0].startswith(("rfc", "ipsecref", "http")):
            doc, name = words[0], words[1].strip().strip('"')
            full = os.path.join(root, doc)
            if not os.path.isfile(full):
                problems.append(Problem(rel, i + 1, f"'//= {rest}': no file {doc} in this tree"))
            else:
                with open(full, encoding="utf-8", errors="replace") as f:
                    if name not in f.read():
                        problems.append(Problem(rel, i + 1, f"'//= {rest}': {doc} does not name {name!r}"))
                    else:
                        c.key = ("doc", doc, name)
        else:
            problems.append(Problem(
                rel, i + 1,
                f"'//= {rest}' is not an anchor of the form rfcNNNN, rfcNNNN#section-X.Y, "
                f"rfcNNNN#appendix-X, {CHOICE_ANCHOR} or '<file of this tree> <name>'"))
        citations.append(c)
    return citations, problems


def parse_requirements(rel, text):
    """The requirement string literals of one C++ file (comment lines aside)."""
    if not rel.endswith(REQUIREMENT_SUFFIXES):
        return []
    found = []
    for i, line in enumerate(text.splitlines()):
        if line.lstrip().startswith("//"):
            continue
        for m in REQUIREMENT_LITERAL.finditer(line):
            found.append(Requirement(rel, i + 1, m.group(1), section_key(m.group(1))))
    return found


def scan(root=ROOT):
    """All citations of the tree and the problems of their form."""
    citations, problems = [], []
    for rel, text in source_files(root):
        c, p = parse_citations(rel, text, root)
        citations += c
        problems += p
    return citations, problems


def scan_requirements(root=ROOT):
    """All requirement string literals of the tree's C++ files."""
    found = []
    for rel, text in source_files(root):
        found += parse_requirements(rel, text)
    return found


def check_requirements(requirements, sections):
    """Problems of requirement literals of unknown form or not in the index."""
    problems = []
    for r in requirements:
        if r.key is None:
            problems.append(Problem(r.path, r.line,
                                    f'requirement "{r.anchor}" is not of the form rfcNNNN, '
                                    "rfcNNNN#section-X.Y or rfcNNNN#appendix-X"))
        elif r.key not in sections:
            problems.append(Problem(r.path, r.line,
                                    f'requirement "{r.anchor}" names a section that is not in '
                                    "tools/citations/sections.txt (check it in the RFC text, then add "
                                    "its number and title)"))
    return problems


def check(citations, sections):
    """Problems of citations whose RFC section is not in the index."""
    problems = []
    for c in citations:
        if c.key is None or c.key[0] == "doc":
            continue
        if c.key not in sections:
            problems.append(Problem(c.path, c.line,
                                    f"'//= {c.anchor}' names a section that is not in tools/citations/sections.txt "
                                    "(check it in the RFC text, then add its number and title)"))
    return problems
