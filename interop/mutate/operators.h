// The mutator's operators as one table (ike_mutator.h): a name, a weight and
// a function that changes a payload chain (and the header, when there is
// one) or says it does not apply. Internal to interop/mutate.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "interop/mutate/ike_mutator.h"

namespace ipsecref::mutate::detail {

// What an operator works on: the header (null for a payload list alone) and
// the chain (a message's payloads, or the plaintext payloads of its SK).
struct Target {
  ike::Header* header = nullptr;
  std::vector<ike::Payload>* payloads = nullptr;
};

// An Applied entry (the caller fills in the operator's name).
inline Applied Did(std::string what, bool leaves_wrong = false, std::string op = {}) {
  Applied a;
  a.what = std::move(what);
  a.leaves_wrong = leaves_wrong;
  a.op = std::move(op);
  return a;
}

using OperatorFn = std::optional<Applied> (*)(Target& t, Chooser& c);

struct Operator {
  const char* name;
  unsigned weight;
  OperatorFn apply;
};

std::span<const Operator> OperatorTable();

//= ipsecref#choice
//# The mutator never grows a chain past 64 payloads, an SA past 16
//# proposals of 32 transforms, or a variable field past 1024 bytes: the
//# decoder's own caps (kMaxPayloadsPerChain) are tested by the plain byte
//# mutation; these keep one structured step cheap whatever the input.
inline constexpr size_t kMaxPayloads = 64;
inline constexpr size_t kMaxProposals = 16;
inline constexpr size_t kMaxTransforms = 32;
inline constexpr size_t kMaxData = 1024;

}  // namespace ipsecref::mutate::detail
