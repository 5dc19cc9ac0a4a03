// Fuzz target: the IKEv2 message codec (RFC 7296 §3), reference/ike/wire/,
// under structure-aware mutation: the same input and checks as ike_decode
// (ike_decode_check.h), with libFuzzer's custom mutator set to
// interop/mutate's MutateDatagram, which decodes the input, applies the
// payload, SA, field and header operators, re-encodes with the lengths fixed
// (about 1 in 8 leaving one wrong on purpose) and falls back to libFuzzer's
// own byte mutation (LLVMFuzzerMutate) on undecodable input and about 1 in 4
// at random. See README.md, "Structure-aware mutation".
#include <cstddef>
#include <cstdint>

#include "fuzz/ike_decode_check.h"
#include "interop/mutate/ike_mutator.h"

// libFuzzer's byte mutator. Weak: the regression binary (regression_main.cc,
// no libFuzzer) links without it, the address is then null and MutateDatagram
// uses its own small byte mutator (it is never called there anyway: the
// regression binary runs inputs, it does not mutate them).
extern "C" __attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ipsecref::fuzz::IkeDecodeOneInput(data, size);
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return ipsecref::mutate::MutateDatagram(data, size, max_size, seed, LLVMFuzzerMutate);
}
