// The payloads whose body is one opaque field after the generic header:
// Key Exchange (RFC 2408 §3.7), Hash (§3.11), Signature (§3.12), Nonce
// (§3.13) and NAT-D (RFC 3947 §3.2). All share this diagram, with the
// field named after the payload:
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                                                               !
// ~     Key Exchange Data / Hash Data / Signature Data / Nonce    ~
// !     Data / HASH of the address and port (NAT-D)               !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

template <PayloadType kType>
struct OpaquePayload {
  Bytes data;
  bool operator==(const OpaquePayload&) const = default;
};
//= rfc2408#section-3.7
//# KE carries the public value of the key exchange the DOI names (for
//# IKE, the Diffie-Hellman group of the SA).
using KePayload = OpaquePayload<PayloadType::kKe>;
//= rfc2408#section-3.11
//# HASH carries the output of the negotiated hash (or prf).
using HashPayload = OpaquePayload<PayloadType::kHash>;
//= rfc2408#section-3.12
//# SIG carries the output of the negotiated signature function.
using SigPayload = OpaquePayload<PayloadType::kSig>;
//= rfc2408#section-3.13
//# Nonce carries random data.
using NoncePayload = OpaquePayload<PayloadType::kNonce>;
//= rfc3947#section-3.2
//# NAT-D carries the hash of the cookies, an IP address and a port; its
//# payload type is 20 (130 in the drafts before the RFC).
using NatDPayload = OpaquePayload<PayloadType::kNatD>;

template <PayloadType kType>
Result<OpaquePayload<kType>> ParseOpaque(ByteReader& body, Notes&) {
  return OpaquePayload<kType>{ReadRest(body)};
}
template <PayloadType kType>
[[nodiscard]] Status Write(const OpaquePayload<kType>& p, ByteWriter& out) {
  out.Append(p.data);
  return OkStatus();
}
// Nonce Data is 8 to 256 octets (RFC 2409 §5); the others have no rule of
// their own that the payload alone can check. Returns kPayloadMalformed.
template <PayloadType kType>
Status Verify(const OpaquePayload<kType>& p, size_t offset);
template <>
Status Verify(const NoncePayload& p, size_t offset);

}  // namespace ipsecref::ikev1
