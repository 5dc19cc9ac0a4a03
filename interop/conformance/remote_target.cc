#include "interop/conformance/remote_target.h"

#include <netinet/in.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "interop/conformance/libreswan_conf.h"
#include "reference/gateway/settings.h"
#include "reference/gateway/swanctl_conf.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "interop/exchange/capture.h"
#include "reference/esp/esp_packet.h"
#include "reference/io/raw_ip_socket.h"
#include "reference/io/udp_socket.h"

extern char** environ;

namespace ipsecref::conformance {
namespace {

namespace fs = std::filesystem;
using ike::sa::Datagram;
using ike::sa::IkeConfig;
using ike::sa::Peer;
using ike::sa::Time;
using SteadyClock = std::chrono::steady_clock;

// Set by SIGINT or SIGTERM while a remote target exists: the run in
// progress stops, and the target removes what it made before the process
// ends (the default action would leave charon and the namespaces behind).
volatile std::sig_atomic_t interrupted = 0;
void OnSignal(int) { interrupted = 1; }
void CatchSignals() {
  struct sigaction a {};
  a.sa_handler = OnSignal;
  sigemptyset(&a.sa_mask);
  sigaction(SIGINT, &a, nullptr);
  sigaction(SIGTERM, &a, nullptr);
}
Status NotInterrupted() {
  ENSURE(interrupted == 0, kIoError, kNoOffset, "", "interrupted by a signal (what the target made is removed)");
  return OkStatus();
}

// --- processes -------------------------------------------------------------------

// Starts `args` (looked up on PATH) with `env` added to ours, stdin from
// /dev/null, stdout and stderr appended to `output` (or /dev/null).
Result<pid_t> Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
                    const std::string& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.empty() ? "/dev/null" : output.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> owned_env;
  for (char** e = environ; *e != nullptr; ++e) owned_env.emplace_back(*e);
  owned_env.insert(owned_env.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  std::vector<std::string> owned_args = args;
  for (std::string& a : owned_args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : owned_env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ENSURE(rc == 0, kIoError, kNoOffset, "", fmt::format("cannot run {}: {}", args[0], std::strerror(rc)));
  return pid;
}

// Waits up to `seconds` for `pid` to end, then stops it (SIGTERM, and
// SIGKILL a second later). Its exit status, or -1 when it was stopped.
int Reap(pid_t pid, double seconds) {
  int status = 0;
  const auto until = SteadyClock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    if (SteadyClock::now() >= until) break;
    usleep(20'000);
  }
  kill(pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;
    usleep(20'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// Runs `args` to its end (at most `seconds`); its exit status.
Result<int> RunProgram(const std::vector<std::string>& args, const std::vector<std::string>& env,
                       const std::string& output, double seconds) {
  TRY_ASSIGN(pid_t pid, Spawn(args, env, output));
  return Reap(pid, seconds);
}

std::string Tail(const std::string& path, size_t lines = 5) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += (out.empty() ? "" : " | ") + all[i];
  return out;
}

std::string AddressText(ByteSpan a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.size() == 16 ? AF_INET6 : AF_INET, a.data(), text, sizeof text);
  return text;
}

// --- the run in real time -------------------------------------------------------

// Where the IUT is on the real network, and the tester's sockets there.
struct RemoteEnd {
  Bytes iut_address;
  uint16_t iut_port = ike::sa::kIkePort;
  uint16_t iut_nat_port = ike::sa::kNatTraversalPort;
  std::optional<io::UdpSocket> ike, nat;  // the tester's: its IKE port and its NAT-T port
  // The tester's raw ESP socket (the ESP dataplane), or why there is none.
  std::optional<io::RawIpSocket> esp;
  std::string no_esp;
  // The tester's raw AH socket for IPv4, IP_HDRINCL: the outer header goes
  // out as the tester built it (the ICV covers its Identification, RFC 4302
  // §3.3.3.1.1.1), or why there is none.
  std::optional<io::RawIpSocket> ah;
  std::string no_ah = "the AH dataplane runs against the reference and the kernel (XFRM) targets only";
  // IKE datagrams read from the NAT-T socket while the dataplane waited for
  // ESP in UDP there: the driver takes them as just received.
  std::vector<Bytes> nat_ike_aside;
};

// The IUT's ESP over the real network (dataplane.h): each packet the link
// gives goes to the IUT's real address (ESP over IP in a header the kernel
// builds, ESP in UDP from the tester's NAT-T socket); the ESP packets from
// the IUT's address that arrive within the answer time are the answer.
class RemoteEspHost final : public dataplane::Iut {
 public:
  RemoteEspHost(RemoteEnd& end, Bytes tester_address) : end_(end), tester_address_(std::move(tester_address)) {}

  Status Sync(const ike::sa::IkeSa& /*sa*/) override { return OkStatus(); }
  bool installs_own_sas() const override { return true; }

  std::vector<Bytes> Receive(ByteSpan packet) override {
    if (dataplane::LocateAh(packet)) return SendAh(packet);
    if (!end_.esp) return Note(fmt::format("esp: no raw ESP socket: {}", end_.no_esp));
    auto loc = esp::LocateEsp(packet);
    if (!loc) return Note(fmt::format("esp: not sent: {}", loc.error().ToString()));
    if (loc->udp) {
      // ESP in UDP (RFC 3948) leaves from the tester's NAT-T socket.
      if (!end_.nat) return Note("esp: no NAT-T socket for ESP in UDP");
      if (Status sent = end_.nat->SendTo(packet.subspan(loc->esp_offset), end_.iut_address, end_.iut_nat_port); !sent)
        return Note(fmt::format("esp: not sent: {}", sent.error().ToString()));
    } else if (Status sent = end_.esp->Send(packet.subspan(loc->esp_offset), end_.iut_address); !sent) {
      return Note(fmt::format("esp: not sent: {}", sent.error().ToString()));
    }
    return Answers();
  }

  const std::vector<std::string>& notes() const { return notes_; }

 private:
  // An AH packet goes out whole, its IPv4 header as built: the kernel fills
  // in only the header checksum (mutable, zero in the ICV) and the total
  // length (the same).
  std::vector<Bytes> SendAh(ByteSpan packet) {
    if (!end_.ah) return Note(fmt::format("ah: no raw AH socket: {}", end_.no_ah));
    if (packet.empty() || (packet[0] >> 4) != 4) return Note("ah: only an IPv4 outer header goes out as built");
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, end_.iut_address.data(), std::min<size_t>(end_.iut_address.size(), 4));
    if (sendto(end_.ah->fd(), packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
      return Note(fmt::format("ah: not sent: {}", std::strerror(errno)));
    return Answers();
  }

  //= ipsecref#choice
  //# A remote IUT's answer to one ESP or AH packet is what arrives within
  //# 0.7 s of it, and until 0.15 s pass without another: an echo reply
  //# through a userspace or kernel ESP takes milliseconds, and a dropped
  //# packet costs 0.7 s.
  std::vector<Bytes> Answers() {
    std::vector<Bytes> answers;
    const auto sent_at = SteadyClock::now();
    auto until = sent_at + std::chrono::milliseconds(700);
    Bytes buffer(65536);
    const auto answered = [&](Bytes p) {
      answers.push_back(std::move(p));
      until = std::min(sent_at + std::chrono::milliseconds(700), SteadyClock::now() + std::chrono::milliseconds(150));
    };
    while (SteadyClock::now() < until && interrupted == 0) {
      std::vector<pollfd> fds;
      for (const auto& raw : {&end_.esp, &end_.ah})
        if (*raw) fds.push_back({(*raw)->fd(), POLLIN, 0});
      if (end_.nat) fds.push_back({end_.nat->fd(), POLLIN, 0});
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - SteadyClock::now()).count();
      poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(ms, 0)));
      for (const auto& raw : {&end_.esp, &end_.ah}) {
        while (*raw) {
          auto got = (*raw)->Receive(buffer);
          if (!got || !*got) break;
          const io::RawIpReceived& r = **got;
          Bytes p(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(r.size));
          if (r.truncated || !FromIut(p)) continue;
          answered(std::move(p));
        }
      }
      while (end_.nat) {
        auto got = end_.nat->Receive(buffer);
        if (!got || !*got) break;
        const io::UdpReceived& r = **got;
        if (r.truncated || r.source_address != end_.iut_address) continue;
        const ByteSpan payload(buffer.data(), r.size);
        if (esp::ClassifyUdpPayload(payload) == esp::UdpPayloadKind::kEsp) {
          // The socket gives the payload only: the dataplane reads the
          // packet the IUT sent, IP and UDP headers rebuilt around it.
          exchange::CapturedDatagram d;
          d.datagram.source = {r.source_address, r.source_port};
          d.datagram.destination = {tester_address_, ike::sa::kNatTraversalPort};
          d.datagram.data.assign(payload.begin(), payload.end());
          answered(exchange::FrameOf(d));
        } else {
          end_.nat_ike_aside.emplace_back(payload.begin(), payload.end());
        }
      }
    }
    return answers;
  }

  // Whether an outer IP packet comes from the IUT's address.
  bool FromIut(ByteSpan p) const {
    if (p.size() >= 20 && (p[0] >> 4) == 4) return end_.iut_address == Bytes(p.begin() + 12, p.begin() + 16);
    if (p.size() >= 40 && (p[0] >> 4) == 6) return end_.iut_address == Bytes(p.begin() + 8, p.begin() + 24);
    return false;
  }

  std::vector<Bytes> Note(std::string note) {
    if (std::find(notes_.begin(), notes_.end(), note) == notes_.end()) notes_.push_back(std::move(note));
    return {};
  }

  RemoteEnd& end_;
  Bytes tester_address_;  // where the IUT's ESP in UDP goes, as the dataplane reads it
  std::vector<std::string> notes_;
};

// What makes the IUT act: "initiate" or "iut:OP", and the program with its
// arguments.
using Commands = std::map<std::string, std::vector<std::string>>;

// Moves a run on in real time. Datagrams the tester sends to the stand-in
// go to the IUT; those the IUT sends enter the exchange's network as the
// stand-in's (its exchange address, port 500 or 4500), so that the
// deviations' filters and the capture treat them as on the reference target.
class RealTimeDriver final : public RunDriver {
 public:
  RealTimeDriver(exchange::Session& s, Peer& tester, Peer& stand_in, RemoteEnd& end, const Commands& commands,
                 std::vector<std::string> command_env, std::string command_output, double settle_seconds,
                 uint64_t seed)
      : seed_(seed),
        s_(s),
        tester_(tester),
        stand_in_(stand_in),
        end_(end),
        commands_(commands),
        command_env_(std::move(command_env)),
        command_output_(std::move(command_output)),
        settle_(std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(settle_seconds))),
        began_(SteadyClock::now()),
        base_(s.x().clock().Now()) {}

  ~RealTimeDriver() override {
    for (pid_t pid : started_) Reap(pid, 0.5);
  }

  void Settle() override { RunUntil(std::nullopt); }
  void InitiateIut() override { (void)Start("initiate"); }
  Status OperateIut(std::string_view op) override { return Start(fmt::format("iut:{}", op)); }
  void Wait(Time ms) override { RunUntil(SteadyClock::now() + std::chrono::milliseconds(ms)); }

  Status SendEsp(std::string_view text) override {
    testing::Exchange& x = s_.x();
    if (!link_) {
      host_ = std::make_unique<RemoteEspHost>(end_, tester_.local().address);
      link_ = std::make_unique<dataplane::Link>(*host_, std::nullopt, seed_ + 2);
    }
    TRY_ASSIGN(dataplane::EspSpec spec, dataplane::ParseEspSpec(text));
    ENSURE(spec.protocol == iana::SecurityProtocol::kEsp || end_.ah, kUnsupported, kNoOffset, "",
           fmt::format("tester:{}: {}", text, end_.no_ah));
    const size_t ike_before = x.network().captured.size();
    SyncClock();
    link_->Send(spec, EstablishedSa(tester_), nullptr, x.clock().Now(), ike_before);
    SyncClock();
    return OkStatus();
  }

  void Complete(Observation& o) override {
    if (!link_) return;
    MergeEsp(*link_, base_, o);
    o.esp_notes.insert(o.esp_notes.end(), host_->notes().begin(), host_->notes().end());
  }

 private:
  uint64_t seed_;
  std::unique_ptr<RemoteEspHost> host_;
  std::unique_ptr<dataplane::Link> link_;

  Status Start(const std::string& what) {
    const auto it = commands_.find(what);
    ENSURE(it != commands_.end(), kUnsupported, kNoOffset, "", fmt::format("the target has no command for {}", what));
    // In the background: the IUT needs the tester's answers to finish it.
    TRY_ASSIGN(pid_t pid, Spawn(it->second, command_env_, command_output_));
    started_.push_back(pid);
    return OkStatus();
  }

  // The fake clock reads the real time since the run began.
  void SyncClock() {
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - began_).count();
    const Time now = base_ + static_cast<Time>(elapsed);
    if (now > s_.x().clock().Now()) s_.x().clock().Set(now);
  }

  // Everything in flight: to the tester, delivered; to the stand-in, sent
  // to the IUT.
  void Pump() {
    testing::Exchange& x = s_.x();
    while (std::optional<Datagram> d = x.Take()) {
      if (d->destination.address == tester_.local().address) {
        SyncClock();
        x.Deliver(*d);
        s_.Snapshot();
        continue;
      }
      const bool nat_port = d->source.port == ike::sa::kNatTraversalPort;
      io::UdpSocket* socket = nat_port && end_.nat ? &*end_.nat : &*end_.ike;
      const uint16_t port = d->destination.port == ike::sa::kNatTraversalPort ? end_.iut_nat_port : end_.iut_port;
      // A message the tester never sent before keeps the run going; its
      // retransmissions do not.
      if (sent_.insert(d->data).second) last_activity_ = SteadyClock::now();
      else AwaitAnswer();
      (void)socket->SendTo(d->data, end_.iut_address, port);
      last_sent_ = SteadyClock::now();
    }
  }

  //= ipsecref#choice
  //# A datagram the tester sends again (a deviation's copy, a replay) right
  //# after the first leaves 0.1 s after the IUT has answered, or 0.5 s
  //# after the first: on the reference target the copy arrives after the
  //# IUT has processed the first, while a copy that reaches an IUT still busy
  //# with the first may be ignored (strongSwan ignores a request whose IKE SA
  //# is still in use, even just after it sent the response), which tests
  //# nothing the case means.
  void AwaitAnswer() {
    const size_t before = iut_received_;
    auto until = last_sent_ + std::chrono::milliseconds(500);
    bool answered = false;
    while (SteadyClock::now() < until && interrupted == 0) {
      std::vector<pollfd> fds;
      for (const auto& socket : {&end_.ike, &end_.nat})
        if (*socket) fds.push_back({(*socket)->fd(), POLLIN, 0});
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - SteadyClock::now()).count();
      poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(ms, 0)));
      Receive();
      if (!answered && iut_received_ != before) {
        answered = true;
        until = std::min(until, SteadyClock::now() + std::chrono::milliseconds(100));
      }
    }
  }

  bool TesterDueWithin(SteadyClock::duration d) const {
    const std::optional<Time> t = tester_.NextDeadline();
    const Time clock = s_.x().clock().Now();
    return t && (*t <= clock || std::chrono::milliseconds(*t - clock) <= d);
  }

  // The tester's timers that are due.
  void Tick() {
    SyncClock();
    if (const std::optional<Time> t = tester_.NextDeadline(); t && *t <= s_.x().clock().Now()) {
      tester_.Tick();
      s_.Snapshot();
    }
  }

  // Whatever the IUT sent, into the exchange's network.
  void Receive() {
    for (Bytes& data : end_.nat_ike_aside) Take(std::move(data), end_.iut_nat_port, false);
    end_.nat_ike_aside.clear();
    Bytes buffer(65536);
    for (io::UdpSocket* socket : {end_.ike ? &*end_.ike : nullptr, end_.nat ? &*end_.nat : nullptr}) {
      if (socket == nullptr) continue;
      for (;;) {
        auto got = socket->Receive(buffer);
        if (!got || !*got) break;
        const io::UdpReceived& r = **got;
        if (r.source_address != end_.iut_address || r.truncated) continue;  // not the IUT's
        const bool on_ike = socket == &*end_.ike;
        const ByteSpan payload(buffer.data(), r.size);
        // Late ESP in UDP (after the dataplane stopped waiting): not IKE.
        if (!on_ike && esp::ClassifyUdpPayload(payload) == esp::UdpPayloadKind::kEsp) continue;
        Take(Bytes(payload.begin(), payload.end()), r.source_port, on_ike);
      }
    }
  }

  // One datagram of the IUT's, from `source_port`, to the tester's IKE port
  // (`on_ike`) or its NAT-T port.
  void Take(Bytes data, uint16_t source_port, bool on_ike) {
    Datagram d;
    d.source = {stand_in_.local().address, source_port == end_.iut_nat_port && end_.iut_nat_port != end_.iut_port
                                               ? ike::sa::kNatTraversalPort
                                               : ike::sa::kIkePort};
    d.destination = {tester_.local().address, on_ike ? ike::sa::kIkePort : ike::sa::kNatTraversalPort};
    d.data = std::move(data);
    SyncClock();
    last_activity_ = SteadyClock::now();
    ++iut_received_;
    const auto [seen, first] = iut_sent_.try_emplace(d.data, last_activity_);
    if (!first) {  // a retransmission: its interval
      iut_interval_ = last_activity_ - seen->second;
      seen->second = last_activity_;
    }
    s_.x().network().Send(std::move(d));
  }

  // Until `until`, or (without it) until the network is quiet: nothing
  // in flight and no new message either way for the settle time.
  //= ipsecref#choice
  //# A settle never lasts longer than twenty settle times (at least two
  //# minutes): an IUT that keeps talking cannot hold the run forever.
  //= ipsecref#choice
  //# An IUT that retransmits is given twice its last interval to do so
  //# again before the run counts as settled (an exponential back-off
  //# grows by less than 2 a step: strongSwan's by 1.8), but at most three
  //# settle times (18 s by default: strongSwan's third retransmission comes
  //# 13 s after its second), so that a case that loses several requests
  //# sees each retransmission, and one whose IUT retransmits until it gives
  //# up (165 s for strongSwan) costs under a minute. And as the reference target's Settle, a run is not
  //# settled while the tester has a timer due within that time: it
  //# retransmits until it gives up, and its verdict on the IKE SA counts.
  void RunUntil(std::optional<SteadyClock::time_point> until) {
    const auto start = SteadyClock::now();
    last_activity_ = start;
    iut_interval_ = SteadyClock::duration::zero();
    const auto cap = start + std::max<SteadyClock::duration>(settle_ * 20, std::chrono::minutes(2));
    for (;;) {
      Tick();
      Pump();
      Receive();
      Pump();
      const auto now = SteadyClock::now();
      if (interrupted != 0) return;
      const auto quiet = std::max(settle_, std::min(2 * iut_interval_, 3 * settle_));
      if (until && now >= *until) return;
      if (!until && s_.x().network().in_flight.empty() && now - last_activity_ >= quiet && !TesterDueWithin(quiet))
        return;
      if (now >= cap) return;
      auto wake = until ? *until : std::max(last_activity_ + quiet, now);
      if (const std::optional<Time> t = tester_.NextDeadline()) {
        const Time clock = s_.x().clock().Now();
        wake = std::min(wake, now + std::chrono::milliseconds(*t > clock ? *t - clock : 0));
      }
      std::vector<pollfd> fds;
      for (const auto& socket : {&end_.ike, &end_.nat})
        if (*socket) fds.push_back({(*socket)->fd(), POLLIN, 0});
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
      poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(ms, 0, 1000)));
      for (pid_t& pid : started_)
        if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) pid = -1;  // ended: nothing to stop later
      std::erase(started_, -1);
    }
  }

  exchange::Session& s_;
  Peer& tester_;
  Peer& stand_in_;
  RemoteEnd& end_;
  const Commands& commands_;
  std::vector<std::string> command_env_;
  std::string command_output_;
  SteadyClock::duration settle_;
  SteadyClock::time_point began_;
  Time base_;
  SteadyClock::time_point last_activity_;
  std::set<Bytes> sent_;                                // what the tester sent
  std::map<Bytes, SteadyClock::time_point> iut_sent_;  // what the IUT sent, last when
  SteadyClock::duration iut_interval_{};                // its last retransmission interval
  size_t iut_received_ = 0;
  SteadyClock::time_point last_sent_{};  // the tester's last datagram to the IUT
  std::vector<pid_t> started_;
};

//= ipsecref#choice
//# The tester retransmits after 1 s, then 1.5 times longer each time, three
//# times, and gives up 8 s after its first try: on the reference target it
//# keeps strongSwan's schedule (165 s, in fake time), which real time
//# cannot afford. Its verdict on an IUT that stopped answering (the IKE SA
//# given up) is the same; only sooner.
constexpr ike::sa::RetransmitSchedule kRemoteTesterRetransmit{1000, 1.5, 3};

// A remote run's tester side, started: its setup, its session (the
// caller's, kept for --keep, or its own) and the two peers of the exchange,
// the tester and the stand-in whose configuration the IUT is given.
struct RemoteRun {
  std::unique_ptr<exchange::Session> own;
  exchange::Session* s = nullptr;
  Peer* tester = nullptr;
  Peer* stand_in = nullptr;
};

Result<RemoteRun> StartRemoteRun(const Run& run, const std::vector<std::string>& faults, exchange::Session* keep,
                                 const IkeConfig* tester_base = nullptr) {
  // Faults belong to the reference IUT: a remote IUT has none.
  ENSURE(faults.empty(), kInvalidArgument, kNoOffset, "",
         fmt::format("{}: faults apply to the reference target only", run.id));
  TRY_ASSIGN(RunSetup setup, SetupOf(run, faults, tester_base));
  setup.tester().retransmit = kRemoteTesterRetransmit;
  RemoteRun r;
  r.s = keep;
  if (r.s == nullptr) {
    r.own = std::make_unique<exchange::Session>(SeedOf(run.id), setup.deviations);
    r.s = r.own.get();
  }
  testing::Exchange& x = r.s->Start(std::move(setup.initiator), std::move(setup.responder));
  if (r.s->deviation_error()) return *r.s->deviation_error();
  r.tester = setup.iut_initiates ? &x.responder() : &x.initiator();
  r.stand_in = setup.iut_initiates ? &x.initiator() : &x.responder();
  return r;
}

// --- udp:ADDR[:PORT] --------------------------------------------------------------

class UdpTarget final : public Target {
 public:
  UdpTarget(std::string name, RemoteEnd end, Bytes local_address, uint16_t local_port, IkeConfig tester,
            Commands commands, std::set<std::string> features, double settle)
      : name_(std::move(name)),
        end_template_(std::move(end)),
        local_address_(std::move(local_address)),
        local_port_(local_port),
        tester_(std::move(tester)),
        commands_(std::move(commands)),
        features_(std::move(features)),
        settle_(settle) {}

  std::string name() const override { return name_; }
  const std::set<std::string>& features() const override { return features_; }

  Result<Observation> Execute(const Run& run, const std::vector<std::string>& faults, exchange::Session* keep) override {
    TRY_ASSIGN(RemoteRun r, StartRemoteRun(run, faults, keep, &tester_));
    Peer& tester = *r.tester;
    Peer& stand_in = *r.stand_in;
    // The IUT forgets the last run (its `reset` command, to its end).
    if (const auto reset = commands_.find("reset"); reset != commands_.end()) {
      TRY_ASSIGN(int rc, RunProgram(reset->second, {}, "", 30));
      (void)rc;  // a reset with nothing to forget may well say so
    }
    // Fresh sockets for each run: nothing of the last run reaches this one.
    RemoteEnd end{end_template_.iut_address, end_template_.iut_port, end_template_.iut_nat_port, {}, {}};
    TRY_ASSIGN(end.ike, io::UdpSocket::Bind(local_address_, local_port_));
    TRY_ASSIGN(end.nat, io::UdpSocket::Bind(local_address_, ike::sa::kNatTraversalPort));
    // The ESP dataplane needs a raw socket (root): without one, its steps
    // fail with the reason.
    if (auto esp = io::RawIpSocket::Open(end.iut_address.size() == 16 ? AF_INET6 : AF_INET, static_cast<uint8_t>(iana::IpProtocol::kEsp)))
      end.esp = std::move(*esp);
    else
      end.no_esp = esp.error().ToString();
    TRY(NotInterrupted());
    Observation o;
    {
      RealTimeDriver driver(*r.s, tester, stand_in, end, commands_, {}, "", settle_, SeedOf(run.id));
      o = Conduct(run, *r.s, driver);
    }
    TRY(NotInterrupted());
    return o;
  }

 private:
  std::string name_;
  RemoteEnd end_template_;
  Bytes local_address_;
  uint16_t local_port_;
  IkeConfig tester_;
  Commands commands_;
  std::set<std::string> features_;
  double settle_;
};

// "ADDR[:PORT]", ADDR IPv4 or [IPv6].
Result<std::pair<Bytes, uint16_t>> ParseAddressPort(std::string_view text, std::string_view whole) {
  std::string_view address = text, port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    ENSURE(close != std::string_view::npos, kInvalidArgument, kNoOffset, "",
           fmt::format("--target {}: '[' without ']' around the IPv6 address", whole));
    address = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    ENSURE(rest.empty() || rest.starts_with(':'), kInvalidArgument, kNoOffset, "",
           fmt::format("--target {}: after ']' comes ':PORT' or nothing", whole));
    if (!rest.empty()) port_text = rest.substr(1);
  } else if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    address = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  Bytes bytes(address.find(':') != std::string_view::npos ? 16 : 4);
  const std::string a(address);
  ENSURE(inet_pton(bytes.size() == 16 ? AF_INET6 : AF_INET, a.c_str(), bytes.data()) == 1, kInvalidArgument, kNoOffset,
         "", fmt::format("--target {}: '{}' is not an IPv4 address or a bracketed IPv6 address", whole, address));
  uint16_t port = ike::sa::kIkePort;
  if (text.find(':') != std::string_view::npos && !(text.starts_with('[') && port_text.empty())) {
    unsigned long value = 0;
    const std::string p(port_text);
    char* stop = nullptr;
    if (!p.empty()) value = std::strtoul(p.c_str(), &stop, 10);
    ENSURE(!p.empty() && stop != nullptr && *stop == '\0' && value >= 1 && value <= 65535, kInvalidArgument, kNoOffset,
           "", fmt::format("--target {}: port '{}' is not a number from 1 to 65535", whole, port_text));
    port = static_cast<uint16_t>(value);
  }
  return std::make_pair(bytes, port);
}

// The file's text with the top-level `conformance` section blanked out
// (its lines kept empty, so that the gateway's parser reports the same
// line numbers); the section itself, if any.
Result<std::pair<std::string, std::optional<gateway::SettingsNode>>> SplitConformanceSection(
    const std::string& text, const std::string& path) {
  auto parsed = gateway::ParseSettings(text, path, gateway::DirectoryOf(path));
  if (!parsed) {
    Error e = std::move(parsed).error();
    e.detail = "--target-file " + e.detail;
    return e;
  }
  const gateway::SettingsNode& root = *parsed;
  const gateway::SettingsNode* section = root.Find("conformance");
  if (section == nullptr) return std::make_pair(text, std::optional<gateway::SettingsNode>());
  ENSURE(section->section, kInvalidArgument, kNoOffset, "",
         fmt::format("--target-file {}: 'conformance' is a section: conformance {{ initiate = ... }}", section->Where()));
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  int depth = 0;
  bool opened = false, quoted = false;
  for (size_t n = section->line - 1; n < lines.size(); ++n) {
    for (char c : lines[n]) {
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      if (c == '{') ++depth, opened = true;
      if (c == '}') --depth;
    }
    lines[n].clear();
    if (opened && depth == 0) break;
  }
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return std::make_pair(out, std::optional<gateway::SettingsNode>(*section));
}

// The tester's configuration from the connection, its traffic selectors
// resolved with the real addresses (`dynamic` is the tester's address and
// the IUT's). Not its dpd_delay: the tester checks liveness only when a
// case says so, as on the reference target.
IkeConfig TesterConfigOf(const gateway::Connection& c, ByteSpan local, ByteSpan remote) {
  IkeConfig config = c.ike;
  config.children.clear();
  for (const gateway::ChildSettings& s : c.children) {
    ike::sa::ChildConfig child = s.child;
    if (auto l = ike::sa::Resolve(s.local_ts, local)) child.local_ts = std::move(*l);
    if (auto r = ike::sa::Resolve(s.remote_ts, remote)) child.remote_ts = std::move(*r);
    config.children.push_back(std::move(child));
  }
  config.force_encapsulation = c.encap;
  return config;
}

// --- strongswan ----------------------------------------------------------------------

constexpr std::string_view kCharon = "/usr/lib/ipsec/charon";
constexpr std::string_view kSwanctl = "/usr/sbin/swanctl";
constexpr std::string_view kIp = "/usr/sbin/ip";
// Debian's plugins (strongswan-charon, libstrongswan-standard-plugins,
// libcharon-extra-plugins): openssl has every algorithm but AES-XCBC (the
// xcbc plugin's), kernel-libipsec the userspace ESP this kernel needs (it
// has no ESP/AH).
constexpr std::string_view kCharonPlugins =
    "random nonce openssl aes sha1 sha2 hmac gcm xcbc kdf pem pkcs1 pkcs8 x509 pubkey kernel-libipsec kernel-netlink "
    "socket-default vici";
// The same on the kernel's XFRM: kernel-netlink installs the SAs and policies.
constexpr std::string_view kCharonXfrmPlugins =
    "random nonce openssl aes sha1 sha2 hmac gcm xcbc kdf pem pkcs1 pkcs8 x509 pubkey kernel-netlink socket-default vici";
constexpr std::string_view kSwanctlPlugins = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey";

// An identity as swanctl.conf writes it.
Result<std::string> IdText(const ike::IdPayload& id) {
  const Bytes& d = id.identification_data;
  switch (id.id_type) {
    case iana::IdType::kFqdn:
    case iana::IdType::kRfc822Addr:
      return std::string(d.begin(), d.end());
    case iana::IdType::kIpv4Addr:
    case iana::IdType::kIpv6Addr:
      return AddressText(d);
    default:
      return Error{Code::kUnsupported, kNoOffset, "", "an identity of another type than FQDN, RFC822 or IP address"};
  }
}

std::string SelectorsText(const std::vector<ike::TrafficSelector>& list) {
  std::string out;
  for (const auto& ts : list) out += (out.empty() ? "" : ", ") + ike::sa::FormatTrafficSelector(ts);
  return out;
}

// swanctl.conf for the IUT's configuration of a run: connection `iut`
// between the two addresses, its CHILD SA configurations by their names.
//= ipsecref#choice
//# Rekeying on time is off (rekey_time = 0) on both levels: a run lasts
//# seconds, and only the case's drive steps may rekey.
Result<std::string> SwanctlConf(const IkeConfig& c, ByteSpan local, ByteSpan remote) {
  ENSURE(c.local_auth.method == iana::AuthMethod::kSharedKeyMic && c.remote_auth.method == iana::AuthMethod::kSharedKeyMic,
         kUnsupported, kNoOffset, "", "the namespace targets (strongswan, gateway) authenticate with a PSK only");
  TRY_ASSIGN(std::string local_id, IdText(c.local_id));
  TRY_ASSIGN(std::string remote_id, IdText(c.remote_id));
  std::string children;
  for (const ike::sa::ChildConfig& child : c.children) {
    const bool ah = !child.proposals.empty() && child.proposals.front().protocol_id == iana::SecurityProtocol::kAh;
    children += fmt::format(
        "      {} {{\n        local_ts = {}\n        remote_ts = {}\n        {}_proposals = {}\n"
        "        mode = {}\n        rekey_time = 0\n        start_action = none\n      }}\n",
        child.name, SelectorsText(child.local_ts), SelectorsText(child.remote_ts), ah ? "ah" : "esp",
        ike::sa::ProposalKeywords(child.proposals), child.transport_mode ? "transport" : "tunnel");
  }
  return fmt::format(
      "connections {{\n  iut {{\n    version = 2\n    local_addrs = {}\n    remote_addrs = {}\n"
      "    proposals = {}\n    fragmentation = {}\n    childless = {}\n    rekey_time = 0\n"
      "    local {{\n      auth = psk\n      id = {}\n    }}\n    remote {{\n      auth = psk\n      id = {}\n    }}\n"
      "    children {{\n{}    }}\n  }}\n}}\n"
      "secrets {{\n  ike-iut {{\n    id-1 = {}\n    id-2 = {}\n    secret = 0x{}\n  }}\n}}\n",
      AddressText(local), AddressText(remote), ike::sa::ProposalKeywords(c.proposals), c.fragmentation ? "yes" : "no",
      c.childless ? "prefer" : "allow", local_id, remote_id, children, local_id, remote_id, ToHex(c.local_auth.psk));
}

std::string StrongswanConf(const IkeConfig& c, const std::string& dir, std::string_view plugins) {
  return fmt::format(
      "charon {{\n  load = {}\n  install_routes = yes\n  fragment_size = {}\n"
      "  filelog {{\n    f {{\n      path = {}/charon.log\n      time_format = %T\n      default = 1\n      ike = 2\n"
      "      cfg = 2\n      enc = 1\n      net = 1\n      flush_line = yes\n    }}\n  }}\n"
      "  syslog {{\n    daemon {{\n      default = -1\n    }}\n    auth {{\n      default = -1\n    }}\n  }}\n"
      "  plugins {{\n    vici {{\n      socket = unix://{}/charon.vici\n    }}\n  }}\n}}\n"
      "swanctl {{\n  load = {}\n}}\n",
      plugins, c.fragment_mtu, dir, dir, kSwanctlPlugins);
}

// One run's IUT: two network namespaces joined by a veth pair (the
// tester's and the IUT's, each with the address the exchange gives its
// end), a daemon in the second, its files in a directory of its own.
// Everything is removed when it goes.
class IutRun {
 public:
  IutRun(const std::string& base, size_t n) {
    const pid_t pid = getpid();
    ns_tester_ = fmt::format("ipsecref-cf{}-{}t", pid, n);
    ns_iut_ = fmt::format("ipsecref-cf{}-{}i", pid, n);
    dir_ = fmt::format("{}/run-{}", base, n);
  }
  ~IutRun() {
    if (daemon_ > 0) Reap(daemon_, 0);
    for (const std::string& ns : namespaces_) (void)RunProgram({std::string(kIp), "netns", "del", ns}, {}, "", 10);
    std::error_code ec;
    if (!logs_.empty()) {
      fs::create_directories(logs_, ec);
      for (const auto& e : fs::directory_iterator(dir_, ec))
        if (e.is_regular_file(ec)) fs::copy_file(e.path(), fs::path(logs_) / e.path().filename(),
                                                 fs::copy_options::overwrite_existing, ec);
    }
    fs::remove_all(dir_, ec);
  }

  const std::string& dir() const { return dir_; }
  const std::string& iut_namespace() const { return ns_iut_; }
  // How the daemon ended: "" while it runs.
  std::string Exited() {
    if (daemon_ > 0) {
      int status = 0;
      if (waitpid(daemon_, &status, WNOHANG) != daemon_) return {};
      daemon_ = -1;
      exited_ = WIFSIGNALED(status) ? fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
                                    : fmt::format("exited with status {}", WEXITSTATUS(status));
    }
    return exited_.empty() ? std::string("not running") : exited_;
  }
  std::string log() const { return dir_ + "/commands.txt"; }
  void keep_logs_in(std::string dir) { logs_ = std::move(dir); }

  // The namespaces, the veth pair and the addresses.
  Status Up(const IkeConfig& iut, ByteSpan tester_address, ByteSpan iut_address) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    ENSURE(!ec, kIoError, kNoOffset, "", fmt::format("cannot make {}: {}", dir_, ec.message()));
    const std::string ip(kIp), t = AddressText(tester_address), i = AddressText(iut_address);
    for (const std::string& ns : {ns_tester_, ns_iut_}) {
      TRY_ASSIGN(int rc, RunProgram({ip, "netns", "add", ns}, {}, log(), 10));
      ENSURE(rc == 0, kIoError, kNoOffset, "", fmt::format("ip netns add {} failed: {}", ns, Tail(log(), 2)));
      namespaces_.push_back(ns);
    }
    std::vector<std::vector<std::string>> steps = {
        {ip, "link", "add", "cf-tester", "netns", ns_tester_, "type", "veth", "peer", "name", "cf-iut", "netns", ns_iut_},
        {ip, "-n", ns_tester_, "addr", "add", t + "/24", "dev", "cf-tester"},
        {ip, "-n", ns_iut_, "addr", "add", i + "/24", "dev", "cf-iut"},
        {ip, "-n", ns_tester_, "link", "set", "lo", "up"},
        {ip, "-n", ns_iut_, "link", "set", "lo", "up"},
        {ip, "-n", ns_tester_, "link", "set", "cf-tester", "up"},
        {ip, "-n", ns_iut_, "link", "set", "cf-iut", "up"}};
    // A userspace ESP routes a CHILD SA's traffic from an address of its
    // local selectors, and the ESP dataplane's echo requests go to one: the
    // IUT's namespace holds that address of each child (dataplane.h).
    std::set<Bytes> inner;
    for (const ike::sa::ChildConfig& child : iut.children)
      if (Bytes a = dataplane::AddressIn(child.local_ts); !a.empty() && a != Bytes(a.size(), 0)) inner.insert(a);
    for (const Bytes& a : inner)
      steps.push_back({ip, "-n", ns_iut_, "addr", "add", fmt::format("{}/{}", AddressText(a), a.size() * 8), "dev", "lo"});
    for (const auto& step : steps) {
      TRY_ASSIGN(int rc, RunProgram(step, {}, log(), 10));
      ENSURE(rc == 0, kIoError, kNoOffset, "", fmt::format("{} failed: {}", fmt::join(step, " "), Tail(log(), 2)));
    }
    return OkStatus();
  }

  Status Write(const std::string& name, const std::string& text) {
    std::error_code ec;
    fs::create_directories((fs::path(dir_) / name).parent_path(), ec);
    std::ofstream f(fs::path(dir_) / name);
    f << text;
    ENSURE(f.good(), kIoError, kNoOffset, "", fmt::format("cannot write {}/{}", dir_, name));
    return OkStatus();
  }

  // Starts the IUT's daemon (`args`, output to DIR/`what`.stdout) and waits
  // up to 5 s for `ready` to exist.
  Status Start(const std::vector<std::string>& args, const std::string& ready, const std::string& what) {
    const std::string output = fmt::format("{}/{}.stdout", dir_, what);
    TRY_ASSIGN(daemon_, Spawn(args, {}, output));
    for (int k = 0; k < 100 && !fs::exists(ready); ++k) {
      if (waitpid(daemon_, nullptr, WNOHANG) == daemon_) {
        daemon_ = -1;
        break;
      }
      usleep(50'000);
    }
    ENSURE(fs::exists(ready), kIoError, kNoOffset, "", fmt::format("{} did not come up: {}", what, Tail(output, 3)));
    return OkStatus();
  }

  // `make()` run in the tester's namespace: a socket made there stays there.
  template <typename Make>
  auto InTesterNamespace(Make make) -> decltype(make()) {
    const int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int theirs = open(("/run/netns/" + ns_tester_).c_str(), O_RDONLY | O_CLOEXEC);
    if (own < 0 || theirs < 0 || setns(theirs, CLONE_NEWNET) != 0) {
      const std::string why = std::strerror(errno);
      if (own >= 0) close(own);
      if (theirs >= 0) close(theirs);
      return Error{Code::kIoError, kNoOffset, "", fmt::format("cannot enter network namespace {}: {}", ns_tester_, why)};
    }
    auto made = make();
    const bool back = setns(own, CLONE_NEWNET) == 0;
    close(own);
    close(theirs);
    // Staying in the tester's namespace would move every later socket there.
    if (!back) {
      fmt::print(stderr, "ipsecref conformance: cannot return to the original network namespace\n");
      std::abort();
    }
    return made;
  }

  // The tester's sockets toward the IUT (ports 500 and 4500).
  // With `ah`, an IPv4 raw AH socket too, its header included (RemoteEnd).
  Result<RemoteEnd> EndToward(ByteSpan tester_address, ByteSpan iut_address, bool ah) {
    RemoteEnd end;
    end.iut_address = Bytes(iut_address.begin(), iut_address.end());
    TRY_ASSIGN(end.ike, InTesterNamespace([&] { return io::UdpSocket::Bind(tester_address, ike::sa::kIkePort); }));
    TRY_ASSIGN(end.nat,
               InTesterNamespace([&] { return io::UdpSocket::Bind(tester_address, ike::sa::kNatTraversalPort); }));
    TRY_ASSIGN(end.esp, InTesterNamespace([&] {
                 return io::RawIpSocket::Open(tester_address.size() == 16 ? AF_INET6 : AF_INET, static_cast<uint8_t>(iana::IpProtocol::kEsp));
               }));
    if (ah && tester_address.size() == 4) {
      auto socket = InTesterNamespace([] { return io::RawIpSocket::Open(AF_INET, static_cast<uint8_t>(iana::IpProtocol::kAh)); });
      const int on = 1;
      if (!socket) end.no_ah = socket.error().ToString();
      else if (setsockopt(socket->fd(), IPPROTO_IP, IP_HDRINCL, &on, sizeof on) != 0)
        end.no_ah = fmt::format("IP_HDRINCL: {}", std::strerror(errno));
      else end.ah = std::move(*socket);
    } else if (ah) {
      end.no_ah = "AH goes out as built over IPv4 only (IP_HDRINCL)";
    }
    return end;
  }

 private:
  std::string ns_tester_, ns_iut_, dir_, logs_, exited_;
  std::vector<std::string> namespaces_;
  pid_t daemon_ = -1;
};

// Where a namespace target keeps each run's IUT files when the variable
// names a directory (IPSECREF_STRONGSWAN_LOGS, IPSECREF_GATEWAY_LOGS).
void KeepLogs(IutRun& env, const char* variable, const Run& run) {
  if (const char* logs = std::getenv(variable); logs != nullptr && *logs != '\0')
    env.keep_logs_in((fs::path(logs) / run.id).string());
}

// The namespace targets: for each run the IUT starts in namespaces of its
// own (IutRun) with the swanctl.conf of the run's IUT configuration; the
// tester reaches it over the veth pair, in real time.
class NamespaceTarget : public Target {
 public:
  // `kernel_ah`: the IUT's AH is the kernel's (XFRM), and the tester's AH
  // goes to it with its outer header as built.
  NamespaceTarget(double settle, std::string base, bool kernel_ah = false, bool keep_iut = false)
      : settle_(settle), base_(std::move(base)), kernel_ah_(kernel_ah), keep_iut_(keep_iut) {}
  ~NamespaceTarget() override {
    kept_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  std::string IutExited() override { return kept_ ? kept_->env.Exited() : std::string(); }
  std::string IutFiles() const override { return kept_ ? kept_->env.dir() : std::string(); }
  void ForgetIut() override { kept_.reset(); }

  Result<Observation> Execute(const Run& run, const std::vector<std::string>& faults,
                              exchange::Session* keep) final {
    TRY_ASSIGN(RemoteRun r, StartRemoteRun(run, faults, keep));
    Peer& tester = *r.tester;
    Peer& stand_in = *r.stand_in;
    IkeConfig iut = stand_in.config();
    //= ipsecref#choice
    //# IPSECREF_IUT_WRONG_PSK=1 gives the IUT a PSK that differs from the
    //# tester's in one bit: a deliberately broken configuration, so that a
    //# test can show each namespace target's cases fail when the IUT is
    //# wrong (the ctest entries named -broken).
    if (const char* wrong = std::getenv("IPSECREF_IUT_WRONG_PSK"); wrong != nullptr && std::string_view(wrong) == "1")
      for (auto* auth : {&iut.local_auth, &iut.remote_auth})
        if (!auth->psk.empty()) auth->psk[auth->psk.size() - 1] ^= 1;
    // The real addresses are the exchange's: no address mapping, and the
    // NAT detection hashes match as on the reference target.
    std::unique_ptr<Kept> fresh;
    auto conf_of = [&] {
      auto conf = SwanctlConf(iut, stand_in.local().address, tester.local().address);
      return conf ? *conf : std::string();
    };
    if (kept_ != nullptr) {
      ENSURE(conf_of() == kept_->conf, kInvalidArgument, kNoOffset, "",
             fmt::format("{}: its setup gives the kept IUT another configuration", run.id));
    } else {
      fresh = std::make_unique<Kept>(base_, ++runs_);
      KeepLogs(fresh->env, logs_variable(), run);
      fresh->conf = conf_of();
    }
    IutRun& env = fresh ? fresh->env : kept_->env;
    TRY(NotInterrupted());
    if (fresh) {
      TRY(env.Up(iut, tester.local().address, stand_in.local().address));
      const std::string first = iut.children.empty() ? "net" : iut.children.front().name;
      const Names names{"iut", first, iut.children.size() > 1 ? iut.children[1].name : first};
      TRY_ASSIGN(fresh->started, StartIut(env, iut, Addresses{stand_in.local().address, tester.local().address}, names));
    }
    const Started& started = fresh ? fresh->started : kept_->started;
    TRY_ASSIGN(RemoteEnd end, env.EndToward(tester.local().address, stand_in.local().address, kernel_ah_));
    if (fresh && keep_iut_) kept_ = std::move(fresh);
    TRY(NotInterrupted());
    Observation o;
    {
      RealTimeDriver driver(*r.s, tester, stand_in, end, started.commands, started.command_env, env.log(), settle_,
                            SeedOf(run.id));
      o = Conduct(run, *r.s, driver);
    }
    TRY(NotInterrupted());
    return o;
  }

 protected:
  // The IUT's connection and its first and second child, by name.
  struct Names {
    std::string conn, first, second;
  };
  struct Started {
    Commands commands;                     // "initiate" and "iut:OP"
    std::vector<std::string> command_env;  // added to the commands' environment
  };
  struct Addresses {
    ByteSpan iut, tester;
  };
  // Starts the IUT in `env` with its configuration `iut` (the daemon's own
  // files made from it); the commands that make it act. kUnsupported when
  // the daemon's configuration cannot say what `iut` does.
  virtual Result<Started> StartIut(IutRun& env, const IkeConfig& iut, Addresses a, const Names& names) = 0;
  // The variable naming where each run's IUT files are kept.
  virtual const char* logs_variable() const = 0;

 private:
  // The IUT kept across runs (keep_iut), with the configuration it was
  // given and the commands that make it act.
  struct Kept {
    Kept(const std::string& base, size_t n) : env(base, n) {}
    IutRun env;
    Started started;
    std::string conf;
  };

  double settle_;
  std::string base_;
  bool kernel_ah_;
  bool keep_iut_;
  size_t runs_ = 0;
  std::unique_ptr<Kept> kept_;
};

// Where charon's CHILD SAs carry traffic: its own userspace ESP
// (kernel-libipsec, for a kernel without ESP), or the kernel's XFRM through
// kernel-netlink (inside interop/uml/guest.sh).
enum class CharonDataplane { kLibipsec, kXfrm };

class StrongswanTarget final : public NamespaceTarget {
 public:
  StrongswanTarget(double settle, std::string base, CharonDataplane dataplane, bool keep_iut = false)
      : NamespaceTarget(settle, std::move(base), dataplane == CharonDataplane::kXfrm, keep_iut), dataplane_(dataplane) {}

  std::string name() const override { return dataplane_ == CharonDataplane::kXfrm ? "strongswan-xfrm" : "strongswan"; }
  const std::set<std::string>& features() const override {
    // Not: cookies (charon asks for a COOKIE only past a count of
    // half-open SAs), window2 (charon keeps one request outstanding),
    // nat-traversal (no NAT between the namespaces), iut:liveness (swanctl
    // cannot start one), faults (they belong to the reference IUT),
    // certificates (the generated swanctl.conf is PSK only).
    // kernel-libipsec lacks esn ("ESN not supported") and AH; the kernel's
    // XFRM has both, and the tester's AH reaches it as built.
    static const std::set<std::string> libipsec = {
        "initiate", "fragmentation", "childless", "ecp256", "pfs", "modp", "cbc", "second-child", "esp-dataplane",
        "anti-replay", "tfc", "iut:child-create", "iut:child-rekey", "iut:child-delete", "iut:ike-rekey", "iut:ike-delete",
        "iut:reauthenticate"};
    static const std::set<std::string> xfrm = [] {
      std::set<std::string> f = libipsec;
      f.insert({"esn", "ah"});
      return f;
    }();
    return dataplane_ == CharonDataplane::kXfrm ? xfrm : libipsec;
  }

 private:
  const char* logs_variable() const override {
    return dataplane_ == CharonDataplane::kXfrm ? "IPSECREF_STRONGSWAN_XFRM_LOGS" : "IPSECREF_STRONGSWAN_LOGS";
  }

  Result<Started> StartIut(IutRun& env, const IkeConfig& iut, Addresses a, const Names& n) override {
    TRY_ASSIGN(std::string swanctl_conf, SwanctlConf(iut, a.iut, a.tester));
    const std::string conf = env.dir() + "/strongswan.conf", vici = env.dir() + "/charon.vici";
    TRY(env.Write("swanctl/swanctl.conf", swanctl_conf));
    TRY(env.Write("swanctl.conf", swanctl_conf));
    TRY(env.Write("strongswan.conf", StrongswanConf(iut, env.dir(),
                                                    dataplane_ == CharonDataplane::kXfrm ? kCharonXfrmPlugins : kCharonPlugins)));
    TRY(env.Write("run/.keep", ""));
    // charon.pid is fixed under /run: a private /run (`ip netns exec`
    // gives a mount namespace of its own); `exec` keeps the PID charon's.
    TRY(env.Start({std::string(kIp), "netns", "exec", env.iut_namespace(), "env", "STRONGSWAN_CONF=" + conf, "sh", "-c",
                   fmt::format("mount --bind '{}/run' /run && exec {}", env.dir(), kCharon)},
                  vici, "charon"));
    TRY_ASSIGN(int loaded, RunProgram({std::string(kSwanctl), "--load-all", "--uri", "unix://" + vici},
                                      {"SWANCTL_DIR=" + env.dir() + "/swanctl", "STRONGSWAN_CONF=" + conf}, env.log(), 20));
    ENSURE(loaded == 0, kIoError, kNoOffset, "", fmt::format("swanctl --load-all failed: {}", Tail(env.log(), 3)));
    auto swanctl = [&](std::vector<std::string> args) {
      args.insert(args.begin(), std::string(kSwanctl));
      args.insert(args.end(), {"--uri", "unix://" + vici});
      return args;
    };
    return Started{{{"initiate", swanctl({"--initiate", "--ike", n.conn, "--child", n.first})},
                    {"iut:child-create", swanctl({"--initiate", "--ike", n.conn, "--child", n.second})},
                    {"iut:child-rekey", swanctl({"--rekey", "--child", n.first})},
                    {"iut:child-delete", swanctl({"--terminate", "--child", n.first})},
                    {"iut:ike-rekey", swanctl({"--rekey", "--ike", n.conn})},
                    {"iut:ike-delete", swanctl({"--terminate", "--ike", n.conn})},
                    {"iut:reauthenticate", swanctl({"--rekey", "--ike", n.conn, "--reauth"})}},
                   {"STRONGSWAN_CONF=" + conf}};
  }

  CharonDataplane dataplane_;
};

// --- gateway -----------------------------------------------------------------------

// `ipsecref gateway` (this executable) as the IUT, in the namespaces of a
// strongswan run, with the same generated swanctl.conf; `ipsecref ctl`
// makes it act.
class GatewayTarget final : public NamespaceTarget {
 public:
  GatewayTarget(double settle, std::string base, std::string self, bool keep_iut = false)
      : NamespaceTarget(settle, std::move(base), false, keep_iut), self_(std::move(self)) {}

  std::string name() const override { return "gateway"; }
  const std::set<std::string>& features() const override {
    // Not: cookies (the gateway asks for a COOKIE past a count of
    // half-open SAs, --cookie-threshold), window2 (swanctl.conf sets no
    // window), nat-traversal (no NAT between the namespaces),
    // iut:reauthenticate (ctl has no such command), faults (the reference
    // target's), certificates (the generated swanctl.conf is PSK only).
    static const std::set<std::string> f = {
        "initiate", "fragmentation", "childless", "ecp256", "pfs", "modp", "cbc", "second-child", "invalid-ike-spi",
        "esp-dataplane", "anti-replay", "esn", "tfc", "iut:child-create", "iut:child-rekey", "iut:child-delete",
        "iut:ike-rekey", "iut:ike-delete", "iut:liveness"};
    return f;
  }

 private:
  const char* logs_variable() const override { return "IPSECREF_GATEWAY_LOGS"; }

  Result<Started> StartIut(IutRun& env, const IkeConfig& iut, Addresses a, const Names& n) override {
    TRY_ASSIGN(std::string swanctl_conf, SwanctlConf(iut, a.iut, a.tester));
    TRY(env.Write("swanctl.conf", swanctl_conf));
    const std::string control = env.dir() + "/control.sock";
    TRY(env.Start({std::string(kIp), "netns", "exec", env.iut_namespace(), self_, "gateway", "--config",
                   env.dir() + "/swanctl.conf", "--control", control, "--spus", "1", "--no-ipv6", "--tun", "cf-tun",
                   "--fragment-size", std::to_string(iut.fragment_mtu), "--log-level", "debug"},
                  control, "gateway"));
    auto ctl = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {self_, "ctl", "--socket", control});
      return args;
    };
    return Started{{{"initiate", ctl({"initiate", n.conn, n.first})},
                    {"iut:child-create", ctl({"initiate", n.conn, n.second})},
                    {"iut:child-rekey", ctl({"rekey", n.first})},
                    {"iut:child-delete", ctl({"terminate", n.first})},
                    {"iut:ike-rekey", ctl({"rekey", n.conn})},
                    {"iut:ike-delete", ctl({"terminate", n.conn})},
                    {"iut:liveness", ctl({"liveness", n.conn})}},
                   {}};
  }

  std::string self_;
};

// --- libreswan ---------------------------------------------------------------------

// Debian's libreswan 4.10, unpacked (not installed: it conflicts with
// strongSwan's packages) by tools/setup.sh. pluto runs /usr/libexec/ipsec/
// addconn and keeps its socket under /run/pluto, both fixed: in the IUT's
// mount namespace the unpacked libexec is bound over /usr/libexec and the
// run's directory over /run.
constexpr std::string_view kLibreswanLibexec = "/opt/ipsecref/libreswan/usr/libexec";
constexpr std::string_view kWhack = "/opt/ipsecref/libreswan/usr/libexec/ipsec/whack";
constexpr std::string_view kPluto = "/opt/ipsecref/libreswan/usr/libexec/ipsec/pluto";
constexpr std::string_view kCertutil = "/usr/bin/certutil";

// libreswan's pluto on the kernel's XFRM, with an ipsec.conf made from the
// run's setup (libreswan_conf.h), driven with whack.
class LibreswanTarget final : public NamespaceTarget {
 public:
  LibreswanTarget(double settle, std::string base) : NamespaceTarget(settle, std::move(base), true) {}

  std::string name() const override { return "libreswan"; }
  const std::set<std::string>& features() const override {
    // Not: cookies (pluto asks for a COOKIE only when busy), window2,
    // nat-traversal (no NAT between the namespaces), childless (each conn
    // names a CHILD SA), certificates (the generated ipsec.conf is PSK
    // only), invalid-ike-spi, faults (the reference target's);
    // iut:child-delete (whack deletes a CHILD SA only by its state number),
    // iut:liveness (whack cannot start one), iut:reauthenticate.
    static const std::set<std::string> f = {
        "initiate", "fragmentation", "ecp256", "pfs", "modp", "cbc", "second-child", "esp-dataplane", "anti-replay",
        "esn", "tfc", "ah", "iut:child-create", "iut:child-rekey", "iut:ike-rekey", "iut:ike-delete"};
    return f;
  }

 private:
  const char* logs_variable() const override { return "IPSECREF_LIBRESWAN_LOGS"; }

  Result<Started> StartIut(IutRun& env, const IkeConfig& iut, Addresses a, const Names& n) override {
    TRY_ASSIGN(LibreswanFiles files, LibreswanConf(iut, a.iut, a.tester));
    const std::string& dir = env.dir();
    TRY(env.Write("ipsec.conf", files.ipsec_conf));
    TRY(env.Write("ipsec.secrets", files.ipsec_secrets));
    TRY(env.Write("run/pluto/.keep", ""));
    TRY(env.Write("nss/.keep", ""));
    TRY_ASSIGN(int made, RunProgram({std::string(kCertutil), "-N", "-d", "sql:" + dir + "/nss", "--empty-password"}, {},
                                    env.log(), 20));
    ENSURE(made == 0, kIoError, kNoOffset, "", fmt::format("certutil -N failed: {}", Tail(env.log(), 3)));
    // The kernel routes before its XFRM policy applies: the tester's inner
    // addresses are reached over the veth pair (updown scripts are off).
    TRY_ASSIGN(int routed, RunProgram({std::string(kIp), "-n", env.iut_namespace(), "route", "add", "default", "via",
                                       AddressText(a.tester)},
                                      {}, env.log(), 10));
    ENSURE(routed == 0, kIoError, kNoOffset, "", fmt::format("ip route add default failed: {}", Tail(env.log(), 2)));
    const std::string ctl = dir + "/run/pluto/pluto.ctl";
    TRY(env.Start({std::string(kIp), "netns", "exec", env.iut_namespace(), "sh", "-c",
                   fmt::format("mount --bind '{0}/run' /run && mount --bind '{1}' /usr/libexec && "
                               "exec /usr/libexec/ipsec/pluto --nofork --stderrlog --config '{0}/ipsec.conf' "
                               "--nssdir '{0}/nss' --secretsfile '{0}/ipsec.secrets' --ipsecdir '{0}' --no-dnssec "
                               "--use-xfrm",
                               dir, kLibreswanLibexec)},
                  ctl, "pluto"));
    auto whack = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {std::string(kWhack), "--ctlsocket", ctl});
      return args;
    };
    // pluto adds the conns (addconn) after its socket is up: wait for them.
    const std::string status = dir + "/status.txt";
    bool loaded = false;
    for (int k = 0; k < 50 && !loaded; ++k) {
      std::error_code ec;
      fs::remove(status, ec);
      TRY_ASSIGN(int rc, RunProgram(whack({"--status"}), {}, status, 5));
      std::ifstream in(status);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      loaded = rc == 0 && text.find(fmt::format("\"{}\":", n.second)) != std::string::npos;
      if (!loaded) usleep(100'000);
    }
    ENSURE(loaded, kIoError, kNoOffset, "", fmt::format("pluto did not load {}: {}", n.second, Tail(dir + "/pluto.stdout", 3)));
    return Started{{{"initiate", whack({"--name", n.first, "--initiate"})},
                    {"iut:child-create", whack({"--name", n.second, "--initiate"})},
                    {"iut:child-rekey", whack({"--name", n.first, "--rekey-ipsec"})},
                    {"iut:ike-rekey", whack({"--name", n.first, "--rekey-ike"})},
                    {"iut:ike-delete", whack({"--name", n.first, "--terminate"})}},
                   {}};
  }
};

// Whether this kernel has the IPsec of its own (XFRM ESP and AH) that the
// kernel targets need: an ESP and an AH state added in a network namespace
// made for the probe. (/proc/net/xfrm_stat exists on a kernel without any
// ESP: only adding a state tells.)
Status KernelHasXfrm(std::string_view target) {
  const std::string ip(kIp), ns = fmt::format("ipsecref-cfprobe-{}", getpid());
  TRY_ASSIGN(int made, RunProgram({ip, "netns", "add", ns}, {}, "", 10));
  ENSURE(made == 0, kUnsupported, kNoOffset, "", fmt::format("--target {} cannot make a network namespace", target));
  const std::string key = "0x0102030405060708090a0b0c0d0e0f1011121314";
  auto esp = RunProgram({ip, "-n", ns, "xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp",
                         "spi", "0x100", "mode", "tunnel", "flag", "esn", "replay-window", "32", "aead",
                         "rfc4106(gcm(aes))", key, "128"},
                        {}, "", 10);
  auto ah = RunProgram({ip, "-n", ns, "xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "ah",
                        "spi", "0x101", "mode", "tunnel", "auth-trunc", "hmac(sha256)", key, "128"},
                       {}, "", 10);
  (void)RunProgram({ip, "netns", "del", ns}, {}, "", 10);
  ENSURE(esp && *esp == 0 && ah && *ah == 0, kUnsupported, kNoOffset, "",
         fmt::format("--target {} needs the kernel's own IPsec (XFRM ESP with ESN, and AH), which this kernel lacks "
                     "(`ip xfrm state add ... proto esp` fails): run it inside a user-mode Linux guest, "
                     "interop/uml/guest.sh [--rw DIR] -- ipsecref conformance --target {} ...",
                     target, target));
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<Target>> MakeUdpTarget(const std::string& target, const std::string& target_file,
                                              double settle_seconds) {
  ENSURE(target.starts_with("udp:"), kInvalidArgument, kNoOffset, "",
         fmt::format("--target {}: a remote target is udp:ADDR[:PORT]", target));
  TRY_ASSIGN(auto address_port, ParseAddressPort(std::string_view(target).substr(4), target));
  ENSURE(!target_file.empty(), kInvalidArgument, kNoOffset, "",
         fmt::format("--target {} needs --target-file FILE: the IUT's configuration seen from the tester", target));
  auto text = gateway::ReadBoundedFile(target_file, gateway::kMaxSettingsFileSize);
  if (!text) {
    Error e = std::move(text).error();
    e.detail = fmt::format("--target-file {}: {}", target_file, e.detail);
    return e;
  }
  TRY_ASSIGN(auto split, SplitConformanceSection(*text, target_file));
  auto config = gateway::ParseSwanctlConf(split.first, target_file, gateway::DirectoryOf(target_file));
  if (!config) {
    Error e = std::move(config).error();
    e.detail = "--target-file " + e.detail;
    return e;
  }
  ENSURE(config->connections.size() == 1, kInvalidArgument, kNoOffset, "",
         fmt::format("--target-file {}: needs exactly one connection (the tester's, toward the IUT), not {}",
                     target_file, config->connections.size()));
  const gateway::Connection& c = config->connections.front();
  const Bytes& iut = address_port.first;
  Bytes local = gateway::FirstAddress(c.local_addrs);
  if (local.size() != iut.size()) local = Bytes(iut.size(), 0);  // any address of the IUT's family
  Commands commands;
  std::set<std::string> features;
  if (split.second) {
    for (const gateway::SettingsNode& n : split.second->children) {
      const bool operation = std::find(std::begin(kIutOperations), std::end(kIutOperations), n.name) != std::end(kIutOperations);
      ENSURE(!n.section && (n.name == "initiate" || n.name == "reset" || n.name == "features" || operation),
             kInvalidArgument, kNoOffset, "",
             fmt::format("--target-file {}: conformance: unknown setting '{}'; known: initiate, reset, features, {}",
                         n.Where(), n.name, fmt::join(kIutOperations, ", ")));
      if (n.name == "features") {
        std::stringstream words(n.value);
        for (std::string w; std::getline(words, w, ',');) {
          w.erase(0, w.find_first_not_of(" \t"));
          w.erase(w.find_last_not_of(" \t") + 1);
          if (w.empty()) continue;
          ENSURE(IsFeature(w), kInvalidArgument, kNoOffset, "",
                 fmt::format("--target-file {}: conformance: features: '{}' is no feature (interop/conformance/README.md "
                             "lists them)",
                             n.Where(), w));
          //= ipsecref#choice
          //# AH is not carried to a remote IUT: the tester's raw socket lets
          //# the kernel write the outer IPv4 header, whose Identification the
          //# ICV covers (RFC 4302 §3.3.3.1.1.1), so the AH cases run on the
          //# reference target only.
          ENSURE(w != "ah", kUnsupported, kNoOffset, "",
                 fmt::format("--target-file {}: conformance: features: 'ah': the AH dataplane runs against the "
                             "reference target only (interop/conformance/README.md)",
                             n.Where()));
          features.insert(w);
        }
        continue;
      }
      ENSURE(!n.value.empty(), kInvalidArgument, kNoOffset, "",
             fmt::format("--target-file {}: conformance: '{}' needs a command", n.Where(), n.name));
      const std::string key = n.name == "initiate" || n.name == "reset" ? n.name : "iut:" + n.name;
      commands[key] = {"/bin/sh", "-c", n.value};
      if (key != "reset") features.insert(key);
    }
  }
  RemoteEnd end;
  end.iut_address = iut;
  end.iut_port = address_port.second;
  CatchSignals();
  return std::unique_ptr<Target>(std::make_unique<UdpTarget>(target, std::move(end), local, c.local_port,
                                                             TesterConfigOf(c, local, iut), std::move(commands),
                                                             std::move(features), settle_seconds));
}

Result<std::unique_ptr<Target>> MakeStrongswanTarget(double settle_seconds, bool keep_iut) {
  ENSURE(geteuid() == 0, kUnsupported, kNoOffset, "",
         "--target strongswan needs root (it makes network namespaces and starts charon)");
  for (std::string_view program : {kCharon, kSwanctl, kIp})
    ENSURE(access(std::string(program).c_str(), X_OK) == 0, kUnsupported, kNoOffset, "",
           fmt::format("--target strongswan needs {} (tools/setup.sh installs it)", program));
  ENSURE(access("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so", R_OK) == 0, kUnsupported, kNoOffset, "",
         "--target strongswan needs charon's kernel-libipsec plugin (libcharon-extra-plugins; tools/setup.sh)");
  const std::string base = fmt::format("/tmp/ipsecref-conformance-{}", getpid());
  CatchSignals();
  return std::unique_ptr<Target>(std::make_unique<StrongswanTarget>(settle_seconds, base, CharonDataplane::kLibipsec, keep_iut));
}

Result<std::unique_ptr<Target>> MakeStrongswanXfrmTarget(double settle_seconds) {
  ENSURE(geteuid() == 0, kUnsupported, kNoOffset, "",
         "--target strongswan-xfrm needs root (it makes network namespaces and starts charon)");
  for (std::string_view program : {kCharon, kSwanctl, kIp})
    ENSURE(access(std::string(program).c_str(), X_OK) == 0, kUnsupported, kNoOffset, "",
           fmt::format("--target strongswan-xfrm needs {} (tools/setup.sh installs it)", program));
  TRY(KernelHasXfrm("strongswan-xfrm"));
  const std::string base = fmt::format("/tmp/ipsecref-conformance-{}", getpid());
  CatchSignals();
  return std::unique_ptr<Target>(std::make_unique<StrongswanTarget>(settle_seconds, base, CharonDataplane::kXfrm));
}

Result<std::unique_ptr<Target>> MakeLibreswanTarget(double settle_seconds) {
  ENSURE(geteuid() == 0, kUnsupported, kNoOffset, "",
         "--target libreswan needs root (it makes network namespaces and starts pluto)");
  for (std::string_view program : {kPluto, kWhack, kCertutil, kIp})
    ENSURE(access(std::string(program).c_str(), X_OK) == 0, kUnsupported, kNoOffset, "",
           fmt::format("--target libreswan needs {} (tools/setup.sh unpacks or installs it)", program));
  TRY(KernelHasXfrm("libreswan"));
  const std::string base = fmt::format("/tmp/ipsecref-conformance-{}", getpid());
  CatchSignals();
  return std::unique_ptr<Target>(std::make_unique<LibreswanTarget>(settle_seconds, base));
}

Result<std::unique_ptr<Target>> MakeGatewayTarget(double settle_seconds, bool keep_iut) {
  ENSURE(geteuid() == 0, kUnsupported, kNoOffset, "",
         "--target gateway needs root (it makes network namespaces and a TUN device)");
  ENSURE(access(std::string(kIp).c_str(), X_OK) == 0, kUnsupported, kNoOffset, "",
         fmt::format("--target gateway needs {} (tools/setup.sh installs it)", kIp));
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  ENSURE(!ec, kIoError, kNoOffset, "", fmt::format("--target gateway: cannot find this program: {}", ec.message()));
  const std::string base = fmt::format("/tmp/ipsecref-conformance-{}", getpid());
  CatchSignals();
  return std::unique_ptr<Target>(std::make_unique<GatewayTarget>(settle_seconds, base, self.string(), keep_iut));
}

bool InterruptedBySignal() { return interrupted != 0; }

}  // namespace ipsecref::conformance
