#include "reference/ike/wire/payloads/ke.h"

#include <fmt/format.h>

namespace ipsecref::ike {

Result<KePayload> ParseKe(ByteReader& body, Notes& notes) {
  const size_t at = body.offset();
  uint16_t group = 0, reserved = 0;
  ENSURE(body.ReadU16(group) && body.ReadU16(reserved), kTruncated, at, "rfc7296#section-3.4",
         fmt::format("KE body is {} bytes; the group number and RESERVED need 4", body.remaining()));
  NoteReserved(notes, reserved, at + 2, "KE");
  return KePayload{static_cast<iana::KeGroup>(group), ReadRest(body)};
}

Status Write(const KePayload& p, ByteWriter& out) {
  out.U16(static_cast<uint16_t>(p.group)).U16(0).Append(p.key_exchange_data);
  return OkStatus();
}

Status Verify(const KePayload& p, size_t offset) {
  ENSURE(!p.key_exchange_data.empty(), kInvalidSyntax, offset + 4, "rfc7296#section-3.4",
         "Key Exchange Data is empty");
  return OkStatus();
}

}  // namespace ipsecref::ike
