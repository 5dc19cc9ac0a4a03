// Security Association payload (RFC 2408 §3.4) with its Proposal (§3.5) and
// Transform (§3.6) payloads, as the IPsec DOI fills them (RFC 2407 §4.6.1).
//
// SA payload:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                                                               !
// ~                           Situation                           ~
// !                                                               !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Proposal payload (one or more follow the Situation):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                        SPI (variable)                         !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Transform payload (# of Transforms follow the SPI, inside the proposal):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Transform #  !  Transform-Id !           RESERVED2           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SA Attributes                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "reference/ikev1/payloads/data_attribute.h"

namespace ipsecref::ikev1 {

inline constexpr uint32_t kDoiIpsec = 1;
inline constexpr uint8_t kProtoIsakmp = 1;

struct Transform {
  uint8_t transform_num = 1;
  uint8_t transform_id = 0;
  std::vector<DataAttribute> attributes;
  bool operator==(const Transform&) const = default;
};

struct Proposal {
  uint8_t proposal_num = 1;
  uint8_t protocol_id = kProtoIsakmp;
  Bytes spi;
  std::vector<Transform> transforms;
  bool operator==(const Proposal&) const = default;
};

struct SaPayload {
  uint32_t doi = kDoiIpsec;
  uint32_t situation = 1;  // SIT_IDENTITY_ONLY
  std::vector<Proposal> proposals;
  bool operator==(const SaPayload&) const = default;
};

// Syntax only. Returns kPayloadMalformed when lengths, counts or the Next
// Payload fields of proposals and transforms do not add up; kUnsupported for
// a DOI other than IPsec's or a labelled Situation (SIT_SECRECY,
// SIT_INTEGRITY), whose layout ipsecref does not read.
Result<SaPayload> ParseSa(ByteReader& body, Notes& notes);
// Returns kLengthOverflow when a proposal, transform or attribute outgrows
// its length field.
[[nodiscard]] Status Write(const SaPayload& p, ByteWriter& out);
// A Phase 1 SA (protocol PROTO_ISAKMP) carries exactly one proposal (RFC
// 2409 §5); every proposal at least one transform (RFC 2408 §3.5). Returns
// kPayloadMalformed at `offset`.
Status Verify(const SaPayload& p, size_t offset);

}  // namespace ipsecref::ikev1
