// Bodies the mutator inserts (operators.cc): small, plausible, hand-made.
// Internal to interop/mutate.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interop/mutate/ike_mutator.h"

namespace ipsecref::mutate::detail {

Bytes RandomBytes(Chooser& c, size_t n);
// A transform of a plausible type and ID (with a Key Length where the
// cipher takes one), or 1 in 4 a random type and ID.
ike::Transform MakeTransform(Chooser& c);
// An IKE or ESP proposal numbered `number`, with 1 to 4 transforms.
ike::Proposal MakeProposal(Chooser& c, uint8_t number);
// A payload of a random type (SA, KE, IDi, IDr, CERT, CERTREQ, AUTH, Ni, N,
// D, V, TSi, TSr, CP, EAP, or an unknown type, not critical).
ike::Payload MakeInsertablePayload(Chooser& c);

}  // namespace ipsecref::mutate::detail
