// The gateway's TOTP verifier: one per secret (one per user), holding the
// last time step it accepted. Not thread-safe: the caller serialises the
// Verify calls of one verifier.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/otp/otp.h"

namespace ipsecref::otp {

//= rfc4226#section-4
//# The shared secret is at least 128 bits long.
inline constexpr size_t kMinSecretSize = 16;

//= ipsecref#choice
//# Windows are at most 10 steps each way (5 minutes at 30 s), and the
//# diagnosis of a code outside the window looks at most 100 steps further:
//# each step is one HMAC, and wider windows only help an attacker.
inline constexpr uint32_t kMaxWindowSteps = 10;
inline constexpr uint32_t kMaxDiagnosisSteps = 100;

struct VerifierConfig {
  SecureBytes secret;
  TotpParameters parameters;
  //= rfc6238#section-5.2
  //# The verifier also accepts codes of past steps within a transmission
  //# delay window; the RFC recommends at most one step back, our default.
  uint32_t steps_back = 1;
  // Steps after the current one that are accepted (a prover whose clock
  // runs ahead); 0 by default.
  uint32_t steps_ahead = 0;
  //= rfc6238#section-6
  //# A verifier may record how far a prover's clock drifts and verify its
  //# later codes against the time adjusted by that drift.
  // Seconds the prover's clock is known to run ahead of ours (negative:
  // behind): codes are checked at unix_time + clock_skew.
  int64_t clock_skew = 0;
  // How many steps beyond the window a failed code is also compared with,
  // only to tell the user "N steps early/late"; such a code is never
  // accepted. 0 turns the diagnosis off.
  uint32_t diagnosis_steps = 10;
};

enum class Outcome : uint8_t {
  kAccepted,
  kWrongCode,      // no step within the window or the diagnosis gives this code
  kReplayed,       // the code's step is at or before the last step accepted
  kOutsideWindow,  // a valid code of a step outside the window, newer than the last accepted
};
std::string_view Name(Outcome outcome);

struct Verdict {
  Outcome outcome = Outcome::kWrongCode;
  // The time step the code belongs to (all outcomes but kWrongCode).
  std::optional<uint64_t> step;
  // step - the current step: negative for a late code (an older step),
  // positive for an early one. 0 with kWrongCode.
  int64_t steps_from_now = 0;
  // With kReplayed: the last step accepted before this call.
  std::optional<uint64_t> last_accepted;

  bool accepted() const { return outcome == Outcome::kAccepted; }
};

// One line for a log or the user: "accepted (step 1, on time)", "wrong
// code", "replayed: step 41 is not after step 41, the last one accepted",
// "a valid code for step 38, 3 steps late, outside the window (1 back, 0
// ahead); not accepted".
std::string Describe(const Verdict& verdict, const VerifierConfig& config);

//= rfc4226#section-5.3
//# A code is exactly Digit decimal digits.
// kInvalidArgument naming the first character that is not an ASCII digit
// (its offset), or the length when all are digits but their number is not
// `digits`. An empty code is refused as of the wrong length.
[[nodiscard]] Status CheckCode(std::string_view code, int digits);

class TotpVerifier {
 public:
  // Errors: kBadKeyLength for a secret shorter than kMinSecretSize;
  // kInvalidArgument for bad parameters (CheckParameters), a window or a
  // diagnosis wider than their maxima.
  [[nodiscard]] static Result<TotpVerifier> Create(VerifierConfig config);

  // Verifies `code` received at `unix_time` (the verifier's clock). An
  // error (kInvalidArgument) for a code that fails CheckCode, a time (after
  // the clock skew) before T0 or out of range; otherwise the verdict. Only
  // kAccepted changes the state: its step becomes the last accepted one.
  // Every step of the window is computed and compared in constant time,
  // whatever matches.
  [[nodiscard]] Result<Verdict> Verify(std::string_view code, int64_t unix_time);

  std::optional<uint64_t> last_accepted_step() const { return last_accepted_; }
  // Restores the last accepted step after a restart (the gateway keeps it
  // with the user); it only ever moves forward.
  void RestoreLastAccepted(uint64_t step);
  const VerifierConfig& config() const { return config_; }

 private:
  explicit TotpVerifier(VerifierConfig config) : config_(std::move(config)) {}
  bool Matches(std::string_view code, uint64_t step) const;

  VerifierConfig config_;
  std::optional<uint64_t> last_accepted_;
};

}  // namespace ipsecref::otp
