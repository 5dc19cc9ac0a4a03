#include "reference/gateway/settings.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace ipsecref::gateway {
namespace {

Error At(const std::string& file, size_t line, Code code, std::string detail) {
  return MakeError(code, kNoOffset, "", fmt::format("{}:{}: {}", file, line, detail));
}

// What every file of one configuration shares: the bounds' counters.
struct Budget {
  size_t files = 0;
  size_t bytes = 0;
  size_t nodes = 0;
};

class Parser {
 public:
  Parser(std::string_view text, std::string file, std::string base_dir, size_t include_depth, Budget& budget)
      : text_(text), file_(std::move(file)), base_dir_(std::move(base_dir)), include_depth_(include_depth),
        budget_(budget) {}

  // Reads the items of the whole text into `section`, at nesting `depth`.
  Status ParseFile(SettingsNode& section, size_t depth) {
    TRY(ParseItems(section, depth));
    if (pos_ < text_.size())  // ParseItems stops only at "}" or the end
      return At(file_, line_, Code::kInvalidArgument, "'}' without a section to close");
    return OkStatus();
  }

 private:
  static bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
  static bool EndsName(char c) {
    return IsBlank(c) || c == '\n' || c == '=' || c == '{' || c == '}' || c == '#' || c == '"';
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void Advance() {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  void SkipComment() {
    while (!AtEnd() && Peek() != '\n') ++pos_;
  }
  // Blanks, line breaks and comments.
  void SkipSpace() {
    while (!AtEnd()) {
      if (Peek() == '#') SkipComment();
      else if (IsBlank(Peek()) || Peek() == '\n') Advance();
      else return;
    }
  }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(Peek())) ++pos_;
  }
  std::string Found() const {
    if (AtEnd()) return "the end of the file";
    if (Peek() == '\n') return "the end of the line";
    return fmt::format("'{}'", Peek());
  }

  // Items up to a "}" (left unread) or the end of the text.
  Status ParseItems(SettingsNode& section, size_t depth) {
    for (;;) {
      SkipSpace();
      if (AtEnd() || Peek() == '}') return OkStatus();
      const size_t line = line_;
      const size_t start = pos_;
      while (!AtEnd() && !EndsName(Peek())) ++pos_;
      const std::string name(text_.substr(start, pos_ - start));
      if (name.empty())
        return At(file_, line, Code::kInvalidArgument,
                  fmt::format("expected a section or setting name, found {}", Found()));
      SkipBlanks();
      if (name == "include" && (AtEnd() || (Peek() != '=' && Peek() != '{'))) {
        TRY(ParseInclude(section, depth, line));
        continue;
      }
      SkipSpace();
      if (AtEnd() || (Peek() != '=' && Peek() != '{'))
        return At(file_, line, Code::kInvalidArgument,
                  fmt::format("expected '=' or '{{' after '{}', found {}", name, Found()));
      if (++budget_.nodes > kMaxSettingsNodes)
        return At(file_, line, Code::kInvalidArgument,
                  fmt::format("more than {} sections and settings", kMaxSettingsNodes));
      SettingsNode node{name, file_, line, Peek() == '{', {}, {}};
      Advance();
      if (node.section) {
        if (depth + 1 > kMaxSettingsNesting)
          return At(file_, line, Code::kInvalidArgument,
                    fmt::format("section '{}' nested deeper than {} sections", name, kMaxSettingsNesting));
        TRY(ParseItems(node, depth + 1));
        if (AtEnd())
          return At(file_, line, Code::kInvalidArgument,
                    fmt::format("section '{}' is not closed: '}}' missing", name));
        Advance();  // "}"
        TRY(AddSection(section, std::move(node), depth));
      } else {
        TRY_ASSIGN(node.value, ParseValue(line));
        TRY(AddSetting(section, std::move(node)));
      }
    }
  }

  // A setting's value, after "=".
  Result<std::string> ParseValue(size_t line) {
    SkipBlanks();
    std::string value;
    if (!AtEnd() && Peek() == '"') {
      Advance();
      for (;;) {
        if (AtEnd())
          return At(file_, line, Code::kInvalidArgument, "quoted value is not closed: '\"' missing");
        const char c = Peek();
        Advance();
        if (c == '"') break;
        if (c != '\\' || AtEnd()) {
          value += c;
          continue;
        }
        const char e = Peek();
        Advance();
        switch (e) {
          case 'n': value += '\n'; break;
          case 'r': value += '\r'; break;
          case 't': value += '\t'; break;
          case '\n': break;  // a continued line
          default: value += e; break;  // \" \\ and any other character as itself
        }
      }
      SkipBlanks();
      if (!AtEnd() && Peek() == '#') SkipComment();
      if (!AtEnd() && Peek() != '\n' && Peek() != '}')
        return At(file_, line_, Code::kInvalidArgument,
                  fmt::format("expected the end of the line after the quoted value, found {}", Found()));
      return value;
    }
    const size_t start = pos_;
    while (!AtEnd() && Peek() != '\n' && Peek() != '#' && Peek() != '}') ++pos_;
    std::string_view raw = text_.substr(start, pos_ - start);
    while (!raw.empty() && IsBlank(raw.back())) raw.remove_suffix(1);
    return std::string(raw);
  }

  Status AddSetting(SettingsNode& section, SettingsNode node) {
    if (const auto it = section.index.find(node.name); it != section.index.end()) {
      const SettingsNode& other = section.children[it->second];
      return At(node.file, node.line, Code::kInvalidArgument,
                fmt::format("'{}' {} again (first at {})", node.name,
                            other.section ? "names a section and a setting" : "is set", other.Where()));
    }
    section.index.emplace(node.name, section.children.size());
    section.children.push_back(std::move(node));
    return OkStatus();
  }

  // Top-level sections of the same name merge (their items joined); below
  // them a section name given twice is refused.
  Status AddSection(SettingsNode& section, SettingsNode node, size_t depth) {
    if (const auto it = section.index.find(node.name); it != section.index.end()) {
      SettingsNode& other = section.children[it->second];
      if (!other.section)
        return At(node.file, node.line, Code::kInvalidArgument,
                  fmt::format("'{}' names a setting and a section (setting at {})", node.name, other.Where()));
      if (depth > 0)
        return At(node.file, node.line, Code::kInvalidArgument,
                  fmt::format("section '{}' defined twice (first at {})", node.name, other.Where()));
      for (SettingsNode& child : node.children) {
        if (child.section) TRY(AddSection(other, std::move(child), depth + 1));
        else TRY(AddSetting(other, std::move(child)));
      }
      return OkStatus();
    }
    section.index.emplace(node.name, section.children.size());
    section.children.push_back(std::move(node));
    return OkStatus();
  }

  Status ParseInclude(SettingsNode& section, size_t depth, size_t line) {
    TRY_ASSIGN(std::string pattern, ParseValue(line));
    if (pattern.empty()) return At(file_, line, Code::kInvalidArgument, "include without a file name");
    if (include_depth_ + 1 > kMaxSettingsIncludeDepth)
      return At(file_, line, Code::kInvalidArgument,
                fmt::format("include '{}' nested deeper than {} includes", pattern, kMaxSettingsIncludeDepth));
    const std::string path = JoinPath(base_dir_, pattern);
    std::vector<std::string> files;
    const size_t wildcard = path.find_first_of("*?[");
    if (wildcard == std::string::npos) {
      files.push_back(path);
    } else {
      //= ipsecref#choice
      //# Wildcards only in the file name (conf.d/*.conf), never in a
      //# directory: one directory is listed, whatever the pattern.
      if (path.find('/', wildcard) != std::string::npos)
        return At(file_, line, Code::kInvalidArgument,
                  fmt::format("include '{}': wildcards are allowed in the file name only", pattern));
      glob_t found{};
      const int rc = glob(path.c_str(), 0, nullptr, &found);
      std::unique_ptr<glob_t, decltype(&globfree)> owner(&found, &globfree);
      if (rc != 0 && rc != GLOB_NOMATCH)
        return At(file_, line, Code::kIoError, fmt::format("include '{}': the pattern cannot be read", path));
      for (size_t i = 0; rc == 0 && i < found.gl_pathc; ++i) files.emplace_back(found.gl_pathv[i]);
      std::sort(files.begin(), files.end());
    }
    for (const std::string& file : files) {
      if (++budget_.files > kMaxSettingsFiles)
        return At(file_, line, Code::kInvalidArgument,
                  fmt::format("include '{}': more than {} files in all", file, kMaxSettingsFiles));
      auto text = ReadBoundedFile(file, kMaxSettingsFileSize);
      if (!text.ok()) {
        Error error = std::move(text).error();
        return At(file_, line, error.code, fmt::format("include '{}': {}", pattern, error.detail));
      }
      budget_.bytes += text->size();
      if (budget_.bytes > kMaxSettingsTotalSize)
        return At(file_, line, Code::kInvalidArgument,
                  fmt::format("include '{}': more than {} bytes in all files", file, kMaxSettingsTotalSize));
      Parser included(*text, file, DirectoryOf(file), include_depth_ + 1, budget_);
      TRY(included.ParseFile(section, depth));
    }
    return OkStatus();
  }

  std::string_view text_;
  std::string file_;
  std::string base_dir_;
  size_t include_depth_;
  Budget& budget_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (name.starts_with('/') || dir.empty()) return std::string(name);
  return dir.ends_with('/') ? fmt::format("{}{}", dir, name) : fmt::format("{}/{}", dir, name);
}

std::string DirectoryOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return std::string(slash == 0 ? path.substr(0, 1) : path.substr(0, slash));
}

std::string SettingsNode::Where() const { return fmt::format("{}:{}", file, line); }

const SettingsNode* SettingsNode::Find(std::string_view child) const {
  const auto it = index.find(child);
  return it == index.end() ? nullptr : &children[it->second];
}

Result<std::string> ReadBoundedFile(const std::string& path, size_t max_size) {
  struct stat st {};
  ENSURE(stat(path.c_str(), &st) == 0, kIoError, kNoOffset, "",
         fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  ENSURE(S_ISREG(st.st_mode), kIoError, kNoOffset, "", fmt::format("'{}' is not a regular file", path));
  ENSURE(static_cast<size_t>(st.st_size) <= max_size, kBadFile, kNoOffset, "",
         fmt::format("'{}' is larger than {} bytes", path, max_size));
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  ENSURE(fd >= 0, kIoError, kNoOffset, "", fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || out.size() + static_cast<size_t>(n) > max_size) {
      const int saved = errno;
      close(fd);
      ENSURE(n >= 0, kIoError, kNoOffset, "", fmt::format("cannot read '{}': {}", path, std::strerror(saved)));
      ENSURE(n == 0, kBadFile, kNoOffset, "", fmt::format("'{}' is larger than {} bytes", path, max_size));
      return out;
    }
    out.append(buffer, static_cast<size_t>(n));
  }
}

Result<SettingsNode> ParseSettings(std::string_view text, std::string_view name, std::string_view base_dir) {
  SettingsNode root{"", std::string(name), 0, true, {}, {}};
  if (text.size() > kMaxSettingsFileSize)
    return At(root.file, 1, Code::kBadFile, fmt::format("larger than {} bytes", kMaxSettingsFileSize));
  Budget budget{1, text.size(), 0};
  Parser parser(text, std::string(name), std::string(base_dir), 0, budget);
  TRY(parser.ParseFile(root, 0));
  return root;
}

}  // namespace ipsecref::gateway
