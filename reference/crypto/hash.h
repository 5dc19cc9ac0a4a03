// Plain hash functions, for the places IKEv2 hashes without a key: the NAT
// detection notifications (RFC 7296 §2.23, SHA-1) and the hash announced in
// SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4).
#pragma once

#include <initializer_list>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/ike.h"

namespace ipsecref::crypto {

// The digest of the pieces, concatenated. SHA-1 and SHA-2 (256, 384, 512);
// kUnknownTransform for any other hash.
Result<Bytes> Digest(iana::HashAlgorithm hash, std::initializer_list<ByteSpan> pieces);
// The same into wiping storage, for digests that are key material (RFC 3079
// §3.4's MasterKey and start keys are cut from SHA-1 outputs).
Result<SecureBytes> SecretDigest(iana::HashAlgorithm hash, std::initializer_list<ByteSpan> pieces);

}  // namespace ipsecref::crypto
