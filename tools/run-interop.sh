#!/usr/bin/env bash
# tools/run-interop.sh [OUT]: the runs too long for CI (README "The interop
# matrix"), from a fresh clone: installs what is missing, builds ipsecref,
# then
#   1. the whole interop matrix (every implementation of
#      interop/implementations.json, every pair in both roles, every case;
#      the kernel's XFRM in one user-mode Linux guest): OUT/matrix/
#      (results.json, matrix.html, matrix.md, each run's evidence), judged
#      again from its evidence afterwards (--rejudge);
#   2. the kernel's ESP with manual SAs against the reference's manual
#      tunnels, every algorithm row (interop/xfrm/manual_sa.sh, one guest,
#      about 3 minutes): OUT/xfrm-manual-sa/; then the kernel targets'
#      conformance ctests (interop/conformance-strongswan-xfrm, -libreswan);
#   3. with CONFORMANCE=1 also the conformance catalogue against the
#      strongswan-xfrm and libreswan targets (interop/conformance/*.sh, one
#      guest each, about 25 minutes each on 2 cores): OUT/conformance-*/.
# Exit 0 when every part ends as expected (matrix runs pass or are
# unsupported; conformance failures only those of the .expect files).
# Needs root (network namespaces). The matrix took 40 minutes on the 2-core
# machine (240 runs: 53 on the host, median 4.8 s; 180 in the guest, median
# 10.6 s; then each judged, about 1.7 s a run; --rejudge 8.5 minutes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/interop}
"$ROOT/tools/setup.sh" || exit 1
cd "$ROOT" || exit 1
cmake --preset dev > /dev/null && cmake --build --preset dev --target ipsecref || exit 1
IPSECREF=$ROOT/build/dev/tools/ipsecref
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
rc=0
start=$(date +%s)
"$IPSECREF" interop --out "$OUT/matrix" || rc=1
"$IPSECREF" interop --out "$OUT/matrix" --rejudge "$OUT/matrix" || rc=1
echo "interop matrix: $(( $(date +%s) - start )) s, $OUT/matrix/matrix.html"
"$ROOT/interop/xfrm/manual_sa.sh" "$IPSECREF" "$OUT/xfrm-manual-sa" || rc=1
# The kernel targets' conformance ctests (label interop-long, not in CI).
ctest --test-dir "$ROOT/build/dev" -L interop-long -R 'interop/conformance-' --output-on-failure || rc=1
if [ "${CONFORMANCE:-0}" = 1 ]; then
	for target in strongswan-xfrm libreswan; do
		"$ROOT/interop/conformance/$target.sh" "$IPSECREF" "$OUT/conformance-$target" || rc=1
	done
fi
exit $rc
