// What the dataplane's concurrency tests build their traffic from and read
// it back with: ESP packets whose inner packet says which one it is, IKE
// messages, a sink that keeps one log per SPU, producer threads, and the
// checks of a replay window after Drain.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reference/esp/esp_packet.h"
#include "reference/spu/dataplane.h"
#include "reference/testing/generators.h"

namespace ipsecref::spu::dataplane_test {

constexpr size_t kMaxBatch = 40;
// Small, so that the producers outrun the SPUs and wait (Overflow::kWait).
constexpr size_t kQueueCapacity = 64;
//= rfc4303#section-3.4.3
//# A packet whose sequence number is left of the window is dropped as stale,
//# a duplicate inside it as a replay.
// An SA's packets reach its SPU in any order: the producers send them from
// several threads out of shuffled lists, and the dataplane keeps the order of
// one Dispatch call only (packets of different calls may pass each other on
// their way through different intake SPUs). So a packet may arrive after any
// number of higher ones of its SA. With a window at least as large as the
// packets sent per SA, no sequence number ever falls left of it: every
// original is accepted, and every duplicate, however late, is a replay
// (kReplay), never stale (kStale).
constexpr uint32_t kReplayWindow = 1024;
constexpr uint8_t kInnerProtocol = 253;  // RFC 3692: experimentation and testing
constexpr uint64_t kNoId = ~uint64_t{0};

inline std::string_view CodeName(Code code) { return Describe(code).name; }

// ------------------------------------------------------------------ packets

inline const Bytes kOurAddress{192, 0, 2, 1};

// The inner IPv4 packet with payload `id`: 8 bytes of id, then a filler
// whose length and bytes follow from the id.
inline Bytes InnerPacket(uint64_t id) {
  Bytes payload(8 + id % 57);
  StoreU64(payload.data(), id);
  for (size_t i = 8; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(id * 31 + i);
  return testing::MakeIpPacket(4, kInnerProtocol, payload, 0, {10, 1, 0, 1}, {10, 2, 0, 1});
}

// The id an inner packet carries; kNoId unless it is, byte for byte, the
// packet InnerPacket built for that id.
inline uint64_t InnerId(ByteSpan packet) {
  if (packet.size() < 28) return kNoId;
  const uint64_t id = LoadU64(packet.data() + 20);
  return std::ranges::equal(packet, InnerPacket(id)) ? id : kNoId;
}

//= rfc7296#section-3.1
//# The IKE header: SPIi, SPIr, next payload, version 2.0, exchange type,
//# flags, message ID, length; 28 bytes.
inline Bytes IkeMessage(IkeSpis spis, uint32_t message_id) {
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

inline Bytes IkePacket(IkeSpis spis, uint32_t message_id, const Bytes& peer) {
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
inline uint64_t IkeId(ByteSpan m) {
  if (m.size() != 28) return kNoId;
  const uint32_t id = LoadU32(m.data() + 20);
  const IkeSpis spis{LoadU64(m.data()), LoadU64(m.data() + 8)};
  return std::ranges::equal(m, IkeMessage(spis, id)) ? id : kNoId;
}

// AES-GCM-16 with a 128-bit key (16 bytes of key, 4 of salt), tunnel mode.
inline esp::SaConfig GcmSa(uint32_t spi, const Bytes& peer, bool udp) {
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
    EXPECT_EQ(sa->sequence_number_counter(), ++sent);
    return wire;
  }
  // A packet with sequence number `seq` (the counter untouched) whose ICV's
  // last byte is flipped.
  Bytes Corrupted(uint64_t id, uint64_t seq) {
    Bytes wire;
    EXPECT_TRUE(esp::Encapsulate(*sa, InnerPacket(id), wire, {.sequence_number = seq}).ok());
    wire.back() ^= 0x01;
    return wire;
  }
};

// A packet handed over to the dataplane, with the test's number for it.
inline Packet Owned(Bytes wire, uint64_t tag) { return Packet{std::move(wire), {}, tag}; }

// ---------------------------------------------------------------- the sink

struct Record {
  SpuIndex spu = 0;
  std::thread::id thread;
  io::PacketKind kind = io::PacketKind::kEsp;
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

inline Sink LogInto(std::vector<SpuLog>& logs) {
  return [&logs](const Outcome& o) {
    Record r{o.spu, std::this_thread::get_id(), o.kind, o.spi, o.seq, o.tag};
    const bool ike = o.kind == io::PacketKind::kIke || o.kind == io::PacketKind::kIkeNatT;
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
inline void ExpectOneThreadPerSpu(const std::vector<SpuLog>& logs) {
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

// Where each tag sits in the logs: its SPU and its place in that SPU's log.
struct LogPlace {
  SpuIndex spu = 0;
  size_t index = SIZE_MAX;  // SIZE_MAX: never processed
};
inline std::vector<LogPlace> PlacesInLogs(const std::vector<SpuLog>& logs, size_t tags) {
  std::vector<LogPlace> places(tags);
  for (SpuIndex s = 0; s < logs.size(); ++s) {
    const auto& records = logs[s].records;
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].tag < tags) places[records[i].tag] = {s, i};
  }
  return places;
}

// --------------------------------------------------------------- producers

struct ProducerLoad {
  std::vector<Packet> packets;
  std::vector<size_t> batches;  // sizes, summing to packets.size()
  size_t queued = 0;            // what Dispatch returned, summed
};

inline void CutIntoBatches(ProducerLoad& load, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> size(1, kMaxBatch);
  for (size_t left = load.packets.size(); left > 0;) {
    const size_t n = std::min(left, size(rng));
    load.batches.push_back(n);
    left -= n;
  }
}

// The tags of each Dispatch call a load will make, in the call's order.
inline std::vector<std::vector<uint64_t>> CallsOf(const ProducerLoad& load) {
  std::vector<std::vector<uint64_t>> calls;
  size_t at = 0;
  for (size_t n : load.batches) {
    calls.emplace_back();
    for (size_t i = at; i < at + n; ++i) calls.back().push_back(load.packets[i].tag);
    at += n;
  }
  return calls;
}

// Dispatches a load's packets, call after call.
inline void DispatchLoad(Dataplane& dp, ProducerLoad& load) {
  std::span<Packet> rest(load.packets);
  for (size_t n : load.batches) {
    load.queued += dp.Dispatch(rest.first(n));
    rest = rest.subspan(n);
  }
}

// Runs the producers on threads of their own, all released at once.
inline void RunProducers(Dataplane& dp, std::vector<ProducerLoad>& loads) {
  std::latch start(static_cast<std::ptrdiff_t>(loads.size()));
  std::vector<std::thread> threads;
  for (ProducerLoad& load : loads) {
    threads.emplace_back([&dp, &load, &start] {
      start.arrive_and_wait();
      DispatchLoad(dp, load);
    });
  }
  for (std::thread& t : threads) t.join();
}

// Packets of one Dispatch call keep their order per flow (an SA, an IKE SA):
// for each call, the processed packets of each flow appear in their anchor
// SPU's log in the order of the call. `flow_of(tag)` names a tag's flow.
template <typename FlowOf>
void ExpectOrderKeptWithinCalls(const std::vector<std::vector<uint64_t>>& calls,
                                const std::vector<LogPlace>& places, FlowOf flow_of) {
  size_t passed = 0;
  for (const std::vector<uint64_t>& call : calls) {
    for (size_t i = 0; i < call.size(); ++i) {
      const LogPlace& later = places[call[i]];
      if (later.index == SIZE_MAX) continue;
      // The nearest earlier processed packet of the same flow in this call.
      for (size_t j = i; j-- > 0;) {
        const LogPlace& earlier = places[call[j]];
        if (earlier.index == SIZE_MAX || flow_of(call[j]) != flow_of(call[i])) continue;
        EXPECT_EQ(earlier.spu, later.spu) << "tags " << call[j] << " and " << call[i];
        passed += earlier.spu == later.spu && earlier.index > later.index;
        break;
      }
    }
  }
  EXPECT_EQ(passed, 0u) << "packets of one Dispatch call reordered within their flow";
}

// Checks an inbound SA's window after Drain: the highest number is the last
// one sent, every number sent is a replay now, and `unused` numbers above it
// (sent only with a bad ICV) are still free.
inline void ExpectExactWindow(Dataplane& dp, const std::string& name, const Sender& s,
                              uint64_t unused = 0) {
  auto w = dp.InboundWindow(iana::IpProtocol::kEsp, s.config.spi);
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

inline uint64_t Sum(const std::array<uint64_t, kDispatchDrops>& a) {
  uint64_t n = 0;
  for (uint64_t x : a) n += x;
  return n;
}

inline uint64_t Drop(const DispatchCounters& c, DispatchDrop d) {
  return c.dropped[static_cast<size_t>(d)];
}

// The SPU a control-plane call placed something on; a failure if refused.
constexpr SpuIndex kRefused = 0xffffffff;
inline SpuIndex Placed(const Result<SpuIndex>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : kRefused;
}

}  // namespace ipsecref::spu::dataplane_test
