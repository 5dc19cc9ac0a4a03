#!/usr/bin/python3
"""Make (or check) pcaps/exchange/: the capture and keys of every `ipsecref exchange` scenario.

  make_exchange_pcaps.py --ipsecref BIN            write pcaps/exchange/<scenario>/
  make_exchange_pcaps.py --ipsecref BIN --verify   regenerate in a temporary directory and
                                                   compare every file byte for byte
  make_exchange_pcaps.py --ipsecref BIN --manifest also (re)write the scenarios' entries of
                                                   pcaps/manifest.json, counts from tshark

Each scenario directory holds what

  cd pcaps/exchange/<scenario>
  ipsecref exchange <scenario> --seed 1 --pcap capture.pcap --keys-out .

writes (capture.pcap, ikev2_decryption_table, esp_sa, keys.json), its report
(report.txt: the ladder, the final SAs, the verdict) and PROVENANCE.md (how it
was made, the sha256 of every file). The peers draw every random number from
the seed, so the same ipsecref gives the same bytes; a change to the state
machine that changes what goes on the wire shows here, and the directory is
made again with this script.

Manifest entries (name "exchange-<scenario>") expect what `ipsecref check`
must report: exit 0, the packet count, and the kinds (UDP port 500: ike;
4500: ike_nat_t), counted by tshark, not by ipsecref.

Exit 0: written, or (--verify) every file equal; 1: a file differs or is
missing (each named); 2: a run failed.
"""
import argparse
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.dirname(HERE)
SEED = "1"
FILES = ("capture.pcap", "ikev2_decryption_table", "esp_sa", "keys.json", "report.txt")
WHAT = {
    "capture.pcap": "every datagram the two peers sent, as IPv4/UDP (classic pcap, microseconds, raw IP)",
    "ikev2_decryption_table": "Wireshark `ikev2_decryption_table` rows of the IKE SAs Wireshark has names for",
    "esp_sa": "Wireshark `esp_sa` rows of the ESP SAs Wireshark has names for",
    "keys.json": "every IKE SA and CHILD SA of the run (reference/io/keys_json.h)",
    "report.txt": "the report: the ladder, each peer's final SAs, the verdict",
}


def scenarios(ipsecref):
    run = subprocess.run([ipsecref, "exchange", "--list", "--json"], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)["scenarios"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make(ipsecref, scenario, directory):
    """Writes the scenario's directory; returns the command's exit code."""
    os.makedirs(directory, exist_ok=True)
    name = scenario["name"]
    run = subprocess.run([ipsecref, "exchange", name, "--seed", SEED, "--pcap", "capture.pcap", "--keys-out", "."],
                         cwd=directory, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        raise RuntimeError("ipsecref exchange %s: exit %d: %s" % (name, run.returncode, run.stderr.strip()))
    with open(os.path.join(directory, "report.txt"), "w") as f:
        f.write(run.stdout)
    verdict = run.stdout.rstrip().splitlines()[-1]
    rows = "\n".join("| `%s` | `%s` | %s |" % (f, sha256(os.path.join(directory, f)), WHAT[f]) for f in FILES)
    with open(os.path.join(directory, "PROVENANCE.md"), "w") as f:
        f.write("""# exchange/%(name)s

Made by the reference itself, not by another implementation: two ipsecref
IKEv2 peers in memory (reference/testing/exchange.h) running the scenario
`%(name)s` of `ipsecref exchange` (interop/exchange/scenarios.cc):
%(description)s (%(requirement)s).

Expectation: %(expectation)s. Verdict of this run: `%(verdict)s`.

Made with `pcaps/exchange/make_exchange_pcaps.py --ipsecref BIN`, which runs
`ipsecref exchange %(name)s --seed %(seed)s --pcap capture.pcap --keys-out .` here; the
seed fixes every random draw, so the same ipsecref makes the same bytes
(ctest `captures/exchange-reproducible`). The initiator is 192.0.2.1, the
responder 192.0.2.2 (RFC 5737); times are the peers' fake clock from
2026-01-01T00:00:00Z.

Independent checks (ctest `exchange/tshark`, interop/exchange/tshark_check.py):
tshark dissects every packet with IP and UDP checksums verified, no
malformed packet and no expert error, decrypts the SK payloads of the IKE SAs
in `ikev2_decryption_table` with the ICV correct and finds the payloads
report.txt's ladder names; `ipsecref check capture.pcap --keys .` says PASS.
The packet and kind counts of the manifest entry `exchange-%(name)s` are tshark's.

| file | sha256 | what |
| --- | --- | --- |
%(rows)s
""" % dict(name=name, description=scenario["description"], requirement=scenario["requirement"],
           expectation=scenario["expectation"], verdict=verdict, seed=SEED, rows=rows))
    return run.returncode


def tshark_counts(capture):
    """(packets, kinds) as tshark sees the capture: UDP port 4500 on either
    side is IKE behind the non-ESP marker (ike_nat_t), else IKE (ike)."""
    tshark = shutil.which("tshark")
    if not tshark:
        raise RuntimeError("tshark is not installed (tools/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as home:
        run = subprocess.run([tshark, "-n", "-r", capture, "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport",
                              "-e", "isakmp.ispi"], capture_output=True, text=True, check=True,
                             env=dict(os.environ, HOME=home, XDG_CONFIG_HOME=home))
    kinds = {}
    packets = 0
    for line in run.stdout.splitlines():
        src, dst, spi = line.split("\t")
        packets += 1
        if not spi:
            raise RuntimeError("%s: a packet tshark does not dissect as ISAKMP: %r" % (capture, line))
        kind = "ike_nat_t" if "4500" in (src, dst) else "ike"
        kinds[kind] = kinds.get(kind, 0) + 1
    return packets, kinds


def write_manifest(names):
    path = os.path.join(PCAPS, "manifest.json")
    entries = []
    for name in names:
        packets, kinds = tshark_counts(os.path.join(HERE, name, "capture.pcap"))
        entries.append({
            "name": "exchange-" + name,
            "source": ["tshark 4.0.17 (pcaps/exchange/make_exchange_pcaps.py --manifest): packet count, and kinds "
                       "by UDP port (500: ike, 4500: ike_nat_t), every packet ISAKMP",
                       "no ESP/AH packets: the scenario's SAs carry no traffic, so no SA is reported"],
            "capture": "exchange/%s/capture.pcap" % name,
            "keys": "exchange/%s" % name,
            "expect": {"exit_code": 0, "packets": packets, "kinds": kinds, "sas": [], "failures": []},
        })
    # Written as text at the end of the list, so that the other entries
    # stay as they are (the file's own line breaks included).
    with open(path) as f:
        text = f.read()
    first = text.find('    {\n      "name": "exchange-')
    if first >= 0:
        head = text[:first].rstrip()
        head = head[:-1] if head.endswith(",") else head
    else:
        head = text[:text.rindex("]")].rstrip()
    body = ",\n".join("\n".join("    " + line for line in json.dumps(e, indent=2, ensure_ascii=False).splitlines())
                      for e in entries)
    with open(path, "w") as f:
        f.write(head + ",\n" + body + "\n  ]\n}\n")
    with open(path) as f:
        json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--ipsecref", required=True)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--manifest", action="store_true")
    args = parser.parse_args()
    ipsecref = os.path.abspath(args.ipsecref)
    try:
        listed = scenarios(ipsecref)
    except (OSError, subprocess.CalledProcessError, ValueError) as ex:
        print("make_exchange_pcaps: ipsecref exchange --list failed: %s" % ex)
        return 2
    if args.verify:
        problems = []
        with tempfile.TemporaryDirectory(prefix="exchange-pcaps-") as tmp:
            for s in listed:
                fresh = os.path.join(tmp, s["name"])
                try:
                    make(ipsecref, s, fresh)
                except RuntimeError as ex:
                    problems.append(str(ex))
                    continue
                for f in FILES + ("PROVENANCE.md",):
                    shipped = os.path.join(HERE, s["name"], f)
                    if not os.path.exists(shipped):
                        problems.append("%s/%s: not shipped" % (s["name"], f))
                    elif not filecmp.cmp(shipped, os.path.join(fresh, f), shallow=False):
                        problems.append("%s/%s: regenerated, it differs from the shipped file" % (s["name"], f))
        for p in problems:
            print("FAIL " + p)
        print("make_exchange_pcaps --verify: %d scenarios, %d problems" % (len(listed), len(problems)))
        return 1 if problems else 0
    for s in listed:
        try:
            code = make(ipsecref, s, os.path.join(HERE, s["name"]))
        except RuntimeError as ex:
            print("FAIL %s" % ex)
            return 2
        print("%s %s" % ("ok  " if code == 0 else "FAIL", s["name"]))
    if args.manifest:
        write_manifest([s["name"] for s in listed])
        print("manifest.json: %d exchange entries" % len(listed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
