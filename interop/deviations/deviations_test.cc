// The named deviations (interop/deviations/deviations.h): each one changes
// exactly what its row says (the run with it against the undeviated run on
// the same seed, every datagram decoded and, with the keys both peers
// derived, decrypted), and the other, undeviated reference peer reacts as
// RFC 7296 says. The README table is checked against the code table.
#include "interop/deviations/deviations.h"
#include "interop/deviations/observe.h"
#include "reference/testing/generated_section.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>

#include "reference/ike/sa/ike_sa.h"
#include "reference/ike/sa/peer.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/wire/protection.h"

namespace ipsecref::deviations {
namespace {

using iana::PayloadType;
using ike::Message;
using ike::Payload;
using ike::sa::IkeSa;
using ike::sa::IkeState;
using ike::sa::Time;
using testing::Exchange;

// ---------------------------------------------------------------------------
// Watching a run: every datagram as it arrives, decoded into one line
// (observe.h).

struct Arrival {
  Time at = 0;  // since the run began
  char from = '?';
  std::string text;
  std::string Line() const { return fmt::format("t={} {}> {}", at, from, text); }
};

ike::sa::IkeConfig Tweak(ike::sa::IkeConfig c, std::string_view setup) {
  if (setup == "ecp256")
    c.proposals = *ike::sa::ParseProposals("aes128gcm16-prfsha256-ecp256", iana::SecurityProtocol::kIke);
  if (setup == "fragments") c.fragment_mtu = 200;
  return c;
}

// Two reference peers, one of them (initiator or responder) deviating,
// run until quiet (ten minutes of fake time: past every retransmission).
struct Session {
  explicit Session(std::string_view setup = "", uint64_t seed = 7)
      : x(Tweak(testing::PskInitiatorConfig(), setup), Tweak(testing::PskResponderConfig(), setup), seed),
        then(setup) {
    x.SetHooks(x.initiator(), &initiator_keys);
    x.SetHooks(x.responder(), &responder_keys);
    start = x.clock().Now();
    if (setup == "lose-first") {
      // The network loses the first datagram sent, whatever deviates.
      auto lost = std::make_shared<bool>(false);
      x.network().filter = [lost](const testing::Sent&) { return std::exchange(*lost, true); };
    }
  }
  ike::sa::Peer& Peer(char who) { return who == 'I' ? x.initiator() : x.responder(); }
  Status Deviate(char who, const std::vector<std::string>& specs) { return ApplyDeviations(x, Peer(who), specs); }

  void Go(Time horizon = 600'000) {
    x.initiator().Initiate();
    Settle(horizon);
    // Setups "child-rekey" and "child-delete": the initiator then rekeys
    // or deletes its CHILD SA, for the deviations of later exchanges.
    if (then == "child-rekey" || then == "child-delete")
      for (IkeSa* sa : x.initiator().IkeSas())
        if (sa->state == IkeState::kEstablished && !sa->children.empty()) {
          const uint32_t child = sa->children.front().spi_in;
          Status started = then == "child-rekey" ? x.initiator().RekeyChild(sa->local_spi(), child)
                                                 : x.initiator().DeleteChild(sa->local_spi(), child);
          EXPECT_TRUE(started) << (started ? "" : started.error().ToString());
          Settle(horizon);
          break;
        }
  }
  void Settle(Time horizon = 600'000) {
    const Time until = x.clock().Now() + horizon;
    for (size_t step = 0; step < 10000; ++step) {
      if (auto d = x.Take()) {
        ByteSpan msg = d->data;
        if (d->destination.port != ike::sa::kIkePort)
          msg = msg.subspan(std::min(msg.size(), ike::sa::kNonEspMarkerSize));
        std::vector<ike::MessageKeys> keys = initiator_keys.keys;
        keys.insert(keys.end(), responder_keys.keys.begin(), responder_keys.keys.end());
        arrivals.push_back({x.clock().Now() - start, d->source.address == x.initiator().local().address ? 'I' : 'R',
                            Describe(msg, keys)});
        x.Deliver(*d);
        continue;
      }
      std::optional<Time> next;
      for (ike::sa::Peer* p : {&x.initiator(), &x.responder()})
        if (auto t = p->NextDeadline(); t && (!next || *t < *next)) next = t;
      if (!next || *next > until) return;
      x.AdvanceToNextDeadline();
    }
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const Arrival& a : arrivals) out.push_back(a.Line());
    return out;
  }
  // Every message `who` received, in order.
  std::vector<std::string> ReceivedBy(char who) const {
    std::vector<std::string> out;
    for (const Arrival& a : arrivals)
      if (a.from != who) out.push_back(a.text);
    return out;
  }
  bool Established(char who) {
    for (IkeSa* sa : Peer(who).IkeSas())
      if (sa->state == IkeState::kEstablished) return true;
    return false;
  }
  size_t SentBy(char who) {
    size_t n = 0;
    for (const testing::Sent& s : x.network().captured)
      n += s.datagram.source.address == Peer(who).local().address ? 1 : 0;
    return n;
  }

  Exchange x;
  std::string then;  // the setup, for what Go does after the initial exchanges
  KeyCatcher initiator_keys, responder_keys;
  Time start = 0;
  std::vector<Arrival> arrivals;
};

// The first arrival at which two runs part: "- <before>" and "+ <after>"
// lines (one of them absent when a run simply has fewer arrivals).
std::string FirstDifference(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  for (size_t i = 0; i < std::max(before.size(), after.size()); ++i) {
    const std::string* b = i < before.size() ? &before[i] : nullptr;
    const std::string* a = i < after.size() ? &after[i] : nullptr;
    if (b != nullptr && a != nullptr && *b == *a) continue;
    std::string out;
    if (b != nullptr) out += "- " + *b + "\n";
    if (a != nullptr) out += "+ " + *a + "\n";
    return out;
  }
  return "";
}

// ---------------------------------------------------------------------------
// Every deviation changes what it says: the first arrival where the run
// with it parts from the undeviated run on the same seed.

struct Case {
  std::string spec;
  char target;           // 'I' or 'R'
  std::string setup;     // "" (PSK, AES-GCM, Curve25519), "ecp256", "fragments"
  std::string expected;  // FirstDifference(undeviated, deviated)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.spec << " on " << c.target; }

class DeviationChanges : public ::testing::TestWithParam<Case> {};

TEST_P(DeviationChanges, WhatItSays) {
  const Case& c = GetParam();
  Session base(c.setup);
  base.Go();
  Session deviated(c.setup);
  ASSERT_TRUE(deviated.Deviate(c.target, {c.spec})) << c.spec;
  deviated.Go();
  const std::string difference = FirstDifference(base.Lines(), deviated.Lines());
  EXPECT_EQ(difference, c.expected) << c.spec;
  if (difference != c.expected)
    std::cout << fmt::format("CASE {{\"{}\", '{}', \"{}\", R\"x({})x\"}},\n", c.spec, c.target, c.setup, difference);
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
#include "interop/deviations/deviations_test_cases.inc"
  };
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.spec;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Every, DeviationChanges, ::testing::ValuesIn(Cases()), CaseName);

TEST(DeviationTable, AtLeastFortyEveryOneWithACase) {
  EXPECT_GE(Deviations().size(), 40u);
  std::set<std::string_view> with_case;
  for (const Case& c : Cases()) {
    auto s = ParseSpec(c.spec);
    ASSERT_TRUE(s) << c.spec;
    with_case.insert(s->deviation->name);
  }
  for (const Deviation& d : Deviations()) EXPECT_TRUE(with_case.count(d.name)) << d.name << " has no case";
}

// ---------------------------------------------------------------------------
// The other peer's reaction, as RFC 7296 (and RFC 7383, RFC 8031, RFC 6989)
// says it must be. `I` is the initiator, `R` the responder; the deviating
// one is named in each test.

using ::testing::EndsWith;
using ::testing::HasSubstr;

// A run with `specs` on `who`, to quiet.
Session Deviated(char who, const std::vector<std::string>& specs, std::string_view setup = "") {
  Session s(setup);
  Status applied = s.Deviate(who, specs);
  EXPECT_TRUE(applied) << (applied ? "" : applied.error().ToString());
  s.Go();
  return s;
}

void ExpectBothUp(Session& s) {
  EXPECT_TRUE(s.Established('I')) << ::testing::PrintToString(s.Lines());
  EXPECT_TRUE(s.Established('R')) << ::testing::PrintToString(s.Lines());
}

size_t IkeSasOf(Session& s, char who) { return s.Peer(who).IkeSas().size(); }

// Every datagram `who` sent, as sent (before the network).
std::vector<Bytes> SentDatagrams(Session& s, char who) {
  std::vector<Bytes> out;
  for (const testing::Sent& d : s.x.network().captured)
    if (d.datagram.source.address == s.Peer(who).local().address) out.push_back(d.datagram.data);
  return out;
}

// The IKE_SA_INIT request is refused with `notify` alone, and the responder
// keeps nothing of it.
void ExpectInitRefusedWith(Session& s, std::string_view notify) {
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_EQ(got.size(), 1u) << ::testing::PrintToString(s.Lines());
  EXPECT_THAT(got.front(), HasSubstr("IKE_SA_INIT response"));
  EXPECT_THAT(got.front(), EndsWith(fmt::format("{{ {} }}", notify)));
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

// The malformed IKE_SA_INIT request is dropped: the responder answers
// nothing (the initiator retransmits and gives up) and keeps nothing of it.
void ExpectInitDropped(Session& s) {
  //= rfc7296#section-3.10.1
  //# INVALID_SYNTAX goes only in an encrypted message whose Message ID and
  //# integrity check were valid; an IKE_SA_INIT response is not encrypted.
  //= rfc7296#section-2.21.1
  //# Before the IKE SA is protected an error answer can serve a denial of
  //# service with forged messages: a malformed IKE_SA_INIT request is
  //# dropped, and no state is kept for it.
  EXPECT_EQ(s.SentBy('R'), 0u) << ::testing::PrintToString(s.Lines());
  EXPECT_GT(s.SentBy('I'), 1u) << "the initiator retransmits the unanswered request";
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
  EXPECT_EQ(s.Peer('R').half_open(), 0u);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

// The IKE_AUTH request is answered, inside SK, with `notify` alone.
void ExpectAuthRefusedWith(Session& s, std::string_view notify) {
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_EQ(got.size(), 2u) << ::testing::PrintToString(s.Lines());
  EXPECT_THAT(got.back(), HasSubstr("IKE_AUTH response"));
  EXPECT_THAT(got.back(), EndsWith(fmt::format("SK(pad 0) {{ {} }}", notify)));
  EXPECT_FALSE(s.Established('I'));
  EXPECT_FALSE(s.Established('R'));
}

// --- flow ---

TEST(DeviationReaction, LostRequestIsRetransmitted) {
  /* IKE_SA_INIT { SA KE Nonce N... } --X (drop-out=1 on I) */
  Session s = Deviated('I', {"drop-out=1"});
  //= rfc7296#section-2.1
  //# The initiator sends its request again, unchanged, when no response
  //# came within its timeout; the exchange then completes.
  const std::vector<Bytes> sent = SentDatagrams(s, 'I');
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[0], sent[1]);
  EXPECT_EQ(s.arrivals.front().at, 4000);
  ExpectBothUp(s);
}

TEST(DeviationReaction, LostResponseIsResentFromCache) {
  /* IKE_SA_INIT response X-- (drop-in=1 on I) */
  Session s = Deviated('I', {"drop-in=1"});
  //= rfc7296#section-2.1
  //# A responder answers a retransmitted request with the response it
  //# already sent, byte for byte, and does not process the request again.
  const std::vector<Bytes> answered = SentDatagrams(s, 'R');
  ASSERT_EQ(answered.size(), 3u);
  EXPECT_EQ(answered[0], answered[1]);
  EXPECT_EQ(IkeSasOf(s, 'R'), 1u);
  ExpectBothUp(s);
}

TEST(DeviationReaction, DuplicateRequestAnsweredFromCache) {
  /* IKE_AUTH request twice (duplicate-out=2 on I) */
  Session s = Deviated('I', {"duplicate-out=2"});
  //= rfc7296#section-2.1
  //# A request seen again is answered with the cached response, byte for
  //# byte: the responder creates no second CHILD SA.
  const std::vector<Bytes> answered = SentDatagrams(s, 'R');
  ASSERT_EQ(answered.size(), 3u);
  EXPECT_EQ(answered[1], answered[2]);
  ExpectBothUp(s);
  ASSERT_EQ(IkeSasOf(s, 'R'), 1u);
  EXPECT_EQ(s.Peer('R').IkeSas().front()->children.size(), 1u);
}

TEST(DeviationReaction, DuplicateResponseDropped) {
  /* IKE_AUTH response twice (duplicate-in=2 on I) */
  Session s = Deviated('I', {"duplicate-in=2"});
  //= rfc7296#section-2.2
  //# A response that matches no outstanding request is dropped: the
  //# initiator's IKE SA and its one CHILD SA stay as they were, and it sends
  //# nothing more.
  ExpectBothUp(s);
  EXPECT_EQ(s.SentBy('I'), 2u);
  ASSERT_EQ(IkeSasOf(s, 'I'), 1u);
  EXPECT_EQ(s.Peer('I').IkeSas().front()->children.size(), 1u);
}

TEST(DeviationReaction, ReplayedOldRequestDropped) {
  /* IKE_SA_INIT request replayed after IKE_AUTH (replay-out=1 on I) */
  Session s = Deviated('I', {"replay-out=1"});
  //= rfc7296#section-2.3
  //# A request older than the window (here Message ID 0 once request 1 was
  //# answered) is dropped without an answer and creates nothing.
  EXPECT_EQ(s.SentBy('R'), 2u);
  EXPECT_EQ(IkeSasOf(s, 'R'), 1u);
  ExpectBothUp(s);
}

TEST(DeviationReaction, ReplayedResponseDropped) {
  /* IKE_SA_INIT response replayed after IKE_AUTH (replay-in=1 on I) */
  Session s = Deviated('I', {"replay-in=1"});
  //= rfc7296#section-2.2
  //# A response to a request that is no longer outstanding is dropped; the
  //# IKE SA keeps the SPIs and keys it has.
  ExpectBothUp(s);
  EXPECT_EQ(s.SentBy('I'), 2u);
  ASSERT_EQ(IkeSasOf(s, 'I'), 1u);
  EXPECT_EQ(s.Peer('I').IkeSas().front()->keys.sk_d, s.Peer('R').IkeSas().front()->keys.sk_d);
}

TEST(DeviationReaction, DelayedRequestAnsweredOnce) {
  /* IKE_AUTH request held back until its retransmission (delay-out=2 on I) */
  Session s = Deviated('I', {"delay-out=2"});
  //= rfc7296#section-2.1
  //# The late original and the retransmission are one request: answered
  //# twice with the same bytes, one CHILD SA.
  const std::vector<Bytes> answered = SentDatagrams(s, 'R');
  ASSERT_EQ(answered.size(), 3u);
  EXPECT_EQ(answered[1], answered[2]);
  ExpectBothUp(s);
  EXPECT_EQ(s.Peer('R').IkeSas().front()->children.size(), 1u);
}

TEST(DeviationReaction, SilentPeerDeclaredDead) {
  /* IKE_AUTH response and all after it lost (block-out=2 on R) */
  Session s = Deviated('R', {"block-out=2"});
  //= rfc7296#section-2.4
  //# Retransmissions go unanswered, each after a longer wait; then the
  //# initiator gives the peer up and deletes the IKE SA without an exchange.
  std::vector<Time> at;
  for (const Arrival& a : s.arrivals)
    if (a.from == 'I' && a.text.find("IKE_AUTH request") != std::string::npos) at.push_back(a.at);
  ASSERT_EQ(at.size(), 6u);  // the request and five retransmissions (the configured tries)
  for (size_t i = 2; i < at.size(); ++i) EXPECT_GT(at[i] - at[i - 1], at[i - 1] - at[i - 2]);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

TEST(DeviationReaction, DelayedResponseStillCompletes) {
  /* IKE_AUTH response held back until the request's retransmission (delay-in=2 on I) */
  Session s = Deviated('I', {"delay-in=2"});
  //= rfc7296#section-2.1
  //# The initiator retransmits while the response is late; the responder
  //# answers the retransmission from its cache; the late response completes
  //# the exchange and the second one matches nothing outstanding (§2.2).
  const std::vector<Bytes> answered = SentDatagrams(s, 'R');
  ASSERT_EQ(answered.size(), 3u);
  EXPECT_EQ(answered[1], answered[2]);
  ExpectBothUp(s);
  EXPECT_EQ(s.Peer('I').IkeSas().front()->children.size(), 1u);
}

TEST(DeviationReaction, UnreachableInitiatorGivesUp) {
  /* nothing reaches I from the IKE_AUTH response on (block-in=2 on I) */
  Session s = Deviated('I', {"block-in=2"});
  //= rfc7296#section-2.4
  //# The initiator hears nothing more, retransmits on its schedule and then
  //# deletes the IKE SA; every retransmission was answered from the cache.
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
  const std::vector<Bytes> answered = SentDatagrams(s, 'R');
  ASSERT_EQ(answered.size(), 7u);
  for (size_t i = 2; i < answered.size(); ++i) EXPECT_EQ(answered[i], answered[1]);
}

TEST(DeviationReaction, NoRetransmissionInitiatorGivesUp) {
  /* IKE_SA_INIT request lost, never retransmitted (no-retransmit on I) */
  Session s = Deviated('I', {"no-retransmit"}, "lose-first");
  //= rfc7296#section-2.4
  //# An initiator whose request goes unanswered gives the peer up after its
  //# retransmission schedule, whether or not it sent anything again.
  EXPECT_EQ(s.SentBy('I'), 1u);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
}

TEST(DeviationReaction, EveryRequestTwiceAnsweredFromCache) {
  /* every datagram of I twice (send-twice on I) */
  Session s = Deviated('I', {"send-twice"});
  //= rfc7296#section-2.1
  //# The second copy of each request is answered from the cache: the same
  //# bytes, one IKE SA and one CHILD SA at the responder.
  const std::vector<Bytes> answered = SentDatagrams(s, 'R');
  ASSERT_EQ(answered.size(), 4u);
  EXPECT_EQ(answered[0], answered[1]);
  EXPECT_EQ(answered[2], answered[3]);
  ExpectBothUp(s);
  ASSERT_EQ(IkeSasOf(s, 'R'), 1u);
  EXPECT_EQ(s.Peer('R').IkeSas().front()->children.size(), 1u);
}

TEST(DeviationReaction, ReversedFragmentsReassembled) {
  /* IKE_AUTH request as SKF 2/2, SKF 1/2 (reverse-fragments on I) */
  Session s = Deviated('I', {"reverse-fragments"}, "fragments");
  //= rfc7383#section-2.6
  //# Fragments are reassembled whatever order they arrive in.
  ExpectBothUp(s);
}

// What the responder sent: its IKE_SA_INIT response, and (once its half-open
// IKE SA timed out, 30 s) an unprotected INVALID_IKE_SPI for each
// retransmission that followed (RFC 7296 §2.21.4); nothing else.
void ExpectOnlyInitResponseThenInvalidIkeSpi(Session& s) {
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.front(), ::testing::StartsWith("IKE_SA_INIT response"));
  for (size_t i = 1; i < got.size(); ++i) EXPECT_THAT(got[i], EndsWith("{ N(INVALID_IKE_SPI) }"));
}

TEST(DeviationReaction, MissingFragmentNeverAnswered) {
  /* IKE_AUTH request without SKF 2/2 (drop-fragment=2 on I) */
  Session s = Deviated('I', {"drop-fragment=2"}, "fragments");
  //= rfc7383#section-2.6
  //# A message is processed only once all its fragments arrived: the
  //# responder answers nothing and the initiator gives up.
  ExpectOnlyInitResponseThenInvalidIkeSpi(s);
  EXPECT_FALSE(s.Established('R'));
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

// --- content: the header ---

TEST(DeviationReaction, MajorVersionThreeDropped) {
  Session s = Deviated('I', {"major-version=3"});
  //= rfc7296#section-2.5
  //# A message of a higher major version is dropped.
  EXPECT_FALSE(s.Established('R'));
  for (const std::string& line : s.ReceivedBy('I')) EXPECT_THAT(line, HasSubstr("INVALID_MAJOR_VERSION"));
}

// Fixed bug (reference/ike/sa/peer.cc, Peer::HandleInitRequest and
// IkeSa::HandleRequest): an IKE_SA_INIT request of major version 3 creates a
// half-open IKE SA, then fails to decode and is dropped without an answer;
// the responder never sends INVALID_MAJOR_VERSION, and the half-open IKE
// SA stays.
TEST(DeviationReaction, MajorVersionThreeAnswered) {
  Session s = Deviated('I', {"major-version=3"});
  //= rfc7296#section-2.5
  //# The receiver of a higher major version should answer with an
  //# unauthenticated INVALID_MAJOR_VERSION, and keeps no state.
  //= rfc7296#section-3.10.1
  //# The version the recipient can speak is in the reply's header.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.front(), HasSubstr("v2.0"));
  EXPECT_THAT(got.front(), EndsWith("{ N(INVALID_MAJOR_VERSION) }"));
}

// Fixed bug (reference/ike/sa/peer.cc, Peer::HandleInitRequest): the responder
// creates its half-open IKE SA before the IKE_SA_INIT request decodes; a
// request that then fails to decode (here major version 3; any malformed
// IKE_SA_INIT does the same) is dropped but its IKE SA stays, in state
// CREATED with no deadline, for ever, and counts against the half-open
// limit and the COOKIE threshold.
TEST(DeviationReaction, UndecodableInitRequestLeavesNoHalfOpenSa) {
  Session s = Deviated('I', {"major-version=3"});
  //= rfc7296#section-2.6
  //# A responder keeps no state for an IKE_SA_INIT request it does not
  //# answer with its own IKE_SA_INIT response (§2.5: the message is
  //# dropped).
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
  EXPECT_EQ(s.Peer('R').half_open(), 0u);
}

TEST(DeviationReaction, MinorVersionIgnored) {
  Session s = Deviated('I', {"minor-version=1"});
  //= rfc7296#section-2.5
  //# A higher minor version is ignored by a node of a lower one.
  ExpectBothUp(s);
}

TEST(DeviationReaction, VersionFlagIgnored) {
  Session s = Deviated('I', {"version-flag"});
  //= rfc7296#section-3.1
  //# The V flag is ignored on receipt by an IKEv2 implementation.
  ExpectBothUp(s);
}

TEST(DeviationReaction, ReservedFlagsIgnored) {
  Session s = Deviated('I', {"reserved-flags"});
  //= rfc7296#section-3.1
  //# The reserved bits of Flags are ignored on receipt.
  ExpectBothUp(s);
}

TEST(DeviationReaction, RequestMarkedResponseNotAnswered) {
  Session s = Deviated('I', {"flip-response-flag"});
  //= rfc7296#section-2.21
  //# A message marked as a response for an IKE SA the receiver does not
  //# know is never answered (§2.21.4), and creates nothing.
  EXPECT_EQ(s.SentBy('R'), 0u);
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
}

TEST(DeviationReaction, WrongInitiatorFlagGetsInvalidIkeSpi) {
  Session s = Deviated('I', {"flip-initiator-flag"});
  //= rfc7296#section-2.21
  //# A request for an IKE SA the receiver cannot find (with I clear, it looks
  //# for its own SPI in the initiator's half) may be answered, unprotected,
  //# with INVALID_IKE_SPI, the SPIs and Message ID copied (§2.21.4).
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[1], "INFORMATIONAL response v2.0 flags 28 id 1 spi 72e6/dd2d { N(INVALID_IKE_SPI) }");
  EXPECT_FALSE(s.Established('R'));
}

TEST(DeviationReaction, UnknownSpiGetsInvalidIkeSpi) {
  Session s = Deviated('I', {"wrong-spi"});
  //= rfc7296#section-2.21
  //# A request naming an IKE SPI the receiver does not know is answered,
  //# unprotected, with INVALID_IKE_SPI, the SPIs and Message ID copied
  //# (§2.21.4); the IKE SA it does know is not touched.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[1], "INFORMATIONAL response v2.0 flags 20 id 1 spi 72e6/ddd2 { N(INVALID_IKE_SPI) }");
  EXPECT_FALSE(s.Established('R'));
}

TEST(DeviationReaction, MessageIdOutsideWindowDropped) {
  Session s = Deviated('I', {"wrong-message-id=5"});
  //= rfc7296#section-2.3
  //# A request whose Message ID lies beyond the window is dropped without
  //# an answer; the initiator keeps retransmitting it and gives up.
  ExpectOnlyInitResponseThenInvalidIkeSpi(s);
  EXPECT_GT(s.SentBy('I'), 2u);
  EXPECT_FALSE(s.Established('R'));
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

TEST(DeviationReaction, ReservedFieldsIgnored) {
  Session s = Deviated('I', {"reserved-payload-headers"});
  //= rfc7296#section-3.2
  //# RESERVED bits of the generic payload header are ignored on receipt.
  ExpectBothUp(s);
}

TEST(DeviationReaction, KeReservedIgnored) {
  Session s = Deviated('I', {"reserved-ke"});
  //= rfc7296#section-3.4
  //# The KE payload's RESERVED field is ignored on receipt.
  ExpectBothUp(s);
}

// --- content: SK ---

TEST(DeviationReaction, CorruptIcvDroppedSilently) {
  Session s = Deviated('I', {"corrupt-icv"});
  //= rfc7296#section-2.21
  //# A message whose integrity check fails is dropped silently: no answer,
  //# no state change; the sender retransmits (the same bad bytes) and gives up.
  ExpectOnlyInitResponseThenInvalidIkeSpi(s);
  const std::vector<Bytes> sent = SentDatagrams(s, 'I');
  ASSERT_GE(sent.size(), 3u);
  EXPECT_EQ(sent[1], sent[2]);
  EXPECT_FALSE(s.Established('R'));
}

TEST(DeviationReaction, MaximalPaddingAccepted) {
  Session s = Deviated('I', {"pad-max"});
  //= rfc7296#section-3.14
  //# The receiver accepts any Pad Length that keeps the block alignment.
  ExpectBothUp(s);
}

TEST(DeviationReaction, NonZeroPaddingAccepted) {
  Session s = Deviated('I', {"pad-nonzero"});
  //= rfc7296#section-3.14
  //# Padding may hold any value.
  ExpectBothUp(s);
  // What the SK layer was asked to write (the decrypted run shows pad 1).
  EXPECT_EQ(s.initiator_keys.paddings, (std::vector<Bytes>{Bytes{0xa5}}));
}

// --- content: payloads ---

// Fixed bug (reference/ike/sa/ike_sa.cc, IkeSa::HandleRequest; rules.cc,
// NotifyFor): every malformed IKE_SA_INIT request below was answered with an
// unprotected N(INVALID_SYNTAX), which RFC 7296 §3.10.1 allows only inside
// a verified encrypted message (conformance case INIT-PAY-14.R).
TEST(DeviationReaction, MissingSaDropped) {
  Session s = Deviated('I', {"omit-sa"});
  //= rfc7296#section-1.2
  //# An IKE_SA_INIT request carries SA, KE and Nonce; one without its SA
  //# payload is malformed, and dropped (see ExpectInitDropped).
  ExpectInitDropped(s);
}

TEST(DeviationReaction, MissingKeDropped) {
  Session s = Deviated('I', {"omit-ke"});
  //= rfc7296#section-1.2
  //# Without its KE payload: malformed, dropped, no state kept.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, MissingNonceDropped) {
  Session s = Deviated('I', {"omit-nonce"});
  //= rfc7296#section-1.2
  //# Without its Nonce payload: malformed, dropped, no state kept.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, MissingAuthGetsAuthenticationFailed) {
  Session s = Deviated('I', {"omit-auth"});
  //= rfc7296#section-2.16
  //# IDi without AUTH asks for EAP; a responder that authenticates this
  //# peer otherwise answers AUTHENTICATION_FAILED (§2.21.2) in the
  //# protected response, and the IKE SA is not established.
  ExpectAuthRefusedWith(s, "N(AUTHENTICATION_FAILED)");
}

// Fixed bug (reference/ike/sa/ike_sa.cc, IkeSa::HandleRequest): an IKE_AUTH
// request that breaks a message rule (an empty TSi, an unknown critical
// payload inside SK) is refused with keep_ike_sa = (state != CREATED), so
// the responder keeps the unauthenticated IKE SA in CONNECTING, with no
// deadline, for ever, while the initiator has given it up. (A request that
// fails in the IKE_AUTH task, e.g. without AUTH, did end it.)
TEST(DeviationReaction, RefusedIkeAuthLeavesNoIkeSa) {
  for (const char* spec : {"ts-count=0", "unknown-critical-payload-encrypted"}) {
    Session s = Deviated('I', {spec});
    //= rfc7296#section-2.21.2
    //# When IKE_AUTH fails for the IKE SA itself the IKE SA is not created:
    //# neither end keeps it.
    EXPECT_EQ(IkeSasOf(s, 'I'), 0u) << spec;
    EXPECT_EQ(IkeSasOf(s, 'R'), 0u) << spec;
  }
}

TEST(DeviationReaction, MissingTsiGetsInvalidSyntax) {
  Session s = Deviated('I', {"omit-tsi"});
  //= rfc7296#section-3.10.1
  //# SA, TSi and TSr of a CHILD SA come together; an IKE_AUTH request with
  //# SA and TSr but no TSi is invalid: INVALID_SYNTAX in the protected
  //# response.
  ExpectAuthRefusedWith(s, "N(INVALID_SYNTAX)");
}

TEST(DeviationReaction, TwoNoncesDropped) {
  Session s = Deviated('I', {"duplicate-nonce"});
  //= rfc7296#section-1.2
  //# IKE_SA_INIT carries one Nonce; a request with two is malformed, dropped.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, VendorIdIgnored) {
  Session s = Deviated('I', {"add-vendor-id"});
  //= rfc7296#section-3.12
  //# A Vendor ID the receiver does not recognise is ignored.
  ExpectBothUp(s);
}

TEST(DeviationReaction, ReversedPayloadsAccepted) {
  Session s = Deviated('I', {"reverse-payloads"});
  //= rfc7296#section-2.6
  //# Only N(COOKIE) has a fixed place (first); SK's is last (§3.14); any other
  //# order of payloads is accepted.
  ExpectBothUp(s);
}

TEST(DeviationReaction, UnknownPayloadIgnored) {
  Session s = Deviated('I', {"unknown-payload=200"});
  //= rfc7296#section-2.5
  //# A payload of an unknown type without the critical bit is skipped.
  ExpectBothUp(s);
}

TEST(DeviationReaction, UnknownCriticalPayloadRejected) {
  Session s = Deviated('I', {"unknown-critical-payload=200"});
  //= rfc7296#section-2.5
  //# A payload of an unknown type with the critical bit set rejects the
  //# whole message: UNSUPPORTED_CRITICAL_PAYLOAD, its data the one-octet
  //# type (200 = c8), and no state kept.
  ExpectInitRefusedWith(s, "N(UNSUPPORTED_CRITICAL_PAYLOAD)=c8");
}

TEST(DeviationReaction, UnknownCriticalPayloadInSkRejected) {
  Session s = Deviated('I', {"unknown-critical-payload-encrypted=200"});
  //= rfc7296#section-2.5
  //# Inside SK too: the request is rejected with UNSUPPORTED_CRITICAL_PAYLOAD
  //# naming type 200, in the protected response.
  ExpectAuthRefusedWith(s, "N(UNSUPPORTED_CRITICAL_PAYLOAD)=c8");
}

TEST(DeviationReaction, CriticalBitOnKnownPayloadIgnored) {
  Session s = Deviated('I', {"critical-known-payload"});
  //= rfc7296#section-3.2
  //# The critical bit of a payload the receiver knows is ignored.
  ExpectBothUp(s);
}

// --- content: KE ---

TEST(DeviationReaction, WrongKeGroupGetsInvalidKePayload) {
  Session s = Deviated('I', {"ke-wrong-group=19"});
  //= rfc7296#section-1.2
  //# A KE of another group than the chosen proposal's is refused with
  //# INVALID_KE_PAYLOAD and no state is kept.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got.front(), HasSubstr("N(INVALID_KE_PAYLOAD)"));
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
}

// Fixed bug (reference/ike/sa/ike_sa.cc, IkeSa::HandleRequest): a KE group the
// SA payload does not propose is caught by the wire validator, whose
// violation is answered with NotifyPayloadOf(INVALID_KE_PAYLOAD) and no
// data; the group the responder wants is never named, so an initiator
// cannot retry.
TEST(DeviationReaction, WrongKeGroupInvalidKePayloadNamesGroup) {
  Session s = Deviated('I', {"ke-wrong-group=19"});
  //= rfc7296#section-3.10.1
  //# INVALID_KE_PAYLOAD carries the accepted group, two octets big-endian
  //# (here Curve25519, 31 = 001f), as §1.3 has the responder indicate it.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got.front(), EndsWith("{ N(INVALID_KE_PAYLOAD)=001f }"));
}

TEST(DeviationReaction, ShortKeDropped) {
  Session s = Deviated('I', {"ke-truncate=1"});
  //= rfc7296#section-3.4
  //# The Key Exchange Data has the length its group fixes; a request with a
  //# shorter one is malformed, dropped, and no state kept.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, ZeroPublicValueDropped) {
  Session s = Deviated('I', {"ke-zero"});
  //= rfc8031#section-3.2
  //# An all-zero X25519 public value gives an all-zero shared secret, which
  //# the recipient checks for and refuses: the request is dropped, no IKE SA.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, OutOfRangePublicValueDropped) {
  Session s = Deviated('I', {"ke-out-of-range"}, "ecp256");
  //= rfc6989#section-2.3
  //# An ECP public value that is not a point of the curve (coordinates at or
  //# beyond the prime) is refused: the request is dropped, no IKE SA.
  ExpectInitDropped(s);
}

// --- content: SA proposals ---

TEST(DeviationReaction, UnknownTransformIdSkipped) {
  Session s = Deviated('I', {"add-transform=1024"});
  //= rfc7296#section-3.3.6
  //# A transform ID the responder does not know is ignored; the known
  //# transforms of the proposal are chosen among.
  ExpectBothUp(s);
}

TEST(DeviationReaction, UnknownTransformTypeProposalRejected) {
  Session s = Deviated('I', {"add-transform-type=250"});
  //= rfc7296#section-3.3.6
  //# A proposal holding a Transform Type the responder does not know is
  //# rejected; with no other proposal: NO_PROPOSAL_CHOSEN.
  ExpectInitRefusedWith(s, "N(NO_PROPOSAL_CHOSEN)");
}

TEST(DeviationReaction, ProposalWithoutKeRejected) {
  Session s = Deviated('I', {"omit-transform=4"});
  //= rfc7296#section-3.3.3
  //# A Key Exchange transform is mandatory in an IKE proposal; one without is
  //# not acceptable: NO_PROPOSAL_CHOSEN.
  ExpectInitRefusedWith(s, "N(NO_PROPOSAL_CHOSEN)");
}

TEST(DeviationReaction, UnconfiguredKeyLengthRejected) {
  Session s = Deviated('I', {"key-length=256"});
  //= rfc7296#section-2.7
  //# AES-GCM with 256-bit keys is not what the responder is configured for
  //# (128): NO_PROPOSAL_CHOSEN.
  ExpectInitRefusedWith(s, "N(NO_PROPOSAL_CHOSEN)");
}

TEST(DeviationReaction, MissingKeyLengthDropped) {
  Session s = Deviated('I', {"omit-key-length"});
  //= rfc7296#section-3.3.5
  //# A cipher of several key lengths is offered with a Key Length
  //# attribute; a transform without it is malformed: the request is
  //# dropped, no IKE SA.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, SpiInInitialProposalDropped) {
  Session s = Deviated('I', {"proposal-spi=8"});
  //= rfc7296#section-3.3.1
  //# Proposals of the first IKE SA carry no SPI; a request whose proposal
  //# does is malformed, and dropped.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, FirstProposalNotNumberOneDropped) {
  Session s = Deviated('I', {"proposal-number=2"});
  //= rfc7296#section-3.3.1
  //# The first proposal is number one; a request whose SA payload starts
  //# elsewhere is malformed, and dropped.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, ResponseWithTwoProposalsRejected) {
  Session s = Deviated('R', {"extra-proposal"});
  //= rfc7296#section-2.7
  //# The responder answers with the one proposal it chose; an initiator
  //# given two fails the exchange: no IKE_AUTH, no IKE SA.
  EXPECT_EQ(s.SentBy('I'), 1u);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

// --- content: notifications ---

TEST(DeviationReaction, UnknownStatusNotifyIgnored) {
  Session s = Deviated('I', {"add-notify=40000"});
  //= rfc7296#section-3.10.1
  //# A status notification of a type the receiver does not know is ignored.
  ExpectBothUp(s);
}

TEST(DeviationReaction, UnknownErrorNotifyInRequestIgnored) {
  Session s = Deviated('I', {"add-error-notify=8000"});
  //= rfc7296#section-3.10.1
  //# An unknown error type in a request is ignored.
  ExpectBothUp(s);
}

TEST(DeviationReaction, UnknownErrorNotifyInResponseFailsRequest) {
  Session s = Deviated('R', {"add-error-notify=8000"});
  //= rfc7296#section-3.10.1
  //# An unknown error type in a response means the request failed: the
  //# initiator goes no further (no IKE_AUTH) and keeps no IKE SA.
  EXPECT_EQ(s.SentBy('I'), 1u);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

TEST(DeviationReaction, FragmentationNotAnnouncedNotAnswered) {
  Session s = Deviated('I', {"omit-notify=16430"});
  //= rfc7383#section-2.3
  //# The responder announces IKEV2_FRAGMENTATION_SUPPORTED only to an
  //# initiator that did; the IKE SA comes up without it.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.front(), ::testing::Not(HasSubstr("IKEV2_FRAGMENTATION_SUPPORTED")));
  ExpectBothUp(s);
}

// --- content: traffic selectors, nonces, authentication ---

TEST(DeviationReaction, EmptyTsiGetsInvalidSyntax) {
  Session s = Deviated('I', {"ts-count=0"});
  //= rfc7296#section-3.13
  //# A TS payload lists at least one traffic selector; an empty TSi is
  //# invalid: INVALID_SYNTAX in the protected response.
  ExpectAuthRefusedWith(s, "N(INVALID_SYNTAX)");
}

TEST(DeviationReaction, TwoEqualTsiAccepted) {
  Session s = Deviated('I', {"ts-count=2"});
  //= rfc7296#section-2.9
  //# TSi may hold several selectors; the responder narrows them to its
  //# policy and the CHILD SA comes up.
  ExpectBothUp(s);
}

TEST(DeviationReaction, ShortNonceDropped) {
  Session s = Deviated('I', {"nonce-size=8"});
  //= rfc7296#section-2.10
  //# A nonce is at least 128 bits; a request with an 8-octet one is
  //# malformed, dropped, and no state kept.
  ExpectInitDropped(s);
}

TEST(DeviationReaction, CorruptAuthGetsAuthenticationFailed) {
  Session s = Deviated('I', {"corrupt-auth"});
  //= rfc7296#section-2.21.2
  //# An AUTH that does not verify is answered with AUTHENTICATION_FAILED in
  //# the protected response, and the IKE SA is not created at either end.
  ExpectAuthRefusedWith(s, "N(AUTHENTICATION_FAILED)");
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
  EXPECT_EQ(IkeSasOf(s, 'I'), 0u);
}

TEST(DeviationReaction, WrongAuthMethodGetsAuthenticationFailed) {
  Session s = Deviated('I', {"auth-method=1"});
  //= rfc7296#section-2.21.2
  //# An AUTH of a method the responder does not expect from this peer fails
  //# the same way: AUTHENTICATION_FAILED, no IKE SA.
  ExpectAuthRefusedWith(s, "N(AUTHENTICATION_FAILED)");
  EXPECT_EQ(IkeSasOf(s, 'R'), 0u);
}

// --- content: the exchanges after IKE_AUTH ---

// The CHILD SAs of `who`'s established IKE SA.
size_t ChildrenOf(Session& s, char who) {
  for (IkeSa* sa : s.Peer(who).IkeSas())
    if (sa->state == IkeState::kEstablished) return sa->children.size();
  return 0;
}

TEST(DeviationReaction, DeleteLeftOutKeepsChildSa) {
  Session s = Deviated('I', {"omit-payload"}, "child-delete");
  //= rfc7296#section-1.4
  //# An INFORMATIONAL request without payloads is answered (empty); with the
  //# Delete left out, the responder keeps its CHILD SA while the initiator
  //# has dropped its own.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_EQ(got.size(), 3u) << ::testing::PrintToString(s.Lines());
  EXPECT_THAT(got.back(), EndsWith("INFORMATIONAL response v2.0 flags 20 id 2 spi 72e6/dd2d SK(pad 0) {  }"));
  EXPECT_EQ(ChildrenOf(s, 'R'), 1u);
  EXPECT_EQ(ChildrenOf(s, 'I'), 0u);
}

TEST(DeviationReaction, RekeyOfUnknownSpiGetsChildSaNotFound) {
  Session s = Deviated('I', {"foreign-spi"}, "child-rekey");
  //= rfc7296#section-2.25.1
  //# A rekey of a CHILD SA the responder does not have is answered
  //# CHILD_SA_NOT_FOUND, and the responder's CHILD SA stays.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_GE(got.size(), 3u) << ::testing::PrintToString(s.Lines());
  EXPECT_THAT(got[2], HasSubstr("CREATE_CHILD_SA response"));
  EXPECT_THAT(got[2], EndsWith("{ N(CHILD_SA_NOT_FOUND) }"));
  EXPECT_GE(ChildrenOf(s, 'R'), 1u);
}

TEST(DeviationReaction, DeleteOfUnknownSpiIgnored) {
  Session s = Deviated('I', {"foreign-spi"}, "child-delete");
  //= rfc7296#section-1.4.1
  //# A Delete naming an SPI the responder does not have deletes nothing: the
  //# response carries no Delete and the responder keeps its CHILD SA.
  const std::vector<std::string> got = s.ReceivedBy('I');
  ASSERT_EQ(got.size(), 3u) << ::testing::PrintToString(s.Lines());
  EXPECT_THAT(got.back(), EndsWith("INFORMATIONAL response v2.0 flags 20 id 2 spi 72e6/dd2d SK(pad 0) {  }"));
  EXPECT_EQ(ChildrenOf(s, 'R'), 1u);
}

// ---------------------------------------------------------------------------
// Specs, errors, chaining, and the README table.

TEST(DeviationSpecs, ParsesNameAndArgument) {
  auto s = ParseSpec("drop-out=3");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->deviation->name, "drop-out");
  EXPECT_EQ(s->argument, 3u);
  auto d = ParseSpec("nonce-size");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->argument, 8u);  // the row's default
}

TEST(DeviationSpecs, UnknownNameListsTheKnownOnes) {
  auto s = ParseSpec("drop-everything");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kInvalidArgument);
  EXPECT_THAT(s.error().detail, HasSubstr("unknown deviation 'drop-everything'"));
  EXPECT_THAT(s.error().detail, HasSubstr("drop-out, drop-in,"));
  EXPECT_THAT(s.error().detail, HasSubstr("auth-method"));
}

TEST(DeviationSpecs, BadArgumentsNameDeviationAndArgument) {
  auto text = ParseSpec("drop-out=two");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().detail, "deviation 'drop-out': argument N must be a decimal number, not 'two'");
  auto empty = ParseSpec("drop-out=");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().detail, "deviation 'drop-out': argument N must be a decimal number, not ''");
  auto range = ParseSpec("major-version=16");
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error().detail, "deviation 'major-version': argument V=16 is outside 0..15");
  auto none = ParseSpec("send-twice=2");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().detail, "deviation 'send-twice' takes no argument, but was given '2'");
  auto zero = ParseSpec("drop-out=0");
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().detail, "deviation 'drop-out': argument N=0 is outside 1..1000000");
}

TEST(DeviationSpecs, FactoryRefusalsNameTheDeviation) {
  Session s;
  Status known = s.Deviate('I', {"unknown-payload=40"});
  ASSERT_FALSE(known);
  EXPECT_THAT(known.error().detail, HasSubstr("deviation 'unknown-payload' (argument 40)"));
  EXPECT_THAT(known.error().detail, HasSubstr("payload type 40 (Nonce) is one the reference knows"));
  Status group = s.Deviate('I', {"ke-wrong-group=9999"});
  ASSERT_FALSE(group);
  EXPECT_THAT(group.error().detail, HasSubstr("deviation 'ke-wrong-group' (argument 9999)"));
}

TEST(DeviationSpecs, NothingInstalledWhenOneSpecIsBad) {
  Session s;
  ASSERT_FALSE(s.Deviate('I', {"drop-out=1", "no-such-thing"}));
  EXPECT_FALSE(s.x.network().filter);
  s.Go();
  ExpectBothUp(s);
  EXPECT_EQ(s.arrivals.front().at, 0);
}

TEST(DeviationSpecs, TargetMustBeAPeerOfTheExchange) {
  Session s, other;
  Status st = ApplyDeviations(s.x, other.x.initiator(), {"drop-out"});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().detail, "the target is not a peer of this exchange");
}

TEST(DeviationSpecs, DeviationsChainOnOnePeer) {
  // Two content deviations in one call, and a flow deviation in a second
  // call on the same peer: all three act, the earlier hooks stay.
  Session s;
  ASSERT_TRUE(s.Deviate('I', {"minor-version=1", "add-vendor-id"}));
  ASSERT_TRUE(s.Deviate('I', {"drop-out=1"}));
  s.Go();
  ASSERT_FALSE(s.arrivals.empty());
  EXPECT_EQ(s.arrivals.front().at, 4000);
  EXPECT_THAT(s.arrivals.front().text, HasSubstr("v2.1"));
  EXPECT_THAT(s.arrivals.front().text, HasSubstr(" V }"));
  ExpectBothUp(s);
}

TEST(DeviationTable, KindsAndNamesAreSound) {
  size_t flow = 0, content = 0;
  std::set<std::string_view> names;
  for (const Deviation& d : Deviations()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name << " twice";
    (d.kind == Kind::kFlow ? flow : content)++;
    EXPECT_FALSE(d.description.empty()) << d.name;
    EXPECT_FALSE(d.applies_to.empty()) << d.name;
    if (!d.argument.name.empty()) {
      EXPECT_LE(d.argument.min, d.argument.fallback) << d.name;
      EXPECT_LE(d.argument.fallback, d.argument.max) << d.name;
    }
  }
  EXPECT_GE(flow, 10u);
  EXPECT_GE(content, 30u);
}

TEST(DeviationTable, EveryRowNamesATestThatExists) {
  std::set<std::string> tests;
  const ::testing::UnitTest& u = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < u.total_test_suite_count(); ++i) {
    const ::testing::TestSuite& suite = *u.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j)
      tests.insert(fmt::format("{}.{}", suite.name(), suite.GetTestInfo(j)->name()));
  }
  for (const Deviation& d : Deviations()) EXPECT_TRUE(tests.count(std::string(d.test))) << d.name << ": " << d.test;
}

// README.md holds the table between two markers; it must be what the code
// table renders. IPSECREF_REGENERATE=1 rewrites it.
TEST(DeviationTable, ReadmeAgreesWithTheCode) {
  testing::ExpectGeneratedSection("interop/deviations/README.md",
                                  "<!-- table: generated from interop/deviations/deviations.cc -->\n",
                                  "<!-- end of table -->", DeviationTableMarkdown());
}

}  // namespace
}  // namespace ipsecref::deviations
