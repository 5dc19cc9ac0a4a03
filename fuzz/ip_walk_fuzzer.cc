// Fuzz target: the IP layer on arbitrary bytes — ip::Parse (IPv4 header,
// IPv6 extension-header walk), ip::TransportInsertionPoint, the Internet
// checksum, ip::FixLengths and the AH view of mutable fields (ip::IcvView).
//
// Input layout: the whole input is one IPv4 or IPv6 packet (as on the wire
// after the link layer; bytes beyond its total length are link padding).
//
// Invariants checked (a violation traps):
//  - Parse: version 4 or 6; ip_header_length <= header_length <=
//    total_length <= size; protocol_field < header_length and holds
//    `protocol`; addresses inside the packet; IPv4 header_length is the IHL;
//    with and without checksum verification the walk agrees.
//  - TransportInsertionPoint succeeds exactly when Parse (without checksum)
//    does, and lies inside the walked headers with its field holding its
//    protocol.
//  - FixLengths on a parsed packet yields one that parses with checksum.
//  - Internet checksum: independent of how the bytes are split into pieces;
//    a header with SetIpv4HeaderChecksum sums to zero; a UDP datagram
//    carrying UdpChecksum verifies.
//  - IcvView: as long as the stated packet, and a fixed point (the view of
//    the view is the view).
#include <cstdint>

#include "fuzz/check.h"
#include "reference/ip/mutable_fields.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

bool Inside(ByteSpan part, ByteSpan whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void CheckView(const ip::PacketView& v, ByteSpan packet) {
  Check(v.version == 4 || v.version == 6);
  Check(v.ip_header_length <= v.header_length);
  Check(v.header_length <= v.total_length);
  Check(v.total_length <= packet.size());
  Check(v.protocol_field < v.header_length);
  Check(packet[v.protocol_field] == v.protocol);
  const size_t address = v.version == 4 ? 4 : 16;
  Check(v.src.size() == address && v.dst.size() == address);
  Check(Inside(v.src, packet.first(v.ip_header_length)) && Inside(v.dst, packet.first(v.ip_header_length)));
  if (v.version == 4) {
    Check(v.ip_header_length == (packet[0] & 0x0fu) * 4 && v.header_length == v.ip_header_length);
  } else {
    Check(v.ip_header_length == ip::kIpv6Header);
    Check(!ip::IsIpv6ExtensionHeader(v.protocol));
  }
}

bool SameWalk(const ip::PacketView& a, const ip::PacketView& b) {
  return a.version == b.version && a.ip_header_length == b.ip_header_length &&
         a.header_length == b.header_length && a.protocol == b.protocol &&
         a.protocol_field == b.protocol_field && a.total_length == b.total_length &&
         a.fragment == b.fragment && a.traffic_class == b.traffic_class;
}

void Checksums(ByteSpan data) {
  const uint16_t whole = ip::InternetChecksum({data});
  for (size_t split : {size_t{1}, data.size() / 2, data.size() / 2 + 1, data.size() - 1}) {
    if (split > data.size()) continue;
    Check(ip::InternetChecksum({data.first(split), data.subspan(split)}) == whole);
  }
  if (data.size() >= 3) {
    const size_t a = 1, b = data.size() / 3 * 2 + 1;
    Check(ip::InternetChecksum({data.first(a), data.subspan(a, b - a), data.subspan(b)}) == whole);
  }

  if (data.size() >= ip::kIpv4MinHeader) {
    Bytes header(data.begin(), data.begin() + ip::kIpv4MinHeader);
    ip::SetIpv4HeaderChecksum(header);
    Check(ip::InternetChecksum({header}) == 0);
  }

  // A UDP datagram behind 4- or 16-byte addresses taken from the input.
  for (size_t address : {size_t{4}, size_t{16}}) {
    if (data.size() < 2 * address + 8) continue;
    ByteSpan src = data.first(address), dst = data.subspan(address, address);
    Bytes udp(data.begin() + static_cast<long>(2 * address), data.end());
    udp[6] = udp[7] = 0;
    const uint16_t sum = ip::UdpChecksum(src, dst, udp);
    Check(sum != 0);  // zero means "no checksum" (RFC 768)
    StoreU16(&udp[6], sum);
    Check(ip::UdpChecksum(src, dst, udp) == 0xffff);
  }
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  const ByteSpan packet(data, size);
  Checksums(packet);

  auto loose = ip::Parse(packet, /*verify_checksum=*/false);
  auto strict = ip::Parse(packet, /*verify_checksum=*/true);
  auto at = ip::TransportInsertionPoint(packet);
  Check(at.ok() == loose.ok());
  if (strict.ok()) {
    Check(loose.ok());
    CheckView(*strict, packet);
    Check(SameWalk(*strict, *loose));
  }
  if (!loose.ok()) return 0;
  const ip::PacketView& v = *loose;
  CheckView(v, packet);
  if (v.version == 6) Check(strict.ok());

  Check(at->offset >= v.ip_header_length && at->offset <= v.header_length);
  Check(at->protocol_field < at->offset);
  Check(packet[at->protocol_field] == at->protocol);

  Bytes fixed(packet.begin(), packet.begin() + static_cast<long>(v.total_length));
  ip::FixLengths(fixed, v.version);
  auto refixed = ip::Parse(fixed, /*verify_checksum=*/true);
  Check(refixed.ok());
  Check(SameWalk(*refixed, v));

  auto icv_view = ip::IcvView(packet);
  if (icv_view.ok()) {
    Check(icv_view->size() == v.total_length);
    auto again = ip::IcvView(*icv_view);
    Check(again.ok() && *again == *icv_view);
  }
  return 0;
}
