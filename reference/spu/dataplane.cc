#include "reference/spu/dataplane.h"

#include <fmt/format.h>

#include <algorithm>
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
    {PacketKind::kFragment, RouteBy::kNone, DispatchDrop::kFragment},
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

namespace {

// The packet's bytes: its own, or those lent by the caller.
ByteSpan PacketBytes(const Packet& p) { return p.data.empty() ? p.lent : ByteSpan(p.data); }

}  // namespace

struct Work {
  // kTaken: not classified yet; kHandedOver: moved to its anchor SPU, what
  // stays behind in the taking SPU's batch.
  enum class State : uint8_t { kTaken, kRouted, kHandedOver, kControl };
  Packet packet;
  State state = State::kTaken;
  PacketKind kind = PacketKind::kEsp;
  uint32_t spi = 0;
  size_t payload_offset = 0;
  std::unique_ptr<Control> control;  // kControl: run on the SPU's thread (a pointer:
                                     // packets, the many, stay small to move)
};

Work ControlWork(Control c) {
  Work w;
  w.state = Work::State::kControl;
  w.control = std::make_unique<Control>(std::move(c));
  return w;
}

// What every SPU and the callers share: the routes, the credits that bound
// the packets in flight, and the counters of packets refused at intake.
struct Shared {
  explicit Shared(const DataplaneConfig& c) : config(c), limit(c.spus * c.queue_capacity) {}

  const DataplaneConfig& config;

  // Read by every SPU as it classifies, written by the control plane.
  mutable std::shared_mutex routes_mu;
  std::unordered_map<uint32_t, SpuIndex> esp_routes, ah_routes;
  std::unordered_map<IkeKey, SpuIndex, IkeKeyHash> ike_routes;

  std::unordered_map<uint32_t, SpuIndex>& Routes(IpProtocol protocol) {
    return protocol == IpProtocol::kAh ? ah_routes : esp_routes;
  }
  const std::unordered_map<uint32_t, SpuIndex>& Routes(IpProtocol protocol) const {
    return protocol == IpProtocol::kAh ? ah_routes : esp_routes;
  }

  // The anchor SPU of a classified packet (routes_mu held), or the drop.
  std::variant<SpuIndex, DispatchDrop> Route(const io::Classified& c) const {
    const KindRoute& route = kKindRoutes[static_cast<size_t>(c.kind)];
    if (route.by == RouteBy::kNone) return route.otherwise;
    //= rfc4303#section-3.4.1
    //# ESP (and AH, RFC 4302 §3.4.1) is processed on whole packets only.
    if (c.view.fragment) return DispatchDrop::kFragment;
    if (route.by == RouteBy::kIkeSpis) {
      if (!c.ike_spi_i) return DispatchDrop::kNoSpi;
      auto it = ike_routes.find(IkeKey{*c.ike_spi_i, c.ike_spi_r.value_or(0)});
      if (it == ike_routes.end()) it = ike_routes.find(IkeKey{*c.ike_spi_i, 0});
      if (it == ike_routes.end()) return route.otherwise;
      return it->second;
    }
    if (!c.spi) return DispatchDrop::kNoSpi;
    const auto& table = Routes(route.by == RouteBy::kAhSpi ? IpProtocol::kAh : IpProtocol::kEsp);
    auto it = table.find(*c.spi);
    if (it == table.end()) return route.otherwise;
    return it->second;
  }

  // Credits: packets taken in and not yet finished. Bounding them bounds
  // every queue, so SPUs never wait on each other's queues.
  const size_t limit;
  std::atomic<size_t> in_flight{0};
  std::mutex credit_mu;
  std::condition_variable credit_cv;
  std::atomic<size_t> credit_waiters{0};

  // Takes up to `want` credits; with `wait`, at least one (waiting for it).
  size_t Acquire(size_t want, bool wait) {
    size_t current = in_flight.load();
    for (;;) {
      if (current < limit) {
        const size_t take = std::min(want, limit - current);
        if (in_flight.compare_exchange_weak(current, current + take)) return take;
        continue;
      }
      if (!wait) return 0;
      std::unique_lock lock(credit_mu);
      ++credit_waiters;
      credit_cv.wait(lock, [&] { return in_flight.load() < limit; });
      --credit_waiters;
      current = in_flight.load();
    }
  }
  void Release(size_t n) {
    if (n == 0) return;
    in_flight.fetch_sub(n);
    if (credit_waiters.load() > 0) {
      std::lock_guard lock(credit_mu);
      credit_cv.notify_all();
    }
  }

  std::atomic<uint64_t> received{0}, queued{0}, queue_full{0};
};

//= ipsecref#choice
//# Every packet of an SA is processed on its anchor SPU (the multi-SPU
//# anchoring of the design, as multi-SPU firewalls do): its state has one
//# writer. The SA tables below are touched by this SPU's thread only.
struct alignas(64) Spu {
  Spu(SpuIndex i, Shared& sh, std::vector<std::unique_ptr<Spu>>& all)
      : index(i), shared(sh), spus(all), queue(sh.limit) {}

  SpuIndex index;
  Shared& shared;
  std::vector<std::unique_ptr<Spu>>& spus;
  // Written by other threads (hand-ins, hand-overs, control): a cache line
  // apart from what this SPU writes for every packet.
  alignas(64) SpuQueue<Work> queue;
  std::unordered_map<uint32_t, std::unique_ptr<esp::Sa>> esp;
  std::unordered_map<uint32_t, std::unique_ptr<ah::Sa>> ah;
  // Counters: this thread writes, anyone reads.
  alignas(64) std::atomic<uint64_t> processed{0}, decapsulated{0}, ike{0};
  std::array<std::atomic<uint64_t>, kCodeCount> rejected{};
  std::array<std::atomic<uint64_t>, kDispatchDrops> dropped{};
  // Buffers of processed packets, for Dispatch to hand back to its callers.
  alignas(64) std::mutex spare_mu;
  std::vector<Bytes> spare;
  std::thread thread;

  void Run() {
    std::vector<Work> batch;
    std::vector<std::vector<Work>> handover(spus.size());
    std::vector<Bytes> used;
    while (queue.Pop(batch)) {
      Classify(batch, handover);
      size_t finished = 0;
      for (Work& w : batch) {
        switch (w.state) {
          case Work::State::kControl:
            // What came before the control item is handed over first: a
            // drain marker then follows it everywhere.
            HandOver(handover);
            (*w.control)(*this);
            continue;
          case Work::State::kTaken:  // dropped while classifying
            break;
          case Work::State::kHandedOver:
            continue;
          case Work::State::kRouted:
            Handle(w);
            break;
        }
        ++finished;
        used.push_back(std::move(w.packet.data));
      }
      HandOver(handover);
      batch.clear();
      shared.Release(finished);
      Recycle(used);
    }
  }

  // Classifies the packets taken in by this SPU and routes them, under one
  // shared lock: those of other SPUs go to `handover`.
  void Classify(std::vector<Work>& batch, std::vector<std::vector<Work>>& handover) {
    bool any = false;
    for (const Work& w : batch) any |= w.state == Work::State::kTaken;
    if (!any) return;
    std::shared_lock lock(shared.routes_mu);
    for (Work& w : batch) {
      if (w.state != Work::State::kTaken) continue;
      auto c = io::Classify(PacketBytes(w.packet));
      if (!c) {
        Bump(dropped[static_cast<size_t>(DispatchDrop::kMalformed)]);
        continue;
      }
      const auto route = shared.Route(*c);
      if (const auto* drop = std::get_if<DispatchDrop>(&route)) {
        Bump(dropped[static_cast<size_t>(*drop)]);
        continue;
      }
      w.state = Work::State::kRouted;
      w.kind = c->kind;
      w.spi = c->spi.value_or(0);
      w.payload_offset = c->payload_offset;
      const SpuIndex anchor = std::get<SpuIndex>(route);
      if (anchor != index) {
        handover[anchor].push_back(std::move(w));
        w.state = Work::State::kHandedOver;
      }
    }
  }
  void HandOver(std::vector<std::vector<Work>>& handover) {
    for (size_t i = 0; i < handover.size(); ++i) {
      if (handover[i].empty()) continue;
      // The credits bound every queue: this cannot fail but on shutdown;
      // should it, the packets are counted, not lost.
      if (!spus[i]->queue.Push(handover[i])) {
        dropped[static_cast<size_t>(DispatchDrop::kQueueFull)].fetch_add(handover[i].size());
        shared.Release(handover[i].size());
      }
      handover[i].clear();
    }
  }
  void Recycle(std::vector<Bytes>& used) {
    constexpr size_t kMaxSpare = 4096;
    // Lent packets leave no buffer behind: no lock for them.
    if (std::none_of(used.begin(), used.end(), [](const Bytes& b) { return b.capacity() != 0; })) {
      used.clear();
      return;
    }
    std::lock_guard lock(spare_mu);
    for (Bytes& b : used)
      if (b.capacity() != 0 && spare.size() < kMaxSpare) {
        b.clear();
        spare.push_back(std::move(b));
      }
    used.clear();
  }

  // A lent packet is decrypted in this buffer, used again and again.
  alignas(64) Bytes scratch;

  void Handle(Work& w) {
    Bump(processed);
    const bool lent = w.packet.data.empty();
    if (lent) {
      scratch.assign(w.packet.lent.begin(), w.packet.lent.end());
      std::swap(scratch, w.packet.data);  // back to `scratch` below
    }
    HandleOwned(w);
    if (lent) std::swap(scratch, w.packet.data);
  }

  void HandleOwned(Work& w) {
    Outcome o{index, w.packet.tag, w.kind, w.spi};
    std::optional<Error> error;
    switch (kKindRoutes[static_cast<size_t>(w.kind)].by) {
      case RouteBy::kEspSpi: {
        auto r = esp::DecapsulateInPlace(
            [this](uint32_t spi) -> esp::Sa* {
              auto it = esp.find(spi);
              return it == esp.end() ? nullptr : it->second.get();
            },
            w.packet.data);
        if (r) {
          o.seq = r->seq;
          o.packet = r->packet;
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
          // The verified packet replaces the received one in its buffer.
          w.packet.data.assign(r->packet.begin(), r->packet.end());
          o.packet = w.packet.data;
        } else {
          error = std::move(r).error();
        }
        break;
      }
      case RouteBy::kIkeSpis:
        Bump(ike);
        o.packet = ByteSpan(w.packet.data).subspan(std::min(w.payload_offset, w.packet.data.size()));
        break;
      case RouteBy::kNone: break;  // never routed
    }
    if (error) {
      Bump(rejected[static_cast<size_t>(error->code)]);
      o.error = &*error;
      o.packet = {};
    } else if (o.kind != PacketKind::kIke && o.kind != PacketKind::kIkeNatT) {
      Bump(decapsulated);
    }
    if (shared.config.sink) shared.config.sink(o);
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

Result<replay::ReplayWindow> Dataplane::InboundWindow(IpProtocol protocol, uint32_t spi) {
  Impl& d = *impl_;
  std::optional<SpuIndex> spu;
  {
    std::shared_lock lock(d.shared.routes_mu);
    const auto& table = d.shared.Routes(protocol);
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
