#include "reference/ikev1/payloads/data_attribute.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {
namespace {
constexpr uint16_t kAttributeFormatTv = 0x8000;
}

Result<std::vector<DataAttribute>> ParseDataAttributes(ByteReader& in, std::string_view what) {
  std::vector<DataAttribute> attributes;
  while (!in.empty()) {
    const size_t at = in.offset();
    uint16_t type = 0, length_or_value = 0;
    ENSURE(in.ReadU16(type) && in.ReadU16(length_or_value), kPayloadMalformed, at, "rfc2408#section-3.3",
           fmt::format("{}: attribute {} needs 4 bytes, {} left", what, attributes.size() + 1, in.remaining()));
    DataAttribute a;
    a.type = type & ~kAttributeFormatTv;
    if (type & kAttributeFormatTv) {
      a.value = length_or_value;
    } else {
      ByteSpan value;
      ENSURE(in.ReadBytes(length_or_value, value), kPayloadMalformed, at + 2, "rfc2408#section-3.3",
             fmt::format("{}: attribute {} (type {}) has Attribute Length {} but {} bytes are left", what,
                         attributes.size() + 1, a.type, length_or_value, in.remaining()));
      a.value = Bytes(value.begin(), value.end());
    }
    attributes.push_back(std::move(a));
  }
  return attributes;
}

Status WriteDataAttributes(const std::vector<DataAttribute>& attributes, ByteWriter& out) {
  for (const DataAttribute& a : attributes) {
    if (const auto* tv = std::get_if<uint16_t>(&a.value)) {
      out.U16(static_cast<uint16_t>(a.type | kAttributeFormatTv)).U16(*tv);
      continue;
    }
    const Bytes& value = std::get<Bytes>(a.value);
    if (value.size() > 0xffff)
      return TooLong("rfc2408#section-3.3", fmt::format("attribute {} has {} value bytes; Attribute Length holds "
                                                        "at most 65535", a.type, value.size()));
    out.U16(a.type & ~kAttributeFormatTv).U16(static_cast<uint16_t>(value.size())).Append(value);
  }
  return OkStatus();
}

}  // namespace ipsecref::ikev1
