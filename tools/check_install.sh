#!/bin/bash
# check_install.sh BUILD_DIR VERSION: `cmake --install BUILD_DIR` into a
# temporary prefix, then, from another working directory, the installed
# ipsecref runs every vector file it installed (PREFIX/share/ipsecref/vectors,
# found without the source tree's help) and `ipsecref --version` names
# VERSION and the commit. Exit 0 when all holds (ctest install/relocated).
set -u
build=${1:?usage: check_install.sh BUILD_DIR VERSION}
version=${2:?usage: check_install.sh BUILD_DIR VERSION}
tmp=$(mktemp -d /tmp/ipsecref-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.txt" 2>&1 \
	|| { cat "$tmp/install.txt" >&2; fail "cmake --install $build --prefix $tmp/prefix"; }
tool=$tmp/prefix/bin/ipsecref
[ -x "$tool" ] || fail "no $tool after cmake --install"
installed=$(find "$tmp/prefix/share/ipsecref/vectors" -name '*.json' | wc -l)
[ "$installed" -gt 0 ] || fail "no vector files under $tmp/prefix/share/ipsecref/vectors"

mkdir "$tmp/elsewhere"
out=$(cd "$tmp/elsewhere" && "$tool" vectors 2>&1)
rc=$?
echo "$out" | tail -1
[ $rc = 0 ] || { echo "$out" >&2; fail "installed ipsecref vectors exited $rc"; }
echo "$out" | grep -qE "^vectors: $installed files, [0-9]+ passed, 0 failed$" \
	|| fail "expected the $installed installed vector files to pass"
ran=$(echo "$out" | grep -cE "^PASS $tmp/prefix/share/ipsecref/vectors/")
[ "$ran" = "$installed" ] || fail "$ran of $installed files read from $tmp/prefix/share/ipsecref/vectors"

v=$(cd "$tmp/elsewhere" && "$tool" --version)
rc=$?
echo "$v"
[ $rc = 0 ] || fail "ipsecref --version exited $rc"
echo "$v" | grep -qE "^ipsecref $version \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$" \
	|| fail "--version says '$v', expected 'ipsecref $version (commit <12 hex digits>[-dirty] or unknown)'"
echo "PASS"
