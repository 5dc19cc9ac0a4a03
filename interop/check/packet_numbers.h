// The packets that showed something, kept to the first few: a capture of
// millions of packets with one problem each must not cost memory per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ipsecref::io {

//= ipsecref#choice
//# A report names the first 100 packets of a list (a problem, a replay, a
//# gap, an exchange's retransmissions) and counts the others: enough to find
//# them in Wireshark, bounded for any capture length.
inline constexpr size_t kPacketsKept = 100;

class PacketNumbers {
 public:
  PacketNumbers() = default;
  PacketNumbers(std::initializer_list<uint64_t> numbers) {
    for (uint64_t n : numbers) Add(n);
  }

  void Add(uint64_t number) {
    if (kept_.size() < kPacketsKept) kept_.push_back(number);
    last_ = number;
    ++count_;
  }

  // All packets added, kept or not.
  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  uint64_t front() const { return kept_.front(); }
  uint64_t back() const { return last_; }  // the last one added
  // The first kPacketsKept of them, in the order added.
  const std::vector<uint64_t>& kept() const { return kept_; }
  uint64_t not_kept() const { return count_ - kept_.size(); }

  bool operator==(const PacketNumbers&) const = default;

 private:
  std::vector<uint64_t> kept_;
  uint64_t count_ = 0;
  uint64_t last_ = 0;
};

}  // namespace ipsecref::io
