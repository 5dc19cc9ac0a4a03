// The per-SPU dataplane: each SPU is a worker thread that owns the inbound
// SAs anchored on it, so that sequence numbers and replay windows have a
// single writer and the packet path takes no lock of theirs.
//
// Dispatch, called from any number of threads, hands each batch of packets
// to one SPU's queue, the SPUs taking turns as the receive queues of a
// multi-queue NIC do. That SPU classifies each packet (ESP and AH by SPI,
// ESP in UDP, IKE by its SPIs), processes those it anchors, and hands the
// others to their anchor SPU's queue. The classification work is thus spread
// over the SPUs instead of resting on one dispatcher. Packets in flight are
// bounded by credits (spus x queue_capacity): at the bound, Dispatch drops or
// waits. What is not processed is counted per reason.
//
// The control plane (gateways, tunnels, their SAs) places everything with
// the anchoring policy (anchoring.h) and sends SAs to their SPU through the
// same queue as the packets. An install is complete on its SPU before its
// SPIs are routed (a routed packet always finds its SA); a removal unroutes
// first, then removes the SAs behind the packets already queued.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "reference/ah/ah_sa.h"
#include "reference/base/result.h"
#include "reference/esp/esp_sa.h"
#include "reference/classify/classify.h"
#include "reference/spu/anchoring.h"

namespace ipsecref::spu {

struct Packet {
  Bytes data;        // an IP packet, handed over to the dataplane
  // Or, when `data` is empty, an IP packet the caller lends: its bytes must
  // stay as they are until Drain returns (a NIC's receive ring, read by the
  // SPUs without a copy on the caller's side). The SPU copies it into a
  // buffer of its own to decrypt it.
  ByteSpan lent;
  uint64_t tag = 0;  // the caller's number for it, handed back in the Outcome
};

// Why a packet did not reach its anchor SPU.
enum class DispatchDrop : uint8_t {
  kMalformed,      // no well-formed IP header
  kNotIpsec,       // neither ESP, AH nor IKE
  kFragment,       // an IPsec packet in a fragment (RFC 4303 §3.4.1): reassemble first
  kNoSpi,          // ESP or AH too short to carry an SPI, IKE without its SPIs
  kUnknownSpi,     // no SA for the ESP or AH SPI (RFC 4303 §3.4.2, RFC 4302 §3.4.2)
  kUnknownIkeSpi,  // no IKE SA for the IKE SPIs
  kQueueFull,      // the dataplane held its most packets in flight (Overflow::kDrop)
  kNatKeepalive,   // a NAT-keepalive (RFC 3948 §2.3): absorbed, as it should be
};
inline constexpr size_t kDispatchDrops = 8;
std::string_view DropName(DispatchDrop drop);  // "unknown_spi", ...

// After Drain: received == queued + dropped[kQueueFull], and queued ==
// the other drops + the SPUs' `processed`.
struct DispatchCounters {
  uint64_t received = 0;  // packets given to Dispatch
  uint64_t queued = 0;    // taken in (credits granted)
  std::array<uint64_t, kDispatchDrops> dropped{};
};

struct SpuCounters {
  uint64_t processed = 0;     // packets this SPU anchors, processed
  uint64_t decapsulated = 0;  // ESP and AH packets the receiver accepted
  uint64_t ike = 0;           // IKE messages handed on
  std::array<uint64_t, kCodeCount> rejected{};  // by the receiver, per Code
};

// What an SPU made of one packet; handed to the sink on the SPU's thread.
struct Outcome {
  SpuIndex spu = 0;
  uint64_t tag = 0;
  io::PacketKind kind = io::PacketKind::kEsp;
  uint32_t spi = 0;           // ESP and AH
  uint64_t seq = 0;           // ESP and AH, when accepted
  ByteSpan packet;            // ESP/AH: the decapsulated packet; IKE: the message
  const Error* error = nullptr;  // set when the receiver refused the packet
};
// Runs on the SPU's thread: it must not call the Dataplane's control plane.
using Sink = std::function<void(const Outcome&)>;

enum class Overflow : uint8_t {
  kDrop,  // at the bound the packet is dropped (counted), as a line card does
  kWait,  // the producer waits for room (back-pressure), as a test wants
};

struct DataplaneConfig {
  size_t spus = 1;
  size_t queue_capacity = 4096;  // packets in flight per SPU (the bound is spus x this)
  Overflow overflow = Overflow::kDrop;
  Sink sink;  // optional
};

// An inbound SA of a tunnel.
using InboundSa = std::variant<esp::SaConfig, ah::SaConfig>;

//= rfc7296#section-3.1
//# An IKE SA is known by the pair of SPIs; the first request carries the
//# responder's as zero.
struct IkeSpis {
  uint64_t initiator = 0;
  uint64_t responder = 0;
};

class Dataplane {
 public:
  // Errors: kInvalidArgument (spus out of 1..kMaxSpus, queue capacity 0).
  static Result<std::unique_ptr<Dataplane>> Create(DataplaneConfig config);
  // Processes what is queued, then stops the SPU threads.
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  size_t spus() const;

  // --- Control plane: any thread, one call at a time (serialised inside).
  // A gateway or dynamic peer (`kind`), with the SPIs of its IKE SA when
  // its IKE traffic should be dispatched too.
  Result<SpuIndex> AddIkeSa(Kind kind, std::string_view name, std::optional<IkeSpis> spis = {});
  // An IPsec tunnel over the IKE SA `ike`, or a manual tunnel (`ike` empty),
  // with its inbound SAs; returns once its SPU has installed them. Errors:
  // anchoring's, an SA that cannot be created, an SPI that another SA of
  // the same protocol uses (RFC 4301 §4.1).
  Result<SpuIndex> AddTunnel(std::string_view name, std::string_view ike,
                             std::vector<InboundSa> inbound);
  // Rekeying: `new_name` takes over from `old_name` on the same SPU, with its
  // own SAs (a tunnel) or IKE SPIs (an IKE SA); the old SAs are removed.
  Result<SpuIndex> Rekey(std::string_view old_name, std::string_view new_name,
                         std::vector<InboundSa> inbound, std::optional<IkeSpis> spis = {});
  // Removes a tunnel, manual tunnel or IKE SA (with its tunnels) and the SAs.
  Status Remove(std::string_view name);
  // A copy of the anchoring state, for the tunnel map.
  Anchoring anchoring() const;

  // --- Data plane: any thread, concurrently. Moves the packets in and
  // returns how many were taken (fewer only with Overflow::kDrop). Packets of
  // one call keep their order; packets of different calls may be reordered
  // (as over a NIC's receive queues). The packets' buffers come back empty,
  // with the capacity of processed packets' buffers where there are some, to
  // be filled again without allocating.
  size_t Dispatch(std::span<Packet> packets);
  // Returns once every packet taken by Dispatch calls that returned before
  // this one has been processed by its anchor SPU.
  void Drain();

  DispatchCounters dispatch_counters() const;
  SpuCounters spu_counters(SpuIndex spu) const;
  // The replay window of an inbound SA, read on its SPU (after Drain, exact).
  Result<antireplay::ReplayWindow> InboundWindow(iana::IpProtocol protocol, uint32_t spi);

 private:
  struct Impl;
  explicit Dataplane(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipsecref::spu
