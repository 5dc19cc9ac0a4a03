// The link layers that captures of IPsec traffic come in, and how to find the
// IP packet in a frame of each: Ethernet (with 802.1Q / 802.1ad tags and
// 802.2 SNAP), raw IP, Linux cooked capture (SLL and SLL2), BSD loopback.
// Link-type numbers are libpcap's DLT_ values, as pcap_datalink() answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::io {

// What a frame carries once the link-layer header is gone.
enum class NetworkProtocol : uint8_t {
  kIpv4,
  kIpv6,
  kOther,  // ARP, LLDP, ...: not for IPsec; `LinkPayload::what` says which
};

struct LinkPayload {
  NetworkProtocol protocol = NetworkProtocol::kOther;
  size_t offset = 0;  // where the network-layer packet starts in the frame
  std::string what;   // for kOther: e.g. "ethertype 0x0806 (ARP)"
  int vlan_tags = 0;  // 802.1Q / 802.1ad tags stepped over
};

// Whether DecodeLinkLayer knows `link_type`.
bool IsSupportedLinkType(int link_type);
// "Ethernet", "raw IP", "Linux cooked (SLL2)", ..., or "link type N".
std::string LinkTypeName(int link_type);
// The supported link types, for messages: "Ethernet, raw IP, ...".
std::string_view SupportedLinkTypes();

// Finds the network-layer packet in `frame`. Errors (with the offset in the
// frame): kTruncated when the frame ends inside its link-layer header,
// kUnsupported for a link type this does not know.
Result<LinkPayload> DecodeLinkLayer(int link_type, ByteSpan frame);

}  // namespace ipsecref::io
