#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every
# test — unit, property, vectors, captures, fuzz regressions, the Scapy
# cross-check — then each fuzz target for a short while.
# FUZZ_SECONDS (default 30) sets the time per fuzz target; 0 skips fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev

if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  tools/fuzz/run_all.sh "${FUZZ_SECONDS:-30}"
fi
