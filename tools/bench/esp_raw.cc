#include "tools/bench/esp_raw.h"

#include <cryptopp/aes.h>
#include <cryptopp/ccm.h>
#include <cryptopp/chachapoly.h>
#include <cryptopp/gcm.h>
#include <cryptopp/hmac.h>
#include <cryptopp/misc.h>
#include <cryptopp/modes.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "reference/crypto/transforms.h"

namespace ipsecref::bench {
namespace {

SecureBytes Pattern(size_t n, uint8_t seed) {
  SecureBytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + 7 * i);
  return out;
}

// reference/crypto/aead.cc uses them: nonce = salt ‖ IV, AAD = SPI ‖ seq.
template <typename Enc, typename Dec>
class RawAead final : public RawOp {
 public:
  RawAead(const Algorithm& a, Layout l, size_t salt) : l_(l) {
    SecureBytes km = EncrKeymat(a);
    key_.assign(km.begin(), km.end() - static_cast<std::ptrdiff_t>(salt));
    nonce_.assign(km.end() - static_cast<std::ptrdiff_t>(salt), km.end());
    nonce_.resize(salt + l.iv);
    std::array<uint8_t, 16> zero{};
    enc_.SetKeyWithIV(key_.data(), key_.size(), zero.data(), nonce_.size());
    dec_.SetKeyWithIV(key_.data(), key_.size(), zero.data(), nonce_.size());
  }
  void Encap(const uint8_t* in, uint8_t* out) override {
    SetNonce(out);
    enc_.EncryptAndAuthenticate(out + l_.text_at(), out + l_.icv_at(), l_.icv, nonce_.data(),
                                static_cast<int>(nonce_.size()), out, esp::kHeaderSize, in,
                                l_.text);
  }
  bool Decap(uint8_t* p) override {
    SetNonce(p);
    return dec_.DecryptAndVerify(p + l_.text_at(), p + l_.icv_at(), l_.icv, nonce_.data(),
                                 static_cast<int>(nonce_.size()), p, esp::kHeaderSize,
                                 p + l_.text_at(), l_.text);
  }

 private:
  void SetNonce(const uint8_t* p) {
    std::memcpy(nonce_.data() + nonce_.size() - l_.iv, p + esp::kHeaderSize, l_.iv);
  }
  Layout l_;
  Bytes key_, nonce_;
  Enc enc_;
  Dec dec_;
};

// GMAC: the whole packet up to the ICV (SPI, seq, IV, text) is AAD; nothing
// is encrypted, the text is only copied into place on encap.
class RawGmac final : public RawOp {
 public:
  RawGmac(const Algorithm& a, Layout l) : l_(l) {
    SecureBytes km = EncrKeymat(a);
    nonce_.assign(km.end() - 4, km.end());
    nonce_.resize(12);
    std::array<uint8_t, 12> zero{};
    mac_.SetKeyWithIV(km.data(), km.size() - 4, zero.data(), zero.size());
    ver_.SetKeyWithIV(km.data(), km.size() - 4, zero.data(), zero.size());
  }
  void Encap(const uint8_t* in, uint8_t* out) override {
    std::memcpy(out + l_.text_at(), in, l_.text);
    std::memcpy(nonce_.data() + 4, out + esp::kHeaderSize, 8);
    mac_.EncryptAndAuthenticate(nullptr, out + l_.icv_at(), l_.icv, nonce_.data(), 12, out,
                                l_.icv_at(), nullptr, 0);
  }
  bool Decap(uint8_t* p) override {
    std::memcpy(nonce_.data() + 4, p + esp::kHeaderSize, 8);
    return ver_.DecryptAndVerify(nullptr, p + l_.icv_at(), l_.icv, nonce_.data(), 12, p,
                                 l_.icv_at(), nullptr, 0);
  }

 private:
  Layout l_;
  Bytes nonce_;
  CryptoPP::GCM<CryptoPP::AES, CryptoPP::GCM_64K_Tables>::Encryption mac_;
  CryptoPP::GCM<CryptoPP::AES, CryptoPP::GCM_64K_Tables>::Decryption ver_;
};

// AES-XCBC-MAC-96 (RFC 3566) as Crypto++'s own CBC_MAC works: whole blocks
// straight from the input through one AdvancedProcessBlocks call, only the
// last block held back (it takes K2 or K3). Same output as
// reference/crypto/integrity.cc's AesXcbc (the start-up check compares them),
// which goes byte by byte with one ProcessBlock call per block.
class BlockXcbc {
 public:
  void SetKey(const uint8_t* key, size_t size) {
    CryptoPP::AES::Encryption k(key, size);
    std::array<uint8_t, 16> c{}, k1{};
    c.fill(0x01);
    k.ProcessBlock(c.data(), k1.data());
    c.fill(0x02);
    k.ProcessBlock(c.data(), k2_.data());
    c.fill(0x03);
    k.ProcessBlock(c.data(), k3_.data());
    e1_.SetKey(k1.data(), k1.size());
  }
  void Update(const uint8_t* in, size_t n) {
    if (n == 0) return;
    if (pending_ == 16) Absorb();  // more follows: the held block is not the last
    size_t take = std::min(16 - pending_, n);
    std::memcpy(last_.data() + pending_, in, take);
    pending_ += take;
    in += take;
    n -= take;
    if (n == 0) return;
    Absorb();
    const size_t whole = (n - 1) / 16 * 16;  // keep at least one byte back
    if (whole > 0) {
      e1_.AdvancedProcessBlocks(state_.data(), in, state_.data(), whole,
                                CryptoPP::BlockTransformation::BT_DontIncrementInOutPointers |
                                    CryptoPP::BlockTransformation::BT_XorInput);
      in += whole;
      n -= whole;
    }
    std::memcpy(last_.data(), in, n);
    pending_ = n;
  }
  void TruncatedFinal(uint8_t* out, size_t n) {
    const auto& tweak = pending_ == 16 ? k2_ : k3_;
    if (pending_ < 16) {
      last_[pending_] = 0x80;
      std::fill(last_.begin() + static_cast<std::ptrdiff_t>(pending_) + 1, last_.end(), 0);
    }
    for (size_t i = 0; i < 16; ++i) state_[i] ^= last_[i] ^ tweak[i];
    e1_.ProcessBlock(state_.data());
    std::memcpy(out, state_.data(), n);
    state_.fill(0);
    pending_ = 0;
  }
  bool TruncatedVerify(const uint8_t* icv, size_t n) {
    std::array<uint8_t, 16> mac;
    TruncatedFinal(mac.data(), n);
    return CryptoPP::VerifyBufsEqual(mac.data(), icv, n);
  }

 private:
  void Absorb() {
    for (size_t i = 0; i < 16; ++i) state_[i] ^= last_[i];
    e1_.ProcessBlock(state_.data());
    pending_ = 0;
  }
  std::array<uint8_t, 16> k2_{}, k3_{}, state_{}, last_{};
  size_t pending_ = 0;
  CryptoPP::AES::Encryption e1_;
};

// Cipher (CBC, CTR or none) then a MAC over SPI .. ciphertext, encrypt-then-MAC.
// Decap verifies first, then decrypts, like RFC 4303 §3.4.4.
template <typename Mode, typename Mac>
class RawEtm final : public RawOp {
 public:
  RawEtm(const Algorithm& a, Layout l, bool ctr_nonce, bool has_cipher)
      : l_(l), ctr_(ctr_nonce), has_cipher_(has_cipher) {
    SecureBytes km = EncrKeymat(a);
    SecureBytes mk = IntegKey(a);
    std::array<uint8_t, 16> zero{};
    if (has_cipher_) {
      const size_t key_size = ctr_ ? km.size() - 4 : km.size();
      if (ctr_) std::memcpy(block_.data(), km.data() + key_size, 4);
      enc_.SetKeyWithIV(km.data(), key_size, zero.data());
      dec_.SetKeyWithIV(km.data(), key_size, zero.data());
    }
    mac_.SetKey(mk.data(), mk.size());
  }
  void Encap(const uint8_t* in, uint8_t* out) override {
    if (has_cipher_) {
      enc_.Resynchronize(Iv(out), 16);
      enc_.ProcessData(out + l_.text_at(), in, l_.text);
    } else {
      std::memcpy(out + l_.text_at(), in, l_.text);
    }
    mac_.Update(out, l_.icv_at());
    mac_.TruncatedFinal(out + l_.icv_at(), l_.icv);
  }
  bool Decap(uint8_t* p) override {
    mac_.Update(p, l_.icv_at());
    if (!mac_.TruncatedVerify(p + l_.icv_at(), l_.icv)) return false;
    if (has_cipher_) {
      dec_.Resynchronize(Iv(p), 16);
      dec_.ProcessData(p + l_.text_at(), p + l_.text_at(), l_.text);
    }
    return true;
  }

 private:
  // CBC: the 16-byte IV from the packet. CTR (RFC 3686): nonce ‖ IV ‖ 1.
  const uint8_t* Iv(const uint8_t* p) {
    if (!ctr_) return p + esp::kHeaderSize;
    std::memcpy(block_.data() + 4, p + esp::kHeaderSize, 8);
    block_[12] = block_[13] = block_[14] = 0;
    block_[15] = 1;
    return block_.data();
  }
  Layout l_;
  bool ctr_, has_cipher_;
  std::array<uint8_t, 16> block_{};
  typename Mode::Encryption enc_;
  typename Mode::Decryption dec_;
  Mac mac_;
};

template <CryptoPP::GCM_TablesOption kTables>
std::unique_ptr<RawOp> MakeRawGcm(const Algorithm& a, Layout l) {
  using G = CryptoPP::GCM<CryptoPP::AES, kTables>;
  return std::make_unique<RawAead<typename G::Encryption, typename G::Decryption>>(a, l, 4);
}

}  // namespace

std::unique_ptr<RawOp> MakeRaw(const Algorithm& a, Layout l, bool gcm_2k) {
  using CryptoPP::AES;
  using CryptoPP::HMAC;
  switch (a.raw) {
    case Raw::kGcm:
      return gcm_2k ? MakeRawGcm<CryptoPP::GCM_2K_Tables>(a, l)
                    : MakeRawGcm<CryptoPP::GCM_64K_Tables>(a, l);
    case Raw::kChaCha: {
      using C = CryptoPP::ChaCha20Poly1305;
      return std::make_unique<RawAead<C::Encryption, C::Decryption>>(a, l, 4);
    }
    case Raw::kCcm16: {
      using C = CryptoPP::CCM<AES, 16>;
      return std::make_unique<RawAead<C::Encryption, C::Decryption>>(a, l, 3);
    }
    case Raw::kGmac: return std::make_unique<RawGmac>(a, l);
    case Raw::kCbcHmac256:
      return std::make_unique<RawEtm<CryptoPP::CBC_Mode<AES>, HMAC<CryptoPP::SHA256>>>(a, l, false,
                                                                                      true);
    case Raw::kCtrHmac1:
      return std::make_unique<RawEtm<CryptoPP::CTR_Mode<AES>, HMAC<CryptoPP::SHA1>>>(a, l, true,
                                                                                    true);
    case Raw::kCbcXcbc:
      return std::make_unique<RawEtm<CryptoPP::CBC_Mode<AES>, BlockXcbc>>(a, l, false,
                                                                                      true);
    case Raw::kNullHmac256:
      return std::make_unique<RawEtm<CryptoPP::CBC_Mode<AES>, HMAC<CryptoPP::SHA256>>>(a, l, false,
                                                                                      false);
  }
  return nullptr;
}


SecureBytes EncrKeymat(const Algorithm& a) { return Pattern(a.encr_keymat, 0x11); }

SecureBytes IntegKey(const Algorithm& a) { return Pattern(a.integ_key, 0x55); }

Layout LayoutFor(const Algorithm& a, size_t size) {
  const auto* t = crypto::FindEncr(a.encr);
  const auto* i = a.integ == iana::Integ::kNone ? nullptr : crypto::FindInteg(a.integ);
  const size_t align = std::max<size_t>(t->block_size, 4);
  const size_t text = (size + esp::kTrailerSize + align - 1) / align * align;
  return Layout{t->iv_size, text, t->aead ? t->icv_size : i->icv_size};
}


}  // namespace ipsecref::bench
