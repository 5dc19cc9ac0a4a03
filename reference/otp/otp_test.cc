// HOTP and TOTP against the RFCs' own numbers: RFC 4226 Appendix D (the
// intermediate HMAC-SHA-1 values, the truncated values and the codes for
// counts 0 to 9), RFC 4226 §5.4's worked truncation, and every row of RFC
// 6238 Appendix B. Every expected value below is transcribed from the RFC
// text, never computed by the code under test.
#include "reference/otp/otp.h"

#include <gtest/gtest.h>

#include <string>

namespace ipsecref::otp {
namespace {

Bytes H(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

Bytes Ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

// RFC 4226 Appendix D: Secret = 0x3132333435363738393031323334353637383930,
// the ASCII string "12345678901234567890".
const Bytes kRfc4226Secret = H("3132333435363738393031323334353637383930");

struct HotpRow {
  uint64_t count;
  std::string_view hmac;  // Table 1: HMAC-SHA-1(secret, count)
  uint32_t truncated;     // Table 2: the truncated value (hexadecimal column)
  uint32_t decimal;       // Table 2: the same in decimal
  std::string_view hotp;  // Table 2: the 6-digit HOTP value
};

//= rfc4226#appendix-D
//# The test values: for the secret "12345678901234567890" and counts 0 to 9,
//# the HMAC-SHA-1 value, the dynamically truncated value and the 6-digit
//# HOTP value.
constexpr HotpRow kAppendixD[] = {
    {0, "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 0x4c93cf18, 1284755224, "755224"},
    {1, "75a48a19d4cbe100644e8ac1397eea747a2d33ab", 0x41397eea, 1094287082, "287082"},
    {2, "0bacb7fa082fef30782211938bc1c5e70416ff44", 0x082fef30, 137359152, "359152"},
    {3, "66c28227d03a2d5529262ff016a1e6ef76557ece", 0x66ef7655, 1726969429, "969429"},
    {4, "a904c900a64b35909874b33e61c5938a8e15ed1c", 0x61c5938a, 1640338314, "338314"},
    {5, "a37e783d7b7233c083d4f62926c7a25f238d0316", 0x33c083d4, 868254676, "254676"},
    {6, "bc9cd28561042c83f219324d3c607256c03272ae", 0x7256c032, 1918287922, "287922"},
    {7, "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 0x04e5b397, 82162583, "162583"},
    {8, "1b3c89f65e6c9e883012052823443f048b4332db", 0x2823443f, 673399871, "399871"},
    {9, "1637409809a679dc698207310c8c7fc07290d9e5", 0x2679dc69, 645520489, "520489"},
};

TEST(Hotp, Rfc4226AppendixDIntermediateHmacs) {
  for (const HotpRow& row : kAppendixD) {
    EXPECT_EQ(ToHex(CounterHmac(Algorithm::kSha1, kRfc4226Secret, row.count)), row.hmac) << "count " << row.count;
  }
}

TEST(Hotp, Rfc4226AppendixDTruncatedValues) {
  for (const HotpRow& row : kAppendixD) {
    // The table's two columns agree with each other (a transcription check).
    ASSERT_EQ(row.truncated, row.decimal) << "count " << row.count;
    auto snum = DynamicTruncation(H(row.hmac));
    ASSERT_TRUE(snum.ok()) << snum.error().ToString();
    EXPECT_EQ(*snum, row.decimal) << "count " << row.count;
  }
}

TEST(Hotp, Rfc4226AppendixDValues) {
  for (const HotpRow& row : kAppendixD) {
    auto code = Hotp(kRfc4226Secret, row.count, 6);
    ASSERT_TRUE(code.ok()) << code.error().ToString();
    EXPECT_EQ(*code, row.hotp) << "count " << row.count;
  }
}

TEST(Hotp, SevenAndEightDigitsAreTheTruncatedValueModuloThePower) {
  //= rfc4226#section-5.3
  //# The code is the 31-bit number modulo 10^Digit; 7 and 8 digits are
  //# allowed besides 6.
  // The last 7 and 8 decimal digits of Appendix D's "Decimal" column.
  EXPECT_EQ(*Hotp(kRfc4226Secret, 0, 7), "4755224");   // 1284755224
  EXPECT_EQ(*Hotp(kRfc4226Secret, 0, 8), "84755224");  // 1284755224
  EXPECT_EQ(*Hotp(kRfc4226Secret, 2, 8), "37359152");  // 137359152
  EXPECT_EQ(*Hotp(kRfc4226Secret, 7, 7), "2162583");   // 82162583
  EXPECT_EQ(*Hotp(kRfc4226Secret, 7, 8), "82162583");  // 82162583
  EXPECT_EQ(*Hotp(kRfc4226Secret, 9, 8), "45520489");  // 645520489
}

TEST(Hotp, Rfc4226Section54Example) {
  //= rfc4226#section-5.4
  //# The worked example: last octet 0x5a gives offset 10, the four octets
  //# there are 0x50ef7f19, and the 6-digit code is 872921.
  const Bytes hs = H("1f8698690e02ca16618550ef7f19da8e945b555a");
  auto snum = DynamicTruncation(hs);
  ASSERT_TRUE(snum.ok());
  EXPECT_EQ(*snum, 0x50ef7f19u);
  EXPECT_EQ(*FormatCode(*snum, 6), "872921");
}

TEST(Hotp, TruncationClearsTheTopBit) {
  //= rfc4226#section-5.3
  //# The top bit of the four octets is masked off, leaving 31 bits.
  // Offset 0 (last octet 0x00) over 0xff ff ff ff: 0x7fffffff = 2147483647.
  Bytes hs(20, 0);
  hs[0] = hs[1] = hs[2] = hs[3] = 0xff;
  EXPECT_EQ(*DynamicTruncation(hs), 0x7fffffffu);
  EXPECT_EQ(*FormatCode(0x7fffffffu, 8), "47483647");
  // Offset 15 (the largest) reads octets 15 to 18.
  Bytes last(20, 0);
  last[15] = 0x01;
  last[18] = 0x02;
  last[19] = 0x0f;
  EXPECT_EQ(*DynamicTruncation(last), 0x01000002u);
}

TEST(Hotp, LeadingZerosAreKept) {
  // 123 with 6 digits is "000123" (RFC 4226 Appendix C pads with '0').
  EXPECT_EQ(*FormatCode(123, 6), "000123");
  EXPECT_EQ(*FormatCode(0, 8), "00000000");
}

TEST(Hotp, DigitsOutsideSixToEightAreRefused) {
  for (int digits : {-1, 0, 5, 9, 10}) {
    auto code = FormatCode(1, digits);
    ASSERT_FALSE(code.ok()) << digits;
    EXPECT_EQ(code.error().code, Code::kInvalidArgument);
    EXPECT_EQ(code.error().requirement, "rfc4226#section-5.3");
    EXPECT_FALSE(Hotp(kRfc4226Secret, 0, digits).ok());
  }
}

TEST(Hotp, TruncationNeedsTwentyOctets) {
  auto short_hmac = DynamicTruncation(Bytes(19, 0));
  ASSERT_FALSE(short_hmac.ok());
  EXPECT_EQ(short_hmac.error().code, Code::kInvalidArgument);
}

// --- TOTP ---------------------------------------------------------------------

// RFC 6238 Appendix A's seeds (Appendix B uses them: its text names only the
// 20-octet ASCII seed, but the reference implementation that printed the
// table keys HMAC-SHA256 with 32 octets and HMAC-SHA512 with 64, the same
// digits repeated).
const Bytes kSeed20 = Ascii("12345678901234567890");
const Bytes kSeed32 = Ascii("12345678901234567890123456789012");
const Bytes kSeed64 = Ascii("1234567890123456789012345678901234567890123456789012345678901234");

struct TotpRow {
  int64_t time;
  uint64_t t;  // "Value of T (hex)"
  std::string_view totp;
  Algorithm mode;
};

//= rfc6238#appendix-B
//# The test vectors: X = 30, T0 = 0, 8 digits, for six times each in
//# SHA1, SHA256 and SHA512 mode.
constexpr TotpRow kAppendixB[] = {
    {59, 0x0000000000000001, "94287082", Algorithm::kSha1},
    {59, 0x0000000000000001, "46119246", Algorithm::kSha256},
    {59, 0x0000000000000001, "90693936", Algorithm::kSha512},
    {1111111109, 0x00000000023523EC, "07081804", Algorithm::kSha1},
    {1111111109, 0x00000000023523EC, "68084774", Algorithm::kSha256},
    {1111111109, 0x00000000023523EC, "25091201", Algorithm::kSha512},
    {1111111111, 0x00000000023523ED, "14050471", Algorithm::kSha1},
    {1111111111, 0x00000000023523ED, "67062674", Algorithm::kSha256},
    {1111111111, 0x00000000023523ED, "99943326", Algorithm::kSha512},
    {1234567890, 0x000000000273EF07, "89005924", Algorithm::kSha1},
    {1234567890, 0x000000000273EF07, "91819424", Algorithm::kSha256},
    {1234567890, 0x000000000273EF07, "93441116", Algorithm::kSha512},
    {2000000000, 0x0000000003F940AA, "69279037", Algorithm::kSha1},
    {2000000000, 0x0000000003F940AA, "90698825", Algorithm::kSha256},
    {2000000000, 0x0000000003F940AA, "38618901", Algorithm::kSha512},
    {20000000000, 0x0000000027BC86AA, "65353130", Algorithm::kSha1},
    {20000000000, 0x0000000027BC86AA, "77737706", Algorithm::kSha256},
    {20000000000, 0x0000000027BC86AA, "47863826", Algorithm::kSha512},
};

const Bytes& SeedFor(Algorithm a) {
  return a == Algorithm::kSha1 ? kSeed20 : a == Algorithm::kSha256 ? kSeed32 : kSeed64;
}

TEST(Totp, Rfc6238AppendixBTimeSteps) {
  for (const TotpRow& row : kAppendixB) {
    auto t = TimeStep(TotpParameters{}, row.time);
    ASSERT_TRUE(t.ok()) << t.error().ToString();
    EXPECT_EQ(*t, row.t) << "time " << row.time;
  }
}

TEST(Totp, Rfc6238AppendixBEveryRow) {
  for (const TotpRow& row : kAppendixB) {
    TotpParameters p;
    p.algorithm = row.mode;
    p.digits = 8;
    auto code = Totp(SeedFor(row.mode), p, row.time);
    ASSERT_TRUE(code.ok()) << code.error().ToString();
    EXPECT_EQ(*code, row.totp) << "time " << row.time << " " << Name(row.mode);
  }
}

TEST(Totp, TimeStepIsTheFloorOfElapsedOverX) {
  //= rfc6238#section-4.2
  //# With T0 = 0 and X = 30, 59 s is step 1 and 60 s is step 2.
  EXPECT_EQ(*TimeStep(TotpParameters{}, 59), 1u);
  EXPECT_EQ(*TimeStep(TotpParameters{}, 60), 2u);
  EXPECT_EQ(*TimeStep(TotpParameters{}, 0), 0u);
  TotpParameters shifted;
  shifted.t0 = 100;
  shifted.period = 60;
  EXPECT_EQ(*TimeStep(shifted, 100), 0u);
  EXPECT_EQ(*TimeStep(shifted, 159), 0u);
  EXPECT_EQ(*TimeStep(shifted, 160), 1u);
}

TEST(Totp, StepsBeyond32Bits) {
  //= rfc6238#section-4.2
  //# T must not be limited to 32 bits.
  // With X = 1, the time 2^33 + 5 is step 2^33 + 5; with T0 negative the
  // elapsed time spans more than int64 allows on one side.
  TotpParameters p;
  p.period = 1;
  EXPECT_EQ(*TimeStep(p, (int64_t{1} << 33) + 5), (uint64_t{1} << 33) + 5);
  p.t0 = INT64_MIN;
  EXPECT_EQ(*TimeStep(p, INT64_MAX), UINT64_MAX);
}

TEST(Totp, BadParametersAndTimesBeforeT0AreRefused) {
  TotpParameters p;
  p.period = 0;
  EXPECT_EQ(TimeStep(p, 10).error().requirement, "rfc6238#section-4.1");
  p = TotpParameters{};
  p.digits = 9;
  EXPECT_EQ(Totp(kSeed20, p, 10).error().requirement, "rfc4226#section-5.3");
  p = TotpParameters{};
  p.t0 = 1000;
  auto before = Totp(kSeed20, p, 999);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, Code::kInvalidArgument);
  EXPECT_NE(before.error().detail.find("before T0"), std::string::npos) << before.error().detail;
}

TEST(Totp, AlgorithmNames) {
  EXPECT_EQ(AlgorithmFromName("sha1"), Algorithm::kSha1);
  EXPECT_EQ(AlgorithmFromName("SHA256"), Algorithm::kSha256);
  EXPECT_EQ(AlgorithmFromName("Sha512"), Algorithm::kSha512);
  EXPECT_EQ(AlgorithmFromName("md5"), std::nullopt);
  EXPECT_EQ(AlgorithmFromName("sha-1"), std::nullopt);
  EXPECT_EQ(AlgorithmFromName(""), std::nullopt);
  EXPECT_EQ(Name(Algorithm::kSha512), "SHA512");
}

}  // namespace
}  // namespace ipsecref::otp
