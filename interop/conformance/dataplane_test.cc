// The conformance suite's ESP and AH dataplane (dataplane.h): the echo
// packets against bytes tshark decodes, each deviation's packets against
// what RFC 4303 / RFC 4302 / RFC 3948 say of them, the reference IUT's
// reactions (RFC 4303 §3.4, RFC 4302 §3.4, RFC 4301 §5.2), and the faults
// that mutation testing relies on.
#include "interop/conformance/dataplane.h"
#include "interop/conformance/runner.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reference/esp/esp_packet.h"
#include "reference/ip/packet.h"

namespace ipsecref::conformance::dataplane {
namespace {

const Bytes kTesterHost = {10, 1, 0, 1}, kIutHost = {10, 2, 0, 1};

// tshark 4.0.17 (Debian 12) decodes these as an IPv4 ICMP echo request and
// reply, 10.1.0.1 <-> 10.2.0.1, identifier 18771 (0x4953), sequence 1, data
// "abcdefghijklmnop", with IP checksum 0x66cd and ICMP checksums 0x6b60
// (request) and 0x7360 (reply), each reported "Good" (ip.checksum.status
// and icmp.checksum.status 1).
constexpr std::string_view kRequest =
    "4500002c00000000400166cd0a0100010a02000108006b60495300016162636465666768696a6b6c6d6e6f70";
constexpr std::string_view kReply =
    "4500002c00000000400166cd0a0200010a01000100007360495300016162636465666768696a6b6c6d6e6f70";

TEST(Echo, PacketsAreTheOnesTsharkDecodes) {
  EXPECT_EQ(EchoPacket(kTesterHost, kIutHost, 0x4953, 1), *FromHex(kRequest));
  EXPECT_EQ(EchoPacket(kIutHost, kTesterHost, 0x4953, 1, true), *FromHex(kReply));
  auto e = ReadEcho(*FromHex(kReply));
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->reply);
  EXPECT_EQ(e->id, 0x4953);
  EXPECT_EQ(e->seq, 1);
}

TEST(Echo, ABadChecksumOrAnotherProtocolIsNoEcho) {
  Bytes p = *FromHex(kRequest);
  p.back() ^= 1;  // the ICMP checksum no longer holds
  EXPECT_FALSE(ReadEcho(p).has_value());
  Bytes udp = *FromHex(kRequest);
  udp[9] = 17;
  ip::SetIpv4HeaderChecksum(MutableByteSpan(udp).first(20));
  EXPECT_FALSE(ReadEcho(udp).has_value());
}

TEST(EspSpec, NamesACountFromOneTo64) {
  auto s = ParseEspSpec("esp=replay:4");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->deviation->name, "replay");
  EXPECT_EQ(s->count, 4u);
  EXPECT_EQ(s->protocol, iana::SecurityProtocol::kEsp);
  EXPECT_EQ(ParseEspSpec("esp=dummy")->count, 1u);
  for (std::string_view bad : {"esp=replay:0", "esp=replay:65", "esp=replay:x", "esp=replay:", "esp=no-such-thing",
                               "esp=replay:100", "replay", "ah=", "esp=mutable", "ah=bad-padding", "ah=udp-checksum"}) {
    auto r = ParseEspSpec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseEspSpec("esp=no-such-thing").error().detail.find("unknown deviation 'no-such-thing'"),
            std::string::npos);
  EXPECT_NE(ParseEspSpec("ah=tfc").error().detail.find("'tfc' is not a deviation of AH"), std::string::npos);
}

TEST(EspSpec, AhStepsNameTheAhDeviations) {
  auto s = ParseEspSpec("ah=mutable:3");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->protocol, iana::SecurityProtocol::kAh);
  EXPECT_EQ(s->count, 3u);
  size_t ah = 0;
  for (const EspDeviation& d : EspDeviations()) {
    if (!d.ah) continue;
    ++ah;
    EXPECT_TRUE(ParseEspSpec(fmt::format("ah={}", d.name)).ok()) << d.name;
    EXPECT_FALSE(d.ah_requirement.empty()) << d.name;
  }
  // clean, replay, old, seq-jump, bad-icv, wrong-spi, outside-ts, esn-wrap,
  // mutable, immutable
  EXPECT_EQ(ah, 10u);
}

TEST(HostFaults, UnknownOnesAreRefused) {
  EXPECT_TRUE(MakeReferenceHost({"esp-no-replay-check"}, 1).ok());
  auto r = MakeReferenceHost({"esp-no-such-fault"}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("esp-no-such-fault"), std::string::npos);
}

// Two reference peers with an established IKE SA and its CHILD SA: the
// initiator is the tester, the responder the IUT.
struct Peers {
  explicit Peers(std::vector<std::string> faults = {}, std::string esp = "", bool nat = false, bool lenient = false)
      : x(Configured(testing::PskInitiatorConfig(), esp), Configured(testing::PskResponderConfig(), esp), 7) {
    if (nat) x.network().nat = testing::Nat{{x.initiator().local().address, 0}, {Bytes{198, 51, 100, 1}, 31000}};
    EXPECT_NE(x.Establish(), 0u) << [&] {
      std::string out;
      for (ike::sa::Peer* p : {&x.initiator(), &x.responder()})
        for (const auto& e : p->events()) out += e.text + "\n";
      return out;
    }();
    auto made = MakeReferenceHost(std::move(faults), 11);
    EXPECT_TRUE(made.ok());
    if (made) host = std::move(made).value();
    link = std::make_unique<Link>(*host, x.network().nat, 13, lenient);
  }
  // `esp`: ESP proposals, or "ah:" and AH proposals.
  static ike::sa::IkeConfig Configured(ike::sa::IkeConfig c, const std::string& esp) {
    const bool ah = esp.starts_with("ah:");
    if (!esp.empty())
      for (auto& child : c.children)
        child.proposals = *ike::sa::ParseProposals(ah ? esp.substr(3) : esp,
                                                   ah ? iana::SecurityProtocol::kAh : iana::SecurityProtocol::kEsp);
    return c;
  }
  bool ah() {
    const ike::sa::IkeSa* sa = x.OnlyIkeSa(x.initiator());
    return sa != nullptr && !sa->children.empty() && sa->children.front().protocol == iana::SecurityProtocol::kAh;
  }
  void Send(std::string_view spec) {
    const std::string step = fmt::format("{}={}", ah() ? "ah" : "esp", spec);
    auto s = ParseEspSpec(step);
    ASSERT_TRUE(s.ok()) << spec;
    link->Send(*s, x.OnlyIkeSa(x.initiator()), x.OnlyIkeSa(x.responder()), 0);
    EXPECT_TRUE(link->notes().empty()) << link->notes().front();
  }
  // Whether each probe was answered, in order: "1011" etc.
  std::string Answered() const {
    std::string s;
    for (const Probe& p : link->probes()) s += p.answers == 0 ? '0' : '1';
    return s;
  }
  // The ESP header of the tester's packets on the wire, in order.
  std::vector<std::pair<uint32_t, uint32_t>> TesterHeaders() const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const WirePacket& w : link->wire()) {
      if (w.from_iut) continue;
      auto loc = esp::LocateEsp(w.packet);
      if (!loc || loc->esp_length < 8) continue;
      out.emplace_back(LoadU32(w.packet.data() + loc->esp_offset), LoadU32(w.packet.data() + loc->esp_offset + 4));
    }
    return out;
  }
  testing::Exchange x;
  std::unique_ptr<Iut> host;
  std::unique_ptr<Link> link;
};

//= rfc4303#section-3.3.3
//# The first packet on an SA carries sequence number 1, each next one the
//# number after it: the tester's and the IUT's alike.
TEST(Dataplane, CleanEchoRequestsAreAnsweredAndNumberedFromOne) {
  Peers r;
  r.Send("clean:2");
  EXPECT_EQ(r.Answered(), "1111");
  const auto headers = r.TesterHeaders();
  ASSERT_EQ(headers.size(), 4u);
  for (uint32_t k = 0; k < 4; ++k) EXPECT_EQ(headers[k].second, k + 1);
  ASSERT_EQ(r.link->replies().size(), 4u);
  for (uint64_t k = 0; k < 4; ++k) EXPECT_EQ(r.link->replies()[k].second, k + 1);
}

TEST(Dataplane, TheIutSenderFaultStartsLate) {
  Peers r({"esp-sender-starts-late"});
  r.Send("clean");
  ASSERT_FALSE(r.link->replies().empty());
  EXPECT_EQ(r.link->replies().front().second, 6u);
}

//= rfc4303#section-3.4.3
//# A sequence number already received is a duplicate: dropped, whatever
//# the packet carries; the SA goes on.
TEST(Dataplane, AReplayReusesTheFirstSequenceNumberAndIsDropped) {
  Peers r;
  r.Send("replay:2");
  EXPECT_EQ(r.Answered(), "1001");
  const auto h = r.TesterHeaders();
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[1].second, h[0].second);
  EXPECT_EQ(h[2].second, h[0].second);
  EXPECT_EQ(h[3].second, h[0].second + 1);
  Peers faulty({"esp-no-replay-check"});
  faulty.Send("replay:2");
  EXPECT_EQ(faulty.Answered(), "1111");
  Peers lenient({}, "", false, true);
  lenient.Send("replay:2");
  EXPECT_EQ(lenient.Answered(), "1111");
  EXPECT_EQ(lenient.link->probes()[1].deviation, "replay");
}

//= rfc4303#section-3.4.3
//# Packets left of the window are rejected though never received; a packet
//# right of it is accepted once its ICV holds.
TEST(Dataplane, OldPacketsAreLeftOfTheWindowAndJumpsAreAccepted) {
  Peers r;
  r.Send("old:2");
  // 1, then 2^20 + 2 (accepted, moves the window), then 2 and 3 (left of
  // it), then 2^20 + 3.
  EXPECT_EQ(r.Answered(), "11001");
  const auto h = r.TesterHeaders();
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[1].second, (1u << 20) + 2);
  EXPECT_EQ(h[2].second, 2u);
  EXPECT_EQ(h[3].second, 3u);
  Peers jump;
  jump.Send("seq-jump:2");
  EXPECT_EQ(jump.Answered(), "1111");
  Peers strict({"esp-reject-jumps"});
  strict.Send("seq-jump");
  EXPECT_EQ(strict.Answered(), "100");
}

//= rfc4303#section-3.4.4
//# A packet whose ICV fails, or that is too short to have one, is dropped,
//# and the window moves only after the ICV verified (§3.4.3).
TEST(Dataplane, BadIcvAndTruncatedPacketsAreDroppedWithoutMovingTheWindow) {
  for (std::string_view spec : {"bad-icv:2", "truncated:2"}) {
    Peers r;
    r.Send(spec);
    EXPECT_EQ(r.Answered(), "1001") << spec;
    Peers early({"esp-window-before-icv"});
    early.Send(spec);
    EXPECT_EQ(early.Answered(), "1000") << spec;
  }
  Peers ignoring({"esp-ignore-icv"});
  ignoring.Send("bad-icv");
  // Accepted, the forged packet 2^20 ahead moved the window past the next one.
  EXPECT_EQ(ignoring.Answered(), "110");
}

TEST(Dataplane, TheTruncatedPacketIsShorterThanHeaderAndIcv) {
  Peers r;
  r.Send("truncated");
  const WirePacket& cut = r.link->wire()[2];  // request 1, its reply, then the cut one
  ASSERT_FALSE(cut.from_iut);
  auto loc = esp::LocateEsp(cut.packet);
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->esp_length, esp::kHeaderSize + 16 - 1);  // AES-GCM-16: a 16-octet ICV
}

// A receiver of the tester's outbound SA that reports (not drops) what it
// finds, to look into the tester's packets.
Result<esp::Decapsulated> OpenLeniently(Peers& r, const Bytes& packet) {
  const ike::sa::IkeSa* iut = r.x.OnlyIkeSa(r.x.responder());
  const ike::sa::ChildSa& c = iut->children.front();
  esp::SaConfig s;
  s.spi = c.spi_in;
  s.encr = c.suite.encr;
  s.integ = c.suite.integ;
  s.encr_key = c.encr_in();
  s.integ_key = c.integ_in();
  s.replay_window = 0;
  s.tunnel_src = iut->remote.address;
  s.tunnel_dst = iut->local.address;
  auto sa = esp::Sa::Create(s);
  if (!sa) return sa.error();
  return esp::Decapsulate([&](uint32_t) { return sa->get(); }, packet);
}

//= rfc4303#section-2.4
//# Default padding counts 1, 2, 3, ...; the receiver should inspect it.
TEST(Dataplane, BadPaddingCountsDownAndTheInspectingReceiverDropsIt) {
  Peers r;
  r.Send("bad-padding");
  EXPECT_EQ(r.Answered(), "101");
  auto clean = OpenLeniently(r, r.link->wire()[0].packet);
  ASSERT_TRUE(clean.ok()) << clean.error().ToString();
  EXPECT_TRUE(clean->findings.empty());
  auto bad = OpenLeniently(r, r.link->wire()[2].packet);
  ASSERT_TRUE(bad.ok()) << bad.error().ToString();
  ASSERT_EQ(bad->findings.size(), 1u);
  EXPECT_EQ(bad->findings[0].code, Code::kBadPadding);
  Peers lenient({"esp-lenient-padding"});
  lenient.Send("bad-padding");
  EXPECT_EQ(lenient.Answered(), "111");
}

//= rfc4303#section-2.6
//# Next header 59 marks a dummy packet, which the receiver discards; on a
//# tunnel-mode SA the payload is an IP datagram (4 or 41).
TEST(Dataplane, DummyAndWrongNextHeaderAreNotAnswered) {
  for (auto [spec, next] : {std::pair{"dummy", 59}, std::pair{"bad-next-header", 6}}) {
    Peers r;
    r.Send(spec);
    EXPECT_EQ(r.Answered(), "101") << spec;
    auto d = OpenLeniently(r, r.link->wire()[2].packet);
    ASSERT_FALSE(d.ok()) << spec;
    EXPECT_EQ(d.error().code, next == 59 ? Code::kDummyPacket : Code::kBadNextHeader) << spec;
    Peers faulty({"esp-ignore-next-header"});
    faulty.Send(spec);
    EXPECT_EQ(faulty.Answered(), "111") << spec;
  }
}

//= rfc4303#section-2.7
//# TFC padding follows the inner packet, whose own length is unchanged;
//# the receiver strips it.
TEST(Dataplane, TfcPaddingIsStrippedAndTheRequestAnswered) {
  Peers r;
  r.Send("tfc");
  EXPECT_EQ(r.Answered(), "111");
  auto d = OpenLeniently(r, r.link->wire()[2].packet);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->packet.size(), FromHex(kRequest)->size());
  // 200 octets of TFC padding keep the 4-octet alignment: the packet grows by exactly 200.
  EXPECT_EQ(r.link->wire()[2].packet.size(), r.link->wire()[0].packet.size() + 200);
  Peers strict({"esp-reject-tfc"});
  strict.Send("tfc");
  EXPECT_EQ(strict.Answered(), "101");
}

//= rfc4303#section-3.4.2
//# No SA for the SPI: the packet is discarded.
TEST(Dataplane, AnUnknownSpiIsDropped) {
  Peers r;
  r.Send("wrong-spi");
  EXPECT_EQ(r.Answered(), "101");
  const auto h = r.TesterHeaders();
  EXPECT_NE(h[1].first, h[0].first);
  Peers faulty({"esp-accept-unknown-spi"});
  faulty.Send("wrong-spi");
  EXPECT_EQ(faulty.Answered(), "111");
}

//= rfc4301#section-5.2
//# The decrypted packet must lie in the selectors of the SA it came on.
TEST(Dataplane, AnInnerPacketOutsideTheSelectorsIsDropped) {
  Peers r;
  r.Send("outside-ts");
  EXPECT_EQ(r.Answered(), "101");
}

//= rfc4303#section-2.2.1
//# With ESN only the low 32 bits travel; after 2^32 - 1 the next packets
//# carry 0, 1, ... and the receiver infers the high half.
TEST(Dataplane, EsnWrapCrossesIntoTheNextSubspace) {
  Peers r({}, "aes128gcm16-esn");
  r.Send("esn-wrap:2");
  EXPECT_EQ(r.Answered(), "1111");
  const auto h = r.TesterHeaders();
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[1].second, 0xffffffffu);
  EXPECT_EQ(h[2].second, 0u);
  EXPECT_EQ(h[3].second, 1u);
  Peers no_esn({"esp-no-esn"}, "aes128gcm16-esn");
  no_esn.Send("esn-wrap:2");
  EXPECT_EQ(no_esn.Answered(), "0000");
}

TEST(Dataplane, EsnWrapOnA32BitSaIsANote) {
  Peers r;
  auto s = ParseEspSpec("esp=esn-wrap");
  r.link->Send(*s, r.x.OnlyIkeSa(r.x.initiator()), r.x.OnlyIkeSa(r.x.responder()), 0);
  ASSERT_EQ(r.link->notes().size(), 1u);
  EXPECT_NE(r.link->notes()[0].find("32-bit"), std::string::npos);
}

//= rfc3948#section-2.1
//# ESP in UDP uses IKE's ports; over IPv4 its UDP checksum should be zero,
//# and a receiver must not depend on it being zero.
TEST(Dataplane, BehindTheNatEspTravelsInUdpOnTheIkePorts) {
  Peers r({}, "", true);
  r.Send("udp-checksum");
  EXPECT_EQ(r.Answered(), "111");
  for (const WirePacket& w : r.link->wire()) {
    auto loc = esp::LocateEsp(w.packet);
    ASSERT_TRUE(loc.ok());
    ASSERT_TRUE(loc->udp);
    const uint8_t* u = w.packet.data() + loc->udp_offset;
    // The NAT maps the tester's 4500 to 31001 (RFC 7296 §2.23's float).
    EXPECT_EQ(LoadU16(u), w.from_iut ? 4500 : 31001);
    EXPECT_EQ(LoadU16(u + 2), w.from_iut ? 31001 : 4500);
    if (w.from_iut) {
      EXPECT_EQ(LoadU16(u + 6), 0);
    }
  }
  EXPECT_NE(LoadU16(r.link->wire()[2].packet.data() + 20 + 6), 0);  // the deviant one's checksum
  Peers zero_only({"esp-udp-zero-checksum-only"}, "", true);
  zero_only.Send("udp-checksum");
  EXPECT_EQ(zero_only.Answered(), "101");
  for (std::string fault : {"esp-no-udp", "esp-reply-port-4500"}) {
    Peers faulty({fault}, "", true);
    faulty.Send("clean");
    EXPECT_EQ(faulty.Answered(), "000") << fault;
    EXPECT_TRUE(faulty.link->wire()[1].lost) << fault;
  }
}

// --- AH (RFC 4302) -----------------------------------------------------------

// AH with HMAC-SHA2-256-128 (RFC 4868), 32-bit sequence numbers.
constexpr std::string_view kAh = "ah:sha256";

//= rfc4302#section-3.3.2
//# The first AH packet on an SA carries sequence number 1, each next one
//# the number after it.
TEST(AhDataplane, CleanEchoRequestsAreAnsweredAndNumberedFromOne) {
  Peers r({}, std::string(kAh));
  ASSERT_TRUE(r.ah());
  r.Send("clean:2");
  EXPECT_EQ(r.Answered(), "1111");
  size_t ah_packets = 0;
  for (const WirePacket& w : r.link->wire()) {
    // Each packet on the wire is IPv4 with protocol 51 (AH, RFC 4302 §2).
    ASSERT_GT(w.packet.size(), 20u);
    EXPECT_EQ(w.packet[9], 51) << w.text;
    EXPECT_TRUE(w.text.starts_with("AH SPI ")) << w.text;
    ah_packets += LocateAh(w.packet).has_value() ? 1 : 0;
  }
  EXPECT_EQ(ah_packets, 8u);
  ASSERT_EQ(r.link->replies().size(), 4u);
  for (uint64_t k = 0; k < 4; ++k) EXPECT_EQ(r.link->replies()[k].second, k + 1);
  Peers late({"ah-sender-starts-late"}, std::string(kAh));
  late.Send("clean");
  ASSERT_FALSE(late.link->replies().empty());
  EXPECT_EQ(late.link->replies().front().second, 6u);
}

//= rfc4302#section-3.4.3
//# A duplicate or a packet left of the window is dropped; one right of it
//# is accepted once its ICV verifies.
TEST(AhDataplane, ReplayedAndOldPacketsAreDroppedAndJumpsAccepted) {
  Peers replay({}, std::string(kAh));
  replay.Send("replay:2");
  EXPECT_EQ(replay.Answered(), "1001");
  Peers no_check({"ah-no-replay-check"}, std::string(kAh));
  no_check.Send("replay:2");
  EXPECT_EQ(no_check.Answered(), "1111");
  Peers old({}, std::string(kAh));
  old.Send("old:2");
  EXPECT_EQ(old.Answered(), "11001");
  Peers jump({}, std::string(kAh));
  jump.Send("seq-jump:2");
  EXPECT_EQ(jump.Answered(), "1111");
  Peers strict({"ah-reject-jumps"}, std::string(kAh));
  strict.Send("seq-jump");
  EXPECT_EQ(strict.Answered(), "100");
}

//= rfc4302#section-3.4.4
//# A packet whose ICV does not verify is dropped.
TEST(AhDataplane, ABadIcvIsDropped) {
  Peers r({}, std::string(kAh));
  r.Send("bad-icv:2");
  EXPECT_EQ(r.Answered(), "1001");
  Peers ignoring({"ah-ignore-icv"}, std::string(kAh));
  ignoring.Send("bad-icv:2");
  EXPECT_EQ(ignoring.Answered(), "1111");
}

//= rfc4302#section-3.3.3.1.1.1
//# TOS, flags, fragment offset, TTL and header checksum may change on the
//# way and are zeroed for the ICV; the Identification is not.
TEST(AhDataplane, MutableFieldsMayChangeImmutableOnesMayNot) {
  Peers r({}, std::string(kAh));
  r.Send("mutable:2");
  EXPECT_EQ(r.Answered(), "1111");
  const Bytes& changed = r.link->wire()[2].packet;  // the first deviant packet
  EXPECT_EQ(changed[1], 0xbb);
  EXPECT_EQ(changed[6] & 0x40, 0x40);
  EXPECT_EQ(changed[8], 17);
  EXPECT_TRUE(ip::Parse(changed).ok());  // the header checksum is right
  Peers tos({"ah-tos-covered"}, std::string(kAh));
  tos.Send("mutable:2");
  EXPECT_EQ(tos.Answered(), "1001");
  Peers immutable({}, std::string(kAh));
  immutable.Send("immutable:2");
  EXPECT_EQ(immutable.Answered(), "1001");
  Peers ignoring({"ah-ignore-icv"}, std::string(kAh));
  ignoring.Send("immutable:2");
  EXPECT_EQ(ignoring.Answered(), "1111");
}

//= rfc4302#section-3.4.2
//# No SA for the SPI: the packet is discarded.
TEST(AhDataplane, AnUnknownSpiOrAPacketOutsideTheSelectorsIsDropped) {
  Peers r({}, std::string(kAh));
  r.Send("wrong-spi");
  EXPECT_EQ(r.Answered(), "101");
  Peers faulty({"ah-accept-unknown-spi"}, std::string(kAh));
  faulty.Send("wrong-spi");
  EXPECT_EQ(faulty.Answered(), "111");
  Peers outside({}, std::string(kAh));
  outside.Send("outside-ts");
  EXPECT_EQ(outside.Answered(), "101");
  // (ah-no-inbound-policy shows only with a second CHILD SA to answer on:
  // AH-09 with setup second-child, under --mutation.)
}

//= rfc4302#section-2.5.1
//# With ESN the high 32 bits are not sent but take part in the ICV; the
//# receiver infers them across the 2^32 boundary.
TEST(AhDataplane, EsnWrapCrossesIntoTheNextSubspace) {
  Peers r({}, "ah:sha256-esn");
  r.Send("esn-wrap:2");
  EXPECT_EQ(r.Answered(), "1111");
  Peers no_esn({"ah-no-esn"}, "ah:sha256-esn");
  no_esn.Send("esn-wrap:2");
  EXPECT_EQ(no_esn.Answered(), "0000");
}

TEST(AhDataplane, AnEspStepFindsNoAhChildSa) {
  Peers r({}, std::string(kAh));
  auto s = ParseEspSpec("esp=clean");
  r.link->Send(*s, r.x.OnlyIkeSa(r.x.initiator()), r.x.OnlyIkeSa(r.x.responder()), 0);
  ASSERT_EQ(r.link->notes().size(), 1u);
  EXPECT_NE(r.link->notes()[0].find("no CHILD SA of ESP"), std::string::npos) << r.link->notes()[0];
}

// The README's dataplane section names every deviation and every fault.
TEST(DataplaneTable, ReadmeNamesEveryDeviationAndFault) {
  std::ifstream in("interop/conformance/README.md");
  ASSERT_TRUE(in.good()) << "run from the source directory";
  std::stringstream text;
  text << in.rdbuf();
  for (const EspDeviation& d : EspDeviations())
    EXPECT_NE(text.str().find(fmt::format("| `{}` |", d.name)), std::string::npos) << d.name;
  for (const HostFault& f : HostFaults())
    EXPECT_NE(text.str().find(fmt::format("| `{}` |", f.name)), std::string::npos) << f.name;
}

}  // namespace
}  // namespace ipsecref::conformance::dataplane

namespace ipsecref::conformance {
namespace {

// The runner's drive step and the judge's checks, end to end on the
// reference target: a replay case passes, and fails under the fault that
// disables anti-replay (and under "lenient").
TEST(DataplaneRunner, AReplayCasePassesAndItsFaultsMakeItFail) {
  auto cases = ParseCatalogue(R"({"cases": [{"id": "T-1", "title": "t", "requirement": "rfc4303#section-3.4.3",
      "says": "s", "level": "MUST", "role": "responder", "drive": ["tester:esp=replay:2"],
      "expect": [{"check": "esp-silent"}, {"check": "esp", "answered": 2}, {"check": "esp-sender"}],
      "faults": ["lenient", "esp-no-replay-check"]}]})",
                              "test.json");
  ASSERT_TRUE(cases.ok()) << cases.error().ToString();
  Catalogue catalogue{*cases};
  const std::vector<conformance::Run> runs = catalogue.Runs();
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_TRUE(Validate(runs[0]).ok());
  auto target = MakeReferenceTarget();
  auto o = target->Execute(runs[0], {}, nullptr);
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  ASSERT_EQ(o->esp_probes.size(), 4u);
  for (const CheckResult& c : Judge(runs[0], *o)) EXPECT_TRUE(c.held) << c.check << ": " << c.observed;
  size_t esp_lines = 0;
  for (const Observed& w : o->wire) esp_lines += w.esp ? 1 : 0;
  EXPECT_EQ(esp_lines, 6u);  // four echo requests, two replies
  for (std::string fault : {"lenient", "esp-no-replay-check"}) {
    auto f = target->Execute(runs[0], {fault}, nullptr);
    ASSERT_TRUE(f.ok()) << fault;
    const auto checks = Judge(runs[0], *f);
    EXPECT_FALSE(checks[0].held) << fault;  // esp-silent: the replays were answered
    EXPECT_FALSE(checks[1].held) << fault;  // four answered, not two
    EXPECT_TRUE(checks[2].held) << fault;
  }
}

TEST(DataplaneRunner, AnUnknownSpecOrCheckArgumentIsRefused) {
  auto cases = ParseCatalogue(R"({"cases": [{"id": "T-2", "title": "t", "requirement": "rfc4303#section-3.4.3",
      "says": "s", "level": "MUST", "role": "responder", "drive": ["tester:esp=no-such:2"],
      "expect": [{"check": "esp", "answered": "two"}], "faults": ["lenient"]}]})",
                              "test.json");
  ASSERT_TRUE(cases.ok()) << cases.error().ToString();
  Catalogue catalogue{*cases};
  auto runs = catalogue.Runs();
  auto v = Validate(runs[0]);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().detail.find("'answered' must be a number"), std::string::npos) << v.error().detail;
  RunOptions options;
  auto report = RunCatalogue(catalogue, *MakeReferenceTarget(), options);
  ASSERT_FALSE(report.ok());
}

}  // namespace
}  // namespace ipsecref::conformance
