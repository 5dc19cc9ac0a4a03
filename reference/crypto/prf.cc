#include "reference/crypto/prf.h"

#include <cryptopp/aes.h>
#include <cryptopp/cmac.h>
#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>
#include <fmt/format.h>

#include <array>

#include "reference/crypto/internal.h"

namespace ipsecref::crypto {
namespace {

using PrfId = iana::Prf;

const std::array<PrfTransform, 6> kPrfs{{
    //  id                   rfc       out key
    {PrfId::kHmacSha1, "rfc2104", 20, 20},
    {PrfId::kAes128Xcbc, "rfc4434", 16, 16},
    {PrfId::kHmacSha2_256, "rfc4868", 32, 32},
    {PrfId::kHmacSha2_384, "rfc4868", 48, 48},
    {PrfId::kHmacSha2_512, "rfc4868", 64, 64},
    {PrfId::kAes128Cmac, "rfc4615", 16, 16},
}};

template <typename Mac>
class CryptoppPrf final : public crypto::Prf {
 public:
  explicit CryptoppPrf(ByteSpan key) { mac_.SetKey(key.data(), key.size()); }
  size_t output_size() const override { return mac_.DigestSize(); }
  void Compute(std::initializer_list<ByteSpan> pieces, MutableByteSpan out) override {
    for (ByteSpan p : pieces) mac_.Update(p.data(), p.size());
    mac_.TruncatedFinal(out.data(), out.size());
  }

 private:
  Mac mac_;
};

// AES-XCBC-PRF-128 over the XCBC MAC with its full 128-bit output.
class XcbcPrf final : public crypto::Prf {
 public:
  explicit XcbcPrf(ByteSpan key) : mac_(NewAesXcbc(key, 16)) {}
  size_t output_size() const override { return 16; }
  void Compute(std::initializer_list<ByteSpan> pieces, MutableByteSpan out) override {
    mac_->Compute(pieces, out);
  }

 private:
  std::unique_ptr<Integrity> mac_;
};

// The 128-bit key an AES-based PRF runs with, from a key of any length.
SecureBytes AesPrfKey(PrfId id, ByteSpan key) {
  if (key.size() == 16) return ToSecure(key);
  if (id == PrfId::kAes128Xcbc && key.size() < 16) {
    //= rfc4434#section-2
    //# A key shorter than 128 bits is padded with zero bits.
    SecureBytes padded = ToSecure(key);
    padded.resize(16, 0);
    return padded;
  }
  //= rfc4434#section-2
  //# A longer key is first reduced with the PRF itself under the zero key.
  //= rfc4615#section-3
  //# For AES-CMAC-PRF-128 any key not exactly 128 bits long, shorter or
  //# longer, is reduced with AES-CMAC under the zero key.
  const std::array<uint8_t, 16> zero{};
  SecureBytes reduced(16);
  if (id == PrfId::kAes128Xcbc) {
    XcbcPrf(zero).Compute({key}, reduced);
  } else {
    CryptoppPrf<CryptoPP::CMAC<CryptoPP::AES>>(zero).Compute({key}, reduced);
  }
  return reduced;
}

template <typename Mac>
std::unique_ptr<crypto::Prf> Hmac(ByteSpan key) {
  return std::make_unique<CryptoppPrf<CryptoPP::HMAC<Mac>>>(key);
}

}  // namespace

std::span<const PrfTransform> PrfTransforms() { return kPrfs; }

const PrfTransform* FindPrf(iana::Prf id) {
  for (const auto& t : kPrfs)
    if (t.id == id) return &t;
  return nullptr;
}

Result<std::unique_ptr<crypto::Prf>> MakePrf(iana::Prf id, ByteSpan key) {
  switch (id) {
    case PrfId::kHmacSha1: return Hmac<CryptoPP::SHA1>(key);
    case PrfId::kHmacSha2_256: return Hmac<CryptoPP::SHA256>(key);
    case PrfId::kHmacSha2_384: return Hmac<CryptoPP::SHA384>(key);
    case PrfId::kHmacSha2_512: return Hmac<CryptoPP::SHA512>(key);
    case PrfId::kAes128Xcbc: {
      const SecureBytes k = AesPrfKey(id, key);
      return std::unique_ptr<crypto::Prf>(std::make_unique<XcbcPrf>(k));
    }
    case PrfId::kAes128Cmac: {
      const SecureBytes k = AesPrfKey(id, key);
      return std::unique_ptr<crypto::Prf>(std::make_unique<CryptoppPrf<CryptoPP::CMAC<CryptoPP::AES>>>(k));
    }
    default:
      return MakeError(Code::kUnknownTransform, kNoOffset, "rfc7296#section-3.3.2",
                       fmt::format("PRF {} ({})", static_cast<int>(id), iana::Name(id)));
  }
}

Result<SecureBytes> PrfPlus(iana::Prf id, ByteSpan key, ByteSpan seed, size_t length) {
  TRY_ASSIGN(std::unique_ptr<crypto::Prf> prf, MakePrf(id, key));
  const size_t block = prf->output_size();
  ENSURE(length <= 255 * block, kInvalidArgument, kNoOffset, "rfc7296#section-2.13",
         fmt::format("prf+ yields at most 255 blocks ({} bytes), {} asked", 255 * block, length));
  SecureBytes out((length + block - 1) / block * block);
  for (size_t n = 1; (n - 1) * block < length; ++n) {
    const uint8_t counter = static_cast<uint8_t>(n);
    MutableByteSpan t(out.data() + (n - 1) * block, block);
    ByteSpan previous = n == 1 ? ByteSpan{} : ByteSpan(out.data() + (n - 2) * block, block);
    prf->Compute({previous, seed, ByteSpan(&counter, 1)}, t);
  }
  out.resize(length);
  return out;
}

}  // namespace ipsecref::crypto
