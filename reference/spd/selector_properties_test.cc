// Properties of selectors over packets built as bytes: a packet made inside
// a selector (addresses, protocol, ports or ICMP type and code in range) is
// read back by ExtractSelectors and matches it, in the direction it was made
// for; a packet with one field moved outside never matches. And the SPD's
// lookup is the first policy of its order that holds the packet.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/spd/sad.h"
#include "reference/spd/spd.h"
#include "reference/testing/generators.h"

namespace ipsecref::spd {
namespace {

struct Case {
  Selector selector;
  Bytes local, remote;  // addresses inside the selector's ranges
  uint8_t protocol;
  uint16_t local_port, remote_port;  // inside; for ICMP local_port is type * 256 + code
};

// A prefix range around a random address and an address inside it.
std::pair<AddressRange, Bytes> RangeAndInside(size_t size) {
  Bytes base = *rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>());
  const size_t bits = *rc::gen::inRange<size_t>(8 * size - 12, 8 * size + 1);
  AddressRange range = PrefixRange(base, bits);
  Bytes inside = range.start;
  for (size_t i = 0; i < size; ++i)
    inside[i] |= static_cast<uint8_t>(*rc::gen::arbitrary<uint8_t>() & ~range.start[i] & range.end[i]);
  return {range, inside};
}

PortRange RangeAround(uint16_t value) {
  const uint16_t below = *rc::gen::inRange<uint16_t>(0, 100), above = *rc::gen::inRange<uint16_t>(0, 100);
  return PortRange{static_cast<uint16_t>(value > below ? value - below : 0),
                   static_cast<uint16_t>(value < 65535 - above ? value + above : 65535)};
}

rc::Gen<Case> GenCase() {
  return rc::gen::exec([] {
    Case c;
    const size_t size = *rc::gen::element<size_t>(4, 16);
    auto [local_range, local] = RangeAndInside(size);
    auto [remote_range, remote] = RangeAndInside(size);
    c.local = local;
    c.remote = remote;
    c.protocol = *rc::gen::element<uint8_t>(6, 17, 1);
    c.selector = Selector{local_range, remote_range, *rc::gen::element<uint8_t>(0, c.protocol), PortRange::Any(),
                          PortRange::Any()};
    if (c.protocol == 1) {
      const uint8_t type = *rc::gen::arbitrary<uint8_t>(), code = *rc::gen::arbitrary<uint8_t>();
      c.local_port = static_cast<uint16_t>(type << 8 | code);
      c.remote_port = 0;
      if (*rc::gen::arbitrary<bool>()) c.selector.local_ports = PortRange::IcmpType(type, 0, code);
      // The receiving side's range is not consulted: anything goes.
      c.selector.remote_ports = *rc::gen::element(PortRange::Any(), PortRange::Opaque(), PortRange::Single(0));
    } else {
      c.local_port = *rc::gen::arbitrary<uint16_t>();
      c.remote_port = *rc::gen::arbitrary<uint16_t>();
      if (*rc::gen::arbitrary<bool>()) c.selector.local_ports = RangeAround(c.local_port);
      if (*rc::gen::arbitrary<bool>()) c.selector.remote_ports = RangeAround(c.remote_port);
    }
    return c;
  });
}

// The packet's bytes: an IP header from testing::MakeIpPacket and the
// transport header with the ports (or ICMP type and code) written in.
Bytes Packet(const Case& c, Direction direction) {
  const bool out = direction == Direction::kOutbound;
  const Bytes& src = out ? c.local : c.remote;
  const Bytes& dst = out ? c.remote : c.local;
  Bytes transport(c.protocol == 6 ? 20 : 8, 0);
  if (c.protocol == 1) {
    StoreU16(transport.data(), c.local_port);
  } else {
    StoreU16(transport.data(), out ? c.local_port : c.remote_port);
    StoreU16(transport.data() + 2, out ? c.remote_port : c.local_port);
  }
  const uint8_t protocol = c.protocol == 1 && src.size() == 16 ? 58 : c.protocol;
  return testing::MakeIpPacket(src.size() == 4 ? 4 : 6, protocol, transport, 0, src, dst);
}

Case ForFamilyIcmp(Case c) {
  // ICMPv6 for IPv6 packets: the selector names what the packet carries.
  if (c.protocol == 1 && c.local.size() == 16 && c.selector.protocol == 1) c.selector.protocol = 58;
  return c;
}

RC_GTEST_PROP(SelectorProperties, PacketInsideMatches, ()) {
  Case c = ForFamilyIcmp(*GenCase());
  const Direction direction = *rc::gen::element(Direction::kOutbound, Direction::kInbound);
  if (c.protocol == 1 && direction == Direction::kInbound) std::swap(c.selector.local_ports, c.selector.remote_ports);
  RC_ASSERT(Validate(c.selector).ok());
  auto p = ExtractSelectors(Packet(c, direction));
  RC_ASSERT(p.ok());
  RC_ASSERT(p->ports_known);
  RC_ASSERT(Matches(c.selector, *p, direction));
  if (direction == Direction::kInbound) RC_ASSERT(CheckInbound({c.selector}, *p).ok());
}

RC_GTEST_PROP(SelectorProperties, OneFieldOutsideNeverMatches, ()) {
  Case c = ForFamilyIcmp(*GenCase());
  const Direction direction = Direction::kOutbound;
  switch (*rc::gen::inRange(0, 4)) {
    case 0: {  // the local address just past its range, or just before it
      RC_PRE(!(c.selector.local.end == Bytes(c.local.size(), 0xff)));
      c.local = c.selector.local.end;
      for (size_t i = c.local.size(); i-- > 0;)
        if (++c.local[i] != 0) break;
      break;
    }
    case 1: {  // the remote address in the other half of the address space
      RC_PRE(!(c.selector.remote.start == Bytes(c.remote.size(), 0)) ||
             !(c.selector.remote.end == Bytes(c.remote.size(), 0xff)));
      c.remote[0] ^= 0x80;
      RC_PRE(c.remote < c.selector.remote.start || c.selector.remote.end < c.remote);
      break;
    }
    case 2: {  // another protocol
      RC_PRE(c.selector.protocol != 0);
      c.selector.protocol = c.selector.protocol == 6 ? 17 : 6;
      break;
    }
    default: {  // the sender's port (or ICMP type and code) just past its range
      RC_PRE(c.selector.local_ports.end < 65535 && !c.selector.local_ports.any());
      c.local_port = static_cast<uint16_t>(c.selector.local_ports.end + 1);
      break;
    }
  }
  auto p = ExtractSelectors(Packet(c, direction));
  RC_ASSERT(p.ok());
  RC_ASSERT(!Matches(c.selector, *p, direction));
}

// Any bytes at all: a result, or an error whose offset lies within them.
RC_GTEST_PROP(SelectorProperties, ArbitraryBytesNeverCrash, ()) {
  Bytes bytes = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
  if (!bytes.empty()) bytes[0] = static_cast<uint8_t>(*rc::gen::element(0x45, 0x60, 0x46, 0x50) | (bytes[0] & 0x0f));
  auto p = ExtractSelectors(bytes);
  if (!p.ok()) {
    RC_ASSERT(p.error().offset <= bytes.size());
  } else {
    RC_ASSERT(p->src.size() == p->dst.size());
    RC_ASSERT(p->src.size() == 4 || p->src.size() == 16);
  }
}

// The lookup is the first policy, in Ordered(), one of whose selector sets
// holds the packet; Ordered() runs by effective priority.
RC_GTEST_PROP(SelectorProperties, LookupIsFirstMatchInOrder, ()) {
  Spd spd;
  const size_t count = *rc::gen::inRange<size_t>(1, 8);
  std::vector<Case> cases;
  for (size_t i = 0; i < count; ++i) {
    Case c = *GenCase();
    c.local = Bytes{10, 0, 0, *rc::gen::inRange<uint8_t>(0, 4)};
    c.remote = Bytes{10, 1, 0, *rc::gen::inRange<uint8_t>(0, 4)};
    c.selector.local = PrefixRange(c.local, *rc::gen::inRange<size_t>(30, 33));
    c.selector.remote = PrefixRange(c.remote, *rc::gen::inRange<size_t>(30, 33));
    const uint32_t priority = *rc::gen::element<uint32_t>(uint32_t{kDefaultPriority}, 1u, 2u, 1500u);
    RC_ASSERT(spd.Add(Policy{"p" + std::to_string(i), {c.selector},
                             *rc::gen::element(Action::kProtect, Action::kBypass, Action::kDiscard), priority, i})
                  .ok());
    cases.push_back(c);
  }
  const Case& probe = cases[*rc::gen::inRange<size_t>(0, count)];
  auto p = ExtractSelectors(Packet(probe, Direction::kOutbound));
  RC_ASSERT(p.ok());
  const Policy* expected = nullptr;
  uint32_t last = 0;
  for (const Policy* policy : spd.Ordered()) {
    const uint32_t effective = policy->priority != kDefaultPriority ? policy->priority : DefaultPriority(*policy);
    RC_ASSERT(effective >= last);
    last = effective;
    if (!expected && Matches(policy->selectors[0], *p, Direction::kOutbound)) expected = policy;
  }
  RC_ASSERT(spd.LookupOutbound(*p) == expected);
}

}  // namespace
}  // namespace ipsecref::spd
