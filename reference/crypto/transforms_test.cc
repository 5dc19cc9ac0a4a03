// The transform registry: every entry constructs with each key size it
// lists and refuses the others. Known answers live in vectors/.
#include "reference/crypto/transforms.h"

#include <gtest/gtest.h>

namespace ipsecref::crypto {
namespace {

TEST(TransformRegistry, EveryEncrTransformBuildsWithItsKeySizes) {
  for (const EncrTransform& t : EncrTransforms()) {
    for (uint16_t bits : t.key_bits) {
      if (bits == 0 && t.id != iana::Encr::kNull) continue;
      const Bytes keymat(bits / 8 + t.salt_size, 0x5c);
      if (t.aead) {
        EXPECT_TRUE(MakeAead(t.id, keymat).ok()) << t.name() << " " << bits;
        EXPECT_FALSE(MakeCipher(t.id, keymat).ok()) << t.name();
      } else {
        EXPECT_TRUE(MakeCipher(t.id, keymat).ok()) << t.name() << " " << bits;
        EXPECT_FALSE(MakeAead(t.id, keymat).ok()) << t.name();
      }
    }
    const Bytes odd(t.salt_size + 7, 0);
    auto r = t.aead ? MakeAead(t.id, odd).ok() : MakeCipher(t.id, odd).ok();
    EXPECT_FALSE(r) << t.name() << " accepted 7 key bytes";
  }
}

TEST(TransformRegistry, EveryIntegTransformBuildsWithItsKeySize) {
  for (const IntegTransform& t : IntegTransforms()) {
    auto mac = MakeIntegrity(t.id, Bytes(t.key_size, 1));
    ASSERT_TRUE(mac.ok()) << t.name();
    EXPECT_EQ((*mac)->icv_size(), t.icv_size);
    auto bad = MakeIntegrity(t.id, Bytes(t.key_size + 1, 1));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Code::kBadKeyLength);
  }
}

TEST(TransformRegistry, UnknownIdsAreNamed) {
  auto r = MakeAead(iana::Encr::kDes, Bytes(8, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kUnknownTransform);
  EXPECT_NE(r.error().detail.find("ENCR_DES"), std::string::npos);
}

TEST(TransformRegistry, NamesRoundTripThroughIana) {
  for (const EncrTransform& t : EncrTransforms()) EXPECT_EQ(iana::EncrFromName(t.name()), t.id);
  for (const IntegTransform& t : IntegTransforms()) EXPECT_EQ(iana::IntegFromName(t.name()), t.id);
}

TEST(Aead, OpenRejectsAWrongSizedIcv) {
  auto aead = MakeAead(iana::Encr::kAesGcm16, Bytes(20, 1));
  ASSERT_TRUE(aead.ok());
  Bytes iv(8, 0), text(16, 0), icv(16);
  (*aead)->Seal(iv, {}, text, icv);
  EXPECT_TRUE((*aead)->Open(iv, {}, text, icv));
  EXPECT_FALSE((*aead)->Open(iv, {}, text, ByteSpan(icv).first(12)));
}

TEST(Rng, DeterministicIsReproducible) {
  auto a = MakeDeterministicRng(42), b = MakeDeterministicRng(42), c = MakeDeterministicRng(43);
  Bytes x(33), y(33), z(33);
  a->Fill(x);
  b->Fill(y);
  c->Fill(z);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

}  // namespace
}  // namespace ipsecref::crypto

#include <rapidcheck/gtest.h>

namespace ipsecref::crypto {
namespace {

RC_GTEST_PROP(Integrity, IcvDoesNotDependOnHowTheInputIsSplit, ()) {
  const auto transforms = IntegTransforms();
  const IntegTransform& t = transforms[*rc::gen::inRange<size_t>(0, transforms.size())];
  const Bytes key = *rc::gen::container<Bytes>(t.key_size, rc::gen::arbitrary<uint8_t>());
  const Bytes msg = *rc::gen::arbitrary<Bytes>();
  const size_t a = *rc::gen::inRange<size_t>(0, msg.size() + 1);
  const size_t b = *rc::gen::inRange<size_t>(a, msg.size() + 1);
  auto mac = MakeIntegrity(t.id, key);
  RC_ASSERT(mac.ok());
  Bytes whole(t.icv_size), split(t.icv_size);
  (*mac)->Compute({msg}, whole);
  const ByteSpan m(msg);
  (*mac)->Compute({m.first(a), m.subspan(a, b - a), m.subspan(b)}, split);
  RC_ASSERT(whole == split);
}

}  // namespace
}  // namespace ipsecref::crypto
