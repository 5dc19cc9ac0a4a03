// ESP SA behaviour: configuration rules, sequence numbers, and every reason
// for a drop, each with its code, offset and requirement.
#include "reference/esp/esp_sa.h"

#include <gtest/gtest.h>

namespace ipsecref::esp {
namespace {

SaConfig GcmConfig() {
  SaConfig c;
  c.spi = 0x1000;
  c.encr = iana::Encr::kAesGcm16;
  c.encr_key = SecureBytes(20, 0x11);
  c.mode = Mode::kTransport;
  return c;
}

// NULL encryption with HMAC-SHA2-256-128: the plaintext is visible, so tests
// can plant bad padding and recompute the ICV the way a faulty peer would.
SaConfig NullConfig() {
  SaConfig c;
  c.spi = 0x2000;
  c.encr = iana::Encr::kNull;
  c.integ = iana::Integ::kHmacSha2_256_128;
  c.integ_key = SecureBytes(32, 0x22);
  c.mode = Mode::kTransport;
  return c;
}

SaConfig CbcConfig() {
  SaConfig c;
  c.spi = 0x4000;
  c.encr = iana::Encr::kAesCbc;
  c.encr_key = SecureBytes(16, 3);
  c.integ = iana::Integ::kHmacSha1_96;
  c.integ_key = SecureBytes(20, 4);
  c.mode = Mode::kTransport;
  return c;
}

std::unique_ptr<Sa> Make(const SaConfig& c) {
  auto sa = Sa::Create(c);
  EXPECT_TRUE(sa.ok()) << (sa.ok() ? "" : sa.error().ToString());
  return std::move(sa).value();
}

void Reseal(Bytes& esp, const SaConfig& c) {
  auto mac = crypto::MakeIntegrity(c.integ, c.integ_key);
  ASSERT_TRUE(mac.ok());
  const size_t icv = (*mac)->icv_size();
  (*mac)->Compute({ByteSpan(esp).first(esp.size() - icv)}, MutableByteSpan(esp).last(icv));
}

TEST(EspSaConfig, RejectsReservedSpi) {
  //= rfc4303#section-2.1
  //# SPIs 0-255 never name an SA.
  SaConfig c = GcmConfig();
  c.spi = 255;
  auto sa = Sa::Create(c);
  ASSERT_FALSE(sa.ok());
  EXPECT_EQ(sa.error().code, Code::kBadSpi);
  EXPECT_EQ(sa.error().requirement, "rfc4303#section-2.1");
}

TEST(EspSaConfig, RejectsIntegrityWithAead) {
  SaConfig c = GcmConfig();
  c.integ = iana::Integ::kHmacSha1_96;
  c.integ_key = SecureBytes(20, 0);
  EXPECT_EQ(Sa::Create(c).error().code, Code::kBadTransformCombination);
}

TEST(EspSaConfig, NullWithoutIntegrityIsNeverAllowed) {
  //= rfc4303#section-3.2
  //# Encryption and integrity cannot both be NULL.
  SaConfig c = NullConfig();
  c.integ = iana::Integ::kNone;
  c.allow_no_integrity = true;
  EXPECT_EQ(Sa::Create(c).error().code, Code::kBadTransformCombination);
}

TEST(EspSaConfig, EncryptionOnlyNeedsExplicitConsent) {
  SaConfig c;
  c.spi = 0x3000;
  c.encr = iana::Encr::kAesCbc;
  c.encr_key = SecureBytes(16, 1);
  c.mode = Mode::kTransport;
  EXPECT_EQ(Sa::Create(c).error().code, Code::kBadTransformCombination);
  c.allow_no_integrity = true;
  auto sa = Sa::Create(c);
  ASSERT_TRUE(sa.ok());
  //= rfc4303#section-3.4.3
  //# Without integrity there is no anti-replay.
  EXPECT_FALSE((*sa)->replay_window().enabled());
}

TEST(EspSaConfig, RejectsWrongKeyLengths) {
  SaConfig c = GcmConfig();
  c.encr_key = SecureBytes(16, 0);  // AES-128 without its 4-byte salt
  EXPECT_EQ(Sa::Create(c).error().code, Code::kBadKeyLength);
  SaConfig n = NullConfig();
  n.integ_key = SecureBytes(16, 0);
  EXPECT_EQ(Sa::Create(n).error().code, Code::kBadKeyLength);
}

TEST(EspSaConfig, TunnelModeNeedsOuterAddresses) {
  SaConfig c = GcmConfig();
  c.mode = Mode::kTunnel;
  EXPECT_EQ(Sa::Create(c).error().code, Code::kInvalidArgument);
  c.tunnel_src = Bytes(4, 1);
  c.tunnel_dst = Bytes(16, 2);
  EXPECT_EQ(Sa::Create(c).error().code, Code::kInvalidArgument);
}

TEST(EspSa, SequenceNumbersStartAtOneAndNeverCycle) {
  //= rfc4303#section-3.3.3
  //# The first packet carries 1; without ESN, 2^32-1 is the last.
  auto sa = Make(GcmConfig());
  Bytes out;
  ASSERT_TRUE(sa->Protect(Bytes{0xaa}, 6, out).ok());
  EXPECT_EQ(LoadU32(out.data() + 4), 1u);
  sa->AssumeSent(0xfffffffeULL);
  ASSERT_TRUE(sa->Protect(Bytes{0xaa}, 6, out).ok());
  auto overflow = sa->Protect(Bytes{0xaa}, 6, out);
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().code, Code::kSequenceOverflow);
  EXPECT_TRUE(Describe(overflow.error().code).auditable);
}

TEST(EspSa, EsnContinuesPastTwoToTheThirtyTwo) {
  SaConfig c = GcmConfig();
  c.esn = true;
  auto tx = Make(c), rx = Make(c);
  tx->AssumeSent(0xffffffffULL);
  rx->AssumeReceived(0xffffffffULL);
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1, 2, 3}, 17, out).ok());
  //= rfc4303#section-2.2.1
  //# Only the low half travels; the receiver infers 2^32 from its window.
  EXPECT_EQ(LoadU32(out.data() + 4), 0u);
  auto got = rx->UnprotectInPlace(out);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->sequence_number, 0x100000000ULL);
}

TEST(EspSa, PaddingIsDefaultAndAligned) {
  const SaConfig c = CbcConfig();
  auto tx = Make(c), rx = Make(c);
  for (size_t n = 0; n < 40; ++n) {
    Bytes out;
    ASSERT_TRUE(tx->Protect(Bytes(n, 0x5a), 6, out).ok());
    const size_t text = out.size() - kHeaderSize - 16 - 12;
    EXPECT_EQ(text % 16, 0u) << n;
    auto got = rx->UnprotectInPlace(out);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(got->payload.size(), n);
    EXPECT_TRUE(got->findings.empty());
  }
}

TEST(EspSaDrops, ReplayAfterAcceptance) {
  auto tx = Make(GcmConfig()), rx = Make(GcmConfig());
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1}, 6, out).ok());
  Bytes copy = out;
  ASSERT_TRUE(rx->UnprotectInPlace(out).ok());
  auto again = rx->UnprotectInPlace(copy);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Code::kReplay);
  EXPECT_TRUE(Describe(Code::kReplay).auditable);
}

TEST(EspSaDrops, BadIcvDoesNotMoveTheWindow) {
  //= rfc4303#section-3.4.3
  //# The window advances only for packets whose ICV verified.
  auto tx = Make(GcmConfig()), rx = Make(GcmConfig());
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1, 2, 3, 4}, 6, out).ok());
  Bytes good = out;
  out.back() ^= 1;
  auto bad = rx->UnprotectInPlace(out);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Code::kIcvMismatch);
  EXPECT_EQ(bad.error().offset, out.size() - 16);
  EXPECT_EQ(rx->replay_window().highest(), 0u);
  EXPECT_TRUE(rx->UnprotectInPlace(good).ok());
}

TEST(EspSaDrops, WrongSpi) {
  auto tx = Make(GcmConfig());
  SaConfig other = GcmConfig();
  other.spi = 0x1001;
  auto rx = Make(other);
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1}, 6, out).ok());
  EXPECT_EQ(rx->UnprotectInPlace(out).error().code, Code::kNoSa);
}

TEST(EspSaDrops, TooShortForHeaderIvTrailerAndIcv) {
  auto rx = Make(GcmConfig());
  Bytes tiny(8 + 8 + 2 + 15, 0);
  StoreU32(tiny.data(), 0x1000);
  auto r = rx->UnprotectInPlace(tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kTruncated);
}

TEST(EspSaDrops, CbcPartialBlock) {
  const SaConfig c = CbcConfig();
  auto rx = Make(c);
  Bytes odd(8 + 16 + 20 + 12, 0);  // 20 bytes of ciphertext: not whole blocks
  StoreU32(odd.data(), 0x4000);
  StoreU32(odd.data() + 4, 1);
  auto r = rx->UnprotectInPlace(odd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadAlignment);
  EXPECT_EQ(r.error().offset, 24u);
}

TEST(EspSaDrops, PadLengthBeyondPayload) {
  SaConfig c = NullConfig();
  auto tx = Make(c), rx = Make(c);
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1, 2}, 6, out).ok());
  const size_t trailer = out.size() - 16 - 2;
  out[trailer] = 200;  // pad length
  Reseal(out, c);
  auto r = rx->UnprotectInPlace(out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadPadLength);
  EXPECT_EQ(r.error().offset, trailer);
  EXPECT_EQ(r.error().requirement, "rfc4303#section-2.5");
}

TEST(EspSaDrops, NonDefaultPaddingIsAFindingOrADrop) {
  //= rfc4303#section-2.4
  //# Padding bytes other than 1, 2, 3, ... are non-conformant.
  SaConfig c = NullConfig();
  auto tx = Make(c);
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1}, 6, out).ok());  // 1 + 1 pad + 2 = 4
  const size_t pad_at = out.size() - 16 - 3;
  ASSERT_EQ(out[pad_at], 1);
  out[pad_at] = 0;
  Reseal(out, c);

  Bytes lenient = out;
  auto rx = Make(c);
  auto r = rx->UnprotectInPlace(lenient);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].code, Code::kBadPadding);
  EXPECT_EQ(r->findings[0].offset, pad_at);

  c.strict_padding = true;
  auto strict = Make(c);
  auto s = strict->UnprotectInPlace(out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kBadPadding);
  EXPECT_EQ(s.error().offset, pad_at);
}

TEST(EspSaDrops, DummyPacketIsDiscardedSilently) {
  //= rfc4303#section-2.6
  //# Next header 59 marks a dummy packet, dropped without audit.
  auto tx = Make(GcmConfig()), rx = Make(GcmConfig());
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes(30, 0x77), 59, out).ok());
  auto r = rx->UnprotectInPlace(out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kDummyPacket);
  EXPECT_FALSE(Describe(Code::kDummyPacket).auditable);
  EXPECT_EQ(rx->replay_window().highest(), 1u);  // authentic, so the window moved
}

TEST(EspSaDrops, FuzzingKnobReachesPaddingPastABadIcv) {
  SaConfig c = NullConfig();
  auto tx = Make(c);
  c.fuzzing_ignore_icv = true;
  auto rx = Make(c);
  Bytes out;
  ASSERT_TRUE(tx->Protect(Bytes{1, 2}, 6, out).ok());
  out[out.size() - 16 - 2] = 250;  // pad length, ICV left stale
  EXPECT_EQ(rx->UnprotectInPlace(out).error().code, Code::kBadPadLength);
}

}  // namespace
}  // namespace ipsecref::esp
