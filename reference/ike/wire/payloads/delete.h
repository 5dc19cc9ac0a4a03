// Delete payload (RFC 7296 §3.11).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Protocol ID   |   SPI Size    |          Num of SPIs          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~               Security Parameter Index(es) (SPI)              ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct DeletePayload {
  iana::SecurityProtocol protocol_id = iana::SecurityProtocol::kEsp;
  uint8_t spi_size = 4;
  uint16_t num_of_spis = 0;  // kept apart from `spis` so SPI Size 0 with a count survives a round trip
  std::vector<Bytes> spis;
  bool operator==(const DeletePayload&) const = default;
};

Result<DeletePayload> ParseDelete(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const DeletePayload& p, ByteWriter& out);
//= rfc7296#section-3.11
//# Deleting the IKE SA: SPI Size 0 and no SPIs; ESP or AH: four-octet SPIs.
Status Verify(const DeletePayload& p, size_t offset);

}  // namespace ipsecref::ike
