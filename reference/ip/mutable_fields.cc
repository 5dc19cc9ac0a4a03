#include "reference/ip/mutable_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "reference/ip/packet.h"

namespace ipsecref::ip {
namespace {

using iana::IpProtocol;

// IPv4 option type octets (RFC 791 §3.1): copy flag, 2-bit class, 5-bit number.
constexpr uint8_t kEndOfOptionList = 0x00;
constexpr uint8_t kNoOperation = 0x01;
constexpr uint8_t kLooseSourceRoute = 0x83;
constexpr uint8_t kStrictSourceRoute = 0x89;

//= rfc4302#appendix-A1
//# Only these IPv4 options are immutable and enter the ICV as they are:
//# End of Options List, No Operation, Security, Extended Security,
//# Commercial Security, Router Alert and Sender Directed Multi-Destination
//# Delivery. Every option the table calls mutable or experimental is zeroed.
struct Ipv4OptionRule {
  uint8_t type;
  std::string_view name;
};
constexpr std::array<Ipv4OptionRule, 7> kImmutableIpv4Options{{
    {0x00, "End of Options List"},                         // copy 0, class 0, #0
    {0x01, "No Operation"},                                // copy 0, class 0, #1
    {0x82, "Security"},                                    // copy 1, class 0, #2
    {0x85, "Extended Security"},                           // copy 1, class 0, #5
    {0x86, "Commercial Security"},                         // copy 1, class 0, #6
    {0x94, "Router Alert"},                                // copy 1, class 0, #20
    {0x95, "Sender Directed Multi-Destination Delivery"},  // copy 1, class 0, #21
}};

// IPv6 Routing header types whose layout is RFC 8200 §4.4 with 16-byte
// addresses after a 4-byte reserved field: Type 0 (RFC 2460, deprecated by
// RFC 5095) and Type 2 (Mobile IPv6, RFC 6275 §6.4).
constexpr uint8_t kRoutingType0 = 0;
constexpr uint8_t kRoutingType2 = 2;
constexpr size_t kIpv6AddressSize = 16;

//= rfc8200#section-4.2
//# The third-highest bit of an option type says whether the option data may
//# change on the way to the final destination.
constexpr uint8_t kOptionMayChangeEnRoute = 0x20;
constexpr uint8_t kPad1 = 0x00;

// Sets the IPv4 destination to the final destination of a source route.
Status SetFinalDestination(MutableByteSpan packet, ByteSpan option, size_t at) {
  //= rfc791#section-3.1
  //# A source route option is type, length, pointer and route data; the
  //# pointer (counted from 1 at the type octet) names the next address to
  //# use, and lies past the route data once the route is complete.
  ENSURE(option.size() >= 3, kBadLength, at + 1, "rfc791#section-3.1",
         fmt::format("source route option of {} bytes has no pointer", option.size()));
  const uint8_t pointer = option[2];
  if (pointer > option.size()) return OkStatus();  // route done: the destination is final
  ENSURE(
      (option.size() - 3) % 4 == 0 && option.size() >= 7, kBadLength, at + 1, "rfc791#section-3.1",
      fmt::format("source route data of {} bytes is not a list of addresses", option.size() - 3));
  //= rfc4302#section-3.3.3.1.1.1
  //# With loose or strict source routing the destination address is mutable
  //# but predictable: the ICV takes it as the receiver will see it, the last
  //# address of the route.
  //= rfc4302#appendix-A1
  //# The source route option itself is mutable and is zeroed whole.
  std::copy_n(option.end() - 4, 4, packet.begin() + 16);
  return OkStatus();
}

Status ClearIpv4(MutableByteSpan packet, size_t ihl) {
  //= rfc4302#section-3.3.3.1.1.1
  //# TOS, flags, fragment offset, TTL and header checksum can change in
  //# transit and are zeroed for the ICV; version, IHL, total length,
  //# identification, protocol and the addresses are included.
  packet[1] = 0;                                    // TOS (DSCP and ECN)
  std::fill_n(packet.begin() + 6, 2, uint8_t{0});   // flags, fragment offset
  packet[8] = 0;                                    // TTL
  std::fill_n(packet.begin() + 10, 2, uint8_t{0});  // header checksum

  //= rfc4302#section-3.3.3.1.1.2
  //# IPv4 options carry no mutability flag, so Appendix A classifies them;
  //# a mutable option is zeroed whole, type and length included.
  ByteReader r(packet.subspan(kIpv4MinHeader, ihl - kIpv4MinHeader), kIpv4MinHeader);
  while (!r.empty()) {
    const size_t at = r.offset();
    uint8_t type = 0;
    (void)r.ReadU8(type);  // not empty: cannot fail
    // Bytes after End of Options List are header padding, covered as they are.
    if (type == kEndOfOptionList) break;
    if (type == kNoOperation) continue;
    uint8_t length = 0;
    ENSURE(r.ReadU8(length), kTruncated, at + 1, "rfc791#section-3.1",
           fmt::format("option {:#04x} has no length octet", type));
    ENSURE(length >= 2, kBadLength, at + 1, "rfc791#section-3.1",
           fmt::format("option {:#04x} length {} is below 2", type, length));
    ENSURE(r.Skip(length - 2u), kBadLength, at + 1, "rfc791#section-3.1",
           fmt::format("option {:#04x} of {} bytes runs past the header", type, length));
    MutableByteSpan option = packet.subspan(at, length);
    if (type == kLooseSourceRoute || type == kStrictSourceRoute) {
      TRY(SetFinalDestination(packet, option, at));
    }
    if (Ipv4OptionMutability(type) == OptionMutability::kMutable) {
      std::fill(option.begin(), option.end(), uint8_t{0});
    }
  }
  return OkStatus();
}

// Zeroes the data of the options marked "may change en route" in a
// Hop-by-Hop or Destination Options header that starts at `at`.
Status ClearIpv6Options(MutableByteSpan header, size_t at) {
  ByteReader r(header.subspan(2), at + 2);
  while (!r.empty()) {
    const size_t start = r.offset();
    uint8_t type = 0;
    (void)r.ReadU8(type);  // not empty: cannot fail
    //= rfc8200#section-4.2
    //# Pad1 is a single zero octet without length or data; every other
    //# option is type, data length, data.
    if (type == kPad1) continue;
    uint8_t length = 0;
    ENSURE(r.ReadU8(length), kTruncated, start + 1, "rfc8200#section-4.2",
           fmt::format("option {:#04x} has no length octet", type));
    ENSURE(r.Skip(length), kBadLength, start + 1, "rfc8200#section-4.2",
           fmt::format("option {:#04x} data of {} bytes runs past its header", type, length));
    //= rfc4302#section-3.3.3.1.2.2
    //# An option whose type marks it as changing en route has its data
    //# counted as zeros in the ICV; its type and data length are included.
    if (type & kOptionMayChangeEnRoute) {
      auto data = header.subspan(start - at + 2, length);
      std::fill(data.begin(), data.end(), uint8_t{0});
    }
  }
  return OkStatus();
}

// Puts a Routing header that starts at `at` into the state it will have at
// the final destination, together with the IPv6 destination address.
Status RearrangeRouting(MutableByteSpan packet, MutableByteSpan header, size_t at) {
  const uint8_t type = header[2];
  const uint8_t segments_left = header[3];
  if (segments_left == 0) return OkStatus();  // already as the destination sees it
  //= rfc4302#appendix-A2
  //# A Routing header is mutable but predictable: the sender orders its
  //# addresses as they will be at the receiver before computing the ICV.
  ENSURE(type == kRoutingType0 || type == kRoutingType2, kUnsupported, at + 2,
         "rfc4302#appendix-A2",
         fmt::format("Routing header type {} with {} segments left: its state at the destination "
                     "is not predictable here",
                     type, segments_left));
  const uint8_t hdr_ext_len = header[1];
  ENSURE(hdr_ext_len % 2 == 0, kBadHeader, at + 1, "rfc2460#section-4.4",
         fmt::format("Routing header type {}: length {} is not a whole number of addresses", type,
                     hdr_ext_len));
  const size_t addresses = hdr_ext_len / 2u;
  ENSURE(segments_left <= addresses, kBadHeader, at + 3, "rfc2460#section-4.4",
         fmt::format("segments left {} exceeds the {} addresses", segments_left, addresses));
  //= rfc2460#section-4.4
  //# The Type 0 algorithm, which RFC 4302 Appendix A2 refers to: Hdr Ext Len
  //# is twice the number of addresses, Segments Left is at most that number,
  //# and each hop decrements Segments Left and swaps the destination address
  //# with the next address in the list. At the end the destination holds the
  //# last address and the list holds the original destination followed by the
  //# hops before the last, in order. (RFC 8200 §4.4, which obsoletes it, keeps
  //# only the generic Routing header; RFC 5095 deprecated Type 0.)
  auto address = [&](size_t i) {
    return header.subspan(8 + i * kIpv6AddressSize, kIpv6AddressSize);
  };
  MutableByteSpan destination = packet.subspan(24, kIpv6AddressSize);
  std::array<uint8_t, kIpv6AddressSize> final_destination{};
  std::copy_n(address(addresses - 1).begin(), kIpv6AddressSize, final_destination.begin());
  const size_t next = addresses - segments_left;  // first address not yet visited
  for (size_t i = addresses - 1; i > next; --i) {
    std::copy_n(address(i - 1).begin(), kIpv6AddressSize, address(i).begin());
  }
  std::copy_n(destination.begin(), kIpv6AddressSize, address(next).begin());
  std::copy(final_destination.begin(), final_destination.end(), destination.begin());
  header[3] = 0;
  return OkStatus();
}

Status ClearIpv6(MutableByteSpan packet) {
  //= rfc4302#section-3.3.3.1.2.1
  //# Traffic class, flow label and hop limit can change in transit and are
  //# zeroed; version, payload length, next header and the addresses are
  //# included (the destination as predicted when a Routing header is there).
  packet[0] &= 0xf0;
  std::fill_n(packet.begin() + 1, 3, uint8_t{0});
  packet[7] = 0;

  uint8_t next = packet[6];
  size_t at = kIpv6Header;
  // ip::Parse has checked that every extension header fits in the packet.
  while (IsIpv6ExtensionHeader(next)) {
    const size_t length =
        next == static_cast<uint8_t>(IpProtocol::kFragment) ? 8 : (packet[at + 1] + 1u) * 8;
    MutableByteSpan header = packet.subspan(at, length);
    switch (static_cast<IpProtocol>(next)) {
      case IpProtocol::kHopByHop:
      case IpProtocol::kDestinationOptions:
        TRY(ClearIpv6Options(header, at));
        break;
      case IpProtocol::kRouting:
        TRY(RearrangeRouting(packet, header, at));
        break;
      default:
        //= rfc4302#appendix-A2
        //# The Fragment header is absent by the time AH runs (fragmenting
        //# comes after it, reassembly before); other extension headers are
        //# covered as they are.
        break;
    }
    next = header[0];
    at += length;
  }
  return OkStatus();
}

}  // namespace

OptionMutability Ipv4OptionMutability(uint8_t option_type) {
  for (const auto& rule : kImmutableIpv4Options) {
    if (rule.type == option_type) return OptionMutability::kImmutable;
  }
  return OptionMutability::kMutable;
}

Status ClearMutableFields(MutableByteSpan packet) {
  TRY_ASSIGN(PacketView view, Parse(packet, /*verify_checksum=*/false));
  MutableByteSpan whole = packet.first(view.total_length);
  if (view.version == 4) return ClearIpv4(whole, view.ip_header_length);
  return ClearIpv6(whole);
}

Result<Bytes> IcvView(ByteSpan packet) {
  TRY_ASSIGN(PacketView view, Parse(packet, /*verify_checksum=*/false));
  Bytes copy(packet.begin(), packet.begin() + static_cast<long>(view.total_length));
  TRY(ClearMutableFields(copy));
  return copy;
}

}  // namespace ipsecref::ip
