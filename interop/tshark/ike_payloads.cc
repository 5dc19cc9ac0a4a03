// The IKE messages of a capture as the reference decodes them, one line per
// message, for compare.py to set beside what tshark dissects:
//
//   ike_payloads CAPTURE [IKEV2_DECRYPTION_TABLE]
//
//   <frame> <exchange> <I|R> <request|response> outer=<tokens> inner=<tokens|-|!>  # <names>
//
// `I`/`R` is the Initiator flag, request/response the Response flag.
// Tokens are comma-separated payload types in order, as numbers: a Notify
// is "41/<notify message type>", an SA "33/<proposals>" with each proposal
// "<num>:<transform type>.<transform id>+..." and proposals joined by ';'.
// inner= lists the payloads inside SK (decrypted with the reference's
// MessageProtection): "-" when the message has no SK payload, the table
// has no keys for its SPIs, or it is an Encrypted Fragment that does not
// complete its message; "!" when decryption failed (the error follows
// after '#'); for the fragment that completes a message, the payloads of
// the whole. A message the reference cannot
// decode is "<frame> error  # <error>".
//
// An IKEv1 message (major version 1) is one line of its own:
//
//   <frame> v1 <exchange> <flags> <message id> payloads=<tokens> enc=<octets|-> inner=<tokens|-|!>  # <names>
//
// tokens "<type>:<payload length>/<content>": an SA "/<doi>/<proposal
// number>.<protocol>:<transform number>.<transform id>(<attribute type>=<value
// hex>+...)" (transforms joined by ';'), a Notification "/<message type>",
// an ID "/<type>.<protocol>.<port>/<data hex>", VID, KE, Nonce, HASH, NAT-D
// "/<data hex>". enc= is the size of the encrypted body (E flag); inner=
// the payloads inside it, decrypted with the ikev1_decryption_table found
// beside the capture (RFC 2409 Appendix B; "-" without one or without a
// row for the ISAKMP SA, "!" when decryption failed).
//
//   ike_payloads --sample-table
//
// prints an ikev2_decryption_table with a row for every algorithm name the
// reference writes, for compare.py to hand to tshark. Exit status: 0 (also when
// messages failed to decode: the comparison judges), 1 when the capture or
// the table cannot be read.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/ike/wire/message.h"
#include "reference/crypto/transforms.h"
#include "reference/ike/wire/protection.h"
#include "reference/ikev1/decrypt.h"
#include "reference/ikev1/describe.h"
#include "reference/io/ikev1_table.h"
#include "reference/io/ike_messages.h"
#include "reference/io/ikev2_table.h"

namespace ipsecref {
namespace {

std::string Token(const ike::Payload& p) {
  std::string token = fmt::format("{}", static_cast<int>(p.type));
  if (const auto* n = p.as<ike::NotifyPayload>()) {
    token += fmt::format("/{}", static_cast<int>(n->notify_message_type));
  } else if (const auto* sa = p.as<ike::SaPayload>()) {
    token += '/';
    for (size_t i = 0; i < sa->proposals.size(); ++i) {
      const ike::Proposal& proposal = sa->proposals[i];
      if (i > 0) token += ';';
      token += fmt::format("{}:", proposal.proposal_num);
      for (size_t j = 0; j < proposal.transforms.size(); ++j) {
        if (j > 0) token += '+';
        token += fmt::format("{}.{}", static_cast<int>(proposal.transforms[j].type),
                             proposal.transforms[j].id);
      }
    }
  }
  return token;
}

std::string Tokens(const std::vector<ike::Payload>& payloads) {
  std::string out;
  for (const ike::Payload& p : payloads) {
    if (!out.empty()) out += ',';
    out += Token(p);
  }
  return out;
}

std::string Labels(const std::vector<ike::Payload>& payloads) {
  std::string out;
  for (const ike::Payload& p : payloads) {
    if (!out.empty()) out += ' ';
    out += ike::PayloadLabel(p);
  }
  return out;
}

// The protection of each IKE SA of the table, made when first needed.
class Protections {
 public:
  explicit Protections(const std::vector<io::Ikev2Keys>& table) : table_(table) {}

  // nullptr when the table has no keys for the message's IKE SA.
  Result<ike::MessageProtection*> For(const ike::Header& h) {
    auto it = made_.find({h.spi_i, h.spi_r});
    if (it != made_.end()) return it->second.get();
    const io::Ikev2Keys* keys = io::Find(table_, h.spi_i, h.spi_r);
    if (keys == nullptr) return static_cast<ike::MessageProtection*>(nullptr);
    //= rfc7296#section-2.14
    //# The original initiator's messages are protected with SK_ei and SK_ai,
    //# the original responder's with SK_er and SK_ar.
    ike::MessageKeys mk;
    for (ike::SkKeys* sk : {&mk.initiator, &mk.responder}) {
      sk->encr = keys->encr;
      sk->encr_key_bits = keys->encr_key_bits;
      sk->integ = keys->integ;
    }
    mk.initiator.encr_key = keys->sk_ei;
    mk.initiator.integ_key = keys->sk_ai;
    mk.responder.encr_key = keys->sk_er;
    mk.responder.integ_key = keys->sk_ar;
    TRY_ASSIGN(std::unique_ptr<ike::MessageProtection> p, ike::MessageProtection::Create(mk));
    return (made_[{h.spi_i, h.spi_r}] = std::move(p)).get();
  }

 private:
  const std::vector<io::Ikev2Keys>& table_;
  std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<ike::MessageProtection>> made_;
};

// Decrypts the SK payload of `m` (decoded from `datagram`), or adds its SKF
// payload to the reassembly (RFC 7383 §2.6); true when m.inner holds the
// payloads inside.
Result<bool> Decrypt(ike::MessageProtection& protection, ike::Message& m, ByteSpan datagram) {
  if (m.Encrypted()->type == iana::PayloadType::kSk) {
    TRY(protection.Decrypt(m, datagram));
    return true;
  }
  TRY_ASSIGN(ike::SkfReassembler::Outcome outcome, protection.DecryptFragment(m, datagram));
  return outcome == ike::SkfReassembler::Outcome::kComplete;
}

std::string Hex(ByteSpan b) { return ToHex(b); }

std::string AttributesToken(const std::vector<ikev1::DataAttribute>& attributes) {
  std::string out;
  for (const ikev1::DataAttribute& a : attributes) {
    if (!out.empty()) out += '+';
    if (const auto* tv = std::get_if<uint16_t>(&a.value))
      out += fmt::format("{}={:04x}", a.type, *tv);
    else
      out += fmt::format("{}={}", a.type, Hex(std::get<Bytes>(a.value)));
  }
  return out;
}

std::string Ikev1Token(const ikev1::Payload& p, size_t length) {
  std::string t = fmt::format("{}:{}", static_cast<int>(p.type), length);
  if (const auto* sa = p.as<ikev1::SaPayload>()) {
    t += fmt::format("/{}", sa->doi);
    for (const ikev1::Proposal& proposal : sa->proposals) {
      t += fmt::format("/{}.{}:", proposal.proposal_num, proposal.protocol_id);
      for (size_t i = 0; i < proposal.transforms.size(); ++i) {
        const ikev1::Transform& tr = proposal.transforms[i];
        t += fmt::format("{}{}.{}({})", i ? ";" : "", tr.transform_num, tr.transform_id,
                         AttributesToken(tr.attributes));
      }
    }
  } else if (const auto* n = p.as<ikev1::NotificationPayload>()) {
    t += fmt::format("/{}", n->notify_message_type);
  } else if (const auto* id = p.as<ikev1::IdPayload>()) {
    t += fmt::format("/{}.{}.{}/{}", id->id_type, id->protocol_id, id->port, Hex(id->identification_data));
  } else if (const auto* v = p.as<ikev1::VendorIdPayload>()) {
    t += "/" + Hex(v->vendor_id);
  } else if (const auto* ke = p.as<ikev1::KePayload>()) {
    t += "/" + Hex(ke->data);
  } else if (const auto* nonce = p.as<ikev1::NoncePayload>()) {
    t += "/" + Hex(nonce->data);
  } else if (const auto* hash = p.as<ikev1::HashPayload>()) {
    t += "/" + Hex(hash->data);
  } else if (const auto* natd = p.as<ikev1::NatDPayload>()) {
    t += "/" + Hex(natd->data);
  }
  return t;
}

// The encoded length of one IKEv1 payload, generic header included.
size_t EncodedLength(const ikev1::Payload& p) {
  ByteWriter out;
  return ikev1::EncodePayloads({p}, out).ok() ? out.size() : 0;
}

// The ISAKMP SAs' decryptors, from the ikev1_decryption_table beside the
// capture.
struct Ikev1Decryption {
  std::vector<io::Ikev1Keys> keys;
  std::map<uint64_t, ikev1::IsakmpSaDecryptor> sas;
};

void PrintIkev1(const io::CapturedIke& captured, Ikev1Decryption& v1) {
  auto decoded = ikev1::Decode(captured.message);
  if (!decoded.ok()) {
    fmt::print("{} error  # {}\n", captured.packet_number, decoded.error().ToString());
    return;
  }
  const ikev1::Message& m = *decoded;
  std::string tokens, names;
  for (size_t i = 0; i < m.payloads.size(); ++i) {
    const size_t end = i + 1 < m.payloads.size() ? m.payloads[i + 1].offset : m.header.length;
    tokens += (i ? "," : "") + Ikev1Token(m.payloads[i], end - m.payloads[i].offset);
    names += (i ? " " : "") + ikev1::PayloadLabel(m.payloads[i]);
  }
  std::string inner = "-";
  auto sa = v1.sas.find(m.header.initiator_cookie);
  if (sa == v1.sas.end()) {
    for (const io::Ikev1Keys& k : v1.keys)
      if (k.cookie_i == m.header.initiator_cookie)
        sa = v1.sas.emplace(k.cookie_i, ikev1::IsakmpSaDecryptor(ikev1::Ikev1Secret{k.encryption_key, {}, {}})).first;
  }
  if (sa != v1.sas.end()) {
    ikev1::Message copy = m;
    const Status s = sa->second.Observe(copy);
    if (!s.ok()) {
      inner = "!";
      names += " " + s.error().ToString();
    } else if (copy.decrypted) {
      inner.clear();
      names += " {";
      for (size_t i = 0; i < copy.payloads.size(); ++i) {
        inner += (i ? "," : "") + Ikev1Token(copy.payloads[i], EncodedLength(copy.payloads[i]));
        names += " " + ikev1::PayloadLabel(copy.payloads[i]);
      }
      names += " }";
    }
  }
  fmt::print("{} v1 {} {} {:08x} payloads={} enc={} inner={}  # {} {}\n", captured.packet_number,
             static_cast<int>(m.header.exchange_type), m.header.flags, m.header.message_id, tokens,
             m.header.encrypted() ? fmt::format("{}", m.encrypted.size()) : std::string("-"), inner,
             ikev1::Title(m.header), names);
}

int Run(const std::string& capture, const std::optional<std::string>& table_path) {
  std::vector<io::Ikev2Keys> table;
  if (table_path) {
    auto rows = io::ReadIkev2Table(*table_path);
    if (!rows.ok()) {
      fmt::print(stderr, "ike_payloads: {}\n", rows.error().ToString());
      return 1;
    }
    table = std::move(rows).value();
  }
  auto messages = io::ReadIkeMessages(capture);
  if (!messages.ok()) {
    fmt::print(stderr, "ike_payloads: {}\n", messages.error().ToString());
    return 1;
  }
  Protections protections(table);
  Ikev1Decryption v1;
  const std::filesystem::path v1_table = std::filesystem::path(capture).parent_path() / "ikev1_decryption_table";
  if (std::filesystem::exists(v1_table)) {
    std::ifstream in(v1_table);
    std::stringstream text;
    text << in.rdbuf();
    auto rows = io::ParseIkev1Table(text.str(), v1_table.string());
    if (!rows.ok()) {
      fmt::print(stderr, "ike_payloads: {}\n", rows.error().ToString());
      return 1;
    }
    v1.keys = std::move(rows).value();
  }
  for (const io::CapturedIke& captured : *messages) {
    if (ikev1::IsIkev1(captured.message)) {
      PrintIkev1(captured, v1);
      continue;
    }
    auto decoded = ike::Decode(captured.message);
    if (!decoded.ok()) {
      fmt::print("{} error  # {}\n", captured.packet_number, decoded.error().ToString());
      continue;
    }
    ike::Message& m = *decoded;
    std::string inner = "-";
    std::string names = Labels(m.payloads);
    if (m.Encrypted() != nullptr) {
      Result<bool> decrypted = false;
      auto protection = protections.For(m.header);
      if (!protection.ok()) {
        decrypted = protection.error();
      } else if (*protection != nullptr) {
        decrypted = Decrypt(**protection, m, captured.message);
      }
      if (!decrypted.ok()) {
        inner = "!";
        names += " " + decrypted.error().ToString();
      } else if (*decrypted) {
        inner = Tokens(m.inner);
        names += " { " + Labels(m.inner) + " }";
      }
    }
    const std::string_view exchange = iana::Name(m.header.exchange_type);
    fmt::print("{} {} {} {} outer={} inner={}  # {} {}\n", captured.packet_number,
               static_cast<int>(m.header.exchange_type), m.header.initiator() ? "I" : "R",
               m.header.response() ? "response" : "request", Tokens(m.payloads), inner,
               exchange.empty() ? "?" : exchange, names);
  }
  return 0;
}

}  // namespace
}  // namespace ipsecref

namespace ipsecref {
namespace {

// A table with one row for every encryption and every integrity algorithm
// name the reference writes (WriteIkev2Table), for tshark to accept or
// refuse: every encryption name with "NONE [RFC4306]" (combined modes) or
// HMAC_SHA2_256_128, every integrity name with AES-CBC-128. Keys are
// patterns; SPIs count up from 1.
int SampleTable() {
  std::vector<io::Ikev2Keys> rows;
  auto add = [&](std::string_view encr_name, std::string_view integ_name) {
    const io::Ikev2EncrName* e = io::FindIkev2EncrName(encr_name);
    const io::Ikev2IntegName* i = io::FindIkev2IntegName(integ_name);
    io::Ikev2Keys k;
    k.spi_i = rows.size() + 1;
    k.spi_r = 0x1000 + rows.size();
    k.encr = e->id;
    k.encr_key_bits = e->key_bits;
    k.integ = *i->id;
    k.sk_ei = SecureBytes(e->sk_e_size, 0x11);
    k.sk_er = SecureBytes(e->sk_e_size, 0x22);
    k.sk_ai = SecureBytes(i->sk_a_size, 0x33);
    k.sk_ar = SecureBytes(i->sk_a_size, 0x44);
    rows.push_back(std::move(k));
  };
  const std::string_view none = *io::Ikev2IntegNameFor(iana::Integ::kNone);
  const std::string_view sha256 = *io::Ikev2IntegNameFor(iana::Integ::kHmacSha2_256_128);
  for (int id = 0; id < 64; ++id) {
    for (size_t bits : {0, 128, 192, 256}) {
      auto name = io::Ikev2EncrNameFor(static_cast<iana::Encr>(id), bits);
      if (!name) continue;
      const auto* transform = crypto::FindEncr(static_cast<iana::Encr>(id));
      add(*name, transform != nullptr && transform->aead ? none : sha256);
    }
  }
  for (int id = 0; id < 64; ++id) {
    auto name = io::Ikev2IntegNameFor(static_cast<iana::Integ>(id));
    if (name) add(*io::Ikev2EncrNameFor(iana::Encr::kAesCbc, 128), *name);
  }
  auto text = io::WriteIkev2Table(rows);
  if (!text.ok()) {
    fmt::print(stderr, "ike_payloads: {}\n", text.error().ToString());
    return 1;
  }
  fmt::print("{}", *text);
  return 0;
}

}  // namespace
}  // namespace ipsecref

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--sample-table") return ipsecref::SampleTable();
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr,
                 "usage: ike_payloads CAPTURE [IKEV2_DECRYPTION_TABLE]\n"
                 "       ike_payloads --sample-table\n");
    return 2;
  }
  return ipsecref::Run(argv[1], argc == 3 ? std::optional<std::string>(argv[2]) : std::nullopt);
}
