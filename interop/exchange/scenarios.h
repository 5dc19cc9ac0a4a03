// Named exchange scenarios (`ipsecref exchange SCENARIO`): two reference
// peers in memory (reference/testing/exchange.h) run through one protocol
// job of RFC 7296 each, as a table of rows: name, description, the section
// it shows, what must hold at the end, and the function that configures
// the peers and drives the exchange. A Session runs one scenario and keeps
// what the command writes: every datagram with its fake-clock time and the
// message each one carries (from the peers' recorders), and the keys of
// every IKE SA and CHILD SA that existed at any point of the run.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/ike/sa/peer.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys.h"
#include "reference/testing/exchange.h"

namespace ipsecref::exchange {

using ike::sa::Time;
using testing::Exchange;

// One datagram of the capture.
struct CapturedDatagram {
  size_t number = 0;  // 1-based over the whole session
  Time at = 0;        // fake-clock milliseconds
  bool from_initiator = true;
  ike::sa::Datagram datagram;  // as on the wire (after the NAT)
  std::string ladder;          // "IKE_AUTH request { IDi AUTH SA TSi TSr }"
  std::string note;            // "retransmission", "fragment 2/3", "dropped"
};

// An IKE SA as it was first seen with keys.
struct IkeSaRecord {
  io::Ikev2Keys keys;
  iana::Prf prf = iana::Prf::kHmacSha2_256;
  iana::KeGroup ke = iana::KeGroup::kNone;
};

// The final state of one end, for the report.
struct PeerState {
  struct Child {
    uint32_t spi_in = 0, spi_out = 0;
    std::string state;
  };
  struct Ike {
    uint64_t spi_i = 0, spi_r = 0;
    std::string state;
    std::vector<Child> children;
  };
  std::vector<Ike> ike_sas;
};

class Session {
 public:
  // `deviations` (deviations.h) are installed on every run.
  explicit Session(uint64_t seed, std::vector<std::string> deviations = {})
      : seed_(seed), deviations_(std::move(deviations)) {}

  // A new run (a pair of peers) in the session; its clock starts one second
  // after the previous run's last datagram, so the capture's times rise.
  Exchange& Start(ike::sa::IkeConfig initiator, ike::sa::IkeConfig responder);
  Exchange& x() { return *runs_.back(); }

  // Where the scenarios read test data (vectors/x509/ for certificates).
  void set_data_dir(std::string dir) { data_dir_ = std::move(dir); }
  // A file under the data directory; empty (and a failed expectation
  // naming it) when it cannot be read.
  Bytes ReadData(const std::string& relative);

  // Drive the current run; each step records the SAs that exist after it.
  bool DeliverNext();
  size_t Run(size_t max = 1000);
  // The next datagram in flight taken off the network and not delivered (a
  // lost message); false when none is in flight.
  bool DropNext();
  bool AdvanceToNextDeadline();
  // Deliveries and timers until nothing is in flight and no deadline falls
  // within `horizon`.
  void Settle(Time horizon = 0, size_t max_steps = 10000);
  // Records the SAs both peers hold now.
  void Snapshot();

  // An expectation of the scenario; a false one is kept as a failure.
  void Expect(bool holds, std::string what);
  // Expect(status.ok()) naming the operation.
  void ExpectOk(const Status& status, std::string_view operation);

  // Closes the current run (its ladder and final states); called by Start
  // and by the command before it reads the results.
  void Finish();

  const std::vector<CapturedDatagram>& datagrams() const { return datagrams_; }
  const std::vector<std::string>& failures() const { return failures_; }
  // The first refusal of a deviation, if any.
  const std::optional<Error>& deviation_error() const { return deviation_error_; }
  // Keys of every IKE SA by (SPIi, SPIr), of every ESP SA by (SPI, destination).
  const std::map<std::pair<uint64_t, uint64_t>, IkeSaRecord>& ike_sas() const { return ike_sas_; }
  const std::map<std::pair<uint32_t, Bytes>, io::SaKeys>& child_sas() const { return child_sas_; }
  // The final states of each run: [run][0] initiator, [run][1] responder.
  const std::vector<std::array<PeerState, 2>>& final_states() const { return final_states_; }
  // How many runs (pairs of peers) the session started.
  size_t runs() const { return runs_.size(); }

 private:
  void Record(const ike::sa::Peer& peer);
  Bytes OnWire(const Bytes& address) const;

  uint64_t seed_;
  std::string data_dir_ = "vectors";
  std::vector<std::string> deviations_;
  std::optional<Error> deviation_error_;
  std::vector<std::unique_ptr<Exchange>> runs_;
  size_t captured_before_ = 0;  // datagrams of the earlier runs
  bool finished_ = true;
  std::vector<size_t> dropped_;  // numbers in the current run's capture
  std::vector<CapturedDatagram> datagrams_;
  std::vector<std::string> failures_;
  std::map<std::pair<uint64_t, uint64_t>, IkeSaRecord> ike_sas_;
  std::map<std::pair<uint32_t, Bytes>, io::SaKeys> child_sas_;
  std::vector<std::array<PeerState, 2>> final_states_;
};

// The IKE message a UDP payload carries: without the non-ESP marker on port 4500.
ByteSpan IkeMessageOf(const ike::sa::Datagram& d);

// `c` made to authenticate with a signature (RFC 7427, AUTH method 14) of
// `scheme` and the chain vectors/x509/ee-MINE, int-MINE (read through `s`,
// whose data directory is the vectors directory), trusting ca-THEIRS.
ike::sa::IkeConfig WithCertificate(Session& s, ike::sa::IkeConfig c, std::string_view mine,
                                   crypto::SignatureScheme scheme, std::string_view theirs);

struct Scenario {
  std::string_view name;
  std::string_view description;
  std::string_view requirement;  // "rfc7296#section-1.3.2"
  std::string_view expectation;  // what must hold at the end, in words
  void (*run)(Session&);
};

// Every scenario, in the order `ipsecref exchange --list` shows them.
std::span<const Scenario> Scenarios();
const Scenario* FindScenario(std::string_view name);

}  // namespace ipsecref::exchange
