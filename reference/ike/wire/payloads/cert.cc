#include "reference/ike/wire/payloads/cert.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

constexpr size_t kSha1Size = 20;

Result<uint8_t> ReadEncoding(ByteReader& body, std::string_view payload, std::string_view requirement) {
  uint8_t encoding = 0;
  ENSURE(body.ReadU8(encoding), kInvalidSyntax, body.offset(), requirement,
         fmt::format("{} body is empty; Cert Encoding needs 1 byte", payload));
  return encoding;
}

bool IsHashAndUrl(iana::CertEncoding e) {
  return e == iana::CertEncoding::kHashUrlX509Cert || e == iana::CertEncoding::kHashUrlX509Bundle;
}

}  // namespace

Result<CertPayload> ParseCert(ByteReader& body, Notes&) {
  TRY_ASSIGN(uint8_t encoding, ReadEncoding(body, "CERT", "rfc7296#section-3.6"));
  return CertPayload{static_cast<iana::CertEncoding>(encoding), ReadRest(body)};
}

Status Write(const CertPayload& p, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(p.cert_encoding)).Append(p.certificate_data);
  return OkStatus();
}

Status Verify(const CertPayload& p, size_t offset) {
  ENSURE(!p.certificate_data.empty(), kInvalidSyntax, offset + 1, "rfc7296#section-3.6", "Certificate Data is empty");
  ENSURE(!IsHashAndUrl(p.cert_encoding) || p.certificate_data.size() > kSha1Size, kInvalidSyntax, offset + 1,
         "rfc7296#section-3.6",
         fmt::format("{}: {} bytes cannot hold a 20-byte hash and a URL", iana::Name(p.cert_encoding),
                     p.certificate_data.size()));
  return OkStatus();
}

Result<CertreqPayload> ParseCertreq(ByteReader& body, Notes&) {
  TRY_ASSIGN(uint8_t encoding, ReadEncoding(body, "CERTREQ", "rfc7296#section-3.7"));
  return CertreqPayload{static_cast<iana::CertEncoding>(encoding), ReadRest(body)};
}

Status Write(const CertreqPayload& p, ByteWriter& out) {
  out.U8(static_cast<uint8_t>(p.cert_encoding)).Append(p.certification_authority);
  return OkStatus();
}

Status Verify(const CertreqPayload& p, size_t offset) {
  const bool x509 = p.cert_encoding == iana::CertEncoding::kX509Signature || IsHashAndUrl(p.cert_encoding);
  ENSURE(!x509 || p.certification_authority.size() % kSha1Size == 0, kInvalidSyntax, offset + 1,
         "rfc7296#section-3.7",
         fmt::format("{}: Certification Authority is {} bytes, not a list of 20-byte SHA-1 hashes",
                     iana::Name(p.cert_encoding), p.certification_authority.size()));
  return OkStatus();
}

}  // namespace ipsecref::ike
