// Extensible Authentication payload (RFC 7296 §3.16) carrying one EAP
// message (RFC 3748 §4).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       EAP Message                             ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// EAP message:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Code      | Identifier    |           Length              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      | Type_Data...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct EapPayload {
  Bytes eap_message;
  bool operator==(const EapPayload&) const = default;
};

Result<EapPayload> ParseEap(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const EapPayload& p, ByteWriter& out);
//= rfc3748#section-4
//# Code is Request, Response, Success or Failure; Length is the whole EAP
//# message; Request and Response carry a Type, Success and Failure nothing.
Status Verify(const EapPayload& p, size_t offset);
// "Request id 1 type 1 (5 bytes)"
std::string DescribeEap(const EapPayload& p);

}  // namespace ipsecref::ike
