// What every payload parser shares. Each payload lives in its own file with
// the RFC's diagram above its parser; parsing is syntax only (lengths,
// counts, layout) and `Verify` holds the payload's own semantic rules.
// Offsets in errors are counted from the start of the IKE message.
#pragma once

#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/ike.h"

namespace ipsecref::ike {

// Things the RFC says a receiver ignores (a non-zero RESERVED field, an
// unknown non-critical payload): kept as notes, not errors.
using Notes = std::vector<Error>;

// Records a note when a RESERVED field is not zero.
//= rfc7296#section-3.2
//# RESERVED fields are sent as zero and ignored on receipt.
inline void NoteReserved(Notes& notes, uint64_t value, size_t offset, std::string_view what) {
  if (value != 0)
    notes.push_back(MakeError(Code::kInvalidSyntax, offset, "rfc7296#section-3.2",
                              std::string(what) + " RESERVED field is not zero (ignored)"));
}

// A parse error inside a payload body.
inline Error Malformed(size_t offset, std::string_view requirement, std::string detail) {
  return MakeError(Code::kInvalidSyntax, offset, requirement, std::move(detail));
}

// What a writer returns when a length or count does not fit its field
// (BoringSSL's CBB fails the same way): never a wrapped value.
inline Error TooLong(std::string_view requirement, std::string detail) {
  return MakeError(Code::kLengthOverflow, kNoOffset, requirement, std::move(detail));
}

// The rest of a payload body, copied.
inline Bytes ReadRest(ByteReader& in) {
  ByteSpan data;
  (void)in.ReadBytes(in.remaining(), data);
  return Bytes(data.begin(), data.end());
}

}  // namespace ipsecref::ike
