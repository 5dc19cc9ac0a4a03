#include "reference/ikev1/payloads/nat_oa.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

Result<NatOaPayload> ParseNatOa(ByteReader& body, Notes& notes) {
  NatOaPayload p;
  uint8_t reserved1 = 0;
  uint16_t reserved2 = 0;
  const size_t at = body.offset();
  ENSURE(body.ReadU8(p.id_type) && body.ReadU8(reserved1) && body.ReadU16(reserved2), kPayloadMalformed, at,
         "rfc3947#section-5.2", fmt::format("NAT-OA needs 4 bytes before its address, has {}", body.remaining()));
  NoteReserved(notes, reserved1 | reserved2, at + 1, "NAT-OA");
  p.address = ReadRest(body);
  return p;
}

Status Write(const NatOaPayload& p, ByteWriter& out) {
  out.U8(p.id_type).U8(0).U16(0).Append(p.address);
  return OkStatus();
}

Status Verify(const NatOaPayload& p, size_t offset) {
  //= rfc3947#section-5.2
  //# The original address is an ID_IPV4_ADDR (4 octets) or an
  //# ID_IPV6_ADDR (16 octets).
  const bool ok = (p.id_type == 1 && p.address.size() == 4) || (p.id_type == 5 && p.address.size() == 16);
  ENSURE(ok, kPayloadMalformed, offset, "rfc3947#section-5.2",
         fmt::format("NAT-OA of ID Type {} with {} address bytes; ID_IPV4_ADDR takes 4, ID_IPV6_ADDR 16",
                     Named(IdTypeName(p.id_type), p.id_type), p.address.size()));
  return OkStatus();
}

}  // namespace ipsecref::ikev1
