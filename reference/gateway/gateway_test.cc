// Gateways of the reference talking to each other in memory: the whole path
// (IKE on the SPUs, CHILD SAs installed as ESP SAs, inner packets through
// the SPD and ESP and out at the other end) without sockets. The live
// gateway against strongSwan is interop/gateway/.
#include "reference/gateway/gateway.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "reference/bytes/bytes.h"
#include "reference/gateway/control.h"
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
  // From now on `g` owns `address`; what was sent to it before (while the
  // gateway was being created: start_action = start) is delivered now.
  void Attach(std::string_view address, Gateway* g) {
    std::vector<Datagram> early;
    {
      std::lock_guard lock(mu_);
      owners_[Addr(address)] = g;
      early = std::move(early_[Addr(address)]);
    }
    for (Datagram& d : early) g->ReceiveUdp(std::move(d));
  }

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
  // Every UDP datagram sent (IKE, ESP in UDP, keepalives).
  std::vector<Datagram> udp() {
    std::lock_guard lock(mu_);
    return udp_;
  }
  // A NAT in front of `inside`: its datagrams leave from port `port` (from
  // 500) or port + 1 (from 4500), and datagrams to those ports go back in.
  // Setting another port is the NAT forgetting the mapping and making a
  // new one.
  void SetNat(std::string_view inside, uint16_t port) {
    std::lock_guard lock(mu_);
    nat_inside_ = Addr(inside);
    nat_port_ = port;
  }
  // Every datagram delivered twice while set (a duplicating link).
  void SetDuplicate(bool on) {
    std::lock_guard lock(mu_);
    duplicate_ = on;
  }
  // A link that loses everything while down.
  void SetLink(bool up) {
    std::lock_guard lock(mu_);
    link_up_ = up;
  }
  // Every IP packet of protocol 50 sent, as the wire carried it.
  std::vector<Bytes> esp_packets() {
    std::lock_guard lock(mu_);
    return esp_packets_;
  }
  // Hands `packet` (a full IP packet) to the gateway owning its destination.
  void Inject(Bytes packet) {
    Gateway* g = Owner(Bytes(packet.begin() + 16, packet.begin() + 20));
    if (g != nullptr) g->ReceiveIp(std::move(packet));
  }

 private:
  void Udp(Datagram d) {
    Gateway* g = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!link_up_) return;
      if (nat_port_ != 0 && d.source.address == nat_inside_)
        d.source.port = d.source.port == 4500 ? static_cast<uint16_t>(nat_port_ + 1) : nat_port_;
      if (nat_port_ != 0 && d.destination.address == nat_inside_) {
        // Only the current mapping leads in.
        if (d.destination.port != nat_port_ && d.destination.port != nat_port_ + 1) return;
        d.destination.port = d.destination.port == nat_port_ ? 500 : 4500;
      }
      udp_.push_back(d);
      auto it = owners_.find(d.destination.address);
      if (it == owners_.end()) {
        early_[d.destination.address].push_back(d);
        return;
      }
      g = it->second;
      if (duplicate_) g->ReceiveUdp(d);
    }
    g->ReceiveUdp(d);
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
    {
      std::lock_guard lock(mu_);
      esp_packets_.push_back(p);
    }

    g->ReceiveIp(std::move(p));
  }
  void Delivered(const std::string& name, ByteSpan p) {
    std::lock_guard lock(mu_);
    delivered_[name].emplace_back(p.begin(), p.end());
  }
  Gateway* Owner(const Bytes& address) {
    std::lock_guard lock(mu_);
    auto it = owners_.find(address);
    return it == owners_.end() ? nullptr : it->second;
  }

  std::map<std::string, std::unique_ptr<Port>> ports_;
  std::mutex mu_;
  std::map<Bytes, Gateway*> owners_;
  std::map<Bytes, std::vector<Datagram>> early_;
  std::map<std::string, std::vector<Bytes>> delivered_;
  std::vector<Bytes> esp_packets_;
  std::vector<Datagram> udp_;
  bool link_up_ = true;
  bool duplicate_ = false;
  Bytes nat_inside_;
  uint16_t nat_port_ = 0;
};

class TestClock : public ike::sa::Clock {
 public:
  ike::sa::Time Now() const override { return now_.load(); }
  void Advance(ike::sa::Time ms) { now_ += ms; }

 private:
  std::atomic<ike::sa::Time> now_{1'767'225'600'000};  // 2026-01-01
};

std::unique_ptr<Gateway> Start(Net& net, std::string_view address, std::string_view conf, size_t spus, uint64_t seed,
                               Options o = {}) {
  auto config = ParseSwanctlConf(conf, "test.conf", ".");
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().ToString());
  if (!config.ok()) return nullptr;
  o.spus = spus;
  o.deterministic_seed = seed;
  // IPSECREF_GATEWAY_TEST_LOG=1 shows what the gateways log.
  if (std::getenv("IPSECREF_GATEWAY_TEST_LOG") != nullptr && !o.log) {
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


uint64_t Dropped(Gateway& g, std::string_view reason) {
  const Stats s = g.stats();
  for (const auto& [name, n] : s.dropped)
    if (name == reason) return n;
  ADD_FAILURE() << "no drop reason " << reason;
  return 0;
}

// moon (192.0.2.1, 10.1.0.0/16) and sun (192.0.2.2, 10.2.0.0/16), one
// site-to-site tunnel, moon initiating.
struct Pair {
  Net net;
  std::unique_ptr<Gateway> moon, sun;
  explicit Pair(size_t moon_spus = 1) {
    moon = Start(net, "192.0.2.1",
                 "connections {" + SiteToSite("sun", "192.0.2.1", "192.0.2.2", "10.1.0.0/16", "10.2.0.0/16", 1, false) +
                     "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                 moon_spus, 11);
    sun = Start(net, "192.0.2.2",
                "connections {" + SiteToSite("moon", "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", 1, false) +
                    "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                1, 12);
  }
  bool Up() {
    return moon && sun && moon->Initiate("sun").ok() &&
           net.WaitFor([&] { return AllEstablished(*moon, 1, 1) && AllEstablished(*sun, 1, 1); });
  }
  // A datagram from moon's side to sun's side arrives; returns whether it did.
  bool Ping(const std::string& text) {
    const size_t before = net.delivered("192.0.2.2").size();
    moon->ReceiveInner(UdpPacket("10.1.0.5", "10.2.0.7", 1234, 7, text));
    return net.WaitFor([&] {
      const auto d = net.delivered("192.0.2.2");
      return d.size() == before + 1 && d.back() == UdpPacket("10.1.0.5", "10.2.0.7", 1234, 7, text);
    });
  }
  std::vector<std::string> ChildNames(Gateway& g) {
    std::vector<std::string> names;
    for (const IkeSaStatus& s : g.List())
      for (const ChildSaStatus& c : s.children) names.push_back(c.name + ":" + c.state);
    return names;
  }
};

//= rfc4303#section-3.4.3
//# A packet whose sequence number was received already is dropped.
//= rfc4303#section-3.4.4
//# A packet whose ICV does not verify is dropped, and the event counted.
TEST(GatewayTest, ReplayedAndForgedEspIsDroppedAndCounted) {
  Pair p;
  ASSERT_TRUE(p.Up());
  ASSERT_TRUE(p.Ping("one"));
  const std::vector<Bytes> sent = p.net.esp_packets();
  ASSERT_EQ(sent.size(), 1u);
  p.net.Inject(sent[0]);
  p.sun->Drain();
  EXPECT_EQ(Dropped(*p.sun, "replay"), 1u);
  // A fresh sequence number (so the replay check lets it through, RFC 4303
  // §3.4.3) under the old ICV.
  Bytes forged = sent[0];
  StoreU32(&forged[24], 1000);
  p.net.Inject(forged);
  p.sun->Drain();
  EXPECT_EQ(Dropped(*p.sun, "authentication_failed"), 1u);
  EXPECT_EQ(p.net.delivered("192.0.2.2").size(), 1u);
  // An SPI no SA has.
  Bytes unknown = sent[0];
  unknown[20] ^= 0xff;
  p.net.Inject(unknown);
  p.sun->Drain();
  EXPECT_EQ(Dropped(*p.sun, "unknown_spi"), 1u);
  EXPECT_TRUE(p.Ping("two"));
}

//= rfc7296#section-1.3.3
//# A CHILD SA is rekeyed by creating its successor and deleting it; traffic
//# moves to the new SA.
TEST(GatewayTest, ChildSaRekeyKeepsTrafficFlowing) {
  Pair p;
  ASSERT_TRUE(p.Up());
  ASSERT_TRUE(p.Ping("before"));
  ASSERT_TRUE(p.moon->Rekey("IPsec-1").ok());
  ASSERT_TRUE(p.net.WaitFor([&] {
    return p.ChildNames(*p.moon) == std::vector<std::string>{"IPsec-2:INSTALLED"} &&
           p.ChildNames(*p.sun) == std::vector<std::string>{"IPsec-2:INSTALLED"};
  })) << fmt::format("{}", fmt::join(p.ChildNames(*p.moon), " "));
  EXPECT_TRUE(p.Ping("after"));
  const auto outbound = p.moon->List()[0].children[0];
  EXPECT_EQ(outbound.packets_out, 1u);  // the new SA carried "after"
}

// As swanctl's --ike and --child: a connection's name stands for its IKE
// SAs, a child's for its CHILD SAs.
TEST(GatewayTest, ControlTakesConfigurationNames) {
  Pair p;
  ASSERT_TRUE(p.Up());
  ASSERT_TRUE(p.moon->Rekey("sun-1").ok());
  ASSERT_TRUE(p.net.WaitFor([&] { return p.ChildNames(*p.moon) == std::vector<std::string>{"IPsec-2:INSTALLED"}; }))
      << fmt::format("{}", fmt::join(p.ChildNames(*p.moon), " "));
  ASSERT_TRUE(p.moon->Rekey("sun").ok());
  ASSERT_TRUE(p.net.WaitFor([&] {
    const auto m = p.moon->List();
    return m.size() == 1 && m[0].name == "IKE-2" && m[0].state == "ESTABLISHED";
  }));
  EXPECT_TRUE(p.moon->CheckLiveness("sun").ok());
  ASSERT_TRUE(p.moon->Terminate("sun-1").ok());
  ASSERT_TRUE(p.net.WaitFor([&] { return p.ChildNames(*p.moon).empty() && p.ChildNames(*p.sun).empty(); }));
  EXPECT_EQ(p.moon->List().size(), 1u);  // the IKE SA stays
}

//= rfc7296#section-1.3.2
//# An IKE SA rekey moves the CHILD SAs to the new IKE SA.
TEST(GatewayTest, IkeSaRekeyMovesTheTunnels) {
  Pair p(2);
  ASSERT_TRUE(p.Up());
  ASSERT_TRUE(p.sun->Rekey("IKE-1").ok());
  ASSERT_TRUE(p.net.WaitFor([&] {
    const auto m = p.moon->List(), s = p.sun->List();
    return m.size() == 1 && s.size() == 1 && m[0].name == "IKE-2" && s[0].name == "IKE-2" &&
           m[0].state == "ESTABLISHED" && m[0].children.size() == 1;
  }));
  const spu::Anchoring a = p.moon->anchoring();
  const spu::Anchor* tunnel = a.Find("IPsec-1");
  ASSERT_NE(tunnel, nullptr);
  EXPECT_EQ(tunnel->ike, "IKE-2");
  EXPECT_EQ(a.Find("IKE-1"), nullptr);
  EXPECT_TRUE(p.Ping("after the IKE SA rekey"));
}

//= rfc7296#section-1.4.1
//# Deleting an IKE SA deletes its CHILD SAs at both ends.
TEST(GatewayTest, TerminateFromEitherSideClearsBothEnds) {
  for (bool from_moon : {true, false}) {
    Pair p;
    ASSERT_TRUE(p.Up());
    ASSERT_TRUE((from_moon ? p.moon : p.sun)->Terminate("IKE-1").ok());
    ASSERT_TRUE(p.net.WaitFor([&] { return p.moon->List().empty() && p.sun->List().empty(); }));
    EXPECT_EQ(p.moon->anchoring().Anchors().size(), 0u);
    // Nothing protects the traffic any more.
    p.moon->ReceiveInner(UdpPacket("10.1.0.5", "10.2.0.7", 1, 2, "x"));
    p.moon->Drain();
    EXPECT_EQ(Dropped(*p.moon, "no_policy"), 1u);
  }
}

TEST(GatewayTest, ControlNamesWhatItDoesNotKnow) {
  Pair p;
  ASSERT_TRUE(p.Up());
  EXPECT_EQ(p.moon->Rekey("IKE-9").error().detail, "no IKE SA or CHILD SA named IKE-9 (or of a configuration of that name)");
  EXPECT_EQ(p.moon->CheckLiveness("sun-1").error().detail, "no IKE SA named sun-1 (or of a configuration of that name)");
  EXPECT_EQ(p.moon->Initiate("mars").error().detail, "no connection named mars");
  EXPECT_EQ(p.sun->Initiate("moon", "moon-7").error().detail, "connection moon has no child moon-7");
}

// The seed's map: three site-to-site peers carrying 3, 3 and 1 tunnels on
// a hub of three SPUs (README, `ipsecref tunnel-map`).
TEST(GatewayTest, HubMapFollowsTheAnchoringRules) {
  Net net;
  const std::vector<std::pair<std::string, int>> spokes = {{"192.0.2.11", 3}, {"192.0.2.12", 3}, {"192.0.2.13", 1}};
  std::string hub_conf = "connections {";
  std::vector<std::pair<std::string, std::string>> secrets;
  for (size_t i = 0; i < spokes.size(); ++i) {
    hub_conf += SiteToSite(fmt::format("spoke{}", i + 1), "192.0.2.1", spokes[i].first, "10.0.0.0/16",
                           fmt::format("10.{}.{{}}.0/24", 10 + i), spokes[i].second, false);
    secrets.emplace_back("192.0.2.1", spokes[i].first);
  }
  auto hub = Start(net, "192.0.2.1", hub_conf + "}\n" + Secrets(secrets), 3, 21);
  ASSERT_TRUE(hub);
  std::vector<std::unique_ptr<Gateway>> remote;
  size_t tunnels = 0;
  for (size_t i = 0; i < spokes.size(); ++i) {
    remote.push_back(Start(net, spokes[i].first,
                           "connections {" +
                               SiteToSite("hub", spokes[i].first, "192.0.2.1", fmt::format("10.{}.{{}}.0/24", 10 + i),
                                          "10.0.0.0/16", spokes[i].second, true) +
                               "}\n" + Secrets({{"192.0.2.1", spokes[i].first}}),
                           1, 30 + i));
    ASSERT_TRUE(remote.back());
    tunnels += static_cast<size_t>(spokes[i].second);
    ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*hub, i + 1, tunnels); }));
  }
  const spu::Anchoring a = hub->anchoring();
  const spu::TunnelMap map = a.Map();
  ASSERT_EQ(map.size(), 3u);
  auto names = [](const std::vector<const spu::Anchor*>& anchors) {
    std::vector<std::string> n;
    for (const spu::Anchor* x : anchors) n.push_back(x->name);
    return n;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(map[0].ike), V{"IKE-1"});
  EXPECT_EQ(names(map[0].tunnels), (V{"IPsec-1", "IPsec-2", "IPsec-3"}));
  EXPECT_EQ(names(map[1].ike), V{"IKE-2"});
  EXPECT_EQ(names(map[1].tunnels), (V{"IPsec-4", "IPsec-5", "IPsec-6"}));
  EXPECT_EQ(names(map[2].ike), V{"IKE-3"});
  EXPECT_EQ(names(map[2].tunnels), V{"IPsec-7"});
  // The IKE SAs run on their anchor SPUs.
  const Stats s = hub->stats();
  EXPECT_EQ(s.ike_sas_per_spu, (std::vector<size_t>{1, 1, 1}));
}

// Dynamic peers (remote_addrs = %any) take the SPUs in turn, whatever
// their load (spu.round-robin); a manual tunnel counts as load.
TEST(GatewayTest, DynamicPeersRoundRobinManualTunnelsLoad) {
  Net net;
  const std::string manual = R"(
manual {
  static-1 {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.99
    local_ts = 10.0.0.0/16
    remote_ts = 10.99.0.0/16
    spi_in = 0x1000
    spi_out = 0x2000
    esp_proposals = aes128gcm16
    enc_key_in = 0x000102030405060708090a0b0c0d0e0f10111213
    enc_key_out = 0x101112131415161718191a1b1c1d1e1f20212223
  }
}
)";
  std::string hub_conf = "connections {" + SiteToSite("road", "192.0.2.1", "%any", "10.0.0.0/16", "0.0.0.0/0", 1, false);
  auto hub = Start(net, "192.0.2.1", hub_conf + "}\n" + manual + "secrets {\n  ike-any {\n    secret = \"a shared secret of the test suite\"\n  }\n}\n", 2, 41);
  ASSERT_TRUE(hub);
  std::vector<std::unique_ptr<Gateway>> roads;
  for (int i = 0; i < 3; ++i) {
    const std::string addr = fmt::format("192.0.2.{}", 21 + i);
    roads.push_back(Start(net, addr,
                          "connections {" + SiteToSite("hub", addr, "192.0.2.1", fmt::format("10.{}.0.0/16", 21 + i),
                                                       "10.0.0.0/16", 1, true) +
                              "}\nsecrets {\n  ike-any {\n    secret = \"a shared secret of the test suite\"\n  }\n}\n",
                          1, 50 + static_cast<uint64_t>(i)));
    ASSERT_TRUE(roads.back());
    ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*hub, static_cast<size_t>(i) + 1, static_cast<size_t>(i) + 1); }));
  }
  const spu::Anchoring a = hub->anchoring();
  ASSERT_NE(a.Find("static-1"), nullptr);
  EXPECT_EQ(a.Find("static-1")->spu, 0u);  // least loaded at start: SPU0
  EXPECT_EQ(a.Find("IKE-1")->spu, 0u);     // round-robin from SPU0, load notwithstanding
  EXPECT_EQ(a.Find("IKE-2")->spu, 1u);
  EXPECT_EQ(a.Find("IKE-3")->spu, 0u);
  EXPECT_EQ(a.Load(0), 1u);  // the manual tunnel; dynamic peers are no load
  EXPECT_EQ(a.Load(1), 0u);
}

std::string WithChildOption(std::string conf, std::string_view option) {
  const std::string anchor = "esp_proposals = aes128gcm16";
  conf.replace(conf.find(anchor), anchor.size(), anchor + "\n        " + std::string(option));
  return conf;
}

// start_action = trap: the first packet for the child's selectors starts
// the connection (and is dropped); once the CHILD SA is up, traffic flows.
TEST(GatewayTest, TrapStartsTheConnectionOnTraffic) {
  Net net;
  const std::string moon_conf =
      WithChildOption("connections {" + SiteToSite("sun", "192.0.2.1", "192.0.2.2", "10.1.0.0/16", "10.2.0.0/16", 1, false) +
                          "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                      "start_action = trap");
  auto moon = Start(net, "192.0.2.1", std::regex_replace(moon_conf, std::regex("start_action = none\n"), ""), 1, 61);
  auto sun = Start(net, "192.0.2.2",
                   "connections {" + SiteToSite("moon", "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", 1, false) +
                       "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                   1, 62);
  ASSERT_TRUE(moon && sun);
  EXPECT_TRUE(moon->List().empty());
  moon->ReceiveInner(UdpPacket("10.1.0.5", "10.2.0.7", 1, 2, "first"));
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*moon, 1, 1); }));
  EXPECT_EQ(Dropped(*moon, "trapped"), 1u);
  moon->ReceiveInner(UdpPacket("10.1.0.5", "10.2.0.7", 1, 2, "second"));
  ASSERT_TRUE(net.WaitFor([&] { return net.delivered("192.0.2.2").size() == 1; }));
  EXPECT_EQ(net.delivered("192.0.2.2")[0], UdpPacket("10.1.0.5", "10.2.0.7", 1, 2, "second"));
}

//= rfc7296#section-2.4
//# A peer that stops answering is declared dead after the retransmissions;
//# dpd_action = restart initiates the connection again.
TEST(GatewayTest, DeadPeerIsRestarted) {
  Net net;
  TestClock clock;
  Options o;
  o.clock = &clock;
  auto moon = Start(net, "192.0.2.1",
                    WithChildOption("connections {" +
                                        SiteToSite("sun", "192.0.2.1", "192.0.2.2", "10.1.0.0/16", "10.2.0.0/16", 1, false) +
                                        "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                                    "dpd_action = restart"),
                    1, 71, o);
  auto sun = Start(net, "192.0.2.2",
                   "connections {" + SiteToSite("moon", "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", 1, false) +
                       "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                   1, 72, o);
  ASSERT_TRUE(moon && sun);
  ASSERT_TRUE(moon->Initiate("sun").ok());
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*moon, 1, 1) && AllEstablished(*sun, 1, 1); }));
  net.SetLink(false);
  ASSERT_TRUE(moon->CheckLiveness("IKE-1").ok());
  // 4 s x 1.8^n, five retransmissions: about 2 minutes, then dead.
  for (int i = 0; i < 200 && moon->List().size() == 1 && moon->List()[0].name == "IKE-1"; ++i) {
    clock.Advance(1000);
    moon->Tick();
  }
  const auto after = moon->List();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].name, "IKE-2");  // initiated again
  net.SetLink(true);
  for (int i = 0; i < 60 && !AllEstablished(*moon, 1, 1); ++i) {
    clock.Advance(1000);
    moon->Tick();
    sun->Tick();
    moon->Drain();
    sun->Drain();
  }
  EXPECT_TRUE(AllEstablished(*moon, 1, 1));
}

//= rfc3948#section-2.1
//# With UDP encapsulation (here forced, encap = yes) ESP travels in UDP on
//# port 4500, and the end behind the (pretended) NAT sends NAT-keepalives.
TEST(GatewayTest, ForcedEncapsulationCarriesEspInUdpWithKeepalives) {
  Net net;
  TestClock clock;
  Options o;
  o.clock = &clock;
  const std::string moon_conf =
      "connections {" + SiteToSite("sun", "192.0.2.1", "192.0.2.2", "10.1.0.0/16", "10.2.0.0/16", 1, false) + "}\n" +
      Secrets({{"192.0.2.1", "192.0.2.2"}});
  auto moon = Start(net, "192.0.2.1",
                    std::regex_replace(moon_conf, std::regex("proposals = aes128gcm16-prfsha256-x25519"),
                                       "proposals = aes128gcm16-prfsha256-x25519\n    encap = yes"),
                    1, 81, o);
  auto sun = Start(net, "192.0.2.2",
                   "connections {" + SiteToSite("moon", "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", 1, false) +
                       "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                   1, 82, o);
  ASSERT_TRUE(moon && sun);
  ASSERT_TRUE(moon->Initiate("sun").ok());
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*moon, 1, 1) && AllEstablished(*sun, 1, 1); }));
  EXPECT_TRUE(moon->List()[0].children[0].encapsulated);
  EXPECT_TRUE(sun->List()[0].children[0].encapsulated);
  EXPECT_EQ(moon->List()[0].local, "192.0.2.1[4500]");
  moon->ReceiveInner(UdpPacket("10.1.0.5", "10.2.0.7", 1, 2, "in udp"));
  sun->ReceiveInner(UdpPacket("10.2.0.7", "10.1.0.5", 2, 1, "back in udp"));
  ASSERT_TRUE(net.WaitFor([&] { return net.delivered("192.0.2.2").size() == 1 && net.delivered("192.0.2.1").size() == 1; }));
  EXPECT_TRUE(net.esp_packets().empty());
  size_t esp_in_udp = 0;
  for (const Datagram& d : net.udp())
    if (d.destination.port == 4500 && d.data.size() > 8 && LoadU32(d.data.data()) != 0) ++esp_in_udp;
  EXPECT_EQ(esp_in_udp, 2u);
  clock.Advance(20'000);
  moon->Tick();
  sun->Drain();
  EXPECT_EQ(sun->stats().keepalives_in, 1u);  // moon pretends to be behind the NAT
}

TEST(GatewayTest, SecretsAreLoggedOnlyWhenAskedFor) {
  for (bool secrets : {false, true}) {
    Net net;
    auto lines = std::make_shared<std::vector<std::string>>();
    auto mu = std::make_shared<std::mutex>();
    Options o;
    o.log_secrets = secrets;
    o.log = [lines, mu](const LogLine& l) {
      std::lock_guard lock(*mu);
      lines->push_back(l.text);
    };
    auto moon = Start(net, "192.0.2.1",
                      "connections {" + SiteToSite("sun", "192.0.2.1", "192.0.2.2", "10.1.0.0/16", "10.2.0.0/16", 1, false) +
                          "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                      1, 91, o);
    auto sun = Start(net, "192.0.2.2",
                     "connections {" + SiteToSite("moon", "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", 1, false) +
                         "}\n" + Secrets({{"192.0.2.1", "192.0.2.2"}}),
                     1, 92);
    ASSERT_TRUE(moon && sun && moon->Initiate("sun").ok());
    ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*moon, 1, 1); }));
    moon->Drain();
    const ChildSaStatus c = moon->List()[0].children[0];
    std::lock_guard lock(*mu);
    const bool keys_logged = std::any_of(lines->begin(), lines->end(), [](const std::string& l) {
      return l.find("keys:") != std::string::npos;
    });
    EXPECT_EQ(keys_logged, secrets);
    EXPECT_TRUE(std::any_of(lines->begin(), lines->end(), [](const std::string& l) {
      return l.find("IKE-1 sun: IKE SA") != std::string::npos && l.find("ESTABLISHED") != std::string::npos;
    }));
  }
}

TEST(GatewayTest, ControlProtocolAnswersAndRefuses) {
  Pair p;
  ASSERT_TRUE(p.Up());
  const auto ask = [&](std::string_view request) { return nlohmann::json::parse(HandleControl(*p.moon, request)); };
  const auto list = ask(R"({"command": "list"})");
  EXPECT_EQ(list["ok"], true);
  EXPECT_EQ(list["ike_sas"][0]["name"], "IKE-1");
  EXPECT_EQ(list["ike_sas"][0]["children"][0]["name"], "IPsec-1");
  const auto map = ask(R"({"command": "map"})");
  EXPECT_EQ(map["map"][0]["ike"][0]["name"], "IKE-1");
  EXPECT_EQ(map["map"][0]["tunnels"][0]["ike"], "IKE-1");
  EXPECT_EQ(ask("not json")["error"], "the request is not JSON");
  EXPECT_EQ(ask("[1]")["error"], "a request is a JSON object");
  EXPECT_EQ(ask(R"({"command": "reboot"})")["error"],
            "unknown command \"reboot\" (list, initiate, terminate, rekey, liveness, stats, map)");
  EXPECT_EQ(ask(R"({"command": "rekey"})")["error"], "rekey needs a \"name\" string");
  EXPECT_EQ(ask(std::string(kMaxControlRequest + 1, ' '))["ok"], false);
  EXPECT_EQ(ask(R"({"command": "terminate", "name": "IKE-1"})")["ok"], true);
}

//= rfc7296#section-2.1
//# A copy of a request (an IKE_SA_INIT retransmitted, or duplicated on the
//# way) is answered by the IKE SA it made; it makes no second one.
TEST(GatewayTest, DuplicatedRequestsMakeOneIkeSaOnTheirConnection) {
  Net net;
  // The request is for the hub's second connection (its first names
  // another peer): a copy must reach that connection too.
  const std::string hub_conf = "connections {" +
                               SiteToSite("other", "192.0.2.1", "192.0.2.77", "10.0.0.0/16", "10.77.0.0/16", 1, false) +
                               SiteToSite("spoke", "192.0.2.1", "192.0.2.11", "10.0.0.0/16", "10.11.0.0/16", 1, false) +
                               "}\n" + Secrets({{"192.0.2.1", "192.0.2.11"}, {"192.0.2.1", "192.0.2.77"}});
  auto hub = Start(net, "192.0.2.1", hub_conf, 2, 101);
  auto spoke = Start(net, "192.0.2.11",
                     "connections {" +
                         SiteToSite("hub", "192.0.2.11", "192.0.2.1", "10.11.0.0/16", "10.0.0.0/16", 1, false) + "}\n" +
                         Secrets({{"192.0.2.1", "192.0.2.11"}}),
                     1, 102);
  ASSERT_TRUE(hub && spoke);
  net.SetDuplicate(true);
  ASSERT_TRUE(spoke->Initiate("hub").ok());
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*hub, 1, 1) && AllEstablished(*spoke, 1, 1); }));
  hub->Drain();
  const auto list = hub->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "IKE-1");
  EXPECT_EQ(list[0].connection, "spoke");
  EXPECT_EQ(hub->anchoring().Anchors().size(), 2u);  // IKE-1 and IPsec-1
}

//= rfc7296#section-2.23
//# Behind a NAT: NAT detection moves IKE to 4500 and ESP into UDP; when the
//# NAT's mapping changes, the end outside follows the new address and port
//# of the first authenticated request that comes from it, ESP with it.
TEST(GatewayTest, NatMappingChangeIsFollowed) {
  Pair p;
  p.net.SetNat("192.0.2.1", 40000);
  ASSERT_TRUE(p.Up());
  EXPECT_EQ(p.sun->List()[0].remote, "192.0.2.1[40001]");
  EXPECT_TRUE(p.sun->List()[0].children[0].encapsulated);
  ASSERT_TRUE(p.Ping("through the first mapping"));
  p.sun->ReceiveInner(UdpPacket("10.2.0.7", "10.1.0.5", 7, 1234, "back"));
  ASSERT_TRUE(p.net.WaitFor([&] { return p.net.delivered("192.0.2.1").size() == 1; }));

  p.net.SetNat("192.0.2.1", 50000);
  // ESP alone does not move the IKE SA (sun's answer still goes to the old
  // mapping, which the NAT dropped)...
  ASSERT_TRUE(p.Ping("through the second mapping"));
  p.sun->ReceiveInner(UdpPacket("10.2.0.7", "10.1.0.5", 7, 1234, "lost"));
  p.sun->Drain();
  EXPECT_EQ(p.net.delivered("192.0.2.1").size(), 1u);
  EXPECT_EQ(p.sun->List()[0].remote, "192.0.2.1[40001]");
  // ... an authenticated request does.
  ASSERT_TRUE(p.moon->CheckLiveness("IKE-1").ok());
  ASSERT_TRUE(p.net.WaitFor([&] { return p.sun->List()[0].remote == "192.0.2.1[50001]"; }));
  p.sun->ReceiveInner(UdpPacket("10.2.0.7", "10.1.0.5", 7, 1234, "found"));
  ASSERT_TRUE(p.net.WaitFor([&] { return p.net.delivered("192.0.2.1").size() == 2; }));
  EXPECT_EQ(p.net.delivered("192.0.2.1")[1], UdpPacket("10.2.0.7", "10.1.0.5", 7, 1234, "found"));
}

// remote_ts = dynamic on a connection from %any is the peer's own address,
// resolved for each IKE SA: a road warrior that asks for every address gets
// its own only.
TEST(GatewayTest, DynamicSelectorIsEachPeersOwnAddress) {
  Net net;
  auto hub = Start(net, "192.0.2.1",
                   "connections {" + SiteToSite("road", "192.0.2.1", "%any", "10.0.0.0/16", "dynamic", 1, false) +
                       "}\nsecrets {\n  ike-any {\n    secret = \"a shared secret of the test suite\"\n  }\n}\n",
                   1, 111);
  auto road = Start(net, "192.0.2.21",
                    "connections {" + SiteToSite("hub", "192.0.2.21", "192.0.2.1", "0.0.0.0/0", "10.0.0.0/16", 1, true) +
                        "}\nsecrets {\n  ike-any {\n    secret = \"a shared secret of the test suite\"\n  }\n}\n",
                    1, 112);
  ASSERT_TRUE(hub && road);
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*hub, 1, 1) && AllEstablished(*road, 1, 1); }));
  EXPECT_EQ(hub->List()[0].children[0].remote_ts, "192.0.2.21/32");
  EXPECT_EQ(road->List()[0].children[0].local_ts, "192.0.2.21/32");
}

//= rfc7296#section-2.6
//# With cookies asked for always, a peer's retry carrying its cookie is
//# placed anew (round-robin, on another SPU): every SPU must accept the
//# cookie another made.
TEST(GatewayTest, CookiesHoldAcrossSpus) {
  Net net;
  Options o;
  o.cookie_threshold = 0;
  auto hub = Start(net, "192.0.2.1",
                   "connections {" + SiteToSite("road", "192.0.2.1", "%any", "10.0.0.0/16", "dynamic", 1, false) +
                       "}\nsecrets {\n  ike-any {\n    secret = \"a shared secret of the test suite\"\n  }\n}\n",
                   2, 121, o);
  auto road = Start(net, "192.0.2.21",
                    "connections {" + SiteToSite("hub", "192.0.2.21", "192.0.2.1", "dynamic", "10.0.0.0/16", 1, true) +
                        "}\nsecrets {\n  ike-any {\n    secret = \"a shared secret of the test suite\"\n  }\n}\n",
                    1, 122);
  ASSERT_TRUE(hub && road);
  ASSERT_TRUE(net.WaitFor([&] { return AllEstablished(*hub, 1, 1) && AllEstablished(*road, 1, 1); }));
  size_t cookies = 0;
  for (const Datagram& d : net.udp())
    if (d.source.address == Addr("192.0.2.1") && d.data.size() > 32 && d.data[16] == 41 && d.data[18] == 34) ++cookies;
  EXPECT_EQ(cookies, 1u);  // one IKE_SA_INIT answered with a COOKIE, the retry taken
}
}  // namespace
}  // namespace ipsecref::gateway
