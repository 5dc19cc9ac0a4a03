// One SPU of the gateway (internal to gateway.cc and spu_worker.cc): a
// thread with a queue of jobs, the state-machine Peers of the IKE SAs
// anchored on it (one per connection), and the ESP SAs of their CHILD SAs.
// Only its own thread touches what it owns; the gateway's shared tables
// (routes, SPD, anchoring) are written by it under the gateway's locks.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "reference/esp/esp_sa.h"
#include "reference/gateway/gateway.h"
#include "reference/gateway/pending.h"
#include "reference/ike/sa/peer.h"
#include "reference/spd/selector.h"

namespace ipsecref::gateway {

struct Job {
  enum class Kind : uint8_t { kIke, kEsp, kInner, kCall };
  Kind kind = Kind::kCall;
  ike::sa::Datagram datagram;  // kIke; kEsp in UDP: where it came from
  Bytes packet;                // kEsp: SPI .. ICV; kInner: the IP packet
  bool esp_in_udp = false;
  uint32_t spi = 0;             // kEsp: inbound SPI; kInner: the outbound SA's key (its inbound SPI)
  std::optional<size_t> connection;  // kIke: an IKE_SA_INIT request for this connection
  std::string anchor;           // kIke: the provisional anchor of a new IKE SA; empty for a copy of a request placed before
  std::function<void()> call;   // kCall
};

class SpuWorker : public ike::sa::Transport {
 public:
  SpuWorker(Gateway::Impl& gateway, spu::SpuIndex index);
  ~SpuWorker() override;

  void Start();
  void Stop();  // joins the thread
  void Push(Job job);
  // Runs `call` on the SPU's thread and waits for it.
  void Run(const std::function<void()>& call);

  // --- On the SPU's thread only ---
  // A new IKE SA initiated for `connection`, placed here as `anchor`;
  // returns its name.
  Result<std::string> Initiate(size_t connection, const std::string& anchor);
  // Another CHILD SA (the connection's child `child`) over the IKE SA `ike`.
  Status CreateChild(std::string_view ike, size_t child);
  Status Terminate(std::string_view name);
  Status Rekey(std::string_view name);
  Status CheckLiveness(std::string_view name);
  // A manual tunnel anchored here (before the thread starts, or on it).
  Status InstallManual(const ManualTunnel& tunnel);
  void List(std::vector<IkeSaStatus>& out);
  void Tick();
  size_t ike_sas() const { return ikes_.size(); }
  size_t half_open() const;

  // ike::sa::Transport (the Peers send through it).
  void Send(ike::sa::Datagram datagram) override;

 private:
  struct IkeRecord {
    size_t connection = 0;
    std::string name;      // "IKE-1", or the provisional anchor until it has one
    bool replaced = false; // its anchor was handed to the IKE SA it was rekeyed into
    ike::sa::Time last_sent = 0;  // the last NAT-keepalive or ESP packet sent to the peer
    bool keys_seen = false;  // its keys were exported (and, when asked, logged)
    std::set<uint32_t> children;  // inbound SPIs of its installed CHILD SAs
    // The IKE_SA_INIT request that made it (a responder's), until it is
    // established: copies of it still go to this SPU.
    std::optional<PendingKey> pending;
  };
  struct Installed {
    uint64_t ike = 0;  // local SPI of the IKE SA that holds it
    std::string name;  // "IPsec-1"
    std::string config;
    std::unique_ptr<esp::Sa> in, out;
    std::vector<spd::Selector> inbound_selectors;  // local = this side
    bool policy = false;  // its outbound policy is in the SPD
    bool encapsulated = false;
    ike::sa::Endpoint local, remote;  // the IKE SA's (ESP follows it)
    uint64_t packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
  };

  void Loop();
  void Process(Job& job);
  void ProcessIke(Job& job);
  void ProcessEsp(Job& job);
  void ProcessInner(Job& job);
  // Brings the gateway's tables in step with the Peers' IKE and CHILD SAs:
  // anchors, SPD policies, ESP SAs, key files, and the log. `scope`: the
  // IKE SAs (local SPIs) a message touched, besides those the state
  // machine's events name; null: all of them (timers, control calls).
  void Sync(const std::vector<uint64_t>* scope = nullptr);
  // One IKE SA's record; false when the IKE SA is gone (the record too).
  bool SyncRecord(uint64_t spi);
  void SyncIke(uint64_t spi, IkeRecord& record, ike::sa::IkeSa& sa);
  // A new IKE SA of connection `connection` the state machine made (an IKE
  // SA rekey): it takes over `predecessor`'s anchor, or has one of its own.
  // `origin`: how the IKE SA came to be, for the log when it has no
  // predecessor.
  void Adopt(size_t connection, const ike::sa::IkeSa& sa, IkeRecord* predecessor,
             std::string_view origin = "created by an IKE SA rekey");
  void Install(IkeRecord& record, ike::sa::IkeSa& sa, const ike::sa::ChildSa& child);
  void Uninstall(uint32_t spi_in);
  void SendKeepalives(ike::sa::Time now);
  // The state machine gave up an IKE SA of `connection`: dpd_action.
  void PeerDead(size_t connection);
  std::optional<ike::sa::Time> NextDeadline() const;
  // The IKE SA and its Peer by name ("IKE-1") or, for a CHILD SA name, its
  // IKE SA and inbound SPI.
  struct Named {
    ike::sa::Peer* peer = nullptr;
    uint64_t ike = 0;
    uint32_t child = 0;
  };
  Result<Named> Find(std::string_view name) const;
  void Log(LogLevel level, std::string text);
  // Logs what KeyExport::Add said: an error, or an SA left out of
  // Wireshark's files.
  void Exported(const Result<std::optional<std::string>>& result);
  uint64_t OutboundKey(uint32_t spi_in) const;

  Gateway::Impl& gw_;
  const spu::SpuIndex index_;
  std::unique_ptr<crypto::Rng> rng_;
  std::vector<std::unique_ptr<ike::sa::Peer>> peers_;  // one per connection
  std::map<uint64_t, IkeRecord> ikes_;                 // by local IKE SPI
  std::map<uint32_t, Installed> children_;             // by inbound SPI
  std::vector<uint64_t> touched_;  // IKE SAs the jobs of a batch reached
  // When a timer is next due (computed after IKE messages, calls and timers).
  std::optional<ike::sa::Time> next_deadline_;
  // CHILD SAs the dataplane cannot carry (said once in the log); forgotten
  // with their IKE SA's records only when the gateway stops (SPIs are not reused soon).
  std::set<uint32_t> refused_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
};

}  // namespace ipsecref::gateway
