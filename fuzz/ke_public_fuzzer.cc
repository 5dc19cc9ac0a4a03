// Fuzz target: the recipient's tests on a peer's Key Exchange Data
// (ValidatePublicValue) and the shared secret computed from whatever passes.
//
// Input: 2 bytes, the Transform Type 4 group number (big-endian), then the
// Key Exchange Data as a KE payload would carry it.
//
// Checked: ValidatePublicValue refuses only with kUnknownTransform (group not
// implemented), kBadLength or kBadPublicValue, always naming the RFC
// requirement; a group it knows refuses every length but its own; whatever
// it accepts, SharedSecret with a fixed private value accepts too (X25519:
// unless the result is all zero, the one test left to SharedSecret) and
// gives exactly shared_size bytes; whatever it refuses, SharedSecret
// refuses with the same code.
#include <array>
#include <cstdint>
#include <memory>

#include "fuzz/check.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/ke.h"

namespace ipsecref::fuzz {
namespace {

// One party per implemented group, its private value fixed for the run.
crypto::KeyExchange* FixedParty(iana::KeGroup group) {
  static const auto parties = [] {
    std::array<std::unique_ptr<crypto::KeyExchange>, 64> out;
    auto rng = crypto::MakeDeterministicRng(0x6b65);
    for (const crypto::KeGroupInfo& info : crypto::KeGroups()) {
      auto party = crypto::MakeKeyExchange(info.id, *rng);
      Check(party.ok());
      out[static_cast<size_t>(info.id) % out.size()] = std::move(party).value();
    }
    return out;
  }();
  auto& party = parties[static_cast<size_t>(group) % parties.size()];
  return party && party->group() == group ? party.get() : nullptr;
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  ByteReader in(ByteSpan(data, size));
  uint16_t number = 0;
  if (!in.ReadU16(number)) return 0;
  const auto group = static_cast<iana::KeGroup>(number);
  const ByteSpan value = in.rest();

  const Status valid = crypto::ValidatePublicValue(group, value);
  const crypto::KeGroupInfo* info = crypto::FindKeGroup(group);
  if (info == nullptr) {
    Check(!valid.ok() && valid.error().code == Code::kUnknownTransform);
    return 0;
  }
  if (value.size() != info->public_size) Check(!valid.ok() && valid.error().code == Code::kBadLength);
  if (!valid.ok()) {
    Check(valid.error().code == Code::kBadLength || valid.error().code == Code::kBadPublicValue);
    Check(!valid.error().requirement.empty());
    Check(valid.error().offset == kNoOffset || valid.error().offset <= value.size());
  }

  crypto::KeyExchange* party = FixedParty(group);
  Check(party != nullptr);
  auto shared = party->SharedSecret(value);
  if (!valid.ok()) {
    Check(!shared.ok() && shared.error().code == valid.error().code);
    return 0;
  }
  if (!shared.ok()) {
    Check(info->family == crypto::KeFamily::kMontgomery && shared.error().code == Code::kBadPublicValue);
    return 0;
  }
  Check(shared->size() == info->shared_size);
  return 0;
}
