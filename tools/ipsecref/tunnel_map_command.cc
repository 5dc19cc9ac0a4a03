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

#include "reference/gateway/control.h"
#include "reference/spu/events.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/control_client.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;

struct Args {
  std::string events = "-";
  size_t spus = 0;
  bool summary = false;
  bool json = false;
  std::string gateway;  // a running gateway's control socket
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
std::string Names(const json& anchors) {
  std::string out;
  for (const json& a : anchors) {
    if (!out.empty()) out += ' ';
    out += a.value("name", "");
    const std::string kind = a.value("kind", "");
    if (kind == spu::KindName(spu::Kind::kDynamic) || kind == spu::KindName(spu::Kind::kManual))
      out += fmt::format(" ({})", kind);
  }
  return out.empty() ? "-" : out;
}

// Prints the rows of a map as reference/gateway/control.h's TunnelMapJson
// writes them (the gateway's "map" answer has the same shape).
void PrintTable(const json& rows, bool summary) {
  if (summary) {
    fmt::print("| SPU | IKE gateways | IPsec tunnels | Load |\n| --- | --- | --- | --- |\n");
    for (const json& row : rows)
      fmt::print("| SPU{} | {} | {} | {} |\n", row.value("spu", 0), row.value("ike", json::array()).size(),
                 row.value("tunnels", json::array()).size(), row.value("load", 0));
    return;
  }
  fmt::print("| SPU | IKE gateway | IPsec tunnels |\n| --- | --- | --- |\n");
  for (const json& row : rows)
    fmt::print("| SPU{} | {} | {} |\n", row.value("spu", 0), Names(row.value("ike", json::array())),
               Names(row.value("tunnels", json::array())));
}

// The live map of a running gateway.
int RunGateway(const Args& args) {
  auto answer = AskGateway(args.gateway, json{{"command", "map"}});
  if (!answer) return Fail("tunnel-map", answer.error(), args.json);
  if (!answer->value("ok", false) || !answer->contains("map") || !(*answer)["map"].is_array())
    return Fail("tunnel-map",
                MakeError(Code::kIoError, kNoOffset, "", fmt::format("the gateway gave no map: {}", answer->dump())),
                args.json);
  if (args.json) {
    PrintJson({{"spus", answer->value("spus", 0)}, {"checked_placements", 0}, {"map", (*answer)["map"]}});
    return kExitOk;
  }
  PrintTable((*answer)["map"], args.summary);
  return kExitOk;
}

int Run(const Args& args) {
  if (!args.gateway.empty()) {
    if (args.events != "-" || args.spus != 0)
      return FailUsage("tunnel-map", "--gateway shows the live map: give no EVENTS file and no --spus", args.json);
    return RunGateway(args);
  }
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
  const json rows = json::parse(gateway::TunnelMapJson(anchoring->Map()));
  if (args.json) {
    PrintJson({{"spus", spus}, {"checked_placements", checked}, {"map", rows}});
    return kExitOk;
  }
  PrintTable(rows, args.summary);
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
  cmd->add_option("--gateway", args->gateway, "the live map of a running `ipsecref gateway` (its --control socket)")
      ->check(NotEmpty());
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
