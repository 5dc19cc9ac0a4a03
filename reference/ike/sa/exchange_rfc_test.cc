// Exchange by exchange, as RFC 7296 lays each one out, with two reference
// peers in memory: every exchange started from either end, with and
// without one of its messages lost (the requester retransmits, the
// responder answers the retransmission from its cache, byte for byte), and
// the error paths of IKE_SA_INIT and IKE_AUTH (§2.21). strongSwan's
// src/libcharon/tests/suites/test_*.c are the model; each test reads as the
// RFC's ladder and ends with what the RFC asks both ends to hold.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>

#include "reference/ike/sa/exchange_test_util.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::ike::sa {
namespace {

using exchange_testing::Agreement;
using exchange_testing::BodyIn;
using exchange_testing::Built;
using exchange_testing::DeliverFirst;
using exchange_testing::DropFirst;
using exchange_testing::ExpectAgreement;
using exchange_testing::ExpectMessageIdsInStep;
using exchange_testing::HeaderOf;
using exchange_testing::kQuiescence;
using exchange_testing::Ladders;
using exchange_testing::LogOf;
using exchange_testing::NotifyIn;
using exchange_testing::Other;
using exchange_testing::PeerOf;
using exchange_testing::RequestFrom;
using exchange_testing::ResponseFrom;
using exchange_testing::Side;
using exchange_testing::Transcript;
using testing::Exchange;
using testing::PskInitiatorConfig;
using testing::PskResponderConfig;

std::vector<Proposal> Ike(std::string_view text) { return *ParseProposals(text, iana::SecurityProtocol::kIke); }
std::vector<Proposal> Esp(std::string_view text) { return *ParseProposals(text, iana::SecurityProtocol::kEsp); }

// Configurations whose CHILD SAs ask for PFS in CREATE_CHILD_SA.
void WithPfs(IkeConfig& c) {
  for (ChildConfig& child : c.children) child.proposals = Esp("aes128gcm16-x25519");
}

// --- One exchange, from either end, with and without loss ---

enum class Op : uint8_t { kChildCreate, kChildRekey, kIkeRekey, kChildDelete, kIkeDelete, kLiveness };
constexpr std::string_view kOpNames[] = {"ChildCreate", "ChildRekey", "IkeRekey",
                                         "ChildDelete", "IkeDelete",  "Liveness"};
enum class Loss : uint8_t { kNone, kRequest, kResponse };
constexpr std::string_view kLossNames[] = {"NoLoss", "RequestLost", "ResponseLost"};

struct SingleCase {
  Op op;
  bool pfs;
  Side side;
  Loss loss;
};

// The request each exchange sends, as RFC 7296 lays it out (§1.3.1,
// §1.3.2, §1.3.3, §1.4.1, §2.4).
std::string_view RequestLadder(Op op, bool pfs) {
  switch (op) {
    case Op::kChildCreate:
      return pfs ? "CREATE_CHILD_SA request { SA Nonce KE TSi TSr }" : "CREATE_CHILD_SA request { SA Nonce TSi TSr }";
    case Op::kChildRekey:
      return pfs ? "CREATE_CHILD_SA request { N(REKEY_SA) SA Nonce KE TSi TSr }"
                 : "CREATE_CHILD_SA request { N(REKEY_SA) SA Nonce TSi TSr }";
    case Op::kIkeRekey: return "CREATE_CHILD_SA request { SA Nonce KE }";
    case Op::kChildDelete:
    case Op::kIkeDelete: return "INFORMATIONAL request { D }";
    case Op::kLiveness: return "INFORMATIONAL request {  }";
  }
  return "";
}

class SingleExchange : public ::testing::TestWithParam<SingleCase> {};

TEST_P(SingleExchange, BothEndsEndUpWithWhatTheRfcSays) {
  const SingleCase& c = GetParam();
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  if (c.pfs) {
    WithPfs(ci);
    WithPfs(cr);
  }
  ChildConfig other_i = ci.children.front(), other_r = cr.children.front();
  other_i.name = other_r.name = "other";
  other_i.local_ts = other_r.remote_ts = *ParseTrafficSelectors("10.3.0.0/16");
  other_i.remote_ts = other_r.local_ts = *ParseTrafficSelectors("10.4.0.0/16");
  ci.children.push_back(other_i);
  cr.children.push_back(other_r);
  Exchange x(std::move(ci), std::move(cr));
  ASSERT_NE(x.Establish(), 0u);
  Peer& me = PeerOf(x, c.side);
  IkeSa* sa = x.OnlyIkeSa(me);
  ASSERT_NE(sa, nullptr);
  const uint64_t old_spi_i = sa->spi_i;
  const ChildSa first = sa->children.front();
  const size_t mark = LogOf(x, c.side).built.size();
  const size_t peer_mark = LogOf(x, Other(c.side)).built.size();
  switch (c.op) {
    case Op::kChildCreate: ASSERT_TRUE(me.CreateChild(sa->local_spi(), 1).ok()); break;
    case Op::kChildRekey: ASSERT_TRUE(me.RekeyChild(sa->local_spi(), first.spi_in).ok()); break;
    case Op::kIkeRekey: ASSERT_TRUE(me.RekeyIke(sa->local_spi()).ok()); break;
    case Op::kChildDelete: ASSERT_TRUE(me.DeleteChild(sa->local_spi(), first.spi_in).ok()); break;
    case Op::kIkeDelete: ASSERT_TRUE(me.DeleteIke(sa->local_spi()).ok()); break;
    case Op::kLiveness: ASSERT_TRUE(me.CheckLiveness(sa->local_spi()).ok()); break;
  }
  const size_t sent_before = x.network().captured.size();
  if (c.loss == Loss::kRequest) {
    //= rfc7296#section-2.1
    //# A request that gets no answer is sent again, unchanged, once its
    //# timer runs out.
    ASSERT_TRUE(DropFirst(x, RequestFrom(x, c.side)));
    ASSERT_TRUE(x.AdvanceToNextDeadline());
  } else if (c.loss == Loss::kResponse) {
    ASSERT_TRUE(DeliverFirst(x, RequestFrom(x, c.side)));
    ASSERT_TRUE(DropFirst(x, ResponseFrom(x, Other(c.side))));
    ASSERT_TRUE(x.AdvanceToNextDeadline());
  }
  x.Settle(kQuiescence);
  SCOPED_TRACE(Transcript(x));
  // The request as the RFC lays it out, built once whatever was lost.
  const std::vector<std::string> built = Ladders(LogOf(x, c.side), mark);
  ASSERT_FALSE(built.empty());
  EXPECT_EQ(built.front(), RequestLadder(c.op, c.pfs));
  // After answering a Delete of the IKE SA the responder has forgotten it:
  // the retransmitted Delete meets no IKE SA (§2.21.4), not a cached response.
  if (c.loss == Loss::kResponse && c.op != Op::kIkeDelete) {
    //= rfc7296#section-2.1
    //# The responder answers a retransmitted request with the response it
    //# sent before, byte for byte, without processing the request again.
    std::vector<Bytes> responses;
    for (size_t i = sent_before; i < x.network().captured.size(); ++i) {
      const Datagram& d = x.network().captured[i].datagram;
      if (d.source.address == PeerOf(x, Other(c.side)).local().address && HeaderOf(d)->response())
        responses.push_back(d.data);
      if (responses.size() == 2) break;
    }
    ASSERT_EQ(responses.size(), 2u);
    EXPECT_EQ(responses[0], responses[1]);
    const uint32_t id = HeaderOf(x.network().captured[sent_before].datagram)->message_id;
    size_t built_responses = 0;
    for (size_t i = peer_mark; i < LogOf(x, Other(c.side)).built.size(); ++i) {
      const Message& m = LogOf(x, Other(c.side)).built[i];
      built_responses += m.header.response() && m.header.message_id == id ? 1 : 0;
    }
    EXPECT_EQ(built_responses, 1u) << "the responder built its response twice";
  }
  switch (c.op) {
    case Op::kChildCreate: ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 2}); break;
    case Op::kChildRekey: {
      //= rfc7296#section-1.3.3
      //# A rekeyed CHILD SA is replaced by a new one with new SPIs and keys
      //# and the same traffic selectors; the old one is deleted.
      ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
      const ChildSa& now = x.OnlyIkeSa(me)->children.front();
      EXPECT_NE(now.spi_in, first.spi_in);
      EXPECT_NE(now.spi_out, first.spi_out);
      EXPECT_FALSE(now.encr_in() == first.encr_in());
      EXPECT_EQ(now.local_ts, first.local_ts);
      EXPECT_EQ(now.remote_ts, first.remote_ts);
      break;
    }
    case Op::kIkeRekey: {
      //= rfc7296#section-2.18
      //# The new IKE SA has new SPIs and keys; the CHILD SAs move to it
      //# unchanged and the old IKE SA is deleted.
      ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
      IkeSa* now = x.OnlyIkeSa(me);
      EXPECT_NE(now->spi_i, old_spi_i);
      EXPECT_EQ(now->children.front().spi_in, first.spi_in);
      EXPECT_TRUE(now->children.front().encr_in() == first.encr_in());
      break;
    }
    case Op::kChildDelete:
      //= rfc7296#section-1.4.1
      //# After a Delete exchange the CHILD SA is gone at both ends.
      ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 0});
      break;
    case Op::kIkeDelete:
      //= rfc7296#section-1.4.1
      //# Deleting the IKE SA deletes it and its CHILD SAs at both ends.
      ExpectAgreement(x, Agreement{.ike_sas = 0});
      return;
    case Op::kLiveness: ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1}); break;
  }
  ExpectMessageIdsInStep(x);
}

std::vector<SingleCase> SingleCases() {
  std::vector<SingleCase> out;
  for (Op op : {Op::kChildCreate, Op::kChildRekey, Op::kIkeRekey, Op::kChildDelete, Op::kIkeDelete, Op::kLiveness})
    for (bool pfs : {false, true}) {
      if (pfs && op != Op::kChildCreate && op != Op::kChildRekey) continue;
      for (Side side : {Side::kInitiator, Side::kResponder})
        for (Loss loss : {Loss::kNone, Loss::kRequest, Loss::kResponse}) out.push_back({op, pfs, side, loss});
    }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Exchanges, SingleExchange, ::testing::ValuesIn(SingleCases()),
                         [](const ::testing::TestParamInfo<SingleCase>& info) {
                           const SingleCase& c = info.param;
                           return fmt::format("{}{}_By{}_{}", kOpNames[static_cast<int>(c.op)], c.pfs ? "Pfs" : "",
                                              exchange_testing::Name(c.side), kLossNames[static_cast<int>(c.loss)]);
                         });

// --- An IKE SA rekey with a request of this end queued behind it ---

class QueuedBehindIkeRekey : public ::testing::TestWithParam<Op> {};

TEST_P(QueuedBehindIkeRekey, OldIkeSaDeletedAndTheRequestDone) {
  const Op op = GetParam();
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ChildConfig other_i = ci.children.front(), other_r = cr.children.front();
  other_i.name = other_r.name = "other";
  other_i.local_ts = other_r.remote_ts = *ParseTrafficSelectors("10.3.0.0/16");
  other_i.remote_ts = other_r.local_ts = *ParseTrafficSelectors("10.4.0.0/16");
  ci.children.push_back(other_i);
  cr.children.push_back(other_r);
  Exchange x(std::move(ci), std::move(cr));
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  const uint32_t child = x.OnlyIkeSa(x.initiator())->children.front().spi_in;
  ASSERT_TRUE(x.initiator().RekeyIke(spi).ok());
  /* CREATE_CHILD_SA { SA, Ni, KEi } -->   (outstanding; the next request waits behind it) */
  switch (op) {
    case Op::kChildCreate: ASSERT_TRUE(x.initiator().CreateChild(spi, 1).ok()); break;
    case Op::kChildRekey: ASSERT_TRUE(x.initiator().RekeyChild(spi, child).ok()); break;
    case Op::kIkeRekey: ASSERT_TRUE(x.initiator().RekeyIke(spi).ok()); break;
    case Op::kChildDelete: ASSERT_TRUE(x.initiator().DeleteChild(spi, child).ok()); break;
    case Op::kIkeDelete: ASSERT_TRUE(x.initiator().DeleteIke(spi).ok()); break;
    case Op::kLiveness: ASSERT_TRUE(x.initiator().CheckLiveness(spi).ok()); break;
  }
  x.Settle(kQuiescence);
  //= rfc7296#section-2.18
  //# Once the new IKE SA is up the old one is deleted; what was still to
  //# be done on it is done on the new one (or refused), not left hanging.
  // (A Delete queued for the old IKE SA may end it, or be done on the new
  // one: either way the ends agree.)
  if (op != Op::kIkeDelete) {
    EXPECT_EQ(x.initiator().IkeSas().size(), 1u) << Transcript(x);
  }
  ExpectAgreement(x, Agreement{.ike_sas = std::nullopt});
}

std::string QueuedName(const ::testing::TestParamInfo<Op>& info) {
  return std::string(kOpNames[static_cast<int>(info.param)]);
}
INSTANTIATE_TEST_SUITE_P(Requests, QueuedBehindIkeRekey,
                         ::testing::Values(Op::kChildDelete, Op::kIkeDelete, Op::kLiveness), QueuedName);
// Fixed bug (found by exchange_properties_test.cc): a CREATE_CHILD_SA request
// (new CHILD SA, CHILD SA rekey or another IKE SA rekey) queued while the
// IKE SA rekey is outstanding blocks the old IKE SA's queue for good:
// IkeSa::StartQueued returns when the first queued task may not start in
// the IKE SA's state (REKEYED), so the Delete of the old IKE SA queued
// behind it by the completed rekey is never sent, and both ends keep both
// IKE SAs; the queued request is never done either.
INSTANTIATE_TEST_SUITE_P(CreateChildSaRequests, QueuedBehindIkeRekey,
                         ::testing::Values(Op::kChildCreate, Op::kChildRekey, Op::kIkeRekey), QueuedName);

// --- The initial exchanges over many proposals, and with each message lost ---

struct Suite {
  std::string_view name;
  std::string_view ike;
  std::string_view esp;
};
constexpr Suite kSuites[] = {
    {"AesGcm128Sha256X25519", "aes128gcm16-prfsha256-x25519", "aes128gcm16"},
    {"AesGcm256Sha384Ecp384", "aes256gcm16-prfsha384-ecp384", "aes256gcm16"},
    {"ChaCha20Poly1305X25519", "chacha20poly1305-prfsha256-x25519", "chacha20poly1305"},
    {"AesCbcSha256Modp2048", "aes128-sha256-modp2048", "aes128-sha256"},
    {"AesCbc256Sha512Ecp521", "aes256-sha512-ecp521", "aes256-sha512"},
    {"AesCtrSha384Ecp256", "aes192ctr-sha384-ecp256", "aes192ctr-sha384"},
    {"AesCbcSha1Modp3072", "aes128-sha1-modp3072", "aes128-sha1"},
    {"AesCbcSha384Ecp256", "aes128-sha384-ecp256", "aes128-sha256"},
};

class InitialExchanges : public ::testing::TestWithParam<std::tuple<size_t, int>> {};

TEST_P(InitialExchanges, EstablishWithTheFirstChildSa) {
  const Suite& s = kSuites[std::get<0>(GetParam())];
  const int lost = std::get<1>(GetParam());  // which of the four messages is lost, -1 none
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.proposals = cr.proposals = Ike(s.ike);
  ci.children.front().proposals = cr.children.front().proposals = Esp(s.esp);
  Exchange x(std::move(ci), std::move(cr));
  const uint64_t spi = x.initiator().Initiate();
  for (int leg = 0; leg < 4; ++leg) {
    const Side from = leg % 2 == 0 ? Side::kInitiator : Side::kResponder;
    if (leg == lost) {
      ASSERT_TRUE(DropFirst(x, RequestFrom(x, from, leg % 2 == 1)));
      ASSERT_TRUE(x.AdvanceToNextDeadline());
      if (leg % 2 == 1) {
        ASSERT_TRUE(DeliverFirst(x, RequestFrom(x, Side::kInitiator)));
      }
    }
    ASSERT_TRUE(DeliverFirst(x, RequestFrom(x, from, leg % 2 == 1))) << "leg " << leg << "\n" << Transcript(x);
  }
  x.Settle(kQuiescence);
  SCOPED_TRACE(Transcript(x));
  ASSERT_NE(x.initiator().Find(spi), nullptr);
  //= rfc7296#section-1.2
  //# IKE_SA_INIT and IKE_AUTH set up the IKE SA and its first CHILD SA at
  //# both ends, with the transforms the responder picked from the offer.
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  EXPECT_EQ(x.initiator().Find(spi)->suite.ke, FirstKeGroup(Ike(s.ike)));
  ExpectMessageIdsInStep(x);
}

std::string SuiteName(const ::testing::TestParamInfo<std::tuple<size_t, int>>& info) {
  constexpr std::string_view kLost[] = {"NoLoss", "InitRequestLost", "InitResponseLost", "AuthRequestLost",
                                        "AuthResponseLost"};
  return fmt::format("{}_{}", kSuites[std::get<0>(info.param)].name, kLost[std::get<1>(info.param) + 1]);
}
INSTANTIATE_TEST_SUITE_P(Suites, InitialExchanges,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kSuites)), ::testing::Range(-1, 4)),
                         SuiteName);

// --- IKE_SA_INIT error paths and extensions ---

TEST(IkeSaInit, InvalidKePayloadRetryWithTheGroupAskedFor) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.proposals = Ike("aes128gcm16-prfsha256-x25519-ecp256");
  cr.proposals = Ike("aes128gcm16-prfsha256-ecp256");
  Exchange x(std::move(ci), std::move(cr));
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  //= rfc7296#section-1.3
  //# A responder that wants another group answers INVALID_KE_PAYLOAD with
  //# it; the initiator repeats IKE_SA_INIT with a KE of that group.
  const std::vector<std::string> r = Ladders(x.responder_log());
  ASSERT_GE(r.size(), 1u);
  EXPECT_EQ(r.front(), "IKE_SA_INIT response { N(INVALID_KE_PAYLOAD) }");
  const auto init = Built(x.initiator_log(), iana::ExchangeType::kIkeSaInit);
  ASSERT_EQ(init.size(), 2u);
  EXPECT_EQ(BodyIn<KePayload>(*init[0])->group, iana::KeGroup::kCurve25519);
  EXPECT_EQ(BodyIn<KePayload>(*init[1])->group, iana::KeGroup::kEcp256);
  EXPECT_EQ(init[1]->header.message_id, 0u);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

TEST(IkeSaInit, InvalidKePayloadForAGroupNotProposedFails) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  cr.proposals = Ike("aes128gcm16-prfsha256-x25519-ecp256");
  Exchange x(std::move(ci), std::move(cr));
  // A responder answering INVALID_KE_PAYLOAD for a group the initiator
  // never proposed: the initiator gives up instead of retrying.
  struct AskForEcp384 : Hooks {
    void OnBuilt(const IkeSa&, Message& m) override {
      if (m.header.exchange_type != iana::ExchangeType::kIkeSaInit || !m.header.response()) return;
      m.payloads = {NotifyPayloadOf(iana::NotifyType::kInvalidKePayload, Bytes{0, 20})};
    }
  } hooks;
  x.SetHooks(x.responder(), &hooks);
  EXPECT_EQ(x.Establish(), 0u);
  x.Settle(kQuiescence);
  EXPECT_TRUE(x.initiator().IkeSas().empty());
}

TEST(IkeSaInit, CookieAnsweredAndRequestRepeatedWithIt) {
  IkeConfig cr = PskResponderConfig();
  cr.cookie_threshold = 0;  // always ask for a cookie
  Exchange x(PskInitiatorConfig(), std::move(cr));
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  //= rfc7296#section-2.6
  //# The responder answers with N(COOKIE) alone and keeps no state; the
  //# initiator repeats IKE_SA_INIT with the cookie as its first payload.
  const Datagram& answer = x.network().captured.at(1).datagram;
  auto m = Decode(answer.data);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->payloads.size(), 1u);
  EXPECT_NE(m->payloads.front().as<NotifyPayload>(), nullptr);
  EXPECT_EQ(m->payloads.front().as<NotifyPayload>()->notify_message_type, iana::NotifyType::kCookie);
  const auto init = Built(x.initiator_log(), iana::ExchangeType::kIkeSaInit);
  ASSERT_EQ(init.size(), 2u);
  ASSERT_NE(NotifyIn(*init[1], iana::NotifyType::kCookie), nullptr);
  EXPECT_EQ(exchange_testing::PayloadsOf(*init[1]).front().type, iana::PayloadType::kNotify);
  EXPECT_EQ(NotifyIn(*init[1], iana::NotifyType::kCookie)->notification_data,
            m->payloads.front().as<NotifyPayload>()->notification_data);
  EXPECT_EQ(x.responder().IkeSas().size(), 1u);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

// The IKE_SA_INIT request repeated with the cookie, held back while the
// responder's cookie secret changes `rotations` times (every 60 s).
struct HeldCookieRequest {
  std::unique_ptr<Exchange> x;
  Datagram request;
};
HeldCookieRequest CookieRequestHeldFor(int rotations) {
  IkeConfig cr = PskResponderConfig();
  cr.cookie_threshold = 0;
  HeldCookieRequest h{std::make_unique<Exchange>(PskInitiatorConfig(), std::move(cr)), {}};
  Exchange& x = *h.x;
  x.initiator().Initiate();
  x.DeliverNext();  // IKE_SA_INIT request -->
  x.DeliverNext();  // <-- N(COOKIE)
  h.request = *x.Take();
  for (int i = 0; i < rotations; ++i) {
    x.clock().Advance(61'000);
    x.responder().Tick();
  }
  return h;
}

TEST(IkeSaInit, CookieOfThePreviousSecretIsStillValid) {
  HeldCookieRequest h = CookieRequestHeldFor(1);
  Exchange& x = *h.x;
  //= rfc7296#section-2.6
  //# A responder that changes its cookie secret keeps accepting cookies
  //# made with the previous one for a while.
  x.Deliver(h.request);
  ASSERT_EQ(Ladders(x.responder_log()).size(), 1u);
  EXPECT_EQ(Built(x.responder_log(), iana::ExchangeType::kIkeSaInit).size(), 1u);
  EXPECT_NE(BodyIn<SaPayload>(x.responder_log().built.front()), nullptr);
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

TEST(IkeSaInit, CookieOfAnOlderSecretIsAnsweredWithANewOne) {
  HeldCookieRequest h = CookieRequestHeldFor(2);
  Exchange& x = *h.x;
  const size_t sent = x.network().captured.size();
  x.Deliver(h.request);
  //= rfc7296#section-2.6
  //# A cookie made with a secret no longer kept is not valid: the request
  //# is answered with a fresh N(COOKIE), and no state is created.
  EXPECT_TRUE(x.responder_log().built.empty());
  ASSERT_EQ(x.network().captured.size(), sent + 1);
  auto m = Decode(x.network().captured.back().datagram.data);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->payloads.size(), 1u);
  EXPECT_EQ(m->payloads.front().as<NotifyPayload>()->notify_message_type, iana::NotifyType::kCookie);
  EXPECT_TRUE(x.responder().IkeSas().empty());
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

TEST(IkeSaInit, RequestsBeyondTheHalfOpenLimitAreDropped) {
  IkeConfig cr = PskResponderConfig();
  cr.half_open_limit = 1;
  Exchange x(PskInitiatorConfig(), std::move(cr));
  x.initiator().Initiate();
  x.initiator().Initiate();
  //= ipsecref#choice
  //# Beyond `half_open_limit` half-open IKE SAs a responder drops new
  //# IKE_SA_INIT requests without an answer (the initiator retransmits).
  ASSERT_TRUE(x.DeliverNext());
  ASSERT_TRUE(x.DeliverNext());
  EXPECT_EQ(x.responder().IkeSas().size(), 1u);
  EXPECT_EQ(Built(x.responder_log(), iana::ExchangeType::kIkeSaInit).size(), 1u);
  // The first completes; the second's retransmission then finds room.
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 2, .children = 1});
}

TEST(IkeSaInit, NoProposalChosenLeavesNothingBehind) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  cr.proposals = Ike("aes256-sha512-modp4096");
  Exchange x(std::move(ci), std::move(cr));
  EXPECT_EQ(x.Establish(), 0u);
  x.Settle(kQuiescence);
  //= rfc7296#section-2.21.1
  //# A responder that accepts none of the proposals answers
  //# NO_PROPOSAL_CHOSEN; neither end keeps an IKE SA.
  EXPECT_EQ(Ladders(x.responder_log()), std::vector<std::string>{"IKE_SA_INIT response { N(NO_PROPOSAL_CHOSEN) }"});
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  EXPECT_TRUE(x.responder().IkeSas().empty());
}

// Adds a status notification of a type no registry assigns.
struct UnknownNotify : Hooks {
  void OnBuilt(const IkeSa&, Message& m) override {
    std::vector<Payload>& p = m.header.exchange_type == iana::ExchangeType::kIkeSaInit ? m.payloads : m.inner;
    p.push_back(NotifyPayloadOf(static_cast<iana::NotifyType>(40999), Bytes{1, 2, 3}));
  }
};

TEST(IkeSaInit, UnknownStatusNotifiesAreIgnored) {
  for (Side side : {Side::kInitiator, Side::kResponder}) {
    SCOPED_TRACE(exchange_testing::Name(side));
    Exchange x(PskInitiatorConfig(), PskResponderConfig());
    UnknownNotify hooks;
    x.SetHooks(PeerOf(x, side), &hooks);
    //= rfc7296#section-3.10.1
    //# Notifications of an unrecognised status type are ignored.
    ASSERT_NE(x.Establish(), 0u) << Transcript(x);
    ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
    ExpectMessageIdsInStep(x);
  }
}

// Cuts the Nonce of this peer's IKE_SA_INIT message to `octets`.
struct ShortNonce : Hooks {
  explicit ShortNonce(size_t n) : octets(n) {}
  size_t octets;
  void OnBuilt(const IkeSa&, Message& m) override {
    if (m.header.exchange_type != iana::ExchangeType::kIkeSaInit) return;
    for (Payload& p : m.payloads)
      if (auto* n = std::get_if<NoncePayload>(&p.body)) n->nonce_data.resize(octets);
  }
};

TEST(IkeSaInit, NonceShorterThanHalfThePrfKeyIsRefused) {
  for (Side side : {Side::kInitiator, Side::kResponder})
    for (size_t octets : {size_t{31}, size_t{32}}) {
      SCOPED_TRACE(fmt::format("{}, {} octets", exchange_testing::Name(side), octets));
      IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
      ci.proposals = *ParseProposals("aes128gcm16-prfsha512-x25519", iana::SecurityProtocol::kIke);
      cr.proposals = ci.proposals;
      Exchange x(std::move(ci), std::move(cr));
      ShortNonce hooks(octets);
      x.SetHooks(PeerOf(x, side), &hooks);
      x.Establish();
      x.Settle(kQuiescence);
      //= rfc7296#section-2.10
      //# With PRF-HMAC-SHA-512 (64-octet keys) a nonce has 32 octets at
      //# least: the other end refuses a 31-octet one and sets up nothing.
      if (octets == 32) {
        ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
      } else {
        EXPECT_TRUE(x.initiator().IkeSas().empty()) << Transcript(x);
        EXPECT_TRUE(x.responder().IkeSas().empty()) << Transcript(x);
      }
    }
}

// Regression: the responder once kept the local endpoint of IKE_SA_INIT
// (port 500) when the IKE_AUTH request arrived on port 4500, so its
// response left from port 500 without the non-ESP marker and the initiator
// dropped it as ESP.
//= rfc7296#section-2.11
//# A response goes back to the address and port the request came from,
//# from the address and port the request was sent to.
TEST(IkeSaInit, NatDetectedMovesToPort4500) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  x.network().nat = testing::Nat{Endpoint{Bytes{192, 0, 2, 1}, 0}, Endpoint{Bytes{198, 51, 100, 7}, 31000}};
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  //= rfc7296#section-2.23
  //# The NAT_DETECTION hashes reveal the translation; the initiator moves to
  //# port 4500 from IKE_AUTH on and the responder answers where the
  //# request came from.
  IkeSa* i = x.OnlyIkeSa(x.initiator());
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(i, nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(i->nat_here);
  EXPECT_TRUE(r->nat_there);
  const auto& sent = x.network().captured;
  ASSERT_GE(sent.size(), 4u);
  EXPECT_EQ(sent[0].datagram.destination.port, kIkePort);
  EXPECT_EQ(sent[2].datagram.destination.port, kNatTraversalPort);
  EXPECT_EQ(sent[2].datagram.source.port, 31001);
  EXPECT_EQ(sent[3].datagram.source.port, kNatTraversalPort);
  EXPECT_EQ(sent[3].datagram.destination.port, 31001);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  ExpectMessageIdsInStep(x);
}

TEST(IkeAuth, FragmentedWhenBothSupportIt) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.fragment_mtu = cr.fragment_mtu = 200;
  Exchange x(std::move(ci), std::move(cr));
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  //= rfc7383#section-2.5
  //# With both ends announcing support, messages larger than the MTU go as
  //# SKF fragments, each datagram within the MTU, reassembled by the peer.
  size_t fragments = 0;
  for (const auto& s : x.network().captured) {
    auto m = Decode(s.datagram.data);
    ASSERT_TRUE(m.ok());
    if (m->Encrypted() == nullptr) continue;  // IKE_SA_INIT is never fragmented (RFC 7383 §2.5)
    EXPECT_LE(s.datagram.data.size() + 28, 200u);
    if (m->Encrypted()->type == iana::PayloadType::kSkf) ++fragments;
  }
  EXPECT_GT(fragments, 2u);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

TEST(IkeAuth, NotFragmentedWhenThePeerDoesNotSupportIt) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.fragment_mtu = 200;
  cr.fragmentation = false;
  Exchange x(std::move(ci), std::move(cr));
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  for (const auto& s : x.network().captured) {
    auto m = Decode(s.datagram.data);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->Encrypted() == nullptr || m->Encrypted()->type == iana::PayloadType::kSk);
  }
}

// --- IKE_AUTH error paths ---

TEST(IkeAuth, AuthenticationFailedAtTheResponder) {
  IkeConfig ci = PskInitiatorConfig();
  const std::string_view wrong = "not the secret the responder has";
  ci.local_auth.psk.assign(wrong.begin(), wrong.end());
  Exchange x(std::move(ci), PskResponderConfig());
  EXPECT_EQ(x.Establish(), 0u);
  x.Settle(kQuiescence);
  //= rfc7296#section-2.21.2
  //# A responder whose check of AUTH fails answers AUTHENTICATION_FAILED
  //# and ends the IKE SA; so does the initiator that reads it.
  EXPECT_EQ(Ladders(x.responder_log()).back(), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  EXPECT_TRUE(x.responder().IkeSas().empty());
}

TEST(IkeAuth, AuthenticationFailedAtTheInitiator) {
  IkeConfig ci = PskInitiatorConfig();
  const std::string_view wrong = "not the secret the responder has";
  ci.remote_auth.psk.assign(wrong.begin(), wrong.end());
  Exchange x(std::move(ci), PskResponderConfig());
  EXPECT_EQ(x.Establish(), 0u);
  x.Settle(kQuiescence);
  //= rfc7296#section-2.21.2
  //# An initiator whose check of the responder's AUTH fails does not use
  //# the IKE SA.
  EXPECT_TRUE(x.initiator().IkeSas().empty());
}

TEST(IkeAuth, UnexpectedIdentityFails) {
  IkeConfig cr = PskResponderConfig();
  const std::string_view someone = "someone.example";
  cr.remote_id.identification_data.assign(someone.begin(), someone.end());
  Exchange x(PskInitiatorConfig(), std::move(cr));
  EXPECT_EQ(x.Establish(), 0u);
  x.Settle(kQuiescence);
  EXPECT_TRUE(x.initiator().IkeSas().empty());
  EXPECT_TRUE(x.responder().IkeSas().empty());
}

struct ChildRefusal {
  std::string_view name;
  std::string_view responder_esp;
  std::string_view responder_local_ts;
  std::string_view responder_remote_ts;
  std::string_view notify;
};
constexpr ChildRefusal kChildRefusals[] = {
    {"NoProposalChosen", "aes256-sha512", "10.2.0.0/16", "10.1.0.0/16", "N(NO_PROPOSAL_CHOSEN)"},
    {"TsUnacceptable", "aes128gcm16", "10.9.0.0/16", "10.8.0.0/16", "N(TS_UNACCEPTABLE)"},
};

class FirstChildRefused : public ::testing::TestWithParam<ChildRefusal> {};

TEST_P(FirstChildRefused, IkeSaKept) {
  const ChildRefusal& c = GetParam();
  IkeConfig cr = PskResponderConfig();
  cr.children.front().proposals = Esp(c.responder_esp);
  cr.children.front().local_ts = *ParseTrafficSelectors(c.responder_local_ts);
  cr.children.front().remote_ts = *ParseTrafficSelectors(c.responder_remote_ts);
  Exchange x(PskInitiatorConfig(), std::move(cr));
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  //= rfc7296#section-2.21.2
  //# An IKE_AUTH whose CHILD SA cannot be set up still sets up the IKE SA:
  //# the response carries the error notify instead of SA, TSi and TSr.
  EXPECT_EQ(Ladders(x.responder_log()).back(), fmt::format("IKE_AUTH response {{ IDr AUTH {} }}", c.notify));
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 0});
  ExpectMessageIdsInStep(x);
}

INSTANTIATE_TEST_SUITE_P(Refusals, FirstChildRefused, ::testing::ValuesIn(kChildRefusals),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(IkeAuth, ChildlessThenCreateChildSa) {
  IkeConfig ci = PskInitiatorConfig();
  ci.childless = true;
  Exchange x(std::move(ci), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u) << Transcript(x);
  //= rfc6023#section-3
  //# With both ends announcing CHILDLESS_IKEV2_SUPPORTED, IKE_AUTH carries
  //# no SA, TSi or TSr, and the IKE SA comes up without a CHILD SA.
  EXPECT_EQ(Ladders(x.initiator_log()).back(), "IKE_AUTH request { IDi IDr AUTH N(INITIAL_CONTACT) }");
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 0});
  ASSERT_TRUE(x.initiator().CreateChild(spi).ok());
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

TEST(IkeAuth, TransportModeWhenBothAskForIt) {
  for (bool responder_too : {true, false}) {
    SCOPED_TRACE(responder_too ? "both ask" : "only the initiator asks");
    IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
    ci.children.front().transport_mode = true;
    cr.children.front().transport_mode = responder_too;
    Exchange x(std::move(ci), std::move(cr));
    ASSERT_NE(x.Establish(), 0u);
    //= rfc7296#section-1.3.1
    //# USE_TRANSPORT_MODE in the request asks for transport mode; the
    //# responder that agrees sends it back, otherwise the SA is a tunnel.
    ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
    EXPECT_EQ(x.OnlyIkeSa(x.initiator())->children.front().transport_mode, responder_too);
    EXPECT_EQ(NotifyIn(*Built(x.responder_log(), iana::ExchangeType::kIkeAuth).back(),
                       iana::NotifyType::kUseTransportMode) != nullptr,
              responder_too);
  }
}

// Adds a Key Exchange Method transform of `group` to every proposal of the
// SA payload of this peer's IKE_AUTH messages.
struct KeInIkeAuthSa : Hooks {
  explicit KeInIkeAuthSa(iana::KeGroup g) : group(g) {}
  iana::KeGroup group;
  void OnBuilt(const IkeSa&, Message& m) override {
    if (m.header.exchange_type != iana::ExchangeType::kIkeAuth) return;
    for (Payload& p : m.inner)
      if (auto* sa = std::get_if<SaPayload>(&p.body))
        for (Proposal& proposal : sa->proposals)
          proposal.transforms.push_back(Transform{iana::TransformType::kKe, static_cast<uint16_t>(group), {}});
  }
};

bool NamesKeyExchange(const Message& m) {
  for (const Payload& p : m.inner)
    if (const auto* sa = p.as<SaPayload>())
      for (const Proposal& proposal : sa->proposals)
        for (const Transform& t : proposal.transforms)
          if (t.type == iana::TransformType::kKe) return true;
  return false;
}

// Regression: with PFS configured, the reference as initiator offered its
// D-H groups in IKE_AUTH and refused strongSwan's answer, which (rightly)
// names none.
TEST(IkeAuth, SaPayloadsNameNoKeyExchange) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.children.front().proposals = Esp("aes128gcm16-x25519");
  cr.children.front().proposals = Esp("aes128gcm16-x25519");
  Exchange x(std::move(ci), std::move(cr));
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u) << Transcript(x);
  //= rfc7296#section-1.2
  //# IKE_AUTH carries no KE payload; its SA payloads name no key exchange
  //# and the first CHILD SA is keyed without one.
  EXPECT_FALSE(NamesKeyExchange(*Built(x.initiator_log(), iana::ExchangeType::kIkeAuth).back()));
  EXPECT_FALSE(NamesKeyExchange(*Built(x.responder_log(), iana::ExchangeType::kIkeAuth).back()));
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  EXPECT_EQ(x.OnlyIkeSa(x.initiator())->children.front().suite.ke, iana::KeGroup::kNone);
  // The configured group is still used where a KE payload travels.
  ASSERT_TRUE(x.initiator().CreateChild(spi).ok());
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 2, .duplicates_allowed = true});
  EXPECT_EQ(Ladders(x.initiator_log()).back(), "CREATE_CHILD_SA request { SA Nonce KE TSi TSr }");
  EXPECT_EQ(x.OnlyIkeSa(x.initiator())->children.back().suite.ke, iana::KeGroup::kCurve25519);
}

struct KeInIkeAuth {
  std::string_view name;
  Side side;  // whose IKE_AUTH SA payload names a key exchange
  iana::KeGroup group;
  bool established_with_child;
};
constexpr KeInIkeAuth kKeInIkeAuth[] = {
    // A request naming groups: passed over (as strongSwan does), not refused.
    {"RequestNamesAGroup", Side::kInitiator, iana::KeGroup::kCurve25519, true},
    // A response naming NONE: allowed (leaving the transform out is a SHOULD).
    {"ResponseNamesNone", Side::kResponder, iana::KeGroup::kNone, true},
    // A response naming a group the offer did not hold: not a choice from it.
    {"ResponseNamesAGroup", Side::kResponder, iana::KeGroup::kCurve25519, false},
};

class KeTransformInIkeAuth : public ::testing::TestWithParam<KeInIkeAuth> {};

TEST_P(KeTransformInIkeAuth, ReadAsTheRfcSays) {
  const KeInIkeAuth& c = GetParam();
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.children.front().proposals = Esp("aes128gcm16-x25519");
  cr.children.front().proposals = Esp("aes128gcm16-x25519");
  Exchange x(std::move(ci), std::move(cr));
  KeInIkeAuthSa hooks(c.group);
  x.SetHooks(PeerOf(x, c.side), &hooks);
  x.Establish();
  x.Settle(kQuiescence);
  //= rfc7296#section-1.2
  //# An SA payload in IKE_AUTH may name the key exchange NONE and no other.
  //= rfc7296#section-3.3.6
  //# The initiator refuses an accepted proposal it did not offer.
  //= rfc7296#section-2.21.2
  //# The IKE SA stays up; the CHILD SA the responder set up is deleted.
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = c.established_with_child ? 1u : 0u});
  if (!c.established_with_child) {
    EXPECT_EQ(Ladders(x.initiator_log()).back(), "INFORMATIONAL request { D }") << Transcript(x);
  }
  if (c.side == Side::kInitiator) {
    EXPECT_FALSE(NamesKeyExchange(*Built(x.responder_log(), iana::ExchangeType::kIkeAuth).back()));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, KeTransformInIkeAuth, ::testing::ValuesIn(kKeInIkeAuth),
                         [](const auto& info) { return std::string(info.param.name); });

// --- CREATE_CHILD_SA error paths ---

TEST(CreateChildSa, TemporaryFailureWhileTheIkeSaIsRekeyed) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  ASSERT_TRUE(x.responder().RekeyIke(x.OnlyIkeSa(x.responder())->local_spi()).ok());
  ASSERT_TRUE(x.initiator().CreateChild(spi).ok());
  /* <-- CREATE_CHILD_SA { SA, Ni, KEi }  (held) */
  const std::optional<Datagram> rekey = exchange_testing::TakeFirst(x, RequestFrom(x, Side::kResponder));
  ASSERT_TRUE(rekey.has_value());
  /* CREATE_CHILD_SA { SA, Ni, TSi, TSr } --> */
  ASSERT_TRUE(DeliverFirst(x, RequestFrom(x, Side::kInitiator)));
  //= rfc7296#section-2.25
  //# A request that cannot be done while the IKE SA is being rekeyed is
  //# answered with TEMPORARY_FAILURE.
  EXPECT_EQ(Ladders(x.responder_log()).back(), "CREATE_CHILD_SA response { N(TEMPORARY_FAILURE) }");
  x.Deliver(*rekey);
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  ExpectMessageIdsInStep(x);
}

TEST(CreateChildSa, ChildSaNotFoundWhenTheResponderLostIt) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  const uint32_t child = x.OnlyIkeSa(x.initiator())->children.front().spi_in;
  r->RemoveChild(r->children.front().spi_in);  // the responder lost it (strongSwan's test_regular_responder_lost_sa)
  ASSERT_TRUE(x.initiator().RekeyChild(spi, child).ok());
  x.Settle(kQuiescence);
  //= rfc7296#section-2.25
  //# A rekey of a CHILD SA the responder does not have is answered
  //# CHILD_SA_NOT_FOUND; the initiator drops the SA silently and creates a
  //# new one from scratch.
  const std::vector<std::string> r_ladder = Ladders(x.responder_log(), 2);
  const std::vector<std::string> i_ladder = Ladders(x.initiator_log(), 2);
  ASSERT_GE(r_ladder.size(), 2u);
  ASSERT_GE(i_ladder.size(), 2u);
  EXPECT_EQ(i_ladder[0], "CREATE_CHILD_SA request { N(REKEY_SA) SA Nonce TSi TSr }");
  EXPECT_EQ(r_ladder[0], "CREATE_CHILD_SA response { N(CHILD_SA_NOT_FOUND) }");
  EXPECT_EQ(i_ladder[1], "CREATE_CHILD_SA request { SA Nonce TSi TSr }");
  EXPECT_EQ(r_ladder[1], "CREATE_CHILD_SA response { SA Nonce TSi TSr }");
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  EXPECT_NE(x.OnlyIkeSa(x.initiator())->children.front().spi_in, child);
  ExpectMessageIdsInStep(x);
}

// Regression: a CREATE_CHILD_SA request refused by the CHILD SA
// negotiation with a response that keeps the IKE SA (INVALID_KE_PAYLOAD for
// another PFS group, BuildR with succeeded = false) once made HandleRequest
// destroy the responder's IKE SA (the rule of kChildCreate has no
// on_failure state).
//= rfc7296#section-1.3.1
//# A KE of another group than the responder wants is answered
//# INVALID_KE_PAYLOAD; the IKE SA stays and the initiator may retry.
TEST(CreateChildSa, InvalidKePayloadKeepsTheIkeSa) {
  IkeConfig ci = PskInitiatorConfig(), cr = PskResponderConfig();
  ci.children.front().proposals = Esp("aes128gcm16-x25519-ecp256");
  cr.children.front().proposals = Esp("aes128gcm16-ecp256");
  ci.childless = true;
  Exchange x(std::move(ci), std::move(cr));
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  ASSERT_TRUE(x.initiator().CreateChild(spi).ok());
  x.Settle(kQuiescence);
  EXPECT_EQ(Ladders(x.responder_log()).back(), "CREATE_CHILD_SA response { N(INVALID_KE_PAYLOAD) }");
  EXPECT_EQ(x.responder().IkeSas().size(), 1u) << Transcript(x);
  ExpectAgreement(x, Agreement{.ike_sas = 1});
}

// Gives the ENCR transform of this peer's CREATE_CHILD_SA answers a
// 256-bit key: a choice the initiator (offering 128 bits) did not offer.
struct OtherKeyLengthInCreateChildSa : Hooks {
  void OnBuilt(const IkeSa&, Message& m) override {
    if (m.header.exchange_type != iana::ExchangeType::kCreateChildSa || !m.header.response()) return;
    for (Payload& p : m.inner)
      if (auto* sa = std::get_if<SaPayload>(&p.body))
        for (Proposal& proposal : sa->proposals)
          for (Transform& t : proposal.transforms)
            if (t.type == iana::TransformType::kEncr) t.attributes = {TransformAttribute{14, uint16_t{256}}};
  }
};

TEST(CreateChildSa, AnswerNotFittingTheRequestIsDeletedAtThePeer) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  OtherKeyLengthInCreateChildSa hooks;
  x.SetHooks(x.responder(), &hooks);
  ASSERT_TRUE(x.initiator().CreateChild(spi).ok());
  x.Settle(kQuiescence);
  //= rfc7296#section-1.4.1
  //# The responder set up the CHILD SA it answered with; the initiator,
  //# refusing the answer, deletes it by the SPI it had offered.
  EXPECT_EQ(Ladders(x.initiator_log()).back(), "INFORMATIONAL request { D }") << Transcript(x);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

// --- Message IDs, retransmission, liveness ---

// The responder's IKE SA is up once it sent its IKE_AUTH response; the
// initiator's only once that response arrives. An INFORMATIONAL request
// of the responder (liveness, or the Delete of the IKE SA) that overtakes
// a lost IKE_AUTH response finds the initiator still CONNECTING.
// Regression: the initiator answered it there (found by the conformance
// suite against `ipsecref gateway`, AUTHERR-ICV-01.I: an initiator that
// rightly dropped a spoilt IKE_AUTH response looked established).
class InformationalBeforeIkeAuthCompletes : public ::testing::TestWithParam<Op> {};

TEST_P(InformationalBeforeIkeAuthCompletes, IsDroppedThenAnsweredOnceEstablished) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.initiator().Initiate();
  /* IKE_SA_INIT request -->   <-- IKE_SA_INIT response   IKE_AUTH request --> */
  for (int m = 0; m < 3; ++m) ASSERT_TRUE(x.DeliverNext());
  /* <-- IKE_AUTH response   (lost) */
  ASSERT_TRUE(DropFirst(x, ResponseFrom(x, Side::kResponder)));
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->state, IkeState::kEstablished);
  if (GetParam() == Op::kLiveness)
    ASSERT_TRUE(x.responder().CheckLiveness(r->local_spi()).ok());
  else
    ASSERT_TRUE(x.responder().DeleteIke(r->local_spi()).ok());
  /* <-- INFORMATIONAL request */
  const size_t built = x.initiator_log().built.size();
  ASSERT_TRUE(DeliverFirst(x, RequestFrom(x, Side::kResponder)));
  //= rfc7296#section-1.4
  //# INFORMATIONAL exchanges come only after the initial exchanges: the
  //# initiator, its IKE_AUTH not answered yet, neither answers nor acts.
  EXPECT_EQ(x.initiator_log().built.size(), built) << exchange_testing::Transcript(x);
  EXPECT_EQ(exchange_testing::CountInFlight(x, ResponseFrom(x, Side::kInitiator)), 0u);
  ASSERT_NE(x.initiator().Find(spi), nullptr);
  EXPECT_EQ(x.initiator().Find(spi)->state, IkeState::kConnecting);
  /* IKE_AUTH request --> (retransmitted)   <-- IKE_AUTH response (from the cache)
     <-- INFORMATIONAL request (retransmitted)   INFORMATIONAL response --> */
  x.Settle(kQuiescence);
  if (GetParam() == Op::kLiveness)
    ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  else
    ExpectAgreement(x, Agreement{.ike_sas = 0});
}

INSTANTIATE_TEST_SUITE_P(Retransmission, InformationalBeforeIkeAuthCompletes,
                         ::testing::Values(Op::kLiveness, Op::kIkeDelete),
                         [](const auto& info) { return std::string(kOpNames[static_cast<size_t>(info.param)]); });

TEST(Retransmission, DeadPeerAfterFiveRetransmissionsBackingOff) {
  for (Side side : {Side::kInitiator, Side::kResponder}) {
    SCOPED_TRACE(exchange_testing::Name(side));
    Exchange x(PskInitiatorConfig(), PskResponderConfig());
    ASSERT_NE(x.Establish(), 0u);
    IkeSa* sa = x.OnlyIkeSa(PeerOf(x, side));
    const uint64_t spi = sa->local_spi();
    const Bytes silent = PeerOf(x, Other(side)).local().address;
    x.network().filter = [silent](const testing::Sent& s) { return s.datagram.source.address != silent; };
    const size_t first = x.network().captured.size();
    const Time start = x.clock().Now();
    ASSERT_TRUE(PeerOf(x, side).CheckLiveness(spi).ok());
    // Deliver nothing: the peer's answers never arrive.
    x.network().in_flight.clear();
    while (PeerOf(x, side).Find(spi) != nullptr && x.AdvanceToNextDeadline()) x.network().in_flight.clear();
    //= rfc7296#section-2.4
    //# Unanswered requests are retransmitted with growing waits (here 4 s
    //# times 1.8^n, strongSwan's schedule) and after the last one the peer
    //# is declared dead: the IKE SA and its CHILD SAs are gone.
    std::vector<Time> times;
    for (size_t i = first; i < x.network().captured.size(); ++i)
      if (x.network().captured[i].datagram.source.address != silent)
        times.push_back(x.network().captured[i].at - start);
    const std::vector<Time> expected = {
        0, 4000, 4000 + 7200, 4000 + 7200 + 12960, 4000 + 7200 + 12960 + 23328, 4000 + 7200 + 12960 + 23328 + 41990};
    EXPECT_EQ(times, expected);
    EXPECT_EQ(PeerOf(x, side).Find(spi), nullptr);
    EXPECT_EQ(x.clock().Now() - start, expected.back() + 75582);
    EXPECT_TRUE(PeerOf(x, side).IkeSas().empty());
  }
}

TEST(Retransmission, DuplicateRequestAnsweredFromTheCacheByteForByte) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  ASSERT_TRUE(x.initiator().RekeyChild(spi, x.OnlyIkeSa(x.initiator())->children.front().spi_in).ok());
  std::optional<Datagram> request = exchange_testing::TakeFirst(x, RequestFrom(x, Side::kInitiator));
  ASSERT_TRUE(request.has_value());
  const size_t built = x.responder_log().built.size();
  x.Deliver(*request);
  x.Deliver(*request);
  //= rfc7296#section-2.1
  //# A duplicate request is answered with the same response, not processed
  //# twice.
  EXPECT_EQ(x.responder_log().built.size(), built + 1);
  std::optional<Datagram> a = exchange_testing::TakeFirst(x, ResponseFrom(x, Side::kResponder));
  std::optional<Datagram> b = exchange_testing::TakeFirst(x, ResponseFrom(x, Side::kResponder));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->data, b->data);
  x.Deliver(*a);
  x.Deliver(*b);  // a duplicate response is dropped
  x.Settle(kQuiescence);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  ExpectMessageIdsInStep(x);
}

TEST(Retransmission, DuplicateFromAnotherPortIsAnsweredThere) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  ASSERT_TRUE(x.initiator().CheckLiveness(spi).ok());
  std::optional<Datagram> request = exchange_testing::TakeFirst(x, RequestFrom(x, Side::kInitiator));
  ASSERT_TRUE(request.has_value());
  x.Deliver(*request);
  std::optional<Datagram> first = exchange_testing::TakeFirst(x, ResponseFrom(x, Side::kResponder));
  ASSERT_TRUE(first.has_value());
  // The response is lost; a NAT gives the retransmission a new port.
  Datagram again = *request;
  again.source.port = 61000;
  x.Deliver(again);
  std::optional<Datagram> second = exchange_testing::TakeFirst(x, ResponseFrom(x, Side::kResponder));
  ASSERT_TRUE(second.has_value());
  //= rfc7296#section-2.11
  //# A response goes to the address and port its request came from.
  EXPECT_EQ(second->destination, again.source);
  EXPECT_EQ(second->source, first->source);
  EXPECT_EQ(second->data, first->data);
}

TEST(Retransmission, RequestOlderThanTheWindowIsDropped) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  const Datagram auth_request = x.network().captured.at(2).datagram;
  ASSERT_EQ(HeaderOf(auth_request)->message_id, 1u);
  ASSERT_TRUE(x.initiator().CheckLiveness(spi).ok());
  x.Settle(kQuiescence);
  //= rfc7296#section-2.3
  //# A request with a Message ID below the window (its response no longer
  //# kept) is dropped without an answer.
  const size_t sent = x.network().captured.size();
  x.Deliver(auth_request);
  EXPECT_EQ(x.network().captured.size(), sent);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
  ExpectMessageIdsInStep(x);
}

TEST(Retransmission, RequestAheadOfTheWindowIsDropped) {
  // A responder that announces a window of 2 but keeps 1: the initiator
  // then sends two requests at once, and the second, arriving first, is
  // ahead of the responder's window.
  struct AnnounceWindowOfTwo : Hooks {
    void OnBuilt(const IkeSa&, Message& m) override {
      if (m.header.exchange_type == iana::ExchangeType::kIkeAuth && m.header.response())
        m.inner.push_back(NotifyPayloadOf(iana::NotifyType::kSetWindowSize, Bytes{0, 0, 0, 2}));
    }
  } hooks;
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  x.SetHooks(x.responder(), &hooks);
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  ASSERT_TRUE(x.initiator().CheckLiveness(spi).ok());
  ASSERT_TRUE(x.initiator().CheckLiveness(spi).ok());
  ASSERT_EQ(x.network().in_flight.size(), 2u);
  const std::optional<Datagram> first = x.Take();
  ASSERT_EQ(HeaderOf(*first)->message_id, 2u);
  const size_t built = x.responder_log().built.size();
  //= rfc7296#section-2.3
  //# A responder drops a request beyond its window (here Message ID 3 while
  //# 2 is still to come), without an answer.
  ASSERT_TRUE(x.DeliverNext());
  EXPECT_EQ(x.responder_log().built.size(), built);
  EXPECT_TRUE(x.network().in_flight.empty());
  x.Deliver(*first);
  EXPECT_EQ(x.responder_log().built.size(), built + 1);
  // The dropped request's retransmission is then taken.
  x.Settle(kQuiescence);
  EXPECT_EQ(x.responder_log().built.size(), built + 2);
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

TEST(Liveness, EmptyInformationalFromEitherEnd) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  ASSERT_NE(x.Establish(), 0u);
  for (Side side : {Side::kInitiator, Side::kResponder}) {
    const size_t mark = LogOf(x, Other(side)).built.size();
    ASSERT_TRUE(PeerOf(x, side).CheckLiveness(x.OnlyIkeSa(PeerOf(x, side))->local_spi()).ok());
    x.Settle(kQuiescence);
    //= rfc7296#section-2.4
    //# A liveness check is an empty INFORMATIONAL request, answered with an
    //# empty response.
    EXPECT_EQ(Ladders(LogOf(x, Other(side)), mark), std::vector<std::string>{"INFORMATIONAL response {  }"});
  }
  ExpectAgreement(x, Agreement{.ike_sas = 1, .children = 1});
}

}  // namespace
}  // namespace ipsecref::ike::sa
