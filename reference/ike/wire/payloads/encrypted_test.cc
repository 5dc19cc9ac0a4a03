// SKF payload (RFC 7383 §2.5).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(SkfPayload, FixedPartMissing) {
  // SKF: Fragment Number read, Total Fragments missing; the error points at it.
  EXPECT_TRUE(Fails(Decode(One(PT::kSkf, Hex("000100"))), Code::kInvalidSyntax, 34, "rfc7383#section-2.5"));
}

TEST(SkfVerify, FragmentNumbering) {
  EXPECT_TRUE(VerifyPayload(Decoded(Msg(53, Gp(35, 0,
                                               Hex("00010002" "55"))))
                                .payloads[0])
                  .ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(Msg(53, Gp(0, 0,
                                                     Hex("00000002" "55"))))
                                      .payloads[0]),
                    Code::kBadFragment, 32, "rfc7383#section-2.5"));
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(Msg(53, Gp(0, 0,
                                                     Hex("00030002" "55"))))
                                      .payloads[0]),
                    Code::kBadFragment, 32, "rfc7383#section-2.5", "exceeds"));
  // Fragment 2 naming a first inner payload: the error points at Next Payload.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(Msg(53, Gp(35, 0,
                                                     Hex("00020002" "55"))))
                                      .payloads[0]),
                    Code::kBadFragment, 28, "rfc7383#section-2.5"));
}

}  // namespace
}  // namespace ipsecref::ike
