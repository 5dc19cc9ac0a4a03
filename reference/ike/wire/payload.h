// One IKEv2 payload: the generic payload header (RFC 7296 §3.2) and a typed
// body. The body types live one per file under payloads/.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "reference/ike/wire/payloads/auth.h"
#include "reference/ike/wire/payloads/cert.h"
#include "reference/ike/wire/payloads/cp.h"
#include "reference/ike/wire/payloads/delete.h"
#include "reference/ike/wire/payloads/eap.h"
#include "reference/ike/wire/payloads/encrypted.h"
#include "reference/ike/wire/payloads/id.h"
#include "reference/ike/wire/payloads/ke.h"
#include "reference/ike/wire/payloads/nonce.h"
#include "reference/ike/wire/payloads/notify.h"
#include "reference/ike/wire/payloads/sa.h"
#include "reference/ike/wire/payloads/ts.h"
#include "reference/ike/wire/payloads/vendor_id.h"

namespace ipsecref::ike {

using PayloadBody = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertreqPayload, AuthPayload,
                                 NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload, TsPayload, SkPayload,
                                 CpPayload, EapPayload, SkfPayload, UnknownPayload>;

struct Payload {
  // IDi and IDr (TSi and TSr) share a body type; the type tells them apart.
  iana::PayloadType type = iana::PayloadType::kNone;
  //= rfc7296#section-3.2
  //# The critical bit asks a receiver that does not know the type to reject
  //# the whole message; a receiver that knows the type ignores the bit.
  bool critical = false;
  PayloadBody body;
  size_t offset = 0;  // of the generic header in the message; not part of equality

  bool operator==(const Payload& o) const { return type == o.type && critical == o.critical && body == o.body; }

  template <typename T>
  const T* as() const { return std::get_if<T>(&body); }
};

// Whether the reference knows `type` (it then has a body type other than
// UnknownPayload).
bool IsKnownPayloadType(iana::PayloadType type);

// "SA", "N(COOKIE)", "payload 200" — as RFC 7296's message notation names them.
std::string PayloadLabel(const Payload& p);
std::string PayloadTypeLabel(iana::PayloadType type);

//= ipsecref#choice
//# A chain of payloads (a message's, or an SK payload's contents) holds at
//# most 1024: real messages carry a few dozen (a few hundred with many
//# certificates or notifications), and RFC 7296 sets no limit, so a 16 MB
//# message of 4-byte empty payloads would cost memory per payload. A longer
//# chain is refused as INVALID_SYNTAX, naming the offset of payload 1025.
inline constexpr size_t kMaxPayloadsPerChain = 1024;

// Decodes a chain of payloads that starts with a payload of type `first` and
// fills `in` (at most kMaxPayloadsPerChain). An SK or SKF payload ends the chain (§3.14: it is last; its
// Next Payload names the first payload inside it) unless `inside_sk`, where
// they are refused. Syntax only; Verify() applies each payload's rules.
Result<std::vector<Payload>> DecodePayloads(ByteReader& in, iana::PayloadType first, bool inside_sk, Notes& notes);

// Writes the payloads with their generic headers, chaining Next Payload;
// the last one's Next Payload is 0 except an SK/SKF payload's, which names
// its first inner payload. Returns kLengthOverflow (naming the payload) when
// a payload, or a length or count inside one, does not fit its field; `out`
// then holds a partial encoding.
[[nodiscard]] Status EncodePayloads(const std::vector<Payload>& payloads, ByteWriter& out);

// The payload's own rules (its Verify), with the payload named in the error.
Status VerifyPayload(const Payload& p);

}  // namespace ipsecref::ike
