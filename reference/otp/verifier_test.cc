// The gateway's verifier with RFC 6238 Appendix B's SHA1 codes as the
// prover's: 07081804 is the code of step 0x23523EC (37037036, times
// 1111111080..1111111109) and 14050471 that of the next step (37037037,
// times 1111111110..1111111139). Window edges, replay, clock skew, the
// diagnosis of codes outside the window, and the input checks.
#include "reference/otp/verifier.h"

#include <gtest/gtest.h>

#include <string>

namespace ipsecref::otp {
namespace {

constexpr uint64_t kStepA = 0x23523EC;  // 37037036
constexpr uint64_t kStepB = 0x23523ED;  // 37037037
constexpr std::string_view kCodeA = "07081804";
constexpr std::string_view kCodeB = "14050471";
constexpr int64_t kFirstSecondA = 1111111080;  // 37037036 * 30
constexpr int64_t kFirstSecondB = 1111111110;  // 37037037 * 30

VerifierConfig Rfc6238Sha1() {
  VerifierConfig c;
  const std::string_view seed = "12345678901234567890";
  c.secret = SecureBytes(seed.begin(), seed.end());
  c.parameters.digits = 8;
  return c;
}

TotpVerifier Make(VerifierConfig c = Rfc6238Sha1()) {
  auto v = TotpVerifier::Create(std::move(c));
  EXPECT_TRUE(v.ok()) << v.error().ToString();
  return std::move(v).value();
}

Verdict Check(TotpVerifier& v, std::string_view code, int64_t time) {
  auto r = v.Verify(code, time);
  EXPECT_TRUE(r.ok()) << code << " at " << time << ": " << r.error().ToString();
  return r.ok() ? *r : Verdict{};
}

TEST(TotpVerifier, DefaultWindowIsOneStepBack) {
  //= rfc6238#section-5.2
  //# One step back is the most the RFC recommends for transmission delay,
  //# and the default.
  const VerifierConfig defaults;
  EXPECT_EQ(defaults.steps_back, 1u);
  EXPECT_EQ(defaults.steps_ahead, 0u);
  EXPECT_EQ(defaults.clock_skew, 0);
}

TEST(TotpVerifier, AcceptsItsStepAndOneStepLateAtTheEdges) {
  // The code of step A is accepted from the first second of step A to the
  // last second of step B (one step late), in fresh verifiers.
  for (int64_t t : {kFirstSecondA, int64_t{1111111109}, kFirstSecondB - 1, kFirstSecondB, kFirstSecondB + 29}) {
    TotpVerifier v = Make();
    const Verdict verdict = Check(v, kCodeA, t);
    EXPECT_EQ(verdict.outcome, Outcome::kAccepted) << t << ": " << Describe(verdict, v.config());
    EXPECT_EQ(verdict.step, kStepA) << t;
    EXPECT_EQ(verdict.steps_from_now, t < kFirstSecondB ? 0 : -1) << t;
    EXPECT_EQ(v.last_accepted_step(), kStepA);
  }
}

TEST(TotpVerifier, OutsideTheWindowIsDiagnosedNeverAccepted) {
  // One second before step A, A's code is one step early; one second after
  // step B, two steps late.
  TotpVerifier early = Make();
  const Verdict e = Check(early, kCodeA, kFirstSecondA - 1);
  EXPECT_EQ(e.outcome, Outcome::kOutsideWindow);
  EXPECT_EQ(e.step, kStepA);
  EXPECT_EQ(e.steps_from_now, 1);
  EXPECT_EQ(Describe(e, early.config()),
            "a valid code for step 37037036, 1 step early, outside the window (1 back, 0 ahead); not accepted");
  EXPECT_EQ(early.last_accepted_step(), std::nullopt);

  TotpVerifier late = Make();
  const Verdict l = Check(late, kCodeA, kFirstSecondB + 30);
  EXPECT_EQ(l.outcome, Outcome::kOutsideWindow);
  EXPECT_EQ(l.steps_from_now, -2);
  EXPECT_NE(Describe(l, late.config()).find("2 steps late"), std::string::npos);
  EXPECT_EQ(late.last_accepted_step(), std::nullopt);
}

TEST(TotpVerifier, DiagnosisIsBounded) {
  VerifierConfig c = Rfc6238Sha1();
  c.diagnosis_steps = 3;
  // Step A's code five steps late is beyond the window (1 back) and the 3
  // diagnosed steps: only a wrong code. Four steps late, it is diagnosed.
  TotpVerifier v = Make(c);
  EXPECT_EQ(Check(v, kCodeA, kFirstSecondA + 5 * 30).outcome, Outcome::kWrongCode);
  EXPECT_EQ(Check(v, kCodeA, kFirstSecondA + 4 * 30).outcome, Outcome::kOutsideWindow);
  c.diagnosis_steps = 0;
  TotpVerifier off = Make(c);
  EXPECT_EQ(Check(off, kCodeA, kFirstSecondA + 2 * 30).outcome, Outcome::kWrongCode);
}

TEST(TotpVerifier, StepsAheadAreConfigurable) {
  VerifierConfig c = Rfc6238Sha1();
  c.steps_ahead = 1;
  c.steps_back = 0;
  TotpVerifier v = Make(c);
  // Step B's code during step A: one step early, inside the window.
  const Verdict verdict = Check(v, kCodeB, kFirstSecondA);
  EXPECT_EQ(verdict.outcome, Outcome::kAccepted);
  EXPECT_EQ(verdict.steps_from_now, 1);
  // With no step back, A's code during B is outside the window.
  TotpVerifier w = Make(c);
  EXPECT_EQ(Check(w, kCodeA, kFirstSecondB).outcome, Outcome::kOutsideWindow);
}

TEST(TotpVerifier, RefusesTheSameStepTwiceAndOlderSteps) {
  //= rfc6238#section-5.2
  //# Once a code is accepted, the same code is not accepted again, nor a
  //# code of an older step.
  TotpVerifier v = Make();
  ASSERT_EQ(Check(v, kCodeB, kFirstSecondB).outcome, Outcome::kAccepted);
  const Verdict again = Check(v, kCodeB, kFirstSecondB + 1);
  EXPECT_EQ(again.outcome, Outcome::kReplayed);
  EXPECT_EQ(again.step, kStepB);
  EXPECT_EQ(again.last_accepted, kStepB);
  EXPECT_EQ(Describe(again, v.config()),
            "replayed: step 37037037 (on time) is not after step 37037037, the last one accepted");
  // A's code is inside the window (one step late) but older than B.
  const Verdict older = Check(v, kCodeA, kFirstSecondB + 2);
  EXPECT_EQ(older.outcome, Outcome::kReplayed);
  EXPECT_EQ(older.step, kStepA);
  EXPECT_EQ(older.steps_from_now, -1);
  // Found only by the diagnosis, far outside the window: still a replay.
  const Verdict stale = Check(v, kCodeA, kFirstSecondB + 3 * 30);
  EXPECT_EQ(stale.outcome, Outcome::kReplayed);
  EXPECT_EQ(stale.steps_from_now, -4);
  EXPECT_EQ(v.last_accepted_step(), kStepB);
}

TEST(TotpVerifier, AnOlderStepThenANewerOne) {
  // A then B: both accepted, in this order.
  TotpVerifier v = Make();
  EXPECT_EQ(Check(v, kCodeA, kFirstSecondB).outcome, Outcome::kAccepted);
  EXPECT_EQ(Check(v, kCodeB, kFirstSecondB).outcome, Outcome::kAccepted);
  EXPECT_EQ(v.last_accepted_step(), kStepB);
}

TEST(TotpVerifier, RestoredStateRefusesReplays) {
  TotpVerifier v = Make();
  v.RestoreLastAccepted(kStepB);
  v.RestoreLastAccepted(kStepA);  // never moves back
  EXPECT_EQ(v.last_accepted_step(), kStepB);
  EXPECT_EQ(Check(v, kCodeB, kFirstSecondB).outcome, Outcome::kReplayed);
}

TEST(TotpVerifier, ClockSkewShiftsTheVerifiersTime) {
  //= rfc6238#section-6
  //# A known drift of the prover's clock is applied before the window.
  VerifierConfig c = Rfc6238Sha1();
  c.clock_skew = 60;  // the prover runs two steps ahead of us
  TotpVerifier ahead = Make(c);
  EXPECT_EQ(Check(ahead, kCodeB, kFirstSecondB - 60).outcome, Outcome::kAccepted);
  c.clock_skew = -90;  // three steps behind
  TotpVerifier behind = Make(c);
  const Verdict verdict = Check(behind, kCodeA, kFirstSecondA + 90 + 30);
  EXPECT_EQ(verdict.outcome, Outcome::kAccepted);
  EXPECT_EQ(verdict.steps_from_now, -1);
  // Without the skew the same code at the same time is three steps late.
  TotpVerifier plain = Make();
  EXPECT_EQ(Check(plain, kCodeA, kFirstSecondA + 90 + 30).steps_from_now, -4);
}

TEST(TotpVerifier, WrongCode) {
  TotpVerifier v = Make();
  const Verdict verdict = Check(v, "12345678", kFirstSecondA);
  EXPECT_EQ(verdict.outcome, Outcome::kWrongCode);
  EXPECT_EQ(verdict.step, std::nullopt);
  EXPECT_EQ(Describe(verdict, v.config()), "wrong code");
  // RFC 6238's code of step 1 (94287082) far from step A.
  EXPECT_EQ(Check(v, "94287082", kFirstSecondA).outcome, Outcome::kWrongCode);
  EXPECT_EQ(v.last_accepted_step(), std::nullopt);
}

TEST(TotpVerifier, NearTheEpochTheWindowStopsAtStepZero) {
  TotpVerifier v = Make();
  // Step 1's code (94287082, Appendix B) during step 0: one step early.
  EXPECT_EQ(Check(v, "94287082", 0).outcome, Outcome::kOutsideWindow);
  EXPECT_EQ(Check(v, "94287082", 59).outcome, Outcome::kAccepted);
}

void ExpectCodeRefused(std::string_view code, size_t offset, std::string_view says) {
  TotpVerifier v = Make();
  auto r = v.Verify(code, kFirstSecondA);
  ASSERT_FALSE(r.ok()) << code;
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().offset, offset) << r.error().ToString();
  EXPECT_NE(r.error().detail.find(says), std::string::npos) << r.error().ToString();
  EXPECT_EQ(r.error().requirement, "rfc4226#section-5.3");
}

TEST(TotpVerifier, InputChecksNameWhatIsWrong) {
  ExpectCodeRefused("0708180", 7, "the code has 7 digits, 8 expected");
  ExpectCodeRefused("070818045", 9, "the code has 9 digits, 8 expected");
  ExpectCodeRefused("", 0, "the code has 0 digits, 8 expected");
  ExpectCodeRefused("0708a804", 4, "'a' at offset 4: only digits 0-9");
  ExpectCodeRefused("0708 1804", 4, "' ' at offset 4");
  ExpectCodeRefused("-7081804", 0, "'-' at offset 0");
  ExpectCodeRefused(std::string_view("07081\0804", 9), 5, "byte 0x00 at offset 5");
  ExpectCodeRefused("\xd9\xa0\xd9\xa7", 0, "byte 0xd9");  // Arabic-Indic digits are not 0-9
}

TEST(TotpVerifier, TimesOutOfRangeAreErrors) {
  TotpVerifier v = Make();
  EXPECT_EQ(v.Verify(kCodeA, -1).error().code, Code::kInvalidArgument);
  VerifierConfig c = Rfc6238Sha1();
  c.clock_skew = 1;
  TotpVerifier skewed = Make(c);
  auto overflow = skewed.Verify(kCodeA, INT64_MAX);
  ASSERT_FALSE(overflow.ok());
  EXPECT_NE(overflow.error().detail.find("out of range"), std::string::npos);
}

TEST(TotpVerifier, CreateRefusesWeakOrOddConfigurations) {
  VerifierConfig short_secret = Rfc6238Sha1();
  short_secret.secret.resize(15);
  auto s = TotpVerifier::Create(short_secret);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kBadKeyLength);
  EXPECT_EQ(s.error().requirement, "rfc4226#section-4");
  EXPECT_NE(s.error().detail.find("120 bits, at least 128"), std::string::npos) << s.error().ToString();

  VerifierConfig wide = Rfc6238Sha1();
  wide.steps_back = kMaxWindowSteps + 1;
  EXPECT_EQ(TotpVerifier::Create(wide).error().code, Code::kInvalidArgument);
  VerifierConfig diagnosis = Rfc6238Sha1();
  diagnosis.diagnosis_steps = kMaxDiagnosisSteps + 1;
  EXPECT_EQ(TotpVerifier::Create(diagnosis).error().code, Code::kInvalidArgument);
  VerifierConfig digits = Rfc6238Sha1();
  digits.parameters.digits = 5;
  EXPECT_EQ(TotpVerifier::Create(digits).error().requirement, "rfc4226#section-5.3");
  VerifierConfig period = Rfc6238Sha1();
  period.parameters.period = 0;
  EXPECT_EQ(TotpVerifier::Create(period).error().requirement, "rfc6238#section-4.1");
}

}  // namespace
}  // namespace ipsecref::otp
