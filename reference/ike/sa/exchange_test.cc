// Two reference peers in memory, exchange by exchange, read as the RFC's
// ladders (strongSwan's src/libcharon/tests/suites/test_*.c are the model).
// What the tests check is what RFC 7296 says each end must end up with:
// states, SPIs that pair up crosswise, keys that agree, the payloads of
// each message.
#include <gtest/gtest.h>

#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/testing/exchange.h"

namespace ipsecref::ike::sa {
namespace {

using testing::Exchange;
using testing::Ladder;
using testing::PskInitiatorConfig;
using testing::PskResponderConfig;

// The two ends of one CHILD SA agree: SPIs crosswise, keys crosswise,
// transforms and selectors mirrored.
void ExpectPaired(const ChildSa& a, const ChildSa& b) {
  EXPECT_EQ(a.spi_in, b.spi_out);
  EXPECT_EQ(a.spi_out, b.spi_in);
  EXPECT_EQ(a.suite, b.suite);
  EXPECT_EQ(a.encr_out(), b.encr_in());
  EXPECT_EQ(a.integ_out(), b.integ_in());
  EXPECT_EQ(a.encr_in(), b.encr_out());
  EXPECT_EQ(a.local_ts, b.remote_ts);
  EXPECT_EQ(a.remote_ts, b.local_ts);
  EXPECT_EQ(a.transport_mode, b.transport_mode);
  EXPECT_FALSE(a.encr_out().empty());
}

// The two ends of one IKE SA agree on SPIs, keys and CHILD SAs.
void ExpectPaired(const IkeSa& a, const IkeSa& b) {
  EXPECT_EQ(a.spi_i, b.spi_i);
  EXPECT_EQ(a.spi_r, b.spi_r);
  EXPECT_NE(a.role, b.role);
  EXPECT_EQ(a.keys.sk_d, b.keys.sk_d);
  EXPECT_EQ(a.keys.sk_ei, b.keys.sk_ei);
  EXPECT_EQ(a.keys.sk_er, b.keys.sk_er);
  ASSERT_EQ(a.children.size(), b.children.size());
  for (const ChildSa& c : a.children) {
    const ChildSa* other = nullptr;
    for (const ChildSa& d : b.children)
      if (d.spi_in == c.spi_out) other = &d;
    ASSERT_NE(other, nullptr) << "no peer half for CHILD SA " << c.spi_in;
    ExpectPaired(c, *other);
  }
}

std::vector<std::string> Ladders(const testing::Recorder& r) {
  std::vector<std::string> out;
  for (const Message& m : r.built) out.push_back(Ladder(m));
  return out;
}

TEST(ExchangeTest, EstablishesIkeSaWithFirstChildSa) {
  Exchange x(PskInitiatorConfig(), PskResponderConfig());
  const uint64_t spi = x.Establish();
  ASSERT_NE(spi, 0u);
  IkeSa* i = x.initiator().Find(spi);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(i->state, IkeState::kEstablished);
  EXPECT_EQ(r->state, IkeState::kEstablished);
  ASSERT_EQ(i->children.size(), 1u);
  ExpectPaired(*i, *r);
  // RFC 7296 §1.2: the initial exchanges, as each end built them.
  EXPECT_EQ(Ladders(x.initiator_log()),
            (std::vector<std::string>{
                "IKE_SA_INIT request { SA KE Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
                "N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(CHILDLESS_IKEV2_SUPPORTED) }",
                "IKE_AUTH request { IDi IDr AUTH N(INITIAL_CONTACT) SA TSi TSr }"}));
  EXPECT_EQ(Ladders(x.responder_log()),
            (std::vector<std::string>{
                "IKE_SA_INIT response { SA KE Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
                "N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(CHILDLESS_IKEV2_SUPPORTED) }",
                "IKE_AUTH response { IDr AUTH SA TSi TSr }"}));
}

}  // namespace
}  // namespace ipsecref::ike::sa
