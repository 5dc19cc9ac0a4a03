// Runs the conformance catalogue against an implementation under test (the
// IUT) and judges each run from what crossed the wire. The tester is a
// reference peer that applies the run's deviations; the judge (judge.h)
// reads only the datagrams both ends sent (the IUT's decrypted with the
// tester's keys) and the tester's own state, never the IUT's insides, so
// that a verdict means the same whatever the target.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interop/conformance/catalogue.h"
#include "interop/conformance/dataplane.h"
#include "interop/deviations/observe.h"
#include "interop/exchange/scenarios.h"

namespace ipsecref::conformance {

enum class Verdict : uint8_t {
  kPass,
  kFail,
  kUnsupported,   // the case needs what the target does not have
  kInconclusive,  // the target stopped answering
  kExpectedFail,  // failed, and the expected-results file says it does
  kUnexpectedPass,  // passed, though the expected-results file says it fails
};
std::string_view Name(Verdict v);

// One datagram of a run as the judge sees it.
struct Observed {
  size_t number = 0;   // 1-based over the run
  int64_t at = 0;      // milliseconds since the run began
  bool from_iut = false;
  bool lost = false;   // sent, and taken off the network by a deviation
  Bytes message;       // the IKE message (non-ESP marker removed)
  uint16_t source_port = 0, destination_port = 0;
  deviations::Opened opened;
  std::string text;    // deviations::Describe
  bool esp = false;    // an ESP packet of the dataplane: `message` is its outer IP packet
};

// Everything a run leaves for the judge.
struct Observation {
  std::vector<Observed> wire;
  bool established = false;  // the tester holds an ESTABLISHED IKE SA at the end
  size_t ike_sas = 0;        // the tester's IKE SAs at the end
  size_t children = 0;       // the CHILD SAs of its established IKE SA
  uint64_t first_spi_i = 0;  // the first IKE SA's SPIs (as on the wire)
  uint64_t final_spi_i = 0, final_spi_r = 0;
  std::set<uint32_t> first_children, final_children;  // the tester's inbound CHILD SPIs
  std::optional<bool> probe_answered;  // the tester's closing liveness check, when it had an IKE SA
  std::vector<std::string> tester_log;  // the tester's events
  // The ESP dataplane (drive steps tester:esp=SPEC, dataplane.h): the echo
  // requests the tester sent through the CHILD SA, with the replies each
  // got, and what the tester could not send.
  std::vector<dataplane::Probe> esp_probes;
  std::vector<std::pair<uint32_t, uint64_t>> esp_replies;  // SPI and sequence number of each IUT ESP packet
  std::vector<std::string> esp_notes;
};

// One check's outcome.
struct CheckResult {
  std::string check;     // "notify IKE_SA_INIT response N(INVALID_SYNTAX)"
  bool held = false;
  std::string observed;  // what was seen instead, when it did not hold
};

struct RunResult {
  const Run* run = nullptr;
  Verdict verdict = Verdict::kPass;
  std::string reason;  // why unsupported or inconclusive; the failed checks
  std::vector<CheckResult> checks;
  std::vector<std::string> ladder;  // "  1  0.000 T --> IUT  IKE_SA_INIT request ..."
  std::string expected_failure;    // the expected-results file's reason, if it lists the run
  std::string pcap, keys_dir;      // the evidence kept (--keep)
  std::string recheck;             // `ipsecref check` on the evidence: "PASS ..." or what failed
  double seconds = 0;
};

// The implementation under test as the runner drives it.
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;
  // What the implementation has ("initiate", "iut-operations",
  // "fragmentation", "cookies", "ecp256", ...); a case that needs anything
  // else is unsupported. "iut-operations" is every `iut:OP` drive step; a
  // target with only some declares each one ("iut:child-rekey").
  virtual const std::set<std::string>& features() const = 0;
  // Runs one case and observes it; `faults` (deviations of the reference
  // IUT, or "lenient") only where the target is the reference itself.
  virtual Result<Observation> Execute(const Run& run, const std::vector<std::string>& faults,
                                      exchange::Session* keep) = 0;
  // A namespace target made to keep its IUT across runs (the network
  // fuzzer's, remote_target.h): how the IUT's process ended ("" while it
  // runs, and for a target that keeps none).
  virtual std::string IutExited() { return {}; }
  // The kept IUT's directory: its configuration and logs ("" without one).
  virtual std::string IutFiles() const { return {}; }
  // The next run starts a fresh IUT (after one that stopped).
  virtual void ForgetIut() {}
};

// The reference in process: two reference peers in memory, on a fake clock
// (no root, no network, no waiting). The certificate setups read their
// chains from `vectors_dir`/x509/.
std::unique_ptr<Target> MakeReferenceTarget(std::string vectors_dir = {});

// --- what every target shares ---------------------------------------------------
// A target changes only how datagrams travel and time passes; the run's
// configurations, its steps and its observation are these, the same for
// every target, so that the judge reads the same Observation.

// A run's starting point: both ends' configurations
// (testing::PskInitiatorConfig and PskResponderConfig changed by the run's
// setup) and the deviations to install ("initiator:NAME", "responder:NAME"):
// the tester's, or, with `faults`, the reference IUT's. With
// `tester_base`, the tester's configuration starts from it instead (a remote
// IUT configured as the target file says) and the setup changes it alike.
struct RunSetup {
  bool iut_initiates = false;
  ike::sa::IkeConfig initiator, responder;
  std::string nat;  // setup "nat": "tester" (behind a NAT), "iut" (iut-nat), "" (none)
  bool lenient = false;  // the fault `lenient`: the tester's deviations left out
  std::vector<std::string> deviations;
  std::vector<std::string> host_faults;  // the faults of the reference's ESP host (dataplane.h)
  // The certificate setups ("cert-ecdsa", ...), each with its end ("", "tester", "iut"): a target applies them.
  std::vector<std::pair<std::string, std::string>> certificates;
  ike::sa::IkeConfig& tester() { return iut_initiates ? responder : initiator; }
  ike::sa::IkeConfig& iut() { return iut_initiates ? initiator : responder; }
};
Result<RunSetup> SetupOf(const Run& run, const std::vector<std::string>& faults,
                         const ike::sa::IkeConfig* tester_base = nullptr);

// A run's seed, from its id: the same every time.
uint64_t SeedOf(std::string_view id);

// The peer's first ESTABLISHED IKE SA, or nullptr.
ike::sa::IkeSa* EstablishedSa(ike::sa::Peer& p);

// The ESP and AH packets of a run's dataplane steps into its observation:
// each step's packets after the IKE datagrams sent before it
// (Link::steps()), and the probes, replies and notes.
void MergeEsp(const dataplane::Link& link, ike::sa::Time start, Observation& o);

// How a target moves a run on.
class RunDriver {
 public:
  virtual ~RunDriver() = default;
  // Until the network is quiet: what is in flight delivered, the timers
  // that matter run.
  virtual void Settle() = 0;
  // The IUT starts an IKE SA (role initiator).
  virtual void InitiateIut() = 0;
  // An `iut:OP` drive step; an error leaves the run to be judged as it is.
  virtual Status OperateIut(std::string_view op) = 0;
  // A `wait:MS` drive step.
  virtual void Wait(ike::sa::Time ms) = 0;
  // A `tester:esp=SPEC` or `tester:ah=SPEC` drive step (`step` from esp=
  // or ah=; the dataplane, dataplane.h); a target without the feature
  // esp-dataplane (or ah) never gets one.
  virtual Status SendEsp(std::string_view step) {
    return Error{Code::kUnsupported, kNoOffset, "", fmt::format("tester:{}: no dataplane", step)};
  }
  // The run's observation made: what the driver saw besides the IKE
  // datagrams goes into it.
  virtual void Complete(Observation& /*o*/) {}
};

// One run on the session's current exchange (Session::Start done, the
// deviations installed): the initiator starts, the network settles, each
// drive step runs and the network settles, the closing liveness check;
// then the Observation, the IUT's messages decrypted with the tester's keys.
Observation Conduct(const Run& run, exchange::Session& s, RunDriver& driver);

// A tester operation (`tester:OP`, OP one of the drive operations).
Status Operate(ike::sa::Peer& p, std::string_view op);

// Judges one run from its observation.
std::vector<CheckResult> Judge(const Run& run, const Observation& o);
// The kinds of checks a catalogue may use (judge.cc's table), with their
// arguments, for the catalogue's README and for ParseCatalogue's errors.
struct CheckKind {
  std::string_view name;
  std::string_view arguments;
  std::string_view meaning;
};
std::span<const CheckKind> CheckKinds();
// Whether the run's checks name known kinds with known arguments; the
// error names the case and the check.
Status Validate(const Run& run);
// The tables of interop/conformance/README.md: the kinds of checks, the
// setups (Markdown).
std::string CheckTableMarkdown();
std::string SetupTableMarkdown();
std::string FeatureTableMarkdown();

// The operations an `iut:OP` (or `both:OP`) drive step names.
inline constexpr std::string_view kIutOperations[] = {"child-create", "child-rekey", "child-delete", "ike-rekey",
                                                      "ike-delete",   "liveness",    "reauthenticate"};

// Whether `name` is a feature a case may need (kFeatures in runner.cc, or
// iut:OP).
bool IsFeature(std::string_view name);

// The expected-results file: per line a case or run id (or a glob of
// them) and the reason it is known to fail; '#' starts a comment. Errors
// name the file and the line.
struct Expectation {
  std::string glob;
  std::string reason;
};
Result<std::vector<Expectation>> ParseExpectations(const std::string& text, const std::string& name);

struct RunOptions {
  std::string cases_glob;  // empty: every case
  std::string role;        // empty: both
  std::string keep_dir;    // empty: keep nothing
  std::string expect_file;
  std::string ipsecref;    // the binary that re-judges the evidence (`check`), when kept
  std::string vectors_dir;  // the certificates of the certificate setups (`vectors_dir`/x509/)
  std::function<void(size_t done, size_t total, const RunResult&)> progress;
};

struct Report {
  std::string target;
  std::vector<RunResult> results;
  size_t Count(Verdict v) const;
};

// Writes the run's capture (DIR/run.pcap) and keys (keys.json, Wireshark's
// ikev2_decryption_table, esp_sa) under `dir` and, with `ipsecref` (the
// binary), runs `ipsecref check` on them; returns its verdict line, or what
// could not be written. Sets result.pcap and result.keys_dir.
std::string KeepEvidence(const exchange::Session& s, const std::string& dir, const std::string& ipsecref,
                         RunResult& result, const Observation& o);

Result<Report> RunCatalogue(const Catalogue& catalogue, Target& target, const RunOptions& options);

// Mutation testing of the suite: every run again under each of its faults;
// a run is killed when at least one fault makes it fail.
struct Mutation {
  const Run* run = nullptr;
  std::vector<std::pair<std::string, bool>> faults;  // fault, and whether the run failed under it
  bool killed() const;
};
Result<std::vector<Mutation>> MutationTest(const Catalogue& catalogue, const RunOptions& options);

}  // namespace ipsecref::conformance
