// Traffic Selector payloads TSi and TSr (RFC 7296 §3.13).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Number of TSs |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       <Traffic Selectors>                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Traffic selector (§3.13.1):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   TS Type     |IP Protocol ID*|       Selector Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Start Port*         |           End Port*           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Starting Address*                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Ending Address*                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// (* layout of TS_IPV4_ADDR_RANGE and TS_IPV6_ADDR_RANGE; other TS types
// keep everything after Selector Length as opaque data.)
#pragma once

#include "reference/ike/wire/payloads/common.h"

namespace ipsecref::ike {

struct TrafficSelector {
  iana::TsType ts_type = iana::TsType::kIpv4AddrRange;
  uint8_t ip_protocol_id = 0;  // 0: any protocol
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  Bytes starting_address;
  Bytes ending_address;
  Bytes other;  // TS types other than the two address ranges: their data after Selector Length
  bool operator==(const TrafficSelector&) const = default;
  bool address_range() const;
};

struct TsPayload {
  std::vector<TrafficSelector> traffic_selectors;
  bool operator==(const TsPayload&) const = default;
};

Result<TsPayload> ParseTs(ByteReader& body, Notes& notes);
[[nodiscard]] Status Write(const TsPayload& p, ByteWriter& out);
//= rfc7296#section-3.13.1
//# At least one selector; each range has start <= end (ports: except the
//# OPAQUE form 65535-0), addresses compared as unsigned numbers.
Status Verify(const TsPayload& p, size_t offset);
// "192.0.2.0-192.0.2.255 proto 6 port 0-65535"
std::string DescribeTs(const TrafficSelector& ts);

}  // namespace ipsecref::ike
