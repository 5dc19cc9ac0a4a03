// The inbound SAD and the inbound policy check (RFC 4301 §4.4.2, §5.2).
#include "reference/spd/sad.h"

#include <gtest/gtest.h>

namespace ipsecref::spd {
namespace {

using iana::IpProtocol;

const Bytes kLocal = {10, 1, 0, 7};
const Bytes kRemote = {10, 2, 0, 5};

InboundSa Sa(uint64_t id, std::string policy) {
  const Selector nets{PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 0, PortRange::Any(), PortRange::Any()};
  return InboundSa{id, std::move(policy), {nets}};
}

TEST(Sad, AddFindRemove) {
  Sad sad;
  ASSERT_TRUE(sad.Add(IpProtocol::kEsp, 0xc1a2b3d4, Sa(1, "net-net")).ok());
  ASSERT_TRUE(sad.Add(IpProtocol::kAh, 0xc1a2b3d4, Sa(2, "ah")).ok());  // another protocol, same SPI
  EXPECT_EQ(sad.size(), 2u);
  const InboundSa* esp = sad.Find(IpProtocol::kEsp, 0xc1a2b3d4);
  ASSERT_NE(esp, nullptr);
  EXPECT_EQ(esp->sa_id, 1u);
  EXPECT_EQ(esp->policy, "net-net");
  EXPECT_EQ(sad.Find(IpProtocol::kAh, 0xc1a2b3d4)->sa_id, 2u);
  EXPECT_EQ(sad.Find(IpProtocol::kEsp, 0xc1a2b3d5), nullptr);

  ASSERT_TRUE(sad.Remove(IpProtocol::kEsp, 0xc1a2b3d4).ok());
  EXPECT_EQ(sad.Find(IpProtocol::kEsp, 0xc1a2b3d4), nullptr);
  EXPECT_NE(sad.Find(IpProtocol::kAh, 0xc1a2b3d4), nullptr);
  Status again = sad.Remove(IpProtocol::kEsp, 0xc1a2b3d4);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Code::kNoSa);
}

TEST(Sad, DuplicateSpiRefused) {
  Sad sad;
  ASSERT_TRUE(sad.Add(IpProtocol::kEsp, 0x1000, Sa(1, "a")).ok());
  Status duplicate = sad.Add(IpProtocol::kEsp, 0x1000, Sa(2, "b"));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, Code::kInvalidArgument);
  EXPECT_NE(duplicate.error().detail.find("0x00001000"), std::string::npos) << duplicate.error().detail;
  EXPECT_NE(duplicate.error().detail.find("\"a\""), std::string::npos) << duplicate.error().detail;
  EXPECT_EQ(sad.Find(IpProtocol::kEsp, 0x1000)->sa_id, 1u);
}

//= rfc4303#section-2.1
//# SPIs 0-255 are reserved and name no SA.
TEST(Sad, ReservedSpiAndOtherProtocolsRefused) {
  Sad sad;
  Status reserved = sad.Add(IpProtocol::kEsp, 255, Sa(1, "a"));
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().code, Code::kBadSpi);
  EXPECT_EQ(reserved.error().requirement, "rfc4303#section-2.1");
  EXPECT_EQ(sad.Add(IpProtocol::kAh, 0, Sa(1, "a")).error().requirement, "rfc4302#section-2.4");
  EXPECT_TRUE(sad.Add(IpProtocol::kEsp, 256, Sa(1, "a")).ok());
  Status udp = sad.Add(IpProtocol::kUdp, 0x1000, Sa(1, "a"));
  ASSERT_FALSE(udp.ok());
  EXPECT_EQ(udp.error().code, Code::kInvalidArgument);
}

//= rfc4301#section-5.2
//# After decryption the packet must lie in the SA's selectors, seen from
//# this side (its destination local); otherwise it is discarded, audited.
TEST(CheckInbound, PassAndFail) {
  const std::vector<Selector> selectors = {
      Selector{PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 6, PortRange::Single(80), PortRange::Any()},
      Selector{PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 1, PortRange::Any(), PortRange::IcmpType(8)}};
  EXPECT_TRUE(CheckInbound(selectors, {kRemote, kLocal, 6, 40000, 80, true}).ok());
  EXPECT_TRUE(CheckInbound(selectors, {kRemote, kLocal, 1, 0x0800, 0, true}).ok());

  Status spoofed = CheckInbound(selectors, {{10, 3, 0, 5}, kLocal, 6, 40000, 80, true});
  ASSERT_FALSE(spoofed.ok());
  EXPECT_EQ(spoofed.error().code, Code::kPolicyMismatch);
  EXPECT_TRUE(Describe(spoofed.error().code).auditable);
  EXPECT_EQ(spoofed.error().requirement, "rfc4301#section-5.2");
  EXPECT_EQ(spoofed.error().detail,
            "inner packet 10.3.0.5[tcp/40000] -> 10.1.0.7[tcp/80] is not one the SA carries: it allows "
            "10.1.0.0/16[tcp/80] === 10.2.0.0/16, 10.1.0.0/16[icmp] === 10.2.0.0/16[icmp/8-2303]");
  // The right addresses, the wrong port, or the outbound direction.
  EXPECT_EQ(CheckInbound(selectors, {kRemote, kLocal, 6, 40000, 443, true}).error().code, Code::kPolicyMismatch);
  EXPECT_FALSE(CheckInbound(selectors, {kLocal, kRemote, 6, 80, 40000, true}).ok());
  // An echo reply (type 0) the peer may not send.
  EXPECT_FALSE(CheckInbound(selectors, {kRemote, kLocal, 1, 0x0000, 0, true}).ok());
  EXPECT_FALSE(CheckInbound({}, {kRemote, kLocal, 6, 40000, 80, true}).ok());
}

}  // namespace
}  // namespace ipsecref::spd
