// The ISAKMP header (RFC 2408 §3.1) on hand-written bytes and on a
// strongSwan message, with the values tshark 4.0 dissects from it.
#include "reference/ikev1/test_util.h"

namespace ipsecref::ikev1 {
namespace {

TEST(Ikev1Header, FieldsOfAStrongswanMessageAsTsharkReadsThem) {
  // tshark: Initiator SPI 9e97d2be7358cd64, Responder SPI 0, Next payload SA
  // (1), Version 1.0, Identity Protection (Main Mode) (2), Flags 0x00,
  // Message ID 0, Length 180.
  std::vector<Error> notes;
  ByteReader in(kMainMode1);
  const auto h = ParseHeader(in, kMainMode1.size(), notes);
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  EXPECT_EQ(h->initiator_cookie, 0x9e97d2be7358cd64u);
  EXPECT_EQ(h->responder_cookie, 0u);
  EXPECT_EQ(h->next_payload, PayloadType::kSa);
  EXPECT_EQ(h->major_version, 1);
  EXPECT_EQ(h->minor_version, 0);
  EXPECT_EQ(h->exchange_type, ExchangeType::kIdentityProtection);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->message_id, 0u);
  EXPECT_EQ(h->length, 180u);
  EXPECT_EQ(in.offset(), kHeaderSize);
  EXPECT_TRUE(notes.empty());
  EXPECT_EQ(ExchangeLabel(h->exchange_type), "Main Mode");
}

TEST(Ikev1Header, EncryptedMessageOfTheCapture) {
  // Frame 5 of the same capture (after its non-ESP marker): tshark reads
  // Next payload Identification (5), Flags 0x01 (Encryption), Length 124,
  // "Encrypted Data (96 bytes)".
  const Bytes wire = Hex(
      "9e97d2be7358cd64b099a4b4795ce94205100201000000000000007c027b963ddea722d41dae9c72ee7f7c4e54b5ae2b86aed4"
      "1c05d0b96e4196c1076de4339ef43bb81b1381f22dedba9d6858fa14ee0d8ce04d070312bb8ad62f73edad557a7f7b3ef751ee"
      "74a7cb008078c8109370884a7e981a7eea3e5ececc25");
  const Message m = V1Decoded(wire);
  EXPECT_TRUE(m.header.encrypted());
  EXPECT_EQ(m.header.next_payload, PayloadType::kId);
  EXPECT_EQ(m.header.responder_cookie, 0xb099a4b4795ce942u);
  EXPECT_EQ(m.header.length, 124u);
  EXPECT_EQ(m.encrypted.size(), 96u);
  EXPECT_TRUE(m.payloads.empty());
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(Ikev1Header, IsIkev1ByMajorVersion) {
  EXPECT_TRUE(IsIkev1(kMainMode1));
  Bytes v2 = kMainMode1;
  v2[17] = 0x20;
  EXPECT_FALSE(IsIkev1(v2));
  EXPECT_FALSE(IsIkev1(ByteSpan(kMainMode1).first(27)));
}

TEST(Ikev1Header, MajorVersionOtherThanOneIsRefused) {
  Bytes wire = V1Msg(0, {});
  wire[17] = 0x20;
  EXPECT_TRUE(Fails(Decode(wire), Code::kBadVersion, 17, "rfc2408#section-5.2", "major version 2"));
}

TEST(Ikev1Header, MinorVersionAndReservedFlagsAreNoted) {
  Bytes wire = V1Msg(0, {}, 0x09);  // E and a reserved bit
  wire[17] = 0x11;
  const Message m = V1Decoded(wire);
  ASSERT_EQ(m.notes.size(), 2u);
  EXPECT_EQ(m.notes[0].requirement, "rfc2408#section-3.1");
  EXPECT_EQ(m.notes[1].offset, 19u);
  EXPECT_EQ(FlagsLabel(m.header.flags), "E");
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(Ikev1Header, LengthMustBeTheDatagramSize) {
  Bytes wire = V1Msg(0, {});
  StoreU32(&wire[24], 29);
  EXPECT_TRUE(Fails(Decode(wire), Code::kBadLength, 24, "rfc2408#section-3.1", "Length 29 but the message is 28"));
  StoreU32(&wire[24], 20);
  EXPECT_TRUE(Fails(Decode(wire), Code::kBadLength, 24, "rfc2408#section-3.1", "shorter than the 28-byte header"));
  EXPECT_TRUE(Fails(Decode(ByteSpan(wire).first(27)), Code::kTruncated, 0, "rfc2408#section-3.1"));
}

}  // namespace
}  // namespace ipsecref::ikev1
