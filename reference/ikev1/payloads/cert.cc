#include "reference/ikev1/payloads/cert.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

Result<CertPayload> ParseCert(ByteReader& body, Notes&) {
  CertPayload p;
  //= rfc2408#section-3.9
  //# The Certificate Encoding octet comes first, the certificate after it.
  ENSURE(body.ReadU8(p.cert_encoding), kPayloadMalformed, body.offset(), "rfc2408#section-3.9",
         "CERT has no Cert Encoding octet");
  p.certificate_data = ReadRest(body);
  return p;
}

Result<CrPayload> ParseCr(ByteReader& body, Notes&) {
  CrPayload p;
  //= rfc2408#section-3.10
  //# The Certificate Type octet comes first, the authority after it.
  ENSURE(body.ReadU8(p.cert_type), kPayloadMalformed, body.offset(), "rfc2408#section-3.10",
         "CR has no Cert. Type octet");
  p.certificate_authority = ReadRest(body);
  return p;
}

Status Write(const CertPayload& p, ByteWriter& out) {
  out.U8(p.cert_encoding).Append(p.certificate_data);
  return OkStatus();
}

Status Write(const CrPayload& p, ByteWriter& out) {
  out.U8(p.cert_type).Append(p.certificate_authority);
  return OkStatus();
}

}  // namespace ipsecref::ikev1
