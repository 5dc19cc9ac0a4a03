#include "reference/ike/wire/header.h"

#include <fmt/format.h>

namespace ipsecref::ike {

std::optional<Header> PeekHeader(ByteSpan message) {
  ByteReader in(message);
  Header h;
  uint8_t next = 0, version = 0, exchange = 0;
  if (!(in.ReadU64(h.spi_i) && in.ReadU64(h.spi_r) && in.ReadU8(next) && in.ReadU8(version) &&
        in.ReadU8(exchange) && in.ReadU8(h.flags) && in.ReadU32(h.message_id) && in.ReadU32(h.length)))
    return std::nullopt;
  h.next_payload = static_cast<iana::PayloadType>(next);
  h.major_version = version >> 4;
  h.minor_version = version & 0x0f;
  h.exchange_type = static_cast<iana::ExchangeType>(exchange);
  return h;
}

std::optional<uint16_t> PeekFragmentNumber(ByteSpan message) {
  auto h = PeekHeader(message);
  if (!h || h->next_payload != iana::PayloadType::kSkf) return std::nullopt;
  ByteReader in(message.subspan(kHeaderSize));
  uint16_t fragment = 0;
  if (!in.Skip(kGenericPayloadHeaderSize) || !in.ReadU16(fragment)) return std::nullopt;
  return fragment;
}

Result<Header> ParseHeader(ByteReader& in, size_t datagram_size) {
  const size_t at = in.offset();
  const std::optional<Header> peeked = PeekHeader(in.rest());
  ENSURE(peeked && in.Skip(kHeaderSize), kTruncated, at, "rfc7296#section-3.1",
         fmt::format("IKE header needs {} bytes, the message has {}", kHeaderSize, datagram_size));
  const Header h = *peeked;

  //= rfc7296#section-3.1
  //# IKEv2 is major version 2; an IKEv1 (ISAKMP, RFC 2408) message carries 1.
  ENSURE(h.major_version != 1, kIkev1Message, at + 17, "rfc7296#section-3.1",
         fmt::format("major version 1: an IKEv1 message (exchange type {})",
                     static_cast<int>(h.exchange_type)));
  //= rfc7296#section-2.5
  //# A major version above 2 is answered with INVALID_MAJOR_VERSION; the
  //# minor version is not checked.
  ENSURE(h.major_version == 2, kBadVersion, at + 17, "rfc7296#section-2.5",
         fmt::format("major version {}; IKEv2 is 2", h.major_version));
  //= rfc7296#section-3.1
  //# Length is the whole message, header included.
  ENSURE(h.length >= kHeaderSize, kBadLength, at + 24, "rfc7296#section-3.1",
         fmt::format("Length {} is shorter than the {}-byte header", h.length, kHeaderSize));
  ENSURE(h.length == datagram_size, kBadLength, at + 24, "rfc7296#section-3.1",
         fmt::format("Length {} but the message is {} bytes", h.length, datagram_size));
  return h;
}

void WriteHeader(const Header& h, ByteWriter& out) {
  out.U64(h.spi_i).U64(h.spi_r).U8(static_cast<uint8_t>(h.next_payload));
  out.U8(static_cast<uint8_t>(h.major_version << 4 | (h.minor_version & 0x0f)));
  out.U8(static_cast<uint8_t>(h.exchange_type)).U8(h.flags).U32(h.message_id).U32(h.length);
}

std::string Describe(const Header& h) {
  const std::string_view name = iana::Name(h.exchange_type);
  const std::string exchange =
      name.empty() ? fmt::format("exchange {}", static_cast<int>(h.exchange_type)) : std::string(name);
  return fmt::format("{} {}", exchange, h.response() ? "response" : "request");
}

}  // namespace ipsecref::ike
