// Random sequences of operations on two reference peers (create, rekey or
// delete a CHILD SA, rekey or delete the IKE SA, liveness, from either end)
// interleaved with a random network (deliver any datagram in flight, drop
// one, duplicate one) and time passing (retransmissions fire). Once the
// network is left alone and every retransmission has run its course, RFC
// 7296 asks that both ends hold the same IKE SAs and the same CHILD SAs
// (SPIs and keys crosswise), none orphaned or duplicated, Message IDs in
// step (exchange_test_util.h, ExpectAgreement and ExpectMessageIdsInStep).
//
// Each case establishes an IKE SA and runs a few exchanges with real
// crypto (X25519, AES-GCM): about 1 ms a case (1000 cases: 0.9 s on the
// dev build), so tools/run-tests.sh's
// RC_PARAMS (max_success=1000) costs about a second; RapidCheck's own
// default is 100 cases.
#include <gtest/gtest.h>
#include <gtest/gtest-spi.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "reference/ike/sa/exchange_test_util.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::ike::sa {
namespace {

using exchange_testing::Agreement;
using exchange_testing::ExpectAgreement;
using exchange_testing::ExpectMessageIdsInStep;
using exchange_testing::kQuiescence;
using exchange_testing::PeerOf;
using exchange_testing::Side;
using exchange_testing::Transcript;
using testing::Exchange;

enum class Op : uint8_t { kChildCreate, kChildRekey, kChildDelete, kIkeRekey, kIkeDelete, kLiveness };

// Both ends know a second CHILD SA (10.3.0.0/16 <-> 10.4.0.0/16) to create.
// Requests are retransmitted every 4 s up to 40 times, so that the random
// drops (at most one per step) never make a peer dead: the property is
// about agreement, the give-up has its own test (exchange_rfc_test.cc).
IkeConfig Config(IkeConfig c, std::string_view local, std::string_view remote) {
  ChildConfig other = c.children.front();
  other.name = "other";
  other.local_ts = *ParseTrafficSelectors(local);
  other.remote_ts = *ParseTrafficSelectors(remote);
  c.children.push_back(std::move(other));
  c.retransmit.base = 1.0;
  c.retransmit.tries = 40;
  return c;
}

// Starts `op` at `side` on its first IKE SA and CHILD SA (`pick` chooses
// among the CHILD SAs); false when there is nothing to act on.
bool Start(Exchange& x, Side side, Op op, size_t pick, bool one_at_a_time) {
  Peer& p = PeerOf(x, side);
  // With no timers configured, a deadline means a request outstanding.
  if (one_at_a_time && p.NextDeadline().has_value()) return false;
  const std::vector<IkeSa*> sas = p.IkeSas();
  if (sas.empty()) return false;
  IkeSa& sa = *sas[pick % sas.size()];
  const uint64_t spi = sa.local_spi();
  // A CHILD SA is rekeyed or deleted once the other end holds it too: one
  // whose CREATE_CHILD_SA response is still on its way is left alone (that
  // crossing has its own test: collision_test.cc,
  // DeleteOfAChildSaThePeerIsStillCreating).
  std::vector<uint32_t> known;
  for (const ChildSa& c : sa.children)
    for (IkeSa* other : PeerOf(x, exchange_testing::Other(side)).IkeSas())
      if (other->FindChildByInbound(c.spi_out) != nullptr) known.push_back(c.spi_in);
  const uint32_t child = known.empty() ? 0 : known[pick % known.size()];
  switch (op) {
    case Op::kChildCreate: return p.CreateChild(spi, 1).ok();
    case Op::kChildRekey: return child != 0 && p.RekeyChild(spi, child).ok();
    case Op::kChildDelete: return child != 0 && p.DeleteChild(spi, child).ok();
    case Op::kIkeRekey: return p.RekeyIke(spi).ok();
    case Op::kIkeDelete: return p.DeleteIke(spi).ok();
    case Op::kLiveness: return p.CheckLiveness(spi).ok();
  }
  return false;
}

enum class Step : uint8_t { kOperate, kDeliver, kDrop, kDuplicate, kTimePasses };

// What each end may start.
struct Ops {
  std::vector<Op> initiator;
  std::vector<Op> responder;
};
const Ops kChildOps = {{Op::kChildCreate, Op::kChildRekey, Op::kChildDelete, Op::kLiveness, Op::kIkeDelete},
                       {Op::kChildCreate, Op::kChildRekey, Op::kChildDelete, Op::kLiveness, Op::kIkeDelete}};
const Ops kAllOps = {
    {Op::kChildCreate, Op::kChildRekey, Op::kChildDelete, Op::kIkeRekey, Op::kIkeDelete, Op::kLiveness},
    {Op::kChildCreate, Op::kChildRekey, Op::kChildDelete, Op::kIkeRekey, Op::kIkeDelete, Op::kLiveness}};
// CHILD SA rekeys from the original initiator only: no two rekeys of one
// CHILD SA cross (their collisions are collision_test.cc's matrices), no
// IKE SA rekey.
const Ops kChildRekeysFromOneEnd = {
    {Op::kChildCreate, Op::kChildRekey, Op::kChildDelete, Op::kLiveness, Op::kIkeDelete},
    {Op::kChildCreate, Op::kChildDelete, Op::kLiveness, Op::kIkeDelete}};
// Rekeys (CHILD and IKE SA) from the original initiator only.
const Ops kRekeysFromOneEnd = {
    {Op::kChildCreate, Op::kChildRekey, Op::kChildDelete, Op::kIkeRekey, Op::kIkeDelete, Op::kLiveness},
    {Op::kChildCreate, Op::kChildDelete, Op::kIkeDelete, Op::kLiveness}};

// `one_at_a_time`: an end starts an operation only when its previous one is
// done (the ends still cross each other freely).
void RunRandomSession(const Ops& ops, bool one_at_a_time) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1u << 20);
  Exchange x(Config(testing::PskInitiatorConfig(), "10.3.0.0/16", "10.4.0.0/16"),
             Config(testing::PskResponderConfig(), "10.4.0.0/16", "10.3.0.0/16"), seed);
  RC_ASSERT(x.Establish() != 0u);
  size_t creates = 0;
  std::string trace = fmt::format("seed {}:", seed);
  constexpr std::string_view kOps[] = {"create", "rekey-child", "delete-child", "rekey-ike", "delete-ike", "liveness"};
  const size_t steps = *rc::gen::inRange<size_t>(1, 24);
  for (size_t i = 0; i < steps; ++i) {
    const Step step = *rc::gen::weightedElement<Step>(
        {{3, Step::kOperate}, {6, Step::kDeliver}, {1, Step::kDrop}, {1, Step::kDuplicate}, {1, Step::kTimePasses}});
    auto& q = x.network().in_flight;
    switch (step) {
      case Step::kOperate: {
        const Side side = *rc::gen::element(Side::kInitiator, Side::kResponder);
        const Op op = *rc::gen::elementOf(side == Side::kInitiator ? ops.initiator : ops.responder);
        const bool started = Start(x, side, op, *rc::gen::inRange<size_t>(0, 4), one_at_a_time);
        if (started && op == Op::kChildCreate) ++creates;
        trace +=
            fmt::format(" {}:{}{}", exchange_testing::Name(side), kOps[static_cast<int>(op)], started ? "" : "(n/a)");
        break;
      }
      case Step::kDeliver:
      case Step::kDrop:
      case Step::kDuplicate: {
        if (q.empty()) break;
        const size_t at = *rc::gen::inRange<size_t>(0, q.size());
        testing::Sent s = q[at];
        trace += fmt::format(" {}#{}",
                             step == Step::kDeliver ? "deliver"
                             : step == Step::kDrop  ? "drop"
                                                    : "dup",
                             s.number);
        if (step == Step::kDuplicate) {
          q.push_back(s);
          break;
        }
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(at));
        if (step == Step::kDeliver) x.Deliver(s.datagram);
        break;
      }
      case Step::kTimePasses:
        x.AdvanceToNextDeadline();
        trace += " tick";
        break;
    }
  }
  // Quiescence: the network delivers everything, retransmissions run out.
  x.Settle(kQuiescence);
  // The gtest expectations of the shared checks, caught here so that a
  // failing case does not mark the cases RapidCheck tries while shrinking.
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter catcher(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    ExpectAgreement(x, Agreement{.ike_sas = std::nullopt, .duplicates_allowed = creates >= 2});
    if (!x.initiator().IkeSas().empty()) ExpectMessageIdsInStep(x);
  }
  if (failures.size() > 0) {
    std::string what;
    for (int i = 0; i < failures.size(); ++i) what += std::string(failures.GetTestPartResult(i).message()) + "\n";
    RC_FAIL(trace + "\n" + what + Transcript(x));
  }
}

// CHILD SA operations from either end, CHILD SA rekeys only from the
// original initiator, each end one operation at a time (the ends still
// cross each other freely).
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeWithChildSaRekeysFromOneEnd, ()) {
  RunRandomSession(kChildRekeysFromOneEnd, true);
}

// The same with operations queued behind outstanding ones.
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeWithQueuedOperationsAndChildSaRekeysFromOneEnd, ()) {
  RunRandomSession(kChildRekeysFromOneEnd, false);
}

// IKE SA rekeys too, from the original initiator. They found
// exchange_rfc_test.cc's CreateChildSaRequests/QueuedBehindIkeRekey (a
// request queued behind an IKE SA rekey blocked the old IKE SA's Delete) and
// collision_test.cc's IkeRekeyAcceptedWhileAChildRekeyIsOutstanding, e.g.
// "Responder:create deliver#5 Initiator:rekey-ike drop#6" (both fixed).
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeWithRekeysFromOneEnd, ()) {
  RunRandomSession(kRekeysFromOneEnd, true);
}
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeWithQueuedOperationsAndRekeysFromOneEnd, ()) {
  RunRandomSession(kRekeysFromOneEnd, false);
}

// Rekeys from both ends. They found collision_test.cc's
// RedundantChildSaKeptWhenTheOldOneIsDeletedFirst (two crossing CHILD SA
// rekeys whose loser gets the winner's Delete of the old SA before its own
// response, e.g. "Responder:rekey-child Initiator:rekey-child deliver#5
// deliver#6 drop#7"), the bugs of the old IKE SA's exchanges and
// RekeysQueuedBehindARekeyLeaveOneChildSa below (all fixed).
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeAfterRandomChildSaOperations, ()) {
  RunRandomSession(kChildOps, true);
}
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeAfterQueuedChildSaOperations, ()) {
  RunRandomSession(kChildOps, false);
}
RC_GTEST_PROP(ExchangeProperties, BothEndsAgreeAfterRandomOperations, ()) { RunRandomSession(kAllOps, true); }

// Fixed bug (found by the properties above): the responder of a CREATE_CHILD_SA
// rekeys the new CHILD SA before its response reached the initiator; the
// initiator, not knowing the SA yet, answers CHILD_SA_NOT_FOUND and the
// responder drops the SA silently (§2.25); then the CREATE_CHILD_SA response
// arrives and the initiator installs a CHILD SA the responder no longer has.
// RFC 7296 §2.25 asks for the silent delete, so the initiator now answers
// TEMPORARY_FAILURE for an SPI its own CREATE_CHILD_SA may be creating.
//= rfc7296#section-2.25
//# CHILD_SA_NOT_FOUND: the recipient drops the CHILD SA if it still has it.
TEST(ExchangePropertyRegressions, RekeyOfAChildSaThePeerDoesNotKnowYetOrphansIt) {
  Exchange x(Config(testing::PskInitiatorConfig(), "10.3.0.0/16", "10.4.0.0/16"),
             Config(testing::PskResponderConfig(), "10.4.0.0/16", "10.3.0.0/16"), 1);
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  ASSERT_TRUE(x.initiator().CreateChild(spi, 1).ok());
  /* CREATE_CHILD_SA { SA, Ni, TSi, TSr } --> */
  ASSERT_TRUE(x.DeliverNext());
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_EQ(r->children.size(), 2u);
  ASSERT_TRUE(x.responder().RekeyChild(r->local_spi(), r->children.back().spi_in).ok());
  /* <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }   (overtakes the response) */
  ASSERT_TRUE(exchange_testing::DeliverFirst(x, exchange_testing::RequestFrom(x, Side::kResponder)));
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1});
}

// Fixed bug (found by BothEndsAgreeAfterQueuedChildSaOperations):
// ChildRekey::ProcessI (tasks/child.cc) takes `old`, a pointer into the IKE
// SA's vector of CHILD SAs, then InstallChild() pushes the new CHILD SA
// into that vector, which may reallocate it; `old->state = kRekeyed` then
// reads and writes freed memory (valgrind: "Invalid read of size 4" at
// child.cc:107, old->rekeyed_into, in every rekey that grows the vector)
// and the old CHILD SA stays REKEYING. A second rekey of it queued meanwhile fails and its
// Abandon() puts it back to INSTALLED, so a third one is sent: the peer,
// which already replaced it, answers CHILD_SA_NOT_FOUND, and this end
// creates the CHILD SA from scratch next to its rekeyed successor: two
// CHILD SAs for the same traffic at both ends.
//= rfc7296#section-1.3.3
//# A rekeyed CHILD SA is replaced by exactly one new CHILD SA.
TEST(ExchangePropertyRegressions, RekeysQueuedBehindARekeyLeaveOneChildSa) {
  Exchange x(Config(testing::PskInitiatorConfig(), "10.3.0.0/16", "10.4.0.0/16"),
             Config(testing::PskResponderConfig(), "10.4.0.0/16", "10.3.0.0/16"), 1);
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  const uint32_t child = x.OnlyIkeSa(x.initiator())->children.front().spi_in;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(x.initiator().RekeyChild(spi, child).ok());
  /* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
     <-- CREATE_CHILD_SA { SA, Nr, TSi, TSr }
     INFORMATIONAL { D } -->    (the queued rekeys of the replaced CHILD SA are dropped) */
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  size_t rekeys = 0;
  for (const Message& m : x.initiator_log().built)
    rekeys += exchange_testing::NotifyIn(m, iana::NotifyType::kRekeySa) != nullptr ? 1 : 0;
  EXPECT_EQ(rekeys, 1u) << Transcript(x);
}

// Fixed bug (found by BothEndsAgreeWithQueuedOperationsAndRekeysFromOneEnd,
// "Responder:liveness Responder:delete-ike Initiator:rekey-ike deliver#6
// drop#7"): the responder has a Delete of the IKE SA queued behind its
// liveness check when it answers the initiator's IKE SA rekey; the answer
// is lost. The queued Delete stayed on the old IKE SA (IkeSa::HandOver
// moved only CHILD SA and liveness tasks) and went out there: the
// initiator, its rekey unanswered, lost the old IKE SA with its CHILD SAs,
// while the responder kept the new one: one IKE SA at one end, none at
// the other. The queued Delete now follows the IKE SA to its successor.
//= rfc7296#section-1.4.1
//# Once the IKE SA Delete is done, the IKE SA (whichever its rekey made
//# of it) and its CHILD SAs are gone at both ends.
TEST(ExchangePropertyRegressions, IkeDeleteQueuedBehindAnAnsweredRekeyFollowsTheNewIkeSa) {
  Exchange x(Config(testing::PskInitiatorConfig(), "10.3.0.0/16", "10.4.0.0/16"),
             Config(testing::PskResponderConfig(), "10.4.0.0/16", "10.3.0.0/16"), 1);
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(r, nullptr);
  const uint64_t r_spi = r->local_spi();
  /* <-- INFORMATIONAL { }   (liveness; the Delete queued behind it) */
  ASSERT_TRUE(x.responder().CheckLiveness(r_spi).ok());
  ASSERT_TRUE(x.responder().DeleteIke(r_spi).ok());
  /* CREATE_CHILD_SA { SA, Ni, KEi } -->
     <-- CREATE_CHILD_SA { SA, Nr, KEr }   (lost) */
  ASSERT_TRUE(x.initiator().RekeyIke(spi).ok());
  ASSERT_TRUE(exchange_testing::DeliverFirst(x, exchange_testing::RequestFrom(x, Side::kInitiator)));
  ASSERT_TRUE(exchange_testing::DropFirst(x, exchange_testing::ResponseFrom(x, Side::kResponder)));
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 0});
}

}  // namespace
}  // namespace ipsecref::ike::sa
