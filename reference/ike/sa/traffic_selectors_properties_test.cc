// Properties of traffic selectors as sets of packets (RFC 7296 §2.9,
// §3.13.1): Intersection is the set intersection, checked packet by packet
// against a membership test written here apart from the code; Contains is
// the subset relation; Intersect is commutative on sets, holds only what both
// lists hold and all of it, without redundancy; a responder's narrowing
// passes the initiator's check; and the syntax writes back what it reads.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "reference/ike/sa/traffic_selectors.h"
#include "reference/testing/ike_generators.h"

namespace ipsecref::ike::sa {
namespace {

using iana::TsType;

// Selectors over a small universe, so that they overlap often: addresses
// 10.0.0.0-10.0.0.15 or 2001:db8::-2001:db8::f, a few protocols, ports
// 0-8 besides ANY and OPAQUE.
Bytes Address(bool v6, uint8_t last) {
  Bytes a = v6 ? Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} : Bytes{10, 0, 0, 0};
  a.back() = last;
  return a;
}

rc::Gen<TrafficSelector> GenSmallSelector() {
  return rc::gen::exec([] {
    TrafficSelector ts;
    const bool v6 = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
    ts.ts_type = v6 ? TsType::kIpv6AddrRange : TsType::kIpv4AddrRange;
    uint8_t a = *rc::gen::inRange<uint8_t>(0, 16), b = *rc::gen::inRange<uint8_t>(0, 16);
    if (b < a) std::swap(a, b);
    ts.starting_address = Address(v6, a);
    ts.ending_address = Address(v6, b);
    ts.ip_protocol_id = *rc::gen::element<uint8_t>(0, 0, 6, 17, 1);
    switch (*rc::gen::inRange(0, 4)) {
      case 0: break;  // ANY
      case 1:
        ts.start_port = 65535;  // OPAQUE
        ts.end_port = 0;
        break;
      default: {
        uint16_t p = *rc::gen::inRange<uint16_t>(0, 9), q = *rc::gen::inRange<uint16_t>(0, 9);
        ts.start_port = std::min(p, q);
        ts.end_port = std::max(p, q);
      }
    }
    return ts;
  });
}

rc::Gen<std::vector<TrafficSelector>> GenSmallList(size_t min = 0) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(min, 6), [](size_t n) {
    return rc::gen::container<std::vector<TrafficSelector>>(n, GenSmallSelector());
  });
}

// A packet of the same universe: its family, address, protocol and port, or
// no port at all (OPAQUE: a fragment, or a protocol without ports).
struct Packet {
  bool v6 = false;
  Bytes address;
  uint8_t protocol = 0;
  std::optional<uint16_t> port;
};

rc::Gen<Packet> GenPacket() {
  return rc::gen::exec([] {
    Packet p;
    p.v6 = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
    p.address = Address(p.v6, *rc::gen::inRange<uint8_t>(0, 16));
    p.protocol = *rc::gen::element<uint8_t>(6, 17, 1, 50);
    if (*rc::gen::weightedElement<bool>({{5, true}, {1, false}}))
      p.port = *rc::gen::element<uint16_t>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 65535);
    return p;
  });
}

//= rfc4301#section-4.4.1
//# ANY matches every value and a missing one; OPAQUE only a missing one.
bool Holds(const TrafficSelector& ts, const Packet& p) {
  if (!HoldsPackets(ts)) return false;
  if (ts.ts_type != (p.v6 ? TsType::kIpv6AddrRange : TsType::kIpv4AddrRange)) return false;
  if (p.address < ts.starting_address || ts.ending_address < p.address) return false;
  if (ts.ip_protocol_id != 0 && ts.ip_protocol_id != p.protocol) return false;
  const bool any = ts.start_port == 0 && ts.end_port == 65535;
  const bool opaque = ts.start_port == 65535 && ts.end_port == 0;
  if (!p.port) return any || opaque;
  return !opaque && ts.start_port <= *p.port && *p.port <= ts.end_port;
}

bool HeldByOne(const std::vector<TrafficSelector>& list, const Packet& p) {
  return std::any_of(list.begin(), list.end(), [&](const TrafficSelector& ts) { return Holds(ts, p); });
}

bool SameSet(const std::vector<TrafficSelector>& a, const std::vector<TrafficSelector>& b) {
  auto within = [](const std::vector<TrafficSelector>& x, const std::vector<TrafficSelector>& y) {
    return std::all_of(x.begin(), x.end(),
                       [&](const TrafficSelector& t) { return std::find(y.begin(), y.end(), t) != y.end(); });
  };
  return a.size() == b.size() && within(a, b) && within(b, a);
}

RC_GTEST_PROP(TrafficSelectorProperties, IntersectionIsTheSetIntersection, ()) {
  const TrafficSelector a = *GenSmallSelector(), b = *GenSmallSelector();
  const std::optional<TrafficSelector> both = Intersection(a, b);
  RC_CLASSIFY(both.has_value(), "intersecting");
  RC_CLASSIFY(Contains(a, b), "contained");
  RC_ASSERT(both == Intersection(b, a));
  if (both) {
    RC_ASSERT(HoldsPackets(*both));
    RC_ASSERT(Contains(a, *both));
    RC_ASSERT(Contains(b, *both));
  }
  RC_ASSERT(Contains(a, b) == (both == b));
  const auto packets = *rc::gen::container<std::vector<Packet>>(40, GenPacket());
  for (const Packet& p : packets) {
    RC_ASSERT((both && Holds(*both, p)) == (Holds(a, p) && Holds(b, p)));
    if (Contains(a, b)) RC_ASSERT(!Holds(b, p) || Holds(a, p));
  }
}

RC_GTEST_PROP(TrafficSelectorProperties, ContainsIsAPartialOrder, ()) {
  const TrafficSelector a = *GenSmallSelector(), b = *GenSmallSelector(), c = *GenSmallSelector();
  RC_ASSERT(Contains(a, a));
  if (Contains(a, b) && Contains(b, a)) RC_ASSERT(a == b);
  if (Contains(a, b) && Contains(b, c)) RC_ASSERT(Contains(a, c));
}

RC_GTEST_PROP(TrafficSelectorProperties, IntersectIsCommutativeOnSets, ()) {
  const auto x = *GenSmallList(), y = *GenSmallList();
  RC_ASSERT(SameSet(Intersect(x, y), Intersect(y, x)));
}

RC_GTEST_PROP(TrafficSelectorProperties, IntersectHoldsWhatBothHoldAndNothingElse, ()) {
  const auto ours = *GenSmallList(), offered = *GenSmallList();
  const auto narrowed = Intersect(ours, offered);
  RC_CLASSIFY(narrowed.size() > 1, "several intersections");
  for (const TrafficSelector& ts : narrowed) {
    RC_ASSERT(std::any_of(ours.begin(), ours.end(), [&](const TrafficSelector& o) { return Contains(o, ts); }));
    RC_ASSERT(std::any_of(offered.begin(), offered.end(), [&](const TrafficSelector& o) { return Contains(o, ts); }));
  }
  for (size_t i = 0; i < narrowed.size(); ++i)
    for (size_t j = 0; j < narrowed.size(); ++j)
      if (i != j) RC_ASSERT(!Contains(narrowed[i], narrowed[j]));
  const auto packets = *rc::gen::container<std::vector<Packet>>(60, GenPacket());
  for (const Packet& p : packets) RC_ASSERT(HeldByOne(narrowed, p) == (HeldByOne(ours, p) && HeldByOne(offered, p)));
}

//= rfc7296#section-2.9
//# What the responder narrows to passes the initiator's check; it answers
//# TS_UNACCEPTABLE only when no packet is acceptable on a side.
RC_GTEST_PROP(TrafficSelectorProperties, NarrowingPassesCheckNarrowed, ()) {
  const auto local = *GenSmallList(1), remote = *GenSmallList(1);
  const TsPayload tsi{*GenSmallList(1)}, tsr{*GenSmallList(1)};
  const std::optional<Narrowed> narrowed = NarrowForResponder(local, remote, tsi, tsr);
  RC_CLASSIFY(narrowed.has_value(), "narrowed");
  if (!narrowed) {
    RC_ASSERT(Intersect(remote, tsi.traffic_selectors).empty() || Intersect(local, tsr.traffic_selectors).empty());
    return;
  }
  RC_ASSERT(CheckNarrowed(tsi, TsPayload{narrowed->tsi}).ok());
  RC_ASSERT(CheckNarrowed(tsr, TsPayload{narrowed->tsr}).ok());
  // A packet selector offered first is kept, alone or inside a wider one,
  // whenever the policy holds it entirely.
  if (!tsi.traffic_selectors.empty()) {
    const TrafficSelector& first = tsi.traffic_selectors.front();
    if (std::any_of(remote.begin(), remote.end(), [&](const TrafficSelector& r) { return Contains(r, first); }))
      RC_ASSERT(std::any_of(narrowed->tsi.begin(), narrowed->tsi.end(),
                            [&](const TrafficSelector& n) { return Contains(n, first); }));
  }
}

// Whether the syntax can say `ts`: an ICMP port bound from 1 to 255 is type
// 0 with a code, which swanctl.conf has no spelling for.
bool Expressible(const TrafficSelector& ts) {
  if (ts.ip_protocol_id != 1 && ts.ip_protocol_id != 58) return true;
  auto fine = [](uint16_t port) { return port == 0 || port >= 256; };
  return fine(ts.start_port) && fine(ts.end_port);
}

RC_GTEST_PROP(TrafficSelectorProperties, FormatReadsBack, ()) {
  const TrafficSelector ts = *testing::GenValidTrafficSelector();
  const std::string text = FormatTrafficSelector(ts);
  auto back = ParseTrafficSelectors(text);
  if (!Expressible(ts)) {
    RC_ASSERT(!back.ok());
    return;
  }
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == std::vector{ts});
}

RC_GTEST_PROP(TrafficSelectorProperties, ListsReadBack, ()) {
  const auto selectors = *rc::gen::suchThat(
      rc::gen::container<std::vector<TrafficSelector>>(*rc::gen::inRange<size_t>(1, 8),
                                                       testing::GenValidTrafficSelector()),
      [](const std::vector<TrafficSelector>& list) { return std::all_of(list.begin(), list.end(), Expressible); });
  std::vector<ConfiguredSelector> list;
  for (const TrafficSelector& ts : selectors) {
    ConfiguredSelector entry{*rc::gen::weightedElement<bool>({{4, false}, {1, true}}), ts};
    if (entry.dynamic) {
      // A dynamic entry carries protocol and ports only.
      entry.selector.ts_type = TsType::kIpv4AddrRange;
      entry.selector.starting_address.clear();
      entry.selector.ending_address.clear();
    }
    list.push_back(entry);
  }
  auto back = ParseConfiguredSelectors(FormatConfiguredSelectors(list));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == list);
}

}  // namespace
}  // namespace ipsecref::ike::sa
