#include "reference/io/ikev2_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "reference/io/keys.h"
#include "reference/io/text_lines.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

constexpr size_t kFields = 8;
constexpr size_t kSpiSize = 8;

// Wireshark's names for the IKEv2 encryption algorithms of its decryption
// table (packet-isakmp.c, vs_ikev2_encr_algs, with the key lengths of
// ikev2_encr_algs; each name checked against tshark 4.0.17). SK_e carries
// the salt after the key: 4 octets for CTR (RFC 5930 §2) and GCM (RFC 5282
// §7.1), 3 for CCM (RFC 5282 §7.1).
constexpr std::array<Ikev2EncrName, 26> kEncrNames{{
    {"NULL [RFC2410]", Encr::kNull, 0, 0},
    {"3DES [RFC2451]", Encr::k3Des, 0, 24},
    {"AES-CBC-128 [RFC3602]", Encr::kAesCbc, 128, 16},
    {"AES-CBC-192 [RFC3602]", Encr::kAesCbc, 192, 24},
    {"AES-CBC-256 [RFC3602]", Encr::kAesCbc, 256, 32},
    {"AES-CTR-128 [RFC5930]", Encr::kAesCtr, 128, 16 + 4},
    {"AES-CTR-192 [RFC5930]", Encr::kAesCtr, 192, 24 + 4},
    {"AES-CTR-256 [RFC5930]", Encr::kAesCtr, 256, 32 + 4},
    {"AES-GCM-128 with 16 octet ICV [RFC5282]", Encr::kAesGcm16, 128, 16 + 4},
    {"AES-GCM-192 with 16 octet ICV [RFC5282]", Encr::kAesGcm16, 192, 24 + 4},
    {"AES-GCM-256 with 16 octet ICV [RFC5282]", Encr::kAesGcm16, 256, 32 + 4},
    {"AES-GCM-128 with 8 octet ICV [RFC5282]", Encr::kAesGcm8, 128, 16 + 4},
    {"AES-GCM-192 with 8 octet ICV [RFC5282]", Encr::kAesGcm8, 192, 24 + 4},
    {"AES-GCM-256 with 8 octet ICV [RFC5282]", Encr::kAesGcm8, 256, 32 + 4},
    {"AES-GCM-128 with 12 octet ICV [RFC5282]", Encr::kAesGcm12, 128, 16 + 4},
    {"AES-GCM-192 with 12 octet ICV [RFC5282]", Encr::kAesGcm12, 192, 24 + 4},
    {"AES-GCM-256 with 12 octet ICV [RFC5282]", Encr::kAesGcm12, 256, 32 + 4},
    {"AES-CCM-128 with 16 octet ICV [RFC5282]", Encr::kAesCcm16, 128, 16 + 3},
    {"AES-CCM-192 with 16 octet ICV [RFC5282]", Encr::kAesCcm16, 192, 24 + 3},
    {"AES-CCM-256 with 16 octet ICV [RFC5282]", Encr::kAesCcm16, 256, 32 + 3},
    {"AES-CCM-128 with 8 octet ICV [RFC5282]", Encr::kAesCcm8, 128, 16 + 3},
    {"AES-CCM-192 with 8 octet ICV [RFC5282]", Encr::kAesCcm8, 192, 24 + 3},
    {"AES-CCM-256 with 8 octet ICV [RFC5282]", Encr::kAesCcm8, 256, 32 + 3},
    {"AES-CCM-128 with 12 octet ICV [RFC5282]", Encr::kAesCcm12, 128, 16 + 3},
    {"AES-CCM-192 with 12 octet ICV [RFC5282]", Encr::kAesCcm12, 192, 24 + 3},
    {"AES-CCM-256 with 12 octet ICV [RFC5282]", Encr::kAesCcm12, 256, 32 + 3},
}};

// Wireshark's integrity algorithm names (vs_ikev2_auth_algs, key lengths
// from ikev2_auth_algs). HMAC_MD5_128 and HMAC_SHA1_160 (RFC 4595, IANA 6
// and 7) are not in the reference's registry; HMAC_SHA2_256_96 predates
// RFC 4868 and has no IANA number; the "ANY" entries check nothing.
constexpr std::array<Ikev2IntegName, 15> kIntegNames{{
    {"NONE [RFC4306]", Integ::kNone, 0},
    {"HMAC_MD5_96 [RFC2403]", Integ::kHmacMd5_96, 16},
    {"HMAC_SHA1_96 [RFC2404]", Integ::kHmacSha1_96, 20},
    {"HMAC_MD5_128 [RFC4595]", std::nullopt, 16},
    {"HMAC_SHA1_160 [RFC4595]", std::nullopt, 20},
    {"HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]", std::nullopt, 32},
    {"HMAC_SHA2_256_128 [RFC4868]", Integ::kHmacSha2_256_128, 32},
    {"HMAC_SHA2_384_192 [RFC4868]", Integ::kHmacSha2_384_192, 48},
    {"HMAC_SHA2_512_256 [RFC4868]", Integ::kHmacSha2_512_256, 64},
    {"ANY 64-bits of Authentication [No Checking]", std::nullopt, 0},
    {"ANY 96-bits of Authentication [No Checking]", std::nullopt, 0},
    {"ANY 128-bits of Authentication [No Checking]", std::nullopt, 0},
    {"ANY 160-bits of Authentication [No Checking]", std::nullopt, 0},
    {"ANY 192-bits of Authentication [No Checking]", std::nullopt, 0},
    {"ANY 256-bits of Authentication [No Checking]", std::nullopt, 0},
}};

bool IsCombinedMode(Encr id) {
  switch (id) {
    case Encr::kAesGcm8:
    case Encr::kAesGcm12:
    case Encr::kAesGcm16:
    case Encr::kAesCcm8:
    case Encr::kAesCcm12:
    case Encr::kAesCcm16:
      return true;
    default:
      return false;
  }
}

// One field of a UAT line. A bare field is a view into the line (keys stay
// out of ordinary strings); a quoted one is unescaped into `text`.
struct Field {
  bool quoted = false;
  std::string_view bare;
  std::string text;
  size_t column = 0;  // 1-based, where the field starts
};

// A UAT line: fields separated by commas (blanks allowed around them),
// each bare, empty, or in double quotes, where a backslash escapes the
// next character and \xHH stands for any octet.
Result<std::vector<Field>> SplitLine(std::string_view line, const std::string& where) {
  std::vector<Field> fields;
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  for (;;) {
    skip_blanks();
    Field f;
    f.column = i + 1;
    if (i < line.size() && line[i] == '"') {
      f.quoted = true;
      ++i;
      for (;;) {
        ENSURE(i < line.size(), kBadFile, kNoOffset, "",
               fmt::format("{}: field {} has no closing '\"'", where, fields.size() + 1));
        const char c = line[i++];
        if (c == '"') break;
        if (c != '\\') {
          f.text.push_back(c);
          continue;
        }
        ENSURE(i < line.size(), kBadFile, kNoOffset, "",
               fmt::format("{}: field {} ends in a lone backslash", where, fields.size() + 1));
        const char e = line[i++];
        if (e != 'x') {
          f.text.push_back(e);
          continue;
        }
        auto hex = FromHex(i + 2 <= line.size() ? line.substr(i, 2) : std::string_view("?"));
        ENSURE(hex.ok() && hex->size() == 1, kBadFile, kNoOffset, "",
               fmt::format("{}: field {} has a bad \\x escape (column {})", where,
                           fields.size() + 1, i - 1));
        f.text.push_back(static_cast<char>((*hex)[0]));
        i += 2;
      }
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',' && line[i] != ' ' && line[i] != '\t' &&
             line[i] != '"')
        ++i;
      f.bare = line.substr(start, i - start);
    }
    fields.push_back(std::move(f));
    skip_blanks();
    if (i == line.size()) return fields;
    ENSURE(line[i] == ',', kBadFile, kNoOffset, "",
           fmt::format("{}: expected ',' after field {} (column {})", where, fields.size(), i + 1));
    ++i;
  }
}

const char* const kFieldNames[kFields] = {"SPIi", "SPIr", "SK_ei", "SK_er",
                                          "encryption algorithm", "SK_ai", "SK_ar",
                                          "integrity algorithm"};

// A bare field of hex digits, two per octet.
Result<SecureBytes> HexField(const Field& f, size_t index, const std::string& where) {
  ENSURE(!f.quoted, kBadFile, kNoOffset, "",
         fmt::format("{}: {} (field {}) is quoted; Wireshark writes keys and SPIs as bare hex",
                     where, kFieldNames[index], index + 1));
  for (size_t i = 0; i < f.bare.size(); ++i) {
    const char c = f.bare[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    ENSURE(hex, kBadFile, kNoOffset, "",
           fmt::format("{}: {} (field {}) has '{}' at column {}, not a hex digit", where,
                       kFieldNames[index], index + 1, c, f.column + i));
  }
  ENSURE(f.bare.size() % 2 == 0, kBadFile, kNoOffset, "",
         fmt::format("{}: {} (field {}) has an odd number of hex digits ({})", where,
                     kFieldNames[index], index + 1, f.bare.size()));
  auto bytes = SecureFromHex(f.bare);
  ENSURE(bytes.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {} (field {}) is not hex", where, kFieldNames[index], index + 1));
  return std::move(bytes).value();
}

// A quoted algorithm name.
Result<std::string_view> NameField(const Field& f, size_t index, const std::string& where) {
  ENSURE(f.quoted, kBadFile, kNoOffset, "",
         fmt::format("{}: the {} (field {}) must be in double quotes", where, kFieldNames[index],
                     index + 1));
  return std::string_view(f.text);
}

Result<uint64_t> SpiField(const Field& f, size_t index, const std::string& where) {
  TRY_ASSIGN(SecureBytes spi, HexField(f, index, where));
  //= rfc7296#section-3.1
  //# The IKE SA Initiator's and Responder's SPIs are eight octets each.
  ENSURE(spi.size() == kSpiSize, kBadFile, kNoOffset, "rfc7296#section-3.1",
         fmt::format("{}: {} has {} octets; an IKE SPI has {}", where, kFieldNames[index],
                     spi.size(), kSpiSize));
  return LoadU64(spi.data());
}

Status CheckKeySize(const SecureBytes& key, size_t size, size_t index, std::string_view algorithm,
                    const std::string& where) {
  ENSURE(key.size() == size, kBadKeyLength, kNoOffset, "rfc7296#section-2.14",
         fmt::format("{}: {} has {} octets; {} takes {}", where, kFieldNames[index], key.size(),
                     algorithm, size));
  return OkStatus();
}

Result<Ikev2Keys> ParseLine(std::string_view line, const std::string& where) {
  TRY_ASSIGN(std::vector<Field> f, SplitLine(line, where));
  ENSURE(f.size() == kFields, kBadFile, kNoOffset, "",
         fmt::format("{}: {} fields; an ikev2_decryption_table line has {}", where, f.size(),
                     kFields));
  Ikev2Keys k;
  TRY_ASSIGN(k.spi_i, SpiField(f[0], 0, where));
  //= rfc7296#section-3.1
  //# The initiator's SPI is never zero (keys.json and keys.csv refuse it too).
  ENSURE(k.spi_i != 0, kBadFile, kNoOffset, "rfc7296#section-3.1",
         fmt::format("{}: the {} is 0, which no IKE SA has", where, kFieldNames[0]));
  TRY_ASSIGN(k.spi_r, SpiField(f[1], 1, where));
  TRY_ASSIGN(k.sk_ei, HexField(f[2], 2, where));
  TRY_ASSIGN(k.sk_er, HexField(f[3], 3, where));
  TRY_ASSIGN(std::string_view encr_name, NameField(f[4], 4, where));
  TRY_ASSIGN(k.sk_ai, HexField(f[5], 5, where));
  TRY_ASSIGN(k.sk_ar, HexField(f[6], 6, where));
  TRY_ASSIGN(std::string_view integ_name, NameField(f[7], 7, where));

  const Ikev2EncrName* encr = FindIkev2EncrName(encr_name);
  ENSURE(encr != nullptr, kBadFile, kNoOffset, "",
         fmt::format("{}: unknown encryption algorithm \"{}\"", where, encr_name));
  const Ikev2IntegName* integ = FindIkev2IntegName(integ_name);
  ENSURE(integ != nullptr, kBadFile, kNoOffset, "",
         fmt::format("{}: unknown integrity algorithm \"{}\"", where, integ_name));
  ENSURE(integ->id.has_value(), kUnknownTransform, kNoOffset, "",
         fmt::format("{}: \"{}\" has no IANA transform the reference implements", where,
                     integ_name));
  //= rfc5282#section-8
  //# A combined-mode cipher protects integrity itself: an IKE SA that uses
  //# one negotiates no integrity algorithm (or NONE).
  ENSURE(!IsCombinedMode(encr->id) || *integ->id == Integ::kNone, kBadTransformCombination,
         kNoOffset, "rfc5282#section-8",
         fmt::format("{}: {} needs integrity \"NONE [RFC4306]\", not \"{}\"", where, encr_name,
                     integ_name));
  // Wireshark offers "NULL [RFC2410]", which RFC 7296 §3.3.2 does not allow
  // for IKE; it is read as written, and SkCrypter refuses it.
  TRY(CheckKeySize(k.sk_ei, encr->sk_e_size, 2, encr_name, where));
  TRY(CheckKeySize(k.sk_er, encr->sk_e_size, 3, encr_name, where));
  TRY(CheckKeySize(k.sk_ai, integ->sk_a_size, 5, integ_name, where));
  TRY(CheckKeySize(k.sk_ar, integ->sk_a_size, 6, integ_name, where));
  k.encr = encr->id;
  k.encr_key_bits = encr->key_bits;
  k.integ = *integ->id;
  return k;
}

void AppendHex(std::string& out, const SecureBytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
}

}  // namespace

const Ikev2EncrName* FindIkev2EncrName(std::string_view name) {
  for (const Ikev2EncrName& e : kEncrNames)
    if (e.name == name) return &e;
  return nullptr;
}

const Ikev2IntegName* FindIkev2IntegName(std::string_view name) {
  for (const Ikev2IntegName& e : kIntegNames)
    if (e.name == name) return &e;
  return nullptr;
}

std::optional<std::string_view> Ikev2EncrNameFor(iana::Encr id, size_t key_bits) {
  for (const Ikev2EncrName& e : kEncrNames)
    if (e.id == id && e.key_bits == key_bits) return e.name;
  return std::nullopt;
}

std::optional<std::string_view> Ikev2IntegNameFor(iana::Integ id) {
  for (const Ikev2IntegName& e : kIntegNames)
    if (e.id == id) return e.name;
  return std::nullopt;
}

Result<std::vector<Ikev2Keys>> ParseIkev2Table(std::string_view text, std::string_view name) {
  return ParseRecords<Ikev2Keys>(text, name, ParseLine);
}

Result<std::vector<Ikev2Keys>> ReadIkev2Table(const std::string& path) {
  TRY_ASSIGN(std::string contents, ReadKeyFile(path));
  auto rows = ParseIkev2Table(contents, path);
  // The text holds keys in hex: wipe it before it is freed.
  std::fill(contents.begin(), contents.end(), '\0');
  return rows;
}

Result<std::string> WriteIkev2Table(const std::vector<Ikev2Keys>& keys) {
  std::string out;
  for (const Ikev2Keys& k : keys) {
    const std::string sa = fmt::format("IKE SA {:016x}_i {:016x}_r", k.spi_i, k.spi_r);
    auto encr_name = Ikev2EncrNameFor(k.encr, k.encr_key_bits);
    ENSURE(encr_name.has_value(), kUnsupported, kNoOffset, "",
           fmt::format("{}: Wireshark has no name for {} with a {}-bit key", sa,
                       iana::Name(k.encr), k.encr_key_bits));
    auto integ_name = Ikev2IntegNameFor(k.integ);
    ENSURE(integ_name.has_value(), kUnsupported, kNoOffset, "",
           fmt::format("{}: Wireshark has no name for {}", sa, iana::Name(k.integ)));
    const Ikev2EncrName& encr = *FindIkev2EncrName(*encr_name);
    const Ikev2IntegName& integ = *FindIkev2IntegName(*integ_name);
    TRY(CheckKeySize(k.sk_ei, encr.sk_e_size, 2, encr.name, sa));
    TRY(CheckKeySize(k.sk_er, encr.sk_e_size, 3, encr.name, sa));
    TRY(CheckKeySize(k.sk_ai, integ.sk_a_size, 5, integ.name, sa));
    TRY(CheckKeySize(k.sk_ar, integ.sk_a_size, 6, integ.name, sa));
    out += fmt::format("{:016x},{:016x},", k.spi_i, k.spi_r);
    AppendHex(out, k.sk_ei);
    out += ',';
    AppendHex(out, k.sk_er);
    out += fmt::format(",\"{}\",", encr.name);
    AppendHex(out, k.sk_ai);
    out += ',';
    AppendHex(out, k.sk_ar);
    out += fmt::format(",\"{}\"\n", integ.name);
  }
  return out;
}

const Ikev2Keys* Find(const std::vector<Ikev2Keys>& keys, uint64_t spi_i, uint64_t spi_r) {
  for (const Ikev2Keys& k : keys)
    if (k.spi_i == spi_i && k.spi_r == spi_r) return &k;
  return nullptr;
}

}  // namespace ipsecref::io
