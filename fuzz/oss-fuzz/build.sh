#!/bin/bash -eu
# OSS-Fuzz build script for ipsecref (see fuzz/README.md, "OSS-Fuzz").
#
# Builds every fuzz/*_fuzzer.cc with $CXX $CXXFLAGS and links it with
# $LIB_FUZZING_ENGINE; puts next to each fuzzer in $OUT its seed corpus
# (<fuzzer>_seed_corpus.zip), its .options file and the dictionaries.
#
# Dependencies: Crypto++, fmt, libpcap and OpenSSL's libcrypto (X.509,
# reference/crypto/x509.cc) are built from source, statically
# and with the sanitizer flags (not the coverage flags), when the Dockerfile
# cloned them into $SRC; otherwise the system's are used (for a local dry run:
#   SRC=/tmp/src OUT=/tmp/out WORK=/tmp/work CC=clang CXX=clang++ \
#   CFLAGS="-fsanitize=address" CXXFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer fuzz/oss-fuzz/build.sh
# from the repository root).

ROOT=${IPSECREF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
JOBS=$(nproc)
mkdir -p "$WORK" "$OUT"

# Dependencies get the sanitizers but no coverage instrumentation: their
# edges would only dilute the fuzzers' feedback.
DEPS_CFLAGS=${CFLAGS//-fsanitize=fuzzer-no-link/}
DEPS_CXXFLAGS=${CXXFLAGS//-fsanitize=fuzzer-no-link/}

INCLUDES=(-I"$ROOT")
LIBS=()

if [[ -d $SRC/cryptopp ]]; then
  make -C "$SRC/cryptopp" -j"$JOBS" static CXX="$CXX" CXXFLAGS="$DEPS_CXXFLAGS -DNDEBUG"
  mkdir -p "$WORK/include"
  ln -sfn "$SRC/cryptopp" "$WORK/include/cryptopp"
  INCLUDES+=(-I"$WORK/include")
  LIBS+=("$SRC/cryptopp/libcryptopp.a")
else
  INCLUDES+=($(pkg-config --cflags libcrypto++))
  LIBS+=($(pkg-config --libs libcrypto++))
fi

if [[ -d $SRC/fmt ]]; then
  for f in format os; do
    $CXX $DEPS_CXXFLAGS -std=c++20 -I"$SRC/fmt/include" -c "$SRC/fmt/src/$f.cc" -o "$WORK/fmt_$f.o"
  done
  ar rcs "$WORK/libfmt.a" "$WORK/fmt_format.o" "$WORK/fmt_os.o"
  INCLUDES+=(-I"$SRC/fmt/include")
  LIBS+=("$WORK/libfmt.a")
else
  INCLUDES+=($(pkg-config --cflags fmt))
  LIBS+=($(pkg-config --libs fmt))
fi

if [[ -d $SRC/libpcap ]]; then
  mkdir -p "$WORK/libpcap-build"
  (cd "$WORK/libpcap-build" &&
   cmake "$SRC/libpcap" -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$DEPS_CFLAGS" \
         -DBUILD_SHARED_LIBS=OFF -DDISABLE_DBUS=ON -DDISABLE_RDMA=ON -DDISABLE_BLUETOOTH=ON \
         -DDISABLE_USB=ON -DDISABLE_NETMAP=ON -DDISABLE_DPDK=ON -DBUILD_WITH_LIBNL=OFF \
         -DCMAKE_INSTALL_PREFIX="$WORK/libpcap" &&
   make -j"$JOBS" pcap_static && cp libpcap.a "$WORK/libpcap.a")
  INCLUDES+=(-I"$SRC/libpcap")
  LIBS+=("$WORK/libpcap.a")
else
  INCLUDES+=($(pkg-config --cflags libpcap))
  LIBS+=($(pkg-config --libs libpcap))
fi

if [[ -d $SRC/openssl ]]; then
  # libcrypto only (no apps, no tests); no assembler, whose code the
  # sanitizers cannot see into.
  (cd "$SRC/openssl" &&
   CC="$CC" ./config no-shared no-tests no-asm no-module $DEPS_CFLAGS &&
   make -j"$JOBS" build_libs)
  INCLUDES+=(-I"$SRC/openssl/include")
  LIBS+=("$SRC/openssl/libcrypto.a" -ldl -pthread)
else
  INCLUDES+=($(pkg-config --cflags libcrypto))
  LIBS+=($(pkg-config --libs libcrypto))
fi

# The reference library and the harness modules the fuzzers drive (the
# capture judge, the gateway replay plan, the structure-aware mutator of the
# *_structured twins, the IKEv2 state driver): every .cc of them but the tests.
mkdir -p "$WORK/obj"
cd "$ROOT"
find reference interop/check interop/replay interop/mutate -name '*.cc' ! -name '*_test.cc' | sort >"$WORK/sources"
# The driver the stateful IKEv2 targets share (ike_state_driver.h).
echo fuzz/ike_state_driver.cc >>"$WORK/sources"
export CXX CXXFLAGS WORK
export INCLUDES_STRING="${INCLUDES[*]}"
xargs -P"$JOBS" -I{} sh -c \
  'o="$WORK/obj/$(echo {} | tr / _).o"; $CXX $CXXFLAGS -std=c++20 $INCLUDES_STRING -c {} -o "$o"' \
  <"$WORK/sources"
rm -f "$WORK/libipsecref_reference.a"
ar rcs "$WORK/libipsecref_reference.a" "$WORK"/obj/*.o

for source in fuzz/*_fuzzer.cc; do
  fuzzer=$(basename "$source" .cc)
  target=${fuzzer%_fuzzer}
  $CXX $CXXFLAGS -std=c++20 "${INCLUDES[@]}" "$source" -o "$OUT/$fuzzer" \
      $LIB_FUZZING_ENGINE "$WORK/libipsecref_reference.a" "${LIBS[@]}"
  if [[ -n $(find "fuzz/corpus/$target" -type f 2>/dev/null | head -n1) ]]; then
    rm -f "$OUT/${fuzzer}_seed_corpus.zip"
    (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${fuzzer}_seed_corpus.zip" .)
  fi
  if [[ -f fuzz/$fuzzer.options ]]; then
    cp "fuzz/$fuzzer.options" "$OUT/"
  fi
done
cp fuzz/*.dict "$OUT/"
