// Bodies of the payloads, proposals and transforms the mutator inserts
// (bodies.h): small, plausible, hand-made; the RapidCheck generators of
// reference/testing stay out of this library.
#include "interop/mutate/bodies.h"

#include <array>
#include <string>

namespace ipsecref::mutate::detail {

using ike::Payload;
using PT = iana::PayloadType;

Bytes RandomBytes(Chooser& c, size_t n) {
  Bytes b(n);
  for (uint8_t& x : b) x = static_cast<uint8_t>(c.Next());
  return b;
}

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

namespace {

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

}  // namespace

Payload MakeInsertablePayload(Chooser& c) { return kInsertable[c.Below(kInsertable.size())].make(c); }

}  // namespace ipsecref::mutate::detail
