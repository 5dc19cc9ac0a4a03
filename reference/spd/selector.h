// Selectors of RFC 4301 §4.4.1.1: what an SPD entry or an SA's traffic
// selectors say about a packet (local and remote address ranges, the next
// layer protocol, local and remote "ports"), the same values read from a
// packet, and the match between the two.
//
// Plain values and pure functions: nothing here is shared or locked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::spd {

// A range of addresses, both ends included: 4 bytes each (IPv4) or 16
// (IPv6), compared as big-endian unsigned numbers.
struct AddressRange {
  Bytes start, end;
  bool operator==(const AddressRange&) const = default;
};

// The range of `address` / `prefix_bits`: host bits cleared for the start,
// set for the end. A prefix longer than the address is taken as the whole
// address (a single host).
AddressRange PrefixRange(ByteSpan address, size_t prefix_bits);
// A range of the single `address`.
AddressRange HostRange(ByteSpan address);
// Every address of the family of `address_size` bytes (4 or 16).
AddressRange AnyAddress(size_t address_size);

//= rfc7296#section-3.13.1
//# A port range runs from Start to End Port; all ports are 0-65535, and
//# OPAQUE (the field is not available, RFC 4301 §4.4.1.1) is written Start
//# Port 65535, End Port 0. ICMP and ICMPv6 type and code are one 16-bit
//# port, type in the high octet and code in the low one; an MH type sits in
//# the high octet with zero below.
struct PortRange {
  uint16_t start = 0;
  uint16_t end = 65535;

  static constexpr PortRange Any() { return {0, 65535}; }
  static constexpr PortRange Opaque() { return {65535, 0}; }
  static constexpr PortRange Single(uint16_t port) { return {port, port}; }
  // ICMP or ICMPv6 messages of `type` with a code from `code_first` to
  // `code_last` (RFC 4301 §4.4.1.1: one type and a range of codes).
  static constexpr PortRange IcmpType(uint8_t type, uint8_t code_first = 0, uint8_t code_last = 255) {
    return {static_cast<uint16_t>(type << 8 | code_first), static_cast<uint16_t>(type << 8 | code_last)};
  }

  bool any() const { return start == 0 && end == 65535; }
  bool opaque() const { return start == 65535 && end == 0; }
  bool operator==(const PortRange&) const = default;
};

// One selector set of an SPD entry or of a CHILD SA (RFC 4301 §4.4.1.1).
// `local` is the side this gateway protects: the source of outbound packets
// and the destination of inbound ones. Both ranges are of one family.
struct Selector {
  AddressRange local, remote;
  uint8_t protocol = 0;  // next layer protocol; 0 is ANY
  PortRange local_ports, remote_ports;
  bool operator==(const Selector&) const = default;
};

// Checks that `selector` describes packets: addresses of 4 or 16 bytes, one
// family for both sides, no range running backwards, each port range OPAQUE
// or not running backwards. Errors: kInvalidArgument naming the field.
Status Validate(const Selector& selector);

// The selector values of one packet (RFC 4301 §4.4.1.1), as the packet
// carries them: src and dst are its addresses (4 or 16 bytes), protocol the
// next layer protocol after the IPv6 extension headers of RFC 4301's skip
// list. Ports, when `ports_known`:
//  - TCP, UDP, SCTP, DCCP, UDP-Lite: the source and destination ports;
//  - ICMP and ICMPv6: type * 256 + code in src_port (dst_port 0);
//  - IPv6 Mobility Header: MH type * 256 in src_port (dst_port 0).
// `ports_known` is false for other protocols and for non-initial fragments
// (and first fragments too short to hold the ports): they carry none.
struct PacketSelectors {
  Bytes src, dst;
  uint8_t protocol = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool ports_known = false;
  bool operator==(const PacketSelectors&) const = default;
};

// Reads the selectors of an IPv4 or IPv6 packet (the inner packet of a
// tunnel, or a packet from the protected side). IPv6 extension headers
// 0, 43, 44 and 60 are stepped over; a Fragment header with a non-zero
// offset ends the walk (its Next Header is the protocol, ports unknown).
// The IPv4 header checksum is not verified (the caller's concern).
// Errors, each with the offset and why:
//  - kBadVersion: neither 4 nor 6; kTruncated / kBadHeader / kBadLength:
//    the IP header, an extension header or (in a packet that is not a
//    fragment) the ports run past the packet or its stated length.
Result<PacketSelectors> ExtractSelectors(ByteSpan ip_packet);

// Which way a packet crosses the boundary: outbound packets leave the
// protected side (their source is local), inbound ones enter it.
enum class Direction : uint8_t { kOutbound, kInbound };

// Whether `packet` lies in `selector` (RFC 4301 §4.4.1.1, §4.4.1.3, §7):
//  - both addresses in their ranges (so of the selector's family);
//  - the protocol equal, or the selector's ANY (0);
//  - two-port protocols: local and remote port in their ranges;
//  - ICMP, ICMPv6, MH: the type (and code) in the range of the side that
//    sent the packet (local outbound, remote inbound); the other side's
//    range says what that side may send and is not consulted;
//  - no ports (another protocol, a non-initial fragment): both port ranges
//    ANY or OPAQUE. A range that is neither never holds such a packet, and
//    OPAQUE holds only such packets.
bool Matches(const Selector& selector, const PacketSelectors& packet, Direction direction);

// swanctl-like text: "10.1.0.0/16[tcp/80] === 10.2.0.0/16", the local side
// first; a range that is no prefix as "10.0.0.1-10.0.0.9"; "[proto]" or
// "[proto/ports]" after the local side when it names a protocol or ports,
// after the remote side when it names ports; ports "opaque", "N" or "N-M";
// ICMP ports as the type when the code is 0, else as type * 256 + code.
std::string Describe(const Selector& selector);
// "10.2.0.5[tcp/4444] -> 10.1.0.7[tcp/80]", ports "opaque" when unknown,
// an ICMP packet as "10.1.0.1[icmp/8] -> 10.2.0.1".
std::string Describe(const PacketSelectors& packet);

}  // namespace ipsecref::spd
