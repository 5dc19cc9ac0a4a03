#include "reference/io/link_layer.h"

#include <fmt/format.h>
#include <pcap/dlt.h>

namespace ipsecref::io {
namespace {

// LINKTYPE_RAW as it stands in a file; libpcap hands it out as DLT_RAW, but
// callers that read link types themselves may pass the file's value.
constexpr int kLinktypeRaw = 101;

constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeIpv6 = 0x86dd;
constexpr uint16_t kEthertypeArp = 0x0806;
constexpr uint16_t kEthertypeVlan = 0x8100;     // IEEE 802.1Q
constexpr uint16_t kEthertypeQinQ = 0x88a8;     // IEEE 802.1ad
constexpr uint16_t kEthertypeQinQOld = 0x9100;  // pre-standard double tagging
constexpr uint16_t kEthertypeLldp = 0x88cc;
constexpr uint16_t kMaxIeee8023Length = 1500;  // below: an 802.3 length, not a type
constexpr size_t kEthernetHeader = 14;
constexpr size_t kSllHeader = 16;
constexpr size_t kSll2Header = 20;
constexpr int kMaxVlanTags = 8;

std::string EthertypeText(uint16_t type) {
  std::string_view name;
  switch (type) {
    case kEthertypeArp: name = " (ARP)"; break;
    case kEthertypeLldp: name = " (LLDP)"; break;
    case 0x8035: name = " (RARP)"; break;
    case 0x8847: name = " (MPLS)"; break;
    case 0x888e: name = " (EAPOL)"; break;
    default: break;
  }
  return fmt::format("ethertype {:#06x}{}", type, name);
}

LinkPayload FromEthertype(uint16_t type, size_t offset, int vlan_tags) {
  LinkPayload p;
  p.offset = offset;
  p.vlan_tags = vlan_tags;
  if (type == kEthertypeIpv4) {
    p.protocol = NetworkProtocol::kIpv4;
  } else if (type == kEthertypeIpv6) {
    p.protocol = NetworkProtocol::kIpv6;
  } else {
    p.what = EthertypeText(type);
  }
  return p;
}

Result<LinkPayload> DecodeEthernet(ByteSpan frame) {
  ByteReader r(frame);
  uint16_t type = 0;
  ENSURE(r.Skip(12) && r.ReadU16(type), kTruncated, frame.size(), "IEEE 802.3",
         fmt::format("Ethernet frame of {} bytes is shorter than its {}-byte header", frame.size(),
                     kEthernetHeader));
  int tags = 0;
  // IEEE 802.1Q: a tag is the TPID (0x8100, or 0x88a8 for a service tag)
  // and a 16-bit TCI, followed by the type of what it tags; tags may stack.
  while (type == kEthertypeVlan || type == kEthertypeQinQ || type == kEthertypeQinQOld) {
    ENSURE(++tags <= kMaxVlanTags, kBadHeader, r.offset(), "IEEE 802.1Q",
           fmt::format("more than {} VLAN tags", kMaxVlanTags));
    ENSURE(r.Skip(2) && r.ReadU16(type), kTruncated, frame.size(), "IEEE 802.1Q",
           fmt::format("frame ends inside VLAN tag {}", tags));
  }
  if (type > kMaxIeee8023Length) return FromEthertype(type, r.offset(), tags);
  // IEEE 802: with a length instead of a type, an 802.2 LLC header follows;
  // SNAP (AA AA 03) then carries an OUI and an ethertype.
  uint8_t dsap = 0, ssap = 0, control = 0;
  ENSURE(r.ReadU8(dsap) && r.ReadU8(ssap) && r.ReadU8(control), kTruncated, frame.size(),
         "IEEE 802.2", "frame ends inside its 802.2 LLC header");
  if (dsap == 0xaa && ssap == 0xaa && control == 0x03) {
    ENSURE(r.Skip(3) && r.ReadU16(type), kTruncated, frame.size(), "IEEE 802 SNAP",
           "frame ends inside its SNAP header");
    return FromEthertype(type, r.offset(), tags);
  }
  LinkPayload p;
  p.offset = r.offset();
  p.vlan_tags = tags;
  p.what = fmt::format("802.2 LLC, DSAP {:#04x}", dsap);
  return p;
}

// Linux cooked capture: the protocol field holds an ethertype for IP.
Result<LinkPayload> DecodeSll(ByteSpan frame, bool v2) {
  ByteReader r(frame);
  uint16_t protocol = 0;
  const size_t header = v2 ? kSll2Header : kSllHeader;
  const bool ok =
      v2 ? r.ReadU16(protocol) && r.Skip(header - 2) : r.Skip(14) && r.ReadU16(protocol);
  ENSURE(ok, kTruncated, frame.size(), v2 ? "LINKTYPE_LINUX_SLL2" : "LINKTYPE_LINUX_SLL",
         fmt::format("frame of {} bytes is shorter than its {}-byte cooked header", frame.size(),
                     header));
  return FromEthertype(protocol, header, 0);
}

// BSD loopback: a 4-byte address family, in the writer's byte order for
// DLT_NULL and in network order for DLT_LOOP; captures moved between
// machines get both wrong, so both orders are accepted.
Result<LinkPayload> DecodeLoopback(ByteSpan frame) {
  ByteReader r(frame);
  uint32_t big = 0;
  ENSURE(r.ReadU32(big), kTruncated, frame.size(), "LINKTYPE_NULL",
         fmt::format("frame of {} bytes has no room for the 4-byte address family", frame.size()));
  const uint32_t little =
      (big >> 24) | ((big >> 8) & 0xff00) | ((big << 8) & 0xff0000) | (big << 24);
  const uint32_t family = big <= 0xffff ? big : little;
  LinkPayload p;
  p.offset = 4;
  switch (family) {
    case 2: p.protocol = NetworkProtocol::kIpv4; break;
    // AF_INET6 differs between BSDs: NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
    case 24:
    case 28:
    case 30: p.protocol = NetworkProtocol::kIpv6; break;
    default: p.what = fmt::format("address family {}", family); break;
  }
  return p;
}

Result<LinkPayload> DecodeRaw(ByteSpan frame) {
  ENSURE(!frame.empty(), kTruncated, 0, "LINKTYPE_RAW", "empty raw IP frame");
  LinkPayload p;
  switch (frame[0] >> 4) {
    case 4: p.protocol = NetworkProtocol::kIpv4; break;
    case 6: p.protocol = NetworkProtocol::kIpv6; break;
    default:
      return MakeError(Code::kBadVersion, 0, "LINKTYPE_RAW",
                       fmt::format("raw IP frame starts with version {}", frame[0] >> 4));
  }
  return p;
}

}  // namespace

bool IsSupportedLinkType(int link_type) {
  switch (link_type) {
    case DLT_EN10MB:
    case DLT_RAW:
    case kLinktypeRaw:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_NULL:
    case DLT_LOOP: return true;
    default: return false;
  }
}

std::string LinkTypeName(int link_type) {
  switch (link_type) {
    case DLT_EN10MB: return "Ethernet";
    case DLT_RAW:
    case kLinktypeRaw: return "raw IP";
    case DLT_IPV4: return "raw IPv4";
    case DLT_IPV6: return "raw IPv6";
    case DLT_LINUX_SLL: return "Linux cooked (SLL)";
    case DLT_LINUX_SLL2: return "Linux cooked (SLL2)";
    case DLT_NULL: return "BSD loopback (NULL)";
    case DLT_LOOP: return "BSD loopback (LOOP)";
    default: return fmt::format("link type {}", link_type);
  }
}

std::string_view SupportedLinkTypes() {
  return "Ethernet (with 802.1Q/802.1ad tags), raw IP, raw IPv4, raw IPv6, Linux cooked (SLL, "
         "SLL2), BSD loopback (NULL, LOOP)";
}

Result<LinkPayload> DecodeLinkLayer(int link_type, ByteSpan frame) {
  switch (link_type) {
    case DLT_EN10MB: return DecodeEthernet(frame);
    case DLT_RAW:
    case kLinktypeRaw: return DecodeRaw(frame);
    case DLT_IPV4: {
      LinkPayload p;
      p.protocol = NetworkProtocol::kIpv4;
      return p;
    }
    case DLT_IPV6: {
      LinkPayload p;
      p.protocol = NetworkProtocol::kIpv6;
      return p;
    }
    case DLT_LINUX_SLL: return DecodeSll(frame, false);
    case DLT_LINUX_SLL2: return DecodeSll(frame, true);
    case DLT_NULL:
    case DLT_LOOP: return DecodeLoopback(frame);
    default:
      return MakeError(Code::kUnsupported, kNoOffset, "",
                       fmt::format("{} is not supported; supported: {}", LinkTypeName(link_type),
                                   SupportedLinkTypes()));
  }
}

}  // namespace ipsecref::io
