// Proposal configuration and selection (proposals.h).
//
// Known answers for the keywords come from strongSwan:
//  - src/libstrongswan/crypto/proposal/proposal_keywords_static.txt: which
//    transform each keyword names (aes128 = ENCR_AES_CBC with a 128-bit key,
//    aes128gcm16 = aes128gcm128 = aes128gcm = ENCR_AES_GCM_ICV16 with 128
//    bits, aes128ccm8 = aes128ccm64, sha = sha1 = AUTH_HMAC_SHA1_96,
//    sha2_256 = sha256 = AUTH_HMAC_SHA2_256_128, prfsha256 =
//    PRF_HMAC_SHA2_256, x25519 = curve25519 = CURVE_25519, esn / noesn, ...);
//  - src/libstrongswan/crypto/proposal/proposal.c, check_proposal(): an IKE
//    proposal without a PRF gets the PRF of each integrity algorithm
//    (integ_prf_map: AUTH_AES_XCBC_96 -> PRF_AES128_XCBC, ...); an ESP or AH
//    proposal without an ESN keyword gets NO_EXT_SEQ_NUMBERS;
//  - docs.strongswan.org/docs/latest/config/proposals.html: the order of
//    algorithms of different kinds does not matter
//    (aes256gcm16-aes192gcm16-prfsha384-prfsha256-ecp384-modp3072 is the same
//    proposal as aes256gcm16-prfsha384-ecp384-aes192gcm16-prfsha256-modp3072),
//    within a kind it is the preference; AEAD and classic algorithms go in
//    separate proposals.
// Selection cases use the SA payload example of RFC 7296 §3.3.
#include "reference/ike/sa/proposals.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>

#include "reference/crypto/ke.h"
#include "reference/crypto/prf.h"
#include "reference/crypto/transforms.h"
#include "reference/testing/ike_generators.h"

namespace ipsecref::ike::sa {
namespace {

using TT = iana::TransformType;
using SP = iana::SecurityProtocol;
using iana::Encr;
using iana::EsnType;
using iana::Integ;
using iana::KeGroup;
using iana::Prf;

template <typename E>
Transform T(TT type, E id, std::optional<uint16_t> key_bits = std::nullopt) {
  Transform t{type, static_cast<uint16_t>(id), {}};
  if (key_bits) t.attributes.push_back({static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), *key_bits});
  return t;
}
Transform E(Encr id, std::optional<uint16_t> bits = std::nullopt) { return T(TT::kEncr, id, bits); }
Transform P(Prf id) { return T(TT::kPrf, id); }
Transform I(Integ id) { return T(TT::kInteg, id); }
Transform K(KeGroup id) { return T(TT::kKe, id); }
Transform N(EsnType id) { return T(TT::kEsn, id); }

Proposal Make(uint8_t num, SP protocol, std::vector<Transform> transforms, Bytes spi = {}) {
  return Proposal{num, protocol, std::move(spi), std::move(transforms)};
}

std::vector<Proposal> Parse(std::string_view text, SP protocol) {
  auto r = ParseProposals(text, protocol);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : std::vector<Proposal>{};
}

::testing::AssertionResult IsError(const Error& e, Code code, size_t offset, std::string_view requirement,
                                   std::string_view detail_part) {
  if (e.code == code && e.offset == offset && e.requirement == requirement &&
      e.detail.find(detail_part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got: " << e.ToString() << " [offset " << e.offset << "]; wanted "
                                       << Describe(code).name << " at offset " << offset << " (" << requirement
                                       << ") with \"" << detail_part << "\"";
}

::testing::AssertionResult ParseFails(std::string_view text, SP protocol, Code code, size_t offset,
                                      std::string_view requirement, std::string_view detail_part) {
  auto r = ParseProposals(text, protocol);
  if (r.ok()) return ::testing::AssertionFailure() << "parsed: " << ProposalKeywords(*r);
  return IsError(r.error(), code, offset, requirement, detail_part);
}

// --- keywords: strongSwan's known answers ------------------------------------

TEST(ParseProposals, IkeAeadWithExplicitPrf) {
  EXPECT_EQ(Parse("aes128gcm16-prfsha256-x25519", SP::kIke),
            (std::vector<Proposal>{
                Make(1, SP::kIke, {E(Encr::kAesGcm16, 128), P(Prf::kHmacSha2_256), K(KeGroup::kCurve25519)})}));
}

TEST(ParseProposals, IkeIntegrityKeywordAlsoNamesThePrf) {
  // proposal.c: no PRF keyword, so sha256 adds PRF_HMAC_SHA2_256 too.
  EXPECT_EQ(Parse("aes256-sha256-modp2048", SP::kIke),
            (std::vector<Proposal>{Make(
                1, SP::kIke,
                {E(Encr::kAesCbc, 256), P(Prf::kHmacSha2_256), I(Integ::kHmacSha2_256_128), K(KeGroup::kModp2048)})}));
  EXPECT_EQ(Parse("aes128-aesxcbc-aescmac-sha1-ecp256", SP::kIke),
            (std::vector<Proposal>{
                Make(1, SP::kIke,
                     {E(Encr::kAesCbc, 128), P(Prf::kAes128Xcbc), P(Prf::kAes128Cmac), P(Prf::kHmacSha1),
                      I(Integ::kAesXcbc96), I(Integ::kAesCmac96), I(Integ::kHmacSha1_96), K(KeGroup::kEcp256)})}));
}

TEST(ParseProposals, IkeExplicitPrfStopsTheDerivation) {
  EXPECT_EQ(Parse("aes128-sha256-prfsha384-ecp256", SP::kIke),
            (std::vector<Proposal>{Make(
                1, SP::kIke,
                {E(Encr::kAesCbc, 128), P(Prf::kHmacSha2_384), I(Integ::kHmacSha2_256_128), K(KeGroup::kEcp256)})}));
}

TEST(ParseProposals, TwoProposalsNumberedInOrder) {
  EXPECT_EQ(Parse("aes128-sha256-ecp256,aes256gcm16-prfsha384-ecp384", SP::kIke),
            (std::vector<Proposal>{
                Make(1, SP::kIke,
                     {E(Encr::kAesCbc, 128), P(Prf::kHmacSha2_256), I(Integ::kHmacSha2_256_128), K(KeGroup::kEcp256)}),
                Make(2, SP::kIke, {E(Encr::kAesGcm16, 256), P(Prf::kHmacSha2_384), K(KeGroup::kEcp384)})}));
}

TEST(ParseProposals, KindsInAnyOrderPreferenceWithinAKind) {
  // docs.strongswan.org proposals.html: the same proposal, written twice.
  const auto a = Parse("aes256gcm16-aes192gcm16-prfsha384-prfsha256-ecp384-modp3072", SP::kIke);
  const auto b = Parse("aes256gcm16-prfsha384-ecp384-aes192gcm16-prfsha256-modp3072", SP::kIke);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, (std::vector<Proposal>{Make(1, SP::kIke,
                                           {E(Encr::kAesGcm16, 256), E(Encr::kAesGcm16, 192), P(Prf::kHmacSha2_384),
                                            P(Prf::kHmacSha2_256), K(KeGroup::kEcp384), K(KeGroup::kModp3072)})}));
}

TEST(ParseProposals, EspProposals) {
  EXPECT_EQ(
      Parse("aes128gcm16-x25519-esn", SP::kEsp),
      (std::vector<Proposal>{Make(1, SP::kEsp, {E(Encr::kAesGcm16, 128), K(KeGroup::kCurve25519), N(EsnType::kEsn)})}));
  EXPECT_EQ(Parse("aes256-sha512-noesn", SP::kEsp),
            (std::vector<Proposal>{
                Make(1, SP::kEsp, {E(Encr::kAesCbc, 256), I(Integ::kHmacSha2_512_256), N(EsnType::kNoEsn)})}));
  // No ESN keyword: noesn. ChaCha20-Poly1305 has one key length, so no
  // Key Length attribute (RFC 7634 §2, RFC 7296 §3.3.5).
  EXPECT_EQ(Parse("chacha20poly1305", SP::kEsp),
            (std::vector<Proposal>{Make(1, SP::kEsp, {E(Encr::kChaCha20Poly1305), N(EsnType::kNoEsn)})}));
  EXPECT_EQ(Parse("aes256gcm16-aes128gcm16", SP::kEsp),
            (std::vector<Proposal>{
                Make(1, SP::kEsp, {E(Encr::kAesGcm16, 256), E(Encr::kAesGcm16, 128), N(EsnType::kNoEsn)})}));
  // Both ESN keywords: either mode, in the order written.
  EXPECT_EQ(Parse("3des-sha1-esn-noesn", SP::kEsp),
            (std::vector<Proposal>{
                Make(1, SP::kEsp, {E(Encr::k3Des), I(Integ::kHmacSha1_96), N(EsnType::kEsn), N(EsnType::kNoEsn)})}));
  EXPECT_EQ(
      Parse("null-sha256", SP::kEsp),
      (std::vector<Proposal>{Make(1, SP::kEsp, {E(Encr::kNull), I(Integ::kHmacSha2_256_128), N(EsnType::kNoEsn)})}));
  EXPECT_EQ(
      Parse("aes192gmac-none-ecp521", SP::kEsp),
      (std::vector<Proposal>{Make(
          1, SP::kEsp, {E(Encr::kNullAuthAesGmac, 192), K(KeGroup::kNone), K(KeGroup::kEcp521), N(EsnType::kNoEsn)})}));
}

TEST(ParseProposals, AhProposals) {
  EXPECT_EQ(Parse("sha256-ecp256", SP::kAh),
            (std::vector<Proposal>{
                Make(1, SP::kAh, {I(Integ::kHmacSha2_256_128), K(KeGroup::kEcp256), N(EsnType::kNoEsn)})}));
}

TEST(ParseProposals, StrongSwanAliases) {
  const std::pair<std::string_view, std::string_view> same[] = {
      {"aes-sha1-modp2048", "aes128-sha-modp2048"},
      {"aes128gcm-prfsha256-curve25519", "aes128gcm16-prfsha256-x25519"},
      {"aes128gcm128-prfsha256-x25519", "aes128gcm16-prfsha256-x25519"},
      {"aes192ccm64-prfsha256-x25519", "aes192ccm8-prfsha256-x25519"},
      {"aes256ccm96-prfsha256-x25519", "aes256ccm12-prfsha256-x25519"},
      {"aes256ccm-prfsha256-x25519", "aes256ccm16-prfsha256-x25519"},
      {"aes128gcm96-prfsha256-x25519", "aes128gcm12-prfsha256-x25519"},
      {"aes128gcm64-prfsha256-x25519", "aes128gcm8-prfsha256-x25519"},
      {"aes128-sha2_256-sha2_384-sha2_512-modp2048", "aes128-sha256-sha384-sha512-modp2048"},
  };
  for (const auto& [a, b] : same) EXPECT_EQ(Parse(a, SP::kIke), Parse(b, SP::kIke)) << a << " vs " << b;
  EXPECT_EQ(Parse("aes192ccm12-prfsha512-ecp384", SP::kIke),
            (std::vector<Proposal>{
                Make(1, SP::kIke, {E(Encr::kAesCcm12, 192), P(Prf::kHmacSha2_512), K(KeGroup::kEcp384)})}));
}

TEST(ParseProposals, IanaNumbers) {
  EXPECT_EQ(Parse("encr20.128-prf5-ke31", SP::kIke), Parse("aes128gcm16-prfsha256-x25519", SP::kIke));
  EXPECT_EQ(Parse("encr12.256-integ12-prf5-ke14", SP::kIke), Parse("aes256-sha256-modp2048", SP::kIke));
  EXPECT_EQ(Parse("encr3-integ2-ke19-esn1", SP::kEsp), Parse("3des-sha1-ecp256-esn", SP::kEsp));
  EXPECT_EQ(Parse("encr28-esn0", SP::kEsp), Parse("chacha20poly1305-noesn", SP::kEsp));
  EXPECT_EQ(Parse("encr11-integ14-ke0", SP::kEsp), Parse("null-sha512-none", SP::kEsp));
  // A fixed-length cipher named with its length keeps a Key Length
  // attribute (what strongSwan's chacha20poly1305compat sends).
  EXPECT_EQ(Parse("encr28.256", SP::kEsp),
            (std::vector<Proposal>{Make(1, SP::kEsp, {E(Encr::kChaCha20Poly1305, 256), N(EsnType::kNoEsn)})}));
}

TEST(ParseProposals, BlanksAroundProposals) {
  EXPECT_EQ(Parse(" aes128-sha256-modp2048 ,\taes256gcm16-prfsha384-ecp384 ", SP::kIke),
            Parse("aes128-sha256-modp2048,aes256gcm16-prfsha384-ecp384", SP::kIke));
}

TEST(ParseProposals, RfcSection33Example) {
  //= rfc7296#section-3.3
  //# The example SA payload: ESP proposal 1 with AES-CBC 128/192/256,
  //# HMAC-SHA1-96 or AES-XCBC-96, ESN or not; proposal 2 with AES-GCM-8
  //# 128/256, ESN or not.
  EXPECT_EQ(
      Parse("aes128-aes192-aes256-sha1-aesxcbc-esn-noesn,aes128gcm8-aes256gcm8-esn-noesn", SP::kEsp),
      (std::vector<Proposal>{
          Make(1, SP::kEsp,
               {E(Encr::kAesCbc, 128), E(Encr::kAesCbc, 192), E(Encr::kAesCbc, 256), I(Integ::kHmacSha1_96),
                I(Integ::kAesXcbc96), N(EsnType::kEsn), N(EsnType::kNoEsn)}),
          Make(2, SP::kEsp, {E(Encr::kAesGcm8, 128), E(Encr::kAesGcm8, 256), N(EsnType::kEsn), N(EsnType::kNoEsn)})}));
}

// Whether `word` is the number syntax of `prefix` (encr12.128, prf5, ...).
bool IsNumberSyntax(std::string_view word, std::string_view prefix) {
  return word.starts_with(prefix) && word.size() > prefix.size() && word[prefix.size()] >= '0' &&
         word[prefix.size()] <= '9';
}

TEST(ParseProposals, EveryImplementedTransformHasAKeyword) {
  // Each registry entry is written as a strongSwan keyword, not a number.
  for (const crypto::EncrTransform& e : crypto::EncrTransforms())
    for (uint16_t bits : e.key_bits) {
      if (bits == 0 && e.key_bits[0] != 0) continue;
      const std::string word = ProposalKeywords(
          Make(1, SP::kEsp, {E(e.id, e.fixed_key_bits() == 0 && bits != 0 ? std::optional(bits) : std::nullopt)}));
      EXPECT_FALSE(IsNumberSyntax(word, "encr")) << word;
    }
  for (const crypto::IntegTransform& i : crypto::IntegTransforms())
    EXPECT_FALSE(IsNumberSyntax(ProposalKeywords(Make(1, SP::kEsp, {I(i.id)})), "integ")) << i.name();
  for (const crypto::PrfTransform& f : crypto::PrfTransforms())
    EXPECT_FALSE(IsNumberSyntax(ProposalKeywords(Make(1, SP::kIke, {P(f.id)})), "prf")) << f.name();
  for (const crypto::KeGroupInfo& g : crypto::KeGroups())
    EXPECT_FALSE(IsNumberSyntax(ProposalKeywords(Make(1, SP::kIke, {K(g.id)})), "ke")) << g.name();
}

// --- keywords: every error --------------------------------------------------------

TEST(ParseProposalsErrors, UnknownKeyword) {
  EXPECT_TRUE(ParseFails("aes128-sha257-modp2048", SP::kIke, Code::kInvalidArgument, 7, "ipsecref#choice",
                         "keyword 'sha257' at offset 7: unknown keyword"));
  EXPECT_TRUE(ParseFails("AES128-sha256-modp2048", SP::kIke, Code::kInvalidArgument, 0, "ipsecref#choice",
                         "'AES128' at offset 0: unknown keyword"));
  EXPECT_TRUE(ParseFails("aes128-sha256-modp2048,encr012.128-sha1-ecp256", SP::kIke, Code::kInvalidArgument, 23,
                         "ipsecref#choice", "'encr012.128' at offset 23: unknown keyword"));
  EXPECT_TRUE(ParseFails("aes128-sha256- modp2048", SP::kIke, Code::kInvalidArgument, 14, "ipsecref#choice",
                         "' modp2048' at offset 14: unknown keyword"));
  EXPECT_TRUE(
      ParseFails("aes128-prf99999-ecp256", SP::kIke, Code::kInvalidArgument, 7, "ipsecref#choice", "unknown keyword"));
}

TEST(ParseProposalsErrors, KeywordsInMessagesAreEscaped) {
  EXPECT_TRUE(ParseFails(std::string_view("aes128-s\x01\xff'\\", 12), SP::kEsp, Code::kInvalidArgument, 7,
                         "ipsecref#choice", "keyword 's\\x01\\xff\\x27\\x5c' at offset 7: unknown keyword"));
}

TEST(ParseProposalsErrors, WrongProtocol) {
  EXPECT_TRUE(ParseFails("aes128-sha256-modp2048-esn", SP::kIke, Code::kInvalidArgument, 23, "rfc7296#section-3.3.3",
                         "'esn' at offset 23: IKE proposals have no"));
  EXPECT_TRUE(ParseFails("aes128-sha256-prfsha256", SP::kEsp, Code::kInvalidArgument, 14, "rfc7296#section-3.3.3",
                         "'prfsha256' at offset 14: ESP proposals have no"));
  EXPECT_TRUE(ParseFails("sha256-aes128", SP::kAh, Code::kInvalidArgument, 7, "rfc7296#section-3.3.3",
                         "'aes128' at offset 7: AH proposals have no"));
  EXPECT_TRUE(ParseFails("null-sha256-modp2048", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-1.2",
                         "'null' at offset 0: an IKE SA needs confidentiality"));
  EXPECT_TRUE(ParseFails("aes128gmac-prfsha256-modp2048", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-1.2",
                         "needs confidentiality"));
  EXPECT_TRUE(ParseFails("aes128-sha256-none", SP::kIke, Code::kInvalidArgument, 14, "rfc7296#section-1.2",
                         "'none' at offset 14: an IKE SA always runs a key exchange"));
  auto other = ParseProposals("aes128", SP::kFcEspHeader);
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(IsError(other.error(), Code::kInvalidArgument, kNoOffset, "rfc7296#section-3.3.3",
                      "cannot be configured (only IKE, ESP and AH)"));
}

TEST(ParseProposalsErrors, NotImplemented) {
  EXPECT_TRUE(ParseFails("aes128-md5-modp2048", SP::kIke, Code::kUnsupported, 7, "ipsecref#choice",
                         "'md5' at offset 7: AUTH_HMAC_MD5_96 is not implemented by the reference"));
  EXPECT_TRUE(ParseFails("aes128-sha256-modp1024", SP::kIke, Code::kUnsupported, 14, "ipsecref#choice",
                         "MODP_1024 is not implemented"));
  EXPECT_TRUE(ParseFails("aes128-sha256-x448", SP::kIke, Code::kUnsupported, 14, "ipsecref#choice",
                         "CURVE448 is not implemented"));
  EXPECT_TRUE(ParseFails("encr23.128-sha256-ecp256", SP::kIke, Code::kUnsupported, 0, "ipsecref#choice",
                         "ENCR 23 (ENCR_CAMELLIA_CBC) is not implemented"));
  EXPECT_TRUE(ParseFails("encr999-sha256-ecp256", SP::kIke, Code::kUnsupported, 0, "ipsecref#choice",
                         "ENCR 999 (not registered) is not implemented"));
  EXPECT_TRUE(
      ParseFails("aes128-sha256-esn2", SP::kEsp, Code::kUnsupported, 14, "ipsecref#choice", "is not implemented"));
}

TEST(ParseProposalsErrors, KeyLengths) {
  EXPECT_TRUE(ParseFails("encr12-sha256-ecp256", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-3.3.5",
                         "ENCR_AES_CBC takes a key length (128, 192, 256): write encr12.<bits>"));
  EXPECT_TRUE(ParseFails("encr12.100-sha256-ecp256", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-3.3.5",
                         "takes no key length 100 (allowed: 128, 192, 256)"));
  EXPECT_TRUE(ParseFails("encr3.128-sha1", SP::kEsp, Code::kInvalidArgument, 0, "rfc7296#section-3.3.5",
                         "ENCR_3DES takes no key length 128 (allowed: 192)"));
  EXPECT_TRUE(
      ParseFails("encr11.128-sha1", SP::kEsp, Code::kInvalidArgument, 0, "rfc7296#section-3.3.5", "(allowed: none)"));
  EXPECT_TRUE(
      ParseFails("encr12.-sha1", SP::kEsp, Code::kInvalidArgument, 0, "rfc7296#section-3.3.5", "takes no key length "));
}

TEST(ParseProposalsErrors, MissingTransforms) {
  EXPECT_TRUE(ParseFails("sha256-modp2048", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-3.3.3",
                         "proposal 1 at offset 0: no encryption keyword (IKE proposals need ENCR)"));
  EXPECT_TRUE(ParseFails("aes128-sha1,sha256", SP::kEsp, Code::kInvalidArgument, 12, "rfc7296#section-3.3.3",
                         "proposal 2 at offset 12: no encryption keyword (ESP proposals need ENCR)"));
  EXPECT_TRUE(ParseFails("aes128-prfsha256-modp2048", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-3.3.3",
                         "no integrity keyword, and 'aes128' at offset 0 is not an AEAD cipher"));
  EXPECT_TRUE(
      ParseFails("aes128gcm16-modp2048", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-3.3.3", "no PRF"));
  EXPECT_TRUE(ParseFails("aes128-sha256", SP::kIke, Code::kInvalidArgument, 0, "rfc7296#section-3.3.3",
                         "no key exchange keyword"));
  EXPECT_TRUE(ParseFails("ecp256-esn", SP::kAh, Code::kInvalidArgument, 0, "rfc7296#section-3.3.3",
                         "no integrity keyword (AH proposals need INTEG)"));
  EXPECT_TRUE(ParseFails("null", SP::kEsp, Code::kInvalidArgument, 0, "rfc4303#section-3.2",
                         "NULL encryption without an integrity algorithm"));
  // The responder may pick NULL of the two: it needs integrity too.
  EXPECT_TRUE(ParseFails("aes128-null-ecp256", SP::kEsp, Code::kInvalidArgument, 7, "rfc4303#section-3.2",
                         "keyword 'null' at offset 7: NULL encryption without an integrity algorithm"));
}

TEST(ParseProposalsErrors, AeadRules) {
  EXPECT_TRUE(ParseFails("aes128gcm16-sha256-modp2048", SP::kIke, Code::kInvalidArgument, 12, "rfc7296#section-3.3",
                         "'sha256' at offset 12: 'aes128gcm16' at offset 0 is an AEAD cipher, which takes no "
                         "integrity algorithm (name the PRF with a prf keyword, e.g. prfsha256)"));
  EXPECT_TRUE(ParseFails("aes128gcm16-sha256", SP::kEsp, Code::kInvalidArgument, 12, "rfc7296#section-3.3",
                         "takes no integrity algorithm"));
  EXPECT_TRUE(ParseFails("aes128-aes128gcm16-sha256", SP::kEsp, Code::kInvalidArgument, 7, "rfc7296#section-2.7",
                         "'aes128gcm16' at offset 7: AEAD cipher in the same proposal as 'aes128' at offset 0"));
  EXPECT_TRUE(ParseFails("aes192gmac-aes128ctr-aesxcbc", SP::kEsp, Code::kInvalidArgument, 0, "rfc7296#section-2.7",
                         "two proposals"));
}

TEST(ParseProposalsErrors, SameTransformTwice) {
  EXPECT_TRUE(ParseFails("aes128-sha256-aes128-modp2048", SP::kIke, Code::kInvalidArgument, 14, "ipsecref#choice",
                         "'aes128' at offset 14: names the same transform as 'aes128' at offset 0"));
  EXPECT_TRUE(ParseFails("aes-sha1-aes128", SP::kEsp, Code::kInvalidArgument, 9, "ipsecref#choice",
                         "same transform as 'aes' at offset 0"));
  EXPECT_TRUE(ParseFails("aes128-sha1-esn-esn1", SP::kEsp, Code::kInvalidArgument, 16, "ipsecref#choice",
                         "same transform as 'esn'"));
}

TEST(ParseProposalsErrors, EmptyPieces) {
  EXPECT_TRUE(
      ParseFails("", SP::kIke, Code::kInvalidArgument, 0, "ipsecref#choice", "proposal 1 at offset 0 is empty"));
  EXPECT_TRUE(ParseFails("  ", SP::kIke, Code::kInvalidArgument, 2, "ipsecref#choice", "is empty"));
  EXPECT_TRUE(ParseFails("aes128-sha256-modp2048,", SP::kIke, Code::kInvalidArgument, 23, "ipsecref#choice",
                         "proposal 2 at offset 23 is empty"));
  EXPECT_TRUE(ParseFails("aes128-sha256-modp2048, ,aes128-sha1-ecp256", SP::kIke, Code::kInvalidArgument, 24,
                         "ipsecref#choice", "proposal 2 at offset 24 is empty"));
  EXPECT_TRUE(ParseFails("aes128--sha256-modp2048", SP::kIke, Code::kInvalidArgument, 7, "ipsecref#choice",
                         "empty keyword at offset 7 in proposal 1"));
  EXPECT_TRUE(ParseFails("aes128-sha256-modp2048-", SP::kIke, Code::kInvalidArgument, 23, "ipsecref#choice",
                         "empty keyword at offset 23"));
  EXPECT_TRUE(
      ParseFails("-aes128-sha1", SP::kEsp, Code::kInvalidArgument, 0, "ipsecref#choice", "empty keyword at offset 0"));
}

TEST(ParseProposalsErrors, Limits) {
  std::string text;
  for (size_t i = 0; i < kMaxProposals; ++i) text += (i == 0 ? "" : ",") + std::string("3des");
  auto most = ParseProposals(text, SP::kEsp);
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(most->size(), kMaxProposals);
  EXPECT_EQ(most->back().proposal_num, 255);
  text += ",3des";
  EXPECT_TRUE(ParseFails(text, SP::kEsp, Code::kLengthOverflow, 255 * 5, "rfc7296#section-3.3.1",
                         "proposal 256 at offset 1275: at most 255 proposals"));
  const std::string longest = "aes128-sha1" + std::string(kMaxProposalText - 11, ' ');
  EXPECT_TRUE(ParseProposals(longest, SP::kEsp).ok());
  EXPECT_TRUE(ParseFails(longest + " ", SP::kEsp, Code::kLengthOverflow, kMaxProposalText, "ipsecref#choice",
                         "proposal text of 4097 bytes; at most 4096"));
}

// --- writing ----------------------------------------------------------------------

TEST(ProposalKeywords, WritesStrongSwanKeywords) {
  EXPECT_EQ(ProposalKeywords(Parse("aes256-sha256-modp2048", SP::kIke)), "aes256-prfsha256-sha256-modp2048");
  EXPECT_EQ(ProposalKeywords(Parse("aes128gcm-prfsha256-curve25519,aes-sha1-ecp256", SP::kIke)),
            "aes128gcm16-prfsha256-x25519,aes128-prfsha1-sha1-ecp256");
  EXPECT_EQ(ProposalKeywords(Parse("chacha20poly1305", SP::kEsp)), "chacha20poly1305-noesn");
  EXPECT_EQ(ProposalKeywords(Parse("null-sha512-modpnone-ecp384-esn", SP::kEsp)), "null-sha512-none-ecp384-esn");
}

TEST(ProposalKeywords, NumbersWhereNoKeywordFits) {
  EXPECT_EQ(ProposalKeywords(Make(1, SP::kEsp, {E(Encr::kAesCbc, 64), E(Encr::kAesCbc)})), "encr12.64-encr12");
  EXPECT_EQ(ProposalKeywords(Make(1, SP::kEsp, {E(Encr::kChaCha20Poly1305, 256), E(Encr::kCamelliaCbc, 128)})),
            "encr28.256-encr23.128");
  EXPECT_EQ(ProposalKeywords(Make(
                1, SP::kIke,
                {P(Prf::kHmacTiger), I(Integ::kAes128Gmac), K(KeGroup::kMlKem768), N(EsnType::kUnspecified32Bit)})),
            "prf3-integ9-ke36-esn2");
  Transform odd = E(Encr::kAesCbc, 128);
  odd.attributes.push_back({18, Bytes{1, 2}});
  EXPECT_EQ(ProposalKeywords(Make(1, SP::kEsp, {odd, T(TT::kAke1, KeGroup::kMlKem768)})), "aes128+attr18-type6.36");
  EXPECT_EQ(ProposalKeywords(Make(1, SP::kEsp, {})), "");
  // Written numbers read back as the same transforms.
  EXPECT_EQ(Parse("encr28.256", SP::kEsp).front().transforms.front(), E(Encr::kChaCha20Poly1305, 256));
}

// --- the round trip over the registries ---------------------------------------------

// 1..max distinct picks of `from`, in random order.
template <typename V>
std::vector<V> Distinct(const std::vector<V>& from, size_t min, size_t max) {
  std::vector<V> shuffled = *rc::gen::container<std::vector<V>>(from.size(), rc::gen::elementOf(from));
  std::vector<V> out;
  for (const V& v : shuffled)
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  const size_t n = *rc::gen::inRange<size_t>(std::min(min, out.size()), std::min(max, out.size()) + 1);
  out.resize(n);
  return out;
}

std::vector<Transform> EncrChoices(SP protocol, bool aead) {
  std::vector<Transform> out;
  for (const crypto::EncrTransform& e : crypto::EncrTransforms()) {
    if (e.aead != aead || (protocol == SP::kIke && !e.confidentiality)) continue;
    if (e.fixed_key_bits() != 0 || e.key_bits[0] == 0) out.push_back(E(e.id));
    if (e.fixed_key_bits() == 0)
      for (uint16_t bits : e.key_bits)
        if (bits != 0) out.push_back(E(e.id, bits));
  }
  return out;
}

// A proposal of transforms the registries implement, as ParseProposals
// returns them: types in ascending order, each transform once.
rc::Gen<Proposal> GenConfiguredProposal(SP protocol) {
  return rc::gen::exec([protocol] {
    std::vector<Transform> integs, prfs, kes;
    for (const crypto::IntegTransform& i : crypto::IntegTransforms()) integs.push_back(I(i.id));
    for (const crypto::PrfTransform& f : crypto::PrfTransforms()) prfs.push_back(P(f.id));
    for (const crypto::KeGroupInfo& g : crypto::KeGroups()) kes.push_back(K(g.id));
    if (protocol != SP::kIke) kes.push_back(K(KeGroup::kNone));
    const std::vector<Transform> esns = {N(EsnType::kNoEsn), N(EsnType::kEsn)};
    const bool aead = protocol != SP::kAh && *rc::gen::arbitrary<bool>();
    std::vector<Transform> encrs =
        protocol == SP::kAh ? std::vector<Transform>{} : Distinct(EncrChoices(protocol, aead), 1, 4);
    const bool null = std::find(encrs.begin(), encrs.end(), E(Encr::kNull)) != encrs.end();
    const size_t min_integ = protocol == SP::kEsp && !null ? 0 : 1;
    std::vector<Transform> chosen_integs = aead ? std::vector<Transform>{} : Distinct(integs, min_integ, 3);
    Proposal p = Make(1, protocol, {});
    const auto add = [&](const std::vector<Transform>& ts) {
      p.transforms.insert(p.transforms.end(), ts.begin(), ts.end());
    };
    add(encrs);
    if (protocol == SP::kIke) add(Distinct(prfs, 1, 3));
    add(chosen_integs);
    add(Distinct(kes, protocol == SP::kIke ? 1 : 0, 3));
    if (protocol != SP::kIke) add(Distinct(esns, 1, 2));
    return p;
  });
}

rc::Gen<SP> GenProtocol() { return rc::gen::element(SP::kIke, SP::kEsp, SP::kAh); }

RC_GTEST_PROP(ProposalProperties, KeywordsReadBackAsTheSameProposal, ()) {
  const SP protocol = *GenProtocol();
  const Proposal p = *GenConfiguredProposal(protocol);
  const std::string text = ProposalKeywords(p);
  auto back = ParseProposals(text, protocol);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == std::vector<Proposal>{p});
}

RC_GTEST_PROP(ProposalProperties, ListsReadBackNumberedInOrder, ()) {
  const SP protocol = *GenProtocol();
  std::vector<Proposal> ps;
  const size_t n = *rc::gen::inRange<size_t>(1, 6);
  for (size_t i = 0; i < n; ++i) {
    ps.push_back(*GenConfiguredProposal(protocol));
    ps.back().proposal_num = static_cast<uint8_t>(i + 1);
  }
  auto back = ParseProposals(ProposalKeywords(ps), protocol);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == ps);
}

RC_GTEST_PROP(ProposalProperties, AConfigurationSelectsItsOwnOffer, ()) {
  // An initiator offering what it is configured with, to a responder
  // configured the same: the first proposal is chosen with the first
  // transform of each type, the initiator accepts the answer, and the
  // answer names a suite.
  const SP protocol = *GenProtocol();
  const std::vector<Proposal> configured = {*GenConfiguredProposal(protocol)};
  SaPayload offered{configured};
  offered.proposals[0].spi = protocol == SP::kIke ? Bytes{} : Bytes{1, 2, 3, 4};
  auto chosen = SelectProposal(configured, offered, protocol);
  RC_ASSERT(chosen.ok());
  RC_ASSERT(chosen->proposal_num == 1);
  RC_ASSERT(chosen->spi == offered.proposals[0].spi);
  for (const Transform& t : chosen->transforms) {
    const auto first = std::find_if(configured[0].transforms.begin(), configured[0].transforms.end(),
                                    [&](const Transform& u) { return u.type == t.type; });
    RC_ASSERT(*first == t);
  }
  RC_ASSERT(CheckSelected(configured, *chosen).ok());
  if (protocol == SP::kIke) {
    RC_ASSERT(IkeSuiteOf(*chosen).ok());
  } else {
    RC_ASSERT(ChildSuiteOf(*chosen).ok());
  }
}

// An offer the configuration may or may not meet: proposals of the
// registries' generator (testing/ike_gen_valid_sa.h: also transforms the
// reference does not implement) and configured proposals with transforms
// dropped (one of each type kept) and shuffled.
rc::Gen<SaPayload> GenOffer(SP protocol, std::vector<Proposal> configured) {
  return rc::gen::exec([protocol, configured] {
    SaPayload sa;
    const size_t n = *rc::gen::inRange<size_t>(1, 5);
    for (size_t i = 0; i < n; ++i) {
      const auto num = static_cast<uint8_t>(i + 1);
      Proposal p = *testing::GenValidProposal(num, protocol);
      if (*rc::gen::arbitrary<bool>()) {
        const Proposal& c = *rc::gen::elementOf(configured);
        std::vector<std::pair<uint32_t, Transform>> keyed;  // a random sort key each: a shuffle
        for (const Transform& t : c.transforms) {
          const bool first_of_type =
              std::none_of(keyed.begin(), keyed.end(), [&](const auto& k) { return k.second.type == t.type; });
          if (first_of_type || *rc::gen::arbitrary<bool>()) keyed.emplace_back(*rc::gen::arbitrary<uint32_t>(), t);
        }
        std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        p.transforms.clear();
        for (const auto& k : keyed) p.transforms.push_back(k.second);
      }
      sa.proposals.push_back(std::move(p));
    }
    return sa;
  });
}

RC_GTEST_PROP(ProposalProperties, WhateverIsChosenTheInitiatorAccepts, ()) {
  //= rfc7296#section-3.3.6
  //# The responder's answer is one offered proposal cut to one transform of
  //# each type, which the initiator's check accepts.
  const SP protocol = *GenProtocol();
  std::vector<Proposal> configured;
  const size_t n = *rc::gen::inRange<size_t>(1, 4);
  for (size_t i = 0; i < n; ++i) {
    configured.push_back(*GenConfiguredProposal(protocol));
    configured.back().proposal_num = static_cast<uint8_t>(i + 1);
  }
  const SaPayload offered = *GenOffer(protocol, configured);
  auto chosen = SelectProposal(configured, offered, protocol);
  RC_CLASSIFY(chosen.ok(), "chosen");
  if (!chosen) {
    RC_ASSERT(chosen.error().code == Code::kNoProposalChosen);
    return;
  }
  RC_ASSERT(CheckSelected(offered.proposals, *chosen).ok());
  RC_ASSERT(Acceptable(*chosen, 0).ok());
  const Proposal& from = offered.proposals[chosen->proposal_num - 1];
  RC_ASSERT(chosen->spi == from.spi);
  // Every chosen transform is configured (or NONE where the configuration
  // names no transform of its type), all in one configured proposal.
  RC_ASSERT(std::any_of(configured.begin(), configured.end(), [&](const Proposal& c) {
    return std::all_of(chosen->transforms.begin(), chosen->transforms.end(), [&](const Transform& t) {
      const bool none =
          t.id == 0 && (t.type == TT::kInteg || t.type == TT::kKe) &&
          std::none_of(c.transforms.begin(), c.transforms.end(), [&](const Transform& u) { return u.type == t.type; });
      return none || std::find(c.transforms.begin(), c.transforms.end(), t) != c.transforms.end();
    });
  }));
  // No earlier offered proposal would have done.
  for (const Proposal& earlier : offered.proposals) {
    if (earlier.proposal_num >= chosen->proposal_num) break;
    RC_ASSERT(!SelectProposal(configured, SaPayload{{earlier}}, protocol).ok());
  }
  if (protocol == SP::kIke) {
    RC_ASSERT(IkeSuiteOf(*chosen).ok());
  } else {
    RC_ASSERT(ChildSuiteOf(*chosen).ok());
  }
}

// --- selection: RFC 7296 §3.3's example offer ---------------------------------------

//= rfc7296#section-3.3
//# The example SA payload of two ESP proposals, with their SPIs.
SaPayload RfcOffer() {
  return SaPayload{
      {Make(1, SP::kEsp,
            {E(Encr::kAesCbc, 128), E(Encr::kAesCbc, 192), E(Encr::kAesCbc, 256), I(Integ::kHmacSha1_96),
             I(Integ::kAesXcbc96), N(EsnType::kEsn), N(EsnType::kNoEsn)},
            {0x05, 0x23, 0x57, 0xbb}),
       Make(2, SP::kEsp, {E(Encr::kAesGcm8, 128), E(Encr::kAesGcm8, 256), N(EsnType::kEsn), N(EsnType::kNoEsn)},
            {0x35, 0xa1, 0xd6, 0xf2})}};
}

Proposal Select(std::string_view configured, const SaPayload& offered, SP protocol = SP::kEsp) {
  auto r = SelectProposal(Parse(configured, protocol), offered, protocol);
  EXPECT_TRUE(r.ok()) << configured << ": " << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : Proposal{};
}

TEST(SelectProposal, RfcExampleSecondProposal) {
  //= rfc7296#section-3.3.6
  //# The responder answers with one proposal, one transform of each type,
  //# the offered Proposal Num and SPI, and the attributes unmodified.
  EXPECT_EQ(Select("aes256gcm8-noesn", RfcOffer()),
            Make(2, SP::kEsp, {E(Encr::kAesGcm8, 256), N(EsnType::kNoEsn)}, {0x35, 0xa1, 0xd6, 0xf2}));
}

TEST(SelectProposal, RfcExampleFirstProposal) {
  EXPECT_EQ(
      Select("aes192-aesxcbc-esn", RfcOffer()),
      Make(1, SP::kEsp, {E(Encr::kAesCbc, 192), I(Integ::kAesXcbc96), N(EsnType::kEsn)}, {0x05, 0x23, 0x57, 0xbb}));
  // The initiator's preference wins over the configured order: proposal 1
  // is chosen though the configuration lists GCM first; within a type, the
  // first offered transform that is configured.
  EXPECT_EQ(
      Select("aes128gcm8-esn,aes256-aes128-sha1-aesxcbc-noesn-esn", RfcOffer()),
      Make(1, SP::kEsp, {E(Encr::kAesCbc, 128), I(Integ::kHmacSha1_96), N(EsnType::kEsn)}, {0x05, 0x23, 0x57, 0xbb}));
}

TEST(SelectProposal, NoProposalChosenNamesTheOffer) {
  //= rfc7296#section-2.7
  //# No acceptable proposal: NO_PROPOSAL_CHOSEN.
  auto r = SelectProposal(Parse("aes256gcm16-esn", SP::kEsp), RfcOffer(), SP::kEsp);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsError(r.error(), Code::kNoProposalChosen, kNoOffset, "rfc7296#section-2.7",
                      "no ESP proposal chosen of 2 offered; proposal 1 (ESP: aes128-aes192-aes256-sha1-aesxcbc-esn-"
                      "noesn) meets no configured proposal (configured 1: none of its ENCR transforms is "
                      "configured)"));
  EXPECT_NE(r.error().detail.find("proposal 2 (ESP: aes128gcm8-aes256gcm8-esn-noesn) meets no configured proposal "
                                  "(configured 1: none of its ENCR transforms is configured)"),
            std::string::npos)
      << r.error().detail;
}

TEST(SelectProposal, KeyLengthsMatchExactly) {
  auto r = SelectProposal(Parse("aes128gcm16-esn", SP::kEsp),
                          SaPayload{{Make(1, SP::kEsp, {E(Encr::kAesGcm16, 256), N(EsnType::kEsn)}, {1, 2, 3, 4})}},
                          SP::kEsp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kNoProposalChosen);
}

TEST(SelectProposal, PfsConfiguredButNotOffered) {
  auto r = SelectProposal(Parse("aes128-sha1-ecp256-esn", SP::kEsp), RfcOffer(), SP::kEsp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("configured 1: it offers no KE"), std::string::npos) << r.error().detail;
}

TEST(SelectProposal, UnknownTransformTypeIsSkipped) {
  //= rfc7296#section-3.3.6
  //# A proposal with a Transform Type the responder does not understand is
  //# passed over; the next one is still considered.
  SaPayload offer = RfcOffer();
  offer.proposals[0].transforms.push_back(Transform{static_cast<TT>(250), 1, {}});
  EXPECT_EQ(Select("aes128-sha1-noesn,aes128gcm8-noesn", offer).proposal_num, 2);
  auto r = SelectProposal(Parse("aes128-sha1-noesn", SP::kEsp), offer, SP::kEsp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("proposal 1 (ESP: aes128-aes192-aes256-sha1-aesxcbc-esn-noesn-type250.1) is "
                                  "unacceptable: proposal 1 is unacceptable: Transform Type 250 is not understood"),
            std::string::npos)
      << r.error().detail;
}

TEST(SelectProposal, UnimplementedTransformIsPassedOver) {
  //= rfc7296#section-3.3.6
  //# A transform the responder does not understand is unacceptable, the
  //# other transforms of its type are still considered.
  const SaPayload offer{{Make(1, SP::kEsp,
                              {E(Encr::kCamelliaCbc, 128), E(Encr::kAesCbc, 128), T(TT::kInteg, 99),
                               I(Integ::kHmacSha2_256_128), N(EsnType::kNoEsn)},
                              {9, 9, 9, 9})}};
  EXPECT_EQ(Select("aes128-sha256", offer),
            Make(1, SP::kEsp, {E(Encr::kAesCbc, 128), I(Integ::kHmacSha2_256_128), N(EsnType::kNoEsn)}, {9, 9, 9, 9}));
  // A transform with an attribute the responder does not understand.
  Transform odd = E(Encr::kAesCbc, 128);
  odd.attributes.push_back({18, uint16_t{1}});
  const SaPayload only_odd{{Make(1, SP::kEsp, {odd, I(Integ::kHmacSha2_256_128), N(EsnType::kNoEsn)}, {9, 9, 9, 9})}};
  EXPECT_EQ(SelectProposal(Parse("aes128-sha256", SP::kEsp), only_odd, SP::kEsp).error().code, Code::kNoProposalChosen);
}

TEST(SelectProposal, OtherProtocolIsPassedOver) {
  auto r = SelectProposal(Parse("aes128-sha1-noesn", SP::kEsp), RfcOffer(), SP::kAh);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("proposal 1 (ESP: aes128-aes192-aes256-sha1-aesxcbc-esn-noesn) is not for AH"),
            std::string::npos)
      << r.error().detail;
}

TEST(SelectProposal, AeadOfferedWithIntegrityNone) {
  //= rfc7296#section-3.3
  //# A combined-mode proposal may carry the integrity algorithm NONE.
  const SaPayload offer{
      {Make(1, SP::kEsp, {E(Encr::kAesGcm16, 128), I(Integ::kNone), N(EsnType::kNoEsn)}, {1, 1, 1, 1})}};
  const Proposal chosen = Select("aes128gcm16", offer);
  EXPECT_EQ(chosen, offer.proposals[0]);
  auto suite = ChildSuiteOf(chosen);
  ASSERT_TRUE(suite.ok()) << suite.error().ToString();
  EXPECT_EQ(suite->integ, Integ::kNone);
}

TEST(SelectProposal, KeNoneOfferedWithoutPfsConfigured) {
  //= rfc7296#section-3.3.2
  //# Key exchange NONE offered next to a group: a responder configured
  //# without PFS takes NONE.
  const SaPayload offer{
      {Make(1, SP::kEsp, {E(Encr::kAesGcm16, 128), K(KeGroup::kEcp256), K(KeGroup::kNone), N(EsnType::kNoEsn)},
            {2, 2, 2, 2})}};
  EXPECT_EQ(Select("aes128gcm16", offer),
            Make(1, SP::kEsp, {E(Encr::kAesGcm16, 128), K(KeGroup::kNone), N(EsnType::kNoEsn)}, {2, 2, 2, 2}));
  EXPECT_EQ(Select("aes128gcm16-ecp256", offer),
            Make(1, SP::kEsp, {E(Encr::kAesGcm16, 128), K(KeGroup::kEcp256), N(EsnType::kNoEsn)}, {2, 2, 2, 2}));
  // Likewise integrity NONE next to an algorithm, for ESP configured
  // without integrity.
  const SaPayload integ_optional{
      {Make(1, SP::kEsp, {E(Encr::kAesCbc, 128), I(Integ::kHmacSha1_96), I(Integ::kNone), N(EsnType::kNoEsn)},
            {3, 3, 3, 3})}};
  EXPECT_EQ(Select("aes128", integ_optional),
            Make(1, SP::kEsp, {E(Encr::kAesCbc, 128), I(Integ::kNone), N(EsnType::kNoEsn)}, {3, 3, 3, 3}));
  // Without NONE in the offer, a responder without PFS finds no match.
  const SaPayload pfs_only{
      {Make(1, SP::kEsp, {E(Encr::kAesGcm16, 128), K(KeGroup::kEcp256), N(EsnType::kNoEsn)}, {2, 2, 2, 2})}};
  auto r = SelectProposal(Parse("aes128gcm16", SP::kEsp), pfs_only, SP::kEsp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("configured 1: none of its KE transforms is configured"), std::string::npos)
      << r.error().detail;
}

TEST(SelectProposal, IkeOffer) {
  const auto offered = Parse("aes256-sha384-sha256-modp2048-ecp256,aes128gcm16-prfsha256-x25519", SP::kIke);
  const Proposal chosen = Select("aes128gcm16-prfsha256-x25519,aes256-sha256-modp2048", SaPayload{offered}, SP::kIke);
  EXPECT_EQ(chosen,
            Make(1, SP::kIke,
                 {E(Encr::kAesCbc, 256), P(Prf::kHmacSha2_256), I(Integ::kHmacSha2_256_128), K(KeGroup::kModp2048)}));
  EXPECT_TRUE(CheckSelected(offered, chosen).ok());
  auto suite = IkeSuiteOf(chosen);
  ASSERT_TRUE(suite.ok()) << suite.error().ToString();
  EXPECT_EQ(*suite, (IkeSuite{Encr::kAesCbc, 256, Prf::kHmacSha2_256, Integ::kHmacSha2_256_128, KeGroup::kModp2048}));
}

TEST(SelectProposal, TooManyReasonsAreCut) {
  SaPayload offer;
  for (uint8_t i = 1; i <= 20; ++i) offer.proposals.push_back(Make(i, SP::kEsp, {E(Encr::k3Des), N(EsnType::kEsn)}));
  auto r = SelectProposal(Parse("aes128-sha1", SP::kEsp), offer, SP::kEsp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("; and 12 more"), std::string::npos) << r.error().detail;
  EXPECT_EQ(r.error().detail.find("proposal 9 "), std::string::npos);
}

// --- the initiator's check -------------------------------------------------------------

TEST(CheckSelected, AcceptsASubsetOfOneOffered) {
  const auto ours = Parse("aes128-aes256-sha256-sha1-noesn-esn,aes128gcm16-esn", SP::kEsp);
  EXPECT_TRUE(CheckSelected(ours, Make(1, SP::kEsp, {E(Encr::kAesCbc, 256), I(Integ::kHmacSha1_96), N(EsnType::kEsn)},
                                       {7, 7, 7, 7}))
                  .ok());
  EXPECT_TRUE(CheckSelected(ours, Make(2, SP::kEsp, {E(Encr::kAesGcm16, 128), N(EsnType::kEsn)})).ok());
}

TEST(CheckSelected, RefusesWhatWasNotOffered) {
  //= rfc7296#section-3.3.6
  //# An answer not consistent with one of the initiator's proposals ends
  //# the exchange.
  const auto ours = Parse("aes128-sha256-noesn,aes128gcm16-esn", SP::kEsp);
  const auto fails = [&](const Proposal& chosen, std::string_view why) {
    return IsError(CheckSelected(ours, chosen).error(), Code::kInvalidSyntax, kNoOffset, "rfc7296#section-3.3.6", why);
  };
  EXPECT_TRUE(fails(Make(3, SP::kEsp, {E(Encr::kAesGcm16, 128), N(EsnType::kEsn)}),
                    "chosen proposal 3 (aes128gcm16-esn) is not one we offered: we offered no proposal 3"));
  EXPECT_TRUE(fails(Make(1, SP::kEsp, {E(Encr::kAesCbc, 192), I(Integ::kHmacSha2_256_128), N(EsnType::kNoEsn)}),
                    "aes192 was not in our proposal 1 (aes128-sha256-noesn)"));
  EXPECT_TRUE(
      fails(Make(2, SP::kEsp, {E(Encr::kAesGcm16, 128), N(EsnType::kNoEsn)}), "noesn was not in our proposal 2"));
  EXPECT_TRUE(
      fails(Make(1, SP::kEsp, {E(Encr::kAesCbc, 128), N(EsnType::kNoEsn)}), "it has 0 INTEG transforms, not one"));
  EXPECT_TRUE(fails(Make(2, SP::kEsp, {E(Encr::kAesGcm16, 128), E(Encr::kAesGcm16, 128), N(EsnType::kEsn)}),
                    "it has 2 ENCR transforms, not one"));
  EXPECT_TRUE(fails(Make(2, SP::kAh, {N(EsnType::kEsn)}), "it is for AH, our proposal 2 for ESP"));
}

// --- suites -------------------------------------------------------------------------

TEST(Suites, IkeSuite) {
  auto s = IkeSuiteOf(Parse("aes128gcm16-prfsha256-x25519", SP::kIke).front());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (IkeSuite{Encr::kAesGcm16, 128, Prf::kHmacSha2_256, Integ::kNone, KeGroup::kCurve25519}));
  auto c = IkeSuiteOf(Make(1, SP::kIke, {E(Encr::kChaCha20Poly1305), P(Prf::kHmacSha2_512), K(KeGroup::kEcp521)}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->encr_key_bits, 256);
}

TEST(Suites, ChildSuites) {
  auto esp = ChildSuiteOf(Parse("aes256-sha512-esn", SP::kEsp).front());
  ASSERT_TRUE(esp.ok());
  EXPECT_EQ(*esp, (ChildSuite{SP::kEsp, Encr::kAesCbc, 256, Integ::kHmacSha2_512_256, EsnType::kEsn, KeGroup::kNone}));
  auto pfs = ChildSuiteOf(Parse("aes128gcm16-ecp256", SP::kEsp).front());
  ASSERT_TRUE(pfs.ok());
  EXPECT_EQ(*pfs, (ChildSuite{SP::kEsp, Encr::kAesGcm16, 128, Integ::kNone, EsnType::kNoEsn, KeGroup::kEcp256}));
  auto ah = ChildSuiteOf(Parse("sha384", SP::kAh).front());
  ASSERT_TRUE(ah.ok());
  EXPECT_EQ(*ah, (ChildSuite{SP::kAh, Encr{}, 0, Integ::kHmacSha2_384_192, EsnType::kNoEsn, KeGroup::kNone}));
  auto encryption_only = ChildSuiteOf(Parse("aes128ctr", SP::kEsp).front());
  ASSERT_TRUE(encryption_only.ok());
  EXPECT_EQ(encryption_only->integ, Integ::kNone);
}

TEST(Suites, Errors) {
  const auto fails = [](const Result<IkeSuite>& r, Code code, std::string_view requirement, std::string_view why) {
    return r.ok() ? ::testing::AssertionFailure() << "accepted" : IsError(r.error(), code, kNoOffset, requirement, why);
  };
  const auto ike = Parse("aes128-aes256-sha256-modp2048", SP::kIke).front();
  EXPECT_TRUE(fails(IkeSuiteOf(ike), Code::kInvalidArgument, "rfc7296#section-3.3.6",
                    "proposal 1 holds more than one ENCR transform"));
  EXPECT_TRUE(fails(IkeSuiteOf(Make(1, SP::kIke, {E(Encr::kAesCbc, 128), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96)})),
                    Code::kInvalidArgument, "rfc7296#section-3.3.3", "proposal 1 (IKE) has no KE transform"));
  EXPECT_TRUE(fails(
      IkeSuiteOf(Make(1, SP::kIke,
                      {E(Encr::kCamelliaCbc, 128), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96), K(KeGroup::kEcp256)})),
      Code::kUnsupported, "ipsecref#choice", "ENCR 23 is not implemented by the reference"));
  EXPECT_TRUE(
      fails(IkeSuiteOf(Make(1, SP::kIke,
                            {E(Encr::kAesGcm16, 128), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96), K(KeGroup::kEcp256)})),
            Code::kInvalidArgument, "rfc7296#section-3.3", "is combined-mode but AUTH_HMAC_SHA1_96"));
  EXPECT_TRUE(fails(IkeSuiteOf(Make(1, SP::kIke, {E(Encr::kAesCbc, 128), P(Prf::kHmacSha1), K(KeGroup::kEcp256)})),
                    Code::kInvalidArgument, "rfc7296#section-3.3.3", "no integrity algorithm"));
  EXPECT_TRUE(fails(
      IkeSuiteOf(Make(1, SP::kIke, {E(Encr::kAesCbc), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96), K(KeGroup::kEcp256)})),
      Code::kInvalidArgument, "rfc7296#section-3.3.5", "ENCR_AES_CBC without a Key Length"));
  EXPECT_TRUE(
      fails(IkeSuiteOf(Make(1, SP::kIke,
                            {E(Encr::kAesCbc, 64), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96), K(KeGroup::kEcp256)})),
            Code::kInvalidArgument, "rfc7296#section-3.3.5", "takes no 64-bit key"));
  EXPECT_TRUE(fails(
      IkeSuiteOf(Make(1, SP::kIke, {E(Encr::kNull), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96), K(KeGroup::kEcp256)})),
      Code::kInvalidArgument, "rfc7296#section-1.2", "gives no confidentiality"));
  EXPECT_TRUE(
      fails(IkeSuiteOf(Make(1, SP::kIke,
                            {E(Encr::kAesCbc, 128), P(Prf::kHmacSha1), I(Integ::kHmacSha1_96), K(KeGroup::kNone)})),
            Code::kInvalidArgument, "rfc7296#section-1.2", "key exchange NONE"));
  EXPECT_TRUE(fails(IkeSuiteOf(Parse("aes128-sha1", SP::kEsp).front()), Code::kInvalidArgument, "rfc7296#section-3.3.1",
                    "proposal 1 is for ESP, not IKE"));
  EXPECT_TRUE(fails(IkeSuiteOf(Make(1, SP::kIke, {E(Encr::kAesCbc, 128), N(EsnType::kEsn)})), Code::kInvalidArgument,
                    "rfc7296#section-3.3.3", "holds SN, which IKE does not use"));

  const auto child_fails = [](const Proposal& p, Code code, std::string_view requirement, std::string_view why) {
    auto r = ChildSuiteOf(p);
    return r.ok() ? ::testing::AssertionFailure() << "accepted" : IsError(r.error(), code, kNoOffset, requirement, why);
  };
  EXPECT_TRUE(child_fails(Make(1, SP::kEsp, {E(Encr::kAesCbc, 128)}), Code::kInvalidArgument, "rfc7296#section-3.3.3",
                          "proposal 1 (ESP) has no SN transform"));
  EXPECT_TRUE(child_fails(Make(1, SP::kEsp, {E(Encr::kNull), N(EsnType::kEsn)}), Code::kInvalidArgument,
                          "rfc4303#section-3.2", "no integrity algorithm"));
  EXPECT_TRUE(child_fails(Make(1, SP::kAh, {I(Integ::kHmacSha1_96), N(EsnType::kUnspecified32Bit)}), Code::kUnsupported,
                          "ipsecref#choice", "is not implemented"));
  EXPECT_TRUE(child_fails(Make(1, SP::kAh, {E(Encr::kAesCbc, 128), I(Integ::kHmacSha1_96), N(EsnType::kEsn)}),
                          Code::kInvalidArgument, "rfc7296#section-3.3.3", "holds ENCR, which AH does not use"));
}

TEST(FirstKeGroup, FirstProposalsFirstGroup) {
  EXPECT_EQ(FirstKeGroup(Parse("aes128-sha256-ecp256-modp2048,aes256gcm16-prfsha384-x25519", SP::kIke)),
            KeGroup::kEcp256);
  EXPECT_EQ(FirstKeGroup(Parse("aes128gcm16,aes128-sha256-modp3072", SP::kEsp)), KeGroup::kNone);
  EXPECT_EQ(FirstKeGroup({}), KeGroup::kNone);
}

}  // namespace
}  // namespace ipsecref::ike::sa
