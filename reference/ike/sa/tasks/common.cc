#include "reference/ike/sa/tasks/common.h"

#include <algorithm>

#include <fmt/format.h>

#include "reference/crypto/hash.h"
#include "reference/crypto/prf.h"
#include "reference/crypto/transforms.h"
#include "reference/crypto/x509.h"
#include "reference/ike/wire/describe.h"

namespace ipsecref::ike::sa {

Error Missing(const Message& m, std::string_view what, std::string_view requirement) {
  return MakeError(Code::kInvalidSyntax, kNoOffset, requirement,
                   fmt::format("{} has no {}", Describe(m.header), what));
}

Error NotifiedError(const NotifyPayload& n, std::string_view requirement) {
  return MakeError(Code::kInvalidArgument, kNoOffset, requirement,
                   fmt::format("the peer answered {}", NotifyName(n.notify_message_type)));
}

std::vector<Proposal> WithSpi(std::vector<Proposal> proposals, ByteSpan spi) {
  for (Proposal& p : proposals) p.spi.assign(spi.begin(), spi.end());
  return proposals;
}

std::vector<Proposal> WithoutKeyExchange(std::vector<Proposal> proposals) {
  const auto key_exchange = [](const Transform& t) {
    return t.type == iana::TransformType::kKe ||
           (t.type >= iana::TransformType::kAke1 && t.type <= iana::TransformType::kAke7);
  };
  for (Proposal& p : proposals) std::erase_if(p.transforms, key_exchange);
  return proposals;
}

Status CheckNonceSize(ByteSpan nonce, iana::Prf prf) {
  const crypto::PrfTransform* t = crypto::FindPrf(prf);
  const size_t least = std::max<size_t>(16, t == nullptr ? 0 : (t->key_size + 1) / 2);
  //= rfc7296#section-2.10
  //# A nonce is at least 128 bits and at least half the negotiated PRF's key
  //# size. The rule binds the sender; this end refuses a peer's nonce that
  //# breaks it (a project choice: keys from a short nonce are weaker).
  ENSURE(nonce.size() >= least, kInvalidSyntax, kNoOffset, "rfc7296#section-2.10",
         fmt::format("the peer's nonce has {} octets; with {} it needs {} at least", nonce.size(),
                     t == nullptr ? "this PRF" : t->name(), least));
  return OkStatus();
}

Bytes SpiBytes(uint32_t spi) {
  Bytes out(4);
  StoreU32(out.data(), spi);
  return out;
}
Bytes SpiBytes(uint64_t spi) {
  Bytes out(8);
  StoreU64(out.data(), spi);
  return out;
}

Result<uint32_t> ChildSpiOf(ByteSpan spi, size_t offset) {
  //= rfc7296#section-3.3.1
  //# An ESP or AH proposal carries the sender's SPI in four octets.
  ENSURE(spi.size() == 4, kInvalidSyntax, offset, "rfc7296#section-3.3.1",
         fmt::format("an ESP/AH SPI is 4 octets, not {}", spi.size()));
  return LoadU32(spi.data());
}

size_t KeyBitsFor(iana::Encr encr, uint16_t key_bits) {
  const crypto::EncrTransform* t = crypto::FindEncr(encr);
  return t != nullptr && t->fixed_key_bits() != 0 ? 0 : key_bits;
}

keymat::Suite KeymatSuite(const IkeSuite& s) {
  return keymat::Suite{s.prf, s.encr, KeyBitsFor(s.encr, s.encr_key_bits), s.integ};
}

std::optional<Payload> CertificateRequest(const IkeSa& sa) {
  const std::vector<Bytes>& anchors = sa.config().remote_auth.trust_anchors;
  if (anchors.empty()) return std::nullopt;
  CertreqPayload body;
  body.cert_encoding = iana::CertEncoding::kX509Signature;
  //= rfc7296#section-3.7
  //# The Certification Authority field of an X.509 CERTREQ concatenates the
  //# SHA-1 hashes of the trusted CAs' public keys (SubjectPublicKeyInfo).
  for (const Bytes& der : anchors) {
    auto ca = crypto::ParseCertificate(der);
    if (!ca) continue;
    auto hash = crypto::Digest(iana::HashAlgorithm::kSha1, {ca->subject_public_key_info});
    if (hash) body.certification_authority.insert(body.certification_authority.end(), hash->begin(), hash->end());
  }
  return PayloadOf(iana::PayloadType::kCertreq, std::move(body));
}

Payload InvalidKePayloadFor(iana::KeGroup wanted) {
  Bytes data(2);
  StoreU16(data.data(), static_cast<uint16_t>(wanted));
  return NotifyPayloadOf(iana::NotifyType::kInvalidKePayload, std::move(data));
}

Payload KePayloadOf(const crypto::KeyExchange& ke) {
  KePayload body;
  body.group = ke.group();
  body.key_exchange_data.assign(ke.public_value().begin(), ke.public_value().end());
  return PayloadOf(iana::PayloadType::kKe, std::move(body));
}

// ---------------------------------------------------------------------------
// CHILD SA negotiation

namespace {

Payload TsPayloadOf(iana::PayloadType type, std::vector<TrafficSelector> ts) {
  return PayloadOf(type, TsPayload{std::move(ts)});
}

}  // namespace

Bytes LowerNonce(ByteSpan a, ByteSpan b) {
  const bool a_lower = std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  const ByteSpan low = a_lower ? a : b;
  return Bytes(low.begin(), low.end());
}

Time TemporaryFailureRetry(IkeSa& sa) {
  uint8_t b[2];
  sa.env().rng->Fill(b);
  return 10'000 + LoadU16(b) % 10'000;
}

void InstallChild(IkeSa& sa, ChildSa child) {
  std::vector<uint32_t>& gone = sa.ChildHolder().deleted_before_known;
  if (auto it = std::find(gone.begin(), gone.end(), child.spi_out); it != gone.end()) {
    gone.erase(it);
    sa.Log(fmt::format("CHILD SA {:08x}_i {:08x}_o not installed: the peer deleted it already", child.spi_in,
                       child.spi_out));
    return;
  }
  child.established_at = sa.now();
  for (const ChildConfig& config : sa.config().children) {
    if (config.name != child.config_name) continue;
    //= rfc7296#section-2.8
    //# An end rekeys an SA before its lifetime ends; the lifetimes are local
    //# policy and not negotiated. A random jitter keeps both ends from
    //# rekeying at the same moment.
    if (config.rekey_time != 0)
      child.rekey_at = child.established_at + config.rekey_time - sa.RekeyJitter(config.rekey_time);
    if (config.life_time != 0) child.expire_at = child.established_at + config.life_time;
    break;
  }
  sa.Log(fmt::format("CHILD SA {:08x}_i {:08x}_o installed", child.spi_in, child.spi_out));
  sa.ChildHolder().children.push_back(std::move(child));
}

namespace {
// A child's selectors for this IKE SA: the configured lists with `dynamic`
// resolved to `addresses` (strongSwan's dynamic: the IKE SA's address on
// that side, or the virtual IPs), or the lists as given.
std::vector<TrafficSelector> SelectorsFor(const std::vector<ConfiguredSelector>& configured,
                                          const std::vector<TrafficSelector>& given,
                                          const std::vector<Bytes>& addresses) {
  if (configured.empty()) return given;
  std::vector<TrafficSelector> out;
  for (const Bytes& address : addresses) {
    auto resolved = Resolve(configured, address);
    if (!resolved) return given;
    for (TrafficSelector& ts : *resolved)
      if (std::find(out.begin(), out.end(), ts) == out.end()) out.push_back(std::move(ts));
  }
  return out;
}
}  // namespace

//= rfc7296#section-2.19
//# A client that asks for a virtual IP proposes TSi for any address of the
//# family (it does not know its address yet); once assigned, its own
//# selectors are the virtual IPs, and so are the responder's selectors of it.
std::vector<TrafficSelector> LocalSelectors(const IkeSa& sa, const ChildConfig& config) {
  std::vector<Bytes> addresses = sa.local_vips;
  if (addresses.empty())
    for (const Bytes& asked : sa.config().vips) addresses.push_back(Bytes(asked.size(), 0));  // any of its family
  if (addresses.empty()) addresses.push_back(sa.local.address);
  return SelectorsFor(config.configured_local_ts, config.local_ts, addresses);
}

std::vector<TrafficSelector> RemoteSelectors(const IkeSa& sa, const ChildConfig& config) {
  std::vector<Bytes> addresses;
  for (const IkeSa::VipLease& v : sa.remote_vips) addresses.push_back(v.address);
  if (addresses.empty()) addresses.push_back(sa.remote.address);
  return SelectorsFor(config.configured_remote_ts, config.remote_ts, addresses);
}

Result<std::vector<Payload>> ChildNegotiation::Request(IkeSa& sa, const ChildConfig& config, bool with_nonce) {
  config_ = &config;
  spi_in_ = sa.peer().NewChildSpi();
  //= rfc7296#section-1.2
  //# IKE_AUTH carries no KE payload, so its SA payload names no key
  //# exchange: the KE transforms are left out of the offer (a SHOULD).
  offered_ = WithSpi(with_nonce ? config.proposals : WithoutKeyExchange(config.proposals), SpiBytes(spi_in_));
  tsi_ = TsPayload{LocalSelectors(sa, config)};
  tsr_ = TsPayload{RemoteSelectors(sa, config)};
  std::vector<Payload> out;
  out.push_back(PayloadOf(iana::PayloadType::kSa, SaPayload{offered_}));
  if (with_nonce) {
    ni_ = sa.peer().NewNonce();
    out.push_back(PayloadOf(iana::PayloadType::kNonce, NoncePayload{ni_}));
    //= rfc7296#section-1.3.1
    //# A KE payload in a CREATE_CHILD_SA request asks for a fresh key
    //# exchange (PFS), in the group of the first proposal that has one.
    if (const iana::KeGroup g = FirstKeGroup(offered_); g != iana::KeGroup::kNone) {
      TRY_ASSIGN(ke_, crypto::MakeKeyExchange(g, *sa.env().rng));
      out.push_back(KePayloadOf(*ke_));
    }
  }
  out.push_back(TsPayloadOf(iana::PayloadType::kTsi, tsi_.traffic_selectors));
  out.push_back(TsPayloadOf(iana::PayloadType::kTsr, tsr_.traffic_selectors));
  //= rfc7296#section-1.3.1
  //# Transport mode is asked for with N(USE_TRANSPORT_MODE); without it the
  //# CHILD SA is a tunnel.
  if (config.transport_mode) out.push_back(NotifyPayloadOf(iana::NotifyType::kUseTransportMode));
  return out;
}

Result<keymat::ChildSaKeys> ChildNegotiation::Keys(IkeSa& sa, const SecureBytes& g_ir) const {
  //= rfc7296#section-2.17
  //# The first CHILD SA takes its keys with the nonces of IKE_SA_INIT; a
  //# later one with those of its CREATE_CHILD_SA exchange.
  return keymat::DeriveChildSaKeys(sa.suite.prf, sa.keys.sk_d, g_ir, ni_, nr_, suite_.encr,
                                   KeyBitsFor(suite_.encr, suite_.encr_key_bits), suite_.integ);
}

Result<ChildSa> ChildNegotiation::Complete(IkeSa& sa, const Message& response, bool with_nonce) {
  Result<ChildSa> child = Read(sa, response, with_nonce);
  const SaPayload* sa_payload = FindBody<SaPayload>(response, iana::PayloadType::kSa);
  //= rfc7296#section-1.4.1
  //# An answer with an SA payload means the peer set up the CHILD SA; one
  //# this end cannot take is closed with a Delete naming the SPI it offered,
  //# so that no half of it is left at the peer.
  if (!child && sa_payload != nullptr && !offered_.empty()) {
    const iana::SecurityProtocol protocol = sa_payload->proposals.size() == 1 &&
                                                    (sa_payload->proposals.front().protocol_id == iana::SecurityProtocol::kEsp ||
                                                     sa_payload->proposals.front().protocol_id == iana::SecurityProtocol::kAh)
                                                ? sa_payload->proposals.front().protocol_id
                                                : offered_.front().protocol_id;
    sa.Log(fmt::format("CHILD SA answer refused; deleting what the peer set up for SPI {:08x}", spi_in_));
    sa.Queue(MakeRefusedChildDelete(protocol, spi_in_));
  }
  return child;
}

Result<ChildSa> ChildNegotiation::Read(IkeSa& sa, const Message& response, bool with_nonce) {
  const SaPayload* sa_payload = FindBody<SaPayload>(response, iana::PayloadType::kSa);
  const TsPayload* tsi = FindBody<TsPayload>(response, iana::PayloadType::kTsi);
  const TsPayload* tsr = FindBody<TsPayload>(response, iana::PayloadType::kTsr);
  if (sa_payload == nullptr || tsi == nullptr || tsr == nullptr)
    return Missing(response, "SA, TSi and TSr for the CHILD SA", "rfc7296#section-1.3.1");
  //= rfc7296#section-3.3
  //# The responder answers with exactly one proposal, one of those offered.
  ENSURE(sa_payload->proposals.size() == 1, kInvalidSyntax, kNoOffset, "rfc7296#section-3.3",
         fmt::format("the response's SA payload holds {} proposals, not one", sa_payload->proposals.size()));
  Proposal chosen = sa_payload->proposals.front();
  //= rfc7296#section-1.2
  //# An IKE_AUTH SA payload may still name the key exchange NONE (omitting
  //# the transform is only a SHOULD); such a transform is read as absent.
  if (!with_nonce)
    std::erase_if(chosen.transforms, [](const Transform& t) {
      return t.type == iana::TransformType::kKe && t.id == static_cast<uint16_t>(iana::KeGroup::kNone);
    });
  TRY(CheckSelected(offered_, chosen));
  TRY_ASSIGN(suite_, ChildSuiteOf(chosen));
  TRY_ASSIGN(uint32_t spi_out, ChildSpiOf(chosen.spi, kNoOffset));
  //= rfc7296#section-2.9
  //# The responder may narrow the traffic selectors, never widen them.
  TRY(CheckNarrowed(tsi_, *tsi));
  TRY(CheckNarrowed(tsr_, *tsr));
  SecureBytes g_ir;
  if (with_nonce) {
    const NoncePayload* nr = FindBody<NoncePayload>(response, iana::PayloadType::kNonce);
    if (nr == nullptr) return Missing(response, "Nonce", "rfc7296#section-1.3.1");
    TRY(CheckNonceSize(nr->nonce_data, sa.suite.prf));
    nr_ = nr->nonce_data;
    const KePayload* ke = FindBody<KePayload>(response, iana::PayloadType::kKe);
    //= rfc7296#section-1.3.1
    //# With PFS the response carries a KE payload of the chosen group; a
    //# response without one to a request with one fails the exchange.
    if (ke_ != nullptr || suite_.ke != iana::KeGroup::kNone) {
      ENSURE(ke != nullptr && ke_ != nullptr && ke->group == ke_->group() && suite_.ke == ke_->group(),
             kInvalidKePayload, kNoOffset, "rfc7296#section-1.3.1",
             "the response's KE payload does not match the key exchange offered");
      TRY_ASSIGN(g_ir, ke_->SharedSecret(ke->key_exchange_data));
    }
  } else {
    ni_ = sa.ni;
    nr_ = sa.nr;
  }
  ChildSa c;
  c.config_name = config_->name;
  c.protocol = chosen.protocol_id;
  c.spi_in = spi_in_;
  c.spi_out = spi_out;
  c.suite = suite_;
  c.transport_mode = config_->transport_mode && FindNotify(response, iana::NotifyType::kUseTransportMode) != nullptr;
  c.local_ts = tsi->traffic_selectors;
  c.remote_ts = tsr->traffic_selectors;
  c.created_as_initiator = true;
  TRY_ASSIGN(c.keys, Keys(sa, g_ir));
  c.lowest_nonce = LowerNonce(ni_, nr_);
  return c;
}

Status ChildNegotiation::Accept(IkeSa& sa, const Message& request, bool with_nonce) {
  const SaPayload* sa_payload = FindBody<SaPayload>(request, iana::PayloadType::kSa);
  const TsPayload* tsi = FindBody<TsPayload>(request, iana::PayloadType::kTsi);
  const TsPayload* tsr = FindBody<TsPayload>(request, iana::PayloadType::kTsr);
  if (sa_payload == nullptr || tsi == nullptr || tsr == nullptr)
    return Missing(request, "SA, TSi and TSr for the CHILD SA", "rfc7296#section-1.3.1");
  //= ipsecref#choice
  //# The responder answers with its first CHILD SA configuration whose
  //# proposals and traffic selectors fit the request.
  Error last = MakeError(Code::kNoProposalChosen, kNoOffset, "rfc7296#section-2.7", "no CHILD SA is configured");
  //= rfc7296#section-1.2
  //# In IKE_AUTH the first CHILD SA is keyed without a key exchange; the
  //# configured KE transforms play no part in the choice.
  //= ipsecref#choice
  //# KE transforms an IKE_AUTH offer holds against that rule are passed over
  //# rather than refused (strongSwan does the same).
  const SaPayload offer = with_nonce ? *sa_payload : SaPayload{WithoutKeyExchange(sa_payload->proposals)};
  for (const ChildConfig& config : sa.config().children) {
    const std::vector<Proposal> ours = with_nonce ? config.proposals : WithoutKeyExchange(config.proposals);
    auto selected = SelectProposal(ours, offer, iana::SecurityProtocol::kEsp);
    if (!selected && ours.size() > 0 && ours.front().protocol_id == iana::SecurityProtocol::kAh)
      selected = SelectProposal(ours, offer, iana::SecurityProtocol::kAh);
    if (!selected) {
      last = selected.error();
      continue;
    }
    //= rfc7296#section-2.9
    //# The responder narrows TSi to its remote and TSr to its local
    //# selectors; if nothing is left it answers TS_UNACCEPTABLE.
    //= ipsecref#choice
    //# A `dynamic` selector stands for the peer's address as this end sees
    //# it (as strongSwan's does), so that a peer cannot claim others'.
    std::optional<Narrowed> narrowed =
        NarrowForResponder(LocalSelectors(sa, config), RemoteSelectors(sa, config), *tsi, *tsr);
    if (!narrowed) {
      last = MakeError(Code::kTsUnacceptable, kNoOffset, "rfc7296#section-2.9",
                       fmt::format("TSi {} / TSr {} fit no configured selectors",
                                   tsi->traffic_selectors.empty() ? "-" : FormatTrafficSelector(tsi->traffic_selectors[0]),
                                   tsr->traffic_selectors.empty() ? "-" : FormatTrafficSelector(tsr->traffic_selectors[0])));
      continue;
    }
    config_ = &config;
    selected_ = std::move(*selected);
    narrowed_ = std::move(*narrowed);
    break;
  }
  if (config_ == nullptr) return last;
  TRY_ASSIGN(suite_, ChildSuiteOf(selected_));
  TRY_ASSIGN(spi_out_, ChildSpiOf(selected_.spi, kNoOffset));
  transport_mode_ = config_->transport_mode && FindNotify(request, iana::NotifyType::kUseTransportMode) != nullptr;
  if (with_nonce) {
    const NoncePayload* ni = FindBody<NoncePayload>(request, iana::PayloadType::kNonce);
    if (ni == nullptr) return Missing(request, "Nonce", "rfc7296#section-1.3.1");
    TRY(CheckNonceSize(ni->nonce_data, sa.suite.prf));
    ni_ = ni->nonce_data;
    nr_ = sa.peer().NewNonce();
    const KePayload* ke = FindBody<KePayload>(request, iana::PayloadType::kKe);
    if (suite_.ke != iana::KeGroup::kNone) {
      //= rfc7296#section-1.3.1
      //# A KE payload of another group than the chosen proposal's is
      //# answered INVALID_KE_PAYLOAD naming the group wanted.
      if (ke == nullptr || ke->group != suite_.ke) {
        refusal = InvalidKePayloadFor(suite_.ke);
        return OkStatus();
      }
      TRY_ASSIGN(ke_, crypto::MakeKeyExchange(suite_.ke, *sa.env().rng));
      TRY_ASSIGN(g_ir_, ke_->SharedSecret(ke->key_exchange_data));
    }
  } else {
    ni_ = sa.ni;
    nr_ = sa.nr;
  }
  return OkStatus();
}

Result<std::vector<Payload>> ChildNegotiation::Answer(IkeSa& sa, bool with_nonce, ChildSa& out) {
  if (refusal) return std::vector<Payload>{*refusal};
  const uint32_t spi_in = sa.peer().NewChildSpi();
  Proposal answer = selected_;
  answer.spi = SpiBytes(spi_in);
  std::vector<Payload> payloads;
  payloads.push_back(PayloadOf(iana::PayloadType::kSa, SaPayload{{answer}}));
  if (with_nonce) {
    payloads.push_back(PayloadOf(iana::PayloadType::kNonce, NoncePayload{nr_}));
    if (ke_ != nullptr) payloads.push_back(KePayloadOf(*ke_));
  }
  payloads.push_back(TsPayloadOf(iana::PayloadType::kTsi, narrowed_.tsi));
  payloads.push_back(TsPayloadOf(iana::PayloadType::kTsr, narrowed_.tsr));
  if (transport_mode_) payloads.push_back(NotifyPayloadOf(iana::NotifyType::kUseTransportMode));
  out = ChildSa{};
  out.config_name = config_->name;
  out.protocol = answer.protocol_id;
  out.spi_in = spi_in;
  out.spi_out = spi_out_;
  out.suite = suite_;
  out.transport_mode = transport_mode_;
  out.local_ts = narrowed_.tsr;
  out.remote_ts = narrowed_.tsi;
  out.created_as_initiator = false;
  TRY_ASSIGN(out.keys, Keys(sa, g_ir_));
  out.lowest_nonce = LowerNonce(ni_, nr_);
  return payloads;
}

}  // namespace ipsecref::ike::sa
