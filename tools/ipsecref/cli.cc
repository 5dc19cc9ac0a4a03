#include "tools/ipsecref/cli.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {

namespace {

using nlohmann::json;

constexpr size_t kMessageLimit = 4096;

// The longest prefix of `text` of at most `limit` bytes that does not cut a
// UTF-8 character.
std::string_view Prefix(std::string_view text, size_t limit) {
  size_t end = 0;
  while (end < text.size()) {
    const size_t n = std::max<size_t>(Utf8CharLength(text.substr(end)), 1);
    if (end + n > limit) break;
    end += n;
  }
  return text.substr(0, end);
}

// Valid UTF-8 kept; other bytes, and control characters when `controls`,
// as "\xHH".
std::string Printable(std::string_view text, bool controls) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = Utf8CharLength(text);
    const auto c = static_cast<uint8_t>(text[0]);
    if (n == 0 || (controls && (c < 0x20 || c == 0x7f))) {
      out += fmt::format("\\x{:02x}", c);
      text.remove_prefix(1);
      continue;
    }
    out.append(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

bool IsUtf8(std::string_view text) {
  while (!text.empty()) {
    const size_t n = Utf8CharLength(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

void MakeJsonSafe(json& j) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    if (!IsUtf8(s)) s = JsonText(s);
  } else if (j.is_array()) {
    for (json& e : j) MakeJsonSafe(e);
  } else if (j.is_object()) {
    bool names_safe = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      names_safe = names_safe && IsUtf8(it.key());
      MakeJsonSafe(it.value());
    }
    if (names_safe) return;
    json safe = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) safe[JsonText(it.key())] = std::move(it.value());
    j = std::move(safe);
  }
}

void PrintError(std::string_view command, std::string_view code, std::string_view message, bool as_json,
                int exit_code = kExitUsage) {
  const std::string clipped = ClipMessage(message);
  // fputs: a stderr that refuses the message (2>/dev/full) loses it; the
  // exit code still says what happened.
  std::fputs(fmt::format("ipsecref{}{}: {}\n", command.empty() ? "" : " ", command, clipped).c_str(), stderr);
  if (!as_json) return;
  json error = {{"code", code}, {"message", clipped}, {"exit_code", exit_code}};
  if (!command.empty()) error["command"] = command;
  PrintJson({{"error", std::move(error)}});
}

}  // namespace

size_t Utf8CharLength(std::string_view s) {
  if (s.empty()) return 0;
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  const size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n == 0 || c > 0xf4 || s.size() < n) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b(i) & 0x3f);
  }
  const uint32_t shortest = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  const bool scalar = cp >= shortest && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  return scalar ? n : 0;
}

std::string JsonText(std::string_view text) { return Printable(text, false); }

std::string Echo(std::string_view text) {
  if (text.size() <= kEchoLimit) return Printable(text, true);
  return fmt::format("{}... ({} bytes)", Printable(Prefix(text, kEchoLimit), true), text.size());
}

std::string ClipMessage(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    out += Echo(text.substr(0, space));
    if (space == std::string_view::npos) break;
    out += ' ';
    text.remove_prefix(space + 1);
    if (out.size() > kMessageLimit) {
      out = fmt::format("{}... (message cut)", Prefix(out, kMessageLimit));
      break;
    }
  }
  return out;
}

std::string DumpJson(json value) {
  MakeJsonSafe(value);
  return value.dump(2);
}

void PrintJson(json report) { fmt::print("{}\n", DumpJson(std::move(report))); }

int Fail(std::string_view command, const Error& error, bool json, std::string_view context, int exit_code) {
  const std::string message = error.ToString();
  PrintError(command, Describe(error.code).name,
             context.empty() ? message : fmt::format("{}: {}", context, message), json, exit_code);
  return exit_code;
}

int FailUsage(std::string_view command, std::string_view message, bool json) {
  PrintError(command, "Usage", message, json);
  return kExitUsage;
}

Status CheckInput(std::string_view option, const std::string& path, InputKind kind) {
  const std::string named = option.empty() ? std::string() : fmt::format("{}: ", option);
  ENSURE(!path.empty(), kIoError, kNoOffset, "", fmt::format("{}empty file name", named));
  const auto refuse = [&](int error) {
    return MakeError(Code::kIoError, kNoOffset, "",
                     fmt::format("{}cannot open {}: {}", named, Echo(path), std::strerror(error)));
  };
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return refuse(errno);
  if (S_ISDIR(st.st_mode)) {
    ENSURE(kind == InputKind::kFileOrDirectory, kIoError, kNoOffset, "",
           fmt::format("{}{} is a directory, not a file", named, Echo(path)));
    ENSURE(access(path.c_str(), R_OK | X_OK) == 0, kIoError, kNoOffset, "",
           fmt::format("{}cannot read the directory {}: {}", named, Echo(path), std::strerror(errno)));
    return OkStatus();
  }
  if (S_ISFIFO(st.st_mode)) return OkStatus();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return refuse(errno);
  close(fd);
  return OkStatus();
}

CLI::Validator FiniteRange(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value)) return fmt::format("{} is not a number", Echo(input));
        if (!std::isfinite(value)) return fmt::format("{} is not a finite number", Echo(input));
        if (value < min || value > max) return fmt::format("{} is not in range {} to {}", Echo(input), min, max);
        return {};
      },
      fmt::format("NUMBER in [{} - {}]", min, max));
}

CLI::Validator NotEmpty() {
  return CLI::Validator([](std::string& input) { return input.empty() ? std::string("empty value") : std::string(); },
                        "");
}

void GuardStandardStreams() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() takes the lowest free descriptor: this one. Read-only, so a
    // write to standard output or error fails with EBADF.
    const int opened = open("/dev/null", O_RDONLY);
    if (opened != fd && opened >= 0) close(opened);
  }
}

int FinishStandardOutput(int exit_code) {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && !std::ferror(stdout) && std::cout.good()) return exit_code;
  std::fputs(fmt::format("ipsecref: the report was not written to standard output: {}\n",
                         error != 0 ? std::strerror(error) : "a write failed")
                 .c_str(),
             stderr);
  return kExitUsage;
}

}  // namespace ipsecref::tool
