#include "reference/ip/packet.h"

#include <gtest/gtest.h>

namespace ipsecref::ip {
namespace {

// The IPv4 header of Wikipedia's "Internet checksum" worked example
// (en.wikipedia.org/wiki/Internet_checksum): checksum field 0xb861.
const char* kWikipediaHeader = "45000073000040004011" "0000" "c0a80001c0a800c7";

TEST(Checksum, MatchesPublishedIpv4Example) {
  Bytes h = *FromHex(kWikipediaHeader);
  SetIpv4HeaderChecksum(h);
  EXPECT_EQ(LoadU16(&h[10]), 0xb861);
  EXPECT_EQ(InternetChecksum({h}), 0);
}

// IPv6/UDP datagrams built by Scapy 2.5.0 (/usr/bin/python3, Debian 12's
// python3-scapy), the whole packet printed with
//   /usr/bin/python3 -c 'from scapy.all import *; print(raw(IPv6(src="2001:db8::1",
//     dst="2001:db8:ffff::2")/UDP(sport=4500, dport=4500)/Raw(PAYLOAD)).hex())'
// PAYLOAD = bytes(range(1, 14)) (13 octets: an odd length), and
// bytes.fromhex("0000000100000001")+b"ipsecref" (an ESP-in-UDP-like header).
// Scapy fills in the checksum (RFC 8200 §8.1 pseudo header); here each
// datagram's checksum field is zeroed and computed again.
struct ScapyUdp6 {
  const char* packet;  // IPv6 header (40 octets) and UDP datagram
  uint16_t checksum;   // what Scapy wrote
};
const ScapyUdp6 kScapyUdp6[] = {
    {"600000000015114020010db800000000000000000000000120010db8ffff000000000000000000021194119400154ffd"
     "0102030405060708090a0b0c0d",
     0x4ffd},
    {"600000000018114020010db800000000000000000000000120010db8ffff00000000000000000002119411940018db70"
     "00000001000000016970736563726566",
     0xdb70},
};

TEST(Checksum, Ipv6UdpMatchesScapy) {
  for (const ScapyUdp6& v : kScapyUdp6) {
    SCOPED_TRACE(v.packet);
    Bytes p = *FromHex(v.packet);
    ASSERT_EQ(p.size(), 40 + LoadU16(&p[4]));  // Payload Length covers the UDP datagram
    const ByteSpan src = ByteSpan(p).subspan(8, 16), dst = ByteSpan(p).subspan(24, 16);
    EXPECT_EQ(LoadU16(&p[46]), v.checksum);
    EXPECT_EQ(UdpChecksum(src, dst, ByteSpan(p).subspan(40)), 0xffff);  // sums to zero as sent
    p[46] = p[47] = 0;
    EXPECT_EQ(UdpChecksum(src, dst, ByteSpan(p).subspan(40)), v.checksum);
  }
}

TEST(Checksum, OddPiecesKeepByteOrder) {
  const Bytes whole = {0x01, 0x02, 0x03, 0x04, 0x05};
  EXPECT_EQ(InternetChecksum({whole}),
            InternetChecksum({ByteSpan(whole).first(1), ByteSpan(whole).subspan(1)}));
  EXPECT_EQ(InternetChecksum({whole}),
            InternetChecksum({ByteSpan(whole).first(3), ByteSpan(whole).subspan(3)}));
}

TEST(Parse, Ipv4WithPaddingBeyondTotalLength) {
  Bytes p = *FromHex("4500001c000040004011000" "0c0a80001c0a800c7" "0000000000000000");
  SetIpv4HeaderChecksum(MutableByteSpan(p).first(20));
  p.insert(p.end(), 6, 0);  // Ethernet minimum-frame padding
  auto v = Parse(p);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->total_length, 28u);
  EXPECT_EQ(v->protocol, 17);
  EXPECT_EQ(v->header_length, 20u);
}

TEST(Parse, RejectsWithOffsetAndRequirement) {
  struct Case {
    const char* hex;
    Code code;
    size_t offset;
  } cases[] = {
      {"", Code::kTruncated, 0},
      {"7500", Code::kBadVersion, 0},
      {"45000014000000004011", Code::kTruncated, 10},            // 10 of 20 header bytes
      {"44000014000000004011000000000000000000000000", Code::kBadHeader, 0},  // IHL 4
      {"450000ff000000004011000000000000000000000000", Code::kTruncated, 2},  // total length
      {"450000100000000040110000000000000000000000", Code::kBadLength, 2},    // shorter than header
  };
  for (const auto& c : cases) {
    Bytes p = *FromHex(c.hex);
    auto v = Parse(p, false);
    ASSERT_FALSE(v.ok()) << c.hex;
    EXPECT_EQ(v.error().code, c.code) << c.hex << ": " << v.error().ToString();
    EXPECT_EQ(v.error().offset, c.offset) << c.hex;
    EXPECT_FALSE(v.error().requirement.empty());
  }
}

TEST(Parse, BadIpv4ChecksumIsReported) {
  Bytes p = *FromHex("45000014000000004011ffff0a0000010a000002");
  auto v = Parse(p);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Code::kBadChecksum);
  EXPECT_TRUE(Parse(p, false).ok());
}

Bytes Ipv6(uint8_t next, const Bytes& rest) {
  Bytes p = {0x60, 0, 0, 0, 0, 0, next, 64};
  p.insert(p.end(), 32, 0xfe);
  p.insert(p.end(), rest.begin(), rest.end());
  FixLengths(p, 6);
  return p;
}

TEST(Parse, Ipv6WalksExtensionHeadersUpToEsp) {
  //= rfc8200#section-4
  //# Each extension header names the next; the walk stops at ESP.
  const Bytes rest = *FromHex("3c00010400000000" "2c00000000000001" "3200000000000000" "0000100000000001");
  auto v = Parse(Ipv6(0, rest));
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->protocol, 50);
  EXPECT_EQ(v->header_length, 64u);
  EXPECT_EQ(v->protocol_field, 56u);
  EXPECT_FALSE(v->fragment);  // atomic fragment: offset 0, M clear
}

TEST(Parse, Ipv6FragmentAndTruncatedExtension) {
  auto frag = Parse(Ipv6(44, *FromHex("3200000100000001" "00000000")));
  ASSERT_TRUE(frag.ok());
  EXPECT_TRUE(frag->fragment);
  auto cut = Parse(Ipv6(60, *FromHex("3202000000000000")));  // claims 24 bytes
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, Code::kTruncated);
  EXPECT_EQ(cut.error().offset, 41u);
}

TEST(TransportInsertionPoint, DestinationOptionsBeforeRoutingStayInFront) {
  // HbH -> DestOpts -> Routing -> DestOpts -> UDP
  const Bytes rest = *FromHex("3c00010400000000" "2b00010400000000" "3c00000000000000" "1100010400000000" "0000");
  auto p = TransportInsertionPoint(Ipv6(0, rest));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->offset, 64u);
  EXPECT_EQ(p->protocol_field, 56u);
  EXPECT_EQ(p->protocol, 60);
}

}  // namespace
}  // namespace ipsecref::ip
