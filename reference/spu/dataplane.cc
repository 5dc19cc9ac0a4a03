#include "reference/spu/dataplane.h"

#include <fmt/format.h>

#include <future>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "reference/esp/esp_packet.h"
#include "reference/spu/queue.h"

namespace ipsecref::spu {
namespace {

using iana::IpProtocol;
using io::PacketKind;

struct DropInfo {
  DispatchDrop drop;
  std::string_view name;
};
constexpr std::array<DropInfo, kDispatchDrops> kDrops{{
    {DispatchDrop::kMalformed, "malformed"},
    {DispatchDrop::kNotIpsec, "not_ipsec"},
    {DispatchDrop::kFragment, "fragment"},
    {DispatchDrop::kNoSpi, "no_spi"},
    {DispatchDrop::kUnknownSpi, "unknown_spi"},
    {DispatchDrop::kUnknownIkeSpi, "unknown_ike_spi"},
    {DispatchDrop::kQueueFull, "queue_full"},
    {DispatchDrop::kNatKeepalive, "nat_keepalive"},
}};

// How the dispatcher routes each kind of packet: by the ESP or the AH SPI,
// by the IKE SPIs, or not at all (the drop it counts).
enum class RouteBy : uint8_t { kEspSpi, kAhSpi, kIkeSpis, kNone };
struct KindRoute {
  PacketKind kind;
  RouteBy by;
  DispatchDrop otherwise;  // kNone: why it is dropped
};
constexpr std::array<KindRoute, io::kPacketKinds> kKindRoutes{{
    {PacketKind::kNotIp, RouteBy::kNone, DispatchDrop::kMalformed},
    {PacketKind::kLinkError, RouteBy::kNone, DispatchDrop::kMalformed},
    {PacketKind::kMalformedIp, RouteBy::kNone, DispatchDrop::kMalformed},
    {PacketKind::kIke, RouteBy::kIkeSpis, DispatchDrop::kUnknownIkeSpi},
    {PacketKind::kIkeNatT, RouteBy::kIkeSpis, DispatchDrop::kUnknownIkeSpi},
    {PacketKind::kNatKeepalive, RouteBy::kNone, DispatchDrop::kNatKeepalive},
    {PacketKind::kEsp, RouteBy::kEspSpi, DispatchDrop::kUnknownSpi},
    {PacketKind::kEspInUdp, RouteBy::kEspSpi, DispatchDrop::kUnknownSpi},
    {PacketKind::kAh, RouteBy::kAhSpi, DispatchDrop::kUnknownSpi},
    {PacketKind::kOther, RouteBy::kNone, DispatchDrop::kNotIpsec},
}};

struct IkeKey {
  uint64_t initiator, responder;
  bool operator==(const IkeKey&) const = default;
};
struct IkeKeyHash {
  size_t operator()(const IkeKey& k) const {
    return std::hash<uint64_t>{}(k.initiator * 0x9e3779b97f4a7c15ULL ^ k.responder);
  }
};

// A counter with one writer (its SPU's thread) and any number of readers.
void Bump(std::atomic<uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

std::string_view DropName(DispatchDrop drop) { return kDrops.at(static_cast<size_t>(drop)).name; }

struct Spu;
using Control = std::function<void(Spu&)>;

struct Work {
  Packet packet;
  PacketKind kind = PacketKind::kEsp;
  uint32_t spi = 0;
  size_t payload_offset = 0;
  Control control;  // set: a control item, run on the SPU's thread
};

//= DESIGN.md "Multi-SPU anchoring"
//# Every packet of an SA is processed on its anchor SPU: its state has one
//# writer. The SA tables below are touched by this SPU's thread only.
struct alignas(64) Spu {
  Spu(SpuIndex i, size_t capacity, const Sink* s) : index(i), queue(capacity), sink(s) {}

  SpuIndex index;
  BoundedQueue<Work> queue;
  const Sink* sink;
  std::unordered_map<uint32_t, std::unique_ptr<esp::Sa>> esp;
  std::unordered_map<uint32_t, std::unique_ptr<ah::Sa>> ah;
  std::atomic<uint64_t> processed{0}, decapsulated{0}, ike{0};
  std::array<std::atomic<uint64_t>, kCodeCount> rejected{};
  std::thread thread;

  void Run() {
    std::vector<Work> batch;
    while (queue.Pop(batch)) {
      for (Work& w : batch) Handle(w);
      batch.clear();
    }
  }

  void Handle(Work& w) {
    if (w.control) {
      w.control(*this);
      return;
    }
    Bump(processed);
    Outcome o{index, w.packet.tag, w.kind, w.spi};
    std::optional<Error> error;
    Bytes decapsulated_packet;
    switch (kKindRoutes[static_cast<size_t>(w.kind)].by) {
      case RouteBy::kEspSpi: {
        auto r = esp::Decapsulate(
            [this](uint32_t spi) -> esp::Sa* {
              auto it = esp.find(spi);
              return it == esp.end() ? nullptr : it->second.get();
            },
            w.packet.data);
        if (r) {
          o.seq = r->seq;
          decapsulated_packet = std::move(r->packet);
        } else {
          error = std::move(r).error();
        }
        break;
      }
      case RouteBy::kAhSpi: {
        auto it = ah.find(w.spi);
        if (it == ah.end()) {
          //= rfc4302#section-3.4.2
          //# No SA for the SPI: the packet is dropped (an auditable event).
          error = MakeError(Code::kNoSa, w.payload_offset + 4, "rfc4302#section-3.4.2",
                            fmt::format("no SA for SPI {:#010x} (removed while queued)", w.spi));
          break;
        }
        auto r = it->second->Verify(w.packet.data);
        if (r) {
          o.seq = r->sequence_number;
          decapsulated_packet = std::move(r->packet);
        } else {
          error = std::move(r).error();
        }
        break;
      }
      case RouteBy::kIkeSpis:
        Bump(ike);
        o.packet = ByteSpan(w.packet.data).subspan(std::min(w.payload_offset, w.packet.data.size()));
        break;
      case RouteBy::kNone: break;  // never queued
    }
    if (error) {
      Bump(rejected[static_cast<size_t>(error->code)]);
      o.error = &*error;
    } else if (o.kind != PacketKind::kIke && o.kind != PacketKind::kIkeNatT) {
      Bump(decapsulated);
      o.packet = decapsulated_packet;
    }
    if (*sink) (*sink)(o);
  }
};

// What a name in the anchoring owns in the routing tables.
struct Owned {
  std::vector<std::pair<IpProtocol, uint32_t>> spis;
  std::vector<IkeKey> ike;
};

// SAs created by the control plane, on their way to their SPU.
struct Prepared {
  std::vector<std::unique_ptr<esp::Sa>> esp;
  std::vector<std::unique_ptr<ah::Sa>> ah;
  Owned owned;
};

struct Dataplane::Impl {
  explicit Impl(DataplaneConfig c, Anchoring a) : config(std::move(c)), anchoring(std::move(a)) {}

  DataplaneConfig config;
  std::vector<std::unique_ptr<Spu>> spus;

  // Read by every dispatcher, written by the control plane.
  mutable std::shared_mutex routes_mu;
  std::unordered_map<uint32_t, SpuIndex> esp_routes, ah_routes;
  std::unordered_map<IkeKey, SpuIndex, IkeKeyHash> ike_routes;

  // The control plane, one call at a time.
  mutable std::mutex control_mu;
  Anchoring anchoring;
  std::map<std::string, Owned, std::less<>> owned;

  std::atomic<uint64_t> received{0}, queued{0};
  std::array<std::atomic<uint64_t>, kDispatchDrops> dropped{};

  std::unordered_map<uint32_t, SpuIndex>& Routes(IpProtocol protocol) {
    return protocol == IpProtocol::kAh ? ah_routes : esp_routes;
  }

  // Creates the SAs and checks their SPIs are free (control_mu held: the
  // routing tables change only under it).
  Result<Prepared> Prepare(std::vector<InboundSa>& inbound) {
    Prepared p;
    for (InboundSa& config : inbound) {
      const bool is_ah = std::holds_alternative<ah::SaConfig>(config);
      const IpProtocol protocol = is_ah ? IpProtocol::kAh : IpProtocol::kEsp;
      const uint32_t spi = is_ah ? std::get<ah::SaConfig>(config).spi : std::get<esp::SaConfig>(config).spi;
      //= rfc4301#section-4.1
      //# On the receiver, the SPI (with the protocol) picks exactly one SA.
      bool taken = Routes(protocol).contains(spi);
      for (const auto& [p2, s2] : p.owned.spis) taken |= p2 == protocol && s2 == spi;
      ENSURE(!taken, kInvalidArgument, kNoOffset, "rfc4301#section-4.1",
             fmt::format("{} SPI {:#010x} is already in use", is_ah ? "AH" : "ESP", spi));
      if (is_ah) {
        TRY_ASSIGN(auto sa, ah::Sa::Create(std::get<ah::SaConfig>(config)));
        p.ah.push_back(std::move(sa));
      } else {
        TRY_ASSIGN(auto sa, esp::Sa::Create(std::get<esp::SaConfig>(config)));
        p.esp.push_back(std::move(sa));
      }
      p.owned.spis.emplace_back(protocol, spi);
    }
    return p;
  }

  // Sends the SAs to their SPU, then routes their SPIs there: a packet can
  // only be routed to the SA once the install is ahead of it in the queue.
  void Install(std::string_view name, SpuIndex spu, Prepared p) {
    auto sas = std::make_shared<Prepared>(std::move(p));
    spus[spu]->queue.PushControl(Work{{}, PacketKind::kEsp, 0, 0, [sas](Spu& s) {
                                        for (auto& sa : sas->esp) s.esp[sa->spi()] = std::move(sa);
                                        for (auto& sa : sas->ah) s.ah[sa->spi()] = std::move(sa);
                                      }});
    {
      std::unique_lock lock(routes_mu);
      for (const auto& [protocol, spi] : sas->owned.spis) Routes(protocol)[spi] = spu;
    }
    Owned& o = owned[std::string(name)];
    o.spis.insert(o.spis.end(), sas->owned.spis.begin(), sas->owned.spis.end());
  }

  void RouteIke(std::string_view name, SpuIndex spu, const IkeSpis& spis) {
    Owned& o = owned[std::string(name)];
    std::unique_lock lock(routes_mu);
    // The pair, and the first request's (responder SPI zero) for retransmits.
    for (IkeKey key : {IkeKey{spis.initiator, spis.responder}, IkeKey{spis.initiator, 0}}) {
      if (ike_routes.emplace(key, spu).second) o.ike.push_back(key);
    }
  }

  // Unroutes what `name` owns, then removes its SAs on `spu`.
  void Uninstall(std::string_view name, SpuIndex spu) {
    auto it = owned.find(name);
    if (it == owned.end()) return;
    Owned o = std::move(it->second);
    owned.erase(it);
    {
      std::unique_lock lock(routes_mu);
      for (const auto& [protocol, spi] : o.spis) Routes(protocol).erase(spi);
      for (const IkeKey& key : o.ike) ike_routes.erase(key);
    }
    if (o.spis.empty()) return;
    spus[spu]->queue.PushControl(Work{{}, PacketKind::kEsp, 0, 0, [spis = o.spis](Spu& s) {
                                        for (const auto& [protocol, spi] : spis)
                                          protocol == IpProtocol::kAh ? s.ah.erase(spi) : s.esp.erase(spi);
                                      }});
  }

  // Runs `f` on `spu`'s thread after everything queued before it; waits.
  template <typename F>
  auto RunOn(SpuIndex spu, F f) {
    using R = decltype(f(*spus[spu]));
    auto task = std::make_shared<std::packaged_task<R(Spu&)>>(std::move(f));
    auto future = task->get_future();
    spus[spu]->queue.PushControl(Work{{}, PacketKind::kEsp, 0, 0, [task](Spu& s) { (*task)(s); }});
    return future.get();
  }
};

Dataplane::Dataplane(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Dataplane>> Dataplane::Create(DataplaneConfig config) {
  TRY_ASSIGN(Anchoring anchoring, Anchoring::Create(config.spus));
  ENSURE(config.queue_capacity >= 1, kInvalidArgument, kNoOffset, "", "the queue capacity must be at least 1");
  auto impl = std::make_unique<Impl>(std::move(config), std::move(anchoring));
  for (size_t i = 0; i < impl->config.spus; ++i)
    impl->spus.push_back(std::make_unique<Spu>(static_cast<SpuIndex>(i), impl->config.queue_capacity,
                                               &impl->config.sink));
  for (auto& spu : impl->spus) spu->thread = std::thread([s = spu.get()] { s->Run(); });
  return std::unique_ptr<Dataplane>(new Dataplane(std::move(impl)));
}

Dataplane::~Dataplane() {
  for (auto& spu : impl_->spus) spu->queue.Close();
  for (auto& spu : impl_->spus) spu->thread.join();
}

size_t Dataplane::spus() const { return impl_->spus.size(); }

Result<SpuIndex> Dataplane::AddIkeSa(Kind kind, std::string_view name, std::optional<IkeSpis> spis) {
  Impl& d = *impl_;
  std::lock_guard lock(d.control_mu);
  ENSURE(IsIke(kind), kInvalidArgument, kNoOffset, "",
         fmt::format("{} {} is not an IKE SA", KindName(kind), name));
  TRY_ASSIGN(SpuIndex spu, d.anchoring.Add(kind, name));
  if (spis) d.RouteIke(name, spu, *spis);
  return spu;
}

Result<SpuIndex> Dataplane::AddTunnel(std::string_view name, std::string_view ike,
                                      std::vector<InboundSa> inbound) {
  Impl& d = *impl_;
  std::lock_guard lock(d.control_mu);
  TRY_ASSIGN(Prepared p, d.Prepare(inbound));
  TRY_ASSIGN(SpuIndex spu, d.anchoring.Add(ike.empty() ? Kind::kManual : Kind::kTunnel, name, ike));
  d.Install(name, spu, std::move(p));
  return spu;
}

Result<SpuIndex> Dataplane::Rekey(std::string_view old_name, std::string_view new_name,
                                  std::vector<InboundSa> inbound, std::optional<IkeSpis> spis) {
  Impl& d = *impl_;
  std::lock_guard lock(d.control_mu);
  if (const Anchor* old = d.anchoring.Find(old_name)) {
    ENSURE(IsIke(old->kind) ? inbound.empty() : !spis.has_value(), kInvalidArgument, kNoOffset, "",
           fmt::format("rekey {}: a {} takes {}", old_name, KindName(old->kind),
                       IsIke(old->kind) ? "IKE SPIs, not inbound SAs" : "inbound SAs, not IKE SPIs"));
  }
  TRY_ASSIGN(Prepared p, d.Prepare(inbound));
  TRY_ASSIGN(SpuIndex spu, d.anchoring.Rekey(old_name, new_name));
  d.Uninstall(old_name, spu);
  d.Install(new_name, spu, std::move(p));
  if (spis) d.RouteIke(new_name, spu, *spis);
  return spu;
}

Status Dataplane::Remove(std::string_view name) {
  Impl& d = *impl_;
  std::lock_guard lock(d.control_mu);
  const Anchor* anchor = d.anchoring.Find(name);
  const SpuIndex spu = anchor != nullptr ? anchor->spu : 0;
  TRY_ASSIGN(std::vector<std::string> removed, d.anchoring.Remove(name));
  // spu.follow-ike-sa: everything removed with an IKE SA was on its SPU.
  for (const std::string& r : removed) d.Uninstall(r, spu);
  return OkStatus();
}

Anchoring Dataplane::anchoring() const {
  std::lock_guard lock(impl_->control_mu);
  return impl_->anchoring;
}

size_t Dataplane::Dispatch(std::span<Packet> packets) {
  Impl& d = *impl_;
  std::array<uint64_t, kDispatchDrops> drops{};
  auto drop = [&](DispatchDrop why) { ++drops[static_cast<size_t>(why)]; };

  // Classify without a lock; route under one shared lock for the batch.
  struct Routed {
    Work work;
    RouteBy by;
    IkeKey ike;
  };
  thread_local std::vector<Routed> routed;
  thread_local std::vector<std::vector<Work>> staging;
  routed.clear();
  for (Packet& packet : packets) {
    auto c = io::Classify(packet.data);
    if (!c) {
      drop(DispatchDrop::kMalformed);
      continue;
    }
    const KindRoute& route = kKindRoutes[static_cast<size_t>(c->kind)];
    if (route.by == RouteBy::kNone) {
      drop(route.otherwise);
      continue;
    }
    if (c->view.fragment) {
      drop(DispatchDrop::kFragment);
      continue;
    }
    const bool by_ike = route.by == RouteBy::kIkeSpis;
    if (by_ike ? !c->ike_spi_i.has_value() : !c->spi.has_value()) {
      drop(DispatchDrop::kNoSpi);
      continue;
    }
    routed.push_back(Routed{Work{std::move(packet), c->kind, c->spi.value_or(0), c->payload_offset, {}},
                            route.by, IkeKey{c->ike_spi_i.value_or(0), c->ike_spi_r.value_or(0)}});
  }
  staging.resize(d.spus.size());
  {
    std::shared_lock lock(d.routes_mu);
    for (Routed& r : routed) {
      std::optional<SpuIndex> spu;
      if (r.by == RouteBy::kIkeSpis) {
        auto it = d.ike_routes.find(r.ike);
        if (it == d.ike_routes.end()) it = d.ike_routes.find(IkeKey{r.ike.initiator, 0});
        if (it != d.ike_routes.end()) spu = it->second;
      } else {
        const auto& table = r.by == RouteBy::kAhSpi ? d.ah_routes : d.esp_routes;
        auto it = table.find(r.work.spi);
        if (it != table.end()) spu = it->second;
      }
      if (!spu) {
        drop(kKindRoutes[static_cast<size_t>(r.work.kind)].otherwise);
        continue;
      }
      staging[*spu].push_back(std::move(r.work));
    }
  }
  size_t queued = 0;
  const bool wait = d.config.overflow == Overflow::kWait;
  for (size_t i = 0; i < staging.size(); ++i) {
    if (staging[i].empty()) continue;
    const size_t taken = d.spus[i]->queue.Push(staging[i], wait);
    queued += taken;
    drops[static_cast<size_t>(DispatchDrop::kQueueFull)] += staging[i].size() - taken;
    staging[i].clear();
  }
  d.received.fetch_add(packets.size(), std::memory_order_relaxed);
  d.queued.fetch_add(queued, std::memory_order_relaxed);
  for (size_t i = 0; i < kDispatchDrops; ++i)
    if (drops[i]) d.dropped[i].fetch_add(drops[i], std::memory_order_relaxed);
  return queued;
}

void Dataplane::Drain() {
  for (SpuIndex i = 0; i < impl_->spus.size(); ++i) impl_->RunOn(i, [](Spu&) {});
}

DispatchCounters Dataplane::dispatch_counters() const {
  DispatchCounters c;
  c.received = impl_->received.load(std::memory_order_relaxed);
  c.queued = impl_->queued.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kDispatchDrops; ++i) c.dropped[i] = impl_->dropped[i].load(std::memory_order_relaxed);
  return c;
}

SpuCounters Dataplane::spu_counters(SpuIndex spu) const {
  const Spu& s = *impl_->spus.at(spu);
  SpuCounters c;
  c.processed = s.processed.load(std::memory_order_relaxed);
  c.decapsulated = s.decapsulated.load(std::memory_order_relaxed);
  c.ike = s.ike.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kCodeCount; ++i) c.rejected[i] = s.rejected[i].load(std::memory_order_relaxed);
  return c;
}

Result<replay::ReplayWindow> Dataplane::InboundWindow(IpProtocol protocol, uint32_t spi) {
  Impl& d = *impl_;
  std::optional<SpuIndex> spu;
  {
    std::shared_lock lock(d.routes_mu);
    const auto& table = d.Routes(protocol);
    if (auto it = table.find(spi); it != table.end()) spu = it->second;
  }
  ENSURE(spu.has_value(), kNoSa, kNoOffset, "rfc4301#section-4.1", fmt::format("no inbound SA with SPI {:#010x}", spi));
  auto window = d.RunOn(*spu, [protocol, spi](Spu& s) -> std::optional<replay::ReplayWindow> {
    if (protocol == IpProtocol::kAh) {
      auto it = s.ah.find(spi);
      if (it != s.ah.end()) return it->second->replay_window();
    } else {
      auto it = s.esp.find(spi);
      if (it != s.esp.end()) return it->second->window();
    }
    return std::nullopt;
  });
  ENSURE(window.has_value(), kNoSa, kNoOffset, "rfc4301#section-4.1",
         fmt::format("SA {:#010x} was removed", spi));
  return *window;
}

}  // namespace ipsecref::spu
