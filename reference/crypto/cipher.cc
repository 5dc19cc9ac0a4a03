// Confidentiality-only transforms over Crypto++: AES-CBC (RFC 3602),
// AES-CTR (RFC 3686), 3DES-CBC (RFC 2451), NULL (RFC 2410).
#include <cryptopp/aes.h>
#include <cryptopp/des.h>
#include <cryptopp/modes.h>

#include <array>

#include "reference/crypto/internal.h"

namespace ipsecref::crypto {
namespace {

template <typename BlockCipher>
class Cbc final : public Cipher {
 public:
  explicit Cbc(ByteSpan key) {
    std::array<uint8_t, BlockCipher::BLOCKSIZE> zero{};
    enc_.SetKeyWithIV(key.data(), key.size(), zero.data());
    dec_.SetKeyWithIV(key.data(), key.size(), zero.data());
  }
  //= rfc3602#section-3
  //# The IV is the first ciphertext block's chaining value, carried in the packet.
  void Encrypt(ByteSpan iv, MutableByteSpan data) override {
    enc_.Resynchronize(iv.data(), static_cast<int>(iv.size()));
    enc_.ProcessData(data.data(), data.data(), data.size());
  }
  void Decrypt(ByteSpan iv, MutableByteSpan data) override {
    dec_.Resynchronize(iv.data(), static_cast<int>(iv.size()));
    dec_.ProcessData(data.data(), data.data(), data.size());
  }

 private:
  typename CryptoPP::CBC_Mode<BlockCipher>::Encryption enc_;
  typename CryptoPP::CBC_Mode<BlockCipher>::Decryption dec_;
};

class AesCtr final : public Cipher {
 public:
  AesCtr(ByteSpan key, ByteSpan nonce) : nonce_(ToSecure(nonce)) {
    std::array<uint8_t, 16> zero{};
    ctr_.SetKeyWithIV(key.data(), key.size(), zero.data());
  }
  void Encrypt(ByteSpan iv, MutableByteSpan data) override { Apply(iv, data); }
  void Decrypt(ByteSpan iv, MutableByteSpan data) override { Apply(iv, data); }

 private:
  //= rfc3686#section-4
  //# The counter block is nonce (from the keying material) ‖ IV ‖ a 32-bit
  //# block counter that starts at one for each packet.
  void Apply(ByteSpan iv, MutableByteSpan data) {
    std::array<uint8_t, 16> block{};
    std::copy(nonce_.begin(), nonce_.end(), block.begin());
    std::copy(iv.begin(), iv.end(), block.begin() + 4);
    block[15] = 1;
    ctr_.Resynchronize(block.data(), 16);
    ctr_.ProcessData(data.data(), data.data(), data.size());
  }
  SecureBytes nonce_;
  CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption ctr_;
};

class NullCipher final : public Cipher {
 public:
  void Encrypt(ByteSpan, MutableByteSpan) override {}
  void Decrypt(ByteSpan, MutableByteSpan) override {}
};

}  // namespace

Result<std::unique_ptr<Cipher>> NewCipher(const EncrTransform& t, ByteSpan keymat) {
  switch (t.id) {
    case iana::Encr::kAesCbc: return std::unique_ptr<Cipher>(std::make_unique<Cbc<CryptoPP::AES>>(keymat));
    case iana::Encr::k3Des:
      return std::unique_ptr<Cipher>(std::make_unique<Cbc<CryptoPP::DES_EDE3>>(keymat));
    case iana::Encr::kAesCtr:
      return std::unique_ptr<Cipher>(
          std::make_unique<AesCtr>(keymat.first(keymat.size() - 4), keymat.last(4)));
    case iana::Encr::kNull: return std::unique_ptr<Cipher>(std::make_unique<NullCipher>());
    default:
      return MakeError(Code::kUnknownTransform, kNoOffset, "", std::string(t.name()));
  }
}

}  // namespace ipsecref::crypto
