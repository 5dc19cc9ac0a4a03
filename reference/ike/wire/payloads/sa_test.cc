// SA payload (RFC 7296 §3.3): proposal and transform syntax, Verify, which
// proposals a responder may choose (§3.3.6), and the encoder's limits.
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

// A proposal header: Last Substruc, Proposal Length, number 1, IKE, SPI Size,
// Num Transforms.
TEST(SaPayload, ProposalLengthTooShort) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000007" "01010000"))),
                    Code::kInvalidSyntax, 34, "rfc7296#section-3.3.1", "Proposal Length 7"));
}

TEST(SaPayload, ProposalLengthTooLong) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000030" "01010000"))),
                    Code::kInvalidSyntax, 34, "rfc7296#section-3.3.1", "runs past the SA payload"));
}

TEST(SaPayload, TransformLengthTooShort) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000010" "01010001" "00000007" "0100000c"))),
                    Code::kInvalidSyntax, 42, "rfc7296#section-3.3.2", "proposal 1, transform 1: Transform Length 7"));
}

TEST(SaPayload, TransformLengthTooLong) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000010" "01010001" "00000010" "0100000c"))),
                    Code::kInvalidSyntax, 42, "rfc7296#section-3.3.2", "runs past the proposal"));
}

TEST(SaPayload, ProposalLastSubstrucMustBe0Or2) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("03000008" "01010000"))),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.3.1", "Last Substruc 3; must be 0 or 2"));
}

TEST(SaPayload, ProposalMarkedLastButMoreFollow) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000008" "01010000" "00000008" "02010000"))),
                    Code::kInvalidSyntax, 40, "rfc7296#section-3.3.1", "after the proposal marked last"));
}

TEST(SaPayload, LastProposalNotMarkedLast) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("02000008" "01010000"))),
                    Code::kInvalidSyntax, 40, "rfc7296#section-3.3.1", "last proposal not marked last"));
}

TEST(SaPayload, EmptySaIsRefused) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, {})), Code::kInvalidSyntax, 32, "rfc7296#section-3.3.1", "no proposal"));
}

TEST(SaPayload, TransformLastSubstrucMustBe0Or3) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000010" "01010001" "02000008" "01000014"))),
                    Code::kInvalidSyntax, 40, "rfc7296#section-3.3.2", "Last Substruc 2; must be 0 or 3"));
}

TEST(SaPayload, NumTransformsAboveTheTransformsMarked) {
  // Num Transforms 2; the first transform is marked last.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000018" "01010002" "00000008" "01000014" "00000008" "02000005"))),
                    Code::kInvalidSyntax, 48, "rfc7296#section-3.3.2", "marked last, but Num Transforms is 2"));
  // Num Transforms 2; one transform, marked "more", then nothing.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000010" "01010002" "03000008" "01000014"))),
                    Code::kInvalidSyntax, 48, "rfc7296#section-3.3.1", "Num Transforms is 2 but only 1 fit"));
}

TEST(SaPayload, NumTransformsBelowTheTransformsPresent) {
  // Num Transforms 1; the first transform says more follow.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000018" "01010001" "03000008" "01000014" "00000008" "02000005"))),
                    Code::kInvalidSyntax, 48, "rfc7296#section-3.3.2", "last transform not marked last"));
  // Num Transforms 1, correctly marked, but another transform follows.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000018" "01010001" "00000008" "01000014" "00000008" "02000005"))),
                    Code::kInvalidSyntax, 48, "rfc7296#section-3.3.1", "8 bytes after its 1 transforms"));
  // Num Transforms 0 with a transform.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000010" "01010000" "00000008" "01000014"))),
                    Code::kInvalidSyntax, 40, "rfc7296#section-3.3.1", "after its 0 transforms"));
}

TEST(SaPayload, SpiSizePastTheProposal) {
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000008" "01030400"))),
                    Code::kInvalidSyntax, 38, "rfc7296#section-3.3.1", "SPI Size 4"));
}

TEST(SaPayload, AttributeOverrunsItsTransform) {
  // TLV attribute 14 claiming 8 value bytes, none present.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000014" "01010001" "0000000c" "0100000c" "000e0008"))),
                    Code::kInvalidSyntax, 50, "rfc7296#section-3.3.5", "claims 8 value bytes"));
  // Two bytes of an attribute header.
  EXPECT_TRUE(Fails(Decode(One(PT::kSa, Hex("00000012" "01010001" "0000000a" "0100000c" "800e"))),
                    Code::kInvalidSyntax, 48, "rfc7296#section-3.3.5", "needs 4 bytes"));
}

TEST(SaPayload, AttributesInBothFormats) {
  // ENCR_AES_CBC with Key Length 128 (TV) and a TLV attribute 18 of 2 bytes.
  const Bytes wire = One(PT::kSa, Hex("0000001a" "01010001" "00000012" "0100000c" "800e0080" "00120002" "abcd"));
  const Message m = Decoded(wire);
  const Transform& t = m.payloads[0].as<SaPayload>()->proposals[0].transforms[0];
  EXPECT_EQ(t.key_length(), 128);
  ASSERT_EQ(t.attributes.size(), 2u);
  EXPECT_EQ(t.attributes[1].type, 18);
  EXPECT_EQ(std::get<Bytes>(t.attributes[1].value), Hex("abcd"));
  EXPECT_EQ(Encode(m).value(), wire);
}

SaPayload OneProposal(iana::SecurityProtocol protocol, size_t spi_size, std::vector<Transform> transforms) {
  return SaPayload{{Proposal{1, protocol, Bytes(spi_size, 0x11), std::move(transforms)}}};
}
Transform T(iana::TransformType type, uint16_t id, std::vector<TransformAttribute> attributes = {}) {
  return Transform{type, id, std::move(attributes)};
}
const TransformAttribute kKeyLength128{14, uint16_t{128}};
using TT = iana::TransformType;

TEST(SaVerify, ProposalsAreNumberedInSequence) {
  SaPayload sa = OneProposal(iana::SecurityProtocol::kEsp, 4, {T(TT::kEncr, 20, {kKeyLength128}), T(TT::kEsn, 0)});
  sa.proposals.push_back(sa.proposals[0]);
  sa.proposals[1].proposal_num = 3;
  EXPECT_TRUE(
      Fails(Verify(sa, 32), Code::kInvalidSyntax, 32, "rfc7296#section-3.3.1", "proposal 3 follows proposal 1"));
  sa.proposals[1].proposal_num = 2;
  EXPECT_TRUE(Verify(sa, 32).ok());
}

//= rfc7296#section-3.3.6
//# A proposal missing a mandatory Transform Type is unacceptable, not a
//# syntax error: Verify passes it and Acceptable refuses it.
TEST(SaAcceptable, MandatoryTransformsPerProtocol) {
  const auto unacceptable = [](const SaPayload& sa, std::string_view why) {
    return Verify(sa, 32).ok() &&
           Fails(Acceptable(sa.proposals[0], 32), Code::kNoProposalChosen, 32, "rfc7296#section-3.3.6", why);
  };
  // IKE without PRF.
  EXPECT_TRUE(unacceptable(
      OneProposal(iana::SecurityProtocol::kIke, 0, {T(TT::kEncr, 20, {kKeyLength128}), T(TT::kKe, 19)}),
      "has no PRF transform"));
  // IKE with AES-CBC and no INTEG.
  EXPECT_TRUE(unacceptable(OneProposal(iana::SecurityProtocol::kIke, 0,
                                       {T(TT::kEncr, 12, {kKeyLength128}), T(TT::kPrf, 5), T(TT::kKe, 19)}),
                           "no INTEG transform"));
  // ESP without ESN.
  EXPECT_TRUE(unacceptable(OneProposal(iana::SecurityProtocol::kEsp, 4, {T(TT::kEncr, 20, {kKeyLength128})}),
                           "has no SN transform"));
  // AH with an ENCR transform: a type AH does not use (§3.3.3).
  EXPECT_TRUE(unacceptable(OneProposal(iana::SecurityProtocol::kAh, 4,
                                       {T(TT::kEncr, 12, {kKeyLength128}), T(TT::kInteg, 12), T(TT::kEsn, 0)}),
                           "Transform Type ENCR is not understood with AH"));
  // The strongSwan IKE proposal of the capture below is acceptable.
  const SaPayload strongswan = OneProposal(iana::SecurityProtocol::kIke, 0,
                                           {T(TT::kEncr, 20, {{14, uint16_t{256}}}), T(TT::kPrf, 5), T(TT::kKe, 19)});
  EXPECT_TRUE(Verify(strongswan, 32).ok());
  EXPECT_TRUE(Acceptable(strongswan.proposals[0], 32).ok());
}

// An IKE proposal (AES-GCM-16/256, PRF_HMAC_SHA2_256, ECP-256) with `extra`
// added; numbered `num`.
Proposal IkeProposal(uint8_t num, std::vector<Transform> extra = {}) {
  Proposal p{num, iana::SecurityProtocol::kIke, {}, {T(TT::kEncr, 20, {{14, uint16_t{256}}}), T(TT::kPrf, 5),
                                                     T(TT::kKe, 19)}};
  p.transforms.insert(p.transforms.end(), extra.begin(), extra.end());
  return p;
}

// Three ways §3.3.6 makes a proposal unacceptable, each in a proposal of its own.
struct Unknown {
  std::string_view what;
  Proposal proposal;
  std::string_view why;
};
std::vector<Unknown> UnknownCases() {
  Proposal only_unknown_id = IkeProposal(1);
  only_unknown_id.transforms[1].id = 0x8001;  // PRF ID in the private-use range, unregistered
  Proposal only_unknown_attribute = IkeProposal(1);
  only_unknown_attribute.transforms[0].attributes.push_back({0x3f01, uint16_t{1}});  // unregistered attribute type
  return {
      {"unknown Transform Type", IkeProposal(1, {T(static_cast<TT>(200), 1)}), "Transform Type 200 is not understood"},
      {"unknown Transform ID", only_unknown_id, "no PRF transform is understood (PRF Transform ID 32769"},
      {"unknown attribute", only_unknown_attribute, "carries attribute type 16129, which is not understood"},
  };
}

TEST(SaAcceptable, UnknownTransformTypeIdOrAttributeAloneMakesTheProposalUnacceptable) {
  for (const Unknown& u : UnknownCases()) {
    SCOPED_TRACE(u.what);
    const SaPayload sa{{u.proposal}};
    // The payload stays valid syntax, and survives a round trip on the wire.
    EXPECT_TRUE(Verify(sa, 32).ok());
    Message m;
    m.header.exchange_type = iana::ExchangeType::kIkeSaInit;
    m.payloads.push_back(Payload{PT::kSa, false, sa, 0});
    ASSERT_TRUE(Finalize(m).ok());
    auto decoded = Decode(Encode(m).value());
    ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
    EXPECT_EQ(*decoded, m);
    EXPECT_TRUE(Fails(Acceptable(u.proposal, 32), Code::kNoProposalChosen, 32, "rfc7296#section-3.3.6", u.why));
    EXPECT_TRUE(AcceptableProposals(sa).empty());
  }
}

//= rfc7296#section-3.3.6
//# The other proposals of the SA payload are processed as usual.
TEST(SaAcceptable, UnacceptableProposalBesideAnAcceptableOneIsPassedOver) {
  for (const Unknown& u : UnknownCases()) {
    SCOPED_TRACE(u.what);
    for (bool unknown_first : {true, false}) {
      Proposal unknown = u.proposal, known = IkeProposal(1);
      unknown.proposal_num = unknown_first ? 1 : 2;
      known.proposal_num = unknown_first ? 2 : 1;
      const SaPayload sa{unknown_first ? std::vector<Proposal>{unknown, known} : std::vector<Proposal>{known, unknown}};
      EXPECT_TRUE(Verify(sa, 32).ok());
      const std::vector<const Proposal*> acceptable = AcceptableProposals(sa);
      ASSERT_EQ(acceptable.size(), 1u);
      EXPECT_EQ(*acceptable[0], known);
    }
  }
}

//= rfc7296#section-3.3.6
//# An unknown transform (ID or attribute) loses only itself: another
//# transform of the same type keeps the proposal acceptable.
TEST(SaAcceptable, UnknownTransformBesideAKnownOneOfItsTypeIsPassedOver) {
  EXPECT_TRUE(Acceptable(IkeProposal(1, {T(TT::kPrf, 0x8001)}), 32).ok());
  EXPECT_TRUE(Acceptable(IkeProposal(1, {T(TT::kEncr, 20, {{14, uint16_t{128}}, {0x3f01, uint16_t{1}}})}), 32).ok());
  // Not so for a Transform Type: one unknown type loses the whole proposal.
  EXPECT_FALSE(Acceptable(IkeProposal(1, {T(static_cast<TT>(200), 1), T(TT::kPrf, 7)}), 32).ok());
  // An unknown protocol too.
  Proposal p = IkeProposal(1);
  p.protocol_id = static_cast<iana::SecurityProtocol>(77);
  EXPECT_TRUE(Fails(Acceptable(p, 32), Code::kNoProposalChosen, 32, "rfc7296#section-3.3.6",
                    "Protocol ID 77 is not understood"));
}

TEST(SaVerify, SpiSizePerProtocol) {
  EXPECT_TRUE(Fails(
      Verify(OneProposal(iana::SecurityProtocol::kEsp, 8, {T(TT::kEncr, 20, {kKeyLength128}), T(TT::kEsn, 0)}), 32),
      Code::kInvalidSyntax, 32, "rfc7296#section-3.3.1", "SPI Size 8"));
}

TEST(SaVerify, KeyLengthAttribute) {
  const auto esp = [](Transform encr) {
    return OneProposal(iana::SecurityProtocol::kEsp, 4, {std::move(encr), T(TT::kInteg, 12), T(TT::kEsn, 0)});
  };
  //= rfc7296#section-3.3.5
  //# Variable-length ciphers (AES-CBC) need Key Length, in TV format.
  EXPECT_TRUE(Fails(Verify(esp(T(TT::kEncr, 12)), 32), Code::kInvalidSyntax, 32, "rfc7296#section-3.3.5",
                    "needs a Key Length attribute"));
  EXPECT_TRUE(
      Fails(Verify(esp(T(TT::kEncr, 12, {{14, Hex("0080")}})), 32), Code::kInvalidSyntax, 32, "rfc7296#section-3.3.5"));
  EXPECT_TRUE(Verify(esp(T(TT::kEncr, 12, {kKeyLength128})), 32).ok());
  // Fixed-length 3DES: no attribute, or one stating its length; not another.
  EXPECT_TRUE(Verify(esp(T(TT::kEncr, 3)), 32).ok());
  EXPECT_TRUE(Fails(Verify(esp(T(TT::kEncr, 3, {kKeyLength128})), 32), Code::kInvalidSyntax, 32,
                    "rfc7296#section-3.3.5", "fixed key length"));
  // ENCR_NULL (11, RFC 2410) has no key, hence no Key Length attribute.
  EXPECT_TRUE(Verify(esp(T(TT::kEncr, 11)), 32).ok());
  EXPECT_TRUE(
      Fails(Verify(esp(T(TT::kEncr, 11, {kKeyLength128})), 32), Code::kInvalidSyntax, 32, "rfc7296#section-3.3.5"));
}

//= rfc7296#section-3.3.1
//# Num Transforms is one octet.
TEST(EncodeLimits, ProposalWith256TransformsIsRefused) {
  Proposal p{1, iana::SecurityProtocol::kIke, {}, std::vector<Transform>(255, T(TT::kKe, 19))};
  ByteWriter fits;
  ASSERT_TRUE(Write(SaPayload{{p}}, fits).ok());
  EXPECT_EQ(fits.bytes()[7], 255);
  p.transforms.push_back(T(TT::kKe, 31));
  ByteWriter over;
  EXPECT_TRUE(RefusedAsTooLong(Write(SaPayload{{p}}, over), "rfc7296#section-3.3.1", "256 transforms"));
}

TEST(EncodeLimits, LengthsInsideAnSaPayloadAreChecked) {
  // A TLV attribute value of 65536 bytes (§3.3.5: Attribute Length is 16 bits).
  Proposal p{1, iana::SecurityProtocol::kIke, {}, {T(TT::kEncr, 12, {{200, Bytes(65536, 0)}})}};
  ByteWriter w1;
  EXPECT_TRUE(RefusedAsTooLong(Write(SaPayload{{p}}, w1), "rfc7296#section-3.3.5", "65536 value bytes"));
  // A transform of 8 + 16 * 4100 bytes (§3.3.2: Transform Length is 16 bits).
  p.transforms[0].attributes.assign(16, TransformAttribute{200, Bytes(4100, 0)});
  ByteWriter w2;
  EXPECT_TRUE(RefusedAsTooLong(Write(SaPayload{{p}}, w2), "rfc7296#section-3.3.2", "Transform Length"));
  // An SPI of 256 bytes (§3.3.1: SPI Size is one octet).
  Proposal spi{1, iana::SecurityProtocol::kIke, Bytes(256, 1), {T(TT::kKe, 19)}};
  ByteWriter w3;
  EXPECT_TRUE(RefusedAsTooLong(Write(SaPayload{{spi}}, w3), "rfc7296#section-3.3.1", "SPI Size"));
}

}  // namespace
}  // namespace ipsecref::ike
