// The SPD's order and lookups (RFC 4301 §4.4.1, §5.2).
#include "reference/spd/spd.h"

#include <gtest/gtest.h>

namespace ipsecref::spd {
namespace {

const Bytes kLocal = {10, 1, 0, 7};
const Bytes kRemote = {10, 2, 0, 5};

Selector Sel(const AddressRange& local, const AddressRange& remote, uint8_t protocol = 0,
             PortRange local_ports = PortRange::Any(), PortRange remote_ports = PortRange::Any()) {
  return Selector{local, remote, protocol, local_ports, remote_ports};
}

Policy Make(std::string name, Selector s, Action action, uint32_t priority = kDefaultPriority, uint64_t sa_id = 0) {
  return Policy{std::move(name), {std::move(s)}, action, priority, sa_id};
}

const PacketSelectors kTcp80{kLocal, kRemote, 6, 40000, 80, true};
const PacketSelectors kTcp22{kLocal, kRemote, 6, 40000, 22, true};

//= rfc4301#section-4.4.1
//# Ordered, first match: a narrower entry added after a wider one still
//# decides first when their default order puts it first.
TEST(Spd, OutboundFirstMatchInOrder) {
  Spd spd;
  ASSERT_TRUE(spd.Add(Make("site", Sel(PrefixRange(kLocal, 8), AnyAddress(4)), Action::kProtect, 0, 7)).ok());
  ASSERT_TRUE(spd.Add(Make("web-bypass", Sel(PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 6,
                                             PortRange::Any(), PortRange::Single(80)),
                           Action::kBypass))
                  .ok());
  const Policy* web = spd.LookupOutbound(kTcp80);
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->name, "web-bypass");
  EXPECT_EQ(web->action, Action::kBypass);
  const Policy* ssh = spd.LookupOutbound(kTcp22);
  ASSERT_NE(ssh, nullptr);
  EXPECT_EQ(ssh->name, "site");
  EXPECT_EQ(ssh->action, Action::kProtect);
  EXPECT_EQ(ssh->sa_id, 7u);
  // Nothing for 192.0.2.1: the caller decides.
  EXPECT_EQ(spd.LookupOutbound({{192, 0, 2, 1}, kRemote, 6, 1, 2, true}), nullptr);
}

TEST(Spd, ExplicitPriorityThenInsertionOrder) {
  Spd spd;
  ASSERT_TRUE(spd.Add(Make("narrow", Sel(HostRange(kLocal), HostRange(kRemote), 6), Action::kProtect)).ok());
  ASSERT_TRUE(spd.Add(Make("first-10", Sel(AnyAddress(4), AnyAddress(4)), Action::kDiscard, 10)).ok());
  ASSERT_TRUE(spd.Add(Make("second-10", Sel(AnyAddress(4), AnyAddress(4)), Action::kBypass, 10)).ok());
  ASSERT_TRUE(spd.Add(Make("first-5", Sel(PrefixRange(kLocal, 16), AnyAddress(4)), Action::kBypass, 5)).ok());
  std::vector<std::string> names;
  for (const Policy* p : spd.Ordered()) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"first-5", "first-10", "second-10", "narrow"}));
  EXPECT_EQ(spd.LookupOutbound(kTcp80)->name, "first-5");
  ASSERT_TRUE(spd.Remove("first-5").ok());
  EXPECT_EQ(spd.LookupOutbound(kTcp80)->name, "first-10");
  EXPECT_EQ(spd.LookupOutbound(kTcp80)->action, Action::kDiscard);
}

//= ipsecref#choice
//# A negotiated SA's policy (newest_first) goes before the equal ones
//# already there, never before a lower priority; removing it gives the
//# traffic back to the older one.
TEST(Spd, NewestFirstAmongEqualPriorities) {
  Spd spd;
  ASSERT_TRUE(spd.Add(Make("priority-5", Sel(PrefixRange(kLocal, 16), AnyAddress(4)), Action::kBypass, 5)).ok());
  Policy older = Make("child-1", Sel(HostRange(kLocal), HostRange(kRemote)), Action::kProtect, 0, 1);
  older.newest_first = true;
  ASSERT_TRUE(spd.Add(std::move(older)).ok());
  Policy newer = Make("child-2", Sel(HostRange(kLocal), HostRange(kRemote)), Action::kProtect, 0, 2);
  newer.newest_first = true;
  ASSERT_TRUE(spd.Add(std::move(newer)).ok());
  ASSERT_TRUE(spd.Add(Make("configured", Sel(HostRange(kLocal), HostRange(kRemote)), Action::kDiscard)).ok());
  std::vector<std::string> names;
  for (const Policy* p : spd.Ordered()) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"priority-5", "child-2", "child-1", "configured"}));
  ASSERT_TRUE(spd.Remove("priority-5").ok());
  EXPECT_EQ(spd.LookupOutbound(kTcp80)->sa_id, 2u);
  ASSERT_TRUE(spd.Remove("child-2").ok());
  EXPECT_EQ(spd.LookupOutbound(kTcp80)->sa_id, 1u);
}

//= ipsecref#choice
//# Default priority: 2048 minus 4 per fixed address bit, 2 for a protocol,
//# 1 for ports narrower than ANY, of the widest selector set.
TEST(Spd, DefaultPriorityFromSpecificity) {
  // /16 and /16, TCP, port 80: 4 * 32 + 2 + 1 = 131.
  EXPECT_EQ(DefaultPriority(Make("a", Sel(PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 6,
                                          PortRange::Single(80)),
                                 Action::kProtect)),
            2048u - 131u);
  EXPECT_EQ(DefaultPriority(Make("any", Sel(AnyAddress(4), AnyAddress(4)), Action::kProtect)), 2048u);
  // 10.0.0.1-10.0.0.9 shares 28 leading bits; /32 fixes 32: 4 * 60 = 240.
  EXPECT_EQ(DefaultPriority(Make("r", Sel(AddressRange{{10, 0, 0, 1}, {10, 0, 0, 9}}, HostRange(kRemote)),
                                 Action::kProtect)),
            2048u - 240u);
  // The widest of several selector sets counts.
  Policy two = Make("two", Sel(HostRange(kLocal), HostRange(kRemote)), Action::kProtect);
  two.selectors.push_back(Sel(AnyAddress(4), HostRange(kRemote)));
  EXPECT_EQ(DefaultPriority(two), 2048u - 128u);
}

TEST(Spd, AddRefusesDuplicatesAndBadPolicies) {
  Spd spd;
  ASSERT_TRUE(spd.Add(Make("p", Sel(AnyAddress(4), AnyAddress(4)), Action::kProtect)).ok());
  Status duplicate = spd.Add(Make("p", Sel(AnyAddress(16), AnyAddress(16)), Action::kBypass));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, Code::kInvalidArgument);
  EXPECT_NE(duplicate.error().detail.find("\"p\""), std::string::npos);
  EXPECT_EQ(spd.size(), 1u);

  Status unnamed = spd.Add(Make("", Sel(AnyAddress(4), AnyAddress(4)), Action::kProtect));
  EXPECT_EQ(unnamed.error().code, Code::kInvalidArgument);
  Status empty = spd.Add(Policy{"empty", {}, Action::kBypass, 0, 0});
  EXPECT_EQ(empty.error().code, Code::kInvalidArgument);
  Policy mixed = Make("mixed", Sel(AnyAddress(4), AnyAddress(4)), Action::kProtect);
  mixed.selectors.push_back(Sel(AnyAddress(4), AnyAddress(16)));
  Status bad = spd.Add(mixed);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("policy \"mixed\", selector set 2"), std::string::npos) << bad.error().detail;
  EXPECT_EQ(spd.size(), 1u);

  Status absent = spd.Remove("absent");
  EXPECT_EQ(absent.error().code, Code::kInvalidArgument);
  EXPECT_NE(spd.Find("p"), nullptr);
  EXPECT_EQ(spd.Find("absent"), nullptr);
}

//= rfc4301#section-5.2
//# Unprotected inbound traffic is looked up in SPD-I: BYPASS lets it in,
//# DISCARD drops it; no SA is made for traffic a PROTECT entry holds.
TEST(Spd, InboundLookup) {
  Spd spd;
  // IKE to this gateway (local port 500) bypasses IPsec.
  ASSERT_TRUE(spd.Add(Make("ike", Sel(HostRange(kLocal), AnyAddress(4), 17, PortRange::Single(500)),
                           Action::kBypass, 1))
                  .ok());
  ASSERT_TRUE(spd.Add(Make("telnet", Sel(PrefixRange(kLocal, 16), AnyAddress(4), 6, PortRange::Single(23)),
                           Action::kDiscard, 2))
                  .ok());
  ASSERT_TRUE(spd.Add(Make("tunnel", Sel(PrefixRange(kLocal, 16), PrefixRange(kRemote, 16)), Action::kProtect, 3, 9))
                  .ok());

  const PacketSelectors ike{kRemote, kLocal, 17, 500, 500, true};
  EXPECT_EQ(spd.LookupInbound(ike)->action, Action::kBypass);
  // Outbound, the same packet's local side would be 10.2.0.5: no policy.
  EXPECT_EQ(spd.LookupOutbound(ike), nullptr);
  const PacketSelectors telnet{{192, 0, 2, 9}, kLocal, 6, 40000, 23, true};
  EXPECT_EQ(spd.LookupInbound(telnet)->action, Action::kDiscard);
  const PacketSelectors cleartext{kRemote, kLocal, 6, 40000, 80, true};
  const Policy* should_be_protected = spd.LookupInbound(cleartext);
  ASSERT_NE(should_be_protected, nullptr);
  EXPECT_EQ(should_be_protected->action, Action::kProtect);
  EXPECT_EQ(spd.LookupInbound({{192, 0, 2, 9}, kLocal, 6, 40000, 80, true}), nullptr);
}

//= rfc4301#section-7.1
//# A non-initial fragment matches the entries whose ports are ANY, not one
//# that names a port.
TEST(Spd, NonInitialFragmentSkipsPortPolicies) {
  Spd spd;
  ASSERT_TRUE(spd.Add(Make("web", Sel(PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 6, PortRange::Any(),
                                      PortRange::Single(80)),
                           Action::kBypass, 1))
                  .ok());
  ASSERT_TRUE(
      spd.Add(Make("tcp", Sel(PrefixRange(kLocal, 16), PrefixRange(kRemote, 16), 6), Action::kProtect, 2)).ok());
  EXPECT_EQ(spd.LookupOutbound(kTcp80)->name, "web");
  EXPECT_EQ(spd.LookupOutbound({kLocal, kRemote, 6, 0, 0, false})->name, "tcp");
}

TEST(Spd, ActionNames) {
  EXPECT_EQ(ActionName(Action::kProtect), "protect");
  EXPECT_EQ(ActionName(Action::kBypass), "bypass");
  EXPECT_EQ(ActionName(Action::kDiscard), "discard");
}

}  // namespace
}  // namespace ipsecref::spd
