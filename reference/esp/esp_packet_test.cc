// ESP in IP packets: tunnel mode in every inner/outer family combination,
// transport mode with IPv6 extension headers, UDP encapsulation, TFC padding.
#include "reference/esp/esp_packet.h"

#include <gtest/gtest.h>

#include "reference/testing/generators.h"

namespace ipsecref::esp {
namespace {

using testing::MakeIpPacket;

const Bytes kV4a = {192, 0, 2, 1}, kV4b = {192, 0, 2, 2};
const Bytes kV6a = *FromHex("20010db8000000000000000000000001");
const Bytes kV6b = *FromHex("20010db8000000000000000000000002");

SaConfig Config(Mode mode, int outer) {
  SaConfig c;
  c.spi = 0xc0ffee;
  c.encr = iana::Encr::kChaCha20Poly1305;
  c.encr_key = SecureBytes(36, 0x42);
  c.mode = mode;
  c.tunnel_src = outer == 4 ? kV4a : kV6a;
  c.tunnel_dst = outer == 4 ? kV4b : kV6b;
  return c;
}

struct Peers {
  std::unique_ptr<Sa> tx, rx;
  SaLookup lookup() {
    return [this](uint32_t spi) { return spi == rx->spi() ? rx.get() : nullptr; };
  }
};

Peers MakePeers(const SaConfig& c) {
  return {std::move(Sa::Create(c)).value(), std::move(Sa::Create(c)).value()};
}

Bytes Udp(const Bytes& payload) {
  Bytes u = {0x30, 0x39, 0x00, 0x35, 0, 0, 0, 0};
  StoreU16(&u[4], static_cast<uint16_t>(8 + payload.size()));
  u.insert(u.end(), payload.begin(), payload.end());
  return u;
}

TEST(EspTunnel, EveryInnerOuterFamilyCombination) {
  for (int outer : {4, 6}) {
    for (int inner : {4, 6}) {
      Peers p = MakePeers(Config(Mode::kTunnel, outer));
      const Bytes packet = MakeIpPacket(inner, 17, Udp(Bytes(33, 0xab)), 0xb8,
                                        inner == 4 ? kV4a : kV6a, inner == 4 ? kV4b : kV6b);
      Bytes wire;
      ASSERT_TRUE(Encapsulate(*p.tx, packet, wire).ok());
      auto v = ip::Parse(wire);
      ASSERT_TRUE(v.ok()) << v.error().ToString();
      EXPECT_EQ(v->version, outer);
      EXPECT_EQ(v->protocol, 50);
      //= rfc4301#section-5.1.2.1
      //# DSCP (and ECN, RFC 6040 normal mode) are copied to the outer header.
      EXPECT_EQ(v->traffic_class, 0xb8);
      auto back = Decapsulate(p.lookup(), wire);
      ASSERT_TRUE(back.ok()) << back.error().ToString();
      EXPECT_EQ(back->packet, packet) << "outer " << outer << " inner " << inner;
      EXPECT_EQ(back->next_header, inner == 4 ? 4 : 41);
    }
  }
}

TEST(EspTransport, Ipv4KeepsHeaderAndRestoresProtocol) {
  Peers p = MakePeers(Config(Mode::kTransport, 4));
  const Bytes packet = MakeIpPacket(4, 17, Udp(Bytes(10, 1)), 0, kV4a, kV4b);
  Bytes wire;
  ASSERT_TRUE(Encapsulate(*p.tx, packet, wire).ok());
  EXPECT_EQ(wire[9], 50);
  EXPECT_TRUE(std::equal(packet.begin() + 12, packet.begin() + 20, wire.begin() + 12));
  EXPECT_EQ(ip::InternetChecksum({ByteSpan(wire).first(20)}), 0);
  auto back = Decapsulate(p.lookup(), wire);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->packet, packet);
}

TEST(EspTransport, Ipv6EspFollowsHopByHopAndRouting) {
  //= rfc4303#section-3.1.1
  //# ESP comes after hop-by-hop, routing and fragment headers; destination
  //# options after the routing header are protected (they follow ESP).
  Bytes ext;
  const Bytes hbh = {43, 0, 1, 4, 0, 0, 0, 0};              // -> Routing, PadN
  const Bytes routing = {60, 0, 4, 0, 0, 0, 0, 0};          // -> DestOpts, type 4, 0 left
  const Bytes dstopts = {17, 0, 1, 4, 0, 0, 0, 0};          // -> UDP
  ext.insert(ext.end(), hbh.begin(), hbh.end());
  ext.insert(ext.end(), routing.begin(), routing.end());
  ext.insert(ext.end(), dstopts.begin(), dstopts.end());
  const Bytes udp = Udp(Bytes(21, 7));
  ext.insert(ext.end(), udp.begin(), udp.end());
  const Bytes packet = MakeIpPacket(6, 0, ext, 0, kV6a, kV6b);

  Peers p = MakePeers(Config(Mode::kTransport, 6));
  Bytes wire;
  ASSERT_TRUE(Encapsulate(*p.tx, packet, wire).ok());
  EXPECT_EQ(wire[6], 0);          // still hop-by-hop first
  EXPECT_EQ(wire[40], 43);        // then routing
  EXPECT_EQ(wire[48], 50);        // routing now points at ESP
  EXPECT_EQ(LoadU32(&wire[56]), 0xc0ffeeu);
  auto back = Decapsulate(p.lookup(), wire);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->packet, packet);
  EXPECT_EQ(back->next_header, 60);
}

TEST(EspTransport, RefusesFragments) {
  Peers p = MakePeers(Config(Mode::kTransport, 4));
  Bytes packet = MakeIpPacket(4, 17, Udp(Bytes(10, 1)), 0, kV4a, kV4b);
  packet[6] = 0x20;  // MF
  ip::SetIpv4HeaderChecksum(MutableByteSpan(packet).first(20));
  Bytes wire;
  EXPECT_EQ(Encapsulate(*p.tx, packet, wire).error().code, Code::kFragment);
}

TEST(EspUdp, EncapsulatedOnPort4500BothFamilies) {
  for (int outer : {4, 6}) {
    SaConfig c = Config(Mode::kTunnel, outer);
    c.udp = UdpEncapsulation{};
    Peers p = MakePeers(c);
    const Bytes packet = MakeIpPacket(4, 1, Bytes(56, 0), 0, kV4a, kV4b);
    Bytes wire;
    ASSERT_TRUE(Encapsulate(*p.tx, packet, wire).ok());
    auto loc = LocateEsp(wire);
    ASSERT_TRUE(loc.ok()) << loc.error().ToString();
    EXPECT_TRUE(loc->udp);
    const size_t u = loc->udp_offset;
    EXPECT_EQ(LoadU16(&wire[u + 2]), 4500);
    EXPECT_EQ(LoadU16(&wire[u + 4]), wire.size() - u);
    if (outer == 4) {
      EXPECT_EQ(LoadU16(&wire[u + 6]), 0);  // RFC 3948 §2.1
    } else {
      EXPECT_EQ(ip::UdpChecksum(ByteSpan(wire).subspan(8, 16), ByteSpan(wire).subspan(24, 16),
                                ByteSpan(wire).subspan(u)),
                0xffff);  // a correct checksum sums to zero (sent complemented)
    }
    auto back = Decapsulate(p.lookup(), wire);
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    EXPECT_EQ(back->packet, packet);
  }
}

TEST(EspUdp, ClassifiesKeepaliveAndNonEspMarker) {
  //= rfc3948#section-2.2
  //# 0xff alone is a NAT-keepalive; four zero bytes mark IKE.
  EXPECT_EQ(ClassifyUdpPayload(Bytes{0xff}), UdpPayloadKind::kNatKeepalive);
  EXPECT_EQ(ClassifyUdpPayload(Bytes(28, 0)), UdpPayloadKind::kIke);
  EXPECT_EQ(ClassifyUdpPayload(Bytes{0, 0, 1}), UdpPayloadKind::kTooShort);
  Bytes esp(20, 0);
  esp[3] = 1;
  EXPECT_EQ(ClassifyUdpPayload(esp), UdpPayloadKind::kEsp);

  Bytes ike = {0x11, 0x94, 0x11, 0x94, 0, 0, 0, 0};
  ike.insert(ike.end(), 28, 0);
  StoreU16(&ike[4], static_cast<uint16_t>(ike.size()));
  const Bytes packet = MakeIpPacket(4, 17, ike, 0, kV4a, kV4b);
  auto loc = LocateEsp(packet);
  ASSERT_FALSE(loc.ok());
  EXPECT_EQ(loc.error().code, Code::kNotIpsec);
  EXPECT_EQ(loc.error().offset, 28u);
}

TEST(EspTunnel, TfcPaddingIsStrippedByTheInnerLength) {
  SaConfig c = Config(Mode::kTunnel, 4);
  c.tfc_pad_to = 1000;
  Peers p = MakePeers(c);
  const Bytes packet = MakeIpPacket(4, 1, Bytes(20, 9), 0, kV4a, kV4b);
  Bytes wire;
  ASSERT_TRUE(Encapsulate(*p.tx, packet, wire).ok());
  EXPECT_GE(wire.size(), 1000u);
  auto back = Decapsulate(p.lookup(), wire);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->packet, packet);
}

// The harness knobs of ProtectOptions: what the conformance tester sends.
TEST(EspTunnel, HarnessKnobsForTfcPaddingNextHeaderAndPadding) {
  const Bytes packet = MakeIpPacket(4, 1, Bytes(20, 9), 0, kV4a, kV4b);
  {
    Peers p = MakePeers(Config(Mode::kTunnel, 4));
    Bytes plain, padded;
    ASSERT_TRUE(Encapsulate(*p.tx, packet, plain).ok());
    ProtectOptions o;
    o.tfc_padding = 64;  // a multiple of 4: the ESP padding stays as it was
    ASSERT_TRUE(Encapsulate(*p.tx, packet, padded, o).ok());
    EXPECT_EQ(padded.size(), plain.size() + 64);
    auto back = Decapsulate(p.lookup(), padded);
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    EXPECT_EQ(back->packet, packet);  // RFC 4303 §2.7: the inner length ends the datagram
  }
  {
    Peers p = MakePeers(Config(Mode::kTunnel, 4));
    ProtectOptions o;
    o.next_header = 59;
    Bytes wire;
    ASSERT_TRUE(Encapsulate(*p.tx, packet, wire, o).ok());
    auto back = Decapsulate(p.lookup(), wire);
    ASSERT_FALSE(back.ok());
    EXPECT_EQ(back.error().code, Code::kDummyPacket);
  }
  {
    Peers p = MakePeers(Config(Mode::kTunnel, 4));
    ProtectOptions o;
    o.padding = Bytes{2, 1};  // 40 + 2 + 2: aligned, but not 1, 2
    Bytes wire;
    ASSERT_TRUE(Encapsulate(*p.tx, packet, wire, o).ok());
    auto back = Decapsulate(p.lookup(), wire);
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    ASSERT_EQ(back->findings.size(), 1u);
    EXPECT_EQ(back->findings[0].code, Code::kBadPadding);
    o.padding = Bytes{1, 2, 3};  // 40 + 3 + 2 breaks the 4-octet alignment
    EXPECT_EQ(Encapsulate(*p.tx, packet, wire, o).error().code, Code::kInvalidArgument);
  }
}

TEST(EspTunnel, DummyPacketsAreDroppedAsDummies) {
  Peers p = MakePeers(Config(Mode::kTunnel, 6));
  auto rng = crypto::MakeDeterministicRng(7);
  Bytes wire;
  ASSERT_TRUE(MakeDummy(*p.tx, 100, *rng, wire).ok());
  auto back = Decapsulate(p.lookup(), wire);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, Code::kDummyPacket);
}

TEST(EspTunnel, NonIpPayloadIsRejected) {
  SaConfig c = Config(Mode::kTunnel, 4);
  Peers p = MakePeers(c);
  Bytes esp;
  ASSERT_TRUE(p.tx->Protect(Bytes(30, 1), 6, esp).ok());  // TCP in a tunnel SA
  Bytes wire = MakeIpPacket(4, 50, esp, 0, kV4a, kV4b);
  auto back = Decapsulate(p.lookup(), wire);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, Code::kBadNextHeader);
  EXPECT_EQ(back.error().offset, wire.size() - 16 - 1);  // the next header byte
}

TEST(EspTunnel, InnerPacketMustBeSane) {
  Peers p = MakePeers(Config(Mode::kTunnel, 4));
  Bytes inner = MakeIpPacket(4, 1, Bytes(20, 9), 0, kV4a, kV4b);
  StoreU16(&inner[2], 400);  // claims more than it has
  Bytes esp;
  ASSERT_TRUE(p.tx->Protect(inner, 4, esp).ok());
  Bytes wire = MakeIpPacket(4, 50, esp, 0, kV4a, kV4b);
  auto back = Decapsulate(p.lookup(), wire);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, Code::kBadInnerPacket);
}

TEST(EspReceive, UnknownSpiAndFragments) {
  Peers p = MakePeers(Config(Mode::kTunnel, 4));
  const Bytes packet = MakeIpPacket(4, 1, Bytes(20, 9), 0, kV4a, kV4b);
  Bytes wire;
  ASSERT_TRUE(Encapsulate(*p.tx, packet, wire).ok());
  SaLookup none = [](uint32_t) { return nullptr; };
  auto r = Decapsulate(none, wire);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kNoSa);
  EXPECT_EQ(r.error().offset, 20u);

  wire[6] = 0x20;  // MF: a fragment of a bigger ESP packet
  ip::SetIpv4HeaderChecksum(MutableByteSpan(wire).first(20));
  EXPECT_EQ(Decapsulate(p.lookup(), wire).error().code, Code::kFragment);
}

}  // namespace
}  // namespace ipsecref::esp

namespace ipsecref::esp {
namespace {

TEST(EspTransport, RefusesNextHeader59) {
  //= rfc4303#section-2.6
  //# Such a packet would be discarded by the receiver as a dummy.
  Peers p = MakePeers(Config(Mode::kTransport, 6));
  const Bytes packet = MakeIpPacket(6, 59, Bytes{}, 0, kV6a, kV6b);
  Bytes wire;
  auto r = Encapsulate(*p.tx, packet, wire);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadNextHeader);
  EXPECT_EQ(r.error().offset, 6u);
}

}  // namespace
}  // namespace ipsecref::esp

namespace ipsecref::esp {
namespace {

TEST(EspTunnel, RefusesWhatWouldOverflowTheLengthField) {
  Peers p = MakePeers(Config(Mode::kTunnel, 4));
  const Bytes big = MakeIpPacket(6, 17, Bytes(65535 - 40 - 8, 0), 0, kV6a, kV6b);  // fits IPv6
  Bytes wire;
  auto r = Encapsulate(*p.tx, big, wire);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadLength);
  EXPECT_EQ(p.tx->sequence_number_counter(), 0u);  // no sequence number consumed
}

}  // namespace
}  // namespace ipsecref::esp
