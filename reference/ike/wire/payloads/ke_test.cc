// KE payload (RFC 7296 §3.4).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(KePayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kKe, Hex("001300"))), Code::kTruncated, 32, "rfc7296#section-3.4"));
}

TEST(KeVerify, KeyExchangeDataIsNotEmpty) {
  const Message m = Decoded(One(PT::kKe, Hex("00130000")));
  EXPECT_TRUE(Fails(VerifyPayload(m.payloads[0]), Code::kInvalidSyntax, 36, "rfc7296#section-3.4"));
}

}  // namespace
}  // namespace ipsecref::ike
