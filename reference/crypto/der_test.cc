// Ecdsa-Sig-Value DER (reference/crypto/der.h) against encodings from
// outside the project: Wycheproof's ECDSA P-256/SHA-256 DER vectors, tcId
// 1-34 (C2SP/wycheproof testvectors_v1/ecdsa_secp256r1_sha256_test.json at
// 061657f1, transcribed in vectors/signature/ecdsa_p256_sha256_der_wycheproof.json).
// The signatures there verify or not as a whole; here only their encoding
// counts: every "valid" one decodes to its r || s and encodes back to the
// very same octets, every "invalid" one is refused before any curve
// arithmetic (each is invalid by its encoding: BER lengths, a missing or
// superfluous zero, wrong lengths, extra or missing elements).
#include "reference/crypto/der.h"

#include <gtest/gtest.h>

#include <string>

namespace ipsecref::crypto {
namespace {

Bytes Hex(const std::string& hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

struct ValidVector {
  int tc_id;
  std::string der;
  // The SEQUENCE's two INTEGERs read off the DER above, as 32-octet
  // big-endian values.
  std::string r, s;
};

const ValidVector kValid[] = {
    {1, "3045022100b292a619339f6e567a305c951c0dcbcc42d16e47f219f9e98e76e09d8770b34a02200177e60492c5a8242f76f07bfe3661bde59ec2a17ce5bd2dab2abebdf89a62e2",
     "b292a619339f6e567a305c951c0dcbcc42d16e47f219f9e98e76e09d8770b34a",
     "0177e60492c5a8242f76f07bfe3661bde59ec2a17ce5bd2dab2abebdf89a62e2"},
    {2, "30450220530bd6b0c9af2d69ba897f6b5fb59695cfbf33afe66dbadcf5b8d2a2a6538e23022100d85e489cb7a161fd55ededcedbf4cc0c0987e3e3f0f242cae934c72caa3f43e9",
     "530bd6b0c9af2d69ba897f6b5fb59695cfbf33afe66dbadcf5b8d2a2a6538e23",
     "d85e489cb7a161fd55ededcedbf4cc0c0987e3e3f0f242cae934c72caa3f43e9"},
    {3, "3046022100a8ea150cb80125d7381c4c1f1da8e9de2711f9917060406a73d7904519e51388022100f3ab9fa68bd47973a73b2d40480c2ba50c22c9d76ec217257288293285449b86",
     "a8ea150cb80125d7381c4c1f1da8e9de2711f9917060406a73d7904519e51388",
     "f3ab9fa68bd47973a73b2d40480c2ba50c22c9d76ec217257288293285449b86"},
    {4, "3045022100986e65933ef2ed4ee5aada139f52b70539aaf63f00a91f29c69178490d57fb7102203dafedfb8da6189d372308cbf1489bbbdabf0c0217d1c0ff0f701aaa7a694b9c",
     "986e65933ef2ed4ee5aada139f52b70539aaf63f00a91f29c69178490d57fb71",
     "3dafedfb8da6189d372308cbf1489bbbdabf0c0217d1c0ff0f701aaa7a694b9c"},
    {5, "304402202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e1802204cd60b855d442f5b3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79e6fadd76",
     "2ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18",
     "4cd60b855d442f5b3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79e6fadd76"},
    {7, "304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db",
     "2ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18",
     "b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},
};

struct InvalidVector {
  int tc_id;
  std::string der;
};

const InvalidVector kInvalid[] = {
    {6, "304402202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e180220b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // Legacy: ASN encoding of s misses leading 0
    {8, "30814502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] uses long form encoding
    {9, "3082004502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] contains a leading 0
    {10, "304602202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] uses 70 instead of 69
    {11, "304402202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] uses 68 instead of 69
    {12, "3085010000004502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // uint32 overflow in length of sequence [r, s]
    {13, "308901000000000000004502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // uint64 overflow in length of sequence [r, s]
    {14, "30847fffffff02202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] = 2**31 - 1
    {15, "30848000000002202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] = 2**31
    {16, "3084ffffffff02202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] = 2**32 - 1
    {17, "3085ffffffffff02202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] = 2**40 - 1
    {18, "3088ffffffffffffffff02202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // length of sequence [r, s] = 2**64 - 1
    {19, "30ff02202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // incorrect length of sequence [r, s]
    {20, "308002202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // replaced sequence [r, s] by an indefinite length tag without termination
    {21, ""},  // removing sequence [r, s]
    {22, "30"},  // lonely sequence tag
    {23, "304702202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db0000"},  // appending 0's to sequence [r, s]
    {24, "3047000002202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // prepending 0's to sequence [r, s]
    {25, "304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db0000"},  // appending unused 0's to sequence [r, s]
    {26, "304702202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db0500"},  // appending null value to sequence [r, s]
    {27, "304a498177304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // prepending garbage to sequence [r, s]
    {28, "30492500304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // prepending garbage to sequence [r, s]
    {29, "3047304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db0004deadbeef"},  // appending garbage to sequence [r, s]
    {30, "304daa00bb00cd00304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // including undefined tags
    {31, "304d2228aa00bb00cd0002202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // including undefined tags
    {32, "304d02202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e182229aa00bb00cd00022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // including undefined tags
    {33, "3081"},  // truncated length of sequence [r, s]
    {34, "304baa02aabb304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db"},  // including undefined tags to sequence [r, s]
};

constexpr size_t kP256OrderSize = 32;

TEST(EcdsaSigValue, WycheproofValidDecodesToRsAndEncodesBackTheSameOctets) {
  for (const ValidVector& v : kValid) {
    SCOPED_TRACE("Wycheproof tcId " + std::to_string(v.tc_id));
    Bytes rs = Hex(v.r);
    const Bytes s = Hex(v.s);
    rs.insert(rs.end(), s.begin(), s.end());
    auto decoded = RsFromEcdsaSigValue(Hex(v.der), kP256OrderSize);
    ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
    EXPECT_EQ(ToHex(*decoded), ToHex(rs));
    EXPECT_EQ(ToHex(EcdsaSigValueFromRs(rs)), v.der);
  }
}

//= rfc3279#section-2.2.3
//# The ECDSA signature value is the DER encoding of a SEQUENCE of the two
//# INTEGERs r and s; anything else is refused.
TEST(EcdsaSigValue, WycheproofInvalidEncodingsAreRefused) {
  for (const InvalidVector& v : kInvalid) {
    SCOPED_TRACE("Wycheproof tcId " + std::to_string(v.tc_id));
    auto decoded = RsFromEcdsaSigValue(Hex(v.der), kP256OrderSize);
    ASSERT_FALSE(decoded.ok()) << ToHex(*decoded);
    EXPECT_EQ(decoded.error().code, Code::kBadSignature);
    EXPECT_EQ(decoded.error().requirement, "rfc3279#section-2.2.3");
  }
}

// X.690 §8.3.2: an INTEGER's first nine bits are never all zero or all one:
// leading zero octets are dropped and a 0x00 goes in front of a high bit.
// The expected octets are written out from that rule.
TEST(EcdsaSigValue, IntegersAreMinimalAndPositive) {
  Bytes rs(64, 0);
  rs[31] = 0x01;  // r = 1
  rs[32] = 0x80;  // s = 0x80 followed by 31 zero octets
  Bytes expected = Hex("3026" "020101" "022100" "80");  // 3 + 2 + 1 + 32 octets
  expected.insert(expected.end(), 31, 0);
  EXPECT_EQ(ToHex(EcdsaSigValueFromRs(rs)), ToHex(expected));
  auto back = RsFromEcdsaSigValue(expected, kP256OrderSize);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(ToHex(*back), ToHex(rs));
}

TEST(EcdsaSigValue, LongerThanTheOrderIsRefused) {
  // tcId 1's r is 32 octets: with an order of 31 octets it cannot fit.
  auto decoded = RsFromEcdsaSigValue(Hex(kValid[0].der), 31);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().ToString().find("longer than the group order"), std::string::npos)
      << decoded.error().ToString();
}

}  // namespace
}  // namespace ipsecref::crypto
