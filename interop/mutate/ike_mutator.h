// Structure-aware mutation of IKEv2 messages (RFC 7296 §3): decode, apply
// named operators at the message, payload and field levels, re-encode with
// the lengths fixed (and, at times, one left wrong on purpose). Used by the
// libFuzzer twins in fuzz/ (LLVMFuzzerCustomMutator) and by the network
// fuzzer (`ipsecref fuzz`). Deterministic: the same seed gives the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::mutate {

// Deterministic choices (libFuzzer's seed, or the network fuzzer's --seed and
// iteration): splitmix64, so that a seed names one sequence on every platform.
class Chooser {
 public:
  explicit Chooser(uint64_t seed);
  uint64_t Next();                 // 64 random bits
  uint64_t Below(uint64_t n);      // uniform in [0, n); n > 0 (0 for n == 0)
  bool OneIn(uint64_t n);          // true with probability 1/n

 private:
  uint64_t state_;
};

// One operator applied, for reports and replay logs: "SA: proposal 2 removed",
// "N(COOKIE): critical bit set", "payload 3 (KE) repeated",
// "header length +7 (left wrong)".
struct Applied {
  std::string what;
  // Set when the operator made the message undecodable on purpose (a length
  // left wrong, a count its data no longer matches, a body under another
  // type's name, an unknown payload marked critical, major version 1): the
  // "lengths fixed" property (the output decodes again) holds otherwise.
  bool leaves_wrong = false;
  // The operator's name (Operators()), or "wrong_length" / "payload_reserved"
  // for what EncodeMutated did to the bytes.
  std::string op;
};

// Structure-level mutation of a decoded message, `operations` operators in a
// row. Works on m.inner when m.decrypted (the plaintext payloads of an
// encrypted message, as the reference's Hooks::OnBuilt hands them over),
// otherwise on m.payloads (never touching an opaque SK/SKF payload's
// ciphertext). Returns what was applied (fewer entries when no operator
// applied).
std::vector<Applied> MutateMessage(ike::Message& m, Chooser& c, int operations = 1);

// The payload list alone (for a caller that holds inner payloads, e.g. a hook).
std::vector<Applied> MutatePayloads(std::vector<ike::Payload>& payloads, Chooser& c, int operations = 1);

// Encodes after mutation: lengths and next-payload chain fixed (Finalize),
// then at times (about 1 in 8) one length field left wrong on purpose (a
// payload length, the header length, a proposal/transform/attribute length),
// recorded in `applied`. Fails only where the reference encoder cannot
// represent the message (kLengthOverflow).
Result<Bytes> EncodeMutated(ike::Message& m, Chooser& c, std::vector<Applied>& applied);

// libFuzzer's custom mutator for a target whose input is one IKEv2 datagram:
// decode; when it decodes, MutateMessage + EncodeMutated into data
// (<= max_size); when it does not decode, or about 1 in 4 by chance, fall
// back to byte mutation (LLVMFuzzerMutate when linked with libFuzzer, passed
// as a function pointer so that this library does not depend on libFuzzer;
// nullptr: a small built-in byte mutator). Returns the new size (<= max_size).
using ByteMutator = size_t (*)(uint8_t* data, size_t size, size_t max_size);
size_t MutateDatagram(uint8_t* data, size_t size, size_t max_size, unsigned int seed, ByteMutator fallback);

// The operators by name, for tests and documentation: each row of the table
// MutatePayloads/MutateMessage choose from (by weight).
struct OperatorInfo {
  const char* name;
  unsigned weight;
};
std::vector<OperatorInfo> Operators();

// Applies the operator named `name` once, on m.inner when m.decrypted (tests:
// every operator reachable and applicable). Empty when it does not apply.
std::vector<Applied> ApplyOperator(ike::Message& m, Chooser& c, const std::string& name);

}  // namespace ipsecref::mutate
