// Key sizes, the order keys are cut from prf+ output, the fixed-key PRF
// nonce rule and the error paths. Whole known-answer derivations (NIST SP
// 800-135 samples, strongSwan logs) are in vectors/ike/.
#include "reference/ike/keymat/keymat.h"

#include <gtest/gtest.h>

#include <string>

#include "reference/crypto/prf.h"

namespace ipsecref::ike::keymat {
namespace {

using iana::Encr;
using iana::Integ;
using iana::Prf;

Bytes H(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

Bytes B(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

void ExpectSizes(const Suite& suite, KeySizes want) {
  auto got = SizesFor(suite);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->sk_d, want.sk_d);
  EXPECT_EQ(got->sk_a, want.sk_a);
  EXPECT_EQ(got->sk_e, want.sk_e);
  EXPECT_EQ(got->sk_p, want.sk_p);
}

void ExpectError(const Error& e, Code code, std::string_view requirement) {
  EXPECT_EQ(e.code, code) << e.ToString();
  EXPECT_EQ(e.requirement, requirement) << e.ToString();
}

// --- SizesFor ---------------------------------------------------------------

TEST(SizesFor, AesCbcWithHmacSha256) {
  // RFC 3602: AES-CBC with a 256-bit key; RFC 4868: HMAC-SHA-256-128 keys
  // and PRF-HMAC-SHA-256 keys are 256 bits. strongSwan's cbc log prints
  // 32-byte Sk_d, Sk_ai, Sk_ei and Sk_pi for the same suite.
  ExpectSizes({Prf::kHmacSha2_256, Encr::kAesCbc, 256, Integ::kHmacSha2_256_128}, {32, 32, 32, 32});
}

TEST(SizesFor, AesCbc128WithSha1) {
  // RFC 3602 (128-bit AES key), RFC 2404 (HMAC-SHA-1-96 key 160 bits),
  // RFC 2104 / RFC 7296 §2.13 (PRF-HMAC-SHA1 preferred key = 160-bit output).
  ExpectSizes({Prf::kHmacSha1, Encr::kAesCbc, 128, Integ::kHmacSha1_96}, {20, 20, 16, 20});
}

TEST(SizesFor, Sha384AndSha512) {
  // RFC 4868: HMAC-SHA-384-192 and PRF-HMAC-SHA-384 take 384-bit keys,
  // the SHA-512 ones 512-bit keys.
  ExpectSizes({Prf::kHmacSha2_384, Encr::kAesCbc, 192, Integ::kHmacSha2_384_192}, {48, 48, 24, 48});
  ExpectSizes({Prf::kHmacSha2_512, Encr::kAesCbc, 256, Integ::kHmacSha2_512_256}, {64, 64, 32, 64});
}

TEST(SizesFor, AesGcmKeyIncludesFourByteSalt) {
  //= rfc5282#section-7.1
  //# SK_ei/SK_er for AES-GCM are the key plus a 4-octet salt; there are no
  //# SK_ai/SK_ar. strongSwan's gcm log prints 36-byte Sk_ei for AES-256-GCM.
  ExpectSizes({Prf::kHmacSha2_256, Encr::kAesGcm16, 256, Integ::kNone}, {32, 0, 36, 32});
  ExpectSizes({Prf::kHmacSha2_256, Encr::kAesGcm8, 128, Integ::kNone}, {32, 0, 20, 32});
}

TEST(SizesFor, AesCcmKeyIncludesThreeByteSalt) {
  //= rfc5282#section-7.1
  //# AES-CCM keying material is the key plus a 3-octet salt.
  ExpectSizes({Prf::kHmacSha1, Encr::kAesCcm8, 128, Integ::kNone}, {20, 0, 19, 20});
  ExpectSizes({Prf::kHmacSha2_384, Encr::kAesCcm16, 256, Integ::kNone}, {48, 0, 35, 48});
}

TEST(SizesFor, ChaCha20Poly1305HasFixedKeyAndFourByteSalt) {
  //= rfc7634#section-2
  //# 256-bit key plus 32-bit salt; the transform has no Key Length attribute.
  ExpectSizes({Prf::kHmacSha2_512, Encr::kChaCha20Poly1305, 0, Integ::kNone}, {64, 0, 36, 64});
}

TEST(SizesFor, AesXcbcPrfAndIntegrity) {
  // RFC 4434: AES-XCBC-PRF-128 output (and preferred key) 128 bits;
  // RFC 3566: AES-XCBC-MAC-96 key 128 bits.
  ExpectSizes({Prf::kAes128Xcbc, Encr::kAesCbc, 128, Integ::kAesXcbc96}, {16, 16, 16, 16});
  ExpectSizes({Prf::kAes128Cmac, Encr::kAesCtr, 128, Integ::kAesCmac96}, {16, 16, 20, 16});
}

TEST(SizesFor, TripleDesFixedLength) {
  // RFC 2451: 3DES takes 192 bits of keying material; fixed, so no Key Length.
  ExpectSizes({Prf::kHmacSha1, Encr::k3Des, 0, Integ::kHmacSha1_96}, {20, 20, 24, 20});
}

TEST(SizesFor, RefusesAeadWithIntegrity) {
  auto r = SizesFor({Prf::kHmacSha2_256, Encr::kAesGcm16, 256, Integ::kHmacSha2_256_128});
  ASSERT_FALSE(r.ok());
  ExpectError(r.error(), Code::kBadTransformCombination, "rfc7296#section-3.3");
}

TEST(SizesFor, RefusesNonAeadWithoutIntegrity) {
  auto r = SizesFor({Prf::kHmacSha2_256, Encr::kAesCbc, 256, Integ::kNone});
  ASSERT_FALSE(r.ok());
  ExpectError(r.error(), Code::kBadTransformCombination, "rfc7296#section-3.3.3");
}

TEST(SizesFor, RefusesMissingOrWrongKeyLength) {
  auto missing = SizesFor({Prf::kHmacSha2_256, Encr::kAesCbc, 0, Integ::kHmacSha2_256_128});
  ASSERT_FALSE(missing.ok());
  ExpectError(missing.error(), Code::kBadKeyLength, "rfc7296#section-3.3.5");
  auto wrong = SizesFor({Prf::kHmacSha2_256, Encr::kAesCbc, 100, Integ::kHmacSha2_256_128});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Code::kBadKeyLength);
  EXPECT_NE(wrong.error().detail.find("100"), std::string::npos);
  auto chacha = SizesFor({Prf::kHmacSha2_256, Encr::kChaCha20Poly1305, 128, Integ::kNone});
  ASSERT_FALSE(chacha.ok());
  EXPECT_EQ(chacha.error().code, Code::kBadKeyLength);
}

TEST(SizesFor, NamesUnknownTransforms) {
  auto prf = SizesFor({Prf::kHmacMd5, Encr::kAesCbc, 128, Integ::kHmacSha1_96});
  ASSERT_FALSE(prf.ok());
  EXPECT_EQ(prf.error().code, Code::kUnknownTransform);
  EXPECT_NE(prf.error().detail.find("PRF_HMAC_MD5"), std::string::npos);
  auto encr = SizesFor({Prf::kHmacSha1, Encr::kDes, 64, Integ::kHmacSha1_96});
  ASSERT_FALSE(encr.ok());
  EXPECT_EQ(encr.error().code, Code::kUnknownTransform);
  EXPECT_NE(encr.error().detail.find("ENCR_DES"), std::string::npos);
  auto integ = SizesFor({Prf::kHmacSha1, Encr::kAesCbc, 128, Integ::kHmacMd5_96});
  ASSERT_FALSE(integ.ok());
  EXPECT_EQ(integ.error().code, Code::kUnknownTransform);
  EXPECT_NE(integ.error().detail.find("AUTH_HMAC_MD5_96"), std::string::npos);
}

// --- SKEYSEED and the fixed-key PRF rule --------------------------------------

Bytes PrfOf(Prf id, ByteSpan key, ByteSpan data) {
  auto prf = crypto::MakePrf(id, key);
  EXPECT_TRUE(prf.ok());
  Bytes out((*prf)->output_size());
  (*prf)->Compute({data}, out);
  return out;
}

const Bytes kNi = H("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kNr = H("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const Bytes kGir = H("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52");

TEST(Skeyseed, FixedKeyPrfsUse64BitsOfEachNonce) {
  //= rfc7296#section-2.14
  //# AES-XCBC-PRF-128 and AES-CMAC-PRF-128 take the first 64 bits of Ni and
  //# the first 64 bits of Nr as the SKEYSEED key.
  const Bytes key = H("0001020304050607f0f1f2f3f4f5f6f7");
  for (Prf id : {Prf::kAes128Xcbc, Prf::kAes128Cmac}) {
    auto got = Skeyseed(id, kNi, kNr, kGir);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(B(*got), PrfOf(id, key, kGir)) << iana::Name(id);
    // Plain Ni | Nr (reduced by RFC 4434 §2 / RFC 4615 §3) would differ.
    Bytes both = kNi;
    both.insert(both.end(), kNr.begin(), kNr.end());
    EXPECT_NE(B(*got), PrfOf(id, both, kGir)) << iana::Name(id);
  }
}

TEST(Skeyseed, NonceBitsPast64DoNotMatterForFixedKeyPrfsOnly) {
  Bytes other_ni = kNi;
  other_ni.back() ^= 0xff;
  for (Prf id : {Prf::kAes128Xcbc, Prf::kAes128Cmac}) {
    auto a = Skeyseed(id, kNi, kNr, kGir), b = Skeyseed(id, other_ni, kNr, kGir);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(B(*a), B(*b)) << iana::Name(id);
  }
  for (Prf id : {Prf::kHmacSha1, Prf::kHmacSha2_256, Prf::kHmacSha2_512}) {
    auto a = Skeyseed(id, kNi, kNr, kGir), b = Skeyseed(id, other_ni, kNr, kGir);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(B(*a), B(*b)) << iana::Name(id);
  }
}

TEST(Skeyseed, HmacPrfsAreKeyedWithNiThenNr) {
  Bytes key = kNi;
  key.insert(key.end(), kNr.begin(), kNr.end());
  auto got = Skeyseed(Prf::kHmacSha2_256, kNi, kNr, kGir);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(B(*got), PrfOf(Prf::kHmacSha2_256, key, kGir));
}

TEST(Skeyseed, FixedKeyPrfNeeds64BitNonces) {
  auto r = Skeyseed(Prf::kAes128Xcbc, H("00010203040506"), kNr, kGir);
  ASSERT_FALSE(r.ok());
  ExpectError(r.error(), Code::kInvalidArgument, "rfc7296#section-2.14");
  auto r2 = Skeyseed(Prf::kAes128Cmac, kNi, H("f0f1"), kGir);
  ASSERT_FALSE(r2.ok());
  ExpectError(r2.error(), Code::kInvalidArgument, "rfc7296#section-2.14");
}

TEST(Skeyseed, UnknownPrf) {
  auto r = Skeyseed(Prf::kHmacTiger, kNi, kNr, kGir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kUnknownTransform);
}

// --- The order keys are cut in ---------------------------------------------------
//
// Inputs and prf+ streams are the SHA-1 IKEv2 KDF case of Cisco's OpenSSL
// FIPS self-test (crypto/kdf/kdftest.c, test_ikev2_kdf, in fliphil/openssl):
// 64-bit nonces and SPIs, 1056 bits of DKM, DKM(Child SA), DKM(Child SA D-H).
// The expected keys below are those published streams cut by hand.

const Bytes kCiscoNi = H("3651fef5c9c35e93"), kCiscoNr = H("c09a8b90a3f04d59");
constexpr uint64_t kCiscoSpiI = 0x8e5c3ae507221684, kCiscoSpiR = 0xb1f201bb155c3acd;
const Bytes kCiscoSkeyseed = H("cd2e8050137832245f1dbacc6e4f0a92f94d45d6");
const Bytes kCiscoSkD = H("6f1b12cad3cbe097b35430356d869d54cddb0198");  // DKM bytes 0..19

TEST(DeriveIkeSaKeys, CutsSevenKeysInRfcOrder) {
  //= rfc7296#section-2.14
  //# SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr, in that order.
  // PRF-HMAC-SHA1, AES-128-CBC, HMAC-SHA1-96: 20 + 2*20 + 2*16 + 2*20 = 132
  // bytes, exactly the published DKM.
  auto keys = DeriveIkeSaKeys({Prf::kHmacSha1, Encr::kAesCbc, 128, Integ::kHmacSha1_96}, kCiscoSkeyseed, kCiscoNi,
                              kCiscoNr, kCiscoSpiI, kCiscoSpiR);
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(B(keys->sk_d), kCiscoSkD);
  EXPECT_EQ(B(keys->sk_ai), H("ec859174d53ceb92dddedbe2436db69f60977c58"));
  EXPECT_EQ(B(keys->sk_ar), H("fa63bbb667f8d36920b109baae8f6c61a9ac49fe"));
  EXPECT_EQ(B(keys->sk_ei), H("da01843225d080ec5539d5881a25521f"));
  EXPECT_EQ(B(keys->sk_er), H("fb2a0a91874a9c0a27fcc2d717eb8963"));
  EXPECT_EQ(B(keys->sk_pi), H("a9e3a89c7ab264757284c28cf8c3ca40576f4220"));
  EXPECT_EQ(B(keys->sk_pr), H("b052b1fb8e9ad60ba3c80557323331a8cbb89f20"));
}

TEST(DeriveIkeSaKeys, AeadSuiteHasEmptyIntegrityKeys) {
  auto keys = DeriveIkeSaKeys({Prf::kHmacSha1, Encr::kAesGcm16, 128, Integ::kNone}, kCiscoSkeyseed, kCiscoNi,
                              kCiscoNr, kCiscoSpiI, kCiscoSpiR);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->sk_ai.empty());
  EXPECT_TRUE(keys->sk_ar.empty());
  // SK_ei follows SK_d directly: DKM bytes 20..39 (16-byte key + 4-byte salt).
  EXPECT_EQ(B(keys->sk_ei), H("ec859174d53ceb92dddedbe2436db69f60977c58"));
}

TEST(DeriveIkeSaKeys, PassesSuiteErrorsOn) {
  auto r = DeriveIkeSaKeys({Prf::kHmacSha1, Encr::kAesCbc, 128, Integ::kNone}, kCiscoSkeyseed, kCiscoNi, kCiscoNr,
                           kCiscoSpiI, kCiscoSpiR);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadTransformCombination);
}

TEST(DeriveChildSaKeys, InitiatorKeysFirstEncryptionBeforeIntegrity) {
  //= rfc7296#section-2.17
  //# encr_i | integ_i | encr_r | integ_r.
  // AES-128-CBC + HMAC-SHA1-96 from DKM(Child SA) = prf+(SK_d, Ni | Nr).
  auto keys = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, Encr::kAesCbc, 128,
                                Integ::kHmacSha1_96);
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(B(keys->encr_i), H("4727dc0ef94eb326ce131cf282fb652f"));
  EXPECT_EQ(B(keys->integ_i), H("aa638ad0ddae3786a11bcc0309876009f8c485de"));
  EXPECT_EQ(B(keys->encr_r), H("011ad962c5b1ca8a41ff814544574907"));
  EXPECT_EQ(B(keys->integ_r), H("9c5686e26ffebbc342f06981f3da745e11ca0976"));
}

TEST(DeriveChildSaKeys, AeadKeysCarryTheSaltAndNoIntegrityKey) {
  auto keys = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, Encr::kAesGcm16, 128,
                                Integ::kNone);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(B(keys->encr_i), H("4727dc0ef94eb326ce131cf282fb652faa638ad0"));
  EXPECT_TRUE(keys->integ_i.empty());
  EXPECT_EQ(B(keys->encr_r), H("ddae3786a11bcc0309876009f8c485de011ad962"));
  EXPECT_TRUE(keys->integ_r.empty());
}

TEST(DeriveChildSaKeys, PfsPutsTheNewSharedSecretFirstInTheSeed) {
  // 3DES + HMAC-SHA1-96 from DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr).
  const Bytes gir_new = H(
      "52f00ab174c25d5b7139ae5ff4e8e9eddee5992d2e36adf8a559ffd90dab1442e4fbe429d320c0f33552a17d1557fa41"
      "ea70e8fb916c4fa27ed52b5f8ebd8461afa78f1159159a64055ac5f6319e29c28eae58cbc6847770f32c3fed1d047504"
      "84f854790f95e9ec01bc5bc461f24966462e359511329305038e94deb6dd42c2");
  auto keys = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, gir_new, kCiscoNi, kCiscoNr, Encr::k3Des, 0,
                                Integ::kHmacSha1_96);
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(B(keys->encr_i), H("b109c21ad4c0797768c1cec9e63554681e48f224bca7f23c"));
  EXPECT_EQ(B(keys->integ_i), H("20c4ea7041983451e9aa1d5408656c8a975ff1b9"));
  EXPECT_EQ(B(keys->encr_r), H("d9a12c75ffeb64bdecb30174664cccb4e14f1c377b7f6d15"));
  EXPECT_EQ(B(keys->integ_r), H("25af77c7092aac3e47f917ebae8297fb5539d200"));
}

TEST(DeriveChildSaKeys, AhTakesOnlyIntegrityKeys) {
  // AH: no encryption transform (a CHILD SA of AH negotiates none, Encr{};
  // ENCR_NULL gives the same KEYMAT): integ_i is the first 20 bytes of
  // DKM(Child SA), integ_r the next 20.
  for (Encr none : {Encr::kNull, Encr{}}) {
    auto keys = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, none, 0, Integ::kHmacSha1_96);
    ASSERT_TRUE(keys.ok()) << static_cast<int>(none);
    EXPECT_TRUE(keys->encr_i.empty());
    EXPECT_EQ(B(keys->integ_i), H("4727dc0ef94eb326ce131cf282fb652faa638ad0"));
    EXPECT_EQ(B(keys->integ_r), H("ddae3786a11bcc0309876009f8c485de011ad962"));
  }
  // Regression: Encr{} (what an AH proposal yields) was refused as an
  // unimplemented encryption transform, so no AH CHILD SA could be keyed.
  EXPECT_FALSE(DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, Encr{}, 0, Integ::kNone).ok());
}

TEST(DeriveChildSaKeys, RefusesBadCombinations) {
  auto nothing = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, Encr::kNull, 0, Integ::kNone);
  ASSERT_FALSE(nothing.ok());
  ExpectError(nothing.error(), Code::kBadTransformCombination, "rfc4303#section-3.2");
  auto aead = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, Encr::kAesGcm16, 128,
                                Integ::kHmacSha1_96);
  ASSERT_FALSE(aead.ok());
  ExpectError(aead.error(), Code::kBadTransformCombination, "rfc7296#section-3.3");
  // ESP with encryption only is allowed (RFC 7296 §3.3.3: INTEG optional for ESP).
  auto enc_only = DeriveChildSaKeys(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, Encr::kAesCbc, 128,
                                    Integ::kNone);
  ASSERT_TRUE(enc_only.ok());
  EXPECT_EQ(B(enc_only->encr_r), H("aa638ad0ddae3786a11bcc0309876009"));
}

TEST(ChildKeymat, RefusesMoreThanPrfPlusCanGive) {
  auto r = ChildKeymat(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr, 255 * 20 + 1);
  ASSERT_FALSE(r.ok());
  ExpectError(r.error(), Code::kInvalidArgument, "rfc7296#section-2.13");
}

TEST(RekeySkeyseed, NeedsTheNewSharedSecret) {
  auto r = RekeySkeyseed(Prf::kHmacSha1, kCiscoSkD, {}, kCiscoNi, kCiscoNr);
  ASSERT_FALSE(r.ok());
  ExpectError(r.error(), Code::kInvalidArgument, "rfc7296#section-1.3.2");
}

// --- AUTH ------------------------------------------------------------------------

TEST(SignedOctets, MessageThenNonceThenMacedIdThenIntAuth) {
  const Bytes message = H("80ea419260b5b6ec00000000000000002120220800000000000000200000"),
              nonce = H("89038e236c25897f"), skp = H("002b4cef75dd153bedcf6248f3620ecb"),
              id = H("02000000612e70662e74657374"), int_auth = H("aabbccdd00000001");
  auto plain = SignedOctets(Prf::kHmacSha2_256, message, nonce, skp, id);
  auto with = SignedOctets(Prf::kHmacSha2_256, message, nonce, skp, id, int_auth);
  ASSERT_TRUE(plain.ok() && with.ok());
  Bytes want = message;
  want.insert(want.end(), nonce.begin(), nonce.end());
  const Bytes maced = PrfOf(Prf::kHmacSha2_256, skp, id);
  want.insert(want.end(), maced.begin(), maced.end());
  EXPECT_EQ(*plain, want);
  //= rfc9242#section-3.3.2
  //# IntAuth goes last.
  want.insert(want.end(), int_auth.begin(), int_auth.end());
  EXPECT_EQ(*with, want);
}

TEST(SharedKeyAuth, KeyPadIsSeventeenOctetsWithoutTerminator) {
  EXPECT_EQ(kKeyPad.size(), 17u);
  const Bytes psk = H("70662d746573742d70736b2d30313233343536373839"), octets = H("0102030405");
  auto auth = SharedKeyAuth(Prf::kHmacSha2_256, psk, octets);
  ASSERT_TRUE(auth.ok());
  const Bytes pad(kKeyPad.begin(), kKeyPad.end());
  EXPECT_EQ(*auth, PrfOf(Prf::kHmacSha2_256, PrfOf(Prf::kHmacSha2_256, psk, pad), octets));
}

TEST(SharedKeyAuth, UnknownPrf) {
  auto r = SharedKeyAuth(Prf::kHmacMd5, H("00"), H("00"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kUnknownTransform);
}

}  // namespace
}  // namespace ipsecref::ike::keymat
