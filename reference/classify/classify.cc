#include "reference/classify/classify.h"

#include <algorithm>
#include <array>

#include "reference/esp/esp_packet.h"
#include "reference/iana/iana.h"
#include "reference/ike/wire/header.h"

namespace ipsecref::io {
namespace {

using iana::IpProtocol;

constexpr uint8_t kEspProtocol = static_cast<uint8_t>(IpProtocol::kEsp);
constexpr uint8_t kAhProtocol = static_cast<uint8_t>(IpProtocol::kAh);
constexpr uint8_t kUdpProtocol = static_cast<uint8_t>(IpProtocol::kUdp);
constexpr size_t kUdpHeader = 8;
constexpr size_t kNonEspMarker = 4;  // RFC 3948 §2.2

struct KindInfo {
  std::string_view name;
  std::string_view key;
};
constexpr std::array<KindInfo, kPacketKinds> kKinds{{
    {"not IP", "not_ip"},
    {"link-layer error", "link_error"},
    {"malformed IP", "malformed_ip"},
    {"IKE (UDP 500)", "ike"},
    {"IKE (UDP 4500, non-ESP marker)", "ike_nat_t"},
    {"NAT-keepalive", "nat_keepalive"},
    {"ESP", "esp"},
    {"ESP in UDP", "esp_in_udp"},
    {"AH", "ah"},
    {"other IP", "other"},
    {"IP fragment", "fragment"},
}};
static_assert(!kKinds.back().key.empty(), "kKinds: one row per PacketKind (a missing row would be empty)");

// SPI and sequence number at the start of `r` (ESP), after `skip` bytes (AH: 4).
void ReadSpiSeq(ByteReader r, size_t skip, Classified& c) {
  uint32_t spi = 0, seq = 0;
  if (r.Skip(skip) && r.ReadU32(spi)) c.spi = spi;
  if (r.ReadU32(seq)) c.seq = seq;
}

void ReadIkeSpis(ByteReader r, Classified& c) {
  if (auto h = ike::PeekHeader(r.rest())) {
    c.ike_spi_i = h->spi_i;
    c.ike_spi_r = h->spi_r;
  }
}

}  // namespace

std::string_view KindName(PacketKind kind) { return kKinds.at(static_cast<size_t>(kind)).name; }
std::string_view KindKey(PacketKind kind) { return kKinds.at(static_cast<size_t>(kind)).key; }

Result<Classified> Classify(ByteSpan ip, size_t captured) {
  Classified c;
  TRY_ASSIGN(c.view, ip::Parse(ip, /*verify_checksum=*/false));
  // Headers that the capture cut tell nothing: the padding made them up.
  if (c.view.header_length > captured) return c;
  // Only bytes that are both captured and inside the IP packet are read.
  const ByteSpan real = ip.first(std::min(captured, c.view.total_length));
  const size_t at = c.view.header_length;
  c.payload_offset = at;
  const ByteReader after_ip(real.subspan(std::min(at, real.size())));
  if (c.view.protocol == kEspProtocol) {
    c.kind = PacketKind::kEsp;
    ReadSpiSeq(after_ip, 0, c);
    return c;
  }
  if (c.view.protocol == kAhProtocol) {
    //= rfc4302#section-2
    //# AH: next header, payload length and RESERVED (4 bytes), then the SPI
    //# and the sequence number.
    c.kind = PacketKind::kAh;
    ReadSpiSeq(after_ip, 4, c);
    return c;
  }
  c.kind = PacketKind::kOther;
  if (c.view.protocol != kUdpProtocol) return c;
  // Ports from captured bytes only; the payload may run into the padding.
  ByteReader udp = after_ip;
  uint16_t sport = 0, dport = 0, length = 0;
  if (!udp.ReadU16(sport) || !udp.ReadU16(dport) || !udp.ReadU16(length) || !udp.Skip(2)) return c;
  const size_t payload_at = at + kUdpHeader;
  // The UDP length, when sane, bounds the payload (link layers pad).
  ByteSpan payload = ip.first(c.view.total_length).subspan(payload_at);
  if (length >= kUdpHeader && length - kUdpHeader <= payload.size())
    payload = payload.first(length - kUdpHeader);
  if (sport == kIkePort || dport == kIkePort) {
    c.kind = PacketKind::kIke;
    c.payload_offset = payload_at;
    const size_t real_payload = captured > payload_at ? captured - payload_at : 0;
    ReadIkeSpis(ByteReader(payload.first(std::min(payload.size(), real_payload))), c);
    return c;
  }
  if (sport != kNatTPort && dport != kNatTPort) return c;
  const size_t real_payload = captured > payload_at ? captured - payload_at : 0;
  if (real_payload < std::min<size_t>(payload.size(), esp::kHeaderSize)) return c;  // cut too early to tell
  payload = payload.first(std::min(payload.size(), real_payload));
  c.payload_offset = payload_at;
  switch (esp::ClassifyUdpPayload(payload)) {
    case esp::UdpPayloadKind::kIke:
      c.kind = PacketKind::kIkeNatT;
      c.payload_offset = payload_at + kNonEspMarker;
      ReadIkeSpis(ByteReader(payload.subspan(kNonEspMarker)), c);
      break;
    case esp::UdpPayloadKind::kNatKeepalive: c.kind = PacketKind::kNatKeepalive; break;
    case esp::UdpPayloadKind::kTooShort: break;
    case esp::UdpPayloadKind::kEsp:
      c.kind = PacketKind::kEspInUdp;
      ReadSpiSeq(ByteReader(payload), 0, c);
      break;
  }
  return c;
}

}  // namespace ipsecref::io
