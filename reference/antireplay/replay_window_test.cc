#include "reference/antireplay/replay_window.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace ipsecref::antireplay {
namespace {

// A trivially correct receiver: remembers every accepted number.
struct Model {
  uint32_t size;
  uint64_t top = 0;
  std::set<uint64_t> seen;

  Code Verdict(uint64_t seq) const {
    if (seq == 0) return Code::kStale;
    if (seq > top) return Code::kTruncated;  // "accept" marker
    if (top - seq >= size) return Code::kStale;
    if (seen.count(seq)) return Code::kReplay;
    return Code::kTruncated;
  }
  void Accept(uint64_t seq) {
    seen.insert(seq);
    top = std::max(top, seq);
  }
};

TEST(ReplayWindow, AcceptsInOrderAndRejectsDuplicates) {
  //= rfc4303#section-3.4.3
  //# Duplicates are discarded; numbers left of the window are discarded.
  ReplayWindow w(32, false);
  for (uint32_t s = 1; s <= 100; ++s) {
    auto r = w.Check(s);
    ASSERT_TRUE(r.ok()) << s;
    w.Update(*r);
  }
  EXPECT_EQ(w.Check(100).error().code, Code::kReplay);
  EXPECT_EQ(w.Check(69).error().code, Code::kReplay);
  EXPECT_EQ(w.Check(68).error().code, Code::kStale);
  EXPECT_EQ(w.Check(0).error().code, Code::kStale);
}

TEST(ReplayWindow, CheckAloneDoesNotAdvance) {
  //= rfc4303#section-3.4.3
  //# The window is updated only after the ICV verified.
  ReplayWindow w(64, false);
  ASSERT_TRUE(w.Check(1000).ok());
  EXPECT_EQ(w.highest(), 0u);
  EXPECT_TRUE(w.Check(1).ok());
}

TEST(ReplayWindow, OutOfOrderInsideWindowAccepted) {
  ReplayWindow w(64, false);
  w.Update(*w.Check(200));
  auto r = w.Check(150);
  ASSERT_TRUE(r.ok());
  w.Update(*r);
  EXPECT_EQ(w.Check(150).error().code, Code::kReplay);
  EXPECT_EQ(w.Check(136).error().code, Code::kStale);
  EXPECT_TRUE(w.Check(137).ok());
}

TEST(ReplayWindow, EsnInfersNextSubspaceAcrossWrap) {
  //= rfc4303#appendix-A2.1
  //# Low halves below the window's bottom belong to the next subspace.
  ReplayWindow w(64, true);
  w.Update(0xfffffff0ULL);
  auto next = w.Check(0x00000005);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 0x100000005ULL);
  w.Update(*next);
  // Now the window straddles the wrap: a low half near 2^32 is from subspace 0.
  auto late = w.Check(0xfffffff8);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, 0xfffffff8ULL);
  EXPECT_EQ(w.Check(0xfffffff0).error().code, Code::kReplay);
}

TEST(ReplayWindow, DisabledAcceptsEverything) {
  ReplayWindow w(0, false);
  w.Update(*w.Check(5));
  EXPECT_TRUE(w.Check(5).ok());
  EXPECT_TRUE(w.Check(0).ok());
}

TEST(ReplayWindow, LargeWindowSlidesFar) {
  ReplayWindow w(4096, false);
  w.Update(*w.Check(1));
  w.Update(*w.Check(1'000'000));
  EXPECT_TRUE(w.Check(1'000'000 - 4095).ok());
  EXPECT_EQ(w.Check(1'000'000 - 4096).error().code, Code::kStale);
  EXPECT_EQ(w.Check(1'000'000).error().code, Code::kReplay);
}

// Random walks of the real 64-bit sequence number around a start point, fed
// to the window as the low 32 bits only (ESN) or as is; the window must agree
// with the model on every verdict and, with ESN, infer the true number.
void CheckAgainstModel(uint32_t size, bool esn, uint64_t start,
                       const std::vector<int32_t>& steps, const std::vector<bool>& icv_ok) {
  ReplayWindow w(size, esn);
  Model m{size};
  // The receiver has followed the sender up to `start` (a window cannot infer
  // the high half for a first packet 2^32 away, nor does a real sender jump).
  w.Update(start);
  m.Accept(start);
  uint64_t cursor = start;
  for (size_t i = 0; i < steps.size(); ++i) {
    int64_t next = static_cast<int64_t>(cursor) + steps[i];
    if (next <= 0) continue;
    uint64_t seq = static_cast<uint64_t>(next);
    if (!esn && seq > 0xffffffffULL) continue;
    // ESN inference is only defined within 2^31 of the window.
    auto r = w.Check(static_cast<uint32_t>(seq));
    Code expected = m.Verdict(seq);
    if (expected == Code::kTruncated) {
      RC_ASSERT(r.ok());
      RC_ASSERT(*r == seq);
      if (icv_ok[i % icv_ok.size()]) {
        w.Update(seq);
        m.Accept(seq);
        cursor = seq;
      }
    } else if (esn && expected == Code::kStale && r.ok()) {
      //= rfc4303#appendix-A2.1
      //# With ESN a number below the window is taken to be in the next
      //# subspace; the ICV, computed by the sender with other high bits, then
      //# fails. So the inferred number must differ from the true one.
      RC_ASSERT(*r != seq);
    } else {
      RC_ASSERT(!r.ok());
      RC_ASSERT(r.error().code == expected);
    }
    RC_ASSERT(w.highest() == m.top);
  }
}

RC_GTEST_PROP(ReplayWindow, AgreesWithModel, ()) {
  const uint32_t size = *rc::gen::element<uint32_t>(32, 64, 100, 1024, 4096);
  const bool esn = *rc::gen::arbitrary<bool>();
  // Start near the 2^32 boundary half of the time to exercise the wrap.
  const uint64_t start = *rc::gen::oneOf(rc::gen::just<uint64_t>(0xffffffffULL - 3000),
                                         rc::gen::inRange<uint64_t>(1, 5000));
  const auto steps = *rc::gen::container<std::vector<int32_t>>(
      rc::gen::inRange<int32_t>(-static_cast<int32_t>(size) * 2, static_cast<int32_t>(size) * 2));
  const auto icv_ok = *rc::gen::nonEmpty(rc::gen::container<std::vector<bool>>(
      rc::gen::weightedElement<bool>({{4, true}, {1, false}})));
  CheckAgainstModel(size, esn, start, steps, icv_ok);
}

}  // namespace
}  // namespace ipsecref::antireplay
