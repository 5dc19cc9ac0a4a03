#include "reference/ike/wire/payloads/auth.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

struct AuthRule {
  iana::AuthMethod method;
  size_t size;
};
//= rfc4754#section-7
//# ECDSA signatures in AUTH are r||s, each as long as the curve's order:
//# 64 octets for P-256, 96 for P-384, 132 for P-521.
constexpr AuthRule kFixedSizes[] = {
    {iana::AuthMethod::kEcdsaSha256P256, 64},
    {iana::AuthMethod::kEcdsaSha384P384, 96},
    {iana::AuthMethod::kEcdsaSha512P521, 132},
};

}  // namespace

Result<AuthPayload> ParseAuth(ByteReader& body, Notes& notes) {
  const size_t at = body.offset();
  uint8_t method = 0;
  uint32_t reserved = 0;
  ENSURE(body.ReadU8(method) && body.ReadU24(reserved), kInvalidSyntax, at, "rfc7296#section-3.8",
         fmt::format("AUTH body is {} bytes; Auth Method and RESERVED need 4", body.remaining()));
  NoteReserved(notes, reserved, at + 1, "AUTH");
  return AuthPayload{static_cast<iana::AuthMethod>(method), ReadRest(body)};
}

Status Write(const AuthPayload& p, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(p.auth_method)).U8(0).U16(0).Append(p.authentication_data);
  return OkStatus();
}

Status Verify(const AuthPayload& p, size_t offset) {
  ENSURE(!p.authentication_data.empty(), kInvalidSyntax, offset + 4, "rfc7296#section-3.8",
         "Authentication Data is empty");
  for (const AuthRule& rule : kFixedSizes) {
    ENSURE(rule.method != p.auth_method || p.authentication_data.size() == rule.size, kInvalidSyntax, offset + 4,
           "rfc4754#section-7",
           fmt::format("{}: Authentication Data is {} bytes; r||s is {}", iana::Name(p.auth_method),
                       p.authentication_data.size(), rule.size));
  }
  return OkStatus();
}

}  // namespace ipsecref::ike
