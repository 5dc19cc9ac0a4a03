#!/usr/bin/python3
"""Tests of report.py (unittest): /usr/bin/python3 interop/matrix/report_test.py

testdata/valid.json against testdata/valid.md, written by hand; the HTML
page; bad files refused naming the field; mutated files (truncations, bit
flips) never end in a traceback.
"""
import copy
import html.parser
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402

DATA = os.path.join(HERE, "testdata")
VALID = os.path.join(DATA, "valid.json")
SCRIPT = os.path.join(HERE, "report.py")


def read(name, mode="r"):
    with open(os.path.join(DATA, name), mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
        return f.read()


def run_cli(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


class Markdown(unittest.TestCase):
    def test_matches_the_hand_written_text(self):
        self.assertEqual(report.markdown(report.load(VALID)), read("valid.md"))

    def test_command_line_writes_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "matrix.md")
            run = run_cli(VALID, "--markdown", out)
            self.assertEqual((run.returncode, run.stderr), (0, ""))
            with open(out, encoding="utf-8") as f:
                self.assertEqual(f.read(), read("valid.md"))
        self.assertEqual(run_cli(VALID).stdout, read("valid.md"))  # no output named: standard output

    def test_does_not_depend_on_the_order_of_the_file(self):
        results = report.load(VALID)
        shuffled = copy.deepcopy(results)
        random.Random(1).shuffle(shuffled["runs"])
        shuffled["implementations"] = dict(reversed(list(shuffled["implementations"].items())))
        self.assertEqual(report.markdown(shuffled), report.markdown(results))
        self.assertEqual(report.html_page(shuffled), report.html_page(results))


class Tags(html.parser.HTMLParser):
    """Open elements must be closed, in order."""
    VOID = {"meta", "br"}

    def __init__(self):
        super().__init__()
        self.stack, self.problems, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append("</%s> at %s" % (tag, self.getpos()))


class Html(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.page = report.html_page(report.load(VALID))
        cls.tags = Tags()
        cls.tags.feed(cls.page)

    def test_well_formed_and_self_contained(self):
        self.assertEqual(self.tags.problems, [])
        self.assertEqual(self.tags.stack, [])
        for tag, attrs in self.tags.tags:
            self.assertNotIn("src", attrs, tag)
            self.assertFalse(attrs.get("href", "").startswith(("http:", "https:", "//", "/")), attrs)
        self.assertNotIn("<link", self.page)
        self.assertEqual(self.page.count("<script>"), 1)  # its own, nothing from the file

    def test_reasons_and_details_are_escaped(self):
        self.assertNotIn("<script>alert", self.page)
        self.assertIn("AUTHENTICATION_FAILED &lt;script&gt;alert(1)&lt;/script&gt;", self.page)
        self.assertIn("&lt;b&gt;IKE_AUTH&lt;/b&gt; answered", self.page)  # a check's detail

    def test_header_and_legend(self):
        for text in ("0.4 (git abc1234)", "2026-12-07T10:00:00Z", "40 min 00 s", "5.9.8", "4.10",
                     '<span class="badge unsupported">unsupported</span>'):
            self.assertIn(text, self.page)

    def test_cells(self):
        self.assertIn("2 ✓ · 1 ✗", self.page)
        self.assertIn("1 ✓ · 1 ⚠ · 1 –", self.page)
        start = self.page.index('<td class="cell-fail">')  # reference → strongswan, the last of its row
        cell = self.page[start:self.page.index("<tr><th>strongswan</th>", start)]
        self.assertIn("2 ✓ · 1 ✗", cell)
        self.assertLess(cell.index(">cbc-rsa<"), cell.index(">chacha-ecdsa<"))  # the failed case first
        self.assertIn('<a href="reference_strongswan/cbc-rsa/">', cell)
        self.assertIn('<a href="reference_strongswan/cbc-rsa/capture.pcap">', cell)

    def test_evidence_relative_to_the_page(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "sub", "matrix.html")
            os.mkdir(os.path.dirname(out))
            self.assertEqual(run_cli(VALID, "--html", out).returncode, 0)
            with open(out, encoding="utf-8") as f:
                page = f.read()
        rel = os.path.relpath(DATA, os.path.dirname(out))
        self.assertIn('<a href="%s/reference_strongswan/cbc-rsa/">' % rel, page)


# Bad files: the message names the field (or the file's problem).
BAD_FILES = {
    "missing-field.json": "runs[1].verdict: missing",
    "bad-verdict.json": 'runs[0].checks[0].verdict: "passed" is not one of pass, fail, skipped',
    "bad-run-verdict.json": 'runs[0].verdict: "PASS" is not one of fail, error, unsupported, pass',
    "unknown-implementation.json": 'runs[0].responder: unknown implementation "openswan"',
    "unknown-case.json": 'runs[1].case: unknown case "ccm-psk"',
    "not-json.json": "not JSON: Expecting value (line 1, column 1)",
    "truncated.json": "not JSON: ends early (line 15, column 15)",
}


def changed(edit):
    results = json.loads(read("valid.json"))
    edit(results)
    return json.dumps(results).encode()


# Changes to valid.json, and what is then said.
BAD_CHANGES = [
    (lambda r: r.update(schema="ipsecref-interop-2"), 'schema: "ipsecref-interop-2" is not one of ipsecref-interop-1'),
    (lambda r: r.pop("cases"), "cases: missing"),
    (lambda r: r.update(colour="red"), "colour: unknown field"),
    (lambda r: r.update(start="2026-12-07 10:00"), 'start: "2026-12-07 10:00" is no UTC time like 2026-12-07T10:00:00Z'),
    (lambda r: r.update(start="2026-13-07T10:00:00Z"), "start: \"2026-13-07T10:00:00Z\" is no UTC time"),
    (lambda r: r.update(end="2026-12-07T09:00:00Z"), "end: before start (2026-12-07T10:00:00Z)"),
    (lambda r: r.update(duration_s=-1), "duration_s: -1 is no duration in seconds"),
    (lambda r: r["implementations"]["strongswan"].update(roles=[]), "implementations.strongswan.roles: must not be empty"),
    (lambda r: r["implementations"]["strongswan"].update(roles=["initiator", "initiator"]),
     'implementations.strongswan.roles[1]: "initiator" twice'),
    (lambda r: r["implementations"].update({"strong swan": {}}), 'implementations."strong swan": "strong swan" is no name'),
    (lambda r: r["cases"]["gcm-psk"].update(requirements="rfc4106"),
     "cases.gcm-psk.requirements: expected a list, got a string"),
    (lambda r: r["runs"][0].update(duration_s="14"), "runs[0].duration_s: expected a number, got a string"),
    (lambda r: r["runs"][0].update(duration_s=True), "runs[0].duration_s: expected a number, got true/false"),
    (lambda r: r["runs"][0].update(checks=None), "runs[0].checks: expected a list, got null"),
    (lambda r: r["runs"][0]["checks"][0].pop("detail"), "runs[0].checks[0].detail: missing"),
    (lambda r: r["runs"][0]["checks"][1].update(name="established"), 'runs[0].checks[1].name: check "established" twice'),
    (lambda r: r["runs"][0].update(evidence="../../etc"), 'runs[0].evidence: "../../etc" is no directory'),
    (lambda r: r["runs"][0].update(evidence="/tmp/x"), 'runs[0].evidence: "/tmp/x" is no directory'),
    (lambda r: r["runs"][0].update(evidence="javascript:alert(1)"), "runs[0].evidence: "),
    (lambda r: r["runs"][0].update(initiator="libreswan"),
     'runs[0].initiator: "libreswan" does not take the initiator role (implementations.libreswan.roles)'),
    (lambda r: r["runs"][1].update(reason="fine"), "runs[1].reason: empty on pass, and only on pass (verdict pass)"),
    (lambda r: r["runs"][0].update(reason=""), "runs[0].reason: empty on pass, and only on pass (verdict fail)"),
    (lambda r: r["runs"][0].update(verdict="pass", reason=""),
     "runs[0].checks[1].verdict: a failed check in a run whose verdict is pass"),
    (lambda r: r["runs"].append(dict(r["runs"][1])), "runs[11]: reference → reference, gcm-psk again (runs[1])"),
]

# Text no JSON encoder would write.
BAD_TEXTS = [
    (b"[1, 2]", "(top level): expected an object, got a list"),
    (b'{"schema": "ipsecref-interop-1", "schema": "ipsecref-interop-1"}', "schema: given twice"),
    (b'{"duration_s": NaN}', "not JSON: NaN is no JSON number"),
    (b'{"x": 1' + b"0" * 5000 + b"}", "not JSON: "),
    (b"[" * 100000, "not JSON: "),
    (b'{"schema": "ipsecref-interop-1", "ipsecref_version": "0", "start": "2026-12-07T10:00:00Z", '
     b'"end": "2026-12-07T10:00:00Z", "duration_s": 1e999}', "duration_s: inf is no duration in seconds"),
    (b'{"schema": "ipsecref-interop-1", "ipsecref_version": "0", "start": "2026-12-07T10:00:00Z", '
     b'"end": "2026-12-07T10:00:00Z", "duration_s": 1' + b"0" * 400 + b"}", "implementations: missing"),
    ('{"schema": "ipsecref-interop-1", "ipsecref_version": "0", "start": "２０２６-12-07T10:00:00Z"}'.encode(),
     "start: "),
    (b"\xff\xfe{}", "not UTF-8 (byte 0)"),
    (b"", "not JSON: ends early (line 1, column 1)"),
]


class BadFiles(unittest.TestCase):
    def test_each_names_the_field(self):
        for name, message in BAD_FILES.items():
            with self.subTest(name):
                with self.assertRaises(report.ResultsError) as caught:
                    report.load(os.path.join(DATA, name))
                self.assertEqual(str(caught.exception), "%s: %s" % (os.path.join(DATA, name), message))

    def test_command_line_refuses_them_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name, message in BAD_FILES.items():
                with self.subTest(name):
                    out = os.path.join(tmp, "out")
                    run = run_cli(os.path.join(DATA, name), "--html", out + ".html", "--markdown", out + ".md")
                    self.assertEqual(run.returncode, 1)
                    self.assertEqual(run.stderr, "report.py: %s: %s\n" % (os.path.join(DATA, name), message))
                    self.assertEqual(os.listdir(tmp), [])
            run = run_cli("--check", os.path.join(tmp, "absent.json"))
            self.assertEqual(run.returncode, 1)
            self.assertRegex(run.stderr, r"^report.py: .*absent.json: No such file or directory\n$")
        self.assertEqual(run_cli("--check", VALID).stdout, "%s: valid, 11 runs\n" % VALID)

    def test_changes(self):
        self.assertIsNotNone(report.parse(changed(lambda r: None)))
        for i, (edit, message) in enumerate(BAD_CHANGES):
            with self.subTest(i, message=message):
                with self.assertRaises(report.ResultsError) as caught:
                    report.parse(changed(edit))
                self.assertTrue(str(caught.exception).startswith(message), str(caught.exception))

    def test_texts(self):
        for text, message in BAD_TEXTS:
            with self.subTest(text[:40]):
                with self.assertRaises(report.ResultsError) as caught:
                    report.parse(text)
                self.assertTrue(str(caught.exception).startswith(message), str(caught.exception))


def mutations(data, rng, count):
    """Truncations, bit flips, lost and doubled bytes of data."""
    kinds = {
        "truncate": lambda d, at: d[:at],
        "flip": lambda d, at: d[:at] + bytes([d[at] ^ (1 << rng.randrange(8))]) + d[at + 1:],
        "drop": lambda d, at: d[:at] + d[at + 1:],
        "double": lambda d, at: d[:at + 1] + d[at:],
    }
    for i in range(count):
        kind = rng.choice(sorted(kinds))
        mutated = data
        for _ in range(rng.choice((1, 1, 2, 3))):
            if not mutated:
                break
            at = rng.randrange(len(mutated))
            mutated = kinds[kind](mutated, at)
        yield "%s #%d" % (kind, i), mutated


class Hostile(unittest.TestCase):
    def test_mutations_never_raise_anything_else(self):
        outcomes = {"valid": 0, "refused": 0}
        for what, data in mutations(read("valid.json", "rb"), random.Random(20261207), 3000):
            try:
                results = report.parse(data)
                report.markdown(results)
                report.html_page(results)
                outcomes["valid"] += 1
            except report.ResultsError as e:
                self.assertNotIn("\n", str(e))
                outcomes["refused"] += 1
            except Exception as e:  # noqa: BLE001: that is the finding
                self.fail("%s: %s: %r" % (what, type(e).__name__, e))
        self.assertGreater(outcomes["valid"], 100, outcomes)  # both ways taken often
        self.assertGreater(outcomes["refused"], 1000, outcomes)

    def test_command_line_never_prints_a_traceback(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "results.json")
            for what, data in mutations(read("valid.json", "rb"), random.Random(7), 25):
                with self.subTest(what):
                    with open(path, "wb") as f:
                        f.write(data)
                    run = run_cli(path, "--html", os.path.join(tmp, "m.html"), "--markdown", os.path.join(tmp, "m.md"))
                    self.assertNotIn("Traceback", run.stderr)
                    self.assertIn(run.returncode, (0, 1))
                    self.assertEqual(run.stderr == "", run.returncode == 0, run.stderr)


if __name__ == "__main__":
    unittest.main()
