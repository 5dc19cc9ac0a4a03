// Fuzz target: the IKEv2 message codec (RFC 7296 §3), reference/ike/wire/,
// under libFuzzer's byte mutation. Input and checks: ike_decode_check.h;
// the structure-aware twin is ike_decode_structured_fuzzer.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/ike_decode_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ipsecref::fuzz::IkeDecodeOneInput(data, size);
}
