// Virtual IPs for remote-access peers (RFC 7296 §2.19, §3.15): a client
// asks in CFG_REQUEST, the gateway leases an address from its pool and
// answers in CFG_REPLY, and the CHILD SA's selectors of the client are that
// address; the failures of §3.15.4 and FAILED_CP_REQUIRED (§3.10.1).
#include <gtest/gtest.h>

#include "reference/ike/sa/exchange_test_util.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/testing/exchange.h"

namespace ipsecref::ike::sa {
namespace {

using testing::Exchange;
using testing::Ladder;
using testing::PskInitiatorConfig;
using testing::PskResponderConfig;

Bytes V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Bytes{a, b, c, d}; }

// A road warrior (`vips = 0.0.0.0`, local_ts = dynamic) and a gateway with
// a pool (remote_ts = dynamic), as swanctl.conf's remote-access examples.
IkeConfig RoadWarrior(std::string_view id = "moon.example", std::vector<Bytes> vips = {Bytes(4, 0)}) {
  IkeConfig c = PskInitiatorConfig();
  c.local_id.identification_data.assign(id.begin(), id.end());
  c.vips = std::move(vips);
  c.children[0].configured_local_ts = *ParseConfiguredSelectors("dynamic");
  c.children[0].remote_ts = *ParseTrafficSelectors("10.2.0.0/16");
  return c;
}
IkeConfig Gateway(std::vector<std::shared_ptr<AddressPool>> pools) {
  IkeConfig c = PskResponderConfig();
  c.remote_id = {};  // any identity
  c.pools = std::move(pools);
  c.children[0].configured_remote_ts = *ParseConfiguredSelectors("dynamic");
  return c;
}
std::shared_ptr<AddressPool> Pool(std::string_view addrs, std::vector<Bytes> dns = {}) {
  return *AddressPool::Create("rw", addrs, std::move(dns));
}

const Message* Built(const testing::Recorder& r, iana::ExchangeType exchange) {
  for (const Message& m : r.built)
    if (m.header.exchange_type == exchange) return &m;
  return nullptr;
}

TEST(VirtualIp, AssignedFromThePoolAndUsedAsTheClientsSelector) {
  auto pool = Pool("10.3.0.0/28", {V4(10, 2, 0, 53)});
  Exchange x(RoadWarrior(), Gateway({pool}));
  const uint64_t spi = x.Establish();
  IkeSa* i = x.initiator().Find(spi);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(i && r);
  // §2.19: CP(CFG_REQUEST) in the request, CP(CFG_REPLY) in the response.
  const Message* request = Built(x.initiator_log(), iana::ExchangeType::kIkeAuth);
  const Message* response = Built(x.responder_log(), iana::ExchangeType::kIkeAuth);
  ASSERT_TRUE(request && response);
  EXPECT_EQ(Ladder(*request), "IKE_AUTH request { IDi IDr AUTH CP N(INITIAL_CONTACT) SA TSi TSr }");
  EXPECT_EQ(Ladder(*response), "IKE_AUTH response { IDr AUTH CP SA TSi TSr }");
  const CpPayload* asked = exchange_testing::BodyIn<CpPayload>(*request);
  ASSERT_NE(asked, nullptr);
  EXPECT_EQ(asked->cfg_type, iana::CfgType::kRequest);
  // An empty INTERNAL_IP4_ADDRESS (any address) and INTERNAL_IP4_DNS (§3.15.1).
  EXPECT_EQ(asked->attributes, (std::vector<CpAttribute>{{1, {}}, {3, {}}}));
  const CpPayload* given = exchange_testing::BodyIn<CpPayload>(*response);
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(given->cfg_type, iana::CfgType::kReply);
  EXPECT_EQ(given->attributes, (std::vector<CpAttribute>{{1, V4(10, 3, 0, 1)}, {3, V4(10, 2, 0, 53)}}));
  EXPECT_EQ(i->local_vips, std::vector<Bytes>{V4(10, 3, 0, 1)});
  EXPECT_EQ(i->dns_servers, std::vector<Bytes>{V4(10, 2, 0, 53)});
  // TSi offered for any address (the client does not know its own yet),
  // narrowed by the gateway to the virtual IP: both ends' CHILD SA.
  const TsPayload* tsi = exchange_testing::BodyIn<TsPayload>(*request);
  ASSERT_NE(tsi, nullptr);
  EXPECT_EQ(FormatTrafficSelector(tsi->traffic_selectors.at(0)), "0.0.0.0/0");
  ASSERT_EQ(i->children.size(), 1u);
  ASSERT_EQ(r->children.size(), 1u);
  EXPECT_EQ(FormatTrafficSelector(i->children[0].local_ts.at(0)), "10.3.0.1/32");
  EXPECT_EQ(FormatTrafficSelector(r->children[0].remote_ts.at(0)), "10.3.0.1/32");
  EXPECT_EQ(pool->Leases().at(0).identity, "moon.example");
  EXPECT_EQ(pool->Leases().at(0).holders, 1u);
}

TEST(VirtualIp, ReleasedWithTheIkeSaAndGivenBackOnReconnect) {
  auto pool = Pool("10.3.0.0/28");
  {
    Exchange carol(RoadWarrior("carol.example"), Gateway({pool}));
    const uint64_t spi = carol.Establish();
    ASSERT_NE(spi, 0u);
    EXPECT_EQ(carol.initiator().Find(spi)->local_vips, std::vector<Bytes>{V4(10, 3, 0, 1)});
    ASSERT_TRUE(carol.initiator().DeleteIke(spi).ok());
    carol.Settle(exchange_testing::kQuiescence);
    EXPECT_EQ(pool->Leases().at(0).holders, 0u);  // offline, still carol's
  }
  Exchange dave(RoadWarrior("dave.example"), Gateway({pool}));
  EXPECT_EQ(dave.initiator().Find(dave.Establish())->local_vips, std::vector<Bytes>{V4(10, 3, 0, 2)});
  Exchange again(RoadWarrior("carol.example"), Gateway({pool}));
  EXPECT_EQ(again.initiator().Find(again.Establish())->local_vips, std::vector<Bytes>{V4(10, 3, 0, 1)});
}

TEST(VirtualIp, ARequestedAddressAndAnIpv6One) {
  auto v4 = Pool("10.3.0.0/28");
  auto v6 = Pool("2001:db8:3::/120");
  const Bytes wanted = V4(10, 3, 0, 9);
  const Bytes any6(16, 0);
  Exchange x(RoadWarrior("moon.example", {wanted, any6}), Gateway({v4, v6}));
  IkeSa* i = x.initiator().Find(x.Establish());
  ASSERT_NE(i, nullptr);
  const Bytes first6 = *FromHex("20010db8000300000000000000000001");
  EXPECT_EQ(i->local_vips, (std::vector<Bytes>{wanted, first6}));
  const CpPayload* asked = exchange_testing::BodyIn<CpPayload>(*Built(x.initiator_log(), iana::ExchangeType::kIkeAuth));
  ASSERT_NE(asked, nullptr);
  // The wanted address as the value (§3.15.1); IPv6 with a prefix length.
  EXPECT_EQ(asked->attributes.at(0), (CpAttribute{1, wanted}));
  EXPECT_EQ(asked->attributes.at(1), (CpAttribute{8, {}}));
  const CpPayload* given =
      exchange_testing::BodyIn<CpPayload>(*Built(x.responder_log(), iana::ExchangeType::kIkeAuth));
  Bytes with_prefix = first6;
  with_prefix.push_back(64);
  EXPECT_EQ(given->attributes.at(1), (CpAttribute{8, with_prefix}));
  // Both families in the CHILD SA's selectors of the client.
  ASSERT_EQ(i->children.size(), 1u);
  EXPECT_EQ(i->children[0].local_ts.size(), 2u);
}

//= rfc7296#section-3.15.4
//# No address to give: INTERNAL_ADDRESS_FAILURE, the IKE SA up on both
//# ends, no CHILD SA.
TEST(VirtualIp, ExhaustedPoolAnswersInternalAddressFailure) {
  auto pool = Pool("10.3.0.1-10.3.0.1");
  ASSERT_TRUE(pool->Acquire("someone else").has_value());
  Exchange x(RoadWarrior(), Gateway({pool}));
  const uint64_t spi = x.Establish();
  IkeSa* i = x.initiator().Find(spi);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(i && r);
  EXPECT_EQ(i->state, IkeState::kEstablished);
  EXPECT_EQ(r->state, IkeState::kEstablished);
  EXPECT_TRUE(i->children.empty());
  EXPECT_TRUE(r->children.empty());
  EXPECT_TRUE(i->local_vips.empty());
  const Message* response = Built(x.responder_log(), iana::ExchangeType::kIkeAuth);
  EXPECT_EQ(Ladder(*response), "IKE_AUTH response { IDr AUTH N(INTERNAL_ADDRESS_FAILURE) }");
  // A gateway without pools cannot give one either.
  Exchange none(RoadWarrior(), Gateway({}));
  none.Establish();
  EXPECT_EQ(Ladder(*Built(none.responder_log(), iana::ExchangeType::kIkeAuth)),
            "IKE_AUTH response { IDr AUTH N(INTERNAL_ADDRESS_FAILURE) }");
}

//= rfc7296#section-3.10.1
//# A connection that hands out addresses expects a CFG_REQUEST: without
//# one, FAILED_CP_REQUIRED.
TEST(VirtualIp, NoRequestToAGatewayWithPoolsIsFailedCpRequired) {
  auto pool = Pool("10.3.0.0/28");
  IkeConfig site = PskInitiatorConfig();
  Exchange x(site, Gateway({pool}));
  const uint64_t spi = x.Establish();
  IkeSa* i = x.initiator().Find(spi);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->state, IkeState::kEstablished);
  EXPECT_TRUE(i->children.empty());
  EXPECT_EQ(Ladder(*Built(x.responder_log(), iana::ExchangeType::kIkeAuth)),
            "IKE_AUTH response { IDr AUTH N(FAILED_CP_REQUIRED) }");
  EXPECT_TRUE(pool->Leases().empty());
}

//= rfc7296#section-2.8
//# A rekeyed IKE SA carries on the old one's state: the lease stays held
//# once the old IKE SA is deleted.
TEST(VirtualIp, TheLeaseOutlivesAnIkeSaRekey) {
  auto pool = Pool("10.3.0.0/28");
  Exchange x(RoadWarrior(), Gateway({pool}));
  const uint64_t spi = x.Establish();
  ASSERT_TRUE(x.initiator().RekeyIke(spi).ok());
  x.Settle(exchange_testing::kQuiescence);
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->remote_vips.size(), 1u);
  EXPECT_EQ(pool->Leases().at(0).holders, 1u);
  ASSERT_TRUE(x.responder().DeleteIke(r->local_spi()).ok());
  x.Settle(exchange_testing::kQuiescence);
  EXPECT_EQ(pool->Leases().at(0).holders, 0u);
}

}  // namespace
}  // namespace ipsecref::ike::sa
