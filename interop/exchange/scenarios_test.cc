// The exchange scenarios as tests: each row of the table runs and meets its
// expectation, the session numbers datagrams across runs with rising
// times, and the keys it keeps cover SAs that no longer exist at the end.
// Two tests keep state-machine defects the nat and ike-rekey-collision
// scenarios found (fixed on main) from coming back.
#include <gtest/gtest.h>

#include "interop/exchange/deviations.h"
#include "interop/exchange/scenarios.h"

namespace ipsecref::exchange {
namespace {

using ike::sa::IkeSa;
using ike::sa::IkeState;

TEST(ExchangeScenarios, NamesAreUniqueAndFound) {
  for (const Scenario& s : Scenarios()) {
    EXPECT_EQ(FindScenario(s.name), &s);
    EXPECT_FALSE(s.description.empty());
    EXPECT_FALSE(s.expectation.empty());
  }
  EXPECT_EQ(FindScenario("no-such-scenario"), nullptr);
}

TEST(ExchangeScenarios, BasicPassesAndRecordsItsLadder) {
  Session s(1);
  FindScenario("basic")->run(s);
  s.Finish();
  EXPECT_TRUE(s.failures().empty());
  ASSERT_EQ(s.datagrams().size(), 4u);
  EXPECT_EQ(s.datagrams()[2].ladder, "IKE_AUTH request { IDi IDr AUTH N(INITIAL_CONTACT) SA TSi TSr }");
  EXPECT_TRUE(s.datagrams()[2].from_initiator);
  EXPECT_FALSE(s.datagrams()[3].from_initiator);
  EXPECT_EQ(s.ike_sas().size(), 1u);
  EXPECT_EQ(s.child_sas().size(), 2u);  // one per direction
}

// The IKE SA and CHILD SA a rekey replaced are gone at the end, but their
// keys were recorded when they existed.
TEST(ExchangeScenarios, KeysOfReplacedSasAreKept) {
  Session s(1);
  FindScenario("ike-rekey")->run(s);
  s.Finish();
  EXPECT_TRUE(s.failures().empty());
  EXPECT_EQ(s.ike_sas().size(), 2u);
  Session c(1);
  FindScenario("child-rekey")->run(c);
  c.Finish();
  EXPECT_EQ(c.child_sas().size(), 4u);
}

TEST(ExchangeScenarios, RunsFollowEachOtherInTime) {
  Session s(1);
  FindScenario("no-proposal")->run(s);
  s.Finish();
  EXPECT_EQ(s.runs(), 2u);
  for (size_t i = 1; i < s.datagrams().size(); ++i) {
    EXPECT_EQ(s.datagrams()[i].number, i + 1);
    EXPECT_LE(s.datagrams()[i - 1].at, s.datagrams()[i].at);
  }
}

TEST(ExchangeScenarios, LostDatagramIsMarked) {
  Session s(1);
  FindScenario("retransmission")->run(s);
  s.Finish();
  EXPECT_TRUE(s.failures().empty());
  ASSERT_EQ(s.datagrams().size(), 6u);
  EXPECT_EQ(s.datagrams()[3].note, "lost");
  EXPECT_EQ(s.datagrams()[4].note, "retransmission");
  EXPECT_GT(s.datagrams()[4].at, s.datagrams()[3].at);
}

TEST(ExchangeScenarios, FailedExpectationIsNamed) {
  Session s(1);
  s.Start(testing::PskInitiatorConfig(), testing::PskResponderConfig());
  s.Expect(false, "something that must hold");
  EXPECT_EQ(s.failures(), std::vector<std::string>{"something that must hold"});
}

TEST(ExchangeDeviations, UnknownNameIsRefused) {
  testing::Exchange x(testing::PskInitiatorConfig(), testing::PskResponderConfig());
  EXPECT_TRUE(ApplyDeviations(x, {}).ok());
  Status s = ApplyDeviations(x, {"drop-first=3"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("unknown deviation 'drop-first'"), std::string::npos);
  s = ApplyDeviations(x, {"server:drop-out=2"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("unknown peer 'server'"), std::string::npos);
}

// The responder's second datagram (its IKE_AUTH response) lost: the basic
// scenario, which runs no timers, ends without an IKE SA at the initiator
// and says so.
TEST(ExchangeDeviations, DeviationOnTheResponderChangesTheRun) {
  Session s(1, {"responder:drop-out=2"});
  FindScenario("basic")->run(s);
  s.Finish();
  EXPECT_FALSE(s.deviation_error().has_value());
  ASSERT_EQ(s.datagrams().size(), 4u);
  EXPECT_FALSE(s.failures().empty());
  EXPECT_EQ(s.failures().front(), "the IKE SA was not established");
}

// Regression (reference/ike/sa/, found by the nat scenario, fixed on main): behind
// a NAT the initiator moves to port 4500 for IKE_AUTH, but the responder
// kept answering from port 500: it takes the request's source as its new
// remote end and leaves its local port at 500. The initiator, listening on
// 4500, reads the response without a non-ESP marker and drops it; its IKE
// SA stayed CONNECTING. RFC 7296 section 2.11: a response is sent from the
// address and port the request was received on (and section 2.23: after
// the move, both ends use 4500).
TEST(ExchangeScenarios, NatResponderAnswersFromPort4500) {
  testing::Exchange x(testing::PskInitiatorConfig(), testing::PskResponderConfig());
  x.network().nat = testing::Nat{{Bytes{192, 0, 2, 1}, 0}, {Bytes{198, 51, 100, 1}, 31000}};
  const uint64_t spi = x.Establish();
  EXPECT_NE(spi, 0u);
  ASSERT_EQ(x.network().captured.size(), 4u);
  EXPECT_EQ(x.network().captured[2].datagram.destination.port, ike::sa::kNatTraversalPort);
  EXPECT_EQ(x.network().captured[3].datagram.source.port, ike::sa::kNatTraversalPort);
}

// Regression (reference/ike/sa/tasks/ike_rekey.cc, found by the
// ike-rekey-collision scenario, fixed on main): both ends rekey the IKE SA
// at once. After the four CREATE_CHILD_SA messages each end kept a
// different new IKE SA (the one it initiated), no Delete was sent for the
// loser or for the old IKE SA, and the CHILD SA was lost on both ends. RFC
// 7296 section 2.8.2: the new IKE SA created with the lowest nonce is
// deleted by the end that initiated it, the other one survives on both
// ends and takes over the CHILD SAs, and the old IKE SA is deleted.
TEST(ExchangeScenarios, IkeRekeyCollisionLeavesOnePairedIkeSa) {
  testing::Exchange x(testing::PskInitiatorConfig(), testing::PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(x.initiator().RekeyIke(spi).ok());
  ASSERT_TRUE(x.responder().RekeyIke(r->local_spi()).ok());
  x.Settle();
  IkeSa* a = x.OnlyIkeSa(x.initiator());
  IkeSa* b = x.OnlyIkeSa(x.responder());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->spi_i, b->spi_i);
  EXPECT_EQ(a->spi_r, b->spi_r);
  EXPECT_EQ(a->state, IkeState::kEstablished);
  EXPECT_EQ(a->children.size(), 1u);
  EXPECT_EQ(b->children.size(), 1u);
}

}  // namespace
}  // namespace ipsecref::exchange
