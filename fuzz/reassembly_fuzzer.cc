// Fuzz target: IP reassembly (reference/ip/reassembly.h) over a sequence of
// fragments, with small limits so that eviction and timeouts happen.
//
// Input: records of [time step: 1 byte, in seconds][length: 2 bytes, big
// endian][that many bytes: an IP packet], to the end (a short last record is
// cut to what is left). Seeds: the IP packets of pcaps/fragments/*.pcap in
// this framing, one capture per seed, time steps 0 except one of 61 s.
//
// Checked: no crash, no unbounded memory (the bytes buffered never exceed the
// limit, the datagrams open never exceed theirs); every completed datagram is
// an IP packet whose length field states its size (IPv4: a well-formed
// header, checksum good, no longer a fragment), no longer than 40 + 65535 bytes, whose fragments end with
// the one just added; every abandoned datagram names fragments that were
// added; Flush leaves nothing open or buffered.
#include <cstdint>
#include <set>

#include "fuzz/check.h"
#include "reference/ip/packet.h"
#include "reference/ip/reassembly.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using ipsecref::fuzz::Check;
  constexpr int64_t kSecond = 1'000'000'000;
  ip::ReassemblyLimits limits;
  limits.max_datagrams = 8;
  limits.max_buffered_bytes = 4096;
  ip::Reassembler reassembler(limits);
  std::set<uint64_t> added;
  auto check_abandoned = [&](const std::vector<ip::AbandonedDatagram>& list) {
    for (const ip::AbandonedDatagram& a : list) {
      Check(!a.fragments.empty());
      for (uint64_t n : a.fragments) Check(added.count(n) == 1);
    }
  };
  int64_t now = 0;
  uint64_t number = 0;
  ByteReader in(ByteSpan(data, size));
  uint8_t step = 0;
  uint16_t length = 0;
  while (in.ReadU8(step) && in.ReadU16(length)) {
    ByteSpan packet;
    if (!in.ReadBytes(std::min<size_t>(length, in.remaining()), packet)) break;
    now += step * kSecond;
    ++number;
    added.insert(number);
    const bool fragment = ip::IsFragment(packet);
    auto out = reassembler.Add(packet, number, now);
    Check(reassembler.buffered_bytes() <= limits.max_buffered_bytes);
    Check(reassembler.open_datagrams() <= limits.max_datagrams);
    if (!out.ok()) continue;
    Check(fragment);
    check_abandoned(out->abandoned);
    if (!out->datagram) continue;
    const ip::Reassembled& d = *out->datagram;
    Check(!d.fragments.empty() && d.fragments.back() == number);
    Check(d.packet.size() <= ip::kIpv6Header + 0xffff);
    // The header is the first fragment's, fixed up; what follows it is the
    // fragments' data, which need not parse (IPv6: extension headers).
    Check(!d.packet.empty());
    if (d.packet[0] >> 4 == 4) {
      auto view = ip::Parse(d.packet, /*verify_checksum=*/true);
      Check(view.ok() && view->total_length == d.packet.size() && !view->fragment);
    } else {
      Check(d.packet[0] >> 4 == 6 && d.packet.size() >= ip::kIpv6Header &&
            ip::kIpv6Header + LoadU16(&d.packet[4]) == d.packet.size());
    }
  }
  check_abandoned(reassembler.Flush());
  Check(reassembler.open_datagrams() == 0 && reassembler.buffered_bytes() == 0);
  return 0;
}
