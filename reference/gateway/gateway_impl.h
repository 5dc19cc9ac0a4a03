// The gateway's shared state (internal to gateway.cc and spu_worker.cc):
// what routes packets to SPUs, the SPD, the anchoring, counters and the
// log. The SPUs write the tables under `routes_mu` and `anchor_mu`; the
// threads that hand packets in read them under a shared lock.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "reference/gateway/gateway.h"
#include "reference/gateway/key_export.h"
#include "reference/gateway/pending.h"
#include "reference/gateway/spu_worker.h"
#include "reference/spd/spd.h"
#include "reference/spu/anchoring.h"

namespace ipsecref::gateway {

// Why a packet was not processed; the names `stats` reports.
enum class Drop : uint8_t {
  kMalformed,        // not a well-formed IKE, ESP or IP packet
  kUnknownIkeSpi,    // no IKE SA for its SPIs (answered as RFC 7296 §2.21.4 says)
  kNoConnection,     // an IKE_SA_INIT request no connection is configured for
  kUnknownSpi,       // ESP for no SA (RFC 4303 §3.4.2)
  kAuthentication,   // ESP whose ICV does not verify (RFC 4303 §3.4.4)
  kReplay,           // ESP the replay window refuses (RFC 4303 §3.4.3)
  kEspOther,         // ESP refused for another reason (padding, next header, ...)
  kPolicyMismatch,   // decrypted, but not what the SA's selectors allow (RFC 4301 §5.2)
  kNoPolicy,         // an inner packet no SPD entry protects
  kDiscardPolicy,    // an inner packet a discard (or bypass) entry matched
  kSendFailed,       // the outbound SA refused (sequence number overflow)
  kTrapped,          // an inner packet that set off a start_action = trap initiation
};
inline constexpr size_t kDrops = 12;
std::string_view DropName(Drop drop);

struct Counters {
  std::atomic<uint64_t> udp_in{0}, ike_in{0}, esp_in{0}, inner_in{0}, keepalives_in{0};
  std::atomic<uint64_t> esp_out{0}, inner_out{0}, ike_out{0};
  std::array<std::atomic<uint64_t>, kDrops> dropped{};
  void Count(Drop drop) { dropped[static_cast<size_t>(drop)].fetch_add(1, std::memory_order_relaxed); }
};

// An IKE_SA_INIT request on its way to becoming an IKE SA: later copies of
// it (retransmissions) go to the same SPU.
struct PendingInit {
  spu::SpuIndex spu = 0;
  size_t connection = 0;
  std::string anchor;
};

class SystemClock : public ike::sa::Clock {
 public:
  ike::sa::Time Now() const override;
};

struct Gateway::Impl {
  GatewayConfig config;
  Options options;
  Wire& wire;
  SystemClock system_clock;
  ike::sa::Clock* clock = nullptr;
  std::unique_ptr<KeyExport> keys;
  Counters counters;

  std::vector<std::unique_ptr<SpuWorker>> spus;
  // One COOKIE secret for every SPU's state machine: a request retried with
  // its cookie may be placed on another SPU than the one that made it.
  std::shared_ptr<ike::sa::CookieSecrets> cookie_secrets = std::make_shared<ike::sa::CookieSecrets>();

  mutable std::shared_mutex routes_mu;
  std::map<PendingKey, PendingInit> pending;
  // Inbound SPIs of manual tunnels -> SPU. The SPIs the SPUs pick carry
  // their SPU in their top `spi_bits` bits instead (ike::sa::SpiTag).
  std::unordered_map<uint32_t, spu::SpuIndex> manual_routes;
  spd::Spd spd;  // outbound policies; sa_id = SPU << 32 | the CHILD SA's inbound SPI

  mutable std::mutex anchor_mu;
  spu::Anchoring anchoring;
  uint64_t next_ike = 1, next_child = 1, next_provisional = 1;

  std::mutex log_mu;

  // start_action = trap: whether an initiation of the connection is under
  // way (set by the packet that set it off, cleared when its IKE SA is gone).
  std::unique_ptr<std::atomic<bool>[]> trap_pending;

  Impl(GatewayConfig c, Options o, Wire& w, spu::Anchoring a)
      : config(std::move(c)), options(std::move(o)), wire(w), anchoring(std::move(a)) {}

  // Bits of an SPI that name its SPU: enough for `spus` values (0 for one).
  unsigned spi_bits = 0;

  ike::sa::Time Now() const { return clock->Now(); }
  // The SPU a locally picked SPI names (spus when it names none).
  spu::SpuIndex SpuOfSpi(uint64_t spi, unsigned width) const {
    return spi_bits == 0 ? 0 : static_cast<spu::SpuIndex>(spi >> (width - spi_bits));
  }
  void Log(LogLevel level, std::string text);
  // Places a new IKE SA for `connection` by the anchoring rules under a
  // provisional name; returns its SPU and the name.
  Result<std::pair<spu::SpuIndex, std::string>> Place(size_t connection);
  // The connection an IKE_SA_INIT request from `source` to `destination`
  // is for: the first whose remote_addrs name the source, else the first
  // that takes %any; its local_addrs must hold the destination.
  std::optional<size_t> ConnectionFor(const ike::sa::Endpoint& source, const ike::sa::Endpoint& destination) const;
  // The SPU and the name of the IKE SA or CHILD SA `name` ("IKE-1",
  // "IPsec-2") lives on, from the anchoring.
  std::optional<spu::SpuIndex> SpuOf(std::string_view name) const;
  // The connection a trap policy stands for ("trap/CONNECTION/CHILD").
  std::optional<size_t> TrapConnection(std::string_view policy) const;
};

}  // namespace ipsecref::gateway
