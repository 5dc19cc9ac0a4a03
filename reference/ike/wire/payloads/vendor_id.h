// Vendor ID payload (RFC 7296 §3.12).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        Vendor ID (VID)                        ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct VendorIdPayload {
  Bytes vendor_id;
  bool operator==(const VendorIdPayload&) const = default;
};

Result<VendorIdPayload> ParseVendorId(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const VendorIdPayload& p, ByteWriter& out);
//= rfc7296#section-3.12
//# The Vendor ID is opaque to everyone but its vendor; any content is valid.
Status Verify(const VendorIdPayload& p, size_t offset);

}  // namespace ipsecref::ike
