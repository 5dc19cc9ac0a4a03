// Properties of AH over random packets: IPv4 with random options, IPv6 with
// random extension headers, both modes, every integrity transform, random
// keys, 32-bit and extended sequence numbers.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "reference/ah/ah_sa.h"
#include "reference/crypto/transforms.h"
#include "reference/ip/packet.h"

namespace ipsecref::ah {
namespace {

constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kDestOpts = 60;
constexpr uint8_t kLsrr = 0x83, kSsrr = 0x89;
constexpr uint32_t kSpi = 0x5a5a0101;

// --- random packets --------------------------------------------------------

uint8_t AnyU8() { return *rc::gen::arbitrary<uint8_t>(); }

Bytes AnyBytes(size_t min, size_t max) {
  const size_t n = *rc::gen::inRange(min, max + 1);
  return *rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>());
}

uint8_t UpperProtocol() {
  static const std::vector<uint8_t> kProtocols = {1, 6, 17, 50, 58, 132};
  return *rc::gen::elementOf(kProtocols);
}

bool IsImmutableIpv4Option(uint8_t t) {
  // RFC 4302 Appendix A.1, written out independently of the code under test.
  return t == 0x00 || t == 0x01 || t == 0x82 || t == 0x85 || t == 0x86 || t == 0x94 || t == 0x95;
}

Bytes Ipv4Option() {
  switch (*rc::gen::inRange(0, 7)) {
    case 0:
      return {0x01};  // NOP
    case 1:
      return {0x94, 0x04, AnyU8(), AnyU8()};  // Router Alert
    case 2: {                                 // Security
      Bytes o = {0x82, 0};
      Bytes data = AnyBytes(1, 9);
      o.insert(o.end(), data.begin(), data.end());
      o[1] = static_cast<uint8_t>(o.size());
      return o;
    }
    case 3: {  // Record Route or Timestamp: pointer and slots
      const bool ts = *rc::gen::arbitrary<bool>();
      const size_t slots = *rc::gen::inRange<size_t>(1, 4);
      Bytes o = {static_cast<uint8_t>(ts ? 0x44 : 0x07), 0, static_cast<uint8_t>(ts ? 5 : 4)};
      if (ts) o.push_back(0);
      Bytes data = AnyBytes(slots * 4, slots * 4);
      o.insert(o.end(), data.begin(), data.end());
      o[1] = static_cast<uint8_t>(o.size());
      return o;
    }
    case 4: {  // Loose or strict source route, possibly partly or fully travelled
      const size_t hops = *rc::gen::inRange<size_t>(1, 4);
      const size_t done = *rc::gen::inRange<size_t>(0, hops + 1);
      Bytes o = {*rc::gen::element(kLsrr, kSsrr), static_cast<uint8_t>(3 + 4 * hops),
                 static_cast<uint8_t>(4 + 4 * done)};
      Bytes data = AnyBytes(hops * 4, hops * 4);
      o.insert(o.end(), data.begin(), data.end());
      return o;
    }
    default: {  // an option the table does not list: mutable
      const uint8_t type = *rc::gen::suchThat(rc::gen::arbitrary<uint8_t>(), [](uint8_t t) {
        return !IsImmutableIpv4Option(t) && t != kLsrr && t != kSsrr;
      });
      Bytes o = {type, 0};
      Bytes data = AnyBytes(0, 6);
      o.insert(o.end(), data.begin(), data.end());
      o[1] = static_cast<uint8_t>(o.size());
      return o;
    }
  }
}

Bytes Ipv4Packet() {
  Bytes options;
  bool source_route = false;
  for (int n = *rc::gen::inRange(0, 5); n > 0; --n) {
    Bytes o = Ipv4Option();
    const bool sr = o[0] == kLsrr || o[0] == kSsrr;
    if (options.size() + o.size() > 40 || (sr && source_route)) continue;
    source_route = source_route || sr;
    options.insert(options.end(), o.begin(), o.end());
  }
  while (options.size() % 4) options.push_back(0);  // End of Options List
  ByteWriter w;
  w.U8(static_cast<uint8_t>(0x40 | (5 + options.size() / 4)))
      .U8(AnyU8())
      .U16(0)
      .U16(*rc::gen::arbitrary<uint16_t>())
      .U16(*rc::gen::arbitrary<bool>() ? 0x4000 : 0)
      .U8(AnyU8())
      .U8(UpperProtocol())
      .U16(0)
      .Append(AnyBytes(4, 4))
      .Append(AnyBytes(4, 4))
      .Append(options)
      .Append(AnyBytes(0, 120));
  Bytes p = std::move(w).Take();
  ip::FixLengths(p, 4);
  return p;
}

// Options area of a Hop-by-Hop or Destination Options header, padded.
Bytes Ipv6OptionsHeader(uint8_t next) {
  Bytes options;
  for (int n = *rc::gen::inRange(0, 4); n > 0; --n) {
    if (*rc::gen::inRange(0, 5) == 0) {
      options.push_back(0);  // Pad1
      continue;
    }
    const uint8_t type = *rc::gen::inRange<uint8_t>(1, 255);  // 0 is Pad1
    Bytes data = AnyBytes(0, 10);
    options.push_back(type);
    options.push_back(static_cast<uint8_t>(data.size()));
    options.insert(options.end(), data.begin(), data.end());
  }
  const size_t pad = (8 - (2 + options.size()) % 8) % 8;
  if (pad == 1) options.push_back(0);
  if (pad > 1) {
    options.push_back(1);
    options.push_back(static_cast<uint8_t>(pad - 2));
    options.insert(options.end(), pad - 2, 0);
  }
  Bytes h = {next, static_cast<uint8_t>((2 + options.size()) / 8 - 1)};
  h.insert(h.end(), options.begin(), options.end());
  return h;
}

Bytes Ipv6Packet() {
  const uint8_t upper = UpperProtocol();
  const bool hbh = *rc::gen::arbitrary<bool>();
  const bool routing = *rc::gen::arbitrary<bool>();
  const bool dest_before = routing && *rc::gen::arbitrary<bool>();
  const bool dest_after = *rc::gen::arbitrary<bool>();
  const Bytes src = AnyBytes(16, 16), dst = AnyBytes(16, 16);
  // Built back to front, each header naming the one after it.
  Bytes chain = AnyBytes(0, 120);
  uint8_t next = upper;
  auto prepend = [&](Bytes header, uint8_t type) {
    chain.insert(chain.begin(), header.begin(), header.end());
    next = type;
  };
  if (dest_after) prepend(Ipv6OptionsHeader(next), kDestOpts);
  if (routing) {
    const size_t n = *rc::gen::inRange<size_t>(1, 4);
    const uint8_t segments_left = *rc::gen::inRange<uint8_t>(0, static_cast<uint8_t>(n + 1));
    Bytes rh = {next, static_cast<uint8_t>(2 * n), 0, segments_left, 0, 0, 0, 0};
    // The route's addresses differ from each other and from the destination:
    // where two are equal, a changed Segments Left can predict the very same
    // packet at the destination (RFC 4302 Appendix A2), which a
    // receiver rightly accepts.
    std::vector<Bytes> route = {dst};
    for (size_t k = 0; k < n; ++k) {
      route.push_back(*rc::gen::suchThat(rc::gen::container<Bytes>(16, rc::gen::arbitrary<uint8_t>()),
                                         [&](const Bytes& a) {
                                           return std::find(route.begin(), route.end(), a) == route.end();
                                         }));
      rh.insert(rh.end(), route.back().begin(), route.back().end());
    }
    prepend(rh, kRouting);
  }
  if (dest_before) prepend(Ipv6OptionsHeader(next), kDestOpts);
  if (hbh) prepend(Ipv6OptionsHeader(next), kHopByHop);
  ByteWriter w;
  w.U32(uint32_t{6} << 28 | *rc::gen::inRange<uint32_t>(0, 1u << 28))
      .U16(0)
      .U8(next)
      .U8(AnyU8())
      .Append(src)
      .Append(dst)
      .Append(chain);
  Bytes p = std::move(w).Take();
  ip::FixLengths(p, 6);
  return p;
}

// --- an SA pair ---------------------------------------------------------------

struct Pair {
  std::unique_ptr<Sa> sender, receiver;
  bool esn;
  SaConfig::Mode mode;
};

Pair AnyPair() {
  const auto transforms = crypto::IntegTransforms();
  const auto& t = transforms[*rc::gen::inRange<size_t>(0, transforms.size())];
  SaConfig c;
  c.spi = kSpi;
  c.mode = *rc::gen::element(SaConfig::kTransport, SaConfig::kTunnel);
  c.integ = t.id;
  Bytes key = AnyBytes(t.key_size, t.key_size);
  c.integ_key = ToSecure(key);
  c.esn = *rc::gen::arbitrary<bool>();
  if (c.mode == SaConfig::kTunnel) {
    const size_t n = *rc::gen::arbitrary<bool>() ? 4 : 16;
    c.tunnel_src = AnyBytes(n, n);
    c.tunnel_dst = AnyBytes(n, n);
  }
  auto sender = Sa::Create(c);
  auto receiver = Sa::Create(c);
  RC_ASSERT(sender.ok());
  RC_ASSERT(receiver.ok());
  return {std::move(sender).value(), std::move(receiver).value(), c.esn, c.mode};
}

// Picks a sequence number; with ESN, one in a random 2^32 subspace up to 3,
// walking the receiver's window there first as a real flow would.
uint64_t AnySequenceNumber(Pair& sa, ByteSpan packet) {
  if (!sa.esn) return *rc::gen::inRange<uint64_t>(1, uint64_t{1} << 32);
  const uint64_t high = *rc::gen::inRange<uint64_t>(0, 4);
  for (uint64_t h = 0; h < high; ++h) {
    for (uint64_t seq : {h << 32 | 0x80000000, h << 32 | 0xffffffff, (h + 1) << 32 | 0x10}) {
      auto o = sa.sender->Protect(packet, {.sequence_number = seq});
      RC_ASSERT(o.ok());
      auto v = sa.receiver->Verify(*o);
      RC_ASSERT(v.ok());
      RC_ASSERT(v->sequence_number == seq);
    }
  }
  if (high == 0) return *rc::gen::inRange<uint64_t>(1, uint64_t{1} << 32);
  return high << 32 | *rc::gen::inRange<uint64_t>(0x11, 0xffffffd1);
}

// --- an independent model of what routers may change (RFC 4302 §3.3.3.1) ---

// Per byte of a protected packet, the bits a router may change without
// invalidating the ICV.
Bytes MutableBits(const Bytes& o) {
  Bytes mask(o.size(), 0);
  if ((o[0] >> 4) == 4) {
    for (size_t i : {1, 6, 7, 8, 10, 11}) mask[i] = 0xff;
    const size_t ihl = (o[0] & 0x0fu) * 4;
    for (size_t i = 20; i < ihl;) {
      const uint8_t type = o[i];
      if (type == 0x00) break;
      if (type == 0x01) {
        ++i;
        continue;
      }
      const size_t len = o[i + 1];
      if (!IsImmutableIpv4Option(type)) std::fill_n(mask.begin() + static_cast<long>(i), len, 0xff);
      if ((type == kLsrr || type == kSsrr) && o[i + 2] <= len) {
        // Route not done: the destination is predicted from the last address.
        std::fill_n(mask.begin() + 16, 4, 0xff);
        std::fill_n(mask.begin() + static_cast<long>(i + len - 4), 4, 0);
      }
      i += len;
    }
    return mask;
  }
  mask[0] = 0x0f;
  for (size_t i : {1, 2, 3, 7}) mask[i] = 0xff;
  uint8_t next = o[6];
  size_t at = 40;
  while (next == kHopByHop || next == kDestOpts || next == kRouting) {
    const size_t len = (o[at + 1] + 1u) * 8;
    if (next != kRouting) {
      for (size_t i = at + 2; i < at + len;) {
        if (o[i] == 0) {
          ++i;
          continue;
        }
        if (o[i] & 0x20) std::fill_n(mask.begin() + static_cast<long>(i + 2), o[i + 1], 0xff);
        i += 2 + o[i + 1];
      }
    }
    next = o[at];
    at += len;
  }
  return mask;
}

// What routers do to a packet in flight: rewrite the mutable fields, and
// follow source routes.
void Forward(Bytes& o) {
  if ((o[0] >> 4) == 4) {
    o[1] = AnyU8();
    o[8] = AnyU8();
    o[6] = static_cast<uint8_t>((o[6] & ~0x40) | (AnyU8() & 0x40));  // DF, never MF or an offset
    o[10] = AnyU8();
    o[11] = AnyU8();
    const size_t ihl = (o[0] & 0x0fu) * 4;
    for (size_t i = 20; i < ihl;) {
      const uint8_t type = o[i];
      if (type == 0x00) break;
      if (type == 0x01) {
        ++i;
        continue;
      }
      const size_t len = o[i + 1];
      if (type == kLsrr || type == kSsrr) {
        for (int hops = *rc::gen::inRange(0, 5); hops > 0 && o[i + 2] <= len; --hops) {
          const size_t slot = i + o[i + 2] - 1;
          std::swap_ranges(o.begin() + static_cast<long>(slot),
                           o.begin() + static_cast<long>(slot) + 4, o.begin() + 16);
          std::fill_n(o.begin() + static_cast<long>(slot), 4, AnyU8());  // the router's address
          o[i + 2] = static_cast<uint8_t>(o[i + 2] + 4);
        }
      } else if (!IsImmutableIpv4Option(type)) {
        for (size_t j = i + 2; j < i + len; ++j) o[j] = AnyU8();
      }
      i += len;
    }
    return;
  }
  o[0] = static_cast<uint8_t>((o[0] & 0xf0) | (AnyU8() & 0x0f));
  o[1] = AnyU8();
  o[2] = AnyU8();
  o[3] = AnyU8();
  o[7] = AnyU8();
  uint8_t next = o[6];
  size_t at = 40;
  while (next == kHopByHop || next == kDestOpts || next == kRouting) {
    const size_t len = (o[at + 1] + 1u) * 8;
    if (next == kRouting) {
      const size_t n = o[at + 1] / 2;
      for (int hops = *rc::gen::inRange(0, 4); hops > 0 && o[at + 3] > 0; --hops) {
        o[at + 3] -= 1;
        const size_t i = n - o[at + 3];  // 1-based index of the next address
        auto address = o.begin() + static_cast<long>(at + 8 + (i - 1) * 16);
        std::swap_ranges(address, address + 16, o.begin() + 24);
      }
    } else {
      for (size_t i = at + 2; i < at + len;) {
        if (o[i] == 0) {
          ++i;
          continue;
        }
        if (o[i] & 0x20) {
          for (size_t j = i + 2; j < i + 2 + o[i + 1]; ++j) o[j] = AnyU8();
        }
        i += 2 + o[i + 1];
      }
    }
    next = o[at];
    at += len;
  }
}

Bytes AnyPacket() { return *rc::gen::arbitrary<bool>() ? Ipv4Packet() : Ipv6Packet(); }

// --- properties ---------------------------------------------------------------

RC_GTEST_PROP(AhProperties, VerifyInvertsProtect, ()) {
  Pair sa = AnyPair();
  const Bytes p = AnyPacket();
  const uint64_t seq = AnySequenceNumber(sa, p);
  auto o = sa.sender->Protect(p, {.sequence_number = seq});
  RC_ASSERT(o.ok());
  auto v = sa.receiver->Verify(*o);
  RC_ASSERT(v.ok());
  RC_ASSERT(v->packet == p);
  RC_ASSERT(v->sequence_number == seq);
  // And a second time it is a replay.
  auto again = sa.receiver->Verify(*o);
  RC_ASSERT(!again.ok());
  RC_ASSERT(again.error().code == Code::kReplay);
}

RC_GTEST_PROP(AhProperties, AnyFlippedImmutableBitIsRejected, ()) {
  Pair sa = AnyPair();
  const Bytes p = AnyPacket();
  const uint64_t seq = AnySequenceNumber(sa, p);
  const Bytes o = *sa.sender->Protect(p, {.sequence_number = seq});
  const Bytes mask = MutableBits(o);
  // Half of the flips land in the IP headers and AH's fixed part, where the
  // mutability rules are; the rest anywhere.
  auto view = ip::Parse(o, false);
  RC_ASSERT(view.ok());
  const bool in_headers = *rc::gen::arbitrary<bool>();
  const size_t end = in_headers ? view->header_length + kFixedHeaderSize : o.size();
  std::vector<std::pair<size_t, uint8_t>> immutable;
  for (size_t i = 0; i < end; ++i) {
    for (int b = 0; b < 8; ++b) {
      if (!(mask[i] >> b & 1)) immutable.emplace_back(i, static_cast<uint8_t>(1 << b));
    }
  }
  const auto [at, bit] = *rc::gen::elementOf(immutable);
  Bytes t = o;
  t[at] ^= bit;
  auto v = sa.receiver->Verify(t);
  RC_ASSERT(!v.ok());
  // The rejection left the SA as it was: the genuine packet still verifies.
  RC_ASSERT(sa.receiver->Verify(o).ok());
}

RC_GTEST_PROP(AhProperties, ChangingOnlyMutableFieldsKeepsTheIcvValid, ()) {
  Pair sa = AnyPair();
  const Bytes p = AnyPacket();
  const uint64_t seq = AnySequenceNumber(sa, p);
  Bytes o = *sa.sender->Protect(p, {.sequence_number = seq});
  const size_t size = o.size();
  Forward(o);
  RC_ASSERT(o.size() == size);
  auto v = sa.receiver->Verify(o);
  RC_ASSERT(v.ok());
  RC_ASSERT(v->sequence_number == seq);
  if (sa.mode == SaConfig::kTunnel) {
    RC_ASSERT(v->packet == p);
  } else {
    // Transport: the payload behind the IP headers arrives as it was sent.
    RC_ASSERT(v->packet.size() == p.size());
    auto point = ip::TransportInsertionPoint(p);
    RC_ASSERT(point.ok());
    RC_ASSERT(std::equal(v->packet.begin() + static_cast<long>(point->offset), v->packet.end(),
                         p.begin() + static_cast<long>(point->offset)));
  }
}

}  // namespace
}  // namespace ipsecref::ah
