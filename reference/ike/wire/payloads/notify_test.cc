// Notify payload (RFC 7296 §3.10).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(NotifyPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kNotify, Hex("000040"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.10"));
}

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
                    "rfc7296#section-1.3.3", "SPI Size 0"));
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kNotify, Hex("03044009" "c0ffee00")))
                                .payloads[0])
                  .ok());
  // SIGNATURE_HASH_ALGORITHMS (16431): two-octet items.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kNotify, Hex("0000402f" "000200")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc7427#section-4"));
}

//= rfc7296#section-3.10
//# SPI Size is one octet.
TEST(NotifyEncode, SpiSizeMustFitItsField) {
  ByteWriter w5;
  EXPECT_TRUE(RefusedAsTooLong(Write(NotifyPayload{1, Bytes(256, 0), iana::NotifyType::kRekeySa, {}}, w5),
                      "rfc7296#section-3.10", "SPI Size"));
}

}  // namespace
}  // namespace ipsecref::ike
