#include "interop/check/ike_judge.h"

#include "reference/ike/wire/header.h"

namespace ipsecref::io {
namespace {

ike::SkKeys Direction(const Ikev2Keys& k, bool initiator) {
  //= rfc7296#section-2.14
  //# SK_ei/SK_ai protect what the original initiator sends, SK_er/SK_ar what
  //# the original responder sends.
  return ike::SkKeys{k.encr, k.encr_key_bits, k.integ, initiator ? k.sk_ei : k.sk_er,
                     initiator ? k.sk_ai : k.sk_ar};
}

}  // namespace

Result<ike::MessageProtection*> IkeKeyRing::For(uint64_t spi_i, uint64_t spi_r) {
  auto it = sas_.find({spi_i, spi_r});
  if (it != sas_.end()) return it->second.get();
  const Ikev2Keys* k = Find(keys_, spi_i, spi_r);
  if (k == nullptr) return static_cast<ike::MessageProtection*>(nullptr);
  TRY_ASSIGN(auto p, ike::MessageProtection::Create({Direction(*k, true), Direction(*k, false)}));
  return (sas_[{spi_i, spi_r}] = std::move(p)).get();
}

IkeMessageOutcome JudgeIkeMessage(ByteSpan datagram, IkeKeyRing* keys) {
  IkeMessageOutcome out;
  //= rfc7296#section-3.1
  //# The Exchange Type octet (offset 18) names the exchange, the Flags octet
  //# (offset 19) says whether a message is a response.
  ByteReader header(datagram);
  uint8_t exchange = 0;
  uint8_t flags = 0;
  if (header.Skip(18) && header.ReadU8(exchange) && header.ReadU8(flags)) {
    out.exchange = static_cast<iana::ExchangeType>(exchange);
    out.response = (flags & ike::kFlagResponse) != 0;
  }
  auto decoded = ike::Decode(datagram);
  if (!decoded) {
    out.decode_error = std::move(decoded).error();
    return out;
  }
  ike::Message& m = out.message.emplace(std::move(decoded).value());
  const ike::Payload* encrypted = m.Encrypted();
  if (encrypted != nullptr && keys != nullptr) {
    auto protection = keys->For(m.header.spi_i, m.header.spi_r);
    if (!protection) {
      out.decrypt_error = protection.error();
    } else if (*protection != nullptr) {
      out.keys_known = true;
      if (encrypted->type == iana::PayloadType::kSk) {
        Status s = (*protection)->Decrypt(m, datagram);
        if (!s) out.decrypt_error = std::move(s).error();
      } else {
        auto outcome = (*protection)->DecryptFragment(m, datagram);
        if (!outcome)
          out.decrypt_error = std::move(outcome).error();
        else
          out.fragment_kept = *outcome != ike::SkfReassembler::Outcome::kComplete;
      }
    }
  }
  out.validation = ike::Validate(m);
  return out;
}

Ikev1KeyRing::Ikev1KeyRing(std::vector<Ikev1Keys> keys) : keys_(std::move(keys)) {
  for (size_t i = 0; i < keys_.size(); ++i) by_cookie_.emplace(keys_[i].cookie_i, i);
}

const Ikev1Keys* Ikev1KeyRing::Find(uint64_t cookie_i, uint64_t cookie_r) const {
  auto [begin, end] = by_cookie_.equal_range(cookie_i);
  for (auto it = begin; it != end; ++it) {
    const Ikev1Keys& k = keys_[it->second];
    if (!k.cookie_r || cookie_r == 0 || *k.cookie_r == cookie_r) return &k;
  }
  return nullptr;
}

bool Ikev1KeyRing::Knows(uint64_t cookie_i, uint64_t cookie_r) const { return Find(cookie_i, cookie_r) != nullptr; }

const ikev1::IsakmpSaDecryptor* Ikev1KeyRing::DecryptorOf(uint64_t cookie_i) const {
  auto it = sas_.find(cookie_i);
  return it == sas_.end() ? nullptr : &it->second;
}

Ikev1MessageOutcome Ikev1KeyRing::Judge(ByteSpan datagram) {
  Ikev1MessageOutcome out;
  auto decoded = ikev1::Decode(datagram);
  if (!decoded) {
    out.decode_error = std::move(decoded).error();
    return out;
  }
  ikev1::Message& m = out.message.emplace(std::move(decoded).value());
  const ikev1::Header& h = m.header;
  //= rfc2408#section-3.1
  //# The initiator cookie names the ISAKMP SA from its first message on (the
  //# responder cookie is 0 there).
  auto it = sas_.find(h.initiator_cookie);
  if (it == sas_.end()) {
    if (const Ikev1Keys* k = Find(h.initiator_cookie, h.responder_cookie))
      it = sas_.emplace(h.initiator_cookie,
                        ikev1::IsakmpSaDecryptor(ikev1::Ikev1Secret{k->encryption_key, k->pre_shared_key,
                                                                    k->dh_shared_secret}))
               .first;
  }
  out.keys_known = it != sas_.end();
  if (out.keys_known) {
    const bool encrypted = h.encrypted();
    Status s = it->second.Observe(m);
    if (!s) out.decrypt_error = std::move(s).error();
    if (encrypted && !m.decrypted) return out;
  }
  out.violations = ikev1::Validate(m);
  return out;
}

}  // namespace ipsecref::io
