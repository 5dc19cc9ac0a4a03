#include "reference/ike/sa/traffic_selectors.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace ipsecref::ike::sa {
namespace {

using iana::TsType;

// Expected values are built from the addresses' text with inet_pton, apart
// from the parser under test.
Bytes Address(const char* text) {
  Bytes out(16);
  const bool v6 = std::string_view(text).find(':') != std::string_view::npos;
  EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, text, out.data()), 1) << text;
  out.resize(v6 ? 16 : 4);
  return out;
}

TrafficSelector Range(const char* start, const char* end, uint8_t protocol = 0, uint16_t start_port = 0,
                      uint16_t end_port = 65535) {
  TrafficSelector ts;
  ts.starting_address = Address(start);
  ts.ending_address = Address(end);
  ts.ts_type = ts.starting_address.size() == 4 ? TsType::kIpv4AddrRange : TsType::kIpv6AddrRange;
  ts.ip_protocol_id = protocol;
  ts.start_port = start_port;
  ts.end_port = end_port;
  return ts;
}

TrafficSelector One(std::string_view text) {
  auto list = ParseTrafficSelectors(text);
  EXPECT_TRUE(list.ok()) << text << ": " << list.error().ToString();
  EXPECT_EQ(list.ok() ? list->size() : 0u, 1u) << text;
  return list.ok() && list->size() == 1 ? list->front() : TrafficSelector{};
}

std::vector<TrafficSelector> List(std::string_view text) {
  auto list = ParseTrafficSelectors(text);
  EXPECT_TRUE(list.ok()) << text << ": " << list.error().ToString();
  return list.ok() ? *list : std::vector<TrafficSelector>{};
}

::testing::AssertionResult Refused(const Error& e, Code code, size_t offset, std::string_view requirement,
                                   std::string_view why) {
  if (e.code != code || e.offset != offset || e.requirement != requirement || e.detail.find(why) == std::string::npos)
    return ::testing::AssertionFailure() << "got " << e.ToString() << " (offset " << e.offset << ")";
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult Refused(const Result<T>& r, Code code, size_t offset, std::string_view requirement,
                                   std::string_view why) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted";
  return Refused(r.error(), code, offset, requirement, why);
}

::testing::AssertionResult TextRefused(std::string_view text, size_t offset, std::string_view why,
                                       std::string_view requirement = "") {
  return Refused(ParseConfiguredSelectors(text), Code::kInvalidArgument, offset, requirement, why);
}

// ------------------------------------------------------------------ parsing

// The forms of swanctl.conf's local_ts / remote_ts (strongSwan docs,
// swanctl.conf; src/swanctl/swanctl.opt) and the selectors of strongSwan's
// own test scenarios (testing/tests/*/hosts/*/etc/swanctl/swanctl.conf).
TEST(ParseTrafficSelectors, SubnetsAddressesAndRanges) {
  EXPECT_EQ(One("10.0.0.0/24"), Range("10.0.0.0", "10.0.0.255"));
  EXPECT_EQ(One("10.0.0.1"), Range("10.0.0.1", "10.0.0.1"));
  EXPECT_EQ(One("10.0.0.1-10.0.0.9"), Range("10.0.0.1", "10.0.0.9"));
  EXPECT_EQ(One("10.1.0.17 - 10.1.0.20"), Range("10.1.0.17", "10.1.0.20"));  // ikev1/rw-psk-ip-ranges
  EXPECT_EQ(One("0.0.0.0/0"), Range("0.0.0.0", "255.255.255.255"));
  EXPECT_EQ(One("::/0"), Range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(One("0::0/0"), Range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(One("2001:db8::/32"), Range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(One("fec1::0/16"), Range("fec1::", "fec1:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(One("2001:db8::1"), Range("2001:db8::1", "2001:db8::1"));
  EXPECT_EQ(One("2001:db8::1-2001:db8::9"), Range("2001:db8::1", "2001:db8::9"));
  EXPECT_EQ(One("10.1.2.3/20"), Range("10.1.0.0", "10.1.15.255"));  // host bits cleared, as strongSwan does
  EXPECT_EQ(One("10.0.0.0/31"), Range("10.0.0.0", "10.0.0.1"));
}

TEST(ParseTrafficSelectors, ProtocolAndPorts) {
  EXPECT_EQ(One("10.0.0.0/24[tcp/80]"), Range("10.0.0.0", "10.0.0.255", 6, 80, 80));
  EXPECT_EQ(One("10.0.0.0/24[udp]"), Range("10.0.0.0", "10.0.0.255", 17));
  EXPECT_EQ(One("10.0.0.0/24[tcp/any]"), Range("10.0.0.0", "10.0.0.255", 6));
  EXPECT_EQ(One("10.0.0.0/24[6/1000-2000]"), Range("10.0.0.0", "10.0.0.255", 6, 1000, 2000));
  EXPECT_EQ(One("10.0.0.0/24[0x11/0x1f4]"), Range("10.0.0.0", "10.0.0.255", 17, 500, 500));
  EXPECT_EQ(One("10.0.0.0/24[any/500]"), Range("10.0.0.0", "10.0.0.255", 0, 500, 500));
  EXPECT_EQ(One("10.0.0.0/24[/500]"), Range("10.0.0.0", "10.0.0.255", 0, 500, 500));
  EXPECT_EQ(One("10.0.0.0/24[tcp/]"), Range("10.0.0.0", "10.0.0.255", 6));
  EXPECT_EQ(One("10.0.0.0/24[TCP/ssh]"), Range("10.0.0.0", "10.0.0.255", 6, 22, 22));  // /etc/protocols alias
  EXPECT_EQ(One("10.0.0.0/24[gre]"), Range("10.0.0.0", "10.0.0.255", 47));
  EXPECT_EQ(One("10.0.0.0/24[esp]"), Range("10.0.0.0", "10.0.0.255", 50));
  EXPECT_EQ(One("10.0.0.0/24[ipv6-icmp]"), Range("10.0.0.0", "10.0.0.255", 58));
  EXPECT_EQ(One("10.0.0.0/24[ip]"), Range("10.0.0.0", "10.0.0.255"));
  EXPECT_EQ(One("10.0.0.0/24[udp/isakmp]"), Range("10.0.0.0", "10.0.0.255", 17, 500, 500));
  EXPECT_EQ(One("10.0.0.0/24[tcp/ftp-data]"), Range("10.0.0.0", "10.0.0.255", 6, 20, 20));  // a name with a dash
  EXPECT_EQ(One("10.0.0.0/24[udp/ipsec-nat-t]"), Range("10.0.0.0", "10.0.0.255", 17, 4500, 4500));
  //= rfc4301#section-4.4.1
  //# OPAQUE: the port field is not available (Start Port 65535, End Port 0).
  EXPECT_EQ(One("10.0.0.0/24[tcp/opaque]"), Range("10.0.0.0", "10.0.0.255", 6, 65535, 0));
  // shunt-manual-prio and protoport-range scenarios.
  EXPECT_EQ(One("192.168.0.150[tcp/http]"), Range("192.168.0.150", "192.168.0.150", 6, 80, 80));
  EXPECT_EQ(One("0.0.0.0/0[tcp/ssh]"), Range("0.0.0.0", "255.255.255.255", 6, 22, 22));
  EXPECT_EQ(One("10.1.0.0/16[tcp/21-22]"), Range("10.1.0.0", "10.1.255.255", 6, 21, 22));
}

// swanctl.opt: an ICMP "port" below 256 is a message type (the high octet of
// the port field), from 256 up it is type * 256 + code. strongSwan's
// ikev2/protoport-range scenario configures [icmp/2048] and [icmp/0] and
// lists them as [icmp/8] and [icmp/0] (its evaltest.dat).
TEST(ParseTrafficSelectors, IcmpTypeAndCode) {
  EXPECT_EQ(One("10.1.0.0/16[icmp/8]"), Range("10.1.0.0", "10.1.255.255", 1, 0x0800, 0x0800));
  EXPECT_EQ(One("10.1.0.0/16[icmp/2048]"), Range("10.1.0.0", "10.1.255.255", 1, 0x0800, 0x0800));
  EXPECT_EQ(One("10.1.0.0/16[icmp/0]"), Range("10.1.0.0", "10.1.255.255", 1, 0, 0));
  EXPECT_EQ(One("10.1.0.0/16[icmp/769]"), Range("10.1.0.0", "10.1.255.255", 1, 0x0301, 0x0301));
  EXPECT_EQ(One("2001:db8::/32[ipv6-icmp/128-129]"),
            Range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 58, 0x8000, 0x8100));
  // The ends are compared after the mapping: 1128 (type 4, code 104) is
  // below 129 (type 129, code 0). Found by the fuzz target
  // (regressions/traffic_selectors/icmp_range_compared_before_type_mapping).
  EXPECT_EQ(One("2001:db8::/32[ipv6-icmp/1128-129]"),
            Range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 58, 1128, 0x8100));
  EXPECT_EQ(One("10.1.0.0/16[icmp]"), Range("10.1.0.0", "10.1.255.255", 1));
  EXPECT_EQ(One("10.1.0.0/16[icmp/opaque]"), Range("10.1.0.0", "10.1.255.255", 1, 65535, 0));
}

TEST(ParseTrafficSelectors, ListsKeepTheirOrder) {
  const std::vector<TrafficSelector> expected{Range("10.3.0.0", "10.3.255.255"), Range("10.4.0.0", "10.4.255.255")};
  EXPECT_EQ(List("10.3.0.0/16,10.4.0.0/16"), expected);
  EXPECT_EQ(List("  10.3.0.0/16 ,\t10.4.0.0/16  "), expected);
  EXPECT_EQ(List("10.1.0.0/16,fec1::0/16"), (std::vector{Range("10.1.0.0", "10.1.255.255"),
                                                         Range("fec1::", "fec1:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}));
  EXPECT_EQ(List("0.0.0.0/0,::/0").size(), 2u);
}

TEST(ParseConfiguredSelectors, DynamicIsAFlagWithItsProtocolAndPorts) {
  auto list = ParseConfiguredSelectors("dynamic, dynamic[tcp/32768-65535], 10.1.0.0/16[icmp], dynamic[gre]");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  ASSERT_EQ(list->size(), 4u);
  EXPECT_TRUE((*list)[0].dynamic);
  EXPECT_EQ((*list)[0].selector, TrafficSelector{});
  EXPECT_TRUE((*list)[1].dynamic);
  EXPECT_EQ((*list)[1].selector.ip_protocol_id, 6);
  EXPECT_EQ((*list)[1].selector.start_port, 32768);
  EXPECT_EQ((*list)[1].selector.end_port, 65535);
  EXPECT_FALSE((*list)[2].dynamic);
  EXPECT_EQ((*list)[2].selector, Range("10.1.0.0", "10.1.255.255", 1));
  EXPECT_EQ((*list)[3].selector.ip_protocol_id, 47);
}

// strongSwan's ikev2/protoport-range scenario: carol's dynamic[tcp/32768-65535]
// is listed as 192.168.0.100/32[tcp/32768-65535] once her address is known.
TEST(Resolve, DynamicBecomesTheAddress) {
  auto list = ParseConfiguredSelectors("dynamic[tcp/32768-65535]");
  ASSERT_TRUE(list.ok());
  auto resolved = Resolve(*list, Address("192.168.0.100"));
  ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
  EXPECT_EQ(*resolved, std::vector{Range("192.168.0.100", "192.168.0.100", 6, 32768, 65535)});
  EXPECT_EQ(FormatTrafficSelector(resolved->front()), "192.168.0.100/32[tcp/32768-65535]");

  auto v6 = Resolve(*list, Address("2001:db8::7"));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(*v6, std::vector{Range("2001:db8::7", "2001:db8::7", 6, 32768, 65535)});
}

TEST(Resolve, TheUnspecifiedAddressIsTheWholeFamily) {
  auto list = ParseConfiguredSelectors("dynamic");
  ASSERT_TRUE(list.ok());
  auto resolved = Resolve(*list, Address("0.0.0.0"));
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, std::vector{Range("0.0.0.0", "255.255.255.255")});
}

TEST(Resolve, RedundantSelectorsGo) {
  auto list = ParseConfiguredSelectors("dynamic, 10.0.0.0/8, 10.0.0.0/8, 192.0.2.0/24");
  ASSERT_TRUE(list.ok());
  auto resolved = Resolve(*list, Address("10.1.2.3"));
  ASSERT_TRUE(resolved.ok());
  // 10.1.2.3 lies in 10.0.0.0/8, which takes its place; the second /8 is the first again.
  EXPECT_EQ(*resolved, (std::vector{Range("10.0.0.0", "10.255.255.255"), Range("192.0.2.0", "192.0.2.255")}));
}

TEST(Resolve, KeepsOtherTsTypesAsTheyAreLast) {
  ConfiguredSelector label;
  label.selector.ts_type = TsType::kSecLabel;
  label.selector.other = {'s', 0};
  const ConfiguredSelector all{false, Range("0.0.0.0", "255.255.255.255")};
  auto resolved = Resolve({label, all, label}, Address("192.0.2.1"));
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, (std::vector{all.selector, label.selector, label.selector}));
}

TEST(Resolve, RefusesAnAddressOfAnotherSize) {
  auto list = ParseConfiguredSelectors("dynamic");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(Refused(Resolve(*list, Bytes(5, 1)), Code::kInvalidArgument, kNoOffset, "", "not 5 bytes"));
  EXPECT_TRUE(Refused(Resolve(*list, Bytes()), Code::kInvalidArgument, kNoOffset, "", "not 0 bytes"));
}

// ------------------------------------------------------------------ errors

TEST(ParseTrafficSelectors, RefusesEmptyListsAndEntries) {
  EXPECT_TRUE(TextRefused("", 0, "list is empty"));
  EXPECT_TRUE(TextRefused("  \t ", 0, "list is empty"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8,,10.1.0.0/16", 11, "traffic selector 2 \"\": empty entry"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8, ", 11, "empty entry"));
  EXPECT_TRUE(TextRefused(",10.0.0.0/8", 0, "traffic selector 1 \"\": empty entry"));
}

TEST(ParseTrafficSelectors, RefusesBadAddresses) {
  EXPECT_TRUE(TextRefused("10.0.0.256/24", 0, "address \"10.0.0.256\" is not an IPv4 or IPv6 address"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8, 10.1.x.0/16", 12, "traffic selector 2 \"10.1.x.0/16\": address"));
  EXPECT_TRUE(TextRefused("2001:db8::g/64", 0, "not an IPv4 or IPv6 address"));
  EXPECT_TRUE(TextRefused("fec1", 0, "\"fec1\" is not an IPv4 or IPv6 address"));
  EXPECT_TRUE(TextRefused("%any", 0, "not an IPv4 or IPv6 address"));
  EXPECT_TRUE(TextRefused("10.0.0.0 /8", 0, "\"10.0.0.0 \" is not"));
  EXPECT_TRUE(TextRefused("fe80::1%eth0", 0, "not an IPv4 or IPv6 address"));
  // inet_pton would stop at the NUL and read 10.0.0.1.
  EXPECT_TRUE(TextRefused(std::string_view("10.0.0.1\0junk", 13), 0, "not an IPv4 or IPv6 address"));
  EXPECT_TRUE(TextRefused("[tcp/80]", 0, "no address before \"[\""));
  EXPECT_TRUE(TextRefused(std::string(100, '1'), 0, "...\" is not an IPv4 or IPv6 address"));
}

TEST(ParseTrafficSelectors, RefusesPrefixesLongerThanTheAddress) {
  EXPECT_TRUE(TextRefused("10.0.0.0/33", 9, "prefix length 33 is longer than an IPv4 address (32 bits)"));
  EXPECT_TRUE(TextRefused("2001:db8::/129", 11, "prefix length 129 is longer than an IPv6 address (128 bits)"));
  EXPECT_TRUE(TextRefused("10.0.0.0/", 9, "prefix length \"\" is not a decimal number"));
  EXPECT_TRUE(TextRefused("10.0.0.0/2x", 9, "prefix length \"2x\" is not a decimal number"));
  EXPECT_TRUE(TextRefused("10.0.0.0/0024", 9, "prefix length \"0024\" is not a decimal number"));
}

TEST(ParseTrafficSelectors, RefusesBackwardsAndMixedRanges) {
  EXPECT_TRUE(
      TextRefused("10.0.0.9-10.0.0.1", 0, "range start 10.0.0.9 is above its end 10.0.0.1", "rfc7296#section-3.13.1"));
  EXPECT_TRUE(TextRefused("2001:db8::9-2001:db8::1", 0, "range start", "rfc7296#section-3.13.1"));
  EXPECT_TRUE(TextRefused("10.0.0.1-2001:db8::1", 9,
                          "a range from an IPv4 to an IPv6 address: both ends must be of one family"));
  EXPECT_TRUE(TextRefused("10.0.0.1-", 9, "range end \"\" is not an IPv4 or IPv6 address"));
  EXPECT_TRUE(TextRefused("-10.0.0.1", 0, "range start \"\" is not"));
  EXPECT_TRUE(TextRefused("10.0.0.1-10.0.0.2-10.0.0.3", 9, "range end \"10.0.0.2-10.0.0.3\""));
}

TEST(ParseTrafficSelectors, RefusesUnknownProtocols) {
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcpp]", 11, "unknown protocol \"tcpp\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[Tcp]", 11, "unknown protocol \"Tcp\""));  // getprotobyname is case-sensitive
  EXPECT_TRUE(TextRefused("10.0.0.0/8[256]", 11, "protocol 256 is above 255"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[6x]", 11, "protocol \"6x\" is not a number"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[06]", 11, "protocol \"06\" has a leading zero"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[-6]", 11, "unknown protocol \"-6\""));
}

TEST(ParseTrafficSelectors, RefusesBadPorts) {
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/http2]", 15, "unknown port \"http2\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/65536]", 15, "port 65536 is above 65535"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/99999999999999999999]", 15, "is above 65535"));
  EXPECT_TRUE(
      TextRefused("10.0.0.0/8[tcp/080]", 15, "port \"080\" has a leading zero, which strongSwan reads as octal"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/0x]", 15, "port \"0x\" is not a number"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/80-]", 18, "port range bound is no number: \"\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/-80]", 15, "port range bound is no number: \"\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/1024-http]", 20, "port range bound is no number: \"http\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/http-https]", 15, "port range bound is no number: \"http\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/OPAQUE]", 15, "unknown port \"OPAQUE\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/%any]", 15, "swanctl.conf spells it any"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/90-80]", 15, "start port 90 is above end port 80", "rfc7296#section-3.13.1"));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp/80/90]", 15, "port \"80/90\" is not a number"));
  // An ICMP type below 256 moves to the high octet: 255 is 0xff00, above 256.
  EXPECT_TRUE(TextRefused("10.0.0.0/8[icmp/255-256]", 16, "ICMP type and code 255-256 run backwards",
                          "rfc7296#section-3.13.1"));
}

TEST(ParseTrafficSelectors, RefusesBadBrackets) {
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp", 10, "\"[\" without a closing \"]\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp]x", 15, "\"x\" after \"]\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[tcp][udp]", 15, "\"[udp]\" after \"]\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8[[tcp]", 11, "a second \"[\""));
  EXPECT_TRUE(TextRefused("10.0.0.0/8]", 9, "prefix length \"8]\" is not a decimal number"));
}

//= rfc7296#section-3.13
//# Number of TSs is one octet.
TEST(ParseTrafficSelectors, AtMost255Entries) {
  std::string text;
  for (int i = 0; i < 255; ++i) text += (i ? "," : "") + std::string("10.0.0.1");
  EXPECT_TRUE(ParseTrafficSelectors(text).ok());
  const size_t offset = text.size() + 1;
  text += ",10.0.0.2";
  EXPECT_TRUE(TextRefused(text, offset, "traffic selector 256 \"10.0.0.2\": more than 255 traffic selectors",
                          "rfc7296#section-3.13"));
}

TEST(ParseTrafficSelectors, RefusesDynamic) {
  EXPECT_TRUE(Refused(ParseTrafficSelectors("10.0.0.0/8, dynamic[tcp]"), Code::kInvalidArgument, 12, "",
                      "traffic selector 2 \"dynamic[tcp]\": dynamic stands for the IKE SA's address"));
}

// ------------------------------------------------------------------ writing

TEST(FormatTrafficSelector, WritesTheSyntaxBack) {
  // As strongSwan lists them (ikev2/protoport-range evaltest.dat).
  EXPECT_EQ(FormatTrafficSelector(One("10.1.0.0/16[icmp/2048]")), "10.1.0.0/16[icmp/8]");
  EXPECT_EQ(FormatTrafficSelector(One("10.1.0.0/16[icmp/0]")), "10.1.0.0/16[icmp/0]");
  EXPECT_EQ(FormatTrafficSelector(One("10.1.0.0/16[tcp/21-22]")), "10.1.0.0/16[tcp/21-22]");
  EXPECT_EQ(FormatTrafficSelector(Range("192.168.0.100", "192.168.0.100", 1, 0x0800, 0x0800)),
            "192.168.0.100/32[icmp/8]");
  // Others.
  EXPECT_EQ(FormatTrafficSelector(Range("0.0.0.0", "255.255.255.255")), "0.0.0.0/0");
  EXPECT_EQ(FormatTrafficSelector(Range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), "::/0");
  EXPECT_EQ(FormatTrafficSelector(Range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 17)),
            "2001:db8::/32[udp]");
  EXPECT_EQ(FormatTrafficSelector(Range("10.0.0.1", "10.0.0.9", 6, 1000, 2000)), "10.0.0.1-10.0.0.9[tcp/1000-2000]");
  EXPECT_EQ(FormatTrafficSelector(Range("10.0.0.0", "10.0.0.255", 0, 500, 500)), "10.0.0.0/24[any/500]");
  EXPECT_EQ(FormatTrafficSelector(Range("10.0.0.0", "10.0.0.255", 6, 65535, 0)), "10.0.0.0/24[tcp/opaque]");
  EXPECT_EQ(FormatTrafficSelector(Range("10.0.0.0", "10.0.0.255", 253)), "10.0.0.0/24[253]");
  EXPECT_EQ(FormatTrafficSelector(Range("10.0.0.0", "10.0.0.255", 1, 0x0800, 0x08ff)), "10.0.0.0/24[icmp/8-2303]");
  EXPECT_EQ(FormatTrafficSelector(Range("10.0.0.0", "10.0.0.255", 58, 0x0301, 0x0301)), "10.0.0.0/24[ipv6-icmp/769]");
}

//= rfc7296#section-2.9.1
//# The example's TSr leaves 198.51.100.66 out: two ranges.
TEST(FormatTrafficSelector, RangesThatAreNoPrefix) {
  const auto list = List("198.51.100.0-198.51.100.65, 198.51.100.67-198.51.100.255");
  ASSERT_EQ(list, (std::vector{Range("198.51.100.0", "198.51.100.65"), Range("198.51.100.67", "198.51.100.255")}));
  EXPECT_EQ(FormatTrafficSelector(list[0]), "198.51.100.0-198.51.100.65");
  EXPECT_EQ(FormatTrafficSelector(list[1]), "198.51.100.67-198.51.100.255");
}

TEST(FormatTrafficSelector, WhatTheSyntaxCannotSayIsRefusedWhenRead) {
  // ICMP type 0 with code 5: a port of 5, which the syntax reads as type 5.
  const TrafficSelector code5 = Range("10.0.0.0", "10.0.0.255", 1, 5, 5);
  EXPECT_EQ(FormatTrafficSelector(code5), "10.0.0.0/24[icmp/0(5)]");
  EXPECT_FALSE(ParseTrafficSelectors(FormatTrafficSelector(code5)).ok());
  TrafficSelector label;
  label.ts_type = TsType::kSecLabel;
  label.other = {1, 2};
  EXPECT_EQ(FormatTrafficSelector(label), DescribeTs(label));
  EXPECT_FALSE(ParseTrafficSelectors(FormatTrafficSelector(label)).ok());
}

TEST(FormatConfiguredSelectors, ListsReadBack) {
  const std::string text = "dynamic[tcp/32768-65535], 10.1.0.0/16[icmp/8], dynamic, ::/0";
  auto list = ParseConfiguredSelectors(text);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(FormatConfiguredSelectors(*list), text);
}

// ------------------------------------------------------------------ sets

// strongSwan's get_subset and is_contained_in tests
// (src/libstrongswan/tests/suites/test_traffic_selector.c).
TEST(Intersection, StrongSwanSubsetCases) {
  EXPECT_EQ(Intersection(One("10.1.0.0/16"), One("10.1.5.0/24")), Range("10.1.5.0", "10.1.5.255"));
  EXPECT_EQ(Intersection(One("10.1.5.0/24"), One("10.1.0.0/16")), Range("10.1.5.0", "10.1.5.255"));
  EXPECT_EQ(Intersection(One("fec1::/64"), One("fec1::1/128")), Range("fec1::1", "fec1::1"));
  EXPECT_EQ(Intersection(One("10.0.0.0/8[tcp/55-60]"), One("10.2.7.16/30")),
            Range("10.2.7.16", "10.2.7.19", 6, 55, 60));
  EXPECT_EQ(Intersection(One("10.1.0.0/16[tcp/80]"), One("10.1.0.0/16[tcp/80]")),
            Range("10.1.0.0", "10.1.255.255", 6, 80, 80));
  EXPECT_EQ(Intersection(One("10.1.0.0/16"), One("10.2.0.0/16")), std::nullopt);  // no net
  EXPECT_EQ(Intersection(One("10.1.0.0/16[any/0-9999]"), One("10.1.0.0/16[any/10000-65535]")),
            std::nullopt);                                                                  // no port
  EXPECT_EQ(Intersection(One("10.1.0.0/16[tcp]"), One("10.1.0.0/16[udp]")), std::nullopt);  // no protocol
  EXPECT_EQ(Intersection(One("0.0.0.0/0"), One("::/0")), std::nullopt);                     // no family
  // OPAQUE
  EXPECT_EQ(Intersection(One("10.0.0.0/8[any/opaque]"), One("10.2.7.16/30[tcp/80]")), std::nullopt);
  EXPECT_EQ(Intersection(One("10.2.7.16/30[tcp/80]"), One("10.0.0.0/8[any/opaque]")), std::nullopt);
  const TrafficSelector opaque = Range("10.2.7.16", "10.2.7.19", 6, 65535, 0);
  EXPECT_EQ(Intersection(One("10.0.0.0/8[any/opaque]"), One("10.2.7.16/30[tcp/opaque]")), opaque);
  EXPECT_EQ(Intersection(One("10.2.7.16/30[tcp/opaque]"), One("10.0.0.0/8[any/opaque]")), opaque);
  EXPECT_EQ(Intersection(One("10.0.0.0/8[any/opaque]"), One("10.2.7.16/30[tcp]")), opaque);
  EXPECT_EQ(Intersection(One("10.2.7.16/30[tcp]"), One("10.0.0.0/8[any/opaque]")), opaque);
}

TEST(Contains, StrongSwanIsContainedInCases) {
  struct Case {
    bool contained;
    const char* inner;
    const char* outer;
  };
  const Case cases[] = {
      {true, "10.0.0.0/16", "10.0.0.0/16"},
      {true, "10.0.1.0/24", "10.0.0.0/16"},
      {true, "10.0.1.0/24[udp/123-456]", "10.0.0.0/16"},
      {true, "10.0.1.0/24[udp/123-456]", "10.0.0.0/16[udp/123-456]"},
      {false, "10.0.0.0/8", "10.0.0.0/16"},
      {false, "10.0.1.0/24[udp]", "10.0.0.0/16[udp/123-456]"},
      {false, "fec2::/64", "10.0.0.0/16[udp/123-456]"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Contains(One(c.outer), One(c.inner)), c.contained) << c.inner << " in " << c.outer;
    EXPECT_EQ(Intersection(One(c.outer), One(c.inner)) == One(c.inner), c.contained) << c.inner << " in " << c.outer;
  }
}

// A narrowing in strongSwan's log (github.com/strongswan/strongswan/issues/1143):
// "config: 192.168.0.105/32, received: 192.168.0.105/32[udp/1025] => match: 192.168.0.105/32[udp/1025]".
TEST(Intersection, StrongSwanLogMatch) {
  EXPECT_EQ(Intersection(One("192.168.0.105/32"), One("192.168.0.105/32[udp/1025]")),
            Range("192.168.0.105", "192.168.0.105", 17, 1025, 1025));
}

TEST(Contains, SelectorsWithoutPacketsContainNothing) {
  TrafficSelector backwards = Range("10.0.0.9", "10.0.0.1");
  TrafficSelector short_address = Range("10.0.0.0", "10.0.0.255");
  short_address.ending_address.pop_back();
  TrafficSelector ports_backwards = Range("10.0.0.0", "10.0.0.255", 6, 90, 80);
  TrafficSelector label;
  label.ts_type = TsType::kSecLabel;
  label.other = {1};
  TrafficSelector v4_with_v6 = Range("2001:db8::", "2001:db8::1");
  v4_with_v6.ts_type = TsType::kIpv4AddrRange;
  const TrafficSelector all = One("0.0.0.0/0");
  for (const TrafficSelector& ts : {backwards, short_address, ports_backwards, label, v4_with_v6}) {
    EXPECT_FALSE(HoldsPackets(ts)) << DescribeTs(ts);
    EXPECT_FALSE(Contains(all, ts)) << DescribeTs(ts);
    EXPECT_FALSE(Contains(ts, ts)) << DescribeTs(ts);
    EXPECT_EQ(Intersection(all, ts), std::nullopt) << DescribeTs(ts);
  }
  EXPECT_TRUE(HoldsPackets(all));
}

TEST(Intersect, PairwiseInOfferedOrderWithoutRedundancy) {
  const auto ours = List("10.0.0.0/16, 192.0.2.0/24[tcp]");
  const auto offered = List("192.0.2.0/25, 10.0.5.0/24, 10.0.0.0/8[udp/53], 2001:db8::/32");
  EXPECT_EQ(Intersect(ours, offered),
            (std::vector{Range("192.0.2.0", "192.0.2.127", 6), Range("10.0.5.0", "10.0.5.255"),
                         Range("10.0.0.0", "10.0.255.255", 17, 53, 53)}));
  // A later, wider intersection takes the place of the first one it contains.
  EXPECT_EQ(Intersect(List("10.0.0.0/8"), List("10.0.0.1, 192.0.2.1, 10.0.0.2, 10.0.0.0/24")),
            (std::vector{Range("10.0.0.0", "10.0.0.255")}));
  EXPECT_EQ(Intersect(List("0.0.0.0/0"), List("10.0.0.1, 192.0.2.1, 10.0.0.0/24")),
            (std::vector{Range("10.0.0.0", "10.0.0.255"), Range("192.0.2.1", "192.0.2.1")}));
  // Equal intersections appear once.
  EXPECT_EQ(Intersect(List("10.0.0.0/24, 10.0.0.0/24"), List("10.0.0.0/8")), (std::vector{One("10.0.0.0/24")}));
  EXPECT_TRUE(Intersect(List("10.0.0.0/24"), List("10.1.0.0/24")).empty());
}

//= rfc7296#section-2.9
//# The responder ignores selectors of an unknown type: they are not returned.
TEST(Intersect, UnknownTypesAreIgnored) {
  TrafficSelector label;
  label.ts_type = TsType::kSecLabel;
  label.other = {'s', 0};
  std::vector<TrafficSelector> offered{label, One("10.0.0.0/24")};
  EXPECT_EQ(Intersect(List("0.0.0.0/0"), offered), std::vector{One("10.0.0.0/24")});
  EXPECT_EQ(Intersect(offered, offered), std::vector{One("10.0.0.0/24")});
}

TEST(Intersect, StopsAt255) {
  std::vector<TrafficSelector> offered;
  for (int i = 0; i < 300; ++i)
    offered.push_back(Range("10.0.0.0", "10.0.0.0", 6, static_cast<uint16_t>(i), static_cast<uint16_t>(i)));
  const auto narrowed = Intersect(List("10.0.0.0/8"), offered);
  ASSERT_EQ(narrowed.size(), kMaxTrafficSelectors);
  EXPECT_EQ(narrowed.front(), offered.front());
  EXPECT_EQ(narrowed.back(), offered[kMaxTrafficSelectors - 1]);
}

// ------------------------------------------------------------------ narrowing

// The example of RFC 7296 §2.9: the initiator tunnels 198.51.100.0/24 to
// 192.0.2.0/24; a packet from 198.51.100.43 (TCP, source port 49152, our
// choice) to 192.0.2.7 port 80 triggered the request, so each TS payload
// starts with that packet's selector.
TsPayload Ts(std::vector<TrafficSelector> list) { return TsPayload{std::move(list)}; }
const TsPayload kTsiWithPacket =
    Ts({Range("198.51.100.43", "198.51.100.43", 6, 49152, 49152), Range("198.51.100.0", "198.51.100.255")});
const TsPayload kTsrWithPacket = Ts({Range("192.0.2.7", "192.0.2.7", 6, 80, 80), Range("192.0.2.0", "192.0.2.255")});
const TsPayload kTsi = Ts({Range("198.51.100.0", "198.51.100.255")});
const TsPayload kTsr = Ts({Range("192.0.2.0", "192.0.2.255")});

//= rfc7296#section-2.9
//# A policy that allows all of TSi and TSr needs no narrowing: the answer is
//# the same traffic.
TEST(NarrowForResponder, Rfc7296Example_AllAllowed) {
  const auto local = List("192.0.2.0/24"), remote = List("198.51.100.0/24");
  for (const auto& [tsi, tsr] : {std::pair{kTsiWithPacket, kTsrWithPacket}, std::pair{kTsi, kTsr}}) {
    const auto narrowed = NarrowForResponder(local, remote, tsi, tsr);
    ASSERT_TRUE(narrowed.has_value());
    EXPECT_EQ(narrowed->tsi, kTsi.traffic_selectors);
    EXPECT_EQ(narrowed->tsr, kTsr.traffic_selectors);
    EXPECT_TRUE(CheckNarrowed(tsi, Ts(narrowed->tsi)).ok());
    EXPECT_TRUE(CheckNarrowed(tsr, Ts(narrowed->tsr)).ok());
  }
}

//= rfc7296#section-2.9
//# The example's responder that allows only 198.51.100.43 answers TSi
//# 198.51.100.43-198.51.100.43 with all ports and protocols: it includes the
//# initiator's first choice.
TEST(NarrowForResponder, Rfc7296Example_OnlyTheHost) {
  const auto narrowed = NarrowForResponder(List("192.0.2.0/24"), List("198.51.100.43"), kTsiWithPacket, kTsrWithPacket);
  ASSERT_TRUE(narrowed.has_value());
  EXPECT_EQ(narrowed->tsi, std::vector{Range("198.51.100.43", "198.51.100.43")});
  EXPECT_TRUE(Contains(narrowed->tsi.front(), kTsiWithPacket.traffic_selectors.front()));
  EXPECT_EQ(narrowed->tsr, kTsr.traffic_selectors);
  EXPECT_TRUE(CheckNarrowed(kTsiWithPacket, Ts(narrowed->tsi)).ok());
}

//= rfc7296#section-2.9
//# A policy that does not allow the first selector narrows to an acceptable
//# subset of the rest.
TEST(NarrowForResponder, Rfc7296Example_FirstSelectorNotAllowed) {
  const auto narrowed =
      NarrowForResponder(List("192.0.2.0/24"), List("198.51.100.128/25"), kTsiWithPacket, kTsrWithPacket);
  ASSERT_TRUE(narrowed.has_value());
  EXPECT_EQ(narrowed->tsi, std::vector{Range("198.51.100.128", "198.51.100.255")});
  EXPECT_TRUE(CheckNarrowed(kTsiWithPacket, Ts(narrowed->tsi)).ok());
  // Without the packet's selector the answer is the same.
  EXPECT_EQ(NarrowForResponder(List("192.0.2.0/24"), List("198.51.100.128/25"), kTsi, kTsr), narrowed);
}

//= rfc7296#section-2.9
//# Nothing acceptable: TS_UNACCEPTABLE.
TEST(NarrowForResponder, NothingAllowedIsTsUnacceptable) {
  EXPECT_EQ(NarrowForResponder(List("192.0.2.0/24"), List("203.0.113.0/24"), kTsiWithPacket, kTsrWithPacket),
            std::nullopt);
  EXPECT_EQ(NarrowForResponder(List("203.0.113.0/24"), List("198.51.100.0/24"), kTsi, kTsr), std::nullopt);
  EXPECT_EQ(NarrowForResponder(List("::/0"), List("::/0"), kTsi, kTsr), std::nullopt);
  EXPECT_EQ(NarrowForResponder({}, {}, kTsi, kTsr), std::nullopt);
}

TEST(NarrowForResponder, ProtocolAndPortsNarrowToo) {
  const auto narrowed =
      NarrowForResponder(List("192.0.2.7[tcp/80-443]"), List("0.0.0.0/0[tcp]"), kTsiWithPacket, kTsrWithPacket);
  ASSERT_TRUE(narrowed.has_value());
  EXPECT_EQ(narrowed->tsi, std::vector{Range("198.51.100.0", "198.51.100.255", 6)});
  EXPECT_EQ(narrowed->tsr, std::vector{Range("192.0.2.7", "192.0.2.7", 6, 80, 443)});
}

TEST(CheckNarrowed, RefusesAnEmptyAnswer) {
  EXPECT_TRUE(Refused(CheckNarrowed(kTsi, Ts({})), Code::kInvalidSyntax, kNoOffset, "rfc7296#section-2.9",
                      "the answer holds no traffic selector"));
}

TEST(CheckNarrowed, RefusesAWiderAnswer) {
  EXPECT_TRUE(Refused(CheckNarrowed(kTsi, Ts({One("198.51.100.0/24"), One("198.51.0.0/16")})), Code::kInvalidSyntax,
                      kNoOffset, "rfc7296#section-2.9",
                      "answered traffic selector 2 of 2 (198.51.0.0/16) lies within none of the offered ones "
                      "(198.51.100.0/24); a responder may only narrow"));
  EXPECT_TRUE(Refused(CheckNarrowed(Ts(List("10.0.0.0/8[tcp]")), Ts(List("10.0.0.0/8"))), Code::kInvalidSyntax,
                      kNoOffset, "rfc7296#section-2.9",
                      "(10.0.0.0/8) lies within none of the offered ones (10.0.0.0/8[tcp])"));
  EXPECT_TRUE(Refused(CheckNarrowed(Ts(List("10.0.0.0/8[tcp/80]")), Ts(List("10.0.0.0/8[tcp/79-80]"))),
                      Code::kInvalidSyntax, kNoOffset, "rfc7296#section-2.9", "lies within none"));
  EXPECT_TRUE(Refused(CheckNarrowed(Ts(List("10.0.0.0/8")), Ts(List("2001:db8::/32"))), Code::kInvalidSyntax, kNoOffset,
                      "rfc7296#section-2.9", "lies within none"));
  // Two adjacent offered selectors: each answer must lie within one of them.
  EXPECT_TRUE(Refused(CheckNarrowed(Ts(List("10.0.0.0/25, 10.0.0.128/25")), Ts(List("10.0.0.0/24"))),
                      Code::kInvalidSyntax, kNoOffset, "rfc7296#section-2.9", "lies within none"));
  // Many offered: the message shows the first four.
  EXPECT_TRUE(Refused(CheckNarrowed(Ts(List("10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5")), Ts(List("10.0.0.6"))),
                      Code::kInvalidSyntax, kNoOffset, "rfc7296#section-2.9",
                      "(10.0.0.1/32, 10.0.0.2/32, 10.0.0.3/32, 10.0.0.4/32, ... (5 in all))"));
}

TEST(CheckNarrowed, RefusesSelectorsWithoutPackets) {
  TrafficSelector label;
  label.ts_type = TsType::kSecLabel;
  label.other = {'s', 0};
  // Even when it was offered: the responder ignores what it does not know (§2.9).
  EXPECT_TRUE(Refused(CheckNarrowed(Ts({label, One("10.0.0.0/8")}), Ts({label})), Code::kInvalidSyntax, kNoOffset,
                      "rfc7296#section-2.9", "answered traffic selector 1 of 1 (TS_SECLABEL"));
  EXPECT_TRUE(Refused(CheckNarrowed(kTsi, Ts({Range("198.51.100.9", "198.51.100.1")})), Code::kInvalidSyntax, kNoOffset,
                      "rfc7296#section-2.9", "is no IPv4 or IPv6 range of packets"));
}

TEST(CheckNarrowed, AcceptsSubsets) {
  EXPECT_TRUE(CheckNarrowed(kTsi, kTsi).ok());
  EXPECT_TRUE(
      CheckNarrowed(Ts(List("10.0.0.0/8, 192.0.2.0/24")), Ts(List("192.0.2.7[tcp/80], 10.1.0.0/16[udp]"))).ok());
  EXPECT_TRUE(CheckNarrowed(Ts(List("10.0.0.0/8")), Ts(List("10.0.0.0/8[tcp/opaque]"))).ok());
}

}  // namespace
}  // namespace ipsecref::ike::sa
