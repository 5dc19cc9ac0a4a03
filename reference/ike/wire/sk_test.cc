// The SK payload body: the RFC 7634 Appendix B known answer, every reason
// for a rejection with its code, offset and requirement, and properties over
// every transform of the registry that IKE may use.
#include "reference/ike/wire/sk.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace ipsecref::ike {
namespace {

using iana::Encr;
using iana::Integ;

Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

// An IKE header (RFC 7296 §3.1) and an SK payload header (§3.2) whose
// lengths fit a body of `body_size` bytes.
Bytes MakeAssociatedData(size_t body_size, uint8_t first_inner = 41, uint8_t exchange = 37) {
  Bytes ad = Hex("0102030405060708" "1112131415161718");
  ad.insert(ad.end(), {46, 0x20, exchange, 0x08, 0, 0, 0, 7, 0, 0, 0, 0});
  StoreU32(ad.data() + 24, static_cast<uint32_t>(28 + 4 + body_size));
  ad.insert(ad.end(), {first_inner, 0, 0, 0});
  StoreU16(ad.data() + 30, static_cast<uint16_t>(4 + body_size));
  return ad;
}

std::unique_ptr<SkCrypter> Make(const SkKeys& keys, crypto::Rng* rng = nullptr) {
  auto c = SkCrypter::Create(keys, rng);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().ToString());
  return c.ok() ? std::move(c).value() : nullptr;
}

SkKeys CbcKeys() {
  return {Encr::kAesCbc, 128, Integ::kHmacSha2_256_128, SecureBytes(16, 0x11), SecureBytes(32, 0x22)};
}

SkKeys GcmKeys() { return {Encr::kAesGcm16, 256, Integ::kNone, SecureBytes(36, 0x33), {}}; }

// RFC 7634 Appendix B: an INFORMATIONAL request protected with
// ChaCha20-Poly1305. Key, salt, IV, IKE header with SK payload header (the
// AAD), plaintext and result as printed there.
struct Rfc7634B {
  SkKeys keys{Encr::kChaCha20Poly1305, 256, Integ::kNone,
              ToSecure(Hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                           "a0a1a2a3")),
              {}};
  Bytes aad = Hex("c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7" "2e202500000000090000004529000029");
  Bytes iv = Hex("1011121314151617");
  Bytes inner = Hex("0000000c000040010000000a");  // one Notify payload; pad length 0 follows
  Bytes body = Hex("1011121314151617" "610394701f8d017f7c12924889"
                   "6b71bfe25236efd7cdc67066906315b2");
};

TEST(SkKnownAnswer, Rfc7634AppendixBUnprotects) {
  Rfc7634B v;
  auto c = Make(v.keys);
  auto u = c->Unprotect(v.aad, v.body);
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ(Bytes(u->plaintext.begin(), u->plaintext.end()), v.inner);
  EXPECT_EQ(u->pad_length, 0);
  EXPECT_EQ(Bytes(u->iv.begin(), u->iv.end()), v.iv);
}

TEST(SkKnownAnswer, Rfc7634AppendixBProtects) {
  Rfc7634B v;
  auto c = Make(v.keys);
  EXPECT_EQ(c->EncryptedBodySize(v.inner.size()), v.body.size());
  SkCrypter::ProtectOptions o;
  o.iv = v.iv;
  auto body = c->Protect(v.aad, v.inner, o);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_EQ(*body, v.body);
}

TEST(SkCreate, RejectsTransformsIkeDoesNotAllow) {
  //= rfc7296#section-3.14
  //# ENCR_NULL and GMAC give no confidentiality: not for the SK payload.
  for (Encr e : {Encr::kNull, Encr::kNullAuthAesGmac}) {
    SkKeys k{e, e == Encr::kNull ? 0u : 128u, Integ::kHmacSha1_96, {}, SecureBytes(20, 1)};
    if (e == Encr::kNullAuthAesGmac) k = {e, 128, Integ::kNone, SecureBytes(20, 1), {}};
    auto c = SkCrypter::Create(k, nullptr);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Code::kBadTransformCombination);
    EXPECT_EQ(c.error().requirement, "rfc7296#section-3.14");
  }
}

TEST(SkCreate, CombinedModeTakesNoIntegrity) {
  SkKeys k = GcmKeys();
  k.integ = Integ::kHmacSha1_96;
  k.integ_key = SecureBytes(20, 1);
  auto c = SkCrypter::Create(k, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadTransformCombination);
  EXPECT_EQ(c.error().requirement, "rfc5282#section-8");
}

TEST(SkCreate, CipherNeedsIntegrity) {
  SkKeys k = CbcKeys();
  k.integ = Integ::kNone;
  k.integ_key.clear();
  auto c = SkCrypter::Create(k, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadTransformCombination);
  EXPECT_EQ(c.error().requirement, "rfc7296#section-3.3.3");
}

TEST(SkCreate, KeyLengthsAreChecked) {
  SkKeys k = GcmKeys();
  k.encr_key.resize(32);  // salt missing
  auto c = SkCrypter::Create(k, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadKeyLength);

  k = GcmKeys();
  k.encr_key_bits = 0;  // AES needs its Key Length attribute
  c = SkCrypter::Create(k, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadKeyLength);
  EXPECT_EQ(c.error().requirement, "rfc7296#section-3.3.5");

  k = CbcKeys();
  k.integ_key.resize(20);
  c = SkCrypter::Create(k, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadKeyLength);

  // Fixed-length transforms: 0 means "the only length".
  EXPECT_TRUE(SkCrypter::Create({Encr::k3Des, 0, Integ::kHmacSha1_96, SecureBytes(24, 1), SecureBytes(20, 2)},
                                nullptr)
                  .ok());
}

TEST(SkSizes, CbcPadsToTheBlockAndCombinedModesDoNot) {
  auto cbc = Make(CbcKeys());
  //= rfc7296#section-3.14
  //# Inner payloads, padding and Pad Length fill whole cipher blocks.
  EXPECT_EQ(cbc->MinPadLength(15), 0);
  EXPECT_EQ(cbc->MinPadLength(0), 15);
  EXPECT_EQ(cbc->MinPadLength(16), 15);
  EXPECT_EQ(cbc->EncryptedBodySize(20), 16 + 32 + 16u);
  EXPECT_EQ(cbc->EncryptedBodySize(20, 27), 16 + 48 + 16u);
  auto gcm = Make(GcmKeys());
  EXPECT_EQ(gcm->MinPadLength(20), 0);
  EXPECT_EQ(gcm->EncryptedBodySize(20), 8 + 21 + 16u);
  EXPECT_EQ(gcm->MaxPlaintextSize(8 + 21 + 16), 20u);
  EXPECT_EQ(gcm->MaxPlaintextSize(8 + 16), std::nullopt);
  EXPECT_EQ(cbc->MaxPlaintextSize(16 + 16 + 16 + 15), 15u);
  EXPECT_EQ(cbc->MaxPlaintextSize(16 + 15 + 16), std::nullopt);
}

TEST(SkProtect, RefusesPaddingThatBreaksTheBlock) {
  auto c = Make(CbcKeys());
  const Bytes inner(20, 0xaa);
  SkCrypter::ProtectOptions o;
  o.pad_length = 10;
  auto body = c->Protect(MakeAssociatedData(c->EncryptedBodySize(20, 10)), inner, o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, Code::kInvalidArgument);
  o.pad_length = 11;
  o.padding_bytes = Bytes(10, 0xee);  // disagrees with the pad length
  body = c->Protect(MakeAssociatedData(c->EncryptedBodySize(20, 11)), inner, o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, Code::kInvalidArgument);
}

TEST(SkProtect, IkeHeaderLengthMustCoverTheBody) {
  //= rfc7296#section-3.1
  //# The IKE header's Length counts the whole message.
  auto c = Make(GcmKeys());
  Bytes ad = MakeAssociatedData(c->EncryptedBodySize(10) + 1);
  auto body = c->Protect(ad, Bytes(10, 1));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, Code::kBadLength);
  EXPECT_EQ(body.error().requirement, "rfc7296#section-3.1");
  ad.resize(31);
  body = c->Protect(ad, Bytes(10, 1));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, Code::kInvalidArgument);
}

TEST(SkProtect, CounterIvsNeverRepeatAndCbcIvsComeFromTheRng) {
  //= rfc5282#section-3.1
  //# GCM's explicit IV is unique under the key.
  auto gcm = Make(GcmKeys());
  const Bytes ad = MakeAssociatedData(gcm->EncryptedBodySize(4));
  std::set<Bytes> ivs;
  for (int i = 0; i < 100; ++i) {
    auto body = gcm->Protect(ad, Bytes(4, 0));
    ASSERT_TRUE(body.ok());
    ivs.insert(Bytes(body->begin(), body->begin() + 8));
  }
  EXPECT_EQ(ivs.size(), 100u);

  //= rfc7296#section-3.14
  //# The CBC IV is drawn from the random generator for every message.
  auto rng = crypto::MakeDeterministicRng(7);
  auto expected = crypto::MakeDeterministicRng(7);
  auto cbc = Make(CbcKeys(), rng.get());
  for (int i = 0; i < 3; ++i) {
    auto body = cbc->Protect(MakeAssociatedData(cbc->EncryptedBodySize(4)), Bytes(4, 0));
    ASSERT_TRUE(body.ok());
    Bytes want(16);
    expected->Fill(want);
    EXPECT_EQ(Bytes(body->begin(), body->begin() + 16), want);
  }
}

TEST(SkUnprotect, TooShortForIvPadLengthAndIcv) {
  auto c = Make(GcmKeys());
  const Bytes body(8 + 16, 0);  // IV and ICV, no Pad Length
  auto u = c->Unprotect(MakeAssociatedData(body.size()), body);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, Code::kTruncated);
  EXPECT_EQ(u.error().offset, body.size());
  EXPECT_EQ(u.error().requirement, "rfc7296#section-3.14");
}

TEST(SkUnprotect, CbcCiphertextMustBeWholeBlocks) {
  auto c = Make(CbcKeys());
  const Bytes body(16 + 17 + 16, 0);
  auto u = c->Unprotect(MakeAssociatedData(body.size()), body);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, Code::kBadAlignment);
  EXPECT_EQ(u.error().offset, 16u);  // the ciphertext starts after the IV
}

TEST(SkUnprotect, IcvMismatchNamesTheIcvAndIsIgnoredOnlyWhenFuzzing) {
  auto c = Make(CbcKeys());
  const Bytes inner(30, 0x5a);
  const Bytes ad = MakeAssociatedData(c->EncryptedBodySize(inner.size()));
  auto body = c->Protect(ad, inner);
  ASSERT_TRUE(body.ok());
  (*body)[body->size() - 1] ^= 1;
  //= rfc7296#section-3.14
  //# A message whose Integrity Checksum Data does not verify is not
  //# authentic: it is refused, not decrypted.
  auto u = c->Unprotect(ad, *body);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, Code::kIcvMismatch);
  EXPECT_EQ(u.error().offset, body->size() - 16);
  EXPECT_EQ(u.error().requirement, "rfc7296#section-3.14");
  c->fuzzing_ignore_icv = true;
  u = c->Unprotect(ad, *body);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(Bytes(u->plaintext.begin(), u->plaintext.end()), inner);
}

TEST(SkUnprotect, PadLengthBeyondTheDataIsRejectedAfterTheIcvHolds) {
  // A faulty peer's message, built with the registry's primitives: one
  // block whose Pad Length (the last byte) claims 200 bytes of padding.
  const SkKeys k = CbcKeys();
  Bytes block(16, 0);
  block[15] = 200;
  const Bytes iv(16, 0x77);
  const size_t body_size = 16 + 16 + 16;
  const Bytes ad = MakeAssociatedData(body_size);
  auto cipher = crypto::MakeCipher(k.encr, k.encr_key);
  auto mac = crypto::MakeIntegrity(k.integ, k.integ_key);
  ASSERT_TRUE(cipher.ok() && mac.ok());
  (*cipher)->Encrypt(iv, block);
  Bytes body = iv;
  body.insert(body.end(), block.begin(), block.end());
  Bytes icv(16);
  (*mac)->Compute({ad, body}, icv);
  body.insert(body.end(), icv.begin(), icv.end());

  auto c = Make(k);
  auto u = c->Unprotect(ad, body);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, Code::kBadPadLength);
  EXPECT_EQ(u.error().offset, 31u);  // the Pad Length octet
  EXPECT_EQ(u.error().requirement, "rfc7296#section-3.14");
}

TEST(SkUnprotect, AnyPaddingContentIsAccepted) {
  //= rfc7296#section-3.14
  //# Padding may contain any value; the receiver does not inspect it.
  auto c = Make(CbcKeys());
  const Bytes inner(5, 0x42);
  SkCrypter::ProtectOptions o;
  o.padding_bytes = Bytes{0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02};
  const Bytes ad = MakeAssociatedData(c->EncryptedBodySize(inner.size(), 10));
  auto body = c->Protect(ad, inner, o);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  auto u = c->Unprotect(ad, *body);
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ(u->pad_length, 10);
  EXPECT_EQ(Bytes(u->plaintext.begin(), u->plaintext.end()), inner);
}

// ---- Properties over the registry -----------------------------------------

rc::Gen<SecureBytes> GenKey(size_t size) {
  return rc::gen::map(rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>()),
                      [](const Bytes& b) { return ToSecure(b); });
}

// Any transform combination IKE may use: every confidentiality transform of
// the registry (AES-CBC, AES-CTR, 3DES, AES-GCM/CCM-8/12/16,
// ChaCha20-Poly1305) at any of its key lengths, with every integrity
// transform for the non-AEAD ones.
rc::Gen<SkKeys> GenSkKeys() {
  return rc::gen::exec([] {
    std::vector<const crypto::EncrTransform*> usable;
    for (const auto& e : crypto::EncrTransforms())
      if (e.confidentiality) usable.push_back(&e);
    const crypto::EncrTransform& e = **rc::gen::elementOf(usable);
    std::vector<uint16_t> bits;
    for (uint16_t b : e.key_bits)
      if (b != 0) bits.push_back(b);
    SkKeys k;
    k.encr = e.id;
    k.encr_key_bits = *rc::gen::elementOf(bits);
    k.encr_key = *GenKey(k.encr_key_bits / 8 + e.salt_size);
    if (e.fixed_key_bits() != 0 && *rc::gen::arbitrary<bool>()) k.encr_key_bits = 0;
    if (!e.aead) {
      const auto integs = crypto::IntegTransforms();
      const auto& i = integs[*rc::gen::inRange<size_t>(0, integs.size())];
      k.integ = i.id;
      k.integ_key = *GenKey(i.key_size);
    }
    return k;
  });
}

struct Case {
  std::unique_ptr<crypto::Rng> rng = crypto::MakeDeterministicRng(1);
  std::unique_ptr<SkCrypter> sender, receiver;
  Bytes inner, ad, body;
  uint8_t pad = 0;
};

// A random message under random keys: inner payloads of 0..2000 bytes and
// any pad length that keeps the block alignment.
Case GenCase() {
  Case c;
  const SkKeys keys = *GenSkKeys();
  auto s = SkCrypter::Create(keys, c.rng.get());
  auto r = SkCrypter::Create(keys, nullptr);
  RC_ASSERT(s.ok());
  RC_ASSERT(r.ok());
  c.sender = std::move(s).value();
  c.receiver = std::move(r).value();
  c.inner = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 2001), rc::gen::arbitrary<uint8_t>());
  const size_t block = c.sender->block_size();
  const size_t extra_blocks = *rc::gen::inRange<size_t>(0, (255 - c.sender->MinPadLength(c.inner.size())) / block + 1);
  c.pad = static_cast<uint8_t>(c.sender->MinPadLength(c.inner.size()) + extra_blocks * block);
  const uint8_t first_inner = *rc::gen::inRange<uint8_t>(33, 54);
  c.ad = MakeAssociatedData(c.sender->EncryptedBodySize(c.inner.size(), c.pad), first_inner);
  SkCrypter::ProtectOptions o;
  o.pad_length = c.pad;
  if (*rc::gen::arbitrary<bool>()) o.padding_bytes = *rc::gen::container<Bytes>(c.pad, rc::gen::arbitrary<uint8_t>());
  auto body = c.sender->Protect(c.ad, c.inner, o);
  RC_ASSERT(body.ok());
  c.body = std::move(body).value();
  return c;
}

RC_GTEST_PROP(SkProperties, UnprotectInvertsProtect, ()) {
  Case c = GenCase();
  RC_ASSERT(c.body.size() == c.sender->EncryptedBodySize(c.inner.size(), c.pad));
  auto u = c.receiver->Unprotect(c.ad, c.body);
  RC_ASSERT(u.ok());
  RC_ASSERT(Bytes(u->plaintext.begin(), u->plaintext.end()) == c.inner);
  RC_ASSERT(u->pad_length == c.pad);
  RC_ASSERT(u->iv.data() == c.body.data());
  RC_ASSERT(u->iv.size() == c.sender->iv_size());
}

RC_GTEST_PROP(SkProperties, AnyBitFlipInAssociatedDataOrBodyIsRejected, ()) {
  Case c = GenCase();
  //= rfc7296#section-3.14
  //# The ICV covers the IKE header, the payload header, IV and ciphertext
  //# (for AEAD: the header as associated data): any flipped bit is caught.
  Bytes message = c.ad;
  message.insert(message.end(), c.body.begin(), c.body.end());
  const size_t bit = *rc::gen::inRange<size_t>(0, message.size() * 8);
  message[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  const ByteSpan ad = ByteSpan(message).first(c.ad.size());
  const ByteSpan body = ByteSpan(message).subspan(c.ad.size());
  auto u = c.receiver->Unprotect(ad, body);
  RC_ASSERT(!u.ok());
  const Code code = u.error().code;
  // A flip in the IKE header's Length field is caught before the ICV.
  RC_ASSERT(code == Code::kIcvMismatch || (code == Code::kBadLength && bit / 8 >= 24 && bit / 8 < 28));
}

RC_GTEST_PROP(SkProperties, TruncatedBodiesAreRejectedWithoutCrash, ()) {
  Case c = GenCase();
  const size_t keep = *rc::gen::inRange<size_t>(0, c.body.size());
  const ByteSpan body = ByteSpan(c.body).first(keep);
  const Bytes ad = MakeAssociatedData(keep);
  auto u = c.receiver->Unprotect(ad, body);
  RC_ASSERT(!u.ok());
  const Code code = u.error().code;
  RC_ASSERT(code == Code::kTruncated || code == Code::kBadAlignment || code == Code::kIcvMismatch);
  if (code == Code::kTruncated) RC_ASSERT(u.error().offset == keep);
}

RC_GTEST_PROP(SkProperties, MaxPlaintextSizeIsTheLargestThatFits, ()) {
  const SkKeys keys = *GenSkKeys();
  auto s = SkCrypter::Create(keys, nullptr);
  RC_ASSERT(s.ok());
  const SkCrypter& c = **s;
  const size_t budget = *rc::gen::inRange<size_t>(0, 3000);
  const auto most = c.MaxPlaintextSize(budget);
  if (!most) {
    RC_ASSERT(c.EncryptedBodySize(0) > budget);
  } else {
    RC_ASSERT(c.EncryptedBodySize(*most) <= budget);
    RC_ASSERT(c.EncryptedBodySize(*most + 1) > budget);
  }
}

}  // namespace
}  // namespace ipsecref::ike
