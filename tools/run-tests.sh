#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every
# test — unit, property, vectors, captures, fuzz regressions, the Scapy
# cross-check — with gcc, again under AddressSanitizer and UBSan with clang,
# the concurrency tests under ThreadSanitizer, then each fuzz target for a
# short while. In CI (below: CI=1) each test runs once to keep the run under
# 40 minutes on two cores: the interop tests with gcc, every other test
# under ASan + UBSan.
#   FUZZ_SECONDS  seconds per fuzz target (default 10, 5 in CI; 0 skips fuzzing)
#   SKIP_ASAN=1   skips the sanitizer build
#   SKIP_TSAN=1   skips the ThreadSanitizer build of the concurrency tests
#   RC_PARAMS     RapidCheck's settings (default: 1000 cases per property)
#   RC_PARAMS_ASAN  the same under ASan (default: 300 cases, since sanitized
#                 property runs cost most of that stage's test time)
#   CI=1 (or true) or IPSECREF_CI=1 (.ci/run sets it): a skipped test of a
#                 required checker (interop/*, captures/*, setup/*: tshark,
#                 Scapy, strongSwan, the programs setup.sh installs) fails the run
# Ends with one line over every ctest run, `tests: N passed, N failed,
# N skipped`, also when a stage failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export RC_PARAMS="${RC_PARAMS:-max_success=1000}"

started=$SECONDS
stage() { echo "== [$(((SECONDS - started) / 60))m$(((SECONDS - started) % 60))s] $*"; }

ci=0
case ${CI:-}/${IPSECREF_CI:-} in
  /* | 0/* | false/*) ;;
  *) ci=1 ;;
esac
[ "${IPSECREF_CI:-0}" = 1 ] && ci=1

log=$(mktemp)
# One closing line over every ctest run (ctest's own "N% tests passed" counts
# skipped tests as passed): each test's result line, "Passed", "***Skipped",
# "***Not Run (Disabled)" or anything else (a failure, a timeout, a crash,
# "***Not Run" for a missing executable).
summary() {
  local status=$? passed skipped failed required
  # A stage that failed while the sanitizer builds ran beside it: they end too.
  if [ -n "${background:-}" ]; then
    kill -TERM -- -"$background" 2>/dev/null || true
    [ -f "${background_log:-}" ] && cat "$background_log" && rm -f "$background_log"
  fi
  passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed +[0-9.]+ sec$' "$log" || true)
  # (|| true: with pipefail, no skipped test would end the script here, silently)
  skipped=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*(Skipped|Not Run \(Disabled\))' "$log" \
    | sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .*/\1/' || true)
  failed=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$log" | grep -vcE ' +Passed +[0-9.]+ sec$|\*\*\*(Skipped|Not Run \(Disabled\))' || true)
  stage "done"
  echo "tests: $passed passed, $failed failed, $(grep -c . <<<"$skipped" || true) skipped${skipped:+ (${skipped//$'\n'/, })}"
  required=$(grep -E '^(interop|captures|setup)/' <<<"$skipped" || true)
  if [ $ci = 1 ] && [ -n "$required" ]; then
    echo "run-tests: in CI, a required checker may not be skipped: ${required//$'\n'/, }" >&2
    status=1
  fi
  rm -f "$log"
  exit $status
}
trap summary EXIT

tools/setup.sh

stage "gcc build and tests (preset dev)"
# In CI the dev build leaves out debug information (-O2 -DNDEBUG instead of
# RelWithDebInfo's -O2 -g -DNDEBUG): gcc's -g changes no generated code
# (GCC checks exactly that with -fcompare-debug), nothing in CI reads it,
# and at -O2 it cost a third or more of each file's compile time
# (reference/ike/sa/ike_sa.cc 9.1 s -> 5.2 s, collision_test.cc 12.1 s ->
# 7.9 s). Outside CI build/dev keeps the preset's flags.
dev_flags=()
[ $ci = 1 ] && dev_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG")
cmake --preset dev "${dev_flags[@]}" >/dev/null
# In CI every test runs once: the interop ones (strongSwan, the gateway,
# user-mode Linux, ...) on the gcc build, all the others under ASan + UBSan
# below, so gcc builds only the programs the interop tests run
# (ipsecref_interop_programs), not the ~80 test binaries, the fuzz
# regression binaries and the benchmarks, which cost more than half of the
# gcc build's compile time. Outside CI (and with SKIP_ASAN=1) gcc builds
# and runs everything.
dev_only=0
[ $ci = 1 ] && [ "${SKIP_ASAN:-0}" != 1 ] && dev_only=1
if [ $dev_only = 1 ]; then
  cmake --build --preset dev --target ipsecref_interop_programs
else
  cmake --build --preset dev
fi

# The sanitizer builds go on beside the gcc tests, at a lower priority
# (nice 10): most of those tests' time is the interop tests waiting on
# strongSwan, the gateway and their settle windows (the interop label used
# about one core of two in a run of its own), and the builds take the CPU
# they leave idle, so that the test stage's waiting is not added to the
# sanitizer builds' time. Their output goes to a log printed when they end.
if [ "${SKIP_ASAN:-0}" != 1 ]; then
  # In CI the sanitizer build is -O1 with line tables only, instead of the
  # Debug type's -O0 -g: AddressSanitizer's own advice for speed, the stack
  # traces still name file and line, and the objects are a sixth of the size
  # (reference/ike/sa/ike_sa.cc: 7.8 s and 13 MB at -O0 -g, 8.7 s and 2.2 MB
  # at -O1 -gline-tables-only) while the tests run faster (the stage's ctest
  # in a clean-clone run: 339 s instead of 569 s; ike_collision_test 46 s
  # instead of 222 s).
  # Outside CI build/asan keeps the preset's flags, for the debugger.
  # And in CI the tests' own files leave out UBSan and are compiled at -O0
  # (CMakeLists.txt, IPSECREF_TEST_FLAGS and IPSECREF_TEST_OPTIMIZATION):
  # the code under test keeps both
  # UBSan and -O1. The tests' files were the largest part of this build
  # (1405 of 4546 CPU seconds in a clean-clone run), and their templates
  # (GoogleTest, RapidCheck) cost clang most at -O1:
  # reference/ike/wire/message_properties_test.cc took 140 s at -O1 and 69 s
  # at -O0 (no precompiled header, same machine); their run time is the code
  # under test's.
  asan_flags=()
  [ $ci = 1 ] && asan_flags=(-DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DIPSECREF_TEST_FLAGS=-fno-sanitize=undefined -DIPSECREF_TEST_OPTIMIZATION=-O0)
  cmake --preset asan "${asan_flags[@]}" >/dev/null
fi
[ "${SKIP_TSAN:-0}" != 1 ] && cmake --preset tsan >/dev/null
background_log=$(mktemp)
# (set -m: the job gets a process group of its own, which summary() ends
# with every compiler in it when a stage fails.)
set -m
(
  if [ "${SKIP_ASAN:-0}" != 1 ]; then
    nice -n 10 cmake --build --preset asan
  fi
  if [ "${SKIP_TSAN:-0}" != 1 ]; then
    # Only the targets with tests labelled `concurrency`: the whole project
    # under TSan would cost minutes. The preset sets TSAN_OPTIONS (halt_on_error).
    nice -n 10 cmake --build --preset tsan --target spu_dataplane_test spu_dataplane_concurrency_test
  fi
) > "$background_log" 2>&1 &
background=$!
set +m

if [ $dev_only = 1 ]; then
  ctest --preset dev -L interop | tee "$log"
else
  ctest --preset dev | tee "$log"
fi
stage "the sanitizer builds (started beside the gcc tests) end"
build_status=0
wait $background || build_status=$?
background=
cat "$background_log"
rm -f "$background_log"
[ $build_status = 0 ] || { echo "run-tests: a sanitizer build failed (above)" >&2; exit $build_status; }

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  stage "clang tests under ASan + UBSan (preset asan)"
  RC_PARAMS="${RC_PARAMS_ASAN:-max_success=300}" ctest --preset asan | tee -a "$log"
fi

if [ "${SKIP_TSAN:-0}" != 1 ]; then
  stage "the concurrency tests under ThreadSanitizer (preset tsan)"
  ctest --preset tsan | tee -a "$log"
fi

# Each fuzz target for a short while: 10 s, 5 s in CI (the fuzz-regression
# tests have replayed every corpus and regression input already).
[ $ci = 1 ] && FUZZ_SECONDS=${FUZZ_SECONDS:-5}
if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
  if [ "${SKIP_ASAN:-0}" != 1 ]; then
    # The asan preset has built the libFuzzer binaries too (-O0, -O1 in CI: fewer
    # runs per second than the fuzz preset's -O2, but no third build).
    stage "fuzzing, ${FUZZ_SECONDS:-10} s per target (the asan build's fuzzers)"
    IPSECREF_FUZZ_NO_BUILD=1 IPSECREF_FUZZ_BUILD=build/asan tools/fuzz/run_all.sh "${FUZZ_SECONDS:-10}"
  else
    stage "fuzzing, ${FUZZ_SECONDS:-10} s per target (preset fuzz)"
    tools/fuzz/run_all.sh "${FUZZ_SECONDS:-10}"
  fi
fi
