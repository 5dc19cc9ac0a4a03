#include "reference/crypto/signature.h"

#include <cryptopp/eccrypto.h>
#include <cryptopp/filters.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/pssr.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <string>

#include "reference/crypto/der.h"

namespace ipsecref::crypto {
namespace {

using iana::AuthMethod;
using iana::HashAlgorithm;
using Scheme = SignatureScheme;

// ---------------------------------------------------------------------------
// AlgorithmIdentifier DER, as printed in the RFCs.

// RFC 7427 Appendix A.1 (PKCS#1 1.5 RSA): OID 1.2.840.113549.1.1.{5,11,12,13}
// with NULL parameters.
constexpr uint8_t kSha1WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                    0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
constexpr uint8_t kSha256WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
constexpr uint8_t kSha384WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
constexpr uint8_t kSha512WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};

// RFC 7427 Appendix A.3 (ECDSA): OID 1.2.840.10045.4.3.{2,3,4}, parameters
// absent.
constexpr uint8_t kEcdsaWithSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                        0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr uint8_t kEcdsaWithSha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                        0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr uint8_t kEcdsaWithSha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                        0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};

// RFC 7427 Appendix A.4.3 (RSASSA-PSS with SHA-256): id-RSASSA-PSS with
// hashAlgorithm sha256, maskGenAlgorithm mgf1(sha256), saltLength 32 and an
// explicit trailerField 1.
constexpr uint8_t kRsaPssSha256[] = {
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20, 0xa3, 0x03, 0x02, 0x01, 0x01};
// RFC 7427 prints no SHA-384/512 variant. These keep A.4.3's layout with the
// hash OIDs id-sha384 / id-sha512 (2.16.840.1.101.3.4.2.2 / .3, RFC 4055
// §2.1) in both places and saltLength 48 / 64; every length octet is
// unchanged because the OIDs have the same length.
constexpr uint8_t kRsaPssSha384[] = {
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30, 0xa3, 0x03, 0x02, 0x01, 0x01};
constexpr uint8_t kRsaPssSha512[] = {
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40, 0xa3, 0x03, 0x02, 0x01, 0x01};
// The same parameters in strict DER, which leaves out a component equal to
// its DEFAULT (X.690 §11.5), here trailerField 1 (RFC 4055 §3.1): the five
// octets a3 03 02 01 01 dropped, lengths 0x41 / 0x34. Accepted on receipt,
// never sent.
constexpr uint8_t kRsaPssSha256NoTrailer[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
constexpr uint8_t kRsaPssSha384NoTrailer[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30};
constexpr uint8_t kRsaPssSha512NoTrailer[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40};

// RFC 8420 Appendix A.1: id-Ed25519 (1.3.101.112), parameters absent.
constexpr uint8_t kEd25519AlgorithmId[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

const std::array<SignatureAlgorithm, 14> kAlgorithms{{
    // scheme                 name                         rfc                       DER                    hash                  sent
    {Scheme::kRsaPkcs1Sha1, "sha1WithRSAEncryption", "rfc7427#appendix-A.1", kSha1WithRsa, HashAlgorithm::kSha1, true},
    {Scheme::kRsaPkcs1Sha256, "sha256WithRSAEncryption", "rfc7427#appendix-A.1", kSha256WithRsa, HashAlgorithm::kSha2_256, true},
    {Scheme::kRsaPkcs1Sha384, "sha384WithRSAEncryption", "rfc7427#appendix-A.1", kSha384WithRsa, HashAlgorithm::kSha2_384, true},
    {Scheme::kRsaPkcs1Sha512, "sha512WithRSAEncryption", "rfc7427#appendix-A.1", kSha512WithRsa, HashAlgorithm::kSha2_512, true},
    {Scheme::kRsaPssSha256, "RSASSA-PSS with SHA-256", "rfc7427#appendix-A.4.3", kRsaPssSha256, HashAlgorithm::kSha2_256, true},
    {Scheme::kRsaPssSha384, "RSASSA-PSS with SHA-384", "rfc4055#section-3.1", kRsaPssSha384, HashAlgorithm::kSha2_384, true},
    {Scheme::kRsaPssSha512, "RSASSA-PSS with SHA-512", "rfc4055#section-3.1", kRsaPssSha512, HashAlgorithm::kSha2_512, true},
    {Scheme::kEcdsaP256Sha256, "ecdsa-with-SHA256", "rfc7427#appendix-A.3", kEcdsaWithSha256, HashAlgorithm::kSha2_256, true},
    {Scheme::kEcdsaP384Sha384, "ecdsa-with-SHA384", "rfc7427#appendix-A.3", kEcdsaWithSha384, HashAlgorithm::kSha2_384, true},
    {Scheme::kEcdsaP521Sha512, "ecdsa-with-SHA512", "rfc7427#appendix-A.3", kEcdsaWithSha512, HashAlgorithm::kSha2_512, true},
    {Scheme::kEd25519, "Ed25519", "rfc8420#appendix-A.1", kEd25519AlgorithmId, HashAlgorithm::kIdentity, true},
    {Scheme::kRsaPssSha256, "RSASSA-PSS with SHA-256 (trailerField omitted)", "rfc4055#section-3.1", kRsaPssSha256NoTrailer, HashAlgorithm::kSha2_256, false},
    {Scheme::kRsaPssSha384, "RSASSA-PSS with SHA-384 (trailerField omitted)", "rfc4055#section-3.1", kRsaPssSha384NoTrailer, HashAlgorithm::kSha2_384, false},
    {Scheme::kRsaPssSha512, "RSASSA-PSS with SHA-512 (trailerField omitted)", "rfc4055#section-3.1", kRsaPssSha512NoTrailer, HashAlgorithm::kSha2_512, false},
}};

// ---------------------------------------------------------------------------
// Curves and the fixed-algorithm AUTH methods.

struct Curve {
  std::string_view name;
  CryptoPP::OID (*oid)();
  size_t order_size;  // octets of r and of s in r || s
};

const std::array<Curve, 3> kCurves{{
    {"P-256", CryptoPP::ASN1::secp256r1, 32},
    {"P-384", CryptoPP::ASN1::secp384r1, 48},
    {"P-521", CryptoPP::ASN1::secp521r1, 66},
}};

// AUTH methods whose Authentication Data is the bare signature.
struct FixedMethod {
  AuthMethod method;
  Scheme scheme;
  const Curve* curve;  // null for RSA
  std::string_view requirement;
};

//= rfc7296#section-3.8
//# RSA Digital Signature is RSASSA-PKCS1-v1_5; SHA-1 is the hash that
//# implementations are told to use and to accept.
//= rfc4754#section-3
//# Methods 9, 10 and 11 bind P-256/SHA-256, P-384/SHA-384 and P-521/SHA-512.
const std::array<FixedMethod, 4> kFixedMethods{{
    {AuthMethod::kRsaDigitalSignature, Scheme::kRsaPkcs1Sha1, nullptr, "rfc7296#section-3.8"},
    {AuthMethod::kEcdsaSha256P256, Scheme::kEcdsaP256Sha256, &kCurves[0], "rfc4754#section-3"},
    {AuthMethod::kEcdsaSha384P384, Scheme::kEcdsaP384Sha384, &kCurves[1], "rfc4754#section-3"},
    {AuthMethod::kEcdsaSha512P521, Scheme::kEcdsaP521Sha512, &kCurves[2], "rfc4754#section-3"},
}};

const FixedMethod* FindFixedMethod(AuthMethod method) {
  for (const FixedMethod& m : kFixedMethods)
    if (m.method == method) return &m;
  return nullptr;
}

enum class Family : uint8_t { kRsaPkcs1, kRsaPss, kEcdsa, kEd25519 };

Family FamilyOf(Scheme s) {
  switch (s) {
    case Scheme::kRsaPkcs1Sha1:
    case Scheme::kRsaPkcs1Sha256:
    case Scheme::kRsaPkcs1Sha384:
    case Scheme::kRsaPkcs1Sha512: return Family::kRsaPkcs1;
    case Scheme::kRsaPssSha256:
    case Scheme::kRsaPssSha384:
    case Scheme::kRsaPssSha512: return Family::kRsaPss;
    case Scheme::kEcdsaP256Sha256:
    case Scheme::kEcdsaP384Sha384:
    case Scheme::kEcdsaP521Sha512: return Family::kEcdsa;
    case Scheme::kEd25519: break;
  }
  return Family::kEd25519;
}

// Calls f with a value of the Crypto++ hash class for `h`.
template <typename F>
auto WithHash(HashAlgorithm h, F&& f) -> decltype(f(CryptoPP::SHA256{})) {
  switch (h) {
    case HashAlgorithm::kSha1: return f(CryptoPP::SHA1{});
    case HashAlgorithm::kSha2_256: return f(CryptoPP::SHA256{});
    case HashAlgorithm::kSha2_384: return f(CryptoPP::SHA384{});
    case HashAlgorithm::kSha2_512: return f(CryptoPP::SHA512{});
    default: return {};
  }
}

// The project's injected Rng seen as a Crypto++ generator.
class RngAdapter final : public CryptoPP::RandomNumberGenerator {
 public:
  explicit RngAdapter(Rng& rng) : rng_(rng) {}
  void GenerateBlock(CryptoPP::byte* out, size_t size) override { rng_.Fill({out, size}); }

 private:
  Rng& rng_;
};

// ---------------------------------------------------------------------------
// Keys. Crypto++ throws on malformed DER; every loader turns that into an
// Error and refuses trailing octets.

template <typename Key>
Result<Key> LoadDer(ByteSpan der, std::string_view what) {
  try {
    CryptoPP::ArraySource source(der.data(), der.size(), true);
    Key key;
    key.Load(source);
    ENSURE(source.MaxRetrievable() == 0, kBadFile, der.size() - source.MaxRetrievable(), "",
           fmt::format("octets left over after the {}", what));
    return key;
  } catch (const std::exception& e) {
    return MakeError(Code::kBadFile, kNoOffset, "", fmt::format("{} does not decode: {}", what, e.what()));
  }
}

Result<CryptoPP::RSA::PublicKey> LoadRsaPublicKey(ByteSpan der) {
  TRY_ASSIGN(CryptoPP::RSA::PublicKey key,
             LoadDer<CryptoPP::RSA::PublicKey>(der, "RSA SubjectPublicKeyInfo"));
  ENSURE(key.Validate(CryptoPP::NullRNG(), 1), kBadFile, kNoOffset, "rfc8017#section-3.1",
         "RSA public key fails the modulus and exponent checks");
  return key;
}

Result<CryptoPP::RSA::PrivateKey> LoadRsaPrivateKey(ByteSpan der) {
  TRY_ASSIGN(CryptoPP::RSA::PrivateKey key,
             LoadDer<CryptoPP::RSA::PrivateKey>(der, "RSA PKCS#8 private key"));
  ENSURE(key.Validate(CryptoPP::NullRNG(), 1), kBadFile, kNoOffset, "rfc8017#section-3.2",
         "RSA private key is inconsistent");
  return key;
}

using EcGroup = CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>;

const Curve* CurveOf(const EcGroup& group) {
  static const std::array<EcGroup, 3> known{EcGroup(kCurves[0].oid()), EcGroup(kCurves[1].oid()),
                                           EcGroup(kCurves[2].oid())};
  for (size_t i = 0; i < known.size(); ++i)
    if (group == known[i]) return &kCurves[i];
  return nullptr;
}

template <typename Key>
Result<std::pair<Key, const Curve*>> LoadEcKey(ByteSpan der, std::string_view what,
                                               const Curve* required) {
  TRY_ASSIGN(Key key, LoadDer<Key>(der, what));
  const Curve* curve = CurveOf(key.GetGroupParameters());
  ENSURE(curve != nullptr, kBadFile, kNoOffset, "", fmt::format("{} is not on P-256, P-384 or P-521", what));
  ENSURE(required == nullptr || required == curve, kInvalidArgument, kNoOffset, "rfc4754#section-3",
         fmt::format("{} is on {}; the AUTH method needs {}", what, curve->name, required->name));
  return std::pair<Key, const Curve*>{std::move(key), curve};
}

//= rfc8410#section-4
//# An Ed25519 SubjectPublicKeyInfo is the algorithm id-Ed25519 without
//# parameters and a BIT STRING holding the 32-octet key: always 44 octets
//# with this fixed 12-octet prefix.
constexpr uint8_t kEd25519SpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                          0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

Result<ByteSpan> Ed25519PublicKey(ByteSpan der) {
  ENSURE(der.size() == sizeof(kEd25519SpkiPrefix) + 32 &&
             std::equal(std::begin(kEd25519SpkiPrefix), std::end(kEd25519SpkiPrefix), der.begin()),
         kBadFile, kNoOffset, "rfc8410#section-4",
         fmt::format("not an Ed25519 SubjectPublicKeyInfo: {}", ToHex(der)));
  return der.subspan(sizeof(kEd25519SpkiPrefix));
}

// ---------------------------------------------------------------------------
// The four families.

Result<Bytes> SignRsa(Family family, HashAlgorithm hash, ByteSpan key_der, ByteSpan message,
                      RngAdapter& rng) {
  TRY_ASSIGN(const CryptoPP::RSA::PrivateKey key, LoadRsaPrivateKey(key_der));
  return WithHash(hash, [&](auto h) -> Bytes {
    using H = decltype(h);
    auto sign = [&](const auto& signer) {
      Bytes out(signer.MaxSignatureLength());
      out.resize(signer.SignMessage(rng, message.data(), message.size(), out.data()));
      return out;
    };
    if (family == Family::kRsaPss) return sign(typename CryptoPP::RSASS<CryptoPP::PSS, H>::Signer(key));
    return sign(typename CryptoPP::RSASS<CryptoPP::PKCS1v15, H>::Signer(key));
  });
}

Status VerifyRsa(Family family, HashAlgorithm hash, ByteSpan key_der, ByteSpan message,
                 ByteSpan signature) {
  TRY_ASSIGN(const CryptoPP::RSA::PublicKey key, LoadRsaPublicKey(key_der));
  const CryptoPP::Integer& n = key.GetModulus();
  //= rfc8017#section-8.2.2
  //# The signature is exactly as long as the modulus (k octets).
  ENSURE(signature.size() == n.ByteCount(), kBadSignature, kNoOffset, "rfc8017#section-8.2.2",
         fmt::format("{}-octet signature for a {}-octet modulus", signature.size(), n.ByteCount()));
  //= rfc8017#section-5.2.2
  //# RSAVP1 refuses a signature representative not below the modulus.
  ENSURE(CryptoPP::Integer(signature.data(), signature.size()) < n, kBadSignature, kNoOffset,
         "rfc8017#section-5.2.2", "signature representative out of range");
  const bool ok = WithHash(hash, [&](auto h) {
    using H = decltype(h);
    if (family == Family::kRsaPss) {
      const typename CryptoPP::RSASS<CryptoPP::PSS, H>::Verifier v(key);
      return v.VerifyMessage(message.data(), message.size(), signature.data(), signature.size());
    }
    const typename CryptoPP::RSASS<CryptoPP::PKCS1v15, H>::Verifier v(key);
    return v.VerifyMessage(message.data(), message.size(), signature.data(), signature.size());
  });
  ENSURE(ok, kBadSignature, kNoOffset, family == Family::kRsaPss ? "rfc8017#section-8.1.2" : "rfc8017#section-8.2.2");
  return OkStatus();
}

Result<Bytes> SignEcdsa(HashAlgorithm hash, ByteSpan key_der, ByteSpan message, RngAdapter& rng,
                        SignatureEncoding encoding, const Curve* required) {
  using Key = CryptoPP::DL_PrivateKey_EC<CryptoPP::ECP>;
  TRY_ASSIGN(auto loaded, LoadEcKey<Key>(key_der, "EC PKCS#8 private key", required));
  ENSURE(loaded.first.Validate(rng, 1), kBadFile, kNoOffset, "", "EC private key out of range");
  Bytes rs = WithHash(hash, [&](auto h) -> Bytes {
    const typename CryptoPP::ECDSA<CryptoPP::ECP, decltype(h)>::Signer signer(loaded.first);
    Bytes out(signer.MaxSignatureLength());
    out.resize(signer.SignMessage(rng, message.data(), message.size(), out.data()));
    return out;
  });
  if (encoding == SignatureEncoding::kConcatenatedRS) return rs;
  return EcdsaSigValueFromRs(rs);
}

Status VerifyEcdsa(HashAlgorithm hash, ByteSpan key_der, ByteSpan message, ByteSpan signature,
                   SignatureEncoding encoding, const Curve* required) {
  using Key = CryptoPP::DL_PublicKey_EC<CryptoPP::ECP>;
  TRY_ASSIGN(auto loaded, LoadEcKey<Key>(key_der, "EC SubjectPublicKeyInfo", required));
  const Key& key = loaded.first;
  const size_t size = loaded.second->order_size;
  ENSURE(key.GetGroupParameters().ValidateElement(1, key.GetPublicElement(), nullptr), kBadFile,
         kNoOffset, "rfc5480#section-2.2", "EC public key is not a point of its curve");
  Bytes rs;
  if (encoding == SignatureEncoding::kDer) {
    TRY_ASSIGN(rs, RsFromEcdsaSigValue(signature, size));
  } else {
    ENSURE(signature.size() == 2 * size, kBadSignature, kNoOffset, "rfc4754#section-7",
           fmt::format("{}-octet r || s; {} needs {}", signature.size(), loaded.second->name, 2 * size));
    rs.assign(signature.begin(), signature.end());
  }
  //= rfc4754#section-7
  //# r and s are each taken as an integer modulo the order; 0 or values
  //# not below the order make the signature invalid (Crypto++ checks both).
  const bool ok = WithHash(hash, [&](auto h) {
    const typename CryptoPP::ECDSA<CryptoPP::ECP, decltype(h)>::Verifier v(key);
    return v.VerifyMessage(message.data(), message.size(), rs.data(), rs.size());
  });
  ENSURE(ok, kBadSignature, kNoOffset, encoding == SignatureEncoding::kDer ? "rfc7427#section-3" : "rfc4754#section-7");
  return OkStatus();
}

Result<Bytes> SignEd25519(ByteSpan key_der, ByteSpan message, RngAdapter& rng) {
  TRY_ASSIGN(const CryptoPP::ed25519PrivateKey key,
             LoadDer<CryptoPP::ed25519PrivateKey>(key_der, "Ed25519 PKCS#8 private key"));
  const CryptoPP::ed25519Signer signer(key);
  Bytes out(signer.SignatureLength());
  out.resize(signer.SignMessage(rng, message.data(), message.size(), out.data()));
  return out;
}

Status VerifyEd25519(ByteSpan key_der, ByteSpan message, ByteSpan signature) {
  TRY_ASSIGN(const ByteSpan public_key, Ed25519PublicKey(key_der));
  //= rfc8032#section-5.1.7
  //# A signature is 64 octets, R then S; S must be below the group order
  //# L = 2^252 + 27742317777372353535851937790883648493, else it is invalid.
  ENSURE(signature.size() == 64, kBadSignature, kNoOffset, "rfc8032#section-5.1.7",
         fmt::format("{}-octet signature; Ed25519 signatures are 64", signature.size()));
  static const CryptoPP::Integer kL =
      CryptoPP::Integer::Power2(252) + CryptoPP::Integer("27742317777372353535851937790883648493");
  const CryptoPP::Integer s(signature.data() + 32, 32, CryptoPP::Integer::UNSIGNED, CryptoPP::LITTLE_ENDIAN_ORDER);
  ENSURE(s < kL, kBadSignature, 32, "rfc8032#section-5.1.7", "S is not below the group order L");
  const CryptoPP::ed25519Verifier v(public_key.data());
  ENSURE(v.VerifyMessage(message.data(), message.size(), signature.data(), signature.size()),
         kBadSignature, kNoOffset, "rfc8032#section-5.1.7");
  return OkStatus();
}

Result<const SignatureAlgorithm*> Known(Scheme scheme) {
  const SignatureAlgorithm* algorithm = FindSignatureAlgorithm(scheme);
  ENSURE(algorithm != nullptr, kUnsupported, kNoOffset, "",
         fmt::format("signature scheme {} is not implemented", static_cast<int>(scheme)));
  return algorithm;
}

Result<Bytes> SignWith(Scheme scheme, ByteSpan key, ByteSpan message, Rng& rng,
                       SignatureEncoding encoding, const Curve* required) {
  TRY_ASSIGN(const SignatureAlgorithm* algorithm, Known(scheme));
  RngAdapter adapter(rng);
  try {
    const Family family = FamilyOf(scheme);
    switch (family) {
      case Family::kRsaPkcs1:
      case Family::kRsaPss: return SignRsa(family, algorithm->hash, key, message, adapter);
      case Family::kEcdsa: return SignEcdsa(algorithm->hash, key, message, adapter, encoding, required);
      case Family::kEd25519: return SignEd25519(key, message, adapter);
    }
  } catch (const std::exception& e) {
    // e.g. an RSA key too short for PSS with SHA-512 (RFC 8017 §9.1.1 step 3).
    return MakeError(Code::kInvalidArgument, kNoOffset, "",
                     fmt::format("{} cannot sign with this key: {}", algorithm->name, e.what()));
  }
  return MakeError(Code::kUnsupported, kNoOffset, "", "unknown signature scheme");
}

Status VerifyWith(Scheme scheme, ByteSpan key, ByteSpan message, ByteSpan signature,
                  SignatureEncoding encoding, const Curve* required) {
  TRY_ASSIGN(const SignatureAlgorithm* algorithm, Known(scheme));
  try {
    const Family family = FamilyOf(scheme);
    switch (family) {
      case Family::kRsaPkcs1:
      case Family::kRsaPss: return VerifyRsa(family, algorithm->hash, key, message, signature);
      case Family::kEcdsa: return VerifyEcdsa(algorithm->hash, key, message, signature, encoding, required);
      case Family::kEd25519: return VerifyEd25519(key, message, signature);
    }
  } catch (const std::exception& e) {
    return MakeError(Code::kBadSignature, kNoOffset, "", fmt::format("verification failed: {}", e.what()));
  }
  return MakeError(Code::kUnsupported, kNoOffset, "", "unknown signature scheme");
}

constexpr std::string_view kDigitalSignatureRule = "rfc7427#section-3";

}  // namespace

std::span<const SignatureAlgorithm> SignatureAlgorithms() { return kAlgorithms; }

const SignatureAlgorithm* FindSignatureAlgorithm(SignatureScheme scheme) {
  for (const SignatureAlgorithm& a : kAlgorithms)
    if (a.scheme == scheme && a.sent) return &a;
  return nullptr;
}

const SignatureAlgorithm* FindSignatureAlgorithm(std::string_view name) {
  for (const SignatureAlgorithm& a : kAlgorithms)
    if (a.name == name) return &a;
  return nullptr;
}

Result<Bytes> Sign(SignatureScheme scheme, ByteSpan private_key_der, ByteSpan message, Rng& rng,
                   SignatureEncoding encoding) {
  return SignWith(scheme, private_key_der, message, rng, encoding, nullptr);
}

Status Verify(SignatureScheme scheme, ByteSpan public_key_der, ByteSpan message, ByteSpan signature,
              SignatureEncoding encoding) {
  return VerifyWith(scheme, public_key_der, message, signature, encoding, nullptr);
}

//= rfc7427#section-3
//# Authentication Data for Digital Signature: one octet giving the length of
//# the AlgorithmIdentifier, the DER AlgorithmIdentifier, then the signature.
Result<DigitalSignatureAuth> ParseDigitalSignatureAuth(ByteSpan authentication_data) {
  ByteReader r(authentication_data);
  uint8_t length = 0;
  ENSURE(r.ReadU8(length), kTruncated, 0, kDigitalSignatureRule, "no ASN.1 length octet");
  ENSURE(length > 0, kBadLength, 0, kDigitalSignatureRule, "ASN.1 length is 0");
  ByteSpan der;
  ENSURE(r.ReadBytes(length, der), kBadLength, 0, kDigitalSignatureRule,
         fmt::format("ASN.1 length {} but only {} octets follow", length, r.remaining()));
  const SignatureAlgorithm* found = nullptr;
  for (const SignatureAlgorithm& a : kAlgorithms) {
    if (std::equal(a.algorithm_identifier.begin(), a.algorithm_identifier.end(), der.begin(), der.end())) {
      found = &a;
      break;
    }
  }
  ENSURE(found != nullptr, kUnknownTransform, 1, kDigitalSignatureRule,
         fmt::format("AlgorithmIdentifier {} is not one this implementation supports", ToHex(der)));
  ENSURE(!r.empty(), kTruncated, r.offset(), kDigitalSignatureRule,
         fmt::format("no signature after the {} AlgorithmIdentifier", found->name));
  return DigitalSignatureAuth{found, r.rest()};
}

Result<Bytes> SignAuth(iana::AuthMethod method, SignatureScheme scheme, ByteSpan private_key_der,
                       ByteSpan signed_octets, Rng& rng) {
  TRY_ASSIGN(const SignatureAlgorithm* algorithm, Known(scheme));
  if (const FixedMethod* fixed = FindFixedMethod(method)) {
    ENSURE(scheme == fixed->scheme, kInvalidArgument, kNoOffset, fixed->requirement,
           fmt::format("AUTH method {} signs with {} only, not {}", static_cast<int>(method),
                       FindSignatureAlgorithm(fixed->scheme)->name, algorithm->name));
    return SignWith(scheme, private_key_der, signed_octets, rng, SignatureEncoding::kConcatenatedRS,
                    fixed->curve);
  }
  ENSURE(method == AuthMethod::kDigitalSignature, kInvalidArgument, kNoOffset, "rfc7296#section-3.8",
         fmt::format("AUTH method {} ({}) is not a signature method", static_cast<int>(method), iana::Name(method)));
  TRY_ASSIGN(const Bytes signature,
             SignWith(scheme, private_key_der, signed_octets, rng, SignatureEncoding::kDer, nullptr));
  ByteWriter w(1 + algorithm->algorithm_identifier.size() + signature.size());
  w.U8(static_cast<uint8_t>(algorithm->algorithm_identifier.size()))
      .Append(algorithm->algorithm_identifier)
      .Append(signature);
  return std::move(w).Take();
}

Status VerifyAuth(iana::AuthMethod method, ByteSpan public_key_der, ByteSpan signed_octets,
                  ByteSpan authentication_data) {
  if (const FixedMethod* fixed = FindFixedMethod(method)) {
    return VerifyWith(fixed->scheme, public_key_der, signed_octets, authentication_data,
                      SignatureEncoding::kConcatenatedRS, fixed->curve);
  }
  ENSURE(method == AuthMethod::kDigitalSignature, kInvalidArgument, kNoOffset, "rfc7296#section-3.8",
         fmt::format("AUTH method {} ({}) is not a signature method", static_cast<int>(method), iana::Name(method)));
  TRY_ASSIGN(const DigitalSignatureAuth auth, ParseDigitalSignatureAuth(authentication_data));
  const size_t base = authentication_data.size() - auth.signature.size();
  auto status = VerifyWith(auth.algorithm->scheme, public_key_der, signed_octets, auth.signature,
                           SignatureEncoding::kDer, nullptr);
  if (!status) return std::move(status).error().At(base);
  return OkStatus();
}

bool IsSignatureMethod(iana::AuthMethod method) {
  return method == AuthMethod::kDigitalSignature || FindFixedMethod(method) != nullptr;
}

Result<AuthSignature> ChooseAuthSignature(SignatureScheme configured, ByteSpan private_key_der,
                                          std::span<const iana::HashAlgorithm> peer_hashes) {
  TRY_ASSIGN(const SignatureAlgorithm* algorithm, Known(configured));
  const Family family = FamilyOf(configured);
  if (!peer_hashes.empty()) {
    //= rfc7427#section-4
    //# The signer uses one of the hash algorithms the other end listed in
    //# its SIGNATURE_HASH_ALGORITHMS; each direction may use another.
    //= rfc8420#section-2
    //# Ed25519 exists with the "Identity" hash only, and is not sent to an
    //# end whose list lacks Identity.
    if (std::find(peer_hashes.begin(), peer_hashes.end(), algorithm->hash) != peer_hashes.end())
      return AuthSignature{AuthMethod::kDigitalSignature, configured};
    //= ipsecref#choice
    //# When the peer did not list the configured scheme's hash, the same
    //# key signs with the scheme of its family whose hash the peer listed
    //# first: the peer's order is its preference.
    for (HashAlgorithm h : peer_hashes)
      for (const SignatureAlgorithm& a : kAlgorithms)
        if (a.sent && a.hash == h && FamilyOf(a.scheme) == family)
          return AuthSignature{AuthMethod::kDigitalSignature, a.scheme};
    std::string listed;
    for (HashAlgorithm h : peer_hashes) listed += fmt::format("{}{}", listed.empty() ? "" : ", ", static_cast<unsigned>(h));
    return MakeError(Code::kAuthenticationFailed, kNoOffset, "rfc7427#section-4",
                     fmt::format("the peer's SIGNATURE_HASH_ALGORITHMS ({}) lists no hash {} can sign with", listed,
                                 algorithm->name));
  }
  //= rfc7427#section-3
  //# Digital Signature (14) is allowed only when each end sent and received
  //# SIGNATURE_HASH_ALGORITHMS; otherwise an end signs with an RFC 7296
  //# method, the one its key allows (RSA Digital Signature with SHA-1, or
  //# the ECDSA method of its curve, RFC 4754).
  const Curve* curve = nullptr;
  if (family == Family::kEcdsa) {
    TRY_ASSIGN(auto loaded, LoadEcKey<CryptoPP::DL_PrivateKey_EC<CryptoPP::ECP>>(private_key_der,
                                                                                "EC PKCS#8 private key", nullptr));
    curve = loaded.second;
  }
  for (const FixedMethod& m : kFixedMethods)
    if (FamilyOf(m.scheme) == family && m.curve == curve) return AuthSignature{m.method, m.scheme};
  return MakeError(Code::kAuthenticationFailed, kNoOffset, "rfc7427#section-3",
                   fmt::format("the peer sent no SIGNATURE_HASH_ALGORITHMS, so Digital Signature (14) is not "
                               "allowed, and {} has no RFC 7296 Auth Method",
                               algorithm->name));
}

}  // namespace ipsecref::crypto
