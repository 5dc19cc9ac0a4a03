// IDi and IDr payloads (RFC 7296 §3.5).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(IdPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kIdi, Hex("020000"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.5"));
  EXPECT_TRUE(Fails(Decode(One(PT::kIdr, Hex("02"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.5"));
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

}  // namespace
}  // namespace ipsecref::ike
