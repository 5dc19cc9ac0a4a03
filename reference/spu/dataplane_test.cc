// The dataplane's dispatch, one packet kind at a time: which SPU gets what,
// what is decapsulated there, and what is dropped for which reason. The
// concurrency test (dataplane_concurrency_test.cc) runs it under load.
#include "reference/spu/dataplane.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "reference/esp/esp_packet.h"
#include "reference/testing/generators.h"

namespace ipsecref::spu {
namespace {

using testing::MakeIpPacket;

const Bytes kLeft{192, 0, 2, 1}, kRight{198, 51, 100, 7};  // RFC 5737 documentation addresses
const Bytes kInnerSrc{10, 0, 0, 1}, kInnerDst{10, 0, 1, 1};
constexpr uint8_t kUdp = 17, kTcp = 6, kEsp = 50;

esp::SaConfig EspConfig(uint32_t spi, bool udp = false) {
  esp::SaConfig c;
  c.spi = spi;
  c.mode = esp::Mode::kTunnel;
  c.encr = iana::Encr::kAesGcm16;
  c.encr_key = SecureBytes(16 + 4, static_cast<uint8_t>(spi));
  c.tunnel_src = kLeft;
  c.tunnel_dst = kRight;
  if (udp) c.udp = esp::UdpEncapsulation{};
  return c;
}

ah::SaConfig AhConfig(uint32_t spi) {
  ah::SaConfig c;
  c.spi = spi;
  c.mode = ah::SaConfig::kTunnel;
  c.integ = iana::Integ::kHmacSha2_256_128;
  c.integ_key = SecureBytes(32, 0x5a);
  c.tunnel_src = kLeft;
  c.tunnel_dst = kRight;
  return c;
}

Bytes Inner(uint8_t marker) { return MakeIpPacket(4, kUdp, Bytes(40, marker), 0, kInnerSrc, kInnerDst); }

// The packet a peer's sender SA for `config` sends for `inner`.
Bytes EspPacket(const esp::SaConfig& config, const Bytes& inner, uint64_t seq = 1) {
  auto sa = esp::Sa::Create(config);
  EXPECT_TRUE(sa.ok());
  Bytes out;
  EXPECT_TRUE(esp::Encapsulate(**sa, inner, out, {.sequence_number = seq}).ok());
  return out;
}

Bytes UdpDatagram(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes u{static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport), static_cast<uint8_t>(dport >> 8),
          static_cast<uint8_t>(dport), static_cast<uint8_t>((payload.size() + 8) >> 8),
          static_cast<uint8_t>(payload.size() + 8), 0, 0};
  u.insert(u.end(), payload.begin(), payload.end());
  return u;
}

//= rfc7296#section-3.1
//# IKE header: SPIi, SPIr, next payload, version 0x20, exchange type, flags,
//# message ID, length (28 bytes with no payloads).
Bytes IkeHeader(uint64_t spi_i, uint64_t spi_r) {
  Bytes h;
  for (int i = 7; i >= 0; --i) h.push_back(static_cast<uint8_t>(spi_i >> (8 * i)));
  for (int i = 7; i >= 0; --i) h.push_back(static_cast<uint8_t>(spi_r >> (8 * i)));
  h.insert(h.end(), {0, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28});
  return h;
}

struct Recorder {
  std::mutex mu;
  std::vector<Outcome> outcomes;
  std::vector<Bytes> packets;
  std::vector<std::optional<Code>> errors;

  Sink sink() {
    return [this](const Outcome& o) {
      std::lock_guard lock(mu);
      outcomes.push_back(o);
      packets.emplace_back(o.packet.begin(), o.packet.end());
      errors.push_back(o.error ? std::optional(o.error->code) : std::nullopt);
    };
  }
};

std::unique_ptr<Dataplane> Make(size_t spus, Recorder& r, size_t capacity = 64,
                                Overflow overflow = Overflow::kWait) {
  auto d = Dataplane::Create({spus, capacity, overflow, r.sink()});
  EXPECT_TRUE(d.ok());
  return std::move(d).value();
}

size_t Send(Dataplane& d, std::vector<Bytes> packets) {
  std::vector<Packet> batch;
  for (size_t i = 0; i < packets.size(); ++i) batch.push_back({std::move(packets[i]), {}, i});
  const size_t n = d.Dispatch(batch);
  d.Drain();
  return n;
}

uint64_t Dropped(const Dataplane& d, DispatchDrop why) {
  return d.dispatch_counters().dropped[static_cast<size_t>(why)];
}

TEST(Dataplane, CreateRefusesNoSpusAndNoQueue) {
  EXPECT_EQ(Dataplane::Create({0, 64}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(Dataplane::Create({kMaxSpus + 1, 64}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(Dataplane::Create({2, 0}).error().code, Code::kInvalidArgument);
}

TEST(Dataplane, EspGoesToItsTunnelsAnchorAndIsDecapsulatedThere) {
  Recorder r;
  auto d = Make(3, r);
  ASSERT_EQ(*d->AddIkeSa(Kind::kGateway, "IKE-1"), 0u);
  ASSERT_EQ(*d->AddIkeSa(Kind::kGateway, "IKE-2"), 1u);
  ASSERT_EQ(*d->AddTunnel("IPsec-1", "IKE-2", {EspConfig(0x1001)}), 1u);
  ASSERT_EQ(*d->AddTunnel("IPsec-2", "IKE-1", {EspConfig(0x1002, /*udp=*/true)}), 0u);

  EXPECT_EQ(Send(*d, {EspPacket(EspConfig(0x1001), Inner(1), 7),
                      EspPacket(EspConfig(0x1002, true), Inner(2), 9)}), 2u);
  ASSERT_EQ(r.outcomes.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Outcome& o = r.outcomes[i];
    const bool first = o.tag == 0;
    EXPECT_EQ(o.spu, first ? 1u : 0u);
    EXPECT_EQ(o.kind, first ? io::PacketKind::kEsp : io::PacketKind::kEspInUdp);
    EXPECT_EQ(o.spi, first ? 0x1001u : 0x1002u);
    EXPECT_EQ(o.seq, first ? 7u : 9u);
    EXPECT_FALSE(r.errors[i].has_value());
    EXPECT_EQ(r.packets[i], Inner(first ? 1 : 2));
  }
  EXPECT_EQ(d->spu_counters(1).decapsulated, 1u);
  EXPECT_EQ(d->spu_counters(0).decapsulated, 1u);
  EXPECT_EQ(d->spu_counters(2).processed, 0u);
  EXPECT_EQ(d->dispatch_counters().queued, 2u);
}

TEST(Dataplane, LentPacketsAreReadWithoutBeingChanged) {
  Recorder r;
  auto d = Make(2, r);
  ASSERT_EQ(*d->AddTunnel("M-1", "", {EspConfig(0x1101)}), 0u);
  ASSERT_EQ(*d->AddTunnel("M-2", "", {EspConfig(0x1102)}), 1u);
  const Bytes a = EspPacket(EspConfig(0x1101), Inner(1)), b = EspPacket(EspConfig(0x1102), Inner(2));
  std::vector<Packet> batch{{{}, a, 10}, {{}, b, 11}};
  EXPECT_EQ(d->Dispatch(batch), 2u);
  d->Drain();
  ASSERT_EQ(r.outcomes.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const bool first = r.outcomes[i].tag == 10;
    EXPECT_EQ(r.outcomes[i].spu, first ? 0u : 1u);
    EXPECT_EQ(r.packets[i], Inner(first ? 1 : 2));
  }
  // The caller's bytes are as they were.
  EXPECT_EQ(a, EspPacket(EspConfig(0x1101), Inner(1)));
  EXPECT_EQ(b, EspPacket(EspConfig(0x1102), Inner(2)));
}

TEST(Dataplane, BuffersOfProcessedPacketsComeBackToBeFilledAgain) {
  Recorder r;
  auto d = Make(1, r);
  ASSERT_TRUE(d->AddTunnel("M-1", "", {EspConfig(0x1201)}).ok());
  std::vector<Packet> batch;
  for (uint64_t s = 1; s <= 4; ++s) batch.push_back({EspPacket(EspConfig(0x1201), Inner(1), s), {}, s});
  ASSERT_EQ(d->Dispatch(batch), 4u);
  d->Drain();
  for (size_t i = 0; i < 4; ++i) batch[i].data = EspPacket(EspConfig(0x1201), Inner(1), 5 + i);
  ASSERT_EQ(d->Dispatch(batch), 4u);
  for (const Packet& p : batch) {
    EXPECT_TRUE(p.data.empty());
    EXPECT_GE(p.data.capacity(), 40u) << "a processed packet's buffer";
  }
  d->Drain();
  EXPECT_EQ(d->spu_counters(0).decapsulated, 8u);
}

TEST(Dataplane, AhIsVerifiedOnItsAnchor) {
  Recorder r;
  auto d = Make(2, r);
  ASSERT_EQ(*d->AddTunnel("M-1", "", {AhConfig(0x2001)}), 0u);  // manual
  ASSERT_EQ(*d->AddTunnel("M-2", "", {AhConfig(0x2002)}), 1u);  // least loaded
  auto sender = ah::Sa::Create(AhConfig(0x2002));
  ASSERT_TRUE(sender.ok());
  auto packet = (*sender)->Protect(Inner(3));
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(Send(*d, {*packet}), 1u);
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].spu, 1u);
  EXPECT_EQ(r.outcomes[0].kind, io::PacketKind::kAh);
  EXPECT_EQ(r.outcomes[0].seq, 1u);
  EXPECT_EQ(r.packets[0], Inner(3));
}

TEST(Dataplane, IkeGoesToItsIkeSasAnchorOnBothPorts) {
  Recorder r;
  auto d = Make(3, r);
  ASSERT_EQ(*d->AddIkeSa(Kind::kGateway, "IKE-1", IkeSpis{0x1111, 0x2222}), 0u);
  ASSERT_EQ(*d->AddIkeSa(Kind::kGateway, "IKE-2", IkeSpis{0x3333, 0x4444}), 1u);
  Bytes natt{0, 0, 0, 0};  // RFC 3948 §2.2: the non-ESP marker
  const Bytes ike = IkeHeader(0x3333, 0x4444);
  natt.insert(natt.end(), ike.begin(), ike.end());
  const std::vector<Bytes> packets{
      MakeIpPacket(4, kUdp, UdpDatagram(500, 500, IkeHeader(0x1111, 0x2222)), 0, kLeft, kRight),
      MakeIpPacket(4, kUdp, UdpDatagram(500, 500, IkeHeader(0x3333, 0)), 0, kLeft, kRight),  // IKE_SA_INIT
      MakeIpPacket(4, kUdp, UdpDatagram(4500, 4500, natt), 0, kLeft, kRight),
      MakeIpPacket(4, kUdp, UdpDatagram(500, 500, IkeHeader(0x5555, 0x6666)), 0, kLeft, kRight),
  };
  EXPECT_EQ(Send(*d, packets), 4u);  // all taken in; the SPUs route them
  EXPECT_EQ(Dropped(*d, DispatchDrop::kUnknownIkeSpi), 1u);
  ASSERT_EQ(r.outcomes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const uint64_t tag = r.outcomes[i].tag;
    EXPECT_EQ(r.outcomes[i].spu, tag == 0 ? 0u : 1u) << tag;
    EXPECT_EQ(r.outcomes[i].kind, tag == 2 ? io::PacketKind::kIkeNatT : io::PacketKind::kIke);
    // The message handed on starts at the IKE header.
    const Bytes expected = tag == 0 ? IkeHeader(0x1111, 0x2222)
                           : tag == 1 ? IkeHeader(0x3333, 0)
                                      : IkeHeader(0x3333, 0x4444);
    EXPECT_EQ(r.packets[i], expected);
  }
  EXPECT_EQ(d->spu_counters(1).ike, 2u);
}

TEST(Dataplane, DropsAreCountedPerReason) {
  Recorder r;
  auto d = Make(2, r);
  ASSERT_TRUE(d->AddTunnel("M-1", "", {EspConfig(0x3001)}).ok());
  Bytes fragment = EspPacket(EspConfig(0x3001), Inner(4));
  fragment[6] |= 0x20;  // IPv4 More Fragments
  ip::FixLengths(fragment, 4);
  const std::vector<Bytes> packets{
      Bytes{0x45, 0, 0},                                                        // malformed
      MakeIpPacket(4, kTcp, Bytes(20, 0), 0, kLeft, kRight),                   // not IPsec
      MakeIpPacket(4, kUdp, UdpDatagram(4500, 4500, {0xff}), 0, kLeft, kRight),  // NAT-keepalive
      EspPacket(EspConfig(0x3999), Inner(5)),                                  // unknown SPI
      MakeIpPacket(4, kEsp, Bytes{0, 0}, 0, kLeft, kRight),                   // no SPI
      fragment,
  };
  EXPECT_EQ(Send(*d, packets), 6u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kMalformed), 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kNotIpsec), 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kNatKeepalive), 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kUnknownSpi), 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kNoSpi), 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kFragment), 1u);
  EXPECT_EQ(d->dispatch_counters().received, 6u);
  EXPECT_TRUE(r.outcomes.empty());
  EXPECT_EQ(DropName(DispatchDrop::kUnknownSpi), "unknown_spi");
}

TEST(Dataplane, ReceiverRejectionsAreCountedOnTheSpu) {
  Recorder r;
  auto d = Make(1, r);
  ASSERT_TRUE(d->AddTunnel("M-1", "", {EspConfig(0x4001)}).ok());
  Bytes good = EspPacket(EspConfig(0x4001), Inner(6), 1);
  Bytes forged = EspPacket(EspConfig(0x4001), Inner(6), 2);
  forged.back() ^= 1;  // the ICV's last byte
  EXPECT_EQ(Send(*d, {good, good, forged}), 3u);
  const SpuCounters c = d->spu_counters(0);
  EXPECT_EQ(c.decapsulated, 1u);
  EXPECT_EQ(c.rejected[static_cast<size_t>(Code::kReplay)], 1u);
  EXPECT_EQ(c.rejected[static_cast<size_t>(Code::kIcvMismatch)], 1u);
  auto window = d->InboundWindow(iana::IpProtocol::kEsp, 0x4001);
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(window->highest(), 1u);  // the forged packet did not move it
}

TEST(Dataplane, AFullQueueDropsWhenToldTo) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> seen{0};
  auto d = Dataplane::Create({1, 2, Overflow::kDrop, [&](const Outcome&) {
                                if (seen++ == 0) released.wait();  // the SPU is busy
                              }});
  ASSERT_TRUE(d.ok());
  Dataplane& dp = **d;
  ASSERT_TRUE(dp.AddTunnel("M-1", "", {EspConfig(0x5001)}).ok());
  std::vector<Packet> first{{EspPacket(EspConfig(0x5001), Inner(7), 1), {}, 0}};
  ASSERT_EQ(dp.Dispatch(first), 1u);
  while (dp.spu_counters(0).processed == 0) std::this_thread::yield();  // it is in the sink
  std::vector<Packet> burst;
  for (uint64_t s = 2; s < 8; ++s) burst.push_back({EspPacket(EspConfig(0x5001), Inner(7), s), {}, s});
  // Two packets in flight at most (1 SPU x capacity 2); the one in the sink
  // is still in flight.
  EXPECT_EQ(dp.Dispatch(burst), 1u);
  release.set_value();
  dp.Drain();
  const DispatchCounters c = dp.dispatch_counters();
  EXPECT_EQ(c.dropped[static_cast<size_t>(DispatchDrop::kQueueFull)], 5u);
  EXPECT_EQ(c.received, 7u);
  EXPECT_EQ(c.queued, 2u);
  EXPECT_EQ(dp.spu_counters(0).decapsulated, 2u);
  // Its credit back, the dataplane takes packets again.
  std::vector<Packet> more{{EspPacket(EspConfig(0x5001), Inner(7), 9), {}, 9}};
  EXPECT_EQ(dp.Dispatch(more), 1u);
}

// Control items queued behind a busy SPU do not count against the packets'
// bound: neither Dispatch nor a hand-over to that SPU is refused for them.
TEST(Dataplane, QueuedRemovalsDoNotTakePacketsRoom) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> seen{0};
  auto d = Dataplane::Create({2, 8, Overflow::kWait, [&](const Outcome&) {
                                if (seen++ == 0) released.wait();
                              }});
  ASSERT_TRUE(d.ok());
  Dataplane& dp = **d;
  // Manual tunnels alternate: even ones on SPU0, odd ones on SPU1.
  for (uint32_t t = 0; t < 200; ++t)
    ASSERT_EQ(*dp.AddTunnel(fmt::format("M-{}", t), "", {EspConfig(0x9000 + t)}), t % 2);
  std::vector<Packet> first{{EspPacket(EspConfig(0x9000), Inner(1), 1), {}, 0}};
  ASSERT_EQ(dp.Dispatch(first), 1u);  // taken in by SPU0, where it blocks the sink
  while (dp.spu_counters(0).processed == 0) std::this_thread::yield();
  for (uint32_t t = 2; t < 200; t += 2) ASSERT_TRUE(dp.Remove(fmt::format("M-{}", t)).ok());
  // 99 removals wait on SPU0. These go in by SPU1 and SPU0 in turn, all to SPU0.
  for (uint64_t s = 2; s < 6; ++s) {
    std::vector<Packet> one{{EspPacket(EspConfig(0x9000), Inner(1), s), {}, s}};
    EXPECT_EQ(dp.Dispatch(one), 1u);
  }
  release.set_value();
  dp.Drain();
  const DispatchCounters c = dp.dispatch_counters();
  EXPECT_EQ(c.received, 5u);
  EXPECT_EQ(c.queued, 5u);
  EXPECT_EQ(c.dropped[static_cast<size_t>(DispatchDrop::kQueueFull)], 0u);
  EXPECT_EQ(dp.spu_counters(0).decapsulated, 5u);
}

TEST(Dataplane, RemovingAnIkeSaUnroutesItsTunnels) {
  Recorder r;
  auto d = Make(2, r);
  ASSERT_TRUE(d->AddIkeSa(Kind::kGateway, "IKE-1", IkeSpis{1, 2}).ok());
  ASSERT_TRUE(d->AddTunnel("IPsec-1", "IKE-1", {EspConfig(0x6001), AhConfig(0x6002)}).ok());
  ASSERT_TRUE(d->AddTunnel("M-1", "", {EspConfig(0x6003)}).ok());
  ASSERT_TRUE(d->Remove("IKE-1").ok());
  EXPECT_EQ(d->anchoring().Find("IPsec-1"), nullptr);
  EXPECT_EQ(Send(*d, {EspPacket(EspConfig(0x6001), Inner(8)), EspPacket(EspConfig(0x6003), Inner(8)),
                      MakeIpPacket(4, kUdp, UdpDatagram(500, 500, IkeHeader(1, 2)), 0, kLeft, kRight)}),
            3u);
  EXPECT_EQ(d->spu_counters(0).decapsulated + d->spu_counters(1).decapsulated, 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kUnknownSpi), 1u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kUnknownIkeSpi), 1u);
  EXPECT_EQ(d->InboundWindow(iana::IpProtocol::kAh, 0x6002).error().code, Code::kNoSa);
  // The SPIs are free again.
  ASSERT_TRUE(d->AddIkeSa(Kind::kGateway, "IKE-2").ok());
  EXPECT_TRUE(d->AddTunnel("IPsec-2", "IKE-2", {EspConfig(0x6001)}).ok());
}

TEST(Dataplane, RekeyedTunnelStaysOnItsSpuWithNewSas) {
  Recorder r;
  auto d = Make(3, r);
  ASSERT_EQ(*d->AddIkeSa(Kind::kGateway, "IKE-1"), 0u);
  ASSERT_EQ(*d->AddIkeSa(Kind::kGateway, "IKE-2"), 1u);
  ASSERT_EQ(*d->AddTunnel("IPsec-1", "IKE-2", {EspConfig(0x7001)}), 1u);
  ASSERT_EQ(*d->Rekey("IPsec-1", "IPsec-1b", {EspConfig(0x7002)}), 1u);
  EXPECT_EQ(Send(*d, {EspPacket(EspConfig(0x7001), Inner(9)), EspPacket(EspConfig(0x7002), Inner(9))}), 2u);
  EXPECT_EQ(Dropped(*d, DispatchDrop::kUnknownSpi), 1u);  // the old SPI
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].spi, 0x7002u);
  EXPECT_EQ(r.outcomes[0].spu, 1u);
  // An IKE SA is rekeyed with SPIs, a tunnel with SAs: not the other way round.
  EXPECT_EQ(d->Rekey("IKE-2", "IKE-2b", {EspConfig(0x7003)}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(d->Rekey("IPsec-1b", "IPsec-1c", {}, IkeSpis{1, 2}).error().code, Code::kInvalidArgument);
  ASSERT_EQ(*d->Rekey("IKE-2", "IKE-2b", {}, IkeSpis{5, 6}), 1u);
  EXPECT_EQ(d->anchoring().Find("IPsec-1b")->ike, "IKE-2b");
}

TEST(Dataplane, SpisAreUniquePerProtocol) {
  Recorder r;
  auto d = Make(1, r);
  ASSERT_TRUE(d->AddTunnel("M-1", "", {EspConfig(0x8001)}).ok());
  auto dup = d->AddTunnel("M-2", "", {EspConfig(0x8001)});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Code::kInvalidArgument);
  EXPECT_EQ(dup.error().requirement, "rfc4301#section-4.1");
  EXPECT_NE(dup.error().detail.find("0x00008001"), std::string::npos);
  EXPECT_EQ(d->anchoring().Find("M-2"), nullptr);  // nothing anchored on failure
  EXPECT_FALSE(d->AddTunnel("M-3", "", {EspConfig(0x8002), EspConfig(0x8002)}).ok());
  EXPECT_TRUE(d->AddTunnel("M-4", "", {AhConfig(0x8001)}).ok());  // AH has its own SPI space
}

}  // namespace
}  // namespace ipsecref::spu
