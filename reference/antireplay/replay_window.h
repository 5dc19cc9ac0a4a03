// reference/antireplay/ (library ipsecref_antireplay): the anti-replay
// window alone, used by ESP and AH (not the gateway replay of interop/replay/).
//
// Anti-replay window: RFC 4303 §3.4.3, with extended sequence numbers
// (RFC 4303 Appendix A) and the bitmap of RFC 6479, so that each packet costs
// O(1) whatever the window size.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/base/result.h"

namespace ipsecref::antireplay {

class ReplayWindow {
 public:
  //= rfc4303#section-3.4.3
  //# A receiver must support a window of 32 packets and should default to 64;
  //# larger windows are allowed. Size 0 disables replay checking (the
  //# receiver still tracks the highest number, for ESN inference).
  //= ipsecref#choice
  //# Windows are at most 2^20 packets (128 KiB of bitmap per SA): larger
  //# ones are clamped, so a key file cannot make one SA take unbounded memory.
  static constexpr uint32_t kMaxSize = 1u << 20;

  // Sizes above kMaxSize are clamped to it.
  ReplayWindow(uint32_t size, bool esn);

  // The pre-check of RFC 4303 §3.4.3, before the ICV: infers the high 32 bits
  // of an extended sequence number (Appendix A2.1) and answers the full
  // 64-bit number, or kReplay / kStale. Changes nothing.
  [[nodiscard]] Result<uint64_t> Check(uint32_t seq_low) const;

  // Records `seq` after its packet's ICV verified (§3.4.3: never before).
  // `seq` must have passed Check.
  void Update(uint64_t seq);

  uint64_t highest() const { return top_; }
  uint32_t size() const { return size_; }
  bool enabled() const { return size_ != 0; }

 private:
  uint64_t Infer(uint32_t seq_low) const;
  bool Seen(uint64_t seq) const;

  uint32_t size_;
  bool esn_;
  uint64_t top_ = 0;  // highest authenticated sequence number; 0 = none yet
  std::vector<uint64_t> bitmap_;  // RFC 6479: one spare block beyond the window
};

}  // namespace ipsecref::antireplay
