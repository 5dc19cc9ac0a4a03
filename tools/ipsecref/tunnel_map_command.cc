// ipsecref tunnel-map [EVENTS] [--spus N] [--summary] [--json]: the map of
// which SPU anchors which IKE gateways and IPsec tunnels, as the anchoring
// rules (reference/spu/anchoring.h) build it from an event file
// (reference/spu/events.h; stdin without EVENTS). Events that carry the SPU
// a device reported (`at SPUn`) are checked: exit 1 at the first placement
// the rules do not allow, 2 for a malformed file.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reference/spu/events.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;

struct Args {
  std::string events = "-";
  size_t spus = 0;
  bool summary = false;
  bool json = false;
};

// Larger event files are refused rather than read without bound.
constexpr size_t kMaxFile = 64u << 20;

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    ENSURE(file.is_open(), kIoError, kNoOffset, "", fmt::format("cannot open {}: {}", Echo(path), std::strerror(errno)));
    in = &file;
  }
  std::string text;
  char buffer[1 << 16];
  while (in->read(buffer, sizeof buffer) || in->gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in->gcount()));
    ENSURE(text.size() <= kMaxFile, kBadFile, kMaxFile, "",
           fmt::format("{} is larger than {} MiB", Echo(path), kMaxFile >> 20));
  }
  return text;
}

// A cell of names, with what is not a plain gateway or tunnel marked.
std::string Names(const std::vector<const spu::Anchor*>& anchors) {
  std::string out;
  for (const spu::Anchor* a : anchors) {
    if (!out.empty()) out += ' ';
    out += a->name;
    if (a->kind == spu::Kind::kDynamic || a->kind == spu::Kind::kManual)
      out += fmt::format(" ({})", spu::KindName(a->kind));
  }
  return out.empty() ? "-" : out;
}

void PrintTable(const spu::TunnelMap& map, bool summary) {
  if (summary) {
    fmt::print("| SPU | IKE gateways | IPsec tunnels | Load |\n| --- | --- | --- | --- |\n");
    for (const spu::SpuRow& row : map)
      fmt::print("| SPU{} | {} | {} | {} |\n", row.spu, row.ike.size(), row.tunnels.size(), row.load);
    return;
  }
  fmt::print("| SPU | IKE gateway | IPsec tunnels |\n| --- | --- | --- |\n");
  for (const spu::SpuRow& row : map)
    fmt::print("| SPU{} | {} | {} |\n", row.spu, Names(row.ike), Names(row.tunnels));
}

json MapJson(const spu::TunnelMap& map, size_t checked) {
  json rows = json::array();
  for (const spu::SpuRow& row : map) {
    json ike = json::array(), tunnels = json::array();
    for (const spu::Anchor* a : row.ike) ike.push_back({{"name", a->name}, {"kind", spu::KindName(a->kind)}});
    for (const spu::Anchor* a : row.tunnels) {
      json t{{"name", a->name}, {"kind", spu::KindName(a->kind)}};
      if (!a->ike.empty()) t["ike"] = a->ike;
      tunnels.push_back(std::move(t));
    }
    rows.push_back({{"spu", row.spu},
                    {"ike", std::move(ike)},
                    {"tunnels", std::move(tunnels)},
                    {"load", row.load}});
  }
  return {{"spus", map.size()}, {"checked_placements", checked}, {"map", std::move(rows)}};
}

int Run(const Args& args) {
  const std::string name = args.events == "-" ? "<stdin>" : Echo(args.events);
  const auto fail = [&args](const Error& e, std::string_view context = {}) {
    return Fail("tunnel-map", e, args.json, context);
  };
  if (args.events != "-")
    if (Status s = CheckInput("", args.events); !s) return fail(s.error());
  auto text = ReadAll(args.events);
  if (!text) return fail(text.error());
  auto file = spu::ParseEvents(*text);
  if (!file) return fail(file.error(), name);
  if (file->spus && args.spus && *file->spus != args.spus)
    return FailUsage("tunnel-map", fmt::format("{} says spus {}, --spus says {}", name, *file->spus, args.spus),
                     args.json);
  const size_t spus = file->spus.value_or(args.spus);
  if (spus == 0)
    return FailUsage("tunnel-map", fmt::format("how many SPUs? give a 'spus N' line in {} or --spus N", name),
                     args.json);
  auto anchoring = spu::ApplyEvents(*file, spus);
  if (!anchoring) {
    const Error& e = anchoring.error();
    // A placement the rules refuse is a failed check; anything else is bad input.
    if (e.code != Code::kBadPlacement) return fail(e, name);
    return Fail("tunnel-map", e, args.json, name + ": placement not allowed", kExitFailed);
  }
  size_t checked = 0;
  for (const spu::Event& e : file->events) checked += e.at.has_value();
  const spu::TunnelMap map = anchoring->Map();
  if (args.json) {
    PrintJson(MapJson(map, checked));
    return kExitOk;
  }
  PrintTable(map, args.summary);
  if (checked > 0) fmt::print("\n{} reported placements checked: all allowed by the anchoring rules\n", checked);
  return kExitOk;
}

}  // namespace

void AddTunnelMapCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "tunnel-map", "Show which SPU anchors each IKE gateway and IPsec tunnel (from an event file)");
  cmd->add_option("EVENTS", args->events, "event file (reference/spu/events.h; '-' or none: stdin)");
  cmd->add_option("--spus", args->spus, "number of SPUs, when the file has no 'spus' line")
      ->check(CLI::Range(size_t{1}, spu::kMaxSpus));
  cmd->add_flag("--summary", args->summary, "per SPU, the counts of gateways and tunnels");
  cmd->add_flag("--json", args->json, "the map as JSON");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
