#include "interop/netfuzz/netfuzz.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "interop/conformance/dataplane.h"
#include "interop/conformance/remote_target.h"
#include "interop/mutate/ike_mutator.h"
#include "interop/netfuzz/answer_rules.h"
#include "interop/netfuzz/mutation_hooks.h"
#include "reference/base/splitmix64.h"

namespace ipsecref::netfuzz {
namespace {

namespace fs = std::filesystem;
using iana::ExchangeType;

// The prefixes: the initial exchanges, then one operation of the tester's
// on the established IKE SA (conformance drive steps), or ESP through its
// CHILD SA.
constexpr Prefix kPrefixes[] = {
    {"ike-sa-init", ExchangeType::kIkeSaInit, "", "IKE_SA_INIT request mutated"},
    {"ike-auth", ExchangeType::kIkeAuth, "", "IKE_SA_INIT, then the IKE_AUTH request mutated"},
    {"child-create", ExchangeType::kCreateChildSa, "tester:child-create", "established, a new CHILD SA's request mutated"},
    {"child-rekey", ExchangeType::kCreateChildSa, "tester:child-rekey", "established, a CHILD SA rekey's request mutated"},
    {"ike-rekey", ExchangeType::kCreateChildSa, "tester:ike-rekey", "established, an IKE SA rekey's request mutated"},
    {"liveness", ExchangeType::kInformational, "tester:liveness", "established, an empty INFORMATIONAL request mutated"},
    {"child-delete", ExchangeType::kInformational, "tester:child-delete", "established, a CHILD SA delete mutated"},
    {"ike-delete", ExchangeType::kInformational, "tester:ike-delete", "established, an IKE SA delete mutated"},
    {"esp", std::nullopt, "", "established, ESP through the CHILD SA with a dataplane deviation (dataplane.h)"},
};

//= ipsecref#choice
//# At most three operators on one message: one alone says what the IUT
//# trips on, three reach combinations; more make a message the IUT's
//# first check refuses, which tests little.
constexpr uint64_t kMaxOperations = 3;

// The conformance case every iteration is a run of: the IUT responds.
const conformance::Case& FuzzCase() {
  static const conformance::Case c = [] {
    conformance::Case x;
    x.id = "FUZZ";
    x.title = "network fuzzing";
    x.role = "responder";
    return x;
  }();
  return c;
}

conformance::Run RunOf(std::string id, std::vector<std::string> tester, std::vector<std::string> drive) {
  conformance::Run r;
  r.c = &FuzzCase();
  r.id = std::move(id);
  r.title = FuzzCase().title;
  r.tester = std::move(tester);
  r.drive = std::move(drive);
  return r;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Whether the IUT answered the tester's first IKE_SA_INIT request: any
// IKE_SA_INIT response with its SPIi (accepting, or asking for a COOKIE or
// another KE group, or refusing).
bool AnsweredInit(const conformance::Observation& o) {
  std::optional<uint64_t> spi_i;
  for (const conformance::Observed& w : o.wire) {
    if (w.esp || !w.opened.header || w.opened.header->exchange_type != ExchangeType::kIkeSaInit) continue;
    if (!w.from_iut && !w.opened.header->response() && !spi_i) spi_i = w.opened.header->spi_i;
    if (w.from_iut && w.opened.header->response() && spi_i && w.opened.header->spi_i == *spi_i) return true;
  }
  return false;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command that runs iteration `i` again (and its probe).
std::string ReplayCommand(const Options& o, uint64_t i) {
  std::string cmd = fmt::format("{} fuzz --target {}", ShellQuote(o.ipsecref.empty() ? "ipsecref" : o.ipsecref),
                                ShellQuote(o.target));
  if (!o.target_file.empty()) cmd += " --target-file " + ShellQuote(fs::absolute(o.target_file).string());
  if (!o.prefixes.empty()) cmd += " --prefixes " + ShellQuote(fmt::format("{}", fmt::join(o.prefixes, ",")));
  cmd += fmt::format(" --settle {} --seed {} --iteration {}", o.settle, o.seed, i);
  return cmd;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  ENSURE(f.good(), kIoError, kNoOffset, "", fmt::format("cannot write {}", path.string()));
  return OkStatus();
}

// The IUT's files (configuration, logs) into `dir`/iut/.
void CopyIutFiles(conformance::Target& target, const fs::path& dir) {
  const std::string files = target.IutFiles();
  if (files.empty()) return;
  std::error_code ec;
  fs::create_directories(dir / "iut", ec);
  for (const auto& e : fs::recursive_directory_iterator(files, ec))
    if (e.is_regular_file(ec) && e.file_size(ec) < (64u << 20))
      fs::copy_file(e.path(), dir / "iut" / fs::relative(e.path(), files, ec).string().substr(0, 200),
                    fs::copy_options::overwrite_existing, ec);
}

// One run of the target, its evidence in `keep`.
struct Executed {
  std::unique_ptr<exchange::Session> session;
  conformance::Observation observation;
};

Result<Executed> Execute(conformance::Target& target, const conformance::Run& run) {
  Executed e;
  std::vector<std::string> specs;
  for (const std::string& t : run.tester) specs.push_back("initiator:" + t);
  e.session = std::make_unique<exchange::Session>(conformance::SeedOf(run.id), specs);
  TRY_ASSIGN(e.observation, target.Execute(run, {}, e.session.get()));
  return e;
}

// The probe: a fresh tester's unmutated IKE_SA_INIT is answered (one
// retry); for a target that started the IUT, its process still runs.
struct Probe {
  bool answered = false;
  std::string stopped;  // why not
  std::optional<Executed> last;
};
Result<Probe> RunProbe(conformance::Target& target, const Options& o, uint64_t i) {
  Probe p;
  for (int attempt = 0; attempt < 2 && !p.answered; ++attempt) {
    TRY_ASSIGN(Executed e, Execute(target, RunOf(fmt::format("fuzz-probe-{}-{}-{}", o.seed, i, attempt), {}, {})));
    p.answered = AnsweredInit(e.observation);
    p.last = std::move(e);
  }
  const std::string exited = target.IutExited();
  if (!exited.empty()) p.stopped = fmt::format("the IUT's process {}", exited);
  else if (!p.answered) p.stopped = "a fresh IKE_SA_INIT got no answer (twice): the IUT hangs or is gone";
  return p;
}

Status RecordFinding(conformance::Target& target, const Options& o, Outcome& out, Executed& run,
                     std::optional<Executed>* probe) {
  const fs::path dir = fs::path(o.out) / "findings" / std::to_string(out.plan.iteration);
  std::error_code ec;
  fs::create_directories(dir, ec);
  ENSURE(!ec, kIoError, kNoOffset, "", fmt::format("--out: cannot make {}: {}", dir.string(), ec.message()));
  conformance::RunResult kept;
  const std::string why = conformance::KeepEvidence(*run.session, dir.string(), "", kept, run.observation);
  ENSURE(why.empty() && !kept.pcap.empty(), kIoError, kNoOffset, "",
         fmt::format("finding {}: the evidence was not written: {}", out.plan.iteration, why));
  fs::rename(kept.pcap, dir / "capture.pcap", ec);
  ENSURE(!ec, kIoError, kNoOffset, "", fmt::format("cannot rename {}: {}", kept.pcap, ec.message()));
  if (probe != nullptr && *probe) {
    conformance::RunResult probe_kept;
    (void)conformance::KeepEvidence(*(*probe)->session, (dir / "probe").string(), "", probe_kept, (*probe)->observation);
  }
  CopyIutFiles(target, dir);
  std::vector<std::string> ladder;
  for (const conformance::Observed& w : run.observation.wire)
    ladder.push_back(fmt::format("{:3} {}{}", w.number, w.from_iut ? "<-- IUT  " : "    T --> ", w.text));
  const nlohmann::json finding = {
      {"iteration", out.plan.iteration},
      {"seed", o.seed},
      {"iteration_seed", out.plan.seed},
      {"target", o.target},
      {"prefix", std::string(out.plan.prefix->name)},
      {"mutated_message",
       out.plan.prefix->exchange
           ? nlohmann::json{{"exchange", std::string(iana::Name(out.mutation.exchange))},
                            {"message_id", out.mutation.message_id},
                            {"reached", out.mutation.applied},
                            {"payloads", out.mutation.payloads}}
           : nlohmann::json{{"esp", out.plan.esp_step}}},
      {"operators", out.mutation.operators},
      {"operator_names", out.mutation.operator_names},
      {"answer", out.answer},
      {"broken", out.broken},
      {"stopped", out.stopped},
      {"wrong", out.stopped.empty() ? fmt::format("{}", fmt::join(out.broken, "; "))
                                    : "the target stopped answering: " + out.stopped},
      {"rules", [&] {
         nlohmann::json r = nlohmann::json::array();
         for (const AnswerRule& rule : AnswerRules())
           r.push_back({{"id", std::string(rule.id)}, {"requirement", std::string(rule.requirement)},
                        {"says", std::string(rule.says)}});
         return r;
       }()},
      {"ladder", ladder},
      {"suspects", out.suspects},
      {"replay", ReplayCommand(o, out.suspects.front())},
  };
  TRY(WriteText(dir / "finding.json", finding.dump(2) + "\n"));
  std::string tries;
  for (uint64_t k : out.suspects)
    tries += fmt::format("{} --out \"$out/{}\"; rc=$?; [ $rc = 0 ] || exit $rc\n", ReplayCommand(o, k), k);
  TRY(WriteText(dir / "replay.sh",
                fmt::format("#!/bin/sh\n# Finding {} of seed {} against {}: runs {} again, each with its probe\n"
                            "# (a fresh IUT each), and exits 1 at the first that finds it again (OUT/<iteration>/\n"
                            "# finding.json, OUT the first argument, by default a new temporary directory), 0\n"
                            "# when none does.\n"
                            "out=\"${{1:-$(mktemp -d)}}\"\n{}exit 0\n",
                            out.plan.iteration, o.seed, o.target,
                            out.suspects.size() == 1 ? fmt::format("iteration {}", out.suspects.front())
                                                     : fmt::format("iterations {} (those since the last answered probe)",
                                                                   fmt::join(out.suspects, ", ")),
                            tries)));
  fs::permissions(dir / "replay.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  out.finding_dir = dir.string();
  return OkStatus();
}

}  // namespace

std::span<const Prefix> Prefixes() { return kPrefixes; }

const Prefix* FindPrefix(std::string_view name) {
  for (const Prefix& p : kPrefixes)
    if (p.name == name) return &p;
  return nullptr;
}

uint64_t IterationSeed(uint64_t seed, uint64_t iteration) {
  return SplitMix64Mix(seed ^ (iteration * 0x9e3779b97f4a7c15ULL));
}

Plan PlanOf(uint64_t seed, uint64_t iteration, const std::vector<std::string>& prefixes) {
  Plan p;
  p.iteration = iteration;
  p.seed = IterationSeed(seed, iteration);
  mutate::Chooser c(p.seed);
  std::vector<const Prefix*> allowed;
  for (const Prefix& x : kPrefixes)
    if (prefixes.empty() || std::find(prefixes.begin(), prefixes.end(), x.name) != prefixes.end()) allowed.push_back(&x);
  if (allowed.empty()) allowed.push_back(&kPrefixes[0]);
  p.prefix = allowed[c.Below(allowed.size())];
  p.operations = static_cast<int>(1 + c.Below(kMaxOperations));
  if (!p.prefix->exchange) {
    std::vector<const conformance::dataplane::EspDeviation*> esp;
    for (const auto& d : conformance::dataplane::EspDeviations())
      if (d.esp) esp.push_back(&d);
    const auto* d = esp[c.Below(esp.size())];
    p.esp_step = fmt::format("esp={}:{}", d->name, 1 + c.Below(3));
    p.esp_answered = d->answered;
  }
  return p;
}

size_t Summary::findings() const {
  size_t n = 0;
  for (const Outcome& o : outcomes) n += o.finding_dir.empty() ? 0 : 1;
  return n;
}

Result<Summary> Fuzz(conformance::Target& target, const Options& o) {
  TRY(RegisterMutateDeviation());
  std::error_code ec;
  fs::create_directories(o.out, ec);
  ENSURE(!ec && fs::is_directory(o.out), kIoError, kNoOffset, "", fmt::format("--out {}: not a directory that can be made", o.out));
  Summary s;
  s.target = o.target;
  s.seed = o.seed;
  std::vector<std::string> prefixes = o.prefixes;
  if (prefixes.empty())
    for (const Prefix& p : kPrefixes)
      if (p.exchange || target.features().contains("esp-dataplane")) prefixes.emplace_back(p.name);
  const auto began = std::chrono::steady_clock::now();
  const uint64_t first = o.iteration.value_or(0);
  const uint64_t end = o.iteration ? first + 1 : o.count;
  uint64_t since_probe = 0;
  std::vector<uint64_t> unprobed;  // iterations since the last probe answered
  for (uint64_t i = first; i < end; ++i) {
    if (Since(began) >= o.time_limit) {
      s.stopped_early = fmt::format("the time limit ({} s) after {} iterations", o.time_limit, s.outcomes.size());
      break;
    }
    Outcome out;
    out.plan = PlanOf(o.seed, i, prefixes);
    const Prefix& prefix = *out.plan.prefix;
    std::vector<std::string> drive;
    if (!prefix.drive.empty()) drive.emplace_back(prefix.drive);
    if (!prefix.exchange) drive.push_back("tester:" + out.plan.esp_step);
    std::vector<std::string> tester;
    if (prefix.exchange) {
      tester.push_back(fmt::format("mutate={}", out.plan.seed));
      ExpectMutation(out.plan.seed, *prefix.exchange, out.plan.operations);
    }
    auto run = Execute(target, RunOf(fmt::format("fuzz-{}-{}", o.seed, i), tester, drive));
    out.mutation = TakeMutation(out.plan.seed);
    //= ipsecref#choice
    //# Ctrl-C (or SIGTERM) ends the run as a time limit would: the target
    //# removes what it made, and summary.json is written for the
    //# iterations done.
    const auto interrupted = [&] {
      s.stopped_early = fmt::format("interrupted by a signal after {} iterations", s.outcomes.size());
    };
    if (!run && conformance::InterruptedBySignal()) {
      interrupted();
      break;
    }
    if (!run) return std::move(run).error();
    bool silent = false;
    if (prefix.exchange) {
      const Answers answers = AnswersTo(out.mutation, run->observation);
      out.answer = AnswerKind(answers);
      out.broken = Judge(out.mutation, answers);
      silent = answers.request_seen && answers.distinct.empty();
    } else {
      size_t replies = 0;
      Outcome::EspCounts n;
      for (const auto& p : run->observation.esp_probes) {
        replies += p.answers;
        (p.deviation.empty() ? n.clean : n.deviant) += 1;
        (p.deviation.empty() ? n.clean_answered : n.deviant_answered) += p.answers > 0 ? 1 : 0;
      }
      out.answer = run->observation.esp_probes.empty() ? "ESP not sent" : fmt::format("{} echo replies", replies);
      if (!run->observation.esp_probes.empty()) out.esp = n;
      silent = replies == 0;
    }
    unprobed.push_back(i);
    out.suspects = {i};
    std::optional<Executed> probe_run;
    //= ipsecref#choice
    //# A probe follows every --probe-every iterations, any iteration whose
    //# mutated message got no answer (a crash looks like that first), and
    //# the single iteration of --iteration (a replay must see a crash).
    if (++since_probe >= o.probe_every || silent || o.iteration) {
      since_probe = 0;
      auto probed = RunProbe(target, o, i);
      if (!probed && conformance::InterruptedBySignal()) {
        s.outcomes.push_back(std::move(out));
        interrupted();
        break;
      }
      TRY_ASSIGN(Probe p, std::move(probed));
      ++s.probes;
      out.probe = p.answered && p.stopped.empty();
      if (!*out.probe) {
        ++s.probes_failed;
        out.stopped = p.stopped;
        probe_run = std::move(p.last);
        // The last one first: a silent answer called this probe at once.
        out.suspects.assign(unprobed.rbegin(), unprobed.rend());
      }
      unprobed.clear();
    }
    if (!out.broken.empty() || !out.stopped.empty()) TRY(RecordFinding(target, o, out, *run, &probe_run));
    if (o.progress)
      o.progress(fmt::format("{} {} {} {}{}", i, prefix.name, out.answer,
                             out.finding_dir.empty() ? "" : "FINDING ", out.finding_dir));
    const bool stopped = !out.stopped.empty();
    s.outcomes.push_back(std::move(out));
    if (stopped) {
      // A target that started the IUT starts a fresh one; one that does not
      // (udp:) has nothing left to fuzz.
      if (target.IutFiles().empty()) {
        s.stopped_early = fmt::format("the target stopped answering after iteration {}", i);
        break;
      }
      target.ForgetIut();
    }
  }
  s.seconds = Since(began);
  TRY(WriteText(fs::path(o.out) / "summary.json", SummaryJson(s, o)));
  return s;
}

std::string SummaryJson(const Summary& s, const Options& o) {
  nlohmann::json prefixes = nlohmann::json::object(), operators = nlohmann::json::object(),
                 answers = nlohmann::json::object(), findings = nlohmann::json::array(),
                 esp = nlohmann::json::array();
  size_t reached = 0;
  for (const Outcome& x : s.outcomes) {
    // The ESP iterations one by one: the deviation, whether a conformant
    // IUT answers the deviant echo requests (the dataplane table's verdict,
    // not judged here: the conformance suite judges ESP), and the echo
    // requests, clean and deviant, sent and answered.
    if (x.esp)
      esp.push_back({{"iteration", x.plan.iteration}, {"step", x.plan.esp_step},
                     {"deviant_answered_by_conformant_iut", x.plan.esp_answered},
                     {"clean_sent", x.esp->clean}, {"clean_answered", x.esp->clean_answered},
                     {"deviant_sent", x.esp->deviant}, {"deviant_answered", x.esp->deviant_answered}});
    prefixes[std::string(x.plan.prefix->name)] = prefixes.value(std::string(x.plan.prefix->name), 0) + 1;
    answers[x.answer] = answers.value(x.answer, 0) + 1;
    reached += x.mutation.applied || !x.plan.prefix->exchange ? 1 : 0;
    for (const std::string& op : x.mutation.operator_names) operators[op] = operators.value(op, 0) + 1;
    if (!x.finding_dir.empty())
      findings.push_back({{"iteration", x.plan.iteration}, {"prefix", std::string(x.plan.prefix->name)},
                          {"broken", x.broken}, {"stopped", x.stopped}, {"dir", x.finding_dir},
                          {"replay_sh", (fs::path(x.finding_dir) / "replay.sh").string()}});
  }
  const nlohmann::json j = {
      {"target", s.target},
      {"seed", s.seed},
      {"count", o.count},
      {"time_limit", o.time_limit},
      {"settle", o.settle},
      {"probe_every", o.probe_every},
      {"iterations", s.outcomes.size()},
      {"mutations_reached", reached},
      {"prefixes", prefixes},
      {"operators", operators},
      {"answers", answers},
      {"probes", s.probes},
      {"probes_failed", s.probes_failed},
      {"findings", findings},
      {"seconds", s.seconds},
      {"iterations_per_second", s.seconds > 0 ? static_cast<double>(s.outcomes.size()) / s.seconds : 0.0},
      {"stopped_early", s.stopped_early},
      {"esp", esp},
  };
  return j.dump(2) + "\n";
}

std::string SummaryText(const Summary& s) {
  std::map<std::string, size_t> prefixes, answers, operators;
  for (const Outcome& x : s.outcomes) {
    ++prefixes[std::string(x.plan.prefix->name)];
    ++answers[x.answer];
    for (const std::string& op : x.mutation.operator_names) ++operators[op];
  }
  std::string out = fmt::format("fuzz {}: seed {}, {} iterations in {:.1f} s ({:.2f}/s), {} probes ({} failed), {} findings\n",
                                s.target, s.seed, s.outcomes.size(), s.seconds,
                                s.seconds > 0 ? static_cast<double>(s.outcomes.size()) / s.seconds : 0.0, s.probes,
                                s.probes_failed, s.findings());
  for (const auto& [name, n] : prefixes) out += fmt::format("  prefix {:<14} {}\n", name, n);
  for (const auto& [name, n] : operators) out += fmt::format("  operator {:<22} {}\n", name, n);
  for (const auto& [kind, n] : answers) out += fmt::format("  answer {:<40} {}\n", kind, n);
  for (const Outcome& x : s.outcomes)
    if (!x.finding_dir.empty())
      out += fmt::format("  FINDING iteration {} ({}): {} -> {}\n", x.plan.iteration, x.plan.prefix->name,
                         x.stopped.empty() ? fmt::format("{}", fmt::join(x.broken, "; ")) : "stopped: " + x.stopped,
                         x.finding_dir);
  if (!s.stopped_early.empty()) out += fmt::format("  stopped early: {}\n", s.stopped_early);
  return out;
}

}  // namespace ipsecref::netfuzz
