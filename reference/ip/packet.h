// IPv4 (RFC 791) and IPv6 (RFC 8200) headers: parsing, the walk over IPv6
// extension headers, and the Internet checksum (RFC 1071).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "reference/bytes/bytes.h"
#include "reference/iana/iana.h"

namespace ipsecref::ip {

inline constexpr size_t kIpv4MinHeader = 20;
inline constexpr size_t kIpv6Header = 40;

// What the walk found: everything up to the first header that is not an
// IPv6 extension header that precedes it (ESP and AH end the walk too).
struct PacketView {
  int version = 0;            // 4 or 6
  size_t ip_header_length = 0;  // IPv4 header with options, or the fixed IPv6 header
  size_t header_length = 0;   // all headers walked: where `protocol` begins
  uint8_t protocol = 0;       // protocol number of what starts at header_length
  size_t protocol_field = 0;  // offset of the byte that holds `protocol`
  size_t total_length = 0;    // the packet's length as its header states it
  uint8_t traffic_class = 0;  // IPv4 TOS / IPv6 Traffic Class (DSCP and ECN)
  bool fragment = false;      // IPv4 MF or offset set, or an IPv6 Fragment header
  ByteSpan src;               // 4 or 16 bytes
  ByteSpan dst;
};

// Whether `protocol` is an IPv6 extension header that the walk steps over
// (RFC 8200 §4; AH and ESP deliberately not: they end the walk).
bool IsIpv6ExtensionHeader(uint8_t protocol);

// Parses the IP header chain of `packet`. Checks version, lengths (header
// length, total length not beyond the data; trailing bytes beyond the total
// length are allowed, as link layers pad), the IPv4 header checksum when
// `verify_checksum`, and every extension header's length.
Result<PacketView> Parse(ByteSpan packet, bool verify_checksum = true);

// Where ESP or AH goes in transport mode (RFC 4303 §3.1.1, RFC 4302 §3.1.1):
// after the IPv4 header, or after IPv6 Hop-by-Hop, Routing and Fragment
// headers and any Destination Options header that precedes a Routing header.
struct InsertionPoint {
  size_t offset;          // bytes of headers that stay in front
  size_t protocol_field;  // the next-header byte to point at ESP/AH
  uint8_t protocol;       // what that byte held: the ESP/AH next header
};
Result<InsertionPoint> TransportInsertionPoint(ByteSpan packet);

// RFC 1071 one's-complement sum, folded and complemented.
uint16_t InternetChecksum(std::initializer_list<ByteSpan> pieces);
// The IPv4 header checksum over the header in place (its field zeroed first).
void SetIpv4HeaderChecksum(MutableByteSpan header);
// UDP checksum with the IPv4 or IPv6 pseudo header (RFC 768, RFC 8200 §8.1).
uint16_t UdpChecksum(ByteSpan src, ByteSpan dst, ByteSpan udp_datagram);

// Whether a packet of `total_length` bytes fits the IPv4 Total Length or the
// IPv6 Payload Length field (no jumbograms).
bool FitsLengthField(size_t total_length, int version);

//= rfc4301#section-5.1.2.1
//# Appends the outer header of a tunnel-mode packet: the tunnel endpoints
//# as addresses, DSCP and ECN copied from the inner header (ECN per RFC
//# 6040's normal mode), a fresh TTL / hop limit, DF copied from an inner IPv4
//# header (RFC 4301 §8.1's default). Lengths and checksum are left for
//# FixLengths. `inner` may be empty (a dummy packet).
void AppendTunnelHeader(Bytes& out, ByteSpan src, ByteSpan dst, uint8_t protocol,
                        uint16_t identification, const PacketView& inner_view, ByteSpan inner);
inline constexpr uint8_t kTunnelHopLimit = 64;

// Rewrites the length fields of an IP packet after its payload changed:
// IPv4 total length and header checksum, or IPv6 payload length.
void FixLengths(MutableByteSpan packet, int version);

}  // namespace ipsecref::ip
