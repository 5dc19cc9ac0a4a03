#!/bin/bash -eu
# OSS-Fuzz build script for ipsecref (see fuzz/README.md, "OSS-Fuzz").
#
# Reads only OSS-Fuzz's variables: $CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $SRC $WORK $OUT (ctest oss-fuzz/build-sh-variables
# checks it), and runs only tools base-builder or the Dockerfile installs
# (make, cmake, flex, bison, zip, ar, nproc, sed, find). OSS-Fuzz runs it as
# `bash -eux $SRC/build.sh` from the Dockerfile's WORKDIR, $SRC/ipsecref.
#
# Builds every fuzz/*_fuzzer.cc with $CXX $CXXFLAGS, linked with
# $LIB_FUZZING_ENGINE, and puts next to each fuzzer in $OUT:
#   <fuzzer>_seed_corpus.zip  fuzz/corpus/<target>/, where it has files;
#   <fuzzer>.options          fuzz/<fuzzer>.options, its `dict =` line
#                             naming <fuzzer>.dict;
#   <fuzzer>.dict             the dictionary that .options named (fuzz/*.dict).
#
# Dependencies, from the Dockerfile's clones in $SRC, built statically with
# the sanitizer flags but without the coverage flags:
#   $SRC/cryptopp  Crypto++            $SRC/libpcap  libpcap
#   $SRC/fmt       fmt                 $SRC/json     nlohmann/json (headers)
#   $SRC/openssl   OpenSSL's libcrypto (X.509, reference/crypto/x509.cc)
# A missing one stops the build, except OpenSSL: without $SRC/openssl the
# system's libcrypto is linked (said on stderr). Only the local emulation,
# tools/fuzz/oss_fuzz_emulate.sh, leaves it out; OSS-Fuzz's runner has no
# libcrypto, so its builds must have the clone.

ROOT=$SRC/ipsecref
JOBS=$(nproc)
mkdir -p "$WORK" "$OUT"

missing() {
  echo "build.sh: $SRC/$1 does not exist: the Dockerfile clones $2 there" >&2
  exit 1
}

# Dependencies get the sanitizers but no coverage instrumentation: their
# edges would only dilute the fuzzers' feedback.
DEPS_CFLAGS=${CFLAGS//-fsanitize=fuzzer-no-link/}
DEPS_CXXFLAGS=${CXXFLAGS//-fsanitize=fuzzer-no-link/}

INCLUDES=(-I"$ROOT")
LIBS=()

[[ -d $SRC/cryptopp ]] || missing cryptopp "Crypto++"
make -C "$SRC/cryptopp" -j"$JOBS" static CXX="$CXX" CXXFLAGS="$DEPS_CXXFLAGS -DNDEBUG"
mkdir -p "$WORK/include"
ln -sfn "$SRC/cryptopp" "$WORK/include/cryptopp"
INCLUDES+=(-I"$WORK/include")
# The GNUmakefile's library: libcryptopp.a upstream, libcrypto++.a in
# Debian's patched source (the emulation's stand-in for the clone).
CRYPTOPP_LIB=$SRC/cryptopp/libcryptopp.a
[[ -f $CRYPTOPP_LIB ]] || CRYPTOPP_LIB=$SRC/cryptopp/libcrypto++.a
[[ -f $CRYPTOPP_LIB ]] || { echo "build.sh: make static left no libcryptopp.a (nor libcrypto++.a) in $SRC/cryptopp" >&2; exit 1; }
LIBS+=("$CRYPTOPP_LIB")

[[ -d $SRC/fmt ]] || missing fmt "fmt"
for f in format os; do
  $CXX $DEPS_CXXFLAGS -std=c++20 -I"$SRC/fmt/include" -c "$SRC/fmt/src/$f.cc" -o "$WORK/fmt_$f.o"
done
rm -f "$WORK/libfmt.a"
ar rcs "$WORK/libfmt.a" "$WORK/fmt_format.o" "$WORK/fmt_os.o"
INCLUDES+=(-I"$SRC/fmt/include")
LIBS+=("$WORK/libfmt.a")

[[ -d $SRC/libpcap ]] || missing libpcap "libpcap"
mkdir -p "$WORK/libpcap-build"
(cd "$WORK/libpcap-build" &&
 cmake "$SRC/libpcap" -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$DEPS_CFLAGS" \
       -DBUILD_SHARED_LIBS=OFF -DDISABLE_DBUS=ON -DDISABLE_RDMA=ON -DDISABLE_BLUETOOTH=ON \
       -DDISABLE_USB=ON -DDISABLE_NETMAP=ON -DDISABLE_DPDK=ON -DBUILD_WITH_LIBNL=OFF \
       -DCMAKE_INSTALL_PREFIX="$WORK/libpcap" &&
 make -j"$JOBS" pcap_static && cp libpcap.a "$WORK/libpcap.a")
INCLUDES+=(-I"$SRC/libpcap")
LIBS+=("$WORK/libpcap.a")

# nlohmann/json is header-only (reference/io/keys_json.cc, gateway/control.cc).
[[ -d $SRC/json/include/nlohmann ]] || missing json/include/nlohmann "nlohmann/json"
INCLUDES+=(-I"$SRC/json/include")

if [[ -d $SRC/openssl ]]; then
  # libcrypto only (no apps, no tests); no assembler, whose code the
  # sanitizers cannot see into.
  (cd "$SRC/openssl" &&
   CC="$CC" ./config no-shared no-tests no-asm no-module $DEPS_CFLAGS &&
   make -j"$JOBS" build_libs)
  INCLUDES+=(-I"$SRC/openssl/include")
  LIBS+=("$SRC/openssl/libcrypto.a" -ldl -pthread)
else
  echo "build.sh: $SRC/openssl does not exist: linking the system's libcrypto" \
       "(a local emulation only; OSS-Fuzz's runner has none, the Dockerfile clones OpenSSL)" >&2
  LIBS+=(-lcrypto)
fi

# The reference library and the harness modules the fuzzers drive (the
# capture judge, the gateway replay plan, the conformance catalogue with the
# exchange scenarios and deviations it uses, the structure-aware mutator of
# the *_structured twins, the IKEv2 state driver): every .cc of them but the
# tests, compiled JOBS at a time.
mkdir -p "$WORK/obj"
cd "$ROOT"
find reference interop/check interop/replay interop/conformance interop/exchange interop/deviations \
     interop/mutate -name '*.cc' ! -name '*_test.cc' | sort >"$WORK/sources"
# The driver the stateful IKEv2 targets share (ike_state_driver.h).
echo fuzz/ike_state_driver.cc >>"$WORK/sources"
export CXX CXXFLAGS WORK
export INCLUDES_STRING="${INCLUDES[*]}"
xargs -P"$JOBS" -I{} sh -c \
  'o="$WORK/obj/$(echo {} | tr / _).o"; $CXX $CXXFLAGS -std=c++20 $INCLUDES_STRING -c {} -o "$o"' \
  <"$WORK/sources"
rm -f "$WORK/libipsecref_reference.a"
ar rcs "$WORK/libipsecref_reference.a" "$WORK"/obj/*.o

# The fuzzers, compiled and linked JOBS at a time.
export LIB_FUZZING_ENGINE OUT
export LIBS_STRING="$WORK/libipsecref_reference.a ${LIBS[*]}"
ls fuzz/*_fuzzer.cc | xargs -P"$JOBS" -I{} sh -c \
  'f=$(basename {} .cc); $CXX $CXXFLAGS -std=c++20 $INCLUDES_STRING {} -o "$OUT/$f" $LIB_FUZZING_ENGINE $LIBS_STRING'

for source in fuzz/*_fuzzer.cc; do
  fuzzer=$(basename "$source" .cc)
  target=${fuzzer%_fuzzer}
  [[ -x $OUT/$fuzzer ]] || { echo "build.sh: $OUT/$fuzzer was not built" >&2; exit 1; }
  rm -f "$OUT/${fuzzer}_seed_corpus.zip" "$OUT/$fuzzer.options" "$OUT/$fuzzer.dict"
  if [[ -n $(find "fuzz/corpus/$target" -type f 2>/dev/null | head -n1) ]]; then
    (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${fuzzer}_seed_corpus.zip" .)
  fi
  if [[ -f fuzz/$fuzzer.options ]]; then
    # OSS-Fuzz reads `dict =` relative to $OUT: ship the dictionary as
    # <fuzzer>.dict and name that.
    dict=$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*//p' "fuzz/$fuzzer.options" | tail -n1)
    if [[ -n $dict ]]; then
      [[ -f fuzz/$dict ]] || { echo "build.sh: fuzz/$fuzzer.options names fuzz/$dict, which does not exist" >&2; exit 1; }
      cp "fuzz/$dict" "$OUT/$fuzzer.dict"
    fi
    sed "s/^\([[:space:]]*dict[[:space:]]*=[[:space:]]*\).*/\1$fuzzer.dict/" "fuzz/$fuzzer.options" >"$OUT/$fuzzer.options"
  fi
done
