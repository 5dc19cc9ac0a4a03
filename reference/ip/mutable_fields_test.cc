#include "reference/ip/mutable_fields.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "reference/ip/packet.h"

namespace ipsecref::ip {
namespace {

constexpr uint8_t kUdp = 17;
constexpr uint8_t kAh = 51;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kDestOpts = 60;

const Bytes kSrc4 = {192, 0, 2, 1};
const Bytes kDst4 = {198, 51, 100, 7};

Bytes Address6(uint8_t last) {
  Bytes a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
  return a;
}

// An IPv4 packet with `options` (padded with End of Options List) and `payload`.
Bytes Ipv4(Bytes options, ByteSpan payload, uint8_t protocol = kUdp, Bytes dst = kDst4) {
  while (options.size() % 4) options.push_back(0);
  ByteWriter w;
  w.U8(static_cast<uint8_t>(0x40 | (5 + options.size() / 4)))
      .U8(0x2e)  // DSCP and ECN
      .U16(0)
      .U16(0x1234)
      .U16(0x4000)  // DF
      .U8(64)
      .U8(protocol)
      .U16(0)
      .Append(kSrc4)
      .Append(dst)
      .Append(options)
      .Append(payload);
  Bytes p = std::move(w).Take();
  FixLengths(p, 4);
  return p;
}

// An IPv6 packet whose first header after the fixed one is `next`.
Bytes Ipv6(uint8_t next, ByteSpan rest, Bytes dst = Address6(2)) {
  ByteWriter w;
  w.U32(uint32_t{6} << 28 | uint32_t{0xb8} << 20 | 0x12345)  // traffic class, flow label
      .U16(0)
      .U8(next)
      .U8(64)
      .Append(Address6(1))
      .Append(dst)
      .Append(rest);
  Bytes p = std::move(w).Take();
  FixLengths(p, 6);
  return p;
}

// A Hop-by-Hop or Destination Options header holding `options`, padded with PadN.
Bytes OptionsHeader(uint8_t next, Bytes options) {
  size_t len = 2 + options.size();
  size_t pad = (8 - len % 8) % 8;
  if (pad == 1) {
    options.push_back(0);  // Pad1
  } else if (pad > 1) {
    options.push_back(1);  // PadN
    options.push_back(static_cast<uint8_t>(pad - 2));
    options.insert(options.end(), pad - 2, 0);
  }
  Bytes h = {next, static_cast<uint8_t>((2 + options.size()) / 8 - 1)};
  h.insert(h.end(), options.begin(), options.end());
  return h;
}

// A Routing header of `type` with `addresses` and `segments_left`.
Bytes RoutingHeader(uint8_t next, uint8_t type, uint8_t segments_left,
                    const std::vector<Bytes>& addresses) {
  Bytes h = {next, static_cast<uint8_t>(addresses.size() * 2), type, segments_left, 0, 0, 0, 0};
  for (const Bytes& a : addresses) h.insert(h.end(), a.begin(), a.end());
  return h;
}

Bytes Concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kPayload = {0x12, 0x34, 0x56, 0x78, 0x00, 0x0c, 0x00, 0x00, 'd', 'a', 't', 'a'};

Bytes View(ByteSpan packet) {
  auto v = IcvView(packet);
  EXPECT_TRUE(v.ok()) << v.error().ToString();
  return v.ok() ? *v : Bytes{};
}

TEST(MutableFields, Ipv4BaseHeaderFields) {
  //= rfc4302#section-3.3.3.1.1.1
  //# TOS, flags, fragment offset, TTL and checksum zeroed; the rest kept.
  Bytes p = Ipv4({}, kPayload);
  Bytes v = View(p);
  ASSERT_EQ(v.size(), p.size());
  EXPECT_EQ(v[0], 0x45);
  EXPECT_EQ(v[1], 0);                   // TOS
  EXPECT_EQ(LoadU16(&v[2]), p.size());  // total length kept
  EXPECT_EQ(LoadU16(&v[4]), 0x1234);    // identification kept
  EXPECT_EQ(LoadU16(&v[6]), 0);         // flags, fragment offset
  EXPECT_EQ(v[8], 0);                   // TTL
  EXPECT_EQ(v[9], kUdp);                // protocol kept
  EXPECT_EQ(LoadU16(&v[10]), 0);        // checksum
  EXPECT_TRUE(std::equal(v.begin() + 12, v.end(), p.begin() + 12));
}

TEST(MutableFields, Ipv4MutableFieldsDoNotChangeTheView) {
  Bytes p = Ipv4({}, kPayload);
  Bytes q = p;
  q[1] = 0xff;
  q[6] = 0x20;  // MF, as a router could not set it but the field is zeroed anyway
  q[8] = 3;
  SetIpv4HeaderChecksum(MutableByteSpan(q).first(20));
  EXPECT_EQ(View(p), View(q));
  q[4] ^= 1;  // identification is immutable
  EXPECT_NE(View(p), View(q));
}

TEST(MutableFields, Ipv4OptionTable) {
  //= rfc4302#appendix-A1
  //# The immutable options of the table, and nothing else.
  for (uint8_t t : {0x00, 0x01, 0x82, 0x85, 0x86, 0x94, 0x95}) {
    EXPECT_EQ(Ipv4OptionMutability(t), OptionMutability::kImmutable) << int(t);
  }
  // Mutable: LSRR, timestamp, record route, SSRR, traceroute; experimental:
  // stream ID, MTU probe/reply, EIP, ...; unknown types too.
  for (uint8_t t : {0x83, 0x44, 0x07, 0x89, 0x52, 0x88, 0x0b, 0x0c, 0x91, 0x0a, 0xcd, 0x8e, 0x0f,
                    0x90, 0x93, 0x9e, 0x02, 0x14, 0xff}) {
    EXPECT_EQ(Ipv4OptionMutability(t), OptionMutability::kMutable) << int(t);
  }
}

TEST(MutableFields, Ipv4OptionsImmutableKeptMutableZeroedWhole) {
  //= rfc4302#section-3.3.3.1.1.2
  //# A mutable option is zeroed whole, type and length included.
  Bytes options = {
      0x01,                                // NOP: kept
      0x94, 0x04, 0x00, 0x00,              // Router Alert: kept
      0x07, 0x07, 0x04, 10,   0, 0, 1,     // Record Route with one slot: zeroed
      0x44, 0x08, 0x05, 0x00, 1, 2, 3, 4,  // Timestamp: zeroed
      0x9e, 0x03, 0x77,                    // unknown: zeroed
      0x82, 0x03, 0x55,                    // Security: kept
  };
  Bytes p = Ipv4(options, kPayload);
  Bytes v = View(p);
  ASSERT_EQ(v.size(), p.size());
  const Bytes expected_options = {
      0x01, 0x94, 0x04, 0x00, 0x00,           // kept
      0,    0,    0,    0,    0,    0, 0,     // record route
      0,    0,    0,    0,    0,    0, 0, 0,  // timestamp
      0,    0,    0,                          // unknown
      0x82, 0x03, 0x55,                       // kept
      0,    0,                                // End of Options List and padding
  };
  EXPECT_EQ(Bytes(v.begin() + 20, v.begin() + 20 + static_cast<long>(expected_options.size())),
            expected_options);
  // Routers writing into the record route or timestamp do not change the view.
  Bytes q = p;
  q[20 + 5 + 3] = 203;
  q[20 + 5 + 2] = 8;
  q[20 + 12 + 4] = 0x99;
  EXPECT_EQ(View(p), View(q));
}

// What a router does with a source route option (RFC 791 §3.1): takes the
// next address as destination and records its own address in its place.
void ForwardSourceRoute(Bytes& p, size_t option_at, const Bytes& router) {
  uint8_t& pointer = p[option_at + 2];
  ASSERT_LE(pointer, p[option_at + 1]);
  size_t slot = option_at + pointer - 1;
  std::copy_n(p.begin() + static_cast<long>(slot), 4, p.begin() + 16);
  std::copy_n(router.begin(), 4, p.begin() + static_cast<long>(slot));
  pointer += 4;
  p[8] -= 1;
}

TEST(MutableFields, Ipv4SourceRouteDestinationIsTheFinalOne) {
  //= rfc4302#section-3.3.3.1.1.1
  //# With a source route the destination is predicted: the route's last address.
  for (uint8_t type : {uint8_t{0x83}, uint8_t{0x89}}) {
    const Bytes first_hop = {10, 0, 0, 1};
    Bytes options = {0x01, type, 11, 4, 10, 0, 0, 2, 203, 0, 113, 9};  // two more hops
    Bytes p = Ipv4(options, kPayload, kAh, first_hop);
    Bytes v = View(p);
    EXPECT_EQ(Bytes(v.begin() + 16, v.begin() + 20), Bytes({203, 0, 113, 9}));
    EXPECT_TRUE(std::all_of(v.begin() + 21, v.begin() + 32, [](uint8_t b) { return b == 0; }))
        << "source route option zeroed whole";
    EXPECT_EQ(v[20], 0x01);
    // Every hop along the route sees the same view, and so does the receiver.
    ForwardSourceRoute(p, 21, {10, 0, 0, 254});
    EXPECT_EQ(View(p), v);
    ForwardSourceRoute(p, 21, {10, 0, 1, 254});
    EXPECT_EQ(Bytes(p.begin() + 16, p.begin() + 20), Bytes({203, 0, 113, 9}));
    EXPECT_GT(p[23], p[22]) << "route complete";
    EXPECT_EQ(View(p), v);
  }
}

TEST(MutableFields, Ipv4MalformedOptionsAreErrors) {
  auto code = [](Bytes options) {
    Bytes p = Ipv4(options, kPayload);
    auto v = IcvView(p);
    return v.ok() ? std::optional<Code>() : std::optional<Code>(v.error().code);
  };
  EXPECT_EQ(code({0x07, 0x01, 0x00, 0x00}), Code::kBadLength);           // length below 2
  EXPECT_EQ(code({0x07, 0x09, 0x04, 0x00}), Code::kBadLength);           // past the header
  EXPECT_EQ(code({0x01, 0x01, 0x01, 0x07}), Code::kTruncated);           // no length octet
  EXPECT_EQ(code({0x83, 0x06, 0x04, 1, 2, 3, 0, 0}), Code::kBadLength);  // partial address
  EXPECT_EQ(code({0x83, 0x02, 0x00, 0x00}), Code::kBadLength);           // no pointer
  EXPECT_FALSE(code({0x00, 0x07, 0xff, 0xff}).has_value()) << "after End of List: padding";
}

TEST(MutableFields, Ipv6BaseHeaderFields) {
  //= rfc4302#section-3.3.3.1.2.1
  //# Traffic class, flow label and hop limit zeroed.
  Bytes p = Ipv6(kUdp, kPayload);
  Bytes v = View(p);
  EXPECT_EQ(Bytes(v.begin(), v.begin() + 4), Bytes({0x60, 0, 0, 0}));
  EXPECT_EQ(v[7], 0);
  EXPECT_TRUE(std::equal(v.begin() + 4, v.begin() + 7, p.begin() + 4));
  EXPECT_TRUE(std::equal(v.begin() + 8, v.end(), p.begin() + 8));
}

TEST(MutableFields, Ipv6OptionsThatMayChangeHaveTheirDataZeroed) {
  //= rfc4302#section-3.3.3.1.2.2
  //# Data of options with the change-en-route bit zeroed, type and length kept.
  Bytes hbh = OptionsHeader(kDestOpts, {0x3e, 0x02, 0xaa, 0xbb,    // may change: data zeroed
                                        0x00,                      // Pad1
                                        0x1e, 0x02, 0xcc, 0xdd});  // does not change: kept
  Bytes dst = OptionsHeader(kUdp, {0x7f, 0x03, 1, 2, 3});          // may change (0x20 set)
  Bytes p = Ipv6(kHopByHop, Concat({hbh, dst, kPayload}));
  Bytes v = View(p);
  ASSERT_EQ(v.size(), p.size());
  EXPECT_EQ(Bytes(v.begin() + 42, v.begin() + 51),
            Bytes({0x3e, 0x02, 0, 0, 0x00, 0x1e, 0x02, 0xcc, 0xdd}));
  size_t d = 40 + hbh.size();
  EXPECT_EQ(Bytes(v.begin() + static_cast<long>(d) + 2, v.begin() + static_cast<long>(d) + 7),
            Bytes({0x7f, 0x03, 0, 0, 0}));
  Bytes q = p;
  q[44] ^= 0xff;
  q[d + 5] = 9;
  EXPECT_EQ(View(q), v);
  q[49] ^= 1;  // the immutable option's data
  EXPECT_NE(View(q), v);
}

TEST(MutableFields, Ipv6WalkEndsAtAh) {
  // A Destination Options header after AH belongs to the payload: untouched.
  Bytes ah(24, 0);
  ah[0] = kDestOpts;
  ah[1] = 4;
  Bytes dst = OptionsHeader(kUdp, {0x3e, 0x02, 0xaa, 0xbb});
  Bytes p = Ipv6(kAh, Concat({ah, dst, kPayload}));
  Bytes v = View(p);
  EXPECT_TRUE(std::equal(v.begin() + 40, v.end(), p.begin() + 40));
}

// What a node named in a Type 0 Routing header does (RFC 2460 §4.4).
void ForwardRoutingType0(Bytes& p, size_t rh) {
  const size_t n = p[rh + 1] / 2;
  uint8_t& segments_left = p[rh + 3];
  ASSERT_GT(segments_left, 0);
  segments_left -= 1;
  const size_t i = n - segments_left;  // 1-based index of the next address
  auto address = p.begin() + static_cast<long>(rh + 8 + (i - 1) * 16);
  std::swap_ranges(address, address + 16, p.begin() + 24);
  p[7] -= 1;
}

TEST(MutableFields, Ipv6RoutingHeaderAsAtTheDestination) {
  //= rfc4302#appendix-A2
  //# Routing header and destination address ordered as the receiver will see them.
  std::vector<Bytes> hops = {Address6(10), Address6(11), Address6(99)};
  Bytes rh = RoutingHeader(kUdp, 0, 3, hops);
  Bytes p = Ipv6(kRouting, Concat({rh, kPayload}), Address6(9));  // first hop in the destination
  Bytes v = View(p);
  EXPECT_EQ(Bytes(v.begin() + 24, v.begin() + 40), Address6(99));
  EXPECT_EQ(v[43], 0) << "segments left";
  EXPECT_EQ(Bytes(v.begin() + 48, v.begin() + 64), Address6(9));
  EXPECT_EQ(Bytes(v.begin() + 64, v.begin() + 80), Address6(10));
  EXPECT_EQ(Bytes(v.begin() + 80, v.begin() + 96), Address6(11));
  for (int hop = 0; hop < 3; ++hop) {
    ForwardRoutingType0(p, 40);
    EXPECT_EQ(View(p), v) << "after hop " << hop;
  }
  EXPECT_EQ(p[43], 0);
  EXPECT_EQ(Bytes(p.begin() + 24, p.begin() + 40), Address6(99));
}

TEST(MutableFields, Ipv6RoutingType2HomeAddress) {
  // Mobile IPv6 (RFC 6275 §6.4): one address, segments left 1.
  Bytes rh = RoutingHeader(kUdp, 2, 1, {Address6(77)});
  Bytes p = Ipv6(kRouting, Concat({rh, kPayload}), Address6(5));  // care-of address
  Bytes v = View(p);
  EXPECT_EQ(Bytes(v.begin() + 24, v.begin() + 40), Address6(77));
  EXPECT_EQ(Bytes(v.begin() + 48, v.begin() + 64), Address6(5));
  ForwardRoutingType0(p, 40);
  EXPECT_EQ(View(p), v);
}

TEST(MutableFields, Ipv6RoutingHeaderErrors) {
  auto code = [](Bytes rh) {
    Bytes p = Ipv6(kRouting, Concat({rh, kPayload}));
    auto v = IcvView(p);
    return v.ok() ? std::optional<Code>() : std::optional<Code>(v.error().code);
  };
  EXPECT_EQ(code(RoutingHeader(kUdp, 0, 3, {Address6(1), Address6(2)})), Code::kBadHeader);
  Bytes odd = RoutingHeader(kUdp, 0, 1, {Address6(1)});
  odd[1] = 1;
  odd.resize(16);
  EXPECT_EQ(code(odd), Code::kBadHeader);
  // Segment Routing Header (type 4) with segments left: not predictable here.
  EXPECT_EQ(code(RoutingHeader(kUdp, 4, 1, {Address6(1)})), Code::kUnsupported);
  // Any type with no segments left is already as the destination sees it.
  Bytes done = RoutingHeader(kUdp, 4, 0, {Address6(1)});
  EXPECT_FALSE(code(done).has_value());
}

TEST(MutableFields, InPlaceMatchesCopyAndTrailingBytesAreDropped) {
  Bytes p = Ipv4({0x07, 0x03, 0x04}, kPayload);
  Bytes padded = p;
  padded.insert(padded.end(), {0xee, 0xee});
  Bytes v = View(padded);
  EXPECT_EQ(v.size(), p.size());
  Bytes in_place = padded;
  ASSERT_TRUE(ClearMutableFields(in_place).ok());
  EXPECT_EQ(Bytes(in_place.begin(), in_place.begin() + static_cast<long>(p.size())), v);
  EXPECT_EQ(in_place[p.size()], 0xee) << "bytes past the total length untouched";
}

TEST(MutableFields, TruncatedInputsAreErrorsNotCrashes) {
  Bytes hbh = OptionsHeader(kUdp, {0x3e, 0x02, 0xaa, 0xbb});
  for (const Bytes& p :
       {Ipv4({0x94, 0x04, 0, 0}, kPayload), Ipv6(kHopByHop, Concat({hbh, kPayload}))}) {
    for (size_t n = 0; n < p.size(); ++n) {
      auto v = IcvView(ByteSpan(p).first(n));
      EXPECT_FALSE(v.ok()) << n;
    }
  }
  // Options running past the header and broken lengths inside option headers.
  Bytes bad = OptionsHeader(kUdp, {0x3e, 0x02, 0xaa, 0xbb});
  bad[3] = 0x10;
  EXPECT_EQ(IcvView(Ipv6(kHopByHop, Concat({bad, kPayload}))).error().code, Code::kBadLength);
  // A type octet as the header's last byte, without its length.
  Bytes trunc = OptionsHeader(kUdp, {0x01, 0x03, 0, 0, 0, 0x3e});
  EXPECT_EQ(IcvView(Ipv6(kHopByHop, Concat({trunc, kPayload}))).error().code, Code::kTruncated);
}

}  // namespace
}  // namespace ipsecref::ip
