#include "reference/ike/wire/payloads/delete.h"

#include <fmt/format.h>

namespace ipsecref::ike {

Result<DeletePayload> ParseDelete(ByteReader& body, Notes&) {
  const size_t at = body.offset();
  DeletePayload p;
  uint8_t protocol = 0;
  ENSURE(body.ReadU8(protocol) && body.ReadU8(p.spi_size) && body.ReadU16(p.num_of_spis), kInvalidSyntax, at,
         "rfc7296#section-3.11", fmt::format("Delete body is {} bytes; its fixed part needs 4", body.remaining()));
  p.protocol_id = static_cast<iana::SecurityProtocol>(protocol);
  //= rfc7296#section-3.11
  //# The SPIs fill the rest of the payload: Num of SPIs times SPI Size octets.
  ENSURE(body.remaining() == size_t{p.spi_size} * p.num_of_spis, kInvalidSyntax, at + 2, "rfc7296#section-3.11",
         fmt::format("{} SPIs of {} bytes need {} bytes; the payload holds {}", p.num_of_spis, p.spi_size,
                     size_t{p.spi_size} * p.num_of_spis, body.remaining()));
  if (p.spi_size == 0) return p;
  for (uint16_t i = 0; i < p.num_of_spis; ++i) {
    ByteSpan spi;
    (void)body.ReadBytes(p.spi_size, spi);
    p.spis.emplace_back(spi.begin(), spi.end());
  }
  return p;
}

Status Write(const DeletePayload& p, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(p.protocol_id)).U8(p.spi_size).U16(p.num_of_spis);
  for (const Bytes& spi : p.spis) out.Append(spi);
  return OkStatus();
}

Status Verify(const DeletePayload& p, size_t offset) {
  if (p.protocol_id == iana::SecurityProtocol::kIke) {
    ENSURE(p.spi_size == 0 && p.num_of_spis == 0, kInvalidSyntax, offset + 1, "rfc7296#section-3.11",
           fmt::format("Delete of the IKE SA has SPI Size {} and {} SPIs; both must be 0", p.spi_size, p.num_of_spis));
    return OkStatus();
  }
  ENSURE(p.protocol_id == iana::SecurityProtocol::kEsp || p.protocol_id == iana::SecurityProtocol::kAh,
         kInvalidSyntax, offset, "rfc7296#section-3.11",
         fmt::format("Delete for Protocol ID {}; only IKE, AH and ESP", static_cast<int>(p.protocol_id)));
  ENSURE(p.spi_size == 4, kInvalidSyntax, offset + 1, "rfc7296#section-3.11",
         fmt::format("Delete of {} SAs has SPI Size {}; it must be 4", iana::Name(p.protocol_id), p.spi_size));
  ENSURE(p.num_of_spis > 0, kInvalidSyntax, offset + 2, "rfc7296#section-3.11",
         fmt::format("Delete of {} SAs lists no SPI", iana::Name(p.protocol_id)));
  return OkStatus();
}

}  // namespace ipsecref::ike
