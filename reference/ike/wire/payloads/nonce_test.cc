// Nonce payload (RFC 7296 §3.9).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(NonceVerify, SixteenTo256Octets) {
  for (size_t n : {size_t{15}, size_t{257}}) {
    const Message m = Decoded(One(PT::kNonce, Bytes(n, 0x5a)));
    EXPECT_TRUE(Fails(VerifyPayload(m.payloads[0]), Code::kInvalidSyntax, 32, "rfc7296#section-3.9",
                      std::to_string(n) + " bytes"))
        << n;
  }
  for (size_t n : {size_t{16}, size_t{256}}) {
    const Message m = Decoded(One(PT::kNonce, Bytes(n, 0x5a)));
    EXPECT_TRUE(VerifyPayload(m.payloads[0]).ok()) << n;
  }
}

}  // namespace
}  // namespace ipsecref::ike
