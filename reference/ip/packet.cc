#include "reference/ip/packet.h"

#include <fmt/format.h>

namespace ipsecref::ip {

using iana::IpProtocol;

bool IsIpv6ExtensionHeader(uint8_t protocol) {
  switch (static_cast<IpProtocol>(protocol)) {
    case IpProtocol::kHopByHop:
    case IpProtocol::kRouting:
    case IpProtocol::kFragment:
    case IpProtocol::kDestinationOptions:
    case IpProtocol::kMobility:
    case IpProtocol::kHip:
    case IpProtocol::kShim6:
      return true;
    default:
      return false;
  }
}

namespace {

Result<PacketView> ParseIpv4(ByteSpan packet, bool verify_checksum) {
  //= rfc791#section-3.1
  //# IHL counts 32-bit words and is at least 5; Total Length covers header
  //# and data.
  ENSURE(packet.size() >= kIpv4MinHeader, kTruncated, packet.size(), "rfc791#section-3.1",
         fmt::format("IPv4 header needs 20 bytes, {} present", packet.size()));
  PacketView v;
  v.version = 4;
  size_t ihl = (packet[0] & 0x0f) * 4u;
  ENSURE(ihl >= kIpv4MinHeader, kBadHeader, 0, "rfc791#section-3.1",
         fmt::format("IHL {} is below the minimum of 5 words", ihl / 4));
  ENSURE(packet.size() >= ihl, kTruncated, packet.size(), "rfc791#section-3.1",
         fmt::format("IPv4 header length {} exceeds the {} bytes present", ihl, packet.size()));
  v.total_length = LoadU16(&packet[2]);
  ENSURE(v.total_length >= ihl, kBadLength, 2, "rfc791#section-3.1",
         fmt::format("total length {} is shorter than the header ({})", v.total_length, ihl));
  ENSURE(v.total_length <= packet.size(), kTruncated, 2, "rfc791#section-3.1",
         fmt::format("total length {} exceeds the {} bytes present", v.total_length, packet.size()));
  if (verify_checksum) {
    ENSURE(InternetChecksum({packet.first(ihl)}) == 0, kBadChecksum, 10, "rfc791#section-3.1",
           "IPv4 header checksum");
  }
  uint16_t frag = LoadU16(&packet[6]);
  v.fragment = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;
  v.traffic_class = packet[1];
  v.protocol = packet[9];
  v.protocol_field = 9;
  v.ip_header_length = v.header_length = ihl;
  v.src = packet.subspan(12, 4);
  v.dst = packet.subspan(16, 4);
  return v;
}

Result<PacketView> ParseIpv6(ByteSpan packet) {
  ENSURE(packet.size() >= kIpv6Header, kTruncated, packet.size(), "rfc8200#section-3",
         fmt::format("IPv6 header needs 40 bytes, {} present", packet.size()));
  PacketView v;
  v.version = 6;
  v.traffic_class = static_cast<uint8_t>((LoadU16(&packet[0]) >> 4) & 0xff);
  v.total_length = kIpv6Header + LoadU16(&packet[4]);
  //= rfc8200#section-3
  //# Payload Length counts the bytes after the fixed header, extension
  //# headers included. (Jumbograms, RFC 2675, are not supported.)
  ENSURE(v.total_length <= packet.size(), kTruncated, 4, "rfc8200#section-3",
         fmt::format("payload length {} exceeds the {} bytes present", v.total_length - kIpv6Header,
                     packet.size() - kIpv6Header));
  v.src = packet.subspan(8, 16);
  v.dst = packet.subspan(24, 16);
  v.ip_header_length = kIpv6Header;
  v.protocol = packet[6];
  v.protocol_field = 6;
  size_t at = kIpv6Header;
  ByteSpan body = packet.first(v.total_length);
  //= rfc8200#section-4
  //# Extension headers form a chain, each naming the next; every one but the
  //# Fragment header gives its length in 8-octet units beyond the first 8.
  while (IsIpv6ExtensionHeader(v.protocol)) {
    ENSURE(body.size() - at >= 8, kTruncated, at, "rfc8200#section-4",
           fmt::format("{} header needs 8 bytes", iana::Name(static_cast<IpProtocol>(v.protocol))));
    size_t len = v.protocol == static_cast<uint8_t>(IpProtocol::kFragment) ? 8 : (body[at + 1] + 1u) * 8;
    ENSURE(body.size() - at >= len, kTruncated, at + 1, "rfc8200#section-4",
           fmt::format("{} header of {} bytes exceeds the packet",
                       iana::Name(static_cast<IpProtocol>(v.protocol)), len));
    if (v.protocol == static_cast<uint8_t>(IpProtocol::kFragment)) {
      uint16_t off_flags = LoadU16(&body[at + 2]);
      // An atomic fragment (offset 0, M clear, RFC 6946) is a whole packet.
      v.fragment = v.fragment || (off_flags & 0xfff9) != 0;
    }
    v.protocol_field = at;
    v.protocol = body[at];
    at += len;
  }
  v.header_length = at;
  return v;
}

}  // namespace

Result<PacketView> Parse(ByteSpan packet, bool verify_checksum) {
  ENSURE(!packet.empty(), kTruncated, 0, "rfc791#section-3.1", "empty packet");
  switch (packet[0] >> 4) {
    case 4: return ParseIpv4(packet, verify_checksum);
    case 6: return ParseIpv6(packet);
    default:
      return MakeError(Code::kBadVersion, 0, "rfc791#section-3.1",
                       fmt::format("IP version {} (expected 4 or 6)", packet[0] >> 4));
  }
}

Result<InsertionPoint> TransportInsertionPoint(ByteSpan packet) {
  TRY_ASSIGN(PacketView v, Parse(packet, false));
  if (v.version == 4) return InsertionPoint{v.ip_header_length, 9, v.protocol};
  //= rfc4303#section-3.1.1
  //# In IPv6 transport mode ESP follows the hop-by-hop, routing and fragment
  //# headers; destination options may stand before or after it — they go
  //# after, unless a Routing header follows them.
  InsertionPoint p{kIpv6Header, 6, packet[6]};
  size_t at = kIpv6Header;
  uint8_t next = packet[6];
  while (IsIpv6ExtensionHeader(next)) {
    size_t len = next == static_cast<uint8_t>(IpProtocol::kFragment) ? 8 : (packet[at + 1] + 1u) * 8;
    uint8_t after = packet[at];
    bool stays_in_front = next == static_cast<uint8_t>(IpProtocol::kHopByHop) ||
                          next == static_cast<uint8_t>(IpProtocol::kRouting) ||
                          next == static_cast<uint8_t>(IpProtocol::kFragment) ||
                          (next == static_cast<uint8_t>(IpProtocol::kDestinationOptions) &&
                           after == static_cast<uint8_t>(IpProtocol::kRouting));
    if (!stays_in_front) break;
    p = InsertionPoint{at + len, at, after};
    at += len;
    next = after;
  }
  return p;
}

uint16_t InternetChecksum(std::initializer_list<ByteSpan> pieces) {
  uint64_t sum = 0;
  bool odd = false;  // an odd-length piece shifts the byte order of the next
  for (ByteSpan p : pieces) {
    for (uint8_t b : p) {
      sum += odd ? b : uint32_t{b} << 8;
      odd = !odd;
    }
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void SetIpv4HeaderChecksum(MutableByteSpan header) {
  header[10] = header[11] = 0;
  StoreU16(&header[10], InternetChecksum({header}));
}

uint16_t UdpChecksum(ByteSpan src, ByteSpan dst, ByteSpan udp) {
  uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(IpProtocol::kUdp)};
  uint8_t tail4[4] = {0, static_cast<uint8_t>(IpProtocol::kUdp), 0, 0};
  uint16_t sum;
  if (src.size() == 4) {
    StoreU16(&tail4[2], static_cast<uint16_t>(udp.size()));
    sum = InternetChecksum({src, dst, ByteSpan(tail4, 4), udp});
  } else {
    StoreU32(tail, static_cast<uint32_t>(udp.size()));
    tail[7] = static_cast<uint8_t>(IpProtocol::kUdp);
    sum = InternetChecksum({src, dst, ByteSpan(tail, 8), udp});
  }
  //= rfc768
  //# A computed checksum of zero is sent as all ones.
  return sum == 0 ? 0xffff : sum;
}

bool FitsLengthField(size_t total_length, int version) {
  return version == 4 ? total_length <= 0xffff : total_length - kIpv6Header <= 0xffff;
}

void AppendTunnelHeader(Bytes& out, ByteSpan src, ByteSpan dst, uint8_t protocol,
                        uint16_t identification, const PacketView& inner_view, ByteSpan inner) {
  const uint8_t tc = inner_view.traffic_class;
  if (src.size() == 4) {
    constexpr uint16_t kDontFragment = 0x4000;
    const bool df = inner_view.version == 4 && inner.size() >= kIpv4MinHeader &&
                    (LoadU16(&inner[6]) & kDontFragment) != 0;
    uint8_t h[12] = {0x45, tc, 0, 0, 0, 0, 0, 0, kTunnelHopLimit, protocol, 0, 0};
    StoreU16(h + 4, identification);
    StoreU16(h + 6, df ? kDontFragment : 0);
    out.insert(out.end(), h, h + sizeof h);
  } else {
    // Flow label 0: the tunnel endpoint sets its own (RFC 6437 §3).
    const uint8_t h[8] = {static_cast<uint8_t>(0x60 | tc >> 4), static_cast<uint8_t>(tc << 4), 0, 0,
                          0, 0, protocol, kTunnelHopLimit};
    out.insert(out.end(), h, h + sizeof h);
  }
  out.insert(out.end(), src.begin(), src.end());
  out.insert(out.end(), dst.begin(), dst.end());
}

void FixLengths(MutableByteSpan packet, int version) {
  if (version == 4) {
    StoreU16(&packet[2], static_cast<uint16_t>(packet.size()));
    SetIpv4HeaderChecksum(packet.first((packet[0] & 0x0f) * 4u));
  } else {
    StoreU16(&packet[4], static_cast<uint16_t>(packet.size() - kIpv6Header));
  }
}

}  // namespace ipsecref::ip
