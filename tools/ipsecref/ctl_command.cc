// ipsecref ctl --socket PATH COMMAND [ARG...] [--json]: controls a running
// `ipsecref gateway` over its control socket (reference/gateway/control.h).
//   list                       IKE SAs and their CHILD SAs
//   initiate CONNECTION [CHILD]
//   terminate NAME             IKE-n, IPsec-n or a connection
//   rekey NAME                 IKE-n or IPsec-n
//   liveness NAME              IKE-n: an empty INFORMATIONAL
//   stats                      counters, drops by reason
// Exit codes: 0 done, 1 the gateway refused (the reason on stderr), 2 bad
// usage or no gateway on the socket.
#include <fmt/format.h>

#include <memory>

#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/control_client.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;

struct Args {
  std::string socket;
  std::vector<std::string> words;
  bool json = false;
};

struct CommandRow {
  std::string_view name;
  size_t min_args, max_args;
  std::string_view usage;
};
constexpr CommandRow kCommands[] = {
    {"list", 0, 0, "list"},
    {"initiate", 1, 2, "initiate CONNECTION [CHILD]"},
    {"terminate", 1, 1, "terminate NAME"},
    {"rekey", 1, 1, "rekey NAME"},
    {"liveness", 1, 1, "liveness NAME"},
    {"stats", 0, 0, "stats"},
};

// The member `key` when it is an array or object, else an empty one.
const json& Member(const json& j, const char* key, const json& empty) {
  auto it = j.find(key);
  return it != j.end() && it->type() == empty.type() ? *it : empty;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void PrintList(const json& answer) {
  static const json kNone = json::array();
  const json& sas = Member(answer, "ike_sas", kNone);
  if (sas.empty()) fmt::print("no IKE SAs\n");
  for (const json& s : sas) {
    fmt::print("{}: {} {} on SPU{}, {} {} === {}\n  SPIs {}_i {}_r\n", Str(s, "name"), Str(s, "connection"),
               Str(s, "state"), Str(s, "spu"), Str(s, "role"), Str(s, "local"), Str(s, "remote"), Str(s, "spi_i"),
               Str(s, "spi_r"));
    for (const json& c : Member(s, "children", kNone))
      fmt::print("  {}: {} {} {}{}, SPIs {}_i {}_o\n    in {} packets {} bytes, out {} packets {} bytes\n    {} === {}\n",
                 Str(c, "name"), Str(c, "config"), Str(c, "state"), Str(c, "mode"),
                 c.value("encapsulated", false) ? "-UDP_ENCAP" : "", Str(c, "spi_in"), Str(c, "spi_out"),
                 Str(c, "packets_in"), Str(c, "bytes_in"), Str(c, "packets_out"), Str(c, "bytes_out"),
                 Str(c, "local_ts"), Str(c, "remote_ts"));
  }
}

void PrintStats(const json& a) {
  for (const char* k : {"udp_in", "ike_in", "ike_out", "esp_in", "esp_out", "inner_in", "inner_out", "keepalives_in",
                        "half_open"})
    fmt::print("{:<14} {}\n", k, Str(a, k));
  fmt::print("ike_sas_per_spu {}\n", Str(a, "ike_sas_per_spu"));
  static const json kNone = json::object();
  for (const auto& [name, n] : Member(a, "dropped", kNone).items())
    fmt::print("dropped {:<22} {}\n", name, n.dump());
}

int Run(const Args& a) {
  const std::string command = a.words.empty() ? "" : a.words[0];
  const CommandRow* row = nullptr;
  for (const CommandRow& r : kCommands)
    if (r.name == command) row = &r;
  std::string usage;
  for (const CommandRow& r : kCommands) usage += fmt::format("{}{}", usage.empty() ? "" : ", ", r.usage);
  if (row == nullptr)
    return FailUsage("ctl", fmt::format("unknown command {}: one of {}", Echo(command), usage), a.json);
  const size_t n = a.words.size() - 1;
  if (n < row->min_args || n > row->max_args)
    return FailUsage("ctl", fmt::format("usage: ipsecref ctl --socket PATH {}", row->usage), a.json);
  json request{{"command", command}};
  if (command == "initiate") {
    request["connection"] = a.words[1];
    if (n == 2) request["child"] = a.words[2];
  } else if (n == 1) {
    request["name"] = a.words[1];
  }
  auto answer = AskGateway(a.socket, request);
  if (!answer) return Fail("ctl", answer.error(), a.json);
  if (!answer->value("ok", false)) {
    if (a.json) PrintJson(*answer);
    fmt::print(stderr, "ipsecref ctl: the gateway refused: {}\n", ClipMessage(Str(*answer, "error")));
    return kExitFailed;
  }
  if (a.json) {
    PrintJson(*answer);
  } else if (command == "list") {
    PrintList(*answer);
  } else if (command == "stats") {
    PrintStats(*answer);
  } else if (command == "initiate") {
    fmt::print("{}\n", Str(*answer, "name"));
  }
  return kExitOk;
}

}  // namespace

void AddCtlCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("ctl", "Control a running `ipsecref gateway` (list, initiate, terminate, rekey, "
                                            "liveness, stats)");
  cmd->add_option("--socket", args->socket, "the gateway's control socket (its --control)")->required();
  cmd->add_option("COMMAND", args->words, "list | initiate CONNECTION [CHILD] | terminate NAME | rekey NAME | "
                                          "liveness NAME | stats")
      ->required();
  cmd->add_flag("--json", args->json, "the gateway's answer as JSON");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
