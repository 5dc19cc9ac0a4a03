#include "reference/io/ike_messages.h"

#include <fmt/format.h>

#include <optional>

#include "reference/esp/esp_packet.h"
#include "reference/io/keys.h"
#include "reference/ip/packet.h"
#include "reference/ip/reassembly.h"

namespace ipsecref::io {
namespace {

constexpr uint8_t kUdpProtocol = static_cast<uint8_t>(iana::IpProtocol::kUdp);
constexpr size_t kUdpHeaderSize = 8;
constexpr size_t kNonEspMarkerSize = 4;

// Datagrams the reassembler gave up may have held IKE messages: none may go
// missing unnoticed.
Status CheckAbandoned(const std::vector<ip::AbandonedDatagram>& abandoned, const std::string& name) {
  if (abandoned.empty()) return OkStatus();
  const ip::AbandonedDatagram& a = abandoned.front();
  std::string numbers;
  for (uint64_t n : a.fragments) numbers += fmt::format("{}{}", numbers.empty() ? "" : ", ", n);
  return MakeError(a.error.code, a.error.offset, a.error.requirement,
                   fmt::format("{} packets {} (IP fragments): {}", name, numbers, a.error.detail));
}

//= rfc7296#section-2
//# An IKE message larger than the path allows travels in IP fragments; it is
//# read from the reassembled datagram. IPv4 fragments of anything but UDP are
//# passed over (IPv6 ones name their protocol only in the first fragment).
Result<std::optional<ip::Reassembled>> Reassemble(const CapturedPacket& p, const std::string& where,
                                                  const std::string& name,
                                                  ip::Reassembler& reassembler) {
  const ByteSpan packet = p.ip();
  if (packet[0] >> 4 == 4 && packet[9] != kUdpProtocol) return std::optional<ip::Reassembled>();
  ENSURE(!p.cut(), kTruncated, kNoOffset, "",
         fmt::format("{}: the capture holds {} of the fragment's {} bytes; its datagram may be "
                     "an IKE message",
                     where, p.captured_length, p.original_length));
  auto added = reassembler.Add(packet, p.number, p.timestamp.ToNanoseconds());
  if (!added.ok()) {
    Error e = std::move(added).error();
    e.detail = fmt::format("{}: an IP fragment: {}", where, e.detail);
    return e;
  }
  TRY(CheckAbandoned(added->abandoned, name));
  return std::move(added->datagram);
}

// The IKE message in one captured packet (or the datagram it completes), if
// it holds one.
Result<std::optional<CapturedIke>> FromPacket(const CapturedPacket& p, const std::string& name,
                                              ip::Reassembler& reassembler) {
  const std::string where = fmt::format("{} packet {}", name, p.number);
  ENSURE(p.link.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {}", where, p.link.ok() ? std::string() : p.link.error().ToString()));
  if (!p.is_ip()) return std::optional<CapturedIke>();
  ByteSpan packet = p.ip();
  std::optional<ip::Reassembled> whole;
  if (ip::IsFragment(packet)) {
    TRY_ASSIGN(whole, Reassemble(p, where, name, reassembler));
    if (!whole) return std::optional<CapturedIke>();
    packet = whole->packet;
  }
  const bool cut = p.cut() && !whole;
  // Checksums are not verified: a capture shows what was on the wire, as
  // Wireshark does by default.
  auto view = ip::Parse(packet, /*verify_checksum=*/false);
  ENSURE(view.ok() || !cut, kTruncated, kNoOffset, "",
         fmt::format("{}: the capture holds {} of the packet's {} bytes, too few to tell "
                     "whether it carries IKE",
                     where, p.captured_length, p.original_length));
  ENSURE(view.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {}", where, view.ok() ? std::string() : view.error().ToString()));
  if (view->protocol != kUdpProtocol) return std::optional<CapturedIke>();

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
  } else if (sport == kNatTPort || dport == kNatTPort) {
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
  ENSURE(!cut, kTruncated, kNoOffset, "",
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
  ip::Reassembler reassembler;
  for (const CapturedPacket& p : packets) {
    TRY_ASSIGN(std::optional<CapturedIke> ike, FromPacket(p, name, reassembler));
    if (ike) out.push_back(std::move(*ike));
  }
  TRY(CheckAbandoned(reassembler.Flush(), name));
  return out;
}

Status ForEachIkeMessage(const std::string& pcap_path,
                         const std::function<Status(CapturedIke)>& fn) {
  TRY_ASSIGN(std::unique_ptr<PcapReader> reader, PcapReader::Open(pcap_path));
  ip::Reassembler reassembler;
  for (;;) {
    TRY_ASSIGN(std::optional<CapturedPacket> p, reader->Next());
    if (!p) return CheckAbandoned(reassembler.Flush(), pcap_path);
    TRY_ASSIGN(std::optional<CapturedIke> ike, FromPacket(*p, pcap_path, reassembler));
    if (ike) TRY(fn(std::move(*ike)));
  }
}

Result<std::vector<CapturedIke>> ReadIkeMessages(const std::string& pcap_path) {
  std::vector<CapturedIke> out;
  TRY(ForEachIkeMessage(pcap_path, [&out](CapturedIke ike) {
    out.push_back(std::move(ike));
    return OkStatus();
  }));
  return out;
}

}  // namespace ipsecref::io
