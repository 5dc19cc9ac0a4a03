// Gateways of the reference talking to each other in memory: the whole path
// (IKE on the SPUs, CHILD SAs installed as ESP SAs, inner packets through
// the SPD and ESP and out at the other end) without sockets. The live
// gateway against strongSwan is interop/gateway/.
#include "reference/gateway/gateway.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "reference/bytes/bytes.h"
#include "reference/gateway/swanctl_conf.h"
#include "reference/ip/packet.h"

namespace ipsecref::gateway {
namespace {

using ike::sa::Datagram;

Bytes Addr(std::string_view text) { return *io::ParseAddress(text); }

// An IPv4 packet (RFC 791 header, no options; RFC 768 UDP) from `src` to
// `dst` with `payload`: what a host behind a gateway sends.
Bytes UdpPacket(std::string_view src, std::string_view dst, uint16_t sport, uint16_t dport, std::string_view payload) {
  Bytes p(28 + payload.size(), 0);
  p[0] = 0x45;
  StoreU16(&p[2], static_cast<uint16_t>(p.size()));
  p[8] = 64;  // TTL
  p[9] = 17;  // UDP
  const Bytes s = Addr(src), d = Addr(dst);
  std::copy(s.begin(), s.end(), p.begin() + 12);
  std::copy(d.begin(), d.end(), p.begin() + 16);
  StoreU16(&p[20], sport);
  StoreU16(&p[22], dport);
  StoreU16(&p[24], static_cast<uint16_t>(8 + payload.size()));
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  ip::SetIpv4HeaderChecksum(MutableByteSpan(p).first(20));
  return p;
}

// The wire between gateways: datagrams and ESP go to the gateway that owns
// the destination address; delivered inner packets are kept per gateway.
class Net {
 public:
  class Port : public Wire {
   public:
    Port(Net& net, std::string name) : net_(net), name_(std::move(name)) {}
    void SendUdp(const Datagram& d) override { net_.Udp(d); }
    void SendEsp(ByteSpan esp, ByteSpan source, ByteSpan destination) override {
      net_.Esp(esp, source, destination);
    }
    void Deliver(ByteSpan ip_packet) override { net_.Delivered(name_, ip_packet); }

   private:
    Net& net_;
    std::string name_;
  };

  Port& AddPort(const std::string& name) { return *ports_.emplace(name, std::make_unique<Port>(*this, name)).first->second; }
  void Attach(std::string_view address, Gateway* g) { owners_[Addr(address)] = g; }

  // Waits (up to 10 s) until `done` holds.
  bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  std::vector<Bytes> delivered(const std::string& name) {
    std::lock_guard lock(mu_);
    return delivered_[name];
  }
  // Drops every ESP packet from now on when set (a link that loses them).
  std::function<bool(ByteSpan esp)> esp_filter;

 private:
  void Udp(const Datagram& d) {
    Gateway* g = Owner(d.destination.address);
    if (g != nullptr) g->ReceiveUdp(d);
  }
  void Esp(ByteSpan esp, ByteSpan source, ByteSpan destination) {
    Gateway* g = Owner(Bytes(destination.begin(), destination.end()));
    if (g == nullptr) return;
    Bytes p(20 + esp.size(), 0);
    p[0] = 0x45;
    StoreU16(&p[2], static_cast<uint16_t>(p.size()));
    p[8] = 64;
    p[9] = 50;  // ESP
    std::copy(source.begin(), source.end(), p.begin() + 12);
    std::copy(destination.begin(), destination.end(), p.begin() + 16);
    std::copy(esp.begin(), esp.end(), p.begin() + 20);
    ip::SetIpv4HeaderChecksum(MutableByteSpan(p).first(20));
    g->ReceiveIp(std::move(p));
  }
  void Delivered(const std::string& name, ByteSpan p) {
    std::lock_guard lock(mu_);
    delivered_[name].emplace_back(p.begin(), p.end());
  }
  Gateway* Owner(const Bytes& address) {
    auto it = owners_.find(address);
    return it == owners_.end() ? nullptr : it->second;
  }

  std::map<std::string, std::unique_ptr<Port>> ports_;
  std::map<Bytes, Gateway*> owners_;
  std::mutex mu_;
  std::map<std::string, std::vector<Bytes>> delivered_;
};

std::unique_ptr<Gateway> Start(Net& net, std::string_view address, std::string_view conf, size_t spus, uint64_t seed) {
  auto config = ParseSwanctlConf(conf, "test.conf", ".");
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().ToString());
  if (!config.ok()) return nullptr;
  Options o;
  o.spus = spus;
  o.deterministic_seed = seed;
  // IPSECREF_GATEWAY_TEST_LOG=1 shows what the gateways log.
  if (std::getenv("IPSECREF_GATEWAY_TEST_LOG") != nullptr) {
    o.log_level = LogLevel::kDebug;
    o.log = [name = std::string(address)](const LogLine& l) { fmt::print(stderr, "{} {}\n", name, l.text); };
  }
  auto g = Gateway::Create(std::move(*config), o, net.AddPort(std::string(address)));
  EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().ToString());
  if (!g.ok()) return nullptr;
  net.Attach(address, g->get());
  return std::move(*g);
}

// A site-to-site connection of the PSK test suite from `local` to `remote`.
std::string SiteToSite(std::string_view name, std::string_view local, std::string_view remote,
                       std::string_view local_net, std::string_view remote_net, int children, bool start) {
  std::string c = fmt::format(R"(
  {} {{
    local_addrs = {}
    remote_addrs = {}
    proposals = aes128gcm16-prfsha256-x25519
    local {{
      auth = psk
      id = {}
    }}
    remote {{
      auth = psk
      id = {}
    }}
    children {{)",
                              name, local, remote, local, remote);
  for (int i = 1; i <= children; ++i)
    c += fmt::format(R"(
      {}-{} {{
        local_ts = {}
        remote_ts = {}
        esp_proposals = aes128gcm16
        start_action = {}
      }})",
                     name, i, fmt::format(fmt::runtime(std::string(local_net)), i), fmt::format(fmt::runtime(std::string(remote_net)), i),
                     start ? "start" : "none");
  c += "\n    }\n  }\n";
  return c;
}

std::string Secrets(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string s = "secrets {\n";
  int n = 0;
  for (const auto& [a, b] : pairs)
    s += fmt::format("  ike-{} {{\n    id-1 = {}\n    id-2 = {}\n    secret = \"a shared secret of the test suite\"\n  }}\n", ++n,
                     a, b);
  return s + "}\n";
}

bool AllEstablished(Gateway& g, size_t ike_sas, size_t children) {
  const auto list = g.List();
  size_t n = 0;
  for (const IkeSaStatus& s : list) {
    if (s.state != "ESTABLISHED") return false;
    n += s.children.size();
  }
  return list.size() == ike_sas && n == children;
}

TEST(GatewayTest, TwoGatewaysCarryTrafficBothWays) {
  Net net;
  auto moon = Start(net, "192.0.2.1",
                    "connections {" +
                        SiteToSite("sun", "192.0.2.1", "192.0.2.2", "10.1.0.0/16", "10.2.0.0/16", 1, false) + "}\n" +
                        Secrets({{"192.0.2.1", "192.0.2.2"}}),
                    2, 1);
  auto sun = Start(net, "192.0.2.2",
                   "connections {" +
                       SiteToSite("moon", "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", 1, false) + "}\n" +
                       Secrets({{"192.0.2.1", "192.0.2.2"}}),
                   1, 2);
  ASSERT_TRUE(moon && sun);
  auto name = moon->Initiate("sun");
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, "IKE-1");
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*moon, 1, 1) && AllEstablished(*sun, 1, 1); }));

  moon->ReceiveInner(UdpPacket("10.1.0.5", "10.2.0.7", 1234, 53, "query"));
  sun->ReceiveInner(UdpPacket("10.2.0.7", "10.1.0.5", 53, 1234, "answer"));
  ASSERT_TRUE(net.WaitFor([&] { return net.delivered("192.0.2.2").size() == 1 && net.delivered("192.0.2.1").size() == 1; }));
  EXPECT_EQ(net.delivered("192.0.2.2")[0], UdpPacket("10.1.0.5", "10.2.0.7", 1234, 53, "query"));
  EXPECT_EQ(net.delivered("192.0.2.1")[0], UdpPacket("10.2.0.7", "10.1.0.5", 53, 1234, "answer"));

  // Traffic no CHILD SA covers is not sent (RFC 4301 §5.1: no SPD entry).
  moon->ReceiveInner(UdpPacket("10.1.0.5", "10.9.0.1", 1, 2, "x"));
  moon->Drain();
  const Stats s = moon->stats();
  EXPECT_EQ(s.esp_out, 1u);
  const auto no_policy = std::find_if(s.dropped.begin(), s.dropped.end(), [](const auto& d) { return d.first == "no_policy"; });
  ASSERT_NE(no_policy, s.dropped.end());
  EXPECT_EQ(no_policy->second, 1u);
}

}  // namespace
}  // namespace ipsecref::gateway
