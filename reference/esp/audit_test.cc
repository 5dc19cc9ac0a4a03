#include "reference/esp/audit.h"

#include <gtest/gtest.h>

#include "reference/esp/esp_packet.h"
#include "reference/testing/generators.h"

namespace ipsecref::esp {
namespace {

TEST(Audit, ReplayOverIpv6CarriesTheRfcFields) {
  SaConfig c;
  c.spi = 0xabcd;
  c.encr = iana::Encr::kAesGcm16;
  c.encr_key = SecureBytes(20, 9);
  c.tunnel_src = *FromHex("20010db8000000000000000000000001");
  c.tunnel_dst = *FromHex("20010db8000000000000000000000002");
  auto tx = std::move(Sa::Create(c)).value();
  auto rx = std::move(Sa::Create(c)).value();
  const Bytes inner = testing::MakeIpPacket(4, 1, Bytes(8, 0), 0, Bytes(4, 1), Bytes(4, 2));
  Bytes wire;
  ASSERT_TRUE(Encapsulate(*tx, inner, wire).ok());
  wire[1] = 0x0a;  // outer flow label 0xa1234 (traffic class 0)
  wire[2] = 0x12;
  wire[3] = 0x34;
  SaLookup lookup = [&](uint32_t) { return rx.get(); };
  ASSERT_TRUE(Decapsulate(lookup, wire).ok());
  auto replay = Decapsulate(lookup, wire);
  ASSERT_FALSE(replay.ok());
  auto event = AuditFor(replay.error(), wire);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->code, Code::kReplay);
  EXPECT_EQ(event->spi, 0xabcdu);
  EXPECT_EQ(event->seq, 1u);
  EXPECT_EQ(event->src, c.tunnel_src);
  EXPECT_EQ(event->dst, c.tunnel_dst);
  EXPECT_EQ(event->flow_id, 0xa1234u);
}

TEST(Audit, OnlyTheRfcsAuditableEvents) {
  //= rfc4303#section-2.6
  //# Dummy packets and padding problems are not auditable events.
  const Bytes any(40, 0);
  EXPECT_FALSE(AuditFor(MakeError(Code::kDummyPacket, 0, ""), any).has_value());
  EXPECT_FALSE(AuditFor(MakeError(Code::kBadPadding, 0, ""), any).has_value());
  for (Code c : {Code::kNoSa, Code::kReplay, Code::kStale, Code::kIcvMismatch, Code::kSequenceOverflow})
    EXPECT_TRUE(AuditFor(MakeError(c, 0, ""), any).has_value()) << Describe(c).name;
}

}  // namespace
}  // namespace ipsecref::esp
