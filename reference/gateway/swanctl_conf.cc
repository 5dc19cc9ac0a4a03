#include "reference/gateway/swanctl_conf.h"

#include <arpa/inet.h>
#include <dirent.h>

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include <charconv>

#include "reference/crypto/x509.h"
#include "reference/gateway/identity.h"
#include "reference/gateway/settings.h"
#include "reference/gateway/swanctl_internal.h"
#include "reference/ike/sa/proposals.h"

namespace ipsecref::gateway::swanctl {

using ike::sa::Time;
using iana::SecurityProtocol;

Error ErrorAt(const SettingsNode& n, Code code, std::string detail) {
  return MakeError(code, kNoOffset, "", fmt::format("{}: {}", n.Where(), detail));
}
Error BadValue(const SettingsNode& n, std::string_view why) {
  return ErrorAt(n, Code::kInvalidArgument, fmt::format("{} = '{}': {}", n.name, n.value, why));
}
Error Unsupported(const SettingsNode& n, std::string_view why) {
  return ErrorAt(n, Code::kUnsupported, fmt::format("{} = '{}': {}", n.name, n.value, why));
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view entry = Trim(text.substr(0, comma));
    if (!entry.empty()) out.emplace_back(entry);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }
  return out;
}

//= ipsecref#choice
//# strongSwan's boolean words (settings_value_as_bool: yes, true, enabled,
//# on, 1 and their opposites).
constexpr Choice<bool> kBool[] = {{"yes", true},      {"true", true},       {"enabled", true}, {"on", true},
                                  {"1", true},        {"no", false},        {"false", false},  {"disabled", false},
                                  {"off", false},     {"0", false}};

Result<bool> ParseBool(const SettingsNode& n) { return Choose<bool>(n, kBool); }

// A number in decimal or 0x hex (swanctl.conf, "Number Formats").
Result<uint64_t> ParseNumber(const SettingsNode& n, uint64_t max) {
  std::string_view text = n.value;
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t value = 0;
  if (text.empty()) return BadValue(n, "not a number");
  for (const char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return BadValue(n, "not a number (decimal or 0x hex)");
    if (value > (max - static_cast<uint64_t>(digit)) / static_cast<uint64_t>(base))
      return BadValue(n, fmt::format("larger than {}", max));
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
  }
  return value;
}

// A duration: a number with an optional unit s (the default), m, h or d
// (swanctl.conf's time values), in milliseconds.
Result<Time> ParseTime(const SettingsNode& n) {
  constexpr std::pair<char, uint64_t> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  uint64_t unit = 1;
  SettingsNode number = n;
  for (const auto& [suffix, seconds] : kUnits)
    if (!number.value.empty() && number.value.back() == suffix) {
      unit = seconds;
      number.value.pop_back();
      break;  // one unit: "1ms" is no duration
    }
  //= ipsecref#choice
  //# Durations stop at 10 years: anything longer means "never" in practice
  //# and stays far from overflowing milliseconds.
  constexpr uint64_t kMaxSeconds = 10ull * 365 * 86400;
  auto value = ParseNumber(number, kMaxSeconds);
  if (!value.ok() || *value * unit > kMaxSeconds)
    return BadValue(n, fmt::format("not a duration (a number of seconds, or with the unit s, m, h or d; "
                                   "at most {} s)", kMaxSeconds));
  return static_cast<Time>(*value * unit * 1000);
}

Result<uint16_t> ParsePort(const SettingsNode& n) {
  TRY_ASSIGN(const uint64_t port, ParseNumber(n, 65535));
  if (port == 0) return BadValue(n, "port 0");
  return static_cast<uint16_t>(port);
}

// An address as inet_pton reads it: 4 or 16 bytes, or nullopt.
std::optional<Bytes> ParseAddress(std::string_view text) {
  const std::string s(text);
  uint8_t address[16];
  if (inet_pton(AF_INET, s.c_str(), address) == 1) return Bytes(address, address + 4);
  if (inet_pton(AF_INET6, s.c_str(), address) == 1) return Bytes(address, address + 16);
  return std::nullopt;
}

Result<std::vector<AddressEntry>> ParseAddresses(const SettingsNode& n) {
  std::vector<AddressEntry> out;
  for (const std::string& entry : SplitList(n.value)) {
    if (entry == "%any" || entry == "%any4" || entry == "%any6") {
      out.push_back({});
      continue;
    }
    std::optional<Bytes> address = ParseAddress(entry);
    if (!address)
      return BadValue(n, fmt::format("'{}' is not an IPv4 or IPv6 address or %any (host names, ranges and "
                                     "subnets are not supported)", entry));
    out.push_back({std::move(*address)});
  }
  return out;
}

Result<std::vector<ike::Proposal>> ParseProposalList(const SettingsNode& n, SecurityProtocol protocol) {
  auto proposals = ike::sa::ParseProposals(n.value, protocol);
  if (!proposals.ok()) {
    const Error& e = proposals.error();
    return ErrorAt(n, e.code == Code::kUnsupported ? Code::kUnsupported : Code::kInvalidArgument,
                   fmt::format("{} = '{}': {}", n.name, n.value, e.detail));
  }
  return std::move(*proposals);
}

// ------------------------------------------------------------------ credentials

namespace {

Result<std::string> ReadCredentialFile(const SettingsNode& n, const std::string& path) {
  auto text = ReadBoundedFile(path, kMaxSettingsFileSize);
  if (!text.ok()) return ErrorAt(n, text.error().code, fmt::format("{}: {}", n.name, text.error().detail));
  return std::move(*text);
}

ByteSpan AsBytes(const std::string& s) { return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace

Result<Bytes> LoadCertificate(const SettingsNode& n, const std::string& path) {
  TRY_ASSIGN(const std::string data, ReadCredentialFile(n, path));
  auto der = crypto::CertificateToDer(AsBytes(data));
  if (!der.ok()) return ErrorAt(n, Code::kBadFile, fmt::format("{}: '{}': {}", n.name, path, der.error().detail));
  return std::move(*der);
}

Result<Bytes> LoadPublicKey(const SettingsNode& n, const std::string& path) {
  TRY_ASSIGN(const std::string data, ReadCredentialFile(n, path));
  auto der = crypto::PublicKeyToDer(AsBytes(data));
  if (!der.ok()) return ErrorAt(n, Code::kBadFile, fmt::format("{}: '{}': {}", n.name, path, der.error().detail));
  return std::move(*der);
}

namespace {

Result<crypto::PrivateKey> LoadPrivateKey(const SettingsNode& n, const std::string& path) {
  TRY_ASSIGN(const std::string data, ReadCredentialFile(n, path));
  auto key = crypto::ReadPrivateKey(AsBytes(data));
  if (!key.ok()) return ErrorAt(n, Code::kBadFile, fmt::format("{}: '{}': {}", n.name, path, key.error().detail));
  return std::move(*key);
}

// The regular files of a directory, sorted; none when it does not exist.
std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    out.push_back(JoinPath(dir, e->d_name));
    if (out.size() > kMaxSettingsFiles) break;
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// What `swanctl --load-creds` loads without being told: the private keys of
// private/, ecdsa/, rsa/, pkcs8/ and the CA certificates of x509ca/.
Status LoadCredentialDirectories(const SettingsNode& root, Credentials& creds) {
  for (const std::string_view dir : {"private", "ecdsa", "rsa", "pkcs8"})
    for (const std::string& file : FilesIn(JoinPath(creds.config_dir, dir))) {
      SettingsNode where{std::string(dir) + "/", root.file, 0, false, {}, {}};  // no line: a directory
      TRY_ASSIGN(crypto::PrivateKey key, LoadPrivateKey(where, file));
      creds.keys.push_back(std::move(key));
    }
  for (const std::string& file : FilesIn(JoinPath(creds.config_dir, "x509ca"))) {
    SettingsNode where{"x509ca/", root.file, 0, false, {}, {}};
    TRY_ASSIGN(Bytes ca, LoadCertificate(where, file));
    creds.cas.push_back(std::move(ca));
  }
  return OkStatus();
}

// A base64 text (RFC 4648 §4, padding optional) or nullopt.
std::optional<SecureBytes> FromBase64(std::string_view text) {
  SecureBytes out;
  uint32_t bits = 0;
  int count = 0;
  size_t padding = 0;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') { ++padding; continue; }
    if (v < 0 || padding > 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if (++count % 4 == 0) {
      out.push_back(static_cast<uint8_t>(bits >> 16));
      out.push_back(static_cast<uint8_t>(bits >> 8));
      out.push_back(static_cast<uint8_t>(bits));
      bits = 0;
    }
  }
  if (padding > 2 || count % 4 == 1) return std::nullopt;
  if (count % 4 == 2) out.push_back(static_cast<uint8_t>(bits >> 4));
  if (count % 4 == 3) {
    out.push_back(static_cast<uint8_t>(bits >> 10));
    out.push_back(static_cast<uint8_t>(bits >> 2));
  }
  return out;
}

// A secret as strongSwan reads one: 0x hex, 0s base64, or the text itself.
Result<SecureBytes> ParseSecret(const SettingsNode& n) {
  const std::string_view v = n.value;
  if (v.starts_with("0x")) {
    auto hex = SecureFromHex(v.substr(2));
    if (!hex.ok() || hex->empty()) return ErrorAt(n, Code::kInvalidArgument, "secret: bad hex after 0x");
    return std::move(*hex);
  }
  if (v.starts_with("0s")) {
    auto b64 = FromBase64(v.substr(2));
    if (!b64 || b64->empty()) return ErrorAt(n, Code::kInvalidArgument, "secret: bad base64 after 0s");
    return std::move(*b64);
  }
  if (v.empty()) return ErrorAt(n, Code::kInvalidArgument, "secret: empty");
  return SecureBytes(v.begin(), v.end());
}

}  // namespace

Status RequireSection(const SettingsNode& n, std::string_view what) {
  if (n.section) return OkStatus();
  return ErrorAt(n, Code::kInvalidArgument, fmt::format("'{}' must be a section ({} {{ ... }})", n.name, what));
}
Status RequireSetting(const SettingsNode& n) {
  if (!n.section) return OkStatus();
  return ErrorAt(n, Code::kInvalidArgument, fmt::format("'{}' must be a setting ({} = ...), not a section", n.name, n.name));
}

namespace {

// A secret's owners: `id` and `id-SUFFIX`, each an identity.
bool IsOwner(const SettingsNode& n) { return n.name == "id" || n.name.starts_with("id-"); }
Status ReadOwner(const SettingsNode& n, std::vector<Identity>& ids) {
  auto id = ParseIdentity(n.value);
  if (!id.ok()) return BadValue(n, id.error().detail);
  ids.push_back(std::move(*id));
  return OkStatus();
}

// ike-X and eap-X: owners (id, id-SUFFIX) and a secret, into `into`.
Status ReadIdSecret(const SettingsNode& section, std::vector<Secret>& into) {
  Secret secret{&section, {}, {}};
  bool has_secret = false;
  for (const SettingsNode& n : section.children) {
    TRY(RequireSetting(n));
    if (IsOwner(n)) {
      TRY(ReadOwner(n, secret.ids));
    } else if (n.name == "secret") {
      TRY_ASSIGN(secret.secret, ParseSecret(n));
      has_secret = true;
    } else {
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in secret '{}' (accepted: id, id-SUFFIX, secret)", n.name,
                                 section.name));
    }
  }
  if (!has_secret)
    return ErrorAt(section, Code::kInvalidArgument, fmt::format("secret '{}' has no 'secret'", section.name));
  into.push_back(std::move(secret));
  return OkStatus();
}

// A signed number of seconds (a TOTP clock skew).
Result<int64_t> ParseSeconds(const SettingsNode& n) {
  int64_t v = 0;
  const std::string_view text = n.value;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty() || v < -86400 || v > 86400)
    return BadValue(n, "a whole number of seconds from -86400 to 86400");
  return v;
}

//= ipsecref#choice
//# totp-NAME { id = IDENTITY  secret = otpauth://totp/...|BASE32|hex:...
//# digits = 6  period = 30  window = 1  ahead = 0  skew = 0 }: the TOTP
//# secret (RFC 6238) of the users the ids name, whose codes EAP-GTC carries
//# (swanctl.conf has no such secret; strongSwan refuses it). A key URI
//# brings its own digits and period; the settings override them. window is
//# how many steps back a code is taken (RFC 6238 §5.2), ahead how many
//# forward, skew the seconds the users' clocks run ahead.
Status ReadTotpSecret(const SettingsNode& section, Credentials& creds) {
  TotpSecret totp;
  otp::VerifierConfig config;
  const SettingsNode* secret = nullptr;
  std::optional<uint64_t> digits, period;
  for (const SettingsNode& n : section.children) {
    TRY(RequireSetting(n));
    if (IsOwner(n)) {
      TRY(ReadOwner(n, totp.ids));
    } else if (n.name == "secret") {
      secret = &n;
      if (n.value.starts_with("otpauth:")) {
        auto uri = otp::ParseKeyUri(n.value);
        if (!uri) return BadValue(n, uri.error().ToString());
        config.secret = std::move(uri->secret);
        config.parameters = uri->parameters;
      } else {
        auto key = otp::ParseSecret(n.value);
        if (!key) return BadValue(n, key.error().ToString());
        config.secret = std::move(*key);
      }
    } else if (n.name == "digits") {
      TRY_ASSIGN(digits, ParseNumber(n, 8));
    } else if (n.name == "period") {
      TRY_ASSIGN(period, ParseNumber(n, 3600));
    } else if (n.name == "window") {
      TRY_ASSIGN(uint64_t steps, ParseNumber(n, otp::kMaxWindowSteps));
      config.steps_back = static_cast<uint32_t>(steps);
    } else if (n.name == "ahead") {
      TRY_ASSIGN(uint64_t steps, ParseNumber(n, otp::kMaxWindowSteps));
      config.steps_ahead = static_cast<uint32_t>(steps);
    } else if (n.name == "skew") {
      TRY_ASSIGN(config.clock_skew, ParseSeconds(n));
    } else {
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in secret '{}' (accepted: id, id-SUFFIX, secret, digits, "
                                 "period, window, ahead, skew)",
                                 n.name, section.name));
    }
  }
  if (secret == nullptr)
    return ErrorAt(section, Code::kInvalidArgument, fmt::format("secret '{}' has no 'secret'", section.name));
  if (totp.ids.empty())
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("secret '{}' names no user ('id'): whose codes would it check?", section.name));
  if (digits) config.parameters.digits = static_cast<int>(*digits);
  if (period) config.parameters.period = *period;
  auto verifier = otp::TotpVerifier::Create(std::move(config));
  if (!verifier) return ErrorAt(*secret, Code::kInvalidArgument, fmt::format("secret '{}': {}", section.name, verifier.error().detail));
  totp.gate = std::make_shared<TotpSecret::Gate>(std::move(*verifier));
  creds.totps.push_back(std::move(totp));
  return OkStatus();
}

Status ReadKeySecret(const SettingsNode& section, std::string_view dir, Credentials& creds) {
  const SettingsNode* file = nullptr;
  for (const SettingsNode& n : section.children) {
    TRY(RequireSetting(n));
    if (n.name == "file") file = &n;
    else if (n.name == "secret")
      return Unsupported(n, "encrypted private keys are not supported (store the key unencrypted)");
    else
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in secret '{}' (accepted: file)", n.name, section.name));
  }
  if (file == nullptr)
    return ErrorAt(section, Code::kInvalidArgument, fmt::format("secret '{}' has no 'file'", section.name));
  TRY_ASSIGN(crypto::PrivateKey key, LoadPrivateKey(*file, JoinPath(JoinPath(creds.config_dir, dir), file->value)));
  creds.keys.push_back(std::move(key));
  return OkStatus();
}

// secrets { ike-X {...} eap-X {...} totp-X {...} private-X {...} ecdsa-X {...} rsa-X {...} pkcs8-X {...} }
Status ReadSecrets(const SettingsNode& secrets, Credentials& creds) {
  struct Kind {
    std::string_view prefix;
    std::string_view dir;  // key files: where relative names are; empty for ike
    std::string_view why;  // non-empty: unsupported
  };
  constexpr Kind kKinds[] = {
      {"ike", "", ""},          {"private", "private", ""}, {"ecdsa", "ecdsa", ""},
      {"rsa", "rsa", ""},       {"pkcs8", "pkcs8", ""},
      {"eap", "", ""},          {"totp", "", ""},
      {"xauth", "", "XAuth (IKEv1) is not supported"},
      {"ntlm", "", "NTLM hashes are not supported (give EAP passwords as eap- secrets)"},
      {"ppk", "", "postquantum preshared keys are not supported"},
      {"pkcs12", "", "PKCS#12 containers are not supported (use private/ and x509/)"},
      {"token", "", "smartcard tokens are not supported"},
  };
  for (const SettingsNode& n : secrets.children) {
    TRY(RequireSection(n, "secrets { ike-NAME"));
    const Kind* kind = nullptr;
    for (const Kind& k : kKinds)
      if (n.name == k.prefix || (n.name.starts_with(k.prefix) && n.name[k.prefix.size()] == '-')) kind = &k;
    if (kind == nullptr)
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown secret type '{}' (accepted: ike-, eap-, totp-, private-, ecdsa-, rsa-, "
                                 "pkcs8-)",
                                 n.name));
    if (!kind->why.empty()) return ErrorAt(n, Code::kUnsupported, fmt::format("secret '{}': {}", n.name, kind->why));
    if (kind->prefix == "ike") TRY(ReadIdSecret(n, creds.psks));
    else if (kind->prefix == "eap") TRY(ReadIdSecret(n, creds.eaps));
    else if (kind->prefix == "totp") TRY(ReadTotpSecret(n, creds));
    else TRY(ReadKeySecret(n, kind->dir, creds));
  }
  return OkStatus();
}

// authorities { NAME { cacert = FILE } }
Status ReadAuthorities(const SettingsNode& authorities, Credentials& creds) {
  for (const SettingsNode& a : authorities.children) {
    TRY(RequireSection(a, "authorities { NAME"));
    const SettingsNode* cacert = nullptr;
    for (const SettingsNode& n : a.children) {
      TRY(RequireSetting(n));
      if (n.name == "cacert") cacert = &n;
      else if (n.name == "crl_uris" || n.name == "ocsp_uris" || n.name == "cert_uri_base" || n.name == "file" ||
               n.name == "handle" || n.name == "slot" || n.name == "module")
        return Unsupported(n, "only 'cacert' is supported in authorities (no revocation checking, no tokens)");
      else
        return ErrorAt(n, Code::kInvalidArgument,
                       fmt::format("unknown keyword '{}' in authority '{}' (accepted: cacert)", n.name, a.name));
    }
    if (cacert == nullptr)
      return ErrorAt(a, Code::kInvalidArgument, fmt::format("authority '{}' has no 'cacert'", a.name));
    TRY_ASSIGN(Bytes ca, LoadCertificate(*cacert, JoinPath(JoinPath(creds.config_dir, "x509ca"), cacert->value)));
    creds.cas.push_back(std::move(ca));
  }
  return OkStatus();
}


}  // namespace

// pools { NAME { addrs = SUBNET|RANGE  dns = ADDRESS, ... } } (swanctl.conf,
// "pools"): the addresses of the pool and the DNS servers handed out with
// them; the other attributes strongSwan's pools carry are refused.
Status ReadPools(const SettingsNode& pools, Credentials& creds, GatewayConfig& out) {
  for (const SettingsNode& p : pools.children) {
    TRY(RequireSection(p, "pools { NAME"));
    const SettingsNode* addrs = nullptr;
    std::vector<Bytes> dns;
    for (const SettingsNode& n : p.children) {
      TRY(RequireSetting(n));
      if (n.name == "addrs") {
        addrs = &n;
      } else if (n.name == "dns") {
        for (const std::string& entry : SplitList(n.value)) {
          std::optional<Bytes> server = ParseAddress(entry);
          if (!server) return BadValue(n, fmt::format("'{}' is not an IPv4 or IPv6 address", entry));
          dns.push_back(*std::move(server));
        }
      } else if (n.name == "nbns" || n.name == "dhcp" || n.name == "netmask" || n.name == "server" ||
                 n.name == "subnet" || n.name == "split_include" || n.name == "split_exclude") {
        return Unsupported(n, "only the attributes addrs and dns are supported in pools");
      } else {
        return ErrorAt(n, Code::kInvalidArgument,
                       fmt::format("unknown keyword '{}' in pool '{}' (accepted: addrs, dns)", n.name, p.name));
      }
    }
    if (addrs == nullptr) return ErrorAt(p, Code::kInvalidArgument, fmt::format("pool '{}' has no 'addrs'", p.name));
    Result<std::shared_ptr<ike::sa::AddressPool>> pool = ike::sa::AddressPool::Create(p.name, addrs->value, dns);
    if (!pool) return BadValue(*addrs, pool.error().detail);
    creds.pools[p.name] = *pool;
    out.pools.push_back(*std::move(pool));
  }
  return OkStatus();
}

Result<GatewayConfig> ParseTree(const SettingsNode& root, std::string config_dir) {
  Credentials creds;
  creds.config_dir = std::move(config_dir);
  GatewayConfig out;
  constexpr std::string_view kSections[] = {"connections", "secrets", "authorities", "pools", "manual"};
  for (const SettingsNode& n : root.children) {
    if (std::find(std::begin(kSections), std::end(kSections), n.name) != std::end(kSections)) {
      TRY(RequireSection(n, n.name));
    } else {
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' (accepted: connections, secrets, authorities, pools, manual)",
                                 n.name));
    }
  }
  // Credentials first: connections refer to them.
  bool wants_files = false;
  for (const SettingsNode& n : root.children)
    if (n.name == "connections") wants_files = !n.children.empty();
  if (wants_files) TRY(LoadCredentialDirectories(root, creds));
  if (const SettingsNode* secrets = root.Find("secrets")) TRY(ReadSecrets(*secrets, creds));
  if (const SettingsNode* authorities = root.Find("authorities")) TRY(ReadAuthorities(*authorities, creds));
  if (const SettingsNode* pools = root.Find("pools")) TRY(ReadPools(*pools, creds, out));
  if (const SettingsNode* connections = root.Find("connections")) TRY(ReadConnections(*connections, creds, out));
  if (const SettingsNode* manual = root.Find("manual")) TRY(ReadManualTunnels(*manual, out));
  return out;
}

}  // namespace ipsecref::gateway::swanctl

namespace ipsecref::gateway {

Result<GatewayConfig> ParseSwanctlConf(std::string_view text, std::string_view name, std::string_view base_dir) {
  TRY_ASSIGN(const SettingsNode root, ParseSettings(text, name, base_dir));
  return swanctl::ParseTree(root, std::string(base_dir));
}

Result<GatewayConfig> ReadSwanctlConf(const std::string& path) {
  auto text = ReadBoundedFile(path, kMaxSettingsFileSize);
  if (!text.ok()) {
    Error error = std::move(text).error();
    error.detail = fmt::format("{}:1: {}", path, error.detail);
    return error;
  }
  return ParseSwanctlConf(*text, path, DirectoryOf(path));
}

}  // namespace ipsecref::gateway
