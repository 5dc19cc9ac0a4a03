#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the
# main job — the conformance suite against the embedded reference (a summary
# table and an HTML report), every known-answer vector file, then a check of
# every bundled capture against its keys and its ground-truth cleartext.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target ipsecref

status=0
report=build/dev/conformance
mkdir -p "$report"
echo "== conformance suite against the embedded reference (interop/conformance/catalogue/)"
build/dev/tools/ipsecref conformance --html "$report/report.html" --junit "$report/junit.xml" || status=1

echo
echo "== known-answer vectors (vectors/)"
build/dev/tools/ipsecref vectors || status=1

echo
echo "== bundled captures (pcaps/manifest.json)"
/usr/bin/python3 pcaps/run_manifest.py --show --ipsecref build/dev/tools/ipsecref || status=1

exit $status
