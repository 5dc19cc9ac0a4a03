#include "reference/io/keys_csv.h"

#include "reference/io/text_lines.h"

#include <fmt/format.h>

#include <charconv>

#include "reference/crypto/transforms.h"

namespace ipsecref::io {
namespace {

constexpr size_t kIkeFields = 19;
constexpr size_t kEspFieldsWithoutProtocol = 14;
constexpr size_t kEspFields = 15;

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const size_t comma = line.find(',');
    fields.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) return fields;
    line.remove_prefix(comma + 1);
  }
}

template <typename T>
Result<T> ParseNumber(std::string_view text, int base, const std::string& where,
                      std::string_view what) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  ENSURE(!text.empty() && ec == std::errc() && end == text.data() + text.size(), kBadFile,
         kNoOffset, "",
         fmt::format("{}: {} \"{}\" is not a {} number", where, what, text,
                     base == 16 ? "hexadecimal" : "decimal"));
  return value;
}

Result<bool> ParseFlag(std::string_view text, const std::string& where, std::string_view what) {
  ENSURE(text == "0" || text == "1", kBadFile, kNoOffset, "",
         fmt::format("{}: {} is \"{}\", not 0 or 1", where, what, text));
  return text == "1";
}

// "192.0.2.1[4500]" or "192.0.2.1"; the port, when given, into `port`.
Result<Bytes> ParseHost(std::string_view text, const std::string& where, std::string_view what,
                        std::optional<uint16_t>* port = nullptr) {
  const size_t bracket = text.find('[');
  if (bracket != std::string_view::npos) {
    std::string_view digits = text.substr(bracket + 1);
    ENSURE(!digits.empty() && digits.back() == ']', kBadFile, kNoOffset, "",
           fmt::format("{}: {} \"{}\" has no closing ']'", where, what, text.substr(0, 64)));
    digits.remove_suffix(1);
    TRY_ASSIGN(const uint16_t number, ParseNumber<uint16_t>(digits, 10, where, "port"));
    if (port != nullptr) *port = number;
    text = text.substr(0, bracket);
  }
  auto address = ParseAddress(text);
  ENSURE(address.ok() && !address->empty(), kBadFile, kNoOffset, "",
         fmt::format("{}: {} \"{}\" is not an IPv4 or IPv6 address", where, what, text));
  return std::move(*address);
}

Result<SecureBytes> ParseHexKey(std::string_view text, const std::string& where,
                                std::string_view what) {
  auto key = SecureFromHex(text);
  ENSURE(key.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: {} is not hexadecimal: {}", where, what,
                     key.ok() ? std::string() : key.error().ToString()));
  return key;
}

Result<SaKeys> ParseEsp(const std::vector<std::string_view>& f, const std::string& where) {
  ENSURE(f.size() == kEspFields || f.size() == kEspFieldsWithoutProtocol, kBadFile, kNoOffset, "",
         fmt::format("{}: esp record has {} fields, expected {} or {}", where, f.size(),
                     kEspFieldsWithoutProtocol, kEspFields));
  SaKeys k;
  k.origins.push_back(where);
  TRY_ASSIGN(k.src, ParseHost(f[1], where, "source", &k.src_port));
  TRY_ASSIGN(k.dst, ParseHost(f[2], where, "destination", &k.dst_port));
  ENSURE(k.src.size() == k.dst.size(), kBadFile, kNoOffset, "",
         fmt::format("{}: source and destination are of different address families", where));
  TRY_ASSIGN(k.spi, ParseNumber<uint32_t>(f[3], 16, where, "SPI"));
  //= rfc4303#section-2.1
  //# SPI 0 is reserved for local use and never sent on the wire (the same
  //# for AH, rfc4302#section-2.4): no SA of a capture has it.
  ENSURE(k.spi != 0, kBadFile, kNoOffset, "rfc4303#section-2.1",
         fmt::format("{}: SPI 0 is reserved and never sent", where));
  TRY_ASSIGN(const uint16_t encr, ParseNumber<uint16_t>(f[4], 10, where, "encryption transform"));
  TRY_ASSIGN(uint32_t key_bits, ParseNumber<uint32_t>(f[5], 10, where, "key length"));
  TRY_ASSIGN(const uint16_t integ, ParseNumber<uint16_t>(f[6], 10, where, "integrity transform"));
  TRY_ASSIGN(const bool esn, ParseFlag(f[7], where, "esn"));
  k.esn = esn;
  TRY_ASSIGN(const uint8_t mode, ParseNumber<uint8_t>(f[8], 10, where, "mode"));
  ENSURE(mode == 1 || mode == 2, kBadFile, kNoOffset, "",
         fmt::format("{}: mode {} is neither 1 (transport) nor 2 (tunnel)", where, mode));
  k.mode = mode == 1 ? esp::Mode::kTransport : esp::Mode::kTunnel;
  TRY_ASSIGN(const bool udp, ParseFlag(f[9], where, "udp_encap"));
  k.udp_encapsulation = udp;
  TRY_ASSIGN(k.encr_key, ParseHexKey(f[10], where, "the encryption key"));
  TRY_ASSIGN(k.integ_key, ParseHexKey(f[11], where, "the integrity key"));
  TRY(ParseNumber<uint64_t>(f[12], 16, where, "IKE initiator SPI"));
  TRY(ParseNumber<uint64_t>(f[13], 16, where, "IKE responder SPI"));
  uint8_t protocol = 50;
  if (f.size() == kEspFields) {
    TRY_ASSIGN(protocol, ParseNumber<uint8_t>(f[14], 10, where, "protocol"));
  }
  ENSURE(protocol == 50 || protocol == 51, kBadFile, kNoOffset, "",
         fmt::format("{}: protocol {} is neither 50 (ESP) nor 51 (AH)", where, protocol));
  k.protocol = static_cast<SaProtocol>(protocol);
  k.integ = static_cast<iana::Integ>(integ);
  if (k.protocol == SaProtocol::kAh) {
    ENSURE(
        encr == 0 && key_bits == 0 && k.encr_key.empty(), kBadFile, kNoOffset, "rfc4302#section-2",
        fmt::format("{}: an AH SA has no encryption, yet transform {} and a {}-bit key are given",
                    where, encr, key_bits));
    TRY(ValidateSaKeys(k));
    return k;
  }
  k.encr = static_cast<iana::Encr>(encr);
  const crypto::EncrTransform* t = crypto::FindEncr(k.encr);
  ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "",
         fmt::format("{}: encryption transform {} ({}) is not implemented by the reference", where,
                     encr, iana::Name(k.encr)));
  //= rfc7296#section-3.3.5
  //# Transforms of one fixed key length carry no Key Length attribute, so
  //# strongSwan writes 0 for them: that means the fixed length.
  if (key_bits == 0) key_bits = t->fixed_key_bits();
  const size_t salt_bits = t->salt_size * 8;
  ENSURE(k.encr_key.size() * 8 == key_bits + salt_bits, kBadKeyLength, kNoOffset, t->rfc,
         fmt::format("{}: {}-bit key{} stated, {} bytes of keying material given", where, key_bits,
                     salt_bits ? fmt::format(" and {}-bit salt", salt_bits) : std::string(),
                     k.encr_key.size()));
  TRY(ValidateSaKeys(k));
  return k;
}

Result<Ikev2Keys> ParseIke(const std::vector<std::string_view>& f, const std::string& where) {
  ENSURE(f.size() == kIkeFields, kBadFile, kNoOffset, "",
         fmt::format("{}: ike record has {} fields, expected {}", where, f.size(), kIkeFields));
  Ikev2Keys k;
  TRY_ASSIGN(k.spi_i, ParseNumber<uint64_t>(f[5], 16, where, "IKE initiator SPI"));
  //= rfc7296#section-3.1
  //# The initiator's SPI is never zero.
  ENSURE(k.spi_i != 0, kBadFile, kNoOffset, "rfc7296#section-3.1",
         fmt::format("{}: the IKE initiator SPI is 0, which no IKE SA has", where));
  TRY_ASSIGN(k.spi_r, ParseNumber<uint64_t>(f[6], 16, where, "IKE responder SPI"));
  TRY_ASSIGN(const uint16_t encr, ParseNumber<uint16_t>(f[7], 10, where, "encryption transform"));
  TRY_ASSIGN(k.encr_key_bits, ParseNumber<uint32_t>(f[8], 10, where, "key length"));
  TRY_ASSIGN(const uint16_t integ, ParseNumber<uint16_t>(f[9], 10, where, "integrity transform"));
  k.encr = static_cast<iana::Encr>(encr);
  k.integ = static_cast<iana::Integ>(integ);
  TRY_ASSIGN(k.sk_ai, ParseHexKey(f[13], where, "SK_ai"));
  TRY_ASSIGN(k.sk_ar, ParseHexKey(f[14], where, "SK_ar"));
  TRY_ASSIGN(k.sk_ei, ParseHexKey(f[15], where, "SK_ei"));
  TRY_ASSIGN(k.sk_er, ParseHexKey(f[16], where, "SK_er"));
  return k;
}

}  // namespace

Result<std::vector<Ikev2Keys>> ParseIkeKeysCsv(std::string_view text, std::string_view name) {
  std::vector<Ikev2Keys> sas;
  TRY(ForEachLine(text, [&](std::string_view line, size_t number) -> Status {
    if (line.empty() || line.front() == '#') return OkStatus();
    const std::vector<std::string_view> fields = Split(line);
    if (fields[0] != "ike") return OkStatus();
    TRY_ASSIGN(Ikev2Keys keys, ParseIke(fields, fmt::format("{}:{}", name, number)));
    sas.push_back(std::move(keys));
    return OkStatus();
  }));
  return sas;
}

Result<std::vector<Ikev2Keys>> LoadIkeKeys(const std::string& path) {
  TRY_ASSIGN(KeyStore store, KeyStore::Load(path));
  ENSURE(!store.ike_sas().empty(), kIoError, kNoOffset, "",
         fmt::format("{} holds neither ikev2_decryption_table nor a keys.csv with ike records", path));
  return store.ike_sas();
}

Result<std::vector<SaKeys>> ParseKeysCsv(std::string_view text, std::string_view name) {
  std::vector<SaKeys> sas;
  TRY(ForEachLine(text, [&](std::string_view line, size_t number) -> Status {
    if (line.empty() || line.front() == '#') return OkStatus();
    const std::string where = fmt::format("{}:{}", name, number);
    const std::vector<std::string_view> fields = Split(line);
    if (fields[0] == "ike") {
      auto ike = ParseIke(fields, where);
      if (!ike) return std::move(ike).error();
      return OkStatus();
    }
    ENSURE(fields[0] == "esp", kBadFile, kNoOffset, "",
           fmt::format("{}: unknown record type \"{}\" (expected \"ike\" or \"esp\")", where,
                       fields[0].substr(0, 32)));
    TRY_ASSIGN(SaKeys keys, ParseEsp(fields, where));
    sas.push_back(std::move(keys));
    return OkStatus();
  }));
  return sas;
}

}  // namespace ipsecref::io
