// Identification payloads IDi and IDr (RFC 7296 §3.5).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   ID Type     |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                   Identification Data                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct IdPayload {
  iana::IdType id_type = iana::IdType::kFqdn;
  Bytes identification_data;
  bool operator==(const IdPayload&) const = default;
};

Result<IdPayload> ParseId(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const IdPayload& p, ByteWriter& out);
// Data sizes of address IDs, no terminators in names, empty ID_NULL (§3.5,
// RFC 7619 §3).
Status Verify(const IdPayload& p, size_t offset);
// The identity as text: "a.pf.test", "192.0.2.1", "2001:db8::1", hex otherwise.
std::string DescribeId(const IdPayload& p);

}  // namespace ipsecref::ike
