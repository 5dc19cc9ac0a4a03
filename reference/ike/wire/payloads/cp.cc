#include "reference/ike/wire/payloads/cp.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

constexpr uint16_t kReservedBit = 0x8000;

// Value sizes (besides 0) for the attributes whose RFC fixes them.
struct CpRule {
  iana::CfgAttribute type;
  std::string_view requirement;
  size_t size;      // the one non-empty size, or the item size when `list`
  bool list;        // a list of `size`-octet items
};
using A = iana::CfgAttribute;
constexpr CpRule kCpRules[] = {
    //= rfc7296#section-3.15.1
    //# IPv4 addresses, netmasks, DNS, NBNS and DHCP servers are 4 octets;
    //# IPv6 DNS and DHCP servers 16; an IPv6 address or subnet is 16 octets
    //# and a prefix length (17); an IPv4 subnet is address and mask (8);
    //# SUPPORTED_ATTRIBUTES is a list of two-octet types.
    {A::kInternalIp4Address, "rfc7296#section-3.15.1", 4, false},
    {A::kInternalIp4Netmask, "rfc7296#section-3.15.1", 4, false},
    {A::kInternalIp4Dns, "rfc7296#section-3.15.1", 4, false},
    {A::kInternalIp4Nbns, "rfc7296#section-3.15.1", 4, false},
    {A::kInternalIp4Dhcp, "rfc7296#section-3.15.1", 4, false},
    {A::kInternalIp6Address, "rfc7296#section-3.15.1", 17, false},
    {A::kInternalIp6Dns, "rfc7296#section-3.15.1", 16, false},
    {A::kInternalIp6Dhcp, "rfc7296#section-3.15.1", 16, false},
    {A::kInternalIp4Subnet, "rfc7296#section-3.15.1", 8, false},
    {A::kSupportedAttributes, "rfc7296#section-3.15.1", 2, true},
    {A::kInternalIp6Subnet, "rfc7296#section-3.15.1", 17, false},
};

}  // namespace

Result<CpPayload> ParseCp(ByteReader& body, Notes& notes) {
  const size_t at = body.offset();
  uint8_t type = 0;
  uint32_t reserved = 0;
  ENSURE(body.ReadU8(type) && body.ReadU24(reserved), kInvalidSyntax, at, "rfc7296#section-3.15",
         fmt::format("CP body is {} bytes; CFG Type and RESERVED need 4", body.remaining()));
  NoteReserved(notes, reserved, at + 1, "CP");
  CpPayload p{static_cast<iana::CfgType>(type), {}};
  while (!body.empty()) {
    const size_t a_at = body.offset();
    uint16_t attribute_type = 0, length = 0;
    ByteSpan value;
    ENSURE(body.ReadU16(attribute_type) && body.ReadU16(length), kInvalidSyntax, a_at, "rfc7296#section-3.15.1",
           fmt::format("configuration attribute header needs 4 bytes, {} left", body.remaining()));
    ENSURE(body.ReadBytes(length, value), kInvalidSyntax, a_at + 2, "rfc7296#section-3.15.1",
           fmt::format("attribute {} claims {} value bytes, {} left", attribute_type & ~kReservedBit, length,
                       body.remaining()));
    NoteReserved(notes, attribute_type & kReservedBit, a_at, "configuration attribute");
    p.attributes.push_back({static_cast<uint16_t>(attribute_type & ~kReservedBit), Bytes(value.begin(), value.end())});
  }
  return p;
}

Status Write(const CpPayload& p, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(p.cfg_type)).U8(0).U16(0);
  for (const CpAttribute& a : p.attributes) {
    out.U16(a.attribute_type & ~kReservedBit);
    const ByteWriter::LengthPrefix length = out.ReserveLength(2, out.size() + 2);
    out.Append(a.value);
    if (!out.FinishLength(length))
      return TooLong("rfc7296#section-3.15.1",
                     fmt::format("configuration attribute {} has {} value bytes; Length holds at most 65535",
                                 a.attribute_type, a.value.size()));
  }
  return OkStatus();
}

Status Verify(const CpPayload& p, size_t offset) {
  for (const CpAttribute& a : p.attributes) {
    for (const CpRule& rule : kCpRules) {
      if (static_cast<uint16_t>(rule.type) != a.attribute_type) continue;
      const size_t n = a.value.size();
      const bool ok = rule.list ? n % rule.size == 0 : (n == 0 || n == rule.size);
      ENSURE(ok, kInvalidSyntax, offset, rule.requirement,
             fmt::format("{}: value is {} bytes; it must be {}{}", iana::Name(rule.type), n,
                         rule.list ? "a multiple of " : "0 or ", rule.size));
    }
  }
  return OkStatus();
}

}  // namespace ipsecref::ike
