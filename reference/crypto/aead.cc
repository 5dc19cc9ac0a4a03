// AEAD transforms over Crypto++.
#include <cryptopp/aes.h>
#include <cryptopp/ccm.h>
#include <cryptopp/chachapoly.h>
#include <cryptopp/gcm.h>

#include <array>

#include "reference/crypto/internal.h"

namespace ipsecref::crypto {
namespace {

// Nonce = salt ‖ explicit IV (RFC 4106 §4, RFC 4309 §4, RFC 7634 §2).
class Nonce {
 public:
  Nonce(ByteSpan salt, ByteSpan iv) : size_(salt.size() + iv.size()) {
    std::copy(salt.begin(), salt.end(), bytes_.begin());
    std::copy(iv.begin(), iv.end(), bytes_.begin() + salt.size());
  }
  ~Nonce() { bytes_.fill(0); }
  const uint8_t* data() const { return bytes_.data(); }
  int size() const { return static_cast<int>(size_); }

 private:
  std::array<uint8_t, 16> bytes_{};
  size_t size_;
};

// GCM, CCM and ChaCha20-Poly1305 share Crypto++'s AuthenticatedSymmetricCipher.
template <typename Enc, typename Dec>
class CryptoppAead final : public Aead {
 public:
  CryptoppAead(ByteSpan key, ByteSpan salt, size_t icv_size, size_t nonce_size)
      : salt_(ToSecure(salt)), icv_size_(icv_size) {
    // Crypto++ wants an IV at keying time for some modes; a zero nonce is
    // replaced on every packet.
    std::array<uint8_t, 16> zero{};
    enc_.SetKeyWithIV(key.data(), key.size(), zero.data(), nonce_size);
    dec_.SetKeyWithIV(key.data(), key.size(), zero.data(), nonce_size);
  }

  void Seal(ByteSpan iv, ByteSpan aad, MutableByteSpan text, MutableByteSpan icv) override {
    Nonce nonce(salt_, iv);
    enc_.EncryptAndAuthenticate(text.data(), icv.data(), icv.size(), nonce.data(), nonce.size(),
                                aad.data(), aad.size(), text.data(), text.size());
  }

  bool Open(ByteSpan iv, ByteSpan aad, MutableByteSpan text, ByteSpan icv) override {
    if (icv.size() != icv_size_) return false;
    Nonce nonce(salt_, iv);
    return dec_.DecryptAndVerify(text.data(), icv.data(), icv.size(), nonce.data(), nonce.size(),
                                 aad.data(), aad.size(), text.data(), text.size());
  }

 private:
  SecureBytes salt_;
  size_t icv_size_;
  Enc enc_;
  Dec dec_;
};

// GMAC (RFC 4543): GCM with nothing to encrypt; it authenticates aad ‖ text.
// (ESP puts its IV into the aad, RFC 4543 §3.3; that is the ESP layer's job.)
class Gmac final : public Aead {
 public:
  Gmac(ByteSpan key, ByteSpan salt) : salt_(ToSecure(salt)) {
    std::array<uint8_t, 12> zero{};
    mac_.SetKeyWithIV(key.data(), key.size(), zero.data(), zero.size());
  }

  void Seal(ByteSpan iv, ByteSpan aad, MutableByteSpan text, MutableByteSpan icv) override {
    Authenticate(iv, aad, text);
    mac_.TruncatedFinal(icv.data(), icv.size());
  }

  bool Open(ByteSpan iv, ByteSpan aad, MutableByteSpan text, ByteSpan icv) override {
    if (icv.size() != 16) return false;
    Authenticate(iv, aad, text);
    return mac_.TruncatedVerify(icv.data(), icv.size());
  }

 private:
  void Authenticate(ByteSpan iv, ByteSpan aad, ByteSpan text) {
    Nonce nonce(salt_, iv);
    mac_.Resynchronize(nonce.data(), nonce.size());
    mac_.Update(aad.data(), aad.size());
    mac_.Update(text.data(), text.size());
  }

  SecureBytes salt_;
  CryptoPP::GCM<CryptoPP::AES, CryptoPP::GCM_64K_Tables>::Encryption mac_;
};

template <int kTag>
std::unique_ptr<Aead> MakeCcm(ByteSpan key, ByteSpan salt) {
  using Ccm = CryptoPP::CCM<CryptoPP::AES, kTag>;
  return std::make_unique<CryptoppAead<typename Ccm::Encryption, typename Ccm::Decryption>>(
      key, salt, kTag, 11);
}

}  // namespace

Result<std::unique_ptr<Aead>> NewAead(const EncrTransform& t, ByteSpan keymat) {
  ByteSpan key = keymat.first(keymat.size() - t.salt_size);
  ByteSpan salt = keymat.last(t.salt_size);
  using Gcm = CryptoPP::GCM<CryptoPP::AES, CryptoPP::GCM_64K_Tables>;
  using ChaCha = CryptoPP::ChaCha20Poly1305;
  switch (t.id) {
    case iana::Encr::kAesGcm8:
    case iana::Encr::kAesGcm12:
    case iana::Encr::kAesGcm16:
      return std::unique_ptr<Aead>(
          std::make_unique<CryptoppAead<Gcm::Encryption, Gcm::Decryption>>(key, salt, t.icv_size, 12));
    case iana::Encr::kAesCcm8: return MakeCcm<8>(key, salt);
    case iana::Encr::kAesCcm12: return MakeCcm<12>(key, salt);
    case iana::Encr::kAesCcm16: return MakeCcm<16>(key, salt);
    case iana::Encr::kChaCha20Poly1305:
      return std::unique_ptr<Aead>(
          std::make_unique<CryptoppAead<ChaCha::Encryption, ChaCha::Decryption>>(key, salt, 16, 12));
    case iana::Encr::kNullAuthAesGmac:
      return std::unique_ptr<Aead>(std::make_unique<Gmac>(key, salt));
    default:
      return MakeError(Code::kUnknownTransform, kNoOffset, "", std::string(t.name()));
  }
}

}  // namespace ipsecref::crypto
