// prf+ structure (RFC 7296 §2.13). Known answers for the PRFs are in
// vectors/prf/; those for prf+ come with the IKEv2 key-derivation vectors.
#include "reference/crypto/prf.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace ipsecref::crypto {
namespace {

TEST(PrfPlus, RefusesMoreThan255Blocks) {
  //= rfc7296#section-2.13
  //# The counter is one octet: 255 blocks at most.
  EXPECT_TRUE(PrfPlus(iana::Prf::kHmacSha2_256, Bytes(32, 1), Bytes(8, 2), 255 * 32).ok());
  auto r = PrfPlus(iana::Prf::kHmacSha2_256, Bytes(32, 1), Bytes(8, 2), 255 * 32 + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().requirement, "rfc7296#section-2.13");
}

TEST(PrfPlus, FirstBlockIsPrfOfSeedAndOne) {
  //= rfc7296#section-2.13
  //# T1 = prf(K, S | 0x01).
  const Bytes key(20, 7), seed = {0xde, 0xad};
  auto prf = MakePrf(iana::Prf::kHmacSha1, key);
  ASSERT_TRUE(prf.ok());
  Bytes t1(20);
  const uint8_t one = 1;
  (*prf)->Compute({seed, ByteSpan(&one, 1)}, t1);
  auto plus = PrfPlus(iana::Prf::kHmacSha1, key, seed, 20);
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(Bytes(plus->begin(), plus->end()), t1);
}

TEST(Prf, UnknownTransformIsNamed) {
  auto r = MakePrf(iana::Prf::kHmacMd5, Bytes(16, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kUnknownTransform);
  EXPECT_NE(r.error().detail.find("PRF_HMAC_MD5"), std::string::npos);
}

TEST(Prf, RegistryNamesAndSizes) {
  for (const PrfTransform& t : PrfTransforms()) {
    EXPECT_EQ(iana::PrfFromName(t.name()), t.id);
    auto prf = MakePrf(t.id, Bytes(t.key_size, 3));
    ASSERT_TRUE(prf.ok()) << t.name();
    EXPECT_EQ((*prf)->output_size(), t.output_size) << t.name();
  }
}

RC_GTEST_PROP(PrfPlus, ShorterOutputIsAPrefixOfLonger, ()) {
  const auto prfs = PrfTransforms();
  const PrfTransform& t = prfs[*rc::gen::inRange<size_t>(0, prfs.size())];
  const Bytes key = *rc::gen::arbitrary<Bytes>();
  const Bytes seed = *rc::gen::arbitrary<Bytes>();
  const size_t longer = *rc::gen::inRange<size_t>(0, 255 * t.output_size + 1);
  const size_t shorter = *rc::gen::inRange<size_t>(0, longer + 1);
  auto a = PrfPlus(t.id, key, seed, shorter);
  auto b = PrfPlus(t.id, key, seed, longer);
  RC_ASSERT(a.ok() && b.ok());
  RC_ASSERT(a->size() == shorter && b->size() == longer);
  RC_ASSERT(std::equal(a->begin(), a->end(), b->begin()));
}

}  // namespace
}  // namespace ipsecref::crypto
