// Reassembly of IKE fragments (RFC 7383 §2.6): any message, split any way,
// delivered in any order with duplicates, comes back whole; the field
// checks, the restart rule and our limits.
#include "reference/ike/wire/skf_reassembly.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace ipsecref::ike {
namespace {

using Outcome = SkfReassembler::Outcome;

constexpr uint8_t kIdi = 35;  // the first inner payload of an IKE_AUTH request

Bytes Concat(const std::vector<ByteSpan>& pieces) {
  Bytes out;
  for (ByteSpan p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Outcome AddOk(SkfReassembler& r, uint16_t number, uint16_t total, ByteSpan data, uint8_t np = 0) {
  auto got = r.Add(number, total, number == 1 ? (np == 0 ? kIdi : np) : 0, data);
  EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().ToString());
  return got.ok() ? *got : Outcome::kDiscarded;
}

TEST(SkfReassembly, ThreeFragmentsInOrder) {
  SkfReassembler r;
  const Bytes a(10, 1), b(10, 2), c(3, 3);
  EXPECT_EQ(AddOk(r, 1, 3, a), Outcome::kStored);
  EXPECT_EQ(AddOk(r, 2, 3, b), Outcome::kStored);
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(AddOk(r, 3, 3, c), Outcome::kComplete);
  EXPECT_TRUE(r.complete());
  //= rfc7383#section-2.6
  //# Fragment 1's Next Payload becomes the reassembled payload's.
  EXPECT_EQ(r.first_payload(), kIdi);
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  want.insert(want.end(), c.begin(), c.end());
  EXPECT_EQ(r.Take(), want);
  EXPECT_TRUE(r.Take().empty());
  //= rfc7383#section-2.6.1
  //# Late copies of a reassembled message's fragments are retransmissions.
  EXPECT_EQ(AddOk(r, 2, 3, b), Outcome::kDuplicate);
  EXPECT_TRUE(r.IsDuplicate(1, 3));
}

TEST(SkfReassembly, FieldChecksNameTheField) {
  SkfReassembler r;
  //= rfc7383#section-2.6
  //# Fragment Number and Total Fragments are non-zero; the number is at
  //# most the total.
  auto got = r.Add(1, 0, kIdi, Bytes(4, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Code::kBadFragment);
  EXPECT_EQ(got.error().offset, 6u);
  EXPECT_EQ(got.error().requirement, "rfc7383#section-2.6");
  got = r.Add(0, 2, kIdi, Bytes(4, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().offset, 4u);
  got = r.Add(3, 2, 0, Bytes(4, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().offset, 4u);
  //= rfc7383#section-2.5
  //# Only fragment 1 carries a Next Payload.
  got = r.Add(2, 2, kIdi, Bytes(4, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().offset, 0u);
  EXPECT_EQ(got.error().requirement, "rfc7383#section-2.5");
  EXPECT_EQ(r.total_fragments(), 0);
  EXPECT_EQ(r.received(), 0);
}

TEST(SkfReassembly, SingleFragmentMessage) {
  SkfReassembler r;
  EXPECT_EQ(AddOk(r, 1, 1, Bytes(7, 9)), Outcome::kComplete);
  EXPECT_EQ(r.Take(), Bytes(7, 9));
}

TEST(SkfReassembly, LargerTotalRestartsSmallerIsDiscarded) {
  SkfReassembler r;
  EXPECT_EQ(AddOk(r, 1, 2, Bytes(8, 1)), Outcome::kStored);
  //= rfc7383#section-2.6
  //# A larger Total Fragments during reassembly: start over with it.
  EXPECT_EQ(AddOk(r, 3, 3, Bytes(2, 7)), Outcome::kRestarted);
  EXPECT_EQ(r.received(), 1);
  EXPECT_EQ(r.stored_size(), 2u);
  EXPECT_EQ(r.first_payload(), 0);
  //= rfc7383#section-2.6
  //# A smaller Total Fragments than the queue's: discarded.
  EXPECT_EQ(AddOk(r, 2, 2, Bytes(8, 2)), Outcome::kDiscarded);
  EXPECT_EQ(AddOk(r, 1, 3, Bytes(5, 5)), Outcome::kStored);
  EXPECT_EQ(AddOk(r, 2, 3, Bytes(5, 6)), Outcome::kComplete);
  EXPECT_EQ(r.Take(), (Bytes{5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 7, 7}));
}

TEST(SkfReassembly, LimitsAreOurs) {
  SkfReassembler r(SkfLimits{4, 20});
  auto got = r.Add(1, 5, kIdi, Bytes(1, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Code::kBadFragment);
  EXPECT_EQ(got.error().offset, 6u);
  EXPECT_EQ(got.error().requirement, "rfc7383#section-5");
  EXPECT_EQ(AddOk(r, 1, 4, Bytes(15, 1)), Outcome::kStored);
  got = r.Add(2, 4, 0, Bytes(6, 2));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Code::kBadFragment);
  EXPECT_EQ(r.stored_size(), 15u);
  EXPECT_EQ(r.received(), 1);
  EXPECT_FALSE(r.IsDuplicate(2, 4));
}

TEST(SkfSplit, EdgeCases) {
  EXPECT_EQ(SplitForFragments({}, 10).size(), 1u);
  const Bytes data(25, 1);
  EXPECT_TRUE(SplitForFragments(data, 0).empty());
  const auto pieces = SplitForFragments(data, 10);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[2].size(), 5u);
  const Bytes big(70000, 0);
  EXPECT_TRUE(SplitForFragments(big, 1).empty());
}

// ---- Properties ------------------------------------------------------------

// A random permutation of `items` (RapidCheck shrinks the sort keys).
template <typename T>
std::vector<T> Shuffled(const std::vector<T>& items) {
  const auto keys = *rc::gen::container<std::vector<uint32_t>>(items.size(), rc::gen::arbitrary<uint32_t>());
  std::vector<size_t> index(items.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = i;
  std::stable_sort(index.begin(), index.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<T> out;
  for (size_t i : index) out.push_back(items[i]);
  return out;
}

RC_GTEST_PROP(SkfProperties, AnyOrderWithDuplicatesReassemblesTheOriginal, ()) {
  const Bytes message = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 4000),
                                                   rc::gen::arbitrary<uint8_t>());
  const size_t piece = *rc::gen::inRange<size_t>(1, 1500);
  const auto pieces = SplitForFragments(message, piece);
  RC_ASSERT(!pieces.empty());
  RC_ASSERT(Concat(pieces) == message);
  for (ByteSpan p : pieces) RC_ASSERT(p.size() <= piece);
  const auto total = static_cast<uint16_t>(pieces.size());
  const uint8_t first = *rc::gen::inRange<uint8_t>(1, 255);

  // Each fragment at least once, some twice or more, shuffled.
  std::vector<uint16_t> order;
  for (uint16_t n = 1; n <= total; ++n) {
    const int copies = *rc::gen::inRange(1, 4);
    for (int i = 0; i < copies; ++i) order.push_back(n);
  }
  order = Shuffled(order);

  SkfReassembler r(SkfLimits{static_cast<uint16_t>(std::max<size_t>(total, 1)), message.size()});
  std::vector<bool> seen(total, false);
  size_t distinct = 0;
  for (uint16_t n : order) {
    RC_ASSERT(r.IsDuplicate(n, total) == seen[n - 1]);
    auto got = r.Add(n, total, n == 1 ? first : 0, pieces[n - 1]);
    RC_ASSERT(got.ok());
    if (seen[n - 1]) {
      RC_ASSERT(*got == Outcome::kDuplicate);
      continue;
    }
    seen[n - 1] = true;
    ++distinct;
    RC_ASSERT(*got == (distinct == total ? Outcome::kComplete : Outcome::kStored));
    RC_ASSERT(r.stored_size() <= message.size());
  }
  RC_ASSERT(r.complete());
  RC_ASSERT(r.first_payload() == first);
  RC_ASSERT(r.Take() == message);
}

RC_GTEST_PROP(SkfProperties, RefragmentedMessageRestartsAndCompletes, ()) {
  // The peer sends a message in n pieces, then (say after PMTU discovery,
  // RFC 7383 §2.5.2) in m > n pieces; stragglers of the first try arrive
  // mixed in. Reassembly yields the message and drops the stragglers.
  const Bytes message = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(2, 3000),
                                                   rc::gen::arbitrary<uint8_t>());
  const size_t big = *rc::gen::inRange<size_t>(2, message.size() + 1);
  const auto first_try = SplitForFragments(message, big);
  // Pieces of at most size/(n+1) bytes are at least n+1 (n < size, as big >= 2).
  const size_t small = *rc::gen::inRange<size_t>(1, message.size() / (first_try.size() + 1) + 1);
  const auto second_try = SplitForFragments(message, small);
  RC_ASSERT(second_try.size() > first_try.size());
  const auto n = static_cast<uint16_t>(first_try.size());
  const auto m = static_cast<uint16_t>(second_try.size());

  SkfReassembler r(SkfLimits{65535, 1 << 20});
  // Some fragments of the first try arrive first, never all of them.
  const auto early = *rc::gen::inRange<uint16_t>(1, n + 1);
  for (uint16_t i = 1; i < early; ++i)
    RC_ASSERT(*r.Add(i, n, i == 1 ? kIdi : 0, first_try[i - 1]) == Outcome::kStored);

  std::vector<std::pair<uint16_t, uint16_t>> rest;  // (Total Fragments, Fragment Number)
  for (uint16_t i = early; i <= n; ++i) rest.emplace_back(n, i);
  for (uint16_t i = 1; i <= m; ++i) rest.emplace_back(m, i);
  rest = Shuffled(rest);
  bool first_begun = early > 1;  // fragments of the first try are held
  bool first_done = false;       // the first try completed before the second began
  bool second = false;           // reassembly follows the second try
  for (auto [total, number] : rest) {
    const auto& pieces = total == n ? first_try : second_try;
    auto got = r.Add(number, total, number == 1 ? kIdi : 0, pieces[number - 1]);
    RC_ASSERT(got.ok());
    if (total == n) {
      if (second) {
        RC_ASSERT(*got == Outcome::kDiscarded);
      } else {
        RC_ASSERT(*got == Outcome::kStored || *got == Outcome::kComplete);
        first_begun = true;
        first_done = *got == Outcome::kComplete;
      }
    } else if (first_done) {
      RC_ASSERT(*got == Outcome::kDuplicate);  // a retransmission of a message we have
    } else if (!second) {
      // With nothing held yet, the second try simply starts.
      RC_ASSERT(*got == (first_begun ? Outcome::kRestarted : Outcome::kStored));
      second = true;
    } else {
      RC_ASSERT(*got == Outcome::kStored || *got == Outcome::kComplete);
    }
  }
  RC_ASSERT(r.complete());
  RC_ASSERT(r.Take() == message);
}

RC_GTEST_PROP(SkfProperties, NeverHoldsMoreThanTheLimits, ()) {
  const SkfLimits limits{*rc::gen::inRange<uint16_t>(1, 20), *rc::gen::inRange<size_t>(0, 500)};
  SkfReassembler r(limits);
  const int steps = *rc::gen::inRange(1, 60);
  for (int i = 0; i < steps; ++i) {
    const auto total = *rc::gen::inRange<uint16_t>(0, 25);
    const auto number = *rc::gen::inRange<uint16_t>(0, 25);
    const uint8_t np = *rc::gen::element<uint8_t>(0, kIdi);
    const Bytes data = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 120), rc::gen::arbitrary<uint8_t>());
    const uint16_t before_total = r.total_fragments();
    const uint16_t before_received = r.received();
    auto got = r.Add(number, total, np, data);
    if (!got.ok()) {
      RC_ASSERT(got.error().code == Code::kBadFragment);
      RC_ASSERT(r.total_fragments() == before_total);
      RC_ASSERT(r.received() == before_received);
    }
    RC_ASSERT(r.total_fragments() <= limits.max_fragments);
    RC_ASSERT(r.received() <= r.total_fragments());
    RC_ASSERT(r.stored_size() <= limits.max_total_size);
  }
}

}  // namespace
}  // namespace ipsecref::ike
