// The per-SPU dataplane under concurrency, meant to run under ThreadSanitizer
// too (preset tsan, label `concurrency`).
//
// 1. Many SAs (gateways and dynamic peers with their tunnels, manual
//    tunnels) on 1, 2 and 3 SPUs; four producer threads dispatch interleaved
//    batches through small queues with back-pressure, with duplicates sent by
//    another producer, corrupted ICVs, unknown SPIs and IKE messages.
// 2. The control plane adds, removes and rekeys tunnels and dynamic peers
//    while traffic flows on other tunnels of the same SPUs.
//
// Every expectation is counted out from how the packets were built and from
// the anchoring rules worked by hand; none is read back from the dataplane's
// own bookkeeping. The sink writes one log per SPU from that SPU's thread
// only (no lock): ThreadSanitizer checks that, and the logs are read after
// Drain, which orders them before the test thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <latch>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "reference/esp/esp_packet.h"
#include "reference/spu/dataplane.h"
#include "reference/testing/generators.h"

namespace ipsecref::spu {
namespace {

using iana::IpProtocol;
using io::PacketKind;

constexpr size_t kProducers = 4;
constexpr size_t kMaxBatch = 40;
// Small, so that the producers outrun the SPUs and wait (Overflow::kWait).
constexpr size_t kQueueCapacity = 64;
//= rfc4303#section-3.4.3
//# A packet whose sequence number is left of the window is dropped as stale,
//# a duplicate inside it as a replay.
// The producers reorder each SA's packets freely (four threads, shuffled
// lists), so a packet may arrive after any number of higher ones of its SA.
// With a window at least as large as the packets sent per SA, no sequence
// number ever falls left of it: every original is accepted, and every
// duplicate, however late, is a replay (kReplay), never stale (kStale).
constexpr uint32_t kReplayWindow = 1024;
constexpr uint8_t kInnerProtocol = 253;  // RFC 3692: experimentation and testing
constexpr uint64_t kNoId = ~uint64_t{0};

uint64_t LoadU64(const uint8_t* p) { return uint64_t{LoadU32(p)} << 32 | LoadU32(p + 4); }
std::string_view CodeName(Code code) { return Describe(code).name; }

// ------------------------------------------------------------------ packets

const Bytes kOurAddress{192, 0, 2, 1};

// The inner IPv4 packet with payload `id`: 8 bytes of id, then a filler
// whose length and bytes follow from the id.
Bytes InnerPacket(uint64_t id) {
  Bytes payload(8 + id % 57);
  StoreU64(payload.data(), id);
  for (size_t i = 8; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(id * 31 + i);
  return testing::MakeIpPacket(4, kInnerProtocol, payload, 0, {10, 1, 0, 1}, {10, 2, 0, 1});
}

// The id an inner packet carries; kNoId unless it is, byte for byte, the
// packet InnerPacket built for that id.
uint64_t InnerId(ByteSpan packet) {
  if (packet.size() < 28) return kNoId;
  const uint64_t id = LoadU64(packet.data() + 20);
  return std::ranges::equal(packet, InnerPacket(id)) ? id : kNoId;
}

//= rfc7296#section-3.1
//# The IKE header: SPIi, SPIr, next payload, version 2.0, exchange type,
//# flags, message ID, length; 28 bytes.
Bytes IkeMessage(IkeSpis spis, uint32_t message_id) {
  Bytes m(28);
  StoreU64(m.data(), spis.initiator);
  StoreU64(m.data() + 8, spis.responder);
  m[16] = 0;     // no payload
  m[17] = 0x20;  // IKEv2
  m[18] = 37;    // INFORMATIONAL
  m[19] = 0x08;  // from the initiator
  StoreU32(m.data() + 20, message_id);
  StoreU32(m.data() + 24, 28);
  return m;
}

Bytes IkePacket(IkeSpis spis, uint32_t message_id, const Bytes& peer) {
  Bytes udp(8);
  StoreU16(udp.data(), 500);
  StoreU16(udp.data() + 2, 500);
  StoreU16(udp.data() + 4, 8 + 28);  // checksum 0: none (IPv4)
  const Bytes m = IkeMessage(spis, message_id);
  udp.insert(udp.end(), m.begin(), m.end());
  return testing::MakeIpPacket(4, 17, udp, 0, peer, kOurAddress);
}

// The message ID of an IKE message, kNoId unless it is exactly the message
// IkeMessage built for its SPIs and that ID.
uint64_t IkeId(ByteSpan m) {
  if (m.size() != 28) return kNoId;
  const uint32_t id = LoadU32(m.data() + 20);
  const IkeSpis spis{LoadU64(m.data()), LoadU64(m.data() + 8)};
  return std::ranges::equal(m, IkeMessage(spis, id)) ? id : kNoId;
}

// AES-GCM-16 with a 128-bit key (16 bytes of key, 4 of salt), tunnel mode.
esp::SaConfig GcmSa(uint32_t spi, const Bytes& peer, bool udp) {
  esp::SaConfig c;
  c.spi = spi;
  c.mode = esp::Mode::kTunnel;
  c.encr = iana::Encr::kAesGcm16;
  c.encr_key = SecureBytes(16 + 4);
  for (size_t i = 0; i < c.encr_key.size(); ++i) c.encr_key[i] = static_cast<uint8_t>(spi * 7 + i);
  c.replay_window = kReplayWindow;
  if (udp) c.udp = esp::UdpEncapsulation{};  // a peer behind NAT (RFC 3948)
  c.tunnel_src = peer;
  c.tunnel_dst = kOurAddress;
  return c;
}

// The sender's end of an inbound SA: same configuration, its own counter.
struct Sender {
  esp::SaConfig config;
  std::unique_ptr<esp::Sa> sa;
  uint64_t sent = 0;  // sequence numbers 1..sent went out

  explicit Sender(esp::SaConfig c) : config(std::move(c)) {
    auto s = esp::Sa::Create(config);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    if (s.ok()) sa = std::move(s).value();
  }
  // The next packet, carrying `id`.
  Bytes Next(uint64_t id) {
    Bytes wire;
    EXPECT_TRUE(esp::Encapsulate(*sa, InnerPacket(id), wire).ok());
    EXPECT_EQ(sa->last_sent_seq(), ++sent);
    return wire;
  }
  // A packet with sequence number `seq` (the counter untouched) whose ICV's
  // last byte is flipped.
  Bytes Corrupted(uint64_t id, uint64_t seq) {
    Bytes wire;
    EXPECT_TRUE(esp::Encapsulate(*sa, InnerPacket(id), wire, {.seq = seq}).ok());
    wire.back() ^= 0x01;
    return wire;
  }
};

// ---------------------------------------------------------------- the sink

struct Record {
  SpuIndex spu = 0;
  std::thread::id thread;
  PacketKind kind = PacketKind::kEsp;
  uint32_t spi = 0;
  uint64_t seq = 0;
  uint64_t tag = 0;
  uint64_t id = kNoId;       // accepted ESP: the inner packet's; IKE: the message ID
  uint64_t ike_spi_i = 0;    // IKE
  std::optional<Code> code;  // set when the SPU refused the packet
};

// One SPU's log, written by that SPU's thread only.
struct alignas(64) SpuLog {
  std::vector<Record> records;
};

Sink LogInto(std::vector<SpuLog>& logs) {
  return [&logs](const Outcome& o) {
    Record r{o.spu, std::this_thread::get_id(), o.kind, o.spi, o.seq, o.tag};
    const bool ike = o.kind == PacketKind::kIke || o.kind == PacketKind::kIkeNatT;
    if (o.error != nullptr) {
      r.code = o.error->code;
    } else if (ike) {
      r.id = IkeId(o.packet);
      if (o.packet.size() >= 8) r.ike_spi_i = LoadU64(o.packet.data());
    } else {
      r.id = InnerId(o.packet);
    }
    logs.at(o.spu).records.push_back(r);
  };
}

// Each SPU's log was written by one thread of its own, not the test's.
void ExpectOneThreadPerSpu(const std::vector<SpuLog>& logs) {
  std::vector<std::thread::id> threads;
  for (size_t s = 0; s < logs.size(); ++s) {
    const auto& records = logs[s].records;
    if (records.empty()) continue;
    const std::thread::id t = records.front().thread;
    EXPECT_NE(t, std::this_thread::get_id()) << "SPU" << s;
    EXPECT_EQ(std::ranges::count(threads, t), 0) << "SPU" << s << " shares its thread";
    threads.push_back(t);
    for (const Record& r : records) {
      EXPECT_EQ(r.thread, t) << "SPU" << s << " tag " << r.tag;
      EXPECT_EQ(r.spu, s) << "tag " << r.tag;
    }
  }
}

// --------------------------------------------------------------- producers

struct ProducerLoad {
  std::vector<Packet> packets;
  std::vector<size_t> batches;  // sizes, summing to packets.size()
  size_t queued = 0;            // what Dispatch returned, summed
};

void CutIntoBatches(ProducerLoad& load, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> size(1, kMaxBatch);
  for (size_t left = load.packets.size(); left > 0;) {
    const size_t n = std::min(left, size(rng));
    load.batches.push_back(n);
    left -= n;
  }
}

// Runs the producers on threads of their own, all released at once.
void RunProducers(Dataplane& dp, std::vector<ProducerLoad>& loads) {
  std::latch start(static_cast<std::ptrdiff_t>(loads.size()));
  std::vector<std::thread> threads;
  for (ProducerLoad& load : loads) {
    threads.emplace_back([&dp, &load, &start] {
      start.arrive_and_wait();
      std::span<Packet> rest(load.packets);
      for (size_t n : load.batches) {
        load.queued += dp.Dispatch(rest.first(n));
        rest = rest.subspan(n);
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

// Checks an inbound SA's window after Drain: the highest number is the last
// one sent, every number sent is a replay now, and `unused` numbers above it
// (sent only with a bad ICV) are still free.
void ExpectExactWindow(Dataplane& dp, const std::string& name, const Sender& s,
                       uint64_t unused = 0) {
  auto w = dp.InboundWindow(IpProtocol::kEsp, s.config.spi);
  ASSERT_TRUE(w.ok()) << name << ": " << w.error().ToString();
  EXPECT_EQ(w->highest(), s.sent) << name;
  size_t not_replay = 0, not_free = 0;
  for (uint64_t seq = 1; seq <= s.sent; ++seq) {
    auto c = w->Check(static_cast<uint32_t>(seq));
    not_replay += c.ok() || c.error().code != Code::kReplay;
  }
  for (uint64_t seq = s.sent + 1; seq <= s.sent + unused; ++seq)
    not_free += !w->Check(static_cast<uint32_t>(seq)).ok();
  EXPECT_EQ(not_replay, 0u) << name << ": sent numbers that Check does not call a replay";
  EXPECT_EQ(not_free, 0u) << name << ": numbers only sent with a bad ICV that Check refuses";
}

uint64_t Sum(const std::array<uint64_t, kDispatchDrops>& a) {
  uint64_t n = 0;
  for (uint64_t x : a) n += x;
  return n;
}

// The SPU a control-plane call placed something on; a failure if refused.
constexpr SpuIndex kRefused = 0xffffffff;
SpuIndex Placed(const Result<SpuIndex>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : kRefused;
}

uint64_t Drop(const DispatchCounters& c, DispatchDrop d) {
  return c.dropped[static_cast<size_t>(d)];
}

// ===================================================== 1. many SAs, much traffic

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
    loads[producer].packets.push_back(Packet{std::move(wire), sends.size()});
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
  for (ProducerLoad& load : loads) {
    std::shuffle(load.packets.begin(), load.packets.end(), rng);
    CutIntoBatches(load, rng);
  }

  std::array<uint64_t, 6> count{};
  for (const Sent& s : sends) ++count[static_cast<size_t>(s.what)];
  const uint64_t originals = count[0], duplicates = count[1], corrupted = count[2],
                 unknown = count[3], ike = count[4], unknown_ike = count[5];
  ASSERT_EQ(originals, next_id - corrupted - unknown);

  // --- Traffic.
  RunProducers(dp, loads);
  dp.Drain();

  // --- Counters.
  const uint64_t queued = originals + duplicates + corrupted + ike;
  const DispatchCounters dc = dp.dispatch_counters();
  EXPECT_EQ(dc.received, sends.size());
  EXPECT_EQ(dc.queued, queued);
  EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownSpi), unknown);
  EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownIkeSpi), unknown_ike);
  EXPECT_EQ(Sum(dc.dropped), unknown + unknown_ike)
      << "no other drops: the producers wait for room";
  EXPECT_EQ(dc.received, dc.queued + Sum(dc.dropped));
  size_t returned = 0;
  for (const ProducerLoad& load : loads) returned += load.queued;
  EXPECT_EQ(returned, queued);

  std::vector<uint64_t> decapsulated_on(spus,
                                        0);  // by hand: originals of the tunnels anchored there
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
  EXPECT_EQ(total.processed, dc.queued);
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

  // --- Replay windows, read on their SPUs.
  for (const Tunnel& t : tunnels) ExpectExactWindow(dp, t.name, t.sender, kCorruptedPerSa);
}

// ============================================ 2. tunnels come and go under traffic

constexpr size_t kChurnGateways = 3;
constexpr size_t kStableTunnelsPerGateway = 3;
constexpr size_t kStablePackets = 300;  // per stable SA
constexpr size_t kRounds = 48;
constexpr size_t kChurnPackets = 32;  // per churned SA
constexpr size_t kStableProducers = 2;

// The gateways gw0..gw2, then the manual tunnel, placed by hand as above.
struct ChurnPlacement {
  size_t spus;
  std::array<SpuIndex, kChurnGateways> gateways;
  SpuIndex manual;
};
constexpr ChurnPlacement kChurnPlacements[] = {
    {1, {0, 0, 0}, 0},
    {2, {0, 1, 0}, 1},  // loads 2 1
    {3, {0, 1, 2}, 0},  // loads 1 1 1
};

// What happens to the churned tunnel(s) of a round.
enum class Churn : uint8_t {
  kRemoveTunnel,  // a tunnel over a gateway, removed
  kRemovePeer,    // a dynamic peer with two tunnels, removed with them
  kRekeyTunnel,   // a tunnel over a gateway, rekeyed: the new SA stays
};
Churn ChurnOf(size_t round) {
  switch (round % 4) {
    case 2:
      return Churn::kRemovePeer;
    case 3:
      return Churn::kRekeyTunnel;
    default:
      return Churn::kRemoveTunnel;
  }
}

struct ChurnedSa {
  std::string name;
  SpuIndex spu;
  Sender sender;
  size_t round;
};

enum class Role : uint8_t { kStable, kChurned, kMarker, kSuccessor };
struct Tagged {
  Role role;
  size_t owner;  // index into stable, churned, markers or successors
  uint64_t seq;
  uint64_t id;
};

TEST_P(DataplaneConcurrency, RemovalAndRekeyNeverDisturbOtherTunnels) {
  const size_t spus = GetParam();
  const ChurnPlacement* where = nullptr;
  for (const ChurnPlacement& p : kChurnPlacements) where = p.spus == spus ? &p : where;
  ASSERT_NE(where, nullptr);
  std::vector<SpuLog> logs(spus);
  auto created = Dataplane::Create({spus, kQueueCapacity, Overflow::kWait, LogInto(logs)});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Dataplane& dp = **created;

  std::vector<Tagged> tags;
  uint64_t next_id = 0;
  auto next_spi = [n = uint32_t{0x20000}]() mutable { return n += 0x11; };

  // --- What stays: gateways with tunnels, one marker tunnel per gateway, a
  // manual tunnel.
  struct Stable {
    std::string name;
    SpuIndex spu;
    Sender sender;
  };
  std::vector<Stable> stable, markers;
  for (size_t g = 0; g < kChurnGateways; ++g) {
    const std::string gw = "gw" + std::to_string(g);
    auto spu = dp.AddIkeSa(Kind::kGateway, gw);
    ASSERT_TRUE(spu.ok()) << spu.error().ToString();
    ASSERT_EQ(*spu, where->gateways[g]) << gw;
  }
  {
    Stable m{"manual", where->manual, Sender(GcmSa(next_spi(), {198, 51, 100, 1}, false))};
    auto spu = dp.AddTunnel(m.name, "", {m.sender.config});
    ASSERT_TRUE(spu.ok()) << spu.error().ToString();
    ASSERT_EQ(*spu, m.spu);
    stable.push_back(std::move(m));
  }
  for (size_t g = 0; g < kChurnGateways; ++g) {
    const Bytes peer{192, 0, 2, static_cast<uint8_t>(10 + g)};
    for (size_t i = 0; i <= kStableTunnelsPerGateway; ++i) {
      const bool marker = i == kStableTunnelsPerGateway;
      Stable t{"gw" + std::to_string(g) + (marker ? "-marker" : "-t" + std::to_string(i)),
               where->gateways[g], Sender(GcmSa(next_spi(), peer, false))};
      auto spu = dp.AddTunnel(t.name, "gw" + std::to_string(g), {t.sender.config});
      ASSERT_TRUE(spu.ok()) << spu.error().ToString();
      ASSERT_EQ(*spu, t.spu) << t.name;
      (marker ? markers : stable).push_back(std::move(t));
    }
  }
  // The marker tunnel on each SPU: that of the first gateway anchored there.
  std::vector<size_t> marker_of(spus);
  for (SpuIndex s = 0; s < spus; ++s) {
    marker_of[s] =
        static_cast<size_t>(std::ranges::find(where->gateways, s) - where->gateways.begin());
    ASSERT_LT(marker_of[s], kChurnGateways);
  }

  // --- Stable traffic, pre-built, in one segment per round per producer: a
  // producer dispatches segment r once round r has begun, so that stable
  // traffic flows while every round adds and removes.
  std::mt19937_64 rng(777 + spus);
  std::vector<std::vector<ProducerLoad>> segments(kStableProducers,
                                                  std::vector<ProducerLoad>(kRounds));
  std::uniform_int_distribution<size_t> any_segment(0, kRounds - 1),
      any_stable(0, kStableProducers - 1);
  for (size_t k = 0; k < kStablePackets; ++k) {
    for (size_t i = 0; i < stable.size(); ++i) {
      const uint64_t id = next_id++;
      Bytes wire = stable[i].sender.Next(id);
      ProducerLoad& seg = segments[any_stable(rng)][any_segment(rng)];
      seg.packets.push_back(Packet{std::move(wire), tags.size()});
      tags.push_back({Role::kStable, i, stable[i].sender.sent, id});
    }
  }
  for (auto& producer : segments)
    for (ProducerLoad& seg : producer) CutIntoBatches(seg, rng);

  // --- The churned SAs and their packets, pre-built, one list per round
  // (a dynamic peer's two tunnels interleaved).
  std::vector<ChurnedSa> churned;
  std::vector<Stable> successors;  // rekey rounds: the new SA, staying
  std::vector<size_t> successor_of(kRounds, SIZE_MAX);
  std::vector<ProducerLoad> churn_lists(kRounds);
  std::vector<std::vector<Packet>> successor_packets(kRounds);
  for (size_t r = 0; r < kRounds; ++r) {
    const size_t g = r % kChurnGateways;
    const Bytes peer{203, 0, 113, static_cast<uint8_t>(r)};
    const bool two = ChurnOf(r) == Churn::kRemovePeer;
    // k-th dynamic peer: the k-th turn, SPU k mod spus.
    const SpuIndex spu = two ? static_cast<SpuIndex>((r / 4) % spus) : where->gateways[g];
    const size_t first = churned.size();
    for (size_t i = 0; i < (two ? 2u : 1u); ++i)
      churned.push_back({"churn" + std::to_string(r) + (two ? "-" + std::to_string(i) : ""), spu,
                         Sender(GcmSa(next_spi(), peer, two)), r});
    for (size_t k = 0; k < kChurnPackets; ++k) {
      for (size_t c = first; c < churned.size(); ++c) {
        const uint64_t id = next_id++;
        churn_lists[r].packets.push_back(Packet{churned[c].sender.Next(id), tags.size()});
        tags.push_back({Role::kChurned, c, churned[c].sender.sent, id});
      }
    }
    if (ChurnOf(r) == Churn::kRekeyTunnel) {
      successor_of[r] = successors.size();
      successors.push_back(
          {churned[first].name + "-rekeyed", spu, Sender(GcmSa(next_spi(), peer, false))});
      for (size_t k = 0; k < kChurnPackets; ++k) {
        const uint64_t id = next_id++;
        successor_packets[r].push_back(Packet{successors.back().sender.Next(id), tags.size()});
        tags.push_back(
            {Role::kSuccessor, successors.size() - 1, successors.back().sender.sent, id});
      }
    }
  }

  // --- Threads: the stable producers and the churn producer; the control
  // plane is this thread. The churn producer hands a round's packets over
  // one at a time: the first quarter of the list whenever (before or after
  // the tunnels are added), the next half once the addition has returned,
  // the last quarter once the removal has returned. The removal begins once
  // a quarter of the list has gone after the addition, while the middle half
  // is still going.
  std::atomic<size_t> begun{0};           // rounds begun
  std::atomic<size_t> added{0};           // rounds whose additions have returned
  std::atomic<size_t> removed{0};         // rounds whose removal or rekey has returned
  std::atomic<size_t> finished{0};        // rounds the churn producer is done with
  std::atomic<size_t> progress{0};        // this round's packets whose Dispatch returned
  std::atomic<size_t> after_addition{0};  // of them, dispatched once `added` said so
  enum class Phase : uint8_t { kBeforeAddition, kAfterAddition, kAfterRemoval };
  struct Fate {
    Phase phase = Phase::kBeforeAddition;  // what the producer had seen before Dispatch
    bool queued = false;                   // what Dispatch said
    size_t index = 0;                      // in its round's list
  };
  std::vector<Fate> fates(tags.size());            // churned packets, by tag
  std::vector<size_t> before_removal(kRounds, 0);  // progress seen just before the removal began
  auto wait_for = [](const std::atomic<size_t>& a, size_t at_least) {
    while (a.load(std::memory_order_acquire) < at_least) std::this_thread::yield();
  };
  std::vector<std::thread> threads;
  for (size_t p = 0; p < kStableProducers; ++p) {
    threads.emplace_back([&, p] {
      for (size_t r = 0; r < kRounds; ++r) {
        wait_for(begun, r + 1);
        ProducerLoad& seg = segments[p][r];
        std::span<Packet> rest(seg.packets);
        for (size_t n : seg.batches) {
          seg.queued += dp.Dispatch(rest.first(n));
          rest = rest.subspan(n);
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (size_t r = 0; r < kRounds; ++r) {
      wait_for(begun, r + 1);
      std::vector<Packet>& list = churn_lists[r].packets;
      for (size_t i = 0; i < list.size(); ++i) {
        if (i == list.size() / 4) wait_for(added, r + 1);
        if (i == list.size() * 3 / 4) wait_for(removed, r + 1);
        Fate& f = fates[list[i].tag];
        f.index = i;
        f.phase = removed.load(std::memory_order_acquire) > r ? Phase::kAfterRemoval
                  : added.load(std::memory_order_acquire) > r ? Phase::kAfterAddition
                                                              : Phase::kBeforeAddition;
        f.queued = dp.Dispatch(std::span(&list[i], 1)) == 1;
        churn_lists[r].queued += f.queued;
        if (f.phase == Phase::kAfterAddition)
          after_addition.fetch_add(1, std::memory_order_release);
        progress.store(i + 1, std::memory_order_release);
      }
      finished.store(r + 1, std::memory_order_release);
    }
  });

  std::vector<uint64_t> marker_tag(kRounds);
  std::vector<SpuIndex> round_spu(kRounds);
  size_t marker_queued = 0, successor_queued = 0;
  for (size_t r = 0; r < kRounds; ++r) {
    const std::string gw = "gw" + std::to_string(r % kChurnGateways);
    ChurnedSa* first = nullptr;
    for (ChurnedSa& c : churned) first = first == nullptr && c.round == r ? &c : first;
    round_spu[r] = first->spu;
    const Churn churn = ChurnOf(r);
    const std::string peer = "peer" + std::to_string(r);
    progress.store(0, std::memory_order_relaxed);
    after_addition.store(0, std::memory_order_relaxed);
    begun.store(r + 1, std::memory_order_release);
    // Failures here are not fatal: the threads must see every round through.
    if (churn == Churn::kRemovePeer) {
      EXPECT_EQ(Placed(dp.AddIkeSa(Kind::kDynamic, peer)), first->spu) << peer;
    }
    for (ChurnedSa& c : churned) {
      if (c.round != r) continue;
      EXPECT_EQ(
          Placed(dp.AddTunnel(c.name, churn == Churn::kRemovePeer ? peer : gw, {c.sender.config})),
          c.spu)
          << c.name;
    }
    added.store(r + 1, std::memory_order_release);
    wait_for(after_addition, churn_lists[r].packets.size() / 4);
    before_removal[r] = progress.load(std::memory_order_acquire);
    if (churn == Churn::kRekeyTunnel) {
      const Stable& next = successors[successor_of[r]];
      EXPECT_EQ(Placed(dp.Rekey(first->name, next.name, {next.sender.config})), next.spu)
          << next.name;
    } else {
      const Status status = dp.Remove(churn == Churn::kRemovePeer ? peer : first->name);
      EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().ToString());
    }
    removed.store(r + 1, std::memory_order_release);
    // The marker follows the removal into the SPU's queue: no packet of the
    // removed SAs may be accepted after it.
    Stable& marker = markers[marker_of[first->spu]];
    const uint64_t id = next_id++;
    marker_tag[r] = tags.size();
    std::vector<Packet> one{Packet{marker.sender.Next(id), tags.size()}};
    tags.push_back({Role::kMarker, marker_of[first->spu], marker.sender.sent, id});
    marker_queued += dp.Dispatch(one);
    successor_queued += dp.Dispatch(successor_packets[r]);
    wait_for(finished, r + 1);
  }
  for (std::thread& t : threads) t.join();
  dp.Drain();

  // --- Handing over.
  EXPECT_EQ(marker_queued, kRounds);
  EXPECT_EQ(successor_queued, successors.size() * kChurnPackets);
  size_t stable_sent = 0, stable_queued = 0, churn_sent = 0, churn_queued = 0;
  for (auto& producer : segments)
    for (ProducerLoad& seg : producer)
      stable_sent += seg.packets.size(), stable_queued += seg.queued;
  for (ProducerLoad& list : churn_lists)
    churn_sent += list.packets.size(), churn_queued += list.queued;
  EXPECT_EQ(stable_queued, stable_sent);
  const DispatchCounters dc = dp.dispatch_counters();
  EXPECT_EQ(dc.received, tags.size());
  EXPECT_EQ(dc.queued, stable_queued + churn_queued + marker_queued + successor_queued);
  EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownSpi), churn_sent - churn_queued);
  EXPECT_EQ(Sum(dc.dropped), churn_sent - churn_queued) << "no drop but unknown SPIs";

  // --- Every packet's fate, from the logs.
  ExpectOneThreadPerSpu(logs);
  std::vector<size_t> marker_at(kRounds,
                                SIZE_MAX);  // where each round's marker sits in its SPU's log
  for (size_t r = 0; r < kRounds; ++r) {
    const auto& records = logs[round_spu[r]].records;
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].tag == marker_tag[r]) marker_at[r] = i;
    ASSERT_NE(marker_at[r], SIZE_MAX) << "round " << r << ": marker not processed";
  }
  enum Fated : uint8_t { kUnseen, kAccepted, kRefused };
  std::vector<Fated> outcome(tags.size(), kUnseen);
  SpuCounters total;
  for (SpuIndex s = 0; s < spus; ++s) {
    const SpuCounters c = dp.spu_counters(s);
    EXPECT_EQ(c.processed, logs[s].records.size());
    total.decapsulated += c.decapsulated;
    for (size_t i = 0; i < kCodeCount; ++i) total.rejected[i] += c.rejected[i];
    const auto& records = logs[s].records;
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& rec = records[i];
      ASSERT_LT(rec.tag, tags.size());
      EXPECT_EQ(outcome[rec.tag], kUnseen) << "tag " << rec.tag << " processed twice";
      outcome[rec.tag] = rec.code ? kRefused : kAccepted;
      const Tagged& t = tags[rec.tag];
      if (t.role != Role::kChurned) {
        const Stable& sa = t.role == Role::kStable   ? stable[t.owner]
                           : t.role == Role::kMarker ? markers[t.owner]
                                                     : successors[t.owner];
        EXPECT_EQ(s, sa.spu) << sa.name;
        EXPECT_FALSE(rec.code.has_value())
            << sa.name << " seq " << t.seq << ": " << CodeName(*rec.code);
        EXPECT_EQ(rec.seq, t.seq) << sa.name;
        EXPECT_EQ(rec.id, t.id) << sa.name << " seq " << t.seq;
        continue;
      }
      const ChurnedSa& c = churned[t.owner];
      EXPECT_EQ(s, c.spu) << c.name;
      if (rec.code) {
        //= rfc4303#section-3.4.2
        //# No SA for the SPI: the packet is dropped. Here: routed before the
        //# removal, queued behind it.
        EXPECT_EQ(*rec.code, Code::kNoSa)
            << c.name << " seq " << t.seq << ": " << CodeName(*rec.code);
      } else {
        EXPECT_EQ(rec.seq, t.seq) << c.name;
        EXPECT_EQ(rec.id, t.id) << c.name << " seq " << t.seq;
        EXPECT_LT(i, marker_at[c.round])
            << c.name << " seq " << t.seq << ": accepted after its removal";
      }
    }
  }
  size_t churn_processed = 0, churn_accepted = 0;
  std::vector<size_t> accepted_in(kRounds, 0), dropped_late_in(kRounds, 0);
  for (size_t tag = 0; tag < tags.size(); ++tag) {
    if (tags[tag].role != Role::kChurned) {
      EXPECT_EQ(outcome[tag], kAccepted) << "tag " << tag << " of a tunnel that stays";
      continue;
    }
    const Fate& f = fates[tag];
    const ChurnedSa& c = churned[tags[tag].owner];
    const std::string what = c.name + " seq " + std::to_string(tags[tag].seq);
    churn_processed += outcome[tag] != kUnseen;
    churn_accepted += outcome[tag] == kAccepted;
    accepted_in[c.round] += outcome[tag] == kAccepted;
    dropped_late_in[c.round] += f.phase == Phase::kAfterRemoval && !f.queued;
    EXPECT_EQ(outcome[tag] != kUnseen, f.queued)
        << what << ": processed if and only if handed over";
    // Dispatched once the removal had returned: the SPI is unrouted.
    if (f.phase == Phase::kAfterRemoval) {
      EXPECT_FALSE(f.queued) << what << ": handed over after its removal";
    }
    // Dispatched once the addition had returned: the SPI is routed.
    if (f.phase == Phase::kAfterAddition && f.index < before_removal[c.round]) {
      EXPECT_TRUE(f.queued) << what << ": not handed over between addition and removal";
    }
    // Handed over before the removal began: queued ahead of it, accepted.
    if (f.queued && f.index < before_removal[c.round]) {
      EXPECT_EQ(outcome[tag], kAccepted) << what << ": queued before its removal but refused";
    }
  }
  // The producer's pauses make every round exercise both ends.
  for (size_t r = 0; r < kRounds; ++r) {
    const size_t n = churn_lists[r].packets.size();
    EXPECT_GE(accepted_in[r], n / 4) << "round " << r;
    EXPECT_GE(dropped_late_in[r], n - n * 3 / 4) << "round " << r;
  }
  EXPECT_EQ(churn_processed, churn_queued);
  EXPECT_EQ(total.decapsulated, stable_queued + churn_accepted + marker_queued + successor_queued);
  EXPECT_EQ(total.rejected[static_cast<size_t>(Code::kNoSa)], churn_processed - churn_accepted);
  EXPECT_EQ(std::accumulate(total.rejected.begin(), total.rejected.end(), uint64_t{0}),
            churn_processed - churn_accepted)
      << "no refusal but for want of an SA";

  // --- State: removed SAs gone, the others' windows exact.
  for (const ChurnedSa& c : churned) {
    auto w = dp.InboundWindow(IpProtocol::kEsp, c.sender.config.spi);
    ASSERT_FALSE(w.ok()) << c.name << " still installed";
    EXPECT_EQ(w.error().code, Code::kNoSa);
  }
  for (const Stable& sa : stable) ExpectExactWindow(dp, sa.name, sa.sender);
  for (const Stable& sa : markers) ExpectExactWindow(dp, sa.name, sa.sender);
  for (const Stable& sa : successors) ExpectExactWindow(dp, sa.name, sa.sender);
  const Anchoring anchoring = dp.anchoring();
  for (const ChurnedSa& c : churned) EXPECT_EQ(anchoring.Find(c.name), nullptr) << c.name;
  for (size_t r = 0; r < kRounds; ++r)
    EXPECT_EQ(anchoring.Find("peer" + std::to_string(r)), nullptr);
  for (const Stable& sa : successors) {
    const Anchor* a = anchoring.Find(sa.name);
    ASSERT_NE(a, nullptr) << sa.name;
    EXPECT_EQ(a->spu, sa.spu) << sa.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Spus, DataplaneConcurrency, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "Spus"; });

}  // namespace
}  // namespace ipsecref::spu
