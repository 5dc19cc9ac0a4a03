#!/usr/bin/python3
"""Turn a Wycheproof signature-verification file into signature_test_schema_v1.

Input: the text of a C2SP/wycheproof testvectors_v1/*.json signature file
(RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA in DER or IEEE P1363 form, EdDSA), or
an excerpt of it: the same JSON with only some tests kept, every kept field
verbatim. Output: vectors/README.md's signature_test_schema_v1, one group per
Wycheproof group (with its publicKeyDer), tests renumbered from 1 and each
carrying its Wycheproof file and tcId in `source`. `result` is copied as it
is ("acceptable" stays acceptable); comment and flags are copied too, and the
notes of the flags that remain.

Usage:
  /usr/bin/python3 tools/vectors/wycheproof_sig.py \\
      --in /tmp/ecdsa_secp256r1_sha256_p1363_test.json \\
      --file testvectors_v1/ecdsa_secp256r1_sha256_p1363_test.json \\
      --commit 81ee4212308ec0c715755c813edf9ec0d4e82e34 \\
      --scheme ecdsa-with-SHA256 --encoding ike \\
      --algorithm ECDSA-P256-SHA256 \\
      --subset "tcId 1-26 and 60-80 of 252" \\
      --out vectors/signature/ecdsa_p256_sha256_ike_wycheproof.json

Nothing here computes a signature: every value written is one the input held.
"""

import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--in", dest="inp", required=True, help="Wycheproof JSON text (whole or excerpt)")
    ap.add_argument("--file", required=True, help="path of the file in C2SP/wycheproof")
    ap.add_argument("--commit", default="", help="commit of C2SP/wycheproof the text was read at")
    ap.add_argument("--scheme", required=True, help="SignatureAlgorithm name (reference/crypto/signature.cc)")
    ap.add_argument("--encoding", choices=["ike", "der"], help="ECDSA only: r||s ('ike') or DER")
    ap.add_argument("--algorithm", required=True, help="'algorithm' field of the output")
    ap.add_argument("--subset", default="", help="which Wycheproof tcIds were kept, when not all")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.inp) as f:
        src = json.load(f)

    where = f"C2SP/wycheproof {args.file}"
    if args.commit:
        where += f" at {args.commit}"
    source = f"Wycheproof {args.file}"
    if args.subset:
        source += f" ({args.subset})"
    else:
        source += f" (all {src['numberOfTests']} tests)"

    groups, used_flags, tc_id = [], set(), 0
    for g in src["testGroups"]:
        tests = []
        for t in g["tests"]:
            tc_id += 1
            used_flags.update(t.get("flags", []))
            tests.append({
                "tcId": tc_id,
                "comment": t.get("comment", ""),
                "flags": t.get("flags", []),
                "source": f"{where}, tcId {t['tcId']}",
                "msg": t["msg"],
                "sig": t["sig"],
                "result": t["result"],
            })
        if not tests:
            continue
        group = {"scheme": args.scheme}
        if args.encoding:
            group["encoding"] = args.encoding
        group["publicKeyDer"] = g["publicKeyDer"]
        group["tests"] = tests
        groups.append(group)

    notes = {k: v for k, v in src.get("notes", {}).items() if k in used_flags}
    missing = sorted(used_flags - set(notes))
    if missing:
        sys.exit(f"flags without notes in the input: {missing}")
    out = {
        "algorithm": args.algorithm,
        "schema": "signature_test_schema_v1",
        "numberOfTests": tc_id,
        "source": source,
        "notes": notes,
        "testGroups": groups,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"{args.out}: {tc_id} tests in {len(groups)} groups")


if __name__ == "__main__":
    main()
