// ipsecref load --to ADDR[:PORT] --count N [--rate R] [--spus N] ...: an
// IKEv2 initiator load generator. It runs the reference gateway
// (reference/gateway/gateway.h) on a real UDP socket with one connection to
// ADDR, initiates that connection N times (each IKE SA with one CHILD SA in
// IKE_AUTH unless --childless), at most R setups started per second and at
// most --window of them under way at once, and reports setups per second,
// the latency of each setup (from Initiate to ESTABLISHED) as percentiles,
// retransmissions and failures. With --delete each IKE SA is deleted once
// established; otherwise they are left up when it exits (no Delete is
// sent) and the responder forgets them on its own.
//
// The counts come from the gateway's log lines: "[SPUn] IKE-k load: IKE SA
// ..._i ..._r: ESTABLISHED", "...: destroyed: REASON", "...: request M
// retransmitted (K)".
//
// Exit codes: 0 every IKE SA established, 1 some failed or timed out, 2 bad
// usage or a socket that cannot be opened.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "reference/gateway/gateway.h"
#include "reference/gateway/swanctl_conf.h"
#include "reference/io/file_descriptor.h"
#include "reference/io/keys.h"
#include "reference/io/udp_socket.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kConnection = "load";

// The generated configuration's keywords and the options their values
// come from (esp_proposals before proposals, which it contains).
constexpr std::pair<std::string_view, std::string_view> kOptionOfKeyword[] = {
    {"esp_proposals =", "--esp-proposal"},
    {"proposals =", "--proposal"},
    {"id =", "--id or --remote-id"},
    {"secret =", "--psk"},
};

struct Args {
  std::string to;
  size_t count = 0;
  double rate = 0;
  size_t window = 64;
  size_t spus = 1;
  std::string proposal = "aes128gcm16-prfsha256-ecp256";
  std::string esp_proposal = "aes128gcm16";
  std::string psk = "ipsecref-load";
  std::string id;
  std::string remote_id;
  bool childless = false;
  bool delete_established = false;
  uint16_t local_port = ike::sa::kIkePort;
  double timeout = 30;
  bool json = false;
};

// ADDR, ADDR:PORT, [ADDR]:PORT (IPv6).
struct Target {
  Bytes address;
  std::string address_text;
  uint16_t port = ike::sa::kIkePort;
};

std::optional<Target> ParseTarget(std::string_view text) {
  Target t;
  std::string_view address = text;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    address = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    address = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  auto parsed = io::ParseAddress(address);
  if (!parsed || parsed->empty()) return std::nullopt;
  t.address = *parsed;
  t.address_text = io::FormatAddress(t.address);
  if (port) {
    if (port->empty() || port->size() > 5 || !std::all_of(port->begin(), port->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    const unsigned long p = std::stoul(std::string(*port));
    if (p == 0 || p > 65535) return std::nullopt;
    t.port = static_cast<uint16_t>(p);
  }
  return t;
}

// The local address the kernel would send to `t` from (a connected UDP
// socket's name; nothing is sent).
Result<Bytes> SourceAddressFor(const Target& t) {
  const bool v6 = t.address.size() == 16;
  io::FileDescriptor fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ENSURE(fd.get() >= 0, kIoError, kNoOffset, "", fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(t.port);
    std::memcpy(&a->sin6_addr, t.address.data(), 16);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(t.port);
    std::memcpy(&a->sin_addr, t.address.data(), 4);
    len = sizeof *a;
  }
  ENSURE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0, kIoError, kNoOffset, "",
         fmt::format("no route to {}: {}", t.address_text, std::strerror(errno)));
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  ENSURE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &local_len) == 0, kIoError, kNoOffset, "",
         fmt::format("getsockname: {}", std::strerror(errno)));
  if (v6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&local);
    const auto* b = reinterpret_cast<const uint8_t*>(&a->sin6_addr);
    return Bytes(b, b + 16);
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&local);
  const auto* b = reinterpret_cast<const uint8_t*>(&a->sin_addr);
  return Bytes(b, b + 4);
}

// A value for the generated swanctl.conf, quoted (settings.h's escapes).
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// The one connection, in the gateway's configuration language.
std::string LoadConf(const Args& a, const Target& to, const std::string& local, uint16_t local_port) {
  std::string conf = "connections {\n  load {\n";
  conf += fmt::format("    local_addrs = {}\n    remote_addrs = {}\n", local, to.address_text);
  conf += fmt::format("    local_port = {}\n    remote_port = {}\n", local_port, to.port);
  conf += fmt::format("    proposals = {}\n", Quote(a.proposal));
  if (a.childless) conf += "    childless = force\n";
  conf += fmt::format("    local {{\n      auth = psk\n      id = {}\n    }}\n", Quote(a.id.empty() ? local : a.id));
  conf += "    remote {\n      auth = psk\n";
  if (!a.remote_id.empty()) conf += fmt::format("      id = {}\n", Quote(a.remote_id));
  conf += "    }\n";
  conf += fmt::format("    children {{\n      load {{\n        esp_proposals = {}\n      }}\n    }}\n", Quote(a.esp_proposal));
  conf += "  }\n}\n";
  conf += fmt::format("secrets {{\n  ike-load {{\n    secret = {}\n  }}\n}}\n", Quote(a.psk));
  return conf;
}

// Sends what the gateway sends over the two UDP sockets (the IKE port and
// the NAT-T port the gateway moves to when it finds a NAT). ESP and inner
// packets do not occur: the load sends no traffic.
class LoadWire : public gateway::Wire {
 public:
  LoadWire(io::UdpSocket& ike, io::UdpSocket& nat_t) : ike_(ike), nat_t_(nat_t) {}
  void SendUdp(const ike::sa::Datagram& d) override {
    // The gateway sends IKE on the NAT-T port from 4500, which the NAT-T
    // socket stands for whatever port it got.
    io::UdpSocket& socket = d.source.port == ike::sa::kNatTraversalPort ? nat_t_ : ike_;
    if (!socket.SendTo(d.data, d.destination.address, d.destination.port, d.source.address)) send_errors++;
  }
  void SendEsp(ByteSpan, ByteSpan, ByteSpan) override {}
  void Deliver(ByteSpan) override {}
  std::atomic<uint64_t> send_errors{0};

 private:
  io::UdpSocket& ike_;
  io::UdpSocket& nat_t_;
};

// What becomes of each IKE SA, from the log.
struct Setup {
  std::optional<Clock::time_point> started, established, failed;
  std::string reason;
};

class Tally {
 public:
  // One gateway log line.
  void OnLog(const gateway::LogLine& line) {
    std::string_view t = line.text;
    if (line.level == gateway::LogLevel::kError || line.level == gateway::LogLevel::kWarning) {
      std::lock_guard lock(mu_);
      if (warnings_.size() < 5) warnings_.push_back(line.text);
      ++warning_count_;
    }
    // "[SPU0] IKE-3 load: ..."
    const size_t space = t.find("] ");
    if (space == std::string_view::npos) return;
    t.remove_prefix(space + 2);
    const size_t end = t.find(' ');
    if (end == std::string_view::npos) return;
    const std::string name(t.substr(0, end));
    const auto now = Clock::now();
    if (t.ends_with(": ESTABLISHED")) {
      std::lock_guard lock(mu_);
      Setup& s = setups_[name];
      if (!s.established && !s.failed) {
        s.established = now;
        if (s.started) ++ended_;
        if (delete_) to_delete_.push_back(name);
      }
      cv_.notify_all();
    } else if (const size_t d = t.find(": destroyed: "); d != std::string_view::npos) {
      std::lock_guard lock(mu_);
      Setup& s = setups_[name];
      if (!s.established && !s.failed) {
        s.failed = now;
        s.reason = std::string(t.substr(d + 13));
        if (s.started) ++ended_;
      }
      cv_.notify_all();
    } else if (t.find(" retransmitted (") != std::string_view::npos) {
      retransmits_++;
    } else if (t.ends_with(": gone")) {
      std::lock_guard lock(mu_);
      if (auto it = setups_.find(name); it != setups_.end() && it->second.established) {
        ++gone_;
        cv_.notify_all();
      }
    }
  }

  // --delete: the IKE SAs to delete once they are established.
  void DeleteWhenEstablished() { delete_ = true; }
  // The next IKE SA to delete; none once `stop` is set and none is left.
  std::optional<std::string> NextToDelete(const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return !to_delete_.empty() || stop.load(); });
    if (to_delete_.empty()) return std::nullopt;
    std::string name = std::move(to_delete_.front());
    to_delete_.erase(to_delete_.begin());
    return name;
  }
  // Waits until every established IKE SA is gone (deleted) or `until`.
  size_t WaitForDeletes(Clock::time_point until) {
    std::unique_lock lock(mu_);
    size_t established = 0;
    for (const auto& [name, s] : setups_)
      if (s.established) ++established;
    cv_.wait_until(lock, until, [&] { return gone_ >= established; });
    return gone_;
  }

  void Started(const std::string& name, Clock::time_point at) {
    std::lock_guard lock(mu_);
    Setup& s = setups_[name];
    s.started = at;
    ++started_;
    // The log may have told its end first.
    if (s.established || s.failed) ++ended_;
  }
  void InitiateFailed(std::string reason) {
    std::lock_guard lock(mu_);
    ++initiate_failures_;
    if (initiate_errors_.size() < 5) initiate_errors_.push_back(std::move(reason));
    cv_.notify_all();
  }
  // Waits until fewer than `window` setups are under way or `until`.
  void WaitForRoom(size_t window, Clock::time_point until) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, until, [&] { return UnderWay() < window; });
  }
  // Waits until every setup has ended or `until`.
  void WaitForAll(Clock::time_point until) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, until, [&] { return UnderWay() == 0; });
  }

  struct Report {
    size_t requested = 0, established = 0, failed = 0, timed_out = 0, initiate_failures = 0;
    uint64_t retransmits = 0, send_errors = 0, warnings = 0;
    std::optional<size_t> deleted;  // --delete: IKE SAs deleted by the end
    double seconds = 0, setups_per_second = 0;
    // Over the middle of the run, from the 10th to the 90th percentile of
    // the ESTABLISHED times: the steady rate, which a few setups delayed
    // by a retransmission at the end do not drag down.
    double steady_setups_per_second = 0;
    std::vector<double> latency_ms;  // sorted
    std::map<std::string, size_t> reasons;
    std::vector<std::string> first_warnings, initiate_errors;
  };

  Report Make(size_t requested, Clock::time_point begin) {
    std::lock_guard lock(mu_);
    Report r;
    r.requested = requested;
    r.initiate_failures = initiate_failures_;
    r.retransmits = retransmits_;
    r.warnings = warning_count_;
    r.first_warnings = warnings_;
    r.initiate_errors = initiate_errors_;
    Clock::time_point last = begin;
    std::vector<Clock::time_point> ends;
    for (const auto& [name, s] : setups_) {
      if (!s.started) continue;
      if (s.established) {
        ++r.established;
        ends.push_back(*s.established);
        last = std::max(last, *s.established);
        r.latency_ms.push_back(std::chrono::duration<double, std::milli>(*s.established - *s.started).count());
      } else if (s.failed) {
        ++r.failed;
        r.reasons[s.reason]++;
      } else {
        ++r.timed_out;
      }
    }
    std::sort(r.latency_ms.begin(), r.latency_ms.end());
    r.seconds = std::chrono::duration<double>(last - begin).count();
    r.setups_per_second = r.seconds > 0 ? static_cast<double>(r.established) / r.seconds : 0;
    std::sort(ends.begin(), ends.end());
    const size_t from = ends.size() / 10, to = ends.size() * 9 / 10;
    if (to > from + 1) {
      const double span = std::chrono::duration<double>(ends[to - 1] - ends[from]).count();
      if (span > 0) r.steady_setups_per_second = static_cast<double>(to - 1 - from) / span;
    }
    return r;
  }

 private:
  size_t UnderWay() const { return started_ - ended_; }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Setup> setups_;
  size_t started_ = 0, ended_ = 0, initiate_failures_ = 0, gone_ = 0;
  bool delete_ = false;
  std::vector<std::string> to_delete_;
  std::atomic<uint64_t> retransmits_{0};
  uint64_t warning_count_ = 0;
  std::vector<std::string> warnings_, initiate_errors_;
};

// The p-th percentile (nearest rank) of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void PrintReport(const Args& a, const Target& to, const Tally::Report& r) {
  if (a.json) {
    json j;
    j["to"] = fmt::format("{}[{}]", to.address_text, to.port);
    j["proposal"] = a.proposal;
    j["esp_proposal"] = a.childless ? "" : a.esp_proposal;
    j["childless"] = a.childless;
    j["spus"] = a.spus;
    j["rate"] = a.rate;
    j["window"] = a.window;
    j["requested"] = r.requested;
    j["established"] = r.established;
    j["failed"] = r.failed;
    j["timed_out"] = r.timed_out;
    j["initiate_failures"] = r.initiate_failures;
    j["seconds"] = r.seconds;
    j["setups_per_second"] = r.setups_per_second;
    j["steady_setups_per_second"] = r.steady_setups_per_second;
    json lat;
    for (const auto& [label, p] : {std::pair{"p50", 50.0}, {"p90", 90.0}, {"p99", 99.0}, {"max", 100.0}})
      lat[label] = Percentile(r.latency_ms, p);
    j["latency_ms"] = lat;
    j["retransmits"] = r.retransmits;
    if (r.deleted) j["deleted"] = *r.deleted;
    j["send_errors"] = r.send_errors;
    j["warnings"] = r.warnings;
    j["failure_reasons"] = r.reasons;
    j["first_warnings"] = r.first_warnings;
    j["initiate_errors"] = r.initiate_errors;
    PrintJson(std::move(j));
    return;
  }
  fmt::print("load: {} IKE SAs{} to {}[{}], IKE {}{}, {} SPU(s), rate {}, window {}\n", r.requested,
             a.childless ? " (childless)" : " with one CHILD SA each", to.address_text, to.port, a.proposal,
             a.childless ? "" : fmt::format(", ESP {}", a.esp_proposal), a.spus,
             a.rate > 0 ? fmt::format("{}/s", a.rate) : std::string("unlimited"), a.window);
  fmt::print("established {} of {} in {:.3f} s: {:.1f} setups/s ({:.1f}/s from the 10th to the 90th percentile)\n",
             r.established, r.requested, r.seconds, r.setups_per_second, r.steady_setups_per_second);
  fmt::print("latency ms: p50 {:.2f}, p90 {:.2f}, p99 {:.2f}, max {:.2f}\n", Percentile(r.latency_ms, 50),
             Percentile(r.latency_ms, 90), Percentile(r.latency_ms, 99), Percentile(r.latency_ms, 100));
  fmt::print("failed {}, timed out {}, not initiated {}, retransmissions {}, send errors {}, warnings {}\n", r.failed,
             r.timed_out, r.initiate_failures, r.retransmits, r.send_errors, r.warnings);
  if (r.deleted) fmt::print("deleted {} of the {} established\n", *r.deleted, r.established);
  for (const auto& [reason, n] : r.reasons) fmt::print("  failed: {} x {}\n", n, reason);
  for (const std::string& e : r.initiate_errors) fmt::print("  not initiated: {}\n", e);
  for (const std::string& w : r.first_warnings) fmt::print("  warning: {}\n", w);
}

int Run(const Args& a) {
  const auto fail = [&](const Error& e) { return Fail("load", e, a.json); };
  const std::optional<Target> to = ParseTarget(a.to);
  if (!to) return FailUsage("load", fmt::format("--to {}: not ADDR, ADDR:PORT or [IPv6]:PORT", Echo(a.to)), a.json);
  auto local = SourceAddressFor(*to);
  if (!local) return fail(local.error());
  auto ike_socket = io::UdpSocket::Bind(*local, a.local_port, {.receive_buffer = 4 << 20});
  if (!ike_socket) return fail(ike_socket.error());
  // The NAT-T port if it is free, else one the kernel chooses.
  auto nat_t_socket = io::UdpSocket::Bind(*local, ike::sa::kNatTraversalPort, {.receive_buffer = 1 << 20});
  if (!nat_t_socket) nat_t_socket = io::UdpSocket::Bind(*local, 0, {.receive_buffer = 1 << 20});
  if (!nat_t_socket) return fail(nat_t_socket.error());
  const std::string conf = LoadConf(a, *to, io::FormatAddress(*local), ike_socket->local_port());
  auto config = gateway::ParseSwanctlConf(conf, "load", ".");
  // The values that reach the configuration are the user's: a refusal is
  // told by the option that gave the value.
  if (!config) {
    const std::string message = config.error().ToString();
    for (const auto& [keyword, option] : kOptionOfKeyword)
      if (message.find(keyword) != std::string::npos)
        return FailUsage("load", fmt::format("{}: {}", option, message.substr(message.find(keyword))), a.json);
    return fail(config.error());
  }
  //= rfc7296#section-2.4
  //# INITIAL_CONTACT asserts that the IKE SA being set up is the only one
  //# between the two identities, and a receiver deletes the others: the
  //# load's IKE SAs share one pair of identities, so none carries it.
  config->connections.front().ike.initial_contact = false;

  Tally tally;
  LoadWire wire(*ike_socket, *nat_t_socket);
  gateway::Options o;
  o.spus = a.spus;
  o.log_level = gateway::LogLevel::kInfo;
  o.log = [&tally](const gateway::LogLine& line) { tally.OnLog(line); };
  auto gw = gateway::Gateway::Create(std::move(*config), o, wire);
  if (!gw) return fail(gw.error());
  gateway::Gateway& g = **gw;

  std::atomic<bool> stop{false};
  std::thread receiver([&] {
    Bytes buffer(65535);
    io::UdpSocket* sockets[2] = {&*ike_socket, &*nat_t_socket};
    while (!stop.load()) {
      pollfd fds[2] = {{sockets[0]->fd(), POLLIN, 0}, {sockets[1]->fd(), POLLIN, 0}};
      if (::poll(fds, 2, 100) <= 0) continue;
      for (io::UdpSocket* s : sockets)
        for (;;) {
          auto r = s->Receive(buffer);
          if (!r || !*r) break;
          if ((*r)->truncated) continue;
          ike::sa::Datagram d;
          d.source.address = (*r)->source_address;
          d.source.port = (*r)->source_port;
          d.destination.address = (*r)->destination_address;
          // What the NAT-T socket takes is the gateway's port 4500 traffic.
          d.destination.port = s == sockets[1] ? ike::sa::kNatTraversalPort : (*r)->destination_port;
          d.data.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>((*r)->size));
          g.ReceiveUdp(std::move(d));
        }
    }
  });

  // Deletes are requested from a thread of their own: the log callback
  // runs inside the gateway and must not call it.
  std::atomic<bool> stop_deleting{false};
  std::thread deleter;
  if (a.delete_established) {
    tally.DeleteWhenEstablished();
    deleter = std::thread([&] {
      for (;;) {
        std::optional<std::string> name = tally.NextToDelete(stop_deleting);
        if (name)
          (void)g.Terminate(*name);
        else if (stop_deleting.load())
          return;
      }
    });
  }

  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.timeout));
  const Clock::time_point begin = Clock::now();
  Clock::time_point last_start = begin;
  for (size_t i = 0; i < a.count; ++i) {
    if (a.rate > 0) {
      const auto due = begin + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(i) / a.rate));
      std::this_thread::sleep_until(due);
    }
    // A full window that does not empty within the timeout ends the run.
    tally.WaitForRoom(a.window, Clock::now() + timeout);
    const Clock::time_point at = Clock::now();
    auto name = g.Initiate(kConnection);
    if (name)
      tally.Started(*name, at);
    else
      tally.InitiateFailed(name.error().ToString());
    last_start = at;
  }
  tally.WaitForAll(last_start + timeout);
  std::optional<size_t> deleted;
  if (a.delete_established) {
    deleted = tally.WaitForDeletes(Clock::now() + timeout);
    stop_deleting.store(true);
    deleter.join();
  }
  stop.store(true);
  receiver.join();
  Tally::Report report = tally.Make(a.count, begin);
  report.send_errors = wire.send_errors.load();
  report.deleted = deleted;
  gw->reset();
  PrintReport(a, *to, report);
  return report.established == a.count ? kExitOk : kExitFailed;
}

}  // namespace

void AddLoadCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("load", "IKEv2 initiator load: set up N IKE SAs against a responder and report setups/s");
  cmd->add_option("--to", args->to, "the responder: ADDR, ADDR:PORT or [IPv6]:PORT (port 500 by default)")->required();
  cmd->add_option("--count", args->count, "IKE SAs to set up")->required()->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->add_option("--rate", args->rate, "setups started per second (default 0: as fast as the window allows)")
      ->check(FiniteRange(0, 1e6));
  cmd->add_option("--window", args->window, "at most this many setups under way at once (default 64)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->add_option("--spus", args->spus, "SPUs (worker threads) of the initiating gateway, 1 to 64")
      ->check(CLI::Range(size_t{1}, size_t{64}));
  cmd->add_option("--proposal", args->proposal, "IKE proposal (default aes128gcm16-prfsha256-ecp256)")->check(NotEmpty());
  cmd->add_option("--esp-proposal", args->esp_proposal, "ESP proposal of the CHILD SAs (default aes128gcm16)")
      ->check(NotEmpty());
  cmd->add_option("--psk", args->psk, "pre-shared key (default ipsecref-load)")->check(NotEmpty());
  cmd->add_option("--id", args->id, "this end's identity (default its address)")->check(NotEmpty());
  cmd->add_option("--remote-id", args->remote_id, "the identity the responder must prove (default any)")
      ->check(NotEmpty());
  cmd->add_flag("--childless", args->childless, "IKE SAs without a CHILD SA (RFC 6023)");
  cmd->add_flag("--delete", args->delete_established,
                "delete each IKE SA once it is established (as strongSwan's load-tester delete_after_established); "
                "the run ends when all are gone");
  // The state machine sends IKE from any port but 500 with the non-ESP
  // marker (as from the NAT-T port): another port suits a responder's
  // NAT-T port only.
  cmd->add_option("--local-port", args->local_port,
                  "UDP port to initiate from (default 500; from another port IKE carries the non-ESP marker, so "
                  "--to must name the responder's NAT-T port)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--timeout", args->timeout, "seconds to wait for a setup to end (default 30)")
      ->check(FiniteRange(0.01, 3600));
  cmd->add_flag("--json", args->json, "the report as JSON");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
