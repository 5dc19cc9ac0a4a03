// Secrets as users write them: base32 against RFC 4648 §10's test vectors
// (and the forms authenticator apps use), hex, and the otpauth:// key URI
// with the examples of Google Authenticator's Key Uri Format page. Each
// refusal is checked for its offset and what it names.
#include "reference/otp/secret.h"

#include <gtest/gtest.h>

#include <string>

namespace ipsecref::otp {
namespace {

Bytes B(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }
Bytes Ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct Vector {
  std::string_view data;
  std::string_view base32;
};

//= rfc4648#section-10
//# BASE32 test vectors: "", "f", "fo", "foo", "foob", "fooba", "foobar".
constexpr Vector kRfc4648Base32[] = {
    {"", ""},
    {"f", "MY======"},
    {"fo", "MZXQ===="},
    {"foo", "MZXW6==="},
    {"foob", "MZXW6YQ="},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======"},
};

TEST(Base32, Rfc4648TestVectorsEncode) {
  for (const Vector& v : kRfc4648Base32) EXPECT_EQ(Base32Encode(Ascii(v.data)), v.base32) << v.data;
}

TEST(Base32, Rfc4648TestVectorsDecode) {
  for (const Vector& v : kRfc4648Base32) {
    auto got = Base32Decode(v.base32);
    ASSERT_TRUE(got.ok()) << v.base32 << ": " << got.error().ToString();
    EXPECT_EQ(B(*got), Ascii(v.data)) << v.base32;
  }
}

TEST(Base32, AsAuthenticatorAppsWriteIt) {
  // The Key Uri Format page's example key and its value: "Hello!" DE AD BE EF.
  const Bytes hello = {'H', 'e', 'l', 'l', 'o', '!', 0xde, 0xad, 0xbe, 0xef};
  for (std::string_view form : {"JBSWY3DPEHPK3PXP", "jbswy3dpehpk3pxp", "JBSW Y3DP EHPK 3PXP", "jbsw y3dp ehpk 3pxp ",
                                "JbSwY3dPeHpK3pXp"}) {
    auto got = Base32Decode(form);
    ASSERT_TRUE(got.ok()) << form << ": " << got.error().ToString();
    EXPECT_EQ(B(*got), hello) << form;
  }
  // Padding may be left out, as the Key Uri Format page asks of secrets.
  EXPECT_EQ(B(*Base32Decode("MZXW6YTBOI")), Ascii("foobar"));
  EXPECT_EQ(B(*Base32Decode("mzxw6yq")), Ascii("foob"));
  EXPECT_EQ(B(*Base32Decode("MY")), Ascii("f"));
  // RFC 6238's seed "12345678901234567890" in base32 (Python's
  // base64.b32encode, an independent encoder).
  EXPECT_EQ(B(*Base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")), Ascii("12345678901234567890"));
}

void ExpectRefused(std::string_view text, size_t offset, std::string_view says, std::string_view requirement) {
  auto got = Base32Decode(text);
  ASSERT_FALSE(got.ok()) << text;
  EXPECT_EQ(got.error().code, Code::kInvalidArgument) << text;
  EXPECT_EQ(got.error().offset, offset) << text << ": " << got.error().ToString();
  EXPECT_NE(got.error().detail.find(says), std::string::npos) << text << ": " << got.error().ToString();
  EXPECT_EQ(got.error().requirement, requirement) << text;
}

TEST(Base32, RefusalsSayWhatAndWhere) {
  //= rfc4648#section-3.3
  //# Characters outside the alphabet are refused.
  ExpectRefused("JBSWY3DP0HPK3PXP", 8, "'0' is not a base32 character", "rfc4648#section-3.3");
  ExpectRefused("JBSW1", 4, "'1'", "rfc4648#section-3.3");
  ExpectRefused("MZXW-6YQ", 4, "'-'", "rfc4648#section-3.3");
  ExpectRefused("MZXW6YQ\t", 7, "byte 0x09", "rfc4648#section-3.3");
  ExpectRefused(std::string_view("MZ\0XQ", 5), 2, "byte 0x00", "rfc4648#section-3.3");
  //= rfc4648#section-3.2
  //# Padding only at the end.
  ExpectRefused("MY==MY==", 2, "padding before the end", "rfc4648#section-3.2");
  //= rfc4648#section-6
  //# The padding completes the last group of 8 exactly.
  ExpectRefused("MY=", 2, "1 '=' after a last group of 2 characters, 6 expected", "rfc4648#section-6");
  ExpectRefused("MZXW6YTB=", 8, "0 expected", "rfc4648#section-6");
  ExpectRefused("=", 0, "0 expected", "rfc4648#section-6");
  // A last group of 1, 3 or 6 characters is no whole number of octets.
  ExpectRefused("M", 0, "a last group of 1", "rfc4648#section-6");
  ExpectRefused("MZXW6YTBM", 8, "9 base32 characters", "rfc4648#section-6");
  ExpectRefused("MZX", 2, "a last group of 3", "rfc4648#section-6");
  ExpectRefused("MZXW6Y", 5, "a last group of 6", "rfc4648#section-6");
  //= rfc4648#section-3.5
  //# Pad bits that are not zero are refused.
  // "MZ" decodes "f" with 2 pad bits: 'Z' (25 = 11001) leaves a 1 there.
  ExpectRefused("MZ", 1, "non-zero bits", "rfc4648#section-3.5");
  ExpectRefused("MZ======", 1, "non-zero bits", "rfc4648#section-3.5");
}

TEST(Base32, OnlySpacesOrNothingIsEmpty) {
  EXPECT_TRUE(Base32Decode("").ok());
  EXPECT_TRUE(Base32Decode("    ").ok());
  EXPECT_TRUE(Base32Decode("")->empty());
}

TEST(ParseSecret, Base32IsTheDefaultAndHexIsMarked) {
  const Bytes seed = Ascii("12345678901234567890");
  EXPECT_EQ(B(*ParseSecret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")), seed);
  EXPECT_EQ(B(*ParseSecret("base32:gezd gnbv gy3t qojq gezd gnbv gy3t qojq")), seed);
  EXPECT_EQ(B(*ParseSecret("hex:3132333435363738393031323334353637383930")), seed);
  EXPECT_EQ(B(*ParseSecret("hex:0x3132333435363738393031323334353637383930")), seed);
}

TEST(ParseSecret, OffsetsCountFromTheStartOfTheText) {
  auto bad_hex = ParseSecret("hex:31g2");
  ASSERT_FALSE(bad_hex.ok());
  EXPECT_EQ(bad_hex.error().offset, 6u) << bad_hex.error().ToString();
  EXPECT_NE(bad_hex.error().detail.find("hex secret"), std::string::npos);
  auto odd_hex = ParseSecret("hex:313");
  ASSERT_FALSE(odd_hex.ok());
  EXPECT_EQ(odd_hex.error().offset, 7u) << odd_hex.error().ToString();
  auto bad_b32 = ParseSecret("base32:MZ8W");
  ASSERT_FALSE(bad_b32.ok());
  EXPECT_EQ(bad_b32.error().offset, 9u) << bad_b32.error().ToString();
  // Without a prefix, hex digits 0, 1, 8, 9 are not base32.
  auto hex_without_prefix = ParseSecret("3132");
  ASSERT_FALSE(hex_without_prefix.ok());
  EXPECT_EQ(hex_without_prefix.error().offset, 1u);
}

TEST(ParseSecret, EmptySecretsAreRefused) {
  for (std::string_view text : {"", "hex:", "base32:", "  ", "base32:====="}) {
    auto got = ParseSecret(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.error().code, Code::kInvalidArgument) << text;
  }
  EXPECT_NE(ParseSecret("hex:").error().detail.find("empty"), std::string::npos);
}

// --- Key URI ------------------------------------------------------------------

TEST(KeyUri, TheKeyUriFormatPageExamples) {
  //= ipsecref#choice
  //# The otpauth://totp/ key URI as Google Authenticator's Key Uri Format
  //# page writes it; its two TOTP examples read as it describes them.
  auto simple = ParseKeyUri("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
  ASSERT_TRUE(simple.ok()) << simple.error().ToString();
  EXPECT_EQ(simple->label, "Example:alice@google.com");
  EXPECT_EQ(simple->issuer, "Example");
  EXPECT_EQ(B(simple->secret), (Bytes{'H', 'e', 'l', 'l', 'o', '!', 0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(simple->parameters.algorithm, Algorithm::kSha1);
  EXPECT_EQ(simple->parameters.digits, 6);
  EXPECT_EQ(simple->parameters.period, 30u);
  EXPECT_EQ(simple->parameters.t0, 0);

  auto full = ParseKeyUri(
      "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co"
      "&algorithm=SHA1&digits=6&period=30");
  ASSERT_TRUE(full.ok()) << full.error().ToString();
  EXPECT_EQ(full->label, "ACME Co:john.doe@email.com");
  EXPECT_EQ(full->issuer, "ACME Co");
  EXPECT_EQ(full->secret.size(), 20u);  // 32 base32 characters
}

TEST(KeyUri, ParametersOtherThanTheDefaults) {
  auto uri = ParseKeyUri(
      "otpauth://totp/gw?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=sha512&digits=8&period=60&image=x.png");
  ASSERT_TRUE(uri.ok()) << uri.error().ToString();
  EXPECT_EQ(uri->parameters.algorithm, Algorithm::kSha512);
  EXPECT_EQ(uri->parameters.digits, 8);
  EXPECT_EQ(uri->parameters.period, 60u);
  EXPECT_EQ(B(uri->secret), Ascii("12345678901234567890"));
  // An escaped secret: "MY%3D%3D%3D%3D%3D%3D" is "MY======".
  auto escaped = ParseKeyUri("OTPAUTH://TOTP/x?secret=MY%3D%3D%3D%3D%3D%3D");
  ASSERT_TRUE(escaped.ok()) << escaped.error().ToString();
  EXPECT_EQ(B(escaped->secret), Ascii("f"));
}

void ExpectUriRefused(std::string_view uri, size_t offset, std::string_view says) {
  auto got = ParseKeyUri(uri);
  ASSERT_FALSE(got.ok()) << uri;
  EXPECT_EQ(got.error().code, Code::kInvalidArgument) << uri;
  EXPECT_EQ(got.error().offset, offset) << uri << ": " << got.error().ToString();
  EXPECT_NE(got.error().detail.find(says), std::string::npos) << uri << ": " << got.error().ToString();
}

TEST(KeyUri, RefusalsSayWhatAndWhere) {
  ExpectUriRefused("https://totp/x?secret=MY", 0, "otpauth://");
  ExpectUriRefused("otpauth://totp", 10, "no '/'");
  ExpectUriRefused("otpauth://hotp/x?secret=MY&counter=1", 10, "only TOTP");
  ExpectUriRefused("otpauth://motp/x?secret=MY", 10, "type 'motp' is not totp");
  ExpectUriRefused("otpauth://totp/x", 16, "no secret parameter");
  ExpectUriRefused("otpauth://totp/x?issuer=a", 25, "no secret parameter");
  ExpectUriRefused("otpauth://totp/x?secret=", 24, "secret parameter is empty");
  ExpectUriRefused("otpauth://totp/x?secret", 23, "secret parameter is empty");
  //         0123456789012345678901234567
  ExpectUriRefused("otpauth://totp/x?secret=MZ8W", 26, "secret: '8' is not a base32 character");
  // Offsets after an escape still point into the URI: %3D is one '='.
  ExpectUriRefused("otpauth://totp/x?secret=M%3DY", 25, "padding before the end");
  ExpectUriRefused("otpauth://totp/x?secret=MY%3", 26, "'%' not followed by two hex digits");
  ExpectUriRefused("otpauth://totp/a%zzb?secret=MY", 16, "label: '%' not followed");
  ExpectUriRefused("otpauth://totp/x?secret=MY&algorithm=MD5", 37, "algorithm 'MD5'");
  ExpectUriRefused("otpauth://totp/x?secret=MY&digits=9", 34, "digits '9' is not 6 to 8");
  ExpectUriRefused("otpauth://totp/x?secret=MY&digits=06", 34, "digits '06'");
  ExpectUriRefused("otpauth://totp/x?secret=MY&period=0", 34, "period '0'");
  ExpectUriRefused("otpauth://totp/x?secret=MY&period=4294967296", 34, "4294967295");
  ExpectUriRefused("otpauth://totp/x?secret=MY&period=3e1", 34, "period '3e1'");
  ExpectUriRefused("otpauth://totp/x?secret=MY&secret=MY", 27, "secret given twice");
  ExpectUriRefused("otpauth://totp/x?secret=MY#frag", 26, "fragment");
}

}  // namespace
}  // namespace ipsecref::otp
