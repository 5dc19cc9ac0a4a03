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

}  // namespace ipsecref::io
