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

}  // namespace
}  // namespace ipsecref::ike
