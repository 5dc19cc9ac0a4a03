// Delete payload (RFC 7296 §3.11).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(DeletePayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kDelete, Hex("0304"))), Code::kInvalidSyntax, 32, "rfc7296#section-3.11"));
}

TEST(DeletePayload, SpiCountMustFillThePayload) {
  // ESP, SPI Size 4, Num of SPIs 2, but one SPI.
  EXPECT_TRUE(Fails(Decode(One(PT::kDelete, Hex("03040002" "11223344"))),
                    Code::kInvalidSyntax, 34, "rfc7296#section-3.11",
                    "2 SPIs of 4 bytes need 8 bytes; the payload holds 4"));
  // Num of SPIs 1 but two SPIs.
  EXPECT_TRUE(Fails(Decode(One(PT::kDelete, Hex("03040001" "1122334455667788"))),
                    Code::kInvalidSyntax, 34, "rfc7296#section-3.11"));
  const Message m = Decoded(One(PT::kDelete, Hex("03040002" "1122334455667788")));
  const DeletePayload& d = *m.payloads[0].as<DeletePayload>();
  ASSERT_EQ(d.spis.size(), 2u);
  EXPECT_EQ(d.spis[1], Hex("55667788"));
  EXPECT_TRUE(VerifyPayload(m.payloads[0]).ok());
}

TEST(DeleteVerify, SpiSizePerProtocol) {
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kDelete, Hex("01000000"))).payloads[0]).ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kDelete, Hex("03080001" "1122334455667788")))
                                      .payloads[0]),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.11", "SPI Size 8"));
  // IKE SA with an SPI count but SPI Size 0: the count survives, Verify refuses.
  const Message m = Decoded(One(PT::kDelete, Hex("01000003")));
  EXPECT_EQ(m.payloads[0].as<DeletePayload>()->num_of_spis, 3);
  EXPECT_TRUE(Fails(VerifyPayload(m.payloads[0]), Code::kInvalidSyntax, 33, "rfc7296#section-3.11"));
}

}  // namespace
}  // namespace ipsecref::ike
