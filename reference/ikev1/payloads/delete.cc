#include "reference/ikev1/payloads/delete.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

Result<DeletePayload> ParseDelete(ByteReader& body, Notes&) {
  DeletePayload p;
  uint16_t count = 0;
  const size_t at = body.offset();
  ENSURE(body.ReadU32(p.doi) && body.ReadU8(p.protocol_id) && body.ReadU8(p.spi_size) && body.ReadU16(count),
         kPayloadMalformed, at, "rfc2408#section-3.15",
         fmt::format("D needs 8 bytes before its SPIs, has {}", body.remaining()));
  //= rfc2408#section-3.15
  //# The SPIs fill the payload: # of SPIs of SPI Size octets each.
  ENSURE(body.remaining() == size_t{count} * p.spi_size, kPayloadMalformed, at + 6, "rfc2408#section-3.15",
         fmt::format("D: {} SPIs of {} bytes need {} bytes, the payload has {}", count, p.spi_size,
                     size_t{count} * p.spi_size, body.remaining()));
  for (unsigned i = 0; i < count; ++i) {
    ByteSpan spi;
    (void)body.ReadBytes(p.spi_size, spi);  // the size was checked above
    p.spis.emplace_back(spi.begin(), spi.end());
  }
  return p;
}

Status Write(const DeletePayload& p, ByteWriter& out) {
  if (p.spis.size() > 0xffff) return TooLong("rfc2408#section-3.15", "# of SPIs is 16 bits");
  for (const Bytes& spi : p.spis)
    if (spi.size() != p.spi_size)
      return TooLong("rfc2408#section-3.15",
                     fmt::format("an SPI of {} bytes in a Delete of SPI Size {}", spi.size(), p.spi_size));
  out.U32(p.doi).U8(p.protocol_id).U8(p.spi_size).U16(static_cast<uint16_t>(p.spis.size()));
  for (const Bytes& spi : p.spis) out.Append(spi);
  return OkStatus();
}

}  // namespace ipsecref::ikev1
