#include "reference/otp/otp.h"

#include <fmt/format.h>

#include <array>
#include <memory>

#include "reference/crypto/prf.h"
#include "reference/iana/iana.h"

namespace ipsecref::otp {
namespace {

struct AlgorithmInfo {
  Algorithm algorithm;
  std::string_view name;
  iana::Prf hmac;  // the HMAC, as the PRF registry names it
};

constexpr std::array<AlgorithmInfo, 3> kAlgorithms{{
    {Algorithm::kSha1, "SHA1", iana::Prf::kHmacSha1},
    {Algorithm::kSha256, "SHA256", iana::Prf::kHmacSha2_256},
    {Algorithm::kSha512, "SHA512", iana::Prf::kHmacSha2_512},
}};

const AlgorithmInfo& Info(Algorithm algorithm) {
  for (const AlgorithmInfo& a : kAlgorithms)
    if (a.algorithm == algorithm) return a;
  return kAlgorithms[0];
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr std::array<uint32_t, kMaxDigits + 1> kPowersOfTen{1,      10,      100,      1000,     10000,
                                                             100000, 1000000, 10000000, 100000000};

}  // namespace

std::string_view Name(Algorithm algorithm) { return Info(algorithm).name; }

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
  for (const AlgorithmInfo& a : kAlgorithms) {
    if (a.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size(); ++i) same = same && Upper(name[i]) == a.name[i];
    if (same) return a.algorithm;
  }
  return std::nullopt;
}

Bytes CounterHmac(Algorithm algorithm, ByteSpan key, uint64_t counter) {
  uint8_t c[8];
  StoreU64(c, counter);
  // HMAC takes keys of any length (RFC 2104 §3): MakePrf cannot fail here.
  auto prf = crypto::MakePrf(Info(algorithm).hmac, key);
  Bytes hs((*prf)->output_size());
  (*prf)->Compute({ByteSpan(c, sizeof c)}, hs);
  return hs;
}

Result<uint32_t> DynamicTruncation(ByteSpan hs) {
  ENSURE(hs.size() >= 20, kInvalidArgument, kNoOffset, "rfc4226#section-5.3",
         fmt::format("dynamic truncation needs an HMAC of at least 20 octets, not {}", hs.size()));
  //= rfc6238#appendix-A
  //# The reference implementation truncates HMAC-SHA-256 and HMAC-SHA-512
  //# values the same way, the offset taken from their last octet.
  const size_t offset = hs.back() & 0x0f;
  return LoadU32(hs.data() + offset) & 0x7fffffffu;
}

Result<std::string> FormatCode(uint32_t snum, int digits) {
  ENSURE(digits >= kMinDigits && digits <= kMaxDigits, kInvalidArgument, kNoOffset, "rfc4226#section-5.3",
         fmt::format("a code has {} to {} digits, not {}", kMinDigits, kMaxDigits, digits));
  return fmt::format("{:0{}}", snum % kPowersOfTen[static_cast<size_t>(digits)], digits);
}

Result<std::string> Hotp(ByteSpan key, uint64_t counter, int digits, Algorithm algorithm) {
  TRY_ASSIGN(const uint32_t snum, DynamicTruncation(CounterHmac(algorithm, key, counter)));
  return FormatCode(snum, digits);
}

Status CheckParameters(const TotpParameters& p) {
  ENSURE(p.digits >= kMinDigits && p.digits <= kMaxDigits, kInvalidArgument, kNoOffset, "rfc4226#section-5.3",
         fmt::format("a code has {} to {} digits, not {}", kMinDigits, kMaxDigits, p.digits));
  ENSURE(p.period > 0, kInvalidArgument, kNoOffset, "rfc6238#section-4.1", "the time step X is 0 seconds");
  return OkStatus();
}

Result<uint64_t> TimeStep(const TotpParameters& p, int64_t unix_time) {
  TRY(CheckParameters(p));
  ENSURE(unix_time >= p.t0, kInvalidArgument, kNoOffset, "rfc6238#section-4.2",
         fmt::format("time {} is before T0 = {}: no time step counts back from T0", unix_time, p.t0));
  // The difference of two int64 values with unix_time >= t0 fits in 64
  // unsigned bits; modular subtraction gives it exactly.
  const uint64_t elapsed = static_cast<uint64_t>(unix_time) - static_cast<uint64_t>(p.t0);
  return elapsed / p.period;
}

Result<std::string> Totp(ByteSpan key, const TotpParameters& p, int64_t unix_time) {
  TRY_ASSIGN(const uint64_t t, TimeStep(p, unix_time));
  return Hotp(key, t, p.digits, p.algorithm);
}

}  // namespace ipsecref::otp
