// The dataplane's per-SPU worker (internal to reference/spu/dataplane.cc
// and worker.cc): the state every SPU shares (routes, credits, intake
// counters), and each SPU's thread, which classifies the packets it took
// in, hands those anchored elsewhere over, and decapsulates its own.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "reference/base/enum_table.h"
#include "reference/classify/classify.h"
#include "reference/spu/dataplane.h"
#include "reference/spu/queue.h"

namespace ipsecref::spu {

using iana::IpProtocol;
using io::PacketKind;

// How the dispatcher routes each kind of packet: by the ESP or the AH SPI,
// by the IKE SPIs, or not at all (the drop it counts).
enum class RouteBy : uint8_t { kEspSpi, kAhSpi, kIkeSpis, kNone };
struct KindRoute {
  PacketKind kind;
  RouteBy by;
  DispatchDrop otherwise;  // kNone: why it is dropped
};
inline constexpr std::array<KindRoute, io::kPacketKinds> kKindRoutes{{
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
static_assert(RowsInEnumOrder(kKindRoutes, &KindRoute::kind), "kKindRoutes: one row per PacketKind, in enum order");
static_assert(static_cast<size_t>(PacketKind::kFragment) + 1 == io::kPacketKinds, "kKindRoutes: a row for every PacketKind");

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
inline void Bump(std::atomic<uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct Spu;
using Control = std::function<void(Spu&)>;

// The packet's bytes: its own, or those lent by the caller.
inline ByteSpan PacketBytes(const Packet& p) { return p.data.empty() ? p.lent : ByteSpan(p.data); }

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

// A control item: `c` runs on the SPU's thread, in queue order.
Work ControlWork(Control c);

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
  std::variant<SpuIndex, DispatchDrop> Route(const io::Classified& c) const;

  // Credits: packets taken in and not yet finished. Bounding them bounds
  // every queue, so SPUs never wait on each other's queues.
  const size_t limit;
  std::atomic<size_t> in_flight{0};
  std::mutex credit_mu;
  std::condition_variable credit_cv;
  std::atomic<size_t> credit_waiters{0};

  // Takes up to `want` credits; with `wait`, at least one (waiting for it).
  size_t Acquire(size_t want, bool wait);
  void Release(size_t n);

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

  // The SPU's thread: takes batches from its queue until it is closed.
  void Run();

  // Classifies the packets taken in by this SPU and routes them, under one
  // shared lock: those of other SPUs go to `handover`.
  void Classify(std::vector<Work>& batch, std::vector<std::vector<Work>>& handover);
  // Pushes each SPU's share of `handover` onto its queue.
  void HandOver(std::vector<std::vector<Work>>& handover);
  // Keeps processed packets' buffers (up to a bound) for Dispatch to hand back.
  void Recycle(std::vector<Bytes>& used);

  // A lent packet is decrypted in this buffer, used again and again.
  alignas(64) Bytes scratch;

  // Decapsulates (ESP, AH) or passes on (IKE) a packet routed here, and
  // hands the Outcome to the sink; a lent packet is copied into `scratch`.
  void Handle(Work& w);
  void HandleOwned(Work& w);
};

}  // namespace ipsecref::spu
