// Collision matrices (RFC 7296 §2.8.1, §2.8.2, §2.25): both ends start an
// exchange at the same moment and the four messages of the two exchanges
// cross in every order the network allows, with and without one of them
// lost on the way (the lost one comes back as a retransmission, so the
// other end's retransmissions arrive as duplicates too). strongSwan's
// test_child_rekey.c, test_ike_rekey.c, test_child_delete.c and
// test_ike_delete.c draw the same crossings; here each one is a row of a
// matrix and every row ends with what the RFC asks for: both ends hold the
// same IKE and CHILD SAs, nothing is orphaned or duplicated, Message IDs
// are in step, and of two simultaneous rekeys the one §2.8.1 / §2.8.2 names
// survives.
//
// The two crossing exchanges, X started by one end and Y by the other:
//
//        X's end                          Y's end
//   request X  ----\              /----  request Y
//                   \------------/---->
//              <-----------------/ /----  response to X
//   response Y ----\              /
//                   \------------/---->
//
// The legs, in the six orders where each response follows its request:
//   crossing:   X Y x y | X Y y x | Y X x y | Y X y x   (both requests first)
//   one after:  X x Y y | Y y X x                       (one exchange done first)
// (capitals: a request delivered, lower case: its response delivered).
// The messages that follow (the Delete of the redundant or old SA) go in the
// order sent, or, in the RequestsFirst matrices, ahead of any response
// still on its way.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>
#include <span>

#include "reference/ike/sa/exchange_test_util.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::ike::sa {
namespace {

using exchange_testing::Agreement;
using exchange_testing::Built;
using exchange_testing::DeliverFirst;
using exchange_testing::DropFirst;
using exchange_testing::ExpectAgreement;
using exchange_testing::ExpectMessageIdsInStep;
using exchange_testing::kQuiescence;
using exchange_testing::LogOf;
using exchange_testing::Lower;
using exchange_testing::NonceIn;
using exchange_testing::Other;
using exchange_testing::PeerOf;
using exchange_testing::ProposedSpi;
using exchange_testing::RequestFrom;
using exchange_testing::ResponseFrom;
using exchange_testing::Side;
using testing::Exchange;

// Configurations with a second CHILD SA (10.3.0.0/16 <-> 10.4.0.0/16) that
// a CREATE_CHILD_SA can add beside the first.
IkeConfig WithSecondChild(IkeConfig c, std::string_view local, std::string_view remote) {
  ChildConfig other = c.children.front();
  other.name = "other";
  other.local_ts = *ParseTrafficSelectors(local);
  other.remote_ts = *ParseTrafficSelectors(remote);
  c.children.push_back(std::move(other));
  return c;
}
std::unique_ptr<Exchange> Established(uint64_t seed) {
  auto x =
      std::make_unique<Exchange>(WithSecondChild(testing::PskInitiatorConfig(), "10.3.0.0/16", "10.4.0.0/16"),
                                 WithSecondChild(testing::PskResponderConfig(), "10.4.0.0/16", "10.3.0.0/16"), seed);
  EXPECT_NE(x->Establish(), 0u);
  return x;
}

// --- What each end starts ---

enum class Op : uint8_t { kChildCreate, kChildRekey, kChildDelete, kIkeRekey, kIkeDelete, kLiveness };

Status Start(Exchange& x, Side side, Op op) {
  Peer& p = PeerOf(x, side);
  IkeSa* sa = x.OnlyIkeSa(p);
  if (sa == nullptr || sa->children.empty()) return MakeError(Code::kInvalidArgument, kNoOffset, "", "no SA to act on");
  const uint64_t spi = sa->local_spi();
  const uint32_t child = sa->children.front().spi_in;
  switch (op) {
    case Op::kChildCreate: return p.CreateChild(spi, 1);
    case Op::kChildRekey: return p.RekeyChild(spi, child);
    case Op::kChildDelete: return p.DeleteChild(spi, child);
    case Op::kIkeRekey: return p.RekeyIke(spi);
    case Op::kIkeDelete: return p.DeleteIke(spi);
    case Op::kLiveness: return p.CheckLiveness(spi);
  }
  return OkStatus();
}

// --- The crossing ---

enum class Leg : uint8_t { kRequestX, kRequestY, kResponseX, kResponseY };
using Order = std::array<Leg, 4>;
constexpr Order kOrders[] = {
    {Leg::kRequestX, Leg::kRequestY, Leg::kResponseX, Leg::kResponseY},
    {Leg::kRequestX, Leg::kRequestY, Leg::kResponseY, Leg::kResponseX},
    {Leg::kRequestY, Leg::kRequestX, Leg::kResponseX, Leg::kResponseY},
    {Leg::kRequestY, Leg::kRequestX, Leg::kResponseY, Leg::kResponseX},
    {Leg::kRequestX, Leg::kResponseX, Leg::kRequestY, Leg::kResponseY},
    {Leg::kRequestY, Leg::kResponseY, Leg::kRequestX, Leg::kResponseX},
};
constexpr size_t kCrossingOrders = 4;  // the first four deliver both requests before either response
constexpr std::string_view kOrderNames[] = {"XYxy", "XYyx", "YXxy", "YXyx", "XxYy", "YyXx"};

// Which leg's first sending is lost (kNone: none).
enum class Loss : uint8_t { kNone, kRequestX, kRequestY, kResponseX, kResponseY };
constexpr std::string_view kLossNames[] = {"NoLoss", "LoseRequestX", "LoseRequestY", "LoseResponseX", "LoseResponseY"};
constexpr Loss kLosses[] = {Loss::kNone, Loss::kRequestX, Loss::kRequestY, Loss::kResponseX, Loss::kResponseY};
Loss LossOf(Leg leg) { return static_cast<Loss>(static_cast<uint8_t>(leg) + 1); }

// The end that sends the leg's message.
Side Sender(Leg leg, Side x_side) {
  switch (leg) {
    case Leg::kRequestX:
    case Leg::kResponseY: return x_side;
    case Leg::kRequestY:
    case Leg::kResponseX: return Other(x_side);
  }
  return x_side;
}
bool IsResponse(Leg leg) { return leg == Leg::kResponseX || leg == Leg::kResponseY; }

// Delivers one leg; a lost leg is dropped and comes back the way RFC 7296
// §2.1 brings it back: the requester retransmits (on the fake clock's next
// deadline) and a responder answers a retransmitted request from its cache.
// Returns false when the leg's message is not there to deliver: the end that
// would send it is gone (an IKE SA deleted under it) or never sends it.
bool DeliverLeg(Exchange& x, Side x_side, Leg leg, Loss loss) {
  const Side sender = Sender(leg, x_side);
  const auto match = IsResponse(leg) ? ResponseFrom(x, sender) : RequestFrom(x, sender);
  if (loss != LossOf(leg)) return DeliverFirst(x, match);
  if (!DropFirst(x, match)) return false;
  const Side requester = IsResponse(leg) ? Other(sender) : sender;
  const auto retransmitted = RequestFrom(x, requester);
  while (exchange_testing::CountInFlight(x, retransmitted) == 0) {
    if (PeerOf(x, requester).IkeSas().empty() || !x.AdvanceToNextDeadline()) return false;
  }
  if (!IsResponse(leg)) return DeliverFirst(x, retransmitted);
  return DeliverFirst(x, retransmitted) && DeliverFirst(x, match);
}

struct Crossed {
  std::unique_ptr<Exchange> x;
  size_t mark_x = 0, mark_y = 0;  // the logs' lengths once established
  std::string problem;
  size_t legs_missing = 0;  // legs that were not there to deliver
};

// How the messages besides the four legs are delivered: after the
// crossing in the order sent, or every request before any response: a
// follow-up request (the Delete after a rekey) overtakes the answers still
// on their way, also before a response leg (strongSwan's "delayed
// response" diagrams).
enum class Rest : uint8_t { kInOrder, kRequestsFirst };

// Delivers requests before responses until nothing is in flight and no
// retransmission is due within the quiescence horizon.
void SettleRequestsFirst(Exchange& x) {
  const Time until = x.clock().Now() + kQuiescence;
  const exchange_testing::Match request = [](const Datagram& d) {
    const std::optional<Header> h = exchange_testing::HeaderOf(d);
    return h && !h->response();
  };
  for (int step = 0; step < 10000; ++step) {
    if (DeliverFirst(x, request) || x.DeliverNext()) continue;
    std::optional<Time> next = x.initiator().NextDeadline();
    if (auto t = x.responder().NextDeadline(); t && (!next || *t < *next)) next = t;
    if (!next || *next > until) return;
    x.AdvanceToNextDeadline();
  }
}

Crossed Cross(uint64_t seed, Side x_side, Op op_x, Op op_y, const Order& order, Loss loss, Rest rest = Rest::kInOrder) {
  Crossed r;
  r.x = Established(seed);
  Exchange& x = *r.x;
  r.mark_x = LogOf(x, x_side).built.size();
  r.mark_y = LogOf(x, Other(x_side)).built.size();
  if (!Start(x, x_side, op_x).ok() || !Start(x, Other(x_side), op_y).ok()) {
    r.problem = "could not start the exchanges";
    return r;
  }
  std::vector<Bytes> legs;  // the two requests (retransmissions repeat them byte for byte)
  for (const auto& sent : x.network().in_flight) legs.push_back(sent.datagram.data);
  const exchange_testing::Match follow_up = [&legs](const Datagram& d) {
    const std::optional<Header> h = exchange_testing::HeaderOf(d);
    return h && !h->response() && std::find(legs.begin(), legs.end(), d.data) == legs.end();
  };
  for (Leg leg : order) {
    if (rest == Rest::kRequestsFirst && IsResponse(leg))
      while (DeliverFirst(x, follow_up)) {
      }
    r.legs_missing += DeliverLeg(x, x_side, leg, loss) ? 0 : 1;
  }
  if (rest == Rest::kRequestsFirst) SettleRequestsFirst(x);
  x.Settle(kQuiescence);
  return r;
}

// --- Simultaneous rekeys and the nonce rule ---

// The two exchanges' nonces and the SPIs each end proposed, from what the
// ends built: X's request (Ni), the response to it (Nr), and the same for Y.
struct Nonces {
  const Bytes* ni_x = nullptr;
  const Bytes* nr_x = nullptr;  // in Y's response to X
  const Bytes* ni_y = nullptr;
  const Bytes* nr_y = nullptr;  // in X's response to Y
  uint64_t spi_i_x = 0, spi_r_x = 0, spi_i_y = 0, spi_r_y = 0;
};
Nonces NoncesOf(const Crossed& r, Side x_side) {
  Nonces n;
  const auto read = [](const testing::Recorder& log, size_t from, bool response, const Bytes*& nonce, uint64_t& spi) {
    for (const Message* m : Built(log, iana::ExchangeType::kCreateChildSa, from)) {
      if (m->header.response() != response) continue;
      nonce = NonceIn(*m);
      spi = ProposedSpi(*m);
      return;
    }
  };
  read(LogOf(*r.x, x_side), r.mark_x, false, n.ni_x, n.spi_i_x);
  read(LogOf(*r.x, Other(x_side)), r.mark_y, true, n.nr_x, n.spi_r_x);
  read(LogOf(*r.x, Other(x_side)), r.mark_y, false, n.ni_y, n.spi_i_y);
  read(LogOf(*r.x, x_side), r.mark_x, true, n.nr_y, n.spi_r_y);
  return n;
}

// Which of the four nonces is the lowest: 0 X's Ni, 1 the Nr answering X,
// 2 Y's Ni, 3 the Nr answering Y; -1 when an exchange has no nonces (it
// was refused).
int LowestNonce(const Nonces& n) {
  const Bytes* all[] = {n.ni_x, n.nr_x, n.ni_y, n.nr_y};
  int lowest = -1;
  for (int i = 0; i < 4; ++i) {
    if (all[i] == nullptr) return -1;
    if (lowest < 0 || Lower(*all[i], *all[lowest])) lowest = i;
  }
  return lowest;
}
constexpr std::string_view kLowestNames[] = {"LowestNiX", "LowestNrX", "LowestNiY", "LowestNrY"};

//= rfc7296#section-2.8.1
//# Of two CHILD SAs created by simultaneous rekeys, the one whose exchange
//# holds the lowest of the four nonces is redundant: its creator deletes it,
//# and the other survives.
//= rfc7296#section-2.8.2
//# The same rule picks the surviving IKE SA of two simultaneous IKE SA
//# rekeys; the CHILD SAs end on the survivor.
struct RekeyCase {
  Side x_side;
  Op op;  // kChildRekey or kIkeRekey, on both ends
  size_t order;
  int lowest;  // for the crossing orders; -1 for the others
  Loss loss;
  Rest rest = Rest::kInOrder;
};

class SimultaneousRekey : public ::testing::TestWithParam<RekeyCase> {};

TEST_P(SimultaneousRekey, SurvivorIsTheOneTheNonceRuleNames) {
  const RekeyCase& c = GetParam();
  const Order& order = kOrders[c.order];
  // The nonces come from each end's seeded random source: try seeds until
  // the wanted one is the lowest (each is, about one seed in four).
  Crossed r;
  Nonces n;
  for (uint64_t seed = 1; seed < 200; ++seed) {
    r = Cross(seed, c.x_side, c.op, c.op, order, c.loss, c.rest);
    ASSERT_EQ(r.problem, "") << "seed " << seed << "\n" << exchange_testing::Transcript(*r.x);
    n = NoncesOf(r, c.x_side);
    if (c.lowest < 0 || LowestNonce(n) == c.lowest) break;
  }
  ASSERT_TRUE(c.lowest < 0 || LowestNonce(n) == c.lowest) << "no seed makes nonce " << c.lowest << " the lowest";
  Exchange& x = *r.x;
  SCOPED_TRACE(exchange_testing::Transcript(x));
  ASSERT_EQ(r.legs_missing, 0u) << "a leg of the crossing was not sent";
  const bool both_completed = n.nr_x != nullptr && n.nr_y != nullptr;
  if (c.order < kCrossingOrders) {
    //= rfc7296#section-2.25.1
    //# A request to rekey a CHILD SA the responder is rekeying itself is
    //# answered as usual: both exchanges of a true crossing complete.
    ASSERT_TRUE(both_completed) << "a crossing rekey was refused";
  }
  ASSERT_TRUE(n.nr_x != nullptr || n.nr_y != nullptr) << "neither rekey completed";
  // The exchange whose new SA survives: by the nonce rule when both
  // completed, else the one that completed.
  const bool x_survives = both_completed ? (LowestNonce(n) >= 2) : n.nr_x != nullptr;
  const uint64_t spi_in = x_survives ? n.spi_i_x : n.spi_r_y;   // at X's end
  const uint64_t spi_out = x_survives ? n.spi_r_x : n.spi_i_y;  // at X's end
  IkeSa* sa = x.OnlyIkeSa(PeerOf(x, c.x_side));
  ASSERT_NE(sa, nullptr);
  if (c.op == Op::kChildRekey) {
    ASSERT_NO_FATAL_FAILURE(ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1}));
    ASSERT_EQ(sa->children.size(), 1u);
    EXPECT_EQ(sa->children.front().spi_in, spi_in)
        << "the CHILD SA of the " << (x_survives ? "X" : "Y") << " exchange should have survived";
    EXPECT_EQ(sa->children.front().spi_out, spi_out);
  } else {
    ASSERT_NO_FATAL_FAILURE(ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1}));
    const uint64_t spi_i = x_survives ? n.spi_i_x : n.spi_i_y;
    const uint64_t spi_r = x_survives ? n.spi_r_x : n.spi_r_y;
    EXPECT_EQ(sa->spi_i, spi_i) << "the IKE SA of the " << (x_survives ? "X" : "Y") << " exchange should have survived";
    EXPECT_EQ(sa->spi_r, spi_r);
  }
  ExpectMessageIdsInStep(x);
}

std::vector<RekeyCase> RekeyCases(Op op, Rest rest = Rest::kInOrder) {
  std::vector<RekeyCase> out;
  for (Side side : {Side::kInitiator, Side::kResponder})
    for (Loss loss : kLosses)
      for (size_t order = 0; order < std::size(kOrders); ++order) {
        if (order < kCrossingOrders) {
          for (int lowest = 0; lowest < 4; ++lowest) out.push_back({side, op, order, lowest, loss, rest});
        } else {
          out.push_back({side, op, order, -1, loss, rest});
        }
      }
  return out;
}
std::string RekeyName(const ::testing::TestParamInfo<RekeyCase>& info) {
  const RekeyCase& c = info.param;
  return fmt::format("X{}_{}_{}_{}{}", exchange_testing::Name(c.x_side), kOrderNames[c.order],
                     c.lowest < 0 ? "OneAfterTheOther" : kLowestNames[c.lowest], kLossNames[static_cast<int>(c.loss)],
                     c.rest == Rest::kRequestsFirst ? "_RequestsFirst" : "");
}

INSTANTIATE_TEST_SUITE_P(ChildRekeys, SimultaneousRekey, ::testing::ValuesIn(RekeyCases(Op::kChildRekey)), RekeyName);
INSTANTIATE_TEST_SUITE_P(IkeRekeys, SimultaneousRekey, ::testing::ValuesIn(RekeyCases(Op::kIkeRekey)), RekeyName);
// The winner's Delete (of the old SA) may overtake the answer to the
// loser's rekey (once a bug: RedundantChildSaKeptWhenTheOldOneIsDeletedFirst
// and IkeRekeyLostWhenTheOldIkeSaIsDeletedFirst below).
INSTANTIATE_TEST_SUITE_P(ChildRekeysRequestsFirst, SimultaneousRekey,
                         ::testing::ValuesIn(RekeyCases(Op::kChildRekey, Rest::kRequestsFirst)), RekeyName);
INSTANTIATE_TEST_SUITE_P(IkeRekeysRequestsFirst, SimultaneousRekey,
                         ::testing::ValuesIn(RekeyCases(Op::kIkeRekey, Rest::kRequestsFirst)), RekeyName);

// --- Other crossings: rekey against delete, delete against delete, ... ---

// What both ends hold once two crossing exchanges are done.
struct Outcome {
  size_t ike_sas;
  std::optional<size_t> children;  // per IKE SA; nullopt: either way, as long as both ends agree
  bool new_ike_sa = false;         // the IKE SA left is not the first one (an IKE rekey went through)
};

struct Collision {
  std::string_view name;
  Op x, y;
  Outcome outcome;
  std::string_view requirement;
};

constexpr Collision kCollisions[] = {
    //= rfc7296#section-2.25.1
    //# A rekey of a CHILD SA the responder is closing is refused with
    //# TEMPORARY_FAILURE (or CHILD_SA_NOT_FOUND once it is gone); the
    //# Delete goes through: no CHILD SA is left.
    {"ChildRekeyVsChildDelete", Op::kChildRekey, Op::kChildDelete, {1, 0}, "rfc7296#section-2.25.1"},
    //= rfc7296#section-1.4.1
    //# Both ends closing the same CHILD SA answer each other without a
    //# Delete payload, and the SA is gone at both.
    {"ChildDeleteVsChildDelete", Op::kChildDelete, Op::kChildDelete, {1, 0}, "rfc7296#section-1.4.1"},
    {"ChildCreateVsIkeRekey", Op::kChildCreate, Op::kIkeRekey, {1, std::nullopt, true}, "rfc7296#section-2.25.2"},
    //= rfc7296#section-2.25.2
    //# When one end deletes the IKE SA while the other rekeys it (or one of
    //# its CHILD SAs), the Delete wins: nothing is left at either end.
    {"ChildRekeyVsIkeDelete", Op::kChildRekey, Op::kIkeDelete, {0, std::nullopt}, "rfc7296#section-2.25.2"},
    {"ChildCreateVsIkeDelete", Op::kChildCreate, Op::kIkeDelete, {0, std::nullopt}, "rfc7296#section-2.25.2"},
    {"ChildDeleteVsIkeDelete", Op::kChildDelete, Op::kIkeDelete, {0, std::nullopt}, "rfc7296#section-2.25.2"},
    {"IkeRekeyVsIkeDelete", Op::kIkeRekey, Op::kIkeDelete, {0, std::nullopt}, "rfc7296#section-2.25.2"},
    {"IkeDeleteVsIkeDelete", Op::kIkeDelete, Op::kIkeDelete, {0, std::nullopt}, "rfc7296#section-1.4.1"},
    {"LivenessVsIkeDelete", Op::kLiveness, Op::kIkeDelete, {0, std::nullopt}, "rfc7296#section-2.4"},
    //= rfc7296#section-2.3
    //# Exchanges on different SAs do not interfere: each end answers the
    //# other's request while its own is outstanding.
    {"ChildCreateVsChildDelete", Op::kChildCreate, Op::kChildDelete, {1, 1}, "rfc7296#section-2.3"},
    {"ChildCreateVsChildRekey", Op::kChildCreate, Op::kChildRekey, {1, 2}, "rfc7296#section-2.3"},
    {"ChildCreateVsChildCreate", Op::kChildCreate, Op::kChildCreate, {1, std::nullopt}, "rfc7296#section-2.3"},
    {"ChildRekeyVsLiveness", Op::kChildRekey, Op::kLiveness, {1, 1}, "rfc7296#section-2.4"},
    {"IkeRekeyVsLiveness", Op::kIkeRekey, Op::kLiveness, {1, 1, true}, "rfc7296#section-2.4"},
    {"LivenessVsLiveness", Op::kLiveness, Op::kLiveness, {1, 1}, "rfc7296#section-2.4"},
};

// Rows that once failed, each for a bug of the state machine named in its
// focused test below (regressions now).
constexpr Collision kCollisionsOfBugs[] = {
    //= rfc7296#section-2.25.2
    //# A CHILD SA rekey during an IKE SA rekey is refused with
    //# TEMPORARY_FAILURE; the CHILD SA moves to the new IKE SA intact.
    {"ChildRekeyVsIkeRekey", Op::kChildRekey, Op::kIkeRekey, {1, 1, true}, "rfc7296#section-2.25.2"},
    //= rfc7296#section-2.25.2
    //# A CHILD SA deleted while the IKE SA is rekeyed is gone from the new
    //# IKE SA too.
    {"ChildDeleteVsIkeRekey", Op::kChildDelete, Op::kIkeRekey, {1, 0, true}, "rfc7296#section-2.25.2"},
};

struct CollisionCase {
  const Collision* table;
  size_t collision;
  Side x_side;
  size_t order;
  Loss loss;
  Rest rest;
};

class Crossing : public ::testing::TestWithParam<CollisionCase> {};

TEST_P(Crossing, BothEndsAgree) {
  const CollisionCase& c = GetParam();
  const Collision& k = c.table[c.collision];
  SCOPED_TRACE(k.requirement);
  Crossed r = Cross(1, c.x_side, k.x, k.y, kOrders[c.order], c.loss, c.rest);
  ASSERT_EQ(r.problem, "") << exchange_testing::Transcript(*r.x);
  Exchange& x = *r.x;
  SCOPED_TRACE(exchange_testing::Transcript(x));
  // Two CHILD SAs created at once from the same configuration may both
  // stand (nothing in RFC 7296 makes them collide).
  const bool same_create = k.x == Op::kChildCreate && k.y == Op::kChildCreate;
  ASSERT_NO_FATAL_FAILURE(ExpectAgreement(
      x, Agreement{.ike_sas = k.outcome.ike_sas, .children = k.outcome.children, .duplicates_allowed = same_create}));
  if (k.outcome.ike_sas == 0) return;
  IkeSa* sa = x.OnlyIkeSa(x.initiator());
  ASSERT_NE(sa, nullptr);
  if (k.outcome.new_ike_sa) {
    const Message& first_auth = x.initiator_log().built.at(1);
    EXPECT_NE(sa->spi_i, first_auth.header.spi_i) << "the IKE SA was not rekeyed";
  }
  if (!k.outcome.children) {
    EXPECT_GE(sa->children.size(), 1u);
  }
  ExpectMessageIdsInStep(x);
}

std::vector<CollisionCase> CollisionCases(std::span<const Collision> table, Rest rest) {
  std::vector<CollisionCase> out;
  for (size_t k = 0; k < table.size(); ++k)
    for (Side side : {Side::kInitiator, Side::kResponder})
      for (size_t order = 0; order < std::size(kOrders); ++order)
        for (Loss loss : kLosses) out.push_back({table.data(), k, side, order, loss, rest});
  return out;
}
std::string CollisionName(const ::testing::TestParamInfo<CollisionCase>& info) {
  const CollisionCase& c = info.param;
  return fmt::format("{}_X{}_{}_{}{}", c.table[c.collision].name, exchange_testing::Name(c.x_side),
                     kOrderNames[c.order], kLossNames[static_cast<int>(c.loss)],
                     c.rest == Rest::kRequestsFirst ? "_RequestsFirst" : "");
}

INSTANTIATE_TEST_SUITE_P(Matrix, Crossing, ::testing::ValuesIn(CollisionCases(kCollisions, Rest::kInOrder)),
                         CollisionName);
INSTANTIATE_TEST_SUITE_P(MatrixOfBugs, Crossing, ::testing::ValuesIn(CollisionCases(kCollisionsOfBugs, Rest::kInOrder)),
                         CollisionName);
INSTANTIATE_TEST_SUITE_P(MatrixRequestsFirst, Crossing,
                         ::testing::ValuesIn(CollisionCases(kCollisions, Rest::kRequestsFirst)), CollisionName);
// The orders where the peer's Delete of the old IKE SA could overtake the
// answer to a CHILD SA rekey or Delete still outstanding on it
// (ChildExchangeOutstandingWhenTheOldIkeSaIsDeleted below).
INSTANTIATE_TEST_SUITE_P(MatrixOfBugsRequestsFirst, Crossing,
                         ::testing::ValuesIn(CollisionCases(kCollisionsOfBugs, Rest::kRequestsFirst)), CollisionName);

// Deletes of the same CHILD SA that cross: each response carries no Delete
// payload (the SA was already being closed at the responder).
TEST(CrossingDeletes, ResponsesCarryNoDelete) {
  for (size_t order = 0; order < kCrossingOrders; ++order) {
    SCOPED_TRACE(kOrderNames[order]);
    Crossed r = Cross(1, Side::kInitiator, Op::kChildDelete, Op::kChildDelete, kOrders[order], Loss::kNone);
    ASSERT_EQ(r.problem, "");
    for (Side side : {Side::kInitiator, Side::kResponder}) {
      for (const Message* m : Built(LogOf(*r.x, side), iana::ExchangeType::kInformational,
                                    side == Side::kInitiator ? r.mark_x : r.mark_y)) {
        //= rfc7296#section-1.4.1
        //# An end asked to delete a CHILD SA it is deleting itself answers
        //# without a Delete payload for it.
        if (m->header.response()) {
          EXPECT_EQ(exchange_testing::BodyIn<DeletePayload>(*m), nullptr);
        }
      }
    }
  }
}

// --- Bugs of the state machine the matrices found (fixed), one focused test each ---

// Fixed bug: HandleRequest (ike_sa.cc) destroys the IKE SA after any response
// built with keep_ike_sa and !succeeded whose rule has no on_failure state.
// IkeRekey::BuildR answers a crossing IKE SA rekey that way (succeeded =
// false: "settled once this end's own rekey completes"), so the end whose
// own rekey is outstanding destroys its old IKE SA right after answering:
// its own rekey response is then dropped ("for unknown IKE SA"), and both
// ends end with a new IKE SA each that the other does not have.
//= rfc7296#section-2.8.2
//# An end answers the peer's IKE SA rekey while its own is outstanding;
//# the old IKE SA stays until the collision is settled and the winner's
//# creator deletes it.
TEST(CollisionRegressions, ResponderOfACrossingIkeRekeyKeepsItsIkeSa) {
  auto x = Established(1);
  const uint64_t spi_i = x->initiator().IkeSas().front()->local_spi();
  const uint64_t spi_r = x->responder().IkeSas().front()->local_spi();
  ASSERT_TRUE(x->initiator().RekeyIke(spi_i).ok());
  ASSERT_TRUE(x->responder().RekeyIke(spi_r).ok());
  /* CREATE_CHILD_SA { SA, Ni, KEi } -->   (crossing the responder's own) */
  ASSERT_TRUE(DeliverFirst(*x, RequestFrom(*x, Side::kInitiator)));
  EXPECT_NE(x->responder().Find(spi_r), nullptr) << exchange_testing::Transcript(*x);
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug: a CHILD SA whose rekey is outstanding when the peer's IKE SA rekey
// arrives moves to the new IKE SA in state REKEYING; the rekey's answer
// (TEMPORARY_FAILURE, on the old IKE SA) no longer finds it, so it stays
// REKEYING for good: never rekeyed again (TimersTick rekeys INSTALLED
// ones only; RekeyChild's BuildI refuses it).
//= rfc7296#section-2.25.2
//# A CHILD SA rekey that collides with an IKE SA rekey is refused with
//# TEMPORARY_FAILURE and may be retried; the CHILD SA itself carries on,
//# on the new IKE SA.
TEST(CollisionRegressions, ChildRekeyRefusedDuringIkeRekeyLeavesTheChildInstalled) {
  Crossed r = Cross(1, Side::kInitiator, Op::kChildRekey, Op::kIkeRekey, kOrders[0], Loss::kNone);
  /* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->   <-- CREATE_CHILD_SA { SA, Ni, KEi }
     <-- CREATE_CHILD_SA { N(TEMPORARY_FAILURE) }            CREATE_CHILD_SA { SA, Nr, KEr } --> */
  IkeSa* sa = r.x->OnlyIkeSa(r.x->initiator());
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->children.size(), 1u);
  EXPECT_EQ(sa->children.front().state, ChildState::kInstalled) << exchange_testing::Transcript(*r.x);
}

// Fixed bug: a CHILD SA whose Delete is outstanding when the peer's IKE SA rekey
// arrives moves to the new IKE SA; the Delete's response (on the old IKE
// SA) removes nothing, so this end keeps a CHILD SA the peer deleted.
//= rfc7296#section-1.4.1
//# Once the Delete exchange is done the CHILD SA is gone at both ends.
TEST(CollisionRegressions, ChildDeletedDuringIkeRekeyIsGoneAtBothEnds) {
  Crossed r = Cross(1, Side::kInitiator, Op::kChildDelete, Op::kIkeRekey, kOrders[0], Loss::kNone);
  /* INFORMATIONAL { D } -->                 <-- CREATE_CHILD_SA { SA, Ni, KEi }
     <-- INFORMATIONAL { D }                 CREATE_CHILD_SA { SA, Nr, KEr } --> */
  ExpectAgreement(*r.x, Agreement{.ike_sas = 1, .children = 0});
}

// Fixed bug (found by exchange_properties_test.cc; the IKE SA rekey is now
// refused with TEMPORARY_FAILURE while a CHILD SA exchange of the responder
// is outstanding, so this crossing no longer happens): the old IKE SA, deleted by
// the peer after the IKE SA rekey, is destroyed with this end's CHILD SA
// Delete (or rekey) still outstanding on it (IkeSa::Destroy clears the
// outstanding requests without Abandon). The CHILD SA, moved to the new
// IKE SA, stays there in state DELETING (or REKEYING), while the peer
// deleted it on the Delete it answered (the answer arrives after the old
// IKE SA is gone and is dropped as for an unknown IKE SA): an orphaned
// CHILD SA; a rekey's CHILD SA is never rekeyed again.
//= rfc7296#section-1.4.1
//# Once an end answered a CHILD SA Delete, the CHILD SA is gone at both
//# ends.
//= rfc7296#section-2.18
//# The CHILD SAs of the old IKE SA continue on the new one; nothing about
//# them is lost with the old IKE SA.
TEST(CollisionRegressions, ChildExchangeOutstandingWhenTheOldIkeSaIsDeleted) {
  auto x = Established(1);
  IkeSa* i = x->OnlyIkeSa(x->initiator());
  IkeSa* r = x->OnlyIkeSa(x->responder());
  ASSERT_TRUE(i != nullptr && r != nullptr);
  ASSERT_TRUE(x->initiator().DeleteChild(i->local_spi(), i->children.front().spi_in).ok());
  ASSERT_TRUE(x->responder().RekeyIke(r->local_spi()).ok());
  const auto delete_child = exchange_testing::TakeFirst(*x, RequestFrom(*x, Side::kInitiator));
  ASSERT_TRUE(delete_child.has_value());
  /* <-- CREATE_CHILD_SA { SA, Ni, KEi } */
  ASSERT_TRUE(DeliverFirst(*x, RequestFrom(*x, Side::kResponder)));
  /* CREATE_CHILD_SA { N(TEMPORARY_FAILURE) } -->   (the initiator's Delete is outstanding, §2.25) */
  ASSERT_TRUE(DeliverFirst(*x, ResponseFrom(*x, Side::kInitiator)));
  EXPECT_EQ(exchange_testing::NotifyIn(x->initiator_log().built.back(), iana::NotifyType::kTemporaryFailure) != nullptr,
            true);
  /* INFORMATIONAL { D(ESP) } -->   (delayed) */
  x->Deliver(*delete_child);
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 0});
}

// The same with a CHILD SA rekey outstanding: refused with TEMPORARY_FAILURE
// by the old IKE SA, whose Delete overtakes that answer.
TEST(CollisionRegressions, ChildRekeyOutstandingWhenTheOldIkeSaIsDeleted) {
  /* <-- CREATE_CHILD_SA { SA, Ni, KEi }         CREATE_CHILD_SA { SA, Nr, KEr } -->
     CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
     <-- INFORMATIONAL { D(IKE) }                <-- CREATE_CHILD_SA { N(TEMPORARY_FAILURE) } */
  Crossed r = Cross(1, Side::kInitiator, Op::kChildRekey, Op::kIkeRekey, kOrders[5], Loss::kNone, Rest::kRequestsFirst);
  ExpectAgreement(*r.x, Agreement{.ike_sas = 1, .children = 1});
}

// A crossing of two rekeys where the winner's Delete of the old SA overtakes
// the answer to the loser's rekey: the seed is chosen so that X's exchange
// holds the lowest nonce (`x_redundant`) or Y's.
Crossed DelayedResponse(Op op, size_t order, bool x_redundant) {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    Crossed r = Cross(seed, Side::kInitiator, op, op, kOrders[order], Loss::kNone, Rest::kRequestsFirst);
    const int lowest = LowestNonce(NoncesOf(r, Side::kInitiator));
    if (lowest >= 0 && (lowest < 2) == x_redundant) return r;
  }
  return {};
}

// Fixed bug: simultaneous CHILD SA rekeys where the loser X's exchange has the
// lowest nonce; the winner Y completes first and deletes the old CHILD SA;
// that Delete reaches X before the answer to X's own rekey. X removes the
// old SA, then ChildRekey::ProcessI finds no old SA ("deleted by the peer
// while the rekey was under way; the new one stands") and keeps its new,
// redundant SA: both ends end with two CHILD SAs for the same traffic.
// strongSwan's test_collision_delayed_response draws this crossing.
//= rfc7296#section-2.8.1
//# Of two CHILD SAs created by simultaneous rekeys, the one whose exchange
//# holds the lowest nonce is deleted by the end that created it, whatever
//# order the remaining messages arrive in.
TEST(CollisionRegressions, RedundantChildSaKeptWhenTheOldOneIsDeletedFirst) {
  /* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->   <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
     <-- CREATE_CHILD_SA { SA, Nr, TSi, TSr }   (held)        CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->
     <-- INFORMATIONAL { D(old) }               (Y won; overtakes the held response) */
  Crossed r = DelayedResponse(Op::kChildRekey, 1, true);
  ASSERT_NE(r.x, nullptr);
  ExpectAgreement(*r.x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug: simultaneous IKE SA rekeys won by X; X deletes the old IKE SA and
// that Delete reaches Y before the answer to Y's own rekey. Y destroys the
// old IKE SA with its rekey outstanding (IkeSa::Destroy drops it without
// Abandon, so the collision is never settled): the CHILD SAs, not yet
// moved, are gone at Y, and X keeps the half of Y's redundant IKE SA it
// created as responder, which Y never deletes.
//= rfc7296#section-2.8.2
//# Of two IKE SAs created by simultaneous rekeys, the one whose exchange
//# holds the lowest nonce is deleted by its creator; the CHILD SAs move to
//# the other, whatever order the remaining messages arrive in.
TEST(CollisionRegressions, IkeRekeyLostWhenTheOldIkeSaIsDeletedFirst) {
  /* CREATE_CHILD_SA { SA, Ni, KEi } -->        <-- CREATE_CHILD_SA { SA, Ni, KEi }
     <-- CREATE_CHILD_SA { SA, Nr, KEr }        CREATE_CHILD_SA { SA, Nr, KEr } -->   (held)
     INFORMATIONAL { D(old IKE SA) } -->        (X won; overtakes the held response) */
  Crossed r = DelayedResponse(Op::kIkeRekey, 0, false);
  ASSERT_NE(r.x, nullptr);
  ExpectAgreement(*r.x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug (found by exchange_properties_test.cc): an end with a CHILD SA rekey
// outstanding (its request answered, the answer lost) accepts the peer's
// IKE SA rekey; the peer then deletes the old IKE SA, which this end
// destroys with its CHILD SA rekey still outstanding on it (never
// retransmitted, never settled). The peer keeps the new CHILD SA it
// created as responder and the old one in REKEYED; this end keeps the old
// one in REKEYING: the ends disagree for good. Either the IKE SA rekey is
// refused while an exchange of this end is outstanding (TEMPORARY_FAILURE,
// as strongSwan does), or the old IKE SA lives until its exchanges are done.
//= rfc7296#section-2.25.2
//# An IKE SA rekey that collides with an exchange still under way on the
//# IKE SA must not lose that exchange: the CHILD SAs end the same at both
//# ends.
TEST(CollisionRegressions, IkeRekeyAcceptedWhileAChildRekeyIsOutstanding) {
  auto x = Established(1);
  IkeSa* r = x->OnlyIkeSa(x->responder());
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(x->responder().RekeyChild(r->local_spi(), r->children.front().spi_in).ok());
  /* <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } */
  ASSERT_TRUE(DeliverFirst(*x, RequestFrom(*x, Side::kResponder)));
  /* CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->   (lost) */
  ASSERT_TRUE(DropFirst(*x, ResponseFrom(*x, Side::kInitiator)));
  IkeSa* i = x->OnlyIkeSa(x->initiator());
  ASSERT_NE(i, nullptr);
  ASSERT_TRUE(x->initiator().RekeyIke(i->local_spi()).ok());
  /* CREATE_CHILD_SA { SA, Ni, KEi } -->   <-- CREATE_CHILD_SA { SA, Nr, KEr }
     INFORMATIONAL { D(old IKE SA) } -->   <-- INFORMATIONAL { } */
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug (found by exchange_properties_test.cc with CHILD SAs picked before
// the peer holds them): the responder of a CHILD SA rekey deletes the new
// CHILD SA while the rekey's response is still on its way (here lost and
// resent from the cache). The rekeying end gets a Delete for an SPI it
// does not know yet and ignores it (§1.4.1); then the response arrives and
// it installs the CHILD SA the peer has deleted: an orphan. strongSwan's
// test_collision_delete_delayed_response draws this crossing: the end
// doing the rekey remembers the Delete and deletes the new SA when the
// response comes. The same happens to a CHILD SA deleted while its
// CREATE_CHILD_SA response is on its way.
//= rfc7296#section-1.4.1
//# Once an end answered a CHILD SA Delete, the CHILD SA is gone at both
//# ends.
TEST(CollisionRegressions, DeleteOfAChildSaThePeerIsStillCreating) {
  auto x = Established(1);
  IkeSa* r = x->OnlyIkeSa(x->responder());
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(x->responder().RekeyChild(r->local_spi(), r->children.front().spi_in).ok());
  /* <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } */
  ASSERT_TRUE(DeliverFirst(*x, RequestFrom(*x, Side::kResponder)));
  /* CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->   (lost) */
  ASSERT_TRUE(DropFirst(*x, ResponseFrom(*x, Side::kInitiator)));
  IkeSa* i = x->OnlyIkeSa(x->initiator());
  ASSERT_NE(i, nullptr);
  ASSERT_EQ(i->children.size(), 2u);
  /* INFORMATIONAL { D(new CHILD SA) } -->      <-- INFORMATIONAL { }   (SPI unknown yet)
     <-- CREATE_CHILD_SA { N(REKEY_SA), ... }   (retransmitted)
     CREATE_CHILD_SA { SA, Nr, TSi, TSr } -->   (from the cache) */
  ASSERT_TRUE(x->initiator().DeleteChild(i->local_spi(), i->children.back().spi_in).ok());
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 0});
}

// Fixed bug (found by exchange_properties_test.cc, "Initiator:rekey-child
// Responder:rekey-child ... Initiator:liveness"): simultaneous CHILD SA
// rekeys where X's completes first while X's Delete of the old SA waits
// behind another request of X's. Y's rekey reaches X with the old SA
// REKEYED, not yet DELETING, and X answers CHILD_SA_NOT_FOUND; Y then
// dropped the old SA and created a new CHILD SA from scratch beside the
// successor X's rekey had made: two CHILD SAs for the same traffic.
//= rfc7296#section-2.25
//# A CHILD_SA_NOT_FOUND answer to the rekey of a CHILD SA the peer's own
//# rekey has already replaced leaves the successor standing; nothing new is
//# created.
TEST(CollisionRegressions, ChildSaNotFoundAfterThePeersRekeyCompleted) {
  auto x = Established(1);
  IkeSa* i = x->OnlyIkeSa(x->initiator());
  IkeSa* r = x->OnlyIkeSa(x->responder());
  ASSERT_NE(i, nullptr);
  ASSERT_NE(r, nullptr);
  /* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->   <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
     (X then queues an INFORMATIONAL behind its rekey) */
  ASSERT_TRUE(x->initiator().RekeyChild(i->local_spi(), i->children.front().spi_in).ok());
  ASSERT_TRUE(x->responder().RekeyChild(r->local_spi(), r->children.front().spi_in).ok());
  ASSERT_TRUE(x->initiator().CheckLiveness(i->local_spi()).ok());
  /* X's rekey delivered and answered: X installs the successor, sends its
     INFORMATIONAL, and queues the Delete of the old SA behind it. */
  ASSERT_TRUE(DeliverFirst(*x, RequestFrom(*x, Side::kInitiator)));
  ASSERT_TRUE(DeliverFirst(*x, ResponseFrom(*x, Side::kResponder)));
  /* <-- CREATE_CHILD_SA { N(CHILD_SA_NOT_FOUND) }  answers Y's rekey */
  ASSERT_TRUE(DeliverFirst(*x, RequestFrom(*x, Side::kResponder)));
  ASSERT_TRUE(DeliverFirst(*x, ResponseFrom(*x, Side::kInitiator)));
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug (found by exchange_properties_test.cc in CI, "Responder:rekey-ike
// drop#5 Initiator:rekey-ike drop#6 tick deliver#7 deliver#8 drop#9"):
// simultaneous IKE SA rekeys, both requests lost once, then both
// retransmissions answered, and the answer to the initiator's rekey lost.
// The responder completes both exchanges, finds the initiator's new IKE SA
// redundant and deletes the old one. The initiator, still waiting for its
// answer, can never get it: its retransmissions on the old IKE SA meet an
// IKE SA the responder no longer has. It gives its rekey up, and the
// redundant IKE SA the responder created for it was left there for good:
// one IKE SA at one end, two at the other.
//= rfc7296#section-2.8.2
//# Of two IKE SAs created by simultaneous rekeys only one survives at both
//# ends, whatever answer is lost.
TEST(CollisionRegressions, RedundantIkeSaOfALostRekeyAnswerIsDeleted) {
  auto x = Established(1);
  IkeSa* i = x->OnlyIkeSa(x->initiator());
  IkeSa* r = x->OnlyIkeSa(x->responder());
  ASSERT_NE(i, nullptr);
  ASSERT_NE(r, nullptr);
  /* <-- CREATE_CHILD_SA { SA, Ni, KEi }  (lost)      CREATE_CHILD_SA { SA, Ni, KEi } -->  (lost) */
  ASSERT_TRUE(x->responder().RekeyIke(r->local_spi()).ok());
  ASSERT_TRUE(x->Take().has_value());
  ASSERT_TRUE(x->initiator().RekeyIke(i->local_spi()).ok());
  ASSERT_TRUE(x->Take().has_value());
  /* both retransmitted and delivered; the first answer (to the initiator's rekey) lost */
  ASSERT_TRUE(x->AdvanceToNextDeadline());
  ASSERT_TRUE(x->DeliverNext());
  ASSERT_TRUE(x->DeliverNext());
  ASSERT_TRUE(x->Take().has_value());
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug (found by exchange_properties_test.cc, "Responder:rekey-ike
// Initiator:rekey-ike drop#6 deliver#5 deliver#7 deliver#8 deliver#9
// Responder:rekey-ike"): simultaneous IKE SA rekeys, the initiator's
// request lost. The responder's rekey completes and it deletes the old IKE
// SA; the initiator answers that Delete but kept the CHILD SAs on the old
// IKE SA while it waited for the answer to its own rekey, which never comes
// (the responder no longer has the old IKE SA). The responder then rekeys
// the new IKE SA, so when the initiator finally gives its rekey up the IKE
// SA the peer's rekey created is gone too, and the CHILD SAs went down with
// the old one: none at the initiator, one at the responder.
//= rfc7296#section-2.8.2
//# The end whose new IKE SA survives deletes the old one, and the CHILD SAs
//# live on in the survivor.
TEST(CollisionRegressions, ChildSasFollowThePeersRekeyWhenItDeletesTheOldIkeSa) {
  auto x = Established(1);
  IkeSa* i = x->OnlyIkeSa(x->initiator());
  IkeSa* r = x->OnlyIkeSa(x->responder());
  ASSERT_NE(i, nullptr);
  ASSERT_NE(r, nullptr);
  const uint64_t old_spi = i->local_spi();
  /* <-- CREATE_CHILD_SA { SA, Ni, KEi }      CREATE_CHILD_SA { SA, Ni, KEi } -->  (lost) */
  ASSERT_TRUE(x->responder().RekeyIke(r->local_spi()).ok());
  ASSERT_TRUE(x->initiator().RekeyIke(i->local_spi()).ok());
  ASSERT_TRUE(DropFirst(*x, RequestFrom(*x, Side::kInitiator)));
  /* CREATE_CHILD_SA { SA, Nr, KEr } -->
     <-- INFORMATIONAL { D(old IKE SA) }
     INFORMATIONAL { } --> */
  for (int m = 0; m < 4; ++m) ASSERT_TRUE(x->DeliverNext()) << exchange_testing::Transcript(*x);
  // The CHILD SA is on the IKE SA the responder's rekey created.
  const IkeSa* holder = nullptr;
  for (const IkeSa* sa : x->initiator().IkeSas())
    if (sa->local_spi() != old_spi && sa->state == IkeState::kEstablished) holder = sa;
  ASSERT_NE(holder, nullptr) << exchange_testing::Transcript(*x);
  EXPECT_EQ(holder->children.size(), 1u) << exchange_testing::Transcript(*x);
  /* <-- CREATE_CHILD_SA { SA, Ni, KEi }   (the responder rekeys the new IKE SA) */
  IkeSa* r2 = x->OnlyIkeSa(x->responder());
  ASSERT_NE(r2, nullptr);
  ASSERT_TRUE(x->responder().RekeyIke(r2->local_spi()).ok());
  x->Settle(kQuiescence);
  ExpectAgreement(*x, Agreement{.ike_sas = 1, .children = 1});
}

// Simultaneous rekeys of the first CHILD SA, the answer to the initiator's
// rekey held back; the seed is drawn so that the initiator's exchange holds
// the lowest nonce, so that the responder's new CHILD SA survives.
//   CREATE_CHILD_SA { N(REKEY_SA), ... } -->     <-- CREATE_CHILD_SA { N(REKEY_SA), ... }
//   <-- CREATE_CHILD_SA { SA, Nr, ... } (held)    CREATE_CHILD_SA { SA, Nr, ... } -->
struct HeldCrossing {
  std::unique_ptr<Exchange> x;
  std::optional<Datagram> held;
  uint64_t r_spi = 0;
};
HeldCrossing CrossingWonByTheResponder() {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    auto x = Established(seed);
    IkeSa* i = x->OnlyIkeSa(x->initiator());
    IkeSa* r = x->OnlyIkeSa(x->responder());
    if (i == nullptr || r == nullptr) return {};
    const uint64_t r_spi = r->local_spi();
    if (!x->initiator().RekeyChild(i->local_spi(), i->children.front().spi_in).ok() ||
        !x->responder().RekeyChild(r_spi, r->children.front().spi_in).ok() ||
        !DeliverFirst(*x, RequestFrom(*x, Side::kInitiator)))
      return {};
    std::optional<Datagram> held = exchange_testing::TakeFirst(*x, ResponseFrom(*x, Side::kResponder));
    if (!held || !DeliverFirst(*x, RequestFrom(*x, Side::kResponder)) ||
        !DeliverFirst(*x, ResponseFrom(*x, Side::kInitiator)))
      return {};
    bool responder_won = false;
    for (const auto& e : x->responder().events())
      responder_won = responder_won || e.text.find("the peer's") != std::string::npos;
    if (responder_won) return {std::move(x), std::move(held), r_spi};
  }
  return {};
}

// Fixed bug (found by exchange_properties_test.cc,
// BothEndsAgreeAfterQueuedChildSaOperations): simultaneous CHILD SA rekeys
// where this end's exchange holds the lowest nonce, so its new CHILD SA is
// the redundant one; the answer to its rekey is delayed, and meanwhile the
// peer, whose new SA survived, deletes the old SA and rekeys its survivor
// again. When the delayed answer arrives, the peer's new SA is gone: the
// collision was looked up by that SA's SPI, found nothing, and this end
// kept its redundant CHILD SA (so did the peer, which had created it as
// responder): two CHILD SAs for the same traffic at both ends. The nonces
// of the peer's exchange are now recorded when this end answers it.
//= rfc7296#section-2.8.1
//# Of two CHILD SAs created by simultaneous rekeys, the one whose exchange
//# holds the lowest nonce is deleted by the end that created it, whatever
//# became of the other one since.
TEST(CollisionRegressions, RedundantChildSaDeletedAfterThePeerRekeyedItsSurvivor) {
  HeldCrossing c = CrossingWonByTheResponder();
  ASSERT_NE(c.x, nullptr) << "no seed drew the crossing with the initiator's exchange holding the lowest nonce";
  Exchange& x = *c.x;
  /* <-- INFORMATIONAL { D(old) }   INFORMATIONAL { } --> */
  x.Run();
  /* the responder rekeys its surviving CHILD SA and deletes it once replaced */
  IkeSa* r = x.responder().Find(c.r_spi);
  ASSERT_NE(r, nullptr);
  uint32_t survivor = 0;
  for (const ChildSa& child : r->children)
    if (child.state == ChildState::kInstalled) survivor = child.spi_in;
  ASSERT_NE(survivor, 0u) << exchange_testing::Transcript(x);
  ASSERT_TRUE(x.responder().RekeyChild(c.r_spi, survivor).ok());
  x.Run();
  /* the held answer to the initiator's rekey arrives at last */
  x.Deliver(*c.held);
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

// Fixed bug (found by exchange_properties_test.cc,
// BothEndsAgreeAfterQueuedChildSaOperations, "Responder:rekey-child
// Initiator:rekey-child deliver#6 deliver#5 deliver#8 ... Responder:rekey-child"):
// after simultaneous CHILD SA rekeys the end whose new SA survived still
// held the peer's redundant one as INSTALLED until the peer's Delete came,
// and could rekey it meanwhile; the successor outlived the Delete, next to
// the survivor: two CHILD SAs for the same traffic at both ends.
//= rfc7296#section-2.8.1
//# The redundant CHILD SA of simultaneous rekeys is the peer's to delete;
//# this end holds it as replaced until then.
TEST(CollisionRegressions, RedundantChildSaOfThePeerIsNotRekeyedWhileItsDeleteIsOnItsWay) {
  HeldCrossing c = CrossingWonByTheResponder();
  ASSERT_NE(c.x, nullptr) << "no seed drew the crossing with the initiator's exchange holding the lowest nonce";
  Exchange& x = *c.x;
  // The responder's own new SA carries the traffic; the initiator's (the
  // redundant one) waits for its Delete, replaced.
  IkeSa* r = x.responder().Find(c.r_spi);
  ASSERT_NE(r, nullptr);
  std::vector<uint32_t> installed;
  for (const ChildSa& child : r->children)
    if (child.state == ChildState::kInstalled) installed.push_back(child.spi_in);
  ASSERT_EQ(installed.size(), 1u) << exchange_testing::Transcript(x);
  ASSERT_TRUE(x.responder().RekeyChild(c.r_spi, installed.front()).ok());
  /* the held answer is resent on the initiator's retransmission; the
     initiator deletes its redundant SA */
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

}  // namespace
}  // namespace ipsecref::ike::sa
