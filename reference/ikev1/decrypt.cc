#include "reference/ikev1/decrypt.h"

#include <fmt/format.h>

#include "reference/crypto/hash.h"
#include "reference/crypto/transforms.h"

namespace ipsecref::ikev1 {
namespace {

// IKEv1's Hash Algorithm (RFC 2409 Appendix A) as the hash registry's.
std::optional<iana::HashAlgorithm> HashOf(uint16_t hash) {
  switch (hash) {
    case 2: return iana::HashAlgorithm::kSha1;
    case 4: return iana::HashAlgorithm::kSha2_256;
    case 5: return iana::HashAlgorithm::kSha2_384;
    case 6: return iana::HashAlgorithm::kSha2_512;
    default: return std::nullopt;
  }
}

// IKEv1's Encryption Algorithm as IKEv2's transform ID, with its block size.
std::optional<std::pair<iana::Encr, size_t>> CipherOf(uint16_t encryption) {
  switch (encryption) {
    case 5: return std::pair{iana::Encr::k3Des, size_t{8}};
    case 7: return std::pair{iana::Encr::kAesCbc, size_t{16}};
    default: return std::nullopt;
  }
}

}  // namespace

Result<std::vector<Ikev1Key>> ParseIkev1DecryptionTable(std::string_view text) {
  std::vector<Ikev1Key> keys;
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string line(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    std::erase(line, '"');
    std::erase(line, '\r');
    if (line.empty() || line[0] == '#') continue;
    const size_t comma = line.find(',');
    auto cookie = FromHex(line.substr(0, comma));
    auto key = comma == std::string::npos ? Result<SecureBytes>(MakeError(Code::kBadFile, kNoOffset, ""))
                                          : SecureFromHex(line.substr(comma + 1));
    ENSURE(cookie.ok() && cookie->size() == 8 && key.ok() && !key->empty(), kBadFile, kNoOffset, "",
           fmt::format("ikev1_decryption_table line {}: expected <8-byte cookie hex>,<key hex>", number));
    keys.push_back({LoadU64(cookie->data()), std::move(key).value()});
  }
  return keys;
}

Status IsakmpSaDecryptor::Observe(Message& m) {
  if (!m.header.encrypted()) {
    for (const Payload& p : m.payloads) {
      if (const auto* sa = p.as<SaPayload>(); sa && m.header.message_id == 0) {
        // The responder's SA names the chosen transform; the initiator's
        // first one stands until then.
        for (const DataAttribute& a : sa->proposals.empty() || sa->proposals[0].transforms.empty()
                                          ? std::vector<DataAttribute>{}
                                          : sa->proposals[0].transforms[0].attributes) {
          const auto* tv = std::get_if<uint16_t>(&a.value);
          if (tv && a.type == 1) encryption_ = *tv;
          if (tv && a.type == 2) hash_ = *tv;
        }
      }
      if (const auto* ke = p.as<KePayload>(); ke && m.header.message_id == 0) public_values_.push_back(ke->data);
    }
    return OkStatus();
  }
  const auto cipher = CipherOf(encryption_);
  const auto hash = HashOf(hash_);
  ENSURE(cipher && hash, kUnsupported, kNoOffset, "rfc2409#appendix-B",
         fmt::format("IKEv1 decryption with Encryption Algorithm {} and Hash Algorithm {}", encryption_, hash_));
  const size_t block = cipher->second;
  ENSURE(m.encrypted.size() % block == 0 && !m.encrypted.empty(), kBadAlignment, kHeaderSize, "rfc2409#appendix-B",
         fmt::format("{} encrypted bytes, not a multiple of the {}-byte block", m.encrypted.size(), block));
  Bytes iv;
  if (m.header.message_id == 0) {
    if (!phase1_iv_) {
      //= rfc2409#appendix-B
      //# Phase 1's first IV is the hash (the negotiated one) of g^xi | g^xr,
      //# cut to the cipher's block size.
      ENSURE(public_values_.size() >= 2, kInvalidArgument, kNoOffset, "rfc2409#appendix-B",
             "no Phase 1 IV yet: the two KE payloads were not seen");
      TRY_ASSIGN(Bytes digest, crypto::Digest(*hash, {public_values_[0], public_values_[1]}));
      phase1_iv_ = Bytes(digest.begin(), digest.begin() + static_cast<ptrdiff_t>(block));
    }
    iv = *phase1_iv_;
  } else if (auto it = exchange_iv_.find(m.header.message_id); it != exchange_iv_.end()) {
    iv = it->second;
  } else {
    //= rfc2409#appendix-B
    //# A Phase 2 (or Informational) exchange's first IV is the hash of the
    //# last Phase 1 ciphertext block and the exchange's Message ID.
    ENSURE(!last_phase1_block_.empty(), kInvalidArgument, kNoOffset, "rfc2409#appendix-B",
           "no Phase 2 IV: no encrypted Phase 1 message was seen");
    uint8_t id[4];
    StoreU32(id, m.header.message_id);
    TRY_ASSIGN(Bytes digest, crypto::Digest(*hash, {last_phase1_block_, ByteSpan(id, 4)}));
    iv = Bytes(digest.begin(), digest.begin() + static_cast<ptrdiff_t>(block));
  }
  TRY_ASSIGN(auto decryptor, crypto::MakeCipher(cipher->first, key_));
  Bytes plain = m.encrypted;
  decryptor->Decrypt(iv, plain);
  //= rfc2409#appendix-B
  //# Each message's last ciphertext block is the next message's IV.
  const Bytes last(m.encrypted.end() - static_cast<ptrdiff_t>(block), m.encrypted.end());
  if (m.header.message_id == 0) {
    phase1_iv_ = last;
    last_phase1_block_ = last;
  } else {
    exchange_iv_[m.header.message_id] = last;
  }
  ByteReader in(plain, kHeaderSize);
  //= rfc2408#section-3.1
  //# The encrypted payloads are padded to the cipher's block size: bytes
  //# after the last payload are padding.
  TRY_ASSIGN(m.payloads, DecodePayloads(in, m.header.next_payload, m.notes, /*padded=*/true));
  m.decrypted = true;
  return OkStatus();
}

}  // namespace ipsecref::ikev1
