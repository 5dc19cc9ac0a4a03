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
#include "reference/io/key_records.h"
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

enum class KeyFileFormat : uint8_t { kEspSa, kKeysCsv, kIkev2Table, kIkev1Table, kKeysJson };

bool IsIkev2TableName(const std::string& path) {
  return std::filesystem::path(path).filename().string().starts_with("ikev2_decryption_table");
}

bool IsIkev1TableName(const std::string& path) {
  return std::filesystem::path(path).filename().string().starts_with("ikev1_decryption_table");
}

KeyFileFormat FormatByName(const std::string& path) {
  if (std::filesystem::path(path).filename() == "keys.json") return KeyFileFormat::kKeysJson;
  if (IsIkev1TableName(path)) return KeyFileFormat::kIkev1Table;
  if (IsIkev2TableName(path)) return KeyFileFormat::kIkev2Table;
  return IsKeysCsvName(path) ? KeyFileFormat::kKeysCsv : KeyFileFormat::kEspSa;
}

// esp_sa records start with a quote, ikev2_decryption_table records with
// the initiator's SPI in hex, keys.csv records with their type.
KeyFileFormat FormatByContent(std::string_view text) {
  const std::string_view line = FirstRecord(text);
  if (line.empty()) return KeyFileFormat::kEspSa;
  if (line.starts_with("esp,") || line.starts_with("ike,")) return KeyFileFormat::kKeysCsv;
  if (LooksLikeIkev1Table(line)) return KeyFileFormat::kIkev1Table;
  if (std::isxdigit(static_cast<unsigned char>(line.front())) != 0) return KeyFileFormat::kIkev2Table;
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

// Two views are one when they agree on the addresses (a wildcard source
// agrees with any) and on the ports both state.
bool SameView(const SaView& a, const Bytes& src, const Bytes& dst,
              const std::optional<uint16_t>& src_port, const std::optional<uint16_t>& dst_port) {
  auto agree = [](const std::optional<uint16_t>& x, const std::optional<uint16_t>& y) {
    return !x || !y || *x == *y;
  };
  return a.dst == dst && (a.src.empty() || src.empty() || a.src == src) &&
         agree(a.src_port, src_port) && agree(a.dst_port, dst_port);
}

template <typename T>
void Fill(std::optional<T>& have, const std::optional<T>& given) {
  if (!have) have = given;
}

// Adds view `w` of an SA to `k`: into the view it is the same as (filling
// in what that one left open), or as another view.
void MergeView(SaKeys& k, SaView w) {
  if (SameView(w, k.src, k.dst, k.src_port, k.dst_port)) {
    if (k.src.empty()) k.src = std::move(w.src);
    Fill(k.src_port, w.src_port);
    Fill(k.dst_port, w.dst_port);
    return;
  }
  for (SaView& v : k.other_views) {
    if (!SameView(w, v.src, v.dst, v.src_port, v.dst_port)) continue;
    if (v.src.empty()) v.src = std::move(w.src);
    Fill(v.src_port, w.src_port);
    Fill(v.dst_port, w.dst_port);
    v.origins.insert(v.origins.end(), w.origins.begin(), w.origins.end());
    return;
  }
  k.other_views.push_back(std::move(w));
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

std::string SaView::Describe() const {
  auto end = [](const Bytes& address, const std::optional<uint16_t>& port) {
    return port ? fmt::format("{}[{}]", FormatAddress(address), *port) : FormatAddress(address);
  };
  return fmt::format("{} -> {}", end(src, src_port), end(dst, dst_port));
}

std::vector<SaView> SaKeys::Views() const {
  SaView first{src, dst, src_port, dst_port, {}};
  for (const std::string& o : origins) {
    bool elsewhere = false;
    for (const SaView& v : other_views)
      elsewhere = elsewhere || std::find(v.origins.begin(), v.origins.end(), o) != v.origins.end();
    if (!elsewhere) first.origins.push_back(o);
  }
  std::vector<SaView> views{std::move(first)};
  views.insert(views.end(), other_views.begin(), other_views.end());
  return views;
}

std::string FormatAddress(ByteSpan address) { return address.empty() ? "*" : AddressText(address); }

Result<Bytes> ParseAddress(std::string_view text) {
  if (text == "*") return Bytes();
  // inet_pton reads up to a NUL: "192.0.2.1\0junk" is no address.
  ENSURE(text.find('\0') == std::string_view::npos, kInvalidArgument, kNoOffset, "",
         "an address with a NUL character in it is not an IPv4 or IPv6 address");
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
         {"esp_sa", "ikev2_decryption_table", "ikev1_decryption_table", "keys.csv", "keys.csv.a",
          "keys.csv.b", "keys.json"}) {
      const std::string file = (std::filesystem::path(path) / name).string();
      if (std::filesystem::is_regular_file(file, ec)) files.push_back(file);
    }
    ENSURE(!files.empty(), kIoError, kNoOffset, "",
           fmt::format("{}: no key file (esp_sa, ikev2_decryption_table, ikev1_decryption_table, "
                       "keys.csv, keys.csv.a, keys.csv.b or keys.json)",
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
        directory || IsIkev2TableName(file) || IsIkev1TableName(file) ? FormatByName(file)
                                                                      : FormatByContent(text);
    if (!directory && LooksLikeKeysJson(file, text)) format = KeyFileFormat::kKeysJson;
    std::vector<SaKeys> sas;
    std::vector<Ikev2Keys> ike_sas;
    std::vector<Ikev1Keys> ikev1_sas;
    std::vector<std::string> ike_origins;  // keys.json names each IKE SA's entry
    const Status parsed = [&]() -> Status {
      if (format == KeyFileFormat::kKeysJson) {
        TRY_ASSIGN(KeysJson json, ParseKeysJson(text, file));
        sas = std::move(json.sas);
        ike_sas = std::move(json.ike_sas);
        ike_origins = std::move(json.ike_origins);
        ikev1_sas = std::move(json.ikev1_sas);
        return OkStatus();
      }
      if (format == KeyFileFormat::kIkev1Table) {
        TRY_ASSIGN(ikev1_sas, ParseIkev1Table(text, file));
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
    for (Ikev1Keys& k : ikev1_sas) TRY(store.AddIkev1(std::move(k)));
    store.files_.push_back(file);
  }
  return store;
}

uint64_t KeyStore::SpiKey(SaProtocol protocol, uint32_t spi) {
  return uint64_t{static_cast<uint8_t>(protocol)} << 32 | spi;
}

//= rfc4301#section-4.1
//# For a unicast SA the SPI by itself suffices to specify the SA: entries
//# with the same SPI and the same algorithms and keys are one SA, even when
//# their addresses differ (each end of a NAT'd tunnel sees its own).
//= rfc4301#section-4.1
//# An SA is simplex: the entry for the reverse direction of a view is the
//# pair's other SA, even with the same SPI and keys (manual keying).
Status KeyStore::Add(SaKeys k) {
  const auto [first, last] = by_spi_.equal_range(SpiKey(k.protocol, k.spi));
  SaKeys* same = nullptr;      // the SA with the same keys that k joins
  bool same_shares = false;    // ... sharing an address with k
  bool reverse = false;        // k is the reverse direction of a view of one with its keys
  const std::vector<SaView> views = k.Views();
  for (auto it = first; it != last; ++it) {
    SaKeys& have = sas_[it->second];
    const bool same_keys = have.encr == k.encr && have.integ == k.integ &&
                           ConstantTimeEqual(have.encr_key, k.encr_key) &&
                           ConstantTimeEqual(have.integ_key, k.integ_key);
    bool shares_dst = false, shares_src = false, reversed = false;
    for (const SaView& v : have.Views()) {
      for (const SaView& w : views) {
        shares_dst = shares_dst || v.dst == w.dst;
        shares_src = shares_src || (!v.src.empty() && v.src == w.src);
        reversed = reversed || (!v.src.empty() && !v.dst.empty() && v.src == w.dst &&
                                v.dst == w.src && v.src != v.dst);
      }
    }
    ENSURE(same_keys || !shares_dst, kBadFile, kNoOffset, "",
           fmt::format("{} and {} give different algorithms or keys for {}", Origins(have),
                       Origins(k), k.Describe()));
    if (!same_keys) continue;
    if (reversed && !shares_dst) {
      reverse = true;
      continue;
    }
    const bool shares = shares_dst || shares_src;
    if (same == nullptr || (shares && !same_shares)) {
      same = &have;
      same_shares = shares;
    }
  }
  if (same == nullptr || (reverse && !same_shares)) {
    by_spi_.emplace(SpiKey(k.protocol, k.spi), sas_.size());
    sas_.push_back(std::move(k));
    return OkStatus();
  }
  SaKeys& have = *same;
  TRY(Agree(have.esn, k.esn, "ESN", have, k));
  TRY(Agree(have.mode, k.mode, "the mode", have, k));
  TRY(Agree(have.udp_encapsulation, k.udp_encapsulation, "UDP encapsulation", have, k));
  TRY(Agree(have.replay_window, k.replay_window, "the replay window", have, k));
  if (!have.esn) have.esn = k.esn;
  if (!have.mode) have.mode = k.mode;
  if (!have.udp_encapsulation) have.udp_encapsulation = k.udp_encapsulation;
  if (!have.replay_window) have.replay_window = k.replay_window;
  for (SaView w : views) MergeView(have, std::move(w));
  have.origins.insert(have.origins.end(), k.origins.begin(), k.origins.end());
  return OkStatus();
}

Status KeyStore::AddIke(Ikev2Keys k, std::string origin) {
  const auto [it, added] = ike_by_spis_.try_emplace({k.spi_i, k.spi_r}, ike_sas_.size());
  if (added) {
    ike_sas_.push_back(std::move(k));
    ike_origins_.emplace_back();
    if (!origin.empty()) ike_origins_.back().push_back(std::move(origin));
    return OkStatus();
  }
  Ikev2Keys& have = ike_sas_[it->second];
  std::vector<std::string>& origins = ike_origins_[it->second];
  ENSURE(SameIkeKeys(have, k), kBadFile, kNoOffset, "",
         fmt::format("{} and {} give different algorithms or keys for IKE SA {:016x}_i "
                     "{:016x}_r",
                     JoinOrigins(origins), origin.empty() ? "another source" : origin, k.spi_i,
                     k.spi_r));
  if (have.encr_key_bits == 0) have.encr_key_bits = k.encr_key_bits;
  if (!origin.empty() && std::find(origins.begin(), origins.end(), origin) == origins.end())
    origins.push_back(std::move(origin));
  return OkStatus();
}

Status KeyStore::AddIkev1(Ikev1Keys k) {
  for (Ikev1Keys& have : ikev1_sas_) {
    if (have.cookie_i != k.cookie_i) continue;
    const bool agree =
        (!have.cookie_r || !k.cookie_r || *have.cookie_r == *k.cookie_r) &&
        (have.encryption_key.empty() || k.encryption_key.empty() || have.encryption_key == k.encryption_key) &&
        (have.pre_shared_key.empty() || k.pre_shared_key.empty() ||
         (have.pre_shared_key == k.pre_shared_key && have.dh_shared_secret == k.dh_shared_secret));
    ENSURE(agree, kBadFile, kNoOffset, "",
           fmt::format("{} and {} give different keys for ISAKMP SA {:016x}_i", JoinOrigins(have.origins),
                       JoinOrigins(k.origins), k.cookie_i));
    if (!have.cookie_r) have.cookie_r = k.cookie_r;
    if (have.encryption_key.empty()) have.encryption_key = std::move(k.encryption_key);
    if (have.pre_shared_key.empty()) {
      have.pre_shared_key = std::move(k.pre_shared_key);
      have.dh_shared_secret = std::move(k.dh_shared_secret);
    }
    have.origins.insert(have.origins.end(), k.origins.begin(), k.origins.end());
    return OkStatus();
  }
  ikev1_sas_.push_back(std::move(k));
  return OkStatus();
}

const Ikev1Keys* KeyStore::FindIkev1(uint64_t cookie_i, uint64_t cookie_r) const {
  for (const Ikev1Keys& k : ikev1_sas_)
    if (k.cookie_i == cookie_i && (!k.cookie_r || cookie_r == 0 || *k.cookie_r == cookie_r)) return &k;
  return nullptr;
}

const Ikev2Keys* KeyStore::FindIke(uint64_t spi_i, uint64_t spi_r) const {
  const auto it = ike_by_spis_.find({spi_i, spi_r});
  return it == ike_by_spis_.end() ? nullptr : &ike_sas_[it->second];
}

//= rfc4301#section-4.1
//# Among SAs that share the SPI, the one that also matches the destination
//# is the longest match; the SPI alone decides when it names one SA.
const SaKeys* KeyStore::Find(SaProtocol protocol, uint32_t spi, ByteSpan dst) const {
  const auto [first, last] = by_spi_.equal_range(SpiKey(protocol, spi));
  const SaKeys* any = nullptr;
  const SaKeys* only = nullptr;
  size_t count = 0;
  for (auto it = first; it != last; ++it) {
    const SaKeys& k = sas_[it->second];
    ++count;
    only = &k;
    bool wildcard = k.dst.empty();
    if (std::equal(k.dst.begin(), k.dst.end(), dst.begin(), dst.end())) return &k;
    for (const SaView& v : k.other_views) {
      if (std::equal(v.dst.begin(), v.dst.end(), dst.begin(), dst.end())) return &k;
      wildcard = wildcard || v.dst.empty();
    }
    // The first added wins, as the files were read.
    if (wildcard && (any == nullptr || &k < any)) any = &k;
  }
  if (any != nullptr) return any;
  return count == 1 ? only : nullptr;
}

}  // namespace ipsecref::io
