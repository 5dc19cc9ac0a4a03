// Vendor ID payload (RFC 2408 §3.16), with the names of the well-known IDs.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                        Vendor ID (VID)                        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

//= rfc2408#section-3.16
//# A Vendor ID is a hash (of a vendor's and version's name) that announces
//# an implementation and the extensions it speaks.
struct VendorIdPayload {
  Bytes vendor_id;
  bool operator==(const VendorIdPayload&) const = default;
};

Result<VendorIdPayload> ParseVendorId(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const VendorIdPayload& p, ByteWriter& out);
inline Status Verify(const VendorIdPayload&, size_t) { return OkStatus(); }

// The extension or implementation a Vendor ID announces ("RFC 3947",
// "XAuth", "DPD", "Cisco Unity", "FRAGMENTATION", "strongSwan", ...); ""
// for one the table does not hold.
std::string_view VendorIdName(ByteSpan vendor_id);

}  // namespace ipsecref::ikev1
