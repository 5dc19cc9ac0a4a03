#include "reference/io/keys.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reference/crypto/transforms.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/keys_csv.h"
#include "reference/io/keys_json.h"

namespace ipsecref::io {
namespace {

// Key files are small; anything larger is not one.
constexpr std::uintmax_t kMaxKeyFileSize = 16u << 20;

std::string JoinOrigins(const std::vector<std::string>& origins);

std::string Origins(const SaKeys& k) {
  const std::string out = JoinOrigins(k.origins);
  return out.empty() ? k.Describe() : out;
}

std::string AllowedKeySizes(const crypto::EncrTransform& t) {
  std::string out;
  for (uint16_t bits : t.key_bits) {
    if (bits == 0) continue;
    out += fmt::format("{}{}", out.empty() ? "" : ", ", bits / 8 + t.salt_size);
  }
  return out;
}


// Which format a key file is in: by its name in a directory; a file given
// alone by its first record (esp_sa lines start with a quote, keys.csv
// records with their type).
bool IsKeysCsvName(const std::string& path) {
  return std::filesystem::path(path).filename().string().find("keys.csv") != std::string::npos;
}

enum class KeyFileFormat : uint8_t { kEspSa, kKeysCsv, kIkev2Table, kKeysJson };

bool IsIkev2TableName(const std::string& path) {
  return std::filesystem::path(path).filename().string().starts_with("ikev2_decryption_table");
}

KeyFileFormat FormatByName(const std::string& path) {
  if (std::filesystem::path(path).filename() == "keys.json") return KeyFileFormat::kKeysJson;
  if (IsIkev2TableName(path)) return KeyFileFormat::kIkev2Table;
  return IsKeysCsvName(path) ? KeyFileFormat::kKeysCsv : KeyFileFormat::kEspSa;
}

// esp_sa records start with a quote, ikev2_decryption_table records with
// the initiator's SPI in hex, keys.csv records with their type.
KeyFileFormat FormatByContent(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    if (line.starts_with("esp,") || line.starts_with("ike,")) return KeyFileFormat::kKeysCsv;
    if (std::isxdigit(static_cast<unsigned char>(line.front())) != 0)
      return KeyFileFormat::kIkev2Table;
    return KeyFileFormat::kEspSa;
  }
  return KeyFileFormat::kEspSa;
}

// The IKE SAs' keys agree when transforms and keys do; a key length of 0
// (fixed-length transform, as keys.csv writes it) agrees with any.
bool SameIkeKeys(const Ikev2Keys& a, const Ikev2Keys& b) {
  return a.encr == b.encr && a.integ == b.integ &&
         (a.encr_key_bits == b.encr_key_bits || a.encr_key_bits == 0 || b.encr_key_bits == 0) &&
         ConstantTimeEqual(a.sk_ei, b.sk_ei) && ConstantTimeEqual(a.sk_er, b.sk_er) &&
         ConstantTimeEqual(a.sk_ai, b.sk_ai) && ConstantTimeEqual(a.sk_ar, b.sk_ar);
}

std::string JoinOrigins(const std::vector<std::string>& origins) {
  std::string out;
  for (const std::string& o : origins) out += (out.empty() ? "" : ", ") + o;
  return out;
}

template <typename T>
Status Agree(const std::optional<T>& a, const std::optional<T>& b, std::string_view what,
             const SaKeys& x, const SaKeys& y) {
  ENSURE(
      !a || !b || *a == *b, kBadFile, kNoOffset, "",
      fmt::format("{} and {} disagree on {} for {}", Origins(x), Origins(y), what, x.Describe()));
  return OkStatus();
}

}  // namespace

Result<std::string> ReadKeyFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  ENSURE(!ec, kIoError, kNoOffset, "", fmt::format("{}: {}", path, ec.message()));
  ENSURE(size <= kMaxKeyFileSize, kBadFile, kNoOffset, "",
         fmt::format("{}: {} bytes is too large for a key file", path, size));
  std::ifstream in(path, std::ios::binary);
  ENSURE(in.good(), kIoError, kNoOffset, "", fmt::format("{}: cannot open", path));
  std::ostringstream text;
  text << in.rdbuf();
  ENSURE(!in.bad(), kIoError, kNoOffset, "", fmt::format("{}: read failed", path));
  return text.str();
}

std::string_view ProtocolName(SaProtocol protocol) {
  return protocol == SaProtocol::kAh ? "AH" : "ESP";
}

std::string SaKeys::Describe() const {
  return fmt::format("{} SPI {:#010x} {} -> {}", ProtocolName(protocol), spi, FormatAddress(src),
                     FormatAddress(dst));
}

std::string FormatAddress(ByteSpan address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.size() == 4) return inet_ntop(AF_INET, address.data(), text, sizeof text);
  if (address.size() == 16) return inet_ntop(AF_INET6, address.data(), text, sizeof text);
  if (address.empty()) return "*";
  return fmt::format("<{}-byte address {}>", address.size(), ToHex(address));
}

Result<Bytes> ParseAddress(std::string_view text) {
  if (text == "*") return Bytes();
  const std::string s(text);
  Bytes out(16);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    out.resize(4);
    return out;
  }
  ENSURE(inet_pton(AF_INET6, s.c_str(), out.data()) == 1, kInvalidArgument, kNoOffset, "",
         fmt::format("\"{}\" is not an IPv4 or IPv6 address", text.substr(0, 64)));
  return out;
}

Status ValidateSaKeys(const SaKeys& k) {
  const std::string where = Origins(k);
  if (k.protocol == SaProtocol::kEsp) {
    const crypto::EncrTransform* t = crypto::FindEncr(k.encr);
    ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "rfc4303#section-3.2",
           fmt::format("{}: {} is not implemented by the reference", where, iana::Name(k.encr)));
    ENSURE(t->AcceptsKeymat(k.encr_key.size()), kBadKeyLength, kNoOffset, t->rfc,
           fmt::format("{}: {} takes {} bytes of keying material, not {}", where, t->name(),
                       AllowedKeySizes(*t), k.encr_key.size()));
    //= rfc4303#section-3.2.3
    //# A combined-mode algorithm brings its own integrity; it is not paired
    //# with a separate integrity algorithm.
    ENSURE(!t->aead || k.integ == iana::Integ::kNone, kBadTransformCombination, kNoOffset,
           "rfc4303#section-3.2.3",
           fmt::format("{}: {} cannot be combined with {}", where, t->name(), iana::Name(k.integ)));
  } else {
    //= rfc4302#section-3.2
    //# AH is nothing but its integrity check: it needs an integrity algorithm.
    ENSURE(k.integ != iana::Integ::kNone, kBadTransformCombination, kNoOffset,
           "rfc4302#section-3.2",
           fmt::format("{}: an AH SA without an integrity algorithm", where));
  }
  if (k.integ != iana::Integ::kNone) {
    const crypto::IntegTransform* t = crypto::FindInteg(k.integ);
    ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "rfc4303#section-3.2",
           fmt::format("{}: {} is not implemented by the reference", where, iana::Name(k.integ)));
    ENSURE(k.integ_key.size() == t->key_size, kBadKeyLength, kNoOffset, t->rfc,
           fmt::format("{}: {} takes a {}-byte key, not {}", where, t->name(), t->key_size,
                       k.integ_key.size()));
  }
  return OkStatus();
}

Result<KeyStore> KeyStore::Load(const std::string& path) {
  std::vector<std::string> files;
  std::error_code ec;
  const bool directory = std::filesystem::is_directory(path, ec);
  if (directory) {
    for (const char* name :
         {"esp_sa", "ikev2_decryption_table", "keys.csv", "keys.csv.a", "keys.csv.b",
          "keys.json"}) {
      const std::string file = (std::filesystem::path(path) / name).string();
      if (std::filesystem::is_regular_file(file, ec)) files.push_back(file);
    }
    ENSURE(!files.empty(), kIoError, kNoOffset, "",
           fmt::format("{}: no key file (esp_sa, ikev2_decryption_table, keys.csv, keys.csv.a, "
                       "keys.csv.b or keys.json)",
                       path));
  } else {
    ENSURE(std::filesystem::is_regular_file(path, ec), kIoError, kNoOffset, "",
           fmt::format("{}: no such key file or directory", path));
    files.push_back(path);
  }
  KeyStore store;
  for (const std::string& file : files) {
    TRY_ASSIGN(std::string text, ReadKeyFile(file));
    KeyFileFormat format =
        directory || IsIkev2TableName(file) ? FormatByName(file) : FormatByContent(text);
    if (!directory && LooksLikeKeysJson(file, text)) format = KeyFileFormat::kKeysJson;
    std::vector<SaKeys> sas;
    std::vector<Ikev2Keys> ike_sas;
    std::vector<std::string> ike_origins;  // keys.json names each IKE SA's entry
    const Status parsed = [&]() -> Status {
      if (format == KeyFileFormat::kKeysJson) {
        TRY_ASSIGN(KeysJson json, ParseKeysJson(text, file));
        sas = std::move(json.sas);
        ike_sas = std::move(json.ike_sas);
        ike_origins = std::move(json.ike_origins);
        return OkStatus();
      }
      if (format == KeyFileFormat::kIkev2Table) {
        TRY_ASSIGN(ike_sas, ParseIkev2Table(text, file));
        return OkStatus();
      }
      if (format == KeyFileFormat::kEspSa) {
        TRY_ASSIGN(sas, ParseEspSaFile(text, file));
        return OkStatus();
      }
      TRY_ASSIGN(sas, ParseKeysCsv(text, file));
      TRY_ASSIGN(ike_sas, ParseIkeKeysCsv(text, file));
      return OkStatus();
    }();
    // The text holds keys in hex: wipe it before it is freed.
    std::fill(text.begin(), text.end(), '\0');
    TRY(parsed);
    for (SaKeys& k : sas) TRY(store.Add(std::move(k)));
    for (size_t i = 0; i < ike_sas.size(); ++i)
      TRY(store.AddIke(std::move(ike_sas[i]), i < ike_origins.size() ? ike_origins[i] : file));
    store.files_.push_back(file);
  }
  return store;
}

Status KeyStore::Add(SaKeys k) {
  for (SaKeys& have : sas_) {
    if (have.protocol != k.protocol || have.spi != k.spi || have.dst != k.dst) continue;
    const bool same_keys = have.encr == k.encr && have.integ == k.integ &&
                           ConstantTimeEqual(have.encr_key, k.encr_key) &&
                           ConstantTimeEqual(have.integ_key, k.integ_key);
    ENSURE(same_keys, kBadFile, kNoOffset, "",
           fmt::format("{} and {} give different algorithms or keys for {}", Origins(have),
                       Origins(k), k.Describe()));
    ENSURE(have.src.empty() || k.src.empty() || have.src == k.src, kBadFile, kNoOffset, "",
           fmt::format("{} and {} disagree on the source of {}", Origins(have), Origins(k),
                       k.Describe()));
    TRY(Agree(have.esn, k.esn, "ESN", have, k));
    TRY(Agree(have.mode, k.mode, "the mode", have, k));
    TRY(Agree(have.udp_encapsulation, k.udp_encapsulation, "UDP encapsulation", have, k));
    TRY(Agree(have.replay_window, k.replay_window, "the replay window", have, k));
    if (have.src.empty()) have.src = k.src;
    if (!have.esn) have.esn = k.esn;
    if (!have.mode) have.mode = k.mode;
    if (!have.udp_encapsulation) have.udp_encapsulation = k.udp_encapsulation;
    if (!have.replay_window) have.replay_window = k.replay_window;
    have.origins.insert(have.origins.end(), k.origins.begin(), k.origins.end());
    return OkStatus();
  }
  sas_.push_back(std::move(k));
  return OkStatus();
}

Status KeyStore::AddIke(Ikev2Keys k, std::string origin) {
  for (size_t i = 0; i < ike_sas_.size(); ++i) {
    Ikev2Keys& have = ike_sas_[i];
    if (have.spi_i != k.spi_i || have.spi_r != k.spi_r) continue;
    ENSURE(SameIkeKeys(have, k), kBadFile, kNoOffset, "",
           fmt::format("{} and {} give different algorithms or keys for IKE SA {:016x}_i "
                       "{:016x}_r",
                       JoinOrigins(ike_origins_[i]), origin.empty() ? "another source" : origin,
                       k.spi_i, k.spi_r));
    if (have.encr_key_bits == 0) have.encr_key_bits = k.encr_key_bits;
    std::vector<std::string>& origins = ike_origins_[i];
    if (!origin.empty() && std::find(origins.begin(), origins.end(), origin) == origins.end())
      origins.push_back(std::move(origin));
    return OkStatus();
  }
  ike_sas_.push_back(std::move(k));
  ike_origins_.emplace_back();
  if (!origin.empty()) ike_origins_.back().push_back(std::move(origin));
  return OkStatus();
}

const Ikev2Keys* KeyStore::FindIke(uint64_t spi_i, uint64_t spi_r) const {
  return io::Find(ike_sas_, spi_i, spi_r);
}

const SaKeys* KeyStore::Find(SaProtocol protocol, uint32_t spi, ByteSpan dst) const {
  const SaKeys* any = nullptr;
  for (const SaKeys& k : sas_) {
    if (k.protocol != protocol || k.spi != spi) continue;
    if (std::equal(k.dst.begin(), k.dst.end(), dst.begin(), dst.end())) return &k;
    if (k.dst.empty() && any == nullptr) any = &k;
  }
  return any;
}

}  // namespace ipsecref::io
