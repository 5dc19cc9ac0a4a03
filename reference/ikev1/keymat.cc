#include "reference/ikev1/keymat.h"

#include <fmt/format.h>

#include "reference/crypto/prf.h"

namespace ipsecref::ikev1 {
namespace {

//= rfc2409#appendix-B
//# Where no PRF was negotiated, prf is the HMAC of the negotiated hash.
std::optional<iana::Prf> HmacOf(iana::HashAlgorithm hash) {
  switch (hash) {
    case iana::HashAlgorithm::kSha1: return iana::Prf::kHmacSha1;
    case iana::HashAlgorithm::kSha2_256: return iana::Prf::kHmacSha2_256;
    case iana::HashAlgorithm::kSha2_384: return iana::Prf::kHmacSha2_384;
    case iana::HashAlgorithm::kSha2_512: return iana::Prf::kHmacSha2_512;
    default: return std::nullopt;
  }
}

Result<SecureBytes> Prf(iana::Prf id, ByteSpan key, std::initializer_list<ByteSpan> pieces) {
  TRY_ASSIGN(auto prf, crypto::MakePrf(id, key));
  SecureBytes out(prf->output_size());
  prf->Compute(pieces, out);
  return out;
}

}  // namespace

std::optional<iana::HashAlgorithm> HashOf(uint16_t hash_algorithm) {
  //= rfc2409#appendix-A
  //# Hash Algorithm values: MD5 1, SHA 2, Tiger 3 (IANA's IKEv1 registry
  //# adds SHA2-256 4, SHA2-384 5, SHA2-512 6).
  switch (hash_algorithm) {
    case 2: return iana::HashAlgorithm::kSha1;
    case 4: return iana::HashAlgorithm::kSha2_256;
    case 5: return iana::HashAlgorithm::kSha2_384;
    case 6: return iana::HashAlgorithm::kSha2_512;
    default: return std::nullopt;
  }
}

Result<Phase1Keys> DerivePskPhase1Keys(iana::HashAlgorithm hash, ByteSpan pre_shared_key,
                                       ByteSpan ni_b, ByteSpan nr_b, ByteSpan g_xy, uint64_t cky_i,
                                       uint64_t cky_r, size_t encryption_key_size) {
  const std::optional<iana::Prf> prf = HmacOf(hash);
  ENSURE(prf.has_value(), kUnsupported, kNoOffset, "rfc2409#appendix-B",
         fmt::format("no HMAC PRF for hash {}", static_cast<unsigned>(hash)));
  ENSURE(!pre_shared_key.empty() && !g_xy.empty() && encryption_key_size > 0, kInvalidArgument,
         kNoOffset, "rfc2409#section-5", "an empty pre-shared key or shared secret, or no key size");
  uint8_t cookies[16];
  StoreU64(cookies, cky_i);
  StoreU64(cookies + 8, cky_r);
  const ByteSpan cky(cookies, sizeof cookies);
  const uint8_t zero = 0, one = 1, two = 2;
  Phase1Keys k;
  //= rfc2409#section-5
  //# For pre-shared keys SKEYID = prf(pre-shared-key, Ni_b | Nr_b); then
  //# SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0), SKEYID_a = prf(SKEYID,
  //# SKEYID_d | g^xy | CKY-I | CKY-R | 1), SKEYID_e = prf(SKEYID, SKEYID_a |
  //# g^xy | CKY-I | CKY-R | 2).
  TRY_ASSIGN(k.skeyid, Prf(*prf, pre_shared_key, {ni_b, nr_b}));
  TRY_ASSIGN(k.skeyid_d, Prf(*prf, k.skeyid, {g_xy, cky, ByteSpan(&zero, 1)}));
  TRY_ASSIGN(k.skeyid_a, Prf(*prf, k.skeyid, {k.skeyid_d, g_xy, cky, ByteSpan(&one, 1)}));
  TRY_ASSIGN(k.skeyid_e, Prf(*prf, k.skeyid, {k.skeyid_a, g_xy, cky, ByteSpan(&two, 1)}));
  if (k.skeyid_e.size() >= encryption_key_size) {
    k.encryption_key.assign(k.skeyid_e.begin(), k.skeyid_e.begin() + static_cast<ptrdiff_t>(encryption_key_size));
    return k;
  }
  //= rfc2409#appendix-B
  //# When SKEYID_e is shorter than the cipher's key, Ka = K1 | K2 | ...,
  //# K1 = prf(SKEYID_e, 0) (one zero octet), Kn = prf(SKEYID_e, Kn-1); the
  //# key is the first octets of Ka.
  SecureBytes block;
  TRY_ASSIGN(block, Prf(*prf, k.skeyid_e, {ByteSpan(&zero, 1)}));
  while (true) {
    k.encryption_key.insert(k.encryption_key.end(), block.begin(), block.end());
    if (k.encryption_key.size() >= encryption_key_size) break;
    TRY_ASSIGN(block, Prf(*prf, k.skeyid_e, {block}));
  }
  k.encryption_key.resize(encryption_key_size);
  return k;
}

}  // namespace ipsecref::ikev1
