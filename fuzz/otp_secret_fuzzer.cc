// Fuzz target: the OTP secret parsers (reference/otp/secret.h) and the
// verifier's input check (reference/otp/verifier.h).
//
// Input: text, read whole as a base32 secret, as a secret with its prefix
// (ParseSecret: "hex:", "base32:" or none), as an otpauth:// key URI, and as
// a code for a verifier of 6, 7 and 8 digits.
//
// Checked: every refusal is kInvalidArgument with an offset inside the
// input (or at its end); whatever Base32Decode accepts, Base32Encode writes
// back as text that decodes to the same octets; a key URI that is accepted
// has a non-empty secret, 6 to 8 digits and a period of at least 1; a code
// that CheckCode accepts is all digits of the right length, and Verify
// gives a verdict for it (never an error), accepting it at most once.
#include <cstdint>
#include <string_view>

#include "fuzz/check.h"
#include "reference/otp/secret.h"
#include "reference/otp/verifier.h"

namespace ipsecref::fuzz {
namespace {

void CheckRefusal(const Error& e, size_t size) {
  Check(e.code == Code::kInvalidArgument);
  Check(e.offset == kNoOffset || e.offset <= size);
  Check(!e.detail.empty());
}

void VerifyCode(std::string_view text, int digits) {
  const Status syntax = otp::CheckCode(text, digits);
  if (!syntax) {
    CheckRefusal(syntax.error(), text.size());
    return;
  }
  Check(text.size() == static_cast<size_t>(digits));
  for (char c : text) Check(c >= '0' && c <= '9');
  // RFC 6238's SHA1 seed; a time of step 37037036 (Appendix B).
  otp::VerifierConfig config;
  const std::string_view seed = "12345678901234567890";
  config.secret = SecureBytes(seed.begin(), seed.end());
  config.parameters.digits = digits;
  auto verifier = otp::TotpVerifier::Create(config);
  Check(verifier.ok());
  auto first = verifier->Verify(text, 1111111109);
  Check(first.ok());
  auto second = verifier->Verify(text, 1111111109);
  Check(second.ok());
  Check(!(first->accepted() && second->accepted()));
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto decoded = otp::Base32Decode(text);
  if (decoded.ok()) {
    const std::string written = otp::Base32Encode(*decoded);
    auto again = otp::Base32Decode(written);
    Check(again.ok() && *again == *decoded);
  } else {
    CheckRefusal(decoded.error(), size);
  }

  auto secret = otp::ParseSecret(text);
  if (secret.ok()) {
    Check(!secret->empty());
  } else {
    CheckRefusal(secret.error(), size);
  }

  auto uri = otp::ParseKeyUri(text);
  if (uri.ok()) {
    Check(!uri->secret.empty());
    Check(uri->parameters.digits >= otp::kMinDigits && uri->parameters.digits <= otp::kMaxDigits);
    Check(uri->parameters.period >= 1);
    Check(otp::CheckParameters(uri->parameters).ok());
  } else {
    CheckRefusal(uri.error(), size);
  }

  for (int digits = otp::kMinDigits; digits <= otp::kMaxDigits; ++digits) VerifyCode(text, digits);
  return 0;
}
