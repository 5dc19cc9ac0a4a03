// ipsecref conformance [--target T] [--target-file FILE] [--settle SECONDS] [--cases GLOB] [--role R] [--expect FILE] [--keep DIR]
//                      [--json] [--junit FILE] [--html FILE] [--mutation] [--list]:
// runs the conformance catalogue (interop/conformance/catalogue/) against an
// implementation under test and reports a verdict per run.
//
// Exit codes: 0 every run passed, was unsupported or failed as the
// expected-results file says; 1 a run failed, passed unexpectedly or was
// inconclusive (with --mutation: a run no fault kills); 2 bad usage, a
// catalogue that does not read, or an output that cannot be written.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "interop/conformance/catalogue.h"
#include "interop/conformance/remote_target.h"
#include "interop/conformance/runner.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/conformance_report.h"
#include "tools/ipsecref/output_file.h"

namespace ipsecref::tool {
namespace {

namespace fs = std::filesystem;

struct ConformanceOptions {
  std::string target = "reference";
  std::string target_file;
  std::optional<double> settle;
  std::string catalogue;
  std::string cases;
  std::string role;
  std::string expect;
  std::string keep;
  std::string junit;
  std::string html;
  bool json = false;
  bool list = false;
  bool verbose = false;
  bool mutation = false;
};

Status WriteFile(std::string_view option, const std::string& path, const std::string& text) {
  TRY_ASSIGN(OutputFile f, OutputFile::Open(option, path, {}, true));
  if (f.is_stdout()) {
    fmt::print("{}", text);
    return OkStatus();
  }
  {
    std::ofstream out(f.write_path(), std::ios::binary);
    out << text;
    out.flush();
    ENSURE(out.good(), kIoError, kNoOffset, "", fmt::format("{} {}: write failed", option, Echo(path)));
  }
  return f.Commit();
}

int List(const conformance::Catalogue& cat, const ConformanceOptions& o) {
  const std::vector<conformance::Run> runs = cat.Runs();
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : cat.cases)
      j.push_back({{"id", c.id}, {"title", c.title}, {"group", c.group}, {"requirement", c.requirement},
                   {"level", c.level}, {"role", c.role}, {"class", c.klass}});
    fmt::print("{}\n", nlohmann::json{{"cases", j}, {"runs", runs.size()}}.dump(2));
    return kExitOk;
  }
  for (const auto& c : cat.cases)
    fmt::print("{:<28} {:<9} {:<6} {:<24} {}\n", c.id, c.role, c.level, c.requirement, c.title);
  fmt::print("{} cases, {} runs\n", cat.cases.size(), runs.size());
  return kExitOk;
}

int RunConformance(const ConformanceOptions& o) {
  const bool json = o.json;
  if (o.role != "" && o.role != "initiator" && o.role != "responder")
    return FailUsage("conformance", fmt::format("--role {}: initiator or responder", Echo(o.role)), json);
  const std::string dir = o.catalogue.empty() ? DefaultDataDir("interop/conformance/catalogue", "conformance") : o.catalogue;
  auto cat = conformance::LoadCatalogue(dir);
  if (!cat) return Fail("conformance", cat.error(), json, "catalogue");
  if (o.list) return List(*cat, o);
  std::unique_ptr<conformance::Target> target;
  if (o.settle && !(*o.settle > 0 && *o.settle <= conformance::kMaxSettleSeconds))
    return FailUsage("conformance",
                     fmt::format("--settle {}: seconds of quiet, more than 0 and at most {}", *o.settle,
                                 conformance::kMaxSettleSeconds),
                     json);
  const bool remote = o.target == "strongswan" || o.target == "strongswan-xfrm" || o.target == "libreswan" ||
                      o.target == "gateway" || o.target.starts_with("udp:");
  if (o.settle && !remote)
    return FailUsage("conformance", fmt::format("--settle applies to the remote targets (strongswan, strongswan-xfrm, libreswan, gateway, udp:ADDR), not {}", Echo(o.target)), json);
  if (!o.target_file.empty() && !o.target.starts_with("udp:"))
    return FailUsage("conformance", fmt::format("--target-file applies to --target udp:ADDR[:PORT], not {}", Echo(o.target)), json);
  const double settle = o.settle.value_or(conformance::kDefaultSettleSeconds);
  if (o.target == "reference") {
    target = conformance::MakeReferenceTarget(DefaultVectorsDir());
  } else if (o.target == "strongswan") {
    auto t = conformance::MakeStrongswanTarget(settle);
    if (!t) return Fail("conformance", t.error(), json, "--target strongswan");
    target = std::move(*t);
  } else if (o.target == "strongswan-xfrm") {
    auto t = conformance::MakeStrongswanXfrmTarget(settle);
    if (!t) return Fail("conformance", t.error(), json, "--target strongswan-xfrm");
    target = std::move(*t);
  } else if (o.target == "libreswan") {
    auto t = conformance::MakeLibreswanTarget(settle);
    if (!t) return Fail("conformance", t.error(), json, "--target libreswan");
    target = std::move(*t);
  } else if (o.target == "gateway") {
    auto t = conformance::MakeGatewayTarget(settle);
    if (!t) return Fail("conformance", t.error(), json, "--target gateway");
    target = std::move(*t);
  } else if (o.target.starts_with("udp:")) {
    auto t = conformance::MakeUdpTarget(o.target, o.target_file, settle);
    if (!t) return Fail("conformance", t.error(), json);
    target = std::move(*t);
  } else {
    return FailUsage("conformance",
                     fmt::format("--target {}: unknown target; known: reference, strongswan, strongswan-xfrm, libreswan, gateway, udp:ADDR[:PORT]", Echo(o.target)),
                     json);
  }
  if (!o.expect.empty())
    if (Status s = CheckInput("--expect", o.expect); !s) return Fail("conformance", s.error(), json);
  if (o.html == "-") return FailUsage("conformance", "--html -: the page goes to a file", json);
  if (o.junit == "-" && json) return FailUsage("conformance", "--junit - and --json both want stdout", json);
  // Outputs are planned before anything runs: a bad path costs no run.
  for (const auto& [option, path] : {std::pair{"--junit", o.junit}, std::pair{"--html", o.html}})
    if (!path.empty()) {
      auto f = OutputFile::Open(option, path, {}, true);
      if (!f) return Fail("conformance", f.error(), json);
    }
  if (!o.keep.empty()) {
    std::error_code ec;
    fs::create_directories(o.keep, ec);
    if (ec || !fs::is_directory(o.keep))
      return FailUsage("conformance", fmt::format("--keep {}: not a directory that can be made", Echo(o.keep)), json);
  }
  conformance::RunOptions ro;
  ro.cases_glob = o.cases;
  ro.role = o.role;
  ro.keep_dir = o.keep;
  ro.expect_file = o.expect;
  ro.vectors_dir = DefaultVectorsDir();
  std::error_code ec;
  ro.ipsecref = fs::read_symlink("/proc/self/exe", ec).string();
  const bool terminal = isatty(STDERR_FILENO) != 0;
  ro.progress = [terminal](size_t done, size_t total, const conformance::RunResult& r) {
    if (terminal)
      fmt::print(stderr, "\r\x1b[Kconformance: {}/{} {} {}", done, total, Name(r.verdict), r.run->id);
    if (terminal && done == total) fmt::print(stderr, "\r\x1b[K");
  };
  if (o.mutation) {
    auto ms = conformance::MutationTest(*cat, ro);
    if (!ms) return Fail("conformance", ms.error(), json);
    fmt::print("{}", json ? MutationJson(*ms) : MutationText(*ms));
    for (const auto& m : *ms)
      if (!m.killed()) return kExitFailed;
    return kExitOk;
  }
  auto report = conformance::RunCatalogue(*cat, *target, ro);
  if (!report) return Fail("conformance", report.error(), json);
  if (!o.junit.empty())
    if (Status s = WriteFile("--junit", o.junit, ConformanceJunit(*report)); !s) return Fail("conformance", s.error(), json);
  if (!o.html.empty()) {
    const std::string base = fs::absolute(o.html).parent_path().string();
    if (Status s = WriteFile("--html", o.html, ConformanceHtml(*report, base)); !s)
      return Fail("conformance", s.error(), json);
  }
  // With --junit - the XML alone is on stdout.
  if (o.junit != "-") {
    fmt::print("{}", json ? ConformanceJson(*report) : ConformanceText(*report, o.verbose));
    if (!json && !o.html.empty()) fmt::print("HTML report: {}\n", o.html);
  }
  using conformance::Verdict;
  const bool bad = report->Count(Verdict::kFail) + report->Count(Verdict::kUnexpectedPass) +
                       report->Count(Verdict::kInconclusive) > 0;
  return bad ? kExitFailed : kExitOk;
}

}  // namespace

void AddConformanceCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ConformanceOptions>();
  CLI::App* cmd = app.add_subcommand("conformance", "Run the RFC-cited IKEv2 conformance suite against an implementation");
  cmd->add_option("--target", o->target,
                  "The implementation under test: reference (default: the embedded reference), strongswan (charon in a "
                  "network namespace; root), gateway (`ipsecref gateway` the same way), or udp:ADDR[:PORT] with --target-file");
  cmd->add_option("--target-file", o->target_file,
                  "For udp:ADDR: the IUT's configuration seen from the tester (swanctl.conf, one connection; an optional "
                  "conformance { initiate = CMD ... features = ... } section)")
      ->check(NotEmpty());
  cmd->add_option("--settle", o->settle,
                  "Remote targets: seconds without a new message after which the network counts as settled (default 6)");
  cmd->add_option("--catalogue", o->catalogue, "The catalogue directory (default: the bundled one)")->check(NotEmpty());
  cmd->add_option("--cases", o->cases, "Only the cases whose id matches one of these globs (comma-separated)")
      ->check(NotEmpty());
  cmd->add_option("--role", o->role, "Only the cases with the implementation in this role: initiator or responder");
  cmd->add_option("--expect", o->expect, "Expected-results file: 'CASE-ID-or-glob reason' per line")->check(NotEmpty());
  cmd->add_option("--keep", o->keep, "Keep each run's pcap and key files in this directory, re-judged by `check`")
      ->check(NotEmpty());
  cmd->add_option("--junit", o->junit, "Write JUnit XML to this file ('-': stdout)")->check(NotEmpty());
  cmd->add_option("--html", o->html, "Write a self-contained HTML report to this file")->check(NotEmpty());
  cmd->add_flag("--json", o->json, "Report as JSON on stdout");
  cmd->add_flag("--list", o->list, "List the cases");
  cmd->add_flag("-v,--verbose", o->verbose, "Every run with its checks and ladder, not only the failures");
  cmd->add_flag("--mutation", o->mutation,
                "Mutation testing of the suite: run each case under its faults of the reference; each must fail");
  cmd->footer(
      "Verdicts: pass, fail, unsupported (the target lacks a feature the case\n"
      "needs), inconclusive (the target sent nothing), expected-fail and\n"
      "unexpected-pass (against --expect).\n"
      "Exit: 0 nothing failed; 1 a run failed, passed unexpectedly or was\n"
      "inconclusive; 2 usage, catalogue or output error.");
  cmd->callback([o, &run] { run = [o] { return RunConformance(*o); }; });
}

}  // namespace ipsecref::tool
