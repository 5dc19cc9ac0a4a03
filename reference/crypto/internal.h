// Constructors behind the registry; only transforms.cc calls them.
#pragma once

#include "reference/crypto/transforms.h"

namespace ipsecref::crypto {

Result<std::unique_ptr<Aead>> NewAead(const EncrTransform& t, ByteSpan keymat);
Result<std::unique_ptr<Cipher>> NewCipher(const EncrTransform& t, ByteSpan keymat);
Result<std::unique_ptr<Integrity>> NewIntegrity(const IntegTransform& t, ByteSpan key);

}  // namespace ipsecref::crypto
