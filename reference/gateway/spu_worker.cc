#include "reference/gateway/spu_worker.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "reference/bytes/bytes.h"
#include "reference/gateway/gateway_impl.h"
#include "reference/gateway/selectors.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/ike/wire/header.h"
#include "reference/ip/packet.h"

namespace ipsecref::gateway {

using ike::sa::ChildSa;
using ike::sa::ChildState;
using ike::sa::Datagram;
using ike::sa::Endpoint;
using ike::sa::IkeSa;
using ike::sa::IkeState;
using ike::sa::Peer;
using ike::sa::Time;

namespace {

std::string_view ChildStateName(ChildState s) {
  switch (s) {
    case ChildState::kInstalled: return "INSTALLED";
    case ChildState::kRekeying: return "REKEYING";
    case ChildState::kRekeyed: return "REKEYED";
    case ChildState::kDeleting: return "DELETING";
  }
  return "?";
}

// The IKE layer's view of a connection for one SPU: its CHILD SA
// configurations, whose `dynamic` selectors the state machine resolves for
// each IKE SA with that SA's addresses.
ike::sa::IkeConfig PeerConfig(const Connection& c, const Options& o) {
  ike::sa::IkeConfig config = c.ike;
  if (o.cookie_threshold) config.cookie_threshold = *o.cookie_threshold;
  if (o.half_open_limit) config.half_open_limit = *o.half_open_limit;
  if (o.fragment_size) config.fragment_mtu = *o.fragment_size;
  config.children.clear();
  for (const ChildSettings& s : c.children) {
    ike::sa::ChildConfig child = s.child;
    // `dynamic` is resolved per IKE SA, with its own addresses.
    child.configured_local_ts = s.local_ts;
    child.configured_remote_ts = s.remote_ts;
    if (auto l = ike::sa::Resolve(s.local_ts, FirstAddress(c.local_addrs))) child.local_ts = std::move(*l);
    if (auto r = ike::sa::Resolve(s.remote_ts, FirstAddress(c.remote_addrs))) child.remote_ts = std::move(*r);
    config.children.push_back(std::move(child));
  }
  config.liveness_delay = c.dpd_delay;
  config.force_encapsulation = c.encap;
  return config;
}

std::string Format(const std::vector<ike::TrafficSelector>& list) {
  std::string out;
  for (const auto& ts : list) out += (out.empty() ? "" : ", ") + ike::sa::FormatTrafficSelector(ts);
  return out;
}

Endpoint EndpointOf(const std::vector<AddressEntry>& list, uint16_t port) { return Endpoint{FirstAddress(list), port}; }

}  // namespace

SpuWorker::SpuWorker(Gateway::Impl& gateway, spu::SpuIndex index) : gw_(gateway), index_(index) {
  rng_ = gw_.options.deterministic_seed != 0 ? crypto::MakeDeterministicRng(gw_.options.deterministic_seed + index)
                                             : crypto::MakeSystemRng();
  const ike::sa::Environment env{gw_.clock, this, rng_.get()};
  for (const Connection& c : gw_.config.connections) {
    peers_.push_back(std::make_unique<Peer>(PeerConfig(c, gw_.options), env, EndpointOf(c.local_addrs, c.local_port),
                                            EndpointOf(c.remote_addrs, c.remote_port)));
    peers_.back()->ShareCookieSecrets(gw_.cookie_secrets);
    peers_.back()->set_spi_tag({index_, gw_.spi_bits});
  }
}

SpuWorker::~SpuWorker() { Stop(); }

void SpuWorker::Start() { thread_ = std::thread([this] { Loop(); }); }

void SpuWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SpuWorker::Push(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void SpuWorker::Run(const std::function<void()>& call) {
  std::promise<void> done;
  Job job;
  job.call = [&] {
    call();
    done.set_value();
  };
  Push(std::move(job));
  done.get_future().wait();
}

void SpuWorker::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_) return;
    if (queue_.empty()) {
      // Sleep until a job comes or a timer is due (at most a second: the
      // injected clock of a test may not be the system's).
      Time wait = 1000;
      if (next_deadline_) {
        const Time now = gw_.Now();
        wait = *next_deadline_ <= now ? 0 : std::min<Time>(*next_deadline_ - now, 1000);
      }
      if (wait > 0) cv_.wait_for(lock, std::chrono::milliseconds(wait));
      if (stop_) return;
      if (queue_.empty()) {
        lock.unlock();
        Tick();
        lock.lock();
        continue;
      }
    }
    std::deque<Job> jobs;
    jobs.swap(queue_);
    lock.unlock();
    // ESP in and out changes no IKE state; an IKE message, only the IKE SAs
    // it reached (and those the state machine's events name).
    bool ike = false, call = false;
    touched_.clear();
    for (Job& job : jobs) {
      Process(job);
      ike = ike || job.kind == Job::Kind::kIke;
      call = call || job.kind == Job::Kind::kCall;
    }
    if (ike) Sync(&touched_);
    if (ike || call) next_deadline_ = NextDeadline();
    // Timers run under a steady stream of packets too (rekeys,
    // retransmissions and liveness checks must not starve).
    if (next_deadline_ && *next_deadline_ <= gw_.Now()) Tick();
    lock.lock();
  }
}

void SpuWorker::Process(Job& job) {
  switch (job.kind) {
    case Job::Kind::kIke: ProcessIke(job); break;
    case Job::Kind::kEsp: ProcessEsp(job); break;
    case Job::Kind::kInner: ProcessInner(job); break;
    case Job::Kind::kCall:
      // A control call may read what the jobs before it changed.
      Sync(&touched_);
      touched_.clear();
      job.call();
      break;
  }
}

void SpuWorker::Tick() {
  for (auto& p : peers_) p->Tick();
  SendKeepalives(gw_.Now());
  Sync();
  next_deadline_ = NextDeadline();
}

std::optional<Time> SpuWorker::NextDeadline() const {
  std::optional<Time> next;
  for (const auto& p : peers_)
    if (auto t = p->NextDeadline(); t && (!next || *t < *next)) next = t;
  for (const auto& [spi, r] : ikes_) {
    const Time t = r.last_sent + gw_.options.keepalive_interval;
    if (!next || t < *next) next = t;
  }
  return next;
}

size_t SpuWorker::half_open() const {
  size_t n = 0;
  for (const auto& p : peers_) n += p->half_open();
  return n;
}

void SpuWorker::Send(Datagram datagram) {
  gw_.counters.ike_out.fetch_add(1, std::memory_order_relaxed);
  gw_.wire.SendUdp(datagram);
}

// ---------------------------------------------------------------------------
// IKE

void SpuWorker::ProcessIke(Job& job) {
  const std::optional<ike::Header> h = ike::PeekHeader(
      job.datagram.destination.port == ike::sa::kNatTraversalPort && job.datagram.data.size() >= ike::sa::kNonEspMarkerSize
          ? ByteSpan(job.datagram.data).subspan(ike::sa::kNonEspMarkerSize)
          : ByteSpan(job.datagram.data));
  if (job.connection) {
    Peer& peer = *peers_[*job.connection];
    peer.Receive(job.datagram);
    // Did the request make an IKE SA? The state machine keeps none for one
    // it refused or answered with a COOKIE (RFC 7296 §2.6).
    IkeSa* made = nullptr;
    for (IkeSa* sa : peer.IkeSas())
      if (h && sa->role == ike::sa::Role::kResponder && sa->spi_i == h->spi_i && sa->remote == job.datagram.source &&
          ikes_.count(sa->local_spi()) == 0)
        made = sa;
    // A copy of a request placed before: the state machine answers it.
    if (job.anchor.empty()) {
      //= ipsecref#choice
      //# A "copy" may still make an IKE SA: the retry that carries a COOKIE
      //# comes from the same SPI and address as the request the COOKIE
      //# answered, and can arrive while that request's placement is being
      //# undone. The IKE SA is anchored on this SPU, which made it.
      if (made != nullptr) {
        Adopt(*job.connection, *made, nullptr, "created by a request taken for a copy of one placed here");
        touched_.push_back(made->local_spi());
      }
      return;
    }
    if (made != nullptr) {
      IkeRecord r;
      r.connection = *job.connection;
      r.name = job.anchor;
      r.last_sent = gw_.Now();
      r.pending = PendingKeyOf(h->spi_i, job.datagram.source);
      ikes_.emplace(made->local_spi(), std::move(r));
      touched_.push_back(made->local_spi());
    } else {
      {
        std::lock_guard a(gw_.anchor_mu);
        (void)gw_.anchoring.Remove(job.anchor);
      }
      std::unique_lock routes(gw_.routes_mu);
      gw_.pending.erase(PendingKeyOf(h->spi_i, job.datagram.source));
    }
    return;
  }
  // An IKE SA of this SPU, or (routed here for want of one) none: the
  // Peer of its connection answers, or the first Peer answers for an
  // unknown SPI as §2.21.4 says.
  if (h) {
    const uint64_t local = h->initiator() ? h->spi_r : h->spi_i;
    if (auto it = ikes_.find(local); it != ikes_.end()) {
      peers_[it->second.connection]->Receive(job.datagram);
      touched_.push_back(local);
      return;
    }
  }
  if (!peers_.empty()) peers_[0]->Receive(job.datagram);
}

Result<std::string> SpuWorker::Initiate(size_t connection, const std::string& anchor) {
  Peer& peer = *peers_[connection];
  const uint64_t spi = peer.Initiate();
  IkeRecord r;
  r.connection = connection;
  r.name = anchor;
  r.last_sent = gw_.Now();
  ikes_.emplace(spi, std::move(r));
  const std::vector<uint64_t> scope{spi};
  Sync(&scope);
  auto it = ikes_.find(spi);
  ENSURE(it != ikes_.end(), kInvalidArgument, kNoOffset, "", "the IKE SA was given up at once");
  return it->second.name;
}

Result<SpuWorker::Named> SpuWorker::Find(std::string_view name) const {
  for (const auto& [spi, r] : ikes_)
    if (r.name == name) return Named{peers_[r.connection].get(), spi, 0};
  for (const auto& [spi_in, c] : children_)
    if (c.name == name) {
      const auto it = ikes_.find(c.ike);
      if (it != ikes_.end()) return Named{peers_[it->second.connection].get(), c.ike, spi_in};
    }
  return MakeError(Code::kInvalidArgument, kNoOffset, "", fmt::format("no IKE SA or CHILD SA named {}", name));
}

Status SpuWorker::CreateChild(std::string_view ike, size_t child) {
  TRY_ASSIGN(Named n, Find(ike));
  return n.peer->CreateChild(n.ike, child);
}

Status SpuWorker::Terminate(std::string_view name) {
  TRY_ASSIGN(Named n, Find(name));
  if (n.child != 0) return n.peer->DeleteChild(n.ike, n.child);
  return n.peer->DeleteIke(n.ike);
}

Status SpuWorker::Rekey(std::string_view name) {
  TRY_ASSIGN(Named n, Find(name));
  if (n.child != 0) return n.peer->RekeyChild(n.ike, n.child);
  return n.peer->RekeyIke(n.ike);
}

Status SpuWorker::CheckLiveness(std::string_view name) {
  TRY_ASSIGN(Named n, Find(name));
  return n.peer->CheckLiveness(n.ike);
}

void SpuWorker::PeerDead(size_t connection) {
  const Connection& c = gw_.config.connections[connection];
  //= rfc7296#section-2.4
  //# What follows a dead peer is the implementation's: swanctl.conf's
  //# dpd_action says (clear: forget it; trap: the trap policies stay armed;
  //# restart: initiate again at once).
  const bool restart = std::any_of(c.children.begin(), c.children.end(),
                                   [](const ChildSettings& s) { return s.dpd_action == DpdAction::kRestart; });
  if (!restart) return;
  auto placed = gw_.Place(connection);
  if (!placed) {
    Log(LogLevel::kError, fmt::format("{}: dpd_action = restart: {}", c.name, placed.error().ToString()));
    return;
  }
  Log(LogLevel::kInfo, fmt::format("{}: dpd_action = restart: initiating again", c.name));
  SpuWorker* target = gw_.spus[placed->first].get();
  Job job;
  job.call = [target, connection, anchor = placed->second] { (void)target->Initiate(connection, anchor); };
  target->Push(std::move(job));
}

void SpuWorker::SendKeepalives(Time now) {
  //= rfc3948#section-4
  //# An end behind a NAT sends a NAT-keepalive when it has sent the peer
  //# nothing else for a while, so that the NAT keeps its mapping.
  //= ipsecref#choice
  //# The while is 20 s (strongSwan's keep_alive default); ESP sent to the
  //# peer counts as something else.
  for (auto& [spi, r] : ikes_) {
    if (now < r.last_sent + gw_.options.keepalive_interval) continue;
    r.last_sent = now;
    const IkeSa* sa = peers_[r.connection]->Find(spi);
    if (sa == nullptr || !sa->nat_here || sa->state != IkeState::kEstablished) continue;
    Datagram d;
    d.source = sa->local;
    d.destination = sa->remote;
    d.data = {0xff};
    gw_.wire.SendUdp(d);
  }
}

// ---------------------------------------------------------------------------
// ESP

uint64_t SpuWorker::OutboundKey(uint32_t spi_in) const { return (uint64_t{index_} << 32) | spi_in; }

void SpuWorker::ProcessEsp(Job& job) {
  auto it = children_.find(job.spi);
  if (it == children_.end() || !it->second.in) {
    gw_.counters.Count(Drop::kUnknownSpi);
    return;
  }
  Installed& c = it->second;
  auto un = c.in->UnprotectInPlace(job.packet);
  if (!un) {
    const Code code = un.error().code;
    //= rfc4303#section-2.6
    //# A dummy packet (next header 59) is discarded after it is checked.
    if (code == Code::kDummyPacket) return;
    gw_.counters.Count(code == Code::kIcvMismatch ? Drop::kAuthentication
                       : code == Code::kReplay || code == Code::kStale ? Drop::kReplay
                                                                                : Drop::kEspOther);
    Log(LogLevel::kDebug, fmt::format("{}: ESP SPI {:08x} dropped: {}", c.name, job.spi, un.error().ToString()));
    return;
  }
  //= rfc4303#section-2.6
  //# On a tunnel-mode SA the Payload Data is an IP packet: Next Header 4
  //# (IPv4) or 41 (IPv6), agreeing with the inner header; anything else is
  //# not delivered as one.
  const uint8_t next_header = un->next_header;
  auto view = ip::Parse(un->payload);
  if ((next_header != 4 && next_header != 41) || !view || view->version != (next_header == 4 ? 4 : 6)) {
    gw_.counters.Count(Drop::kEspOther);
    Log(LogLevel::kDebug, fmt::format("{}: ESP SPI {:08x} dropped: next header {} on a tunnel-mode SA{}", c.name,
                                      job.spi, next_header, view ? "" : ", and no IP packet inside"));
    return;
  }
  //= rfc4303#section-2.7
  //# Bytes after the inner packet's own length are TFC padding: removed.
  const ByteSpan inner = un->payload.first(std::min(un->payload.size(), view->total_length));
  //= rfc4301#section-5.2
  //# After decryption the packet must match the selectors of the SA it
  //# came on; otherwise it is discarded (and the event audited).
  if (Status s = CheckInboundSelectors(c.inbound_selectors, inner); !s) {
    gw_.counters.Count(Drop::kPolicyMismatch);
    Log(LogLevel::kWarning, fmt::format("{}: inbound packet dropped: {}", c.name, s.error().ToString()));
    return;
  }
  ++c.packets_in;
  c.bytes_in += inner.size();
  gw_.counters.inner_out.fetch_add(1, std::memory_order_relaxed);
  gw_.wire.Deliver(inner);
}

void SpuWorker::ProcessInner(Job& job) {
  auto it = children_.find(job.spi);
  if (it == children_.end() || !it->second.out) {
    gw_.counters.Count(Drop::kNoPolicy);
    return;
  }
  Installed& c = it->second;
  const uint8_t next_header = !job.packet.empty() && (job.packet[0] >> 4) == 6 ? 41 : 4;
  Bytes esp;
  if (Status s = c.out->Protect(job.packet, next_header, esp); !s) {
    gw_.counters.Count(Drop::kSendFailed);
    Log(LogLevel::kWarning, fmt::format("{}: outbound packet dropped: {}", c.name, s.error().ToString()));
    return;
  }
  ++c.packets_out;
  c.bytes_out += job.packet.size();
  if (auto ike = ikes_.find(c.ike); ike != ikes_.end()) ike->second.last_sent = gw_.Now();
  gw_.counters.esp_out.fetch_add(1, std::memory_order_relaxed);
  if (c.encapsulated) {
    //= rfc3948#section-2.1
    //# ESP in UDP is sent on the NAT-T port, to the port the peer's IKE
    //# messages come from (a NAT may have changed it).
    Datagram d;
    d.source = c.local;
    d.destination = c.remote;
    d.data = std::move(esp);
    gw_.wire.SendUdp(d);
  } else {
    gw_.wire.SendEsp(esp, c.local.address, c.remote.address);
  }
}

// ---------------------------------------------------------------------------
// Keeping the tables in step

void SpuWorker::Sync(const std::vector<uint64_t>* scope) {
  std::vector<uint64_t> touched;
  if (scope != nullptr) touched = *scope;
  // The state machine's events, with the IKE SA's name in front.
  for (size_t c = 0; c < peers_.size(); ++c)
    for (ike::sa::Event& e : peers_[c]->TakeEvents()) {
      auto it = ikes_.find(e.ike_spi);
      const std::string& name = it != ikes_.end() ? it->second.name : "-";
      Log(e.peer_dead ? LogLevel::kWarning : LogLevel::kInfo,
          fmt::format("{} {}: {}", name, gw_.config.connections[c].name, e.text));
      if (e.peer_dead) PeerDead(c);
      if (e.ike_spi != 0) touched.push_back(e.ike_spi);
    }
  if (scope != nullptr) {
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (uint64_t spi : touched) SyncRecord(spi);
    return;
  }
  // Every IKE SA: first those the state machine made that have no record
  // yet (an IKE SA rekey's, a collision's loser), then every record.
  for (size_t c = 0; c < peers_.size(); ++c)
    for (IkeSa* sa : peers_[c]->IkeSas()) {
      if (ikes_.count(sa->local_spi()) != 0) continue;
      IkeRecord* predecessor = nullptr;
      for (auto& [spi, old] : ikes_) {
        const IkeSa* o = peers_[old.connection]->Find(spi);
        if (o != nullptr && o->replaced_by == sa->local_spi() && !old.replaced) predecessor = &old;
      }
      Adopt(c, *sa, predecessor);
    }
  std::vector<uint64_t> all;
  for (const auto& [spi, r] : ikes_) all.push_back(spi);
  for (uint64_t spi : all) SyncRecord(spi);
}

void SpuWorker::Adopt(size_t connection, const IkeSa& sa, IkeRecord* predecessor, std::string_view origin) {
  IkeRecord r;
  r.connection = connection;
  r.last_sent = gw_.Now();
  {
    std::lock_guard a(gw_.anchor_mu);
    r.name = fmt::format("IKE-{}", gw_.next_ike++);
    if (predecessor != nullptr) {
      //= rfc7296#section-1.3.2
      //# The IKE SA a rekey creates carries on the old one's CHILD SAs; here
      //# it also takes over its anchor (spu.follow-ike-sa).
      predecessor->replaced = true;
      (void)gw_.anchoring.Rekey(predecessor->name, r.name);
    } else {
      (void)gw_.anchoring.Add(
          gw_.config.connections[connection].site_to_site() ? spu::Kind::kGateway : spu::Kind::kDynamic, r.name, {},
          index_);
    }
  }
  Log(LogLevel::kInfo, fmt::format("{} {:016x}_i {:016x}_r: {}", r.name, sa.spi_i, sa.spi_r,
                                   predecessor != nullptr ? fmt::format("created by an IKE SA rekey of {}", predecessor->name)
                                                          : std::string(origin)));
  ikes_.emplace(sa.local_spi(), std::move(r));
}

bool SpuWorker::SyncRecord(uint64_t spi) {
  auto it = ikes_.find(spi);
  if (it == ikes_.end()) return false;
  IkeRecord& record = it->second;
  IkeSa* sa = peers_[record.connection]->Find(spi);
  if (sa != nullptr && sa->state != IkeState::kDestroyed) {
    SyncIke(spi, record, *sa);
    // Its successor, made by a rekey (as either end), joins with its anchor.
    for (uint64_t next : {sa->replaced_by, sa->peer_rekeyed_into}) {
      if (next == 0 || ikes_.count(next) != 0) continue;
      const IkeSa* n = peers_[record.connection]->Find(next);
      if (n == nullptr) continue;
      Adopt(record.connection, *n, next == sa->replaced_by && !ikes_.at(spi).replaced ? &ikes_.at(spi) : nullptr);
      SyncRecord(next);
    }
    return true;
  }
  const std::set<uint32_t> children = record.children;
  for (uint32_t spi_in : children) Uninstall(spi_in);
  {
    std::lock_guard a(gw_.anchor_mu);
    if (!record.replaced) (void)gw_.anchoring.Remove(record.name);
  }
  if (record.pending) {
    std::unique_lock routes(gw_.routes_mu);
    gw_.pending.erase(*record.pending);
  }
  Log(LogLevel::kInfo, fmt::format("{} {}: gone", record.name, gw_.config.connections[record.connection].name));
  gw_.trap_pending[record.connection] = false;
  ikes_.erase(it);
  return false;
}

void SpuWorker::SyncIke(uint64_t spi, IkeRecord& record, IkeSa& sa) {
  // A provisional anchor becomes "IKE-n" once the IKE SA exists.
  if (record.name.rfind("IKE-", 0) != 0) {
    std::lock_guard a(gw_.anchor_mu);
    const std::string name = fmt::format("IKE-{}", gw_.next_ike++);
    if (gw_.anchoring.Rekey(record.name, name)) {
      if (record.pending) {
        std::unique_lock routes(gw_.routes_mu);
        if (auto p = gw_.pending.find(*record.pending); p != gw_.pending.end()) p->second.anchor = name;
      }
      record.name = name;
    }
  }
  if (sa.has_keys() && sa.spi_r != 0 && !record.keys_seen) {
    record.keys_seen = true;
    if (gw_.keys) Exported(gw_.keys->Add(IkeKeysOf(sa)));
    if (gw_.options.log_secrets)
      Log(LogLevel::kInfo, fmt::format("{} {:016x}_i {:016x}_r keys: SK_d {} SK_ai {} SK_ar {} SK_ei {} SK_er {}",
                                       record.name, sa.spi_i, sa.spi_r, ToHex(sa.keys.sk_d), ToHex(sa.keys.sk_ai),
                                       ToHex(sa.keys.sk_ar), ToHex(sa.keys.sk_ei), ToHex(sa.keys.sk_er)));
  }
  if (sa.state == IkeState::kEstablished && record.pending) {
    std::unique_lock routes(gw_.routes_mu);
    gw_.pending.erase(*record.pending);
    record.pending.reset();
  }
  // CHILD SAs: install the new ones, follow the state of the others.
  for (const ChildSa& c : sa.children) {
    auto it = children_.find(c.spi_in);
    if (it == children_.end()) {
      if (c.spi_out != 0 && !(c.encr_in().empty() && c.integ_in().empty())) Install(record, sa, c);
      continue;
    }
    Installed& in = it->second;
    if (in.ike != spi) {
      // Moved over by an IKE SA rekey.
      if (auto old = ikes_.find(in.ike); old != ikes_.end()) old->second.children.erase(c.spi_in);
      in.ike = spi;
      record.children.insert(c.spi_in);
    }
    in.local = sa.local;
    in.remote = sa.remote;
    if (in.encapsulated) in.local.port = ike::sa::kNatTraversalPort;
    // A rekeyed CHILD SA hands outbound traffic to its successor.
    if (in.policy && (c.state == ChildState::kRekeyed || c.state == ChildState::kDeleting)) {
      std::unique_lock routes(gw_.routes_mu);
      (void)gw_.spd.Remove(in.name);
      in.policy = false;
    }
  }
  const std::set<uint32_t> mine = record.children;
  for (uint32_t spi_in : mine)
    if (sa.ChildHolder().FindChildByInbound(spi_in) == nullptr && sa.FindChildByInbound(spi_in) == nullptr)
      Uninstall(spi_in);
}

void SpuWorker::Install(IkeRecord& record, IkeSa& sa, const ChildSa& c) {
  if (refused_.count(c.spi_in) != 0) return;
  if (c.protocol != iana::SecurityProtocol::kEsp || c.transport_mode) {
    refused_.insert(c.spi_in);
    //= ipsecref#choice
    //# The gateway's dataplane carries ESP in tunnel mode (as strongSwan's
    //# kernel-libipsec does); other CHILD SAs are negotiated but carry nothing.
    Log(LogLevel::kWarning, fmt::format("{}: CHILD SA {:08x}_i is {} {}: negotiated, but the dataplane carries only "
                                        "ESP in tunnel mode",
                                        record.name, c.spi_in, c.protocol == iana::SecurityProtocol::kAh ? "AH" : "ESP",
                                        c.transport_mode ? "transport" : "tunnel"));
    return;
  }
  Installed in;
  in.ike = sa.local_spi();
  in.config = c.config_name;
  in.encapsulated = sa.nat_here || sa.nat_there;
  in.local = sa.local;
  in.remote = sa.remote;
  if (in.encapsulated) in.local.port = ike::sa::kNatTraversalPort;
  esp::SaConfig inbound, outbound;
  for (esp::SaConfig* s : {&inbound, &outbound}) {
    s->mode = esp::Mode::kTunnel;
    s->encr = c.suite.encr;
    s->integ = c.suite.integ;
    s->esn = c.suite.esn == iana::EsnType::kEsn;
    s->rng = rng_.get();
    //= ipsecref#choice
    //# The receiver's replay window is 1024 packets wide, as on the rest of
    //# the reference's receive paths.
    s->replay_window = 1024;
    //= rfc4303#section-2.4
    //# The receiver inspects the default Padding (a SHOULD): a packet whose
    //# Padding is not 1, 2, 3, ... is dropped.
    s->strict_padding = true;
  }
  inbound.spi = c.spi_in;
  inbound.tunnel_src = sa.remote.address;
  inbound.tunnel_dst = sa.local.address;
  outbound.tunnel_src = sa.local.address;
  outbound.tunnel_dst = sa.remote.address;
  inbound.encr_key = c.encr_in();
  inbound.integ_key = c.integ_in();
  outbound.spi = c.spi_out;
  outbound.encr_key = c.encr_out();
  outbound.integ_key = c.integ_out();
  auto in_sa = esp::Sa::Create(inbound);
  auto out_sa = esp::Sa::Create(outbound);
  if (!in_sa || !out_sa) {
    refused_.insert(c.spi_in);
    Log(LogLevel::kError, fmt::format("{}: CHILD SA {:08x}_i cannot be installed: {}", record.name, c.spi_in,
                                      (!in_sa ? in_sa.error() : out_sa.error()).ToString()));
    return;
  }
  in.in = std::move(*in_sa);
  in.out = std::move(*out_sa);
  in.inbound_selectors = SelectorsOf(c.local_ts, c.remote_ts);
  {
    std::lock_guard a(gw_.anchor_mu);
    in.name = fmt::format("IPsec-{}", gw_.next_child++);
    // The tunnel follows its IKE SA (spu.follow-ike-sa).
    (void)gw_.anchoring.Add(spu::Kind::kTunnel, in.name, record.name);
  }
  {
    std::unique_lock routes(gw_.routes_mu);
    if (c.state == ChildState::kInstalled || c.state == ChildState::kRekeying) {
      spd::Policy p = OutboundPolicy(in.name, c.local_ts, c.remote_ts, OutboundKey(c.spi_in));
      p.newest_first = true;  // a newer CHILD SA of the same selectors carries the traffic
      in.policy = gw_.spd.Add(std::move(p)).ok();
    }
  }
  if (gw_.keys) {
    Exported(gw_.keys->Add(InboundKeysOf(sa, c, in.encapsulated)));
    Exported(gw_.keys->Add(OutboundKeysOf(sa, c, in.encapsulated)));
  }
  record.children.insert(c.spi_in);
  if (gw_.options.log_secrets)
    Log(LogLevel::kInfo, fmt::format("{} keys: inbound {:08x} encr {} integ {}, outbound {:08x} encr {} integ {}", in.name,
                                     c.spi_in, ToHex(c.encr_in()), ToHex(c.integ_in()), c.spi_out, ToHex(c.encr_out()),
                                     ToHex(c.integ_out())));
  Log(LogLevel::kInfo, fmt::format("{} {}: CHILD SA {} {:08x}_i {:08x}_o installed, {} === {}{}", record.name,
                                   gw_.config.connections[record.connection].name, in.name, c.spi_in, c.spi_out,
                                   Format(c.local_ts), Format(c.remote_ts), in.encapsulated ? ", ESP in UDP" : ""));
  children_.emplace(c.spi_in, std::move(in));
}

Status SpuWorker::InstallManual(const ManualTunnel& t) {
  Installed in;
  in.name = t.name;
  in.config = t.name;
  in.encapsulated = t.udp_encapsulation;
  in.local.address = t.local_addr;
  in.remote.address = t.remote_addr;
  in.local.port = in.remote.port = ike::sa::kNatTraversalPort;
  esp::SaConfig inbound, outbound;
  for (esp::SaConfig* s : {&inbound, &outbound}) {
    s->mode = esp::Mode::kTunnel;
    s->encr = t.encr;
    s->integ = t.integ;
    s->rng = rng_.get();
    s->replay_window = 1024;
    s->strict_padding = true;
    s->esn = t.esn;
  }
  inbound.spi = t.spi_in;
  inbound.tunnel_src = outbound.tunnel_dst = t.remote_addr;
  inbound.tunnel_dst = outbound.tunnel_src = t.local_addr;
  inbound.encr_key = t.encr_key_in;
  inbound.integ_key = t.integ_key_in;
  outbound.spi = t.spi_out;
  outbound.encr_key = t.encr_key_out;
  outbound.integ_key = t.integ_key_out;
  TRY_ASSIGN(in.in, esp::Sa::Create(inbound));
  TRY_ASSIGN(in.out, esp::Sa::Create(outbound));
  in.inbound_selectors = SelectorsOf(t.local_ts, t.remote_ts);
  {
    std::unique_lock routes(gw_.routes_mu);
    ENSURE(gw_.manual_routes.count(t.spi_in) == 0, kInvalidArgument, kNoOffset, "rfc4301#section-4.1",
           fmt::format("manual tunnel {}: inbound SPI {:08x} is in use", t.name, t.spi_in));
    gw_.manual_routes[t.spi_in] = index_;
    TRY(gw_.spd.Add(OutboundPolicy(t.name, t.local_ts, t.remote_ts, OutboundKey(t.spi_in))));
    in.policy = true;
  }
  Log(LogLevel::kInfo, fmt::format("manual tunnel {} {:08x}_i {:08x}_o installed, {} === {}", t.name, t.spi_in,
                                   t.spi_out, Format(t.local_ts), Format(t.remote_ts)));
  children_.emplace(t.spi_in, std::move(in));
  return OkStatus();
}

void SpuWorker::Uninstall(uint32_t spi_in) {
  auto it = children_.find(spi_in);
  if (it == children_.end()) return;
  if (auto owner = ikes_.find(it->second.ike); owner != ikes_.end()) owner->second.children.erase(spi_in);
  {
    std::unique_lock routes(gw_.routes_mu);
    gw_.manual_routes.erase(spi_in);
    if (it->second.policy) (void)gw_.spd.Remove(it->second.name);
  }
  {
    std::lock_guard a(gw_.anchor_mu);
    (void)gw_.anchoring.Remove(it->second.name);
  }
  Log(LogLevel::kInfo, fmt::format("CHILD SA {} {:08x}_i removed ({} packets in, {} out)", it->second.name, spi_in,
                                   it->second.packets_in, it->second.packets_out));
  children_.erase(it);
}

void SpuWorker::List(std::vector<IkeSaStatus>& out) {
  for (const auto& [spi, r] : ikes_) {
    const IkeSa* sa = peers_[r.connection]->Find(spi);
    if (sa == nullptr) continue;
    IkeSaStatus s;
    s.name = r.name;
    s.connection = gw_.config.connections[r.connection].name;
    s.spu = index_;
    s.role = sa->role == ike::sa::Role::kInitiator ? "initiator" : "responder";
    s.state = std::string(ike::sa::Name(sa->state));
    s.spi_i = sa->spi_i;
    s.spi_r = sa->spi_r;
    s.local = sa->local.ToString();
    s.remote = sa->remote.ToString();
    for (const ChildSa& c : sa->children) {
      ChildSaStatus cs;
      auto it = children_.find(c.spi_in);
      cs.name = it != children_.end() ? it->second.name : fmt::format("({:08x})", c.spi_in);
      cs.config = c.config_name;
      cs.spi_in = c.spi_in;
      cs.spi_out = c.spi_out;
      cs.state = std::string(ChildStateName(c.state));
      cs.mode = c.transport_mode ? "TRANSPORT" : "TUNNEL";
      cs.local_ts = Format(c.local_ts);
      cs.remote_ts = Format(c.remote_ts);
      if (it != children_.end()) {
        cs.encapsulated = it->second.encapsulated;
        cs.packets_in = it->second.packets_in;
        cs.bytes_in = it->second.bytes_in;
        cs.packets_out = it->second.packets_out;
        cs.bytes_out = it->second.bytes_out;
      }
      s.children.push_back(std::move(cs));
    }
    out.push_back(std::move(s));
  }
}

void SpuWorker::Exported(const Result<std::optional<std::string>>& result) {
  if (!result) {
    Log(LogLevel::kError, fmt::format("key files: {}", result.error().ToString()));
  } else if (*result) {
    Log(LogLevel::kInfo, fmt::format("key files: {}", **result));
  }
}

void SpuWorker::Log(LogLevel level, std::string text) {
  gw_.Log(level, fmt::format("[SPU{}] {}", index_, text));
}

}  // namespace ipsecref::gateway
