// Progress on long work: one line on stderr, redrawn in place on a terminal
// and cleared at the end, so that reports on stdout stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipsecref::tool {

// "check: 45% (12.3 MB of 27.0 MB), 123456 packets, 2.1 s, about 2.6 s left";
// without a total: "check: 123456 packets, 12.3 MB, 2.1 s".
std::string ProgressLine(std::string_view what, uint64_t packets, std::optional<uint64_t> bytes,
                         std::optional<uint64_t> total_bytes, double elapsed_seconds);

class Progress {
 public:
  enum class Mode {
    kAuto,    // on a terminal, once the work has taken half a second
    kAlways,  // every update (at most ten a second) and the last, one per line off a terminal
    kNever,
  };
  Progress(std::string what, std::optional<uint64_t> total_bytes, Mode mode);
  ~Progress();  // Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `bytes()` gives how far the work has come; it is called only when the
  // line is redrawn (finding out may cost a system call).
  template <typename BytesFn>
  void Update(uint64_t packets, BytesFn&& bytes) {
    if (!Due(packets)) return;
    bytes_ = bytes();
    Draw(false);
  }
  // kAlways: the final line, with the final counts when given; on a
  // terminal the line is cleared.
  void Finish(std::optional<uint64_t> packets = std::nullopt, std::optional<uint64_t> bytes = std::nullopt);

 private:
  using Clock = std::chrono::steady_clock;
  bool Due(uint64_t packets);
  void Draw(bool last);

  std::string what_;
  std::optional<uint64_t> total_;
  Mode mode_;
  bool terminal_ = false;
  bool drawn_ = false;
  bool finished_ = false;
  uint64_t packets_ = 0;
  std::optional<uint64_t> bytes_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

// "auto", "always", "never" (what --progress takes); anything else is kAuto.
Progress::Mode ProgressMode(std::string_view name);

}  // namespace ipsecref::tool
