#include "reference/ike/wire/payloads/id.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

namespace ipsecref::ike {
namespace {

struct IdRule {
  iana::IdType type;
  std::string_view requirement;
  size_t min_size, max_size;
  bool text;  // a string that carries no terminator (NUL, CR, LF)
};
using I = iana::IdType;
constexpr IdRule kIdRules[] = {
    //= rfc7296#section-3.5
    //# ID_IPV4_ADDR is a four-octet address, ID_IPV6_ADDR a sixteen-octet one.
    {I::kIpv4Addr, "rfc7296#section-3.5", 4, 4, false},
    {I::kIpv6Addr, "rfc7296#section-3.5", 16, 16, false},
    //= rfc7296#section-3.5
    //# ID_FQDN and ID_RFC822_ADDR are strings without any terminator.
    {I::kFqdn, "rfc7296#section-3.5", 1, 0xffff, true},
    {I::kRfc822Addr, "rfc7296#section-3.5", 1, 0xffff, true},
    {I::kDerAsn1Dn, "rfc7296#section-3.5", 1, 0xffff, false},
    {I::kDerAsn1Gn, "rfc7296#section-3.5", 1, 0xffff, false},
    {I::kKeyId, "rfc7296#section-3.5", 1, 0xffff, false},
    //= rfc7619#section-2.2
    //# ID_NULL's Identification Data is empty, and its content is never used
    //# for trust or policy.
    //= ipsecref#choice
    //# A receiver here does not refuse data a sender put there anyway: it is
    //# never used.
    {I::kNull, "rfc7619#section-2.2", 0, 0xffff, false},
};

}  // namespace

Result<IdPayload> ParseId(ByteReader& body, Notes& notes) {
  const size_t at = body.offset();
  uint8_t type = 0;
  uint32_t reserved = 0;
  ENSURE(body.ReadU8(type) && body.ReadU24(reserved), kInvalidSyntax, at, "rfc7296#section-3.5",
         fmt::format("ID body is {} bytes; ID Type and RESERVED need 4", body.remaining()));
  NoteReserved(notes, reserved, at + 1, "ID");
  return IdPayload{static_cast<iana::IdType>(type), ReadRest(body)};
}

Status Write(const IdPayload& p, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(p.id_type)).U8(0).U16(0).Append(p.identification_data);
  return OkStatus();
}

Status Verify(const IdPayload& p, size_t offset) {
  for (const IdRule& rule : kIdRules) {
    if (rule.type != p.id_type) continue;
    const size_t n = p.identification_data.size();
    ENSURE(n >= rule.min_size && n <= rule.max_size, kInvalidSyntax, offset + 4, rule.requirement,
           fmt::format("{} identification is {} bytes; it must be {}", iana::Name(p.id_type), n,
                       rule.min_size == rule.max_size ? fmt::format("{}", rule.min_size)
                                                      : fmt::format("at least {}", rule.min_size)));
    if (rule.text) {
      const auto bad = std::find_if(p.identification_data.begin(), p.identification_data.end(),
                                    [](uint8_t c) { return c == 0 || c == '\r' || c == '\n'; });
      ENSURE(bad == p.identification_data.end(), kInvalidSyntax,
             offset + 4 + static_cast<size_t>(bad - p.identification_data.begin()), rule.requirement,
             fmt::format("{} contains a terminator (0x{:02x})", iana::Name(p.id_type), bad == p.identification_data.end() ? 0 : *bad));
    }
  }
  return OkStatus();
}

std::string DescribeId(const IdPayload& p) {
  const Bytes& d = p.identification_data;
  char text[INET6_ADDRSTRLEN] = {};
  if (p.id_type == I::kIpv4Addr && d.size() == 4 && inet_ntop(AF_INET, d.data(), text, sizeof text)) return text;
  if (p.id_type == I::kIpv6Addr && d.size() == 16 && inet_ntop(AF_INET6, d.data(), text, sizeof text)) return text;
  const bool printable = std::all_of(d.begin(), d.end(), [](uint8_t c) { return c >= 0x20 && c < 0x7f; });
  if ((p.id_type == I::kFqdn || p.id_type == I::kRfc822Addr || p.id_type == I::kKeyId) && printable)
    return std::string(d.begin(), d.end());
  return ToHex(d);
}

}  // namespace ipsecref::ike
