#include "reference/ike/wire/payloads/encrypted.h"

#include <fmt/format.h>

namespace ipsecref::ike {
Result<SkPayload> ParseSk(ByteReader& body, Notes&) { return SkPayload{iana::PayloadType::kNone, ReadRest(body)}; }
Status Write(const SkPayload& p, ByteWriter& out) {
  out.Append(p.encrypted);
  return OkStatus();
}
Status Verify(const SkPayload&, size_t) { return OkStatus(); }

Result<SkfPayload> ParseSkf(ByteReader& body, Notes&) {
  SkfPayload p;
  ENSURE(body.ReadU16(p.fragment_number) && body.ReadU16(p.total_fragments), kInvalidSyntax, body.offset(),
         "rfc7383#section-2.5",
         fmt::format("SKF body is {} bytes; Fragment Number and Total Fragments need 4", body.remaining()));
  p.encrypted = ReadRest(body);
  return p;
}

Status Write(const SkfPayload& p, ByteWriter& out) {
  out.U16(p.fragment_number).U16(p.total_fragments).Append(p.encrypted);
  return OkStatus();
}

Status Verify(const SkfPayload& p, size_t offset) {
  ENSURE(p.fragment_number >= 1 && p.total_fragments >= 1, kBadFragment, offset, "rfc7383#section-2.5",
         fmt::format("Fragment Number {} of Total Fragments {}: both count from 1", p.fragment_number,
                     p.total_fragments));
  ENSURE(p.fragment_number <= p.total_fragments, kBadFragment, offset, "rfc7383#section-2.5",
         fmt::format("Fragment Number {} exceeds Total Fragments {}", p.fragment_number, p.total_fragments));
  ENSURE(p.fragment_number == 1 || p.first_inner == iana::PayloadType::kNone, kBadFragment, offset - 4,
         "rfc7383#section-2.5",
         fmt::format("fragment {} has Next Payload {}; only fragment 1 names one", p.fragment_number,
                     static_cast<int>(p.first_inner)));
  return OkStatus();
}

Result<UnknownPayload> ParseUnknown(ByteReader& body, Notes&) { return UnknownPayload{ReadRest(body)}; }
Status Write(const UnknownPayload& p, ByteWriter& out) {
  out.Append(p.body);
  return OkStatus();
}
Status Verify(const UnknownPayload&, size_t) { return OkStatus(); }

}  // namespace ipsecref::ike
