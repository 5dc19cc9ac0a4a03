#include "interop/deviations/observe.h"

#include <fmt/format.h>

#include <algorithm>

#include "reference/base/result.h"
#include "reference/ike/sa/ike_sa.h"

namespace ipsecref::deviations {

using ike::Message;
using ike::Payload;

void KeyCatcher::OnEncoded(const ike::sa::IkeSa& sa, const Message&, std::vector<Bytes>&) {
  if (!sa.has_keys()) return;
  ike::MessageKeys k;
  k.initiator = ike::SkKeys{sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ, sa.keys.sk_ei, sa.keys.sk_ai};
  k.responder = ike::SkKeys{sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ, sa.keys.sk_er, sa.keys.sk_ar};
  for (const ike::MessageKeys& known : keys)
    if (known.initiator.encr_key == k.initiator.encr_key) return;
  keys.push_back(std::move(k));
}

void KeyCatcher::OnProtect(const ike::sa::IkeSa&, const Message&, ike::SkCrypter::ProtectOptions& o) {
  paddings.push_back(o.padding_bytes.value_or(Bytes{}));
}

namespace {

std::string Hex(ByteSpan b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

std::string Detail(const Payload& p) {
  std::string s = p.critical ? "!" : "";
  if (const auto* sa = p.as<ike::SaPayload>()) {
    s += "SA[";
    for (const ike::Proposal& pr : sa->proposals) {
      s += fmt::format("#{} {} spi{}:", pr.proposal_num, static_cast<unsigned>(pr.protocol_id), pr.spi.size());
      for (const ike::Transform& t : pr.transforms) {
        s += fmt::format(" {}.{}", static_cast<unsigned>(t.type), t.id);
        if (auto kl = t.key_length()) s += fmt::format("/{}", *kl);
      }
      s += ";";
    }
    return s + "]";
  }
  if (const auto* ke = p.as<ike::KePayload>()) {
    const auto& d = ke->key_exchange_data;
    std::string what;
    if (!d.empty() && std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0; })) what = " zeros";
    if (!d.empty() && std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0xff; })) what = " ff";
    return s + fmt::format("KE({},{}{})", static_cast<unsigned>(ke->group), d.size(), what);
  }
  if (const auto* n = p.as<ike::NoncePayload>()) return s + fmt::format("Nonce({})", n->nonce_data.size());
  if (const auto* n = p.as<ike::NotifyPayload>()) {
    s += ike::PayloadLabel(p);
    if (!n->notification_data.empty() && n->notification_data.size() <= 2) s += "=" + Hex(n->notification_data);
    return s;
  }
  if (const auto* ts = p.as<ike::TsPayload>())
    return s + fmt::format("{}({})", ike::PayloadLabel(p), ts->traffic_selectors.size());
  if (const auto* a = p.as<ike::AuthPayload>())
    return s +
           fmt::format("AUTH({},{})", static_cast<unsigned>(a->auth_method),
                       Hex(ByteSpan(a->authentication_data).first(std::min<size_t>(2, a->authentication_data.size()))));
  return s + ike::PayloadLabel(p);
}

}  // namespace

std::string DescribePayloads(const std::vector<Payload>& ps) {
  std::string s;
  for (const Payload& p : ps) s += (s.empty() ? "" : " ") + Detail(p);
  return s;
}

const std::vector<Payload>& Opened::Built() const {
  static const std::vector<Payload> kNone;
  if (!message) return kNone;
  if (!encrypted) return message->payloads;
  return decrypted ? message->inner : kNone;
}

Opened Open(ByteSpan message, const std::vector<ike::MessageKeys>& keys) {
  Opened o;
  o.header = ike::PeekHeader(message);
  if (!o.header) return o;
  auto m = ike::Decode(message);
  if (!m) {
    o.undecodable = std::string(ipsecref::Describe(m.error().code).name);
    return o;
  }
  o.message = std::move(*m);
  const Payload* enc = o.message->Encrypted();
  if (enc == nullptr) return o;
  o.encrypted = true;
  if (enc->as<ike::SkfPayload>() != nullptr) {
    o.fragment = true;
    return o;
  }
  for (const ike::MessageKeys& k : keys) {
    auto protection = ike::MessageProtection::Create(k);
    if (!protection) continue;
    Message copy = *o.message;
    if (!(*protection)->Decrypt(copy, message)) continue;
    const size_t body = enc->offset + ike::kGenericPayloadHeaderSize;
    auto opened = (*protection)->crypter(o.header->initiator()).Unprotect(message.first(body), message.subspan(body));
    o.zero_iv = opened && std::all_of(opened->iv.begin(), opened->iv.end(), [](uint8_t b) { return b == 0; });
    o.pad_length = opened ? opened->pad_length : 0;
    o.message = std::move(copy);
    o.decrypted = true;
    return o;
  }
  return o;
}

std::string Describe(ByteSpan message, const std::vector<ike::MessageKeys>& keys) {
  const Opened o = Open(message, keys);
  if (!o.header) return fmt::format("{} octets, no IKE header", message.size());
  const ike::Header& h = *o.header;
  std::string s = fmt::format("{} v{}.{} flags {:02x} id {} spi {:04x}/{:04x}", ike::Describe(h), h.major_version,
                              h.minor_version, h.flags, h.message_id, h.spi_i & 0xffff, h.spi_r & 0xffff);
  if (!o.message) return s + " undecodable: " + o.undecodable;
  const Message& m = *o.message;
  if (!m.notes.empty()) s += fmt::format(" ({} notes)", m.notes.size());
  if (!o.encrypted) return s + " { " + DescribePayloads(m.payloads) + " }";
  std::vector<Payload> outer(m.payloads.begin(), m.payloads.end() - 1);
  if (!outer.empty()) s += " " + DescribePayloads(outer);
  const Payload* enc = m.Encrypted();
  if (const auto* skf = enc->as<ike::SkfPayload>())
    return s + fmt::format(" SKF {}/{}", skf->fragment_number, skf->total_fragments);
  if (!o.decrypted) return s + " SK(does not verify)";
  return s + fmt::format(" SK(pad {}{}) {{ {} }}", o.pad_length, o.zero_iv ? ", zero IV" : "",
                         DescribePayloads(m.inner));
}

}  // namespace ipsecref::deviations
