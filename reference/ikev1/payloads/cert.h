// Certificate (RFC 2408 §3.9) and Certificate Request (§3.10) payloads.
//
// CERT:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Cert Encoding !                                               !
// +-+-+-+-+-+-+-+-+                                               !
// ~                       Certificate Data                        ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// CR:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Cert. Type   !                                               !
// +-+-+-+-+-+-+-+-+                                               !
// ~                    Certificate Authority                      ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

struct CertPayload {
  uint8_t cert_encoding = 4;  // X.509 Certificate - Signature
  Bytes certificate_data;
  bool operator==(const CertPayload&) const = default;
};

struct CrPayload {
  uint8_t cert_type = 4;
  //= rfc2408#section-3.10
  //# An empty Certificate Authority asks for any certificate of the type.
  Bytes certificate_authority;
  bool operator==(const CrPayload&) const = default;
};

Result<CertPayload> ParseCert(ByteReader& body, Notes& notes);
Result<CrPayload> ParseCr(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const CertPayload& p, ByteWriter& out);
[[nodiscard]] Status Write(const CrPayload& p, ByteWriter& out);
inline Status Verify(const CertPayload&, size_t) { return OkStatus(); }
inline Status Verify(const CrPayload&, size_t) { return OkStatus(); }

}  // namespace ipsecref::ikev1
