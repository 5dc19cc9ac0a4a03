// strongSwan's settings syntax (strongswan.conf(5), the syntax of
// swanctl.conf: docs.strongswan.org, swanctl.conf "strongswan.conf-style
// syntax") read into a tree whose every section and setting knows its
// file:line, so that what the tree means can be refused precisely.
//
//   file     = { item }
//   item     = NAME "{" { item } "}"           a section
//            | NAME "=" value                  a setting
//            | "include" PATTERN               another file's items, here
//   value    = text to the end of the line, a "#" or a "}" (blanks around it
//              dropped), or one double-quoted string, which may span lines
//              and holds the escapes \n \r \t \" \\ (a backslash before a
//              line break joins the lines)
//   comments run from "#" to the end of the line
//
// NAME is a run of characters other than blanks, line breaks, "=", "{", "}",
// "#" and '"'. An include PATTERN is relative to the directory of the file
// that includes it (or, for text without a file, the base directory given),
// may be quoted and may hold glob(3) wildcards in its file name (not in
// its directories): the matching files are read
// in sorted order, and a pattern with wildcards that matches nothing adds
// nothing (a name without wildcards must exist).
//
//= ipsecref#choice
//# strongSwan merges sections of the same name and lets the last of a
//# setting given twice win. Here a setting given twice in one section is
//# refused (naming both lines), so that no setting is silently lost; top-level
//# sections of the same name are merged, as the include conf.d/*.conf idiom
//# needs (each snippet opens `connections { ... }` again), and any deeper
//# section given twice (a connection, child, secret, authority) is refused.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"

namespace ipsecref::gateway {

// Bounds on what one configuration may hold, so that any input is read in
// bounded time and memory.
inline constexpr size_t kMaxSettingsFileSize = 1 << 20;       // bytes per file
inline constexpr size_t kMaxSettingsTotalSize = 8u << 20;     // bytes of all files together
inline constexpr size_t kMaxSettingsIncludeDepth = 8;         // include within include ...
inline constexpr size_t kMaxSettingsFiles = 256;              // files read in all
inline constexpr size_t kMaxSettingsNesting = 16;             // sections within sections
inline constexpr size_t kMaxSettingsNodes = 100'000;          // sections and settings in all

struct SettingsNode {
  std::string name;
  std::string file;  // the file it was read from, as named (the including file's directory joined)
  size_t line = 0;   // 1-based
  bool section = false;
  std::string value;                  // a setting's value
  std::vector<SettingsNode> children;  // a section's items, in file order
  // The children by name (their position in `children`): duplicates are
  // found, and Find answers, in logarithmic time whatever the section's size.
  std::map<std::string, size_t, std::less<>> index;

  // "FILE:LINE".
  std::string Where() const;
  // The child setting or section of this name, or null.
  const SettingsNode* Find(std::string_view child) const;
};

// Reads `text` (named `name` in errors; includes relative to `base_dir`)
// into the root section (name "", line 0). Errors, each starting
// "FILE:LINE: ": kInvalidArgument for bad syntax (what was expected and what
// was found), a setting given twice, a bound exceeded; kIoError for an
// include that cannot be read (missing, not a regular file) or kBadFile for
// one over kMaxSettingsFileSize.
Result<SettingsNode> ParseSettings(std::string_view text, std::string_view name, std::string_view base_dir);

// `name` when absolute (or `dir` empty), else dir/name.
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory of a file's path ("." without a "/").
std::string DirectoryOf(std::string_view path);

// Reads a regular file of at most `max_size` bytes (never more is read:
// devices and FIFOs are refused before they are opened). kIoError when it
// cannot be read or is no regular file, kBadFile when it is larger.
Result<std::string> ReadBoundedFile(const std::string& path, size_t max_size);

}  // namespace ipsecref::gateway
