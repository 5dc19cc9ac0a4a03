// Line-oriented text files (key files): each line with its 1-based number,
// trailing CR and blanks removed, so that "file:line" can be reported.
#pragma once

#include <cstddef>
#include <cstdio>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "reference/base/result.h"

namespace ipsecref::io {

// Calls `fn(line, number)` for every line of `text`, stopping at the first
// error `fn` returns.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn&& fn) {
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    TRY(fn(line, number));
  }
  return OkStatus();
}

// The same, reading `in` one line at a time: memory is bounded by
// `max_line` whatever the input (a line longer than that is an error naming
// it, before it is read whole), and the first line is handled before the
// rest is read. `name` stands for the input in errors.
template <typename Fn>
Status ForEachLineIn(std::istream& in, std::string_view name, size_t max_line, Fn&& fn) {
  std::streambuf* buffer = in.rdbuf();
  std::string line;
  for (size_t number = 1;; ++number) {
    line.clear();
    int c = EOF;
    bool any = false;
    while ((c = buffer->sbumpc()) != EOF) {
      any = true;
      if (c == '\n') break;
      ENSURE(line.size() < max_line, kBadFile, kNoOffset, "",
             fmt::format("{} line {}: longer than {} bytes", name, number, max_line));
      line.push_back(static_cast<char>(c));
    }
    if (!any) return OkStatus();
    std::string_view view = line;
    while (!view.empty() && (view.back() == '\r' || view.back() == ' ' || view.back() == '\t'))
      view.remove_suffix(1);
    TRY(fn(view, number));
    if (c == EOF) return OkStatus();
  }
}

// Parses every record of a key file: lines that are neither blank nor a
// '#' comment go through `parse(line, "name:number")`, and what it returns
// is collected.
template <typename T, typename Parse>
Result<std::vector<T>> ParseRecords(std::string_view text, std::string_view name, Parse&& parse) {
  std::vector<T> records;
  TRY(ForEachLine(text, [&](std::string_view line, size_t number) -> Status {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') return OkStatus();
    TRY_ASSIGN(T record, parse(line, fmt::format("{}:{}", name, number)));
    records.push_back(std::move(record));
    return OkStatus();
  }));
  return records;
}

}  // namespace ipsecref::io
