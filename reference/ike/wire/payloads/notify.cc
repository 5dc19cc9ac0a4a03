#include "reference/ike/wire/payloads/notify.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

// Size rules of Notification Data (and SPI) for the types whose RFC fixes
// them. `max_data` 0xffff means "no upper bound"; `data_multiple` > 1 means
// the data is a list of fixed-size items.
struct NotifyRule {
  iana::NotifyType type;
  std::string_view requirement;
  size_t min_data, max_data, data_multiple;
  int spi_size;  // -1: any
};
using N = iana::NotifyType;
constexpr size_t kAny = 0xffff;
constexpr NotifyRule kNotifyRules[] = {
    //= rfc7296#section-2.5
    //# UNSUPPORTED_CRITICAL_PAYLOAD carries the one-octet payload type.
    {N::kUnsupportedCriticalPayload, "rfc7296#section-2.5", 1, 1, 1, -1},
    //= rfc7296#section-1.3
    //# INVALID_KE_PAYLOAD carries the two-octet accepted group number.
    {N::kInvalidKePayload, "rfc7296#section-1.3", 2, 2, 1, -1},
    //= rfc7296#section-2.3
    //# INVALID_MESSAGE_ID carries the four-octet message ID.
    {N::kInvalidMessageId, "rfc7296#section-2.3", 4, 4, 1, -1},
    //= rfc7296#section-2.5
    //# INVALID_MAJOR_VERSION carries one octet, the highest version supported.
    {N::kInvalidMajorVersion, "rfc7296#section-2.5", 1, 1, 1, -1},
    //= rfc7296#section-2.3
    //# SET_WINDOW_SIZE carries a four-octet window size.
    {N::kSetWindowSize, "rfc7296#section-2.3", 4, 4, 1, -1},
    //= rfc7296#section-2.23
    //# NAT detection data is a SHA-1 digest: 20 octets.
    {N::kNatDetectionSourceIp, "rfc7296#section-2.23", 20, 20, 1, 0},
    {N::kNatDetectionDestinationIp, "rfc7296#section-2.23", 20, 20, 1, 0},
    //= rfc7296#section-2.6
    //# A cookie is 1 to 64 octets.
    {N::kCookie, "rfc7296#section-2.6", 1, 64, 1, 0},
    //= rfc7296#section-1.3.3
    //# REKEY_SA names the SA being rekeyed in its SPI field.
    {N::kRekeySa, "rfc7296#section-1.3.3", 0, 0, 1, 4},
    //= rfc7296#section-1.3.1
    //# USE_TRANSPORT_MODE, ESP_TFC_PADDING_NOT_SUPPORTED, NON_FIRST_FRAGMENTS_ALSO
    //# and INITIAL_CONTACT carry no data.
    //= rfc7296#section-2.4
    //# INITIAL_CONTACT asserts this IKE SA is the only one between the
    //# identities; like the three of §1.3.1 it has no data.
    {N::kUseTransportMode, "rfc7296#section-1.3.1", 0, 0, 1, -1},
    {N::kEspTfcPaddingNotSupported, "rfc7296#section-1.3.1", 0, 0, 1, -1},
    {N::kNonFirstFragmentsAlso, "rfc7296#section-1.3.1", 0, 0, 1, -1},
    {N::kInitialContact, "rfc7296#section-2.4", 0, 0, 1, -1},
    //= rfc7383#section-2.3
    //# IKEV2_FRAGMENTATION_SUPPORTED has no SPI and no data.
    {N::kIkev2FragmentationSupported, "rfc7383#section-2.3", 0, 0, 1, 0},
    //= rfc7427#section-4
    //# SIGNATURE_HASH_ALGORITHMS is a list of two-octet hash identifiers.
    {N::kSignatureHashAlgorithms, "rfc7427#section-4", 2, kAny, 2, 0},
    //= rfc9242#section-3.1
    //# INTERMEDIATE_EXCHANGE_SUPPORTED has no SPI and no data.
    {N::kIntermediateExchangeSupported, "rfc9242#section-3.1", 0, 0, 1, 0},
    //= rfc4555#section-4.2
    //# MOBIKE_SUPPORTED carries no data; ADDITIONAL_IP4/6_ADDRESS one address.
    {N::kMobikeSupported, "rfc4555#section-4.2", 0, 0, 1, -1},
    {N::kAdditionalIp4Address, "rfc4555#section-4.2", 4, 4, 1, -1},
    {N::kAdditionalIp6Address, "rfc4555#section-4.2", 16, 16, 1, -1},
    //= rfc6023#section-3
    //# CHILDLESS_IKEV2_SUPPORTED carries no data.
    {N::kChildlessIkev2Supported, "rfc6023#section-3", 0, 0, 1, -1},
};

}  // namespace

std::string NotifyName(iana::NotifyType type) {
  const std::string_view name = iana::Name(type);
  return name.empty() ? fmt::format("notify {}", static_cast<uint16_t>(type)) : std::string(name);
}

Result<NotifyPayload> ParseNotify(ByteReader& body, Notes&) {
  const size_t at = body.offset();
  NotifyPayload p;
  uint8_t spi_size = 0;
  uint16_t type = 0;
  ENSURE(body.ReadU8(p.protocol_id) && body.ReadU8(spi_size) && body.ReadU16(type), kInvalidSyntax, at,
         "rfc7296#section-3.10", fmt::format("Notify body is {} bytes; its fixed part needs 4", body.remaining()));
  p.notify_message_type = static_cast<iana::NotifyType>(type);
  ByteSpan spi;
  ENSURE(body.ReadBytes(spi_size, spi), kInvalidSyntax, at + 1, "rfc7296#section-3.10",
         fmt::format("{}: SPI Size {} runs past the payload", NotifyName(p.notify_message_type), spi_size));
  p.spi.assign(spi.begin(), spi.end());
  p.notification_data = ReadRest(body);
  return p;
}

Status Write(const NotifyPayload& p, ByteWriter& out) {
  if (!ByteWriter::Fits(p.spi.size(), 1))
    return TooLong("rfc7296#section-3.10", fmt::format("SPI of {} bytes; SPI Size holds at most 255", p.spi.size()));
  out.U8(p.protocol_id).U8(static_cast<uint8_t>(p.spi.size())).U16(static_cast<uint16_t>(p.notify_message_type));
  out.Append(p.spi).Append(p.notification_data);
  return OkStatus();
}

Status Verify(const NotifyPayload& p, size_t offset) {
  for (const NotifyRule& rule : kNotifyRules) {
    if (rule.type != p.notify_message_type) continue;
    const size_t n = p.notification_data.size();
    ENSURE(n >= rule.min_data && n <= rule.max_data && n % rule.data_multiple == 0, kInvalidSyntax,
           offset + 4 + p.spi.size(), rule.requirement,
           fmt::format("{}: Notification Data is {} bytes; {}", NotifyName(p.notify_message_type), n,
                       rule.min_data == rule.max_data ? fmt::format("it must be {}", rule.min_data)
                       : rule.max_data == kAny
                           ? fmt::format("it must be at least {}, in {}-byte items", rule.min_data, rule.data_multiple)
                           : fmt::format("it must be {} to {}", rule.min_data, rule.max_data)));
    ENSURE(rule.spi_size < 0 || p.spi.size() == static_cast<size_t>(rule.spi_size), kInvalidSyntax, offset + 1,
           rule.requirement,
           fmt::format("{}: SPI Size {}; it must be {}", NotifyName(p.notify_message_type), p.spi.size(),
                       rule.spi_size));
  }
  return OkStatus();
}

}  // namespace ipsecref::ike
