// Nonce payload (RFC 7296 §3.9).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +---------------+---------------+---------------+---------------+
// |                                                               |
// ~                            Nonce Data                         ~
// |                                                               |
// +---------------+---------------+---------------+---------------+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct NoncePayload {
  Bytes nonce_data;
  bool operator==(const NoncePayload&) const = default;
};

Result<NoncePayload> ParseNonce(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const NoncePayload& p, ByteWriter& out);
//= rfc7296#section-3.9
//# Nonce Data is at least 16 and at most 256 octets.
Status Verify(const NoncePayload& p, size_t offset);

}  // namespace ipsecref::ike
