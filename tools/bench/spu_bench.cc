// ESP decapsulation throughput through the per-SPU dataplane
// (reference/spu/dataplane.h) with one and with two SPUs, against one thread
// calling esp::Decapsulate on the same packets, in one binary and one run.
//
// The traffic: 64 AES-128-GCM-16 tunnel-mode SAs (4 tunnels over each of 16
// site-to-site gateways, IPv4 outside and inside), 1400-byte ESP packets:
// 20 (outer IPv4) + 8 (SPI, sequence number) + 8 (IV) + 1346 (inner IPv4
// packet) + 2 (pad length, next header; no padding needed) + 16 (ICV).
// A pool of 1024 such packets, the tunnels taking turns, is built once;
// one benchmark iteration hands the pool over 4 times (4096 packets).
//
// The receiving SAs have replay_window = 0 (no anti-replay check): the same
// pool goes through the same SAs again and again. The window's bookkeeping
// (a few ns a packet) is thereby left out of every side alike.
//
// Benchmark names:
//   raw/decap                 this thread: esp::Decapsulate on every packet,
//                             SAs found by SPI in an unordered_map (what an
//                             SPU does, without the dataplane)
//   dataplane/<n>spu          this thread is the producer (the NIC): it copies
//                             each packet from the pool into the buffers
//                             Dispatch handed back (processed packets',
//                             recycled), dispatches batches of 32 with
//                             Overflow::kWait, and drains the dataplane at
//                             the end of every iteration; the SPUs classify,
//                             hand over and decapsulate in place
//   parts/copy                the producer's copy alone (allocate, memcpy)
//   parts/classify            io::Classify alone
//   parts/dispatch-unrouted   the whole loop into a dataplane without SAs:
//                             copy, hand in, classify, SPI lookup, drop
//   raw/decap-in-place        the SPU's work done in the packet's own buffer
//                             (LocateEsp, SA by SPI, Sa::UnprotectInPlace,
//                             the inner header parsed): esp::Decapsulate
//                             without its copy into a new buffer
//   paired/dataplane          raw, 1 SPU and 2 SPUs in alternating blocks of
//                             one iteration each; counters are medians over
//                             rounds of the time ratios within a round
// Items are packets, bytes are ESP packet bytes (1400 a packet); real time,
// since the work runs on several threads. The dataplane and hand-over
// benchmarks add counters per packet: dispatcher_cpu_ns (this thread's CPU
// time: the producer's copy and hand-in),
// spu_cpu_ns (the SPU threads' CPU time, all SPUs together),
// producer_sleeps and spu_sleeps (voluntary context switches, i.e. waits
// on a condition variable, per 1000 packets); for the hand-over, spu_ is the
// consuming thread.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/esp/esp_packet.h"
#include "reference/classify/classify.h"
#include "reference/ip/packet.h"
#include "reference/spu/dataplane.h"
#include "reference/spu/queue.h"

namespace {

using ipsecref::Bytes;
using ipsecref::ByteSpan;
using ipsecref::Result;
using ipsecref::SecureBytes;
namespace esp = ipsecref::esp;
namespace spu = ipsecref::spu;

constexpr size_t kGateways = 16;
constexpr size_t kTunnelsPerGateway = 4;
constexpr size_t kTunnels = kGateways * kTunnelsPerGateway;
constexpr size_t kOuterSize = 1400;
constexpr size_t kInnerSize = 1346;
constexpr size_t kPoolPackets = 1024;  // 16 per tunnel
constexpr size_t kPasses = 4;          // over the pool, per iteration
constexpr size_t kPacketsPerIteration = kPoolPackets * kPasses;
constexpr size_t kBatch = 32;
constexpr size_t kQueueCapacity = 4096;
const Bytes kOurAddress{192, 0, 2, 1};

uint32_t SpiOf(size_t tunnel) { return 0x10000 + static_cast<uint32_t>(tunnel); }

esp::SaConfig Config(size_t tunnel) {
  esp::SaConfig c;
  c.spi = SpiOf(tunnel);
  c.mode = esp::Mode::kTunnel;
  c.encr = ipsecref::iana::Encr::kAesGcm16;
  c.encr_key = SecureBytes(16 + 4);  // AES-128 key, 4-byte salt
  for (size_t i = 0; i < c.encr_key.size(); ++i)
    c.encr_key[i] = static_cast<uint8_t>(tunnel * 13 + i);
  c.replay_window = 0;
  c.tunnel_src = {198, 51, 100, static_cast<uint8_t>(tunnel / kTunnelsPerGateway)};
  c.tunnel_dst = kOurAddress;
  return c;
}

// An inner IPv4 packet of kInnerSize bytes (protocol 17, payload opaque).
Bytes Inner(size_t tunnel, size_t k) {
  Bytes p = {0x45, 0,  0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, static_cast<uint8_t>(tunnel),
             1,    10, 2, 0, 1};
  p.resize(kInnerSize);
  for (size_t i = 20; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7 + k);
  ipsecref::ip::FixLengths(p, 4);
  return p;
}

// The pool, the tunnels taking turns; checked to be kOuterSize bytes each
// and to decapsulate to their inner packet.
struct Pool {
  std::vector<Bytes> packets;
  std::string error;
};

const Pool& ThePool() {
  static const Pool pool = [] {
    Pool p;
    std::vector<std::unique_ptr<esp::Sa>> senders, receivers;
    for (size_t t = 0; t < kTunnels; ++t) {
      auto s = esp::Sa::Create(Config(t));
      auto r = esp::Sa::Create(Config(t));
      if (!s.ok() || !r.ok()) {
        p.error = "Sa::Create failed";
        return p;
      }
      senders.push_back(std::move(s).value());
      receivers.push_back(std::move(r).value());
    }
    for (size_t k = 0; p.packets.size() < kPoolPackets; ++k) {
      for (size_t t = 0; t < kTunnels; ++t) {
        const Bytes inner = Inner(t, k);
        Bytes wire;
        if (!esp::Encapsulate(*senders[t], inner, wire).ok() || wire.size() != kOuterSize) {
          p.error = "Encapsulate: not a " + std::to_string(kOuterSize) + "-byte packet";
          return p;
        }
        auto back =
            esp::Decapsulate([&](uint32_t spi) { return receivers[spi - SpiOf(0)].get(); }, wire);
        if (!back.ok() || back->packet != inner) {
          p.error = "Decapsulate does not give the inner packet back";
          return p;
        }
        p.packets.push_back(std::move(wire));
      }
    }
    return p;
  }();
  return pool;
}

void Count(benchmark::State& state, int64_t packets) {
  state.SetItemsProcessed(packets);
  state.SetBytesProcessed(packets * static_cast<int64_t>(kOuterSize));
}

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

long VoluntarySwitches(int who) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_nvcsw;
}

// ---------------------------------------------------------------- raw

// The SPU's work without the dataplane: SAs by SPI, Decapsulate.
class RawDecap {
 public:
  bool Init() {
    for (size_t t = 0; t < kTunnels; ++t) {
      auto sa = esp::Sa::Create(Config(t));
      if (!sa.ok()) return false;
      sas_[SpiOf(t)] = std::move(sa).value();
    }
    lookup_ = [this](uint32_t spi) -> esp::Sa* {
      auto it = sas_.find(spi);
      return it == sas_.end() ? nullptr : it->second.get();
    };
    return true;
  }
  // One iteration: every pool packet kPasses times, or of them those whose
  // index is `part` modulo `parts`. False on a refusal.
  bool Run(size_t part = 0, size_t parts = 1) {
    const auto& pool = ThePool().packets;
    for (size_t pass = 0; pass < kPasses; ++pass) {
      for (size_t i = part; i < pool.size(); i += parts) {
        auto r = esp::Decapsulate(lookup_, pool[i]);
        if (!r.ok()) return false;
        benchmark::DoNotOptimize(r->packet.data());
      }
    }
    return true;
  }
  esp::Sa* Find(uint32_t spi) { return lookup_(spi); }

 private:
  std::unordered_map<uint32_t, std::unique_ptr<esp::Sa>> sas_;
  esp::SaLookup lookup_;
};

// What esp::Decapsulate does, in the packet's own buffer: the buffer is
// refilled from the pool first (decryption overwrites it), as a fresh
// buffer from a NIC would be.
class RawDecapInPlace {
 public:
  bool Init() { return raw_.Init(); }
  bool Run() {
    for (size_t pass = 0; pass < kPasses; ++pass) {
      for (const Bytes& packet : ThePool().packets) {
        work_.assign(packet.begin(), packet.end());
        auto loc = esp::LocateEsp(work_);
        if (!loc.ok()) return false;
        auto spi = esp::PeekSpi(ByteSpan(work_).subspan(loc->esp_offset, loc->esp_length));
        esp::Sa* sa = spi.ok() ? raw_.Find(*spi) : nullptr;
        if (sa == nullptr) return false;
        auto u = sa->UnprotectInPlace(
            ipsecref::MutableByteSpan(work_).subspan(loc->esp_offset, loc->esp_length));
        if (!u.ok()) return false;
        auto inner = ipsecref::ip::Parse(u->payload);
        if (!inner.ok() || inner->total_length != kInnerSize) return false;
        benchmark::DoNotOptimize(u->payload.data());
      }
    }
    return true;
  }

 private:
  RawDecap raw_;
  Bytes work_;
};

// ---------------------------------------------------------------- dataplane

// A dataplane with `spus` SPUs and the 64 tunnels (16 gateways, least
// loaded: 8 on each of two SPUs, and so 32 tunnels each), or none.
class DataplaneRun {
 public:
  explicit DataplaneRun(size_t spus, bool with_tunnels = true, bool lend = true)
      : spus_(spus), with_tunnels_(with_tunnels), lend_(lend) {}

  bool Init() {
    auto dp = spu::Dataplane::Create({spus_, kQueueCapacity, spu::Overflow::kWait, {}});
    if (!dp.ok()) return Fail(dp.error().ToString());
    dp_ = std::move(dp).value();
    batch_.reserve(kBatch);
    if (!with_tunnels_) return true;
    for (size_t g = 0; g < kGateways; ++g) {
      auto s = dp_->AddIkeSa(spu::Kind::kGateway, "gw" + std::to_string(g));
      if (!s.ok()) return Fail(s.error().ToString());
    }
    for (size_t t = 0; t < kTunnels; ++t) {
      auto s = dp_->AddTunnel("t" + std::to_string(t),
                              "gw" + std::to_string(t / kTunnelsPerGateway), {Config(t)});
      if (!s.ok()) return Fail(s.error().ToString());
    }
    return true;
  }

  // One iteration: the pool kPasses times in batches of copies, then Drain.
  // Each copy goes into the buffer Dispatch handed back (a processed
  // packet's, recycled), as a NIC fills its receive ring's buffers again.
  void Run() {
    const auto& pool = ThePool().packets;
    for (size_t pass = 0; pass < kPasses; ++pass) {
      for (size_t i = 0; i < pool.size(); i += kBatch) {
        batch_.resize(std::min(kBatch, pool.size() - i));
        for (size_t k = 0; k < batch_.size(); ++k) {
          if (lend_) {
            batch_[k].lent = pool[i + k];
          } else {
            batch_[k].data.assign(pool[i + k].begin(), pool[i + k].end());
          }
          batch_[k].tag = i + k;
        }
        dp_->Dispatch(batch_);
      }
    }
    dp_->Drain();
  }

  // Every packet handed over and accepted, none dropped or refused.
  bool AllDecapsulated(uint64_t packets) {
    uint64_t decapsulated = 0;
    for (spu::SpuIndex s = 0; s < spus_; ++s) decapsulated += dp_->spu_counters(s).decapsulated;
    const spu::DispatchCounters c = dp_->dispatch_counters();
    if (c.queued != packets || decapsulated != packets)
      return Fail("dispatched " + std::to_string(packets) + ", queued " + std::to_string(c.queued) +
                  ", decapsulated " + std::to_string(decapsulated));
    return true;
  }
  uint64_t Dropped() const {
    uint64_t n = 0;
    for (uint64_t d : dp_->dispatch_counters().dropped) n += d;
    return n;
  }
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string what) {
    error_ = std::move(what);
    return false;
  }
  size_t spus_;
  bool with_tunnels_;
  bool lend_;  // lend the pool's packets (a receive ring) or copy them in
  std::unique_ptr<spu::Dataplane> dp_;
  std::vector<spu::Packet> batch_;
  std::string error_;
};

// ---------------------------------------------------------------- benchmarks

void RawBench(benchmark::State& state) {
  RawDecap raw;
  if (!ThePool().error.empty() || !raw.Init()) {
    state.SkipWithError(ThePool().error.empty() ? "setup failed" : ThePool().error.c_str());
    return;
  }
  for (auto _ : state) {
    if (!raw.Run()) {
      state.SkipWithError("Decapsulate refused a packet");
      return;
    }
  }
  Count(state, static_cast<int64_t>(state.iterations() * kPacketsPerIteration));
}

void DataplaneBench(benchmark::State& state, size_t spus, bool lend) {
  DataplaneRun run(spus, /*with_tunnels=*/true, lend);
  if (!ThePool().error.empty() || !run.Init()) {
    state.SkipWithError(ThePool().error.empty() ? run.error().c_str() : ThePool().error.c_str());
    return;
  }
  const double thread0 = CpuSeconds(CLOCK_THREAD_CPUTIME_ID),
               process0 = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  const long own0 = VoluntarySwitches(RUSAGE_THREAD), all0 = VoluntarySwitches(RUSAGE_SELF);
  for (auto _ : state) run.Run();
  const double thread = CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - thread0;
  const double process = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process0;
  const long own = VoluntarySwitches(RUSAGE_THREAD) - own0,
             all = VoluntarySwitches(RUSAGE_SELF) - all0;
  const auto packets = static_cast<double>(state.iterations() * kPacketsPerIteration);
  if (!run.AllDecapsulated(state.iterations() * kPacketsPerIteration)) {
    state.SkipWithError(run.error().c_str());
    return;
  }
  Count(state, static_cast<int64_t>(packets));
  state.counters["dispatcher_cpu_ns"] = 1e9 * thread / packets;
  state.counters["spu_cpu_ns"] = 1e9 * (process - thread) / packets;
  state.counters["producer_sleeps"] = 1e3 * static_cast<double>(own) / packets;
  state.counters["spu_sleeps"] = 1e3 * static_cast<double>(all - own) / packets;
}

void CopyBench(benchmark::State& state) {
  const auto& pool = ThePool().packets;
  size_t i = 0;
  for (auto _ : state) {
    spu::Packet p{pool[i], {}, i};
    benchmark::DoNotOptimize(p.data.data());
    i = (i + 1) % pool.size();
  }
  Count(state, static_cast<int64_t>(state.iterations()));
}

void ClassifyBench(benchmark::State& state) {
  const auto& pool = ThePool().packets;
  size_t i = 0;
  for (auto _ : state) {
    auto c = ipsecref::io::Classify(pool[i]);
    benchmark::DoNotOptimize(c);
    i = (i + 1) % pool.size();
  }
  Count(state, static_cast<int64_t>(state.iterations()));
}

// The producer's loop into a dataplane that has no SAs: everything but the
// hand-over (queue) and the SPU's work.
void DispatchUnroutedBench(benchmark::State& state) {
  DataplaneRun run(1, /*with_tunnels=*/false);
  if (!ThePool().error.empty() || !run.Init()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) run.Run();
  if (run.Dropped() != state.iterations() * kPacketsPerIteration) {
    state.SkipWithError("not every packet was dropped as unrouted");
    return;
  }
  Count(state, static_cast<int64_t>(state.iterations() * kPacketsPerIteration));
}

void RawInPlaceBench(benchmark::State& state) {
  RawDecapInPlace raw;
  if (!raw.Init()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) {
    if (!raw.Run()) {
      state.SkipWithError("in-place decapsulation failed");
      return;
    }
  }
  Count(state, static_cast<int64_t>(state.iterations() * kPacketsPerIteration));
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// A second thread running one job at a time when asked.
class Helper {
 public:
  Helper() : thread_([this] { Loop(); }) {}
  ~Helper() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Start(std::function<void()> job) {
    std::lock_guard lock(mu_);
    job_ = std::move(job);
    ++started_;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ == started_; });
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || done_ < started_; });
      if (stop_) return;
      std::function<void()> job = std::move(job_);
      lock.unlock();
      job();
      lock.lock();
      ++done_;
      cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  uint64_t started_ = 0, done_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

// Raw on one thread, raw on two threads (half of the packets each, SAs of
// their own), 1 SPU and 2 SPUs in turn, one iteration each per round, the
// order rotating. Other processes on the machine slow single blocks down,
// not one side, so ratios taken within a round are steadier than those of
// separately timed benchmarks. Counters: medians over rounds of
// throughput ratios (a_over_b = time(b) / time(a)) and of ns per packet.
void PairedBench(benchmark::State& state) {
  RawDecap raw, raw_b;
  DataplaneRun one(1), two(2);
  if (!ThePool().error.empty() || !raw.Init() || !raw_b.Init() || !one.Init() || !two.Init()) {
    state.SkipWithError("setup failed");
    return;
  }
  Helper helper;
  using Clock = std::chrono::steady_clock;
  auto timed = [](auto&& f) {
    const auto t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  enum Side { kRaw, kRaw2, kOne, kTwo, kSides };
  std::array<std::vector<double>, kSides> ns;
  std::vector<double> two_over_one, one_over_raw, two_over_raw, raw2_over_raw;
  std::atomic<bool> refused{false};
  size_t round = 0;
  for (auto _ : state) {
    std::array<double, kSides> t{};
    for (size_t k = 0; k < kSides; ++k) {
      switch ((k + round) % kSides) {
        case kRaw:
          t[kRaw] = timed([&] {
            if (!raw.Run()) refused = true;
          });
          break;
        case kRaw2:
          t[kRaw2] = timed([&] {
            helper.Start([&] {
              if (!raw_b.Run(1, 2)) refused = true;
            });
            if (!raw.Run(0, 2)) refused = true;
            helper.Wait();
          });
          break;
        case kOne:
          t[kOne] = timed([&] { one.Run(); });
          break;
        default:
          t[kTwo] = timed([&] { two.Run(); });
          break;
      }
    }
    ++round;
    two_over_one.push_back(t[kOne] / t[kTwo]);
    one_over_raw.push_back(t[kRaw] / t[kOne]);
    two_over_raw.push_back(t[kRaw] / t[kTwo]);
    raw2_over_raw.push_back(t[kRaw] / t[kRaw2]);
    for (size_t i = 0; i < kSides; ++i) ns[i].push_back(1e9 * t[i] / kPacketsPerIteration);
  }
  const uint64_t packets = state.iterations() * kPacketsPerIteration;
  if (refused || !one.AllDecapsulated(packets) || !two.AllDecapsulated(packets)) {
    state.SkipWithError(refused ? "Decapsulate refused a packet"
                                : (one.error() + two.error()).c_str());
    return;
  }
  Count(state, static_cast<int64_t>(kSides * packets));
  state.counters["2spu_over_1spu"] = Median(two_over_one);
  state.counters["1spu_over_raw"] = Median(one_over_raw);
  state.counters["2spu_over_raw"] = Median(two_over_raw);
  state.counters["raw2_over_raw"] = Median(raw2_over_raw);
  state.counters["raw_ns"] = Median(ns[kRaw]);
  state.counters["raw2_ns"] = Median(ns[kRaw2]);
  state.counters["1spu_ns"] = Median(ns[kOne]);
  state.counters["2spu_ns"] = Median(ns[kTwo]);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!ThePool().error.empty()) {
    std::fprintf(stderr, "spu_bench: %s\n", ThePool().error.c_str());
    return 1;
  }
  // Two threads at once, each with SAs of its own: what this machine gives
  // two independent decapsulating threads, the ceiling for two SPUs.
  benchmark::RegisterBenchmark("raw/decap", RawBench)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond)
      ->Threads(1)
      ->Threads(2);
  benchmark::RegisterBenchmark("raw/decap-in-place", RawInPlaceBench)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  for (bool lend : {true, false}) {
    for (size_t spus : {1, 2}) {
      const std::string name = "dataplane/" + std::to_string(spus) + "spu" + (lend ? "" : "-copied");
      benchmark::RegisterBenchmark(name.c_str(),
                                   [spus, lend](benchmark::State& s) { DataplaneBench(s, spus, lend); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("parts/copy", CopyBench);
  benchmark::RegisterBenchmark("parts/classify", ClassifyBench);
  benchmark::RegisterBenchmark("parts/dispatch-unrouted", DispatchUnroutedBench)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("paired/dataplane", PairedBench)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
