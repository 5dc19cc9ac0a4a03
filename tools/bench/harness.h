// The measuring scaffolding the benchmarks share: a Runner is one way of
// doing one operation, set up once; Bench() times one runner alone,
// Interleaved() times several in turn and reports medians over rounds.
//
// Why interleave: other processes on a shared machine slow single blocks of
// operations down, not one side of a comparison, so a ratio taken within a
// round (and its median over rounds) stays steady where two separately timed
// benchmarks drift apart.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ipsecref::bench {

// One way of doing one operation, set up once; Bench() and Interleaved() drive it.
class Runner {
 public:
  virtual ~Runner() = default;
  // Sets up inputs and checks that the operation succeeds; false (with
  // error()) if it does not, so that no failure path is ever timed.
  virtual bool Init() = 0;
  // Does the operation once; false (with error()) if it failed.
  virtual bool Once() = 0;
  // Items (packets, messages) handled per operation.
  virtual size_t items() const { return 1; }
  // Bytes handled per operation (0: none reported).
  virtual size_t bytes() const { return 0; }
  const std::string& error() const { return error_; }

 protected:
  bool Fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

 private:
  std::string error_;
};

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d);

// The median of `v` (0 for none).
double Median(std::vector<double> v);

// The length of the blocks Bench() and Interleaved() time on their own.
constexpr double kBlockSeconds = 50e-6;

// How many operations of `r` fill about `target` seconds (at least one);
// 0 if an operation failed.
size_t BlockFor(Runner& r, double target);

// Items and bytes per second of `r` (from Runner::items() and bytes()), and
// counter "median_ns": the median over blocks of some 50 µs of the time per
// operation, which other processes on the machine disturb less than the
// mean that items_per_second comes from.
void Bench(benchmark::State& state, Runner& r);

// One side of an interleaved benchmark: a runner and its counter prefix.
struct Side {
  std::string name;  // counter "<name>_ns"
  std::unique_ptr<Runner> runner;
};

// A counter "<name>" = the median over rounds of time(num) / time(den), the
// times per operation of two sides: den's throughput as a fraction of num's.
struct Ratio {
  std::string name;
  size_t num, den;
};

// The sides in turn, one block of each per iteration (some 50 µs, or one
// operation where that takes longer), each block timed on its own, the
// order rotating so that no side always runs first. Counters: "<side>_ns",
// the median time per item of each side, and the ratios asked for, each the
// median over rounds of the ratio within the round.
void Interleaved(benchmark::State& state, std::vector<Side>& sides, const std::vector<Ratio>& ratios);

// A factory per side; the runners are made when the benchmark runs.
struct SideMaker {
  std::string name;
  std::function<std::unique_ptr<Runner>()> make;
};

// Registers "paired/<name>": Interleaved() over runners made by `makers`.
benchmark::internal::Benchmark* RegisterInterleaved(const std::string& name, std::vector<SideMaker> makers,
                                                    std::vector<Ratio> ratios);

// Registers `name`: Bench() over a runner made by `make` when it runs.
template <typename Make>
benchmark::internal::Benchmark* Register(const std::string& name, Make make) {
  return benchmark::RegisterBenchmark(name.c_str(), [make](benchmark::State& s) {
    auto r = make();
    Bench(s, *r);
  });
}

}  // namespace ipsecref::bench
