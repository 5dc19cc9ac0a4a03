#include "reference/ikev1/payloads/notification.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

Result<NotificationPayload> ParseNotification(ByteReader& body, Notes&) {
  NotificationPayload p;
  uint8_t spi_size = 0;
  const size_t at = body.offset();
  //= rfc2408#section-3.14
  //# DOI (4 octets), Protocol-ID, SPI Size, Notify Message Type (2 octets),
  //# then SPI Size octets of SPI; the rest is Notification Data.
  ENSURE(body.ReadU32(p.doi) && body.ReadU8(p.protocol_id) && body.ReadU8(spi_size) &&
             body.ReadU16(p.notify_message_type),
         kPayloadMalformed, at, "rfc2408#section-3.14",
         fmt::format("N needs 8 bytes before its SPI, has {}", body.remaining()));
  ByteSpan spi;
  ENSURE(body.ReadBytes(spi_size, spi), kPayloadMalformed, at + 5, "rfc2408#section-3.14",
         fmt::format("N: SPI Size {} runs past the payload ({} bytes left)", spi_size, body.remaining()));
  p.spi.assign(spi.begin(), spi.end());
  p.notification_data = ReadRest(body);
  return p;
}

Status Write(const NotificationPayload& p, ByteWriter& out) {
  if (p.spi.size() > 0xff) return TooLong("rfc2408#section-3.14", "SPI Size is one octet");
  out.U32(p.doi).U8(p.protocol_id).U8(static_cast<uint8_t>(p.spi.size())).U16(p.notify_message_type);
  out.Append(p.spi).Append(p.notification_data);
  return OkStatus();
}

Status Verify(const NotificationPayload& p, size_t offset) {
  if (p.notify_message_type == 36136 || p.notify_message_type == 36137) {
    //= rfc3706#section-5.3
    //# The DPD notifications carry a 4-octet sequence number.
    ENSURE(p.notification_data.size() == 4, kPayloadMalformed, offset + 8 + p.spi.size(), "rfc3706#section-5.3",
           fmt::format("{} carries {} bytes of data; its sequence number is 4", NotifyName(p.notify_message_type),
                       p.notification_data.size()));
  }
  return OkStatus();
}

}  // namespace ipsecref::ikev1
