// Fuzz target: the IKEv2 state machine as initiator (reference/ike/sa/peer.h):
// an initiator that sent IKE_SA_INIT (or got further with a real responder),
// fed a sequence of records: raw datagrams, messages the harness encrypts
// with the keys of the real responder it set up (so that the fuzzer's bytes
// reach the code after decryption), time passing, operations of either peer,
// deliveries and drops. The input layout and the invariants checked after
// every record are in ike_state_driver.h.
//
// IPSECREF_FUZZ_VERBOSE=1 prints each record and what the initiator built.
#include <cstddef>
#include <cstdint>

#include "fuzz/ike_state_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ipsecref::fuzz::RunStateTarget(ipsecref::ike::sa::Role::kInitiator, data, size);
}
