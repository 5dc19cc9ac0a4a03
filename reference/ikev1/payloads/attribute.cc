#include "reference/ikev1/payloads/attribute.h"

#include <fmt/format.h>

#include "reference/ike/wire/payloads/id.h"

namespace ipsecref::ikev1 {

Result<AttributePayload> ParseAttribute(ByteReader& body, Notes& notes) {
  AttributePayload p;
  uint8_t reserved = 0;
  const size_t at = body.offset();
  //= ipsecref#choice
  //# No RFC defines Mode Config: the layout read is draft-dukes-ike-mode-cfg-02's
  //# (Type, RESERVED, a 16-bit Identifier, then RFC 2408 data attributes).
  ENSURE(body.ReadU8(p.cfg_type) && body.ReadU8(reserved) && body.ReadU16(p.identifier), kPayloadMalformed, at,
         "ipsecref#choice", fmt::format("ATTR needs Type, RESERVED and Identifier (4 bytes), has {}", body.remaining()));
  NoteReserved(notes, reserved, at + 1, "ATTR");
  TRY_ASSIGN(p.attributes, ParseDataAttributes(body, "ATTR"));
  return p;
}

Status Write(const AttributePayload& p, ByteWriter& out) {
  out.U8(p.cfg_type).U8(0).U16(p.identifier);
  return WriteDataAttributes(p.attributes, out);
}

std::string DescribeCfgAttribute(const DataAttribute& a) {
  if (const auto* tv = std::get_if<uint16_t>(&a.value)) {
    if (a.type == 16527) return *tv == 1 ? "OK (1)" : *tv == 0 ? "FAIL (0)" : fmt::format("{}", *tv);  // XAUTH_STATUS
    if (a.type == 16520) return *tv == 0 ? "Generic (0)" : fmt::format("{}", *tv);                     // XAUTH_TYPE
    return fmt::format("{}", *tv);
  }
  const Bytes& v = std::get<Bytes>(a.value);
  if (v.empty()) return "(empty)";
  if (a.type == 16522 || a.type == 16523) return fmt::format("({} bytes, not shown)", v.size());  // password, passcode
  // INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP; INTERNAL_IP6_ADDRESS (with a prefix length octet).
  if ((a.type >= 1 && a.type <= 4) || a.type == 6)
    if (v.size() == 4) return ike::DescribeId({iana::IdType::kIpv4Addr, v});
  if (a.type == 8 && v.size() == 17)
    return fmt::format("{}/{}", ike::DescribeId({iana::IdType::kIpv6Addr, Bytes(v.begin(), v.begin() + 16)}), v[16]);
  if (a.type == 7 || (a.type >= 16521 && a.type <= 16529)) {
    bool printable = true;
    for (uint8_t c : v) printable = printable && ((c >= 0x20 && c < 0x7f) || c == '\n');
    if (printable) return std::string(v.begin(), v.end());
  }
  return ToHex(v);
}

}  // namespace ipsecref::ikev1
