// Two reference peers in memory, exchange by exchange, read as the RFC's
// ladders (strongSwan's src/libcharon/tests/suites/test_*.c are the model).
// What the tests check is what RFC 7296 says each end must end up with:
// states, SPIs that pair up crosswise, keys that agree, the payloads of
// each message.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "reference/crypto/ke.h"
#include "reference/crypto/prf.h"
#include "reference/crypto/transforms.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/ike/sa/exchange_test_util.h"
#include "reference/testing/exchange.h"

namespace ipsecref::ike::sa {
namespace {

using testing::Exchange;
using testing::Ladder;
using testing::PskInitiatorConfig;
using testing::PskResponderConfig;

using exchange_testing::ExpectPaired;

std::vector<std::string> Ladders(const testing::Recorder& r) {
  std::vector<std::string> out;
  for (const Message& m : r.built) out.push_back(Ladder(m));
  return out;
}

TEST(ExchangeTest, EstablishesIkeSaWithFirstChildSa) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  IkeSa* i = x.initiator().Find(spi);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(i->state, IkeState::kEstablished);
  EXPECT_EQ(r->state, IkeState::kEstablished);
  ASSERT_EQ(i->children.size(), 1u);
  ExpectPaired(*i, *r);
  // RFC 7296 §1.2: the initial exchanges, as each end built them.
  EXPECT_EQ(Ladders(x.initiator_log()),
            (std::vector<std::string>{
                "IKE_SA_INIT request { SA KE Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
                "N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(CHILDLESS_IKEV2_SUPPORTED) }",
                "IKE_AUTH request { IDi IDr AUTH N(INITIAL_CONTACT) SA TSi TSr }"}));
  EXPECT_EQ(Ladders(x.responder_log()),
            (std::vector<std::string>{
                "IKE_SA_INIT response { SA KE Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
                "N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(CHILDLESS_IKEV2_SUPPORTED) }",
                "IKE_AUTH response { IDr AUTH SA TSi TSr }"}));
}


// Both peers established, with their only IKE SAs; fails the test otherwise.
struct Established {
  IkeSa* i;
  IkeSa* r;
};
Established EstablishOrFail(Exchange& x) {
  const uint64_t spi = x.Establish();
  EXPECT_NE(spi, 0u);
  return {x.initiator().Find(spi), x.OnlyIkeSa(x.responder())};
}

TEST(ExchangeTest, CreatesChildSaWithAndWithoutPfs) {
  for (const char* esp : {"aes128gcm16", "aes128gcm16-x25519"}) {
    SCOPED_TRACE(esp);
    IkeConfig ic = PskInitiatorConfig(), rc = PskResponderConfig();
    ic.children[0].proposals = *ParseProposals(esp, iana::SecurityProtocol::kEsp);
    rc.children[0].proposals = ic.children[0].proposals;
    Exchange x(ic, rc);
    auto [i, r] = EstablishOrFail(x);
    ASSERT_TRUE(i && r);
    /* CREATE_CHILD_SA { SA, Ni, [KEi,] TSi, TSr } --> */
    ASSERT_TRUE(x.initiator().CreateChild(i->local_spi()).ok());
    x.Run();
    ASSERT_EQ(i->children.size(), 2u);
    ExpectPaired(*i, *r);
    const std::string expected = std::string(esp).find("x25519") != std::string::npos
                                     ? "CREATE_CHILD_SA request { SA Nonce KE TSi TSr }"
                                     : "CREATE_CHILD_SA request { SA Nonce TSi TSr }";
    EXPECT_EQ(Ladder(x.initiator_log().built.back()), expected);
    EXPECT_EQ(i->children[1].suite.ke, std::string(esp).find("x25519") != std::string::npos
                                           ? iana::KeGroup::kCurve25519
                                           : iana::KeGroup::kNone);
  }
}

TEST(ExchangeTest, RekeysChildSaAndDeletesTheOldOne) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  const uint32_t old = i->children.at(0).spi_in;
  /* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
     <-- { SA, Nr, TSi, TSr }
     INFORMATIONAL { D(ESP old) } -->
     <-- { D(ESP old) } */
  ASSERT_TRUE(x.initiator().RekeyChild(i->local_spi(), old).ok());
  x.Run();
  ASSERT_EQ(i->children.size(), 1u);
  EXPECT_NE(i->children[0].spi_in, old);
  ExpectPaired(*i, *r);
  const auto ladder = Ladders(x.initiator_log());
  ASSERT_GE(ladder.size(), 4u);
  EXPECT_EQ(ladder[2], "CREATE_CHILD_SA request { N(REKEY_SA) SA Nonce TSi TSr }");
  EXPECT_EQ(ladder[3], "INFORMATIONAL request { D }");
  EXPECT_EQ(Ladders(x.responder_log()).back(), "INFORMATIONAL response { D }");
}

TEST(ExchangeTest, RekeysIkeSaAndMovesChildSas) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  const uint64_t old_i = i->spi_i;
  const ChildSa child = i->children.at(0);
  /* CREATE_CHILD_SA { SA, Ni, KEi } -->  <-- { SA, Nr, KEr }
     INFORMATIONAL (old IKE SA) { D(IKE) } -->  <-- { } */
  ASSERT_TRUE(x.initiator().RekeyIke(i->local_spi()).ok());
  x.Run();
  IkeSa* ni = x.OnlyIkeSa(x.initiator());
  IkeSa* nr = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(ni && nr);
  EXPECT_NE(ni->spi_i, old_i);
  EXPECT_EQ(ni->role, Role::kInitiator);
  EXPECT_EQ(ni->state, IkeState::kEstablished);
  EXPECT_EQ(nr->state, IkeState::kEstablished);
  ASSERT_EQ(ni->children.size(), 1u);
  EXPECT_EQ(ni->children[0].spi_in, child.spi_in);
  EXPECT_NE(ni->keys.sk_d, child.keys.encr_i);
  ExpectPaired(*ni, *nr);
  // The new IKE SA works: a CHILD SA can be created over it.
  ASSERT_TRUE(x.initiator().CreateChild(ni->local_spi()).ok());
  x.Run();
  EXPECT_EQ(ni->children.size(), 2u);
  ExpectPaired(*ni, *nr);
}

TEST(ExchangeTest, DeletesChildSaThenIkeSa) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  ASSERT_TRUE(x.initiator().DeleteChild(i->local_spi(), i->children.at(0).spi_in).ok());
  x.Run();
  EXPECT_TRUE(i->children.empty());
  EXPECT_TRUE(r->children.empty());
  ASSERT_TRUE(x.responder().DeleteIke(r->local_spi()).ok());
  x.Run();
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  EXPECT_TRUE(x.responder().IkeSas().empty());
}

TEST(ExchangeTest, LivenessCheckAndDeadPeer) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  ASSERT_TRUE(x.initiator().CheckLiveness(i->local_spi()).ok());
  x.Run();
  EXPECT_EQ(Ladders(x.responder_log()).back(), "INFORMATIONAL response {  }");
  // The responder goes silent: RFC 7296 §2.4, the initiator retransmits on
  // its schedule (4 s * 1.8^n, five times) and then declares it dead.
  x.network().filter = [](const testing::Sent& s) { return !(s.datagram.source.address == Bytes{192, 0, 2, 2}); };
  ASSERT_TRUE(x.initiator().CheckLiveness(i->local_spi()).ok());
  const Time start = x.clock().Now();
  const size_t first = x.network().captured.size() - x.network().in_flight.size();
  for (int step = 0; step < 20 && !x.initiator().IkeSas().empty(); ++step) {
    x.Run();
    x.AdvanceToNextDeadline();
  }
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  std::vector<Time> initiator_sends;
  for (size_t n = first; n < x.network().captured.size(); ++n)
    if (x.network().captured[n].datagram.source.address == Bytes{192, 0, 2, 1})
      initiator_sends.push_back(x.network().captured[n].at - start);
  EXPECT_EQ(initiator_sends, (std::vector<Time>{0, 4000, 4000 + 7200, 4000 + 7200 + 12960, 4000 + 7200 + 12960 + 23328,
                                                 4000 + 7200 + 12960 + 23328 + 41990}));
}

TEST(ExchangeTest, RetransmittedRequestGetsTheCachedResponse) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.initiator().Initiate();
  ASSERT_TRUE(x.DeliverNext());  // IKE_SA_INIT request
  ASSERT_TRUE(x.DeliverNext());  // IKE_SA_INIT response
  ASSERT_TRUE(x.DeliverNext());  // IKE_AUTH request
  std::optional<testing::Datagram> lost = x.Take();  // IKE_AUTH response, lost
  ASSERT_TRUE(lost);
  x.AdvanceToNextDeadline();  // the initiator retransmits IKE_AUTH
  ASSERT_TRUE(x.DeliverNext());
  std::optional<testing::Datagram> again = x.Take();
  ASSERT_TRUE(again);
  // RFC 7296 §2.1: the same response, byte for byte.
  EXPECT_EQ(again->data, lost->data);
  x.Deliver(*again);
  EXPECT_EQ(x.initiator().Find(spi)->state, IkeState::kEstablished);
  EXPECT_EQ(x.responder_log().built.size(), 2u);  // built once, resent from the cache
}

TEST(ExchangeTest, CookieWhenAskedFor) {
  IkeConfig rc = PskResponderConfig();
  rc.cookie_threshold = 0;
  Exchange x(PskInitiatorConfig(), rc);
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  const auto ladder = Ladders(x.initiator_log());
  ASSERT_GE(ladder.size(), 2u);
  // RFC 7296 §2.6: the request is repeated with N(COOKIE) first.
  EXPECT_EQ(ladder[1].rfind("IKE_SA_INIT request { N(COOKIE) SA KE Nonce", 0), 0u) << ladder[1];
  EXPECT_EQ(x.responder().half_open(), 0u);
}

TEST(ExchangeTest, InvalidKePayloadRetryWithTheGroupAskedFor) {
  IkeConfig ic = PskInitiatorConfig(), rc = PskResponderConfig();
  ic.proposals = *ParseProposals("aes128gcm16-prfsha256-x25519-ecp256", iana::SecurityProtocol::kIke);
  rc.proposals = *ParseProposals("aes128gcm16-prfsha256-ecp256", iana::SecurityProtocol::kIke);
  Exchange x(ic, rc);
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  EXPECT_EQ(i->suite.ke, iana::KeGroup::kEcp256);
  EXPECT_EQ(Ladders(x.responder_log()).front(), "IKE_SA_INIT response { N(INVALID_KE_PAYLOAD) }");
  ExpectPaired(*i, *r);
}

TEST(ExchangeTest, NoProposalChosenLeavesNothing) {
  IkeConfig rc = PskResponderConfig();
  rc.proposals = *ParseProposals("aes256-sha512-modp4096", iana::SecurityProtocol::kIke);
  Exchange x(PskInitiatorConfig(), rc);
  EXPECT_EQ(x.Establish(), 0u);
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  EXPECT_TRUE(x.responder().IkeSas().empty());
  EXPECT_EQ(Ladders(x.responder_log()), std::vector<std::string>{"IKE_SA_INIT response { N(NO_PROPOSAL_CHOSEN) }"});
}

TEST(ExchangeTest, AuthenticationFailedEndsBothIkeSas) {
  IkeConfig rc = PskResponderConfig();
  rc.remote_auth.psk.back() ^= 1;
  Exchange x(PskInitiatorConfig(), rc);
  EXPECT_EQ(x.Establish(), 0u);
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  EXPECT_TRUE(x.responder().IkeSas().empty());
  EXPECT_EQ(Ladders(x.responder_log()).back(), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
}

TEST(ExchangeTest, ChildErrorsKeepTheIkeSa) {
  IkeConfig rc = PskResponderConfig();
  rc.children[0].remote_ts = *ParseTrafficSelectors("10.9.0.0/16");
  Exchange x(PskInitiatorConfig(), rc);
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  EXPECT_TRUE(i->children.empty());
  EXPECT_TRUE(r->children.empty());
  EXPECT_EQ(Ladders(x.responder_log()).back(), "IKE_AUTH response { IDr AUTH N(TS_UNACCEPTABLE) }");
}

TEST(ExchangeTest, NarrowsTrafficSelectors) {
  IkeConfig rc = PskResponderConfig();
  rc.children[0].remote_ts = *ParseTrafficSelectors("10.1.2.0/24");
  Exchange x(PskInitiatorConfig(), rc);
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  ASSERT_EQ(i->children.size(), 1u);
  EXPECT_EQ(i->children[0].local_ts, *ParseTrafficSelectors("10.1.2.0/24"));
  ExpectPaired(*i, *r);
}

TEST(ExchangeTest, ChildlessIkeSa) {
  IkeConfig ic = PskInitiatorConfig();
  ic.childless = true;
  Exchange x(ic, PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  EXPECT_TRUE(i->children.empty());
  EXPECT_EQ(Ladders(x.initiator_log()).back(), "IKE_AUTH request { IDi IDr AUTH N(INITIAL_CONTACT) }");
  ASSERT_TRUE(x.initiator().CreateChild(i->local_spi()).ok());
  x.Run();
  ExpectPaired(*i, *r);
  EXPECT_EQ(i->children.size(), 1u);
}

TEST(ExchangeTest, NatDetectedMovesToPort4500) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  x.network().nat = testing::Nat{{Bytes{192, 0, 2, 1}, 0}, {Bytes{198, 51, 100, 7}, 31000}};
  auto [i, r] = EstablishOrFail(x);

  ASSERT_TRUE(i && r);
  EXPECT_TRUE(i->nat_here);
  EXPECT_TRUE(r->nat_there);
  EXPECT_EQ(i->local.port, kNatTraversalPort);
  const auto& sent = x.network().captured;
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[2].datagram.source.port, 31001);  // the NAT's port for 4500
  EXPECT_EQ(sent[2].datagram.destination.port, kNatTraversalPort);
  EXPECT_EQ(Bytes(sent[2].datagram.data.begin(), sent[2].datagram.data.begin() + 4), Bytes(4, 0));  // non-ESP marker
  EXPECT_EQ(r->remote.port, 31001);
  ExpectPaired(*i, *r);
}

TEST(ExchangeTest, FragmentsLargeMessages) {
  IkeConfig ic = PskInitiatorConfig(), rc = PskResponderConfig();
  ic.fragment_mtu = rc.fragment_mtu = 160;
  Exchange x(ic, rc);
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  // RFC 7383 §2.5: only encrypted messages are fragmented; IKE_SA_INIT is not.
  const auto& sent = x.network().captured;
  ASSERT_GT(sent.size(), 4u);
  for (size_t n = 2; n < sent.size(); ++n) EXPECT_LE(sent[n].datagram.data.size() + 28, 160u) << "datagram " << n + 1;
  ExpectPaired(*i, *r);
}


// RFC 7296 §2.8.1: both ends rekey the same CHILD SA at once. Whatever the
// nonces, both end with exactly one CHILD SA, the same one.
TEST(ExchangeTest, SimultaneousChildRekeyLeavesOneChildSa) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    Exchange x(PskInitiatorConfig(), PskResponderConfig(), seed);
    auto [i, r] = EstablishOrFail(x);
    ASSERT_TRUE(i && r);
    /* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
                   <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } */
    ASSERT_TRUE(x.initiator().RekeyChild(i->local_spi(), i->children.at(0).spi_in).ok());
    ASSERT_TRUE(x.responder().RekeyChild(r->local_spi(), r->children.at(0).spi_in).ok());
    x.Run();
    ASSERT_EQ(i->children.size(), 1u);
    ExpectPaired(*i, *r);
  }
}

// RFC 7296 §2.8.2: both ends rekey the IKE SA at once.
TEST(ExchangeTest, SimultaneousIkeRekeyLeavesOneIkeSa) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    Exchange x(PskInitiatorConfig(), PskResponderConfig(), seed);
    auto [i, r] = EstablishOrFail(x);
    ASSERT_TRUE(i && r);
    ASSERT_TRUE(x.initiator().RekeyIke(i->local_spi()).ok());
    ASSERT_TRUE(x.responder().RekeyIke(r->local_spi()).ok());
    x.Run();
    IkeSa* ni = x.OnlyIkeSa(x.initiator());
    IkeSa* nr = x.OnlyIkeSa(x.responder());
    ASSERT_TRUE(ni && nr);
    EXPECT_EQ(ni->state, IkeState::kEstablished);
    EXPECT_EQ(nr->state, IkeState::kEstablished);
    ASSERT_EQ(ni->children.size(), 1u);
    ExpectPaired(*ni, *nr);
  }
}


TEST(ExchangeTest, ReauthenticationMakesBeforeBreaking) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  const uint64_t old = i->local_spi();
  auto fresh = x.initiator().Reauthenticate(old);
  ASSERT_TRUE(fresh.ok());
  x.Run();
  IkeSa* ni = x.OnlyIkeSa(x.initiator());
  IkeSa* nr = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(ni && nr);
  EXPECT_EQ(ni->local_spi(), *fresh);
  EXPECT_EQ(x.initiator().Find(old), nullptr);
  EXPECT_EQ(ni->children.size(), 1u);
  ExpectPaired(*ni, *nr);
  // The new IKE SA came up before the old one's Delete was sent.
  const auto ladder = Ladders(x.initiator_log());
  ASSERT_GE(ladder.size(), 5u);
  EXPECT_EQ(ladder[3].rfind("IKE_AUTH request", 0), 0u);
  EXPECT_EQ(ladder[4], "INFORMATIONAL request { D }");
}

TEST(ExchangeTest, HalfOpenIkeSaIsGivenUp) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  x.initiator().Initiate();
  ASSERT_TRUE(x.DeliverNext());  // the responder answers IKE_SA_INIT
  EXPECT_EQ(x.responder().half_open(), 1u);
  x.network().in_flight.clear();  // the initiator vanishes
  x.network().filter = [](const testing::Sent&) { return false; };
  x.Settle(60'000);
  EXPECT_EQ(x.responder().half_open(), 0u);
  EXPECT_TRUE(x.responder().IkeSas().empty());
}

TEST(ExchangeTest, UnprotectedErrorNotificationChangesNothing) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  ASSERT_TRUE(x.initiator().CheckLiveness(i->local_spi()).ok());
  std::optional<testing::Datagram> request = x.Take();
  ASSERT_TRUE(request);
  // Anyone on the path answers with an unprotected AUTHENTICATION_FAILED.
  Message forged;
  forged.header.spi_i = i->spi_i;
  forged.header.spi_r = i->spi_r;
  forged.header.exchange_type = iana::ExchangeType::kInformational;
  forged.header.message_id = 2;
  forged.header.flags = kFlagResponse;
  forged.payloads.push_back(NotifyPayloadOf(iana::NotifyType::kAuthenticationFailed));
  ASSERT_TRUE(Finalize(forged).ok());
  x.Deliver(testing::Datagram{request->destination, request->source, *Encode(forged)});
  EXPECT_EQ(i->state, IkeState::kEstablished);
  x.Deliver(*request);
  x.Run();
  EXPECT_EQ(i->state, IkeState::kEstablished);
  EXPECT_EQ(Ladders(x.responder_log()).back(), "INFORMATIONAL response {  }");
}

TEST(ExchangeTest, RekeysOnTimeBeforeExpiry) {
  IkeConfig ic = PskInitiatorConfig();
  ic.rekey_time = 3'600'000;
  ic.rekey_jitter = 360'000;
  ic.children[0].rekey_time = 1'200'000;
  ic.children[0].life_time = 1'800'000;
  Exchange x(ic, PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  const Time start = x.clock().Now();
  const uint32_t first_child = i->children.at(0).spi_in;
  EXPECT_LE(i->rekey_at, start + 3'600'000);
  EXPECT_GE(i->rekey_at, start + 3'600'000 - 360'000);
  x.Settle(1'300'000);
  // The CHILD SA was rekeyed before its hard lifetime.
  IkeSa* ni = x.OnlyIkeSa(x.initiator());
  IkeSa* nr = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(ni && nr);
  ASSERT_EQ(ni->children.size(), 1u);
  EXPECT_NE(ni->children[0].spi_in, first_child);
  ExpectPaired(*ni, *nr);
  x.Settle(3'000'000);
  ni = x.OnlyIkeSa(x.initiator());
  nr = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(ni && nr);
  ExpectPaired(*ni, *nr);
  EXPECT_GT(ni->established_at, start);  // a rekeyed one
}

TEST(ExchangeTest, ChildRekeyDuringIkeRekeyGetsTemporaryFailure) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  /* CREATE_CHILD_SA (IKE rekey) { SA, Ni, KEi } -->
                  <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }
                  --> { N(TEMPORARY_FAILURE) }                            */
  ASSERT_TRUE(x.initiator().RekeyIke(i->local_spi()).ok());
  ASSERT_TRUE(x.responder().RekeyChild(r->local_spi(), r->children.at(0).spi_in).ok());
  x.Run();
  bool refused = false;
  for (const std::string& l : Ladders(x.initiator_log()))
    refused = refused || l == "CREATE_CHILD_SA response { N(TEMPORARY_FAILURE) }";
  EXPECT_TRUE(refused);
  IkeSa* ni = x.OnlyIkeSa(x.initiator());
  IkeSa* nr = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(ni && nr);
  ASSERT_EQ(ni->children.size(), 1u);
  ExpectPaired(*ni, *nr);
}


// Every transform of the registry negotiates, establishes and protects
// messages (RFC 7296 §3.14 for SK, §2.17 for the CHILD SA keys): each
// dimension swept with the others fixed, in the project's number syntax.
std::vector<std::pair<std::string, std::string>> EveryTransform() {
  std::vector<std::pair<std::string, std::string>> out;  // IKE proposal, ESP proposal
  const std::string ike_rest = "prf5-ke31", esp_default = "encr20.128";
  for (const crypto::EncrTransform& e : crypto::EncrTransforms()) {
    for (uint16_t bits : e.key_bits) {
      if (bits == 0) continue;
      const std::string encr =
          e.fixed_key_bits() != 0 ? fmt::format("encr{}", static_cast<unsigned>(e.id))
                                  : fmt::format("encr{}.{}", static_cast<unsigned>(e.id), bits);
      const std::string integ = e.aead ? "" : "-integ12";
      // IKE needs confidentiality (§3.3.3); ESP takes every transform.
      if (e.confidentiality) out.emplace_back(encr + "-" + ike_rest + integ, esp_default);
      out.emplace_back("encr20.128-" + ike_rest, encr + integ);
    }
  }
  for (const crypto::IntegTransform& i : crypto::IntegTransforms()) {
    if (i.id == iana::Integ::kNone) continue;
    out.emplace_back(fmt::format("encr12.128-integ{}-{}", static_cast<unsigned>(i.id), ike_rest), esp_default);
    out.emplace_back("encr20.128-" + ike_rest, fmt::format("encr12.128-integ{}", static_cast<unsigned>(i.id)));
  }
  for (const crypto::PrfTransform& p : crypto::PrfTransforms())
    out.emplace_back(fmt::format("encr20.128-prf{}-ke31", static_cast<unsigned>(p.id)), esp_default);
  for (const crypto::KeGroupInfo& g : crypto::KeGroups()) {
    out.emplace_back(fmt::format("encr20.128-prf5-ke{}", static_cast<unsigned>(g.id)), esp_default);
    out.emplace_back("encr20.128-" + ike_rest, fmt::format("encr20.128-ke{}", static_cast<unsigned>(g.id)));
  }
  return out;
}

TEST(ExchangeTest, EveryTransformOfTheRegistry) {
  const auto cases = EveryTransform();
  EXPECT_GT(cases.size(), 40u);
  for (const auto& [ike, esp] : cases) {
    SCOPED_TRACE(ike + " / " + esp);
    auto ike_proposals = ParseProposals(ike, iana::SecurityProtocol::kIke);
    auto esp_proposals = ParseProposals(esp, iana::SecurityProtocol::kEsp);
    ASSERT_TRUE(ike_proposals.ok()) << ike_proposals.error().ToString();
    ASSERT_TRUE(esp_proposals.ok()) << esp_proposals.error().ToString();
    IkeConfig ic = PskInitiatorConfig(), rc = PskResponderConfig();
    ic.proposals = rc.proposals = *ike_proposals;
    ic.children[0].proposals = rc.children[0].proposals = *esp_proposals;
    Exchange x(ic, rc);
    auto [i, r] = EstablishOrFail(x);
    ASSERT_TRUE(i && r);
    // A PFS group in the ESP proposal is used by CREATE_CHILD_SA.
    ASSERT_TRUE(x.initiator().CreateChild(i->local_spi()).ok());
    x.Run();
    ASSERT_EQ(i->children.size(), 2u);
    ExpectPaired(*i, *r);
  }
}


// RFC 7296 §2.3: with SET_WINDOW_SIZE 2 an end keeps two requests
// outstanding; a request beyond the responder's window is dropped.
TEST(ExchangeTest, WindowOfTwoRequests) {
  IkeConfig ic = PskInitiatorConfig(), rc = PskResponderConfig();
  ic.window_size = rc.window_size = 2;
  Exchange x(ic, rc);
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  EXPECT_EQ(i->peer_window, 2u);
  EXPECT_EQ(r->peer_window, 2u);
  ASSERT_TRUE(x.initiator().CreateChild(i->local_spi()).ok());
  ASSERT_TRUE(x.initiator().CreateChild(i->local_spi()).ok());
  ASSERT_TRUE(x.initiator().CreateChild(i->local_spi()).ok());
  EXPECT_EQ(x.network().in_flight.size(), 2u);  // two requests out, the third waits
  // The responder takes the second request first (reordered).
  std::optional<testing::Datagram> first = x.Take();
  ASSERT_TRUE(first);
  ASSERT_TRUE(x.DeliverNext());
  x.Deliver(*first);
  x.Run();
  EXPECT_EQ(i->children.size(), 4u);
  ExpectPaired(*i, *r);
  EXPECT_EQ(x.initiator_log().built.back().header.message_id, 4u);
}

TEST(ExchangeTest, RequestBeyondTheWindowIsDropped) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  auto [i, r] = EstablishOrFail(x);
  ASSERT_TRUE(i && r);
  ASSERT_TRUE(x.initiator().CheckLiveness(i->local_spi()).ok());
  std::optional<testing::Datagram> request = x.Take();
  ASSERT_TRUE(request);
  // The same request re-encrypted as Message ID 5: beyond a window of 1.
  Message m;
  m.header.spi_i = i->spi_i;
  m.header.spi_r = i->spi_r;
  m.header.exchange_type = iana::ExchangeType::kInformational;
  m.header.message_id = 5;
  m.header.flags = kFlagInitiator;
  MessageKeys keys{SkKeys{i->suite.encr, 0, i->suite.integ, i->keys.sk_ei, i->keys.sk_ai},
                   SkKeys{i->suite.encr, 0, i->suite.integ, i->keys.sk_er, i->keys.sk_ar}};
  keys.initiator.encr_key_bits = keys.responder.encr_key_bits = 128;
  auto protection = MessageProtection::Create(keys, nullptr);
  ASSERT_TRUE(protection.ok());
  auto bytes = (*protection)->Encrypt(m);
  ASSERT_TRUE(bytes.ok()) << bytes.error().ToString();
  const size_t built = x.responder_log().built.size();
  x.Deliver(testing::Datagram{request->source, request->destination, *bytes});
  EXPECT_TRUE(x.network().in_flight.empty());
  EXPECT_EQ(x.responder_log().built.size(), built);
  x.Deliver(*request);  // the real one is answered
  EXPECT_EQ(x.responder_log().built.size(), built + 1);
}

}  // namespace
}  // namespace ipsecref::ike::sa
