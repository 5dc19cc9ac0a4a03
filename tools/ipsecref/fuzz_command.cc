// ipsecref fuzz --target T [--target-file FILE] [--count N] [--time SECONDS] [--seed S] [--iteration I]
//               [--settle SECONDS] [--probe-every K] [--prefixes LIST] [--out DIR] [--json]:
// network fuzzing of a live IKEv2 implementation (interop/netfuzz/netfuzz.h).
//
// Exit codes: 0 no finding; 1 findings (OUT/findings/<iteration>/); 2 bad
// usage or an OUT that cannot be written; 77 the target needs root or a
// program that is missing.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "interop/conformance/remote_target.h"
#include "interop/netfuzz/netfuzz.h"
#include "interop/replay/replay.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
namespace {

namespace fs = std::filesystem;

constexpr int kExitSkip = 77;  // as the conformance targets' scripts: a missing program or no root

//= ipsecref#choice
//# A fuzzing run settles after 1 s of quiet (the conformance default is
//# 6 s): an iteration's verdict needs only the answer to one message, and a
//# silent drop is caught by the probe that follows it.
constexpr double kDefaultFuzzSettle = 1.0;

struct FuzzArgs {
  std::string target;
  std::string target_file;
  uint64_t count = 100;
  double time = 600;
  uint64_t seed = 1;
  std::optional<uint64_t> iteration;
  double settle = kDefaultFuzzSettle;
  uint64_t probe_every = 5;
  std::string prefixes;
  std::string out;
  bool json = false;
};

// The address of udp:ADDR[:PORT] (ADDR IPv4, or IPv6 in brackets).
std::string UdpAddress(std::string_view target) {
  std::string_view rest = target.substr(4);
  if (rest.starts_with('[')) return std::string(rest.substr(1, rest.find(']') == std::string_view::npos ? rest.size() - 1 : rest.find(']') - 1));
  return std::string(rest.substr(0, rest.find(':')));
}

int RunFuzz(const FuzzArgs& a) {
  const bool json = a.json;
  std::vector<std::string> problems;
  if (a.count == 0) problems.push_back("--count 0: at least one iteration");
  if (!(std::isfinite(a.time) && a.time > 0)) problems.push_back(fmt::format("--time {}: seconds, finite and more than 0", a.time));
  if (!(a.settle > 0 && a.settle <= conformance::kMaxSettleSeconds))
    problems.push_back(fmt::format("--settle {}: seconds of quiet, more than 0 and at most {}", a.settle,
                                   conformance::kMaxSettleSeconds));
  if (a.probe_every == 0) problems.push_back("--probe-every 0: a probe every K iterations, K at least 1");
  std::vector<std::string> prefixes;
  if (!a.prefixes.empty()) {
    std::stringstream words(a.prefixes);
    for (std::string w; std::getline(words, w, ',');) {
      if (netfuzz::FindPrefix(w) == nullptr) {
        std::vector<std::string_view> known;
        for (const auto& p : netfuzz::Prefixes()) known.push_back(p.name);
        problems.push_back(fmt::format("--prefixes: '{}' is no prefix; known: {}", Echo(w), fmt::join(known, ", ")));
      }
      prefixes.push_back(w);
    }
  }
  const bool udp = a.target.starts_with("udp:");
  if (!udp && a.target != "strongswan" && a.target != "gateway")
    problems.push_back(fmt::format("--target {}: unknown target; known: strongswan, gateway, udp:ADDR[:PORT]", Echo(a.target)));
  if (!a.target_file.empty() && !udp)
    problems.push_back(fmt::format("--target-file applies to --target udp:ADDR[:PORT], not {}", Echo(a.target)));
  //= ipsecref#choice
  //# The fuzzer sends malformed messages only to this machine: loopback or
  //# the documentation addresses its test namespaces hold (the rule of
  //# `ipsecref replay`, io::CheckTestAddress).
  if (udp)
    if (Status s = io::CheckTestAddress(UdpAddress(a.target)); !s)
      problems.push_back(fmt::format("--target {}: {}", Echo(a.target), s.error().detail));
  if (!problems.empty()) return FailUsage("fuzz", fmt::format("{}", fmt::join(problems, "; ")), json);
  // OUT is made before the target: a bad path costs no run.
  const std::string out =
      a.out.empty() ? fmt::format("ipsecref-fuzz-{}-{}", a.target.substr(0, a.target.find(':')), a.seed) : a.out;
  {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out))
      return FailUsage("fuzz", fmt::format("--out {}: not a directory that can be made", Echo(out)), json);
  }

  std::unique_ptr<conformance::Target> target;
  Result<std::unique_ptr<conformance::Target>> made =
      udp ? conformance::MakeUdpTarget(a.target, a.target_file, a.settle)
          : a.target == "strongswan" ? conformance::MakeStrongswanTarget(a.settle, /*keep_iut=*/true)
                                     : conformance::MakeGatewayTarget(a.settle, /*keep_iut=*/true);
  if (!made) {
    const bool missing = made.error().code == Code::kUnsupported;
    return Fail("fuzz", made.error(), json, "--target " + a.target, missing ? kExitSkip : kExitUsage);
  }
  target = std::move(*made);

  netfuzz::Options o;
  o.target = a.target;
  o.target_file = a.target_file;
  o.seed = a.seed;
  o.count = a.count;
  o.iteration = a.iteration;
  o.time_limit = a.time;
  o.settle = a.settle;
  o.probe_every = a.probe_every;
  o.prefixes = prefixes;
  o.out = out;
  std::error_code ec;
  o.ipsecref = fs::read_symlink("/proc/self/exe", ec).string();
  if (isatty(STDERR_FILENO) != 0) o.progress = [](const std::string& line) { fmt::print(stderr, "\r\x1b[Kfuzz: {}", line); };
  auto summary = netfuzz::Fuzz(*target, o);
  if (isatty(STDERR_FILENO) != 0) fmt::print(stderr, "\r\x1b[K");
  if (!summary) {
    const bool missing = summary.error().code == Code::kUnsupported;
    return Fail("fuzz", summary.error(), json, {}, missing ? kExitSkip : kExitUsage);
  }
  fmt::print("{}", json ? netfuzz::SummaryJson(*summary, o) : netfuzz::SummaryText(*summary));
  if (!json) fmt::print("summary: {}\n", (fs::path(o.out) / "summary.json").string());
  return summary->findings() > 0 ? kExitFailed : kExitOk;
}

}  // namespace

void AddFuzzCommand(CLI::App& app, Runner& run) {
  auto a = std::make_shared<FuzzArgs>();
  CLI::App* cmd = app.add_subcommand("fuzz", "Fuzz a live IKEv2 implementation over the network (mutated messages in valid state prefixes)");
  cmd->add_option("--target", a->target,
                  "strongswan (charon in a network namespace; root), gateway (`ipsecref gateway` the same way), or "
                  "udp:ADDR[:PORT] (loopback or a documentation address) with --target-file")
      ->required();
  cmd->add_option("--target-file", a->target_file, "For udp:ADDR: the IUT's configuration seen from the tester (as `conformance`)")
      ->check(NotEmpty());
  cmd->add_option("--count", a->count, "Iterations (default 100)");
  cmd->add_option("--time", a->time, "Stop after this many seconds (default 600), whichever comes first");
  cmd->add_option("--seed", a->seed, "The run's seed (default 1)");
  cmd->add_option("--iteration", a->iteration, "Run exactly this iteration of the seed, then a probe (replay)");
  cmd->add_option("--settle", a->settle, "Seconds without a new message after which a step is settled (default 1)");
  cmd->add_option("--probe-every", a->probe_every, "A fresh IKE_SA_INIT must be answered every K iterations (default 5)");
  cmd->add_option("--prefixes", a->prefixes,
                  "Only these state prefixes (comma-separated): ike-sa-init, ike-auth, child-create, child-rekey, "
                  "ike-rekey, liveness, child-delete, ike-delete, esp")
      ->check(NotEmpty());
  cmd->add_option("--out", a->out, "Where findings/ and summary.json go (default ipsecref-fuzz-TARGET-SEED)")->check(NotEmpty());
  cmd->add_flag("--json", a->json, "The summary as JSON on stdout");
  cmd->footer(
      "A finding (OUT/findings/<iteration>/): the target stopped answering a fresh\n"
      "IKE_SA_INIT (a crash or a hang), or answered a mutated message as RFC 7296\n"
      "§2.21 forbids; capture.pcap, keys.json, ikev2_decryption_table, the IUT's\n"
      "files, finding.json and replay.sh.\n"
      "Exit: 0 no finding; 1 findings; 2 usage or output error; 77 root or a\n"
      "program missing.");
  cmd->callback([a, &run] { run = [a] { return RunFuzz(*a); }; });
}

}  // namespace ipsecref::tool
