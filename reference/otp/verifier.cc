#include "reference/otp/verifier.h"

#include <fmt/format.h>

#include <limits>

namespace ipsecref::otp {
namespace {

std::string Steps(int64_t n) { return fmt::format("{} step{}", n, n == 1 || n == -1 ? "" : "s"); }

std::string WhenSaid(int64_t steps_from_now) {
  if (steps_from_now == 0) return "on time";
  if (steps_from_now < 0) return Steps(-steps_from_now) + " late";
  return Steps(steps_from_now) + " early";
}

}  // namespace

std::string_view Name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAccepted: return "accepted";
    case Outcome::kWrongCode: return "wrong-code";
    case Outcome::kReplayed: return "replayed";
    case Outcome::kOutsideWindow: return "outside-window";
  }
  return "?";
}

std::string Describe(const Verdict& v, const VerifierConfig& config) {
  switch (v.outcome) {
    case Outcome::kAccepted:
      return fmt::format("accepted (step {}, {})", v.step.value_or(0), WhenSaid(v.steps_from_now));
    case Outcome::kWrongCode:
      return "wrong code";
    case Outcome::kReplayed:
      return fmt::format("replayed: step {} ({}) is not after step {}, the last one accepted", v.step.value_or(0),
                         WhenSaid(v.steps_from_now), v.last_accepted.value_or(0));
    case Outcome::kOutsideWindow:
      return fmt::format("a valid code for step {}, {}, outside the window ({} back, {} ahead); not accepted",
                         v.step.value_or(0), WhenSaid(v.steps_from_now), config.steps_back, config.steps_ahead);
  }
  return "?";
}

Status CheckCode(std::string_view code, int digits) {
  for (size_t i = 0; i < code.size(); ++i) {
    const auto c = static_cast<unsigned char>(code[i]);
    ENSURE(c >= '0' && c <= '9', kInvalidArgument, i, "rfc4226#section-5.3",
           c >= 0x20 && c < 0x7f ? fmt::format("the code has '{}' at offset {}: only digits 0-9", code[i], i)
                                 : fmt::format("the code has byte 0x{:02x} at offset {}: only digits 0-9", c, i));
  }
  ENSURE(code.size() == static_cast<size_t>(digits), kInvalidArgument, code.size(), "rfc4226#section-5.3",
         fmt::format("the code has {} digits, {} expected", code.size(), digits));
  return OkStatus();
}

Result<TotpVerifier> TotpVerifier::Create(VerifierConfig config) {
  TRY(CheckParameters(config.parameters));
  ENSURE(config.secret.size() >= kMinSecretSize, kBadKeyLength, kNoOffset, "rfc4226#section-4",
         fmt::format("the secret has {} bits, at least {} required", config.secret.size() * 8, kMinSecretSize * 8));
  ENSURE(config.steps_back <= kMaxWindowSteps && config.steps_ahead <= kMaxWindowSteps, kInvalidArgument, kNoOffset,
         "ipsecref#choice",
         fmt::format("a window of {} steps back and {} ahead; at most {} each way", config.steps_back,
                     config.steps_ahead, kMaxWindowSteps));
  ENSURE(config.diagnosis_steps <= kMaxDiagnosisSteps, kInvalidArgument, kNoOffset, "ipsecref#choice",
         fmt::format("a diagnosis of {} steps; at most {}", config.diagnosis_steps, kMaxDiagnosisSteps));
  return TotpVerifier(std::move(config));
}

void TotpVerifier::RestoreLastAccepted(uint64_t step) {
  if (!last_accepted_ || step > *last_accepted_) last_accepted_ = step;
}

bool TotpVerifier::Matches(std::string_view code, uint64_t step) const {
  const TotpParameters& p = config_.parameters;
  // Parameters were checked in Create: Hotp cannot fail.
  const auto expected = Hotp(config_.secret, step, p.digits, p.algorithm);
  const ByteSpan a(reinterpret_cast<const uint8_t*>(code.data()), code.size());
  const ByteSpan b(reinterpret_cast<const uint8_t*>(expected->data()), expected->size());
  return ConstantTimeEqual(a, b);
}

Result<Verdict> TotpVerifier::Verify(std::string_view code, int64_t unix_time) {
  const TotpParameters& p = config_.parameters;
  TRY(CheckCode(code, p.digits));
  int64_t now = 0;
  ENSURE(!__builtin_add_overflow(unix_time, config_.clock_skew, &now), kInvalidArgument, kNoOffset,
         "rfc6238#section-6",
         fmt::format("time {} with a clock skew of {} s is out of range", unix_time, config_.clock_skew));
  TRY_ASSIGN(const uint64_t current, TimeStep(p, now));

  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const uint64_t first = current >= config_.steps_back ? current - config_.steps_back : 0;
  const uint64_t last = kMax - current >= config_.steps_ahead ? current + config_.steps_ahead : kMax;
  const auto from_now = [current](uint64_t step) { return static_cast<int64_t>(step - current); };

  //= rfc6238#section-5.2
  //# The code is compared with the current step's and with those of the
  //# steps the window admits.
  // Every step of the window is computed and compared, whatever matched
  // before: the time taken does not depend on which step matches.
  std::optional<uint64_t> newest_fresh, newest_replayed;
  for (uint64_t step = first;; ++step) {
    const bool match = Matches(code, step);
    const bool fresh = !last_accepted_ || step > *last_accepted_;
    if (match && fresh) newest_fresh = step;
    if (match && !fresh) newest_replayed = step;
    if (step == last) break;
  }
  Verdict v;
  if (newest_fresh) {
    // Of two steps with the same code, the newer: a replay of the older one
    // is then refused too.
    v.outcome = Outcome::kAccepted;
    v.step = newest_fresh;
    v.steps_from_now = from_now(*newest_fresh);
    last_accepted_ = newest_fresh;
    return v;
  }
  //= rfc6238#section-5.2
  //# A code is accepted once: after a successful validation, the same code
  //# (its step, or any older one) is refused.
  if (newest_replayed) {
    v.outcome = Outcome::kReplayed;
    v.step = newest_replayed;
    v.steps_from_now = from_now(*newest_replayed);
    v.last_accepted = last_accepted_;
    return v;
  }
  // Outside the window, nearest steps first: only to say how far off the
  // code is, never to accept it.
  for (uint64_t d = 1; d <= config_.diagnosis_steps; ++d) {
    std::optional<uint64_t> found;
    if (first >= d && Matches(code, first - d)) {
      found = first - d;
    } else if (kMax - last >= d && Matches(code, last + d)) {
      found = last + d;
    }
    if (!found) continue;
    const bool replayed = last_accepted_ && *found <= *last_accepted_;
    v.outcome = replayed ? Outcome::kReplayed : Outcome::kOutsideWindow;
    v.step = found;
    v.steps_from_now = from_now(*found);
    if (replayed) v.last_accepted = last_accepted_;
    return v;
  }
  return v;  // kWrongCode
}

}  // namespace ipsecref::otp
