// Whole EAP conversations, peer <-> authenticator in memory, for each
// method: success, a wrong password, a Nak to another method, a Response
// with the wrong Identifier dropped, a duplicate Request answered again.
//
// With IPSECREF_EAP_SEEDS=DIR set, the conversations' packets are written
// into DIR as seeds of the eap fuzz target (fuzz/eap_fuzzer.cc, its input
// layout there): `ctest`'s runs never set it.
#include "reference/eap/session.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "reference/eap/mschapv2.h"

namespace ipsecref::eap {
namespace {

SecureBytes Secret(std::string_view s) { return SecureBytes(s.begin(), s.end()); }
Bytes Octets(std::string_view s) { return Bytes(s.begin(), s.end()); }

// The users the authenticator knows.
AuthenticatorCredentials Users() {
  AuthenticatorCredentials c;
  c.secret_for = [](std::string_view identity) -> std::optional<SecureBytes> {
    if (identity == "alice" || identity == "EXAMPLE\\alice") return Secret("correct horse");
    return std::nullopt;
  };
  c.gtc_check = [](std::string_view identity, ByteSpan response) -> Status {
    ENSURE(identity == "alice" && Bytes(response.begin(), response.end()) == Octets("123456"), kAuthenticationFailed,
           kNoOffset, "", "wrong one-time password");
    return OkStatus();
  };
  return c;
}

PeerConfig Peer(std::string identity, std::string secret, std::vector<Type> methods) {
  PeerConfig p;
  p.credentials.identity = std::move(identity);
  p.credentials.secret = Secret(secret);
  p.methods = std::move(methods);
  return p;
}

AuthenticatorConfig Gateway(std::vector<Type> methods, bool ask_identity = true) {
  AuthenticatorConfig a;
  a.ask_identity = ask_identity;
  a.methods = std::move(methods);
  a.credentials = Users();
  return a;
}

// Every packet of a conversation, both directions, for the seed files.
struct Ladder {
  std::vector<Bytes> requests;   // authenticator -> peer (Requests, Success, Failure)
  std::vector<Bytes> responses;  // peer -> authenticator
};

Bytes Wire(const Packet& p) {
  auto b = Serialize(p);
  EXPECT_TRUE(b.ok());
  auto back = ParsePacket(*b);  // what goes on the wire parses back as itself
  EXPECT_TRUE(back.ok()) << Describe(p) << ": " << back.error().ToString();
  if (back.ok()) {
    EXPECT_EQ(*back, p);
  }
  return *b;
}

// Runs a whole conversation over the wire octets; returns the ladder.
Ladder Converse(AuthenticatorSession& gateway, PeerSession& client, uint8_t first_identifier = 0x40) {
  Ladder ladder;
  Packet to_peer = gateway.Start(first_identifier);
  for (int round = 0; round < 16; ++round) {
    ladder.requests.push_back(Wire(to_peer));
    auto answer = client.Process(*ParsePacket(ladder.requests.back()));
    if (!answer.ok() || !answer->has_value()) break;
    ladder.responses.push_back(Wire(**answer));
    auto next = gateway.Process(*ParsePacket(ladder.responses.back()));
    EXPECT_TRUE(next.ok()) << next.error().ToString();
    if (!next.ok()) break;
    to_peer = *next;
  }
  return ladder;
}

// The conversation ended in EAP Failure, and both ends know it.
void ExpectFailedAtBothEnds(const AuthenticatorSession& gateway, const PeerSession& client, const Ladder& ladder) {
  ASSERT_FALSE(ladder.requests.empty());
  EXPECT_EQ(ParsePacket(ladder.requests.back())->code, Code::kFailure);
  EXPECT_TRUE(gateway.done());
  EXPECT_FALSE(gateway.Succeeded());
  EXPECT_TRUE(client.done());
  EXPECT_FALSE(client.Succeeded());
  EXPECT_FALSE(gateway.Msk().has_value());
  EXPECT_FALSE(client.Msk().has_value());
}

// Seeds of fuzz/eap_fuzzer.cc: mode(1) then records { length(2) | packet }.
void WriteSeed(const std::string& name, uint8_t mode, const std::vector<Bytes>& packets) {
  const char* dir = std::getenv("IPSECREF_EAP_SEEDS");
  if (dir == nullptr) return;
  Bytes seed{mode};
  for (const Bytes& p : packets) {
    seed.push_back(static_cast<uint8_t>(p.size() >> 8));
    seed.push_back(static_cast<uint8_t>(p.size()));
    seed.insert(seed.end(), p.begin(), p.end());
  }
  std::ofstream(std::string(dir) + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
}

// The fuzz target's mode octet (fuzz/eap_fuzzer.cc): target in bits 0-1
// (1 authenticator, 2 peer), method in bits 2-3 (0 MD5-Challenge, 1 GTC,
// 2 MSCHAPv2, 3 all three), bit 4 ask Identity.
uint8_t Mode(uint8_t target, Type method, bool ask_identity) {
  const uint8_t m = method == Type::kMd5Challenge ? 0 : method == Type::kGtc ? 1 : 2;
  return static_cast<uint8_t>(target | m << 2 | (ask_identity ? 0x10 : 0));
}

void WriteSeeds(const std::string& name, Type method, bool ask_identity, const Ladder& ladder) {
  WriteSeed(name + ".authenticator", Mode(1, method, ask_identity), ladder.responses);
  WriteSeed(name + ".peer", Mode(2, method, ask_identity), ladder.requests);
}

// The fuzz target draws with the same seeds, so the seeds replay exactly.
constexpr uint64_t kGatewayRngSeed = 1, kPeerRngSeed = 2;

//= rfc3748#section-4.2
//# A method that authenticates the peer ends with Success, carrying the
//# Identifier of the last Response.
TEST(EapSession, MsChapV2Succeeds) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}), *g_rng);
  PeerSession client(Peer("alice", "correct horse", {Type::kMsChapV2}), *p_rng);
  const Ladder ladder = Converse(gateway, client);
  // Identity, Challenge, Success Request, EAP Success / Identity, Response, Success Response.
  ASSERT_EQ(ladder.requests.size(), 4u);
  ASSERT_EQ(ladder.responses.size(), 3u);
  EXPECT_TRUE(gateway.Succeeded());
  EXPECT_TRUE(client.Succeeded());
  EXPECT_EQ(gateway.identity(), "alice");
  EXPECT_EQ(gateway.method(), Type::kMsChapV2);
  auto msk = gateway.Msk();
  ASSERT_TRUE(msk.has_value());
  EXPECT_EQ(msk->size(), 64u);
  EXPECT_EQ(client.Msk(), msk);  // both ends derive the same MSK
  // Success carries the Identifier of the Success Response (RFC 3748 §4.2).
  EXPECT_EQ(ParsePacket(ladder.requests.back())->identifier, ParsePacket(ladder.responses.back())->identifier);
  EXPECT_EQ(ParsePacket(ladder.requests.back())->code, Code::kSuccess);
  WriteSeeds("mschapv2_success", Type::kMsChapV2, true, ladder);
}

TEST(EapSession, MsChapV2WithDomainAndNoIdentityRequest) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}, /*ask_identity=*/false), *g_rng);
  PeerSession client(Peer("EXAMPLE\\alice", "correct horse", {Type::kMsChapV2}), *p_rng);
  const Ladder ladder = Converse(gateway, client);
  EXPECT_TRUE(gateway.Succeeded());
  EXPECT_TRUE(client.Succeeded());
  EXPECT_EQ(gateway.identity(), "EXAMPLE\\alice");
  WriteSeeds("mschapv2_domain_no_identity", Type::kMsChapV2, false, ladder);
}

//= reference/eap/README.md mschapv2-failure-request-packet
//# A wrong password gets E=691 with R=0, the peer's Failure Response, then
//# EAP Failure; no MSK on either side.
TEST(EapSession, MsChapV2WrongPasswordFails) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}), *g_rng);
  PeerSession client(Peer("alice", "battery staple", {Type::kMsChapV2}), *p_rng);
  const Ladder ladder = Converse(gateway, client);
  ASSERT_EQ(ladder.requests.size(), 4u);
  auto failure_request = mschapv2::ReadMessage(*ParsePacket(ladder.requests[2]));
  ASSERT_TRUE(failure_request.ok());
  EXPECT_EQ(failure_request->op_code, mschapv2::OpCode::kFailure);
  auto fields = mschapv2::ReadResultFields(failure_request->text, 9);
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(fields->e, "691");
  EXPECT_EQ(fields->r, "0");
  EXPECT_EQ(fields->c.size(), 32u);
  EXPECT_EQ(fields->v, "3");
  ExpectFailedAtBothEnds(gateway, client, ladder);
  WriteSeeds("mschapv2_wrong_password", Type::kMsChapV2, true, ladder);
}

//= rfc2759#section-8.8
//# A peer that cannot verify the AuthenticatorResponse (the authenticator
//# does not know the password) ends the conversation, failed.
TEST(EapSession, MsChapV2PeerRefusesForgedAuthenticatorResponse) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}), *g_rng);
  PeerSession client(Peer("alice", "correct horse", {Type::kMsChapV2}), *p_rng);
  Packet request = gateway.Start(1);
  request = *gateway.Process(**client.Process(request));                 // Identity -> Challenge
  Packet success_request = *gateway.Process(**client.Process(request));  // -> Success Request
  auto m = *mschapv2::ReadMessage(success_request);
  m.text = Octets("S=0000000000000000000000000000000000000000 M=Welcome");
  auto forged = client.Process(*mschapv2::MakePacket(Code::kRequest, success_request.identifier, m));
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, ipsecref::Code::kAuthenticationFailed);
  EXPECT_TRUE(client.done());
  EXPECT_FALSE(client.Succeeded());
  EXPECT_FALSE(client.Msk().has_value());
}

//= rfc1994#section-4.1
//# MD5-Challenge: the Response Value is MD5(Identifier | secret | Challenge).
TEST(EapSession, Md5ChallengeValueKnownAnswer) {
  // Computed with Python's hashlib (/usr/bin/python3):
  // hashlib.md5(bytes([0x11]) + b"password" + bytes(range(16))).hexdigest()
  Bytes challenge(16);
  for (size_t i = 0; i < challenge.size(); ++i) challenge[i] = static_cast<uint8_t>(i);
  const auto value = Md5ChallengeValue(0x11, Octets("password"), challenge);
  EXPECT_EQ(ToHex(value), "e94256a60eb41f9a7800bffda62df862");
}

//= rfc3748#section-5.4
//# MD5-Challenge authenticates with the shared secret and derives no key.
TEST(EapSession, Md5ChallengeSucceedsWithoutMsk) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMd5Challenge}), *g_rng);
  PeerSession client(Peer("alice", "correct horse", {Type::kMd5Challenge}), *p_rng);
  const Ladder ladder = Converse(gateway, client);
  ASSERT_EQ(ladder.requests.size(), 3u);  // Identity, MD5-Challenge, Success
  EXPECT_TRUE(gateway.Succeeded());
  EXPECT_TRUE(client.Succeeded());
  //= rfc7296#section-2.16
  //# No MSK: IKEv2 then signs AUTH with SK_pi/SK_pr.
  EXPECT_FALSE(gateway.Msk().has_value());
  EXPECT_FALSE(client.Msk().has_value());
  WriteSeeds("md5_success", Type::kMd5Challenge, true, ladder);
}

TEST(EapSession, Md5ChallengeWrongPasswordAndUnknownUserFail) {
  for (const auto& [identity, secret] : std::map<std::string, std::string>{{"alice", "nope"}, {"mallory", "x"}}) {
    auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
    AuthenticatorSession gateway(Gateway({Type::kMd5Challenge}), *g_rng);
    PeerSession client(Peer(identity, secret, {Type::kMd5Challenge}), *p_rng);
    const Ladder ladder = Converse(gateway, client);
    SCOPED_TRACE(identity);
    ExpectFailedAtBothEnds(gateway, client, ladder);
    if (identity == "alice") WriteSeeds("md5_wrong_password", Type::kMd5Challenge, true, ladder);
  }
}

//= rfc3748#section-5.6
//# GTC: the prompt goes out, the token code comes back in the clear and the
//# gateway's verifier decides.
TEST(EapSession, GtcWithOneTimePassword) {
  for (const std::string code : {"123456", "654321"}) {
    auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
    AuthenticatorConfig config = Gateway({Type::kGtc});
    config.options.gtc_prompt = "Token code";
    AuthenticatorSession gateway(config, *g_rng);
    PeerConfig peer = Peer("alice", "unused", {Type::kGtc});
    std::string prompt_seen;
    peer.credentials.gtc_response = [&prompt_seen, code](std::string_view prompt) {
      prompt_seen = std::string(prompt);
      return Secret(code);
    };
    PeerSession client(peer, *p_rng);
    const Ladder ladder = Converse(gateway, client);
    EXPECT_EQ(prompt_seen, "Token code");
    const bool good = code == "123456";
    EXPECT_EQ(gateway.Succeeded(), good) << code;
    EXPECT_EQ(client.Succeeded(), good) << code;
    EXPECT_FALSE(gateway.Msk().has_value());
    WriteSeeds(good ? "gtc_success" : "gtc_wrong_code", Type::kGtc, true, ladder);
  }
}

//= rfc3748#section-5.3.1
//# A peer without credentials for the offered method Naks it, naming the
//# ones it has; the authenticator moves to one it allows.
TEST(EapSession, NakMovesToAnotherMethod) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kGtc, Type::kMd5Challenge, Type::kMsChapV2}), *g_rng);
  PeerSession client(Peer("alice", "correct horse", {Type::kMsChapV2, Type::kMd5Challenge}), *p_rng);
  const Ladder ladder = Converse(gateway, client);
  ASSERT_GE(ladder.responses.size(), 2u);
  const Packet nak = *ParsePacket(ladder.responses[1]);
  ASSERT_TRUE(nak.is(Type::kNak));
  EXPECT_EQ(NakDesiredTypes(nak), (std::vector<uint8_t>{26, 4}));
  // The Request after the Nak has a new Identifier and the peer's first choice.
  const Packet next = *ParsePacket(ladder.requests[2]);
  EXPECT_EQ(next.identifier, static_cast<uint8_t>(nak.identifier + 1));
  EXPECT_TRUE(next.is(Type::kMsChapV2));
  EXPECT_TRUE(gateway.Succeeded());
  EXPECT_TRUE(client.Succeeded());
  EXPECT_EQ(gateway.method(), Type::kMsChapV2);
  EXPECT_TRUE(gateway.Msk().has_value());
  WriteSeed("nak_to_mschapv2.authenticator", 0x1d, ladder.responses);  // all three methods, GTC first
}

//= rfc3748#section-5.3.1
//# A Nak with nothing the authenticator allows (or Type 0) ends in Failure.
TEST(EapSession, NakWithoutAlternativeFails) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}), *g_rng);
  PeerSession client(Peer("alice", "correct horse", {Type::kGtc}), *p_rng);
  const Ladder ladder = Converse(gateway, client);
  ExpectFailedAtBothEnds(gateway, client, ladder);

  auto rng = crypto::MakeDeterministicRng(3);
  AuthenticatorSession none(Gateway({Type::kMsChapV2}, false), *rng);
  const Packet challenge = none.Start(9);
  auto verdict = none.Process(MakeNak(9, {}));  // Type 0: no alternative
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(*verdict, MakeFailure(9));
}

//= rfc3748#section-4.1
//# The authenticator silently discards a Response whose Identifier is not
//# the outstanding Request's, and the conversation goes on.
TEST(EapSession, WrongIdentifierDropped) {
  for (Type method : {Type::kMsChapV2, Type::kMd5Challenge, Type::kGtc}) {
    auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
    AuthenticatorConfig config = Gateway({method});
    AuthenticatorSession gateway(config, *g_rng);
    PeerConfig peer = Peer("alice", method == Type::kGtc ? "123456" : "correct horse", {method});
    PeerSession client(peer, *p_rng);
    Packet request = *gateway.Process(**client.Process(gateway.Start(0xff)));  // Identity; wraps to 0
    EXPECT_EQ(request.identifier, 0) << TypeName(static_cast<uint8_t>(method));
    Packet response = **client.Process(request);
    Packet stray = response;
    stray.identifier = static_cast<uint8_t>(response.identifier + 1);
    auto dropped = gateway.Process(stray);
    ASSERT_FALSE(dropped.ok());
    EXPECT_EQ(dropped.error().code, ipsecref::Code::kDiscarded);
    EXPECT_EQ(dropped.error().offset, 1u);
    EXPECT_EQ(dropped.error().requirement, "rfc3748#section-4.1");
    EXPECT_FALSE(gateway.done());
    EXPECT_EQ(gateway.outstanding(), request);  // still waiting, to retransmit as it was
    // Not a Response at all: discarded too.
    EXPECT_EQ(gateway.Process(MakeSuccess(response.identifier)).error().code, ipsecref::Code::kDiscarded);
    // A Response of the wrong Type: discarded.
    Packet wrong_type = response;
    wrong_type.type = static_cast<uint8_t>(Type::kNotification);
    EXPECT_EQ(gateway.Process(wrong_type).error().code, ipsecref::Code::kDiscarded);
    // The right one still completes the conversation.
    Packet next = *gateway.Process(response);
    while (next.code == Code::kRequest) next = *gateway.Process(**client.Process(next));
    EXPECT_EQ(next.code, Code::kSuccess) << TypeName(static_cast<uint8_t>(method));
  }
}

//= rfc3748#section-4.1
//# A duplicate Request is answered with the very same Response, without
//# being processed again (the MSCHAPv2 peer would otherwise draw a new
//# Peer-Challenge).
TEST(EapSession, DuplicateRequestAnsweredAgain) {
  for (Type method : {Type::kMsChapV2, Type::kMd5Challenge, Type::kGtc}) {
    auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed), p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
    AuthenticatorSession gateway(Gateway({method}), *g_rng);
    PeerSession client(Peer("alice", method == Type::kGtc ? "123456" : "correct horse", {method}), *p_rng);
    Packet request = *gateway.Process(**client.Process(gateway.Start(5)));
    const Packet first = **client.Process(request);
    const Packet again = **client.Process(*gateway.outstanding());  // retransmitted on a timeout
    EXPECT_EQ(again, first) << TypeName(static_cast<uint8_t>(method));
    Packet next = *gateway.Process(again);
    while (next.code == Code::kRequest) next = *gateway.Process(**client.Process(next));
    ASSERT_EQ(next.code, Code::kSuccess);
    EXPECT_FALSE(client.Process(next)->has_value());
    EXPECT_TRUE(client.Succeeded());
  }
}

//= rfc3748#section-4.2
//# The peer discards a canned Success (before any method) and, for
//# MSCHAPv2, a Success before the AuthenticatorResponse was verified.
TEST(EapSession, PeerDiscardsEarlySuccess) {
  auto p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  PeerSession client(Peer("alice", "correct horse", {Type::kMsChapV2}), *p_rng);
  auto canned = client.Process(MakeSuccess(0));
  ASSERT_FALSE(canned.ok());
  EXPECT_EQ(canned.error().code, ipsecref::Code::kDiscarded);
  auto identity = client.Process(MakeRequest(1, Type::kIdentity, {}));
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ((*identity)->type_data, Octets("alice"));
  EXPECT_EQ(client.Process(MakeSuccess(1)).error().code, ipsecref::Code::kDiscarded);  // no method yet
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}, false), *g_rng);
  const Packet challenge = gateway.Start(2);
  const Packet response = **client.Process(challenge);
  EXPECT_EQ(client.Process(MakeSuccess(response.identifier)).error().code, ipsecref::Code::kDiscarded);
  EXPECT_FALSE(client.done());
}

//= rfc3748#section-5.3.1
//# A Request of an Expanded Type (254), which this peer does not interpret,
//# gets a legacy Nak with the Types the peer runs.
TEST(EapSession, PeerNaksExpandedType) {
  auto p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  PeerSession client(Peer("alice", "x", {Type::kMsChapV2, Type::kGtc}), *p_rng);
  auto answer = client.Process(Packet{Code::kRequest, 6, 254, Bytes{0, 0, 0, 0, 0, 0, 26}});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(**answer, MakeNak(6, {26, 6}));
}

//= rfc3748#section-4.1
//# A Nak to the Identity Request answers no method: discarded.
TEST(EapSession, NakToIdentityDiscarded) {
  auto g_rng = crypto::MakeDeterministicRng(kGatewayRngSeed);
  AuthenticatorSession gateway(Gateway({Type::kMsChapV2}), *g_rng);
  const Packet identity = gateway.Start(1);
  auto nak = gateway.Process(MakeNak(1, {4}));
  ASSERT_FALSE(nak.ok());
  EXPECT_EQ(nak.error().code, ipsecref::Code::kDiscarded);
  EXPECT_EQ(gateway.outstanding(), identity);
}

//= rfc3748#section-5.2
//# Notification is answered with an empty Notification Response.
TEST(EapSession, PeerAnswersNotification) {
  auto p_rng = crypto::MakeDeterministicRng(kPeerRngSeed);
  PeerSession client(Peer("alice", "x", {Type::kMd5Challenge}), *p_rng);
  auto answer = client.Process(MakeRequest(4, Type::kNotification, Octets("password expires soon")));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(**answer, MakeResponse(4, Type::kNotification, {}));
}

}  // namespace
}  // namespace ipsecref::eap
