// The EAP packet codec: known packets both ways, and each rejection with its
// code, offset and requirement.
#include "reference/eap/packet.h"

#include <gtest/gtest.h>

#include "reference/eap/mschapv2.h"

namespace ipsecref::eap {
namespace {

Bytes H(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

void ExpectRejected(std::string_view hex, ipsecref::Code code, size_t offset, std::string_view requirement) {
  auto got = ParsePacket(H(hex));
  ASSERT_FALSE(got.ok()) << hex;
  EXPECT_EQ(got.error().code, code) << got.error().ToString();
  EXPECT_EQ(got.error().offset, offset) << got.error().ToString();
  EXPECT_EQ(got.error().requirement, requirement) << got.error().ToString();
}

void ExpectRoundTrip(std::string_view hex, const Packet& want) {
  auto got = ParsePacket(H(hex));
  ASSERT_TRUE(got.ok()) << hex << ": " << got.error().ToString();
  EXPECT_EQ(*got, want);
  auto bytes = Serialize(want);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, H(hex));
}

//= rfc3748#section-4.1
//# Request and Response: Code, Identifier, Length, Type, Type-Data.
TEST(EapPacket, RequestAndResponse) {
  ExpectRoundTrip("01 07 00 05 01", MakeRequest(7, Type::kIdentity, {}));
  ExpectRoundTrip("02 07 00 0a 01 61 6c 69 63 65", MakeResponse(7, Type::kIdentity, H("616c696365")));
  // An unknown Type parses, its Type-Data untouched.
  ExpectRoundTrip("01 09 00 07 63 aa bb", Packet{Code::kRequest, 9, 99, H("aabb")});
}

//= rfc3748#section-4.2
//# Success and Failure are the 4-octet header alone.
TEST(EapPacket, SuccessAndFailure) {
  ExpectRoundTrip("03 08 00 04", MakeSuccess(8));
  ExpectRoundTrip("04 08 00 04", MakeFailure(8));
  ExpectRejected("03 08 00 05 00", ipsecref::Code::kBadLength, 2, "rfc3748#section-4.2");
  ExpectRejected("04 08 00 06 00 00", ipsecref::Code::kBadLength, 2, "rfc3748#section-4.2");
}

//= rfc3748#section-4
//# Codes 1-4 only; Length covers the header and must not pass the data.
TEST(EapPacket, HeaderErrors) {
  ExpectRejected("", ipsecref::Code::kTruncated, 0, "rfc3748#section-4");
  ExpectRejected("01 02 00", ipsecref::Code::kTruncated, 0, "rfc3748#section-4");
  ExpectRejected("05 01 00 04", ipsecref::Code::kBadHeader, 0, "rfc3748#section-4");
  ExpectRejected("00 01 00 04", ipsecref::Code::kBadHeader, 0, "rfc3748#section-4");
  ExpectRejected("01 01 00 03", ipsecref::Code::kBadLength, 2, "rfc3748#section-4");
  ExpectRejected("01 01 00 08 01 61", ipsecref::Code::kTruncated, 2, "rfc3748#section-4");
  ExpectRejected("01 01 00 04", ipsecref::Code::kTruncated, 2, "rfc3748#section-4.1");
  // Octets after Length: refused (a project choice inside IKEv2).
  ExpectRejected("03 01 00 04 00", ipsecref::Code::kTrailingBytes, 4, "rfc7296#section-3.16");
}

//= rfc3748#section-5.3.1
//# Nak: a Response only, with one or more desired Types.
TEST(EapPacket, Nak) {
  ExpectRoundTrip("02 03 00 07 03 1a 04", MakeNak(3, {26, 4}));
  EXPECT_EQ(MakeNak(3, {}), MakeResponse(3, Type::kNak, {0}));
  ExpectRejected("02 03 00 05 03", ipsecref::Code::kBadLength, 2, "rfc3748#section-5.3.1");
  ExpectRejected("01 03 00 06 03 04", ipsecref::Code::kBadHeader, 4, "rfc3748#section-5");
  EXPECT_EQ(NakDesiredTypes(*ParsePacket(H("02 03 00 07 03 1a 04"))), (std::vector<uint8_t>{26, 4}));
}

//= rfc3748#section-5.4
//# MD5-Challenge: Value-Size, Value, Name.
TEST(EapPacket, Md5Challenge) {
  const Bytes hex = H("01 05 00 0a 04 02 aa bb 67 77");
  auto p = ParsePacket(hex);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  auto c = ReadMd5Challenge(*p);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->value, H("aabb"));
  EXPECT_EQ(c->name, H("6777"));
  EXPECT_EQ(*Md5ChallengeData(*c), H("02 aa bb 67 77"));
  ExpectRejected("01 05 00 08 04 05 aa bb", ipsecref::Code::kTruncated, 5, "rfc3748#section-5.4");
  ExpectRejected("01 05 00 06 04 00", ipsecref::Code::kBadLength, 5, "rfc1994#section-4.1");
  ExpectRejected("02 05 00 05 04", ipsecref::Code::kTruncated, 2, "rfc3748#section-5.4");
  EXPECT_FALSE(Md5ChallengeData({Bytes(256, 1), {}}).ok());
}

//= rfc3748#section-5.2
//# Notification Requests carry a message; their Responses carry nothing.
TEST(EapPacket, NotificationAndGtc) {
  ExpectRoundTrip("01 02 00 07 02 68 69", MakeRequest(2, Type::kNotification, H("6869")));
  ExpectRoundTrip("02 02 00 05 02", MakeResponse(2, Type::kNotification, {}));
  ExpectRejected("01 02 00 05 02", ipsecref::Code::kBadLength, 2, "rfc3748#section-5.2");
  ExpectRejected("02 02 00 06 02 00", ipsecref::Code::kBadLength, 5, "rfc3748#section-5.2");
  ExpectRejected("01 02 00 05 06", ipsecref::Code::kBadLength, 2, "rfc3748#section-5.6");
  ExpectRoundTrip("02 02 00 05 06", MakeResponse(2, Type::kGtc, {}));
}

TEST(EapPacket, Describe) {
  EXPECT_EQ(Describe(MakeSuccess(3)), "Success id 3");
  EXPECT_EQ(Describe(MakeResponse(7, Type::kIdentity, H("616c696365"))),
            "Response id 7 Identity \"alice\" (10 octets)");
  EXPECT_EQ(Describe(MakeNak(3, {26, 0})), "Response id 3 Nak wants MSCHAPv2,none (7 octets)");
  EXPECT_EQ(Describe(*ParsePacket(H("01 05 00 0a 04 02 aa bb 67 77"))),
            "Request id 5 MD5-Challenge value 2 octets name \"gw\" (10 octets)");
  EXPECT_EQ(Describe(Packet{Code::kRequest, 1, 200, {}}), "Request id 1 Type 200 (5 octets)");
  EXPECT_EQ(Describe(*ParsePacket(H("02 03 00 06 1a 03"))), "Response id 3 MSCHAPv2 Success (6 octets)");
  EXPECT_EQ(Describe(Packet{Code::kRequest, 1, 26, {9}}), "Request id 1 MSCHAPv2 OpCode 9 (6 octets)");
}

TEST(EapPacket, SerializeRefusesOversizedTypeData) {
  auto too_big = Serialize(MakeRequest(1, Type::kGtc, Bytes(65531, 'a')));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ipsecref::Code::kLengthOverflow);
  EXPECT_TRUE(Serialize(MakeRequest(1, Type::kGtc, Bytes(65530, 'a'))).ok());
}

//= reference/eap/README.md mschapv2-challenge-packet
//# OpCode, MS-CHAPv2-ID, MS-Length, Value-Size 16, challenge, Name.
TEST(EapMsChapV2Packet, ChallengeAndShortResponses) {
  // A Challenge Request as strongSwan's eap-mschapv2 plugin lays it out:
  // Length 0x24 = 36, MS-Length 0x1f = 31 = OpCode..Name ("strongSwan" is
  // 10 octets).
  const Bytes challenge = H("01 02 00 24 1a 01 02 00 1f 10 000102030405060708090a0b0c0d0e0f 7374726f6e675377616e");
  auto p = ParsePacket(challenge);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  auto m = mschapv2::ReadMessage(*p);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->op_code, mschapv2::OpCode::kChallenge);
  EXPECT_EQ(m->ms_chapv2_id, 2);
  EXPECT_EQ(m->value, H("000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(m->text, H("7374726f6e675377616e"));
  EXPECT_EQ(*Serialize(*mschapv2::MakePacket(Code::kRequest, 2, *m)), challenge);

  auto success_response = mschapv2::ReadMessage(*ParsePacket(H("02 03 00 06 1a 03")));
  ASSERT_TRUE(success_response.ok());
  EXPECT_TRUE(success_response->short_form);

  auto bad_ms_length = mschapv2::ReadMessage(*ParsePacket(H("01 02 00 0a 1a 01 02 00 09 10")));
  ASSERT_FALSE(bad_ms_length.ok());
  EXPECT_EQ(bad_ms_length.error().code, ipsecref::Code::kBadLength);
  EXPECT_EQ(bad_ms_length.error().offset, 7u);
  auto bad_value_size = mschapv2::ReadMessage(*ParsePacket(H("01 02 00 0a 1a 01 02 00 05 08")));
  ASSERT_FALSE(bad_value_size.ok());
  EXPECT_EQ(bad_value_size.error().offset, 9u);
  auto response_op_in_request = mschapv2::ReadMessage(*ParsePacket(H("01 02 00 06 1a 02")));
  ASSERT_FALSE(response_op_in_request.ok());
  EXPECT_EQ(response_op_in_request.error().code, ipsecref::Code::kBadHeader);
}

//= reference/eap/README.md mschapv2-failure-request-packet
//# E, R, C, V in any order, M last and to the end.
TEST(EapMsChapV2Packet, ResultFields) {
  const std::string failure = "E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=bad password, sorry";
  auto f = mschapv2::ReadResultFields(ByteSpan(reinterpret_cast<const uint8_t*>(failure.data()), failure.size()), 9);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->e, "691");
  EXPECT_EQ(f->r, "0");
  EXPECT_EQ(f->c, "00112233445566778899AABBCCDDEEFF");
  EXPECT_EQ(f->v, "3");
  EXPECT_EQ(f->m, "bad password, sorry");
  // strongSwan's Success Request ends its message with a NUL octet.
  const std::string success("S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome2strongSwan\0", 63);
  auto s = mschapv2::ReadResultFields(ByteSpan(reinterpret_cast<const uint8_t*>(success.data()), success.size()), 9);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->s, "407A5589115FD0D6209F510FE9C04566932CDA56");
  EXPECT_EQ(s->m, "Welcome2strongSwan");
  const std::string twice = "S=00 S=11";
  auto t = mschapv2::ReadResultFields(ByteSpan(reinterpret_cast<const uint8_t*>(twice.data()), twice.size()), 9);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().offset, 14u);
}

}  // namespace
}  // namespace ipsecref::eap
