// ipsecref replay CAPTURE --to ADDR [--from ADDR] [--esp-counters CMD]
// [--gateway-control SOCK]: sends the packets a capture's peer sent to the
// gateway to a live gateway, from the peer's ports (UDP) or over raw sockets
// (raw ESP and AH), and judges what comes back (interop/replay/replay.h):
// ESP and AH replays dropped, IKE_SA_INIT answered afresh or with a cookie,
// other IKE requests with the cached response. Only loopback and
// documentation addresses (test namespaces). Exit 1 when a verdict is FAIL.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "reference/classify/classify.h"
#include "interop/replay/replay.h"
#include "reference/io/raw_ip_socket.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/control_client.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;
using io::ReplayKind;
using io::ReplayPacket;
using io::ReplayVerdict;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string capture;
  std::string to;
  std::string from;
  std::string gateway_address;
  std::string esp_counters;
  std::string gateway_control;
  std::string keys;
  std::vector<std::string> only;
  double timeout = 1.0;
  double esp_counters_timeout = 10.0;
  bool json = false;
};

constexpr size_t kNonEspMarker = 4;  // RFC 3948 §2.2

// One UDP socket per source port of the capture, bound to --from.
class Sockets {
 public:
  ~Sockets() {
    for (auto& [port, fd] : fds_) close(fd);
  }
  Status Open(const std::string& from, uint16_t port, int family) {
    if (fds_.contains(port)) return OkStatus();
    const int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ENSURE(fd >= 0, kIoError, kNoOffset, "", fmt::format("socket: {}", std::strerror(errno)));
    fds_[port] = fd;
    TRY_ASSIGN(const sockaddr_storage sa, Address(from, port));
    ENSURE(bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0, kIoError, kNoOffset, "",
           fmt::format("cannot bind {} port {}: {} (the peer's IKE daemon must not hold the port; the address "
                       "must be on this host or namespace)",
                       from, port, std::strerror(errno)));
    return OkStatus();
  }
  Status Send(uint16_t sport, const std::string& to, uint16_t dport, ByteSpan data) {
    TRY_ASSIGN(const sockaddr_storage sa, Address(to, dport));
    const ssize_t n = sendto(fds_.at(sport), data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&sa),
                             sizeof sa);
    ENSURE(n == static_cast<ssize_t>(data.size()), kIoError, kNoOffset, "",
           fmt::format("sendto {} port {}: {}", to, dport, n < 0 ? std::strerror(errno) : "short write"));
    return OkStatus();
  }
  // IKE messages (the marker removed on 4500) that arrive until `deadline`;
  // stops early once `enough` says so.
  std::vector<Bytes> Receive(Clock::time_point deadline, const std::function<bool(ByteSpan)>& wanted,
                             bool stop_at_first) {
    std::vector<Bytes> got;
    std::vector<pollfd> fds;
    for (auto& [port, fd] : fds_) fds.push_back({fd, POLLIN, 0});
    Bytes buffer(65536);
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0 || poll(fds.data(), fds.size(), static_cast<int>(left)) <= 0) break;
      for (auto& [port, fd] : fds_) {
        const ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n <= 0) continue;
        ByteSpan datagram(buffer.data(), static_cast<size_t>(n));
        if (port == io::kNatTPort) {
          // ESP in UDP and keepalives are not answers; IKE hides behind the marker.
          if (datagram.size() < kNonEspMarker || LoadU32(datagram.data()) != 0) continue;
          datagram = datagram.subspan(kNonEspMarker);
        }
        if (wanted(datagram)) got.emplace_back(datagram.begin(), datagram.end());
      }
      if (stop_at_first && !got.empty()) break;
    }
    return got;
  }

 private:
  static Result<sockaddr_storage> Address(const std::string& address, uint16_t port) {
    sockaddr_storage sa{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
    if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
    } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
    } else {
      return MakeError(Code::kInvalidArgument, kNoOffset, "", fmt::format("not an IP address: {}", address));
    }
    return sa;
  }
  std::map<uint16_t, int> fds_;
};

// Raw ESP and AH (IP protocols 50 and 51), sent as captured from --from to
// --to. IPv4: the captured header goes out as it is (IP_HDRINCL), only its
// addresses replaced and its checksum left to the kernel, because AH's ICV
// covers the Identification (RFC 4302 §3.3.3.1.1.1), which a header the
// kernel builds would change. IPv6: RawIpSocket, whose header the kernel
// builds; the fields AH's ICV covers (RFC 4302 §3.3.3.1.2.1: version,
// payload length, next header, addresses) come out as captured unless
// extension headers preceded ESP/AH.
class RawSender {
 public:
  ~RawSender() {
    if (v4_ >= 0) close(v4_);
  }
  Status Send(const ReplayPacket& p, ByteSpan from, ByteSpan to) {
    const uint8_t protocol = p.kind == ReplayKind::kAh ? 51 : 50;
    const bool captured_v4 = !p.ip_header.empty() && (p.ip_header[0] >> 4) == 4;
    ENSURE(captured_v4 == (to.size() == 4), kInvalidArgument, kNoOffset, "",
           fmt::format("packet {}: an IPv{} packet, but --to is an IPv{} address", p.packet_number,
                       captured_v4 ? 4 : 6, to.size() == 4 ? 4 : 6));
    if (!captured_v4) {
      auto it = v6_.find(protocol);
      if (it == v6_.end()) {
        TRY_ASSIGN(io::RawIpSocket socket, io::RawIpSocket::Open(AF_INET6, protocol));
        it = v6_.emplace(protocol, std::move(socket)).first;
      }
      return it->second.Send(p.ip_payload, to, from);
    }
    if (v4_ < 0) {
      // IPPROTO_RAW implies IP_HDRINCL (raw(7)).
      v4_ = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
      ENSURE(v4_ >= 0, kIoError, kNoOffset, "",
             fmt::format("raw IPv4 socket: {} (raw ESP/AH needs root or CAP_NET_RAW)", std::strerror(errno)));
    }
    constexpr size_t kChecksum = 10, kSource = 12, kDestination = 16;  // RFC 791 §3.1
    Bytes packet = p.ip_header;
    ENSURE(packet.size() >= 20, kBadFile, kNoOffset, "", fmt::format("packet {}: IPv4 header short", p.packet_number));
    packet.insert(packet.end(), p.ip_payload.begin(), p.ip_payload.end());
    std::fill_n(packet.begin() + kChecksum, 2, 0);
    std::copy(from.begin(), from.end(), packet.begin() + kSource);
    std::copy(to.begin(), to.end(), packet.begin() + kDestination);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    std::memcpy(&sa.sin_addr, to.data(), 4);
    const ssize_t n =
        sendto(v4_, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    ENSURE(n == static_cast<ssize_t>(packet.size()), kIoError, kNoOffset, "",
           fmt::format("packet {}: send {} bytes of IP protocol {} to {}: {}", p.packet_number, packet.size(),
                       protocol, io::FormatAddress(to), n < 0 ? std::strerror(errno) : "short write"));
    return OkStatus();
  }

 private:
  int v4_ = -1;
  std::map<uint8_t, io::RawIpSocket> v6_;
};

//= ipsecref#choice
//# The counter command's output is read up to 16 MiB (swanctl lists tens of
//# thousands of SAs in less) and for --esp-counters-timeout seconds; past
//# either the command and what it started are killed and replay stops: a
//# command that never ends must not hold the replay forever.
constexpr size_t kMaxCounterOutput = 16u << 20;

// Runs the counter command (sh -c, its own process group, stdin from
// /dev/null) and reads what it prints, within the bounds above.
Result<std::string> RunCounterCommand(const std::string& command, double timeout) {
  const auto failed = [&command](std::string_view what) {
    return MakeError(Code::kIoError, kNoOffset, "", fmt::format("--esp-counters {}: {}", Echo(command), what));
  };
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return failed(fmt::format("pipe: {}", std::strerror(errno)));
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  const pid_t child = fork();
  if (child < 0) {
    const int error = errno;
    close(out[0]);
    close(out[1]);
    return failed(fmt::format("fork: {}", std::strerror(error)));
  }
  if (child == 0) {
    setpgid(0, 0);
    const int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0) _exit(127);
    execv("/bin/sh", const_cast<char* const*>(argv));
    _exit(127);
  }
  setpgid(child, child);  // also here: the kill below must find the group
  close(out[1]);
  std::string text;
  std::string problem;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout));
  char chunk[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{out[0], POLLIN, 0};
    const int ready = left > 0 ? poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000))) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0 && Clock::now() < deadline) continue;
    if (ready <= 0) {
      problem = fmt::format("no end of output after {} s (--esp-counters-timeout): the command was killed", timeout);
      break;
    }
    const ssize_t n = read(out[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the end of the output
    text.append(chunk, static_cast<size_t>(n));
    if (text.size() > kMaxCounterOutput) {
      problem = fmt::format("printed more than {} MiB: the command was killed", kMaxCounterOutput >> 20);
      break;
    }
  }
  if (!problem.empty()) kill(-child, SIGKILL);
  close(out[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!problem.empty()) return failed(problem);
  if (WIFSIGNALED(status)) return failed(fmt::format("killed by signal {}", WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return failed(fmt::format("exited with status {}", WEXITSTATUS(status)));
  return text;
}

// Runs the counter command and reads the inbound SAs' packet counts.
Result<std::map<uint32_t, uint64_t>> ReadCounters(const Args& args) {
  TRY_ASSIGN(const std::string text, RunCounterCommand(args.esp_counters, args.esp_counters_timeout));
  auto counters = io::ParseSaCounters(text);
  ENSURE(counters.ok(), kBadFile, kNoOffset, "",
         fmt::format("--esp-counters output: {}", counters ? "" : counters.error().ToString()));
  return std::move(counters).value();
}

// One verdict line: what was replayed and what the gateway did.
struct Row {
  std::string what;
  json fields;
  io::ReplayJudgement judgement;
};

std::string IkeWhat(const ReplayPacket& p) {
  return fmt::format("packet {} {} request (message ID {}{})", p.packet_number, p.exchange, p.message_id,
                     p.latest_request ? ", latest of its IKE SA" : "");
}

json IkeFields(const ReplayPacket& p) {
  json j = {{"packet", p.packet_number},      {"kind", io::ReplayKindKey(p.kind)},
            {"exchange", p.exchange},         {"message_id", p.message_id},
            {"spi_i", fmt::format("{:016x}", p.spi_i)}, {"spi_r", fmt::format("{:016x}", p.spi_r)},
            {"latest_request", p.latest_request}};
  if (p.captured_response) j["response_packet"] = p.response_packet_number;
  return j;
}

// `ipsecref gateway`'s ESP counters, over its control socket.
Result<io::GatewayEspCounters> ReadGatewayCounters(const std::string& socket) {
  TRY_ASSIGN(const json stats, AskGateway(socket, {{"command", "stats"}}, 10'000));
  const auto failed = [&](std::string_view why) {
    return MakeError(Code::kBadFile, kNoOffset, "", fmt::format("--gateway-control {}: stats: {}", Echo(socket), why));
  };
  if (!stats.is_object() || !stats.value("ok", false)) return failed(stats.dump());
  const auto count = [&](const json& j, const char* key) -> std::optional<uint64_t> {
    auto it = j.find(key);
    if (it == j.end()) return uint64_t{0};  // a drop reason not counted yet
    if (!it->is_number_unsigned()) return std::nullopt;
    return it->get<uint64_t>();
  };
  const json dropped = stats.contains("dropped") ? stats["dropped"] : json::object();
  const auto esp_in = count(stats, "esp_in"), replay = count(dropped, "replay"),
             unknown = count(dropped, "unknown_spi"), icv = count(dropped, "authentication_failed");
  if (!stats.contains("esp_in") || !dropped.is_object() || !esp_in || !replay || !unknown || !icv)
    return failed("no esp_in, dropped.replay, dropped.unknown_spi and dropped.authentication_failed counts");
  return io::GatewayEspCounters{*esp_in, *replay, *unknown, *icv};
}

std::string_view SaWhat(ReplayKind kind) {
  return kind == ReplayKind::kEspInUdp ? "ESP in UDP" : kind == ReplayKind::kEsp ? "ESP" : "AH";
}

// ESP in UDP, raw ESP and AH, by SA. With --esp-counters the SA counters
// read before (`before`, before any socket was opened) and after all were
// sent; with --gateway-control the gateway's stats around each SA's packets.
Result<std::vector<Row>> ReplaySas(const std::vector<const ReplayPacket*>& sa_packets, const Args& args,
                                   Sockets& sockets, const std::optional<std::map<uint32_t, uint64_t>>& before) {
  std::map<std::pair<ReplayKind, uint32_t>, std::vector<const ReplayPacket*>> by_sa;
  for (const ReplayPacket* p : sa_packets) by_sa[{p->kind, p->spi}].push_back(p);
  TRY_ASSIGN(const Bytes from, io::ParseAddress(args.from));
  TRY_ASSIGN(const Bytes to, io::ParseAddress(args.to));
  RawSender raw;
  const auto wait = [&] {
    // The gateway decrypts asynchronously: give it the timeout to count.
    std::this_thread::sleep_for(std::chrono::duration<double>(args.timeout));
  };
  const auto send = [&](const std::vector<const ReplayPacket*>& packets) -> Status {
    for (const ReplayPacket* p : packets)
      TRY(p->kind == ReplayKind::kEspInUdp ? sockets.Send(p->sport, args.to, p->dport, p->udp_payload)
                                           : raw.Send(*p, from, to));
    return OkStatus();
  };
  std::map<std::pair<ReplayKind, uint32_t>, io::ReplayJudgement> judged;
  std::map<std::pair<ReplayKind, uint32_t>, std::pair<io::GatewayEspCounters, io::GatewayEspCounters>> stats;
  std::optional<std::map<uint32_t, uint64_t>> after;
  if (!args.gateway_control.empty()) {
    for (const auto& [sa, packets] : by_sa) {
      TRY_ASSIGN(const io::GatewayEspCounters b, ReadGatewayCounters(args.gateway_control));
      TRY(send(packets));
      wait();
      TRY_ASSIGN(const io::GatewayEspCounters a, ReadGatewayCounters(args.gateway_control));
      stats[sa] = {b, a};
      //= ipsecref#choice
      //# `ipsecref gateway` carries ESP only: its stats count no AH, so an AH
      //# replay to it is sent but cannot be judged.
      judged[sa] = sa.first == ReplayKind::kAh
                       ? io::ReplayJudgement{ReplayVerdict::kNotJudged,
                                             "sent, but the gateway's stats count ESP only", ""}
                       : io::JudgeEspReplayByDrops(sa.second, packets.size(), b, a, sa.first);
    }
  } else {
    for (const auto& [sa, packets] : by_sa) TRY(send(packets));
    wait();
    if (!args.esp_counters.empty()) {
      TRY_ASSIGN(after, ReadCounters(args));
    }
  }
  std::vector<Row> rows;
  for (const auto& entry : by_sa) {
    const ReplayKind kind = entry.first.first;
    const uint32_t spi = entry.first.second;  // plain variables: lambdas capture them (not bindings in clang 14)
    const std::vector<const ReplayPacket*>& packets = entry.second;
    std::vector<size_t> numbers;
    std::vector<uint32_t> seqs;
    for (const ReplayPacket* p : packets) {
      numbers.push_back(p->packet_number);
      seqs.push_back(p->seq);
    }
    const auto lookup = [spi](const std::optional<std::map<uint32_t, uint64_t>>& m) -> std::optional<uint64_t> {
      if (!m) return std::nullopt;
      auto it = m->find(spi);
      return it == m->end() ? std::nullopt : std::optional<uint64_t>(it->second);
    };
    io::ReplayJudgement j;
    if (auto it = judged.find(entry.first); it != judged.end()) {
      j = it->second;
    } else if (args.esp_counters.empty()) {
      j = {ReplayVerdict::kNotJudged,
           "sent, but without --esp-counters or --gateway-control nothing tells whether the gateway took them", ""};
    } else {
      j = io::JudgeEspReplay(spi, packets.size(), lookup(before), lookup(after), kind);
    }
    json fields = {{"kind", io::ReplayKindKey(kind)}, {"spi", fmt::format("{:#010x}", spi)}, {"packets", numbers},
                   {"seq", seqs}};
    if (auto b = lookup(before)) fields["packets_in_before"] = *b;
    if (auto a = lookup(after)) fields["packets_in_after"] = *a;
    if (auto it = stats.find(entry.first); it != stats.end()) {
      fields["esp_in_before"] = it->second.first.esp_in;
      fields["esp_in_after"] = it->second.second.esp_in;
      fields["replay_drops_before"] = it->second.first.replay;
      fields["replay_drops_after"] = it->second.second.replay;
    }
    rows.push_back({fmt::format("{} SPI {:#010x}, {} packets (seq {}..{})", SaWhat(kind), spi, packets.size(),
                                *std::min_element(seqs.begin(), seqs.end()), *std::max_element(seqs.begin(), seqs.end())),
                    std::move(fields), std::move(j)});
  }
  return rows;
}

Result<std::vector<Row>> ReplayIke(const std::vector<const ReplayPacket*>& ike, const Args& args,
                                   Sockets& sockets) {
  std::vector<std::vector<Bytes>> answers;
  const auto wait = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.timeout));
  for (const ReplayPacket* p : ike) {
    sockets.Receive(Clock::now(), [](ByteSpan) { return false; }, false);  // drop what came late
    TRY(sockets.Send(p->sport, args.to, p->dport, p->udp_payload));
    answers.push_back(sockets.Receive(
        Clock::now() + wait, [p](ByteSpan m) { return io::AnswersRequest(*p, m); }, true));
  }
  std::vector<Row> rows(ike.size());
  // Requests past IKE_SA_INIT first: whether their IKE SA still lives
  // decides what a silent IKE_SA_INIT means.
  std::set<std::pair<uint64_t, uint64_t>> alive;
  for (size_t i = 0; i < ike.size(); ++i) {
    if (ike[i]->kind != ReplayKind::kIkeRequest) continue;
    rows[i].judgement = io::JudgeIkeRequest(*ike[i], answers[i]);
    if (ike[i]->latest_request && !answers[i].empty() && rows[i].judgement.verdict == ReplayVerdict::kPass)
      alive.insert({ike[i]->spi_i, ike[i]->spi_r});
  }
  for (size_t i = 0; i < ike.size(); ++i) {
    const ReplayPacket& p = *ike[i];
    if (p.kind == ReplayKind::kIkeSaInit) {
      uint64_t spi_r = 0;
      if (p.captured_response)
        if (auto h = ike::PeekHeader(*p.captured_response)) spi_r = h->spi_r;
      rows[i].judgement = io::JudgeIkeSaInit(p, answers[i], spi_r != 0 && alive.contains({p.spi_i, spi_r}));
    }
    rows[i].what = IkeWhat(p);
    rows[i].fields = IkeFields(p);
    rows[i].fields["answers"] = answers[i].size();
  }
  return rows;
}

int Run(const Args& args) {
  const auto fail = [&](const Error& e) { return Fail("replay", e, args.json); };
  for (const std::string& k : args.only)
    if (k != "esp" && k != "ah" && k != "ike-sa-init" && k != "ike-request")
      return FailUsage("replay", fmt::format("--only {}: one of esp, ah, ike-sa-init, ike-request", Echo(k)),
                       args.json);
  if (!args.esp_counters.empty() && !args.gateway_control.empty())
    return FailUsage("replay", "--esp-counters and --gateway-control: give one way to read the gateway's counters",
                     args.json);
  // Addresses are checked before the capture is read: nothing else tells a
  // typo from an address the capture does not hold.
  for (const auto& [option, address] : {std::pair{"--to", &args.to}, std::pair{"--from", &args.from}})
    if (!address->empty())
      if (Status s = io::CheckTestAddress(*address); !s) return Fail("replay", s.error(), args.json, option);
  std::optional<std::string> gateway;
  if (!args.gateway_address.empty()) {
    auto address = io::ParseAddress(args.gateway_address);
    if (!address || address->empty())
      return FailUsage("replay",
                       fmt::format("--gateway-address {}: not an IPv4 or IPv6 address", Echo(args.gateway_address)),
                       args.json);
    gateway = io::FormatAddress(*address);  // as the capture's addresses are written
  }
  if (Status s = CheckInput("", args.capture); !s) return fail(s.error());
  if (!args.keys.empty())
    if (Status s = CheckInput("--keys", args.keys, InputKind::kFileOrDirectory); !s) return fail(s.error());
  auto packets = io::ReadCapture(args.capture);
  if (!packets) return fail(packets.error());
  auto plan = io::PlanReplay(*packets, gateway, args.capture);
  if (!plan) return fail(plan.error());
  if (gateway && plan->packets.empty() && plan->not_replayed.empty())
    return FailUsage("replay",
                     fmt::format("--gateway-address {}: no packet of {} goes to that address", *gateway,
                                 Echo(args.capture)),
                     args.json);
  if (!args.keys.empty()) {
    auto keys = io::KeyStore::Load(args.keys);
    if (!keys) return fail(keys.error());
    auto report = io::CheckCapture(args.capture, *keys, {.record_all_packets = true});
    if (!report) return fail(report.error());
    io::SetAsideUnverifiedEsp(*plan, *report);
  }
  const std::string from = args.from.empty() ? plan->peer : args.from;
  for (const std::string* a : {&args.to, &from})
    if (Status s = io::CheckTestAddress(*a); !s) return fail(s.error());
  const int family = args.to.find(':') == std::string::npos ? AF_INET : AF_INET6;
  Args run = args;
  run.from = from;

  const auto selected = [&](const ReplayPacket& p) {
    // By ReplayKind: ESP in UDP and raw ESP are both "esp".
    static constexpr std::array<std::string_view, 5> kOnly{"ike-sa-init", "ike-request", "esp", "esp", "ah"};
    if (args.only.empty()) return true;
    return std::find(args.only.begin(), args.only.end(), kOnly.at(static_cast<size_t>(p.kind))) != args.only.end();
  };
  std::vector<const ReplayPacket*> esp, ike;
  for (const ReplayPacket& p : plan->packets)
    if (selected(p)) (io::IsIpsecSa(p.kind) ? esp : ike).push_back(&p);
  // The counters before anything is sent (or bound): a command that does
  // not work stops the replay before it began.
  std::optional<std::map<uint32_t, uint64_t>> before;
  if (!esp.empty() && !args.esp_counters.empty()) {
    auto counters = ReadCounters(args);
    if (!counters) return fail(counters.error());
    before = std::move(counters).value();
  }
  Sockets sockets;
  for (const ReplayPacket* p : esp)
    if (p->kind == ReplayKind::kEspInUdp)
      if (Status s = sockets.Open(from, p->sport, family); !s) return fail(s.error());
  for (const ReplayPacket* p : ike)
    if (Status s = sockets.Open(from, p->sport, family); !s) return fail(s.error());
  std::vector<Row> rows;
  if (!esp.empty()) {
    auto r = ReplaySas(esp, run, sockets, before);
    if (!r) return fail(r.error());
    rows = std::move(r).value();
  }
  auto r = ReplayIke(ike, run, sockets);
  if (!r) return fail(r.error());
  for (Row& row : *r) rows.push_back(std::move(row));

  size_t counts[3] = {};
  for (const Row& row : rows) ++counts[static_cast<size_t>(row.judgement.verdict)];
  const bool failed = counts[static_cast<size_t>(ReplayVerdict::kFail)] > 0;
  if (args.json) {
    json results = json::array();
    for (const Row& row : rows) {
      json j = row.fields;
      j["verdict"] = io::ReplayVerdictName(row.judgement.verdict);
      j["reason"] = row.judgement.reason;
      j["requirement"] = row.judgement.requirement;
      results.push_back(std::move(j));
    }
    json skipped = json::array();
    for (const io::NotReplayed& n : plan->not_replayed) skipped.push_back({{"packet", n.packet_number}, {"why", n.why}});
    PrintJson({{"capture", args.capture},
                      {"gateway", plan->gateway},
                      {"peer", plan->peer},
                      {"to", args.to},
                      {"from", from},
                      {"results", results},
                      {"not_replayed", skipped},
                      {"passed", counts[0]},
                      {"failed", counts[1]},
                      {"not_judged", counts[2]},
                      {"result", failed ? "FAIL" : "PASS"}});
  } else {
    fmt::print("capture  {}: gateway {}, peer {}: {} packets replayed, {} not\n", args.capture, plan->gateway,
               plan->peer, esp.size() + ike.size(), plan->not_replayed.size());
    fmt::print("target   {} from {}, waiting {} s for answers\n", args.to, from, args.timeout);
    for (const Row& row : rows)
      fmt::print("{:<10} {}: {}{}\n", io::ReplayVerdictName(row.judgement.verdict), row.what, row.judgement.reason,
                 row.judgement.requirement.empty() ? "" : fmt::format(" [{}]", row.judgement.requirement));
    for (const io::NotReplayed& n : plan->not_replayed)
      fmt::print("{:<10} packet {}: {}\n", "skipped", n.packet_number, n.why);
    fmt::print("result   {} ({} passed, {} failed, {} not judged)\n", failed ? "FAIL" : "PASS", counts[0], counts[1],
               counts[2]);
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void AddReplayCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("replay", "replay a capture's packets to a live test gateway and judge its answers");
  cmd->add_option("capture", args->capture, "pcap or pcapng")->required();
  cmd->add_option("--to", args->to, "the gateway to send to: loopback or a documentation address")->required();
  cmd->add_option("--from", args->from, "the address to send from (default: the capture's peer)")
      ->check(NotEmpty());
  cmd->add_option("--gateway-address", args->gateway_address,
                  "the gateway's address in the capture (default: the responder of the first IKE_SA_INIT)")
      ->check(NotEmpty());
  cmd->add_option("--esp-counters", args->esp_counters,
                  "shell command printing the gateway's inbound SAs as `swanctl --list-sas --raw` does")
      ->check(NotEmpty());
  cmd->add_option("--gateway-control", args->gateway_control,
                  "the control socket of an `ipsecref gateway`: its stats judge the ESP replays (every packet "
                  "dropped as a replay)")
      ->check(NotEmpty());
  cmd->add_option("--keys", args->keys,
                  "the capture's keys (directory or file, as for check): ESP packets that do not verify with them "
                  "are not replayed")
      ->check(NotEmpty());
  cmd->add_option("--only", args->only, "replay only: esp (in UDP and raw), ah, ike-sa-init, ike-request (repeatable)");
  cmd->add_option("--timeout", args->timeout, "seconds to wait for each answer (and for ESP to be counted)")
      ->check(FiniteRange(0.05, 30.0));
  cmd->add_option("--esp-counters-timeout", args->esp_counters_timeout,
                  "seconds the --esp-counters command may take (default 10); it is killed after")
      ->check(FiniteRange(0.1, 600.0));
  cmd->add_flag("--json", args->json, "machine-readable output");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
