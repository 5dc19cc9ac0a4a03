// CERT and CERTREQ payloads (RFC 7296 §3.6, §3.7).
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(CertPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kCert, {})), Code::kInvalidSyntax, 32, "rfc7296#section-3.6"));
}

TEST(CertreqPayload, FixedPartMissing) {
  EXPECT_TRUE(Fails(Decode(One(PT::kCertreq, {})), Code::kInvalidSyntax, 32, "rfc7296#section-3.7"));
}

TEST(CertVerify, HashAndUrlAndCaHashes) {
  // Hash and URL of X.509 certificate (12): 20 octets cannot hold hash and URL.
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kCert, Cat({Hex("0c"), Bytes(20, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.6"));
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kCert, Cat({Hex("0c"), Bytes(21, 1)}))).payloads[0]).ok());
  // X.509 CERTREQ: 40 octets are two SHA-1 hashes, 41 are not.
  EXPECT_TRUE(VerifyPayload(Decoded(One(PT::kCertreq, Cat({Hex("04"), Bytes(40, 1)}))).payloads[0]).ok());
  EXPECT_TRUE(Fails(VerifyPayload(Decoded(One(PT::kCertreq, Cat({Hex("04"), Bytes(41, 1)}))).payloads[0]),
                    Code::kInvalidSyntax, 33, "rfc7296#section-3.7"));
}

}  // namespace
}  // namespace ipsecref::ike
