// The per-SPU dataplane under concurrency, meant to run under ThreadSanitizer
// too (preset tsan, label `concurrency`).
//
// 1. Many SAs (gateways and dynamic peers with their tunnels, manual
//    tunnels) on 1, 2 and 3 SPUs; four producer threads dispatch interleaved
//    batches through small queues with back-pressure, with duplicates sent by
//    another producer, corrupted ICVs, unknown SPIs and IKE messages (here).
// 2. The control plane adds, removes and rekeys tunnels and dynamic peers
//    while traffic flows on other tunnels of the same SPUs
//    (dataplane_churn_test.cc, in the same test binary).
//
// Dispatch hands each call's packets to one SPU (the intake SPU), which
// classifies them later on its own thread and hands each to its anchor SPU.
// So a packet is routed (or dropped for want of a route) some time after
// Dispatch returned, and the tests only assert what that leaves certain.
//
// Every expectation is counted out from how the packets were built and from
// the anchoring rules worked by hand; none is read back from the dataplane's
// own bookkeeping. The sink writes one log per SPU from that SPU's thread
// only (no lock): ThreadSanitizer checks that, and the logs are read after
// Drain, which orders them before the test thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "reference/spu/dataplane.h"
#include "reference/spu/dataplane_test_util.h"

namespace ipsecref::spu::dataplane_test {
namespace {

using io::PacketKind;

constexpr size_t kProducers = 4;

constexpr size_t kGateways = 8;
constexpr size_t kDynamicPeers = 2;
constexpr size_t kManualTunnels = 2;
constexpr size_t kTunnelsOfGateway[kGateways] = {4, 5, 6, 7, 8, 4, 5, 6};
constexpr size_t kTunnelsOfDynamicPeer[kDynamicPeers] = {4, 6};
constexpr uint64_t kDuplicateEvery = 7;  // ids 0, 7, 14, ... are sent twice
constexpr uint64_t kCorruptedPerSa = 2;
constexpr size_t kUnknownSpiPackets = 50;
constexpr uint32_t kIkeMessagesPerPeer = 5;
constexpr size_t kUnknownIkePackets = 10;

// Where the anchoring rules put the IKE SAs and manual tunnels below, added
// in this order (gateways, dynamic peers, manual tunnels), worked out by hand:
// gateways and manual tunnels go to the least loaded SPU, the lowest index on
// a tie, and both count as load; dynamic peers take the SPUs in turn from
// SPU0 and count as nothing. Tunnels go where their IKE SA is.
struct Placement {
  size_t spus;
  std::array<SpuIndex, kGateways> gateways;
  std::array<SpuIndex, kDynamicPeers> dynamic;
  std::array<SpuIndex, kManualTunnels> manual;
};
constexpr Placement kPlacements[] = {
    {1, {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0}, {0, 0}},
    // Loads after the gateways 4 4: m0 on SPU0 (tie), then 5 4: m1 on SPU1.
    {2, {0, 1, 0, 1, 0, 1, 0, 1}, {0, 1}, {0, 1}},
    // Loads after the gateways 3 3 2: m0 on SPU2, then 3 3 3: m1 on SPU0.
    {3, {0, 1, 2, 0, 1, 2, 0, 1}, {0, 1}, {2, 0}},
};

const Placement& PlacementFor(size_t spus) {
  for (const Placement& p : kPlacements)
    if (p.spus == spus) return p;
  ADD_FAILURE() << "no placement worked out for " << spus << " SPUs";
  return kPlacements[0];
}

struct IkePeer {
  std::string name;
  Kind kind;
  SpuIndex spu;  // by hand
  IkeSpis spis;
  Bytes address;
};

struct Tunnel {
  std::string name;
  std::string ike;  // empty: a manual tunnel
  SpuIndex spu;     // by hand
  Sender sender;
};

enum class What : uint8_t { kOriginal, kDuplicate, kCorrupted, kUnknownSpi, kIke, kUnknownIke };
struct Sent {
  What what;
  size_t owner = 0;  // the tunnel, or the IKE peer
  uint64_t seq = 0;
  uint64_t id = 0;
};

class DataplaneConcurrency : public ::testing::TestWithParam<size_t> {};

TEST_P(DataplaneConcurrency, EveryPacketOnceOnItsAnchorSpuWithReplaysAndBadIcvsRefused) {
  const size_t spus = GetParam();
  const Placement& where = PlacementFor(spus);
  std::vector<SpuLog> logs(spus);
  auto created = Dataplane::Create({spus, kQueueCapacity, Overflow::kWait, LogInto(logs)});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Dataplane& dp = **created;

  // --- The topology, installed by the control plane.
  std::vector<IkePeer> peers;
  for (size_t g = 0; g < kGateways; ++g)
    peers.push_back({"gw" + std::to_string(g),
                     Kind::kGateway,
                     where.gateways[g],
                     {0x1000 + g, 0x2000 + g},
                     {192, 0, 2, static_cast<uint8_t>(10 + g)}});
  for (size_t d = 0; d < kDynamicPeers; ++d)
    peers.push_back({"dyn" + std::to_string(d),
                     Kind::kDynamic,
                     where.dynamic[d],
                     {0x3000 + d, 0x4000 + d},
                     {203, 0, 113, static_cast<uint8_t>(10 + d)}});
  for (const IkePeer& p : peers) {
    auto spu = dp.AddIkeSa(p.kind, p.name, p.spis);
    ASSERT_TRUE(spu.ok()) << spu.error().ToString();
    EXPECT_EQ(*spu, p.spu) << p.name;
  }
  std::vector<Tunnel> tunnels;
  auto next_spi = [n = uint32_t{0x10000}]() mutable { return n += 0x101; };
  for (size_t m = 0; m < kManualTunnels; ++m) {
    const Bytes peer{198, 51, 100, static_cast<uint8_t>(10 + m)};
    tunnels.push_back({"manual" + std::to_string(m), "", where.manual[m],
                       Sender(GcmSa(next_spi(), peer, false))});
  }
  for (size_t p = 0; p < peers.size(); ++p) {
    const bool dynamic = peers[p].kind == Kind::kDynamic;
    const size_t n = dynamic ? kTunnelsOfDynamicPeer[p - kGateways] : kTunnelsOfGateway[p];
    for (size_t i = 0; i < n; ++i) {
      tunnels.push_back({peers[p].name + "-t" + std::to_string(i), peers[p].name, peers[p].spu,
                         Sender(GcmSa(next_spi(), peers[p].address, /*udp=*/dynamic))});
    }
  }
  for (Tunnel& t : tunnels) {
    auto spu = dp.AddTunnel(t.name, t.ike, {t.sender.config});
    ASSERT_TRUE(spu.ok()) << spu.error().ToString();
    EXPECT_EQ(*spu, t.spu) << t.name;
  }
  const Anchoring anchoring = dp.anchoring();
  for (const Tunnel& t : tunnels) {
    const Anchor* a = anchoring.Find(t.name);
    ASSERT_NE(a, nullptr) << t.name;
    EXPECT_EQ(a->spu, t.spu) << t.name;
  }

  // --- Every packet built before any producer starts. Each SA's packets
  // are spread over the producers at random; a duplicate goes to another
  // producer than its original.
  std::mt19937_64 rng(20261127 + spus);
  std::uniform_int_distribution<size_t> any_producer(0, kProducers - 1);
  std::uniform_int_distribution<size_t> other_producer(1, kProducers - 1);
  std::vector<ProducerLoad> loads(kProducers);
  std::vector<Sent> sends;
  auto send = [&](Sent s, Bytes wire, size_t producer) {
    loads[producer].packets.push_back(Owned(std::move(wire), sends.size()));
    sends.push_back(s);
  };
  uint64_t next_id = 0;
  std::vector<bool> duplicated;
  for (size_t round = 0;; ++round) {
    bool any = false;
    for (size_t t = 0; t < tunnels.size(); ++t) {
      if (round >= 150 + 20 * (t % 9)) continue;  // 150 to 310 packets per SA
      any = true;
      const uint64_t id = next_id++;
      Bytes wire = tunnels[t].sender.Next(id);
      const Sent original{What::kOriginal, t, tunnels[t].sender.sent, id};
      const size_t p = any_producer(rng);
      duplicated.push_back(id % kDuplicateEvery == 0);
      if (duplicated.back()) {
        send({What::kDuplicate, t, original.seq, id}, wire, (p + other_producer(rng)) % kProducers);
      }
      send(original, std::move(wire), p);
    }
    if (!any) break;
  }
  for (size_t t = 0; t < tunnels.size(); ++t) {
    const uint64_t last = tunnels[t].sender.sent;
    for (uint64_t j = 1; j <= kCorruptedPerSa; ++j) {
      send({What::kCorrupted, t, last + j, next_id}, tunnels[t].sender.Corrupted(next_id, last + j),
           any_producer(rng));
      ++next_id;
    }
  }
  for (size_t j = 0; j < kUnknownSpiPackets; ++j) {
    Sender stranger(GcmSa(0xdead0000 + static_cast<uint32_t>(j), {192, 0, 2, 99}, j % 2 == 1));
    send({What::kUnknownSpi, 0, 1, next_id}, stranger.Next(next_id), any_producer(rng));
    ++next_id;
  }
  for (size_t p = 0; p < peers.size(); ++p) {
    for (uint32_t m = 0; m < kIkeMessagesPerPeer; ++m) {
      // The last one as a retransmitted first request: responder SPI zero.
      IkeSpis spis = peers[p].spis;
      if (m + 1 == kIkeMessagesPerPeer) spis.responder = 0;
      const uint64_t id = 1000 * p + m;
      send({What::kIke, p, 0, id}, IkePacket(spis, static_cast<uint32_t>(id), peers[p].address),
           any_producer(rng));
    }
  }
  for (size_t j = 0; j < kUnknownIkePackets; ++j)
    send({What::kUnknownIke, 0, 0, j}, IkePacket({0xbad0 + j, 0xbad1}, 0, {192, 0, 2, 98}),
         any_producer(rng));
  std::vector<std::vector<uint64_t>> calls;
  for (ProducerLoad& load : loads) {
    std::shuffle(load.packets.begin(), load.packets.end(), rng);
    CutIntoBatches(load, rng);
    for (auto& call : CallsOf(load)) calls.push_back(std::move(call));
  }

  std::array<uint64_t, 6> count{};
  for (const Sent& s : sends) ++count[static_cast<size_t>(s.what)];
  const uint64_t originals = count[0], duplicates = count[1], corrupted = count[2],
                 unknown = count[3], ike = count[4], unknown_ike = count[5];
  ASSERT_EQ(originals, next_id - corrupted - unknown);

  // --- Traffic.
  RunProducers(dp, loads);
  dp.Drain();

  // --- Counters. With Overflow::kWait every packet is taken in; those
  // without an SA are taken too, and dropped by the intake SPU that
  // classifies them.
  const DispatchCounters dc = dp.dispatch_counters();
  EXPECT_EQ(dc.received, sends.size());
  EXPECT_EQ(dc.queued, sends.size()) << "the producers wait for room: every packet taken in";
  EXPECT_EQ(Drop(dc, DispatchDrop::kQueueFull), 0u);
  EXPECT_EQ(dc.received, dc.queued + Drop(dc, DispatchDrop::kQueueFull));
  EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownSpi), unknown);
  EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownIkeSpi), unknown_ike);
  EXPECT_EQ(Sum(dc.dropped), unknown + unknown_ike) << "no other drops";
  size_t returned = 0;
  for (const ProducerLoad& load : loads) returned += load.queued;
  EXPECT_EQ(returned, sends.size()) << "what Dispatch returned: taken in, not routed";

  // By hand: the originals of the tunnels anchored on each SPU.
  std::vector<uint64_t> decapsulated_on(spus, 0);
  for (const Sent& s : sends)
    if (s.what == What::kOriginal) ++decapsulated_on[tunnels[s.owner].spu];
  SpuCounters total;
  for (SpuIndex s = 0; s < spus; ++s) {
    const SpuCounters c = dp.spu_counters(s);
    EXPECT_EQ(c.processed, logs[s].records.size()) << "SPU" << s;
    EXPECT_EQ(c.decapsulated, decapsulated_on[s]) << "SPU" << s;
    total.processed += c.processed;
    total.decapsulated += c.decapsulated;
    total.ike += c.ike;
    for (size_t i = 0; i < kCodeCount; ++i) total.rejected[i] += c.rejected[i];
  }
  EXPECT_EQ(total.processed, originals + duplicates + corrupted + ike);
  // Everything taken in is dropped at classification or processed.
  EXPECT_EQ(dc.queued, Sum(dc.dropped) - Drop(dc, DispatchDrop::kQueueFull) + total.processed);
  EXPECT_EQ(total.decapsulated, originals);
  EXPECT_EQ(total.ike, ike);
  for (size_t i = 0; i < kCodeCount; ++i) {
    const Code code = static_cast<Code>(i);
    const uint64_t expected = code == Code::kReplay        ? duplicates
                              : code == Code::kIcvMismatch ? corrupted
                                                           : 0;
    EXPECT_EQ(total.rejected[i], expected) << CodeName(code);
  }

  // --- Every packet's fate, from the logs.
  ExpectOneThreadPerSpu(logs);
  std::vector<int> seen(sends.size(), 0), accepted(next_id, 0), replayed(next_id, 0);
  for (SpuIndex s = 0; s < spus; ++s) {
    for (const Record& r : logs[s].records) {
      ASSERT_LT(r.tag, sends.size());
      EXPECT_EQ(++seen[r.tag], 1) << "tag " << r.tag << " processed twice";
      const Sent& sent = sends[r.tag];
      switch (sent.what) {
        case What::kOriginal:
        case What::kDuplicate: {
          const Tunnel& t = tunnels[sent.owner];
          EXPECT_EQ(s, anchoring.Find(t.name)->spu) << t.name << " seq " << sent.seq;
          EXPECT_EQ(r.spi, t.sender.config.spi);
          if (!r.code) {
            EXPECT_EQ(r.seq, sent.seq) << t.name;
            EXPECT_EQ(r.id, sent.id) << t.name << " seq " << sent.seq << ": inner packet altered";
            ++accepted[sent.id];
          } else {
            EXPECT_EQ(*r.code, Code::kReplay)
                << t.name << " seq " << sent.seq << ": " << CodeName(*r.code);
            ++replayed[sent.id];
          }
          break;
        }
        case What::kCorrupted: {
          const Tunnel& t = tunnels[sent.owner];
          EXPECT_EQ(s, anchoring.Find(t.name)->spu) << t.name;
          ASSERT_TRUE(r.code.has_value()) << t.name << " accepted a corrupted ICV";
          EXPECT_EQ(*r.code, Code::kIcvMismatch) << t.name << ": " << CodeName(*r.code);
          break;
        }
        case What::kIke: {
          const IkePeer& p = peers[sent.owner];
          EXPECT_EQ(s, p.spu) << p.name;
          EXPECT_EQ(r.kind, PacketKind::kIke);
          EXPECT_FALSE(r.code.has_value());
          EXPECT_EQ(r.id, sent.id) << p.name << ": IKE message altered";
          EXPECT_EQ(r.ike_spi_i, p.spis.initiator);
          break;
        }
        case What::kUnknownSpi:
        case What::kUnknownIke:
          ADD_FAILURE() << "tag " << r.tag << " has no SA but reached SPU" << s;
          break;
      }
    }
  }
  size_t never_processed = 0, not_once = 0, replays_wrong = 0;
  for (size_t tag = 0; tag < sends.size(); ++tag) {
    const What w = sends[tag].what;
    never_processed += seen[tag] == 0 && w != What::kUnknownSpi && w != What::kUnknownIke;
  }
  for (uint64_t id = 0; id < duplicated.size(); ++id) {
    not_once += accepted[id] != 1;
    replays_wrong += replayed[id] != (duplicated[id] ? 1 : 0);
  }
  EXPECT_EQ(never_processed, 0u);
  EXPECT_EQ(not_once, 0u) << "originals not decapsulated exactly once";
  EXPECT_EQ(replays_wrong, 0u) << "duplicates not refused exactly once as replays";
  // Within one Dispatch call, each SA's (and IKE SA's) packets keep their order.
  ExpectOrderKeptWithinCalls(calls, PlacesInLogs(logs, sends.size()), [&](uint64_t tag) {
    const Sent& s = sends[tag];
    return s.what == What::kIke ? tunnels.size() + s.owner : s.owner;
  });

  // --- Replay windows, read on their SPUs.
  for (const Tunnel& t : tunnels) ExpectExactWindow(dp, t.name, t.sender, kCorruptedPerSa);
}

INSTANTIATE_TEST_SUITE_P(Spus, DataplaneConcurrency, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "Spus"; });

}  // namespace
}  // namespace ipsecref::spu::dataplane_test
