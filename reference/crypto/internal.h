// Constructors behind the registry; only transforms.cc calls them.
#pragma once

#include "reference/crypto/transforms.h"

namespace ipsecref::crypto {

Result<std::unique_ptr<Aead>> NewAead(const EncrTransform& t, ByteSpan keymat);
Result<std::unique_ptr<Cipher>> NewCipher(const EncrTransform& t, ByteSpan keymat);
Result<std::unique_ptr<Integrity>> NewIntegrity(const IntegTransform& t, ByteSpan key);
// AES-XCBC-MAC (RFC 3566) with `out_size` bytes of output (16 for the PRF).
std::unique_ptr<Integrity> NewAesXcbc(ByteSpan key, size_t out_size);

}  // namespace ipsecref::crypto
