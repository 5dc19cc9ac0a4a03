#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh the way OSS-Fuzz does, here, without Docker,
# and fails unless every fuzz target is built and shipped as OSS-Fuzz wants it
# and runs clean over its seeds and a few thousand mutations.
#
#   tools/fuzz/oss_fuzz_emulate.sh [asan|ubsan|all] [WORKDIR]     (default all)
#
# For each mode (asan: libFuzzer + AddressSanitizer; ubsan: libFuzzer +
# UndefinedBehaviorSanitizer), under WORKDIR/<mode>/ (default WORKDIR: a fresh
# mktemp directory under /var/tmp; also $IPSECREF_OSS_FUZZ_WORK):
#  1. $SRC, $WORK, $OUT; in $SRC the dependencies where the Dockerfile's
#     clones put them ($SRC/cryptopp, fmt, libpcap, json), from Debian's
#     source packages (`apt-get source` of libcrypto++, fmtlib, libpcap,
#     nlohmann-json3) in place of the clones; $SRC/ipsecref a symlink to this
#     tree; $SRC/build.sh a copy of fuzz/oss-fuzz/build.sh. The Debian sources
#     are fetched once into $IPSECREF_OSS_FUZZ_CACHE (default
#     /var/tmp/ipsecref-oss-fuzz-cache) through a private apt sources list and
#     state directory (deb-src twins of /etc/apt/sources.list.d/*.sources;
#     /etc/apt is not touched) and reused by later runs.
#     OpenSSL is NOT built from source here (slow): $SRC/openssl is absent, so
#     build.sh links the system's libcrypto (it says so); OSS-Fuzz builds the
#     Dockerfile's clone.
#  2. `bash -eux $SRC/build.sh` from $SRC/ipsecref (the Dockerfile's WORKDIR)
#     under `env -i` with only PATH, HOME and OSS-Fuzz's variables, set as
#     base-clang, base-builder and `compile` set them (the values and their
#     sources are below; two deviations forced by Debian's clang 14 are said
#     where they are made).
#  3. checks $OUT: a binary for every fuzz/*_fuzzer.cc;
#     <fuzzer>_seed_corpus.zip where fuzz/corpus/<target> has files; an
#     .options where fuzz/ has one; the dictionary each .options names.
#  4. runs each fuzzer from $OUT with base-runner's ASAN_OPTIONS /
#     UBSAN_OPTIONS and FUZZER_ARGS and its .options' [libfuzzer] settings
#     (the dictionary), two at a time: -runs=0 over its unzipped seed corpus,
#     then -runs=$IPSECREF_OSS_FUZZ_RUNS (default 3000) -seed=1 from it.
#     Any crash, sanitizer report, leak, timeout or OOM fails; the input is
#     kept under WORKDIR/<mode>/artifacts/.
# Prints a table (target, built, seeds, runs, result) per mode and the build
# time; exits 0 only when everything above holds in every mode asked for.
# IPSECREF_OSS_FUZZ_NO_BUILD=1 skips 1 and 2 and checks and runs the $OUT that
# an earlier run left in WORKDIR/<mode>/out.
# Not a ctest (a mode takes over half an hour on two cores); the ctest
# oss-fuzz/build-sh-variables checks build.sh's variables statically.
set -euo pipefail

mode=${1:-all}
case $mode in
  asan) modes=(asan) ;;
  ubsan) modes=(ubsan) ;;
  all) modes=(asan ubsan) ;;
  *) echo "oss_fuzz_emulate: unknown mode '$mode': asan, ubsan or all" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${2:-${IPSECREF_OSS_FUZZ_WORK:-}}
[[ -n $work ]] || work=$(mktemp -d /var/tmp/ipsecref-oss-fuzz.XXXXXX)
mkdir -p "$work"
work=$(cd "$work" && pwd)
cache=${IPSECREF_OSS_FUZZ_CACHE:-/var/tmp/ipsecref-oss-fuzz-cache}
runs=${IPSECREF_OSS_FUZZ_RUNS:-3000}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "oss_fuzz_emulate: IPSECREF_OSS_FUZZ_RUNS=$runs is not a positive number" >&2; exit 2; }
jobs=2

# -- the Dockerfile's clones, from Debian's source packages ------------------

# Debian source package -> the directory under $SRC where the Dockerfile
# clones the upstream project.
declare -A CLONE_OF
CLONE_OF=([libcrypto++]=cryptopp [fmtlib]=fmt [libpcap]=libpcap [nlohmann-json3]=json)

fetch_sources() {
  local pkg
  local -a missing
  missing=()
  for pkg in "${!CLONE_OF[@]}"; do
    [[ -d $cache/tree/${CLONE_OF[$pkg]} ]] || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "== Debian sources: cached in $cache/tree"
    return 0
  fi
  echo "== Debian sources: fetching ${missing[*]} into $cache"
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/download" "$cache/tree"
  # deb-src twins of the machine's deb822 sources (Types: deb -> deb-src).
  local sources=$cache/apt/deb-src.sources
  : >"$sources"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '
      function flush() { if (deb && uris != "") printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n", uris, suites, comps, (signed != "" ? "Signed-By: " signed "\n" : "")
                         deb = 0; uris = suites = comps = signed = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      /^Types:/ { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
      /^Signed-By:/ { sub(/^Signed-By:[[:space:]]*/, ""); signed = $0 }
      END { flush() }' "$f" >>"$sources"
  done
  if ! grep -q '^Types: deb-src' "$sources"; then
    echo "oss_fuzz_emulate: no deb822 'Types: deb' stanza in /etc/apt/sources.list.d/*.sources to make a deb-src list of" >&2
    exit 1
  fi
  local -a apt
  apt=(apt-get -q -o Dir::Etc::SourceList="$sources" -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists="$cache/apt/lists" -o Dir::Cache="$cache/apt/cache")
  "${apt[@]}" update >"$cache/apt/update.log" 2>&1 ||
    { cat "$cache/apt/update.log" >&2; echo "oss_fuzz_emulate: apt-get update of the deb-src list failed" >&2; exit 1; }
  for pkg in "${missing[@]}"; do
    rm -rf "$cache/download/$pkg"
    mkdir -p "$cache/download/$pkg"
    (cd "$cache/download/$pkg" && "${apt[@]}" source "$pkg") >"$cache/download/$pkg.log" 2>&1 ||
      { cat "$cache/download/$pkg.log" >&2; echo "oss_fuzz_emulate: apt-get source $pkg failed" >&2; exit 1; }
    local dir
    dir=$(find "$cache/download/$pkg" -mindepth 1 -maxdepth 1 -type d | head -n1)
    [[ -n $dir ]] || { echo "oss_fuzz_emulate: apt-get source $pkg unpacked nothing (see $cache/download/$pkg.log)" >&2; exit 1; }
    mv "$dir" "$cache/tree/${CLONE_OF[$pkg]}"
    echo "   $pkg: $(basename "$dir") -> $cache/tree/${CLONE_OF[$pkg]}"
  done
}

# -- OSS-Fuzz's build environment --------------------------------------------

# google/oss-fuzz infra/base-images/base-clang/Dockerfile: ENV CFLAGS.
# Dropped: -Wno-error=vla-cxx-extension, a warning clang 14 does not know
# (clang 14 warns "unknown warning option", which Crypto++'s GNUmakefile takes
# for a failed ISA probe). Every other flag is there as base-clang has it.
BASE_CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only \
-Wno-error=incompatible-function-pointer-types -Wno-error=int-conversion \
-Wno-error=deprecated-declarations -Wno-error=implicit-function-declaration \
-Wno-error=implicit-int -Wno-error=unknown-warning-option \
-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
# base-clang/Dockerfile: ENV CXXFLAGS_EXTRA.
CXXFLAGS_EXTRA="-stdlib=libc++"
# infra/base-images/base-builder/Dockerfile: ENV SANITIZER_FLAGS_address,
# SANITIZER_FLAGS_undefined (x86_64), COVERAGE_FLAGS.
SANITIZER_FLAGS_address="-fsanitize=address -fsanitize-address-use-after-scope"
SANITIZER_FLAGS_undefined="-fsanitize=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
COVERAGE_FLAGS="-fsanitize=fuzzer-no-link"
# infra/base-images/base-builder/compile_libfuzzer: LIB_FUZZING_ENGINE.
# Added: -l:libstdc++.so.6. Debian's libclang_rt.fuzzer is compiled against
# libstdc++ (OSS-Fuzz's against a private libc++), so with -stdlib=libc++ its
# own std::string etc. are unresolved; clang rewrites -lstdc++ into the
# selected library, hence the file name. The project's code sees libc++ only.
LIB_FUZZING_ENGINE_VALUE="-fsanitize=fuzzer -l:libstdc++.so.6"
# infra/base-images/base-runner/Dockerfile: ENV ASAN_OPTIONS, UBSAN_OPTIONS,
# FUZZER_ARGS (what run_fuzzer runs every fuzzer with).
RUNNER_ASAN_OPTIONS="alloc_dealloc_mismatch=0:allocator_may_return_null=1:allocator_release_to_os_interval_ms=500:check_malloc_usable_size=0:detect_container_overflow=1:detect_odr_violation=0:detect_leaks=1:detect_stack_use_after_return=1:fast_unwind_on_fatal=0:handle_abort=1:handle_segv=1:handle_sigill=1:max_uar_stack_size_log=16:print_scariness=1:quarantine_size_mb=10:strict_memcmp=1:strip_path_prefix=/workspace/:symbolize=1:use_sigaltstack=1:dedup_token_length=3"
RUNNER_UBSAN_OPTIONS="print_stacktrace=1:print_summary=1:silence_unsigned_overflow=1:strip_path_prefix=/workspace/:symbolize=1:dedup_token_length=3"
FUZZER_ARGS=(-rss_limit_mb=2560 -timeout=25)

# CFLAGS and CXXFLAGS as infra/base-images/base-builder/compile composes them.
flags_for() {
  local sanitizer_flags
  case $1 in
    asan) sanitizer_flags=$SANITIZER_FLAGS_address ;;
    ubsan) sanitizer_flags=$SANITIZER_FLAGS_undefined ;;
  esac
  CFLAGS="$BASE_CFLAGS $sanitizer_flags $COVERAGE_FLAGS"
  CXXFLAGS="$CFLAGS $CXXFLAGS_EXTRA"
  # compile: for SANITIZER=undefined, no function sanitizer in C code.
  [[ $1 == ubsan ]] && CFLAGS="$CFLAGS -fno-sanitize=function"
  return 0
}

# -- one mode ----------------------------------------------------------------

failures=()
summary=()

# [libfuzzer] KEY = VALUE of an .options file, as -KEY=VALUE arguments.
libfuzzer_options() {
  awk '/^[[:space:]]*\[/ { s = ($0 ~ /\[libfuzzer\]/); next }
       s && /=/ { k = $0; sub(/[[:space:]]*=.*/, "", k); sub(/^[[:space:]]*/, "", k)
                  v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]*$/, "", v)
                  print "-" k "=" v }' "$1"
}

# Runs one fuzzer twice (seeds, then mutations); writes its table row.
run_fuzzer() {
  local base=$1 fuzzer=$2
  local out=$base/out corpus=$base/corpus/$fuzzer artifacts=$base/artifacts/$fuzzer/ log=$base/logs/$fuzzer
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus/seeds" "$corpus/grown" "$artifacts"
  if [[ -f $out/${fuzzer}_seed_corpus.zip ]]; then
    unzip -q -o "$out/${fuzzer}_seed_corpus.zip" -d "$corpus/seeds"
  fi
  local seeds
  seeds=$(find "$corpus/seeds" -type f | wc -l)
  local -a options
  options=()
  [[ -f $out/$fuzzer.options ]] && mapfile -t options < <(libfuzzer_options "$out/$fuzzer.options")
  local result=pass executed=?
  # run_fuzzer runs from $OUT: an .options' dict path is relative to it.
  if ! (cd "$out" && "./$fuzzer" "${FUZZER_ARGS[@]}" "${options[@]}" -artifact_prefix="$artifacts" \
          -runs=0 "$corpus/seeds") >"$log.seeds" 2>&1; then
    result="FAIL over the seeds ($log.seeds)"
  elif ! (cd "$out" && "./$fuzzer" "${FUZZER_ARGS[@]}" "${options[@]}" -artifact_prefix="$artifacts" \
            -runs="$runs" -seed=1 -print_final_stats=1 "$corpus/grown" "$corpus/seeds") >"$log.fuzz" 2>&1; then
    result="FAIL fuzzing ($log.fuzz)"
  fi
  [[ -f $log.fuzz ]] && executed=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log.fuzz")
  if grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$log.seeds" "$log.fuzz" 2>/dev/null; then
    [[ $result == pass ]] && result="FAIL: a sanitizer report ($log.*)"
  fi
  local crashers
  crashers=$(find "$artifacts" -type f | head -n3 | tr '\n' ' ')
  [[ -n $crashers ]] && result+=" inputs: $crashers"
  printf '%s\t%s\t%s\t%s\n' "$fuzzer" "$seeds" "${executed:-?}" "$result" >"$log.row"
}

run_mode() {
  local m=$1
  local base=$work/$m
  local src=$base/src
  echo
  echo "== $m: $base"
  if [[ -n ${IPSECREF_OSS_FUZZ_NO_BUILD:-} ]]; then
    [[ -d $base/out ]] || { failures+=("$m: IPSECREF_OSS_FUZZ_NO_BUILD: no $base/out to reuse"); return 0; }
    echo "build: skipped, \$OUT of an earlier run reused (IPSECREF_OSS_FUZZ_NO_BUILD)"
    summary+=("$m: build skipped (IPSECREF_OSS_FUZZ_NO_BUILD)")
    check_and_run "$m" "$base"
    return 0
  fi
  rm -rf "$base"
  mkdir -p "$src" "$base/work" "$base/out" "$base/logs"
  local d
  for d in "${CLONE_OF[@]}"; do
    cp -a "$cache/tree/$d" "$src/$d"
  done
  ln -s "$root" "$src/ipsecref"
  cp "$root/fuzz/oss-fuzz/build.sh" "$src/build.sh"

  flags_for "$m"
  echo "CFLAGS=$CFLAGS"
  echo "CXXFLAGS=$CXXFLAGS"
  echo "LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE_VALUE"
  local start end status=0
  start=$(date +%s)
  (cd "$src/ipsecref" &&
   env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" \
     CC=clang CXX=clang++ CFLAGS="$CFLAGS" CXXFLAGS="$CXXFLAGS" \
     LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE_VALUE" \
     SRC="$src" WORK="$base/work" OUT="$base/out" \
     bash -eux "$src/build.sh") >"$base/build.log" 2>&1 || status=$?
  end=$(date +%s)
  echo "build: $((end - start)) s, exit $status (log $base/build.log)"
  if [[ $status -ne 0 ]]; then
    grep -E 'error|Error|build.sh:' "$base/build.log" | grep -v '^+' | head -n 30 >&2 || true
    tail -n 20 "$base/build.log" >&2
    failures+=("$m: build.sh failed (exit $status, $base/build.log)")
    summary+=("$m: build.sh failed after $((end - start)) s")
    return 0
  fi
  summary+=("$m: build.sh $((end - start)) s")
  check_and_run "$m" "$base"
}

# Checks $OUT of mode $1 (in $2) and runs its fuzzers.
check_and_run() {
  local m=$1 base=$2
  mkdir -p "$base/logs"

  # The conventions: what $OUT must hold.
  local source fuzzer target dict
  local -a problems fuzzers
  problems=()
  fuzzers=()
  for source in "$root"/fuzz/*_fuzzer.cc; do
    fuzzer=$(basename "$source" .cc)
    target=${fuzzer%_fuzzer}
    fuzzers+=("$fuzzer")
    [[ -x $base/out/$fuzzer ]] || problems+=("$fuzzer: no binary in \$OUT")
    if [[ -n $(find "$root/fuzz/corpus/$target" -type f 2>/dev/null | head -n1) ]]; then
      [[ -f $base/out/${fuzzer}_seed_corpus.zip ]] || problems+=("$fuzzer: no ${fuzzer}_seed_corpus.zip though fuzz/corpus/$target has files")
    fi
    if [[ -f $root/fuzz/$fuzzer.options ]]; then
      if [[ ! -f $base/out/$fuzzer.options ]]; then
        problems+=("$fuzzer: fuzz/$fuzzer.options is not in \$OUT")
      else
        dict=$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*//p' "$base/out/$fuzzer.options" | tail -n1)
        if [[ -n $dict && ! -f $base/out/$dict ]]; then
          problems+=("$fuzzer: its .options names $dict, which is not in \$OUT")
        elif [[ -n $dict && $dict != "$fuzzer.dict" ]]; then
          problems+=("$fuzzer: its .options names $dict, not $fuzzer.dict")
        fi
      fi
    fi
  done
  if [[ ${#problems[@]} -ne 0 ]]; then
    printf 'oss_fuzz_emulate: %s: %s\n' "$m" "${problems[@]}" >&2
    failures+=("$m: \$OUT breaks the conventions (${#problems[@]} problems)")
  fi
  echo "\$OUT: ${#fuzzers[@]} fuzz targets, $(ls "$base/out"/*_seed_corpus.zip 2>/dev/null | wc -l) seed corpora," \
       "$(ls "$base/out"/*.options 2>/dev/null | wc -l) .options, $(ls "$base/out"/*.dict 2>/dev/null | wc -l) .dict"

  # The runs, two fuzzers at a time, with the runner's sanitizer settings.
  export ASAN_OPTIONS=$RUNNER_ASAN_OPTIONS UBSAN_OPTIONS=$RUNNER_UBSAN_OPTIONS
  local running=0 run_start
  run_start=$(date +%s)
  for fuzzer in "${fuzzers[@]}"; do
    if [[ ! -x $base/out/$fuzzer ]]; then
      printf '%s\t-\t-\t%s\n' "$fuzzer" "FAIL: not built" >"$base/logs/$fuzzer.row"
      continue
    fi
    if ((running >= jobs)); then
      wait -n || true
      running=$((running - 1))
    fi
    run_fuzzer "$base" "$fuzzer" &
    running=$((running + 1))
  done
  wait
  local run_end total_runs=0 failed=0 row name seeds executed result
  run_end=$(date +%s)
  echo
  printf '%-34s %-6s %-6s %-8s %s\n' target built seeds runs result
  for fuzzer in "${fuzzers[@]}"; do
    row=$(cat "$base/logs/$fuzzer.row" 2>/dev/null || printf '%s\t?\t?\tFAIL: no result' "$fuzzer")
    IFS=$'\t' read -r name seeds executed result <<<"$row"
    printf '%-34s %-6s %-6s %-8s %s\n' "${name%_fuzzer}" "$([[ -x $base/out/$fuzzer ]] && echo yes || echo NO)" \
      "$seeds" "$executed" "$result"
    [[ $executed =~ ^[0-9]+$ ]] && total_runs=$((total_runs + executed))
    [[ $result == pass ]] || failed=$((failed + 1))
  done
  [[ $failed -eq 0 ]] || failures+=("$m: $failed fuzzers failed")
  summary+=("$m: ${#fuzzers[@]} targets, runs $((run_end - run_start)) s ($total_runs executions), $failed failed")
}

# (One function, called on the last line: bash has read the whole script
# before it runs, so editing the file meanwhile does not change a run.)
main() {
  [[ -n ${IPSECREF_OSS_FUZZ_NO_BUILD:-} ]] || fetch_sources
  local m
  for m in "${modes[@]}"; do
    run_mode "$m"
  done
  echo
  echo "== summary (work directory $work)"
  printf '  %s\n' "${summary[@]}"
  if [[ ${#failures[@]} -ne 0 ]]; then
    printf 'oss_fuzz_emulate: FAILED: %s\n' "${failures[@]}" >&2
    return 1
  fi
  echo "oss_fuzz_emulate: ${modes[*]}: build.sh follows OSS-Fuzz's conventions, every target runs clean"
}
main; exit $?
