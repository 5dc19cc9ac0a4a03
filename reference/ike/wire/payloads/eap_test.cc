// EAP payload (RFC 7296 §3.16).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

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

}  // namespace
}  // namespace ipsecref::ike
