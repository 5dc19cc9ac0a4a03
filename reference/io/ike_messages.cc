#include "reference/io/ike_messages.h"

#include <fmt/format.h>

#include <optional>

#include "reference/esp/esp_packet.h"
#include "reference/io/keys.h"
#include "reference/ip/packet.h"

namespace ipsecref::io {
namespace {

constexpr uint8_t kUdpProtocol = static_cast<uint8_t>(iana::IpProtocol::kUdp);
constexpr size_t kUdpHeaderSize = 8;
constexpr size_t kNonEspMarkerSize = 4;

// The IKE message in one captured packet, if it holds one.
Result<std::optional<CapturedIke>> FromPacket(const CapturedPacket& p, const std::string& name) {
  const std::string where = fmt::format("{} packet {}", name, p.number);
  ENSURE(p.link.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {}", where, p.link.ok() ? std::string() : p.link.error().ToString()));
  if (!p.is_ip()) return std::optional<CapturedIke>();
  const ByteSpan packet = p.ip();
  // Checksums are not verified: a capture shows what was on the wire, as
  // Wireshark does by default.
  auto view = ip::Parse(packet, /*verify_checksum=*/false);
  ENSURE(view.ok() || !p.cut(), kTruncated, kNoOffset, "",
         fmt::format("{}: the capture holds {} of the packet's {} bytes, too few to tell "
                     "whether it carries IKE",
                     where, p.captured_length, p.original_length));
  ENSURE(view.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {}", where, view.ok() ? std::string() : view.error().ToString()));
  if (view->protocol != kUdpProtocol) return std::optional<CapturedIke>();
  ENSURE(!view->fragment, kFragment, 0, "",
         fmt::format("{}: an IP fragment of a UDP datagram; IP reassembly is not implemented, "
                     "and the datagram may be an IKE message",
                     where));

  ByteReader udp(packet.first(view->total_length).subspan(view->header_length),
                 view->header_length);
  uint16_t sport = 0, dport = 0, length = 0, checksum = 0;
  ENSURE(udp.ReadU16(sport) && udp.ReadU16(dport) && udp.ReadU16(length) &&
             udp.ReadU16(checksum),
         kBadFile, view->header_length, "rfc768",
         fmt::format("{}: the UDP header is cut short", where));
  ENSURE(length >= kUdpHeaderSize && length - kUdpHeaderSize <= udp.remaining(), kBadFile,
         view->header_length + 4, "rfc768",
         fmt::format("{}: UDP length {} disagrees with the {} bytes after the IP header", where,
                     length, udp.remaining() + kUdpHeaderSize));
  ByteSpan payload;
  if (!udp.ReadBytes(length - kUdpHeaderSize, payload)) return std::optional<CapturedIke>();

  CapturedIke ike;
  //= rfc7296#section-2.23
  //# IKE messages go to UDP port 500, or to port 4500 once NAT traversal
  //# has moved them there, where they start with the non-ESP marker.
  if (sport == kIkePort || dport == kIkePort) {
    ike.message.assign(payload.begin(), payload.end());
  } else if (sport == kIkeNatTraversalPort || dport == kIkeNatTraversalPort) {
    //= rfc3948#section-2.2
    //# On port 4500 an IKE message follows four zero octets; a single 0xff
    //# octet is a NAT-keepalive and anything else is ESP.
    if (esp::ClassifyUdpPayload(payload) != esp::UdpPayloadKind::kIke)
      return std::optional<CapturedIke>();
    ike.non_esp_marker = true;
    ike.message.assign(payload.begin() + kNonEspMarkerSize, payload.end());
  } else {
    return std::optional<CapturedIke>();
  }
  // A datagram the capture cut holds only part of its message.
  ENSURE(!p.cut(), kTruncated, kNoOffset, "",
         fmt::format("{}: the capture holds {} of the packet's {} bytes; the IKE message is "
                     "incomplete",
                     where, p.captured_length, p.original_length));
  ike.packet_number = p.number;
  ike.timestamp = p.timestamp;
  ike.src = FormatAddress(view->src);
  ike.dst = FormatAddress(view->dst);
  ike.sport = sport;
  ike.dport = dport;
  return std::optional<CapturedIke>(std::move(ike));
}

}  // namespace

Result<std::vector<CapturedIke>> ExtractIkeMessages(const std::vector<CapturedPacket>& packets,
                                                    const std::string& name) {
  std::vector<CapturedIke> out;
  for (const CapturedPacket& p : packets) {
    TRY_ASSIGN(std::optional<CapturedIke> ike, FromPacket(p, name));
    if (ike) out.push_back(std::move(*ike));
  }
  return out;
}

Result<std::vector<CapturedIke>> ReadIkeMessages(const std::string& pcap_path) {
  TRY_ASSIGN(std::unique_ptr<PcapReader> reader, PcapReader::Open(pcap_path));
  std::vector<CapturedIke> out;
  for (;;) {
    TRY_ASSIGN(std::optional<CapturedPacket> p, reader->Next());
    if (!p) return out;
    TRY_ASSIGN(std::optional<CapturedIke> ike, FromPacket(*p, pcap_path));
    if (ike) out.push_back(std::move(*ike));
  }
}

}  // namespace ipsecref::io
