// Authentication payload (RFC 7296 §3.8).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Auth Method   |                RESERVED                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Authentication Data                      ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct AuthPayload {
  iana::AuthMethod auth_method = iana::AuthMethod::kSharedKeyMic;
  Bytes authentication_data;
  bool operator==(const AuthPayload&) const = default;
};

Result<AuthPayload> ParseAuth(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const AuthPayload& p, ByteWriter& out);
// Authentication Data is present, and r||s sized for the ECDSA methods.
Status Verify(const AuthPayload& p, size_t offset);

}  // namespace ipsecref::ike
