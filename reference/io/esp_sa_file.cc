#include "reference/io/esp_sa_file.h"

#include "reference/io/text_lines.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "reference/crypto/transforms.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

constexpr size_t kFields = 8;

// Wireshark's encryption names (packet-ipsec.c, esp_encryption_type_vals).
// `id` is empty for ciphers that have no IANA transform the reference knows.
struct EncrName {
  std::string_view name;
  std::optional<Encr> id;
  bool icv_from_authentication;  // deprecated "AES-GCM": the ICV size is in the other column
};
constexpr std::array<EncrName, 12> kEncrNames{{
    {"NULL", Encr::kNull, false},
    {"TripleDES-CBC [RFC2451]", Encr::k3Des, false},
    {"AES-CBC [RFC3602]", Encr::kAesCbc, false},
    {"AES-CTR [RFC3686]", Encr::kAesCtr, false},
    {"DES-CBC [RFC2405]", Encr::kDes, false},
    {"CAST5-CBC [RFC2144]", std::nullopt, false},
    {"BLOWFISH-CBC [RFC2451]", std::nullopt, false},
    {"TWOFISH-CBC", std::nullopt, false},
    {"AES-GCM [RFC4106]", Encr::kAesGcm16, true},
    {"AES-GCM with 8 octet ICV [RFC4106]", Encr::kAesGcm8, false},
    {"AES-GCM with 12 octet ICV [RFC4106]", Encr::kAesGcm12, false},
    {"AES-GCM with 16 octet ICV [RFC4106]", Encr::kAesGcm16, false},
}};

// Wireshark's authentication names (esp_authentication_type_vals). The
// "ANY n bit" entries check nothing; they only say how long the ICV is.
struct IntegName {
  std::string_view name;
  std::optional<Integ> id;
  size_t unchecked_icv_bits;  // nonzero for the "ANY n bit" entries
};
constexpr std::array<IntegName, 13> kIntegNames{{
    {"NULL", Integ::kNone, 0},
    {"HMAC-SHA-1-96 [RFC2404]", Integ::kHmacSha1_96, 0},
    {"HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]", std::nullopt, 0},
    {"HMAC-SHA-256-128 [RFC4868]", Integ::kHmacSha2_256_128, 0},
    {"HMAC-SHA-384-192 [RFC4868]", Integ::kHmacSha2_384_192, 0},
    {"HMAC-SHA-512-256 [RFC4868]", Integ::kHmacSha2_512_256, 0},
    {"HMAC-MD5-96 [RFC2403]", Integ::kHmacMd5_96, 0},
    {"MAC-RIPEMD-160-96 [RFC2857]", std::nullopt, 0},
    {"ANY 64 bit authentication [no checking]", std::nullopt, 64},
    {"ANY 96 bit authentication [no checking]", std::nullopt, 96},
    {"ANY 128 bit authentication [no checking]", std::nullopt, 128},
    {"ANY 192 bit authentication [no checking]", std::nullopt, 192},
    {"ANY 256 bit authentication [no checking]", std::nullopt, 256},
}};

// A UAT line: fields in double quotes, separated by commas; inside quotes
// a backslash escapes '"' and '\\', and \xHH stands for any byte.
Result<std::vector<std::string>> SplitUatLine(std::string_view line, const std::string& where) {
  std::vector<std::string> fields;
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  for (;;) {
    skip_blanks();
    ENSURE(i < line.size() && line[i] == '"', kBadFile, kNoOffset, "",
           fmt::format("{}: field {} does not start with '\"' (column {})", where,
                       fields.size() + 1, i + 1));
    ++i;
    std::string field;
    for (;;) {
      ENSURE(i < line.size(), kBadFile, kNoOffset, "",
             fmt::format("{}: field {} has no closing '\"'", where, fields.size() + 1));
      const char c = line[i++];
      if (c == '"') break;
      if (c != '\\') {
        field.push_back(c);
        continue;
      }
      ENSURE(i < line.size(), kBadFile, kNoOffset, "",
             fmt::format("{}: field {} ends in a lone backslash", where, fields.size() + 1));
      const char e = line[i++];
      if (e == 'x') {
        unsigned value = 0;
        const char* first = line.data() + i;
        const size_t digits = std::min<size_t>(2, line.size() - i);
        auto [end, ec] = std::from_chars(first, first + digits, value, 16);
        ENSURE(ec == std::errc() && end == first + 2, kBadFile, kNoOffset, "",
               fmt::format("{}: field {} has a bad \\x escape", where, fields.size() + 1));
        i += 2;
        field.push_back(static_cast<char>(value));
      } else {
        field.push_back(e);
      }
    }
    fields.push_back(std::move(field));
    skip_blanks();
    if (i == line.size()) return fields;
    ENSURE(line[i] == ',', kBadFile, kNoOffset, "",
           fmt::format("{}: expected ',' after field {} (column {})", where, fields.size(), i + 1));
    ++i;
  }
}

// Keys as Wireshark reads them: "0x" and hex digits (an odd count gets a
// leading zero nibble), "0x" or nothing for no key, anything else is the
// key's bytes as text.
Result<SecureBytes> ParseKey(std::string_view text, const std::string& where,
                             std::string_view what) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return SecureBytes(text.begin(), text.end());
  }
  std::string digits(text.substr(2));
  if (digits.size() % 2 == 1) digits.insert(digits.begin(), '0');
  auto key = SecureFromHex(digits);
  ENSURE(key.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {} is not hexadecimal: {}", where, what,
                     key.ok() ? std::string() : key.error().ToString()));
  return key;
}

Result<uint32_t> ParseSpi(std::string_view text, const std::string& where) {
  ENSURE(text != "*", kUnsupported, kNoOffset, "",
         fmt::format("{}: SPI wildcard '*': the reference finds SAs by their SPI", where));
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  uint32_t spi = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), spi, base);
  ENSURE(ec == std::errc() && end == text.data() + text.size() && !text.empty(), kBadFile,
         kNoOffset, "", fmt::format("{}: SPI \"{}\" is not a 32-bit number", where, text));
  //= rfc4303#section-2.1
  //# SPI 0 is reserved for local use and never sent on the wire (the same
  //# for AH, rfc4302#section-2.4): no SA of a capture has it.
  ENSURE(spi != 0, kBadFile, kNoOffset, "rfc4303#section-2.1",
         fmt::format("{}: SPI 0 is reserved and never sent", where));
  return spi;
}

Result<SaKeys> ParseLine(std::string_view line, const std::string& where) {
  TRY_ASSIGN(std::vector<std::string> f, SplitUatLine(line, where));
  ENSURE(f.size() == kFields, kBadFile, kNoOffset, "",
         fmt::format("{}: {} fields, esp_sa lines have {}", where, f.size(), kFields));
  SaKeys k;
  k.origins.push_back(where);
  ENSURE(f[0] == "IPv4" || f[0] == "IPv6", kBadFile, kNoOffset, "",
         fmt::format("{}: protocol \"{}\" is neither \"IPv4\" nor \"IPv6\"", where, f[0]));
  const size_t address_size = f[0] == "IPv4" ? 4 : 16;
  for (int i : {1, 2}) {
    auto address = ParseAddress(f[i]);
    ENSURE(address.ok() && (address->empty() || address->size() == address_size), kBadFile,
           kNoOffset, "",
           fmt::format("{}: {} address \"{}\" is not an {} address or '*'", where,
                       i == 1 ? "source" : "destination", f[i], f[0]));
    (i == 1 ? k.src : k.dst) = std::move(*address);
  }
  TRY_ASSIGN(k.spi, ParseSpi(f[3], where));

  const EncrName* encr = nullptr;
  for (const EncrName& e : kEncrNames)
    if (e.name == f[4]) encr = &e;
  ENSURE(encr != nullptr, kBadFile, kNoOffset, "",
         fmt::format("{}: unknown encryption algorithm \"{}\"", where, f[4]));
  ENSURE(encr->id.has_value(), kUnknownTransform, kNoOffset, "",
         fmt::format("{}: {} is not implemented by the reference", where, f[4]));
  const IntegName* integ = nullptr;
  for (const IntegName& e : kIntegNames)
    if (e.name == f[6]) integ = &e;
  ENSURE(integ != nullptr, kBadFile, kNoOffset, "",
         fmt::format("{}: unknown authentication algorithm \"{}\"", where, f[6]));
  TRY_ASSIGN(k.encr_key, ParseKey(f[5], where, "the encryption key"));

  k.encr = *encr->id;
  const crypto::EncrTransform* transform = crypto::FindEncr(k.encr);
  if (integ->unchecked_icv_bits != 0) {
    // Only a combined-mode cipher checks the ICV itself; "no checking" next
    // to a plain cipher would leave the packets unverified.
    ENSURE(
        transform != nullptr && transform->aead, kUnsupported, kNoOffset, "rfc4303#section-3.4.4",
        fmt::format("{}: \"{}\" checks no ICV; the reference verifies every packet", where, f[6]));
    if (encr->icv_from_authentication) {
      switch (integ->unchecked_icv_bits) {
        case 64: k.encr = Encr::kAesGcm8; break;
        case 96: k.encr = Encr::kAesGcm12; break;
        case 128: k.encr = Encr::kAesGcm16; break;
        default:
          return MakeError(
              Code::kBadFile, kNoOffset, "rfc4106#section-6",
              fmt::format("{}: AES-GCM has no {}-bit ICV", where, integ->unchecked_icv_bits));
      }
    } else {
      ENSURE(transform->icv_size * 8 == integ->unchecked_icv_bits, kBadFile, kNoOffset, "",
             fmt::format("{}: {} has a {}-bit ICV, not {}", where, f[4], transform->icv_size * 8,
                         integ->unchecked_icv_bits));
    }
  } else {
    ENSURE(!encr->icv_from_authentication, kBadFile, kNoOffset, "",
           fmt::format("{}: \"{}\" needs \"ANY n bit authentication\" to state its ICV size; "
                       "or name it \"AES-GCM with 16 octet ICV [RFC4106]\"",
                       where, f[4]));
    ENSURE(integ->id.has_value(), kUnknownTransform, kNoOffset, "",
           fmt::format("{}: {} is not implemented by the reference", where, f[6]));
    k.integ = *integ->id;
    TRY_ASSIGN(k.integ_key, ParseKey(f[7], where, "the authentication key"));
    if (k.integ == Integ::kNone) k.integ_key.clear();
  }
  TRY(ValidateSaKeys(k));
  return k;
}

}  // namespace

std::optional<std::string_view> WiresharkEncrName(iana::Encr id) {
  for (const EncrName& e : kEncrNames)
    if (e.id == id && !e.icv_from_authentication) return e.name;
  return std::nullopt;
}

std::optional<std::string_view> WiresharkIntegName(iana::Integ id) {
  for (const IntegName& e : kIntegNames)
    if (e.id == id) return e.name;
  return std::nullopt;
}

Result<std::vector<SaKeys>> ParseEspSaFile(std::string_view text, std::string_view name) {
  return ParseRecords<SaKeys>(text, name, ParseLine);
}

Result<std::string> WriteEspSaFile(std::span<const SaKeys> sas) {
  std::string out;
  for (const SaKeys& k : sas) {
    ENSURE(k.protocol == SaProtocol::kEsp, kUnsupported, kNoOffset, "",
           fmt::format("{}: Wireshark's esp_sa holds ESP SAs only", k.Describe()));
    auto encr = WiresharkEncrName(k.encr);
    ENSURE(encr.has_value(), kUnsupported, kNoOffset, "",
           fmt::format("{}: Wireshark has no name for {}", k.Describe(), iana::Name(k.encr)));
    auto integ = WiresharkIntegName(k.integ);
    ENSURE(integ.has_value(), kUnsupported, kNoOffset, "",
           fmt::format("{}: Wireshark has no name for {}", k.Describe(), iana::Name(k.integ)));
    const bool v6 = k.src.size() == 16 || k.dst.size() == 16;
    // Keys are always written in hex: text keys would need escaping.
    const std::string encr_key = k.encr_key.empty() ? std::string() : "0x" + ToHex(k.encr_key);
    const std::string integ_key = k.integ_key.empty() ? std::string() : "0x" + ToHex(k.integ_key);
    out += fmt::format("\"{}\",\"{}\",\"{}\",\"{:#010x}\",\"{}\",\"{}\",\"{}\",\"{}\"\n",
                       v6 ? "IPv6" : "IPv4", FormatAddress(k.src), FormatAddress(k.dst), k.spi,
                       *encr, encr_key, *integ, integ_key);
  }
  return out;
}

}  // namespace ipsecref::io
