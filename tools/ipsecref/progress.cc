#include "tools/ipsecref/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace ipsecref::tool {
namespace {

constexpr auto kRedraw = std::chrono::milliseconds(100);
constexpr auto kQuietStart = std::chrono::milliseconds(500);  // kAuto: short work shows nothing

// "812 B", "3.2 kB", "140.0 MB", "1.4 GB"
std::string Size(uint64_t bytes) {
  static constexpr struct {
    double scale;
    std::string_view unit;
  } kUnits[] = {{1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}};
  for (const auto& u : kUnits)
    if (static_cast<double>(bytes) >= u.scale) return fmt::format("{:.1f} {}", static_cast<double>(bytes) / u.scale, u.unit);
  return fmt::format("{} B", bytes);
}

}  // namespace

std::string ProgressLine(std::string_view what, uint64_t packets, std::optional<uint64_t> bytes,
                         std::optional<uint64_t> total_bytes, double elapsed_seconds) {
  if (bytes && total_bytes && *total_bytes > 0) {
    const uint64_t done = std::min(*bytes, *total_bytes);
    const double fraction = static_cast<double>(done) / static_cast<double>(*total_bytes);
    std::string line = fmt::format("{}: {:.0f}% ({} of {}), {} packets, {:.1f} s", what, fraction * 100,
                                   Size(done), Size(*total_bytes), packets, elapsed_seconds);
    if (fraction > 0 && fraction < 1)
      line += fmt::format(", about {:.1f} s left", elapsed_seconds * (1 - fraction) / fraction);
    return line;
  }
  if (bytes) return fmt::format("{}: {} packets, {}, {:.1f} s", what, packets, Size(*bytes), elapsed_seconds);
  return fmt::format("{}: {} packets, {:.1f} s", what, packets, elapsed_seconds);
}

Progress::Mode ProgressMode(std::string_view name) {
  if (name == "always") return Progress::Mode::kAlways;
  if (name == "never") return Progress::Mode::kNever;
  return Progress::Mode::kAuto;
}

Progress::Progress(std::string what, std::optional<uint64_t> total_bytes, Mode mode)
    : what_(std::move(what)), total_(total_bytes), mode_(mode), terminal_(isatty(STDERR_FILENO) != 0) {
  if (mode_ == Mode::kAuto && !terminal_) mode_ = Mode::kNever;
}

Progress::~Progress() { Finish(); }

bool Progress::Due(uint64_t packets) {
  if (mode_ == Mode::kNever) return false;
  packets_ = packets;
  // The clock is read once every 256 packets: the update must cost nothing
  // next to a packet's ICV.
  if ((packets & 0xff) != 0 && (drawn_ || mode_ == Mode::kAuto)) return false;
  const Clock::time_point now = Clock::now();
  if (mode_ == Mode::kAuto && now - start_ < kQuietStart) return false;
  if (drawn_ && now - last_draw_ < kRedraw) return false;
  last_draw_ = now;
  return true;
}

void Progress::Finish(std::optional<uint64_t> packets, std::optional<uint64_t> bytes) {
  if (finished_) return;
  finished_ = true;
  if (packets) packets_ = *packets;
  if (bytes) bytes_ = bytes;
  if (mode_ == Mode::kAlways) {
    Draw(true);
  } else if (drawn_ && terminal_) {
    std::fputs("\r\033[K", stderr);  // the report follows on a clean line
    std::fflush(stderr);
  }
}

void Progress::Draw(bool last) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const std::string line = ProgressLine(what_, packets_, bytes_, total_, elapsed);
  // fputs, not fmt::print: a progress line that stderr refuses (2>/dev/full)
  // is lost, not an exception (Draw runs in the destructor too).
  const std::string text = terminal_ ? fmt::format("\r{}\033[K{}", line, last ? "\n" : "") : line + "\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace ipsecref::tool
