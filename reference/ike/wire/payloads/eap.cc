#include "reference/ike/wire/payloads/eap.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

constexpr std::string_view kCodes[] = {"", "Request", "Response", "Success", "Failure"};

}  // namespace

Result<EapPayload> ParseEap(ByteReader& body, Notes&) { return EapPayload{ReadRest(body)}; }
Status Write(const EapPayload& p, ByteWriter& out) {
  out.Append(p.eap_message);
  return OkStatus();
}

Status Verify(const EapPayload& p, size_t offset) {
  ByteReader in(p.eap_message, offset);
  uint8_t code = 0, identifier = 0;
  uint16_t length = 0;
  ENSURE(in.ReadU8(code) && in.ReadU8(identifier) && in.ReadU16(length), kInvalidSyntax, offset, "rfc3748#section-4",
         fmt::format("EAP message is {} bytes; its header needs 4", p.eap_message.size()));
  ENSURE(code >= 1 && code <= 4, kInvalidSyntax, offset, "rfc3748#section-4",
         fmt::format("EAP Code {}; it must be 1 to 4", code));
  ENSURE(length == p.eap_message.size(), kInvalidSyntax, offset + 2, "rfc7296#section-3.16",
         fmt::format("EAP Length {} but the payload carries {} bytes", length, p.eap_message.size()));
  const bool has_type = code <= 2;
  ENSURE(has_type ? length >= 5 : length == 4, kInvalidSyntax, offset + 2, "rfc3748#section-4",
         fmt::format("EAP {} of {} bytes; {}", kCodes[code], length, has_type ? "it needs a Type" : "it must be 4"));
  return OkStatus();
}

std::string DescribeEap(const EapPayload& p) {
  ByteReader in(p.eap_message);
  uint8_t code = 0, identifier = 0, type = 0;
  uint16_t length = 0;
  if (!in.ReadU8(code) || !in.ReadU8(identifier) || !in.ReadU16(length) || code < 1 || code > 4)
    return fmt::format("{} bytes", p.eap_message.size());
  if (code > 2 || !in.ReadU8(type)) return fmt::format("{} id {}", kCodes[code], identifier);
  return fmt::format("{} id {} type {} ({} bytes)", kCodes[code], identifier, type, p.eap_message.size());
}

}  // namespace ipsecref::ike
