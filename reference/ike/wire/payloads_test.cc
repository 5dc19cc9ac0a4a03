// The IKEv2 codec on hand-written bytes: for each payload, the exact error
// (code, offset, requirement) of each malformation, what is only noted, and
// the Verify rules at their bounds; then real IKE_SA_INIT and IKE_AUTH
// messages from a strongSwan capture.
//
// Offsets count from the start of the IKE message: the header is bytes
// 0..27, the first payload's generic header 28..31, its body from 32.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>

#include "reference/ike/wire/message.h"

namespace ipsecref::ike {
namespace {

using PT = iana::PayloadType;

Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A generic payload header (RFC 7296 §3.2) with the right Payload Length.
Bytes Gp(uint8_t next, uint8_t flags, const Bytes& body) {
  Bytes p = {next, flags, 0, 0};
  StoreU16(&p[2], static_cast<uint16_t>(4 + body.size()));
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

// An IKE_SA_INIT request header (RFC 7296 §3.1) with `version` as the
// MjVer|MnVer octet, then `payloads`; Length states the whole message.
Bytes Msg(uint8_t first, const Bytes& payloads, uint8_t version = 0x20) {
  Bytes m =
      Hex("0102030405060708" "0000000000000000");
  m.insert(m.end(), {first, version, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 0});
  StoreU32(&m[24], static_cast<uint32_t>(28 + payloads.size()));
  m.insert(m.end(), payloads.begin(), payloads.end());
  return m;
}

// A message of one payload of type `type` with body `body`.
Bytes One(PT type, const Bytes& body, uint8_t flags = 0) { return Msg(static_cast<uint8_t>(type), Gp(0, flags, body)); }

::testing::AssertionResult IsError(const Error& e, Code code, size_t offset, std::string_view requirement,
                                   std::string_view detail_part) {
  if (e.code == code && e.offset == offset && e.requirement == requirement &&
      e.detail.find(detail_part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got: " << e.ToString() << "; wanted " << Describe(code).name << " at offset "
                                       << offset << " (" << requirement << ") with \"" << detail_part << "\"";
}

template <typename T>
::testing::AssertionResult Fails(const Result<T>& r, Code code, size_t offset, std::string_view requirement,
                                 std::string_view detail_part = {}) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted";
  return IsError(r.error(), code, offset, requirement, detail_part);
}

::testing::AssertionResult Fails(const Status& s, Code code, size_t offset, std::string_view requirement,
                                 std::string_view detail_part = {}) {
  if (s.ok()) return ::testing::AssertionFailure() << "accepted";
  return IsError(s.error(), code, offset, requirement, detail_part);
}

Message Decoded(const Bytes& wire) {
  auto m = Decode(wire);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  return m.ok() ? *m : Message{};
}

bool HasNote(const Message& m, size_t offset, std::string_view requirement) {
  return std::any_of(m.notes.begin(), m.notes.end(),
                     [&](const Error& e) { return e.offset == offset && e.requirement == requirement; });
}

// ---------------------------------------------------------------------------
// Header (RFC 7296 §3.1)

TEST(IkeHeader, Ikev1MessageIsRecognised) {
  // An ISAKMP header: Next Payload SA (1), version 1.0, Identity Protection (2).
  Bytes v1 = Msg(1, {}, 0x10);
  v1[18] = 2;
  EXPECT_TRUE(Fails(Decode(v1), Code::kIkev1Message, 17, "rfc7296#section-3.1"));
}

TEST(IkeHeader, MajorVersion3IsRefused) {
  EXPECT_TRUE(Fails(Decode(Msg(0, {}, 0x30)), Code::kBadVersion, 17, "rfc7296#section-2.5", "major version 3"));
}

TEST(IkeHeader, MinorVersionIsNotChecked) {
  const Bytes wire = Msg(0, {}, 0x21);
  const Message m = Decoded(wire);
  EXPECT_EQ(m.header.major_version, 2);
  EXPECT_EQ(m.header.minor_version, 1);
  EXPECT_EQ(Encode(m), wire);
}

TEST(IkeHeader, LengthMustBeTheDatagramSize) {
  Bytes wire = Msg(0, {});
  StoreU32(&wire[24], 29);
  EXPECT_TRUE(Fails(Decode(wire), Code::kBadLength, 24, "rfc7296#section-3.1", "Length 29 but the message is 28"));
  StoreU32(&wire[24], 20);
  EXPECT_TRUE(Fails(Decode(wire), Code::kBadLength, 24, "rfc7296#section-3.1", "shorter than the 28-byte header"));
  Bytes longer = Cat({Msg(0, {}), Hex("00")});
  EXPECT_TRUE(Fails(Decode(longer), Code::kBadLength, 24, "rfc7296#section-3.1"));
}

TEST(IkeHeader, ShortHeaderIsTruncated) {
  const Bytes wire = Msg(0, {});
  EXPECT_TRUE(Fails(Decode(ByteSpan(wire).first(27)), Code::kTruncated, 0, "rfc7296#section-3.1"));
}

TEST(IkeHeader, FlagsAreReadWhole) {
  Bytes wire = Msg(0, {});
  wire[19] = 0x20 | 0x08 | 0x10 | 0x01;  // Response, Initiator, Version and a reserved bit
  const Message m = Decoded(wire);
  EXPECT_TRUE(m.header.response());
  EXPECT_TRUE(m.header.initiator());
  EXPECT_TRUE(m.header.higher_version());
  EXPECT_EQ(Encode(m), wire);
}

// ---------------------------------------------------------------------------
// The payload chain (§3.2, §3.14, §2.5)

TEST(PayloadChain, NextPayloadZeroWithTrailingBytesIsRefused) {
  const Bytes wire = Msg(40, Cat({Gp(0, 0, Bytes(16, 0xaa)), Hex("000000")}));
  EXPECT_TRUE(Fails(Decode(wire), Code::kInvalidSyntax, 48, "rfc7296#section-3.2", "3 bytes after the last payload"));
  // No payload at all, but bytes after the header.
  EXPECT_TRUE(Fails(Decode(Msg(0, Hex("00000004"))), Code::kInvalidSyntax, 28, "rfc7296#section-3.2"));
}

TEST(PayloadChain, PayloadLengthBelowTheGenericHeaderIsRefused) {
  EXPECT_TRUE(
      Fails(Decode(Msg(40, Hex("00000003"))), Code::kInvalidSyntax, 30, "rfc7296#section-3.2", "Payload Length 3"));
}

TEST(PayloadChain, PayloadLengthPastTheMessageIsRefused) {
  EXPECT_TRUE(Fails(Decode(Msg(40, Hex("00000015" "00112233445566778899aabbccddeeff"))),
                    Code::kInvalidSyntax, 30, "rfc7296#section-3.2", "runs past the message"));
}

TEST(PayloadChain, AnnouncedPayloadMissingIsRefused) {
  // The Nonce's Next Payload announces a Notify that is not there (2 bytes).
  const Bytes wire = Msg(40, Cat({Gp(41, 0, Bytes(16, 0xaa)), Hex("0000")}));
  EXPECT_TRUE(Fails(Decode(wire), Code::kInvalidSyntax, 48, "rfc7296#section-3.2", "N: the previous Next Payload"));
}

TEST(PayloadChain, SkNotLastIsRefused) {
  // SK (first inner IDi) followed by a Nonce payload.
  const Bytes wire = Msg(46, Cat({Gp(35, 0, Bytes(8, 0x55)), Gp(0, 0, Bytes(16, 0xaa))}));
  EXPECT_TRUE(Fails(Decode(wire), Code::kInvalidSyntax, 40, "rfc7296#section-3.14", "must be last"));
  const Bytes skf = Msg(53, Cat({Gp(35, 0,
                                    Hex("00010002" "5555555555555555")),
                                 Hex("00")}));
  EXPECT_TRUE(Fails(Decode(skf), Code::kInvalidSyntax, 44, "rfc7296#section-3.14", "must be last"));
}

TEST(PayloadChain, SkNamesItsFirstInnerPayload) {
  const Message m = Decoded(Msg(46, Gp(35, 0, Bytes(8, 0x55))));
  ASSERT_EQ(m.payloads.size(), 1u);
  ASSERT_NE(m.payloads[0].as<SkPayload>(), nullptr);
  EXPECT_EQ(m.payloads[0].as<SkPayload>()->first_inner, PT::kIdi);
  EXPECT_EQ(m.Encrypted(), &m.payloads[0]);
}

// `count` empty payloads of unknown type 200, not critical (skipped, §2.5).
Bytes EmptyPayloads(size_t count) {
  Bytes out;
  for (size_t i = 0; i < count; ++i) out = Cat({out, Gp(i + 1 < count ? 200 : 0, 0, {})});
  return out;
}

TEST(PayloadChain, MoreThanTheLimitOfPayloadsIsRefusedAtTheFirstBeyond) {
  const Message m = Decoded(Msg(200, EmptyPayloads(kMaxPayloadsPerChain)));
  EXPECT_EQ(m.payloads.size(), kMaxPayloadsPerChain);
  // Payload 1025 starts after the 28-byte header and 1024 payloads of 4 bytes.
  EXPECT_TRUE(Fails(Decode(Msg(200, EmptyPayloads(kMaxPayloadsPerChain + 1))), Code::kInvalidSyntax,
                    28 + 4 * kMaxPayloadsPerChain, "ipsecref#choice", "payload 1025 of one chain"));
  // The same inside an SK payload.
  Message sk = Decoded(Msg(46, Gp(35, 0, Bytes(8, 0x55))));
  EXPECT_TRUE(Fails(DecodeInner(sk, PT(200), EmptyPayloads(kMaxPayloadsPerChain + 1), 40),
                    Code::kInvalidSyntax, 40 + 4 * kMaxPayloadsPerChain, "ipsecref#choice"));
}

TEST(PayloadChain, SkInsideSkIsRefused) {
  Message m = Decoded(Msg(46, Gp(35, 0, Bytes(8, 0x55))));
  // Decrypted contents whose first payload is another SK payload.
  EXPECT_TRUE(Fails(DecodeInner(m, PT::kSk, Gp(0, 0, Bytes(4, 0)), 40), Code::kInvalidSyntax, 40,
                    "rfc7296#section-3.14", "inside an encrypted payload"));
  EXPECT_TRUE(DecodeInner(m, PT::kNonce, Gp(0, 0, Bytes(16, 1)), 40).ok());
  EXPECT_TRUE(m.decrypted);
  ASSERT_EQ(m.Visible().size(), 1u);
  EXPECT_EQ(m.Visible()[0]->type, PT::kNonce);
  EXPECT_EQ(m.Visible()[0]->offset, 40u);
}

TEST(PayloadChain, UnknownCriticalPayloadIsKeptWithItsBit) {
  const Message m = Decoded(Msg(200, Gp(0, 0x80, Hex("c0ffee"))));
  ASSERT_EQ(m.payloads.size(), 1u);
  EXPECT_EQ(m.payloads[0].type, static_cast<PT>(200));
  EXPECT_TRUE(m.payloads[0].critical);
  ASSERT_NE(m.payloads[0].as<UnknownPayload>(), nullptr);
  EXPECT_EQ(m.payloads[0].as<UnknownPayload>()->body, Hex("c0ffee"));
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(PayloadLabel(m.payloads[0]), "payload 200");
}

TEST(PayloadChain, UnknownNonCriticalPayloadIsSkippedAndNoted) {
  const Bytes wire = Msg(200, Cat({Gp(40, 0, Hex("c0ffee")), Gp(0, 0, Bytes(16, 0xaa))}));
  const Message m = Decoded(wire);
  ASSERT_EQ(m.payloads.size(), 2u);
  EXPECT_FALSE(m.payloads[0].critical);
  EXPECT_EQ(m.payloads[1].type, PT::kNonce);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_TRUE(IsError(m.notes[0], Code::kInvalidSyntax, 28, "rfc7296#section-2.5", "unknown and not critical"));
  EXPECT_EQ(Encode(m), wire);
}

TEST(PayloadChain, CriticalBitOnAKnownPayloadIsIgnoredButKept) {
  const Bytes wire = One(PT::kNonce, Bytes(16, 0xaa), 0x80);
  const Message m = Decoded(wire);
  EXPECT_TRUE(m.payloads[0].critical);
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(Encode(m), wire);
}

TEST(PayloadChain, NonZeroReservedIsNotedNotRefused) {
  const Bytes wire = One(PT::kNonce, Bytes(16, 0xaa), 0x01);
  const Message m = Decoded(wire);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_TRUE(IsError(m.notes[0], Code::kInvalidSyntax, 29, "rfc7296#section-3.2", "RESERVED"));
  // Written back with RESERVED zero.
  EXPECT_EQ(Encode(m), One(PT::kNonce, Bytes(16, 0xaa)));
}

TEST(PayloadChain, ReservedFieldsOfEachBodyAreNoted) {
  struct Case {
    PT type;
    const char* body;
    size_t offset;
  };
  const Case cases[] = {
      {PT::kKe,
       "00130001" "aabbccdd",
       34},  // KE RESERVED (2 octets)
      {PT::kIdi,
       "02000100" "61",
       33},  // ID RESERVED (3 octets)
      {PT::kAuth,
       "02010000" "aa",
       33},                        // AUTH RESERVED
      {PT::kTsi, "00000001", 33},  // TS RESERVED, no selector
      {PT::kCp, "01100000", 33},   // CP RESERVED
      {PT::kCp,
       "01000000" "80010000",
       36},  // CP attribute R bit
      {PT::kSa,
       "00010008" "01010000",
       33},  // proposal RESERVED
      {PT::kSa,
       "00000010" "01010001" "00010008" "01000014",
       41},  // transform RESERVED 1
      {PT::kSa,
       "00000010" "01010001" "00000008" "01010014",
       45},  // transform RESERVED 2
  };
  for (const Case& c : cases) {
    const Message m = Decoded(One(c.type, Hex(c.body)));
    EXPECT_EQ(m.notes.size(), 1u) << c.body;
    EXPECT_TRUE(HasNote(m, c.offset, "rfc7296#section-3.2")) << c.body;
  }
}

// ---------------------------------------------------------------------------
// SA (§3.3)

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
  EXPECT_EQ(Encode(m), wire);
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

TEST(SaVerify, MandatoryTransformsPerProtocol) {
  // IKE without PRF.
  EXPECT_TRUE(Fails(
      Verify(OneProposal(iana::SecurityProtocol::kIke, 0, {T(TT::kEncr, 20, {kKeyLength128}), T(TT::kKe, 19)}), 32),
      Code::kInvalidSyntax, 32, "rfc7296#section-3.3.3", "has no PRF transform"));
  // IKE with AES-CBC and no INTEG.
  EXPECT_TRUE(Fails(Verify(OneProposal(iana::SecurityProtocol::kIke, 0,
                                       {T(TT::kEncr, 12, {kKeyLength128}), T(TT::kPrf, 5), T(TT::kKe, 19)}),
                           32),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.3.3", "no INTEG transform"));
  // ESP without ESN.
  EXPECT_TRUE(Fails(Verify(OneProposal(iana::SecurityProtocol::kEsp, 4, {T(TT::kEncr, 20, {kKeyLength128})}), 32),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.3.3"));
  // AH with an ENCR transform.
  EXPECT_TRUE(Fails(Verify(OneProposal(iana::SecurityProtocol::kAh, 4,
                                       {T(TT::kEncr, 12, {kKeyLength128}), T(TT::kInteg, 12), T(TT::kEsn, 0)}),
                           32),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.3.3", "not used with this protocol"));
  // The strongSwan IKE proposal of the capture below passes.
  EXPECT_TRUE(Verify(OneProposal(iana::SecurityProtocol::kIke, 0,
                                 {T(TT::kEncr, 20, {{14, uint16_t{256}}}), T(TT::kPrf, 5), T(TT::kKe, 19)}),
                     32)
                  .ok());
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

// ---------------------------------------------------------------------------
// KE, ID, CERT, CERTREQ, AUTH, Nonce (§3.4-§3.9)

TEST(ShortBodies, FixedPartsMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kKe, Hex("001300"))), Code::kTruncated, 32, "rfc7296#section-3.4"));
  EXPECT_TRUE(Fails(Decode(One(PT::kIdi, Hex("020000"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.5"));
  EXPECT_TRUE(Fails(Decode(One(PT::kIdr, Hex("02"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.5"));
  EXPECT_TRUE(Fails(Decode(One(PT::kCert, {})), Code::kInvalidSyntax, 32, "rfc7296#section-3.6"));
  EXPECT_TRUE(Fails(Decode(One(PT::kCertreq, {})), Code::kInvalidSyntax, 32, "rfc7296#section-3.7"));
  EXPECT_TRUE(Fails(Decode(One(PT::kAuth, Hex("0200"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.8"));
  EXPECT_TRUE(Fails(Decode(One(PT::kNotify, Hex("000040"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.10"));
  EXPECT_TRUE(Fails(Decode(One(PT::kDelete, Hex("0304"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.11"));
  EXPECT_TRUE(Fails(Decode(One(PT::kTsi, Hex("01"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.13"));
  EXPECT_TRUE(Fails(Decode(One(PT::kCp, Hex("010000"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.15"));
  // SKF: Fragment Number read, Total Fragments missing; the error points at it.
  EXPECT_TRUE(Fails(Decode(One(PT::kSkf, Hex("000100"))), Code::kInvalidSyntax, 34, "rfc7383#section-2.5"));
}

TEST(NonceVerify, SixteenTo256Octets) {
  for (size_t n : {size_t{15}, size_t{257}}) {
    const Message m = Decoded(One(PT::kNonce, Bytes(n, 0x5a)));
    EXPECT_TRUE(Fails(VerifyPayload(m.payloads[0]), Code::kInvalidSyntax, 32, "rfc7296#section-2.10",
                      std::to_string(n) + " bytes"))
        << n;
  }
  for (size_t n : {size_t{16}, size_t{256}}) {
    const Message m = Decoded(One(PT::kNonce, Bytes(n, 0x5a)));
    EXPECT_TRUE(VerifyPayload(m.payloads[0]).ok()) << n;
  }
}

TEST(KeVerify, KeyExchangeDataIsNotEmpty) {
  const Message m = Decoded(One(PT::kKe, Hex("00130000")));
  EXPECT_TRUE(Fails(VerifyPayload(m.payloads[0]), Code::kInvalidSyntax, 36, "rfc7296#section-3.4"));
}

TEST(IdVerify, AddressSizesAndTerminators) {
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kIdi, Hex("01000000" "c0000201")))
                                .payloads[0])
                  .ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kIdi, Hex("01000000" "c000020101")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc7296#section-3.5", "5 bytes"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kIdr, Hex("05000000" "20010db8")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc7296#section-3.5"));
  // "ab\0c" as an FQDN: the NUL is at offset 36 + 2.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kIdi, Hex("02000000" "61620063")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 38, "rfc7296#section-3.5", "terminator"));
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kIdi, Hex("0d000000"))).payloads[0]).ok());  // ID_NULL, RFC 7619
}

TEST(AuthVerify, EcdsaSignatureSizes) {
  // ECDSA with SHA-256 on P-256 (method 9): r||s is 64 octets.
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kAuth, Cat({Hex("09000000"), Bytes(64, 1)}))).payloads[0]).ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kAuth, Cat({Hex("09000000"), Bytes(63, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc4754#section-7"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kAuth, Hex("02000000"))).payloads[0]), Code::kInvalidSyntax, 36,
                    "rfc7296#section-3.8"));
}

TEST(CertVerify, HashAndUrlAndCaHashes) {
  // Hash and URL of X.509 certificate (12): 20 octets cannot hold hash and URL.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kCert, Cat({Hex("0c"), Bytes(20, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.6"));
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kCert, Cat({Hex("0c"), Bytes(21, 1)}))).payloads[0]).ok());
  // X.509 CERTREQ: 40 octets are two SHA-1 hashes, 41 are not.
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kCertreq, Cat({Hex("04"), Bytes(40, 1)}))).payloads[0]).ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kCertreq, Cat({Hex("04"), Bytes(41, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.7"));
}

// ---------------------------------------------------------------------------
// Notify, Delete (§3.10, §3.11)

TEST(NotifyPayload, SpiSizePastThePayload) {
  EXPECT_TRUE(Fails(Decode(One(PT::kNotify, Hex("0304" "4009" "aabb"))),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.10", "SPI Size 4"));
}

TEST(NotifyVerify, DataAndSpiSizes) {
  // NAT_DETECTION_SOURCE_IP (16388) with 19 octets of data.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kNotify, Cat({Hex("00004004"), Bytes(19, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc7296#section-2.23", "19 bytes"));
  // COOKIE (16390) of 65 octets.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kNotify, Cat({Hex("00004006"), Bytes(65, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc7296#section-2.6"));
  // REKEY_SA (16393) without the SPI of the SA it rekeys.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kNotify, Hex("03004009"))).payloads[0]), Code::kInvalidSyntax, 33,
                    "rfc7296#section-3.10.1", "SPI Size 0"));
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kNotify, Hex("03044009" "c0ffee00")))
                                .payloads[0])
                  .ok());
  // SIGNATURE_HASH_ALGORITHMS (16431): two-octet items.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kNotify, Hex("0000402f" "000200")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc7427#section-4"));
}

TEST(DeletePayload, SpiCountMustFillThePayload) {
  // ESP, SPI Size 4, Num of SPIs 2, but one SPI.
  EXPECT_TRUE(Fails(Decode(One(PT::kDelete, Hex("03040002" "11223344"))),
                    Code::kInvalidSyntax, 34, "rfc7296#section-3.11",
                    "2 SPIs of 4 bytes need 8 bytes; the payload holds 4"));
  // Num of SPIs 1 but two SPIs.
  EXPECT_TRUE(Fails(Decode(One(PT::kDelete, Hex("03040001" "1122334455667788"))),
                    Code::kInvalidSyntax, 34, "rfc7296#section-3.11"));
  const Message m = Decoded(One(PT::kDelete, Hex("03040002" "1122334455667788")));
  const DeletePayload& d = *m.payloads[0].as<DeletePayload>();
  ASSERT_EQ(d.spis.size(), 2u);
  EXPECT_EQ(d.spis[1], Hex("55667788"));
  EXPECT_TRUE(VerifyPayload(m.payloads[0]).ok());
}

TEST(DeleteVerify, SpiSizePerProtocol) {
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kDelete, Hex("01000000"))).payloads[0]).ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kDelete, Hex("03080001" "1122334455667788")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.11", "SPI Size 8"));
  // IKE SA with an SPI count but SPI Size 0: the count survives, Verify refuses.
  const Message m = Decoded(One(PT::kDelete, Hex("01000003")));
  EXPECT_EQ(m.payloads[0].as<DeletePayload>()->num_of_spis, 3);
  EXPECT_TRUE(Fails(VerifyPayload(m.payloads[0]), Code::kInvalidSyntax, 33, "rfc7296#section-3.11"));
}

// ---------------------------------------------------------------------------
// TS (§3.13)

TEST(TsPayload, SelectorLengthMustMatchItsType) {
  // TS_IPV4_ADDR_RANGE with Selector Length 24 (it is 16).
  EXPECT_TRUE(Fails(Decode(One(PT::kTsi, Cat({Hex("01000000" "07000018"),
                                              Bytes(20, 0)}))),
                    Code::kInvalidSyntax, 38, "rfc7296#section-3.13.1", "it must be 16"));
  // TS_IPV6_ADDR_RANGE with Selector Length 16 (it is 40).
  EXPECT_TRUE(Fails(Decode(One(PT::kTsr, Cat({Hex("01000000" "08000010"),
                                              Bytes(12, 0)}))),
                    Code::kInvalidSyntax, 38, "rfc7296#section-3.13.1", "it must be 40"));
}

TEST(TsPayload, NumberOfTssMustCountTheSelectors) {
  const Bytes v4 =
      Hex("07000010" "0000ffff" "c0000200" "c00002ff");
  EXPECT_TRUE(Fails(Decode(One(PT::kTsi, Cat({Hex("02000000"), v4}))), Code::kInvalidSyntax, 52,
                    "rfc7296#section-3.13.1", "traffic selector 2 of 2"));
  EXPECT_TRUE(Fails(Decode(One(PT::kTsi, Cat({Hex("01000000"), v4, Hex("07000010")}))), Code::kInvalidSyntax, 52,
                    "rfc7296#section-3.13", "4 bytes after the 1 traffic selectors"));
  const Message m = Decoded(One(PT::kTsi, Cat({Hex("01000000"), v4})));
  const TrafficSelector& ts = m.payloads[0].as<TsPayload>()->traffic_selectors[0];
  EXPECT_EQ(DescribeTs(ts), "192.0.2.0-192.0.2.255 proto 0 port 0-65535");
  EXPECT_TRUE(VerifyPayload(m.payloads[0]).ok());
}

TEST(TsPayload, OtherSelectorTypesAreKeptOpaque) {
  // TS_SECLABEL (10, RFC 9478) with four octets of label.
  const Bytes wire = One(PT::kTsi, Hex("01000000" "0a000008" "deadbeef"));
  const Message m = Decoded(wire);
  const TrafficSelector& ts = m.payloads[0].as<TsPayload>()->traffic_selectors[0];
  EXPECT_EQ(ts.ts_type, iana::TsType::kSecLabel);
  EXPECT_EQ(ts.other, Hex("deadbeef"));
  EXPECT_EQ(Encode(m), wire);
}

TEST(TsVerify, RangesRunUpwards) {
  // Ports 80-79, then addresses .255-.0; the OPAQUE ports 65535-0 pass.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kTsi, Hex("01000000" "07000010" "0050004f" "c0000200" "c00002ff")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.13.1", "Start Port 80 above End Port 79"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kTsi, Hex("01000000" "07000010" "0000ffff" "c00002ff" "c0000200")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.13.1", "Starting Address"));
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kTsi, Hex("01000000" "07000010" "ffff0000" "c0000200" "c00002ff")))
                                .payloads[0])
                  .ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kTsi, Hex("00000000"))).payloads[0]), Code::kInvalidSyntax, 32,
                    "rfc7296#section-3.13"));
}

// ---------------------------------------------------------------------------
// CP, EAP, SKF (§3.15, §3.16, RFC 7383)

TEST(CpPayload, AttributeOverrun) {
  // INTERNAL_IP4_ADDRESS claiming 8 octets, 4 present.
  EXPECT_TRUE(Fails(Decode(One(PT::kCp, Hex("01000000" "00010008" "c0000201"))),
                    Code::kInvalidSyntax, 38, "rfc7296#section-3.15.1", "claims 8 value bytes, 4 left"));
  EXPECT_TRUE(Fails(Decode(One(PT::kCp, Hex("01000000" "000100"))),
                    Code::kInvalidSyntax, 36, "rfc7296#section-3.15.1", "needs 4 bytes"));
}

TEST(CpVerify, ValueSizes) {
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kCp, Hex("01000000" "00010000" "00030004c0000235")))
                                .payloads[0])
                  .ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kCp, Hex("02000000" "00010003" "c00002")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 32, "rfc7296#section-3.15.1", "INTERNAL_IP4_ADDRESS"));
}

TEST(EapVerify, HeaderAndLength) {
  // EAP Request/Identity (RFC 3748 §5.1) with no identity.
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kEap, Hex("0101000501"))).payloads[0]).ok());
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kEap, Hex("03010004"))).payloads[0]).ok());  // Success
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kEap, Hex("0501000501"))).payloads[0]), Code::kInvalidSyntax, 32,
                    "rfc3748#section-4", "Code 5"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kEap, Hex("0101000601"))).payloads[0]), Code::kInvalidSyntax, 34,
                    "rfc7296#section-3.16", "EAP Length 6"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kEap, Hex("0301000500"))).payloads[0]), Code::kInvalidSyntax, 34,
                    "rfc3748#section-4"));
}

TEST(SkfVerify, FragmentNumbering) {
  EXPECT_TRUE(VerifyPayload(Decoded(Msg(53, Gp(35, 0,
                                               Hex("00010002" "55"))))
                                .payloads[0])
                  .ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(Msg(53, Gp(0, 0,
                                                     Hex("00000002" "55"))))
                                      .payloads[0]),
                    Code::kBadFragment, 32, "rfc7383#section-2.5"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(Msg(53, Gp(0, 0,
                                                     Hex("00030002" "55"))))
                                      .payloads[0]),
                    Code::kBadFragment, 32, "rfc7383#section-2.5", "exceeds"));
  // Fragment 2 naming a first inner payload: the error points at Next Payload.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(Msg(53, Gp(35, 0,
                                                     Hex("00020002" "55"))))
                                      .payloads[0]),
                    Code::kBadFragment, 28, "rfc7383#section-2.5"));
}

// ---------------------------------------------------------------------------
// Real messages: values as tshark 4.0 dissects pcaps/strongswan-gcm/capture.pcap
// (`tshark -r pcaps/strongswan-gcm/capture.pcap -V`), frames 1-3; the bytes are
// the UDP payloads of those frames.

// Frame 1, UDP 500: IKE_SA_INIT request, 264 bytes.
const char kFrame1[] =
    "80ea419260b5b6ec00000000000000002120220800000000000001082200002800000024010100030300000c01000014800e0100"
    "030000080200000500000008040000132800004800130000f7e7e60a5b2c459e1b9ced52892a1e7c8d1def47f7419c4f54861043"
    "2434130d69c1c8a723a9d0a27082c0e9d3c475b55881a6251dcb9f68fb79a579ecfa155229000024da4e137e1c90d52c3d6096ba"
    "c644afd6596bd676df1caf06acb28ae4c32fec2a2900001c000040049fcfd5276ac1dad436afa1c74856268935475adb2900001c"
    "000040058b946a9f706fa764131993f3cb09a26c246b1e21290000080000402e290000100000402f000200030004000500000008"
    "00004016";
// Frame 2, UDP 500: IKE_SA_INIT response, 272 bytes.
const char kFrame2[] =
    "80ea419260b5b6ec2c239fb98b89226d2120222000000000000001102200002800000024010100030300000c01000014800e0100"
    "0300000802000005000000080400001328000048001300000784d4c2b877d1b0fb95b6835358c77e7a4f62113fe00430f2d9f302"
    "4f45f1bd6e24e5a6775364ecb39f97e5bf601608700f8708e855e5933f3fa20fe7a94f2a2900002489038e236c25897f59463575"
    "25bf136ae0593db3292d6542a42e3d03cc4fb3f62900001c00004004d77fc622f2e35f626f3c499a9f63608ca27708df2900001c"
    "00004005533a9789b11e01161a56fc2c4513171898ec211b290000080000402e290000100000402f000200030004000529000008"
    "000040220000000800004014";
// Frame 3, UDP 4500: non-ESP marker (4 zero octets), then the IKE_AUTH
// request, 263 bytes.
const char kFrame3[] =
    "0000000080ea419260b5b6ec2c239fb98b89226d2e2023080000000100000107230000ebb8f27d4b78ad25cdd7317181af354bf0"
    "77aedf233a8ec33bee57ecb367fa3e315c88814d406fd6e03f7204c4b5f55a087fcee0ae2c375ce7f239dc26a717fe9c00601dff"
    "cacbf38991ba7ab859f229f3a58d570d311cff22214376dbb5e76c705f737eb99d3279115d2b7b98f02afcb07e38fc286aa9a16b"
    "d0614fd9aca561d17c91595e5d4694e250c09685ca13193014c998a00d13fdf1cb41a16d36179d4ce9cbe652b627e304a3ae9482"
    "b6a9a333f46983bf61469130a173cd55f19dd1c293235e055d351e594dc9840b9a1669696b43cdc68869e6b96ce01fb46597bb15"
    "4a7ea010c80e64";

std::vector<std::string> Labels(const Message& m) {
  std::vector<std::string> out;
  for (const Payload& p : m.payloads) out.push_back(PayloadLabel(p));
  return out;
}

// SA of frames 1 and 2 (tshark: Proposal #1, IKE, SPI Size 0, 3 transforms:
// ENCR 20 "AES-GCM with a 16 octet ICV" Key Length 256, PRF 5
// PRF_HMAC_SHA2_256, D-H 19 "256-bit random ECP group").
void ExpectStrongswanGcmProposal(const Payload& p) {
  ASSERT_NE(p.as<SaPayload>(), nullptr);
  const SaPayload& sa = *p.as<SaPayload>();
  ASSERT_EQ(sa.proposals.size(), 1u);
  const Proposal& pr = sa.proposals[0];
  EXPECT_EQ(pr.proposal_num, 1);
  EXPECT_EQ(pr.protocol_id, iana::SecurityProtocol::kIke);
  EXPECT_TRUE(pr.spi.empty());
  ASSERT_EQ(pr.transforms.size(), 3u);
  EXPECT_EQ(pr.transforms[0].type, TT::kEncr);
  EXPECT_EQ(pr.transforms[0].id, 20);
  EXPECT_EQ(pr.transforms[0].key_length(), 256);
  EXPECT_EQ(pr.transforms[1].type, TT::kPrf);
  EXPECT_EQ(pr.transforms[1].id, 5);
  EXPECT_EQ(pr.transforms[2].type, TT::kKe);
  EXPECT_EQ(pr.transforms[2].id, 19);
}

TEST(StrongswanGcmCapture, Frame1IkeSaInitRequest) {
  const Bytes wire = Hex(kFrame1);
  ASSERT_EQ(wire.size(), 264u);
  const Message m = Decoded(wire);
  // tshark: Initiator SPI 80ea419260b5b6ec, Responder SPI 0, Version 2.0,
  // IKE_SA_INIT (34), Flags 0x08 (Initiator, Request), Message ID 0, Length 264.
  EXPECT_EQ(m.header.spi_i, 0x80ea419260b5b6ecULL);
  EXPECT_EQ(m.header.spi_r, 0u);
  EXPECT_EQ(m.header.major_version, 2);
  EXPECT_EQ(m.header.minor_version, 0);
  EXPECT_EQ(m.header.exchange_type, iana::ExchangeType::kIkeSaInit);
  EXPECT_EQ(m.header.flags, 0x08);
  EXPECT_EQ(m.header.message_id, 0u);
  EXPECT_EQ(m.header.length, 264u);
  EXPECT_EQ(Describe(m.header), "IKE_SA_INIT request");
  EXPECT_EQ(Labels(m), (std::vector<std::string>{"SA", "KE", "Nonce", "N(NAT_DETECTION_SOURCE_IP)",
                                                 "N(NAT_DETECTION_DESTINATION_IP)", "N(IKEV2_FRAGMENTATION_SUPPORTED)",
                                                 "N(SIGNATURE_HASH_ALGORITHMS)", "N(REDIRECT_SUPPORTED)"}));
  ExpectStrongswanGcmProposal(m.payloads[0]);
  // tshark: KE payload length 72, DH Group # 19; Key Exchange Data as
  // `-T fields -e isakmp.key_exchange.data` prints it.
  const KePayload& ke = *m.payloads[1].as<KePayload>();
  EXPECT_EQ(ke.group, iana::KeGroup::kEcp256);
  EXPECT_EQ(ke.key_exchange_data, Hex("f7e7e60a5b2c459e1b9ced52892a1e7c8d1def47f7419c4f548610432434130d"
                                      "69c1c8a723a9d0a27082c0e9d3c475b55881a6251dcb9f68fb79a579ecfa1552"));
  EXPECT_EQ(m.payloads[2].as<NoncePayload>()->nonce_data,
            Hex("da4e137e1c90d52c3d6096bac644afd6596bd676df1caf06acb28ae4c32fec2a"));
  EXPECT_EQ(m.payloads[3].as<NotifyPayload>()->notification_data, Hex("9fcfd5276ac1dad436afa1c74856268935475adb"));
  EXPECT_EQ(m.payloads[4].as<NotifyPayload>()->notification_data, Hex("8b946a9f706fa764131993f3cb09a26c246b1e21"));
  // SHA2-256 (2), SHA2-384 (3), SHA2-512 (4), Identity (5).
  EXPECT_EQ(m.payloads[6].as<NotifyPayload>()->notification_data, Hex("0002000300040005"));
  for (const Payload& p : m.payloads) {
    EXPECT_FALSE(p.critical);
    EXPECT_TRUE(p.as<NotifyPayload>() == nullptr || p.as<NotifyPayload>()->spi.empty());
    const Status s = VerifyPayload(p);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
  }
  // Payload offsets: SA at 28 (40 bytes), KE at 68 (72), Nonce at 140 (36).
  EXPECT_EQ(m.payloads[1].offset, 68u);
  EXPECT_EQ(m.payloads[2].offset, 140u);
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(Encode(m), wire);
}

TEST(StrongswanGcmCapture, Frame2IkeSaInitResponse) {
  const Bytes wire = Hex(kFrame2);
  ASSERT_EQ(wire.size(), 272u);
  const Message m = Decoded(wire);
  // tshark: Responder SPI 2c239fb98b89226d, Flags 0x20 (Responder, Response),
  // Length 272.
  EXPECT_EQ(m.header.spi_i, 0x80ea419260b5b6ecULL);
  EXPECT_EQ(m.header.spi_r, 0x2c239fb98b89226dULL);
  EXPECT_EQ(m.header.flags, 0x20);
  EXPECT_TRUE(m.header.response());
  EXPECT_FALSE(m.header.initiator());
  EXPECT_EQ(m.header.length, 272u);
  EXPECT_EQ(Describe(m.header), "IKE_SA_INIT response");
  EXPECT_EQ(Labels(m), (std::vector<std::string>{"SA", "KE", "Nonce", "N(NAT_DETECTION_SOURCE_IP)",
                                                 "N(NAT_DETECTION_DESTINATION_IP)", "N(IKEV2_FRAGMENTATION_SUPPORTED)",
                                                 "N(SIGNATURE_HASH_ALGORITHMS)", "N(CHILDLESS_IKEV2_SUPPORTED)",
                                                 "N(MULTIPLE_AUTH_SUPPORTED)"}));
  ExpectStrongswanGcmProposal(m.payloads[0]);
  const KePayload& ke = *m.payloads[1].as<KePayload>();
  EXPECT_EQ(ke.group, iana::KeGroup::kEcp256);
  EXPECT_EQ(ke.key_exchange_data, Hex("0784d4c2b877d1b0fb95b6835358c77e7a4f62113fe00430f2d9f3024f45f1bd"
                                      "6e24e5a6775364ecb39f97e5bf601608700f8708e855e5933f3fa20fe7a94f2a"));
  EXPECT_EQ(m.payloads[2].as<NoncePayload>()->nonce_data,
            Hex("89038e236c25897f5946357525bf136ae0593db3292d6542a42e3d03cc4fb3f6"));
  EXPECT_EQ(m.payloads[3].as<NotifyPayload>()->notification_data, Hex("d77fc622f2e35f626f3c499a9f63608ca27708df"));
  EXPECT_EQ(m.payloads[4].as<NotifyPayload>()->notification_data, Hex("533a9789b11e01161a56fc2c4513171898ec211b"));
  for (const Payload& p : m.payloads) {
    const Status s = VerifyPayload(p);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
  }
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(Encode(m), wire);
}

TEST(StrongswanGcmCapture, Frame3IkeAuthRequestOnPort4500) {
  const Bytes udp = Hex(kFrame3);
  ASSERT_EQ(udp.size(), 267u);
  //= rfc3948#section-2.2
  //# IKE on port 4500 starts with a four-octet zero non-ESP marker.
  ASSERT_EQ(Bytes(udp.begin(), udp.begin() + 4), Bytes(4, 0));
  const Bytes wire(udp.begin() + 4, udp.end());
  const Message m = Decoded(wire);
  // tshark: Next payload 46 (Encrypted and Authenticated), IKE_AUTH (35),
  // Flags 0x08, Message ID 1, Length 263; SK payload: Next payload
  // Identification - Initiator (35), Payload length 235, IV b8f27d4b...
  EXPECT_EQ(m.header.exchange_type, iana::ExchangeType::kIkeAuth);
  EXPECT_EQ(m.header.next_payload, PT::kSk);
  EXPECT_EQ(m.header.message_id, 1u);
  EXPECT_EQ(m.header.length, 263u);
  ASSERT_EQ(m.payloads.size(), 1u);
  const SkPayload* sk = m.payloads[0].as<SkPayload>();
  ASSERT_NE(sk, nullptr);
  EXPECT_EQ(sk->first_inner, PT::kIdi);
  EXPECT_EQ(sk->encrypted.size(), 235u - 4);
  EXPECT_EQ(Bytes(sk->encrypted.begin(), sk->encrypted.begin() + 4), Hex("b8f27d4b"));
  EXPECT_EQ(m.Encrypted(), &m.payloads[0]);
  EXPECT_FALSE(m.decrypted);
  EXPECT_EQ(Encode(m), wire);
  // With the marker still in front, the bytes are no IKE message.
  EXPECT_FALSE(Decode(udp).ok());
}

}  // namespace
}  // namespace ipsecref::ike
