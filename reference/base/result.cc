#include "reference/base/result.h"

#include <fmt/format.h>

namespace ipsecref {

std::string Error::ToString() const {
  const CodeInfo& info = Describe(code);
  std::string out(info.description);
  if (offset != kNoOffset) out += fmt::format(" at offset {}", offset);
  if (!requirement.empty()) out += fmt::format(" ({})", requirement);
  if (!detail.empty()) out += fmt::format(": {}", detail);
  return out;
}

Error Error::At(size_t base) && {
  if (offset != kNoOffset) offset += base;
  return std::move(*this);
}

}  // namespace ipsecref
