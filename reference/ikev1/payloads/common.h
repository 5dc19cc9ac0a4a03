// What every IKEv1 payload parser shares. As in ike/wire, each payload has
// its own file with the RFC's diagram; parsing is syntax only and `Verify`
// holds a payload's own rules. Offsets in errors count from the start of
// the ISAKMP message.
#pragma once

#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ike/wire/payloads/common.h"
#include "reference/ikev1/registry.h"

namespace ipsecref::ikev1 {

// What a receiver ignores but was there (a non-zero RESERVED field, an
// unknown payload type it skipped): kept as notes, not errors.
using Notes = std::vector<Error>;
using ike::ReadRest;
using ike::TooLong;

// A payload body that breaks its syntax (ISAKMP's PAYLOAD-MALFORMED).
inline Error Malformed(size_t offset, std::string_view requirement, std::string detail) {
  return MakeError(Code::kPayloadMalformed, offset, requirement, std::move(detail));
}

//= rfc2408#section-2.5.2
//# RESERVED fields are sent as zero; a receiver that finds them otherwise
//# may reject the message (we note it and read on).
inline void NoteReserved(Notes& notes, uint64_t value, size_t offset, std::string_view what) {
  if (value != 0)
    notes.push_back(MakeError(Code::kPayloadMalformed, offset, "rfc2408#section-2.5.2",
                              std::string(what) + " RESERVED field is not zero"));
}

}  // namespace ipsecref::ikev1
