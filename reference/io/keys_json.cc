#include "reference/io/keys_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "reference/crypto/transforms.h"

namespace ipsecref::io {
namespace {

using nlohmann::json;

// A replay window is a bitmap the receiver allocates: one far beyond any
// real window (RFC 4303 §3.4.3 asks for 32, prefers 64) is refused rather
// than allocated.
constexpr uint64_t kMaxReplayWindow = 1u << 20;

// Where a value sits: the file and the JSON pointer (RFC 6901) to it.
struct Where {
  std::string_view file;
  std::string pointer;

  Where operator/(std::string_view member) const {
    //= rfc6901#section-3
    //# In a reference token, '~' is written "~0" and '/' is written "~1".
    std::string token;
    for (char c : member) token += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return {file, fmt::format("{}/{}", pointer, token)};
  }
  Where operator/(size_t index) const { return {file, fmt::format("{}/{}", pointer, index)}; }
  std::string str() const { return fmt::format("{}: {}", file, pointer.empty() ? "/" : pointer); }
};

// Member names as they appear in the file.
constexpr std::string_view kComment = "comment";
constexpr std::array<std::string_view, 7> kTopMembers{"format", "version", "esp", "ah", "ike",
                                                      "ikev1", kComment};
constexpr std::array<std::string_view, 13> kEspMembers{
    "src", "dst", "spi", "encr", "encr_key_bits", "encr_key", "integ", "integ_key", "esn", "mode",
    "udp_encapsulation", "replay_window", kComment};
constexpr std::array<std::string_view, 10> kAhMembers{
    "src", "dst", "spi", "integ", "integ_key", "esn", "mode", "udp_encapsulation",
    "replay_window", kComment};
constexpr std::array<std::string_view, 10> kIkeMembers{
    "spi_i", "spi_r", "encr", "encr_key_bits", "integ", "sk_ei", "sk_er", "sk_ai", "sk_ar",
    kComment};

constexpr std::array<std::string_view, 7> kIkev1Members{
    "cookie_i", "cookie_r", "encryption_key", "psk", "psk_hex", "dh_shared_secret", kComment};

struct ModeName {
  std::string_view name;
  esp::Mode mode;
};
constexpr std::array<ModeName, 2> kModes{{{"tunnel", esp::Mode::kTunnel},
                                          {"transport", esp::Mode::kTransport}}};

template <size_t N>
std::string List(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

// An object whose members are all among `allowed`.
template <size_t N>
Status CheckObject(const json& j, const Where& w, std::string_view what,
                   const std::array<std::string_view, N>& allowed) {
  ENSURE(j.is_object(), kBadFile, kNoOffset, "",
         fmt::format("{}: {} must be an object, not {}", w.str(), what, j.type_name()));
  for (const auto& [key, value] : j.items()) {
    ENSURE(std::find(allowed.begin(), allowed.end(), key) != allowed.end(), kBadFile, kNoOffset,
           "",
           fmt::format("{}: unknown member \"{}\" ({} has: {})", (w / key).str(),
                       key.substr(0, 64), what, List(allowed)));
  }
  return OkStatus();
}

const json* Optional(const json& object, std::string_view member) {
  const auto it = object.find(member);
  return it == object.end() ? nullptr : &*it;
}

Result<const json*> Required(const json& object, std::string_view member, const Where& w) {
  const json* j = Optional(object, member);
  ENSURE(j != nullptr, kBadFile, kNoOffset, "",
         fmt::format("{}: missing member \"{}\"", w.str(), member));
  return j;
}

Result<std::string_view> String(const json& j, const Where& w, std::string_view expected) {
  ENSURE(j.is_string(), kBadFile, kNoOffset, "",
         fmt::format("{}: expected {}, found {}", w.str(), expected, j.type_name()));
  const std::string_view text = j.get_ref<const std::string&>();
  //= ipsecref#choice
  //# JSON strings may hold U+0000 (RFC 8259 §7), but no value keys.json
  //# names does: one would be read as a shorter string by the C functions
  //# that parse addresses, so a NUL character is refused wherever it is.
  const size_t nul = text.find('\0');
  ENSURE(nul == std::string_view::npos, kBadFile, kNoOffset, "",
         fmt::format("{}: expected {}, found a string with a NUL character (\\u0000) at "
                     "character {}",
                     w.str(), expected, nul + 1));
  return text;
}

Result<bool> Bool(const json& j, const Where& w) {
  ENSURE(j.is_boolean(), kBadFile, kNoOffset, "",
         fmt::format("{}: expected true or false, found {}", w.str(), j.type_name()));
  return j.get<bool>();
}

Result<uint64_t> Unsigned(const json& j, const Where& w, uint64_t max, std::string_view what) {
  ENSURE(j.is_number_unsigned() && j.get<uint64_t>() <= max, kBadFile, kNoOffset, "",
         fmt::format("{}: expected {} (a whole number from 0 to {}), found {}", w.str(), what,
                     max, j.is_number() ? j.dump() : std::string(j.type_name())));
  return j.get<uint64_t>();
}

// An SPI: "0x" and up to `bits`/4 hex digits, or a number.
Result<uint64_t> Spi(const json& j, const Where& w, unsigned bits) {
  const uint64_t max = bits == 64 ? std::numeric_limits<uint64_t>::max() : (1ull << bits) - 1;
  if (!j.is_string()) return Unsigned(j, w, max, fmt::format("a {}-bit SPI", bits));
  TRY_ASSIGN(const std::string_view text, String(j, w, fmt::format("a {}-bit SPI", bits)));
  uint64_t value = 0;
  const bool hex = text.starts_with("0x") || text.starts_with("0X");
  const std::string_view digits = hex ? text.substr(2) : std::string_view();
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  ENSURE(hex && !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
             value <= max,
         kBadFile, kNoOffset, "",
         fmt::format("{}: \"{}\" is not a {}-bit SPI (\"0x\" and hex digits, or a number)",
                     w.str(), text.substr(0, 64), bits));
  return value;
}

Result<Bytes> Address(const json& j, const Where& w) {
  TRY_ASSIGN(std::string_view text, String(j, w, "an IPv4 or IPv6 address or \"*\""));
  auto address = ParseAddress(text);
  ENSURE(address.ok(), kBadFile, kNoOffset, "",
         fmt::format("{}: \"{}\" is not an IPv4 or IPv6 address or \"*\"", w.str(),
                     text.substr(0, 64)));
  return std::move(address).value();
}

// Hex digits, two per octet, after an optional "0x".
Result<SecureBytes> Key(const json& j, const Where& w) {
  TRY_ASSIGN(std::string_view text, String(j, w, "a key in hex"));
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    ENSURE(digit, kBadFile, kNoOffset, "",
           fmt::format("{}: character {} of the key is not a hex digit", w.str(), i + 1));
  }
  ENSURE(text.size() % 2 == 0, kBadFile, kNoOffset, "",
         fmt::format("{}: {} hex digits: a key has two per octet", w.str(), text.size()));
  auto key = SecureFromHex(text);
  ENSURE(key.ok(), kBadFile, kNoOffset, "", fmt::format("{}: not hex", w.str()));
  return std::move(key).value();
}

// A transform by its IANA name or number.
template <typename E>
Result<E> Transform(const json& j, const Where& w, std::optional<E> (*from_name)(std::string_view),
                    std::string_view registry) {
  if (j.is_string()) {
    TRY_ASSIGN(const std::string_view name,
               String(j, w, fmt::format("an {} transform name or number", registry)));
    const std::optional<E> id = from_name(name);
    ENSURE(id.has_value(), kUnknownTransform, kNoOffset, "",
           fmt::format("{}: \"{}\" is not an IANA {} transform name", w.str(),
                       name.substr(0, 64), registry));
    return *id;
  }
  TRY_ASSIGN(const uint64_t number,
             Unsigned(j, w, 0xffff, fmt::format("an {} transform name or number", registry)));
  return static_cast<E>(number);
}

Result<esp::Mode> Mode(const json& j, const Where& w) {
  TRY_ASSIGN(std::string_view text, String(j, w, "\"tunnel\" or \"transport\""));
  for (const ModeName& m : kModes)
    if (m.name == text) return m.mode;
  return MakeError(Code::kBadFile, kNoOffset, "",
                   fmt::format("{}: mode \"{}\" is neither \"tunnel\" nor \"transport\"", w.str(),
                               text.substr(0, 64)));
}

std::string_view ModeText(esp::Mode mode) {
  for (const ModeName& m : kModes)
    if (m.mode == mode) return m.name;
  return "?";
}

std::string KeySizes(const crypto::EncrTransform& t) {
  std::string out;
  for (uint16_t bits : t.key_bits) {
    if (bits == 0 && t.id != iana::Encr::kNull) continue;
    out += fmt::format("{}{}", out.empty() ? "" : ", ", bits / 8 + t.salt_size);
  }
  return out;
}

// The encryption transform and its keying material; `bits` is the stated
// encr_key_bits, if any. Names the member that is wrong.
Result<const crypto::EncrTransform*> CheckEncr(iana::Encr id, const SecureBytes& keymat,
                                               std::optional<uint64_t> bits, const Where& w,
                                               std::string_view key_member) {
  const crypto::EncrTransform* t = crypto::FindEncr(id);
  ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "",
         fmt::format("{}: {} ({}) is not implemented by the reference", (w / "encr").str(),
                     iana::Name(id) == "UNKNOWN" ? "unassigned" : iana::Name(id),
                     static_cast<unsigned>(id)));
  const std::string salt =
      t->salt_size ? fmt::format(" and its {}-octet salt", t->salt_size) : std::string();
  ENSURE(t->AcceptsKeymat(keymat.size()), kBadKeyLength, kNoOffset, t->rfc,
         fmt::format("{}: {} takes {} octets (key{}), not {}", (w / key_member).str(), t->name(),
                     KeySizes(*t), salt, keymat.size()));
  if (bits) {
    const uint64_t given = (keymat.size() - t->salt_size) * 8;
    ENSURE(*bits == given, kBadKeyLength, kNoOffset, t->rfc,
           fmt::format("{}: {} bits stated, but {} holds a {}-bit key{}", (w / "encr_key_bits").str(),
                       *bits, key_member, given, salt));
  }
  return t;
}

Status CheckInteg(iana::Integ id, const SecureBytes& key, const Where& w,
                  std::string_view key_member) {
  if (id == iana::Integ::kNone) {
    ENSURE(key.empty(), kBadKeyLength, kNoOffset, "",
           fmt::format("{}: a key without an integrity transform", (w / key_member).str()));
    return OkStatus();
  }
  const crypto::IntegTransform* t = crypto::FindInteg(id);
  ENSURE(t != nullptr, kUnknownTransform, kNoOffset, "",
         fmt::format("{}: {} ({}) is not implemented by the reference", (w / "integ").str(),
                     iana::Name(id) == "UNKNOWN" ? "unassigned" : iana::Name(id),
                     static_cast<unsigned>(id)));
  ENSURE(key.size() == t->key_size, kBadKeyLength, kNoOffset, t->rfc,
         fmt::format("{}: {} takes a {}-octet key, not {}", (w / key_member).str(), t->name(),
                     t->key_size, key.size()));
  return OkStatus();
}

// What SAs carry beside their keys.
Status ParseSaCommon(const json& j, const Where& w, SaKeys& k) {
  TRY_ASSIGN(const json* src, Required(j, "src", w));
  TRY_ASSIGN(const json* dst, Required(j, "dst", w));
  TRY_ASSIGN(k.src, Address(*src, w / "src"));
  TRY_ASSIGN(k.dst, Address(*dst, w / "dst"));
  ENSURE(k.src.empty() || k.dst.empty() || k.src.size() == k.dst.size(), kBadFile, kNoOffset, "",
         fmt::format("{}: source and destination are of different address families",
                     (w / "dst").str()));
  TRY_ASSIGN(const json* spi, Required(j, "spi", w));
  TRY_ASSIGN(const uint64_t spi_value, Spi(*spi, w / "spi", 32));
  //= rfc4303#section-2.1
  //# SPI 0 is reserved for local use and never sent on the wire (the same
  //# for AH, rfc4302#section-2.4): no SA of a capture has it.
  ENSURE(spi_value != 0, kBadFile, kNoOffset, "rfc4303#section-2.1",
         fmt::format("{}: SPI 0 is reserved and never sent", (w / "spi").str()));
  k.spi = static_cast<uint32_t>(spi_value);
  if (const json* esn = Optional(j, "esn")) {
    TRY_ASSIGN(k.esn, Bool(*esn, w / "esn"));
  }
  if (const json* mode = Optional(j, "mode")) {
    TRY_ASSIGN(k.mode, Mode(*mode, w / "mode"));
  }
  if (const json* udp = Optional(j, "udp_encapsulation")) {
    TRY_ASSIGN(k.udp_encapsulation, Bool(*udp, w / "udp_encapsulation"));
  }
  if (const json* window = Optional(j, "replay_window")) {
    TRY_ASSIGN(const uint64_t size,
               Unsigned(*window, w / "replay_window", kMaxReplayWindow, "a window size"));
    k.replay_window = static_cast<uint32_t>(size);
  }
  k.origins.push_back(w.str());
  return OkStatus();
}

Result<SaKeys> ParseEsp(const json& j, const Where& w) {
  TRY(CheckObject(j, w, "an esp entry", kEspMembers));
  SaKeys k;
  k.protocol = SaProtocol::kEsp;
  TRY(ParseSaCommon(j, w, k));
  TRY_ASSIGN(const json* encr, Required(j, "encr", w));
  TRY_ASSIGN(k.encr, Transform(*encr, w / "encr", iana::EncrFromName, "encryption"));
  TRY_ASSIGN(const json* encr_key, Required(j, "encr_key", w));
  TRY_ASSIGN(k.encr_key, Key(*encr_key, w / "encr_key"));
  std::optional<uint64_t> bits;
  if (const json* b = Optional(j, "encr_key_bits")) {
    TRY_ASSIGN(bits, Unsigned(*b, w / "encr_key_bits", 0xffff, "a key length in bits"));
  }
  TRY_ASSIGN(const crypto::EncrTransform* t, CheckEncr(k.encr, k.encr_key, bits, w, "encr_key"));
  if (const json* integ = Optional(j, "integ")) {
    TRY_ASSIGN(k.integ, Transform(*integ, w / "integ", iana::IntegFromName, "integrity"));
  }
  //= rfc4303#section-3.2.3
  //# A combined-mode algorithm brings its own integrity; it is not paired
  //# with a separate integrity algorithm.
  ENSURE(!t->aead || k.integ == iana::Integ::kNone, kBadTransformCombination, kNoOffset,
         "rfc4303#section-3.2.3",
         fmt::format("{}: {} is a combined-mode algorithm; integ must be NONE, not {}",
                     (w / "integ").str(), t->name(), iana::Name(k.integ)));
  const json* integ_key = Optional(j, "integ_key");
  ENSURE(integ_key != nullptr || k.integ == iana::Integ::kNone, kBadFile, kNoOffset, "",
         fmt::format("{}: missing member \"integ_key\" for {}", w.str(), iana::Name(k.integ)));
  if (integ_key != nullptr) {
    TRY_ASSIGN(k.integ_key, Key(*integ_key, w / "integ_key"));
  }
  TRY(CheckInteg(k.integ, k.integ_key, w, "integ_key"));
  TRY(ValidateSaKeys(k));
  return k;
}

Result<SaKeys> ParseAh(const json& j, const Where& w) {
  TRY(CheckObject(j, w, "an ah entry", kAhMembers));
  SaKeys k;
  k.protocol = SaProtocol::kAh;
  TRY(ParseSaCommon(j, w, k));
  //= rfc3948#section-2
  //# UDP encapsulation is defined for ESP only.
  ENSURE(!k.udp_encapsulation.value_or(false), kBadFile, kNoOffset, "rfc3948#section-2",
         fmt::format("{}: AH is never UDP-encapsulated", (w / "udp_encapsulation").str()));
  TRY_ASSIGN(const json* integ, Required(j, "integ", w));
  TRY_ASSIGN(k.integ, Transform(*integ, w / "integ", iana::IntegFromName, "integrity"));
  //= rfc4302#section-3.2
  //# AH is nothing but its integrity check: it needs an integrity algorithm.
  ENSURE(k.integ != iana::Integ::kNone, kBadTransformCombination, kNoOffset,
         "rfc4302#section-3.2",
         fmt::format("{}: an AH SA needs an integrity transform, not NONE", (w / "integ").str()));
  TRY_ASSIGN(const json* integ_key, Required(j, "integ_key", w));
  TRY_ASSIGN(k.integ_key, Key(*integ_key, w / "integ_key"));
  TRY(CheckInteg(k.integ, k.integ_key, w, "integ_key"));
  TRY(ValidateSaKeys(k));
  return k;
}

// The checks an IKE SA's keys must pass, for the parser and the writer.
Status ValidateIke(const Ikev2Keys& k, std::optional<uint64_t> bits, const Where& w) {
  //= rfc7296#section-3.1
  //# The initiator's SPI is never zero.
  ENSURE(k.spi_i != 0, kBadFile, kNoOffset, "rfc7296#section-3.1",
         fmt::format("{}: the initiator's SPI is never 0", (w / "spi_i").str()));
  TRY_ASSIGN(const crypto::EncrTransform* t, CheckEncr(k.encr, k.sk_ei, bits, w, "sk_ei"));
  TRY(CheckEncr(k.encr, k.sk_er, bits, w, "sk_er"));
  ENSURE(k.sk_ei.size() == k.sk_er.size(), kBadKeyLength, kNoOffset, "rfc7296#section-2.14",
         fmt::format("{}: {} octets, but sk_ei has {}: both directions use one key length",
                     (w / "sk_er").str(), k.sk_er.size(), k.sk_ei.size()));
  //= rfc7296#section-3.3.2
  //# IKE SAs always encrypt: ENCR_NULL (and GMAC, integrity only) are for
  //# ESP alone.
  ENSURE(t->confidentiality, kBadTransformCombination, kNoOffset, "rfc7296#section-3.3.2",
         fmt::format("{}: {} is not allowed for IKE", (w / "encr").str(), t->name()));
  //= rfc5282#section-8
  //# A combined-mode cipher protects integrity itself: an IKE SA that uses
  //# one negotiates no integrity algorithm; any other needs one.
  ENSURE(t->aead == (k.integ == iana::Integ::kNone), kBadTransformCombination, kNoOffset,
         t->aead ? "rfc5282#section-8" : "rfc7296#section-3.3.3",
         fmt::format("{}: {} {}", (w / "integ").str(), t->name(),
                     t->aead ? fmt::format("is combined-mode; integ must be NONE, not {}",
                                           iana::Name(k.integ))
                             : std::string("needs an integrity transform")));
  TRY(CheckInteg(k.integ, k.sk_ai, w, "sk_ai"));
  TRY(CheckInteg(k.integ, k.sk_ar, w, "sk_ar"));
  return OkStatus();
}

Result<Ikev2Keys> ParseIke(const json& j, const Where& w) {
  TRY(CheckObject(j, w, "an ike entry", kIkeMembers));
  Ikev2Keys k;
  TRY_ASSIGN(const json* spi_i, Required(j, "spi_i", w));
  TRY_ASSIGN(k.spi_i, Spi(*spi_i, w / "spi_i", 64));
  TRY_ASSIGN(const json* spi_r, Required(j, "spi_r", w));
  TRY_ASSIGN(k.spi_r, Spi(*spi_r, w / "spi_r", 64));
  TRY_ASSIGN(const json* encr, Required(j, "encr", w));
  TRY_ASSIGN(k.encr, Transform(*encr, w / "encr", iana::EncrFromName, "encryption"));
  std::optional<uint64_t> bits;
  if (const json* b = Optional(j, "encr_key_bits")) {
    TRY_ASSIGN(bits, Unsigned(*b, w / "encr_key_bits", 0xffff, "a key length in bits"));
  }
  for (auto [member, key] : {std::pair{"sk_ei", &k.sk_ei}, std::pair{"sk_er", &k.sk_er}}) {
    TRY_ASSIGN(const json* value, Required(j, member, w));
    TRY_ASSIGN(*key, Key(*value, w / member));
  }
  if (const json* integ = Optional(j, "integ")) {
    TRY_ASSIGN(k.integ, Transform(*integ, w / "integ", iana::IntegFromName, "integrity"));
  }
  for (auto [member, key] : {std::pair{"sk_ai", &k.sk_ai}, std::pair{"sk_ar", &k.sk_ar}}) {
    const json* value = Optional(j, member);
    ENSURE(value != nullptr || k.integ == iana::Integ::kNone, kBadFile, kNoOffset, "",
           fmt::format("{}: missing member \"{}\" for {}", w.str(), member, iana::Name(k.integ)));
    if (value != nullptr) {
      TRY_ASSIGN(*key, Key(*value, w / member));
    }
  }
  TRY(ValidateIke(k, bits, w));
  //= rfc7296#section-3.3.5
  //# A transform of one fixed key length carries no Key Length attribute:
  //# such SAs keep 0, as the other key files give them.
  const crypto::EncrTransform* t = crypto::FindEncr(k.encr);
  k.encr_key_bits = t->fixed_key_bits() != 0 ? 0 : (k.sk_ei.size() - t->salt_size) * 8;
  return k;
}

// An ISAKMP SA (IKEv1): its encryption key, or the pre-shared key and g^xy
// that RFC 2409 §5 derives it from.
Result<Ikev1Keys> ParseIkev1(const json& j, const Where& w) {
  TRY(CheckObject(j, w, "an ikev1 entry", kIkev1Members));
  Ikev1Keys k;
  TRY_ASSIGN(const json* cookie_i, Required(j, "cookie_i", w));
  TRY_ASSIGN(k.cookie_i, Spi(*cookie_i, w / "cookie_i", 64));
  if (const json* cookie_r = Optional(j, "cookie_r")) {
    TRY_ASSIGN(k.cookie_r, Spi(*cookie_r, w / "cookie_r", 64));
  }
  const json* key = Optional(j, "encryption_key");
  const json* psk = Optional(j, "psk");
  const json* psk_hex = Optional(j, "psk_hex");
  const json* g_xy = Optional(j, "dh_shared_secret");
  const bool derived = psk != nullptr || psk_hex != nullptr || g_xy != nullptr;
  ENSURE((key != nullptr) != derived, kBadFile, kNoOffset, "",
         fmt::format("{}: give either \"encryption_key\" or \"psk\" (or \"psk_hex\") with "
                     "\"dh_shared_secret\"",
                     w.str()));
  if (key != nullptr) {
    TRY_ASSIGN(k.encryption_key, Key(*key, w / "encryption_key"));
    ENSURE(!k.encryption_key.empty(), kBadKeyLength, kNoOffset, "",
           fmt::format("{}: an empty key", (w / "encryption_key").str()));
  } else {
    ENSURE((psk != nullptr) != (psk_hex != nullptr) && g_xy != nullptr, kBadFile, kNoOffset, "",
           fmt::format("{}: a derived entry takes one of \"psk\" and \"psk_hex\", and "
                       "\"dh_shared_secret\"",
                       w.str()));
    if (psk != nullptr) {
      TRY_ASSIGN(const std::string_view text, String(*psk, w / "psk", "the pre-shared key as text"));
      k.pre_shared_key = ToSecure(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    } else {
      TRY_ASSIGN(k.pre_shared_key, Key(*psk_hex, w / "psk_hex"));
    }
    ENSURE(!k.pre_shared_key.empty(), kBadKeyLength, kNoOffset, "",
           fmt::format("{}: an empty pre-shared key", (w / (psk ? "psk" : "psk_hex")).str()));
    TRY_ASSIGN(k.dh_shared_secret, Key(*g_xy, w / "dh_shared_secret"));
    ENSURE(!k.dh_shared_secret.empty(), kBadKeyLength, kNoOffset, "",
           fmt::format("{}: an empty shared secret", (w / "dh_shared_secret").str()));
  }
  k.origins.push_back(w.str());
  return k;
}

template <typename T>
Status ParseArray(const json& top, std::string_view member, const Where& root,
                  Result<T> (*parse)(const json&, const Where&), std::vector<T>& out,
                  std::vector<std::string>* origins = nullptr) {
  const json* list = Optional(top, member);
  if (list == nullptr) return OkStatus();
  const Where w = root / member;
  ENSURE(list->is_array(), kBadFile, kNoOffset, "",
         fmt::format("{}: expected an array, found {}", w.str(), list->type_name()));
  for (size_t i = 0; i < list->size(); ++i) {
    TRY_ASSIGN(T entry, parse((*list)[i], w / i));
    out.push_back(std::move(entry));
    if (origins != nullptr) origins->push_back((w / i).str());
  }
  return OkStatus();
}

// Overwrites every string of `j` (keys are among them) before it is freed.
// Iterative: a file may nest arrays deeper than the stack would go.
void Wipe(json& j) {
  std::vector<json*> pending{&j};
  while (!pending.empty()) {
    json* next = pending.back();
    pending.pop_back();
    if (next->is_string()) {
      std::string& s = next->get_ref<std::string&>();
      std::fill(s.begin(), s.end(), '\0');
    } else if (next->is_structured()) {
      for (json& child : *next) pending.push_back(&child);
    }
  }
}

Result<json> ParseText(std::string_view text, std::string_view name) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // nlohmann counts the bytes read, the bad one included.
    const size_t offset = e.byte == 0 ? 0 : std::min<size_t>(e.byte - 1, text.size());
    const size_t line = 1 + std::count(text.begin(), text.begin() + offset, '\n');
    const size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    const size_t column =
        offset + 1 - (line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1);
    std::string what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string::npos)
      what.erase(0, bracket + 2);
    return MakeError(Code::kBadFile, offset, "rfc8259#section-2",
                     fmt::format("{}: JSON syntax error at byte offset {} (line {}, column {}): {}",
                                 name, offset, line, column, what));
  } catch (const json::exception& e) {
    // A number beyond what a double holds ("1e999"): nlohmann does not say
    // where.
    std::string what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string::npos)
      what.erase(0, bracket + 2);
    return MakeError(Code::kBadFile, kNoOffset, "rfc8259#section-6",
                     fmt::format("{}: JSON number out of range: {}", name, what));
  }
}

json SaCommonJson(const SaKeys& k) {
  json j = {{"src", FormatAddress(k.src)},
            {"dst", FormatAddress(k.dst)},
            {"spi", fmt::format("{:#010x}", k.spi)}};
  return j;
}

void AddOptional(json& j, const SaKeys& k) {
  if (k.esn) j["esn"] = *k.esn;
  if (k.mode) j["mode"] = ModeText(*k.mode);
  if (k.udp_encapsulation) j["udp_encapsulation"] = *k.udp_encapsulation;
  if (k.replay_window) j["replay_window"] = *k.replay_window;
}

template <typename E>
std::string NameOf(E id) {
  return std::string(iana::Name(id));
}

}  // namespace

Result<KeysJson> ParseKeysJson(std::string_view text, std::string_view name) {
  TRY_ASSIGN(json top, ParseText(text, name));
  const Where root{name, ""};
  KeysJson keys;
  const Status parsed = [&]() -> Status {
    TRY(CheckObject(top, root, "a keys.json file", kTopMembers));
    TRY_ASSIGN(const json* format, Required(top, "format", root));
    ENSURE(format->is_string() && format->get_ref<const std::string&>() == kKeysJsonFormat,
           kBadFile, kNoOffset, "",
           fmt::format("{}: expected \"{}\", found {}", (root / "format").str(), kKeysJsonFormat,
                       format->dump().substr(0, 64)));
    TRY_ASSIGN(const json* version, Required(top, "version", root));
    ENSURE(version->is_number_unsigned() && version->get<uint64_t>() == kKeysJsonVersion,
           kBadFile, kNoOffset, "",
           fmt::format("{}: version {} is not one this ipsecref reads (it reads {})",
                       (root / "version").str(), version->dump().substr(0, 64), kKeysJsonVersion));
    TRY(ParseArray<SaKeys>(top, "esp", root, ParseEsp, keys.sas));
    TRY(ParseArray<SaKeys>(top, "ah", root, ParseAh, keys.sas));
    TRY(ParseArray<Ikev2Keys>(top, "ike", root, ParseIke, keys.ike_sas, &keys.ike_origins));
    TRY(ParseArray<Ikev1Keys>(top, "ikev1", root, ParseIkev1, keys.ikev1_sas));
    return OkStatus();
  }();
  Wipe(top);
  TRY(parsed);
  return keys;
}

Result<std::string> WriteKeysJson(const std::vector<SaKeys>& sas,
                                  const std::vector<Ikev2Keys>& ike_sas) {
  json top = {{"format", kKeysJsonFormat}, {"version", kKeysJsonVersion}};
  json esp = json::array(), ah = json::array(), ike = json::array();
  const Status built = [&]() -> Status {
    for (const SaKeys& k : sas) {
      TRY(ValidateSaKeys(k));
      json j = SaCommonJson(k);
      if (k.protocol == SaProtocol::kEsp) {
        const crypto::EncrTransform* t = crypto::FindEncr(k.encr);
        j["encr"] = NameOf(k.encr);
        j["encr_key_bits"] = (k.encr_key.size() - t->salt_size) * 8;
        j["encr_key"] = ToHex(k.encr_key);
      }
      j["integ"] = NameOf(k.integ);
      if (k.integ != iana::Integ::kNone) j["integ_key"] = ToHex(k.integ_key);
      AddOptional(j, k);
      (k.protocol == SaProtocol::kEsp ? esp : ah).push_back(std::move(j));
    }
    for (const Ikev2Keys& k : ike_sas) {
      const std::string sa = fmt::format("IKE SA {:016x}_i {:016x}_r", k.spi_i, k.spi_r);
      const Where w{sa, ""};
      TRY(ValidateIke(k, std::nullopt, w));
      const crypto::EncrTransform* t = crypto::FindEncr(k.encr);
      json j = {{"spi_i", fmt::format("{:#018x}", k.spi_i)},
                {"spi_r", fmt::format("{:#018x}", k.spi_r)},
                {"encr", NameOf(k.encr)},
                {"encr_key_bits", (k.sk_ei.size() - t->salt_size) * 8},
                {"sk_ei", ToHex(k.sk_ei)},
                {"sk_er", ToHex(k.sk_er)},
                {"integ", NameOf(k.integ)}};
      if (k.integ != iana::Integ::kNone) {
        j["sk_ai"] = ToHex(k.sk_ai);
        j["sk_ar"] = ToHex(k.sk_ar);
      }
      ike.push_back(std::move(j));
    }
    return OkStatus();
  }();
  if (!esp.empty()) top["esp"] = std::move(esp);
  if (!ah.empty()) top["ah"] = std::move(ah);
  if (!ike.empty()) top["ike"] = std::move(ike);
  std::string out = built.ok() ? top.dump(2) + "\n" : std::string();
  Wipe(top);
  TRY(built);
  return out;
}

bool LooksLikeKeysJson(std::string_view path, std::string_view text) {
  if (path.ends_with(".json")) return true;
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

}  // namespace ipsecref::io
