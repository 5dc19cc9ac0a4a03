// Attribute payload (type 14) of the Transaction exchange: Mode Config
// (draft-dukes-ike-mode-cfg-02 §3.2) and XAuth, which rides on it
// (draft-beaulieu-ike-xauth-02 §4). Neither is an RFC; the layout below
// is the draft's, the attributes are RFC 2408 §3.3 data attributes.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !     Type      !   RESERVED    !           Identifier          !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                           Attributes                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/data_attribute.h"

namespace ipsecref::ikev1 {

struct AttributePayload {
  uint8_t cfg_type = 1;  // ISAKMP_CFG_REQUEST, _REPLY, _SET, _ACK
  uint16_t identifier = 0;
  std::vector<DataAttribute> attributes;
  bool operator==(const AttributePayload&) const = default;
};

Result<AttributePayload> ParseAttribute(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const AttributePayload& p, ByteWriter& out);
inline Status Verify(const AttributePayload&, size_t) { return OkStatus(); }
// One attribute's value as text: addresses for the INTERNAL_IP4_* ones,
// text for XAUTH_USER_NAME and the like, XAUTH_STATUS as OK/FAIL; the
// password is never shown, only its length.
std::string DescribeCfgAttribute(const DataAttribute& a);

}  // namespace ipsecref::ikev1
