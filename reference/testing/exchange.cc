#include "reference/testing/exchange.h"

#include <fmt/format.h>

#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/ike/wire/describe.h"

namespace ipsecref::testing {

using ike::sa::IkeConfig;
using ike::sa::Peer;

void Network::Send(Datagram d) {
  Sent s;
  s.number = captured.size() + 1;
  s.at = clock != nullptr ? clock->Now() : 0;
  if (nat && d.source.address == nat->inside_address.address) {
    d.source.address = nat->outside.address;
    d.source.port = d.source.port == ike::sa::kIkePort ? nat->outside.port
                                                        : static_cast<uint16_t>(nat->outside.port + 1);
  }
  s.datagram = std::move(d);
  captured.push_back(s);
  if (filter && !filter(s)) return;
  in_flight.push_back(std::move(s));
}

void Recorder::OnBuilt(const ike::sa::IkeSa& sa, ike::Message& m) {
  if (next != nullptr) next->OnBuilt(sa, m);
  built.push_back(m);
}
void Recorder::OnProtect(const ike::sa::IkeSa& sa, const ike::Message& m, ike::SkCrypter::ProtectOptions& o) {
  if (next != nullptr) next->OnProtect(sa, m, o);
}
void Recorder::OnEncoded(const ike::sa::IkeSa& sa, const ike::Message& m, std::vector<Bytes>& datagrams) {
  if (next != nullptr) next->OnEncoded(sa, m, datagrams);
}
bool Recorder::OnRetransmit(const ike::sa::IkeSa& sa, uint32_t message_id) {
  return next == nullptr || next->OnRetransmit(sa, message_id);
}

std::string Labels(const ike::Message& m) {
  std::string out;
  const std::vector<ike::Payload>& payloads = m.inner.empty() ? m.payloads : m.inner;
  for (const ike::Payload& p : payloads) {
    if (!out.empty()) out += ' ';
    out += ike::PayloadLabel(p);
  }
  return out;
}

std::string Ladder(const ike::Message& m) {
  return fmt::format("{} {{ {} }}", ike::Describe(m.header), Labels(m));
}

namespace {
Endpoint At(uint8_t last, uint16_t port = 500) { return Endpoint{Bytes{192, 0, 2, last}, port}; }
}  // namespace

Exchange::Exchange(IkeConfig initiator, IkeConfig responder, uint64_t seed) {
  network_.clock = &clock_;
  const Endpoint a = At(1), b = At(2);
  IkeConfig configs[2] = {std::move(initiator), std::move(responder)};
  const Endpoint locals[2] = {a, b}, remotes[2] = {b, a};
  for (int i = 0; i < 2; ++i) {
    PeerSlot slot;
    slot.rng = crypto::MakeDeterministicRng(seed * 2 + static_cast<uint64_t>(i));
    slot.recorder = std::make_unique<Recorder>();
    slot.peer = std::make_unique<Peer>(std::move(configs[i]),
                                       ike::sa::Environment{&clock_, &network_, slot.rng.get()}, locals[i], remotes[i]);
    slot.peer->set_hooks(slot.recorder.get());
    peers_.push_back(std::move(slot));
  }
}

void Exchange::SetHooks(Peer& peer, ike::sa::Hooks* hooks) {
  for (PeerSlot& s : peers_)
    if (s.peer.get() == &peer) s.recorder->next = hooks;
}

Peer* Exchange::PeerAt(const Endpoint& destination) {
  Endpoint to = destination;
  if (network_.nat && to.address == network_.nat->outside.address) to.address = network_.nat->inside_address.address;
  for (PeerSlot& s : peers_)
    if (s.peer->local().address == to.address) return s.peer.get();
  return nullptr;
}

std::optional<Datagram> Exchange::Take() {
  if (network_.in_flight.empty()) return std::nullopt;
  Datagram d = std::move(network_.in_flight.front().datagram);
  network_.in_flight.pop_front();
  return d;
}

void Exchange::Deliver(const Datagram& d) {
  Datagram in = d;
  if (network_.nat && in.destination.address == network_.nat->outside.address) {
    in.destination.address = network_.nat->inside_address.address;
    in.destination.port = in.destination.port == network_.nat->outside.port ? ike::sa::kIkePort
                                                                             : ike::sa::kNatTraversalPort;
  }
  if (Peer* p = PeerAt(d.destination)) p->Receive(in);
}

bool Exchange::DeliverNext() {
  std::optional<Datagram> d = Take();
  if (!d) return false;
  Deliver(*d);
  return true;
}

size_t Exchange::Run(size_t max) {
  size_t n = 0;
  while (n < max && DeliverNext()) ++n;
  return n;
}

bool Exchange::AdvanceToNextDeadline() {
  std::optional<Time> next;
  for (PeerSlot& s : peers_)
    if (auto t = s.peer->NextDeadline(); t && (!next || *t < *next)) next = t;
  if (!next) return false;
  if (*next > clock_.Now()) clock_.Set(*next);
  for (PeerSlot& s : peers_) s.peer->Tick();
  return true;
}

void Exchange::Settle(Time horizon, size_t max_steps) {
  const Time until = clock_.Now() + horizon;
  for (size_t step = 0; step < max_steps; ++step) {
    if (DeliverNext()) continue;
    std::optional<Time> next;
    for (PeerSlot& s : peers_)
      if (auto t = s.peer->NextDeadline(); t && (!next || *t < *next)) next = t;
    if (!next || *next > until) return;
    AdvanceToNextDeadline();
  }
}

uint64_t Exchange::Establish() {
  const uint64_t spi = initiator().Initiate();
  Run();
  ike::sa::IkeSa* sa = initiator().Find(spi);
  return sa != nullptr && sa->state == ike::sa::IkeState::kEstablished ? spi : 0;
}

ike::sa::IkeSa* Exchange::OnlyIkeSa(Peer& peer) const {
  std::vector<ike::sa::IkeSa*> sas = peer.IkeSas();
  return sas.size() == 1 ? sas.front() : nullptr;
}

namespace {

IkeConfig BaseConfig(std::string_view local_fqdn, std::string_view remote_fqdn, std::string_view local_ts,
                     std::string_view remote_ts) {
  IkeConfig c;
  c.name = "test";
  c.local_id = ike::IdPayload{iana::IdType::kFqdn, Bytes(local_fqdn.begin(), local_fqdn.end())};
  c.remote_id = ike::IdPayload{iana::IdType::kFqdn, Bytes(remote_fqdn.begin(), remote_fqdn.end())};
  const std::string_view psk = "a shared secret of the test suite";
  c.local_auth.method = iana::AuthMethod::kSharedKeyMic;
  c.local_auth.psk.assign(psk.begin(), psk.end());
  c.remote_auth = c.local_auth;
  c.proposals = *ike::sa::ParseProposals("aes128gcm16-prfsha256-x25519", iana::SecurityProtocol::kIke);
  ike::sa::ChildConfig child;
  child.name = "net";
  child.proposals = *ike::sa::ParseProposals("aes128gcm16", iana::SecurityProtocol::kEsp);
  child.local_ts = *ike::sa::ParseTrafficSelectors(local_ts);
  child.remote_ts = *ike::sa::ParseTrafficSelectors(remote_ts);
  c.children.push_back(std::move(child));
  return c;
}

}  // namespace

IkeConfig PskInitiatorConfig() { return BaseConfig("moon.example", "sun.example", "10.1.0.0/16", "10.2.0.0/16"); }
IkeConfig PskResponderConfig() { return BaseConfig("sun.example", "moon.example", "10.2.0.0/16", "10.1.0.0/16"); }

}  // namespace ipsecref::testing
