// ipsecref gateway --config swanctl.conf [--spus N] [--control PATH] [--keys-out DIR] ...:
// the reference as a live IKEv2/ESP gateway (reference/gateway/), until
// SIGINT or SIGTERM. --check reads the configuration, prints what it found
// and exits.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "reference/gateway/live.h"
#include "reference/gateway/swanctl_conf.h"
#include "reference/ike/sa/proposals.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
namespace {

struct Args {
  std::string config;
  size_t spus = 1;
  std::string control;
  std::string keys_out;
  std::string log_level = "info";
  bool log_secrets = false;
  std::string tun = "ipsecref0";
  uint32_t tun_mtu = 1400;
  uint16_t ike_port = 500;
  bool no_ipv6 = false;
  bool no_raw_esp = false;
  bool no_routes = false;
  bool check = false;
  std::optional<size_t> cookie_threshold;
  std::optional<size_t> half_open_limit;
  std::optional<size_t> fragment_size;
};

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) { g_stop.store(true); }

std::string Timestamp(uint64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", text, ms % 1000);
}

void PrintConfig(const gateway::GatewayConfig& c) {
  for (const gateway::Connection& conn : c.connections) {
    fmt::print("connection {}: {} peer, IKE proposals {}\n", conn.name,
               conn.site_to_site() ? "site-to-site" : "dynamic", ike::sa::ProposalKeywords(conn.ike.proposals));
    for (const gateway::ChildSettings& child : conn.children)
      fmt::print("  child {}: {} === {}, ESP proposals {}\n", child.child.name,
                 ike::sa::FormatConfiguredSelectors(child.local_ts), ike::sa::FormatConfiguredSelectors(child.remote_ts),
                 ike::sa::ProposalKeywords(child.child.proposals));
  }
  for (const gateway::ManualTunnel& t : c.manual)
    fmt::print("manual tunnel {}: SPI in {:08x}, out {:08x}\n", t.name, t.spi_in, t.spi_out);
}

int Run(const Args& a) {
  const auto fail = [](const Error& e, std::string_view context = {}) { return Fail("gateway", e, false, context); };
  if (Status s = CheckInput("--config", a.config); !s) return fail(s.error());
  auto config = gateway::ReadSwanctlConf(a.config);
  if (!config) return fail(config.error());
  if (a.check) {
    PrintConfig(*config);
    return kExitOk;
  }
  const std::optional<gateway::LogLevel> level = gateway::LevelFromName(a.log_level);
  if (!level) return FailUsage("gateway", fmt::format("--log-level {}: error, warning, info or debug", Echo(a.log_level)), false);
  gateway::Options o;
  o.spus = a.spus;
  o.log_level = *level;
  o.log_secrets = a.log_secrets;
  o.cookie_threshold = a.cookie_threshold;
  o.half_open_limit = a.half_open_limit;
  o.fragment_size = a.fragment_size;
  o.log = [](const gateway::LogLine& line) {
    fmt::print(stderr, "{} {} {}\n", Timestamp(line.at), gateway::LevelName(line.level), line.text);
    std::fflush(stderr);
  };
  if (!a.keys_out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.keys_out, ec);
    if (ec || !std::filesystem::is_directory(a.keys_out))
      return fail(MakeError(Code::kIoError, kNoOffset, "",
                            fmt::format("--keys-out {}: {}", Echo(a.keys_out), ec ? ec.message() : "not a directory")));
    o.keys_dir = a.keys_out;
  }
  gateway::LiveOptions live;
  live.ike_port = a.ike_port;
  live.ipv6 = !a.no_ipv6;
  live.raw_esp = !a.no_raw_esp;
  live.routes = !a.no_routes;
  live.tun_name = a.tun;
  live.tun_mtu = a.tun_mtu;
  live.control_path = a.control;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  if (Status s = gateway::RunLive(std::move(*config), o, live, g_stop); !s) return fail(s.error());
  return kExitOk;
}

}  // namespace

void AddGatewayCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("gateway", "Run the reference as a live IKEv2/ESP gateway (until SIGINT/SIGTERM)");
  cmd->add_option("--config", args->config, "swanctl.conf-style configuration (README: the gateway)")->required();
  cmd->add_option("--spus", args->spus, "number of SPUs (worker threads), 1 to 1024")
      ->check(CLI::Range(size_t{1}, size_t{1024}));
  cmd->add_option("--control", args->control, "unix socket for `ipsecref ctl` and `tunnel-map --gateway`")
      ->check(NotEmpty());
  cmd->add_option("--keys-out", args->keys_out,
                  "keep esp_sa, ikev2_decryption_table and keys.json of every SA here (as strongSwan's save-keys)")
      ->check(NotEmpty());
  cmd->add_option("--log-level", args->log_level, "error, warning, info (default) or debug");
  cmd->add_flag("--log-secrets", args->log_secrets, "also log keys (never without this flag)");
  cmd->add_option("--tun", args->tun, "TUN device for the inner traffic (default ipsecref0)")->check(NotEmpty());
  cmd->add_option("--tun-mtu", args->tun_mtu, "MTU of the TUN device (default 1400)")
      ->check(CLI::Range(uint32_t{576}, uint32_t{65535}));
  cmd->add_option("--ike-port", args->ike_port, "IKE port (default 500)")->check(CLI::Range(1, 65535));
  cmd->add_flag("--no-ipv6", args->no_ipv6, "do not bind the IPv6 sockets");
  cmd->add_flag("--no-raw-esp", args->no_raw_esp, "no raw ESP sockets (ESP only in UDP)");
  cmd->add_flag("--no-routes", args->no_routes, "do not route the remote traffic selectors to the TUN device");
  cmd->add_option("--cookie-threshold", args->cookie_threshold,
                  "answer IKE_SA_INIT with a COOKIE while this many IKE SAs are half-open (per connection and SPU; "
                  "default 32, 0: always)");
  cmd->add_option("--half-open-limit", args->half_open_limit,
                  "drop new IKE_SA_INIT requests beyond this many half-open IKE SAs (per connection and SPU; default "
                  "1024)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  //= ipsecref#choice
  //# An IKE fragment size of at least 200 bytes: below it an IPv6 datagram
  //# has no room for an Encrypted Fragment payload's contents.
  cmd->add_option("--fragment-size", args->fragment_size,
                  "largest datagram of a fragmented IKE message, IP header included (RFC 7383; default 1280, as "
                  "strongSwan's charon.fragment_size)")
      ->check(CLI::Range(size_t{200}, size_t{65535}));
  cmd->add_flag("--check", args->check, "read the configuration, print it and exit");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
