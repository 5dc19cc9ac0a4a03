// EAP in IKE_AUTH (RFC 7296 §2.16) and multiple authentication (RFC 4739):
// the initiator leaves AUTH out, the responder runs an EAP method over more
// IKE_AUTH exchanges, and both end with an AUTH keyed by the method's MSK or
// by SK_pi / SK_pr; a second round (EAP-GTC with a time-based one-time
// password) follows a PSK round. Each case checks the reaction RFC 7296
// asks for: the payloads of each exchange, EAP Failure and no IKE SA left,
// AUTHENTICATION_FAILED.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>

#include "reference/ike/sa/exchange_test_util.h"
#include "reference/otp/verifier.h"
#include "reference/testing/exchange.h"

namespace ipsecref::ike::sa {
namespace {

using exchange_testing::BodyIn;
using exchange_testing::Built;
using exchange_testing::NotifyIn;
using exchange_testing::Transcript;
using testing::Exchange;
using testing::Labels;
using testing::PskInitiatorConfig;
using testing::PskResponderConfig;

constexpr std::string_view kUser = "carol";
constexpr std::string_view kPassword = "carol's EAP password";

SecureBytes Secret(std::string_view s) { return SecureBytes(s.begin(), s.end()); }

// A client that authenticates with EAP (`methods`) as carol.
IkeConfig EapClient(std::vector<eap::Type> methods, std::string_view password = kPassword) {
  IkeConfig c = PskInitiatorConfig();
  c.local_auth.eap_methods = std::move(methods);
  c.local_auth.eap_peer.identity = std::string(kUser);
  c.local_auth.eap_peer.secret = Secret(password);
  return c;
}
// A gateway that authenticates its clients with EAP (`methods`) and knows
// carol's password; itself with the PSK.
IkeConfig EapGateway(std::vector<eap::Type> methods, bool ask_identity = true) {
  IkeConfig c = PskResponderConfig();
  c.remote_auth.eap_methods = std::move(methods);
  c.remote_auth.eap_ask_identity = ask_identity;
  c.remote_auth.eap_authenticator.secret_for = [](std::string_view identity) -> std::optional<SecureBytes> {
    if (identity != kUser) return std::nullopt;
    return Secret(kPassword);
  };
  c.remote_auth.eap_authenticator.gtc_check = [](std::string_view identity, ByteSpan response) -> Status {
    ENSURE(identity == kUser && std::string_view(reinterpret_cast<const char*>(response.data()), response.size()) ==
                                    kPassword,
           kAuthenticationFailed, 0, "rfc3748#section-5.6", "wrong password");
    return OkStatus();
  };
  return c;
}

std::vector<std::string> LabelsOf(const testing::Recorder& log, bool responses) {
  std::vector<std::string> out;
  for (const Message* m : Built(log, iana::ExchangeType::kIkeAuth))
    if (m->header.response() == responses) out.push_back(Labels(*m));
  return out;
}
std::vector<uint32_t> RequestIds(const testing::Recorder& log) {
  std::vector<uint32_t> out;
  for (const Message* m : Built(log, iana::ExchangeType::kIkeAuth))
    if (!m->header.response()) out.push_back(m->header.message_id);
  return out;
}
// The EAP packets a log's IKE_AUTH messages carried, decoded.
std::vector<eap::Packet> EapPackets(const testing::Recorder& log) {
  std::vector<eap::Packet> out;
  for (const Message* m : Built(log, iana::ExchangeType::kIkeAuth))
    if (const EapPayload* e = BodyIn<EapPayload>(*m)) out.push_back(eap::ParsePacket(e->eap_message).value());
  return out;
}

//= rfc7296#section-2.16
//# A failed method ends with EAP Failure from the responder, and the IKE SA
//# is set up at neither end.
void ExpectEapFailureAndNoIkeSa(Exchange& x) {
  const std::vector<eap::Packet> sent = EapPackets(x.responder_log());
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().code, eap::Code::kFailure);
  EXPECT_TRUE(x.responder().IkeSas().empty());
  EXPECT_TRUE(x.initiator().IkeSas().empty());
}

TEST(EapAuth, MsChapV2TakesFiveIkeAuthExchangesAndKeysAuthWithTheMsk) {
  Exchange x(EapClient({eap::Type::kMsChapV2}), EapGateway({eap::Type::kMsChapV2}));
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u) << Transcript(x);
  exchange_testing::ExpectAgreement(x, {.children = 1});
  //= rfc7296#section-2.16
  //# The first request has IDi without AUTH; the responder's first answer
  //# has its IDr, AUTH and the first EAP Request; EAP goes on until Success;
  //# then AUTH each way, and SAr2, TSi, TSr in the last response. Message
  //# IDs go up by one per exchange.
  EXPECT_EQ(LabelsOf(x.initiator_log(), false),
            (std::vector<std::string>{"IDi IDr N(INITIAL_CONTACT) SA TSi TSr", "EAP", "EAP", "EAP", "AUTH"}));
  EXPECT_EQ(LabelsOf(x.responder_log(), true),
            (std::vector<std::string>{"IDr AUTH EAP", "EAP", "EAP", "EAP", "AUTH SA TSi TSr"}));
  EXPECT_EQ(RequestIds(x.initiator_log()), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  // RFC 3748 §5.1, draft-kamath-pppext-eap-mschapv2 §2: Identity, then
  // MSCHAPv2 Challenge, Success Request, and EAP Success.
  const std::vector<eap::Packet> sent = EapPackets(x.responder_log());
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_TRUE(sent[0].is(eap::Type::kIdentity));
  EXPECT_TRUE(sent[1].is(eap::Type::kMsChapV2));
  EXPECT_TRUE(sent[2].is(eap::Type::kMsChapV2));
  EXPECT_EQ(sent[3].code, eap::Code::kSuccess);
}

TEST(EapAuth, MethodsWithoutAnMskKeyAuthWithSkPiAndSkPr) {
  for (eap::Type method : {eap::Type::kMd5Challenge, eap::Type::kGtc}) {
    SCOPED_TRACE(eap::TypeName(static_cast<uint8_t>(method)));
    // Without an Identity round: the IKE identity is the EAP identity.
    IkeConfig client = EapClient({method});
    client.local_id = IdPayload{iana::IdType::kFqdn, Bytes(kUser.begin(), kUser.end())};
    IkeConfig gateway = EapGateway({method}, false);
    gateway.remote_id = {};
    Exchange x(client, gateway);
    ASSERT_NE(x.Establish(), 0u) << Transcript(x);
    exchange_testing::ExpectAgreement(x, {.children = 1});
    EXPECT_EQ(LabelsOf(x.responder_log(), true),
              (std::vector<std::string>{"IDr AUTH EAP", "EAP", "AUTH SA TSi TSr"}));
  }
}

// Rewrites the AUTH of the initiator's last IKE_AUTH request (the one after
// EAP Success).
class BreakEapAuth final : public Hooks {
 public:
  void OnBuilt(const IkeSa&, Message& m) override {
    if (m.header.exchange_type != iana::ExchangeType::kIkeAuth || m.header.response()) return;
    for (Payload& p : m.inner)
      if (p.type == iana::PayloadType::kAuth && m.inner.size() == 1) {
        std::get<AuthPayload>(p.body).authentication_data.at(0) ^= 1;
      }
  }
};

TEST(EapAuth, AWrongAuthAfterEapSuccessIsRefused) {
  // The fault that shows the AUTH after EAP is checked at all: one bit off.
  Exchange x(EapClient({eap::Type::kMsChapV2}), EapGateway({eap::Type::kMsChapV2}));
  BreakEapAuth fault;
  x.SetHooks(x.initiator(), &fault);
  EXPECT_EQ(x.Establish(), 0u);
  const std::vector<std::string> answers = LabelsOf(x.responder_log(), true);
  ASSERT_FALSE(answers.empty());
  EXPECT_EQ(answers.back(), "N(AUTHENTICATION_FAILED)");
  EXPECT_TRUE(x.responder().IkeSas().empty());
  EXPECT_TRUE(x.initiator().IkeSas().empty());
}

TEST(EapAuth, AWrongPasswordEndsWithEapFailureAndNoIkeSa) {
  Exchange x(EapClient({eap::Type::kMsChapV2}, "not carol's password"), EapGateway({eap::Type::kMsChapV2}));
  EXPECT_EQ(x.Establish(), 0u);
  x.Settle(exchange_testing::kQuiescence);
  ExpectEapFailureAndNoIkeSa(x);
}

TEST(EapAuth, EachEndRefusesTheOthersAuthenticationKind) {
  {
    // The client asks for EAP (no AUTH), the gateway authenticates with PSK.
    Exchange x(EapClient({eap::Type::kMsChapV2}), PskResponderConfig());
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(LabelsOf(x.responder_log(), true), std::vector<std::string>{"N(AUTHENTICATION_FAILED)"});
    EXPECT_TRUE(x.responder().IkeSas().empty());
  }
  {
    // The client sends AUTH with the PSK, the gateway asks for EAP.
    Exchange x(PskInitiatorConfig(), EapGateway({eap::Type::kMsChapV2}));
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(LabelsOf(x.responder_log(), true), std::vector<std::string>{"N(AUTHENTICATION_FAILED)"});
    EXPECT_TRUE(x.responder().IkeSas().empty());
  }
}

// --- RFC 4739: a PSK round, then EAP-GTC with a TOTP code -------------------

//= rfc6238#appendix-B
//# The test key is the ASCII string "12345678901234567890" for HMAC-SHA1;
//# at 59 seconds the 8-digit code is 94287082, at 1111111109 07081804
//# and at 1111111111 14050471.
constexpr std::string_view kTotpKey = "12345678901234567890";

// The gateway's TOTP check for carol, at the Unix time `*clock`.
struct TotpGate {
  explicit TotpGate(otp::TotpVerifier v) : verifier(std::move(v)) {}
  std::mutex mutex;
  otp::TotpVerifier verifier;
  int64_t clock = 59;
};
std::shared_ptr<TotpGate> MakeTotpGate() {
  otp::VerifierConfig config;
  config.secret = Secret(kTotpKey);
  config.parameters.digits = 8;
  return std::make_shared<TotpGate>(otp::TotpVerifier::Create(std::move(config)).value());
}

IkeConfig TwoFactorClient(std::string code) {
  IkeConfig c = PskInitiatorConfig();
  AuthRound second;
  second.id = IdPayload{iana::IdType::kRfc822Addr, Bytes(kUser.begin(), kUser.end())};
  second.auth.eap_methods = {eap::Type::kGtc};
  second.auth.eap_peer.gtc_response = [code](std::string_view) { return Secret(code); };
  c.local_rounds.push_back(std::move(second));
  return c;
}
IkeConfig TwoFactorGateway(std::shared_ptr<TotpGate> gate) {
  IkeConfig c = PskResponderConfig();
  AuthRound second;  // any identity
  second.auth.eap_methods = {eap::Type::kGtc};
  second.auth.eap_authenticator.gtc_check = [gate](std::string_view identity, ByteSpan response) -> Status {
    std::lock_guard<std::mutex> lock(gate->mutex);
    ENSURE(identity == kUser, kAuthenticationFailed, 0, "rfc3748#section-5.6", "unknown user");
    const std::string code(response.begin(), response.end());
    TRY_ASSIGN(otp::Verdict verdict, gate->verifier.Verify(code, gate->clock));
    ENSURE(verdict.accepted(), kAuthenticationFailed, 0, "rfc6238#section-5.2",
           otp::Describe(verdict, gate->verifier.config()));
    return OkStatus();
  };
  c.remote_rounds.push_back(std::move(second));
  return c;
}

TEST(MultipleAuth, APskRoundThenEapGtcWithATotpCode) {
  auto gate = MakeTotpGate();
  Exchange x(TwoFactorClient("94287082"), TwoFactorGateway(gate));
  ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  exchange_testing::ExpectAgreement(x, {.children = 1});
  //= rfc4739#section-2.3
  //# Both ends announce support, the initiator's AUTH carries
  //# ANOTHER_AUTH_FOLLOWS, the responder answers with its own IDr and AUTH
  //# only, and the second round opens with a new IDi and no AUTH: EAP, then
  //# AUTH each way and the CHILD SA in the last response.
  const Message* init_response = Built(x.responder_log(), iana::ExchangeType::kIkeSaInit).at(0);
  EXPECT_NE(NotifyIn(*init_response, iana::NotifyType::kMultipleAuthSupported), nullptr);
  EXPECT_EQ(LabelsOf(x.initiator_log(), false),
            (std::vector<std::string>{"IDi IDr AUTH N(INITIAL_CONTACT) N(ANOTHER_AUTH_FOLLOWS) "
                                      "N(MULTIPLE_AUTH_SUPPORTED) SA TSi TSr",
                                      "IDi", "EAP", "AUTH"}));
  EXPECT_EQ(LabelsOf(x.responder_log(), true),
            (std::vector<std::string>{"IDr AUTH", "EAP", "EAP", "AUTH SA TSi TSr"}));
  EXPECT_EQ(gate->verifier.last_accepted_step(), 1u);
}

TEST(MultipleAuth, AWrongReplayedOrLateCodeIsRefusedWithEapFailure) {
  struct Case {
    std::string_view name;
    std::string code;
    int64_t clock;
    std::string_view logged;  // the reason the gateway's log gives
  };
  auto gate = MakeTotpGate();
  {
    Exchange x(TwoFactorClient("94287082"), TwoFactorGateway(gate));
    ASSERT_NE(x.Establish(), 0u) << Transcript(x);
  }
  for (const Case& c : {Case{"wrong", "12345678", 59, "failed: wrong code"},
                        Case{"replayed (step 1 accepted above)", "94287082", 59, "failed: replayed"},
                        Case{"late: step 37037037's code three steps on", "14050471", 1111111201,
                             "3 steps late, outside the window"}}) {
    SCOPED_TRACE(c.name);
    gate->clock = c.clock;
    Exchange x(TwoFactorClient(c.code), TwoFactorGateway(gate));
    EXPECT_EQ(x.Establish(), 0u);
    x.Settle(exchange_testing::kQuiescence);
    ExpectEapFailureAndNoIkeSa(x);
    bool logged = false;
    for (const Event& e : x.responder().events()) logged |= e.text.find(c.logged) != std::string::npos;
    EXPECT_TRUE(logged) << "no '" << c.logged << "' in the gateway's log\n" << Transcript(x);
  }
  // The code of the time is still taken.
  gate->clock = 1111111109;
  Exchange x(TwoFactorClient("07081804"), TwoFactorGateway(gate));
  EXPECT_NE(x.Establish(), 0u) << Transcript(x);
}

TEST(MultipleAuth, AnInitiatorThatStopsAfterTheFirstRoundIsRefused) {
  Exchange x(PskInitiatorConfig(), TwoFactorGateway(MakeTotpGate()));
  EXPECT_EQ(x.Establish(), 0u);
  EXPECT_EQ(LabelsOf(x.responder_log(), true), std::vector<std::string>{"N(AUTHENTICATION_FAILED)"});
  EXPECT_TRUE(x.responder().IkeSas().empty());
}

TEST(MultipleAuth, ASecondRoundNeedsTheRespondersAnnouncement) {
  // A gateway with one round announces no MULTIPLE_AUTH_SUPPORTED: the
  // client cannot announce a second round and sends no IKE_AUTH.
  Exchange x(TwoFactorClient("94287082"), PskResponderConfig());
  EXPECT_EQ(x.Establish(), 0u);
  EXPECT_TRUE(Built(x.initiator_log(), iana::ExchangeType::kIkeAuth).empty());
  const Message* init_response = Built(x.responder_log(), iana::ExchangeType::kIkeSaInit).at(0);
  EXPECT_EQ(NotifyIn(*init_response, iana::NotifyType::kMultipleAuthSupported), nullptr);
}

}  // namespace
}  // namespace ipsecref::ike::sa
