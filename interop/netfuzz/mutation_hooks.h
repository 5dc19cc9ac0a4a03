// The tester's side of a fuzzing iteration: the deviation `mutate=SEED`
// (registered with interop/deviations/ at run time, so that the deviations
// stay free of the mutator), whose hooks mutate the first request of the
// planned exchange the tester builds, through interop/mutate/, and record
// what they did.
#pragma once

#include <cstdint>

#include "interop/netfuzz/netfuzz.h"
#include "reference/base/result.h"

namespace ipsecref::netfuzz {

// Registers `mutate` (once; later calls do nothing).
Status RegisterMutateDeviation();

// Before a run with `mutate=SEED` on the tester: which exchange's first
// request it mutates and with how many operators. Without this, the
// deviation mutates IKE_SA_INIT with one operator.
void ExpectMutation(uint64_t seed, iana::ExchangeType exchange, int operations);
// After the run: what the hooks did (and forgets it).
Mutation TakeMutation(uint64_t seed);

}  // namespace ipsecref::netfuzz
