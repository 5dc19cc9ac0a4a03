// Integrity transforms: HMAC-SHA1-96 (RFC 2404), HMAC-SHA2 (RFC 4868),
// AES-CMAC-96 (RFC 4494) over Crypto++, and AES-XCBC-MAC-96 (RFC 3566),
// which Crypto++ lacks, built here on AES.
#include <cryptopp/aes.h>
#include <cryptopp/cmac.h>
#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

#include <array>

#include "reference/crypto/internal.h"

namespace ipsecref::crypto {

bool Integrity::Verify(std::initializer_list<ByteSpan> pieces, ByteSpan icv) {
  std::array<uint8_t, 64> computed{};
  if (icv.size() != icv_size() || icv.size() > computed.size()) return false;
  Compute(pieces, MutableByteSpan(computed.data(), icv.size()));
  //= rfc4303#section-3.4.4.1
  //# The ICV is recomputed and compared with the received one; the comparison
  //# runs in constant time so that it leaks nothing about the expected value.
  bool equal = ConstantTimeEqual(ByteSpan(computed.data(), icv.size()), icv);
  computed.fill(0);
  return equal;
}

namespace {

// Any Crypto++ MessageAuthenticationCode, truncated to the ICV length.
template <typename Mac>
class CryptoppMac final : public Integrity {
 public:
  CryptoppMac(ByteSpan key, size_t icv_size) : icv_size_(icv_size) {
    mac_.SetKey(key.data(), key.size());
  }
  size_t icv_size() const override { return icv_size_; }
  void Compute(std::initializer_list<ByteSpan> pieces, MutableByteSpan icv) override {
    for (ByteSpan p : pieces) mac_.Update(p.data(), p.size());
    mac_.TruncatedFinal(icv.data(), icv.size());
  }

 private:
  size_t icv_size_;
  Mac mac_;
};

//= rfc3566#section-4
//# K1, K2 and K3 are AES encryptions under K of the constant blocks 0x01..,
//# 0x02.. and 0x03..; blocks are CBC-MAC'd under K1; a full last block is
//# XORed with K2, a short one is padded with 0x80 00.. and XORed with K3.
class AesXcbc final : public Integrity {
 public:
  AesXcbc(ByteSpan key, size_t icv_size) : icv_size_(icv_size) {
    CryptoPP::AES::Encryption k(key.data(), key.size());
    std::array<uint8_t, 16> c{};
    c.fill(0x01);
    k.ProcessBlock(c.data(), k1_.data());
    c.fill(0x02);
    k.ProcessBlock(c.data(), k2_.data());
    c.fill(0x03);
    k.ProcessBlock(c.data(), k3_.data());
    c.fill(0);
    e1_.SetKey(k1_.data(), k1_.size());
  }
  ~AesXcbc() override {
    k1_.fill(0);
    k2_.fill(0);
    k3_.fill(0);
  }
  size_t icv_size() const override { return icv_size_; }

  void Compute(std::initializer_list<ByteSpan> pieces, MutableByteSpan icv) override {
    // The last block gets the K2/K3 treatment, so one block (possibly
    // partial) is always held back until the input is known to go on.
    std::array<uint8_t, 16> e{}, held{};
    size_t held_len = 0;
    for (ByteSpan p : pieces) {
      while (!p.empty()) {
        if (held_len == 16) {
          Chain(e, held.data(), 16);
          held_len = 0;
        }
        if (held_len == 0 && p.size() > 16) {
          // Whole blocks that are surely not the last go through in one call.
          const size_t n = (p.size() - 1) / 16 * 16;
          Chain(e, p.data(), n);
          p = p.subspan(n);
        }
        const size_t take = std::min(16 - held_len, p.size());
        std::copy_n(p.begin(), take, held.begin() + static_cast<long>(held_len));
        held_len += take;
        p = p.subspan(take);
      }
    }
    const auto& tweak = held_len == 16 ? k2_ : k3_;
    if (held_len < 16) {
      held[held_len] = 0x80;
      std::fill(held.begin() + static_cast<long>(held_len) + 1, held.end(), 0);
    }
    for (size_t i = 0; i < 16; ++i) held[i] ^= tweak[i];
    Chain(e, held.data(), 16);
    std::copy_n(e.begin(), icv.size(), icv.begin());
    e.fill(0);
    held.fill(0);
  }

 private:
  // e = E_K1(e XOR block) over `n` bytes of whole blocks, in one call.
  void Chain(std::array<uint8_t, 16>& e, const uint8_t* blocks, size_t n) {
    e1_.AdvancedProcessBlocks(e.data(), blocks, e.data(), n,
                              CryptoPP::BlockTransformation::BT_DontIncrementInOutPointers |
                                  CryptoPP::BlockTransformation::BT_XorInput);
  }

  size_t icv_size_;
  std::array<uint8_t, 16> k1_{}, k2_{}, k3_{};
  CryptoPP::AES::Encryption e1_;
};

template <typename Mac>
std::unique_ptr<Integrity> Make(ByteSpan key, size_t icv) {
  return std::make_unique<CryptoppMac<Mac>>(key, icv);
}

}  // namespace

std::unique_ptr<Integrity> NewAesXcbc(ByteSpan key, size_t out_size) {
  return std::make_unique<AesXcbc>(key, out_size);
}

Result<std::unique_ptr<Integrity>> NewIntegrity(const IntegTransform& t, ByteSpan key) {
  using CryptoPP::HMAC;
  switch (t.id) {
    case iana::Integ::kHmacSha1_96: return Make<HMAC<CryptoPP::SHA1>>(key, t.icv_size);
    case iana::Integ::kHmacSha2_256_128: return Make<HMAC<CryptoPP::SHA256>>(key, t.icv_size);
    case iana::Integ::kHmacSha2_384_192: return Make<HMAC<CryptoPP::SHA384>>(key, t.icv_size);
    case iana::Integ::kHmacSha2_512_256: return Make<HMAC<CryptoPP::SHA512>>(key, t.icv_size);
    case iana::Integ::kAesCmac96: return Make<CryptoPP::CMAC<CryptoPP::AES>>(key, t.icv_size);
    case iana::Integ::kAesXcbc96: return NewAesXcbc(key, t.icv_size);
    default:
      return MakeError(Code::kUnknownTransform, kNoOffset, "", std::string(t.name()));
  }
}

}  // namespace ipsecref::crypto
