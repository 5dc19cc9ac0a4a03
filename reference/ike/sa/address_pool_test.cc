#include "reference/ike/sa/address_pool.h"

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/bytes/bytes.h"

namespace ipsecref::ike::sa {
namespace {

Bytes V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Bytes{a, b, c, d}; }

std::shared_ptr<AddressPool> Pool(std::string_view addrs) {
  auto pool = AddressPool::Create("rw", addrs);
  EXPECT_TRUE(pool.ok()) << (pool.ok() ? "" : pool.error().ToString());
  return pool.ok() ? *pool : nullptr;
}

// strongSwan serves a subnet without its network and broadcast addresses
// and a range whole (src/libcharon/attributes/mem_pool.c, mem_pool_create
// and mem_pool_create_range): 10.3.0.0/29 gives .1 to .6.
TEST(AddressPool, SubnetWithoutNetworkAndBroadcastRangeWhole) {
  auto subnet = Pool("10.3.0.0/29");
  EXPECT_EQ(subnet->size(), 6u);
  EXPECT_FALSE(subnet->Contains(V4(10, 3, 0, 0)));
  EXPECT_TRUE(subnet->Contains(V4(10, 3, 0, 1)));
  EXPECT_TRUE(subnet->Contains(V4(10, 3, 0, 6)));
  EXPECT_FALSE(subnet->Contains(V4(10, 3, 0, 7)));
  EXPECT_EQ(subnet->Acquire("a"), V4(10, 3, 0, 1));
  EXPECT_EQ(subnet->Acquire("b"), V4(10, 3, 0, 2));

  auto range = Pool("10.3.0.250-10.3.1.2");
  EXPECT_EQ(range->size(), 9u);
  EXPECT_EQ(range->Acquire("a"), V4(10, 3, 0, 250));
  EXPECT_TRUE(range->Contains(V4(10, 3, 1, 2)));
  EXPECT_FALSE(range->Contains(V4(10, 3, 1, 3)));

  // Two addresses or one: served whole.
  EXPECT_EQ(Pool("10.3.0.8/31")->size(), 2u);
  EXPECT_EQ(Pool("10.3.0.8/32")->size(), 1u);

  auto v6 = Pool("2001:db8:1::/125");
  EXPECT_EQ(v6->family_size(), 16u);
  EXPECT_EQ(v6->size(), 6u);
  EXPECT_EQ(v6->Acquire("a"), *FromHex("20010db8000100000000000000000001"));
}

TEST(AddressPool, BadDefinitionsNamePoolAndReason) {
  auto error = [](std::string_view addrs, std::vector<Bytes> dns = {}) {
    auto p = AddressPool::Create("rw", addrs, std::move(dns));
    return p.ok() ? std::string("accepted") : p.error().ToString();
  };
  EXPECT_NE(error("10.3.0.0/33").find("pool rw: addrs"), std::string::npos);
  EXPECT_NE(error("10.3.0.9-10.3.0.1").find("pool rw: addrs"), std::string::npos);
  EXPECT_NE(error("dynamic").find("pool rw: addrs"), std::string::npos);
  EXPECT_NE(error("10.3.0.0/24[tcp]").find("not one subnet or range"), std::string::npos);
  EXPECT_NE(error("10.3.0.0/24, 10.4.0.0/24").find("not one subnet or range"), std::string::npos);
  EXPECT_NE(error("10.0.0.0/7").find("more than 16777216 addresses"), std::string::npos);
  EXPECT_NE(error("2001:db8::/64").find("more than 16777216 addresses"), std::string::npos);
  EXPECT_NE(error("10.3.0.0/24", {Bytes(5, 1)}).find("DNS server of 5 bytes"), std::string::npos);
  EXPECT_EQ(error("10.0.0.0/8"), "accepted");
}

TEST(AddressPool, AReconnectingIdentityGetsItsAddressBack) {
  auto pool = Pool("10.3.0.0/29");
  const Bytes a = *pool->Acquire("carol@example.org");
  const Bytes b = *pool->Acquire("dave@example.org");
  EXPECT_NE(a, b);
  pool->Release("carol@example.org", a);
  EXPECT_EQ(pool->Acquire("eve@example.org"), V4(10, 3, 0, 3));  // a never-used one, not carol's
  EXPECT_EQ(pool->Acquire("carol@example.org"), a);
  // A second IKE SA of the same identity (a reauthentication) shares it.
  EXPECT_EQ(pool->Acquire("carol@example.org"), a);
  pool->Release("carol@example.org", a);
  auto leases = pool->Leases();
  ASSERT_EQ(leases.size(), 3u);
  EXPECT_EQ(leases[0].identity, "carol@example.org");
  EXPECT_EQ(leases[0].holders, 1u);
}

TEST(AddressPool, ARequestedAddressIsGivenWhenFree) {
  auto pool = Pool("10.3.0.0/29");
  EXPECT_EQ(pool->Acquire("a", V4(10, 3, 0, 5)), V4(10, 3, 0, 5));
  // Taken by a, online: b gets a never-used one instead, in order, and the
  // order skips the one handed out on request.
  EXPECT_EQ(pool->Acquire("b", V4(10, 3, 0, 5)), V4(10, 3, 0, 1));
  for (uint8_t i = 2; i <= 4; ++i) EXPECT_EQ(pool->Acquire(std::string(1, char('b' + i))), V4(10, 3, 0, i));
  EXPECT_EQ(pool->Acquire("g"), V4(10, 3, 0, 6));
  // Outside the pool: ignored.
  pool->Release("g", V4(10, 3, 0, 6));
  EXPECT_EQ(pool->Acquire("h", V4(192, 0, 2, 1)), V4(10, 3, 0, 6));
}

TEST(AddressPool, ExhaustedThenTheLongestOfflineLeaseMoves) {
  auto pool = Pool("10.3.0.1-10.3.0.2");
  const Bytes a = *pool->Acquire("a");
  const Bytes b = *pool->Acquire("b");
  EXPECT_EQ(pool->Acquire("c"), std::nullopt);
  pool->Release("b", b);
  pool->Release("a", a);
  EXPECT_EQ(pool->Acquire("c"), b);  // b went offline first
  EXPECT_EQ(pool->Acquire("b"), a);  // b's lease is c's now
  EXPECT_EQ(pool->Acquire("a"), std::nullopt);
  // Releases that hold nothing change nothing.
  pool->Release("a", a);
  pool->Release("c", V4(10, 3, 0, 9));
  EXPECT_EQ(pool->Acquire("a"), std::nullopt);
}

TEST(AddressPool, SharedBySpus) {
  auto pool = Pool("10.0.0.0/16");
  std::vector<std::thread> spus;
  std::vector<std::vector<Bytes>> got(4);
  for (int t = 0; t < 4; ++t)
    spus.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) got[t].push_back(*pool->Acquire(std::to_string(t * 1000 + i)));
    });
  for (auto& s : spus) s.join();
  std::set<Bytes> distinct;
  for (const auto& g : got) distinct.insert(g.begin(), g.end());
  EXPECT_EQ(distinct.size(), 2000u);
}

// A model of the pool's rules, run against random Acquire/Release sequences
// of a few identities on a small pool: no address is held online by two
// identities, an identity that has a lease gets that address, and Acquire
// fails only when every address is held online by someone else.
RC_GTEST_PROP(AddressPoolModel, LeasesFollowTheRules, ()) {
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, 6);
  auto pool = AddressPool::Create("m", "10.9.0.1-10.9.0." + std::to_string(size));
  RC_ASSERT(pool.ok());
  std::map<std::string, Bytes> lease;        // identity -> its address, as the pool says
  std::map<std::string, unsigned> holders;   // identity -> online count
  const int steps = *rc::gen::inRange(1, 60);
  for (int s = 0; s < steps; ++s) {
    const std::string id(1, static_cast<char>('a' + *rc::gen::inRange(0, 5)));
    if (*rc::gen::arbitrary<bool>()) {
      std::optional<Bytes> got = (*pool)->Acquire(id);
      if (!got) {
        size_t busy = 0;
        for (const auto& [other, n] : holders) busy += (other != id && n > 0);
        RC_ASSERT(busy == size);
        continue;
      }
      if (lease.contains(id)) RC_ASSERT(lease[id] == *got);
      for (const auto& [other, address] : lease)
        if (other != id && address == *got) {
          RC_ASSERT(holders[other] == 0u);  // only an offline lease moves
          lease.erase(other);
          break;
        }
      lease[id] = *got;
      ++holders[id];
    } else if (lease.contains(id) && holders[id] > 0) {
      (*pool)->Release(id, lease[id]);
      --holders[id];
    }
  }
  for (const AddressPool::Lease& l : (*pool)->Leases()) RC_ASSERT(l.holders == holders[l.identity]);
}

}  // namespace
}  // namespace ipsecref::ike::sa
