#include "reference/io/ikev1_table.h"

#include <fmt/format.h>

#include <cctype>

#include "reference/io/key_records.h"

namespace ipsecref::io {
namespace {

// The record's fields, quotes and surrounding blanks removed.
std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> fields(1);
  for (char c : line) {
    if (c == ',') fields.emplace_back();
    else if (c != '"' && c != '\r' && c != ' ' && c != '\t') fields.back() += c;
  }
  return fields;
}

bool IsHex(std::string_view s) {
  for (char c : s)
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  return !s.empty();
}

}  // namespace

Result<std::vector<Ikev1Keys>> ParseIkev1Table(std::string_view text, std::string_view name) {
  std::vector<Ikev1Keys> keys;
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    const std::string where = fmt::format("{}:{}", name, number);
    std::vector<std::string> fields = Fields(line);
    const Status parsed = [&]() -> Status {
      ENSURE(fields.size() == 2, kBadFile, kNoOffset, "",
             fmt::format("{}: {} fields; a row is <initiator cookie>,<encryption key>", where,
                         fields.size()));
      ENSURE(fields[0].size() == 16 && IsHex(fields[0]), kBadFile, kNoOffset, "",
             fmt::format("{}: the initiator cookie is not 16 hex digits (8 octets)", where));
      auto cookie = FromHex(fields[0]);
      auto key = SecureFromHex(fields[1]);
      ENSURE(IsHex(fields[1]) && key.ok() && !key->empty(), kBadFile, kNoOffset, "",
             fmt::format("{}: the encryption key is not hex, two digits per octet", where));
      Ikev1Keys k;
      k.cookie_i = LoadU64(cookie->data());
      k.encryption_key = std::move(key).value();
      k.origins.push_back(where);
      keys.push_back(std::move(k));
      return OkStatus();
    }();
    // The line held a key in hex: wipe the copy.
    for (std::string& f : fields) std::fill(f.begin(), f.end(), '\0');
    TRY(parsed);
  }
  return keys;
}

bool LooksLikeIkev1Table(std::string_view text) {
  const std::vector<std::string> fields = Fields(FirstRecord(text));
  return fields.size() == 2 && fields[0].size() == 16 && IsHex(fields[0]);
}

}  // namespace ipsecref::io
