// Configuration payload (RFC 7296 §3.15).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C| RESERVED    |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   CFG Type    |                    RESERVED                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                   Configuration Attributes                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Configuration attribute (§3.15.1):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|         Attribute Type      |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                             Value                             ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct CpAttribute {
  uint16_t attribute_type = 0;  // without the R bit
  Bytes value;
  bool operator==(const CpAttribute&) const = default;
};

struct CpPayload {
  iana::CfgType cfg_type = iana::CfgType::kRequest;
  std::vector<CpAttribute> attributes;
  bool operator==(const CpPayload&) const = default;
};

Result<CpPayload> ParseCp(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const CpPayload& p, ByteWriter& out);
//= rfc7296#section-3.15.1
//# Each attribute's value is empty or has the length its type fixes.
Status Verify(const CpPayload& p, size_t offset);

}  // namespace ipsecref::ike
