#include "reference/ah/ah_sa.h"

#include <gtest/gtest.h>

#include <string>

#include "reference/crypto/transforms.h"
#include "reference/ip/packet.h"

namespace ipsecref::ah {
namespace {

using iana::Integ;

constexpr uint8_t kUdp = 17;
constexpr uint8_t kAh = 51;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kDestOpts = 60;
constexpr uint32_t kSpi = 0x1000abcd;

const Bytes kPayload = {0x30, 0x39, 0x01, 0xbb, 0x00, 0x14, 0x00, 0x00, 'h', 'e',
                        'l',  'l',  'o',  ' ',  'a',  'h',  ' ',  '!',  '!', '!'};

Bytes Address6(uint8_t last) {
  return {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
}

// A UDP-like IPv4 packet, with options if any (padded to 4 bytes).
Bytes Ipv4(ByteSpan payload, Bytes options = {}) {
  while (options.size() % 4) options.push_back(0);
  ByteWriter w;
  w.U8(static_cast<uint8_t>(0x40 | (5 + options.size() / 4)))
      .U8(0xb8)
      .U16(0)
      .U16(0x4242)
      .U16(0x4000)
      .U8(61)
      .U8(kUdp)
      .U16(0)
      .Append(Bytes{192, 0, 2, 1})
      .Append(Bytes{192, 0, 2, 2})
      .Append(options)
      .Append(payload);
  Bytes p = std::move(w).Take();
  ip::FixLengths(p, 4);
  return p;
}

// An IPv6 packet: `chain` holds extension headers (if any) and the payload.
Bytes Ipv6(uint8_t next, ByteSpan chain) {
  ByteWriter w;
  w.U32(uint32_t{6} << 28 | uint32_t{0x2e} << 20 | 0xbeef)
      .U16(0)
      .U8(next)
      .U8(57)
      .Append(Address6(1))
      .Append(Address6(2))
      .Append(chain);
  Bytes p = std::move(w).Take();
  ip::FixLengths(p, 6);
  return p;
}

Bytes Concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Hop-by-Hop with an option that may change en route (0x3e) and one that does not (0x1e).
Bytes HopByHop(uint8_t next) { return {next, 0, 0x3e, 0x01, 0xaa, 0x1e, 0x01, 0xbb}; }
Bytes DestOpts(uint8_t next) { return {next, 0, 0x1e, 0x04, 1, 2, 3, 4}; }
Bytes Routing(uint8_t next) {
  // Type 0, route complete: the list holds the hop visited before the destination.
  return Concat({Bytes{next, 2, 0, 0, 0, 0, 0, 0}, Address6(3)});
}

SecureBytes Key(const crypto::IntegTransform& t, uint8_t seed = 1) {
  SecureBytes k(t.key_size);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + 7 * i);
  return k;
}

SaConfig Config(Integ integ, SaConfig::Mode mode = SaConfig::kTransport, bool esn = false,
                int outer_version = 4) {
  SaConfig c;
  c.spi = kSpi;
  c.mode = mode;
  c.integ = integ;
  c.integ_key = Key(*crypto::FindInteg(integ));
  c.esn = esn;
  if (mode == SaConfig::kTunnel) {
    c.tunnel_src = outer_version == 4 ? Bytes{203, 0, 113, 1} : Address6(0xa1);
    c.tunnel_dst = outer_version == 4 ? Bytes{203, 0, 113, 2} : Address6(0xa2);
  }
  return c;
}

std::unique_ptr<Sa> MakeSa(const SaConfig& c) {
  auto sa = Sa::Create(c);
  EXPECT_TRUE(sa.ok()) << sa.error().ToString();
  return sa.ok() ? std::move(sa).value() : nullptr;
}

Code CodeOf(const Result<Verified>& r) { return r.ok() ? Code::kUnsupported : r.error().code; }

TEST(AhSa, CreateValidates) {
  SaConfig c = Config(Integ::kHmacSha1_96);
  c.spi = 255;
  //= rfc4302#section-2.4
  //# SPIs 0 to 255 are reserved.
  EXPECT_EQ(Sa::Create(c).error().code, Code::kBadSpi);
  c.spi = 256;
  EXPECT_TRUE(Sa::Create(c).ok());
  c.integ = Integ::kNone;
  EXPECT_EQ(Sa::Create(c).error().code, Code::kUnknownTransform);
  c = Config(Integ::kHmacSha2_256_128);
  c.integ_key.pop_back();
  EXPECT_EQ(Sa::Create(c).error().code, Code::kBadKeyLength);
  c = Config(Integ::kHmacSha1_96, SaConfig::kTunnel);
  c.tunnel_dst = Address6(1);
  EXPECT_EQ(Sa::Create(c).error().code, Code::kInvalidArgument);
  c.tunnel_src = {1, 2, 3};
  c.tunnel_dst = {1, 2, 3};
  EXPECT_EQ(Sa::Create(c).error().code, Code::kInvalidArgument);
}

TEST(AhSa, HeaderLengthIsPaddedPerIpVersion) {
  //= rfc4302#section-3.3.3.2.1
  //# AH is a multiple of 4 bytes in IPv4 and of 8 bytes in IPv6.
  EXPECT_EQ(HeaderLength(12, 4), 24u);
  EXPECT_EQ(HeaderLength(16, 4), 28u);
  EXPECT_EQ(HeaderLength(24, 4), 36u);
  EXPECT_EQ(HeaderLength(32, 4), 44u);
  EXPECT_EQ(HeaderLength(12, 6), 24u);
  EXPECT_EQ(HeaderLength(16, 6), 32u);
  EXPECT_EQ(HeaderLength(24, 6), 40u);
  EXPECT_EQ(HeaderLength(32, 6), 48u);
}

TEST(AhSa, Ipv4TransportWireFormat) {
  auto sender = MakeSa(Config(Integ::kHmacSha1_96));
  Bytes p = Ipv4(kPayload);
  auto out = sender->Protect(p);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  const Bytes& o = *out;
  ASSERT_EQ(o.size(), p.size() + 24);
  EXPECT_EQ(o[9], kAh);
  EXPECT_EQ(LoadU16(&o[2]), o.size());
  EXPECT_EQ(ip::InternetChecksum({ByteSpan(o).first(20)}), 0);
  EXPECT_EQ(o[20], kUdp) << "next header";
  EXPECT_EQ(o[21], 4) << "payload length: 24 / 4 - 2";
  EXPECT_EQ(LoadU16(&o[22]), 0) << "reserved";
  EXPECT_EQ(LoadU32(&o[24]), kSpi);
  EXPECT_EQ(LoadU32(&o[28]), 1u) << "first packet carries 1";
  EXPECT_EQ(Bytes(o.begin() + 44, o.end()), kPayload);
  EXPECT_EQ(LoadU32(&(*sender->Protect(p))[28]), 2u);
  EXPECT_EQ(sender->sequence_counter(), 2u);
}

TEST(AhSa, Ipv6TransportGoesAfterHopByHopRoutingAndTheirDestOpts) {
  //= rfc4302#section-3.1.1
  //# AH after Hop-by-Hop, Destination Options before Routing, Routing;
  //# Destination Options after Routing stay behind AH.
  Bytes chain = Concat(
      {HopByHop(kDestOpts), DestOpts(kRouting), Routing(kDestOpts), DestOpts(kUdp), kPayload});
  Bytes p = Ipv6(kHopByHop, chain);
  auto sender = MakeSa(Config(Integ::kHmacSha2_256_128));
  auto out = sender->Protect(p);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  const Bytes& o = *out;
  const size_t ah = 40 + 8 + 8 + 24;
  ASSERT_EQ(o.size(), p.size() + 32);
  EXPECT_EQ(o[56], kAh) << "Routing header names AH";
  EXPECT_EQ(o[ah], kDestOpts) << "AH names the trailing Destination Options";
  EXPECT_EQ(o[ah + 1], 6) << "32 / 4 - 2: ICV 16 padded to 8-byte multiple";
  EXPECT_EQ(Bytes(o.begin() + ah + 28, o.begin() + ah + 32), Bytes(4, 0)) << "zero padding";
  EXPECT_EQ(LoadU16(&o[4]), o.size() - 40);
  auto receiver = MakeSa(Config(Integ::kHmacSha2_256_128));
  auto v = receiver->Verify(o);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->packet, p);
}

struct Shape {
  std::string name;
  SaConfig::Mode mode;
  int outer_version;  // tunnel mode
  Bytes packet;
};

std::vector<Shape> Shapes() {
  Bytes v6chain = Concat({HopByHop(kRouting), Routing(kUdp), kPayload});
  return {
      {"v4-transport", SaConfig::kTransport, 0, Ipv4(kPayload)},
      {"v4-options-transport", SaConfig::kTransport, 0,
       Ipv4(kPayload, {0x94, 0x04, 0, 0, 0x07, 0x07, 0x04, 0, 0, 0, 0})},
      {"v6-transport", SaConfig::kTransport, 0, Ipv6(kUdp, kPayload)},
      {"v6-exthdr-transport", SaConfig::kTransport, 0, Ipv6(kHopByHop, v6chain)},
      {"v4-in-v4-tunnel", SaConfig::kTunnel, 4, Ipv4(kPayload)},
      {"v6-in-v6-tunnel", SaConfig::kTunnel, 6, Ipv6(kHopByHop, v6chain)},
      {"v4-in-v6-tunnel", SaConfig::kTunnel, 6, Ipv4(kPayload)},
      {"v6-in-v4-tunnel", SaConfig::kTunnel, 4, Ipv6(kUdp, kPayload)},
  };
}

TEST(AhSa, RoundTripEveryTransformModeAndVersion) {
  for (const auto& t : crypto::IntegTransforms()) {
    for (const Shape& s : Shapes()) {
      for (bool esn : {false, true}) {
        SCOPED_TRACE(std::string(t.name()) + " " + s.name + (esn ? " esn" : ""));
        auto sender = MakeSa(Config(t.id, s.mode, esn, s.outer_version));
        auto receiver = MakeSa(Config(t.id, s.mode, esn, s.outer_version));
        for (uint64_t n = 1; n <= 3; ++n) {
          auto out = sender->Protect(s.packet);
          ASSERT_TRUE(out.ok()) << out.error().ToString();
          auto v = receiver->Verify(*out);
          ASSERT_TRUE(v.ok()) << v.error().ToString();
          EXPECT_EQ(v->packet, s.packet);
          EXPECT_EQ(v->sequence_number, n);
        }
      }
    }
  }
}

TEST(AhSa, TunnelOuterHeader) {
  //= rfc4301#section-5.1.2.1
  //# DSCP and ECN copied from the inner header; TTL fresh.
  auto sender = MakeSa(Config(Integ::kHmacSha1_96, SaConfig::kTunnel, false, 4));
  Bytes inner = Ipv4(kPayload);
  Bytes o = *sender->Protect(inner);
  EXPECT_EQ(o[0], 0x45);
  EXPECT_EQ(o[1], 0xb8);
  EXPECT_EQ(LoadU16(&o[6]), 0x4000) << "DF copied from the inner header";
  EXPECT_EQ(o[8], ip::kTunnelHopLimit);
  EXPECT_EQ(o[9], kAh);
  EXPECT_EQ(o[20], 4) << "AH next header: IPv4";
  EXPECT_EQ(Bytes(o.begin() + 44, o.end()), inner);
  auto sender6 = MakeSa(Config(Integ::kHmacSha1_96, SaConfig::kTunnel, false, 6));
  Bytes o6 = *sender6->Protect(Ipv6(kUdp, kPayload));
  EXPECT_EQ((LoadU16(&o6[0]) >> 4) & 0xff, 0x2e);
  EXPECT_EQ(o6[6], kAh);
  EXPECT_EQ(o6[7], ip::kTunnelHopLimit);
  EXPECT_EQ(o6[40], 41) << "AH next header: IPv6";
}

TEST(AhSa, ReplayedAndStalePacketsRejected) {
  //= rfc4302#section-3.4.3
  //# Duplicates and numbers left of the window are discarded.
  auto sender = MakeSa(Config(Integ::kHmacSha1_96));
  auto receiver = MakeSa(Config(Integ::kHmacSha1_96));
  Bytes first = *sender->Protect(Ipv4(kPayload));
  ASSERT_TRUE(receiver->Verify(first).ok());
  auto again = receiver->Verify(first);
  EXPECT_EQ(CodeOf(again), Code::kReplay);
  EXPECT_EQ(again.error().offset, 28u);
  Bytes later = *sender->Protect(Ipv4(kPayload), {.sequence_number = 100});
  ASSERT_TRUE(receiver->Verify(later).ok());
  Bytes old = *sender->Protect(Ipv4(kPayload), {.sequence_number = 30});
  EXPECT_EQ(CodeOf(receiver->Verify(old)), Code::kStale);
  Bytes in_window = *sender->Protect(Ipv4(kPayload), {.sequence_number = 37});
  EXPECT_TRUE(receiver->Verify(in_window).ok());
}

TEST(AhSa, FailedIcvDoesNotMoveTheWindow) {
  auto sender = MakeSa(Config(Integ::kHmacSha1_96));
  auto receiver = MakeSa(Config(Integ::kHmacSha1_96));
  Bytes o = *sender->Protect(Ipv4(kPayload));
  Bytes bad = o;
  bad.back() ^= 1;
  EXPECT_EQ(CodeOf(receiver->Verify(bad)), Code::kIcvMismatch);
  EXPECT_EQ(receiver->replay_window().highest(), 0u);
  EXPECT_TRUE(receiver->Verify(o).ok());
}

TEST(AhSa, SequenceCounterNeverCycles) {
  //= rfc4302#section-3.3.2
  //# Without ESN, after 2^32 - 1 the SA must not send again.
  auto sender = MakeSa(Config(Integ::kHmacSha1_96));
  ASSERT_TRUE(
      sender->Protect(Ipv4(kPayload), {.sequence_number = 0xfffffffe, .set_counter = true}).ok());
  auto last = sender->Protect(Ipv4(kPayload));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(LoadU32(&(*last)[28]), 0xffffffffu);
  EXPECT_EQ(sender->Protect(Ipv4(kPayload)).error().code, Code::kSequenceOverflow);
  EXPECT_EQ(sender->Protect(Ipv4(kPayload), {.sequence_number = uint64_t{1} << 32}).error().code,
            Code::kInvalidArgument);
}

TEST(AhSa, ExtendedSequenceNumbersCrossTheBoundary) {
  //= rfc4302#section-3.3.3.2.2
  //# With ESN the high 32 bits enter the ICV without being sent.
  auto sender = MakeSa(Config(Integ::kHmacSha2_256_128, SaConfig::kTransport, true));
  auto receiver = MakeSa(Config(Integ::kHmacSha2_256_128, SaConfig::kTransport, true));
  ASSERT_TRUE(
      sender->Protect(Ipv4(kPayload), {.sequence_number = 0xfffffffd, .set_counter = true}).ok());
  for (uint64_t want :
       {uint64_t{0xfffffffe}, uint64_t{0xffffffff}, uint64_t{1} << 32, (uint64_t{1} << 32) + 1}) {
    Bytes o = *sender->Protect(Ipv6(kUdp, kPayload));
    EXPECT_EQ(LoadU32(&o[48]), static_cast<uint32_t>(want)) << "only the low half is sent";
    auto v = receiver->Verify(o);
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    EXPECT_EQ(v->sequence_number, want);
  }
  // The high half matters: the same low half under another high half fails.
  Bytes wrong =
      *sender->Protect(Ipv6(kUdp, kPayload), {.sequence_number = (uint64_t{2} << 32) + 2});
  EXPECT_EQ(CodeOf(receiver->Verify(wrong)), Code::kIcvMismatch);
  // A receiver without ESN computes a different ICV.
  auto plain = MakeSa(Config(Integ::kHmacSha2_256_128));
  Bytes small = *sender->Protect(Ipv6(kUdp, kPayload), {.sequence_number = 5});
  EXPECT_EQ(CodeOf(plain->Verify(small)), Code::kIcvMismatch);
}

TEST(AhSa, TamperedImmutableBytesRejected) {
  for (const Shape& s : Shapes()) {
    SCOPED_TRACE(s.name);
    auto sender = MakeSa(Config(Integ::kHmacSha1_96, s.mode, false, s.outer_version));
    Bytes o = *sender->Protect(s.packet);
    const int version = o[0] >> 4;
    // Mutable: the base header fields, the record route option of the
    // options shape, the data of the Hop-by-Hop option 0x3e.
    auto is_mutable = [&](size_t i) {
      if (version == 4) {
        if (i == 1 || i == 6 || i == 7 || i == 8 || i == 10 || i == 11) return true;
        return s.name == "v4-options-transport" && i >= 24 && i < 31;
      }
      if ((i >= 1 && i <= 3) || i == 7) return true;
      return s.name == "v6-exthdr-transport" && i == 44;
    };
    for (size_t i = 0; i < o.size(); ++i) {
      if (is_mutable(i)) continue;
      for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x80}}) {
        if (version == 6 && i == 0 && bit == 0x01) continue;  // traffic class
        Bytes t = o;
        t[i] ^= bit;
        auto receiver = MakeSa(Config(Integ::kHmacSha1_96, s.mode, false, s.outer_version));
        EXPECT_FALSE(receiver->Verify(t).ok()) << "byte " << i << " bit " << int(bit);
      }
    }
  }
}

TEST(AhSa, ErrorsNameTheCheckThatFailed) {
  auto sender = MakeSa(Config(Integ::kHmacSha1_96));
  Bytes o = *sender->Protect(Ipv4(kPayload));
  auto fresh = [] { return MakeSa(Config(Integ::kHmacSha1_96)); };
  {
    Bytes t = o;
    t[24] ^= 1;
    auto r = fresh()->Verify(t);
    EXPECT_EQ(CodeOf(r), Code::kNoSa);
    EXPECT_EQ(r.error().offset, 24u);
  }
  {
    Bytes t = o;
    t[21] = 5;
    auto r = fresh()->Verify(t);
    EXPECT_EQ(CodeOf(r), Code::kBadLength);
    EXPECT_EQ(r.error().offset, 21u);
    EXPECT_EQ(r.error().requirement, "rfc4302#section-2.2");
  }
  {
    Bytes t = o;
    t.back() ^= 0x10;
    auto r = fresh()->Verify(t);
    EXPECT_EQ(CodeOf(r), Code::kIcvMismatch);
    EXPECT_EQ(r.error().offset, 32u);
    EXPECT_TRUE(Describe(r.error().code).auditable);
  }
  {
    //= rfc4302#section-3.4.1
    //# A fragment offered to AH is discarded.
    Bytes t = o;
    t[6] |= 0x20;  // more fragments
    auto r = fresh()->Verify(t);
    EXPECT_EQ(CodeOf(r), Code::kFragment);
    EXPECT_EQ(r.error().offset, 6u);
  }
  {
    Bytes t = Ipv4(kPayload);
    EXPECT_EQ(CodeOf(fresh()->Verify(t)), Code::kBadNextHeader);
  }
  // An IPv6 fragment before AH.
  auto sender6 = MakeSa(Config(Integ::kHmacSha1_96));
  Bytes frag = {kUdp, 0, 0x00, 0x01, 0, 0, 0, 7};  // offset 0, more fragments
  EXPECT_EQ(sender6->Protect(Ipv6(kFragment, Concat({frag, kPayload}))).error().code,
            Code::kFragment)
      << "transport mode never protects a fragment";
  Bytes atomic = {kUdp, 0, 0x00, 0x00, 0, 0, 0, 7};  // atomic fragment: a whole packet
  auto o6 = sender6->Protect(Ipv6(kFragment, Concat({atomic, kPayload})));
  ASSERT_TRUE(o6.ok()) << o6.error().ToString();
  Bytes t6 = *o6;
  t6[43] = 0x01;  // turn the fragment header into a real fragment
  auto r6 = fresh()->Verify(t6);
  EXPECT_EQ(CodeOf(r6), Code::kFragment);
  EXPECT_EQ(r6.error().offset, 42u);
}

TEST(AhSa, TunnelSaRejectsNonIpPayload) {
  // Same key, transport-mode sender: the ICV verifies but AH carries UDP.
  auto sender = MakeSa(Config(Integ::kHmacSha1_96));
  auto tunnel = MakeSa(Config(Integ::kHmacSha1_96, SaConfig::kTunnel));
  Bytes o = *sender->Protect(Ipv4(kPayload));
  auto r = tunnel->Verify(o);
  EXPECT_EQ(CodeOf(r), Code::kBadNextHeader);
  EXPECT_EQ(r.error().requirement, "rfc4301#section-5.2");
}

TEST(AhSa, MutableFieldChangesKeepTheIcvValid) {
  //= rfc4302#section-3.3.3.1
  //# What routers may change is outside the ICV.
  for (const Shape& s : Shapes()) {
    SCOPED_TRACE(s.name);
    auto sender = MakeSa(Config(Integ::kAesCmac96, s.mode, false, s.outer_version));
    Bytes o = *sender->Protect(s.packet);
    std::vector<Bytes> variants;
    if ((o[0] >> 4) == 4) {
      Bytes t = o;
      t[8] -= 5;     // TTL
      t[1] = 0x03;   // DSCP / ECN (CE)
      t[6] ^= 0x40;  // DF
      ip::SetIpv4HeaderChecksum(MutableByteSpan(t).first((t[0] & 0x0f) * 4u));
      variants.push_back(t);
      if (s.name == "v4-options-transport") {
        Bytes r = o;
        r[20 + 4 + 2] = 8;  // record route: pointer and a recorded address
        r[20 + 4 + 3] = 198;
        variants.push_back(r);
      }
    } else {
      Bytes t = o;
      t[7] = 1;                                  // hop limit
      t[1] = static_cast<uint8_t>(t[1] ^ 0x0f);  // flow label bits
      t[3] ^= 0x55;
      t[0] ^= 0x0f;  // traffic class high bits
      variants.push_back(t);
      if (s.name == "v6-exthdr-transport") {
        Bytes h = o;
        h[44] ^= 0xff;  // data of the Hop-by-Hop option that may change en route
        variants.push_back(h);
      }
    }
    for (const Bytes& v : variants) {
      auto receiver = MakeSa(Config(Integ::kAesCmac96, s.mode, false, s.outer_version));
      auto r = receiver->Verify(v);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      if (s.mode == SaConfig::kTunnel) {
        EXPECT_EQ(r->packet, s.packet);
      }
    }
  }
}

TEST(AhSa, TruncatedPacketsAreErrorsNotCrashes) {
  for (const Shape& s : Shapes()) {
    SCOPED_TRACE(s.name);
    auto sender = MakeSa(Config(Integ::kHmacSha2_512_256, s.mode, false, s.outer_version));
    Bytes o = *sender->Protect(s.packet);
    auto receiver = MakeSa(Config(Integ::kHmacSha2_512_256, s.mode, false, s.outer_version));
    const int version = o[0] >> 4;
    const size_t ah =
        version == 4 ? (o[0] & 0x0fu) * 4 : 40 + (s.name == "v6-exthdr-transport" ? 8 + 24 : 0);
    for (size_t n = 0; n < o.size(); ++n) {
      Bytes cut(o.begin(), o.begin() + static_cast<long>(n));
      auto r = receiver->Verify(cut);
      ASSERT_FALSE(r.ok()) << n;
      // The IP header's length no longer fits.
      EXPECT_TRUE(r.error().code == Code::kTruncated || r.error().code == Code::kBadLength)
          << n << ": " << r.error().ToString();
      // With the IP length fixed up, the AH checks themselves catch it.
      if (n > ah) {
        ip::FixLengths(cut, version);
        auto fixed = receiver->Verify(cut);
        ASSERT_FALSE(fixed.ok()) << n;
        const size_t ah_end = ah + HeaderLength(32, version);
        if (n < ah_end) {
          EXPECT_EQ(fixed.error().code, Code::kTruncated) << n << ": " << fixed.error().ToString();
        } else {
          EXPECT_EQ(fixed.error().code, Code::kIcvMismatch)
              << n << ": " << fixed.error().ToString();
        }
      }
    }
  }
}

}  // namespace
}  // namespace ipsecref::ah
