#include "reference/antireplay/replay_window.h"

#include <algorithm>
#include <fmt/format.h>

namespace ipsecref::antireplay {
namespace {
constexpr uint64_t kBlockBits = 64;
}  // namespace

ReplayWindow::ReplayWindow(uint32_t size, bool esn)
    : size_(std::min(size, kMaxSize)), esn_(esn) {
  // Window bits fill whole blocks, plus one block that is cleared ahead of the
  // window as it slides (RFC 6479 §2).
  size_t blocks = (std::max<uint32_t>(size_, 1) + kBlockBits - 1) / kBlockBits + 1;
  bitmap_.assign(blocks, 0);
}

uint64_t ReplayWindow::Infer(uint32_t seq_low) const {
  if (!esn_) return seq_low;
  //= rfc4303#appendix-A2.1
  //# The high half is guessed from where the window sits: if the window lies
  //# within one 2^32 subspace, a low half below its bottom belongs to the next
  //# subspace; if the window straddles two, a low half at or above its bottom
  //# belongs to the previous one.
  const uint32_t w = std::max<uint32_t>(size_, 1);
  const uint32_t th = static_cast<uint32_t>(top_ >> 32);
  const uint32_t tl = static_cast<uint32_t>(top_);
  const uint32_t bottom = tl - w + 1;  // modulo 2^32
  uint32_t seqh;
  if (tl >= w - 1) {
    seqh = seq_low >= bottom ? th : th + 1;
  } else {
    seqh = seq_low >= bottom ? th - 1 : th;
    if (th == 0 && seq_low >= bottom) seqh = 0;  // nothing precedes subspace 0
  }
  return uint64_t{seqh} << 32 | seq_low;
}

bool ReplayWindow::Seen(uint64_t seq) const {
  uint64_t bit = seq % (bitmap_.size() * kBlockBits);
  return (bitmap_[bit / kBlockBits] >> (bit % kBlockBits)) & 1;
}

Result<uint64_t> ReplayWindow::Check(uint32_t seq_low) const {
  const uint64_t seq = Infer(seq_low);
  if (!enabled()) return seq;
  //= rfc4303#section-3.4.3
  //# Without ESN the sender never uses 0 (the counter starts at 0 and the
  //# first packet carries 1); with ESN only the very first number 0 is
  //# unused.
  ENSURE(seq != 0, kStale, kNoOffset, "rfc4303#section-3.4.3", "sequence number 0 is never sent");
  if (seq > top_) return seq;
  //= rfc4303#section-3.4.3
  //# Packets left of the window and duplicates inside it are discarded.
  ENSURE(top_ - seq < size_, kStale, kNoOffset, "rfc4303#section-3.4.3",
         fmt::format("sequence number {} is left of the window [{}, {}]", seq, top_ - size_ + 1, top_));
  ENSURE(!Seen(seq), kReplay, kNoOffset, "rfc4303#section-3.4.3",
         fmt::format("sequence number {} was already received", seq));
  return seq;
}

void ReplayWindow::Update(uint64_t seq) {
  const uint64_t blocks = bitmap_.size();
  if (seq > top_) {
    //= rfc6479#section-2
    //# When the window slides, only the blocks it moves into are cleared.
    uint64_t old_block = top_ / kBlockBits;
    uint64_t new_block = seq / kBlockBits;
    uint64_t n = std::min(new_block - old_block, blocks);
    for (uint64_t i = 1; i <= n; ++i) bitmap_[(old_block + i) % blocks] = 0;
    top_ = seq;
  }
  uint64_t bit = seq % (blocks * kBlockBits);
  bitmap_[bit / kBlockBits] |= uint64_t{1} << (bit % kBlockBits);
}

}  // namespace ipsecref::antireplay
