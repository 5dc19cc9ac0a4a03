#include "reference/ike/keymat/keymat.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>

#include "reference/crypto/prf.h"
#include "reference/crypto/transforms.h"

namespace ipsecref::ike::keymat {
namespace {

using iana::Encr;
using iana::Integ;
using iana::Prf;

Result<const crypto::PrfTransform*> CheckedPrf(Prf id) {
  const crypto::PrfTransform* prf = crypto::FindPrf(id);
  ENSURE(prf != nullptr, kUnknownTransform, kNoOffset, "rfc7296#section-3.3.2",
         fmt::format("PRF {} ({}) is not implemented", static_cast<int>(id), iana::Name(id)));
  return prf;
}

// Bytes of keying material an encryption transform takes: the key plus the
// salt or nonce the transform keeps at the end of it.
Result<size_t> EncrKeymatSize(Encr id, size_t key_bits) {
  const crypto::EncrTransform* encr = crypto::FindEncr(id);
  ENSURE(encr != nullptr, kUnknownTransform, kNoOffset, "rfc7296#section-3.3.2",
         fmt::format("encryption transform {} ({}) is not implemented", static_cast<int>(id), iana::Name(id)));
  if (encr->key_bits[0] == 0) return size_t{0};  // ENCR_NULL takes no key
  //= rfc7296#section-3.3.5
  //# A transform with a fixed key length has no Key Length attribute; one
  //# with a variable key length needs it.
  if (key_bits == 0) {
    ENSURE(encr->fixed_key_bits() != 0, kBadKeyLength, kNoOffset, "rfc7296#section-3.3.5",
           fmt::format("{} needs a key length", encr->name()));
    key_bits = encr->fixed_key_bits();
  }
  const bool allowed = std::find(encr->key_bits.begin(), encr->key_bits.end(), key_bits) != encr->key_bits.end();
  ENSURE(allowed, kBadKeyLength, kNoOffset, encr->rfc,
         fmt::format("{} takes no {}-bit key", encr->name(), key_bits));
  //= rfc5282#section-7.1
  //# The keying material of AES-GCM and AES-CCM is the key followed by the
  //# salt (4 octets for GCM, 3 for CCM), for SK_e as for ESP.
  //= rfc7634#section-2
  //# ChaCha20-Poly1305 takes a 256-bit key followed by a 32-bit salt.
  //= rfc3686#section-5.1
  //# AES-CTR keying material ends with the 32-bit nonce.
  return key_bits / 8 + encr->salt_size;
}

Result<size_t> IntegKeySize(Integ id) {
  if (id == Integ::kNone) return size_t{0};
  const crypto::IntegTransform* integ = crypto::FindInteg(id);
  ENSURE(integ != nullptr, kUnknownTransform, kNoOffset, "rfc7296#section-3.3.2",
         fmt::format("integrity transform {} ({}) is not implemented", static_cast<int>(id), iana::Name(id)));
  return integ->key_size;
}

// Cuts consecutive pieces off a keying-material stream the caller sized.
class KeymatCutter {
 public:
  explicit KeymatCutter(ByteSpan keymat) : rest_(keymat) {}
  SecureBytes Take(size_t n) {
    SecureBytes piece(rest_.begin(), rest_.begin() + static_cast<std::ptrdiff_t>(n));
    rest_ = rest_.subspan(n);
    return piece;
  }
  bool empty() const { return rest_.empty(); }

 private:
  ByteSpan rest_;
};

SecureBytes Concat(std::initializer_list<ByteSpan> pieces) {
  size_t total = 0;
  for (ByteSpan p : pieces) total += p.size();
  SecureBytes out;
  out.reserve(total);
  for (ByteSpan p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Result<SecureBytes> PrfOf(Prf id, ByteSpan key, std::initializer_list<ByteSpan> pieces) {
  TRY_ASSIGN(std::unique_ptr<crypto::Prf> prf, crypto::MakePrf(id, key));
  SecureBytes out(prf->output_size());
  prf->Compute(pieces, out);
  return out;
}

}  // namespace

Result<KeySizes> SizesFor(const Suite& suite) {
  TRY_ASSIGN(const crypto::PrfTransform* prf, CheckedPrf(suite.prf));
  TRY_ASSIGN(const size_t sk_e, EncrKeymatSize(suite.encr, suite.encr_key_bits));
  const crypto::EncrTransform* encr = crypto::FindEncr(suite.encr);
  if (encr->aead) {
    //= rfc7296#section-3.3
    //# A combined-mode cipher is proposed as the encryption transform alone;
    //# no integrity transform goes with it, so there is no SK_ai or SK_ar.
    ENSURE(suite.integ == Integ::kNone, kBadTransformCombination, kNoOffset, "rfc7296#section-3.3",
           fmt::format("{} is combined-mode; {} cannot go with it", encr->name(), iana::Name(suite.integ)));
  } else {
    //= rfc7296#section-3.3.3
    //# An IKE SA with a non-combined cipher needs an integrity transform.
    ENSURE(suite.integ != Integ::kNone, kBadTransformCombination, kNoOffset, "rfc7296#section-3.3.3",
           fmt::format("{} needs an integrity transform for the IKE SA", encr->name()));
  }
  TRY_ASSIGN(const size_t sk_a, IntegKeySize(suite.integ));
  //= rfc7296#section-2.14
  //# SK_d, SK_pi and SK_pr are as long as the PRF's preferred key.
  return KeySizes{prf->key_size, sk_a, sk_e, prf->key_size};
}

Result<SecureBytes> Skeyseed(Prf prf, ByteSpan ni, ByteSpan nr, ByteSpan g_ir) {
  TRY(CheckedPrf(prf));
  // The 128-bit minimum nonce size (§2.10) is the Nonce payload's rule; the
  // NIST SP 800-135 vectors use 64-bit nonces, so none is enforced here.
  if (prf == Prf::kAes128Xcbc || prf == Prf::kAes128Cmac) {
    //= rfc7296#section-2.14
    //# With AES-XCBC-PRF-128 or AES-CMAC-PRF-128, SKEYSEED is keyed with
    //# only the first 64 bits of Ni and of Nr (prf+ still uses all of them).
    constexpr size_t kHalf = 8;
    ENSURE(ni.size() >= kHalf && nr.size() >= kHalf, kInvalidArgument, kNoOffset, "rfc7296#section-2.14",
           fmt::format("{} keys SKEYSEED with 64 bits of each nonce; Ni has {} bytes, Nr {}", iana::Name(prf),
                       ni.size(), nr.size()));
    const SecureBytes key = Concat({ni.first(kHalf), nr.first(kHalf)});
    return PrfOf(prf, key, {g_ir});
  }
  const SecureBytes key = Concat({ni, nr});
  return PrfOf(prf, key, {g_ir});
}

Result<SecureBytes> IkeSaKeymat(Prf prf, ByteSpan skeyseed, ByteSpan ni, ByteSpan nr, uint64_t spi_i,
                                uint64_t spi_r, size_t length) {
  std::array<uint8_t, 16> spis;
  StoreU64(spis.data(), spi_i);
  StoreU64(spis.data() + 8, spi_r);
  const SecureBytes seed = Concat({ni, nr, spis});
  return crypto::PrfPlus(prf, skeyseed, seed, length);
}

Result<IkeSaKeys> DeriveIkeSaKeys(const Suite& suite, ByteSpan skeyseed, ByteSpan ni, ByteSpan nr, uint64_t spi_i,
                                  uint64_t spi_r) {
  TRY_ASSIGN(const KeySizes sizes, SizesFor(suite));
  const size_t total = sizes.sk_d + 2 * (sizes.sk_a + sizes.sk_e + sizes.sk_p);
  TRY_ASSIGN(const SecureBytes keymat, IkeSaKeymat(suite.prf, skeyseed, ni, nr, spi_i, spi_r, total));
  KeymatCutter cut(keymat);
  IkeSaKeys keys;
  keys.sk_d = cut.Take(sizes.sk_d);
  keys.sk_ai = cut.Take(sizes.sk_a);
  keys.sk_ar = cut.Take(sizes.sk_a);
  keys.sk_ei = cut.Take(sizes.sk_e);
  keys.sk_er = cut.Take(sizes.sk_e);
  keys.sk_pi = cut.Take(sizes.sk_p);
  keys.sk_pr = cut.Take(sizes.sk_p);
  return keys;
}

Result<SecureBytes> RekeySkeyseed(Prf old_prf, ByteSpan old_sk_d, ByteSpan g_ir_new, ByteSpan ni, ByteSpan nr) {
  TRY(CheckedPrf(old_prf));
  //= rfc7296#section-1.3.2
  //# Rekeying an IKE SA always runs a new Diffie-Hellman exchange.
  ENSURE(!g_ir_new.empty(), kInvalidArgument, kNoOffset, "rfc7296#section-1.3.2",
         "rekeying an IKE SA needs the new shared secret g^ir (new)");
  return PrfOf(old_prf, old_sk_d, {g_ir_new, ni, nr});
}

Result<SecureBytes> ChildKeymat(Prf prf, ByteSpan sk_d, ByteSpan g_ir_new, ByteSpan ni, ByteSpan nr,
                                size_t length) {
  TRY(CheckedPrf(prf));
  const SecureBytes seed = Concat({g_ir_new, ni, nr});
  return crypto::PrfPlus(prf, sk_d, seed, length);
}

Result<ChildKeySizes> ChildSizesFor(Encr encr, size_t encr_key_bits, Integ integ) {
  if (encr == Encr{}) {
    //= rfc7296#section-2.17
    //# A CHILD SA of AH has no encryption transform, so its KEYMAT holds
    //# the integrity keys alone, the initiator's first.
    //= rfc7296#section-3.3.3
    //# AH's one mandatory transform is its integrity algorithm.
    ENSURE(integ != Integ::kNone, kBadTransformCombination, kNoOffset, "rfc7296#section-3.3.3",
           "a CHILD SA without an encryption transform (AH) needs an integrity transform");
    TRY_ASSIGN(const size_t integ_size, IntegKeySize(integ));
    return ChildKeySizes{0, integ_size};
  }
  TRY_ASSIGN(const size_t encr_size, EncrKeymatSize(encr, encr_key_bits));
  const crypto::EncrTransform* tr = crypto::FindEncr(encr);
  if (tr->aead) {
    //= rfc7296#section-3.3
    //# A combined-mode cipher carries no separate integrity transform.
    ENSURE(integ == Integ::kNone, kBadTransformCombination, kNoOffset, "rfc7296#section-3.3",
           fmt::format("{} is combined-mode; {} cannot go with it", tr->name(), iana::Name(integ)));
  } else if (integ == Integ::kNone) {
    //= rfc4303#section-3.2
    //# NULL encryption and no integrity together protect nothing.
    ENSURE(tr->confidentiality, kBadTransformCombination, kNoOffset, "rfc4303#section-3.2",
           fmt::format("{} without integrity protects nothing", tr->name()));
  }
  TRY_ASSIGN(const size_t integ_size, IntegKeySize(integ));
  return ChildKeySizes{encr_size, integ_size};
}

Result<ChildSaKeys> DeriveChildSaKeys(Prf prf, ByteSpan sk_d, ByteSpan g_ir_new, ByteSpan ni, ByteSpan nr,
                                      Encr encr, size_t encr_key_bits, Integ integ) {
  TRY_ASSIGN(const ChildKeySizes sizes, ChildSizesFor(encr, encr_key_bits, integ));
  TRY_ASSIGN(const SecureBytes keymat, ChildKeymat(prf, sk_d, g_ir_new, ni, nr, 2 * (sizes.encr + sizes.integ)));
  //= rfc7296#section-2.17
  //# Initiator-to-responder keys come first; within a direction the
  //# encryption key precedes the integrity key.
  KeymatCutter cut(keymat);
  ChildSaKeys keys;
  keys.encr_i = cut.Take(sizes.encr);
  keys.integ_i = cut.Take(sizes.integ);
  keys.encr_r = cut.Take(sizes.encr);
  keys.integ_r = cut.Take(sizes.integ);
  return keys;
}

Result<Bytes> SignedOctets(Prf prf, ByteSpan real_message, ByteSpan peer_nonce_data, ByteSpan sk_p,
                           ByteSpan rest_of_id_payload, ByteSpan int_auth) {
  //= rfc7296#section-2.15
  //# MACedIDFor[IR] = prf(SK_p[ir], RestOf[Init|Resp]IDPayload).
  TRY_ASSIGN(const SecureBytes maced_id, PrfOf(prf, sk_p, {rest_of_id_payload}));
  Bytes octets;
  octets.reserve(real_message.size() + peer_nonce_data.size() + maced_id.size() + int_auth.size());
  octets.insert(octets.end(), real_message.begin(), real_message.end());
  octets.insert(octets.end(), peer_nonce_data.begin(), peer_nonce_data.end());
  octets.insert(octets.end(), maced_id.begin(), maced_id.end());
  //= rfc9242#section-3.3.2
  //# IntAuth, when IKE_INTERMEDIATE was used, follows MACedIDFor[IR].
  octets.insert(octets.end(), int_auth.begin(), int_auth.end());
  return octets;
}

Result<Bytes> SharedKeyAuth(Prf prf, ByteSpan shared_secret, ByteSpan signed_octets) {
  TRY(CheckedPrf(prf));
  const ByteSpan pad(reinterpret_cast<const uint8_t*>(kKeyPad.data()), kKeyPad.size());
  TRY_ASSIGN(const SecureBytes pad_key, PrfOf(prf, shared_secret, {pad}));
  TRY_ASSIGN(const SecureBytes auth, PrfOf(prf, pad_key, {signed_octets}));
  return Bytes(auth.begin(), auth.end());
}

}  // namespace ipsecref::ike::keymat
