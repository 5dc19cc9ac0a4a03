#!/usr/bin/python3
"""Reports of the interop matrix: results.json as HTML and Markdown.

  report.py RESULTS.json [--html OUT.html] [--markdown OUT.md] [--check]

RESULTS.json is what the interop runner (interop/run) writes, schema
"ipsecref-interop-1" (README.md). It is validated strictly first: a bad file
is refused with one line naming the file and the path of the first bad field
(`results.json: runs[3].verdict: ...`), exit 1, and nothing is written.

  --html OUT.html    one self-contained page: the matrix initiator x responder,
                     a badge per case coloured by verdict (click for the reason,
                     the checks and the evidence directory), and cases x pairs
  --markdown OUT.md  the matrix with counts per cell and every failed run
                     ("-" for standard output)
  --check            validate only

With neither --html nor --markdown (and no --check) the Markdown goes to
standard output. Output files are written whole (a temporary file renamed).

As a module: load(path) or parse(bytes) -> the validated results (plain
dicts); markdown(results) and html_page(results) -> str; ResultsError.
"""
import argparse
import datetime
import html
import json
import math
import os
import re
import sys
import tempfile
import urllib.parse

SCHEMA = "ipsecref-interop-1"

# Verdicts of a run, worst first: the order of precedence within a cell.
VERDICTS = ("fail", "error", "unsupported", "pass")
CHECK_VERDICTS = ("pass", "fail", "skipped")
ROLES = ("initiator", "responder")

# How each verdict is shown: Markdown symbol, HTML label and colour.
SYMBOL = {"pass": "✓", "fail": "✗", "error": "⚠", "unsupported": "–"}
COUNT_ORDER = ("pass", "fail", "error", "unsupported")  # as in "14 ✓ · 1 ✗ · 2 –"
COLOUR = {"pass": "#2da44e", "fail": "#cf222e", "error": "#e16f24", "unsupported": "#8c959f",
          "skipped": "#8c959f"}

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
EVIDENCE = re.compile(r"[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*/?\Z")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\Z", re.ASCII)


class ResultsError(Exception):
    """A results file that cannot be read or breaks the schema."""

    def __init__(self, path, message):
        """path: of the bad field, "" the top level, None the file as a whole."""
        super().__init__(message if path is None else "%s: %s" % (path or "(top level)", message))
        self.path = path


# --- the schema, as tables of checkers ------------------------------------
# A checker takes (value, path) and raises ResultsError; paths read like
# runs[3].checks[0].verdict.

def _kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def _expect(value, path, types, what):
    """isinstance, except that true and false are no numbers."""
    if not isinstance(value, types) or isinstance(value, bool):
        raise ResultsError(path, "expected %s, got %s" % (what, _kind(value)))


def text(value, path):
    _expect(value, path, str, "a string")


def nonempty(value, path):
    _expect(value, path, str, "a string")
    if not value.strip():
        raise ResultsError(path, "must not be empty")


def name(value, path):
    _expect(value, path, str, "a string")
    if not NAME.match(value):
        raise ResultsError(path, "%s is no name (letters, digits, . _ + -)" % _show(value))


def seconds(value, path):
    _expect(value, path, (int, float), "a number")
    if value < 0 or isinstance(value, float) and not math.isfinite(value):  # 1e999 is inf
        raise ResultsError(path, "%r is no duration in seconds" % value)


def _time(value):
    if not TIMESTAMP.match(value):
        raise ValueError(value)
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def timestamp(value, path):
    _expect(value, path, str, "a string")
    try:
        _time(value)
    except ValueError:
        raise ResultsError(path, "%s is no UTC time like 2026-12-07T10:00:00Z" % _show(value)) from None


def evidence(value, path):
    _expect(value, path, str, "a string")
    if not EVIDENCE.match(value) or any(part in (".", "..") for part in value.split("/")):
        raise ResultsError(path, "%s is no directory below the results file's" % _show(value))


def one_of(*values):
    def check(value, path):
        if value not in values:
            raise ResultsError(path, "%s is not one of %s" % (_show(value), ", ".join(values)))
    return check


def list_of(item, nonempty_list=False, unique=False):
    def check(value, path):
        _expect(value, path, list, "a list")
        if nonempty_list and not value:
            raise ResultsError(path, "must not be empty")
        for i, element in enumerate(value):
            item(element, "%s[%d]" % (path, i))
            if unique and element in value[:i]:
                raise ResultsError("%s[%d]" % (path, i), "%s twice" % _show(element))
    return check


def map_of(item):
    """An object whose keys are names, each value checked by item."""
    def check(value, path):
        _object(value, path)
        for key in value:
            name(key, _join(path, key))
            item(value[key], _join(path, key))
    return check


def fields(table, rule=None):
    """An object with exactly the fields of table, in this order; then rule."""
    def check(value, path):
        _object(value, path)
        for field, checker in table.items():
            if field not in value:
                raise ResultsError(_join(path, field), "missing")
            checker(value[field], _join(path, field))
        for field in sorted(set(value) - set(table)):
            raise ResultsError(_join(path, field), "unknown field")
        if rule:
            rule(value, path)
    return check


def _object(value, path):
    _expect(value, path, dict, "an object")
    if getattr(value, "duplicate", None) is not None:
        raise ResultsError(_join(path, value.duplicate), "given twice")


def _join(path, key):
    step = key if re.match(r"[A-Za-z0-9_-]+\Z", key) else json.dumps(key)
    return "%s.%s" % (path, step) if path else step


def _show(value):
    shown = json.dumps(value, ensure_ascii=True)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _run_rule(run, path):
    """What one run says must agree with itself."""
    if (run["verdict"] == "pass") != (run["reason"] == ""):
        raise ResultsError(_join(path, "reason"), "empty on pass, and only on pass (verdict %s)" % run["verdict"])
    names = [c["name"] for c in run["checks"]]
    for i, check in enumerate(run["checks"]):
        where = "%s.checks[%d]" % (path, i)
        if check["name"] in names[:i]:
            raise ResultsError(where + ".name", "check %s twice" % _show(check["name"]))
        if run["verdict"] == "pass" and check["verdict"] == "fail":
            raise ResultsError(where + ".verdict", "a failed check in a run whose verdict is pass")


def _results_rule(results, path):
    """The runs name known implementations in roles they take, known cases, each triple once."""
    if _time(results["end"]) < _time(results["start"]):
        raise ResultsError("end", "before start (%s)" % results["start"])
    seen = {}
    for i, run in enumerate(results["runs"]):
        where = "runs[%d]" % i
        for role in ROLES:
            impl = results["implementations"].get(run[role])
            if impl is None:
                raise ResultsError("%s.%s" % (where, role), "unknown implementation %s" % _show(run[role]))
            if role not in impl["roles"]:
                raise ResultsError("%s.%s" % (where, role), "%s does not take the %s role (%s)"
                                   % (_show(run[role]), role, _join(_join("implementations", run[role]), "roles")))
        if run["case"] not in results["cases"]:
            raise ResultsError(where + ".case", "unknown case %s" % _show(run["case"]))
        key = (run["initiator"], run["responder"], run["case"])
        if key in seen:
            raise ResultsError(where, "%s → %s, %s again (runs[%d])" % (key + (seen[key],)))
        seen[key] = i


CHECK = fields({"name": nonempty, "verdict": one_of(*CHECK_VERDICTS), "detail": text})
RUN = fields({"initiator": name, "responder": name, "case": name, "verdict": one_of(*VERDICTS),
              "reason": text, "duration_s": seconds, "checks": list_of(CHECK), "evidence": evidence},
             _run_rule)
IMPLEMENTATION = fields({"description": text, "version": nonempty, "kernel": nonempty,
                         "roles": list_of(one_of(*ROLES), nonempty_list=True, unique=True)})
CASE = fields({"description": text, "requirements": list_of(nonempty)})
RESULTS = fields({"schema": one_of(SCHEMA), "ipsecref_version": nonempty, "start": timestamp,
                  "end": timestamp, "duration_s": seconds, "implementations": map_of(IMPLEMENTATION),
                  "cases": map_of(CASE), "runs": list_of(RUN)},
                 _results_rule)


# --- reading ---------------------------------------------------------------

class _Object(dict):
    duplicate = None


def _pairs(pairs):
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        obj.duplicate = next(k for i, k in enumerate(keys) if k in keys[:i])
    return obj


def _no_constant(constant):
    raise ValueError("%s is no JSON number" % constant)


def parse(data):
    """bytes -> the validated results; ResultsError when they are not."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ResultsError(None, "not UTF-8 (byte %d)" % e.start) from None
    try:
        results = json.loads(decoded, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        what = "ends early" if e.pos >= len(decoded.rstrip()) else e.msg
        raise ResultsError(None, "not JSON: %s (line %d, column %d)" % (what, e.lineno, e.colno)) from None
    except (ValueError, RecursionError) as e:  # NaN, 5000-digit numbers, [[[[...
        raise ResultsError(None, "not JSON: %s" % (str(e) or type(e).__name__)) from None
    RESULTS(results, "")
    return results


def load(path):
    """The validated results of a file; ResultsError names the file too."""
    try:
        with open(path, "rb") as f:
            return parse(f.read())
    except OSError as e:
        raise ResultsError(None, "%s: %s" % (path, e.strerror or e)) from None
    except ResultsError as e:
        e.args = ("%s: %s" % (path, e.args[0]),)
        raise


# --- what both reports show ------------------------------------------------

def _roles(results, role):
    return sorted(n for n, impl in results["implementations"].items() if role in impl["roles"])


def _cells(results):
    """(initiator, responder) -> its runs, worst verdict first, then by case."""
    cells = {}
    for run in results["runs"]:
        cells.setdefault((run["initiator"], run["responder"]), []).append(run)
    for runs in cells.values():
        runs.sort(key=lambda r: (VERDICTS.index(r["verdict"]), r["case"]))
    return cells


def _counts(runs):
    """'14 ✓ · 1 ✗ · 2 –': the verdicts that occur, in COUNT_ORDER."""
    found = [v for v in COUNT_ORDER if any(r["verdict"] == v for r in runs)]
    return " · ".join("%d %s" % (sum(r["verdict"] == v for r in runs), SYMBOL[v]) for v in found)


def _failed(results):
    return sorted((r for r in results["runs"] if r["verdict"] in ("fail", "error")),
                  key=lambda r: (r["initiator"], r["responder"], r["case"]))


def _duration(s):
    if s < 60:
        return "%.1f s" % s
    minutes, sec = divmod(round(s), 60)
    hours, minutes = divmod(minutes, 60)
    return "%d h %02d min" % (hours, minutes) if hours else "%d min %02d s" % (minutes, sec)


# --- Markdown --------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _md(s):
    """One line of Markdown showing s as it is."""
    return MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(s.split()), quote=False))


def markdown(results):
    initiators, responders = _roles(results, "initiator"), _roles(results, "responder")
    cells = _cells(results)
    out = ["## Interop matrix", "",
           "ipsecref %s, %s, %s: %d implementations, %d cases, %d runs." % (
               _md(results["ipsecref_version"]), results["start"], _duration(results["duration_s"]),
               len(results["implementations"]), len(results["cases"]), len(results["runs"])),
           "",
           "| initiator ↓ responder → | %s |" % " | ".join(responders),
           "|---|" + "---|" * len(responders)]
    for i in initiators:
        out.append("| **%s** | %s |" % (i, " | ".join(_counts(cells.get((i, r), [])) for r in responders)))
    out += ["", " · ".join("%s %s" % (SYMBOL[v], v) for v in COUNT_ORDER), ""]
    failed = _failed(results)
    out += ["### Failed runs", ""]
    out += ["- %s → %s, %s: %s%s" % (r["initiator"], r["responder"], r["case"],
                                    "(error) " if r["verdict"] == "error" else "", _md(r["reason"]))
            for r in failed] or ["None."]
    return "\n".join(out) + "\n"


# --- HTML ------------------------------------------------------------------

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
.badge { display: inline-block; padding: 1px 6px; margin: 1px; border-radius: 4px; color: #fff;
         cursor: pointer; font-size: 12px; list-style: none; }
.badge::-webkit-details-marker { display: none; }
details { display: inline-block; position: relative; }
.pop { position: absolute; z-index: 10; left: 0; top: 1.6em; min-width: 26em; max-width: 40em;
       background: #fff; border: 1px solid #8c959f; border-radius: 4px; padding: 6px 8px;
       box-shadow: 0 3px 8px rgba(0,0,0,.2); }
.pop table { margin: 4px 0; font-size: 12px; }
.reason { white-space: pre-wrap; }
.counts { font-size: 12px; color: #59636e; margin-bottom: 2px; }
"""
CSS += "".join(".%s { background: %s; }\n" % (v, c) for v, c in COLOUR.items())
CSS += "".join("td.cell-%s { background: %s1a; }\n" % (v, c) for v, c in COLOUR.items())

# Only one popup open at a time; Escape closes it.
JS = """
document.addEventListener('toggle', function (e) {
  if (e.target.open) document.querySelectorAll('details[open]').forEach(function (d) {
    if (d !== e.target) d.open = false; });
}, true);
document.addEventListener('keydown', function (e) {
  if (e.key === 'Escape') document.querySelectorAll('details[open]').forEach(function (d) { d.open = false; });
});
"""

esc = html.escape
# What an evidence directory holds (interop/run), linked from each badge.
EVIDENCE_FILES = ("check.txt", "tshark.txt", "capture.pcap", "keys", "logs")


def _badge(run, label, base):
    """A badge: hovering shows the reason, clicking the reason, the checks and the evidence."""
    verdict = run["verdict"]
    summary = "%s → %s, %s: %s" % (run["initiator"], run["responder"], run["case"], verdict)
    hover = summary + ("\n" + run["reason"] if run["reason"] else "")
    checks = "".join('<tr><td>%s</td><td><span class="badge %s">%s</span></td><td class="reason">%s</td></tr>'
                     % (esc(c["name"]), c["verdict"], c["verdict"], esc(c["detail"])) for c in run["checks"])
    directory = base + run["evidence"].rstrip("/") + "/"
    links = " ".join('<a href="%s">%s</a>' % (esc(urllib.parse.quote(directory + f, safe="/")), f)
                     for f in EVIDENCE_FILES)
    return ('<details><summary class="badge %s" title="%s">%s</summary><div class="pop">'
            '<b>%s</b> (%s)%s%s<div>evidence: <a href="%s">%s</a> (%s)</div></div></details>'
            % (verdict, esc(hover), esc(label), esc(summary), _duration(run["duration_s"]),
               '<div class="reason">%s</div>' % esc(run["reason"]) if run["reason"] else "",
               "<table><tr><th>check</th><th>verdict</th><th>detail</th></tr>%s</table>" % checks if checks else "",
               esc(urllib.parse.quote(directory, safe="/")), esc(directory), links))


def _cell(runs, label, base):
    if not runs:
        return "<td></td>"
    return '<td class="cell-%s"><div class="counts">%s</div>%s</td>' % (
        runs[0]["verdict"], esc(_counts(runs)), " ".join(_badge(r, label(r), base) for r in runs))


def html_page(results, base=""):
    """The page; base: the way from the page's directory to that of results.json."""
    initiators, responders = _roles(results, "initiator"), _roles(results, "responder")
    cells = _cells(results)
    impls = "".join("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                    % (esc(n), esc(i["version"]), esc(i["kernel"]), esc(", ".join(i["roles"])), esc(i["description"]))
                    for n, i in sorted(results["implementations"].items()))
    legend = " ".join('<span class="badge %s">%s</span>' % (v, v) for v in VERDICTS)
    matrix = "".join("<tr><th>%s</th>%s</tr>" % (esc(i), "".join(
        _cell(cells.get((i, r), []), lambda run: run["case"], base) for r in responders)) for i in initiators)
    pairs = sorted(cells)
    by_case = {}
    for run in results["runs"]:
        by_case[(run["case"], run["initiator"], run["responder"])] = run
    cases = "".join('<tr><th>%s<div class="counts">%s<br>%s</div></th>%s</tr>' % (
        esc(n), esc(c["description"]), esc(", ".join(c["requirements"])),
        "".join(_cell([by_case[(n,) + p]] if (n,) + p in by_case else [], lambda run: run["verdict"], base)
                for p in pairs))
        for n, c in sorted(results["cases"].items()))
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ipsecref interop matrix</title>
<style>%s</style></head><body>
<h1>ipsecref interop matrix</h1>
<p>ipsecref %s &middot; started %s &middot; ended %s &middot; %s &middot; %d runs</p>
<table><tr><th>implementation</th><th>version</th><th>kernel</th><th>roles</th><th>description</th></tr>%s</table>
<p>Legend: %s &middot; click a badge for the reason, the checks and the evidence</p>
<h2>Initiator &darr; responder &rarr;</h2>
<table><tr><th></th>%s</tr>%s</table>
<h2>Cases &times; pairs</h2>
<table><tr><th>case</th>%s</tr>%s</table>
<script>%s</script>
</body></html>
""" % (CSS, esc(results["ipsecref_version"]), esc(results["start"]), esc(results["end"]),
       _duration(results["duration_s"]), len(results["runs"]), impls, legend,
       "".join("<th>%s</th>" % esc(r) for r in responders), matrix,
       "".join("<th>%s &rarr; %s</th>" % (esc(i), esc(r)) for i, r in pairs), cases, JS)


# --- command line ----------------------------------------------------------

def _write(path, content):
    if path == "-":
        sys.stdout.write(content)
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".report-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(prog="report.py", description="Reports of the interop matrix.")
    parser.add_argument("results", metavar="RESULTS.json")
    parser.add_argument("--html", metavar="OUT.html")
    parser.add_argument("--markdown", metavar="OUT.md", help="'-' for standard output")
    parser.add_argument("--check", action="store_true", help="validate only")
    args = parser.parse_args(argv)
    try:
        results = load(args.results)
    except ResultsError as e:
        print("report.py: %s" % e, file=sys.stderr)
        return 1
    if args.check:
        print("%s: valid, %d runs" % (args.results, len(results["runs"])))
    base = ""
    if args.html:  # evidence links relative to the page
        base = os.path.relpath(os.path.dirname(os.path.abspath(args.results)),
                               os.path.dirname(os.path.abspath(args.html))) + "/"
    outputs = [(args.html, lambda r: html_page(r, "" if base == "./" else base)), (args.markdown, markdown)]
    if not args.check and not args.html and not args.markdown:
        outputs = [("-", markdown)]
    for path, render in outputs:
        try:
            if path:
                _write(path, render(results))
        except OSError as e:
            print("report.py: %s: %s" % (path, e.strerror or e), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
