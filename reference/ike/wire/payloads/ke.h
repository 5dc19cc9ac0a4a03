// Key Exchange payload (RFC 7296 §3.4).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Diffie-Hellman Group Num    |           RESERVED            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                       Key Exchange Data                       ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct KePayload {
  iana::KeGroup group = iana::KeGroup::kNone;
  Bytes key_exchange_data;
  bool operator==(const KePayload&) const = default;
};

Result<KePayload> ParseKe(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const KePayload& p, ByteWriter& out);
//= rfc7296#section-3.4
//# The Key Exchange Data length is fixed by the group (checked for the
//# groups the reference implements); it is never empty.
Status Verify(const KePayload& p, size_t offset);

}  // namespace ipsecref::ike
