#!/usr/bin/python3
"""tshark_counts.py [--check] [NAME...]

What tshark says about each manifest entry's capture, independently of
ipsecref: the packet count, the kind counts, and per ESP/AH SPI the source,
destination, packet count, bytes (outer IP length) and sequence range; with
--check, compares them with the entry's `expect` (only the fields it lists)
and exits 1 on a difference. --check looks at the entries whose source
cites this script; the others cite tshark runs of their own (README.md).

    /usr/bin/python3 pcaps/tshark_counts.py --check
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["frame.number", "ip.src", "ip.dst", "ip.len", "ipv6.src", "ipv6.dst", "ipv6.plen",
          "udp.srcport", "udp.dstport", "esp.spi", "esp.sequence", "ah.spi", "ah.sequence", "isakmp.ispi"]


def tshark_rows(capture):
    cmd = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    run = subprocess.run(cmd, capture_output=True, text=True)
    rows = []
    for line in run.stdout.splitlines():
        values = line.split("\t")
        rows.append(dict(zip(FIELDS, values + [""] * (len(FIELDS) - len(values)))))
    return rows, run.returncode, run.stderr.strip()


def counts(capture):
    rows, code, err = tshark_rows(capture)
    kinds = collections.Counter()
    sas = {}
    for r in rows:
        ports = {r["udp.srcport"], r["udp.dstport"]}
        if r["ah.spi"]:
            kind, spi, seq = "ah", r["ah.spi"], r["ah.sequence"]
        elif r["esp.spi"]:
            kind, spi, seq = ("esp_in_udp" if r["udp.dstport"] else "esp"), r["esp.spi"], r["esp.sequence"]
        elif r["isakmp.ispi"]:
            kind, spi, seq = ("ike_nat_t" if "4500" in ports else "ike"), None, None
        else:
            kind, spi, seq = "other", None, None
        kinds[kind] += 1
        if spi is None:
            continue
        spi = "0x%08x" % int(spi, 16)
        v6 = bool(r["ipv6.src"])
        length = int(r["ipv6.plen"]) + 40 if v6 else int(r["ip.len"])
        sa = sas.setdefault(spi, {"spi": spi, "src": r["ipv6.src"] or r["ip.src"],
                                  "dst": r["ipv6.dst"] or r["ip.dst"], "packets": 0, "bytes": 0,
                                  "seqs": []})
        sa["packets"] += 1
        sa["bytes"] += length
        sa["seqs"].append(int(seq))
    for sa in sas.values():
        sa["lowest_seq"], sa["highest_seq"] = min(sa["seqs"]), max(sa["seqs"])
        del sa["seqs"]
    return {"packets": len(rows), "kinds": dict(kinds), "sas": sas, "tshark_exit": code, "tshark_error": err}


def cites_this(entry):
    return any("tshark_counts.py" in s for s in entry.get("source", []))


def compare(entry, got):
    """Differences between the entry's expect and tshark's numbers. Where
    packets fail, only the per-SPI packet counts are tshark's (sequence
    ranges and bytes then count verified packets only)."""
    expect = entry["expect"]
    problems = []
    per_sa = ("packets",) if expect.get("failures") else ("src", "dst", "packets", "bytes", "lowest_seq",
                                                         "highest_seq")
    if "packets" in expect and expect["packets"] != got["packets"]:
        problems.append("packets %d, tshark %d" % (expect["packets"], got["packets"]))
    if "kinds" in expect and expect["kinds"] != got["kinds"]:
        problems.append("kinds %s, tshark %s" % (expect["kinds"], got["kinds"]))
    for sa in expect.get("sas", []):
        have = got["sas"].get(sa["spi"])
        if have is None:
            problems.append("SA %s: tshark sees no packet" % sa["spi"])
            continue
        for field in per_sa:
            if field in sa and sa[field] != have[field]:
                problems.append("SA %s %s = %s, tshark %s" % (sa["spi"], field, sa[field], have[field]))
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", default=os.path.join(HERE, "manifest.json"))
    parser.add_argument("--check", action="store_true")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    bad = 0
    for entry in manifest["captures"]:
        if args.names and entry["name"] not in args.names:
            continue
        if args.check and not cites_this(entry):
            continue
        got = counts(os.path.join(HERE, entry["capture"]))
        problems = compare(entry, got) if args.check else []
        print("%s: %s %s" % (entry["name"], "DIFFERS" if problems else "ok" if args.check else "",
                             json.dumps({k: got[k] for k in ("packets", "kinds", "sas")})))
        for p in problems:
            print("  " + p)
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
