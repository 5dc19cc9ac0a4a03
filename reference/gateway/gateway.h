// The reference as a live IKEv2/ESP gateway: connections from a
// configuration (config.h), IKE SAs run by the state machine
// (reference/ike/sa/), ESP done by the reference's own SAs, traffic steered
// by the SPD and SAD (reference/spd/), all of it on SPUs anchored as
// multi-SPU firewalls anchor (reference/spu/anchoring.h).
//
// Each SPU is a worker thread with a queue. It owns the IKE SAs anchored on
// it (one state-machine Peer per connection), their CHILD SAs' ESP SAs in
// both directions, and their timers: every packet of an SA, inbound or
// outbound, is processed on its anchor SPU, so that sequence numbers and
// replay windows have a single writer. Callers hand packets in from any
// thread (ReceiveUdp, ReceiveIp, ReceiveInner); the gateway routes each to
// its SPU by SPI (every SPI an SPU picks names it: ike::sa::SpiTag) or by
// SPD lookup. A new IKE SA is placed by the anchoring
// rules: a site-to-site peer (remote_addrs names addresses) on the least
// loaded SPU, a dynamic peer (%any) round-robin; its CHILD SAs follow it.
//
// The gateway does no I/O of its own: a Wire takes what it sends (live.h
// puts real sockets and a TUN device behind it; tests put memory).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/gateway/config.h"
#include "reference/ike/sa/environment.h"
#include "reference/io/keys.h"
#include "reference/spu/anchoring.h"

namespace ipsecref::gateway {

// Where the gateway's packets go.
class Wire {
 public:
  virtual ~Wire() = default;
  // A UDP datagram: IKE (with the non-ESP marker on the NAT-T port), ESP
  // in UDP (RFC 3948) or a NAT-keepalive. Called from the SPU threads.
  virtual void SendUdp(const ike::sa::Datagram& datagram) = 0;
  // An ESP packet (SPI .. ICV) as the payload of an IP packet of protocol
  // 50 from `source` to `destination`.
  virtual void SendEsp(ByteSpan esp, ByteSpan source, ByteSpan destination) = 0;
  // A decapsulated inner IP packet, for the TUN device.
  virtual void Deliver(ByteSpan ip_packet) = 0;
};

enum class LogLevel : uint8_t { kError, kWarning, kInfo, kDebug };
std::string_view LevelName(LogLevel level);  // "error", ...
std::optional<LogLevel> LevelFromName(std::string_view name);

struct LogLine {
  ike::sa::Time at = 0;
  LogLevel level = LogLevel::kInfo;
  std::string text;  // "[SPU1] IKE-2 site-b 1a2b3c4d5e6f7a8b_i 0102030405060708_r: ESTABLISHED"
};

struct Options {
  size_t spus = 1;
  // The clock every SPU reads; the system clock when null.
  ike::sa::Clock* clock = nullptr;
  // Reproducible random numbers (SPIs, nonces, IVs) per SPU from this seed;
  // 0: the operating system's generator. Never set outside tests.
  uint64_t deterministic_seed = 0;
  LogLevel log_level = LogLevel::kInfo;
  // Called from any thread, one line at a time (the gateway serialises).
  std::function<void(const LogLine&)> log;
  //= ipsecref#choice
  //# Secrets (keys, shared secrets) are never logged unless asked for.
  bool log_secrets = false;
  // Where key files are kept up to date while the gateway runs (esp_sa,
  // ikev2_decryption_table, keys.json), as strongSwan's save-keys plugin
  // writes them; empty: none.
  std::string keys_dir;
  // Overrides of every connection's responder limits (RFC 7296 §2.6),
  // as strongSwan's charon.cookie_threshold and init_limit_half_open.
  std::optional<size_t> cookie_threshold;
  std::optional<size_t> half_open_limit;
  // Override of every connection's IKE fragment size (RFC 7383: no
  // fragmented datagram larger than this, IP header included), as
  // strongSwan's charon.fragment_size.
  std::optional<size_t> fragment_size;
  // Interval of NAT-keepalives for IKE SAs with this end behind a NAT
  // (RFC 3948 §4; strongSwan's default 20 s).
  ike::sa::Time keepalive_interval = 20'000;
};

// One CHILD SA as `ipsecref ctl list` shows it.
struct ChildSaStatus {
  std::string name;    // "IPsec-3"
  std::string config;  // the children{} entry
  uint32_t spi_in = 0, spi_out = 0;
  std::string state;  // "INSTALLED", "REKEYING", ...
  std::string mode;   // "TUNNEL", "TRANSPORT"
  bool encapsulated = false;  // ESP in UDP
  std::string local_ts, remote_ts;
  std::string proposal;  // "AES_GCM_16_128"
  uint64_t packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
};

struct IkeSaStatus {
  std::string name;        // "IKE-1"
  std::string connection;  // the connections{} entry
  spu::SpuIndex spu = 0;
  std::string role;   // "initiator", "responder"
  std::string state;  // "ESTABLISHED", ...
  uint64_t spi_i = 0, spi_r = 0;
  std::string local, remote;  // "192.0.2.1[4500]"
  std::string proposal;
  std::vector<ChildSaStatus> children;
};

struct Stats {
  uint64_t udp_in = 0, ike_in = 0, esp_in = 0, inner_in = 0, keepalives_in = 0;
  uint64_t esp_out = 0, inner_out = 0, ike_out = 0;
  // Packets not processed, by reason ("unknown_spi", "no_policy",
  // "icv" (authentication failed), "replay", "policy_mismatch", ...).
  std::vector<std::pair<std::string, uint64_t>> dropped;
  std::vector<size_t> ike_sas_per_spu;
  size_t half_open = 0;
};

class SpuWorker;

class Gateway {
 public:
  // Errors: kInvalidArgument (spus out of range, a connection that names
  // no local address to initiate from, a manual tunnel that cannot be
  // installed).
  static Result<std::unique_ptr<Gateway>> Create(GatewayConfig config, Options options, Wire& wire);
  // Stops the SPUs (what is queued is dropped); sends no Delete.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // --- Packets in (any thread) ---
  // A UDP datagram that arrived on the IKE or the NAT-T port.
  void ReceiveUdp(ike::sa::Datagram datagram);
  // An IP packet of protocol 50 (ESP) from a raw socket.
  void ReceiveIp(Bytes ip_packet);
  // An inner IP packet from the TUN device, to be protected.
  void ReceiveInner(Bytes ip_packet);

  // --- Control (any thread; each returns once its SPU has done it) ---
  // Initiates the connection `name` (its first child, or `child`); returns
  // the new IKE SA's name.
  Result<std::string> Initiate(std::string_view connection, std::string_view child = {});
  // "IKE-1": deletes the IKE SA (and its CHILD SAs); "IPsec-3": the CHILD
  // SA; a connection name: all its IKE SAs; a child's name: its INSTALLED
  // CHILD SAs.
  Status Terminate(std::string_view name);
  // "IKE-1": rekeys the IKE SA; "IPsec-3": the CHILD SA; a connection's
  // name: its ESTABLISHED IKE SAs; a child's name: its INSTALLED CHILD SAs.
  Status Rekey(std::string_view name);
  // "IKE-1" or a connection's name (its ESTABLISHED IKE SAs): an empty
  // INFORMATIONAL (liveness check, RFC 7296 §2.4).
  Status CheckLiveness(std::string_view name);
  std::vector<IkeSaStatus> List();
  Stats stats();
  // A copy of the anchoring state (its Map() is the live tunnel map).
  spu::Anchoring anchoring() const;
  // Returns once every packet handed in before the call is processed.
  void Drain();
  // Runs the SPUs' timers now (tests with a fake clock; the SPUs also run
  // them on their own when they are due).
  void Tick();

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  // The SAs `name` stands for: the IKE SA or CHILD SA of that name, else a
  // connection's ESTABLISHED IKE SAs, else (unless ike_only) a child's
  // INSTALLED CHILD SAs.
  std::vector<std::string> SasNamed(std::string_view name, bool ike_only);
  Status ForEachNamed(std::string_view name, bool ike_only,
                      const std::function<Status(SpuWorker&, const std::string&)>& op);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipsecref::gateway
