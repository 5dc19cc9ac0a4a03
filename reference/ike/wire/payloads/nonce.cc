#include "reference/ike/wire/payloads/nonce.h"

#include <fmt/format.h>

namespace ipsecref::ike {

Result<NoncePayload> ParseNonce(ByteReader& body, Notes&) {
  return NoncePayload{ReadRest(body)};
}

Status Write(const NoncePayload& p, ByteWriter& out) {
  out.Append(p.nonce_data);
  return OkStatus();
}

Status Verify(const NoncePayload& p, size_t offset) {
  //= rfc7296#section-3.9
  //# Nonces are 16 to 256 octets long.
  ENSURE(p.nonce_data.size() >= 16 && p.nonce_data.size() <= 256, kInvalidSyntax, offset, "rfc7296#section-3.9",
         fmt::format("Nonce Data is {} bytes; it must be 16 to 256", p.nonce_data.size()));
  return OkStatus();
}

}  // namespace ipsecref::ike
