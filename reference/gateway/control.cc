#include "reference/gateway/control.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace ipsecref::gateway {
namespace {

using nlohmann::json;

json Refuse(std::string_view why) { return json{{"ok", false}, {"error", why}}; }

json ChildJson(const ChildSaStatus& c) {
  return json{{"name", c.name},
              {"config", c.config},
              {"spi_in", fmt::format("{:08x}", c.spi_in)},
              {"spi_out", fmt::format("{:08x}", c.spi_out)},
              {"state", c.state},
              {"mode", c.mode},
              {"encapsulated", c.encapsulated},
              {"local_ts", c.local_ts},
              {"remote_ts", c.remote_ts},
              {"packets_in", c.packets_in},
              {"bytes_in", c.bytes_in},
              {"packets_out", c.packets_out},
              {"bytes_out", c.bytes_out}};
}

json IkeJson(const IkeSaStatus& s) {
  json children = json::array();
  for (const ChildSaStatus& c : s.children) children.push_back(ChildJson(c));
  return json{{"name", s.name},
              {"connection", s.connection},
              {"spu", s.spu},
              {"role", s.role},
              {"state", s.state},
              {"spi_i", fmt::format("{:016x}", s.spi_i)},
              {"spi_r", fmt::format("{:016x}", s.spi_r)},
              {"local", s.local},
              {"remote", s.remote},
              {"children", children}};
}

json MapJson(const spu::TunnelMap& map) {
  json rows = json::array();
  for (const spu::SpuRow& row : map) {
    json ike = json::array(), tunnels = json::array();
    for (const spu::Anchor* a : row.ike) ike.push_back({{"name", a->name}, {"kind", spu::KindName(a->kind)}});
    for (const spu::Anchor* a : row.tunnels) {
      json t{{"name", a->name}, {"kind", spu::KindName(a->kind)}};
      if (!a->ike.empty()) t["ike"] = a->ike;
      tunnels.push_back(std::move(t));
    }
    rows.push_back({{"spu", row.spu}, {"ike", ike}, {"tunnels", tunnels}, {"load", row.load}});
  }
  return rows;
}

json StatusJson(const Status& s) { return s.ok() ? json{{"ok", true}} : Refuse(s.error().ToString()); }

// The string member `key`, or nothing.
std::optional<std::string> Member(const json& request, const char* key) {
  auto it = request.find(key);
  if (it == request.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json Handle(Gateway& g, const json& request) {
  if (!request.is_object()) return Refuse("a request is a JSON object");
  const std::optional<std::string> command = Member(request, "command");
  if (!command) return Refuse("the request has no \"command\" string");
  if (*command == "list") {
    json sas = json::array();
    for (const IkeSaStatus& s : g.List()) sas.push_back(IkeJson(s));
    return json{{"ok", true}, {"ike_sas", sas}};
  }
  if (*command == "stats") {
    const Stats s = g.stats();
    json dropped = json::object();
    for (const auto& [name, n] : s.dropped) dropped[name] = n;
    return json{{"ok", true},
                {"udp_in", s.udp_in},
                {"ike_in", s.ike_in},
                {"esp_in", s.esp_in},
                {"inner_in", s.inner_in},
                {"keepalives_in", s.keepalives_in},
                {"esp_out", s.esp_out},
                {"inner_out", s.inner_out},
                {"ike_out", s.ike_out},
                {"dropped", dropped},
                {"ike_sas_per_spu", s.ike_sas_per_spu},
                {"half_open", s.half_open}};
  }
  if (*command == "map") {
    const spu::Anchoring a = g.anchoring();
    return json{{"ok", true}, {"spus", a.spus()}, {"map", MapJson(a.Map())}};
  }
  if (*command == "initiate") {
    const std::optional<std::string> connection = Member(request, "connection");
    if (!connection) return Refuse("initiate needs a \"connection\" string");
    auto name = g.Initiate(*connection, Member(request, "child").value_or(""));
    if (!name) return Refuse(name.error().ToString());
    return json{{"ok", true}, {"name", *name}};
  }
  struct Named {
    const char* command;
    Status (Gateway::*op)(std::string_view);
  };
  static constexpr Named kNamed[] = {
      {"terminate", &Gateway::Terminate}, {"rekey", &Gateway::Rekey}, {"liveness", &Gateway::CheckLiveness}};
  for (const Named& n : kNamed) {
    if (*command != n.command) continue;
    const std::optional<std::string> name = Member(request, "name");
    if (!name) return Refuse(fmt::format("{} needs a \"name\" string", n.command));
    return StatusJson((g.*n.op)(*name));
  }
  return Refuse(fmt::format("unknown command \"{}\" (list, initiate, terminate, rekey, liveness, stats, map)",
                            *command));
}

}  // namespace

std::string TunnelMapJson(const spu::TunnelMap& map) { return MapJson(map).dump(); }

std::string HandleControl(Gateway& gateway, std::string_view request) {
  if (request.size() > kMaxControlRequest)
    return Refuse(fmt::format("request longer than {} bytes", kMaxControlRequest)).dump();
  json parsed = json::parse(request, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Refuse("the request is not JSON").dump();
  return Handle(gateway, parsed).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ipsecref::gateway
