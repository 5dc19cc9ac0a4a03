// Certificate payload CERT (RFC 7296 §3.6) and Certificate Request payload
// CERTREQ (§3.7). Both have the same layout:
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Cert Encoding |                                               |
// +-+-+-+-+-+-+-+-+                                               |
// ~     Certificate Data  (CERTREQ: Certification Authority)      ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct CertPayload {
  iana::CertEncoding cert_encoding = iana::CertEncoding::kX509Signature;
  Bytes certificate_data;
  bool operator==(const CertPayload&) const = default;
};

struct CertreqPayload {
  iana::CertEncoding cert_encoding = iana::CertEncoding::kX509Signature;
  Bytes certification_authority;
  bool operator==(const CertreqPayload&) const = default;
};

Result<CertPayload> ParseCert(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const CertPayload& p, ByteWriter& out);
//= rfc7296#section-3.6
//# Certificate Data is present; the Hash and URL encodings start with a
//# 20-octet SHA-1 hash followed by the URL.
Status Verify(const CertPayload& p, size_t offset);

Result<CertreqPayload> ParseCertreq(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const CertreqPayload& p, ByteWriter& out);
//= rfc7296#section-3.7
//# For X.509 encodings the Certification Authority field is a list of
//# 20-octet SHA-1 hashes of trusted CA public keys.
Status Verify(const CertreqPayload& p, size_t offset);

}  // namespace ipsecref::ike
