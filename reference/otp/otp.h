// One-time passwords: HOTP (RFC 4226) and its time-based variant TOTP
// (RFC 6238), for the gateway's second authentication factor (an EAP-GTC
// response that carries a TOTP code). Pure functions: key and moving factor
// in, code out. The verifier that keeps state (window, replay) is in
// verifier.h; the secrets as users write them in secret.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::otp {

//= rfc6238#section-1.2
//# Besides HOTP's HMAC-SHA-1, TOTP may run over HMAC-SHA-256 or HMAC-SHA-512.
enum class Algorithm : uint8_t { kSha1, kSha256, kSha512 };

// "SHA1", "SHA256", "SHA512": the spelling of the key URI's `algorithm`.
std::string_view Name(Algorithm algorithm);
// The algorithm a name stands for, case-insensitively: "sha1", "SHA256",
// "Sha512"; nullopt for any other name.
std::optional<Algorithm> AlgorithmFromName(std::string_view name);

//= rfc4226#section-5.3
//# A code has at least 6 digits, and may have 7 or 8.
inline constexpr int kMinDigits = 6;
inline constexpr int kMaxDigits = 8;

//= rfc6238#section-4.1
//# The time step X defaults to 30 seconds and T0 to the Unix epoch (0).
inline constexpr uint64_t kDefaultPeriod = 30;
inline constexpr int64_t kDefaultT0 = 0;

//= rfc4226#section-5.2
//# HS = HMAC(K, C), the counter C taken as 8 octets, high-order octet first.
// `algorithm` is HMAC-SHA-1 for HOTP; TOTP may choose another. The 20, 32 or
// 64 octets of the HMAC; no error (any key length is an HMAC key).
[[nodiscard]] Bytes CounterHmac(Algorithm algorithm, ByteSpan key, uint64_t counter);

//= rfc4226#section-5.3
//# Dynamic truncation: the low 4 bits of the last octet of HS are an offset;
//# the 4 octets from there, with the top bit cleared, are a 31-bit number.
// RFC 4226 writes it for the 20 octets of HMAC-SHA-1 (last octet 19); RFC
// 6238's Appendix A takes the last octet of the longer HMACs the same way.
// kInvalidArgument when `hs` is shorter than 20 octets.
[[nodiscard]] Result<uint32_t> DynamicTruncation(ByteSpan hs);

//= rfc4226#section-5.3
//# The code is that number modulo 10^Digit, written with leading zeros to
//# Digit digits.
// kInvalidArgument for `digits` outside 6..8.
[[nodiscard]] Result<std::string> FormatCode(uint32_t snum, int digits);

// HOTP(K, C) = Truncate(HMAC(K, C)) with `digits` digits: the three steps
// above. Errors: those of FormatCode.
[[nodiscard]] Result<std::string> Hotp(ByteSpan key, uint64_t counter, int digits,
                                       Algorithm algorithm = Algorithm::kSha1);

// The system parameters prover and verifier share (RFC 6238 §4.1).
struct TotpParameters {
  Algorithm algorithm = Algorithm::kSha1;
  int digits = kMinDigits;
  uint64_t period = kDefaultPeriod;  // X, seconds
  int64_t t0 = kDefaultT0;           // Unix time the steps count from
};

// kInvalidArgument for digits outside 6..8 or a period of 0.
[[nodiscard]] Status CheckParameters(const TotpParameters& parameters);

//= rfc6238#section-4.2
//# T = floor((now - T0) / X), as a 64-bit count: it must not stop at 2^32.
// kInvalidArgument for a time before T0 (no step counts back from T0) or
// bad parameters.
[[nodiscard]] Result<uint64_t> TimeStep(const TotpParameters& parameters, int64_t unix_time);

//= rfc6238#section-4.2
//# TOTP = HOTP(K, T) with T the time step of the moment.
// Errors: those of TimeStep.
[[nodiscard]] Result<std::string> Totp(ByteSpan key, const TotpParameters& parameters, int64_t unix_time);

}  // namespace ipsecref::otp
