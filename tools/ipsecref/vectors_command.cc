// ipsecref vectors [FILE|DIR...]: runs known-answer vector files.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "vectors/runner.h"

namespace ipsecref::tool {

// A data directory: PREFIX/share/ipsecref/INSTALLED beside an installed
// PREFIX/bin/ipsecref, else SOURCE_RELATIVE in the source tree (a build
// tree's binary). Shown relative to the working directory when under it.
std::string DefaultDataDir(std::string_view source_relative, std::string_view installed) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::path(IPSECREF_SOURCE_DIR) / source_relative;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path copy = (self.parent_path() / IPSECREF_DATA_FROM_BIN / installed).lexically_normal();
    if (fs::is_directory(copy, ec)) dir = copy;
  }
  const fs::path shown = dir.lexically_relative(fs::current_path(ec));
  return !ec && !shown.empty() && *shown.begin() != ".." ? shown.string() : dir.string();
}

std::string DefaultVectorsDir() { return DefaultDataDir("vectors", "vectors"); }

namespace {

struct VectorsOptions {
  std::vector<std::string> paths;
  bool json = false;
  bool verbose = false;
};

int RunVectors(const VectorsOptions& o) {
  std::vector<std::string> files;
  int exit_code = kExitOk;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : o.paths.empty() ? std::vector<std::string>{DefaultVectorsDir()} : o.paths) {
    if (Status s = CheckInput("", p, InputKind::kFileOrDirectory); !s) {
      fmt::print(stderr, "ERROR {}\n", ClipMessage(s.error().ToString()));
      out.push_back({{"file", p}, {"error", s.error().ToString()}});
      exit_code = kExitUsage;
      continue;
    }
    if (std::filesystem::is_directory(p)) {
      auto found = vectors::ListFiles(p);
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  if (files.empty() && exit_code == kExitOk) return FailUsage("vectors", "no vector files found", o.json);
  int total = 0, passed = 0;
  for (const auto& file : files) {
    auto report = vectors::RunFile(file);
    if (!report) {
      fmt::print(stderr, "ERROR {}: {}\n", Echo(file), ClipMessage(report.error().ToString()));
      out.push_back({{"file", file}, {"error", report.error().ToString()}});
      exit_code = kExitUsage;
      continue;
    }
    total += report->total;
    passed += report->passed;
    const bool ok = report->failures.empty();
    if (!ok && exit_code == kExitOk) exit_code = kExitFailed;
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : report->failures)
      failures.push_back({{"tcId", f.tc_id}, {"comment", f.comment}, {"expected", f.expected}, {"detail", f.detail}});
    out.push_back({{"file", file}, {"schema", report->schema}, {"algorithm", report->algorithm},
                   {"source", report->source}, {"tests", report->total}, {"passed", report->passed},
                   {"failures", failures}});
    if (o.json) continue;
    fmt::print("{} {:<48} {:>4}/{:<4} {}  [{}]\n", ok ? "PASS" : "FAIL", file, report->passed,
               report->total, report->algorithm, report->source);
    for (const auto& f : report->failures)
      fmt::print("     tcId {} ({}; expected {}): {}\n", f.tc_id, f.comment, f.expected, f.detail);
  }
  if (o.json) {
    PrintJson(std::move(out));
  } else {
    fmt::print("vectors: {} files, {} passed, {} failed\n", files.size(), passed, total - passed);
  }
  return exit_code;
}

}  // namespace

void AddVectorsCommand(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<VectorsOptions>();
  CLI::App* cmd = app.add_subcommand("vectors", "Run known-answer vector files (default: all under vectors/, as installed or in the source tree)");
  cmd->add_option("paths", opts->paths, "Vector files or directories");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->callback([opts, &run] { run = [opts] { return RunVectors(*opts); }; });
}

}  // namespace ipsecref::tool
