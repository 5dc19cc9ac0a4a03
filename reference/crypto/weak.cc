#include "reference/crypto/weak.h"

// MD4 and MD5 live in Crypto++'s Weak namespace, which must be asked for.
#define CRYPTOPP_ENABLE_NAMESPACE_WEAK 1
#include <cryptopp/des.h>
#include <cryptopp/md4.h>
#include <cryptopp/md5.h>
#include <fmt/format.h>

namespace ipsecref::crypto {
namespace {

template <typename H>
void Run(std::initializer_list<ByteSpan> pieces, uint8_t* out) {
  static_assert(H::DIGESTSIZE == 16);
  H h;
  for (ByteSpan p : pieces) h.Update(p.data(), p.size());
  h.Final(out);
}

}  // namespace

std::array<uint8_t, 16> Md5(std::initializer_list<ByteSpan> pieces) {
  std::array<uint8_t, 16> out{};
  Run<CryptoPP::Weak::MD5>(pieces, out.data());
  return out;
}

SecureBytes Md4(std::initializer_list<ByteSpan> pieces) {
  SecureBytes out(16);
  Run<CryptoPP::Weak::MD4>(pieces, out.data());
  return out;
}

Result<std::array<uint8_t, 8>> DesEncryptBlock(ByteSpan key, ByteSpan clear) {
  ENSURE(key.size() == CryptoPP::DES::DEFAULT_KEYLENGTH && clear.size() == CryptoPP::DES::BLOCKSIZE, kInvalidArgument,
         kNoOffset, "", fmt::format("DES takes an 8-octet key and block, not {} and {}", key.size(), clear.size()));
  CryptoPP::DES::Encryption des(key.data(), key.size());
  std::array<uint8_t, 8> out{};
  des.ProcessBlock(clear.data(), out.data());
  return out;
}

}  // namespace ipsecref::crypto
