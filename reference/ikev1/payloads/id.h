// Identification payload (RFC 2408 §3.8) as the IPsec DOI fills it (RFC
// 2407 §4.6.2): the DOI Specific ID Data holds a protocol and a port.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Next Payload !   RESERVED    !        Payload Length         !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !   ID Type     !  Protocol ID  !             Port              !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                     Identification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

struct IdPayload {
  uint8_t id_type = 0;
  uint8_t protocol_id = 0;  // an IP protocol number; 0: any
  uint16_t port = 0;        // 0: any
  Bytes identification_data;
  bool operator==(const IdPayload&) const = default;
};

Result<IdPayload> ParseId(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const IdPayload& p, ByteWriter& out);
// Addresses, subnets and ranges have the sizes of their type (RFC 2407
// §4.6.2.2-4.6.2.8). Returns kPayloadMalformed at `offset`.
Status Verify(const IdPayload& p, size_t offset);
// The identification as text: "192.0.2.1", "198.51.100.0/24",
// "a.pf.test", a DN's hex.
std::string DescribeIdentification(const IdPayload& p);

}  // namespace ipsecref::ikev1
