#include "reference/spd/selector.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "reference/iana/iana.h"
#include "reference/ip/packet.h"

namespace ipsecref::spd {
namespace {

using iana::IpProtocol;

// Where a next layer protocol keeps what RFC 4301 calls its "ports".
enum class PortFields : uint8_t {
  kNone,                  // no port selectors: AH, ESP, GRE, ...
  kSourceAndDestination,  // two 16-bit ports in the first four octets
  kSenderOnly,            // one value, belonging to the side that sends
};

struct NextLayer {
  uint8_t protocol;
  std::string_view keyword;  // as netbase's /etc/protocols spells it
  PortFields fields;
  size_t needed;  // octets of its header that hold the value
};

//= rfc4301#section-4.4.1.1
//# Protocols with two ports (TCP, UDP, SCTP and others) have local and
//# remote port selectors; ICMP has one 16-bit selector, type in the high
//# octet and code in the low one; the Mobility Header one MH type, in the
//# high octet.
//= rfc4301#section-4.4.1.3
//# A protocol with one such field still has a local and a remote "port"
//# selector: the local one says what this side may send, the remote one
//# what the peer may send.
// Protocol numbers: IANA's Assigned Internet Protocol Numbers.
constexpr NextLayer kNextLayers[] = {
    {static_cast<uint8_t>(IpProtocol::kIcmp), "icmp", PortFields::kSenderOnly, 2},
    {static_cast<uint8_t>(IpProtocol::kTcp), "tcp", PortFields::kSourceAndDestination, 4},
    {static_cast<uint8_t>(IpProtocol::kUdp), "udp", PortFields::kSourceAndDestination, 4},
    {33, "dccp", PortFields::kSourceAndDestination, 4},
    {47, "gre", PortFields::kNone, 0},
    {static_cast<uint8_t>(IpProtocol::kEsp), "esp", PortFields::kNone, 0},
    {static_cast<uint8_t>(IpProtocol::kAh), "ah", PortFields::kNone, 0},
    {static_cast<uint8_t>(IpProtocol::kIcmpv6), "ipv6-icmp", PortFields::kSenderOnly, 2},
    {132, "sctp", PortFields::kSourceAndDestination, 4},
    {static_cast<uint8_t>(IpProtocol::kMobility), "mobility-header", PortFields::kSenderOnly, 3},
    {136, "udplite", PortFields::kSourceAndDestination, 4},
};

const NextLayer* FindNextLayer(uint8_t protocol) {
  for (const NextLayer& n : kNextLayers)
    if (n.protocol == protocol) return &n;
  return nullptr;
}

PortFields FieldsOf(uint8_t protocol) {
  const NextLayer* n = FindNextLayer(protocol);
  return n ? n->fields : PortFields::kNone;
}

// The "port" value of a protocol's header: the two ports, or the one
// sender-side value in src_port.
void ReadPorts(const NextLayer& layer, ByteSpan header, PacketSelectors& out) {
  switch (layer.fields) {
    case PortFields::kSourceAndDestination:
      out.src_port = LoadU16(&header[0]);
      out.dst_port = LoadU16(&header[2]);
      break;
    case PortFields::kSenderOnly:
      // ICMP: Type, Code; Mobility Header: Payload Proto, Header Len, MH Type.
      out.src_port = layer.needed == 2 ? LoadU16(&header[0]) : static_cast<uint16_t>(header[2] << 8);
      break;
    case PortFields::kNone:
      return;
  }
  out.ports_known = true;
}

//= rfc4301#section-4.4.1.1
//# The next layer protocol is what follows the IPv6 extension headers; the
//# headers stepped over are by default Hop-by-Hop (0), Routing (43),
//# Fragment (44) and Destination Options (60) — not AH or ESP, which are
//# next layer protocols themselves.
constexpr uint8_t kSkippedExtensionHeaders[] = {
    static_cast<uint8_t>(IpProtocol::kHopByHop), static_cast<uint8_t>(IpProtocol::kRouting),
    static_cast<uint8_t>(IpProtocol::kFragment), static_cast<uint8_t>(IpProtocol::kDestinationOptions)};

bool Skipped(uint8_t protocol) {
  return std::find(std::begin(kSkippedExtensionHeaders), std::end(kSkippedExtensionHeaders), protocol) !=
         std::end(kSkippedExtensionHeaders);
}

// Where the next layer header starts, and whether the packet is a fragment
// and a non-initial one.
struct Located {
  size_t at = 0;
  bool fragment = false;
  bool non_initial = false;
};

Result<Located> LocateIpv4(ByteSpan packet, PacketSelectors& out) {
  TRY_ASSIGN(ip::PacketView v, ip::Parse(packet, /*verify_checksum=*/false));
  out.src.assign(v.src.begin(), v.src.end());
  out.dst.assign(v.dst.begin(), v.dst.end());
  out.protocol = v.protocol;
  const uint16_t flags_offset = LoadU16(&packet[6]);
  return Located{v.header_length, v.fragment, (flags_offset & 0x1fff) != 0};
}

// The IPv6 walk of RFC 4301's skip list. ip::Parse walks a longer list
// (the Mobility Header among it, a next layer protocol here) and reads on
// past a non-initial fragment's Fragment header, into data that is no header.
Result<Located> LocateIpv6(ByteSpan packet, PacketSelectors& out) {
  ENSURE(packet.size() >= ip::kIpv6Header, kTruncated, packet.size(), "rfc8200#section-3",
         fmt::format("IPv6 header needs 40 bytes, {} present", packet.size()));
  const size_t total = ip::kIpv6Header + LoadU16(&packet[4]);
  ENSURE(total <= packet.size(), kTruncated, 4, "rfc8200#section-3",
         fmt::format("payload length {} exceeds the {} bytes present", total - ip::kIpv6Header,
                     packet.size() - ip::kIpv6Header));
  out.src.assign(packet.begin() + 8, packet.begin() + 24);
  out.dst.assign(packet.begin() + 24, packet.begin() + 40);
  const ByteSpan body = packet.first(total);
  Located l{ip::kIpv6Header};
  uint8_t next = packet[6];
  //= rfc8200#section-4
  //# Each extension header names the next; all but the Fragment header
  //# (8 octets) give their length in 8-octet units beyond the first 8.
  while (Skipped(next)) {
    const bool fragment_header = next == static_cast<uint8_t>(IpProtocol::kFragment);
    ENSURE(body.size() - l.at >= 8, kTruncated, l.at, "rfc8200#section-4",
           fmt::format("{} header needs 8 bytes, {} left", iana::Name(static_cast<IpProtocol>(next)),
                       body.size() - l.at));
    const size_t length = fragment_header ? 8 : (body[l.at + 1] + 1u) * 8;
    ENSURE(body.size() - l.at >= length, kTruncated, l.at + 1, "rfc8200#section-4",
           fmt::format("{} header of {} bytes exceeds the packet", iana::Name(static_cast<IpProtocol>(next)),
                       length));
    const uint8_t following = body[l.at];
    if (fragment_header) {
      //= rfc8200#section-4.5
      //# Fragment Offset is the upper 13 bits of the third and fourth
      //# octets; M the lowest bit. Offset 0 with M clear is an atomic
      //# fragment, a whole packet (RFC 6946).
      const uint16_t offset_flags = LoadU16(&body[l.at + 2]);
      l.fragment = l.fragment || (offset_flags & 0xfff9) != 0;
      if ((offset_flags & 0xfff8) != 0) {
        l.non_initial = true;
        next = following;
        l.at += length;
        break;
      }
    }
    next = following;
    l.at += length;
  }
  out.protocol = next;
  return l;
}

bool InRange(const AddressRange& range, const Bytes& address) {
  return address.size() == range.start.size() && address.size() == range.end.size() &&
         !(address < range.start) && !(range.end < address);
}

// RFC 4301 §7.1: ANY holds every value and also OPAQUE.
bool HoldsAbsentPort(const PortRange& range) { return range.any() || range.opaque(); }
bool HoldsPort(const PortRange& range, uint16_t port) {
  return !range.opaque() && range.start <= port && port <= range.end;
}

std::string AddressText(const Bytes& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.size() != 4 && a.size() != 16) return fmt::format("<{} bytes: {}>", a.size(), ToHex(a));
  inet_ntop(a.size() == 4 ? AF_INET : AF_INET6, a.data(), text, sizeof text);
  return text;
}

// The prefix length that makes the range a prefix, if any.
std::optional<size_t> PrefixLength(const AddressRange& r) {
  if (r.start.size() != r.end.size()) return std::nullopt;
  for (size_t bits = 0; bits <= 8 * r.start.size(); ++bits)
    if (PrefixRange(r.start, bits) == r) return bits;
  return std::nullopt;
}

std::string RangeText(const AddressRange& r) {
  if (std::optional<size_t> bits = PrefixLength(r)) return fmt::format("{}/{}", AddressText(r.start), *bits);
  return fmt::format("{}-{}", AddressText(r.start), AddressText(r.end));
}

std::string ProtocolText(uint8_t protocol) {
  if (protocol == 0) return "any";
  const NextLayer* n = FindNextLayer(protocol);
  return n ? std::string(n->keyword) : std::to_string(protocol);
}

std::string PortText(uint8_t protocol, uint16_t port) {
  if (FieldsOf(protocol) != PortFields::kSenderOnly) return std::to_string(port);
  const unsigned type = port >> 8, code = port & 0xff;
  if (code == 0) return std::to_string(type);
  if (port >= 256) return std::to_string(port);
  return fmt::format("{}({})", type, code);  // type 0 with a code
}

std::string PortsText(uint8_t protocol, const PortRange& ports) {
  if (ports.opaque()) return "opaque";
  if (ports.start == ports.end) return PortText(protocol, ports.start);
  return fmt::format("{}-{}", PortText(protocol, ports.start), PortText(protocol, ports.end));
}

std::string SideText(const AddressRange& range, uint8_t protocol, const PortRange& ports, bool name_protocol) {
  std::string text = RangeText(range);
  if (!ports.any())
    text += fmt::format("[{}/{}]", ProtocolText(protocol), PortsText(protocol, ports));
  else if (name_protocol && protocol != 0)
    text += fmt::format("[{}]", ProtocolText(protocol));
  return text;
}

}  // namespace

AddressRange PrefixRange(ByteSpan address, size_t prefix_bits) {
  AddressRange r{Bytes(address.begin(), address.end()), Bytes(address.begin(), address.end())};
  for (size_t i = 0; i < address.size(); ++i) {
    const size_t fixed = prefix_bits > 8 * i ? std::min<size_t>(prefix_bits - 8 * i, 8) : 0;
    const uint8_t host = static_cast<uint8_t>(0xff >> fixed);
    r.start[i] &= static_cast<uint8_t>(~host);
    r.end[i] |= host;
  }
  return r;
}

AddressRange HostRange(ByteSpan address) {
  return {Bytes(address.begin(), address.end()), Bytes(address.begin(), address.end())};
}

AddressRange AnyAddress(size_t address_size) { return {Bytes(address_size, 0), Bytes(address_size, 0xff)}; }

Status Validate(const Selector& s) {
  const size_t size = s.local.start.size();
  ENSURE(size == 4 || size == 16, kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1.1",
         fmt::format("local start address of {} bytes (4 for IPv4, 16 for IPv6)", size));
  ENSURE(s.local.end.size() == size && s.remote.start.size() == size && s.remote.end.size() == size,
         kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1.1",
         fmt::format("{}: local and remote addresses mix families (sizes {}, {}, {}, {})", Describe(s), size,
                     s.local.end.size(), s.remote.start.size(), s.remote.end.size()));
  ENSURE(!(s.local.end < s.local.start), kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1.1",
         fmt::format("{}: local range runs backwards", Describe(s)));
  ENSURE(!(s.remote.end < s.remote.start), kInvalidArgument, kNoOffset, "rfc4301#section-4.4.1.1",
         fmt::format("{}: remote range runs backwards", Describe(s)));
  for (const PortRange* p : {&s.local_ports, &s.remote_ports}) {
    ENSURE(p->opaque() || p->start <= p->end, kInvalidArgument, kNoOffset, "rfc7296#section-3.13.1",
           fmt::format("{}: {} port range {}-{} runs backwards and is not OPAQUE (65535-0)", Describe(s),
                       p == &s.local_ports ? "local" : "remote", p->start, p->end));
  }
  return OkStatus();
}

Result<PacketSelectors> ExtractSelectors(ByteSpan packet) {
  ENSURE(!packet.empty(), kTruncated, 0, "rfc791#section-3.1", "empty packet");
  PacketSelectors out;
  Located l;
  switch (packet[0] >> 4) {
    case 4: {
      TRY_ASSIGN(l, LocateIpv4(packet, out));
      break;
    }
    case 6: {
      TRY_ASSIGN(l, LocateIpv6(packet, out));
      break;
    }
    default:
      return MakeError(Code::kBadVersion, 0, "rfc791#section-3.1",
                       fmt::format("IP version {} (expected 4 or 6)", packet[0] >> 4));
  }
  //= rfc4301#section-4.4
  //# A non-initial fragment lacks some selector values (ports, ICMP type and
  //# code, MH type); for IPv6 the fragment that holds them depends on the
  //# extension headers, so "initial" means the one that holds them all.
  const NextLayer* layer = FindNextLayer(out.protocol);
  if (l.non_initial || !layer || layer->fields == PortFields::kNone) return out;
  const size_t end = packet[0] >> 4 == 4 ? LoadU16(&packet[2]) : ip::kIpv6Header + LoadU16(&packet[4]);
  const size_t present = end - l.at;
  if (present < layer->needed) {
    // A first fragment too short for the ports is, for the SPD, a
    // fragment without them; a whole packet that short is malformed.
    ENSURE(l.fragment, kTruncated, l.at, "rfc4301#section-4.4.1.1",
           fmt::format("{} header at offset {} needs {} bytes for its selector fields, {} present",
                       ProtocolText(out.protocol), l.at, layer->needed, present));
    return out;
  }
  ReadPorts(*layer, packet.subspan(l.at, layer->needed), out);
  return out;
}

bool Matches(const Selector& s, const PacketSelectors& p, Direction direction) {
  const bool outbound = direction == Direction::kOutbound;
  const Bytes& local = outbound ? p.src : p.dst;
  const Bytes& remote = outbound ? p.dst : p.src;
  if (!InRange(s.local, local) || !InRange(s.remote, remote)) return false;
  if (s.protocol != 0 && s.protocol != p.protocol) return false;
  //= rfc4301#section-4.4.1.1
  //# A port selector other than ANY or OPAQUE cannot match a packet whose
  //# ports are not available, a non-initial fragment among them.
  //= rfc4301#section-7.1
  //# ANY holds OPAQUE as well as every value: an SA whose ports are ANY
  //# carries initial and non-initial fragments alike.
  //= rfc4301#section-7.2
  //# OPAQUE port selectors name the packets without ports.
  //= ipsecref#choice
  //# No stateful fragment checking (RFC 4301 §7.3, a MAY): a non-initial
  //# fragment matches only selectors whose ports are ANY or OPAQUE. It
  //# therefore never matches a BYPASS entry with a port range (the case §7.4
  //# guards with stateful checking) and falls to a later entry or the caller.
  const PortFields fields = p.ports_known ? FieldsOf(p.protocol) : PortFields::kNone;
  switch (fields) {
    case PortFields::kNone:
      return HoldsAbsentPort(s.local_ports) && HoldsAbsentPort(s.remote_ports);
    case PortFields::kSourceAndDestination:
      return HoldsPort(s.local_ports, outbound ? p.src_port : p.dst_port) &&
             HoldsPort(s.remote_ports, outbound ? p.dst_port : p.src_port);
    case PortFields::kSenderOnly:
      //= rfc4301#section-4.4.1.3
      //# For ICMP and the Mobility Header, the local "port" selector lists
      //# what this side may send and the remote one what it may receive: a
      //# packet is held to the selector of the side that sent it.
      return HoldsPort(outbound ? s.local_ports : s.remote_ports, p.src_port);
  }
  return false;
}

std::string Describe(const Selector& s) {
  return SideText(s.local, s.protocol, s.local_ports, /*name_protocol=*/true) + " === " +
         SideText(s.remote, s.protocol, s.remote_ports, /*name_protocol=*/false);
}

std::string Describe(const PacketSelectors& p) {
  std::string src = AddressText(p.src), dst = AddressText(p.dst);
  const PortFields fields = FieldsOf(p.protocol);
  if (fields == PortFields::kNone) return fmt::format("{} -> {} [{}]", src, dst, ProtocolText(p.protocol));
  if (!p.ports_known)
    return fmt::format("{}[{}/opaque] -> {}[{}/opaque]", src, ProtocolText(p.protocol), dst, ProtocolText(p.protocol));
  if (fields == PortFields::kSenderOnly)
    return fmt::format("{}[{}/{}] -> {}", src, ProtocolText(p.protocol), PortText(p.protocol, p.src_port), dst);
  return fmt::format("{}[{}/{}] -> {}[{}/{}]", src, ProtocolText(p.protocol), p.src_port, dst, ProtocolText(p.protocol),
                     p.dst_port);
}

}  // namespace ipsecref::spd
