#include "reference/ike/wire/payloads/vendor_id.h"

namespace ipsecref::ike {

Result<VendorIdPayload> ParseVendorId(ByteReader& body, Notes&) { return VendorIdPayload{ReadRest(body)}; }
Status Write(const VendorIdPayload& p, ByteWriter& out) {
  out.Append(p.vendor_id);
  return OkStatus();
}
Status Verify(const VendorIdPayload&, size_t) { return OkStatus(); }

}  // namespace ipsecref::ike
