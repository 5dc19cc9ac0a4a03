// The exchange harness: IKEv2 peers of the reference in memory, on a shared
// fake clock, with every datagram in flight held in a queue the test
// controls: deliver the next one, drop it, duplicate it, hold it back,
// reorder. Helpers in the style of strongSwan's exchange_test_helper
// (establish an SA, deliver the next message, look at what each peer built)
// let tests read as the RFC's ladders.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/crypto/primitives.h"
#include "reference/ike/sa/peer.h"

namespace ipsecref::testing {

using ike::sa::Datagram;
using ike::sa::Endpoint;
using ike::sa::Time;

class FakeClock final : public ike::sa::Clock {
 public:
  Time Now() const override { return now_; }
  void Advance(Time by) { now_ += by; }
  void Set(Time t) { now_ = t; }

 private:
  // 2026-01-01 00:00:00 UTC: the clock reads milliseconds since the Unix
  // epoch, and certificates are checked against it.
  Time now_ = 1'767'225'600'000;
};

// One datagram sent, as the capture shows it.
struct Sent {
  size_t number = 0;  // 1-based, in sending order
  Time at = 0;
  Datagram datagram;
};

// A NAT in front of one peer: its datagrams leave from `outside` (the port
// changes with the inner port: 500 -> outside.port, 4500 -> outside.port+1),
// and datagrams to `outside` go back in.
struct Nat {
  Endpoint inside_address;  // the port is ignored
  Endpoint outside;
};

class Network final : public ike::sa::Transport {
 public:
  void Send(Datagram d) override;

  std::deque<Sent> in_flight;
  std::vector<Sent> captured;  // every datagram sent, for pcap output
  std::optional<Nat> nat;
  // Called for every datagram sent; returning false drops it at once
  // (flow deviations sit here).
  std::function<bool(const Sent&)> filter;
  Time now = 0;
  const ike::sa::Clock* clock = nullptr;
};

// Records every message a peer built (before encryption), for ladders.
class Recorder : public ike::sa::Hooks {
 public:
  void OnBuilt(const ike::sa::IkeSa& sa, ike::Message& m) override;
  std::vector<ike::Message> built;
  Hooks* next = nullptr;  // chained hooks (a deviation), called after recording
  void OnProtect(const ike::sa::IkeSa& sa, const ike::Message& m, ike::SkCrypter::ProtectOptions& o) override;
  void OnEncoded(const ike::sa::IkeSa& sa, const ike::Message& m, std::vector<Bytes>& datagrams) override;
  bool OnRetransmit(const ike::sa::IkeSa& sa, uint32_t message_id) override;
};

// "SA KE Nonce N(NAT_DETECTION_SOURCE_IP) ..." — the payload labels of a
// message (the inner ones of an encrypted message), space-separated.
std::string Labels(const ike::Message& m);
// "IKE_AUTH request" and its labels: "IKE_AUTH request { IDi AUTH SA TSi TSr }".
std::string Ladder(const ike::Message& m);

class Exchange {
 public:
  // Two peers: the initiator at 192.0.2.1, the responder at 192.0.2.2
  // (RFC 5737 documentation addresses), port 500; `seed` fixes every random
  // draw.
  Exchange(ike::sa::IkeConfig initiator, ike::sa::IkeConfig responder, uint64_t seed = 1);

  ike::sa::Peer& initiator() { return *peers_[0].peer; }
  ike::sa::Peer& responder() { return *peers_[1].peer; }
  Recorder& initiator_log() { return *peers_[0].recorder; }
  Recorder& responder_log() { return *peers_[1].recorder; }
  FakeClock& clock() { return clock_; }
  Network& network() { return network_; }

  // Deviation hooks for one peer (called after the recorder); null removes them.
  void SetHooks(ike::sa::Peer& peer, ike::sa::Hooks* hooks);

  // The next datagram in flight, taken off the queue without delivering it.
  std::optional<Datagram> Take();
  // Delivers the next datagram in flight to the peer it is addressed to.
  bool DeliverNext();
  void Deliver(const Datagram& d);
  // Delivers until nothing is in flight (at most `max` datagrams); returns
  // how many were delivered.
  size_t Run(size_t max = 1000);
  // Moves the clock to the earliest deadline of any peer and ticks them;
  // false when no peer has one.
  bool AdvanceToNextDeadline();
  // Runs deliveries and timers until nothing is in flight and no deadline
  // falls within `horizon` from now.
  void Settle(Time horizon = 0, size_t max_steps = 10000);

  // Initiates from the initiator and runs until quiet; returns the
  // initiator's IKE SA SPI (0 when it did not come up).
  uint64_t Establish();
  // The peer's only IKE SA that is not destroyed, or null if none or several.
  ike::sa::IkeSa* OnlyIkeSa(ike::sa::Peer& peer) const;

 private:
  struct PeerSlot {
    std::unique_ptr<crypto::Rng> rng;
    std::unique_ptr<Recorder> recorder;
    std::unique_ptr<ike::sa::Peer> peer;
  };
  ike::sa::Peer* PeerAt(const Endpoint& destination);

  FakeClock clock_;
  Network network_;
  std::vector<PeerSlot> peers_;
};

// Configurations the tests and scenarios start from: PSK authentication,
// AES-GCM-16/128 with PRF-HMAC-SHA2-256 and Curve25519 for IKE, AES-GCM-16
// for ESP, 10.1.0.0/16 <-> 10.2.0.0/16.
ike::sa::IkeConfig PskInitiatorConfig();
ike::sa::IkeConfig PskResponderConfig();

}  // namespace ipsecref::testing
