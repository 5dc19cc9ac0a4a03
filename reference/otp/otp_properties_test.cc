// Properties of the OTP module: base32 reads back what it writes, in every
// form users write it; a verifier accepts a code at every time of its
// window and at no time outside it; no step is ever accepted twice.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>

#include "reference/otp/secret.h"
#include "reference/otp/verifier.h"

namespace ipsecref::otp {
namespace {

Bytes B(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

rc::Gen<Algorithm> GenAlgorithm() {
  return rc::gen::element(Algorithm::kSha1, Algorithm::kSha256, Algorithm::kSha512);
}

RC_GTEST_PROP(OtpProperties, Base32ReadsBackWhatItWrites, (const Bytes& data)) {
  const std::string text = Base32Encode(data);
  RC_ASSERT(text.size() % 8 == 0);
  auto back = Base32Decode(text);
  RC_ASSERT(back.ok());
  RC_ASSERT(B(*back) == data);
  // The forms users write: lower case, no padding, spaces between groups.
  std::string relaxed;
  for (char c : text) {
    if (c == '=') continue;
    if (relaxed.size() % 5 == 4) relaxed.push_back(' ');
    relaxed.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  auto again = Base32Decode(relaxed);
  RC_ASSERT(again.ok());
  RC_ASSERT(B(*again) == data);
}

struct Setup {
  VerifierConfig config;
  uint64_t step;  // the step the prover's code belongs to
  std::string code;
};

Setup GenSetup() {
  Setup s;
  s.config.secret = ToSecure(*rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(16, 65), rc::gen::arbitrary<uint8_t>()));
  s.config.parameters.algorithm = *GenAlgorithm();
  s.config.parameters.digits = *rc::gen::inRange(kMinDigits, kMaxDigits + 1);
  s.config.parameters.period = *rc::gen::inRange<uint64_t>(1, 61);
  s.config.parameters.t0 = *rc::gen::inRange<int64_t>(-1000, 1000);
  s.config.steps_back = *rc::gen::inRange<uint32_t>(0, 4);
  s.config.steps_ahead = *rc::gen::inRange<uint32_t>(0, 4);
  s.config.clock_skew = *rc::gen::inRange<int64_t>(-200, 201);
  // Far enough from T0 that the window never reaches before it.
  s.step = *rc::gen::inRange<uint64_t>(10, uint64_t{1} << 40);
  const TotpParameters& p = s.config.parameters;
  s.code = *Hotp(s.config.secret, s.step, p.digits, p.algorithm);
  return s;
}

// The first second (on the verifier's clock) of `step`.
int64_t FirstSecond(const VerifierConfig& c, uint64_t step) {
  return c.parameters.t0 + static_cast<int64_t>(step * c.parameters.period) - c.clock_skew;
}

// Whether another step than `step` within the window around `current` has
// the same code (a collision of the truncation: then the property does not
// speak about this case).
bool Collides(const Setup& s, uint64_t current) {
  const TotpParameters& p = s.config.parameters;
  for (uint64_t t = current - s.config.steps_back; t <= current + s.config.steps_ahead; ++t)
    if (t != s.step && *Hotp(s.config.secret, t, p.digits, p.algorithm) == s.code) return true;
  return false;
}

RC_GTEST_PROP(OtpProperties, ACodeVerifiesAtEveryTimeOfItsWindowAndNowhereElse, ()) {
  const Setup s = GenSetup();
  auto created = TotpVerifier::Create(s.config);
  RC_ASSERT(created.ok());
  const VerifierConfig& c = s.config;
  //= rfc6238#section-5.2
  //# The code of step t is accepted whenever the verifier's current step is
  //# between t - steps_ahead and t + steps_back, and at no other time.
  const uint64_t lowest = s.step - c.steps_ahead, highest = s.step + c.steps_back;
  for (uint64_t current = lowest; current <= highest; ++current) {
    RC_PRE(!Collides(s, current));
    for (int64_t t = FirstSecond(c, current); t < FirstSecond(c, current + 1); ++t) {
      TotpVerifier v = *created;
      auto verdict = v.Verify(s.code, t);
      RC_ASSERT(verdict.ok());
      RC_ASSERT(verdict->outcome == Outcome::kAccepted);
      RC_ASSERT(verdict->step == s.step);
    }
  }
  for (uint64_t outside : {lowest - 1, highest + 1}) {
    RC_PRE(!Collides(s, outside));
    for (int64_t t : {FirstSecond(c, outside), FirstSecond(c, outside + 1) - 1}) {
      TotpVerifier v = *created;
      auto verdict = v.Verify(s.code, t);
      RC_ASSERT(verdict.ok());
      RC_ASSERT(verdict->outcome == Outcome::kOutsideWindow);
      RC_ASSERT(verdict->step == s.step);
      RC_ASSERT(!v.last_accepted_step().has_value());
    }
  }
}

RC_GTEST_PROP(OtpProperties, NoStepIsEverAcceptedTwice, ()) {
  Setup s = GenSetup();
  auto created = TotpVerifier::Create(s.config);
  RC_ASSERT(created.ok());
  TotpVerifier v = *created;
  const TotpParameters& p = s.config.parameters;
  std::set<uint64_t> accepted;
  std::optional<uint64_t> newest;
  const int attempts = *rc::gen::inRange(1, 40);
  for (int i = 0; i < attempts; ++i) {
    // A time near the start step, and the code of a step near it: the same
    // codes come back again and again, in any order.
    const uint64_t now = s.step + *rc::gen::inRange<uint64_t>(0, 8);
    const uint64_t of = s.step + *rc::gen::inRange<uint64_t>(0, 8);
    const int64_t t = FirstSecond(s.config, now) + *rc::gen::inRange<int64_t>(0, static_cast<int64_t>(p.period));
    auto verdict = v.Verify(*Hotp(s.config.secret, of, p.digits, p.algorithm), t);
    RC_ASSERT(verdict.ok());
    if (!verdict->accepted()) continue;
    //= rfc6238#section-5.2
    //# A step once accepted is never accepted again, nor any older one.
    RC_ASSERT(accepted.insert(*verdict->step).second);
    RC_ASSERT(!newest || *verdict->step > *newest);
    newest = verdict->step;
    RC_ASSERT(v.last_accepted_step() == newest);
  }
}

}  // namespace
}  // namespace ipsecref::otp
