// AUTH payload (RFC 7296 §3.8).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(AuthPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kAuth, Hex("0200"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.8"));
}

TEST(AuthVerify, EcdsaSignatureSizes) {
  // ECDSA with SHA-256 on P-256 (method 9): r||s is 64 octets.
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kAuth, Cat({Hex("09000000"), Bytes(64, 1)}))).payloads[0]).ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kAuth, Cat({Hex("09000000"), Bytes(63, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 36, "rfc4754#section-7"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kAuth, Hex("02000000"))).payloads[0]), Code::kInvalidSyntax, 36,
                    "rfc7296#section-3.8"));
}

}  // namespace
}  // namespace ipsecref::ike
