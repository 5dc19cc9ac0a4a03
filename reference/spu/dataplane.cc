// The dataplane's control plane and intake: SAs installed on and removed
// from their anchor SPU, packets handed to the SPUs in turn, counters
// gathered. The per-SPU work is in worker.{h,cc}.
#include "reference/spu/dataplane.h"

#include <fmt/format.h>

#include <future>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "reference/base/enum_table.h"
#include "reference/spu/worker.h"

namespace ipsecref::spu {
namespace {

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
static_assert(RowsInEnumOrder(kDrops, &DropInfo::drop), "kDrops: one row per DispatchDrop, in enum order");
static_assert(static_cast<size_t>(DispatchDrop::kNatKeepalive) + 1 == kDispatchDrops, "kDrops: a row for every DispatchDrop");

}  // namespace

std::string_view DropName(DispatchDrop drop) { return kDrops.at(static_cast<size_t>(drop)).name; }

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
  explicit Impl(DataplaneConfig c, Anchoring a)
      : config(std::move(c)), shared(config), anchoring(std::move(a)) {}

  DataplaneConfig config;
  Shared shared;
  std::vector<std::unique_ptr<Spu>> spus;
  std::atomic<uint32_t> next_intake{0};

  // The control plane, one call at a time.
  mutable std::mutex control_mu;
  Anchoring anchoring;
  std::map<std::string, Owned, std::less<>> owned;

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
      bool taken = shared.Routes(protocol).contains(spi);
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

  // Runs `f` on `spu`'s thread after everything queued before it; waits.
  template <typename F>
  auto RunOn(SpuIndex spu, F f) {
    using R = decltype(f(*spus[spu]));
    auto task = std::make_shared<std::packaged_task<R(Spu&)>>(std::move(f));
    auto future = task->get_future();
    spus[spu]->queue.PushControl(ControlWork([task](Spu& s) { (*task)(s); }));
    return future.get();
  }

  // Installs the SAs on their SPU and waits for it, then routes their SPIs
  // there: a packet routed to the SA finds it, whichever SPU took it in and
  // whenever (one already queued on the anchor SPU ahead of the install
  // included).
  void Install(std::string_view name, SpuIndex spu, Prepared p) {
    auto sas = std::make_shared<Prepared>(std::move(p));
    RunOn(spu, [sas](Spu& s) {
      for (auto& sa : sas->esp) s.esp[sa->spi()] = std::move(sa);
      for (auto& sa : sas->ah) s.ah[sa->spi()] = std::move(sa);
    });
    {
      std::unique_lock lock(shared.routes_mu);
      for (const auto& [protocol, spi] : sas->owned.spis) shared.Routes(protocol)[spi] = spu;
    }
    Owned& o = owned[std::string(name)];
    o.spis.insert(o.spis.end(), sas->owned.spis.begin(), sas->owned.spis.end());
  }

  void RouteIke(std::string_view name, SpuIndex spu, const IkeSpis& spis) {
    Owned& o = owned[std::string(name)];
    std::unique_lock lock(shared.routes_mu);
    // The pair, and the first request's (responder SPI zero) for retransmits.
    for (IkeKey key : {IkeKey{spis.initiator, spis.responder}, IkeKey{spis.initiator, 0}}) {
      if (shared.ike_routes.emplace(key, spu).second) o.ike.push_back(key);
    }
  }

  // Unroutes what `name` owns, then removes its SAs on `spu`.
  void Uninstall(std::string_view name, SpuIndex spu) {
    auto it = owned.find(name);
    if (it == owned.end()) return;
    Owned o = std::move(it->second);
    owned.erase(it);
    {
      std::unique_lock lock(shared.routes_mu);
      for (const auto& [protocol, spi] : o.spis) shared.Routes(protocol).erase(spi);
      for (const IkeKey& key : o.ike) shared.ike_routes.erase(key);
    }
    if (o.spis.empty()) return;
    spus[spu]->queue.PushControl(ControlWork([spis = o.spis](Spu& s) {
      for (const auto& [protocol, spi] : spis)
        protocol == IpProtocol::kAh ? s.ah.erase(spi) : s.esp.erase(spi);
    }));
  }

};

Dataplane::Dataplane(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Dataplane>> Dataplane::Create(DataplaneConfig config) {
  TRY_ASSIGN(Anchoring anchoring, Anchoring::Create(config.spus));
  ENSURE(config.queue_capacity >= 1 && config.queue_capacity <= (size_t{1} << 20), kInvalidArgument,
         kNoOffset, "", fmt::format("queue capacity {}: from 1 to 2^20 packets", config.queue_capacity));
  auto impl = std::make_unique<Impl>(std::move(config), std::move(anchoring));
  for (size_t i = 0; i < impl->config.spus; ++i)
    impl->spus.push_back(std::make_unique<Spu>(static_cast<SpuIndex>(i), impl->shared, impl->spus));
  for (auto& spu : impl->spus) spu->thread = std::thread([s = spu.get()] { s->Run(); });
  return std::unique_ptr<Dataplane>(new Dataplane(std::move(impl)));
}

Dataplane::~Dataplane() {
  // Everything taken in is processed first: packets may still be on their
  // way from one SPU to another.
  Drain();
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
  Shared& sh = d.shared;
  const bool wait = d.config.overflow == Overflow::kWait;
  // The SPUs take the calls in turn, as a NIC's receive queues take flows.
  Spu& intake = *d.spus[d.next_intake.fetch_add(1, std::memory_order_relaxed) % d.spus.size()];
  size_t taken = 0;
  while (taken < packets.size()) {
    const size_t credits = sh.Acquire(packets.size() - taken, wait);
    if (credits == 0) break;
    const bool pushed = intake.queue.PushEach(credits, [&](size_t i, Work& w) {
      w.packet = std::move(packets[taken + i]);
      w.state = Work::State::kTaken;
    });
    if (!pushed) {  // closed: only while being destroyed
      sh.Release(credits);
      break;
    }
    taken += credits;
  }
  // Hand back processed packets' buffers in place of those taken.
  {
    std::lock_guard lock(intake.spare_mu);
    for (size_t i = 0; i < taken && !intake.spare.empty(); ++i) {
      packets[i].data = std::move(intake.spare.back());
      intake.spare.pop_back();
    }
  }
  sh.received.fetch_add(packets.size(), std::memory_order_relaxed);
  sh.queued.fetch_add(taken, std::memory_order_relaxed);
  if (taken < packets.size()) sh.queue_full.fetch_add(packets.size() - taken, std::memory_order_relaxed);
  return taken;
}

void Dataplane::Drain() {
  // First every SPU hands over what it took in, then every SPU processes
  // what it was handed: two rounds of markers.
  for (int round = 0; round < 2; ++round)
    for (SpuIndex i = 0; i < impl_->spus.size(); ++i) impl_->RunOn(i, [](Spu&) {});
}

DispatchCounters Dataplane::dispatch_counters() const {
  const Shared& sh = impl_->shared;
  DispatchCounters c;
  c.received = sh.received.load(std::memory_order_relaxed);
  c.queued = sh.queued.load(std::memory_order_relaxed);
  for (const auto& spu : impl_->spus)
    for (size_t i = 0; i < kDispatchDrops; ++i) c.dropped[i] += spu->dropped[i].load(std::memory_order_relaxed);
  c.dropped[static_cast<size_t>(DispatchDrop::kQueueFull)] += sh.queue_full.load(std::memory_order_relaxed);
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

Result<antireplay::ReplayWindow> Dataplane::InboundWindow(IpProtocol protocol, uint32_t spi) {
  Impl& d = *impl_;
  std::optional<SpuIndex> spu;
  {
    std::shared_lock lock(d.shared.routes_mu);
    const auto& table = d.shared.Routes(protocol);
    if (auto it = table.find(spi); it != table.end()) spu = it->second;
  }
  ENSURE(spu.has_value(), kNoSa, kNoOffset, "rfc4301#section-4.1", fmt::format("no inbound SA with SPI {:#010x}", spi));
  auto window = d.RunOn(*spu, [protocol, spi](Spu& s) -> std::optional<antireplay::ReplayWindow> {
    if (protocol == IpProtocol::kAh) {
      auto it = s.ah.find(spi);
      if (it != s.ah.end()) return it->second->replay_window();
    } else {
      auto it = s.esp.find(spi);
      if (it != s.esp.end()) return it->second->replay_window();
    }
    return std::nullopt;
  });
  ENSURE(window.has_value(), kNoSa, kNoOffset, "rfc4301#section-4.1",
         fmt::format("SA {:#010x} was removed", spi));
  return *window;
}

}  // namespace ipsecref::spu
