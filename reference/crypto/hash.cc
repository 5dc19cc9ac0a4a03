#include "reference/crypto/hash.h"

#include <cryptopp/sha.h>
#include <fmt/format.h>

namespace ipsecref::crypto {
namespace {

template <typename H, typename Out>
Out Run(std::initializer_list<ByteSpan> pieces) {
  H h;
  for (ByteSpan p : pieces) h.Update(p.data(), p.size());
  Out out(H::DIGESTSIZE);
  h.Final(out.data());
  return out;
}

template <typename Out>
Result<Out> DigestInto(iana::HashAlgorithm hash, std::initializer_list<ByteSpan> pieces) {
  switch (hash) {
    case iana::HashAlgorithm::kSha1: return Run<CryptoPP::SHA1, Out>(pieces);
    case iana::HashAlgorithm::kSha2_256: return Run<CryptoPP::SHA256, Out>(pieces);
    case iana::HashAlgorithm::kSha2_384: return Run<CryptoPP::SHA384, Out>(pieces);
    case iana::HashAlgorithm::kSha2_512: return Run<CryptoPP::SHA512, Out>(pieces);
    default: break;
  }
  return MakeError(Code::kUnknownTransform, kNoOffset, "rfc7427#section-4",
                   fmt::format("hash algorithm {} is not implemented", static_cast<unsigned>(hash)));
}

}  // namespace

Result<Bytes> Digest(iana::HashAlgorithm hash, std::initializer_list<ByteSpan> pieces) {
  return DigestInto<Bytes>(hash, pieces);
}

Result<SecureBytes> SecretDigest(iana::HashAlgorithm hash, std::initializer_list<ByteSpan> pieces) {
  return DigestInto<SecureBytes>(hash, pieces);
}

}  // namespace ipsecref::crypto
