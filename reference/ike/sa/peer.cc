#include "reference/ike/sa/peer.h"

#include <algorithm>

#include <fmt/format.h>

#include "reference/crypto/prf.h"
#include "reference/ike/wire/rules.h"

namespace ipsecref::ike::sa {
namespace {

// A message sent outside any IKE SA (a COOKIE or an INVALID_IKE_SPI answer),
// unprotected, from `local` back to where the request came from.
void SendUnprotected(Transport& transport, const Datagram& request, Message m) {
  if (!Finalize(m)) return;
  auto bytes = Encode(m);
  if (!bytes) return;
  Datagram d{request.destination, request.source, {}};
  if (request.destination.port == kNatTraversalPort) d.data.assign(kNonEspMarkerSize, 0);
  d.data.insert(d.data.end(), bytes->begin(), bytes->end());
  transport.Send(std::move(d));
}

Header ResponseHeaderFor(const Header& request) {
  Header h;
  h.spi_i = request.spi_i;
  h.spi_r = request.spi_r;
  h.exchange_type = request.exchange_type;
  h.message_id = request.message_id;
  h.flags = static_cast<uint8_t>(kFlagResponse | (request.initiator() ? 0 : kFlagInitiator));
  return h;
}

}  // namespace

std::string Endpoint::ToString() const {
  std::string a;
  if (address.size() == 4) {
    a = fmt::format("{}.{}.{}.{}", address[0], address[1], address[2], address[3]);
  } else {
    for (size_t i = 0; i + 1 < address.size(); i += 2)
      a += fmt::format("{}{:x}", i == 0 ? "" : ":", (address[i] << 8) | address[i + 1]);
  }
  return fmt::format("{}[{}]", a, port);
}

Peer::Peer(IkeConfig config, Environment env, Endpoint local, Endpoint remote)
    : config_(std::move(config)),
      env_(env),
      local_(std::move(local)),
      remote_(std::move(remote)),
      cookie_secrets_(std::make_shared<CookieSecrets>()) {
  cookie_secrets_->Start(env_.clock->Now(), *env_.rng);
}
Peer::~Peer() = default;

void Peer::set_hooks(Hooks* hooks) { hooks_ = hooks != nullptr ? hooks : &default_hooks_; }

void Peer::Log(std::string text, uint64_t ike_spi, bool peer_dead) {
  events_.push_back({env_.clock->Now(), std::move(text), ike_spi, peer_dead});
}

uint64_t Peer::NewIkeSpi() {
  for (;;) {
    uint8_t b[8];
    env_.rng->Fill(b);
    uint64_t spi = LoadU64(b);
    if (spi_tag_.bits != 0) spi = (spi >> spi_tag_.bits) | (uint64_t{spi_tag_.value} << (64 - spi_tag_.bits));
    //= rfc7296#section-3.1
    //# An IKE SPI is never zero (zero marks the responder's SPI as not yet
    //# known); this end also keeps its SPIs unique among its IKE SAs.
    if (spi != 0 && sas_.count(spi) == 0) return spi;
  }
}

uint32_t Peer::NewChildSpi() {
  for (;;) {
    uint8_t b[4];
    env_.rng->Fill(b);
    uint32_t spi = LoadU32(b);
    if (spi_tag_.bits != 0) spi = (spi >> spi_tag_.bits) | (spi_tag_.value << (32 - spi_tag_.bits));
    //= rfc4303#section-2.1
    //# SPIs 1 to 255 are reserved by IANA and 0 is for local use only.
    if (spi < 256) continue;
    bool used = false;
    for (const auto& [id, sa] : sas_)
      for (const ChildSa& c : sa->children) used = used || c.spi_in == spi;
    if (!used) return spi;
  }
}

//= rfc7296#section-2.10
//# Nonces are random and at least half the PRF's key size; this end sends
//# 32 octets, enough for every PRF the registry holds.
Bytes Peer::NewNonce() {
  Bytes n(32);
  env_.rng->Fill(n);
  return n;
}

IkeSa& Peer::Adopt(std::unique_ptr<IkeSa> sa) {
  IkeSa& ref = *sa;
  sas_[sa->local_spi()] = std::move(sa);
  return ref;
}

IkeSa* Peer::Find(uint64_t local_spi) const {
  auto it = sas_.find(local_spi);
  return it == sas_.end() || it->second->state == IkeState::kDestroyed ? nullptr : it->second.get();
}

std::vector<IkeSa*> Peer::IkeSas() const {
  std::vector<IkeSa*> out;
  for (const auto& [spi, sa] : sas_)
    if (sa->state != IkeState::kDestroyed) out.push_back(sa.get());
  return out;
}

size_t Peer::half_open() const {
  return static_cast<size_t>(
      std::count_if(sas_.begin(), sas_.end(), [](const auto& e) { return e.second->HalfOpen(); }));
}

// ---------------------------------------------------------------------------
// Operations

uint64_t Peer::Initiate() {
  auto sa = std::make_unique<IkeSa>(*this, Role::kInitiator, local_, remote_);
  sa->spi_i = NewIkeSpi();
  IkeSa& ref = Adopt(std::move(sa));
  ref.Queue(MakeIkeInit());
  ref.Queue(MakeIkeAuth());
  return ref.spi_i;
}

namespace {
// The IKE SA an operation applies to: the one named, or the one it was
// rekeyed or reauthenticated into (the same connection, carried on).
Result<IkeSa*> Established(const Peer& peer, uint64_t ike_spi) {
  IkeSa* sa = peer.Find(ike_spi);
  ENSURE(sa != nullptr, kInvalidArgument, kNoOffset, "", fmt::format("no IKE SA with local SPI {:016x}", ike_spi));
  return &sa->ChildHolder();
}
Status NeedChild(IkeSa& sa, uint32_t spi_in) {
  ENSURE(sa.FindChildByInbound(spi_in) != nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("IKE SA {:016x} has no CHILD SA with inbound SPI {:08x}", sa.local_spi(), spi_in));
  return OkStatus();
}
}  // namespace

Status Peer::CreateChild(uint64_t ike_spi, size_t child_config) {
  TRY_ASSIGN(IkeSa * sa, Established(*this, ike_spi));
  ENSURE(child_config < config_.children.size(), kInvalidArgument, kNoOffset, "",
         fmt::format("no CHILD SA configuration #{}", child_config));
  sa->Queue(MakeChildCreate(child_config));
  return OkStatus();
}
Status Peer::RekeyChild(uint64_t ike_spi, uint32_t spi_in) {
  TRY_ASSIGN(IkeSa * sa, Established(*this, ike_spi));
  TRY(NeedChild(*sa, spi_in));
  sa->Queue(MakeChildRekey(spi_in));
  return OkStatus();
}
Status Peer::RekeyIke(uint64_t ike_spi) {
  TRY_ASSIGN(IkeSa * sa, Established(*this, ike_spi));
  sa->Queue(MakeIkeRekey());
  return OkStatus();
}
Status Peer::DeleteChild(uint64_t ike_spi, uint32_t spi_in) {
  TRY_ASSIGN(IkeSa * sa, Established(*this, ike_spi));
  TRY(NeedChild(*sa, spi_in));
  sa->Queue(MakeChildDelete(spi_in));
  return OkStatus();
}
Status Peer::DeleteIke(uint64_t ike_spi) {
  TRY_ASSIGN(IkeSa * sa, Established(*this, ike_spi));
  sa->Queue(MakeIkeDelete());
  return OkStatus();
}
Status Peer::CheckLiveness(uint64_t ike_spi) {
  TRY_ASSIGN(IkeSa * sa, Established(*this, ike_spi));
  sa->Queue(MakeLiveness());
  return OkStatus();
}

Result<uint64_t> Peer::Reauthenticate(uint64_t ike_spi) {
  TRY_ASSIGN(IkeSa * old, Established(*this, ike_spi));
  const uint64_t spi = Initiate();
  Find(spi)->reauthenticates = old->local_spi();
  return spi;
}

// ---------------------------------------------------------------------------
// Datagrams

void Peer::Receive(const Datagram& datagram) {
  ByteSpan message = datagram.data;
  //= rfc7296#section-2.23
  //# On port 4500 an IKE message follows four zero octets; a datagram there
  //# without them is ESP (RFC 3948) and not for IKE.
  if (datagram.destination.port == kNatTraversalPort) {
    if (message.size() < kNonEspMarkerSize ||
        !std::all_of(message.begin(), message.begin() + kNonEspMarkerSize, [](uint8_t b) { return b == 0; }))
      return;
    message = message.subspan(kNonEspMarkerSize);
  }
  const std::optional<Header> h = PeekHeader(message);
  if (!h) return;
  //= rfc7296#section-2.5
  //# A message of a higher major version is dropped; a request is answered
  //# with an unprotected INVALID_MAJOR_VERSION in this end's version.
  if (h->major_version > 2) {
    if (!h->response()) {
      Message r;
      r.header = ResponseHeaderFor(*h);
      r.payloads.push_back(NotifyPayloadOf(iana::NotifyType::kInvalidMajorVersion));
      SendUnprotected(*env_.transport, datagram, std::move(r));
    }
    return;
  }
  if (h->exchange_type == iana::ExchangeType::kIkeSaInit && !h->response() && h->spi_r == 0) {
    HandleInitRequest(datagram, message, *h);
  } else if (IkeSa* sa = Lookup(*h)) {
    sa->Receive(datagram, message);
  } else {
    AnswerUnknownSpi(datagram, *h);
  }
  Sweep();
}

IkeSa* Peer::Lookup(const Header& h) const {
  //= rfc7296#section-2.6
  //# Each end finds its IKE SA by the SPI it chose itself: the responder's
  //# SPI in a message from the original initiator, the initiator's otherwise.
  const uint64_t ours = h.initiator() ? h.spi_r : h.spi_i;
  IkeSa* sa = Find(ours);
  if (sa == nullptr) return nullptr;
  // An IKE_SA_INIT response fills in the responder's SPI.
  if (h.exchange_type == iana::ExchangeType::kIkeSaInit && h.response() && sa->spi_r == 0) return sa;
  return sa->remote_spi() == (h.initiator() ? h.spi_i : h.spi_r) ? sa : nullptr;
}

void Peer::HandleInitRequest(const Datagram& datagram, ByteSpan message, const Header& h) {
  // A retransmitted IKE_SA_INIT request goes to the half-open IKE SA it
  // created, which resends its response.
  for (const auto& [spi, sa] : sas_) {
    if (sa->role == Role::kResponder && sa->spi_i == h.spi_i && sa->remote == datagram.source &&
        sa->state != IkeState::kDestroyed) {
      sa->Receive(datagram, message);
      return;
    }
  }
  //= ipsecref#choice
  //# An IKE_SA_INIT request that does not even decode creates no IKE SA
  //# (it would only fill the half-open table); it is dropped.
  if (!Decode(message).ok()) {
    Log(fmt::format("IKE_SA_INIT from {} dropped: it does not decode", datagram.source.ToString()));
    return;
  }
  const size_t open = half_open();
  if (open >= config_.half_open_limit) {
    Log(fmt::format("IKE_SA_INIT from {} dropped: {} IKE SAs half-open", datagram.source.ToString(), open));
    return;
  }
  if (open >= config_.cookie_threshold) {
    auto m = Decode(message);
    if (!m) return;
    const Payload* nonce = nullptr;
    const NotifyPayload* cookie = nullptr;
    for (const Payload& p : m->payloads) {
      if (p.type == iana::PayloadType::kNonce && nonce == nullptr) nonce = &p;
      if (const NotifyPayload* n = p.as<NotifyPayload>(); n && n->notify_message_type == iana::NotifyType::kCookie)
        cookie = n;
    }
    if (nonce == nullptr) return;
    const ByteSpan ni = nonce->as<NoncePayload>()->nonce_data;
    //= rfc7296#section-2.6
    //# Under load the responder answers an IKE_SA_INIT request without a
    //# valid cookie with N(COOKIE) alone and keeps no state; the initiator
    //# repeats its request with that cookie first.
    if (cookie == nullptr || !CookieValid(cookie->notification_data, ni, datagram.source, h.spi_i)) {
      Message r;
      r.header = ResponseHeaderFor(h);
      r.payloads.push_back(NotifyPayloadOf(iana::NotifyType::kCookie, MakeCookie(ni, datagram.source, h.spi_i)));
      Log(fmt::format("IKE_SA_INIT from {}: answered with a COOKIE ({} half-open)", datagram.source.ToString(), open));
      SendUnprotected(*env_.transport, datagram, std::move(r));
      return;
    }
  }
  auto sa = std::make_unique<IkeSa>(*this, Role::kResponder, datagram.destination, datagram.source);
  sa->spi_i = h.spi_i;
  sa->spi_r = NewIkeSpi();
  Adopt(std::move(sa)).Receive(datagram, message);
}

void Peer::AnswerUnknownSpi(const Datagram& datagram, const Header& h) {
  Log(fmt::format("{} for unknown IKE SA {:016x}_i {:016x}_r from {}", Describe(h), h.spi_i, h.spi_r,
                  datagram.source.ToString()));
  //= rfc7296#section-2.21.4
  //# A request for an IKE SA this end does not know may be answered with an
  //# unprotected INVALID_IKE_SPI notification; a response never is.
  if (h.response() || h.exchange_type == iana::ExchangeType::kIkeSaInit) return;
  Message r;
  r.header = ResponseHeaderFor(h);
  r.header.exchange_type = iana::ExchangeType::kInformational;
  r.payloads.push_back(NotifyPayloadOf(iana::NotifyType::kInvalidIkeSpi));
  SendUnprotected(*env_.transport, datagram, std::move(r));
}

void Peer::Tick() {
  cookie_secrets_->Tick(env_.clock->Now(), *env_.rng);
  for (IkeSa* sa : IkeSas()) sa->Tick();
  Sweep();
}

std::optional<Time> Peer::NextDeadline() const {
  std::optional<Time> next;
  for (const auto& [spi, sa] : sas_) {
    if (sa->state == IkeState::kDestroyed) continue;
    if (auto t = sa->NextDeadline(); t && (!next || *t < *next)) next = t;
  }
  return next;
}

void Peer::Sweep() {
  std::erase_if(sas_, [](const auto& e) { return e.second->state == IkeState::kDestroyed; });
}

// ---------------------------------------------------------------------------
// Cookies

void Peer::set_spi_tag(SpiTag tag) { spi_tag_ = tag; }

void Peer::ShareCookieSecrets(std::shared_ptr<CookieSecrets> secrets) { cookie_secrets_ = std::move(secrets); }

Bytes Peer::MakeCookie(ByteSpan ni, const Endpoint& initiator, uint64_t spi_i) const {
  return cookie_secrets_->Make(ni, initiator, spi_i, env_.clock->Now(), *env_.rng);
}

bool Peer::CookieValid(ByteSpan cookie, ByteSpan ni, const Endpoint& initiator, uint64_t spi_i) const {
  return cookie_secrets_->Valid(cookie, ni, initiator, spi_i, env_.clock->Now(), *env_.rng);
}

}  // namespace ipsecref::ike::sa
