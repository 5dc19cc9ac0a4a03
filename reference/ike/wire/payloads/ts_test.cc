// TSi and TSr payloads (RFC 7296 §3.13).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(TsPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kTsi, Hex("01"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.13"));
}

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
  EXPECT_EQ(Encode(m).value(), wire);
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

//= rfc7296#section-3.13
//# Number of TSs is one octet and Selector Length 16 bits.
TEST(TsEncode, CountAndLengthMustFitTheirFields) {
  const TrafficSelector any{iana::TsType::kIpv4AddrRange, 0, 0, 65535, Bytes{0, 0, 0, 0}, Bytes{255, 255, 255, 255}, {}};
  ByteWriter w1;
  EXPECT_TRUE(Write(TsPayload{std::vector<TrafficSelector>(255, any)}, w1).ok());
  ByteWriter w2;
  EXPECT_TRUE(RefusedAsTooLong(Write(TsPayload{std::vector<TrafficSelector>(256, any)}, w2), "rfc7296#section-3.13",
                      "256 traffic selectors"));
  TrafficSelector other{static_cast<iana::TsType>(200), 0, 0, 0, {}, {}, Bytes(65536, 0)};
  ByteWriter w3;
  EXPECT_TRUE(RefusedAsTooLong(Write(TsPayload{{other}}, w3), "rfc7296#section-3.13.1", "Selector Length"));
}

}  // namespace
}  // namespace ipsecref::ike
