#include "reference/gateway/live.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "reference/gateway/control.h"
#include "reference/io/file_descriptor.h"
#include "reference/io/keys.h"
#include "reference/io/netlink.h"
#include "reference/io/raw_ip_socket.h"
#include "reference/io/tun_device.h"
#include "reference/io/udp_socket.h"

namespace ipsecref::gateway {
namespace {

using ike::sa::Datagram;

constexpr size_t kMaxPacket = 65535;
// Packets taken from one descriptor before the others get their turn.
constexpr int kBurst = 64;

struct Sockets {
  // [family 0: IPv4, 1: IPv6][0: IKE port, 1: NAT-T port]
  std::optional<io::UdpSocket> udp[2][2];
  std::optional<io::RawIpSocket> raw[2];
  std::optional<io::TunDevice> tun;
};

size_t FamilyIndex(ByteSpan address) { return address.size() == 16 ? 1 : 0; }

class LiveWire : public Wire {
 public:
  LiveWire(Sockets& s, std::function<void(std::string)> warn) : s_(s), warn_(std::move(warn)) {}

  void SendUdp(const Datagram& d) override {
    const size_t port = d.source.port == ike::sa::kNatTraversalPort ? 1 : 0;
    auto& socket = s_.udp[FamilyIndex(d.destination.address)][port];
    if (!socket) return Warn(fmt::format("no socket to send from {}", d.source.ToString()));
    // The unspecified address lets the kernel choose the source.
    const bool any = std::all_of(d.source.address.begin(), d.source.address.end(), [](uint8_t b) { return b == 0; });
    if (Status st = socket->SendTo(d.data, d.destination.address, d.destination.port, any ? ByteSpan() : ByteSpan(d.source.address)); !st)
      Warn(st.error().ToString());
  }
  void SendEsp(ByteSpan esp, ByteSpan source, ByteSpan destination) override {
    auto& socket = s_.raw[FamilyIndex(destination)];
    if (!socket) return Warn("no raw ESP socket (--no-raw-esp?)");
    if (Status st = socket->Send(esp, destination, source); !st) Warn(st.error().ToString());
  }
  void Deliver(ByteSpan ip_packet) override {
    std::lock_guard lock(tun_mu_);
    if (Status st = s_.tun->Write(ip_packet); !st) Warn(st.error().ToString());
  }

 private:
  void Warn(std::string text) { warn_(std::move(text)); }
  Sockets& s_;
  std::function<void(std::string)> warn_;
  std::mutex tun_mu_;
};

// A route for each remote traffic selector that is an address prefix.
Status AddRoutes(io::Rtnetlink& nl, const GatewayConfig& config, const LiveOptions& o,
                 const std::function<void(std::string)>& warn) {
  std::vector<std::pair<Bytes, uint8_t>> done;
  auto route = [&](const ike::TrafficSelector& ts) -> Status {
    const Bytes& a = ts.starting_address;
    const Bytes& b = ts.ending_address;
    if (a.size() != b.size() || a.empty()) return OkStatus();
    // The prefix whose range is exactly [a, b].
    size_t bits = 0;
    while (bits < a.size() * 8) {
      const size_t byte = bits / 8, bit = 7 - bits % 8;
      if (((a[byte] >> bit) & 1) != ((b[byte] >> bit) & 1)) break;
      ++bits;
    }
    for (size_t i = bits; i < a.size() * 8; ++i) {
      const size_t byte = i / 8, bit = 7 - i % 8;
      if (((a[byte] >> bit) & 1) != 0 || ((b[byte] >> bit) & 1) != 1) {
        warn(fmt::format("{} (a remote_ts or pool) is not an address prefix: no route for it", ike::sa::FormatTrafficSelector(ts)));
        return OkStatus();
      }
    }
    const auto key = std::make_pair(a, static_cast<uint8_t>(bits));
    if (std::find(done.begin(), done.end(), key) != done.end()) return OkStatus();
    done.push_back(key);
    return nl.AddRoute(a, static_cast<uint8_t>(bits), o.tun_name);
  };
  for (const Connection& c : config.connections)
    for (const ChildSettings& child : c.children)
      for (const ike::sa::ConfiguredSelector& ts : child.remote_ts)
        if (!ts.dynamic) TRY(route(ts.selector));
  for (const ManualTunnel& t : config.manual)
    for (const ike::TrafficSelector& ts : t.remote_ts) TRY(route(ts));
  // The virtual IPs handed to road warriors live behind their tunnels: the
  // pools' whole subnets or ranges go to the TUN device too.
  for (const std::shared_ptr<ike::sa::AddressPool>& pool : config.pools)
    if (auto ranges = ike::sa::ParseTrafficSelectors(pool->addrs()))
      for (const ike::TrafficSelector& ts : *ranges) TRY(route(ts));
  return OkStatus();
}

Result<io::FileDescriptor> ListenControl(const std::string& path) {
  io::FileDescriptor fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  ENSURE(fd.get() >= 0, kIoError, kNoOffset, "", fmt::format("control socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ENSURE(path.size() < sizeof addr.sun_path, kInvalidArgument, kNoOffset, "",
         fmt::format("control socket path {} is longer than {} bytes", path, sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // A socket left by an earlier run is replaced; anything else there is
  // the user's, and stays.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    ENSURE(S_ISSOCK(st.st_mode), kIoError, kNoOffset, "",
           fmt::format("control socket {}: the path exists and is not a socket", path));
    ::unlink(path.c_str());
  }
  ENSURE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, kIoError, kNoOffset, "",
         fmt::format("control socket {}: bind: {}", path, std::strerror(errno)));
  ENSURE(::listen(fd.get(), 16) == 0, kIoError, kNoOffset, "",
         fmt::format("control socket {}: listen: {}", path, std::strerror(errno)));
  return fd;
}

struct ControlClient {
  io::FileDescriptor fd;
  std::string in;
};

// Reads what a control client sent and answers every whole line; false
// when the client is gone or sent too much.
bool ServeClient(Gateway& g, ControlClient& c) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(c.fd.get(), buffer, sizeof buffer);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    c.in.append(buffer, static_cast<size_t>(n));
    size_t nl;
    while ((nl = c.in.find('\n')) != std::string::npos) {
      std::string answer = HandleControl(g, std::string_view(c.in).substr(0, nl)) + "\n";
      c.in.erase(0, nl + 1);
      size_t off = 0;
      while (off < answer.size()) {
        const ssize_t w = ::send(c.fd.get(), answer.data() + off, answer.size() - off, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          pollfd p{c.fd.get(), POLLOUT, 0};
          if (::poll(&p, 1, 1000) <= 0) return false;
          continue;
        }
        if (w <= 0) return false;
        off += static_cast<size_t>(w);
      }
    }
    if (c.in.size() > kMaxControlRequest) {
      const std::string refusal = HandleControl(g, c.in) + "\n";
      (void)::send(c.fd.get(), refusal.data(), refusal.size(), MSG_NOSIGNAL);
      return false;
    }
  }
}

}  // namespace

Status RunLive(GatewayConfig config, Options options, const LiveOptions& live, const std::atomic<bool>& stop) {
  auto log = options.log;
  auto warn = [&](std::string text) {
    if (log && options.log_level >= LogLevel::kWarning) log(LogLine{0, LogLevel::kWarning, std::move(text)});
  };
  Sockets s;
  const uint16_t ports[2] = {live.ike_port, ike::sa::kNatTraversalPort};
  for (size_t f = 0; f < (live.ipv6 ? 2u : 1u); ++f)
    for (size_t p = 0; p < 2; ++p) {
      TRY_ASSIGN(io::UdpSocket u, io::UdpSocket::Bind(Bytes(f == 0 ? 4 : 16, 0), ports[p]));
      s.udp[f][p].emplace(std::move(u));
    }
  if (live.raw_esp)
    for (size_t f = 0; f < (live.ipv6 ? 2u : 1u); ++f) {
      TRY_ASSIGN(io::RawIpSocket r, io::RawIpSocket::Open(f == 0 ? AF_INET : AF_INET6, 50));
      s.raw[f].emplace(std::move(r));
    }
  TRY_ASSIGN(io::TunDevice tun, io::TunDevice::Open(live.tun_name));
  s.tun.emplace(std::move(tun));
  TRY(s.tun->SetMtu(live.tun_mtu));
  TRY_ASSIGN(io::Rtnetlink nl, io::Rtnetlink::Open());
  TRY(nl.SetLinkUp(live.tun_name));
  if (live.routes) TRY(AddRoutes(nl, config, live, warn));
  std::optional<io::FileDescriptor> control;
  if (!live.control_path.empty()) {
    TRY_ASSIGN(io::FileDescriptor fd, ListenControl(live.control_path));
    control.emplace(std::move(fd));
  }

  LiveWire wire(s, warn);
  TRY_ASSIGN(std::unique_ptr<Gateway> gateway, Gateway::Create(std::move(config), options, wire));
  std::vector<ControlClient> clients;
  Bytes buffer(kMaxPacket);

  while (!stop.load()) {
    std::vector<pollfd> fds;
    enum class Source { kUdp, kRaw, kTun, kListen, kClient };
    std::vector<std::pair<Source, size_t>> what;
    for (size_t f = 0; f < 2; ++f)
      for (size_t p = 0; p < 2; ++p)
        if (s.udp[f][p]) {
          fds.push_back({s.udp[f][p]->fd(), POLLIN, 0});
          what.emplace_back(Source::kUdp, f * 2 + p);
        }
    for (size_t f = 0; f < 2; ++f)
      if (s.raw[f]) {
        fds.push_back({s.raw[f]->fd(), POLLIN, 0});
        what.emplace_back(Source::kRaw, f);
      }
    fds.push_back({s.tun->fd(), POLLIN, 0});
    what.emplace_back(Source::kTun, 0);
    if (control) {
      fds.push_back({control->get(), POLLIN, 0});
      what.emplace_back(Source::kListen, 0);
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      fds.push_back({clients[i].fd.get(), POLLIN, 0});
      what.emplace_back(Source::kClient, i);
    }
    const int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno != EINTR)
      return MakeError(Code::kIoError, kNoOffset, "", fmt::format("poll: {}", std::strerror(errno)));
    if (ready <= 0) continue;
    std::vector<size_t> gone;
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const auto [source, index] = what[i];
      for (int burst = 0; burst < kBurst; ++burst) {
        if (source == Source::kUdp) {
          io::UdpSocket& u = *s.udp[index / 2][index % 2];
          auto r = u.Receive(buffer);
          if (!r) {
            warn(r.error().ToString());
            continue;
          }
          if (!*r) break;
          if ((*r)->truncated) continue;
          Datagram d;
          d.source.address = (*r)->source_address;
          d.source.port = (*r)->source_port;
          d.destination.address = (*r)->destination_address;
          d.destination.port = (*r)->destination_port;
          d.data.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>((*r)->size));
          gateway->ReceiveUdp(std::move(d));
        } else if (source == Source::kRaw) {
          auto r = s.raw[index]->Receive(buffer);
          if (!r) {
            warn(r.error().ToString());
            break;
          }
          if (!*r) break;
          if ((*r)->truncated) continue;
          gateway->ReceiveIp(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>((*r)->size)));
        } else if (source == Source::kTun) {
          auto r = s.tun->Read(buffer);
          if (!r) {
            warn(r.error().ToString());
            break;
          }
          if (!*r) break;
          gateway->ReceiveInner(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(**r)));
        } else if (source == Source::kListen) {
          const int fd = ::accept4(control->get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          clients.push_back(ControlClient{io::FileDescriptor(fd), {}});
        } else {
          if (!ServeClient(*gateway, clients[index])) gone.push_back(index);
          break;
        }
      }
    }
    for (auto it = gone.rbegin(); it != gone.rend(); ++it) clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(*it));
  }
  if (!live.control_path.empty()) ::unlink(live.control_path.c_str());
  return OkStatus();
}

}  // namespace ipsecref::gateway
