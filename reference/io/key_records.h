// What the line-based key files (esp_sa, ikev1_decryption_table,
// ikev2_decryption_table, keys.csv) share: records one a line, blank lines
// and '#' comments between them.
#pragma once

#include <string_view>

namespace ipsecref::io {

// The first record of `text` that is neither blank nor a comment, its
// leading blanks removed; empty when there is none.
inline std::string_view FirstRecord(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    return line.substr(first);
  }
  return {};
}

}  // namespace ipsecref::io
