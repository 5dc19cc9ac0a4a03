#include "reference/ike/wire/describe.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

template <typename E>
std::string Named(E value) {
  const std::string_view name = iana::Name(value);
  const auto number = static_cast<unsigned>(value);
  return name.empty() ? fmt::format("{}", number) : fmt::format("{} ({})", name, number);
}

std::string Size(const Bytes& b) { return fmt::format("{} bytes", b.size()); }

// Names a transform ID by its type's registry.
std::string TransformName(const Transform& t) {
  using TT = iana::TransformType;
  switch (t.type) {
    case TT::kEncr: return Named(static_cast<iana::Encr>(t.id));
    case TT::kPrf: return Named(static_cast<iana::Prf>(t.id));
    case TT::kInteg: return Named(static_cast<iana::Integ>(t.id));
    case TT::kEsn: return Named(static_cast<iana::EsnType>(t.id));
    default:
      if (t.type == TT::kKe || (t.type >= TT::kAke1 && t.type <= TT::kAke7))
        return Named(static_cast<iana::KeGroup>(t.id));
      return fmt::format("{}", t.id);
  }
}

struct Describer {
  Node& n;
  void operator()(const SaPayload& sa) {
    for (const Proposal& p : sa.proposals) {
      Node proposal{fmt::format("proposal {}", p.proposal_num), {{"protocol", Named(p.protocol_id)}}, {}};
      if (!p.spi.empty()) proposal.fields.emplace_back("spi", ToHex(p.spi));
      for (const Transform& t : p.transforms) {
        Node transform{std::string(iana::Name(t.type).empty() ? fmt::format("transform type {}", static_cast<int>(t.type))
                                                              : std::string(iana::Name(t.type))),
                       {{"id", TransformName(t)}},
                       {}};
        for (const TransformAttribute& a : t.attributes) {
          const std::string key = a.type == static_cast<uint16_t>(iana::TransformAttribute::kKeyLength)
                                      ? std::string("key length")
                                      : fmt::format("attribute {}", a.type);
          if (const auto* tv = std::get_if<uint16_t>(&a.value))
            transform.fields.emplace_back(key, fmt::format("{}", *tv));
          else
            transform.fields.emplace_back(key, ToHex(std::get<Bytes>(a.value)));
        }
        proposal.children.push_back(std::move(transform));
      }
      n.children.push_back(std::move(proposal));
    }
  }
  void operator()(const KePayload& ke) {
    n.fields = {{"group", Named(ke.group)}, {"key exchange data", Size(ke.key_exchange_data)}};
  }
  void operator()(const IdPayload& id) { n.fields = {{"id type", Named(id.id_type)}, {"identification", DescribeId(id)}}; }
  void operator()(const CertPayload& c) {
    n.fields = {{"encoding", Named(c.cert_encoding)}, {"certificate data", Size(c.certificate_data)}};
  }
  void operator()(const CertreqPayload& c) {
    n.fields = {{"encoding", Named(c.cert_encoding)}, {"certification authority", ToHex(c.certification_authority)}};
  }
  void operator()(const AuthPayload& a) {
    n.fields = {{"auth method", Named(a.auth_method)}, {"authentication data", Size(a.authentication_data)}};
  }
  void operator()(const NoncePayload& p) { n.fields = {{"nonce data", ToHex(p.nonce_data)}}; }
  void operator()(const NotifyPayload& p) {
    n.fields = {{"notify message type", Named(p.notify_message_type)}};
    if (p.protocol_id != 0) n.fields.emplace_back("protocol", Named(static_cast<iana::SecurityProtocol>(p.protocol_id)));
    if (!p.spi.empty()) n.fields.emplace_back("spi", ToHex(p.spi));
    if (!p.notification_data.empty()) n.fields.emplace_back("notification data", ToHex(p.notification_data));
  }
  void operator()(const DeletePayload& d) {
    n.fields = {{"protocol", Named(d.protocol_id)}, {"spi count", fmt::format("{}", d.num_of_spis)}};
    for (const Bytes& spi : d.spis) n.fields.emplace_back("spi", ToHex(spi));
  }
  void operator()(const VendorIdPayload& v) { n.fields = {{"vendor id", ToHex(v.vendor_id)}}; }
  void operator()(const TsPayload& ts) {
    for (const TrafficSelector& s : ts.traffic_selectors) n.fields.emplace_back(Named(s.ts_type), DescribeTs(s));
  }
  void operator()(const SkPayload& sk) {
    n.fields = {{"first inner payload", PayloadTypeLabel(sk.first_inner)}, {"encrypted", Size(sk.encrypted)}};
  }
  void operator()(const SkfPayload& f) {
    n.fields = {{"fragment", fmt::format("{} of {}", f.fragment_number, f.total_fragments)},
                {"encrypted", Size(f.encrypted)}};
    if (f.first_inner != iana::PayloadType::kNone)
      n.fields.emplace_back("first inner payload", PayloadTypeLabel(f.first_inner));
  }
  void operator()(const CpPayload& cp) {
    n.fields = {{"cfg type", Named(cp.cfg_type)}};
    for (const CpAttribute& a : cp.attributes)
      n.fields.emplace_back(Named(static_cast<iana::CfgAttribute>(a.attribute_type)), ToHex(a.value));
  }
  void operator()(const EapPayload& e) { n.fields = {{"eap message", DescribeEap(e)}}; }
  void operator()(const UnknownPayload& u) { n.fields = {{"body", Size(u.body)}}; }
};

}  // namespace

Node DescribePayload(const Payload& p) {
  Node n{PayloadLabel(p), {}, {}};
  std::visit(Describer{n}, p.body);
  if (p.critical) n.fields.emplace_back("critical", "yes");
  n.fields.emplace_back("offset", fmt::format("{}", p.offset));
  return n;
}

Node DescribeMessage(const Message& m) {
  const Header& h = m.header;
  Node n{Describe(h), {}, {}};
  n.fields = {{"spi i", fmt::format("{:016x}", h.spi_i)},
              {"spi r", fmt::format("{:016x}", h.spi_r)},
              {"version", fmt::format("{}.{}", h.major_version, h.minor_version)},
              {"exchange type", Named(h.exchange_type)},
              {"flags", fmt::format("{}{}{}", h.initiator() ? "I" : "", h.response() ? "R" : "",
                                    h.higher_version() ? "V" : "")},
              {"message id", fmt::format("{}", h.message_id)},
              {"length", fmt::format("{}", h.length)}};
  for (const Payload& p : m.payloads) {
    Node child = DescribePayload(p);
    const bool encrypted = p.type == iana::PayloadType::kSk || p.type == iana::PayloadType::kSkf;
    if (encrypted && m.decrypted)
      for (const Payload& q : m.inner) child.children.push_back(DescribePayload(q));
    n.children.push_back(std::move(child));
  }
  return n;
}

}  // namespace ipsecref::ike
