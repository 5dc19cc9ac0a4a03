// Notify payload (RFC 7296 §3.10).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Protocol ID  |   SPI Size    |      Notify Message Type      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                Security Parameter Index (SPI)                 ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Notification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct NotifyPayload {
  // 0 when the SPI is empty (§3.10: then it is ignored on receipt).
  uint8_t protocol_id = 0;
  Bytes spi;
  iana::NotifyType notify_message_type = iana::NotifyType::kInitialContact;
  Bytes notification_data;
  bool operator==(const NotifyPayload&) const = default;
};

Result<NotifyPayload> ParseNotify(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const NotifyPayload& p, ByteWriter& out);
// Notification Data and SPI sizes for the types whose RFC fixes them (one
// table, cited per row).
Status Verify(const NotifyPayload& p, size_t offset);

// "NAT_DETECTION_SOURCE_IP" or "notify 40000" for an unregistered type.
std::string NotifyName(iana::NotifyType type);

}  // namespace ipsecref::ike
