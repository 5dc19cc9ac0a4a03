// Delete payload (RFC 2408 §3.15).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Protocol-Id  !   SPI Size    !           # of SPIs           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~               Security Parameter Index(es) (SPI)              ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

struct DeletePayload {
  uint32_t doi = 1;
  uint8_t protocol_id = 3;
  uint8_t spi_size = 4;
  //= rfc2408#section-3.15
  //# An ISAKMP SA is named by its two cookies (SPI Size 16), an IPsec SA
  //# by its SPI; one Delete names SAs of one protocol only.
  std::vector<Bytes> spis;
  bool operator==(const DeletePayload&) const = default;
};

// Returns kPayloadMalformed when # of SPIs x SPI Size is not the rest of
// the payload.
Result<DeletePayload> ParseDelete(ByteReader& body, Notes& notes);
// Returns kLengthOverflow when the count or an SPI's size does not fit.
[[nodiscard]] Status Write(const DeletePayload& p, ByteWriter& out);
inline Status Verify(const DeletePayload&, size_t) { return OkStatus(); }

}  // namespace ipsecref::ikev1
