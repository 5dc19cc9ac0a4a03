#include "reference/ikev1/payloads/id.h"

#include <fmt/format.h>

#include "reference/ike/wire/payloads/id.h"

namespace ipsecref::ikev1 {
namespace {

// Sizes of the identification data of the address types (RFC 2407 §4.6.2.1).
size_t AddressDataSize(uint8_t id_type) {
  switch (id_type) {
    case 1: return 4;    // ID_IPV4_ADDR
    case 4: return 8;    // ID_IPV4_ADDR_SUBNET: address, mask
    case 5: return 16;   // ID_IPV6_ADDR
    case 6: return 32;   // ID_IPV6_ADDR_SUBNET
    case 7: return 8;    // ID_IPV4_ADDR_RANGE: first, last
    case 8: return 32;   // ID_IPV6_ADDR_RANGE
    default: return 0;
  }
}

// An address as text, by IKEv2's describer (its ID types 1 and 5 are
// IKEv1's, as are 2, 3, 9, 10 and 11).
std::string Address(ByteSpan a) {
  return ike::DescribeId({a.size() == 4 ? iana::IdType::kIpv4Addr : iana::IdType::kIpv6Addr, Bytes(a.begin(), a.end())});
}

int PrefixLength(ByteSpan mask) {
  int bits = 0;
  for (uint8_t b : mask) {
    for (int i = 7; i >= 0 && (b >> i & 1); --i) ++bits;
    if (b != 0xff) break;
  }
  return bits;
}

}  // namespace

Result<IdPayload> ParseId(ByteReader& body, Notes&) {
  IdPayload id;
  const size_t at = body.offset();
  ENSURE(body.ReadU8(id.id_type) && body.ReadU8(id.protocol_id) && body.ReadU16(id.port), kPayloadMalformed,
         at, "rfc2407#section-4.6.2",
         fmt::format("ID needs ID Type, Protocol ID and Port (4 bytes), has {}", body.remaining()));
  id.identification_data = ReadRest(body);
  return id;
}

Status Write(const IdPayload& p, ByteWriter& out) {
  out.U8(p.id_type).U8(p.protocol_id).U16(p.port).Append(p.identification_data);
  return OkStatus();
}

Status Verify(const IdPayload& p, size_t offset) {
  //= rfc2407#section-4.6.2.1
  //# An address identity holds 4 (IPv4) or 16 (IPv6) octets, a subnet an
  //# address and a mask, a range two addresses.
  const size_t size = AddressDataSize(p.id_type);
  ENSURE(size == 0 || p.identification_data.size() == size, kPayloadMalformed, offset + 4, "rfc2407#section-4.6.2.1",
         fmt::format("{} holds {} bytes, {} expected", IdTypeName(p.id_type), p.identification_data.size(), size));
  return OkStatus();
}

std::string DescribeIdentification(const IdPayload& p) {
  const ByteSpan d(p.identification_data);
  if (AddressDataSize(p.id_type) == d.size() && !d.empty()) {
    const size_t half = d.size() / 2;
    switch (p.id_type) {
      case 4:
      case 6: return fmt::format("{}/{}", Address(d.first(half)), PrefixLength(d.subspan(half)));
      case 7:
      case 8: return fmt::format("{}-{}", Address(d.first(half)), Address(d.subspan(half)));
    }
  }
  return ike::DescribeId({static_cast<iana::IdType>(p.id_type), p.identification_data});
}

}  // namespace ipsecref::ikev1
