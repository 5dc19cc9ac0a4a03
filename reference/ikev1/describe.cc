#include "reference/ikev1/describe.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {
namespace {

std::string Size(const Bytes& b) { return fmt::format("{} bytes", b.size()); }

std::string AttributeValue(uint8_t protocol_id, const DataAttribute& a) {
  if (const auto* tv = std::get_if<uint16_t>(&a.value))
    return Named(AttributeValueName(protocol_id, a.type, *tv), *tv);
  return ToHex(std::get<Bytes>(a.value));
}

struct Describer {
  ike::Node& n;
  void operator()(const SaPayload& sa) {
    n.fields = {{"doi", sa.doi == kDoiIpsec ? "IPsec DOI (1)" : fmt::format("{}", sa.doi)},
                {"situation", SituationName(sa.situation)}};
    for (const Proposal& p : sa.proposals) {
      ike::Node proposal{fmt::format("proposal {}", p.proposal_num),
                         {{"protocol", Named(ProtocolName(p.protocol_id), p.protocol_id)}},
                         {}};
      if (!p.spi.empty()) proposal.fields.emplace_back("spi", ToHex(p.spi));
      for (const Transform& t : p.transforms) {
        ike::Node transform{fmt::format("transform {}", t.transform_num),
                            {{"id", Named(TransformName(p.protocol_id, t.transform_id), t.transform_id)}},
                            {}};
        for (const DataAttribute& a : t.attributes) {
          const std::string_view name = AttributeName(p.protocol_id, a.type);
          transform.fields.emplace_back(name.empty() ? fmt::format("attribute {}", a.type) : std::string(name),
                                        AttributeValue(p.protocol_id, a));
        }
        proposal.children.push_back(std::move(transform));
      }
      n.children.push_back(std::move(proposal));
    }
  }
  void operator()(const KePayload& p) { n.fields = {{"key exchange data", Size(p.data)}}; }
  void operator()(const IdPayload& id) {
    n.fields = {{"id type", Named(IdTypeName(id.id_type), id.id_type)},
                {"identification", DescribeIdentification(id)}};
    if (id.protocol_id != 0 || id.port != 0) {
      n.fields.emplace_back("protocol", fmt::format("{}", id.protocol_id));
      n.fields.emplace_back("port", fmt::format("{}", id.port));
    }
  }
  void operator()(const CertPayload& c) {
    n.fields = {{"encoding", Named(CertEncodingName(c.cert_encoding), c.cert_encoding)},
                {"certificate data", Size(c.certificate_data)}};
  }
  void operator()(const CrPayload& c) {
    n.fields = {{"cert type", Named(CertEncodingName(c.cert_type), c.cert_type)},
                {"certificate authority", c.certificate_authority.empty() ? "(any)" : Size(c.certificate_authority)}};
  }
  void operator()(const HashPayload& p) { n.fields = {{"hash data", ToHex(p.data)}}; }
  void operator()(const SigPayload& p) { n.fields = {{"signature data", Size(p.data)}}; }
  void operator()(const NoncePayload& p) { n.fields = {{"nonce data", ToHex(p.data)}}; }
  void operator()(const NotificationPayload& p) {
    n.fields = {{"doi", fmt::format("{}", p.doi)},
                {"protocol", Named(ProtocolName(p.protocol_id), p.protocol_id)},
                {"notify message type", Named(NotifyName(p.notify_message_type), p.notify_message_type)}};
    if (!p.spi.empty()) n.fields.emplace_back("spi", ToHex(p.spi));
    if (!p.notification_data.empty()) n.fields.emplace_back("notification data", ToHex(p.notification_data));
  }
  void operator()(const DeletePayload& d) {
    n.fields = {{"doi", fmt::format("{}", d.doi)},
                {"protocol", Named(ProtocolName(d.protocol_id), d.protocol_id)},
                {"spi size", fmt::format("{}", d.spi_size)}};
    for (const Bytes& spi : d.spis) n.fields.emplace_back("spi", ToHex(spi));
  }
  void operator()(const VendorIdPayload& v) {
    n.fields = {{"vendor id", ToHex(v.vendor_id)}};
    const std::string_view name = VendorIdName(v.vendor_id);
    if (!name.empty()) n.fields.emplace_back("name", std::string(name));
  }
  void operator()(const AttributePayload& a) {
    n.fields = {{"type", Named(CfgTypeName(a.cfg_type), a.cfg_type)},
                {"identifier", fmt::format("{}", a.identifier)}};
    for (const DataAttribute& attr : a.attributes) {
      const std::string_view name = CfgAttributeName(attr.type);
      n.fields.emplace_back(name.empty() ? fmt::format("attribute {}", attr.type) : std::string(name),
                            DescribeCfgAttribute(attr));
    }
  }
  void operator()(const NatDPayload& p) { n.fields = {{"hash", ToHex(p.data)}}; }
  void operator()(const NatOaPayload& p) {
    IdPayload as_id{p.id_type, 0, 0, p.address};
    n.fields = {{"id type", Named(IdTypeName(p.id_type), p.id_type)}, {"address", DescribeIdentification(as_id)}};
  }
  void operator()(const FragmentPayload& f) {
    n.fields = {{"fragment id", fmt::format("{}", f.fragment_id)},
                {"fragment number", fmt::format("{}", f.fragment_number)},
                {"last", (f.flags & kLastFragment) ? "yes" : "no"},
                {"data", Size(f.data)}};
  }
  void operator()(const UnknownPayload& u) { n.fields = {{"body", Size(u.body)}}; }
};

}  // namespace

ike::Node DescribePayload(const Payload& p) {
  ike::Node n{PayloadLabel(p), {}, {}};
  std::visit(Describer{n}, p.body);
  n.fields.emplace_back("offset", fmt::format("{}", p.offset));
  return n;
}

std::string Title(const Header& h) {
  return fmt::format("IKEv1 {}{}", ExchangeLabel(h.exchange_type), h.encrypted() ? " (encrypted)" : "");
}

ike::Node DescribeMessage(const Message& m) {
  const Header& h = m.header;
  ike::Node n{Title(h), {}, {}};
  n.fields = {{"cookie i", fmt::format("{:016x}", h.initiator_cookie)},
              {"cookie r", fmt::format("{:016x}", h.responder_cookie)},
              {"version", fmt::format("{}.{}", h.major_version, h.minor_version)},
              {"exchange type", Named(Name(h.exchange_type), static_cast<unsigned>(h.exchange_type))},
              {"flags", FlagsLabel(h.flags)},
              {"message id", fmt::format("{:08x}", h.message_id)},
              {"length", fmt::format("{}", h.length)}};
  if (h.encrypted()) {
    ike::Node enc{"encrypted payloads",
                  {{"first payload", PayloadTypeLabel(h.next_payload)}, {"encrypted", Size(m.encrypted)}},
                  {}};
    if (m.decrypted)
      for (const Payload& p : m.payloads) enc.children.push_back(DescribePayload(p));
    n.children.push_back(std::move(enc));
    return n;
  }
  for (const Payload& p : m.payloads) n.children.push_back(DescribePayload(p));
  return n;
}

}  // namespace ipsecref::ikev1
