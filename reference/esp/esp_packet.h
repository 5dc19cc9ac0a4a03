// ESP in IP packets: transport and tunnel mode over IPv4 and IPv6 (RFC 4303
// §3.1), optionally inside UDP (RFC 3948), and classification of what
// arrives on the ESP-in-UDP port.
#pragma once

#include <functional>

#include "reference/esp/esp_sa.h"
#include "reference/ip/packet.h"

namespace ipsecref::esp {

// Builds the outgoing packet for `ip_packet` under `sa`: in tunnel mode the
// whole packet inside a new outer header, in transport mode ESP inserted
// after the IP header (and the IPv6 headers that stay in front).
[[nodiscard]] Status Encapsulate(Sa& sa, ByteSpan ip_packet, Bytes& out,
                                 const ProtectOptions& options = {});

// A dummy packet (next header 59, RFC 4303 §2.6) with `size` random bytes.
[[nodiscard]] Status MakeDummy(Sa& sa, size_t size, crypto::Rng& rng, Bytes& out);

//= rfc3948#section-2.2
//# On the ESP-in-UDP port a payload of the single byte 0xff is a NAT-keepalive,
//# four zero bytes (the non-ESP marker) start an IKE message, anything else
//# is ESP.
enum class UdpPayloadKind { kEsp, kIke, kNatKeepalive, kTooShort };
UdpPayloadKind ClassifyUdpPayload(ByteSpan udp_payload);

// Where the ESP packet sits in an IP packet.
struct Located {
  ip::PacketView ip;
  size_t esp_offset = 0;   // start of the SPI
  size_t esp_length = 0;
  bool udp = false;        // ESP in UDP (RFC 3948)
  size_t udp_offset = 0;
};
// Finds ESP directly in IP or in UDP (port 4500 by default).
Result<Located> LocateEsp(ByteSpan packet, uint16_t udp_port = 4500);

struct Decapsulated {
  Bytes packet;          // tunnel: the inner packet; transport: the packet rebuilt
  uint64_t sequence_number = 0;
  uint8_t next_header = 0;
  std::vector<Finding> findings;
};

using SaLookup = std::function<Sa*(uint32_t spi)>;

// The receiver path of RFC 4303 §3.4 on a whole IP packet: locate ESP, look
// up the SA by SPI, unprotect, then rebuild the inner packet and check it.
Result<Decapsulated> Decapsulate(const SaLookup& lookup, ByteSpan packet);

// The same, in the packet's own buffer (a dataplane's path: no copy, no
// allocation). On success `packet` points into the buffer; on failure the
// buffer's content is unspecified.
struct DecapsulatedView {
  MutableByteSpan packet;  // tunnel: the inner packet; transport: the packet rebuilt
  uint64_t sequence_number = 0;
  uint8_t next_header = 0;
  std::vector<Finding> findings;
};
Result<DecapsulatedView> DecapsulateInPlace(const SaLookup& lookup, MutableByteSpan packet);

}  // namespace ipsecref::esp
