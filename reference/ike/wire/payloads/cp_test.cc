// CP payload (RFC 7296 §3.15).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(CpPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kCp, Hex("010000"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.15"));
}

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

//= rfc7296#section-3.15.1
//# A configuration attribute's Length is 16 bits.
TEST(CpEncode, AttributeLengthMustFitItsField) {
  ByteWriter w4;
  EXPECT_TRUE(RefusedAsTooLong(Write(CpPayload{iana::CfgType::kRequest, {{1, Bytes(65536, 0)}}}, w4), "rfc7296#section-3.15.1",
                      "65536 value bytes"));
}

}  // namespace
}  // namespace ipsecref::ike
