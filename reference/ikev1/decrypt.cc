#include "reference/ikev1/decrypt.h"

#include <fmt/format.h>

#include <algorithm>

#include "reference/crypto/hash.h"
#include "reference/crypto/transforms.h"

namespace ipsecref::ikev1 {
namespace {

// Phase 1 SA attribute classes (RFC 2409 Appendix A).
constexpr uint16_t kEncryptionAlgorithm = 1, kHashAlgorithm = 2, kAuthenticationMethod = 3,
                   kKeyLength = 14;
// Authentication Methods whose Phase 1 is authenticated with the pre-shared
// key: RFC 2409's, and XAuth's XAUTHInitPreShared and XAUTHRespPreShared
// (draft-beaulieu-ike-xauth-02 §7.2), where XAuth follows a PSK Phase 1.
constexpr uint16_t kPreSharedKey = 1, kXauthInitPreShared = 65001, kXauthRespPreShared = 65002;

struct Cipher {
  iana::Encr encr;
  size_t block;
  size_t fixed_key;  // octets; 0: the Key Length attribute says
};

// IKEv1's Encryption Algorithm as IKEv2's transform ID, with its block size.
std::optional<Cipher> CipherOf(uint16_t encryption) {
  switch (encryption) {
    //= rfc2409#appendix-B
    //# The 3DES-CBC key is the first 24 octets of Ka.
    case 5: return Cipher{iana::Encr::k3Des, 8, 24};
    case 7: return Cipher{iana::Encr::kAesCbc, 16, 0};
    default: return std::nullopt;
  }
}

//= ipsecref#choice
//# An ISAKMP SA's decryptor remembers the IVs of its latest 4096 messages
//# (for retransmissions) and exchanges (Quick Mode, Informational), the
//# oldest forgotten first, so that a capture of any length is read in
//# bounded memory: a message of an exchange forgotten fails to decrypt.
constexpr size_t kRemembered = 4096;

template <typename K, typename V>
void Remember(std::map<K, V>& map, std::deque<K>& order, const K& key, V value) {
  if (map.insert_or_assign(key, std::move(value)).second) order.push_back(key);
  if (order.size() > kRemembered) {
    map.erase(order.front());
    order.pop_front();
  }
}

void AddOnce(std::vector<Bytes>& values, ByteSpan value) {
  if (values.size() >= 2) return;
  for (const Bytes& v : values)
    if (std::equal(v.begin(), v.end(), value.begin(), value.end())) return;
  values.emplace_back(value.begin(), value.end());
}

}  // namespace

Status IsakmpSaDecryptor::DeriveKey(const Message& m) {
  if (!secret_.encryption_key.empty()) return OkStatus();
  const auto cipher = CipherOf(encryption_);
  const auto hash = HashOf(hash_);
  //= rfc2409#section-5
  //# SKEYID = prf(pre-shared-key, Ni_b | Nr_b) holds for pre-shared key
  //# authentication only.
  const bool psk = auth_method_ == kPreSharedKey || auth_method_ == kXauthInitPreShared ||
                   auth_method_ == kXauthRespPreShared;
  ENSURE(psk, kUnsupported, kNoOffset, "rfc2409#section-5",
         fmt::format("a pre-shared key was given, but the Phase 1 SA's Authentication Method is {}",
                     auth_method_));
  ENSURE(nonces_.size() == 2, kInvalidArgument, kNoOffset, "rfc2409#section-5",
         fmt::format("no keys yet: {} of the two Phase 1 Nonce payloads seen", nonces_.size()));
  const size_t key_size = cipher->fixed_key != 0 ? cipher->fixed_key : key_bits_ / 8u;
  ENSURE(key_size > 0, kInvalidArgument, kNoOffset, "rfc2409#appendix-A",
         "the Phase 1 SA names no Key Length for its cipher");
  TRY_ASSIGN(Phase1Keys keys,
             DerivePskPhase1Keys(*hash, secret_.pre_shared_key, nonces_[0], nonces_[1], secret_.dh_shared_secret,
                                 m.header.initiator_cookie, m.header.responder_cookie, key_size));
  secret_.encryption_key = keys.encryption_key;
  derived_ = std::move(keys);
  return OkStatus();
}

Result<Bytes> IsakmpSaDecryptor::IvFor(const Message& m, size_t block) {
  const auto hash = HashOf(hash_);
  if (m.header.message_id == 0) {
    if (!phase1_iv_) {
      //= rfc2409#appendix-B
      //# Phase 1's first IV is the hash (the negotiated one) of g^xi | g^xr,
      //# cut to the cipher's block size.
      ENSURE(public_values_.size() >= 2, kInvalidArgument, kNoOffset, "rfc2409#appendix-B",
             "no Phase 1 IV: the two KE payloads were not seen");
      TRY_ASSIGN(Bytes digest, crypto::Digest(*hash, {public_values_[0], public_values_[1]}));
      phase1_iv_ = Bytes(digest.begin(), digest.begin() + static_cast<ptrdiff_t>(block));
    }
    return *phase1_iv_;
  }
  if (auto it = exchange_iv_.find(m.header.message_id); it != exchange_iv_.end()) return it->second;
  //= rfc2409#appendix-B
  //# A Phase 2 (or Informational) exchange's first IV is the hash of the
  //# last Phase 1 ciphertext block and the exchange's Message ID.
  ENSURE(!last_phase1_block_.empty(), kInvalidArgument, kNoOffset, "rfc2409#appendix-B",
         "no Phase 2 IV: no encrypted Phase 1 message was seen");
  uint8_t id[4];
  StoreU32(id, m.header.message_id);
  TRY_ASSIGN(Bytes digest, crypto::Digest(*hash, {last_phase1_block_, ByteSpan(id, 4)}));
  return Bytes(digest.begin(), digest.begin() + static_cast<ptrdiff_t>(block));
}

Status IsakmpSaDecryptor::Observe(Message& m) {
  if (!m.header.encrypted()) {
    if (m.header.message_id != 0) return OkStatus();
    for (const Payload& p : m.payloads) {
      if (const auto* sa = p.as<SaPayload>()) {
        // The responder's SA names the chosen transform; the initiator's
        // first one stands until then.
        if (sa->proposals.empty() || sa->proposals[0].transforms.empty()) continue;
        for (const DataAttribute& a : sa->proposals[0].transforms[0].attributes) {
          const auto* tv = std::get_if<uint16_t>(&a.value);
          if (tv == nullptr) continue;
          if (a.type == kEncryptionAlgorithm) encryption_ = *tv;
          if (a.type == kHashAlgorithm) hash_ = *tv;
          if (a.type == kKeyLength) key_bits_ = *tv;
          if (a.type == kAuthenticationMethod) auth_method_ = *tv;
        }
      }
      if (const auto* ke = p.as<KePayload>()) AddOnce(public_values_, ke->data);
      if (const auto* nonce = p.as<NoncePayload>()) AddOnce(nonces_, nonce->data);
    }
    return OkStatus();
  }
  const auto cipher = CipherOf(encryption_);
  const auto hash = HashOf(hash_);
  ENSURE(cipher && hash, kUnsupported, kNoOffset, "rfc2409#appendix-B",
         fmt::format("IKEv1 decryption with Encryption Algorithm {} and Hash Algorithm {}", encryption_, hash_));
  const size_t block = cipher->block;
  ENSURE(m.encrypted.size() % block == 0 && !m.encrypted.empty(), kBadAlignment, kHeaderSize, "rfc2409#appendix-B",
         fmt::format("{} encrypted bytes, not a multiple of the {}-byte block", m.encrypted.size(), block));
  TRY(DeriveKey(m));
  const Bytes last(m.encrypted.end() - static_cast<ptrdiff_t>(block), m.encrypted.end());
  const auto again = decrypted_with_.find(last);
  const bool retransmission = again != decrypted_with_.end();
  Bytes iv;
  if (retransmission) {
    iv = again->second;
  } else {
    TRY_ASSIGN(iv, IvFor(m, block));
  }
  TRY_ASSIGN(auto decryptor, crypto::MakeCipher(cipher->encr, secret_.encryption_key));
  Bytes plain = m.encrypted;
  decryptor->Decrypt(iv, plain);
  if (!retransmission) {
    //= rfc2409#appendix-B
    //# Each message's last ciphertext block is the next message's IV.
    if (m.header.message_id == 0) {
      phase1_iv_ = last;
      last_phase1_block_ = last;
    } else {
      Remember(exchange_iv_, exchange_order_, m.header.message_id, last);
    }
    Remember(decrypted_with_, decrypted_order_, last, iv);
  }
  ByteReader in(plain, kHeaderSize);
  //= rfc2409#appendix-B
  //# The message is padded to the cipher's block size (with zero octets,
  //# a SHOULD): bytes after the last payload are padding.
  auto payloads = DecodePayloads(in, m.header.next_payload, m.notes, /*padded=*/true);
  if (!payloads) {
    Error e = std::move(payloads).error();
    e.detail = fmt::format("decrypted with the {} key, the payloads do not parse (a wrong key, or a message "
                           "of this exchange missing from the capture breaks the IV chain): {}",
                           derived_ ? "derived" : "given", e.detail);
    e.requirement = "rfc2409#appendix-B";
    return e;
  }
  m.payloads = std::move(payloads).value();
  m.decrypted = true;
  return OkStatus();
}

}  // namespace ipsecref::ikev1
