#include "reference/ikev1/header.h"

#include <fmt/format.h>

#include "reference/ike/wire/header.h"

namespace ipsecref::ikev1 {

std::optional<Header> PeekHeader(ByteSpan message) {
  const std::optional<ike::Header> v2 = ike::PeekHeader(message);
  if (!v2) return std::nullopt;
  Header h;
  h.initiator_cookie = v2->spi_i;
  h.responder_cookie = v2->spi_r;
  h.next_payload = static_cast<PayloadType>(v2->next_payload);
  h.major_version = v2->major_version;
  h.minor_version = v2->minor_version;
  h.exchange_type = static_cast<ExchangeType>(v2->exchange_type);
  h.flags = v2->flags;
  h.message_id = v2->message_id;
  h.length = v2->length;
  return h;
}

bool IsIkev1(ByteSpan message) {
  const auto h = PeekHeader(message);
  return h && h->major_version == 1;
}

Result<Header> ParseHeader(ByteReader& in, size_t datagram_size, std::vector<Error>& notes) {
  const size_t at = in.offset();
  const std::optional<Header> peeked = PeekHeader(in.rest());
  ENSURE(peeked && in.Skip(kHeaderSize), kTruncated, at, "rfc2408#section-3.1",
         fmt::format("ISAKMP header needs {} bytes, the message has {}", kHeaderSize, datagram_size));
  const Header h = *peeked;
  //= rfc2408#section-5.2
  //# A major version the receiver does not speak is refused
  //# (INVALID-MAJOR-VERSION); ISAKMP as RFC 2408 defines it is 1.0.
  ENSURE(h.major_version == 1, kBadVersion, at + 17, "rfc2408#section-5.2",
         fmt::format("major version {}; ISAKMP (IKEv1) is 1", h.major_version));
  //= rfc2408#section-3.1
  //# Minor version is 0 for this version of ISAKMP.
  if (h.minor_version != 0)
    notes.push_back(MakeError(Code::kBadVersion, at + 17, "rfc2408#section-3.1",
                              fmt::format("minor version {}; RFC 2408 defines 1.0", h.minor_version)));
  //= rfc2408#section-3.1
  //# Flag bits other than E, C and A are 0.
  if (h.flags & kFlagsReserved)
    notes.push_back(MakeError(Code::kBadHeader, at + 19, "rfc2408#section-3.1",
                              fmt::format("Flags 0x{:02x}: bits other than E, C and A are set", h.flags)));
  //= rfc2408#section-3.1
  //# Length counts the whole message, header and payloads, in octets.
  ENSURE(h.length >= kHeaderSize, kBadLength, at + 24, "rfc2408#section-3.1",
         fmt::format("Length {} is shorter than the {}-byte header", h.length, kHeaderSize));
  ENSURE(h.length == datagram_size, kBadLength, at + 24, "rfc2408#section-3.1",
         fmt::format("Length {} but the message is {} bytes", h.length, datagram_size));
  return h;
}

void WriteHeader(const Header& h, ByteWriter& out) {
  // The layout is IKEv2's (RFC 7296 §3.1 kept ISAKMP's): its writer serves.
  ike::Header v2;
  v2.spi_i = h.initiator_cookie;
  v2.spi_r = h.responder_cookie;
  v2.next_payload = static_cast<iana::PayloadType>(h.next_payload);
  v2.major_version = h.major_version;
  v2.minor_version = h.minor_version;
  v2.exchange_type = static_cast<iana::ExchangeType>(h.exchange_type);
  v2.flags = h.flags;
  v2.message_id = h.message_id;
  v2.length = h.length;
  ike::WriteHeader(v2, out);
}

std::string ExchangeLabel(ExchangeType type) {
  const std::string_view name = IkeName(type);
  return name.empty() ? fmt::format("exchange {}", static_cast<int>(type)) : std::string(name);
}

std::string FlagsLabel(uint8_t flags) {
  std::string s;
  if (flags & kFlagEncryption) s += 'E';
  if (flags & kFlagCommit) s += 'C';
  if (flags & kFlagAuthenticationOnly) s += 'A';
  return s;
}

}  // namespace ipsecref::ikev1
