#include "reference/base/code.h"

#include <array>

namespace ipsecref {
namespace {

constexpr std::array kCodeTable = {
#define IPSECREF_CODE_INFO(name, cat, audit, text) \
  CodeInfo{std::string_view(#name).substr(1), Category::cat, audit, text},
    IPSECREF_CODES(IPSECREF_CODE_INFO)
#undef IPSECREF_CODE_INFO
};

}  // namespace

const CodeInfo& Describe(Code code) { return kCodeTable.at(static_cast<size_t>(code)); }

std::string_view CategoryName(Category category) {
  switch (category) {
    case Category::kParse: return "parse";
    case Category::kProtocol: return "protocol";
    case Category::kCrypto: return "crypto";
    case Category::kIo: return "io";
    case Category::kUsage: return "usage";
  }
  return "unknown";
}

}  // namespace ipsecref
