// Encrypted payload SK (RFC 7296 §3.14) and Encrypted Fragment payload SKF
// (RFC 7383 §2.5), as carried on the wire. Protection and unprotection are in
// reference/ike/wire/sk.h; here the body stays opaque.
//
// SK:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Initialization Vector                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Encrypted IKE Payloads                     ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// SKF adds, after the generic header:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        Fragment Number        |        Total Fragments        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct SkPayload {
  //= rfc7296#section-3.14
  //# The SK payload's Next Payload field names the first payload inside it.
  iana::PayloadType first_inner = iana::PayloadType::kNone;
  Bytes encrypted;  // IV | ciphertext | ICV
  bool operator==(const SkPayload&) const = default;
};

struct SkfPayload {
  //= rfc7383#section-2.5
  //# Next Payload names the first inner payload in fragment 1 and is 0 in
  //# every other fragment.
  iana::PayloadType first_inner = iana::PayloadType::kNone;
  uint16_t fragment_number = 1;
  uint16_t total_fragments = 1;
  Bytes encrypted;  // IV | ciphertext | ICV
  bool operator==(const SkfPayload&) const = default;
};

// The SK body (everything after the generic header) is opaque here.
Result<SkPayload> ParseSk(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const SkPayload& p, ByteWriter& out);
Status Verify(const SkPayload& p, size_t offset);

Result<SkfPayload> ParseSkf(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const SkfPayload& p, ByteWriter& out);
//= rfc7383#section-2.5
//# Fragment Number counts from 1 and never exceeds Total Fragments; only
//# fragment 1 names a first inner payload.
Status Verify(const SkfPayload& p, size_t offset);

// Payloads of a type the reference does not know (§2.5): body kept as is.
struct UnknownPayload {
  Bytes body;
  bool operator==(const UnknownPayload&) const = default;
};
Result<UnknownPayload> ParseUnknown(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const UnknownPayload& p, ByteWriter& out);
Status Verify(const UnknownPayload& p, size_t offset);

}  // namespace ipsecref::ike
