// The per-SPU dataplane under concurrency: tunnels and dynamic peers come
// and go under traffic. The control plane adds, removes and rekeys them on
// 1, 2 and 3 SPUs while producer threads dispatch traffic on other tunnels
// of the same SPUs and on the churned ones; meant to run under
// ThreadSanitizer too (preset tsan, label `concurrency`).
//
// Dispatch hands each call's packets to one SPU (the intake SPU), which
// classifies them later on its own thread and hands each to its anchor SPU.
// So a packet is routed (or dropped for want of a route) some time after
// Dispatch returned: the control plane's calls order a packet's fate only
// where the test can tell when it was classified, and only that is asserted.
// Expectations are counted out from how the packets were built and from the
// anchoring rules worked by hand. The sink writes one log per SPU from that
// SPU's thread only; the logs are read after Drain.
//
// Last, one packet taken in before its SA is added, held in its SPU's queue
// until the addition has returned: the race of the churn test, made certain.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "reference/spu/dataplane.h"
#include "reference/spu/dataplane_test_util.h"

namespace ipsecref::spu::dataplane_test {
namespace {

using iana::IpProtocol;

constexpr size_t kChurnGateways = 3;
constexpr size_t kStableTunnelsPerGateway = 3;
constexpr size_t kStablePackets = 300;  // per stable SA
constexpr size_t kRounds = 48;
constexpr size_t kChurnPackets = 32;  // per churned SA
constexpr size_t kStableProducers = 2;

// The gateways gw0..gw2, then the manual tunnel, placed by hand: gateways and
// manual tunnels go to the least loaded SPU, the lowest index on a tie, and
// both count as load; dynamic peers take the SPUs in turn from SPU0 and count
// as nothing. Tunnels go where their IKE SA is.
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

// In half the rounds (each kind of churn in turn) the control plane drains
// the dataplane between the addition and the removal: what was dispatched
// before the Drain is then routed and processed before the removal begins,
// which leaves its fate certain. In the other rounds the removal races with
// packets still waiting to be classified.
bool DrainedBeforeRemoval(size_t round) { return round % 8 < 4; }

class DataplaneChurn : public ::testing::TestWithParam<size_t> {};

struct ChurnedSa {
  std::string name;
  SpuIndex spu;
  Sender sender;
  size_t round;
};

// What became of a packet, from the logs: never processed (dropped for want
// of a route), accepted, refused by its SPU.
enum Fated : uint8_t { kUnseen, kAccepted, kRefused };
void PrintTo(Fated f, std::ostream* os) {
  *os << (f == kUnseen ? "never processed" : f == kAccepted ? "accepted" : "refused");
}

enum class Role : uint8_t { kStable, kChurned, kMarker, kSuccessor };
struct Tagged {
  Role role;
  size_t owner;  // index into stable, churned, markers or successors
  uint64_t seq;
  uint64_t id;
};

TEST_P(DataplaneChurn, RemovalAndRekeyNeverDisturbOtherTunnels) {
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
      seg.packets.push_back(Owned(std::move(wire), tags.size()));
      tags.push_back({Role::kStable, i, stable[i].sender.sent, id});
    }
  }
  std::vector<std::vector<uint64_t>> calls;  // calls whose order within is checked
  for (auto& producer : segments) {
    for (ProducerLoad& seg : producer) {
      CutIntoBatches(seg, rng);
      for (auto& call : CallsOf(seg)) calls.push_back(std::move(call));
    }
  }

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
        churn_lists[r].packets.push_back(Owned(churned[c].sender.Next(id), tags.size()));
        tags.push_back({Role::kChurned, c, churned[c].sender.sent, id});
      }
    }
    if (ChurnOf(r) == Churn::kRekeyTunnel) {
      successor_of[r] = successors.size();
      successors.push_back(
          {churned[first].name + "-rekeyed", spu, Sender(GcmSa(next_spi(), peer, false))});
      calls.emplace_back();
      for (size_t k = 0; k < kChurnPackets; ++k) {
        const uint64_t id = next_id++;
        calls.back().push_back(tags.size());
        successor_packets[r].push_back(Owned(successors.back().sender.Next(id), tags.size()));
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
  // a quarter of the list has gone after the addition (and, in drained
  // rounds, once the Drain that follows has returned), while the middle half
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
    bool taken = false;                    // what Dispatch said
    size_t index = 0;                      // in its round's list
  };
  std::vector<Fate> fates(tags.size());  // churned packets, by tag
  // Drained rounds: the packets of the list whose Dispatch had returned when
  // the Drain began (the first ones).
  std::vector<size_t> drained(kRounds, 0);
  auto wait_for = [](const std::atomic<size_t>& a, size_t at_least) {
    while (a.load(std::memory_order_acquire) < at_least) std::this_thread::yield();
  };
  std::vector<std::thread> threads;
  for (size_t p = 0; p < kStableProducers; ++p) {
    threads.emplace_back([&, p] {
      for (size_t r = 0; r < kRounds; ++r) {
        wait_for(begun, r + 1);
        DispatchLoad(dp, segments[p][r]);
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
        f.taken = dp.Dispatch(std::span(&list[i], 1)) == 1;
        churn_lists[r].queued += f.taken;
        progress.store(i + 1, std::memory_order_release);
        if (f.phase == Phase::kAfterAddition)
          after_addition.fetch_add(1, std::memory_order_release);
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
    if (DrainedBeforeRemoval(r)) {
      // Every packet counted in `progress` was dispatched before this Drain.
      drained[r] = progress.load(std::memory_order_acquire);
      dp.Drain();
    }
    if (churn == Churn::kRekeyTunnel) {
      const Stable& next = successors[successor_of[r]];
      EXPECT_EQ(Placed(dp.Rekey(first->name, next.name, {next.sender.config})), next.spu)
          << next.name;
    } else {
      const Status status = dp.Remove(churn == Churn::kRemovePeer ? peer : first->name);
      EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().ToString());
    }
    removed.store(r + 1, std::memory_order_release);
    // The marker is dispatched once the removal has returned: it reaches the
    // removed SAs' SPU behind the removal (queued there directly, or handed
    // over by its intake SPU), so no packet of theirs can be accepted after
    // it in that SPU's log.
    Stable& marker = markers[marker_of[first->spu]];
    const uint64_t id = next_id++;
    marker_tag[r] = tags.size();
    std::vector<Packet> one{Owned(marker.sender.Next(id), tags.size())};
    tags.push_back({Role::kMarker, marker_of[first->spu], marker.sender.sent, id});
    marker_queued += dp.Dispatch(one);
    successor_queued += dp.Dispatch(successor_packets[r]);
    wait_for(finished, r + 1);
  }
  for (std::thread& t : threads) t.join();
  dp.Drain();

  // --- Taking in: with Overflow::kWait every packet is taken, those of
  // removed SAs too (they are dropped later, when classified).
  EXPECT_EQ(marker_queued, kRounds);
  EXPECT_EQ(successor_queued, successors.size() * kChurnPackets);
  size_t stable_sent = 0, stable_queued = 0, churn_sent = 0, churn_queued = 0;
  for (auto& producer : segments)
    for (ProducerLoad& seg : producer)
      stable_sent += seg.packets.size(), stable_queued += seg.queued;
  for (ProducerLoad& list : churn_lists)
    churn_sent += list.packets.size(), churn_queued += list.queued;
  EXPECT_EQ(stable_queued, stable_sent);
  EXPECT_EQ(churn_queued, churn_sent);
  const DispatchCounters dc = dp.dispatch_counters();
  EXPECT_EQ(dc.received, tags.size());
  EXPECT_EQ(dc.queued, stable_queued + churn_queued + marker_queued + successor_queued);
  EXPECT_EQ(Drop(dc, DispatchDrop::kQueueFull), 0u);

  // --- Every packet's fate, from the logs.
  ExpectOneThreadPerSpu(logs);
  std::vector<size_t> marker_at(kRounds, SIZE_MAX);  // each round's marker in its SPU's log
  for (size_t r = 0; r < kRounds; ++r) {
    const auto& records = logs[round_spu[r]].records;
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].tag == marker_tag[r]) marker_at[r] = i;
    ASSERT_NE(marker_at[r], SIZE_MAX) << "round " << r << ": marker not processed";
  }
  std::vector<Fated> outcome(tags.size(), kUnseen);
  // Per churned SA, in its SPU's log: the last packet accepted, the first
  // refused.
  std::vector<size_t> last_accepted(churned.size(), 0), first_refused(churned.size(), SIZE_MAX);
  std::vector<bool> any_accepted(churned.size(), false);
  SpuCounters total;
  for (SpuIndex s = 0; s < spus; ++s) {
    const SpuCounters c = dp.spu_counters(s);
    EXPECT_EQ(c.processed, logs[s].records.size());
    total.processed += c.processed;
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
        //# removal, reaching the SA's SPU behind it.
        EXPECT_EQ(*rec.code, Code::kNoSa)
            << c.name << " seq " << t.seq << ": " << CodeName(*rec.code);
        first_refused[t.owner] = std::min(first_refused[t.owner], i);
      } else {
        EXPECT_EQ(rec.seq, t.seq) << c.name;
        EXPECT_EQ(rec.id, t.id) << c.name << " seq " << t.seq;
        EXPECT_LT(i, marker_at[c.round])
            << c.name << " seq " << t.seq << ": accepted after its removal";
        last_accepted[t.owner] = i;
        any_accepted[t.owner] = true;
      }
    }
  }
  // A packet is routed to an SA only once the SA's install is queued ahead of
  // it on the SA's SPU, and nothing is accepted once the removal has run: so
  // in the SA's SPU's log every packet refused for want of the SA comes after
  // every packet the SA accepted.
  for (size_t c = 0; c < churned.size(); ++c) {
    EXPECT_FALSE(any_accepted[c] && first_refused[c] < last_accepted[c])
        << churned[c].name << ": refused for want of its SA (SPU" << churned[c].spu << " log #"
        << first_refused[c] << ") before it accepted a packet (#" << last_accepted[c]
        << "): a packet reached the SA's SPU ahead of the SA's install";
  }
  size_t churn_processed = 0, churn_accepted = 0, refused_before_install = 0;
  std::string first_refused_seen;
  std::vector<size_t> accepted_in(kRounds, 0), dispatched_after_removal_in(kRounds, 0);
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
    EXPECT_TRUE(f.taken) << what;
    // Whatever the phase, a churned packet is accepted (before the marker,
    // checked above), refused for want of an SA (routed before the removal,
    // reaching the SPU after it), or never processed: dropped as unknown_spi
    // (classified while its SPI had no route: before the addition or after
    // the removal). Counted out below.
    if (f.phase == Phase::kAfterRemoval) {
      // Dispatched once the removal had returned: classified after the route
      // was removed, so dropped as unknown_spi.
      ++dispatched_after_removal_in[c.round];
      EXPECT_EQ(outcome[tag], kUnseen) << what << ": dispatched after its removal";
    }
    if (DrainedBeforeRemoval(c.round) && f.index < drained[c.round]) {
      // Dispatched before the Drain: classified and processed before the
      // removal began, while its SA was installed or not yet routed.
      if (f.phase == Phase::kAfterAddition) {
        // Dispatched once the addition had returned: routed, and queued on
        // the SA's SPU behind the install.
        EXPECT_EQ(outcome[tag], kAccepted)
            << what << ": dispatched after its addition and drained before its removal";
      } else {
        // Either classified before the route was added (unknown_spi) or
        // after, and then queued behind the install (accepted).
        if (outcome[tag] == kRefused && refused_before_install++ == 0) first_refused_seen = what;
      }
    }
  }
  EXPECT_EQ(refused_before_install, 0u)
      << "packets dispatched before their SA's addition and drained before its removal, yet "
      << "refused for want of the SA (first: " << first_refused_seen << ")";
  // The producer's pauses make every round exercise both ends.
  for (size_t r = 0; r < kRounds; ++r) {
    const size_t n = churn_lists[r].packets.size();
    EXPECT_GE(dispatched_after_removal_in[r], n - n * 3 / 4) << "round " << r;
    if (DrainedBeforeRemoval(r)) {
      EXPECT_GE(accepted_in[r], n / 4) << "round " << r;
    }
  }
  // What was taken in and not processed was dropped for want of a route.
  EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownSpi), churn_queued - churn_processed);
  EXPECT_EQ(Sum(dc.dropped), churn_queued - churn_processed) << "no drop but unknown SPIs";
  EXPECT_EQ(dc.queued, Sum(dc.dropped) + total.processed);
  EXPECT_EQ(total.decapsulated, stable_queued + churn_accepted + marker_queued + successor_queued);
  EXPECT_EQ(total.rejected[static_cast<size_t>(Code::kNoSa)], churn_processed - churn_accepted);
  EXPECT_EQ(std::accumulate(total.rejected.begin(), total.rejected.end(), uint64_t{0}),
            churn_processed - churn_accepted)
      << "no refusal but for want of an SA";
  // Within one Dispatch call, each SA's packets keep their order.
  ExpectOrderKeptWithinCalls(calls, PlacesInLogs(logs, tags.size()), [&](uint64_t tag) {
    return std::pair(tags[tag].role, tags[tag].owner);
  });

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

INSTANTIATE_TEST_SUITE_P(Spus, DataplaneChurn, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "Spus"; });

// A packet taken in before its SA is added, and classified after the
// addition has returned, finds the SPI routed: the route was added once the
// install was queued on the SA's SPU (dataplane.cc, Install). So the packet
// meets the installed SA and is accepted; had it been classified before the
// addition, it would have been dropped as unknown_spi. Never is it refused
// for want of the SA, which only a removal explains. On one SPU the packet's
// intake SPU is its anchor: it waits in the very queue the install goes to,
// ahead of the install.
TEST(DataplaneInstall, PacketTakenBeforeItsSaIsAddedIsNeverRefusedForWantOfIt) {
  constexpr uint64_t kHeld = 0, kEarly = 1;
  std::vector<SpuLog> logs(1);
  const Sink log = LogInto(logs);
  std::mutex mu;
  std::condition_variable cv;
  bool holding = false, added = false;
  // The SPU is held in the sink on the first packet until the SA is added
  // (at most 200 ms, should adding wait for the SPU: the packet is then
  // classified before the addition and dropped as unknown_spi).
  auto hold_first = [&](const Outcome& o) {
    log(o);
    if (o.tag != kHeld) return;
    std::unique_lock lock(mu);
    holding = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return added; });
  };
  auto created = Dataplane::Create({1, kQueueCapacity, Overflow::kWait, hold_first});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Dataplane& dp = **created;
  const Bytes peer{192, 0, 2, 10};
  ASSERT_EQ(Placed(dp.AddIkeSa(Kind::kGateway, "gw0")), 0u);
  Sender held(GcmSa(0x30001, peer, false)), early(GcmSa(0x30002, peer, false));
  ASSERT_EQ(Placed(dp.AddTunnel("held", "gw0", {held.config})), 0u);

  std::vector<Packet> first{Owned(held.Next(100), kHeld)};
  ASSERT_EQ(dp.Dispatch(first), 1u);
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return holding; });
  }
  // SPU0 is busy with the first packet: the second waits in its queue.
  std::vector<Packet> second{Owned(early.Next(101), kEarly)};
  EXPECT_EQ(dp.Dispatch(second), 1u);
  EXPECT_EQ(Placed(dp.AddTunnel("early", "gw0", {early.config})), 0u);
  {
    std::lock_guard lock(mu);
    added = true;
    cv.notify_all();
  }
  dp.Drain();

  const DispatchCounters dc = dp.dispatch_counters();
  const auto& records = logs[0].records;
  const auto it = std::ranges::find(records, kEarly, &Record::tag);
  if (it == records.end()) {
    EXPECT_EQ(Drop(dc, DispatchDrop::kUnknownSpi), 1u) << "neither processed nor dropped";
  } else {
    EXPECT_FALSE(it->code.has_value())
        << "refused (" << CodeName(*it->code) << ") for want of the SA added after it was "
        << "taken in: it was routed to the SA ahead of the SA's install";
    if (!it->code) {
      EXPECT_EQ(it->id, 101u);
    }
  }
  EXPECT_EQ(dc.queued, Sum(dc.dropped) + dp.spu_counters(0).processed);
  ExpectExactWindow(dp, "held", held);
}

}  // namespace
}  // namespace ipsecref::spu::dataplane_test
