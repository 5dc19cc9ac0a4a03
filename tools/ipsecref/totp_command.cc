// ipsecref totp --secret S [--algorithm sha1|sha256|sha512] [--digits N]
// [--period X] [--time UNIX] [--json]: the TOTP code (RFC 6238) of a secret
// at a time (now by default), for tests and interop scripts that feed a
// client the current code. S is base32 as authenticator apps show it,
// "hex:..." or an otpauth://totp/ key URI (whose parameters the options
// override). Prints the code alone on a line; exit 2 for a bad secret or
// option.
#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "reference/otp/otp.h"
#include "reference/otp/secret.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
namespace {

struct Args {
  std::string secret;
  std::string algorithm;
  int digits = otp::kMinDigits;
  uint64_t period = otp::kDefaultPeriod;
  int64_t time = 0;
  bool json = false;
  // Which options were given (a key URI's parameters apply to the others).
  CLI::Option* algorithm_option = nullptr;
  CLI::Option* digits_option = nullptr;
  CLI::Option* period_option = nullptr;
  CLI::Option* time_option = nullptr;
};

int Run(const Args& args) {
  constexpr std::string_view kCommand = "totp";
  SecureBytes secret;
  otp::TotpParameters parameters;
  std::string scheme = args.secret.substr(0, 8);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "otpauth:") {
    auto uri = otp::ParseKeyUri(args.secret);
    if (!uri) return Fail(kCommand, uri.error(), args.json, "--secret (key URI)");
    secret = std::move(uri->secret);
    parameters = uri->parameters;
  } else {
    auto parsed = otp::ParseSecret(args.secret);
    if (!parsed) return Fail(kCommand, parsed.error(), args.json, "--secret");
    secret = std::move(parsed).value();
  }
  if (args.algorithm_option->count() > 0) {
    // The option's check admits only the three names.
    parameters.algorithm = otp::AlgorithmFromName(args.algorithm).value_or(otp::Algorithm::kSha1);
  }
  if (args.digits_option->count() > 0) parameters.digits = args.digits;
  if (args.period_option->count() > 0) parameters.period = args.period;
  int64_t now = args.time;
  if (args.time_option->count() == 0) {
    now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  auto step = otp::TimeStep(parameters, now);
  if (!step) return Fail(kCommand, step.error(), args.json, "--time");
  auto code = otp::Hotp(secret, *step, parameters.digits, parameters.algorithm);
  if (!code) return Fail(kCommand, code.error(), args.json);
  // Seconds the code stays current: to the end of its time step.
  const uint64_t elapsed = static_cast<uint64_t>(now) - static_cast<uint64_t>(parameters.t0);
  const uint64_t remaining = parameters.period - elapsed % parameters.period;
  if (args.json) {
    PrintJson({{"code", *code},
               {"time", now},
               {"step", *step},
               {"algorithm", otp::Name(parameters.algorithm)},
               {"digits", parameters.digits},
               {"period", parameters.period},
               {"seconds_remaining", remaining}});
    return kExitOk;
  }
  fmt::print("{}\n", *code);
  return kExitOk;
}

}  // namespace

void AddTotpCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("totp", "Print the TOTP code (RFC 6238) of a secret at a time (default: now)");
  cmd->add_option("--secret", args->secret,
                  "the shared secret: base32 (as authenticator apps show it; spaces and lower case allowed), "
                  "hex:HEX, or an otpauth://totp/ key URI")
      ->required()
      ->check(NotEmpty());
  args->algorithm_option =
      cmd->add_option("--algorithm", args->algorithm, "HMAC: sha1 (default), sha256 or sha512")
          ->check(CLI::IsMember({"sha1", "sha256", "sha512"}, CLI::ignore_case));
  args->digits_option = cmd->add_option("--digits", args->digits, "digits of the code, 6 (default) to 8")
                            ->check(CLI::Range(otp::kMinDigits, otp::kMaxDigits));
  args->period_option =
      cmd->add_option("--period", args->period, "the time step X in seconds (default 30)")
          ->check(CLI::Range(uint64_t{1}, uint64_t{std::numeric_limits<uint32_t>::max()}));
  args->time_option = cmd->add_option("--time", args->time, "Unix time in seconds (default: now); T0 is 0")
                          ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--json", args->json, "the code, its step and parameters as JSON");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
