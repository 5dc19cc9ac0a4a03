// The IKE header (RFC 7296 §3.1) on hand-written bytes: the exact error of
// each malformation.
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

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
  EXPECT_EQ(Encode(m).value(), wire);
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
  EXPECT_EQ(Encode(m).value(), wire);
}

// RFC 7296 §3.1's layout, field by field: SPIi, SPIr, Next Payload, MjVer|MnVer,
// Exchange Type, Flags, Message ID, Length.
TEST(PeekHeader, ReadsEveryFieldWithoutJudging) {
  const Bytes wire = Hex("0102030405060708" "1112131415161718" "21" "20" "22" "08" "00000007" "0000001c");
  const std::optional<Header> h = PeekHeader(wire);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->spi_i, 0x0102030405060708u);
  EXPECT_EQ(h->spi_r, 0x1112131415161718u);
  EXPECT_EQ(h->next_payload, iana::PayloadType::kSa);
  EXPECT_EQ(h->major_version, 2);
  EXPECT_EQ(h->exchange_type, iana::ExchangeType::kIkeSaInit);
  EXPECT_TRUE(h->initiator());
  EXPECT_FALSE(h->response());
  EXPECT_EQ(h->message_id, 7u);
  EXPECT_EQ(h->length, 28u);
  // An IKEv1 header and a wrong Length are still read: judging is ParseHeader's.
  Bytes v1 = wire;
  v1[17] = 0x10;
  v1[27] = 0xff;
  ASSERT_TRUE(PeekHeader(v1).has_value());
  EXPECT_EQ(PeekHeader(v1)->major_version, 1);
  EXPECT_FALSE(PeekHeader(ByteSpan(wire).first(27)).has_value());
}

//= rfc7383#section-2.5
//# The Fragment Number follows the Encrypted Fragment payload's generic header.
TEST(PeekHeader, FragmentNumberOfAnSkfMessage) {
  const Bytes header = Hex("0102030405060708" "1112131415161718" "35" "20" "23" "08" "00000001" "00000028");
  const Bytes skf = Cat({header, Hex("2100000c" "0002" "0003" "aabbccdd")});
  EXPECT_EQ(PeekFragmentNumber(skf), std::optional<uint16_t>(2));
  EXPECT_EQ(PeekFragmentNumber(ByteSpan(skf).first(33)), std::nullopt);  // cut inside the number
  Bytes sk = skf;
  sk[16] = 46;  // SK, not SKF
  EXPECT_EQ(PeekFragmentNumber(sk), std::nullopt);
}

}  // namespace
}  // namespace ipsecref::ike
