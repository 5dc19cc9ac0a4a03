// One ISAKMP payload: the generic payload header (RFC 2408 §3.2) and a
// typed body, one type per file under payloads/.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "reference/ikev1/payloads/attribute.h"
#include "reference/ikev1/payloads/cert.h"
#include "reference/ikev1/payloads/delete.h"
#include "reference/ikev1/payloads/fragment.h"
#include "reference/ikev1/payloads/id.h"
#include "reference/ikev1/payloads/nat_oa.h"
#include "reference/ikev1/payloads/notification.h"
#include "reference/ikev1/payloads/opaque.h"
#include "reference/ikev1/payloads/sa.h"
#include "reference/ikev1/payloads/vendor_id.h"

namespace ipsecref::ikev1 {

// A payload of a type the reference does not read: its body, kept.
struct UnknownPayload {
  Bytes body;
  bool operator==(const UnknownPayload&) const = default;
};

using PayloadBody = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CrPayload, HashPayload, SigPayload,
                                  NoncePayload, NotificationPayload, DeletePayload, VendorIdPayload, AttributePayload,
                                  NatDPayload, NatOaPayload, FragmentPayload, UnknownPayload>;

struct Payload {
  // NAT-D and NAT-OA keep the number they came with (RFC 3947's or the
  // drafts'), so that a message is written back as it was read.
  PayloadType type = PayloadType::kNone;
  PayloadBody body;
  size_t offset = 0;  // of the generic header in the message; not part of equality

  bool operator==(const Payload& o) const { return type == o.type && body == o.body; }
  template <typename T>
  const T* as() const { return std::get_if<T>(&body); }
};

// "SA", "N(INITIAL-CONTACT)", "VID(DPD)", "payload 77".
std::string PayloadLabel(const Payload& p);
std::string PayloadTypeLabel(PayloadType type);

// Decodes the chain that starts with a payload of type `first` and fills
// `in` (at most ike::kMaxPayloadsPerChain payloads). Returns
// kPayloadMalformed naming the payload and its offset when a generic header
// or a body does not parse, when a Proposal or Transform payload stands
// outside an SA, or when bytes follow the last payload. A payload of a type
// the reference does not read is kept as UnknownPayload and noted. With
// `padded` (a decrypted body), bytes after the last payload are padding.
Result<std::vector<Payload>> DecodePayloads(ByteReader& in, PayloadType first, Notes& notes, bool padded = false);
// Writes the payloads with their generic headers, chaining Next Payload.
// Returns kLengthOverflow when a payload outgrows Payload Length.
[[nodiscard]] Status EncodePayloads(const std::vector<Payload>& payloads, ByteWriter& out);
// The payload's own rules (its Verify), the payload named in the error.
Status VerifyPayload(const Payload& p);

}  // namespace ipsecref::ikev1
