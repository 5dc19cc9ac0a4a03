#include "reference/ip/reassembly.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>

#include "reference/iana/iana.h"
#include "reference/ip/packet.h"

namespace ipsecref::ip {

using iana::IpProtocol;

// One fragment, read: which datagram, which octets, and (first fragment)
// the header that the reassembled packet takes.
struct ParsedFragment {
  DatagramKey key;
  size_t first = 0;   // fragment offset in octets
  bool more = false;  // MF / M
  ByteSpan data;      // the fragment's part of the fragmentable part
  ByteSpan header;    // IPv4 header, or the IPv6 Unfragmentable Part
  size_t next_header_field = 0;  // IPv6: the byte in `header` that names the Fragment header
  uint8_t next_header = 0;       // IPv6: the Fragment header's Next Header
  size_t offset_field = 0;       // where the offset stands, for errors
};

namespace {

constexpr size_t kOpenEnd = std::numeric_limits<size_t>::max();  // the last fragment not yet seen
constexpr size_t kMaxLengthField = 0xffff;  // IPv4 Total Length, IPv6 Payload Length
constexpr size_t kFragmentHeader = 8;       // RFC 8200 §4.5
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4Offset = 0x1fff;
constexpr uint16_t kIpv6Offset = 0xfff8;
constexpr uint16_t kIpv6More = 0x0001;
constexpr size_t kMaxFragmentNumbers = 8192;  // 65536 octets in 8-octet units

// Per version: where the rules come from.
struct VersionRules {
  std::string_view layout;    // the fragment fields, the 8-octet units
  std::string_view overlap;   // overlapping fragments discard the datagram
  std::string_view timeout;   // reassembly time
  std::string_view too_long;  // the reassembled length must fit its field
};
constexpr VersionRules kIpv4Rules{"rfc791#section-3.2", "rfc1858#section-4", "rfc791#section-3.2",
                                  "rfc791#section-3.1"};
constexpr VersionRules kIpv6Rules{"rfc8200#section-4.5", "rfc5722#section-4", "rfc8200#section-4.5",
                                  "rfc8200#section-4.5"};
const VersionRules& Rules(int version) { return version == 4 ? kIpv4Rules : kIpv6Rules; }

// The IPv6 Fragment header: where it starts and which byte names it. The
// walk stops there: after a non-first fragment's Fragment header comes
// data, not headers.
struct Ipv6FragmentAt {
  size_t at = 0;
  size_t next_header_field = 0;
};
Result<Ipv6FragmentAt> FindIpv6FragmentHeader(ByteSpan packet) {
  size_t at = kIpv6Header;
  size_t field = 6;
  uint8_t next = packet[6];
  //= rfc8200#section-4.1
  //# Hop-by-Hop, Destination Options and Routing headers may precede the
  //# Fragment header; each gives its length in 8-octet units beyond the first 8.
  while (next != static_cast<uint8_t>(IpProtocol::kFragment)) {
    ENSURE(IsIpv6ExtensionHeader(next), kFragment, field, "rfc8200#section-4.5",
           "no Fragment header: not a fragment");
    ENSURE(packet.size() - at >= 8, kTruncated, at, "rfc8200#section-4",
           fmt::format("{} header needs 8 bytes", iana::Name(static_cast<IpProtocol>(next))));
    const size_t len = (packet[at + 1] + 1u) * 8;
    ENSURE(packet.size() - at >= len, kTruncated, at + 1, "rfc8200#section-4",
           fmt::format("{} header of {} bytes exceeds the packet",
                       iana::Name(static_cast<IpProtocol>(next)), len));
    field = at;
    next = packet[at];
    at += len;
  }
  ENSURE(packet.size() - at >= kFragmentHeader, kTruncated, at, "rfc8200#section-4.5",
         "the Fragment header needs 8 bytes");
  return Ipv6FragmentAt{at, field};
}

Result<ParsedFragment> ParseIpv4Fragment(ByteSpan packet) {
  TRY_ASSIGN(PacketView v, Parse(packet, /*verify_checksum=*/false));
  const ByteSpan whole = packet.first(v.total_length);
  ParsedFragment f;
  f.key = {4, Bytes(v.src.begin(), v.src.end()), Bytes(v.dst.begin(), v.dst.end()), whole[9],
           LoadU16(&whole[4])};
  //= rfc791#section-3.1
  //# Identification, the MF flag and the Fragment Offset (in 8-octet units)
  //# place a fragment in its datagram.
  const uint16_t flags_offset = LoadU16(&whole[6]);
  f.first = (flags_offset & kIpv4Offset) * 8u;
  f.more = (flags_offset & kIpv4MoreFragments) != 0;
  ENSURE(f.more || f.first != 0, kFragment, 6, kIpv4Rules.layout,
         "MF clear and offset 0: not a fragment");
  f.header = whole.first(v.ip_header_length);
  f.data = whole.subspan(v.ip_header_length);
  f.offset_field = 6;
  return f;
}

Result<ParsedFragment> ParseIpv6Fragment(ByteSpan packet) {
  ENSURE(packet.size() >= kIpv6Header, kTruncated, packet.size(), "rfc8200#section-3",
         fmt::format("IPv6 header needs 40 bytes, {} present", packet.size()));
  const size_t total = kIpv6Header + LoadU16(&packet[4]);
  ENSURE(total <= packet.size(), kTruncated, 4, "rfc8200#section-3",
         fmt::format("payload length {} exceeds the {} bytes present", total - kIpv6Header,
                     packet.size() - kIpv6Header));
  const ByteSpan whole = packet.first(total);
  TRY_ASSIGN(Ipv6FragmentAt at, FindIpv6FragmentHeader(whole));
  //= rfc8200#section-4.5
  //# The Fragment header: Next Header, reserved, a 13-bit offset in 8-octet
  //# units, two reserved bits, the M flag, and a 32-bit Identification.
  const uint16_t offset_flags = LoadU16(&whole[at.at + 2]);
  ParsedFragment f;
  f.key = {6, Bytes(&whole[8], &whole[24]), Bytes(&whole[24], &whole[40]), 0,
           LoadU32(&whole[at.at + 4])};
  f.first = offset_flags & kIpv6Offset;
  f.more = (offset_flags & kIpv6More) != 0;
  f.header = whole.first(at.at);
  f.next_header_field = at.next_header_field;
  f.next_header = whole[at.at];
  f.data = whole.subspan(at.at + kFragmentHeader);
  f.offset_field = at.at + 2;
  return f;
}

Result<ParsedFragment> ParseFragment(ByteSpan packet) {
  if (!packet.empty() && packet[0] >> 4 == 6) return ParseIpv6Fragment(packet);
  return ParseIpv4Fragment(packet);
}

// The octets counted by the length field: IPv4 Total Length covers the
// header, IPv6 Payload Length does not cover the fixed header.
size_t LengthFieldSpan(int version, size_t header, size_t data) {
  return version == 4 ? header + data : header - kIpv6Header + data;
}

// The whole packet: the first fragment's header, rewritten as if the
// datagram had never been fragmented, then the data.
Bytes Rebuild(int version, ByteSpan header, size_t next_header_field, uint8_t next_header,
              std::initializer_list<ByteSpan> data) {
  Bytes out(header.begin(), header.end());
  if (version == 4) {
    //= rfc791#section-3.2
    //# The reassembled datagram keeps the first fragment's header, with MF
    //# and the offset cleared and the total length of the whole.
    StoreU16(&out[6], LoadU16(&out[6]) & ~(kIpv4MoreFragments | kIpv4Offset));
  } else {
    //= rfc8200#section-4.5
    //# The Next Header field of the Unfragmentable Part's last header comes
    //# from the first fragment's Fragment header; the Fragment header goes.
    out[next_header_field] = next_header;
  }
  for (ByteSpan d : data) out.insert(out.end(), d.begin(), d.end());
  FixLengths(out, version);
  return out;
}

// Whether `timeout` has passed from `start` to `now`, without overflow for
// any times a capture may claim (and never when time runs backwards).
bool TimedOut(int64_t start, int64_t now, int64_t timeout) {
  return now >= start &&
         static_cast<uint64_t>(now) - static_cast<uint64_t>(start) >= static_cast<uint64_t>(timeout);
}

}  // namespace

bool IsFragment(ByteSpan packet) {
  // Read from the headers alone: a fragment the capture cut is still one.
  if (packet.size() >= kIpv4MinHeader && packet[0] >> 4 == 4)
    return (LoadU16(&packet[6]) & (kIpv4MoreFragments | kIpv4Offset)) != 0;
  if (packet.size() >= kIpv6Header && packet[0] >> 4 == 6)
    return FindIpv6FragmentHeader(packet).ok();
  return false;
}

Reassembler::Reassembler(ReassemblyLimits limits) : limits_(limits) {}

Result<FragmentOutcome> Reassembler::Add(ByteSpan packet, uint64_t number, int64_t now_ns) {
  TRY_ASSIGN(ParsedFragment f, ParseFragment(packet));
  const VersionRules& rules = Rules(f.key.version);
  ENSURE(!f.data.empty(), kBadLength, f.offset_field, rules.layout, "a fragment without data");
  //= rfc8200#section-4.5
  //# A fragment other than the last must carry a multiple of 8 octets, or
  //# it is discarded.
  ENSURE(!f.more || f.data.size() % 8 == 0, kBadLength, f.offset_field, rules.layout,
         fmt::format("a fragment with more to follow carries {} octets, not a multiple of 8",
                     f.data.size()));
  //= rfc8200#section-4.5
  //# A fragment whose offset and length would make the reassembled Payload
  //# Length exceed 65,535 octets is discarded (IPv4: the Total Length).
  const size_t length = LengthFieldSpan(f.key.version, f.header.size(), f.first + f.data.size());
  ENSURE(length <= kMaxLengthField, kBadLength, f.offset_field, rules.too_long,
         fmt::format("offset {} and {} octets would make the datagram's length field {}, more "
                     "than 65535",
                     f.first, f.data.size(), length));
  //= rfc6946#section-4
  //# An atomic fragment (offset 0, M clear) is processed in isolation from
  //# any other fragment with the same identification.
  if (f.key.version == 6 && f.first == 0 && !f.more) {
    FragmentOutcome out;
    out.abandoned = Expire(now_ns);
    out.datagram = Reassembled{
        Rebuild(6, f.header, f.next_header_field, f.next_header, {f.data}), {number}};
    return out;
  }
  return AddFragment(f, number, now_ns);
}

Result<FragmentOutcome> Reassembler::AddFragment(const ParsedFragment& f, uint64_t number,
                                                 int64_t now_ns) {
  const VersionRules& rules = Rules(f.key.version);
  FragmentOutcome out;
  out.abandoned = Expire(now_ns);
  auto found = index_.find(f.key);
  if (found == index_.end()) {
    if (limits_.max_datagrams == 0) return out;
    while (order_.size() >= limits_.max_datagrams) {
      EvictOldest(order_.end(),
                  MakeError(Code::kReassemblyLimit, kNoOffset, "",
                            fmt::format("{} datagrams open at once, the most allowed; the oldest "
                                        "gives way",
                                        limits_.max_datagrams)),
                  out.abandoned);
    }
    Datagram d;
    d.key = f.key;
    d.started_ns = now_ns;
    //= rfc815#section-3
    //# Reassembly starts with one hole, from octet 0 to "infinity".
    d.holes.push_back({0, kOpenEnd});
    order_.push_back(std::move(d));
    found = index_.emplace(f.key, std::prev(order_.end())).first;
  }
  const Position it = found->second;
  Datagram& d = *it;
  d.last_ns = now_ns;
  //= rfc5722#section-4
  //# Once a datagram is discarded for an overlap, its fragments still to
  //# come are discarded too.
  if (d.discarded) return out;
  // As many numbers as a datagram has fragments at most: a flood of
  // duplicates takes no more memory.
  if (d.numbers.size() < kMaxFragmentNumbers) d.numbers.push_back(number);
  const size_t first = f.first;
  const size_t last = f.first + f.data.size() - 1;
  //= rfc8200#section-4.5
  //# An exact duplicate of a fragment may be dropped silently rather than
  //# be taken for an overlap.
  for (const Fragment& g : d.fragments) {
    if (g.first == first && g.last == last &&
        std::equal(g.data.begin(), g.data.end(), f.data.begin()))
      return out;
  }
  //= rfc815#section-3
  //# A fragment fills part of one hole, leaving at most a hole before it and
  //# one after it (none after the last fragment).
  auto hole = std::find_if(d.holes.begin(), d.holes.end(),
                           [&](const Hole& h) { return h.first <= first && last <= h.last; });
  if (hole == d.holes.end() || (!f.more && hole->last != kOpenEnd)) {
    std::vector<std::pair<size_t, size_t>> had;
    for (const Fragment& g : d.fragments) had.emplace_back(g.first, g.last);
    std::sort(had.begin(), had.end());
    std::string ranges;
    for (const auto& [a, b] : had) ranges += fmt::format("{}{}-{}", ranges.empty() ? "" : ", ", a, b);
    Error e = MakeError(Code::kFragmentOverlap, f.offset_field, rules.overlap,
                        fmt::format("octets {}-{}{} conflict with those already received ({}); "
                                    "the datagram is discarded",
                                    first, last, f.more ? "" : " ending the datagram", ranges));
    out.abandoned.push_back({std::move(e), d.numbers, now_ns});
    Release(it, /*keep_as_discarded=*/true);
    return out;
  }
  const Hole filled = *hole;
  d.holes.erase(hole);
  if (first > filled.first) d.holes.push_back({filled.first, first - 1});
  if (f.more && last < filled.last) d.holes.push_back({last + 1, filled.last});
  size_t added = f.data.size();
  if (first == 0) {
    d.header.assign(f.header.begin(), f.header.end());
    d.next_header_field = f.next_header_field;
    d.next_header = f.next_header;
    added += d.header.size();
  }
  d.fragments.push_back({first, last, Bytes(f.data.begin(), f.data.end())});
  d.bytes += added;
  buffered_ += added;
  while (buffered_ > limits_.max_buffered_bytes) {
    const Error why = MakeError(
        Code::kReassemblyLimit, kNoOffset, "",
        fmt::format("{} bytes buffered, more than the {} allowed; the oldest datagram gives way",
                    buffered_, limits_.max_buffered_bytes));
    if (EvictOldest(it, why, out.abandoned)) return out;
  }
  if (!d.holes.empty()) return out;
  auto whole = Assemble(d);
  if (!whole.ok()) {
    out.abandoned.push_back(Abandon(it, std::move(whole).error()));
    return out;
  }
  whole->fragments = std::move(d.numbers);
  Release(it);
  out.datagram = std::move(*whole);
  return out;
}

Result<Reassembled> Reassembler::Assemble(Datagram& d) {
  std::sort(d.fragments.begin(), d.fragments.end(),
            [](const Fragment& a, const Fragment& b) { return a.first < b.first; });
  const size_t data_size = d.fragments.back().last + 1;
  const size_t length = LengthFieldSpan(d.key.version, d.header.size(), data_size);
  //= rfc791#section-3.1
  //# The whole datagram must fit its 16-bit length field (the first
  //# fragment's header may be longer than those the others carried).
  ENSURE(length <= kMaxLengthField, kBadLength, kNoOffset, Rules(d.key.version).too_long,
         fmt::format("the reassembled datagram's length field would be {}, more than 65535",
                     length));
  Reassembled r;
  r.packet = Rebuild(d.key.version, d.header, d.next_header_field, d.next_header, {});
  r.packet.reserve(d.header.size() + data_size);
  for (const Fragment& g : d.fragments) r.packet.insert(r.packet.end(), g.data.begin(), g.data.end());
  FixLengths(r.packet, d.key.version);
  return r;
}

void Reassembler::Release(Position it, bool keep_as_discarded) {
  buffered_ -= it->bytes;
  if (keep_as_discarded) {
    it->discarded = true;
    it->bytes = 0;
    it->fragments = {};
    it->holes = {};
    it->header = {};
    return;
  }
  index_.erase(it->key);
  order_.erase(it);
}

AbandonedDatagram Reassembler::Abandon(Position it, Error error) {
  AbandonedDatagram a{std::move(error), std::move(it->numbers), it->last_ns};
  Release(it);
  return a;
}

AbandonedDatagram Reassembler::AbandonIncomplete(Position it, std::string_view when) {
  std::vector<Hole> holes = it->holes;
  std::sort(holes.begin(), holes.end(), [](const Hole& a, const Hole& b) { return a.first < b.first; });
  std::string missing;
  for (const Hole& h : holes) {
    missing += missing.empty() ? "" : ", ";
    missing += h.last == kOpenEnd ? fmt::format("octets {}- (the last fragment)", h.first)
                                  : fmt::format("octets {}-{}", h.first, h.last);
  }
  return Abandon(it, MakeError(Code::kReassemblyTimeout, kNoOffset, Rules(it->key.version).timeout,
                               fmt::format("{} the datagram still lacks {}", when, missing)));
}

bool Reassembler::EvictOldest(Position keep, const Error& why, std::vector<AbandonedDatagram>& out) {
  Position oldest = order_.begin();
  if (oldest == keep && std::next(oldest) != order_.end()) ++oldest;
  const bool self = oldest == keep;
  if (oldest->discarded)
    Release(oldest);
  else
    out.push_back(Abandon(oldest, why));
  return self;
}

std::vector<AbandonedDatagram> Reassembler::Expire(int64_t now_ns) {
  std::vector<AbandonedDatagram> out;
  //= rfc8200#section-4.5
  //# Reassembly is abandoned when the time since the first-arriving
  //# fragment reaches the timeout.
  while (!order_.empty() && TimedOut(order_.front().started_ns, now_ns, limits_.timeout_ns)) {
    if (order_.front().discarded) {
      Release(order_.begin());
      continue;
    }
    out.push_back(AbandonIncomplete(
        order_.begin(),
        fmt::format("{} s after its first fragment", limits_.timeout_ns / 1'000'000'000)));
  }
  return out;
}

std::vector<AbandonedDatagram> Reassembler::Flush() {
  std::vector<AbandonedDatagram> out;
  while (!order_.empty()) {
    if (order_.front().discarded) {
      Release(order_.begin());
      continue;
    }
    out.push_back(AbandonIncomplete(order_.begin(), "at the end of the input"));
  }
  return out;
}

}  // namespace ipsecref::ip
