#!/usr/bin/env python3
"""ipsecref check: memory bounded whatever the capture's length. Captures
generated on the fly (tools/bench/make_large_capture.py): 200k empty records
(each a link-layer error), 100k ESP packets of one SA whose every packet
fails its ICV, 20k ESP packets each on its own SPI, 20k IKE_SA_INIT
requests each from its own SPI. Every run, text and
--json, must stay within MARGIN_KB of peak resident memory (the child's
ru_maxrss, from wait4) above what `ipsecref --version` takes in the same build
(a sanitizer's shadow memory is in both); before the per-packet detail was
bounded they took 75 MB to 750 MB (tools/bench/README.md, "Memory"). Under
AddressSanitizer the quarantine of freed memory is turned off for these runs:
it would hold up to 256 MB of what the program already gave back.

usage: memory_cases.py IPSECREF"""
import importlib.util
import os
import sys
import tempfile

from peak_memory import MARGIN_KB, bound_kb, run_measured

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "..", "..", "bench", "make_large_capture.py")

# An AES-GCM-16 key (RFC 4106) for the generated SA: its packets carry
# garbage, so every one fails its ICV (RFC 4303 §3.4.4).
ESP_SA = ('"IPv4","192.0.2.1","198.51.100.2","0xc0ffee01","AES-GCM with 16 octet ICV [RFC4106]",'
          '"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223","NULL",""\n')
KEYS_JSON = '{"format": "ipsecref-keys", "version": 1}\n'


def main():
    tool = sys.argv[1]
    spec = importlib.util.spec_from_file_location("make_large_capture", GENERATOR)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    failures = []
    max_kb = bound_kb(tool)
    print(f"bound: {max_kb} KB (ipsecref --version plus {MARGIN_KB} KB)")
    with tempfile.TemporaryDirectory() as tmp:
        no_keys = os.path.join(tmp, "no-keys")
        keyed = os.path.join(tmp, "keyed")
        os.mkdir(no_keys)
        os.mkdir(keyed)
        with open(os.path.join(no_keys, "keys.json"), "w") as f:
            f.write(KEYS_JSON)
        with open(os.path.join(keyed, "esp_sa"), "w") as f:
            f.write(ESP_SA)
        cases = [("empty", 200_000, no_keys, 0), ("esp", 100_000, keyed, 1), ("spis", 20_000, no_keys, 0),
                 ("ike", 20_000, no_keys, 1)]  # bare headers break the IKE_SA_INIT rules
        for kind, n, keys, code in cases:
            capture = os.path.join(tmp, f"{kind}.pcap")
            generator.write_capture(kind, n, capture)
            for extra in ([], ["--json"]):
                returncode, _, stderr, peak = run_measured([tool, "check", capture, "--keys", keys, *extra],
                                                           timeout=300)
                what = f"check {kind} x{n} {' '.join(extra)}"
                print(f"{what}: exit {returncode}, peak {peak} KB")
                if returncode != code:
                    failures.append(f"{what}: exit {returncode}, expected {code}: {stderr}")
                if peak > max_kb:
                    failures.append(f"{what}: peak resident memory {peak} KB > {max_kb} KB")
    for f in failures:
        print("FAIL", f)
    print(f"{len(cases) * 2 - len(failures)} of {len(cases) * 2} runs within bounds"
          if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
