#include "reference/otp/secret.h"

#include <fmt/format.h>

#include <vector>

namespace ipsecref::otp {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase32 = "rfc4648#section-6";

// The 5-bit value of a base32 character of either case, or -1.
int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// How a character the user wrote is shown in a message.
std::string Shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7f ? fmt::format("'{}'", c) : fmt::format("byte 0x{:02x}", u);
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

// --- Key URI ------------------------------------------------------------------

constexpr std::string_view kKeyUri = "ipsecref#choice";

// Percent-decoded text and, for each of its characters, the offset in the
// URI it came from (an escape's '%'), so that errors found after decoding
// point into the URI.
struct Decoded {
  std::string text;
  std::vector<size_t> from;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

//= ipsecref#choice
//# Labels and parameter values of the key URI are percent-decoded as RFC
//# 3986 writes escapes (%HH); a '+' stays a '+' (the Key Uri Format page
//# asks for RFC 3986 encoding, not HTML form encoding).
Result<Decoded> PercentDecode(std::string_view part, size_t base, std::string_view what) {
  Decoded out;
  for (size_t i = 0; i < part.size(); ++i) {
    if (part[i] != '%') {
      out.text.push_back(part[i]);
      out.from.push_back(base + i);
      continue;
    }
    const int high = i + 1 < part.size() ? HexDigit(part[i + 1]) : -1;
    const int low = i + 2 < part.size() ? HexDigit(part[i + 2]) : -1;
    ENSURE(high >= 0 && low >= 0, kInvalidArgument, base + i, kKeyUri,
           fmt::format("{}: '%' not followed by two hex digits", what));
    out.text.push_back(static_cast<char>(high << 4 | low));
    out.from.push_back(base + i);
    i += 2;
  }
  return out;
}

}  // namespace

std::string Base32Encode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * 8);
  uint32_t bits = 0;  // pending bits, at most 12
  int count = 0;
  for (uint8_t octet : data) {
    bits = (bits << 8 | octet) & 0xfff;
    count += 8;
    while (count >= 5) {
      count -= 5;
      out.push_back(kBase32Alphabet[(bits >> count) & 0x1f]);
    }
  }
  //= rfc4648#section-6
  //# The bits that remain are completed with zero bits on the right to a
  //# last character, and '=' completes the group of 8.
  if (count > 0) out.push_back(kBase32Alphabet[(bits << (5 - count)) & 0x1f]);
  while (out.size() % 8 != 0) out.push_back('=');
  return out;
}

Result<SecureBytes> Base32Decode(std::string_view text) {
  SecureBytes out;
  out.reserve(text.size() * 5 / 8);
  uint32_t bits = 0;
  int count = 0;
  size_t characters = 0;  // alphabet characters seen
  size_t last = kNoOffset;  // offset of the last alphabet character
  size_t padding = 0;
  size_t first_pad = kNoOffset;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    //= ipsecref#choice
    //# Spaces are ignored in base32 secrets: authenticator apps and the
    //# services that enrol them show secrets in groups of four separated by
    //# spaces, and users type them so. RFC 4648 §3.3 lets a referring
    //# specification relax its rule of refusing characters outside the
    //# alphabet; nothing else is ignored.
    if (c == ' ') continue;
    if (c == '=') {
      if (padding++ == 0) first_pad = i;
      continue;
    }
    const int v = Base32Value(c);
    //= rfc4648#section-3.3
    //# Characters outside the alphabet make the encoded data invalid.
    ENSURE(v >= 0, kInvalidArgument, i, "rfc4648#section-3.3",
           fmt::format("{} is not a base32 character (A-Z, 2-7)", Shown(c)));
    //= rfc4648#section-3.2
    //# Padding comes only at the end of the encoded data.
    ENSURE(padding == 0, kInvalidArgument, first_pad, "rfc4648#section-3.2",
           fmt::format("'=' padding before the end: a base32 character follows it at offset {}", i));
    bits = (bits << 5 | static_cast<uint32_t>(v)) & 0xffff;  // at most 12 pending
    count += 5;
    ++characters;
    last = i;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<uint8_t>(bits >> count));
    }
  }
  // 1, 3 or 6 characters in the last group leave bits that are neither an
  // octet nor padding of one (RFC 4648 §6 lists the only five endings).
  const size_t tail = characters % 8;
  ENSURE(tail != 1 && tail != 3 && tail != 6, kInvalidArgument, last == kNoOffset ? 0 : last, kBase32,
         fmt::format("{} base32 characters: a last group of {} is no whole number of octets", characters, tail));
  if (padding > 0) {
    constexpr size_t kPadFor[8] = {0, 0, 6, 0, 4, 3, 0, 1};
    //= rfc4648#section-6
    //# A last group of 2, 4, 5 or 7 characters is followed by 6, 4, 3 or 1
    //# '=' characters; a full group by none.
    ENSURE(padding == kPadFor[tail], kInvalidArgument, first_pad, kBase32,
           fmt::format("{} '=' after a last group of {} characters, {} expected", padding, tail, kPadFor[tail]));
  }
  //= rfc4648#section-3.5
  //# Decoders may refuse an encoding whose pad bits (the bits of the last
  //# character beyond the last octet) are not zero.
  //= ipsecref#choice
  //# We refuse them, so that every secret has one spelling: encoders always
  //# write zeros there (RFC 4648 §3.5 requires it of them).
  ENSURE((bits & ((1u << count) - 1)) == 0, kInvalidArgument, last, "rfc4648#section-3.5",
         "the last base32 character carries non-zero bits beyond the last octet");
  return out;
}

Result<SecureBytes> ParseSecret(std::string_view text) {
  SecureBytes secret;
  size_t start = 0;
  if (StartsWith(text, "hex:")) {
    start = 4;
    auto hex = SecureFromHex(text.substr(start));
    if (!hex) {
      Error e = std::move(hex).error();
      return MakeError(Code::kInvalidArgument, e.offset == kNoOffset ? kNoOffset : e.offset + start, "",
                       fmt::format("hex secret: {}", e.detail));
    }
    secret = std::move(hex).value();
  } else {
    if (StartsWith(text, "base32:")) start = 7;
    auto b32 = Base32Decode(text.substr(start));
    if (!b32) return std::move(b32).error().At(start);
    secret = std::move(b32).value();
  }
  ENSURE(!secret.empty(), kInvalidArgument, start, "rfc4226#section-4", "the secret is empty");
  return secret;
}

//= ipsecref#choice
//# The otpauth:// key URI is not an RFC: it is Google Authenticator's "Key
//# Uri Format" (github.com/google/google-authenticator/wiki/Key-Uri-Format),
//# which authenticator apps follow. We read otpauth://totp/LABEL?PARAMETERS
//# with the parameters secret (base32, required), issuer, algorithm (SHA1,
//# SHA256, SHA512; default SHA1), digits (default 6; the page names 6 and 8,
//# we take RFC 4226's 6 to 8) and period (seconds, default 30). Unknown
//# parameters are ignored; a known one given twice is refused.
Result<KeyUri> ParseKeyUri(std::string_view uri) {
  constexpr std::string_view kScheme = "otpauth://";
  ENSURE(uri.size() >= kScheme.size() && EqualsIgnoringCase(uri.substr(0, kScheme.size()), kScheme), kInvalidArgument,
         0, kKeyUri, "a key URI starts with otpauth://");
  const size_t type_at = kScheme.size();
  const size_t slash = uri.find('/', type_at);
  ENSURE(slash != std::string_view::npos, kInvalidArgument, type_at, kKeyUri,
         "no '/' after the type (otpauth://totp/LABEL?secret=...)");
  const std::string_view type = uri.substr(type_at, slash - type_at);
  ENSURE(EqualsIgnoringCase(type, "totp"), kInvalidArgument, type_at, kKeyUri,
         EqualsIgnoringCase(type, "hotp") ? std::string("type hotp: only TOTP keys are read (the gateway takes TOTP codes)")
                                          : fmt::format("type '{}' is not totp", type.substr(0, 40)));
  const size_t hash = uri.find('#');
  ENSURE(hash == std::string_view::npos, kInvalidArgument, hash, kKeyUri, "a key URI has no fragment ('#')");
  const size_t question = uri.find('?', slash);
  const size_t label_end = question == std::string_view::npos ? uri.size() : question;

  KeyUri key;
  TRY_ASSIGN(Decoded label, PercentDecode(uri.substr(slash + 1, label_end - slash - 1), slash + 1, "label"));
  key.label = std::move(label.text);

  bool seen_secret = false, seen_issuer = false, seen_algorithm = false, seen_digits = false, seen_period = false;
  size_t at = label_end;
  while (at < uri.size()) {
    const size_t begin = at + 1;  // after '?' or '&'
    size_t end = uri.find('&', begin);
    if (end == std::string_view::npos) end = uri.size();
    at = end;
    const std::string_view pair = uri.substr(begin, end - begin);
    if (pair.empty()) continue;  // "?&" or a trailing '&'
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const size_t value_at = eq == std::string_view::npos ? end : begin + eq + 1;
    const std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    const auto once = [&](bool& seen) -> Status {
      ENSURE(!seen, kInvalidArgument, begin, kKeyUri, fmt::format("parameter {} given twice", name));
      seen = true;
      return OkStatus();
    };
    if (name == "secret") {
      TRY(once(seen_secret));
      TRY_ASSIGN(Decoded value, PercentDecode(raw, value_at, "secret"));
      ENSURE(!value.text.empty(), kInvalidArgument, value_at, kKeyUri, "the secret parameter is empty");
      auto secret = Base32Decode(value.text);
      if (!secret) {
        Error e = std::move(secret).error();
        e.offset = e.offset < value.from.size() ? value.from[e.offset] : value_at;
        e.detail = "secret: " + e.detail;
        return e;
      }
      key.secret = std::move(secret).value();
    } else if (name == "issuer") {
      TRY(once(seen_issuer));
      TRY_ASSIGN(Decoded value, PercentDecode(raw, value_at, "issuer"));
      key.issuer = std::move(value.text);
    } else if (name == "algorithm") {
      TRY(once(seen_algorithm));
      const auto algorithm = AlgorithmFromName(raw);
      ENSURE(algorithm.has_value(), kInvalidArgument, value_at, kKeyUri,
             fmt::format("algorithm '{}' is not SHA1, SHA256 or SHA512", raw.substr(0, 40)));
      key.parameters.algorithm = *algorithm;
    } else if (name == "digits") {
      TRY(once(seen_digits));
      ENSURE(raw.size() == 1 && raw[0] >= '0' + kMinDigits && raw[0] <= '0' + kMaxDigits, kInvalidArgument, value_at,
             "rfc4226#section-5.3",
             fmt::format("digits '{}' is not {} to {}", raw.substr(0, 40), kMinDigits, kMaxDigits));
      key.parameters.digits = raw[0] - '0';
    } else if (name == "period") {
      TRY(once(seen_period));
      uint64_t period = 0;
      bool digits_only = !raw.empty() && raw.size() <= 10;
      for (char c : raw) {
        digits_only = digits_only && c >= '0' && c <= '9';
        if (digits_only) period = period * 10 + static_cast<uint64_t>(c - '0');
      }
      //= ipsecref#choice
      //# A period is 1 to 2^32 - 1 seconds, in decimal digits only.
      ENSURE(digits_only && period >= 1 && period <= 0xffffffffu, kInvalidArgument, value_at, kKeyUri,
             fmt::format("period '{}' is not a number of seconds from 1 to 4294967295", raw.substr(0, 40)));
      key.parameters.period = period;
    }
  }
  ENSURE(seen_secret, kInvalidArgument, uri.size(), kKeyUri, "no secret parameter");
  return key;
}

}  // namespace ipsecref::otp
