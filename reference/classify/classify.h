// reference/classify/ (library ipsecref_classify): classification of
// datagrams, used by the SPU dataplane and the capture judge alike.
//
// What a packet on an IPsec gateway's wire is: IKE (UDP 500, or UDP 4500
// behind the non-ESP marker), NAT-keepalive, ESP, ESP in UDP, AH or other,
// with the SPIs that pick its SA. Used to judge captures and to dispatch
// packets to the SPU that anchors their SA.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ip/packet.h"

namespace ipsecref::io {

enum class PacketKind : uint8_t {
  kNotIp,         // the link layer carries something else (ARP, LLDP, ...)
  kLinkError,     // the frame ends inside its link-layer header
  kMalformedIp,   // no well-formed IP header
  kIke,           // UDP port 500
  kIkeNatT,       // UDP port 4500, non-ESP marker (RFC 3948 §2.2)
  kNatKeepalive,  // UDP port 4500, the single byte 0xff (RFC 3948 §2.3)
  kEsp,           // IP protocol 50
  kEspInUdp,      // UDP port 4500, anything else (RFC 3948 §2.1)
  kAh,            // IP protocol 51
  kOther,         // any other IP packet
  kFragment,      // an IP fragment (never from Classify: the checker reassembles)
};
inline constexpr size_t kPacketKinds = 11;
static_assert(kPacketKinds == static_cast<size_t>(PacketKind::kFragment) + 1, "kPacketKinds counts every PacketKind");
std::string_view KindName(PacketKind kind);  // "ESP in UDP", ...
std::string_view KindKey(PacketKind kind);   // "esp_in_udp", for JSON

inline constexpr uint16_t kIkePort = 500;    // RFC 7296 §2
inline constexpr uint16_t kNatTPort = 4500;  // RFC 3948 §2.1, RFC 7296 §2.23

// What the headers say, read only from bytes the capture really holds.
struct Classified {
  PacketKind kind = PacketKind::kOther;
  ip::PacketView view;
  std::optional<uint32_t> spi;  // ESP, ESP in UDP, AH
  std::optional<uint32_t> seq;  // the low 32 bits, as on the wire
  //= rfc7296#section-3.1
  //# An IKE message starts with the initiator's and the responder's SPIs
  //# (8 bytes each; the responder's is zero in the first request).
  std::optional<uint64_t> ike_spi_i, ike_spi_r;
  size_t payload_offset = 0;  // where ESP, AH or the IKE header starts
};

// Classifies the IP packet `ip`. It may be zero-padded to the packet's
// original length when a capture cut it; `captured` says how much of it is
// real, and nothing is read from beyond it. Errors: the IP header is malformed.
Result<Classified> Classify(ByteSpan ip, size_t captured);
inline Result<Classified> Classify(ByteSpan ip) { return Classify(ip, ip.size()); }

}  // namespace ipsecref::io
