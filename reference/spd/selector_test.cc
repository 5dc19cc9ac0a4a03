// Selectors read from packets and matched (RFC 4301 §4.4.1.1, §4.4.1.3,
// §7). The packets are written out field by field below, each value named;
// nothing in them is computed by the code under test.
#include "reference/spd/selector.h"

#include <gtest/gtest.h>

namespace ipsecref::spd {
namespace {

const Bytes kLocal4 = {10, 1, 0, 7};
const Bytes kRemote4 = {10, 2, 0, 5};
const Bytes kLocal6 = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};  // 2001:db8:1::7
const Bytes kRemote6 = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};  // 2001:db8:2::5

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// IPv4 header (RFC 791 §3.1): version 4 / IHL 5, TOS 0, `total_length`,
// identification 1, flags and fragment offset `frag`, TTL 64, `protocol`,
// checksum 0 (not checked by ExtractSelectors), source, destination.
Bytes Ipv4Header(uint16_t total_length, uint16_t frag, uint8_t protocol, const Bytes& src, const Bytes& dst) {
  return Cat({{0x45, 0x00, static_cast<uint8_t>(total_length >> 8), static_cast<uint8_t>(total_length), 0x00, 0x01,
               static_cast<uint8_t>(frag >> 8), static_cast<uint8_t>(frag), 64, protocol, 0x00, 0x00},
              src,
              dst});
}

// TCP header (RFC 9293): source port 12345 (0x3039), destination port 80,
// sequence 1, acknowledgment 0, data offset 5, SYN, window 65535, checksum
// 0, urgent pointer 0.
const Bytes kTcp12345To80 = {0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
// ICMP echo request (RFC 792): type 8, code 0, checksum 0xf7ff, identifier 0, sequence 0.
const Bytes kIcmpEcho = {0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00};

Selector Sel(const AddressRange& local, const AddressRange& remote, uint8_t protocol = 0,
             PortRange local_ports = PortRange::Any(), PortRange remote_ports = PortRange::Any()) {
  return Selector{local, remote, protocol, local_ports, remote_ports};
}

TEST(ExtractSelectors, Ipv4Tcp) {
  auto p = ExtractSelectors(Cat({Ipv4Header(40, 0x4000, 6, kLocal4, kRemote4), kTcp12345To80}));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(*p, (PacketSelectors{kLocal4, kRemote4, 6, 12345, 80, true}));
  EXPECT_EQ(Describe(*p), "10.1.0.7[tcp/12345] -> 10.2.0.5[tcp/80]");
}

//= rfc4301#section-4.4.1.1
//# ICMP type and code are one 16-bit value, type in the high octet.
TEST(ExtractSelectors, Ipv4IcmpTypeAndCode) {
  auto p = ExtractSelectors(Cat({Ipv4Header(28, 0, 1, kLocal4, kRemote4), kIcmpEcho}));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->protocol, 1);
  EXPECT_EQ(p->src_port, 0x0800);
  EXPECT_TRUE(p->ports_known);
  EXPECT_EQ(Describe(*p), "10.1.0.7[icmp/8] -> 10.2.0.5");
  // Destination unreachable (3), port unreachable (3): 0x0303.
  auto unreachable = ExtractSelectors(
      Cat({Ipv4Header(28, 0, 1, kLocal4, kRemote4), {0x03, 0x03, 0xfc, 0xfc, 0, 0, 0, 0}}));
  ASSERT_TRUE(unreachable.ok());
  EXPECT_EQ(unreachable->src_port, 0x0303);
}

//= rfc4301#section-4.4.1.1
//# Hop-by-Hop, Routing, Fragment and Destination Options are stepped over
//# to reach the next layer protocol.
TEST(ExtractSelectors, Ipv6ExtensionHeaders) {
  const Bytes packet = Cat({
      // version 6, traffic class 0, flow label 0; payload length 24; next
      // header 0 (Hop-by-Hop); hop limit 64.
      {0x60, 0, 0, 0, 0x00, 0x18, 0, 64},
      kLocal6,
      kRemote6,
      // Hop-by-Hop: next header 60, length 0 (8 octets), PadN of 4.
      {60, 0, 0x01, 0x04, 0, 0, 0, 0},
      // Destination Options: next header 17 (UDP), length 0, PadN of 4.
      {17, 0, 0x01, 0x04, 0, 0, 0, 0},
      // UDP: source port 1234 (0x04d2), destination port 53, length 8, checksum 0.
      {0x04, 0xd2, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00},
  });
  auto p = ExtractSelectors(packet);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(*p, (PacketSelectors{kLocal6, kRemote6, 17, 1234, 53, true}));
  EXPECT_EQ(Describe(*p), "2001:db8:1::7[udp/1234] -> 2001:db8:2::5[udp/53]");
}

TEST(ExtractSelectors, Icmpv6) {
  // payload length 8, next header 58; echo request: type 128, code 0.
  auto p = ExtractSelectors(Cat({{0x60, 0, 0, 0, 0, 8, 58, 64}, kLocal6, kRemote6, {128, 0, 0x7f, 0xff, 0, 0, 0, 0}}));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->protocol, 58);
  EXPECT_EQ(p->src_port, 0x8000);
  EXPECT_TRUE(p->ports_known);
}

//= rfc4301#section-4.4.1.1
//# The Mobility Header is a next layer protocol whose MH type sits in the
//# high octet of the sending side's "port".
TEST(ExtractSelectors, Ipv6MobilityHeaderType) {
  const Bytes packet = Cat({
      // payload length 16, next header 135 (Mobility Header), hop limit 64.
      {0x60, 0, 0, 0, 0, 16, 135, 64},
      kLocal6,
      kRemote6,
      // RFC 6275 §6.1.1: Payload Proto 59 (none), Header Len 1 (16 octets),
      // MH Type 5 (Binding Update), Reserved, Checksum 0; Binding Update
      // (§6.1.7): Sequence 1, flags A, Lifetime 0x0100; PadN of 2 octets.
      {59, 1, 5, 0, 0, 0, 0x00, 0x01, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00},
  });
  auto p = ExtractSelectors(packet);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->protocol, 135);
  EXPECT_EQ(p->src_port, 0x0500);
  EXPECT_TRUE(p->ports_known);
  const Selector binding_updates =
      Sel(PrefixRange(kLocal6, 48), PrefixRange(kRemote6, 48), 135, PortRange::Single(0x0500), PortRange::Opaque());
  EXPECT_TRUE(Matches(binding_updates, *p, Direction::kOutbound));
}

//= rfc4301#section-4.4
//# A non-initial fragment does not hold the ports.
TEST(ExtractSelectors, Ipv4NonInitialFragmentHasNoPorts) {
  // Fragment offset 185 (1480 bytes), MF clear: 20 bytes of data that are
  // not a TCP header.
  auto p = ExtractSelectors(Cat({Ipv4Header(40, 0x00b9, 6, kLocal4, kRemote4), Bytes(20, 0xab)}));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->protocol, 6);
  EXPECT_FALSE(p->ports_known);
  EXPECT_EQ(Describe(*p), "10.1.0.7[tcp/opaque] -> 10.2.0.5[tcp/opaque]");
}

TEST(ExtractSelectors, Ipv4FirstFragmentHasPorts) {
  // MF set, offset 0: the initial fragment, ports present.
  auto p = ExtractSelectors(Cat({Ipv4Header(40, 0x2000, 6, kLocal4, kRemote4), kTcp12345To80}));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->ports_known);
  EXPECT_EQ(p->dst_port, 80);
  // A first fragment too short for them counts as one without them.
  auto short_first = ExtractSelectors(Cat({Ipv4Header(22, 0x2000, 6, kLocal4, kRemote4), {0x30, 0x39}}));
  ASSERT_TRUE(short_first.ok());
  EXPECT_FALSE(short_first->ports_known);
}

TEST(ExtractSelectors, Ipv6NonInitialFragmentEndsTheWalk) {
  // Fragment header: next header 6, reserved 0, offset 185 (0x05c8 with M
  // clear), identification 42. The 8 data bytes (0xff) are mid-datagram.
  const Bytes fragment = Cat({{0x60, 0, 0, 0, 0, 16, 44, 64}, kLocal6, kRemote6, {6, 0, 0x05, 0xc8, 0, 0, 0, 42},
                              Bytes(8, 0xff)});
  auto p = ExtractSelectors(fragment);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->protocol, 6);
  EXPECT_FALSE(p->ports_known);
  // The fragmentable part begins with Destination Options (60): the data
  // after the Fragment header is no header, and is not read as one.
  Bytes dest_opts_first = fragment;
  dest_opts_first[40] = 60;
  auto q = ExtractSelectors(dest_opts_first);
  ASSERT_TRUE(q.ok()) << q.error().ToString();
  EXPECT_EQ(q->protocol, 60);
  EXPECT_FALSE(q->ports_known);
}

TEST(ExtractSelectors, Errors) {
  auto empty = ExtractSelectors({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Code::kTruncated);

  const Bytes v5 = {0x50, 0, 0, 0};
  auto version = ExtractSelectors(v5);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code, Code::kBadVersion);
  EXPECT_EQ(version.error().offset, 0u);

  // A whole packet whose TCP header stops after the source port.
  auto truncated = ExtractSelectors(Cat({Ipv4Header(22, 0, 6, kLocal4, kRemote4), {0x30, 0x39}}));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, Code::kTruncated);
  EXPECT_EQ(truncated.error().offset, 20u);
  EXPECT_NE(truncated.error().detail.find("tcp"), std::string::npos) << truncated.error().detail;

  // IPv6 payload length 64 with 8 bytes present.
  auto payload = ExtractSelectors(Cat({{0x60, 0, 0, 0, 0, 64, 17, 64}, kLocal6, kRemote6, Bytes(8, 0)}));
  ASSERT_FALSE(payload.ok());
  EXPECT_EQ(payload.error().code, Code::kTruncated);
  EXPECT_EQ(payload.error().offset, 4u);

  // A Destination Options header claiming 16 octets where 8 are left.
  auto ext = ExtractSelectors(Cat({{0x60, 0, 0, 0, 0, 8, 60, 64}, kLocal6, kRemote6, {17, 1, 0, 0, 0, 0, 0, 0}}));
  ASSERT_FALSE(ext.ok());
  EXPECT_EQ(ext.error().code, Code::kTruncated);
  EXPECT_EQ(ext.error().offset, 41u);
}

TEST(Matches, AddressesProtocolAndPorts) {
  const PacketSelectors out{kLocal4, kRemote4, 6, 12345, 80, true};
  const AddressRange local = PrefixRange(kLocal4, 16), remote = PrefixRange(kRemote4, 16);
  EXPECT_TRUE(Matches(Sel(local, remote), out, Direction::kOutbound));
  EXPECT_TRUE(Matches(Sel(local, remote, 6, PortRange::Any(), PortRange::Single(80)), out, Direction::kOutbound));
  EXPECT_FALSE(Matches(Sel(local, remote, 6, PortRange::Any(), PortRange::Single(81)), out, Direction::kOutbound));
  EXPECT_FALSE(Matches(Sel(local, remote, 17), out, Direction::kOutbound));
  EXPECT_FALSE(Matches(Sel(remote, local), out, Direction::kOutbound));
  // The same packet entering: its destination is the local side.
  EXPECT_TRUE(Matches(Sel(remote, local, 6, PortRange::Single(80)), out, Direction::kInbound));
  // Another family never matches.
  EXPECT_FALSE(Matches(Sel(AnyAddress(16), AnyAddress(16)), out, Direction::kOutbound));
}

//= rfc4301#section-4.4.1.3
//# The traceroute example: the local "port" selector ICMP type 30, the
//# remote one OPAQUE — this side may send it and not receive it.
TEST(Matches, IcmpTypeOfTheSendingSide) {
  const Selector traceroute = Sel(PrefixRange(kLocal4, 16), PrefixRange(kRemote4, 16), 1, PortRange::IcmpType(30),
                                  PortRange::Opaque());
  const PacketSelectors sent{kLocal4, kRemote4, 1, 30 << 8, 0, true};
  const PacketSelectors received{kRemote4, kLocal4, 1, 30 << 8, 0, true};
  const PacketSelectors echo{kLocal4, kRemote4, 1, 8 << 8, 0, true};
  EXPECT_TRUE(Matches(traceroute, sent, Direction::kOutbound));
  EXPECT_FALSE(Matches(traceroute, received, Direction::kInbound));
  EXPECT_FALSE(Matches(traceroute, echo, Direction::kOutbound));

  //= rfc4301#section-4.4.1.1
  //# One type and a range of codes: (T*256)+C-start <= t*256+c <= (T*256)+C-end.
  const Selector unreachable = Sel(AnyAddress(4), AnyAddress(4), 1, PortRange::IcmpType(3, 0, 3), PortRange::Any());
  EXPECT_TRUE(Matches(unreachable, {kLocal4, kRemote4, 1, 0x0303, 0, true}, Direction::kOutbound));
  EXPECT_FALSE(Matches(unreachable, {kLocal4, kRemote4, 1, 0x0304, 0, true}, Direction::kOutbound));
  EXPECT_FALSE(Matches(unreachable, {kLocal4, kRemote4, 1, 0x0400, 0, true}, Direction::kOutbound));
}

//= rfc4301#section-4.4.1.1
//# A port selector other than ANY or OPAQUE cannot match a non-initial
//# fragment.
//= rfc4301#section-7.1
//# ANY holds OPAQUE too: ANY-port selectors carry every fragment.
TEST(Matches, NonInitialFragmentMatchesOnlyAnyOrOpaquePorts) {
  const PacketSelectors fragment{kLocal4, kRemote4, 6, 0, 0, false};
  const AddressRange local = PrefixRange(kLocal4, 24), remote = PrefixRange(kRemote4, 24);
  EXPECT_TRUE(Matches(Sel(local, remote), fragment, Direction::kOutbound));
  EXPECT_TRUE(Matches(Sel(local, remote, 6), fragment, Direction::kOutbound));
  EXPECT_TRUE(Matches(Sel(local, remote, 6, PortRange::Opaque(), PortRange::Opaque()), fragment, Direction::kOutbound));
  EXPECT_FALSE(Matches(Sel(local, remote, 6, PortRange::Any(), PortRange::Single(80)), fragment, Direction::kOutbound));
  EXPECT_FALSE(Matches(Sel(local, remote, 6, PortRange{0, 65534}), fragment, Direction::kOutbound));
  //= rfc4301#section-7.2
  //# OPAQUE names packets without ports: a packet with ports is not one.
  const PacketSelectors whole{kLocal4, kRemote4, 6, 12345, 80, true};
  EXPECT_FALSE(Matches(Sel(local, remote, 6, PortRange::Opaque(), PortRange::Opaque()), whole, Direction::kOutbound));
}

TEST(Validate, RefusesWhatHoldsNoPackets) {
  EXPECT_TRUE(Validate(Sel(PrefixRange(kLocal4, 16), AnyAddress(4), 6, PortRange::Opaque())).ok());
  Status mixed = Validate(Sel(PrefixRange(kLocal4, 16), AnyAddress(16)));
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().code, Code::kInvalidArgument);
  EXPECT_NE(mixed.error().detail.find("families"), std::string::npos) << mixed.error().detail;
  Status backwards = Validate(Sel(AnyAddress(4), AnyAddress(4), 6, PortRange{90, 80}));
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.error().detail.find("local port range 90-80"), std::string::npos) << backwards.error().detail;
  Status range = Validate(Sel(AddressRange{kRemote4, kLocal4}, AnyAddress(4)));
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().detail.find("local range runs backwards"), std::string::npos) << range.error().detail;
  EXPECT_FALSE(Validate(Selector{}).ok());
}

TEST(Describe, SwanctlLikeText) {
  EXPECT_EQ(Describe(Sel(PrefixRange(kLocal4, 16), PrefixRange(kRemote4, 16), 6, PortRange::Single(80))),
            "10.1.0.0/16[tcp/80] === 10.2.0.0/16");
  EXPECT_EQ(Describe(Sel(AddressRange{{10, 0, 0, 1}, {10, 0, 0, 9}}, HostRange(kRemote4))),
            "10.0.0.1-10.0.0.9 === 10.2.0.5/32");
  EXPECT_EQ(Describe(Sel(PrefixRange(kLocal6, 48), AnyAddress(16), 17, PortRange::Any(), PortRange{1024, 65535})),
            "2001:db8:1::/48[udp] === ::/0[udp/1024-65535]");
  EXPECT_EQ(Describe(Sel(AnyAddress(4), AnyAddress(4), 1, PortRange::Single(0x0800), PortRange::Opaque())),
            "0.0.0.0/0[icmp/8] === 0.0.0.0/0[icmp/opaque]");
  EXPECT_EQ(Describe(Sel(AnyAddress(4), AnyAddress(4), 1, PortRange::Single(0x0303))),
            "0.0.0.0/0[icmp/771] === 0.0.0.0/0");
}

TEST(PrefixRange, ClearsAndSetsHostBits) {
  EXPECT_EQ(PrefixRange(Bytes{10, 1, 2, 3}, 12), (AddressRange{{10, 0, 0, 0}, {10, 15, 255, 255}}));
  EXPECT_EQ(PrefixRange(Bytes{10, 1, 2, 3}, 32), HostRange(Bytes{10, 1, 2, 3}));
  EXPECT_EQ(PrefixRange(Bytes{10, 1, 2, 3}, 40), HostRange(Bytes{10, 1, 2, 3}));
  EXPECT_EQ(PrefixRange(Bytes{10, 1, 2, 3}, 0), AnyAddress(4));
}

}  // namespace
}  // namespace ipsecref::spd
