#include "reference/ikev1/payloads/opaque.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

template <PayloadType kType>
Status Verify(const OpaquePayload<kType>&, size_t) {
  return OkStatus();
}

template <>
Status Verify(const NoncePayload& p, size_t offset) {
  //= rfc2409#section-5
  //# The Nonce payload's data is 8 to 256 octets long.
  ENSURE(p.data.size() >= 8 && p.data.size() <= 256, kPayloadMalformed, offset, "rfc2409#section-5",
         fmt::format("Nonce Data is {} bytes; IKE allows 8 to 256", p.data.size()));
  return OkStatus();
}

template Status Verify(const KePayload&, size_t);
template Status Verify(const HashPayload&, size_t);
template Status Verify(const SigPayload&, size_t);
template Status Verify(const NatDPayload&, size_t);

}  // namespace ipsecref::ikev1
