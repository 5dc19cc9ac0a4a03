#!/usr/bin/env bash
# Compares libFuzzer's byte mutation with the structure-aware mutator of
# interop/mutate on one target: TARGET (fuzz/TARGET_fuzzer.cc) and its twin
# TARGET_structured (fuzz/TARGET_structured_fuzzer.cc, the same
# LLVMFuzzerTestOneInput plus LLVMFuzzerCustomMutator). Both run for the same
# wall time, one libFuzzer process each (no -jobs), from the same seeds
# (fuzz/corpus/TARGET/, copied into two fresh corpus directories), with the
# same -seed=, dictionary and -max_len (fuzz/TARGET_fuzzer.options). Then the
# coverage each final corpus reaches is measured two ways:
#  - libFuzzer's own: the last status line's cov: and ft: (edges and
#    features of each binary's own instrumentation) and -print_final_stats;
#  - source coverage of reference/ike/ by one yardstick for both: each final
#    corpus (and the seeds alone) replayed through ONE binary built with
#    clang's source-based coverage (-fprofile-instr-generate
#    -fcoverage-mapping): TARGET's LLVMFuzzerTestOneInput and
#    regression_main.cc, with reference/ike/wire (and, for the stateful
#    targets, reference/ike/keymat, reference/ike/sa and their driver)
#    compiled instrumented and the other layers linked from the fuzz build;
#    llvm-profdata-14 and llvm-cov-14 (Debian's llvm-14) count the lines and
#    branches of reference/ike/.
# Prints a table; everything (logs, corpora, profiles) stays in RUNS_DIR.
#
#   tools/fuzz/compare_mutators.sh TARGET SECONDS [RUNS_DIR]
#   tools/fuzz/compare_mutators.sh ike_decode 600 /tmp/compare-ike_decode
#
# Environment: IPSECREF_FUZZ_BUILD=DIR the libFuzzer build (default
# build/fuzz, preset `fuzz`; both targets are built there unless
# IPSECREF_FUZZ_NO_BUILD=1); IPSECREF_COMPARE_SEED=N libFuzzer's -seed
# (default 1); IPSECREF_COMPARE_SERIAL=1 runs the two one after the other
# instead of side by side (side by side, each gets one of two cores when
# the machine is otherwise idle; on a loaded machine compare the CPU seconds
# each received, in the table). Every process runs under nice -n10 (run the
# script itself without nice: the two would add up to 19).
# IPSECREF_COMPARE_MEASURE_ONLY=1 skips the runs and measures the corpora
# already in RUNS_DIR again.
# Crashes: libFuzzer stops that run and keeps the input as
# RUNS_DIR/<mutator>/crash-*; the table says so.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 2
fi
target=$1
seconds=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${3:-$(mktemp -d -t "ipsecref-compare-$target.XXXXXX")}
build=${IPSECREF_FUZZ_BUILD:-$root/build/fuzz}
seed=${IPSECREF_COMPARE_SEED:-1}
cd "$root"

plain=${target}_fuzzer
structured=${target}_structured_fuzzer
[[ -f fuzz/$plain.cc && -f fuzz/$structured.cc ]] || {
  echo "compare_mutators: fuzz/$plain.cc and fuzz/$structured.cc must both exist" >&2
  exit 2
}
[[ -d fuzz/corpus/$target ]] || { echo "compare_mutators: no fuzz/corpus/$target" >&2; exit 2; }

if [[ -z ${IPSECREF_FUZZ_NO_BUILD:-} ]]; then
  [[ -f $build/build.ninja ]] || nice -n10 cmake --preset fuzz >/dev/null
  nice -n10 cmake --build "$build" -j2 --target "$plain" "$structured"
fi

# The options of TARGET's .options file (both twins run with the plain one's).
option() {
  local options=fuzz/$plain.options
  [[ -f $options ]] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$options" | head -n1
}
flags=(-seed="$seed" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
dict=$(option dict)
[[ -n $dict ]] && flags+=(-dict="$root/fuzz/$dict")
max_len=$(option max_len)
[[ -n $max_len ]] && flags+=(-max_len="$max_len")

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

mkdir -p "$runs"
# One coverage binary for both corpora, built (or found up to date) before
# the runs so that its compilation does not take CPU from them.
cov=$runs/cov
mkdir -p "$cov/obj"
cxx=clang++-14
cov_flags=(-std=c++20 -O1 -g -fprofile-instr-generate -fcoverage-mapping -I"$root")
link_flags=(-fsanitize=address,undefined)  # the fuzz build's libraries are sanitized
# What is compiled instrumented: reference/ike/wire, and for the stateful
# targets (those on fuzz/ike_state_driver.h) reference/ike/keymat and
# reference/ike/sa with the driver too; every other layer is linked from the
# fuzz build's libraries (uninstrumented: not counted).
instrumented=(reference/ike/wire/*.cc reference/ike/wire/payloads/*.cc)
excluded_libs=(ike_wire)
if grep -q '"fuzz/ike_state_driver.h"' "fuzz/$plain.cc"; then
  instrumented+=(reference/ike/keymat/*.cc reference/ike/sa/*.cc reference/ike/sa/tasks/*.cc fuzz/ike_state_driver.cc)
  excluded_libs+=(ike_keymat ike_sa)
fi
objects=()
for source in "${instrumented[@]}" "fuzz/$plain.cc" fuzz/regression_main.cc; do
  [[ $source == *_test.cc ]] && continue
  object=$cov/obj/$(echo "$source" | tr / _).o
  if [[ ! -f $object || $source -nt $object ]]; then
    nice -n10 "$cxx" "${cov_flags[@]}" -c "$source" -o "$object"
  fi
  objects+=("$object")
done
libs=()
for lib in "$build"/reference/libipsecref_*.a "$build"/interop/*/libipsecref_*.a; do
  name=$(basename "$lib" .a)
  [[ " ${excluded_libs[*]} " == *" ${name#libipsecref_} "* ]] || libs+=("$lib")
done
nice -n10 "$cxx" "${cov_flags[@]}" "${link_flags[@]}" "${objects[@]}" -Wl,--start-group "${libs[@]}" -Wl,--end-group \
  -lcryptopp -lcrypto -lfmt -lpcap -o "$cov/replay"

if [[ -z ${IPSECREF_COMPARE_MEASURE_ONLY:-} ]]; then
for m in plain structured; do
  rm -rf "${runs:?}/$m"
  mkdir -p "$runs/$m/corpus" "$runs/$m/seeds"
  # Dereference links (the twin's corpus is links to the plain one's seeds).
  find -L "fuzz/corpus/$target" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' -exec cp -L {} "$runs/$m/corpus/" \;
  cp "$runs/$m/corpus/"* "$runs/$m/seeds/"
done

run() {  # run MUTATOR BINARY; its CPU seconds (user, system) go to MUTATOR/cpu
  local m=$1 binary=$2 TIMEFORMAT='%U %S'
  { time (cd "$runs/$m" && nice -n10 "$build/fuzz/$binary" "${flags[@]}" -artifact_prefix="$runs/$m/" corpus \
    >"$runs/$m/fuzz.log" 2>&1); } 2>"$runs/$m/cpu" ||
    echo "compare_mutators: $m run ended with status $? (see $runs/$m/fuzz.log)" >&2
}
echo "compare_mutators: $target, $seconds s each, -seed=$seed, runs in $runs" >&2
if [[ -n ${IPSECREF_COMPARE_SERIAL:-} ]]; then
  run plain "$plain"
  run structured "$structured"
else
  run plain "$plain" &
  run structured "$structured" &
  wait
fi
fi

measure() {  # measure NAME CORPUS: replays CORPUS, writes NAME.json (llvm-cov's summary)
  LLVM_PROFILE_FILE=$cov/$1.profraw ASAN_OPTIONS=detect_leaks=0 "$cov/replay" "$2" >"$cov/$1.replay.log" 2>&1 ||
    echo "compare_mutators: replaying $2 failed (see $cov/$1.replay.log)" >&2
  llvm-profdata-14 merge -sparse "$cov/$1.profraw" -o "$cov/$1.profdata"
  llvm-cov-14 export -summary-only "$cov/replay" -instr-profile="$cov/$1.profdata" "$root/reference/ike/" >"$cov/$1.json"
}
measure seeds "$runs/plain/seeds"
measure plain "$runs/plain/corpus"
measure structured "$runs/structured/corpus"

/usr/bin/python3 - "$runs" "$target" "$seconds" "$seed" <<'EOF'
import json, os, re, sys
runs, target, seconds, seed = sys.argv[1:]

def libfuzzer(m):
    log = open(os.path.join(runs, m, "fuzz.log"), errors="replace").read()
    status = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", log, re.M)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.M))
    crashes = [f for f in os.listdir(os.path.join(runs, m)) if re.match(r"(crash|leak|timeout|oom)-", f)]
    last = status[-1] if status else ("?", "?", "?", "?")
    cpu_file = os.path.join(runs, m, "cpu")
    cpu = sum(float(x) for x in open(cpu_file).read().split()[-2:]) if os.path.exists(cpu_file) else None
    return {"execs": stats.get("number_of_executed_units", last[0]), "cov": last[1], "ft": last[2],
            "corpus": last[3], "crashes": len(crashes), "cpu": "?" if cpu is None else f"{cpu:.0f}"}

def source(name):
    totals = json.load(open(os.path.join(runs, "cov", name + ".json")))["data"][0]["totals"]
    return {k: f'{totals[k]["covered"]}/{totals[k]["count"]} ({totals[k]["percent"]:.1f}%)'
            for k in ("lines", "branches")}

rows = [("seeds only", {"execs": "", "cov": "", "ft": "", "corpus": str(len(os.listdir(os.path.join(runs, "plain", "seeds")))),
                        "crashes": "", "cpu": ""}, source("seeds"))]
rows += [(f"{m} ({target}{'' if m == 'plain' else '_structured'})", libfuzzer(m), source(m)) for m in ("plain", "structured")]
print(f"{target}: {seconds} s per mutator, -seed={seed}; source coverage of reference/ike/ by one replay binary")
print(f"| mutator | CPU s | execs | final corpus | libFuzzer cov | libFuzzer ft | crashes | lines | branches |")
print(f"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, lf, src in rows:
    print(f"| {name} | {lf['cpu']} | {lf['execs']} | {lf['corpus']} | {lf['cov']} | {lf['ft']} | {lf['crashes']} | {src['lines']} | {src['branches']} |")
EOF
