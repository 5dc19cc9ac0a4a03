// Frames laid out as tcpdump.org's LINKTYPE pages describe them.
#include "reference/io/link_layer.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

namespace ipsecref::io {
namespace {

const Bytes kIpv4Start = {0x45, 0x00, 0x00, 0x14};
const Bytes kIpv6Start = {0x60, 0x00, 0x00, 0x00};

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kMacs(12, 0xaa);

TEST(LinkLayer, EthernetIpv4AndIpv6) {
  auto v4 = DecodeLinkLayer(DLT_EN10MB, Cat({kMacs, {0x08, 0x00}, kIpv4Start}));
  ASSERT_TRUE(v4.ok()) << v4.error().ToString();
  EXPECT_EQ(v4->protocol, NetworkProtocol::kIpv4);
  EXPECT_EQ(v4->offset, 14u);
  auto v6 = DecodeLinkLayer(DLT_EN10MB, Cat({kMacs, {0x86, 0xdd}, kIpv6Start}));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->protocol, NetworkProtocol::kIpv6);
  EXPECT_EQ(v6->offset, 14u);
}

TEST(LinkLayer, EthernetArpIsNotIp) {
  auto arp = DecodeLinkLayer(DLT_EN10MB, Cat({kMacs, {0x08, 0x06}, Bytes(28, 0)}));
  ASSERT_TRUE(arp.ok());
  EXPECT_EQ(arp->protocol, NetworkProtocol::kOther);
  EXPECT_EQ(arp->what, "ethertype 0x0806 (ARP)");
}

TEST(LinkLayer, VlanTagsAreSteppedOver) {
  // 802.1Q: TPID 0x8100, TCI (VLAN 100), then the ethertype.
  auto one =
      DecodeLinkLayer(DLT_EN10MB, Cat({kMacs, {0x81, 0x00, 0x00, 0x64, 0x08, 0x00}, kIpv4Start}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->protocol, NetworkProtocol::kIpv4);
  EXPECT_EQ(one->offset, 18u);
  EXPECT_EQ(one->vlan_tags, 1);
  // 802.1ad service tag outside a customer tag (QinQ).
  auto two = DecodeLinkLayer(
      DLT_EN10MB,
      Cat({kMacs, {0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x86, 0xdd}, kIpv6Start}));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->protocol, NetworkProtocol::kIpv6);
  EXPECT_EQ(two->offset, 22u);
  EXPECT_EQ(two->vlan_tags, 2);
}

TEST(LinkLayer, Ieee8023WithSnap) {
  // Length 0x0030, LLC AA AA 03, OUI 00 00 00, ethertype 0x0800.
  auto snap = DecodeLinkLayer(
      DLT_EN10MB,
      Cat({kMacs, {0x00, 0x30, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00}, kIpv4Start}));
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->protocol, NetworkProtocol::kIpv4);
  EXPECT_EQ(snap->offset, 22u);
  auto stp =
      DecodeLinkLayer(DLT_EN10MB, Cat({kMacs, {0x00, 0x26, 0x42, 0x42, 0x03}, Bytes(35, 0)}));
  ASSERT_TRUE(stp.ok());
  EXPECT_EQ(stp->protocol, NetworkProtocol::kOther);
  EXPECT_EQ(stp->what, "802.2 LLC, DSAP 0x42");
}

TEST(LinkLayer, TruncatedEthernet) {
  auto short_frame = DecodeLinkLayer(DLT_EN10MB, Bytes(13, 0));
  ASSERT_FALSE(short_frame.ok());
  EXPECT_EQ(short_frame.error().code, Code::kTruncated);
  auto cut_tag = DecodeLinkLayer(DLT_EN10MB, Cat({kMacs, {0x81, 0x00, 0x00}}));
  ASSERT_FALSE(cut_tag.ok());
  EXPECT_EQ(cut_tag.error().code, Code::kTruncated);
  // Tags without end are refused, not looped over.
  Bytes many = kMacs;
  for (int i = 0; i < 10; ++i) many.insert(many.end(), {0x81, 0x00, 0x00, 0x01});
  many.insert(many.end(), {0x08, 0x00});
  auto too_many = DecodeLinkLayer(DLT_EN10MB, many);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, Code::kBadHeader);
}

TEST(LinkLayer, LinuxCookedV1AndV2) {
  // SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.
  const Bytes sll = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  auto v1 = DecodeLinkLayer(DLT_LINUX_SLL, Cat({sll, kIpv4Start}));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->protocol, NetworkProtocol::kIpv4);
  EXPECT_EQ(v1->offset, 16u);
  // SLL2: protocol, reserved, interface index, ARPHRD type, packet type,
  // address length, 8 address bytes.
  const Bytes sll2 = {0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0x00, 0x01, 0x04, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  auto v2 = DecodeLinkLayer(DLT_LINUX_SLL2, Cat({sll2, kIpv6Start}));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->protocol, NetworkProtocol::kIpv6);
  EXPECT_EQ(v2->offset, 20u);
  EXPECT_FALSE(DecodeLinkLayer(DLT_LINUX_SLL2, Bytes(19, 0)).ok());
  EXPECT_FALSE(DecodeLinkLayer(DLT_LINUX_SLL, Bytes(15, 0)).ok());
}

TEST(LinkLayer, BsdLoopbackBothByteOrders) {
  struct Case {
    Bytes family;
    NetworkProtocol protocol;
  };
  const Case cases[] = {
      {{0x02, 0, 0, 0}, NetworkProtocol::kIpv4},   // AF_INET, little-endian writer
      {{0, 0, 0, 0x02}, NetworkProtocol::kIpv4},   // AF_INET, big-endian / DLT_LOOP
      {{0x18, 0, 0, 0}, NetworkProtocol::kIpv6},   // 24: NetBSD, OpenBSD
      {{0x1c, 0, 0, 0}, NetworkProtocol::kIpv6},   // 28: FreeBSD
      {{0, 0, 0, 0x1e}, NetworkProtocol::kIpv6},   // 30: Darwin, big-endian
      {{0x07, 0, 0, 0}, NetworkProtocol::kOther},  // AF_ISO
  };
  for (int link : {DLT_NULL, DLT_LOOP}) {
    for (const Case& c : cases) {
      auto p = DecodeLinkLayer(link, Cat({c.family, kIpv4Start}));
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->protocol, c.protocol) << ToHex(c.family);
      EXPECT_EQ(p->offset, 4u);
    }
  }
  EXPECT_FALSE(DecodeLinkLayer(DLT_NULL, Bytes(3, 0)).ok());
}

TEST(LinkLayer, RawIpByVersionNibble) {
  for (int link : {DLT_RAW, 101}) {
    auto v4 = DecodeLinkLayer(link, kIpv4Start);
    ASSERT_TRUE(v4.ok());
    EXPECT_EQ(v4->protocol, NetworkProtocol::kIpv4);
    EXPECT_EQ(v4->offset, 0u);
    auto v6 = DecodeLinkLayer(link, kIpv6Start);
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->protocol, NetworkProtocol::kIpv6);
    auto bad = DecodeLinkLayer(link, Bytes{0x50, 0});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Code::kBadVersion);
    EXPECT_FALSE(DecodeLinkLayer(link, Bytes{}).ok());
  }
  auto ipv4 = DecodeLinkLayer(DLT_IPV4, kIpv4Start);
  ASSERT_TRUE(ipv4.ok());
  EXPECT_EQ(ipv4->protocol, NetworkProtocol::kIpv4);
  auto ipv6 = DecodeLinkLayer(DLT_IPV6, kIpv6Start);
  ASSERT_TRUE(ipv6.ok());
  EXPECT_EQ(ipv6->protocol, NetworkProtocol::kIpv6);
}

TEST(LinkLayer, UnsupportedLinkTypeIsNamed) {
  EXPECT_FALSE(IsSupportedLinkType(DLT_IEEE802_11));
  auto r = DecodeLinkLayer(DLT_IEEE802_11, Bytes(30, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  EXPECT_NE(r.error().detail.find("link type 105"), std::string::npos);
  EXPECT_EQ(LinkTypeName(DLT_LINUX_SLL2), "Linux cooked (SLL2)");
}

}  // namespace
}  // namespace ipsecref::io
