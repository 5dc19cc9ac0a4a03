// NAT Original Address payload (RFC 3947 §5.2): payload type 21 (131 in
// the drafts before the RFC).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |    RESERVED   |        Payload length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |    ID Type    |    RESERVED   |            RESERVED           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           IPv4 (4 octets) or IPv6 address (16 octets)         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

struct NatOaPayload {
  uint8_t id_type = 1;  // ID_IPV4_ADDR or ID_IPV6_ADDR
  Bytes address;
  bool operator==(const NatOaPayload&) const = default;
};

Result<NatOaPayload> ParseNatOa(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const NatOaPayload& p, ByteWriter& out);
// The ID Type is ID_IPV4_ADDR with 4 octets or ID_IPV6_ADDR with 16.
// Returns kPayloadMalformed at `offset`.
Status Verify(const NatOaPayload& p, size_t offset);

}  // namespace ipsecref::ikev1
