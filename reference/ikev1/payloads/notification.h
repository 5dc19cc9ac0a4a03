// Notification payload (RFC 2408 §3.14), with the IPsec DOI's status types
// (RFC 2407 §4.6.3) and DPD's (RFC 3706).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                Security Parameter Index (SPI)                 ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Notification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

struct NotificationPayload {
  uint32_t doi = 1;
  uint8_t protocol_id = 1;
  uint16_t notify_message_type = 0;
  //= rfc3706#section-5.3
  //# R-U-THERE and R-U-THERE-ACK carry the ISAKMP cookies as their SPI
  //# (16 octets) and a 32-bit sequence number as their data.
  Bytes spi;
  Bytes notification_data;
  bool operator==(const NotificationPayload&) const = default;
};

Result<NotificationPayload> ParseNotification(ByteReader& body, Notes& notes);
// Returns kLengthOverflow for an SPI longer than 255 octets.
[[nodiscard]] Status Write(const NotificationPayload& p, ByteWriter& out);
// DPD's sequence number is 4 octets (RFC 3706 §5.3). Returns kPayloadMalformed.
Status Verify(const NotificationPayload& p, size_t offset);

}  // namespace ipsecref::ikev1
