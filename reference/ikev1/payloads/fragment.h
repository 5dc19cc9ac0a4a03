// IKEv1 fragment payload (type 132): one piece of a message too long for
// one datagram. A Cisco extension (announced by the FRAGMENTATION Vendor
// ID) that strongSwan speaks too; no RFC defines it. The layout is the
// one both implementations send:
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !          Fragment ID          !  Fragment Num !     Flags     !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Fragment Data                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

inline constexpr uint8_t kLastFragment = 0x01;

struct FragmentPayload {
  uint16_t fragment_id = 0;
  uint8_t fragment_number = 1;
  uint8_t flags = 0;  // kLastFragment on the last one
  Bytes data;         // a piece of the whole message, header included
  bool operator==(const FragmentPayload&) const = default;
};

Result<FragmentPayload> ParseFragment(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const FragmentPayload& p, ByteWriter& out);
inline Status Verify(const FragmentPayload&, size_t) { return OkStatus(); }

}  // namespace ipsecref::ikev1
