#!/usr/bin/env bash
# tools/coverage.sh [--no-build] [--quick] [-L LABEL] [-R REGEX]: line and branch
# coverage of reference/ by the tests and every fuzz corpus.
#
# Builds the `coverage` preset (clang source-based coverage,
# -fprofile-instr-generate -fcoverage-mapping, -O1), runs ctest there (every
# test but the label interop-long; the fuzz-regression tests replay every
# corpus and regression input of fuzz/ through the targets' code, so the
# corpora count too), merges the profiles with llvm-profdata and writes, in
# build/coverage/report/:
#   summary.md      line and branch coverage per module of reference/ (the
#                   modules of layers.json), the total, and the files with
#                   the most lines left uncovered;
#   summary.json    the same, for tools;
#   html/index.html llvm-cov's per-file report, line by line.
# reference/testing/ (the tests' harness: generators, the in-memory
# exchange) is reported on its own line and left out of the total, which is
# the reference's own code.
#
#   --no-build   use build/coverage as it is (after an earlier run)
#   --quick      leave out the label interop too (the tests that start
#                strongSwan, the gateway and user-mode Linux; they need root
#                and take most of the time)
#   -L LABEL     only the tests of that ctest label
#   -R REGEX     only the tests whose names match (ctest -R)
# Every test process writes its counts to build/coverage/profiles/ (one pool
# of files per binary, merged as they run: LLVM_PROFILE_FILE's %4m). Exit 0
# when the report is written, also when some tests failed (they are named);
# 1 when nothing was measured.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/coverage
report=$build/report
build_it=1
ctest_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build_it=0 ;;
    --quick) ctest_args+=(-LE 'interop') ;;
    -L|-R) [ $# -ge 2 ] || { echo "coverage.sh: $1 needs an argument" >&2; exit 2; }
        ctest_args+=("$1" "$2"); shift ;;
    *) echo "coverage.sh: unknown option $1 (--no-build, --quick, -L LABEL, -R REGEX)" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"

# Test discovery runs every test binary at build time: its counts go here,
# apart from the measured ones.
export LLVM_PROFILE_FILE=$build/discovery/%4m.profraw
if [ $build_it = 1 ]; then
  "$root/tools/setup.sh"
  cmake --preset coverage > /dev/null
  cmake --build --preset coverage
fi
[ -d "$build" ] || { echo "coverage.sh: no $build: run without --no-build first" >&2; exit 1; }

rm -rf "$build/profiles" "$report"
mkdir -p "$build/profiles" "$report"
export LLVM_PROFILE_FILE=$build/profiles/%4m.profraw
start=$SECONDS
ctest --preset coverage "${ctest_args[@]}" > "$report/ctest.log" 2>&1 || true
tail -n 20 "$report/ctest.log" | sed -n '/tests passed\|tests failed\|The following tests/,$p'
echo "coverage.sh: tests ran in $((SECONDS - start)) s (log: $report/ctest.log)"

shopt -s nullglob
profiles=("$build"/profiles/*.profraw)
[ ${#profiles[@]} -gt 0 ] || { echo "coverage.sh: no profiles were written" >&2; exit 1; }
llvm-profdata-14 merge -sparse "${profiles[@]}" -o "$report/coverage.profdata"

# Every instrumented executable of the build: those with a coverage map.
objects=()
while IFS= read -r f; do
  grep -aq __llvm_covmap "$f" && objects+=(-object "$f")
done < <(find "$build" -type f -perm -u+x ! -name '*.so' ! -path '*/CMakeFiles/*' | sort)
[ ${#objects[@]} -gt 0 ] || { echo "coverage.sh: no instrumented executables in $build" >&2; exit 1; }

# Only the project's reference/, not its tests.
root_re=$(printf '%s' "$root" | sed 's/[][\\.^$*+?(){}|]/\\&/g')
ignore="(^/usr/|^$root_re/(build|interop|tools|fuzz|vectors|pcaps)/|_test\\.cc\$|_test_util\\.h\$)"
first=${objects[1]}
rest=("${objects[@]:2}")
llvm-cov-14 export -format=text -summary-only -instr-profile "$report/coverage.profdata" \
  -ignore-filename-regex "$ignore" "$first" "${rest[@]}" > "$report/export.json"
llvm-cov-14 show -format=html -show-branches=count -output-dir "$report/html" \
  -instr-profile "$report/coverage.profdata" -ignore-filename-regex "$ignore" "$first" "${rest[@]}"
/usr/bin/python3 "$root/tools/coverage_summary.py" "$report/export.json" "$build/layers.json" "$root" \
  --markdown "$report/summary.md" --json "$report/summary.json"
cat "$report/summary.md"
echo "coverage.sh: $report/summary.md, $report/html/index.html"
