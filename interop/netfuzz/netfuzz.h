// Network fuzzing of a live IKEv2 implementation (`ipsecref fuzz`): the
// conformance tester (interop/conformance/runner.h) drives the IUT through a
// valid state prefix, and one of the tester's messages in it is mutated by
// interop/mutate/ (on its plaintext payloads, in Hooks::OnBuilt, so that an
// encrypted message is encrypted with the real keys after the mutation and
// reaches the IUT's code behind decryption). The answer to the mutated
// message is judged against RFC 7296 §2.21 (answer_rules.h); every few
// iterations, and after any without an answer, a fresh tester's unmutated
// IKE_SA_INIT must still be answered. A finding keeps its capture, keys,
// the IUT's files and a replay command.
//
// Deterministic: iteration i of seed S is Chooser(IterationSeed(S, i)),
// which picks the prefix, the message and the operators; the same seed and
// iteration make the same mutation (the IUT's answers are its own).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "interop/conformance/runner.h"
#include "reference/base/result.h"

namespace ipsecref::netfuzz {

// A valid state prefix the tester drives the IUT through, and which of its
// messages is mutated (the first request of `exchange` it builds; none for
// the ESP prefix, whose mutation is a dataplane deviation).
struct Prefix {
  std::string_view name;
  std::optional<iana::ExchangeType> exchange;
  std::string_view drive;  // the drive step after the initial exchanges ("" for none)
  std::string_view what;
};
std::span<const Prefix> Prefixes();
const Prefix* FindPrefix(std::string_view name);

// The seed of iteration i: splitmix64's finalizer of S ^ i's golden-ratio
// multiple, so that neighbouring iterations share nothing.
uint64_t IterationSeed(uint64_t seed, uint64_t iteration);

// What iteration i does, decided before it runs.
struct Plan {
  uint64_t iteration = 0;
  uint64_t seed = 0;  // IterationSeed
  const Prefix* prefix = nullptr;
  int operations = 1;           // operators applied to the message
  std::string esp_step;         // the ESP prefix: "esp=DEVIATION:COUNT"
  bool esp_answered = false;    // ... and whether a conformant IUT answers it (EspDeviation::answered)
};
// `prefixes`: the names allowed (empty: all).
Plan PlanOf(uint64_t seed, uint64_t iteration, const std::vector<std::string>& prefixes);

// What the mutation did, as the tester's hook recorded it.
struct Mutation {
  bool applied = false;          // the message was built (the prefix reached it)
  iana::ExchangeType exchange = iana::ExchangeType::kIkeSaInit;
  uint32_t message_id = 0;
  uint64_t spi_i = 0, spi_r = 0;
  std::vector<std::string> operators;  // mutate::Applied::what, in order
  std::vector<std::string> operator_names;  // mutate::Applied::op, the same order
  void Add(std::string op, std::string what) {
    operator_names.push_back(std::move(op));
    operators.push_back(std::move(what));
  }
  std::string payloads;                // the mutated payloads (deviations::DescribePayloads)
  bool critical_unknown = false;       // a payload of an unknown type with the critical bit
  std::vector<Bytes> datagrams;        // as sent
};

struct Options {
  std::string target;       // strongswan, gateway, udp:ADDR[:PORT]
  std::string target_file;  // udp: the tester's configuration
  uint64_t seed = 1;
  uint64_t count = 100;
  std::optional<uint64_t> iteration;  // run exactly this one
  double time_limit = 600;            // seconds
  double settle = 1;                  // seconds
  uint64_t probe_every = 5;
  std::vector<std::string> prefixes;  // empty: all
  std::string out;                    // OUT: findings/, summary.json
  std::string ipsecref;               // this binary, for replay.sh
  std::function<void(const std::string&)> progress;
};

// One iteration's outcome.
struct Outcome {
  Plan plan;
  Mutation mutation;
  std::string answer;  // the kind of the IUT's answer ("none", "IKE_SA_INIT accepted", "N(INVALID_SYNTAX)", ...)
  // The ESP prefix: echo requests sent clean and with the deviation, and
  // how many of each got a reply.
  struct EspCounts {
    size_t clean = 0, clean_answered = 0, deviant = 0, deviant_answered = 0;
  };
  std::optional<EspCounts> esp;
  std::vector<std::string> broken;  // rules broken: "R4 rfc7296#section-2.21.1: ..."
  std::optional<bool> probe;        // the probe after it, if one ran: answered or not
  std::string stopped;              // the target stopped answering: why (probe, process)
  // The iterations that may have caused it: those since the last probe
  // answered (this one alone for a broken rule); replay.sh tries each.
  std::vector<uint64_t> suspects;
  std::string finding_dir;          // where the finding went
};

struct Summary {
  std::string target;
  uint64_t seed = 0;
  std::vector<Outcome> outcomes;
  size_t probes = 0, probes_failed = 0;
  double seconds = 0;
  std::string stopped_early;  // why the run ended before --count (the time limit, the target gone)
  size_t findings() const;
};

// Runs the fuzzer on `target` (made with keep_iut for the namespace
// targets). Errors: the target's (kUnsupported: root or a program missing),
// an OUT that cannot be written.
Result<Summary> Fuzz(conformance::Target& target, const Options& options);

// The summary as OUT/summary.json and as text for stdout.
std::string SummaryJson(const Summary& s, const Options& o);
std::string SummaryText(const Summary& s);

}  // namespace ipsecref::netfuzz
