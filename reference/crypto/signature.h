// Digital signatures as the IKEv2 AUTH payload carries them (RFC 7296 §3.8):
// RSA Digital Signature (method 1), ECDSA with a fixed curve and hash
// (methods 9-11, RFC 4754) and Digital Signature (method 14, RFC 7427), whose
// Authentication Data names its algorithm with a DER AlgorithmIdentifier.
//
// Keys are DER: private keys as PKCS#8 PrivateKeyInfo (RFC 5208, RFC 8410
// for Ed25519), public keys as SubjectPublicKeyInfo (RFC 5280 §4.1, what a
// certificate carries). Ed448 (RFC 8420) is absent: Crypto++ 8.7 has its OID
// only, no implementation.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "reference/crypto/primitives.h"
#include "reference/iana/ike.h"

namespace ipsecref::crypto {

enum class SignatureScheme : uint8_t {
  kRsaPkcs1Sha1,     // RSASSA-PKCS1-v1_5, RFC 8017 §8.2
  kRsaPkcs1Sha256,
  kRsaPkcs1Sha384,
  kRsaPkcs1Sha512,
  kRsaPssSha256,     // RSASSA-PSS, RFC 8017 §8.1: MGF1 with the same hash,
  kRsaPssSha384,     // salt as long as the hash, trailer field 1
  kRsaPssSha512,
  // ECDSA (FIPS 186-4) with the hash named here. The curve is the key's
  // (P-256, P-384 or P-521): RFC 7427 lets method 14 pair any hash with any
  // curve; methods 9-11 pin the pairs the names say (checked in *Auth).
  kEcdsaP256Sha256,
  kEcdsaP384Sha384,
  kEcdsaP521Sha512,
  kEd25519,          // PureEdDSA, RFC 8032 §5.1; hash "Identity" (RFC 8420)
};

// How an ECDSA signature (r, s) is written.
enum class SignatureEncoding : uint8_t {
  //= rfc7427#section-3
  //# In the Digital Signature method the ECDSA signature is the DER
  //# Ecdsa-Sig-Value SEQUENCE { r INTEGER, s INTEGER } of RFC 3279.
  kDer,
  //= rfc4754#section-7
  //# Methods 9-11 carry r then s, each as a big-endian integer exactly as
  //# long as the curve's order (32, 48 or 66 octets).
  kConcatenatedRS,
};

// One AlgorithmIdentifier that may appear in method 14 Authentication Data.
struct SignatureAlgorithm {
  SignatureScheme scheme;
  std::string_view name;  // the name its RFC gives it
  std::string_view rfc;   // where its DER is printed
  ByteSpan algorithm_identifier;  // DER, compared byte for byte on receipt
  iana::HashAlgorithm hash;       // what SIGNATURE_HASH_ALGORITHMS announces
  // False for an encoding accepted on receipt but never sent (the RSASSA-PSS
  // parameters without the default trailerField, RFC 4055 §3.1 DER).
  bool sent;
};

// The table, one row per AlgorithmIdentifier; the first row of each scheme
// is the one SignAuth sends.
std::span<const SignatureAlgorithm> SignatureAlgorithms();
// The row SignAuth sends for `scheme` (never null for a declared scheme).
const SignatureAlgorithm* FindSignatureAlgorithm(SignatureScheme scheme);
// The row with this name, or null.
const SignatureAlgorithm* FindSignatureAlgorithm(std::string_view name);

// The signature primitive over `message`. `encoding` matters only for ECDSA.
// The private key is PKCS#8 DER; malformed or mismatched keys give kBadFile.
Result<Bytes> Sign(SignatureScheme scheme, ByteSpan private_key_der, ByteSpan message, Rng& rng,
                   SignatureEncoding encoding = SignatureEncoding::kDer);
// kBadSignature when the signature does not verify (including a malformed
// signature encoding); kBadFile for a public key that cannot be used.
Status Verify(SignatureScheme scheme, ByteSpan public_key_der, ByteSpan message, ByteSpan signature,
              SignatureEncoding encoding = SignatureEncoding::kDer);

// IKEv2 AUTH payload level. `signed_octets` is InitiatorSignedOctets or
// ResponderSignedOctets (RFC 7296 §2.15). Builds the Authentication Data:
//   method 1:     the RSASSA-PKCS1-v1_5 signature (scheme kRsaPkcs1Sha1);
//   methods 9-11: r || s (scheme and key curve must match the method);
//   method 14:    length, AlgorithmIdentifier, signature (RFC 7427 §3).
Result<Bytes> SignAuth(iana::AuthMethod method, SignatureScheme scheme, ByteSpan private_key_der,
                       ByteSpan signed_octets, Rng& rng);
Status VerifyAuth(iana::AuthMethod method, ByteSpan public_key_der, ByteSpan signed_octets,
                  ByteSpan authentication_data);

// Whether `method` is a signature method: RSA Digital Signature (1), the
// ECDSA methods 9-11 or Digital Signature (14).
bool IsSignatureMethod(iana::AuthMethod method);

// The Auth Method and scheme an end signs its AUTH payload with.
struct AuthSignature {
  iana::AuthMethod method;
  SignatureScheme scheme;
};
// Chooses them for an end set up to sign with `configured` and the key
// `private_key_der`. `peer_hashes` is the peer's SIGNATURE_HASH_ALGORITHMS
// list, empty when the peer sent none (this end always sends its own):
// - with a list: Digital Signature (14) with `configured` when the peer
//   listed its hash, else the scheme of the same family (same key, same
//   padding) whose hash comes first in the peer's list;
// - without: the RFC 7296 method the key allows: RSA Digital Signature (1,
//   PKCS#1 v1.5 with SHA-1) for RSASSA-PKCS1-v1_5, ECDSA 9, 10 or 11 by the
//   key's curve.
// kAuthenticationFailed, saying why, when there is none: the peer listed
// no hash of the family, or sent no list and the family (RSASSA-PSS,
// Ed25519) has no RFC 7296 method. kBadFile for an EC key that does not load.
Result<AuthSignature> ChooseAuthSignature(SignatureScheme configured, ByteSpan private_key_der,
                                          std::span<const iana::HashAlgorithm> peer_hashes);

// Method 14 Authentication Data split into its parts; `signature` points
// into the input.
struct DigitalSignatureAuth {
  const SignatureAlgorithm* algorithm;
  ByteSpan signature;
};
// Errors: kBadLength (length octet 0 or past the data), kUnknownTransform
// (AlgorithmIdentifier not in the table, named in hex), kTruncated (no
// signature octets); offsets count from the first Authentication Data octet.
Result<DigitalSignatureAuth> ParseDigitalSignatureAuth(ByteSpan authentication_data);

}  // namespace ipsecref::crypto
