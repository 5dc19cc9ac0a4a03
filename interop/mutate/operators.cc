// The operators of the structure-aware IKEv2 mutator (operators.h): payload
// level (insert, remove, repeat, swap, reorder, change type, critical bit),
// SA level (proposals, transforms, key-length attributes), field level (every
// integer field of every body set to 0, max, a neighbour or random; variable
// data truncated or extended) and the header's fields.
//
// An operator that makes the message impossible to decode as it was built
// (a count that no longer matches its data, a body under another type's
// name, an unknown payload marked critical, major version 1) marks its
// Applied entry leaves_wrong: the "lengths fixed" property (the output
// decodes again) holds for every other chain of operators.
#include "interop/mutate/operators.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace ipsecref::mutate::detail {
namespace {

using ike::Payload;
using PT = iana::PayloadType;

bool Opaque(const Payload& p) { return p.type == PT::kSk || p.type == PT::kSkf; }

// Indices of the payloads an operator may touch: all but SK/SKF, whose
// ciphertext stays as it is (and which stay last).
std::vector<size_t> Editable(const std::vector<Payload>& payloads) {
  std::vector<size_t> out;
  for (size_t i = 0; i < payloads.size(); ++i)
    if (!Opaque(payloads[i])) out.push_back(i);
  return out;
}

// Where a payload may be inserted: anywhere before an SK/SKF payload.
size_t InsertLimit(const std::vector<Payload>& payloads) {
  for (size_t i = 0; i < payloads.size(); ++i)
    if (Opaque(payloads[i])) return i;
  return payloads.size();
}

std::string Label(const std::vector<Payload>& payloads, size_t i) {
  return fmt::format("payload {} ({})", i + 1, ike::PayloadLabel(payloads[i]));
}

template <typename T>
const T& Pick(Chooser& c, const std::vector<T>& v) {
  return v[c.Below(v.size())];
}

Bytes RandomBytes(Chooser& c, size_t n) {
  Bytes b(n);
  for (uint8_t& x : b) x = static_cast<uint8_t>(c.Next());
  return b;
}

// An integer value for a field of `max`: the edges, a neighbour of the
// current value, or random bits; labelled for the Applied entry.
std::pair<uint64_t, std::string> NewValue(Chooser& c, uint64_t current, uint64_t max) {
  switch (c.Below(6)) {
    case 0: return {0, "0"};
    case 1: return {max, "max"};
    case 2: return {(current + 1) & max, "+1"};
    case 3: return {(current - 1) & max, "-1"};
    case 4: return {current ^ (uint64_t{1} << c.Below(std::bit_width(max))), "one bit flipped"};
    default: {
      const uint64_t v = c.Next() & max;
      return {v, fmt::format("random {}", v)};
    }
  }
}

// ---------------------------------------------------------------------------
// Integer fields of a body, as references the field operators set.

struct Field {
  std::string name;
  uint64_t max;
  std::function<uint64_t()> get;
  std::function<void(uint64_t)> set;
  bool leaves_wrong = false;  // a count or size the data no longer matches
};

template <typename T>
Field Ref(std::string name, T& v, uint64_t max = 0, bool leaves_wrong = false) {
  using U = typename std::conditional_t<std::is_enum_v<T>, std::underlying_type<T>, std::type_identity<T>>::type;
  if (max == 0) max = std::numeric_limits<U>::max();
  return Field{std::move(name), max, [&v] { return static_cast<uint64_t>(static_cast<U>(v)); },
               [&v](uint64_t x) { v = static_cast<T>(static_cast<U>(x)); }, leaves_wrong};
}

// A traffic selector made consistent with its TS Type again: address
// ranges carry two addresses of the type's size, other types their data.
void Conform(ike::TrafficSelector& ts) {
  const size_t size = ts.ts_type == iana::TsType::kIpv4AddrRange   ? 4
                      : ts.ts_type == iana::TsType::kIpv6AddrRange ? 16
                                                                   : 0;
  if (size != 0) {
    ts.starting_address.resize(size);
    ts.ending_address.resize(size);
    ts.other.clear();
  } else {
    ts.starting_address.clear();
    ts.ending_address.clear();
    ts.start_port = 0;
    ts.end_port = 65535;
  }
}

void AddFields(Payload& p, std::vector<Field>& out) {
  constexpr uint64_t k15Bits = 0x7fff;  // attribute types without their AF / R bit
  if (auto* sa = std::get_if<ike::SaPayload>(&p.body)) {
    for (size_t i = 0; i < sa->proposals.size(); ++i) {
      ike::Proposal& pr = sa->proposals[i];
      out.push_back(Ref(fmt::format("proposal {} Proposal Num", i + 1), pr.proposal_num));
      out.push_back(Ref(fmt::format("proposal {} Protocol ID", i + 1), pr.protocol_id));
      for (size_t t = 0; t < pr.transforms.size(); ++t) {
        ike::Transform& tr = pr.transforms[t];
        out.push_back(Ref(fmt::format("proposal {} transform {} Type", i + 1, t + 1), tr.type));
        out.push_back(Ref(fmt::format("proposal {} transform {} ID", i + 1, t + 1), tr.id));
        for (size_t a = 0; a < tr.attributes.size(); ++a) {
          ike::TransformAttribute& at = tr.attributes[a];
          out.push_back(Ref(fmt::format("proposal {} transform {} attribute {} Type", i + 1, t + 1, a + 1), at.type,
                            k15Bits));
          if (auto* tv = std::get_if<uint16_t>(&at.value))
            out.push_back(Ref(fmt::format("proposal {} transform {} attribute {} Value", i + 1, t + 1, a + 1), *tv));
        }
      }
    }
  } else if (auto* ke = std::get_if<ike::KePayload>(&p.body)) {
    out.push_back(Ref("KE Group", ke->group));
  } else if (auto* id = std::get_if<ike::IdPayload>(&p.body)) {
    out.push_back(Ref("ID Type", id->id_type));
  } else if (auto* cert = std::get_if<ike::CertPayload>(&p.body)) {
    out.push_back(Ref("Cert Encoding", cert->cert_encoding));
  } else if (auto* req = std::get_if<ike::CertreqPayload>(&p.body)) {
    out.push_back(Ref("Cert Encoding", req->cert_encoding));
  } else if (auto* auth = std::get_if<ike::AuthPayload>(&p.body)) {
    out.push_back(Ref("Auth Method", auth->auth_method));
  } else if (auto* n = std::get_if<ike::NotifyPayload>(&p.body)) {
    out.push_back(Ref("Protocol ID", n->protocol_id));
    out.push_back(Ref("Notify Message Type", n->notify_message_type));
  } else if (auto* d = std::get_if<ike::DeletePayload>(&p.body)) {
    out.push_back(Ref("Protocol ID", d->protocol_id));
    out.push_back(Ref("SPI Size", d->spi_size, 0, true));
    out.push_back(Ref("Num of SPIs", d->num_of_spis, 0, true));
  } else if (auto* ts = std::get_if<ike::TsPayload>(&p.body)) {
    for (size_t i = 0; i < ts->traffic_selectors.size(); ++i) {
      ike::TrafficSelector& s = ts->traffic_selectors[i];
      Field type = Ref(fmt::format("TS {} TS Type", i + 1), s.ts_type);
      type.set = [&s](uint64_t x) {
        s.ts_type = static_cast<iana::TsType>(x);
        Conform(s);
      };
      out.push_back(std::move(type));
      out.push_back(Ref(fmt::format("TS {} IP Protocol ID", i + 1), s.ip_protocol_id));
      if (s.address_range()) {
        out.push_back(Ref(fmt::format("TS {} Start Port", i + 1), s.start_port));
        out.push_back(Ref(fmt::format("TS {} End Port", i + 1), s.end_port));
      }
    }
  } else if (auto* cp = std::get_if<ike::CpPayload>(&p.body)) {
    out.push_back(Ref("CFG Type", cp->cfg_type));
    for (size_t i = 0; i < cp->attributes.size(); ++i)
      out.push_back(Ref(fmt::format("attribute {} Type", i + 1), cp->attributes[i].attribute_type, k15Bits));
  } else if (auto* skf = std::get_if<ike::SkfPayload>(&p.body)) {
    out.push_back(Ref("Fragment Number", skf->fragment_number));
    out.push_back(Ref("Total Fragments", skf->total_fragments));
  }
}

// Variable-length data of a body, as references the resize operator sets.
struct Data {
  std::string name;
  Bytes* bytes;
  bool leaves_wrong = false;  // its size is fixed by another field
};

void AddData(Payload& p, std::vector<Data>& out) {
  std::visit(
      [&](auto& b) {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, ike::SaPayload>) {
          for (size_t i = 0; i < b.proposals.size(); ++i) {
            out.push_back({fmt::format("proposal {} SPI", i + 1), &b.proposals[i].spi});
            for (size_t t = 0; t < b.proposals[i].transforms.size(); ++t)
              for (ike::TransformAttribute& a : b.proposals[i].transforms[t].attributes)
                if (auto* v = std::get_if<Bytes>(&a.value))
                  out.push_back({fmt::format("proposal {} transform {} attribute value", i + 1, t + 1), v});
          }
        } else if constexpr (std::is_same_v<B, ike::KePayload>) {
          out.push_back({"Key Exchange Data", &b.key_exchange_data});
        } else if constexpr (std::is_same_v<B, ike::IdPayload>) {
          out.push_back({"Identification Data", &b.identification_data});
        } else if constexpr (std::is_same_v<B, ike::CertPayload>) {
          out.push_back({"Certificate Data", &b.certificate_data});
        } else if constexpr (std::is_same_v<B, ike::CertreqPayload>) {
          out.push_back({"Certification Authority", &b.certification_authority});
        } else if constexpr (std::is_same_v<B, ike::AuthPayload>) {
          out.push_back({"Authentication Data", &b.authentication_data});
        } else if constexpr (std::is_same_v<B, ike::NoncePayload>) {
          out.push_back({"Nonce Data", &b.nonce_data});
        } else if constexpr (std::is_same_v<B, ike::NotifyPayload>) {
          out.push_back({"SPI", &b.spi});
          out.push_back({"Notification Data", &b.notification_data});
        } else if constexpr (std::is_same_v<B, ike::DeletePayload>) {
          for (size_t i = 0; i < b.spis.size(); ++i) out.push_back({fmt::format("SPI {}", i + 1), &b.spis[i], true});
        } else if constexpr (std::is_same_v<B, ike::VendorIdPayload>) {
          out.push_back({"Vendor ID", &b.vendor_id});
        } else if constexpr (std::is_same_v<B, ike::TsPayload>) {
          for (size_t i = 0; i < b.traffic_selectors.size(); ++i) {
            ike::TrafficSelector& s = b.traffic_selectors[i];
            if (s.address_range()) {
              out.push_back({fmt::format("TS {} Starting Address", i + 1), &s.starting_address, true});
              out.push_back({fmt::format("TS {} Ending Address", i + 1), &s.ending_address, true});
            } else {
              out.push_back({fmt::format("TS {} data", i + 1), &s.other});
            }
          }
        } else if constexpr (std::is_same_v<B, ike::CpPayload>) {
          for (size_t i = 0; i < b.attributes.size(); ++i)
            out.push_back({fmt::format("attribute {} Value", i + 1), &b.attributes[i].value});
        } else if constexpr (std::is_same_v<B, ike::EapPayload>) {
          out.push_back({"EAP Message", &b.eap_message});
        } else if constexpr (std::is_same_v<B, ike::UnknownPayload>) {
          out.push_back({"body", &b.body});
        }
        // SK, SKF: ciphertext, never touched.
      },
      p.body);
}

// ---------------------------------------------------------------------------
// Bodies for inserted payloads: small, plausible, hand-made (the RapidCheck
// generators of reference/testing stay out of this library).

ike::Transform MakeTransform(Chooser& c) {
  using TT = iana::TransformType;
  struct Row {
    TT type;
    uint16_t id;
    uint16_t key_length;  // 0: none
  };
  // ENCR AES-CBC/GCM-16 (12, 20), PRF HMAC-SHA2-256 (5), INTEG SHA2-256-128
  // (12), KE 2048-bit MODP / Curve25519 (14, 31), ESN no/yes (RFC 7296 §3.3.2).
  static constexpr std::array<Row, 8> kRows = {{{TT::kEncr, 12, 128},
                                                {TT::kEncr, 20, 256},
                                                {TT::kPrf, 5, 0},
                                                {TT::kInteg, 12, 0},
                                                {TT::kKe, 14, 0},
                                                {TT::kKe, 31, 0},
                                                {TT::kEsn, 0, 0},
                                                {TT::kEsn, 1, 0}}};
  if (c.OneIn(4))
    return ike::Transform{static_cast<TT>(c.Below(256)), static_cast<uint16_t>(c.Next()), {}};
  const Row& r = kRows[c.Below(kRows.size())];
  ike::Transform t{r.type, r.id, {}};
  if (r.key_length != 0)
    t.attributes.push_back({static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), r.key_length});
  return t;
}

ike::Proposal MakeProposal(Chooser& c, uint8_t number) {
  ike::Proposal p;
  p.proposal_num = number;
  p.protocol_id = c.OneIn(2) ? iana::SecurityProtocol::kIke : iana::SecurityProtocol::kEsp;
  if (p.protocol_id != iana::SecurityProtocol::kIke) p.spi = RandomBytes(c, 4);
  const size_t n = 1 + c.Below(4);
  for (size_t i = 0; i < n; ++i) p.transforms.push_back(MakeTransform(c));
  return p;
}

Bytes Address(Chooser& c, size_t size) { return RandomBytes(c, size); }

using MakeBody = Payload (*)(Chooser& c);
struct Insertable {
  PT type;
  MakeBody make;
};

const std::array<Insertable, 16> kInsertable = {{
    {PT::kSa, [](Chooser& c) { return Payload{PT::kSa, false, ike::SaPayload{{MakeProposal(c, 1)}}}; }},
    {PT::kKe,
     [](Chooser& c) {
       return Payload{PT::kKe, false, ike::KePayload{iana::KeGroup{31}, RandomBytes(c, c.OneIn(2) ? 32 : 256)}};
     }},
    {PT::kIdi,
     [](Chooser& c) {
       return Payload{PT::kIdi, false, ike::IdPayload{iana::IdType::kIpv4Addr, Address(c, 4)}};
     }},
    {PT::kIdr,
     [](Chooser&) {
       const std::string fqdn = "gw.example.org";
       return Payload{PT::kIdr, false, ike::IdPayload{iana::IdType::kFqdn, Bytes(fqdn.begin(), fqdn.end())}};
     }},
    {PT::kCert,
     [](Chooser& c) {
       return Payload{PT::kCert, false, ike::CertPayload{iana::CertEncoding::kX509Signature, RandomBytes(c, 40)}};
     }},
    {PT::kCertreq,
     [](Chooser& c) {
       return Payload{PT::kCertreq, false,
                      ike::CertreqPayload{iana::CertEncoding::kX509Signature, RandomBytes(c, 20)}};
     }},
    {PT::kAuth,
     [](Chooser& c) {
       return Payload{PT::kAuth, false, ike::AuthPayload{iana::AuthMethod::kSharedKeyMic, RandomBytes(c, 32)}};
     }},
    {PT::kNonce,
     [](Chooser& c) { return Payload{PT::kNonce, false, ike::NoncePayload{RandomBytes(c, 16 + c.Below(241))}}; }},
    {PT::kNotify,
     [](Chooser& c) {
       // A status type (16384 and up) or an error type below it, with or without data.
       const auto type = static_cast<iana::NotifyType>(c.OneIn(2) ? 16384 + c.Below(64) : c.Below(48));
       return Payload{PT::kNotify, false, ike::NotifyPayload{0, {}, type, RandomBytes(c, c.Below(2) * 20)}};
     }},
    {PT::kDelete,
     [](Chooser& c) {
       return Payload{PT::kDelete, false, ike::DeletePayload{iana::SecurityProtocol::kEsp, 4, 2,
                                                             {RandomBytes(c, 4), RandomBytes(c, 4)}}};
     }},
    {PT::kVendorId, [](Chooser& c) { return Payload{PT::kVendorId, false, ike::VendorIdPayload{RandomBytes(c, 16)}}; }},
    {PT::kTsi,
     [](Chooser& c) {
       ike::TrafficSelector ts;
       ts.starting_address = Address(c, 4);
       ts.ending_address = Address(c, 4);
       return Payload{PT::kTsi, false, ike::TsPayload{{ts}}};
     }},
    {PT::kTsr,
     [](Chooser& c) {
       ike::TrafficSelector ts;
       ts.ts_type = iana::TsType::kIpv6AddrRange;
       ts.starting_address = Bytes(16, 0);
       ts.ending_address = Address(c, 16);
       return Payload{PT::kTsr, false, ike::TsPayload{{ts}}};
     }},
    {PT::kCp,
     [](Chooser& c) {
       // INTERNAL_IP4_ADDRESS (1) empty in a request, or with an address.
       ike::CpPayload cp{iana::CfgType::kRequest, {{1, {}}}};
       if (c.OneIn(2)) cp = ike::CpPayload{iana::CfgType::kReply, {{1, Address(c, 4)}}};
       return Payload{PT::kCp, false, cp};
     }},
    {PT::kEap,
     [](Chooser&) {
       // EAP-Response/Identity "a" (RFC 3748 §5.1): Code 2, Id 1, Length 6, Type 1.
       return Payload{PT::kEap, false, ike::EapPayload{{2, 1, 0, 6, 1, 'a'}}};
     }},
    {PT::kNone,  // an unknown type, not critical: a receiver skips it (§3.2)
     [](Chooser& c) {
       const auto type = static_cast<PT>(c.OneIn(2) ? 55 + c.Below(200) : 0);
       return Payload{type == PT::kNone ? PT{200} : type, false, ike::UnknownPayload{RandomBytes(c, c.Below(16))}};
     }},
}};

// ---------------------------------------------------------------------------
// The operators.

using Out = std::optional<Applied>;

Out InsertPayload(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  if (ps.size() >= kMaxPayloads) return std::nullopt;
  Payload p = kInsertable[c.Below(kInsertable.size())].make(c);
  const size_t at = c.Below(InsertLimit(ps) + 1);
  ps.insert(ps.begin() + static_cast<ptrdiff_t>(at), std::move(p));
  return Did(fmt::format("{} inserted", Label(ps, at)));
}

Out RemovePayload(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  const auto editable = Editable(ps);
  if (editable.empty()) return std::nullopt;
  const size_t i = Pick(c, editable);
  Applied a = Did(fmt::format("{} removed", Label(ps, i)));
  ps.erase(ps.begin() + static_cast<ptrdiff_t>(i));
  return a;
}

Out RepeatPayload(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  const auto editable = Editable(ps);
  if (editable.empty() || ps.size() >= kMaxPayloads) return std::nullopt;
  const size_t i = Pick(c, editable);
  const size_t copies = std::min<size_t>(c.OneIn(4) ? 1 + c.Below(8) : 1, kMaxPayloads - ps.size());
  Payload p = ps[i];
  ps.insert(ps.begin() + static_cast<ptrdiff_t>(i) + 1, copies, p);
  return Did(fmt::format("{} repeated{}", Label(ps, i), copies > 1 ? fmt::format(" {} times", copies) : ""));
}

Out SwapPayloads(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  const auto editable = Editable(ps);
  if (editable.size() < 2) return std::nullopt;
  const size_t i = Pick(c, editable);
  size_t j = Pick(c, editable);
  if (i == j) j = editable[(std::find(editable.begin(), editable.end(), i) - editable.begin() + 1) % editable.size()];
  if (ps[i] == ps[j]) return std::nullopt;
  std::swap(ps[i], ps[j]);
  return Did(fmt::format("payloads {} and {} swapped", i + 1, j + 1));
}

Out ReorderPayloads(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  const size_t n = InsertLimit(ps);
  if (n < 3) return std::nullopt;
  const auto before = ps;
  for (size_t i = n - 1; i > 0; --i) std::swap(ps[i], ps[c.Below(i + 1)]);  // Fisher-Yates
  if (ps == before) return std::nullopt;
  return Did(fmt::format("payloads 1 to {} reordered", n));
}

Out ChangePayloadType(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  const auto editable = Editable(ps);
  if (editable.empty()) return std::nullopt;
  Payload& p = ps[Pick(c, editable)];
  const std::string before = ike::PayloadLabel(p);
  // The twins that share a body stay decodable; any other type reads the
  // body as something it is not.
  static constexpr std::array<std::pair<PT, PT>, 4> kTwins = {
      {{PT::kIdi, PT::kIdr}, {PT::kIdr, PT::kIdi}, {PT::kTsi, PT::kTsr}, {PT::kTsr, PT::kTsi}}};
  for (const auto& [from, to] : kTwins)
    if (p.type == from && c.OneIn(2)) {
      p.type = to;
      return Did(fmt::format("{} type changed to {}", before, ike::PayloadTypeLabel(to)));
    }
  PT to = static_cast<PT>(c.OneIn(2) ? 33 + c.Below(22) : c.Below(256));
  if (to == PT::kNone || to == PT::kSk || to == PT::kSkf || to == p.type) return std::nullopt;
  p.type = to;
  return Did(fmt::format("{} type changed to {} (body of another type)", before, ike::PayloadTypeLabel(to)), true);
}

Out FlipCritical(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  const auto editable = Editable(ps);
  if (editable.empty()) return std::nullopt;
  const size_t i = Pick(c, editable);
  Payload& p = ps[i];
  p.critical = !p.critical;
  // An unknown payload marked critical makes the whole message rejected (§3.2).
  const bool refused = p.critical && !ike::IsKnownPayloadType(p.type);
  return Did(fmt::format("{}: critical bit {}", Label(ps, i), p.critical ? "set" : "cleared"), refused);
}

// The SA payloads of the chain.
std::vector<ike::SaPayload*> Sas(Target& t) {
  std::vector<ike::SaPayload*> out;
  for (Payload& p : *t.payloads)
    if (auto* sa = std::get_if<ike::SaPayload>(&p.body)) out.push_back(sa);
  return out;
}

// A random proposal of the chain's SA payloads, with its label.
std::optional<std::pair<ike::Proposal*, std::string>> AnyProposal(Target& t, Chooser& c) {
  std::vector<std::pair<ike::Proposal*, std::string>> all;
  for (ike::SaPayload* sa : Sas(t))
    for (size_t i = 0; i < sa->proposals.size(); ++i)
      all.emplace_back(&sa->proposals[i], fmt::format("SA: proposal {}", i + 1));
  if (all.empty()) return std::nullopt;
  return all[c.Below(all.size())];
}

Out AddProposal(Target& t, Chooser& c) {
  const auto sas = Sas(t);
  if (sas.empty()) return std::nullopt;
  ike::SaPayload& sa = *Pick(c, sas);
  if (sa.proposals.size() >= kMaxProposals) return std::nullopt;
  const uint8_t number = static_cast<uint8_t>(sa.proposals.size() + 1);
  if (!sa.proposals.empty() && c.OneIn(2)) {
    const size_t from = c.Below(sa.proposals.size());
    ike::Proposal copy = sa.proposals[from];
    copy.proposal_num = number;
    sa.proposals.push_back(std::move(copy));
    return Did(fmt::format("SA: proposal {} added (copy of {})", number, from + 1));
  }
  sa.proposals.push_back(MakeProposal(c, number));
  return Did(fmt::format("SA: proposal {} added", number));
}

Out RemoveProposal(Target& t, Chooser& c) {
  std::vector<ike::SaPayload*> sas;
  for (ike::SaPayload* sa : Sas(t))
    if (!sa->proposals.empty()) sas.push_back(sa);
  if (sas.empty()) return std::nullopt;
  ike::SaPayload& sa = *Pick(c, sas);
  const size_t i = c.Below(sa.proposals.size());
  sa.proposals.erase(sa.proposals.begin() + static_cast<ptrdiff_t>(i));
  //= rfc7296#section-3.3
  //# An SA payload holds one or more proposals: Decode refuses an empty one.
  return Did(fmt::format("SA: proposal {} removed{}", i + 1, sa.proposals.empty() ? " (SA left empty)" : ""),
             sa.proposals.empty());
}

Out AddTransform(Target& t, Chooser& c) {
  auto p = AnyProposal(t, c);
  if (!p || p->first->transforms.size() >= kMaxTransforms) return std::nullopt;
  auto& ts = p->first->transforms;
  const size_t at = c.Below(ts.size() + 1);
  ts.insert(ts.begin() + static_cast<ptrdiff_t>(at), MakeTransform(c));
  return Did(fmt::format("{}: transform {} added", p->second, at + 1));
}

Out RemoveTransform(Target& t, Chooser& c) {
  auto p = AnyProposal(t, c);
  if (!p || p->first->transforms.empty()) return std::nullopt;
  auto& ts = p->first->transforms;
  const size_t i = c.Below(ts.size());
  ts.erase(ts.begin() + static_cast<ptrdiff_t>(i));
  return Did(fmt::format("{}: transform {} removed", p->second, i + 1));
}

Out DuplicateTransform(Target& t, Chooser& c) {
  auto p = AnyProposal(t, c);
  if (!p || p->first->transforms.empty() || p->first->transforms.size() >= kMaxTransforms) return std::nullopt;
  auto& ts = p->first->transforms;
  const size_t i = c.Below(ts.size());
  const ike::Transform copy = ts[i];
  ts.insert(ts.begin() + static_cast<ptrdiff_t>(c.Below(ts.size() + 1)), copy);
  return Did(fmt::format("{}: transform {} duplicated", p->second, i + 1));
}

Out ChangeTransform(Target& t, Chooser& c) {
  auto p = AnyProposal(t, c);
  if (!p || p->first->transforms.empty()) return std::nullopt;
  const size_t i = c.Below(p->first->transforms.size());
  ike::Transform& tr = p->first->transforms[i];
  if (c.OneIn(2)) {
    const auto [v, how] = NewValue(c, static_cast<uint8_t>(tr.type), 0xff);
    tr.type = static_cast<iana::TransformType>(v);
    return Did(fmt::format("{}: transform {} Type {}", p->second, i + 1, how));
  }
  // Half the time a plausible ID of the transform's own type.
  const ike::Transform plausible = MakeTransform(c);
  if (plausible.type == tr.type && c.OneIn(2)) {
    tr.id = plausible.id;
    return Did(fmt::format("{}: transform {} ID {}", p->second, i + 1, tr.id));
  }
  const auto [v, how] = NewValue(c, tr.id, 0xffff);
  tr.id = static_cast<uint16_t>(v);
  return Did(fmt::format("{}: transform {} ID {}", p->second, i + 1, how));
}

constexpr uint16_t kKeyLength = static_cast<uint16_t>(iana::TransformAttribute::kKeyLength);

Out AddKeyLength(Target& t, Chooser& c) {
  auto p = AnyProposal(t, c);
  if (!p || p->first->transforms.empty()) return std::nullopt;
  const size_t i = c.Below(p->first->transforms.size());
  static constexpr std::array<uint16_t, 6> kLengths = {128, 192, 256, 0, 65535, 1};
  const uint16_t bits = c.OneIn(4) ? static_cast<uint16_t>(c.Next()) : kLengths[c.Below(kLengths.size())];
  p->first->transforms[i].attributes.push_back({kKeyLength, bits});
  return Did(fmt::format("{}: transform {} Key Length {} added", p->second, i + 1, bits));
}

Out RemoveKeyLength(Target& t, Chooser& c) {
  auto p = AnyProposal(t, c);
  if (!p) return std::nullopt;
  auto& ts = p->first->transforms;
  for (size_t k = 0, i = c.Below(ts.size() + 1); k < ts.size(); ++k) {
    auto& attrs = ts[(i + k) % ts.size()].attributes;
    const auto it = std::find_if(attrs.begin(), attrs.end(), [](const auto& a) { return a.type == kKeyLength; });
    if (it == attrs.end()) continue;
    attrs.erase(it);
    return Did(fmt::format("{}: transform {} Key Length removed", p->second, (i + k) % ts.size() + 1));
  }
  return std::nullopt;
}

Out SetPayloadField(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  std::vector<std::pair<size_t, Field>> fields;
  for (size_t i = 0; i < ps.size(); ++i) {
    std::vector<Field> of;
    AddFields(ps[i], of);
    for (Field& f : of) fields.emplace_back(i, std::move(f));
  }
  if (fields.empty()) return std::nullopt;
  auto& [i, f] = fields[c.Below(fields.size())];
  const std::string label = Label(ps, i);
  const uint64_t before = f.get();
  const auto [v, how] = NewValue(c, before, f.max);
  f.set(v);
  return Did(fmt::format("{}: {} {}", label, f.name, how), f.leaves_wrong && v != before);
}

Out ResizeData(Target& t, Chooser& c) {
  auto& ps = *t.payloads;
  std::vector<std::pair<size_t, Data>> all;
  for (size_t i = 0; i < ps.size(); ++i) {
    std::vector<Data> of;
    AddData(ps[i], of);
    for (Data& d : of) all.emplace_back(i, d);
  }
  if (all.empty()) return std::nullopt;
  auto& [i, d] = all[c.Below(all.size())];
  Bytes& b = *d.bytes;
  const size_t before = b.size();
  size_t after = 0;
  switch (c.Below(5)) {
    case 0: after = 0; break;
    case 1: after = before / 2; break;
    case 2: after = before > 0 ? before - 1 : 1; break;
    case 3: after = before + 1; break;
    default: after = before + 1 + c.Below(64); break;
  }
  after = std::min(after, kMaxData);
  if (after == before) return std::nullopt;
  const uint8_t fill = c.OneIn(2) ? 0 : static_cast<uint8_t>(c.Next());
  b.resize(after, fill);
  return Did(fmt::format("{}: {} {} from {} to {} bytes", Label(ps, i), d.name,
                             after < before ? "truncated" : "extended", before, after),
                 d.leaves_wrong);
}

Out SetHeaderField(Target& t, Chooser& c) {
  if (t.header == nullptr) return std::nullopt;
  ike::Header& h = *t.header;
  std::array<Field, 6> fields = {Ref("IKE SA Initiator's SPI", h.spi_i), Ref("IKE SA Responder's SPI", h.spi_r),
                                 Ref("Exchange Type", h.exchange_type), Ref("Message ID", h.message_id),
                                 Ref("MnVer", h.minor_version, 0x0f), Ref("MjVer", h.major_version, 0x0f)};
  Field& f = fields[c.Below(fields.size())];
  const auto [v, how] = NewValue(c, f.get(), f.max);
  f.set(v);
  // Decode refuses any major version but 2 (RFC 7296 §2.5, §3.1).
  return Did(fmt::format("header {} {}", f.name, how), h.major_version != 2);
}

Out FlipHeaderFlag(Target& t, Chooser& c) {
  if (t.header == nullptr) return std::nullopt;
  // R, V, I (§3.1), or a RESERVED bit (set: a receiver ignores it).
  static constexpr std::array<std::pair<uint8_t, const char*>, 4> kFlags = {
      {{ike::kFlagResponse, "R"}, {ike::kFlagVersion, "V"}, {ike::kFlagInitiator, "I"}, {0, "RESERVED"}}};
  const auto& [bit, name] = kFlags[c.Below(kFlags.size())];
  if (bit == 0) {
    const uint8_t reserved = static_cast<uint8_t>(c.Next()) & ike::kFlagsReserved;
    if (reserved == 0 || (t.header->flags & reserved) == reserved) return std::nullopt;
    t.header->flags |= reserved;
    return Did(fmt::format("header flags RESERVED bits {:#04x} set", reserved));
  }
  t.header->flags ^= bit;
  return Did(fmt::format("header flag {} {}", name, (t.header->flags & bit) != 0 ? "set" : "cleared"));
}

constexpr std::array<Operator, 19> kOperators = {{
    {"insert_payload", 8, InsertPayload},
    {"remove_payload", 6, RemovePayload},
    {"repeat_payload", 5, RepeatPayload},
    {"swap_payloads", 4, SwapPayloads},
    {"reorder_payloads", 2, ReorderPayloads},
    {"change_payload_type", 3, ChangePayloadType},
    {"flip_critical", 3, FlipCritical},
    {"add_proposal", 4, AddProposal},
    {"remove_proposal", 4, RemoveProposal},
    {"add_transform", 4, AddTransform},
    {"remove_transform", 4, RemoveTransform},
    {"duplicate_transform", 3, DuplicateTransform},
    {"change_transform", 5, ChangeTransform},
    {"add_key_length", 3, AddKeyLength},
    {"remove_key_length", 3, RemoveKeyLength},
    {"set_payload_field", 12, SetPayloadField},
    {"resize_data", 8, ResizeData},
    {"set_header_field", 5, SetHeaderField},
    {"flip_header_flag", 3, FlipHeaderFlag},
}};

}  // namespace

std::span<const Operator> OperatorTable() { return kOperators; }

}  // namespace ipsecref::mutate::detail
