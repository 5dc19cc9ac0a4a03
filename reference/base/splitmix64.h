// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014; the constants of Vigna's public-domain
// splitmix64.c): the one reproducible stream of the project, behind
// crypto::MakeDeterministicRng (tests and fuzzers, never keys), the
// structure-aware mutator's choices and the network fuzzer's per-iteration
// seeds. Not a cryptographic generator.
#pragma once

#include <cstdint>

namespace ipsecref {

// The finaliser: 64 well-mixed bits from any 64-bit value.
constexpr uint64_t SplitMix64Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The next value of the stream whose state is `state` (advanced).
constexpr uint64_t SplitMix64Next(uint64_t& state) { return SplitMix64Mix(state += 0x9e3779b97f4a7c15ULL); }

}  // namespace ipsecref
