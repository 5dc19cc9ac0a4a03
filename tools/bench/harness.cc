#include "tools/bench/harness.h"

#include <algorithm>

namespace ipsecref::bench {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

size_t BlockFor(Runner& r, double target) {
  size_t n = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < 4 * target && n < 100000) {
    if (!r.Once()) return 0;
    ++n;
    elapsed = Seconds(Clock::now() - t0);
  }
  const double per_op = elapsed / static_cast<double>(n);
  return std::max<size_t>(1, static_cast<size_t>(target / per_op));
}

void Bench(benchmark::State& state, Runner& r) {
  if (!r.Init()) {
    state.SkipWithError(r.error().c_str());
    return;
  }
  const size_t block = BlockFor(r, kBlockSeconds);
  if (block == 0) {
    state.SkipWithError(r.error().c_str());
    return;
  }
  std::vector<double> per_op;
  size_t in_block = 0;
  auto t0 = Clock::now();
  for (auto _ : state) {
    if (!r.Once()) {
      state.SkipWithError(r.error().c_str());
      return;
    }
    if (++in_block == block) {
      const auto t1 = Clock::now();
      per_op.push_back(Seconds(t1 - t0) / static_cast<double>(block));
      t0 = t1;
      in_block = 0;
    }
  }
  const auto ops = static_cast<int64_t>(state.iterations());
  state.SetItemsProcessed(ops * static_cast<int64_t>(r.items()));
  if (r.bytes() > 0) state.SetBytesProcessed(ops * static_cast<int64_t>(r.bytes()));
  if (!per_op.empty()) state.counters["median_ns"] = 1e9 * Median(std::move(per_op));
}

void Interleaved(benchmark::State& state, std::vector<Side>& sides, const std::vector<Ratio>& ratios) {
  std::vector<size_t> block;
  for (Side& side : sides) {
    const size_t n = side.runner->Init() ? BlockFor(*side.runner, kBlockSeconds) : 0;
    if (n == 0) {
      state.SkipWithError((side.name + ": " + side.runner->error()).c_str());
      return;
    }
    block.push_back(n);
  }
  std::vector<std::vector<double>> times(sides.size()), ratio_values(ratios.size());
  std::vector<double> round(sides.size());
  size_t first = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < sides.size(); ++k) {
      const size_t i = (first + k) % sides.size();
      Runner& r = *sides[i].runner;
      const auto t0 = Clock::now();
      for (size_t j = 0; j < block[i]; ++j) {
        if (!r.Once()) {
          state.SkipWithError((sides[i].name + ": " + r.error()).c_str());
          return;
        }
      }
      round[i] = Seconds(Clock::now() - t0) / static_cast<double>(block[i]);
      times[i].push_back(round[i]);
    }
    first = (first + 1) % sides.size();
    for (size_t k = 0; k < ratios.size(); ++k) ratio_values[k].push_back(round[ratios[k].num] / round[ratios[k].den]);
  }
  if (times.front().empty()) return;
  for (size_t i = 0; i < sides.size(); ++i) {
    const double per_item = Median(times[i]) / static_cast<double>(sides[i].runner->items());
    state.counters[sides[i].name + "_ns"] = 1e9 * per_item;
  }
  for (size_t k = 0; k < ratios.size(); ++k) state.counters[ratios[k].name] = Median(ratio_values[k]);
}

benchmark::internal::Benchmark* RegisterInterleaved(const std::string& name, std::vector<SideMaker> makers,
                                                    std::vector<Ratio> ratios) {
  return benchmark::RegisterBenchmark(("paired/" + name).c_str(), [makers, ratios](benchmark::State& s) {
    std::vector<Side> sides;
    for (const SideMaker& m : makers) sides.push_back({m.name, m.make()});
    Interleaved(s, sides, ratios);
  });
}

}  // namespace ipsecref::bench
