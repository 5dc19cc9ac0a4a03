#include "interop/exchange/scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "interop/exchange/deviations.h"
#include "reference/gateway/key_export.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/ike/wire/header.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::exchange {

using ike::sa::ChildSa;
using ike::sa::ChildState;
using ike::sa::IkeConfig;
using ike::sa::IkeSa;
using ike::sa::IkeState;
using ike::sa::Peer;

namespace {

std::string_view Name(ChildState s) {
  static constexpr std::string_view kNames[] = {"INSTALLED", "REKEYING", "REKEYED", "DELETING"};
  return kNames[static_cast<size_t>(s)];
}

bool SameMessage(const ike::Header& a, const ike::Header& b) {
  return a.spi_i == b.spi_i && a.spi_r == b.spi_r && a.exchange_type == b.exchange_type &&
         a.message_id == b.message_id && a.response() == b.response();
}

// A message no recorder saw (sent outside any IKE SA: a COOKIE or an
// INVALID_IKE_SPI answer) as its own bytes describe it.
std::string LadderOfWire(ByteSpan message) {
  auto m = ike::Decode(message);
  if (!m) {
    auto h = ike::PeekHeader(message);
    return h ? ike::Describe(*h) + " { ? }" : "not an IKE message";
  }
  return testing::Ladder(*m);
}

}  // namespace

ByteSpan IkeMessageOf(const ike::sa::Datagram& d) {
  ByteSpan data(d.data);
  const bool marker = d.source.port == ike::sa::kNatTraversalPort || d.destination.port == ike::sa::kNatTraversalPort;
  return marker && data.size() >= ike::sa::kNonEspMarkerSize ? data.subspan(ike::sa::kNonEspMarkerSize) : data;
}

// --- Session ------------------------------------------------------------------

Exchange& Session::Start(IkeConfig initiator, IkeConfig responder) {
  Time start = 0;
  if (!runs_.empty()) {
    Finish();
    start = x().clock().Now() + 1000;
  }
  runs_.push_back(std::make_unique<Exchange>(std::move(initiator), std::move(responder),
                                             seed_ + 1'000'003 * static_cast<uint64_t>(runs_.size())));
  if (start != 0) x().clock().Set(start);
  if (Status s = ApplyDeviations(x(), deviations_); !s && !deviation_error_) deviation_error_ = s.error();
  finished_ = false;
  dropped_.clear();
  return x();
}

bool Session::DeliverNext() {
  const bool delivered = x().DeliverNext();
  Snapshot();
  return delivered;
}

size_t Session::Run(size_t max) {
  size_t n = 0;
  while (n < max && DeliverNext()) ++n;
  return n;
}

bool Session::DropNext() {
  if (x().network().in_flight.empty()) return false;
  dropped_.push_back(x().network().in_flight.front().number);
  x().Take();
  return true;
}

bool Session::AdvanceToNextDeadline() {
  const bool ticked = x().AdvanceToNextDeadline();
  Snapshot();
  return ticked;
}

void Session::Settle(Time horizon, size_t max_steps) {
  const Time until = x().clock().Now() + horizon;
  for (size_t step = 0; step < max_steps; ++step) {
    if (DeliverNext()) continue;
    std::optional<Time> next;
    for (Peer* p : {&x().initiator(), &x().responder()})
      if (auto t = p->NextDeadline(); t && (!next || *t < *next)) next = t;
    if (!next || *next > until) return;
    AdvanceToNextDeadline();
  }
}

// An address as the capture shows it: the NAT's outside address for the
// peer behind it.
Bytes Session::OnWire(const Bytes& address) const {
  const auto& nat = runs_.back()->network().nat;
  return nat && address == nat->inside_address.address ? nat->outside.address : address;
}

void Session::Record(const Peer& peer) {
  for (const IkeSa* sa : peer.IkeSas()) {
    if (!sa->has_keys() || sa->spi_r == 0) continue;
    const auto id = std::make_pair(sa->spi_i, sa->spi_r);
    if (ike_sas_.count(id) == 0) {
      IkeSaRecord r;
      r.keys = gateway::IkeKeysOf(*sa);
      r.prf = sa->suite.prf;
      r.ke = sa->suite.ke;
      ike_sas_.emplace(id, std::move(r));
    }
    for (const ChildSa& c : sa->children) {
      if (c.spi_in == 0 || (c.encr_in().empty() && c.integ_in().empty())) continue;
      // The SA this end receives on, as the capture places it; with a NAT
      // between the ends, ESP travels in UDP on port 4500.
      io::SaKeys k = gateway::InboundKeysOf(*sa, c, sa->nat_here || sa->nat_there);
      k.src = OnWire(sa->remote.address);
      k.dst = OnWire(sa->local.address);
      child_sas_.try_emplace(std::make_pair(k.spi, k.dst), std::move(k));
    }
  }
}

void Session::Snapshot() {
  Record(x().initiator());
  Record(x().responder());
}

Bytes Session::ReadData(const std::string& relative) {
  const std::string path = data_dir_ + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Expect(in.good() || in.eof(), fmt::format("cannot read {}", path));
  Expect(!data.empty(), fmt::format("{} is empty or missing", path));
  return data;
}

void Session::Expect(bool holds, std::string what) {
  if (!holds) failures_.push_back(runs_.size() > 1 ? fmt::format("run {}: {}", runs_.size(), what) : what);
}

void Session::ExpectOk(const Status& status, std::string_view operation) {
  Expect(status.ok(), status.ok() ? std::string() : fmt::format("{} failed: {}", operation, status.error().ToString()));
}

void Session::Finish() {
  if (finished_ || runs_.empty()) return;
  finished_ = true;
  Snapshot();
  Exchange& run = x();
  const Bytes& responder_address = run.responder().local().address;
  // Which built message each datagram carries: the first one of the sender
  // not yet sent with that header, or (a retransmission, a later SKF
  // fragment) the one sent before.
  std::vector<bool> used[2] = {std::vector<bool>(run.initiator_log().built.size()),
                               std::vector<bool>(run.responder_log().built.size())};
  struct Seen {
    bool from_initiator;
    ike::Header header;
    Bytes data;
    std::string ladder;
  };
  std::vector<Seen> seen;
  for (const testing::Sent& s : run.network().captured) {
    CapturedDatagram d;
    d.number = captured_before_ + s.number;
    d.at = s.at;
    d.from_initiator = s.datagram.destination.address == responder_address;
    d.datagram = s.datagram;
    const ByteSpan message = IkeMessageOf(s.datagram);
    const std::optional<ike::Header> h = ike::PeekHeader(message);
    const testing::Recorder& log = d.from_initiator ? run.initiator_log() : run.responder_log();
    std::vector<bool>& taken = used[d.from_initiator ? 0 : 1];
    const std::optional<uint16_t> fragment = ike::PeekFragmentNumber(message);
    for (const Seen& earlier : seen)
      if (earlier.from_initiator == d.from_initiator && earlier.data == s.datagram.data) {
        d.ladder = earlier.ladder;
        d.note = "retransmission";
      }
    if (d.ladder.empty() && h && fragment && *fragment > 1) {
      for (const Seen& earlier : seen)
        if (earlier.from_initiator == d.from_initiator && SameMessage(earlier.header, *h)) d.ladder = earlier.ladder;
    }
    if (d.ladder.empty() && h) {
      for (size_t i = 0; i < log.built.size(); ++i)
        if (!taken[i] && SameMessage(log.built[i].header, *h)) {
          taken[i] = true;
          d.ladder = testing::Ladder(log.built[i]);
          break;
        }
    }
    if (d.ladder.empty()) d.ladder = LadderOfWire(message);
    if (fragment && message.size() >= 36) {
      const std::string part = fmt::format("fragment {}/{}", *fragment, LoadU16(&message[34]));
      d.note = d.note.empty() ? part : d.note + ", " + part;
    }
    if (std::find(dropped_.begin(), dropped_.end(), s.number) != dropped_.end())
      d.note = d.note.empty() ? "lost" : d.note + ", lost";
    if (h) seen.push_back({d.from_initiator, *h, s.datagram.data, d.ladder});
    datagrams_.push_back(std::move(d));
  }
  captured_before_ += run.network().captured.size();

  std::array<PeerState, 2> states;
  Peer* peers[2] = {&run.initiator(), &run.responder()};
  for (int i = 0; i < 2; ++i)
    for (const IkeSa* sa : peers[i]->IkeSas()) {
      PeerState::Ike ike{sa->spi_i, sa->spi_r, std::string(ike::sa::Name(sa->state)), {}};
      for (const ChildSa& c : sa->children) ike.children.push_back({c.spi_in, c.spi_out, std::string(Name(c.state))});
      states[i].ike_sas.push_back(std::move(ike));
    }
  final_states_.push_back(std::move(states));
}

// --- Expectations ---------------------------------------------------------------

namespace {

IkeConfig Initiator() { return testing::PskInitiatorConfig(); }
IkeConfig Responder() { return testing::PskResponderConfig(); }

std::vector<ike::Proposal> Proposals(std::string_view text, iana::SecurityProtocol protocol) {
  auto p = ike::sa::ParseProposals(text, protocol);
  return p ? *p : std::vector<ike::Proposal>{};
}

// The two ends of one CHILD SA agree: SPIs and keys crosswise, transforms
// and selectors mirrored. Empty when they do; else what differs.
std::string ChildMismatch(const ChildSa& a, const ChildSa& b) {
  if (a.spi_out != b.spi_in) return fmt::format("CHILD SA {:08x}: outbound SPI {:08x}, peer's inbound {:08x}", a.spi_in, a.spi_out, b.spi_in);
  if (!(a.suite == b.suite)) return fmt::format("CHILD SA {:08x}: transforms differ", a.spi_in);
  if (a.encr_out() != b.encr_in() || a.integ_out() != b.integ_in() || a.encr_in() != b.encr_out() ||
      a.integ_in() != b.integ_out())
    return fmt::format("CHILD SA {:08x}: keys differ", a.spi_in);
  if (!(a.local_ts == b.remote_ts) || !(a.remote_ts == b.local_ts))
    return fmt::format("CHILD SA {:08x}: traffic selectors differ", a.spi_in);
  return {};
}

// Both peers hold exactly `ike` established IKE SAs, pairwise the same
// (SPIs and keys), each with `children` CHILD SAs installed at both ends
// and paired.
void ExpectPaired(Session& s, size_t ike, size_t children) {
  std::vector<IkeSa*> mine = s.x().initiator().IkeSas(), theirs = s.x().responder().IkeSas();
  s.Expect(mine.size() == ike, fmt::format("initiator holds {} IKE SAs, expected {}", mine.size(), ike));
  s.Expect(theirs.size() == ike, fmt::format("responder holds {} IKE SAs, expected {}", theirs.size(), ike));
  for (const IkeSa* a : mine) {
    const IkeSa* b = nullptr;
    for (const IkeSa* t : theirs)
      if (t->spi_i == a->spi_i && t->spi_r == a->spi_r) b = t;
    const std::string name = fmt::format("IKE SA {:016x}_i {:016x}_r", a->spi_i, a->spi_r);
    s.Expect(b != nullptr, name + ": the responder has no such IKE SA");
    if (b == nullptr) continue;
    s.Expect(a->state == IkeState::kEstablished && b->state == IkeState::kEstablished,
             fmt::format("{}: states {} and {}, expected ESTABLISHED", name, ike::sa::Name(a->state),
                         ike::sa::Name(b->state)));
    s.Expect(a->keys.sk_d == b->keys.sk_d && a->keys.sk_ei == b->keys.sk_ei && a->keys.sk_er == b->keys.sk_er &&
                 a->keys.sk_ai == b->keys.sk_ai && a->keys.sk_ar == b->keys.sk_ar,
             name + ": keys differ");
    s.Expect(a->children.size() == children && b->children.size() == children,
             fmt::format("{}: {} and {} CHILD SAs, expected {}", name, a->children.size(), b->children.size(),
                         children));
    for (const ChildSa& c : a->children) {
      const ChildSa* d = nullptr;
      for (const ChildSa& e : b->children)
        if (e.spi_in == c.spi_out) d = &e;
      s.Expect(d != nullptr, fmt::format("CHILD SA {:08x}: no peer half", c.spi_in));
      if (d == nullptr) continue;
      const std::string mismatch = ChildMismatch(c, *d);
      s.Expect(mismatch.empty(), mismatch);
      s.Expect(c.state == ChildState::kInstalled && d->state == ChildState::kInstalled,
               fmt::format("CHILD SA {:08x}: states {} and {}, expected INSTALLED", c.spi_in, Name(c.state),
                           Name(d->state)));
    }
  }
}

// Whether a message with this ladder text part was built by either peer.
bool Built(Session& s, std::string_view part) {
  for (const testing::Recorder* r : {&s.x().initiator_log(), &s.x().responder_log()})
    for (const ike::Message& m : r->built)
      if (testing::Ladder(m).find(part) != std::string::npos) return true;
  return false;
}

// Whether a message `what` ("IKE_AUTH request") the recorder saw has the
// payload labelled `label`.
bool Carries(const testing::Recorder& log, std::string_view what, std::string_view label) {
  for (const ike::Message& m : log.built) {
    if (testing::Ladder(m).rfind(what, 0) != 0) continue;
    const std::string labels = " " + testing::Labels(m) + " ";
    if (labels.find(fmt::format(" {} ", label)) != std::string::npos) return true;
  }
  return false;
}

// Whether any datagram of the current run carries `part` (also the
// messages sent outside an IKE SA, which no recorder sees).
bool OnTheWire(Session& s, std::string_view part) {
  for (const testing::Sent& sent : s.x().network().captured)
    if (LadderOfWire(IkeMessageOf(sent.datagram)).find(part) != std::string::npos) return true;
  return Built(s, part);
}

// One CREATE_CHILD_SA exchange of a rekey as the two recorders saw it:
// the lowest of its two nonces and the SPIs its SA payloads carried (the
// requester's, then the responder's).
struct RekeyExchange {
  Bytes lowest_nonce;
  Bytes spi_request, spi_response;
};

const ike::Payload* Find(const ike::Message& m, iana::PayloadType type) {
  const std::vector<ike::Payload>& payloads = m.inner.empty() ? m.payloads : m.inner;
  for (const ike::Payload& p : payloads)
    if (p.type == type) return &p;
  return nullptr;
}

// The CREATE_CHILD_SA exchanges of the current run that rekey (a CHILD SA
// with N(REKEY_SA), or the IKE SA: `ike`), each request paired with the
// response the other peer built for its Message ID.
std::vector<RekeyExchange> RekeyExchanges(Session& s, bool ike) {
  std::vector<RekeyExchange> out;
  const testing::Recorder* logs[2] = {&s.x().initiator_log(), &s.x().responder_log()};
  for (int side = 0; side < 2; ++side)
    for (const ike::Message& request : logs[side]->built) {
      if (request.header.exchange_type != iana::ExchangeType::kCreateChildSa || request.header.response()) continue;
      const bool rekeys_ike = testing::Labels(request).find("KE") != std::string::npos &&
                              testing::Labels(request).find("TSi") == std::string::npos;
      const bool rekeys_child = testing::Labels(request).find("N(REKEY_SA)") != std::string::npos;
      if (ike ? !rekeys_ike : !rekeys_child) continue;
      for (const ike::Message& response : logs[1 - side]->built) {
        if (response.header.exchange_type != iana::ExchangeType::kCreateChildSa || !response.header.response() ||
            response.header.message_id != request.header.message_id)
          continue;
        const ike::Payload *ni = Find(request, iana::PayloadType::kNonce), *nr = Find(response, iana::PayloadType::kNonce);
        const ike::Payload *sa_i = Find(request, iana::PayloadType::kSa), *sa_r = Find(response, iana::PayloadType::kSa);
        if (ni == nullptr || nr == nullptr || sa_i == nullptr || sa_r == nullptr) continue;
        const Bytes& a = ni->as<ike::NoncePayload>()->nonce_data;
        const Bytes& b = nr->as<ike::NoncePayload>()->nonce_data;
        RekeyExchange e;
        e.lowest_nonce = std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()) ? a : b;
        e.spi_request = sa_i->as<ike::SaPayload>()->proposals.front().spi;
        e.spi_response = sa_r->as<ike::SaPayload>()->proposals.front().spi;
        out.push_back(std::move(e));
      }
    }
  return out;
}

// RFC 7296 section 2.8.1 and 2.8.2: of two simultaneous rekeys, the SA
// created by the exchange with the lowest of the four nonces is redundant;
// the other one survives. The survivor's SPIs, as the exchange's SA payloads
// carried them.
std::optional<RekeyExchange> NonceRuleSurvivor(Session& s, bool ike) {
  std::vector<RekeyExchange> e = RekeyExchanges(s, ike);
  s.Expect(e.size() == 2, fmt::format("{} rekey exchanges found, expected 2 crossing ones", e.size()));
  if (e.size() != 2) return std::nullopt;
  const bool first_lower = std::lexicographical_compare(e[0].lowest_nonce.begin(), e[0].lowest_nonce.end(),
                                                        e[1].lowest_nonce.begin(), e[1].lowest_nonce.end());
  return first_lower ? e[1] : e[0];
}

uint32_t SpiOf(const Bytes& spi) { return spi.size() == 4 ? LoadU32(spi.data()) : 0; }
uint64_t IkeSpiOf(const Bytes& spi) { return spi.size() == 8 ? LoadU64(spi.data()) : 0; }

uint64_t Establish(Session& s) {
  const uint64_t spi = s.x().initiator().Initiate();
  s.Run();
  IkeSa* sa = s.x().initiator().Find(spi);
  s.Expect(sa != nullptr && sa->state == IkeState::kEstablished, "the IKE SA was not established");
  return sa != nullptr && sa->state == IkeState::kEstablished ? spi : 0;
}

uint32_t FirstChild(Peer& p, uint64_t spi) {
  IkeSa* sa = p.Find(spi);
  return sa != nullptr && !sa->children.empty() ? sa->children.front().spi_in : 0;
}

uint64_t OnlySpi(Peer& p) {
  std::vector<IkeSa*> sas = p.IkeSas();
  return sas.size() == 1 ? sas.front()->local_spi() : 0;
}

// --- The scenarios ----------------------------------------------------------------

void Basic(Session& s) {
  s.Start(Initiator(), Responder());
  Establish(s);
  ExpectPaired(s, 1, 1);
}

// strongSwan keyword proposals covering every transform family the
// registry implements: CBC, CTR, GCM, CCM, ChaCha20-Poly1305, 3DES and NULL
// ciphers; HMAC, XCBC and CMAC integrity and PRFs; the MODP, ECP and
// Curve25519 groups; ESN.
struct ProposalPair {
  std::string_view ike, esp;
};
constexpr ProposalPair kEveryProposal[] = {
    {"aes128-sha256-modp2048", "aes128-sha256"},
    {"aes256-sha384-ecp384", "aes256-sha384"},
    {"aes192-sha512-ecp521", "aes192-sha512-esn"},
    {"aes128ctr-sha256-ecp256", "aes256ctr-sha256"},
    {"aes128gcm16-prfsha256-x25519", "aes128gcm16"},
    {"aes256gcm12-prfsha384-ecp256", "aes256gcm8"},
    {"aes128ccm16-prfsha256-ecp256", "aes128ccm16"},
    {"chacha20poly1305-prfsha256-x25519", "chacha20poly1305"},
    {"3des-sha1-modp2048", "3des-sha1"},
    {"aes128-aesxcbc-prfaesxcbc-ecp256", "aes128-aesxcbc"},
    {"aes256-aescmac-prfaescmac-modp3072", "null-sha256"},
    {"aes256gcm16-prfsha512-ecp256", "aes128gmac"},
};

void EveryProposal(Session& s) {
  for (const ProposalPair& p : kEveryProposal) {
    IkeConfig i = Initiator(), r = Responder();
    i.proposals = r.proposals = Proposals(p.ike, iana::SecurityProtocol::kIke);
    i.children[0].proposals = r.children[0].proposals = Proposals(p.esp, iana::SecurityProtocol::kEsp);
    s.Start(std::move(i), std::move(r));
    s.Expect(!s.x().initiator().config().proposals.empty() && !s.x().initiator().config().children[0].proposals.empty(),
             fmt::format("{} / {}: the proposals do not parse", p.ike, p.esp));
    const size_t before = s.failures().size();
    Establish(s);
    ExpectPaired(s, 1, 1);
    if (s.failures().size() != before) s.Expect(false, fmt::format("with {} / {}", p.ike, p.esp));
  }
}

void ChildCreate(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  s.ExpectOk(s.x().initiator().CreateChild(spi, 0), "CreateChild");
  s.Run();
  ExpectPaired(s, 1, 2);
}

void ChildRekey(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  const uint32_t old = FirstChild(s.x().initiator(), spi);
  s.ExpectOk(s.x().initiator().RekeyChild(spi, old), "RekeyChild");
  s.Settle();
  ExpectPaired(s, 1, 1);
  s.Expect(FirstChild(s.x().initiator(), spi) != old, "the CHILD SA kept its old SPI");
}

void IkeRekey(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  s.ExpectOk(s.x().initiator().RekeyIke(spi), "RekeyIke");
  s.Settle();
  ExpectPaired(s, 1, 1);
  s.Expect(OnlySpi(s.x().initiator()) != spi, "the IKE SA kept its old SPI");
}

void ChildRekeyCollision(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  const uint64_t rspi = OnlySpi(s.x().responder());
  const uint32_t child_i = FirstChild(s.x().initiator(), spi), child_r = FirstChild(s.x().responder(), rspi);
  s.ExpectOk(s.x().initiator().RekeyChild(spi, child_i), "initiator RekeyChild");
  s.ExpectOk(s.x().responder().RekeyChild(rspi, child_r), "responder RekeyChild");
  s.Settle();
  ExpectPaired(s, 1, 1);
  const uint32_t now = FirstChild(s.x().initiator(), spi);
  s.Expect(now != child_i && now != child_r, "the old CHILD SA survived the collision");
  if (std::optional<RekeyExchange> survivor = NonceRuleSurvivor(s, false)) {
    const uint32_t a = SpiOf(survivor->spi_request), b = SpiOf(survivor->spi_response);
    IkeSa* sa = s.x().initiator().Find(spi);
    const bool kept = sa != nullptr && sa->children.size() == 1 &&
                      ((sa->children[0].spi_in == a && sa->children[0].spi_out == b) ||
                       (sa->children[0].spi_in == b && sa->children[0].spi_out == a));
    s.Expect(kept, fmt::format("the surviving CHILD SA is not {:08x}/{:08x}, the one whose exchange had the higher "
                               "lowest nonce (section 2.8.1)", a, b));
  }
}

void IkeRekeyCollision(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  const uint64_t rspi = OnlySpi(s.x().responder());
  s.ExpectOk(s.x().initiator().RekeyIke(spi), "initiator RekeyIke");
  s.ExpectOk(s.x().responder().RekeyIke(rspi), "responder RekeyIke");
  s.Settle();
  ExpectPaired(s, 1, 1);
  s.Expect(OnlySpi(s.x().initiator()) != spi, "the old IKE SA survived the collision");
  if (std::optional<RekeyExchange> survivor = NonceRuleSurvivor(s, true)) {
    const uint64_t a = IkeSpiOf(survivor->spi_request), b = IkeSpiOf(survivor->spi_response);
    IkeSa* sa = s.x().OnlyIkeSa(s.x().initiator());
    s.Expect(sa != nullptr && ((sa->spi_i == a && sa->spi_r == b) || (sa->spi_i == b && sa->spi_r == a)),
             fmt::format("the surviving IKE SA is not {:016x}/{:016x}, the one whose exchange had the higher lowest "
                         "nonce (section 2.8.2)", a, b));
  }
}

void RekeyDeleteCollision(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  const uint64_t rspi = OnlySpi(s.x().responder());
  s.ExpectOk(s.x().initiator().RekeyChild(spi, FirstChild(s.x().initiator(), spi)), "initiator RekeyChild");
  s.ExpectOk(s.x().responder().DeleteChild(rspi, FirstChild(s.x().responder(), rspi)), "responder DeleteChild");
  s.Settle();
  ExpectPaired(s, 1, 0);
}

void Delete(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  s.ExpectOk(s.x().initiator().DeleteChild(spi, FirstChild(s.x().initiator(), spi)), "DeleteChild");
  s.Run();
  ExpectPaired(s, 1, 0);
  s.ExpectOk(s.x().initiator().DeleteIke(spi), "DeleteIke");
  s.Settle();
  s.Expect(s.x().initiator().IkeSas().empty() && s.x().responder().IkeSas().empty(), "an IKE SA is left");
}

void Liveness(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = Establish(s);
  s.x().clock().Advance(30'000);
  s.ExpectOk(s.x().initiator().CheckLiveness(spi), "CheckLiveness");
  s.Run();
  ExpectPaired(s, 1, 1);
  s.Expect(Built(s, "INFORMATIONAL request {  }") && Built(s, "INFORMATIONAL response {  }"),
           "no empty INFORMATIONAL exchange");
}

void Cookie(Session& s) {
  IkeConfig r = Responder();
  r.cookie_threshold = 0;
  s.Start(Initiator(), std::move(r));
  Establish(s);
  ExpectPaired(s, 1, 1);
  s.Expect(OnTheWire(s, "IKE_SA_INIT response { N(COOKIE) }"), "the responder sent no COOKIE");
  s.Expect(Built(s, "IKE_SA_INIT request { N(COOKIE) SA"), "the initiator did not return the COOKIE");
}

void InvalidKe(Session& s) {
  IkeConfig i = Initiator(), r = Responder();
  i.proposals = Proposals("aes128gcm16-prfsha256-x25519-ecp256", iana::SecurityProtocol::kIke);
  r.proposals = Proposals("aes128gcm16-prfsha256-ecp256", iana::SecurityProtocol::kIke);
  s.Start(std::move(i), std::move(r));
  const uint64_t spi = Establish(s);
  ExpectPaired(s, 1, 1);
  s.Expect(OnTheWire(s, "N(INVALID_KE_PAYLOAD)"), "the responder sent no INVALID_KE_PAYLOAD");
  IkeSa* sa = s.x().initiator().Find(spi);
  s.Expect(sa != nullptr && sa->suite.ke == iana::KeGroup::kEcp256, "the IKE SA does not use ECP-256");
}

void Fragmentation(Session& s) {
  IkeConfig i = Initiator(), r = Responder();
  i.fragment_mtu = r.fragment_mtu = 200;
  s.Start(std::move(i), std::move(r));
  Establish(s);
  ExpectPaired(s, 1, 1);
  size_t fragments = 0;
  for (const testing::Sent& sent : s.x().network().captured)
    if (ike::PeekFragmentNumber(IkeMessageOf(sent.datagram))) ++fragments;
  s.Expect(fragments >= 4, fmt::format("{} SKF fragments, expected IKE_AUTH in at least two each way", fragments));
}

void Nat(Session& s) {
  s.Start(Initiator(), Responder());
  s.x().network().nat = testing::Nat{{Bytes{192, 0, 2, 1}, 0}, {Bytes{198, 51, 100, 1}, 31000}};
  const uint64_t spi = Establish(s);
  ExpectPaired(s, 1, 1);
  IkeSa* sa = s.x().initiator().Find(spi);
  s.Expect(sa != nullptr && sa->nat_here, "the initiator did not find itself behind a NAT");
  bool on_4500 = false;
  for (const testing::Sent& sent : s.x().network().captured)
    on_4500 = on_4500 || sent.datagram.destination.port == ike::sa::kNatTraversalPort;
  s.Expect(on_4500, "IKE_AUTH did not move to port 4500");
}

void Retransmission(Session& s) {
  s.Start(Initiator(), Responder());
  const uint64_t spi = s.x().initiator().Initiate();
  s.DeliverNext();  // IKE_SA_INIT request
  s.DeliverNext();  // IKE_SA_INIT response
  s.DeliverNext();  // IKE_AUTH request
  s.Expect(s.DropNext(), "no IKE_AUTH response to lose");
  s.Expect(s.AdvanceToNextDeadline(), "the initiator has no retransmission timer");
  s.Run();
  IkeSa* sa = s.x().initiator().Find(spi);
  s.Expect(sa != nullptr && sa->state == IkeState::kEstablished, "the IKE SA was not established");
  ExpectPaired(s, 1, 1);
  size_t auth_requests = 0;
  for (const testing::Sent& sent : s.x().network().captured) {
    auto h = ike::PeekHeader(IkeMessageOf(sent.datagram));
    if (h && h->exchange_type == iana::ExchangeType::kIkeAuth && !h->response()) ++auth_requests;
  }
  s.Expect(auth_requests == 2, fmt::format("{} IKE_AUTH requests sent, expected 2", auth_requests));
}

void Window(Session& s) {
  IkeConfig i = Initiator(), r = Responder();
  i.window_size = r.window_size = 2;
  s.Start(std::move(i), std::move(r));
  const uint64_t spi = Establish(s);
  s.ExpectOk(s.x().initiator().CreateChild(spi, 0), "CreateChild");
  s.ExpectOk(s.x().initiator().CreateChild(spi, 0), "CreateChild");
  s.Expect(s.x().network().in_flight.size() == 2,
           fmt::format("{} requests in flight, expected 2", s.x().network().in_flight.size()));
  s.Run();
  ExpectPaired(s, 1, 3);
}

void Childless(Session& s) {
  IkeConfig i = Initiator(), r = Responder();
  i.childless = r.childless = true;
  s.Start(std::move(i), std::move(r));
  Establish(s);
  ExpectPaired(s, 1, 0);
}

void AuthFailure(Session& s) {
  IkeConfig i = Initiator();
  const std::string_view other = "not the responder's secret";
  i.local_auth.psk.assign(other.begin(), other.end());
  i.remote_auth.psk = i.local_auth.psk;
  s.Start(std::move(i), Responder());
  s.x().initiator().Initiate();
  s.Settle();
  s.Expect(s.x().initiator().IkeSas().empty(), "the initiator kept an IKE SA");
  s.Expect(s.x().responder().IkeSas().empty(), "the responder kept an IKE SA");
  s.Expect(Built(s, "N(AUTHENTICATION_FAILED)"), "the responder sent no AUTHENTICATION_FAILED");
}

void NoProposal(Session& s) {
  // IKE_SA_INIT: no IKE proposal in common; no IKE SA.
  IkeConfig i = Initiator(), r = Responder();
  r.proposals = Proposals("aes256-sha384-ecp384", iana::SecurityProtocol::kIke);
  s.Start(std::move(i), std::move(r));
  s.x().initiator().Initiate();
  s.Settle();
  s.Expect(s.x().initiator().IkeSas().empty() && s.x().responder().IkeSas().empty(), "an IKE SA is left");
  s.Expect(OnTheWire(s, "IKE_SA_INIT response { N(NO_PROPOSAL_CHOSEN) }"), "no NO_PROPOSAL_CHOSEN in IKE_SA_INIT");
  // IKE_AUTH: no ESP proposal in common; the IKE SA stays without a CHILD SA.
  i = Initiator();
  r = Responder();
  r.children[0].proposals = Proposals("aes256-sha512", iana::SecurityProtocol::kEsp);
  s.Start(std::move(i), std::move(r));
  Establish(s);
  ExpectPaired(s, 1, 0);
  s.Expect(Built(s, "IKE_AUTH response { IDr AUTH N(NO_PROPOSAL_CHOSEN) }"),
           "no NO_PROPOSAL_CHOSEN in the IKE_AUTH response");
}

void TsNarrowing(Session& s) {
  IkeConfig i = Initiator(), r = Responder();
  i.children[0].remote_ts = *ike::sa::ParseTrafficSelectors("10.0.0.0/8");
  r.children[0].local_ts = *ike::sa::ParseTrafficSelectors("10.2.0.0/24");
  s.Start(std::move(i), std::move(r));
  const uint64_t spi = Establish(s);
  ExpectPaired(s, 1, 1);
  IkeSa* sa = s.x().initiator().Find(spi);
  s.Expect(sa != nullptr && !sa->children.empty() &&
               sa->children.front().remote_ts == *ike::sa::ParseTrafficSelectors("10.2.0.0/24"),
           "the initiator's remote selectors were not narrowed to 10.2.0.0/24");
}

}  // namespace

// An end that proves itself with an ECDSA P-256 or Ed25519 signature
// (RFC 7427, AUTH method 14) and an X.509 chain of vectors/x509/ (made by
// vectors/x509/make.sh), and trusts the CA of the other end.
IkeConfig WithCertificate(Session& s, IkeConfig c, std::string_view mine, crypto::SignatureScheme scheme,
                          std::string_view theirs) {
  const auto fqdn = [](std::string_view ee) {
    const std::string name = fmt::format("ee-{}.ipsecref.test", ee);
    return ike::IdPayload{iana::IdType::kFqdn, Bytes(name.begin(), name.end())};
  };
  c.local_id = fqdn(mine);
  c.remote_id = fqdn(theirs);
  c.local_auth = {};
  c.local_auth.method = iana::AuthMethod::kDigitalSignature;
  c.local_auth.scheme = scheme;
  c.local_auth.private_key = s.ReadData(fmt::format("x509/ee-{}.key.der", mine));
  c.local_auth.certificates = {s.ReadData(fmt::format("x509/ee-{}.der", mine)),
                               s.ReadData(fmt::format("x509/int-{}.der", mine))};
  c.remote_auth = {};
  c.remote_auth.method = iana::AuthMethod::kDigitalSignature;
  c.remote_auth.trust_anchors = {s.ReadData(fmt::format("x509/ca-{}.der", theirs))};
  return c;
}

namespace {

void Certificates(Session& s) {
  IkeConfig i = WithCertificate(s, Initiator(), "p256", crypto::SignatureScheme::kEcdsaP256Sha256, "ed25519");
  IkeConfig r = WithCertificate(s, Responder(), "ed25519", crypto::SignatureScheme::kEd25519, "p256");
  s.Start(std::move(i), std::move(r));
  Establish(s);
  ExpectPaired(s, 1, 1);
  s.Expect(Carries(s.x().initiator_log(), "IKE_AUTH request", "CERT"), "the initiator sent no CERT");
  s.Expect(Carries(s.x().responder_log(), "IKE_AUTH response", "CERT"), "the responder sent no CERT");
}

constexpr Scenario kScenarios[] = {
    {"basic", "IKE_SA_INIT and IKE_AUTH with PSK and the first CHILD SA", "rfc7296#section-1.2",
     "both peers hold one IKE SA and one CHILD SA with paired SPIs and keys", Basic},
    {"certificates", "signature authentication with X.509 chains: ECDSA P-256 (initiator) and Ed25519 (responder), "
                     "each trusting the other's CA",
     "rfc7427#section-3", "one paired IKE SA and CHILD SA; both ends sent CERT", Certificates},
    {"every-proposal", "one run per representative IKE/ESP proposal pair (CBC, CTR, GCM, CCM, ChaCha20, 3DES, NULL; "
                       "HMAC, XCBC, CMAC; MODP, ECP, X25519; ESN)",
     "rfc7296#section-3.3", "every run ends with one IKE SA and one CHILD SA, paired", EveryProposal},
    {"child-create", "a second CHILD SA with CREATE_CHILD_SA", "rfc7296#section-1.3.1",
     "one IKE SA with two paired CHILD SAs", ChildCreate},
    {"child-rekey", "the CHILD SA rekeyed by the initiator (N(REKEY_SA)), the old one deleted",
     "rfc7296#section-1.3.3", "one paired CHILD SA with new SPIs", ChildRekey},
    {"ike-rekey", "the IKE SA rekeyed by the initiator, its CHILD SA moved over, the old one deleted",
     "rfc7296#section-1.3.2", "one paired IKE SA with new SPIs and its CHILD SA", IkeRekey},
    {"child-rekey-collision", "both peers rekey the CHILD SA at once", "rfc7296#section-2.8.1",
     "one paired CHILD SA, neither of the old ones", ChildRekeyCollision},
    {"ike-rekey-collision", "both peers rekey the IKE SA at once", "rfc7296#section-2.8.2",
     "one paired IKE SA, not the old one, with its CHILD SA", IkeRekeyCollision},
    {"rekey-delete-collision", "the initiator rekeys the CHILD SA while the responder deletes it",
     "rfc7296#section-2.25.1", "one IKE SA and no CHILD SA on either side", RekeyDeleteCollision},
    {"delete", "the CHILD SA deleted, then the IKE SA", "rfc7296#section-1.4.1", "no IKE SA left on either side",
     Delete},
    {"liveness", "an empty INFORMATIONAL exchange as a liveness check", "rfc7296#section-2.4",
     "the IKE SA and CHILD SA stay; an empty INFORMATIONAL request and response", Liveness},
    {"cookie", "the responder asks for a COOKIE (cookie_threshold 0) and the initiator returns it",
     "rfc7296#section-2.6", "one paired IKE SA and CHILD SA after a COOKIE round trip", Cookie},
    {"invalid-ke", "the initiator guesses X25519, the responder takes only ECP-256: INVALID_KE_PAYLOAD and a retry",
     "rfc7296#section-1.2", "one paired IKE SA using ECP-256", InvalidKe},
    {"fragmentation", "IKE_AUTH in SKF fragments (fragment_mtu 200)", "rfc7383#section-2.5",
     "one paired IKE SA and CHILD SA; IKE_AUTH fragmented both ways", Fragmentation},
    {"nat", "the initiator behind a NAT (198.51.100.1): NAT detection and the move to port 4500",
     "rfc7296#section-2.23", "one paired IKE SA, the initiator knows it is behind a NAT, IKE_AUTH on 4500", Nat},
    {"retransmission", "the first IKE_AUTH response is lost; the initiator retransmits its request",
     "rfc7296#section-2.1", "one paired IKE SA after two IKE_AUTH requests", Retransmission},
    {"window", "window size 2 on both ends; two CREATE_CHILD_SA requests in flight at once", "rfc7296#section-2.3",
     "one IKE SA with three paired CHILD SAs", Window},
    {"childless", "an IKE SA without a CHILD SA", "rfc6023#section-3", "one paired IKE SA without CHILD SAs",
     Childless},
    {"auth-failure", "the peers hold different PSKs", "rfc7296#section-2.21.2",
     "AUTHENTICATION_FAILED and no IKE SA on either side", AuthFailure},
    {"no-proposal", "no IKE proposal in common (no IKE SA), then no ESP proposal in common (IKE SA kept)",
     "rfc7296#section-2.21.1", "NO_PROPOSAL_CHOSEN in IKE_SA_INIT and in IKE_AUTH; only the second IKE SA stays",
     NoProposal},
    {"ts-narrowing", "the responder narrows the initiator's 10.0.0.0/8 to 10.2.0.0/24", "rfc7296#section-2.9",
     "one paired CHILD SA with the narrowed selectors", TsNarrowing},
};

}  // namespace

std::span<const Scenario> Scenarios() { return kScenarios; }

const Scenario* FindScenario(std::string_view name) {
  for (const Scenario& s : kScenarios)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace ipsecref::exchange
