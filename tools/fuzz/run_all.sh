#!/usr/bin/env bash
# Builds the `fuzz` preset (clang, libFuzzer, ASan, UBSan) and runs every fuzz
# target for SECONDS each (default 30) over a copy of its seed corpus. Fails
# if any target crashes, leaks, hits undefined behaviour, times out (one input
# over 10 s) or runs out of memory (2 GiB); the inputs that did are kept in a
# temporary directory, printed, and can be replayed with the regression
# binary or the fuzzer itself (the directory is removed when all passed).
#
#   tools/fuzz/run_all.sh [SECONDS] [TARGET...]       e.g. tools/fuzz/run_all.sh 20 esp_decap
#
# Environment: IPSECREF_FUZZ_NO_BUILD=1 skips configure and build;
# IPSECREF_FUZZ_BUILD=DIR takes the binaries from that build directory
# (default build/fuzz; tools/run-tests.sh passes build/asan, whose preset
# also builds them);
# IPSECREF_FUZZ_WORK=DIR works there instead of a fresh temporary directory;
# IPSECREF_FUZZ_JOBS=N runs N targets at a time (default: the number of
# CPUs, nproc). Each target is one single-threaded libFuzzer process that
# runs for SECONDS of wall time whatever N is, so running them side by side
# on idle cores gives each the same time and CPU as running them one after
# another, in 1/N of the wall time (tools/run-tests.sh: 30 targets x 10 s,
# about 5 min one at a time, about half that on the CI's 2 cores).
set -euo pipefail

seconds=${1:-30}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${IPSECREF_FUZZ_BUILD:-$root/build/fuzz}
cd "$root"

if [[ -z ${IPSECREF_FUZZ_NO_BUILD:-} ]]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
fi

# A temporary work directory of our own is removed when every target
# passed (it holds copies of the corpora), and kept with the crashers when
# one failed; IPSECREF_FUZZ_WORK's is always kept.
own_work=0
[[ -z ${IPSECREF_FUZZ_WORK:-} ]] && own_work=1
work=${IPSECREF_FUZZ_WORK:-$(mktemp -d -t ipsecref-fuzz.XXXXXX)}
mkdir -p "$work"
# The preset builds UBSan in recover mode: make every report fatal here.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Targets: the arguments, or every *_fuzzer.cc that was built.
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for source in fuzz/*_fuzzer.cc; do
    name=$(basename "$source" .cc)
    targets+=("${name%_fuzzer}")
  done
fi

# dict = FILE from the [libfuzzer] section of fuzz/<target>_fuzzer.options.
dict_of() {
  local options=fuzz/$1_fuzzer.options
  [[ -f $options ]] || return 0
  sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*//p' "$options" | head -n1
}

# One target: its report on stdout (printed once it is done, in the order
# of the targets, so that parallel runs do not interleave), its summary line
# in $work/<target>.summary, and $work/<target>.failed when it failed.
fuzz_one() {
  local target=$1
  local binary=$build/fuzz/${target}_fuzzer
  if [[ ! -x $binary ]]; then
    echo "run_all: $binary was not built" >&2
    echo "$target (not built)" >"$work/$target.failed"
    return 0
  fi
  local corpus=$work/corpus/$target
  local crashers=$work/crashers/$target
  mkdir -p "$corpus" "$crashers"
  if [[ -d fuzz/corpus/$target ]]; then
    cp -rL "fuzz/corpus/$target/." "$corpus/"  # -L: the twins' seeds are links to their plain targets'
  fi
  local seeds
  seeds=$(find "$corpus" -type f | wc -l)
  local args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
              -artifact_prefix="$crashers/")
  local dict
  dict=$(dict_of "$target")
  [[ -n $dict ]] && args+=(-dict="fuzz/$dict")
  local log=$work/$target.log

  echo "== $target: $seeds seeds, $seconds s${dict:+, dict $dict}"
  local status=0
  "$binary" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?

  local done_line cov execs units corpus_after line
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse|INITED)' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1, ft \2/p' <<<"$done_line")
  execs=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log")
  units=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log")
  corpus_after=$(find "$corpus" -type f | wc -l)
  line="$target: ${execs:-?} exec/s, ${units:-?} runs, ${cov:-cov ?}, corpus $seeds -> $corpus_after"
  if [[ $status -ne 0 ]]; then
    line+=", FAILED (exit $status)"
    echo "$target" >"$work/$target.failed"
    echo "-- $target failed; the end of its log ($log):"
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$log" | tail -n 60
    for crasher in "$crashers"/*; do
      [[ -f $crasher ]] || continue
      echo "-- crasher $crasher ($(stat -c %s "$crasher") bytes):"
      head -c 256 "$crasher" | xxd
      echo "   replay: $binary $crasher"
      echo "   keep:   cp $crasher fuzz/regressions/$target/<what_the_bug_is>"
    done
  fi
  echo "$line" >"$work/$target.summary"
  echo "$line"
}

jobs=${IPSECREF_FUZZ_JOBS:-$(nproc)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run_all: IPSECREF_FUZZ_JOBS=$jobs is not a positive number" >&2; exit 2; }
rm -f "$work"/*.failed "$work"/*.summary "$work"/*.report "$work"/*.done
shown=0  # the reports of targets[0..shown) are printed
show_done() {
  while ((shown < ${#targets[@]})) && [[ -f $work/${targets[shown]}.done ]]; do
    cat "$work/${targets[shown]}.report"
    shown=$((shown + 1))
  done
}
running=0
for target in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || true  # a job's status is in its files, not its exit code
    running=$((running - 1))
    show_done
  fi
  # (set -e inside, so that a failing step stops that target, as it stopped
  # the whole run before; .done either way, so that the reports go on.)
  { set +e; (set -e; fuzz_one "$target") >"$work/$target.report" 2>&1; touch "$work/$target.done"; } &
  running=$((running + 1))
done
wait
show_done

failed=()
summary=()
for target in "${targets[@]}"; do
  if [[ -f $work/$target.failed ]]; then
    failed+=("$(cat "$work/$target.failed")")
  elif [[ ! -f $work/$target.summary ]]; then
    # fuzz_one stopped early (set -e): never count that as a pass.
    failed+=("$target (no result; see $work/$target.report)")
    [[ -f $work/$target.done ]] || cat "$work/$target.report" 2>/dev/null || true
  fi
  [[ -f $work/$target.summary ]] && summary+=("$(cat "$work/$target.summary")")
done

echo
if [[ $own_work == 1 && ${#failed[@]} -eq 0 ]]; then
  echo "== summary"
else
  echo "== summary (work directory $work)"
fi
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -ne 0 ]]; then
  echo "run_all: failed: ${failed[*]}" >&2
  exit 1
fi
echo "run_all: no crashes in ${#targets[@]} targets"
if [[ $own_work == 1 ]]; then
  rm -rf "$work"
fi
