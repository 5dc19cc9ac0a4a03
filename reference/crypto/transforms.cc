#include "reference/crypto/transforms.h"

#include <array>
#include <cryptopp/osrng.h>
#include <fmt/format.h>

#include "reference/base/splitmix64.h"
#include "reference/crypto/internal.h"

namespace ipsecref::crypto {
namespace {

using iana::Encr;
using iana::Integ;

constexpr auto kAead = &NewAead;
constexpr auto kCipher = &NewCipher;

// Sizes in bytes. The block size is the cipher's own; ESP still pads to a
// 4-byte boundary at least (RFC 4303 §2.4).
const std::array<EncrTransform, 12> kEncr{{
    //  id                     rfc        aead   conf   key bits          salt iv blk icv  IV
    {Encr::kNull,             "rfc2410", false, false, {0, 0, 0},       0, 0, 1, 0, IvRule::kNone, nullptr, kCipher},
    {Encr::k3Des,             "rfc2451", false, true,  {192, 0, 0},     0, 8, 8, 0, IvRule::kRandom, nullptr, kCipher},
    {Encr::kAesCbc,           "rfc3602", false, true,  {128, 192, 256}, 0, 16, 16, 0, IvRule::kRandom, nullptr, kCipher},
    {Encr::kAesCtr,           "rfc3686", false, true,  {128, 192, 256}, 4, 8, 1, 0, IvRule::kCounter, nullptr, kCipher},
    {Encr::kAesCcm8,          "rfc4309", true,  true,  {128, 192, 256}, 3, 8, 1, 8, IvRule::kCounter, kAead, nullptr},
    {Encr::kAesCcm12,         "rfc4309", true,  true,  {128, 192, 256}, 3, 8, 1, 12, IvRule::kCounter, kAead, nullptr},
    {Encr::kAesCcm16,         "rfc4309", true,  true,  {128, 192, 256}, 3, 8, 1, 16, IvRule::kCounter, kAead, nullptr},
    {Encr::kAesGcm8,          "rfc4106", true,  true,  {128, 192, 256}, 4, 8, 1, 8, IvRule::kCounter, kAead, nullptr},
    {Encr::kAesGcm12,         "rfc4106", true,  true,  {128, 192, 256}, 4, 8, 1, 12, IvRule::kCounter, kAead, nullptr},
    {Encr::kAesGcm16,         "rfc4106", true,  true,  {128, 192, 256}, 4, 8, 1, 16, IvRule::kCounter, kAead, nullptr},
    {Encr::kNullAuthAesGmac,  "rfc4543", true,  false, {128, 192, 256}, 4, 8, 1, 16, IvRule::kCounter, kAead, nullptr},
    {Encr::kChaCha20Poly1305, "rfc7634", true,  true,  {256, 0, 0},     4, 8, 1, 16, IvRule::kCounter, kAead, nullptr},
}};

const std::array<IntegTransform, 6> kInteg{{
    //  id                      rfc        key icv
    {Integ::kHmacSha1_96,      "rfc2404", 20, 12, &NewIntegrity},
    {Integ::kAesXcbc96,        "rfc3566", 16, 12, &NewIntegrity},
    {Integ::kAesCmac96,        "rfc4494", 16, 12, &NewIntegrity},
    {Integ::kHmacSha2_256_128, "rfc4868", 32, 16, &NewIntegrity},
    {Integ::kHmacSha2_384_192, "rfc4868", 48, 24, &NewIntegrity},
    {Integ::kHmacSha2_512_256, "rfc4868", 64, 32, &NewIntegrity},
}};

// The operating system's generator, drawn in batches: one call per packet
// costs as much as protecting a small packet. The batch is wiped as used.
class SystemRng final : public Rng {
 public:
  void Fill(MutableByteSpan out) override {
    if (out.size() > kBatch / 4) {
      pool_.GenerateBlock(out.data(), out.size());
      return;
    }
    if (out.size() > available_) {
      pool_.GenerateBlock(batch_.data(), batch_.size());
      available_ = batch_.size();
    }
    uint8_t* from = batch_.data() + batch_.size() - available_;
    std::copy_n(from, out.size(), out.begin());
    std::fill_n(from, out.size(), 0);
    available_ -= out.size();
  }

 private:
  static constexpr size_t kBatch = 4096;
  CryptoPP::AutoSeededRandomPool pool_;
  SecureBytes batch_ = SecureBytes(kBatch);
  size_t available_ = 0;
};

// splitmix64: reproducible, fast, statistically fine for test data.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed) : state_(seed) {}
  void Fill(MutableByteSpan out) override {
    for (uint8_t& b : out) {
      if (left_ == 0) {
        word_ = SplitMix64Next(state_);
        left_ = 8;
      }
      b = static_cast<uint8_t>(word_);
      word_ >>= 8;
      --left_;
    }
  }

 private:
  uint64_t state_;
  uint64_t word_ = 0;
  int left_ = 0;
};

}  // namespace

bool EncrTransform::AcceptsKeymat(size_t keymat_size) const {
  if (keymat_size < salt_size) return false;
  size_t key_bits_given = (keymat_size - salt_size) * 8;
  for (uint16_t bits : key_bits)
    if (bits == key_bits_given) return true;
  return false;
}

std::span<const EncrTransform> EncrTransforms() { return kEncr; }
std::span<const IntegTransform> IntegTransforms() { return kInteg; }

const EncrTransform* FindEncr(iana::Encr id) {
  for (const auto& t : kEncr)
    if (t.id == id) return &t;
  return nullptr;
}

const IntegTransform* FindInteg(iana::Integ id) {
  for (const auto& t : kInteg)
    if (t.id == id) return &t;
  return nullptr;
}

namespace {
Result<const EncrTransform*> CheckedEncr(iana::Encr id, size_t keymat_size) {
  const EncrTransform* t = FindEncr(id);
  ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "",
         fmt::format("encryption transform {} ({})", static_cast<int>(id), iana::Name(id)));
  ENSURE(t->AcceptsKeymat(keymat_size), kBadKeyLength, kNoOffset, t->rfc,
         fmt::format("{} takes no {}-byte keying material", t->name(), keymat_size));
  return t;
}
}  // namespace

Result<std::unique_ptr<Aead>> MakeAead(iana::Encr id, ByteSpan keymat) {
  TRY_ASSIGN(const EncrTransform* t, CheckedEncr(id, keymat.size()));
  ENSURE(t->make_aead != nullptr, kInvalidArgument, kNoOffset, t->rfc,
         fmt::format("{} is not an AEAD", t->name()));
  return t->make_aead(*t, keymat);
}

Result<std::unique_ptr<Cipher>> MakeCipher(iana::Encr id, ByteSpan keymat) {
  TRY_ASSIGN(const EncrTransform* t, CheckedEncr(id, keymat.size()));
  ENSURE(t->make_cipher != nullptr, kInvalidArgument, kNoOffset, t->rfc,
         fmt::format("{} is an AEAD, not a cipher", t->name()));
  return t->make_cipher(*t, keymat);
}

Result<std::unique_ptr<Integrity>> MakeIntegrity(iana::Integ id, ByteSpan key) {
  const IntegTransform* t = FindInteg(id);
  ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "",
         fmt::format("integrity transform {} ({})", static_cast<int>(id), iana::Name(id)));
  //= rfc4868#section-2.1.1
  //# HMAC-SHA2 keys for ESP/AH are exactly as long as the hash output; the
  //# other transforms have fixed key sizes too.
  ENSURE(key.size() == t->key_size, kBadKeyLength, kNoOffset, t->rfc,
         fmt::format("{} takes a {}-byte key, not {}", t->name(), t->key_size, key.size()));
  return t->make(*t, key);
}

std::unique_ptr<Rng> MakeSystemRng() { return std::make_unique<SystemRng>(); }
std::unique_ptr<Rng> MakeDeterministicRng(uint64_t seed) {
  return std::make_unique<DeterministicRng>(seed);
}

}  // namespace ipsecref::crypto
