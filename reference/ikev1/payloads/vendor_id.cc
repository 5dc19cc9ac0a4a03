#include "reference/ikev1/payloads/vendor_id.h"

#include <algorithm>

namespace ipsecref::ikev1 {
namespace {

struct KnownVendorId {
  std::string_view hex;
  std::string_view name;
  // Only the first hex.size()/2 octets are compared (the rest carries
  // version or capability bits).
  bool prefix = false;
};

constexpr KnownVendorId kKnown[] = {
    //= rfc3947#section-3.1
    //# NAT-T support is announced by the Vendor ID MD5("RFC 3947").
    {"4a131c81070358455c5728f20e95452f", "RFC 3947"},
    // The drafts before it: MD5 of their names ("draft-ietf-ipsec-nat-t-ike-03" ...).
    {"7d9419a65310ca6f2c179d9215529d56", "draft-ietf-ipsec-nat-t-ike-03"},
    {"cd60464335df21f87cfdb2fc68b6a448", "draft-ietf-ipsec-nat-t-ike-02"},
    {"90cb80913ebb696e086381b5ec427b1f", "draft-ietf-ipsec-nat-t-ike-02\\n"},
    {"4485152d18b6bbcd0be8a8469579ddcc", "draft-ietf-ipsec-nat-t-ike-00"},
    //= rfc3706#section-5.1
    //# DPD support is announced by a Vendor ID of 16 octets (major version 1,
    //# minor version 0 in its last two octets).
    {"afcad71368a1f1c96b8696fc77570100", "DPD"},
    // draft-beaulieu-ike-xauth-02 §3.
    {"09002689dfd6b712", "XAuth"},
    //= ipsecref#choice
    //# Vendor IDs without a published document, named as strongSwan and
    //# Wireshark name them: Cisco Unity (a Cisco client's Mode Config
    //# extensions), IKE fragmentation (a Cisco extension strongSwan speaks
    //# too; the last 4 octets are capability flags), strongSwan's own.
    {"12f5f28c457168a9702d9fe274cc0100", "Cisco Unity"},
    {"4048b7d56ebce88525e7de7f00d6c2d3", "FRAGMENTATION", true},
    {"882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan"},
};

}  // namespace

Result<VendorIdPayload> ParseVendorId(ByteReader& body, Notes&) { return VendorIdPayload{ReadRest(body)}; }

Status Write(const VendorIdPayload& p, ByteWriter& out) {
  out.Append(p.vendor_id);
  return OkStatus();
}

std::string_view VendorIdName(ByteSpan vendor_id) {
  const std::string hex = ToHex(vendor_id);
  for (const KnownVendorId& k : kKnown)
    if (k.prefix ? hex.starts_with(k.hex) : hex == k.hex) return k.name;
  return {};
}

}  // namespace ipsecref::ikev1
