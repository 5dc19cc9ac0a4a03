// The replay judge: which packets of a capture are replayed and what each
// must get. Known answers come from the bundled strongSwan capture as tshark
// dissects it (frame numbers, ports, SPIs, message IDs, ESP sequence numbers:
// `tshark -r pcaps/strongswan-gcm/capture.pcap -T fields -e frame.number
// -e udp.srcport -e udp.dstport -e isakmp.ispi -e isakmp.rspi
// -e isakmp.messageid -e esp.sequence`), from strongSwan 5.9.8's own
// `swanctl --list-sas --raw`, and from messages written by hand from
// RFC 7296 §3.1 and §3.10.
#include "interop/replay/replay.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reference/ike/wire/message.h"

namespace ipsecref::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ReplayPlan Plan(std::optional<std::string> gateway = std::nullopt) {
  auto packets = ReadCapture("pcaps/strongswan-gcm/capture.pcap");
  EXPECT_TRUE(packets.ok()) << packets.error().ToString();
  auto plan = PlanReplay(*packets, std::move(gateway), "strongswan-gcm");
  EXPECT_TRUE(plan.ok()) << plan.error().ToString();
  return std::move(plan).value();
}

Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok());
  return std::move(b).value();
}

const ReplayPacket& Packet(const ReplayPlan& plan, size_t number) {
  for (const ReplayPacket& p : plan.packets)
    if (p.packet_number == number) return p;
  ADD_FAILURE() << "packet " << number << " not planned";
  return plan.packets.front();
}

TEST(ReplayPlan, PicksWhatThePeerSentToTheGateway) {
  const ReplayPlan plan = Plan();
  EXPECT_EQ(plan.gateway, "192.0.2.2");  // tshark: frame 1, IKE_SA_INIT, Initiator Request, to 192.0.2.2
  EXPECT_EQ(plan.peer, "192.0.2.1");
  std::vector<size_t> numbers;
  for (const ReplayPacket& p : plan.packets) numbers.push_back(p.packet_number);
  EXPECT_THAT(numbers, ElementsAre(1, 3, 5, 7, 9, 11, 13, 15));
  EXPECT_TRUE(plan.not_replayed.empty());

  const ReplayPacket& init = Packet(plan, 1);
  EXPECT_EQ(init.kind, ReplayKind::kIkeSaInit);
  EXPECT_EQ(init.sport, 500);
  EXPECT_EQ(init.dport, 500);
  EXPECT_EQ(init.spi_i, 0x80ea419260b5b6ecu);
  EXPECT_EQ(init.response_packet_number, 2u);
  EXPECT_FALSE(init.latest_request);
  EXPECT_EQ(init.udp_payload, init.ike_message);  // no marker on port 500

  const ReplayPacket& auth = Packet(plan, 3);
  EXPECT_EQ(auth.kind, ReplayKind::kIkeRequest);
  EXPECT_EQ(auth.exchange, "IKE_AUTH");
  EXPECT_EQ(auth.sport, 4500);
  EXPECT_EQ(auth.spi_r, 0x2c239fb98b89226du);
  EXPECT_EQ(auth.message_id, 1u);
  EXPECT_EQ(auth.response_packet_number, 4u);
  EXPECT_FALSE(auth.latest_request);
  // RFC 3948 §2.2: on 4500 the non-ESP marker goes out in front of the message.
  ASSERT_EQ(auth.udp_payload.size(), auth.ike_message.size() + 4);
  EXPECT_EQ(Bytes(auth.udp_payload.begin(), auth.udp_payload.begin() + 4), Bytes(4, 0));

  const ReplayPacket& info = Packet(plan, 15);
  EXPECT_EQ(info.exchange, "INFORMATIONAL");
  EXPECT_EQ(info.message_id, 2u);
  EXPECT_EQ(info.response_packet_number, 16u);
  EXPECT_TRUE(info.latest_request);

  for (size_t n : {5, 7, 9, 11, 13}) {
    const ReplayPacket& esp = Packet(plan, n);
    EXPECT_EQ(esp.kind, ReplayKind::kEspInUdp);
    EXPECT_EQ(esp.spi, 0x30855da0u);
    EXPECT_EQ(esp.seq, (n - 3) / 2);  // tshark: seq 1..5
    EXPECT_EQ(esp.dport, 4500);
  }
}

TEST(ReplayPlan, TheOtherWayRoundResponsesAreNotReplayed) {
  const ReplayPlan plan = Plan("192.0.2.1");
  EXPECT_EQ(plan.peer, "192.0.2.2");
  std::vector<size_t> numbers;
  for (const ReplayPacket& p : plan.packets) {
    numbers.push_back(p.packet_number);
    EXPECT_EQ(p.spi, 0xf4befda5u);
  }
  EXPECT_THAT(numbers, ElementsAre(6, 8, 10, 12, 14));
  ASSERT_EQ(plan.not_replayed.size(), 3u);  // frames 2, 4, 16: responses
  EXPECT_EQ(plan.not_replayed[0].packet_number, 2u);
  EXPECT_THAT(plan.not_replayed[0].why, HasSubstr("RFC 7296 §2.21"));
}

// pcaps/manifest.json, fault-flipped-bit (confirmed with tshark and Scapy):
// packet 7 of the flipped-bit variant, ESP SPI 0x30855da0 seq 2 to the
// gateway, fails its ICV; the other ESP packets verify.
TEST(ReplayPlan, WithKeysEspThatDoesNotVerifyIsNotReplayed) {
  auto packets = ReadCapture("pcaps/faults/strongswan-gcm-flipped-bit.pcap");
  ASSERT_TRUE(packets.ok()) << packets.error().ToString();
  auto plan = PlanReplay(*packets, std::nullopt, "flipped-bit");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  auto keys = KeyStore::Load("pcaps/strongswan-gcm");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  auto report = CheckCapture("pcaps/faults/strongswan-gcm-flipped-bit.pcap", *keys, {.record_all_packets = true});
  ASSERT_TRUE(report.ok());

  EXPECT_EQ(SetAsideUnverifiedEsp(*plan, *report), 1u);
  std::vector<size_t> numbers;
  for (const ReplayPacket& p : plan->packets) numbers.push_back(p.packet_number);
  EXPECT_THAT(numbers, ElementsAre(1, 3, 5, 9, 11, 13, 15));
  ASSERT_EQ(plan->not_replayed.size(), 1u);
  EXPECT_EQ(plan->not_replayed[0].packet_number, 7u);
  EXPECT_THAT(plan->not_replayed[0].why, HasSubstr("does not verify"));

  // Keys that do not know the SA leave its packets in the plan.
  auto unkeyed = PlanReplay(*packets, std::nullopt, "flipped-bit");
  ASSERT_TRUE(unkeyed.ok());
  auto none = CheckCapture("pcaps/faults/strongswan-gcm-flipped-bit.pcap", KeyStore{}, {.record_all_packets = true});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(SetAsideUnverifiedEsp(*unkeyed, *none), 0u);
  EXPECT_EQ(unkeyed->packets.size(), 8u);
}

TEST(ReplayPlan, NoGatewayToTellIsAnError) {
  auto none = PlanReplay({}, std::nullopt, "empty.pcap");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Code::kInvalidArgument);
  EXPECT_THAT(none.error().detail, HasSubstr("--gateway-address"));
}

TEST(ReplayAnswers, MatchBySpisMessageIdAndResponseFlag) {
  auto packets = ReadCapture("pcaps/strongswan-gcm/capture.pcap");
  ASSERT_TRUE(packets.ok());
  const ReplayPlan plan = Plan();
  const ReplayPacket& info = Packet(plan, 15);
  EXPECT_TRUE(AnswersRequest(info, *info.captured_response));
  EXPECT_FALSE(AnswersRequest(info, info.ike_message));  // a request, not a response
  EXPECT_FALSE(AnswersRequest(info, *Packet(plan, 3).captured_response));  // message ID 1
}

TEST(ReplayIkeRequest, LatestGetsTheCachedResponseByteForByte) {
  const ReplayPlan plan = Plan();
  const ReplayPacket& info = Packet(plan, 15);
  auto same = JudgeIkeRequest(info, {*info.captured_response});
  EXPECT_EQ(same.verdict, ReplayVerdict::kPass) << same.reason;
  EXPECT_EQ(same.requirement, "rfc7296#section-2.1");

  Bytes other = *info.captured_response;
  other.back() ^= 1;  // a response computed anew: different ciphertext
  auto differs = JudgeIkeRequest(info, {other});
  EXPECT_EQ(differs.verdict, ReplayVerdict::kFail);
  EXPECT_THAT(differs.reason, HasSubstr(fmt::format("first difference at offset {}", other.size() - 1)));

  auto silent = JudgeIkeRequest(info, {});
  EXPECT_EQ(silent.verdict, ReplayVerdict::kFail);
  EXPECT_THAT(silent.reason, HasSubstr("no answer"));
}

TEST(ReplayIkeRequest, OlderMayBeSilentButNeverProcessedAgain) {
  const ReplayPlan plan = Plan();
  const ReplayPacket& auth = Packet(plan, 3);
  EXPECT_EQ(JudgeIkeRequest(auth, {}).verdict, ReplayVerdict::kPass);
  EXPECT_EQ(JudgeIkeRequest(auth, {*auth.captured_response}).verdict, ReplayVerdict::kPass);
  Bytes other = *auth.captured_response;
  other[40] ^= 0x80;
  EXPECT_EQ(JudgeIkeRequest(auth, {other}).verdict, ReplayVerdict::kFail);

  ReplayPacket unanswered = auth;
  unanswered.captured_response.reset();
  EXPECT_EQ(JudgeIkeRequest(unanswered, {}).verdict, ReplayVerdict::kNotJudged);
}

// RFC 7296 §3.1 header (SPIi of frame 1, SPIr 0, next payload N = 41,
// version 2.0, IKE_SA_INIT = 34, flags R, message ID 0) and a §3.10 Notify.
constexpr std::string_view kCookieResponse =
    "80ea419260b5b6ec0000000000000000292022200000000000000030"
    "00000014000040060102030405060708090a0b0c";  // N(COOKIE = 16390), 12 bytes of cookie
constexpr std::string_view kNoProposalChosen =
    "80ea419260b5b6ec000000000000000029202220000000000000002400000008"
    "0000000e";  // N(NO_PROPOSAL_CHOSEN = 14)

TEST(ReplayIkeSaInit, CookieOrFreshResponsePasses) {
  const ReplayPlan plan = Plan();
  const ReplayPacket& init = Packet(plan, 1);
  auto cookie = JudgeIkeSaInit(init, {Hex(kCookieResponse)}, false);
  EXPECT_EQ(cookie.verdict, ReplayVerdict::kPass) << cookie.reason;
  EXPECT_THAT(cookie.reason, HasSubstr("COOKIE"));
  EXPECT_EQ(cookie.requirement, "rfc7296#section-2.6");

  // A fresh response: frame 2 with another responder SPI and another Nr.
  Bytes fresh = *init.captured_response;
  fresh[8] ^= 0xff;
  auto decoded = ike::Decode(fresh);
  ASSERT_TRUE(decoded.ok());
  for (const ike::Payload& p : decoded->payloads)
    if (p.type == iana::PayloadType::kNonce) fresh[p.offset + 4] ^= 0xff;
  auto verdict = JudgeIkeSaInit(init, {fresh}, false);
  EXPECT_EQ(verdict.verdict, ReplayVerdict::kPass) << verdict.reason;
  EXPECT_THAT(verdict.reason, HasSubstr("fresh response"));

  EXPECT_EQ(JudgeIkeSaInit(init, {*init.captured_response}, false).verdict, ReplayVerdict::kPass);
}

TEST(ReplayIkeSaInit, ReusedNonceErrorsAndSilenceFail) {
  const ReplayPlan plan = Plan();
  const ReplayPacket& init = Packet(plan, 1);
  Bytes same_nonce = *init.captured_response;
  same_nonce[8] ^= 0xff;  // new SPIr, same Nr
  auto reused = JudgeIkeSaInit(init, {same_nonce}, false);
  EXPECT_EQ(reused.verdict, ReplayVerdict::kFail);
  EXPECT_EQ(reused.requirement, "rfc7296#section-2.10");

  auto error = JudgeIkeSaInit(init, {Hex(kNoProposalChosen)}, false);
  EXPECT_EQ(error.verdict, ReplayVerdict::kFail);
  EXPECT_THAT(error.reason, HasSubstr("N(NO_PROPOSAL_CHOSEN)"));

  EXPECT_EQ(JudgeIkeSaInit(init, {}, false).verdict, ReplayVerdict::kFail);
  // Silent, but the IKE SA it opened lives on and its window has moved on.
  EXPECT_EQ(JudgeIkeSaInit(init, {}, true).verdict, ReplayVerdict::kPass);
}

// Raw ESP and AH of Linux 6.1 XFRM captures (pcaps/README.md). Known answers
// from tshark 4.0.17: `tshark -r pcaps/DIR/capture.pcap -T fields
// -e frame.number -e ip.proto -e esp.spi -e esp.sequence -e ah.spi
// -e ah.sequence -e ip.len -e ip.hdr_len -e ip.id -e ipv6.plen
// -e ah.next_header`.
ReplayPlan PlanOf(const std::string& capture, std::optional<std::string> gateway = std::nullopt) {
  auto packets = ReadCapture(capture);
  EXPECT_TRUE(packets.ok()) << packets.error().ToString();
  auto plan = PlanReplay(*packets, std::move(gateway), capture);
  EXPECT_TRUE(plan.ok()) << plan.error().ToString();
  return std::move(plan).value();
}

std::vector<size_t> Numbers(const ReplayPlan& plan) {
  std::vector<size_t> numbers;
  for (const ReplayPacket& p : plan.packets) numbers.push_back(p.packet_number);
  return numbers;
}

TEST(ReplayPlanRaw, RawEspOfKernelXfrm) {
  const ReplayPlan plan = PlanOf("pcaps/linux-xfrm-gcm/capture.pcap");
  EXPECT_EQ(plan.gateway, "192.0.2.2");  // tshark: frame 1, IKE_SA_INIT, Initiator Request
  EXPECT_EQ(plan.peer, "192.0.2.1");
  EXPECT_THAT(Numbers(plan), ElementsAre(1, 3, 5, 7, 9, 11, 13, 15));
  EXPECT_TRUE(plan.not_replayed.empty());
  for (size_t n : {5, 7, 9, 11, 13}) {
    const ReplayPacket& esp = Packet(plan, n);
    EXPECT_EQ(esp.kind, ReplayKind::kEsp);
    EXPECT_EQ(esp.spi, 0xcdb0fa10u);       // tshark: esp.spi of frames 5..13
    EXPECT_EQ(esp.seq, (n - 3) / 2);        // tshark: esp.sequence 1..5
    EXPECT_EQ(esp.ip_header.size(), 20u);   // tshark: ip.hdr_len 20
    EXPECT_EQ(esp.ip_payload.size(), 120u);  // tshark: ip.len 140, less the header
    EXPECT_EQ(LoadU32(esp.ip_payload.data()), esp.spi);  // RFC 4303 §2: the SPI first
    EXPECT_EQ(LoadU32(esp.ip_payload.data() + 4), esp.seq);
    EXPECT_TRUE(esp.udp_payload.empty());
  }
  EXPECT_EQ(Packet(plan, 5).ip_header[9], 50);  // RFC 791: protocol ESP
  EXPECT_EQ(ReplayKindKey(ReplayKind::kEsp), "esp");
  EXPECT_TRUE(IsIpsecSa(ReplayKind::kEsp));
  EXPECT_EQ(AntiReplayRequirement(ReplayKind::kEsp), "rfc4303#section-3.4.3");
}

TEST(ReplayPlanRaw, AhOfKernelXfrmTunnel) {
  const ReplayPlan plan = PlanOf("pcaps/linux-xfrm-ah/capture.pcap");
  EXPECT_EQ(plan.gateway, "192.0.2.2");
  EXPECT_THAT(Numbers(plan), ElementsAre(1, 3, 5, 7, 9, 11, 13, 15));
  for (size_t n : {5, 7, 9, 11, 13}) {
    const ReplayPacket& ah = Packet(plan, n);
    EXPECT_EQ(ah.kind, ReplayKind::kAh);
    EXPECT_EQ(ah.spi, 0xc28eefa5u);  // tshark: ah.spi of frames 5..13
    EXPECT_EQ(ah.seq, (n - 3) / 2);
    EXPECT_EQ(ah.ip_header.size(), 20u);
    EXPECT_EQ(ah.ip_payload.size(), 112u);  // tshark: outer ip.len 132
    EXPECT_EQ(ah.ip_payload[0], 4);          // tshark: ah.next_header 4 (IPv4, tunnel mode)
    EXPECT_EQ(ah.ip_payload[1], 5);          // tshark: ah.length 5 (32-bit words, less 2)
    EXPECT_EQ(LoadU32(ah.ip_payload.data() + 4), ah.spi);  // RFC 4302 §2: SPI at offset 4
  }
  // tshark: ip.id 0xb07b of frame 5's outer header, kept for the replay
  // (AH's ICV covers it, RFC 4302 §3.3.3.1.1.1).
  EXPECT_EQ(LoadU16(Packet(plan, 5).ip_header.data() + 4), 0xb07bu);
  EXPECT_EQ(ReplayKindKey(ReplayKind::kAh), "ah");
  EXPECT_EQ(AntiReplayRequirement(ReplayKind::kAh), "rfc4302#section-3.4.3");
}

TEST(ReplayPlanRaw, AhTransportTheOtherWayRound) {
  const ReplayPlan plan = PlanOf("pcaps/linux-xfrm-ah-transport/capture.pcap", "192.0.2.1");
  EXPECT_EQ(plan.peer, "192.0.2.2");
  EXPECT_THAT(Numbers(plan), ElementsAre(6, 8, 10, 12, 14));  // IKE frames 2, 4, 16 are responses
  for (const ReplayPacket& p : plan.packets) {
    EXPECT_EQ(p.kind, ReplayKind::kAh);
    EXPECT_EQ(p.spi, 0xcff6410fu);  // tshark: ah.spi of frames 6..14
  }
}

TEST(ReplayPlanRaw, RawEspOverIpv6) {
  const ReplayPlan plan = PlanOf("pcaps/linux-xfrm-ipv6/capture.pcap");
  EXPECT_EQ(plan.gateway, "2001:db8:0:1::2");
  EXPECT_EQ(plan.peer, "2001:db8:0:1::1");
  for (size_t n : {5, 7, 9, 11, 13}) {
    const ReplayPacket& esp = Packet(plan, n);
    EXPECT_EQ(esp.kind, ReplayKind::kEsp);
    EXPECT_EQ(esp.spi, 0xca59c218u);  // tshark: esp.spi of frames 5..13
    EXPECT_EQ(esp.seq, (n - 3) / 2);
    EXPECT_EQ(esp.ip_header.size(), 40u);   // RFC 8200 §3, no extension header
    EXPECT_EQ(esp.ip_payload.size(), 140u);  // tshark: ipv6.plen 140
  }
}

// pcaps/manifest.json, fault linux-xfrm-ah-transport-flipped-bit (tshark and
// Scapy): packet 6, AH SPI 0xcff6410f seq 1 from 192.0.2.2, fails its ICV.
TEST(ReplayPlanRaw, WithKeysAhThatDoesNotVerifyIsNotReplayed) {
  const std::string capture = "pcaps/faults/linux-xfrm-ah-transport-flipped-bit.pcap";
  ReplayPlan plan = PlanOf(capture, "192.0.2.1");
  auto keys = KeyStore::Load("pcaps/linux-xfrm-ah-transport");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  auto report = CheckCapture(capture, *keys, {.record_all_packets = true});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(SetAsideUnverifiedEsp(plan, *report), 1u);
  EXPECT_THAT(Numbers(plan), ElementsAre(8, 10, 12, 14));
  ASSERT_EQ(plan.not_replayed.size(), 4u);  // frames 2, 4, 16 (responses) and 6
  EXPECT_EQ(plan.not_replayed[2].packet_number, 6u);
  EXPECT_THAT(plan.not_replayed[2].why, HasSubstr("AH SPI 0xcff6410f seq 1 does not verify"));
}

// pcaps/fragments/PROVENANCE.md: linux-xfrm-gcm cut into IPv4 fragments by
// Scapy. tshark (-o ip.defragment:FALSE): frames 1-5, 11-15, 20, 21, 24, 25,
// 28, 29, 32, 33, 36, 37, 40 and 41 go to 192.0.2.2, every one a fragment.
TEST(ReplayPlanRaw, FragmentsAreNotReplayed) {
  const ReplayPlan plan = PlanOf("pcaps/fragments/linux-xfrm-gcm-in-order.pcap", "192.0.2.2");
  EXPECT_TRUE(plan.packets.empty());
  std::vector<size_t> numbers;
  for (const NotReplayed& n : plan.not_replayed) {
    numbers.push_back(n.packet_number);
    EXPECT_THAT(n.why, HasSubstr("an IP fragment"));
  }
  EXPECT_THAT(numbers, ElementsAre(1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 20, 21, 24, 25, 28, 29, 32, 33, 36, 37, 40, 41));
}

TEST(ReplayEsp, AhCounterStandingStillCitesRfc4302) {
  auto dropped = JudgeEspReplay(0xc28eefa5, 5, 5, 5, ReplayKind::kAh);
  EXPECT_EQ(dropped.verdict, ReplayVerdict::kPass);
  EXPECT_EQ(dropped.requirement, "rfc4302#section-3.4.3");
  auto accepted = JudgeEspReplay(0xc28eefa5, 5, 5, 6, ReplayKind::kAh);
  EXPECT_EQ(accepted.verdict, ReplayVerdict::kFail);
  EXPECT_EQ(accepted.requirement, "rfc4302#section-3.4.3");
}

TEST(ReplayEsp, GatewayDropsEveryReplayPassesAcceptingFails) {
  const GatewayEspCounters before{.esp_in = 5, .replay = 0};
  auto all = JudgeEspReplayByDrops(0xc0000b01, 5, before, {.esp_in = 10, .replay = 5});
  EXPECT_EQ(all.verdict, ReplayVerdict::kPass) << all.reason;
  EXPECT_EQ(all.requirement, "rfc4303#section-3.4.3");
  EXPECT_THAT(all.reason, HasSubstr("all 5 replayed packets dropped as replays (esp_in 5 -> 10, dropped.replay 0 -> 5)"));

  auto accepted = JudgeEspReplayByDrops(0xc0000b01, 5, before, {.esp_in = 10, .replay = 2});
  EXPECT_EQ(accepted.verdict, ReplayVerdict::kFail);
  EXPECT_THAT(accepted.reason, HasSubstr("3 of 5 replayed packets not dropped as replays"));

  // Nothing proved: not all arrived, no such SA, dropped for the ICV, or the
  // gateway restarted.
  EXPECT_EQ(JudgeEspReplayByDrops(1, 5, before, {.esp_in = 8, .replay = 3}).verdict, ReplayVerdict::kNotJudged);
  auto unknown = JudgeEspReplayByDrops(1, 5, before, {.esp_in = 10, .unknown_spi = 5});
  EXPECT_EQ(unknown.verdict, ReplayVerdict::kNotJudged);
  EXPECT_THAT(unknown.reason, HasSubstr("no inbound SA with SPI 0x00000001"));
  auto icv = JudgeEspReplayByDrops(1, 5, before, {.esp_in = 10, .authentication_failed = 5});
  EXPECT_EQ(icv.verdict, ReplayVerdict::kNotJudged);
  EXPECT_THAT(icv.reason, HasSubstr("ICV"));
  EXPECT_EQ(JudgeEspReplayByDrops(1, 5, before, {.esp_in = 2}).verdict, ReplayVerdict::kNotJudged);
}

TEST(ReplayEsp, CounterStandingStillPassesMovingFails) {
  auto dropped = JudgeEspReplay(0x30855da0, 5, 5, 5);
  EXPECT_EQ(dropped.verdict, ReplayVerdict::kPass);
  EXPECT_EQ(dropped.requirement, "rfc4303#section-3.4.3");
  auto accepted = JudgeEspReplay(0x30855da0, 5, 5, 7);
  EXPECT_EQ(accepted.verdict, ReplayVerdict::kFail);
  EXPECT_THAT(accepted.reason, HasSubstr("2 of 5 replayed packets accepted"));
  EXPECT_EQ(JudgeEspReplay(0x30855da0, 5, std::nullopt, std::nullopt).verdict, ReplayVerdict::kNotJudged);
  EXPECT_EQ(JudgeEspReplay(0x30855da0, 5, 5, std::nullopt).verdict, ReplayVerdict::kNotJudged);
}

// strongSwan 5.9.8's `swanctl --list-sas --raw` for the responder of
// interop/replay/strongswan_replay.sh, after five pings (one line, folded).
constexpr std::string_view kSwanctlRaw =
    "list-sa event {t {uniqueid=1 version=2 state=ESTABLISHED local-host=192.0.2.2 local-port=4500 local-"
    "id=b.replay.test remote-host=192.0.2.1 remote-port=4500 remote-id=a.replay.test initiator-spi=2a1e01"
    "b81eac8492 responder-spi=46d1fc7f32f3378e nat-remote=yes nat-any=yes encr-alg=AES_GCM_16 encr-keysiz"
    "e=256 prf-alg=PRF_HMAC_SHA2_256 dh-group=ECP_256 established=2 rekey-time=13070 tasks-active=[IKE_MO"
    "BIKE] child-sas {t-1 {name=t uniqueid=1 reqid=1 state=INSTALLED mode=TUNNEL protocol=ESP encap=yes s"
    "pi-in=58bf7e52 spi-out=c481cf0e encr-alg=AES_GCM_16 encr-keysize=256 bytes-in=420 packets-in=5 use-i"
    "n=1 bytes-out=420 packets-out=5 use-out=1 rekey-time=3284 life-time=3958 install-time=2 local-ts=[20"
    "3.0.113.0/24] remote-ts=[198.51.100.0/24]}}}}";

TEST(ReplaySaCounters, ReadsSwanctlRaw) {
  auto counters = ParseSaCounters(kSwanctlRaw);
  ASSERT_TRUE(counters.ok()) << counters.error().ToString();
  EXPECT_EQ(counters->size(), 1u);
  EXPECT_EQ(counters->at(0x58bf7e52u), 5u);
}

TEST(ReplaySaCounters, MalformedOutputNamesTheOffset) {
  auto bad_spi = ParseSaCounters("x {spi-in=zz packets-in=1}");
  ASSERT_FALSE(bad_spi.ok());
  EXPECT_EQ(bad_spi.error().offset, 10u);  // "x {spi-in=" is 10 characters
  auto half = ParseSaCounters("x {spi-in=c0ffee01}");
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(half.error().detail, HasSubstr("no packets-in"));
  EXPECT_FALSE(ParseSaCounters("x {spi-in=1 packets-in=1").ok());
  EXPECT_FALSE(ParseSaCounters("}").ok());
  auto empty = ParseSaCounters("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ReplayAddresses, OnlyLoopbackAndDocumentationAddresses) {
  for (std::string_view ok : {"127.0.0.1", "127.8.9.10", "192.0.2.2", "198.51.100.7", "203.0.113.255", "::1",
                              "2001:db8::1", "2001:db8:ffff::2"})
    EXPECT_TRUE(CheckTestAddress(ok).ok()) << ok;
  for (std::string_view refused : {"8.8.8.8", "10.0.0.1", "192.0.3.1", "192.168.1.1", "2001:db9::1", "fe80::1",
                                   "::", "gateway.example", ""}) {
    Status s = CheckTestAddress(refused);
    ASSERT_FALSE(s.ok()) << refused;
    EXPECT_EQ(s.error().code, Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ipsecref::io
