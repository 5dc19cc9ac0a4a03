#include "reference/ike/wire/payloads/ts.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

namespace ipsecref::ike {
namespace {

//= rfc7296#section-3.13.1
//# TS_IPV4_ADDR_RANGE selectors are 16 octets long, TS_IPV6_ADDR_RANGE 40.
size_t AddressSize(iana::TsType type) {
  switch (type) {
    case iana::TsType::kIpv4AddrRange: return 4;
    case iana::TsType::kIpv6AddrRange: return 16;
    default: return 0;
  }
}
constexpr size_t kSelectorHeader = 4;
constexpr size_t kPorts = 4;

Result<TrafficSelector> ParseSelector(ByteReader& in) {
  const size_t at = in.offset();
  uint8_t type = 0;
  uint16_t length = 0;
  TrafficSelector ts;
  ENSURE(in.ReadU8(type) && in.ReadU8(ts.ip_protocol_id) && in.ReadU16(length), kInvalidSyntax, at,
         "rfc7296#section-3.13.1", fmt::format("traffic selector header needs 4 bytes, {} left", in.remaining()));
  ts.ts_type = static_cast<iana::TsType>(type);
  const size_t address_size = AddressSize(ts.ts_type);
  ENSURE(address_size == 0 || length == kSelectorHeader + kPorts + 2 * address_size, kInvalidSyntax, at + 2,
         "rfc7296#section-3.13.1",
         fmt::format("{} has Selector Length {}; it must be {}", iana::Name(ts.ts_type), length,
                     kSelectorHeader + kPorts + 2 * address_size));
  ENSURE(length >= kSelectorHeader, kInvalidSyntax, at + 2, "rfc7296#section-3.13.1",
         fmt::format("Selector Length {} is shorter than its header", length));
  ByteReader body;
  ENSURE(in.ReadChild(length - kSelectorHeader, body), kInvalidSyntax, at + 2, "rfc7296#section-3.13.1",
         fmt::format("Selector Length {} runs past the payload ({} bytes left)", length,
                     in.remaining() + kSelectorHeader));
  if (address_size == 0) {
    ts.other = ReadRest(body);
    return ts;
  }
  ByteSpan start, end;
  (void)(body.ReadU16(ts.start_port) && body.ReadU16(ts.end_port) && body.ReadBytes(address_size, start) &&
         body.ReadBytes(address_size, end));
  ts.starting_address.assign(start.begin(), start.end());
  ts.ending_address.assign(end.begin(), end.end());
  return ts;
}

std::string Address(const Bytes& a) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = a.size() == 4 ? AF_INET : AF_INET6;
  if ((a.size() == 4 || a.size() == 16) && inet_ntop(family, a.data(), text, sizeof text)) return text;
  return ToHex(a);
}

}  // namespace

bool TrafficSelector::address_range() const { return AddressSize(ts_type) != 0; }

Result<TsPayload> ParseTs(ByteReader& body, Notes& notes) {
  const size_t at = body.offset();
  uint8_t count = 0;
  uint32_t reserved = 0;
  ENSURE(body.ReadU8(count) && body.ReadU24(reserved), kInvalidSyntax, at, "rfc7296#section-3.13",
         fmt::format("TS body is {} bytes; Number of TSs and RESERVED need 4", body.remaining()));
  NoteReserved(notes, reserved, at + 1, "TS");
  TsPayload p;
  for (int i = 0; i < count; ++i) {
    auto ts = ParseSelector(body);
    if (!ts) {
      Error e = std::move(ts).error();
      e.detail = fmt::format("traffic selector {} of {}: {}", i + 1, count, e.detail);
      return e;
    }
    p.traffic_selectors.push_back(std::move(ts).value());
  }
  //= rfc7296#section-3.13
  //# Number of TSs counts every selector in the payload; nothing follows them.
  ENSURE(body.empty(), kInvalidSyntax, body.offset(), "rfc7296#section-3.13",
         fmt::format("{} bytes after the {} traffic selectors that Number of TSs announces", body.remaining(), count));
  return p;
}

Status Write(const TsPayload& p, ByteWriter& out) {
  if (!ByteWriter::Fits(p.traffic_selectors.size(), 1))
    return TooLong("rfc7296#section-3.13",
                   fmt::format("{} traffic selectors; Number of TSs holds at most 255", p.traffic_selectors.size()));
  out.U8(static_cast<uint8_t>(p.traffic_selectors.size())).U8(0).U16(0);
  for (const TrafficSelector& ts : p.traffic_selectors) {
    const size_t start = out.size();
    out.U8(static_cast<uint8_t>(ts.ts_type)).U8(ts.ip_protocol_id);
    const ByteWriter::LengthPrefix length = out.ReserveLength(2, start);
    if (ts.address_range())
      out.U16(ts.start_port).U16(ts.end_port).Append(ts.starting_address).Append(ts.ending_address);
    else
      out.Append(ts.other);
    if (!out.FinishLength(length))
      return TooLong("rfc7296#section-3.13.1",
                     fmt::format("traffic selector of {} bytes; Selector Length holds at most 65535", out.size() - start));
  }
  return OkStatus();
}

Status Verify(const TsPayload& p, size_t offset) {
  ENSURE(!p.traffic_selectors.empty(), kInvalidSyntax, offset, "rfc7296#section-3.13",
         "TS payload holds no traffic selector");
  for (size_t i = 0; i < p.traffic_selectors.size(); ++i) {
    const TrafficSelector& ts = p.traffic_selectors[i];
    if (!ts.address_range()) continue;
    //= rfc7296#section-3.13.1
    //# Start Port 65535 with End Port 0 is the OPAQUE port; otherwise the
    //# start is not above the end.
    const bool opaque = ts.start_port == 65535 && ts.end_port == 0;
    ENSURE(opaque || ts.start_port <= ts.end_port, kInvalidSyntax, offset, "rfc7296#section-3.13.1",
           fmt::format("traffic selector {}: Start Port {} above End Port {}", i + 1, ts.start_port, ts.end_port));
    ENSURE(!std::lexicographical_compare(ts.ending_address.begin(), ts.ending_address.end(),
                                         ts.starting_address.begin(), ts.starting_address.end()),
           kInvalidSyntax, offset, "rfc7296#section-3.13.1",
           fmt::format("traffic selector {}: Starting Address {} above Ending Address {}", i + 1,
                       Address(ts.starting_address), Address(ts.ending_address)));
  }
  return OkStatus();
}

std::string DescribeTs(const TrafficSelector& ts) {
  if (!ts.address_range()) {
    const std::string_view name = iana::Name(ts.ts_type);
    return fmt::format("{} {}", name.empty() ? fmt::format("TS type {}", static_cast<int>(ts.ts_type)) : std::string(name),
                       ToHex(ts.other));
  }
  return fmt::format("{}-{} proto {} port {}-{}", Address(ts.starting_address), Address(ts.ending_address),
                     ts.ip_protocol_id, ts.start_port, ts.end_port);
}

}  // namespace ipsecref::ike
