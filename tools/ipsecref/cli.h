// What every subcommand of the ipsecref tool shares at its edges: opening
// input files, echoing what the user gave in messages, carrying bytes from
// outside in JSON, reporting an error (with --json, as a JSON object too),
// refusing numbers that are not finite, and making sure the report reached
// standard output.
//
// Exit codes (commands.h): 0 good, 1 a check failed, 2 bad usage, unreadable
// input or an output that could not be written.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {

// --- Echoes -----------------------------------------------------------------

// A value the user gave, as a message may show it: control characters and
// bytes that are not UTF-8 as the text "\xHH" (as junit.h's XmlEscape
// writes them), and at most kEchoLimit bytes of it, a longer one cut with
// "... (N bytes)".
inline constexpr size_t kEchoLimit = 200;
std::string Echo(std::string_view text);

// A whole message that may echo values (the reference's errors, CLI11's):
// every space-separated word echoed as above, and 4 KiB in all.
std::string ClipMessage(std::string_view text);

// --- JSON -------------------------------------------------------------------

// The number of bytes of the UTF-8 character `s` starts with (RFC 3629 §4:
// shortest form, no surrogates, at most U+10FFFF), 0 when it starts with
// none.
size_t Utf8CharLength(std::string_view s);

// Text that JSON can carry (RFC 8259 §8.1: UTF-8): valid UTF-8 kept, every
// other byte as the text "\xHH".
std::string JsonText(std::string_view text);

// Prints a JSON report on standard output, every string in it (member names
// too) through JsonText first: paths, names and messages come from outside.
void PrintJson(nlohmann::json report);
// The same text, indented by two spaces per level, without printing it (a
// report streamed one element at a time).
std::string DumpJson(nlohmann::json value);

// --- Errors -----------------------------------------------------------------

// Reports an error that ends the command: "ipsecref COMMAND: message" on
// stderr (through ClipMessage) and, with --json, on stdout
//   {"error": {"command": "check", "code": "IoError", "message": "...", "exit_code": 2}}
// `code` is the reference's error code name (reference/base/code.h), or
// "Usage" for bad command lines. `context` ("keys") comes before the
// message. Returns `exit_code`: kExitUsage, or kExitFailed for a check that
// failed before a report could be made (tunnel-map's placements).
int Fail(std::string_view command, const Error& error, bool json, std::string_view context = {},
         int exit_code = kExitUsage);
int FailUsage(std::string_view command, std::string_view message, bool json);

// --- Inputs -----------------------------------------------------------------

enum class InputKind { kFile, kFileOrDirectory };

// Checks an input before a reader opens it, so every subcommand refuses the
// same things the same way (kIoError, the path echoed): an empty name, a
// path that cannot be opened (with the system's reason: "No such file or
// directory", "Permission denied", ...), a directory where a file is read.
// Pipes and devices are left to the reader (a FIFO is not opened here: its
// writer would see the reader come and go).
Status CheckInput(std::string_view option, const std::string& path, InputKind kind = InputKind::kFile);

// --- Numbers ----------------------------------------------------------------

// A CLI11 check for a number in [min, max]: refuses NaN and infinities,
// which CLI11's Range lets through (every comparison with NaN is false).
CLI::Validator FiniteRange(double min, double max);

// A CLI11 check that refuses an empty value: `--junit ""` is a mistake, not
// the option left out.
CLI::Validator NotEmpty();

// --- Standard streams -------------------------------------------------------

// Called first in main: a standard stream that was closed (`>&-`) gets
// /dev/null opened read-only in its place, so that writing to it fails
// (and is reported) instead of landing in the next file the tool opens.
void GuardStandardStreams();

// Called last in main: flushes standard output; when anything written to it
// was lost (a full disk, /dev/full, a closed stream) says so on stderr and
// returns kExitUsage, else `exit_code`.
int FinishStandardOutput(int exit_code);

}  // namespace ipsecref::tool
