#include "reference/ike/sa/message_ids.h"

#include <gtest/gtest.h>

namespace ipsecref::ike::sa {
namespace {

using Verdict = RequestIds::Verdict;
using Copy = SentMessages::Copy;

//= rfc7296#section-2.2
//# Requests are numbered 0, 1, 2, ... by each end on its own.
TEST(RequestIds, EachEndCountsFromZeroByOne) {
  RequestIds ids;
  EXPECT_EQ(ids.next(), 0u);
  EXPECT_EQ(ids.Judge(0), Verdict::kFirst);
  ids.Record(0);
  EXPECT_EQ(ids.next(), 1u);
  EXPECT_EQ(ids.Judge(1), Verdict::kNext);
  ids.Record(1);
  EXPECT_EQ(ids.Judge(1), Verdict::kSame);
  EXPECT_EQ(ids.Judge(3), Verdict::kSkipped);
  EXPECT_EQ(ids.Judge(0), Verdict::kBackwards);
  ids.Record(0);  // an old ID does not lower the highest
  EXPECT_EQ(ids.highest(), 1u);
  EXPECT_EQ(ids.next(), 2u);
}

TEST(RequestIds, TheLastIdIsNotWrapped) {
  RequestIds ids;
  ids.Record(0xfffffffe);
  EXPECT_EQ(ids.Judge(0xffffffff), Verdict::kNext);
  EXPECT_EQ(ids.Judge(0), Verdict::kBackwards);
}

Header Message(bool initiator_flag, bool response, uint32_t id) {
  Header h;
  h.flags = static_cast<uint8_t>((initiator_flag ? kFlagInitiator : 0) | (response ? kFlagResponse : 0));
  h.message_id = id;
  return h;
}

//= rfc7296#section-3.1
//# The I flag marks messages of the original initiator, the R flag responses:
//# a response belongs to the other end's request.
TEST(ExchangeKey, AResponseBelongsToTheOtherEndsRequest) {
  EXPECT_EQ(KeyOf(Message(true, false, 5)), (ExchangeKey{true, 5}));    // initiator's request
  EXPECT_EQ(KeyOf(Message(false, true, 5)), (ExchangeKey{true, 5}));    // responder answers it
  EXPECT_EQ(KeyOf(Message(false, false, 5)), (ExchangeKey{false, 5}));  // responder's own request
  EXPECT_EQ(KeyOf(Message(true, true, 5)), (ExchangeKey{false, 5}));    // initiator answers it
}

//= rfc7296#section-2.1
//# A retransmission repeats the message byte for byte.
TEST(SentMessages, RetransmissionsAreIdenticalPerDirectionAndFragment) {
  SentMessages sent;
  const Bytes request{1, 2, 3}, response{4, 5}, changed{4, 6};
  EXPECT_EQ(sent.Remember(false, 0, request), Copy::kFirst);
  EXPECT_EQ(sent.Remember(false, 0, request), Copy::kIdentical);
  EXPECT_EQ(sent.Remember(true, 0, response), Copy::kFirst);
  EXPECT_EQ(sent.Remember(true, 0, changed), Copy::kChanged);
  EXPECT_EQ(sent.Remember(true, 2, changed), Copy::kFirst);  // another SKF fragment
  ASSERT_NE(sent.First(true, 0), nullptr);
  EXPECT_EQ(*sent.First(true, 0), response);
  EXPECT_EQ(sent.First(false, 7), nullptr);
}

TEST(SentMessages, AMessageNotKeptIsNotCompared) {
  SentMessages sent;
  EXPECT_EQ(sent.Remember(false, 0, Bytes{1, 2}, /*keep=*/false), Copy::kFirst);
  EXPECT_EQ(sent.Remember(false, 0, Bytes{1, 2, 3}), Copy::kFirst);
  EXPECT_EQ(sent.Remember(false, 0, Bytes{1, 2, 3}), Copy::kIdentical);
}

}  // namespace
}  // namespace ipsecref::ike::sa

namespace ipsecref::ike::sa {
namespace {

// RFC 7296 §2.3: with a window of 2 and requests 0 and 1 answered, 2 and
// 3 may come in either order; 4 waits until 2 is answered.
TEST(ResponderWindowTest, TakesRequestsOutOfOrderInsideTheWindow) {
  ResponderWindow w;
  EXPECT_TRUE(w.Accepts(0, 2));
  EXPECT_TRUE(w.Accepts(1, 2));
  EXPECT_FALSE(w.Accepts(2, 2));
  w.Answered(1);
  EXPECT_FALSE(w.Accepts(1, 2));  // answered: a repeat is not new
  EXPECT_TRUE(w.Accepts(0, 2));
  EXPECT_EQ(w.expected(), 0u);
  w.Answered(0);
  EXPECT_EQ(w.expected(), 2u);
  EXPECT_TRUE(w.Accepts(3, 2));
  EXPECT_FALSE(w.Accepts(4, 2));
  w.Answered(3);
  EXPECT_TRUE(w.Accepts(2, 2));
  EXPECT_FALSE(w.Accepts(4, 2));
  w.Answered(2);
  EXPECT_EQ(w.expected(), 4u);
  EXPECT_TRUE(w.Accepts(4, 2));
  EXPECT_FALSE(w.Accepts(1, 2));
}

TEST(ResponderWindowTest, WindowOfOneTakesOnlyTheNextRequest) {
  ResponderWindow w;
  EXPECT_FALSE(w.Accepts(1, 1));
  w.Answered(0);
  EXPECT_FALSE(w.Accepts(0, 1));
  EXPECT_TRUE(w.Accepts(1, 1));
  EXPECT_FALSE(w.Accepts(2, 1));
}

}  // namespace
}  // namespace ipsecref::ike::sa
