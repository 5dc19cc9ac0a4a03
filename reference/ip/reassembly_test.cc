// IP reassembly on fragments made outside the project: Scapy 2.5.0's
// fragment() and fragment6() cut the packets of two real captures
// (pcaps/fragments/make_fragments.py). Expected: the original packets, byte
// for byte, completed at the frames where tshark 4.0.17 says "reassembled
// in" (its ESP and ISAKMP rows); and the RFCs' rules on overlaps, limits
// and timeouts on hand-made fragments. A property: any cutting of a random
// datagram, delivered in any order with duplicates, gives it back.
#include "reference/ip/reassembly.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>

#include "reference/io/pcap_reader.h"
#include "reference/ip/packet.h"

namespace ipsecref::ip {
namespace {

struct Fed {
  std::vector<Reassembled> datagrams;
  std::vector<AbandonedDatagram> abandoned;
  std::vector<Error> refused;
};

Fed Feed(const std::string& path, Reassembler& r) {
  Fed fed;
  auto packets = io::ReadCapture(path);
  EXPECT_TRUE(packets.ok()) << packets.error().ToString();
  if (!packets.ok()) return fed;
  for (const io::CapturedPacket& p : *packets) {
    EXPECT_TRUE(IsFragment(p.ip())) << path << " packet " << p.number;
    auto out = r.Add(p.ip(), p.number, p.timestamp.ToNanoseconds());
    if (!out.ok()) {
      fed.refused.push_back(out.error());
      continue;
    }
    if (out->datagram) fed.datagrams.push_back(std::move(*out->datagram));
    for (auto& a : out->abandoned) fed.abandoned.push_back(std::move(a));
  }
  for (auto& a : r.Flush()) fed.abandoned.push_back(std::move(a));
  return fed;
}

std::vector<Bytes> Originals(const std::string& path) {
  std::vector<Bytes> out;
  auto packets = io::ReadCapture(path);
  EXPECT_TRUE(packets.ok()) << packets.error().ToString();
  if (!packets.ok()) return out;
  for (const io::CapturedPacket& p : *packets) out.emplace_back(p.ip().begin(), p.ip().end());
  return out;
}

std::vector<uint64_t> CompletedAt(const Fed& fed) {
  std::vector<uint64_t> at;
  for (const Reassembled& d : fed.datagrams) at.push_back(d.fragments.back());
  return at;
}

// tshark -o ip.defragment:TRUE: the frames showing ISAKMP or ESP.
const std::vector<uint64_t> kGcmInOrderReassembledIn = {5,  10, 15, 19, 21, 23, 25, 27, 29,
                                                        31, 33, 35, 37, 39, 41, 43};

// Feeds the Scapy-fragmented `capture` and expects the packets of
// `original`, the capture it was made from, back byte for byte.
Fed ExpectOriginals(const std::string& capture, const std::string& original, Reassembler& r) {
  Fed fed = Feed(capture, r);
  EXPECT_TRUE(fed.refused.empty());
  EXPECT_TRUE(fed.abandoned.empty());
  std::vector<Bytes> originals = Originals(original);
  EXPECT_EQ(fed.datagrams.size(), originals.size());
  for (size_t i = 0; i < originals.size() && i < fed.datagrams.size(); ++i)
    EXPECT_EQ(ToHex(fed.datagrams[i].packet), ToHex(originals[i])) << "datagram " << i;
  return fed;
}

constexpr const char* kGcm = "pcaps/linux-xfrm-gcm/capture.pcap";

TEST(Reassembly, ScapyFragmentsInOrderGiveTheOriginalPackets) {
  Reassembler r;
  Fed fed = ExpectOriginals("pcaps/fragments/linux-xfrm-gcm-in-order.pcap", kGcm, r);
  EXPECT_EQ(CompletedAt(fed), kGcmInOrderReassembledIn);
  ASSERT_FALSE(fed.datagrams.empty());
  // Frame 1 (292 octets of IP, 272 of data) went in five fragments, 1-5.
  EXPECT_EQ(fed.datagrams[0].fragments, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(r.open_datagrams(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(Reassembly, ScapyFragmentsLastFirstGiveTheOriginalPackets) {
  Reassembler r;
  Fed fed = ExpectOriginals("pcaps/fragments/linux-xfrm-gcm-reverse.pcap", kGcm, r);
  // Same frame counts per packet as in order: each completes at its group's end.
  EXPECT_EQ(CompletedAt(fed), kGcmInOrderReassembledIn);
}

TEST(Reassembly, ExactDuplicatesAreDroppedSilently) {
  Reassembler r;
  Fed fed = ExpectOriginals("pcaps/fragments/linux-xfrm-gcm-duplicate.pcap", kGcm, r);
  ASSERT_FALSE(fed.datagrams.empty());
  // The duplicate is listed among the datagram's fragments: frames 1, 2 (its copy), 3-6.
  EXPECT_EQ(fed.datagrams[0].fragments, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Reassembly, Ipv6FragmentHeaderRemovedAndNextHeaderRestored) {
  Reassembler r;
  ExpectOriginals("pcaps/fragments/linux-xfrm-ipv6-fragments.pcap", "pcaps/linux-xfrm-ipv6/capture.pcap", r);
}

TEST(Reassembly, OverlapDiscardsTheWholeDatagram) {
  Reassembler r;
  Fed fed = Feed("pcaps/fragments/linux-xfrm-gcm-overlap.pcap", r);
  EXPECT_TRUE(fed.refused.empty());
  // tshark flags frame 25 (offset 56, 16 octets) as overlapping with
  // conflicting data (ip.fragment.overlap.conflict) in the datagram of 24-26.
  ASSERT_EQ(fed.abandoned.size(), 1u);
  EXPECT_EQ(fed.abandoned[0].error.code, Code::kFragmentOverlap);
  EXPECT_EQ(fed.abandoned[0].error.requirement, "rfc1858#section-4");
  EXPECT_EQ(fed.abandoned[0].fragments, (std::vector<uint64_t>{24, 25}));
  // Frame 26, its true second half, is swallowed (RFC 5722): 15 datagrams.
  EXPECT_EQ(fed.datagrams.size(), 15u);
  for (const Reassembled& d : fed.datagrams)
    EXPECT_NE(d.fragments.back(), 26u);
  EXPECT_EQ(r.open_datagrams(), 0u);
}

TEST(Reassembly, MissingLastFragmentIsReportedAtTheEnd) {
  Reassembler r;
  Fed fed = Feed("pcaps/fragments/linux-xfrm-gcm-missing-last.pcap", r);
  EXPECT_TRUE(fed.refused.empty());
  EXPECT_EQ(fed.datagrams.size(), 15u);
  ASSERT_EQ(fed.abandoned.size(), 1u);
  EXPECT_EQ(fed.abandoned[0].error.code, Code::kReassemblyTimeout);
  EXPECT_EQ(fed.abandoned[0].fragments, (std::vector<uint64_t>{28}));
  EXPECT_NE(fed.abandoned[0].error.detail.find("octets 64- (the last fragment)"), std::string::npos)
      << fed.abandoned[0].error.detail;
}

// Hand-made fragments for the rules the captures do not show.
Bytes Ipv4Fragment(uint16_t id, size_t offset_units, bool more, size_t data_size, uint8_t fill) {
  Bytes p(20 + data_size, fill);
  const uint8_t h[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2};
  std::copy(h, h + 20, p.begin());
  StoreU16(&p[2], static_cast<uint16_t>(p.size()));
  StoreU16(&p[4], id);
  StoreU16(&p[6], static_cast<uint16_t>((more ? 0x2000 : 0) | offset_units));
  return p;
}

Bytes Ipv6Fragment(uint32_t id, size_t offset_units, bool more, size_t data_size, uint8_t fill) {
  Bytes p(48 + data_size, fill);
  Bytes h(48, 0);
  h[0] = 0x60;
  h[6] = 44;  // Fragment
  h[7] = 64;
  h[8] = 0x20, h[9] = 0x01, h[23] = 1;
  h[24] = 0x20, h[25] = 0x01, h[39] = 2;
  h[40] = 17;  // UDP
  StoreU16(&h[42], static_cast<uint16_t>(offset_units << 3 | (more ? 1 : 0)));
  StoreU32(&h[44], id);
  std::copy(h.begin(), h.end(), p.begin());
  StoreU16(&p[4], static_cast<uint16_t>(p.size() - 40));
  return p;
}

TEST(Reassembly, Ipv6OverlapCitesRfc5722) {
  Reassembler r;
  ASSERT_TRUE(r.Add(Ipv6Fragment(7, 0, true, 16, 0xaa), 1, 0).ok());
  auto out = r.Add(Ipv6Fragment(7, 1, true, 16, 0xbb), 2, 0);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->abandoned.size(), 1u);
  EXPECT_EQ(out->abandoned[0].error.code, Code::kFragmentOverlap);
  EXPECT_EQ(out->abandoned[0].error.requirement, "rfc5722#section-4");
  EXPECT_EQ(out->abandoned[0].error.offset, 42u);  // the second fragment's offset field
  // Even a fragment that would have completed it is discarded.
  auto later = r.Add(Ipv6Fragment(7, 2, false, 8, 0xcc), 3, 0);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->datagram);
  EXPECT_TRUE(later->abandoned.empty());
  EXPECT_TRUE(r.Flush().empty());
}

TEST(Reassembly, AtomicFragmentIsProcessedAtOnce) {
  Reassembler r;
  // An unfinished datagram with the same Identification stays apart.
  ASSERT_TRUE(r.Add(Ipv6Fragment(9, 0, true, 8, 0x11), 1, 0).ok());
  auto out = r.Add(Ipv6Fragment(9, 0, false, 5, 0x22), 2, 0);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_TRUE(out->datagram);
  const Bytes& p = out->datagram->packet;
  ASSERT_EQ(p.size(), 45u);
  EXPECT_EQ(p[6], 17);            // Next Header: UDP, from the Fragment header
  EXPECT_EQ(LoadU16(&p[4]), 5u);  // Payload Length without the Fragment header
  EXPECT_EQ(r.open_datagrams(), 1u);
}

TEST(Reassembly, Ipv4HeaderIsFixedUp) {
  Reassembler r;
  ASSERT_TRUE(r.Add(Ipv4Fragment(1, 0, true, 16, 0x11), 1, 0).ok());
  auto out = r.Add(Ipv4Fragment(1, 2, false, 3, 0x22), 2, 0);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->datagram);
  const Bytes& p = out->datagram->packet;
  ASSERT_EQ(p.size(), 39u);
  EXPECT_EQ(LoadU16(&p[2]), 39u);
  EXPECT_EQ(LoadU16(&p[6]), 0u);  // MF and offset cleared
  EXPECT_EQ(InternetChecksum({ByteSpan(p).first(20)}), 0u);
  EXPECT_EQ(p[20], 0x11);
  EXPECT_EQ(p[36], 0x22);
}

TEST(Reassembly, FragmentsThatCannotBeAreRefused) {
  Reassembler r;
  // A fragment with more to follow must carry a multiple of 8 octets.
  auto odd = r.Add(Ipv4Fragment(2, 0, true, 12, 0), 1, 0);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, Code::kBadLength);
  auto odd6 = r.Add(Ipv6Fragment(2, 0, true, 12, 0), 1, 0);
  ASSERT_FALSE(odd6.ok());
  EXPECT_EQ(odd6.error().requirement, "rfc8200#section-4.5");
  // Offset 8189 units plus 16 octets: beyond the 65535 of Total Length.
  auto big = r.Add(Ipv4Fragment(3, 8189, false, 16, 0), 2, 0);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Code::kBadLength);
  EXPECT_EQ(big.error().requirement, "rfc791#section-3.1");
  // 8191 units (65528 octets) plus 8 octets: 65536 octets of IPv6 payload.
  auto big6 = r.Add(Ipv6Fragment(3, 8191, false, 8, 0), 2, 0);
  ASSERT_FALSE(big6.ok());
  EXPECT_EQ(big6.error().code, Code::kBadLength);
  // MF clear, offset 0: no fragment.
  auto whole = r.Add(Ipv4Fragment(4, 0, false, 8, 0), 3, 0);
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.error().code, Code::kFragment);
  EXPECT_FALSE(IsFragment(Ipv4Fragment(4, 0, false, 8, 0)));
  EXPECT_EQ(r.open_datagrams(), 0u);
}

TEST(Reassembly, ALastFragmentEndingBeforeDataAlreadyThereIsAConflict) {
  Reassembler r;
  ASSERT_TRUE(r.Add(Ipv4Fragment(5, 4, true, 8, 0), 1, 0).ok());
  auto out = r.Add(Ipv4Fragment(5, 1, false, 8, 0), 2, 0);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->abandoned.size(), 1u);
  EXPECT_EQ(out->abandoned[0].error.code, Code::kFragmentOverlap);
}

TEST(Reassembly, TimeoutIsSixtySecondsOfCaptureTime) {
  Reassembler r;
  constexpr int64_t kSecond = 1'000'000'000;
  ASSERT_TRUE(r.Add(Ipv4Fragment(6, 0, true, 8, 0), 1, 10 * kSecond).ok());
  EXPECT_TRUE(r.Expire(69 * kSecond).empty());
  auto out = r.Add(Ipv4Fragment(6, 1, false, 8, 0), 2, 70 * kSecond);
  ASSERT_TRUE(out.ok());
  // The first fragment timed out; the second starts a datagram of its own.
  EXPECT_FALSE(out->datagram);
  ASSERT_EQ(out->abandoned.size(), 1u);
  EXPECT_EQ(out->abandoned[0].error.code, Code::kReassemblyTimeout);
  EXPECT_EQ(out->abandoned[0].error.requirement, "rfc791#section-3.2");
  EXPECT_EQ(out->abandoned[0].fragments, (std::vector<uint64_t>{1}));
  EXPECT_EQ(r.open_datagrams(), 1u);
}

TEST(Reassembly, LimitsEvictTheOldest) {
  Reassembler r({.max_datagrams = 2, .max_buffered_bytes = 1 << 20});
  ASSERT_TRUE(r.Add(Ipv4Fragment(1, 0, true, 8, 0), 1, 0).ok());
  ASSERT_TRUE(r.Add(Ipv4Fragment(2, 0, true, 8, 0), 2, 0).ok());
  auto out = r.Add(Ipv4Fragment(3, 0, true, 8, 0), 3, 0);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->abandoned.size(), 1u);
  EXPECT_EQ(out->abandoned[0].error.code, Code::kReassemblyLimit);
  EXPECT_EQ(out->abandoned[0].fragments, (std::vector<uint64_t>{1}));
  EXPECT_EQ(r.open_datagrams(), 2u);

  Reassembler bytes({.max_datagrams = 10, .max_buffered_bytes = 100});
  ASSERT_TRUE(bytes.Add(Ipv4Fragment(1, 0, true, 48, 0), 1, 0).ok());  // 20 + 48
  auto second = bytes.Add(Ipv4Fragment(2, 0, true, 48, 0), 2, 0);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->abandoned.size(), 1u);
  EXPECT_EQ(second->abandoned[0].fragments, (std::vector<uint64_t>{1}));
  EXPECT_LE(bytes.buffered_bytes(), 100u);
}

// The property's own fragmenter: plain, and apart from the reassembler.
uint16_t Checksum(ByteSpan header) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header.size(); i += 2) sum += header[i] << 8 | header[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct Datagram {
  Bytes packet;
  std::vector<Bytes> fragments;
};

Datagram MakeDatagram(int version, bool hop_by_hop, const Bytes& data, size_t chunk) {
  Datagram d;
  Bytes header;
  if (version == 4) {
    header = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 50, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  } else {
    header.assign(40, 0);
    header[0] = 0x60, header[6] = hop_by_hop ? 0 : 50, header[7] = 64;
    header[8] = 0xfe, header[9] = 0x80, header[23] = 1, header[24] = 0xfe, header[25] = 0x80,
    header[39] = 2;
    if (hop_by_hop) header.insert(header.end(), {50, 0, 1, 4, 0, 0, 0, 0});  // PadN
  }
  d.packet = header;
  d.packet.insert(d.packet.end(), data.begin(), data.end());
  if (version == 4) {
    d.packet[2] = static_cast<uint8_t>(d.packet.size() >> 8), d.packet[3] = d.packet.size() & 0xff;
    const uint16_t c = Checksum(ByteSpan(d.packet).first(20));
    d.packet[10] = c >> 8, d.packet[11] = c & 0xff;
  } else {
    const size_t plen = d.packet.size() - 40;
    d.packet[4] = static_cast<uint8_t>(plen >> 8), d.packet[5] = plen & 0xff;
  }
  for (size_t at = 0; at < data.size(); at += chunk) {
    const size_t n = std::min(chunk, data.size() - at);
    const bool more = at + n < data.size();
    Bytes f = header;
    if (version == 4) {
      const uint16_t flags = static_cast<uint16_t>(0x4000 | (more ? 0x2000 : 0) | at / 8);
      f[6] = flags >> 8, f[7] = flags & 0xff;
    } else {
      const size_t nh_at = hop_by_hop ? 40 : 6;
      f[nh_at] = 44;
      const uint16_t off = static_cast<uint16_t>(at | (more ? 1 : 0));
      f.insert(f.end(), {50, 0, static_cast<uint8_t>(off >> 8), static_cast<uint8_t>(off & 0xff),
                         0xde, 0xad, 0xbe, 0xef});
    }
    f.insert(f.end(), data.begin() + at, data.begin() + at + n);
    const size_t len = version == 4 ? f.size() : f.size() - 40;
    f[version == 4 ? 2 : 4] = static_cast<uint8_t>(len >> 8);
    f[version == 4 ? 3 : 5] = len & 0xff;
    d.fragments.push_back(std::move(f));
  }
  return d;
}

RC_GTEST_PROP(Reassembly, AnyCuttingInAnyOrderWithDuplicatesGivesTheDatagramBack, ()) {
  const int version = *rc::gen::element(4, 6);
  const bool hop_by_hop = version == 6 && *rc::gen::arbitrary<bool>();
  const size_t size = *rc::gen::inRange<size_t>(2, 3000);
  const Bytes data = *rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>());
  const size_t chunk = 8 * *rc::gen::inRange<size_t>(1, (size + 7) / 8);
  Datagram d = MakeDatagram(version, hop_by_hop, data, chunk);
  RC_PRE(d.fragments.size() >= 2);
  std::vector<size_t> order(d.fragments.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto extra = *rc::gen::container<std::vector<size_t>>(
      rc::gen::inRange<size_t>(0, d.fragments.size()));
  order.insert(order.end(), extra.begin(), extra.end());
  // Any order: sorted by random keys.
  const auto keys = *rc::gen::container<std::vector<uint32_t>>(order.size(),
                                                               rc::gen::arbitrary<uint32_t>());
  std::vector<size_t> by_key(order.size());
  for (size_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
  std::stable_sort(by_key.begin(), by_key.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<size_t> shuffled;
  for (size_t i : by_key) shuffled.push_back(order[i]);
  order = std::move(shuffled);

  Reassembler r;
  size_t completed = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    auto out = r.Add(d.fragments[order[i]], i + 1, 0);
    RC_ASSERT(out.ok());
    RC_ASSERT(out->abandoned.empty());
    if (!out->datagram) continue;
    ++completed;
    RC_ASSERT(ToHex(out->datagram->packet) == ToHex(d.packet));
  }
  RC_ASSERT(completed >= 1u);
}

}  // namespace
}  // namespace ipsecref::ip
