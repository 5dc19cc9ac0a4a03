// swanctl.conf's `connections` mapped onto
// config.h (the keywords and their values: reference/gateway/swanctl_conf.md).
#include <algorithm>

#include <fmt/format.h>

#include "reference/gateway/swanctl_conf.h"
#include "reference/gateway/swanctl_internal.h"
#include "reference/ike/sa/proposals.h"

namespace ipsecref::gateway::swanctl {
namespace {

using crypto::KeyType;
using crypto::SignatureScheme;
using iana::AuthMethod;
using iana::SecurityProtocol;

//= ipsecref#choice
//# Without `proposals` / `esp_proposals` a connection offers what strongSwan
//# 5.9's `default` keyword stands for, cut to what the reference implements
//# (AES-GCM and AES-CBC with SHA-2, curve25519, NIST curves, MODP 3072+);
//# `default` within a list is replaced by the same.
constexpr std::string_view kDefaultIkeProposals =
    "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp3072,"
    "aes128-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp3072";
constexpr std::string_view kDefaultEspProposals = "aes128gcm16-aes256gcm16-chacha20poly1305,aes128-aes256-sha256";

Result<std::vector<ike::Proposal>> Proposals(const SettingsNode* n, SecurityProtocol protocol) {
  const std::string_view fallback = protocol == SecurityProtocol::kIke ? kDefaultIkeProposals : kDefaultEspProposals;
  SettingsNode text = n != nullptr ? *n : SettingsNode{"proposals", "", 0, false, std::string(fallback), {}};
  std::vector<std::string> entries = SplitList(text.value);
  for (std::string& entry : entries)
    if (entry == "default") entry = fallback;
  text.value = fmt::format("{}", fmt::join(entries, ","));
  return ParseProposalList(text, protocol);
}

// ------------------------------------------------------------------ local / remote

// What `auth` says: the method and, for signatures, the key type it asks
// for (nullopt: any) and the scheme (nullopt: the key type's default).
struct AuthChoice {
  AuthMethod method;
  std::optional<KeyType> key;
  std::optional<SignatureScheme> scheme;
};

//= ipsecref#choice
//# Signature authentication is configured as RFC 7427's Digital Signature
//# method (14), which strongSwan 5.9 uses when the peer announces
//# SIGNATURE_HASH_ALGORITHMS (IKE_AUTH falls back to the key's RFC 7296
//# method when it does not, ike_auth.cc). Without a scheme in `auth`, the key decides:
//# ECDSA with the curve's hash (P-256/SHA-256, P-384/SHA-384,
//# P-521/SHA-512), Ed25519, and for RSA PKCS#1 v1.5 with SHA-256
//# (strongSwan's default: charon.rsa_pss = no, SHA-256 the first hash).
constexpr Choice<AuthChoice> kAuth[] = {
    {"psk", {AuthMethod::kSharedKeyMic, {}, {}}},
    {"pubkey", {AuthMethod::kDigitalSignature, {}, {}}},
    {"rsa", {AuthMethod::kDigitalSignature, KeyType::kRsa, {}}},
    {"rsa-sha256", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPkcs1Sha256}},
    {"rsa-sha384", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPkcs1Sha384}},
    {"rsa-sha512", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPkcs1Sha512}},
    {"rsa/pss", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPssSha256}},
    {"rsa/pss-sha256", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPssSha256}},
    {"rsa/pss-sha384", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPssSha384}},
    {"rsa/pss-sha512", {AuthMethod::kDigitalSignature, KeyType::kRsa, SignatureScheme::kRsaPssSha512}},
    {"ecdsa", {AuthMethod::kDigitalSignature, {}, {}}},
    {"ecdsa-256", {AuthMethod::kDigitalSignature, KeyType::kEcP256, SignatureScheme::kEcdsaP256Sha256}},
    {"ecdsa-384", {AuthMethod::kDigitalSignature, KeyType::kEcP384, SignatureScheme::kEcdsaP384Sha384}},
    {"ecdsa-521", {AuthMethod::kDigitalSignature, KeyType::kEcP521, SignatureScheme::kEcdsaP521Sha512}},
    {"ed25519", {AuthMethod::kDigitalSignature, KeyType::kEd25519, SignatureScheme::kEd25519}},
    {"eap", {}, "EAP is not supported"},
    {"eap-md5", {}, "EAP is not supported"},
    {"eap-mschapv2", {}, "EAP is not supported"},
    {"eap-tls", {}, "EAP is not supported"},
    {"eap-ttls", {}, "EAP is not supported"},
    {"eap-peap", {}, "EAP is not supported"},
    {"eap-radius", {}, "EAP is not supported"},
    {"eap-dynamic", {}, "EAP is not supported"},
    {"xauth", {}, "XAuth (IKEv1) is not supported"},
    {"null", {}, "NULL authentication (RFC 7619) is not supported"},
};

struct KeyDefault {
  KeyType key;
  SignatureScheme scheme;
};
constexpr KeyDefault kKeyDefaults[] = {
    {KeyType::kRsa, SignatureScheme::kRsaPkcs1Sha256},
    {KeyType::kEcP256, SignatureScheme::kEcdsaP256Sha256},
    {KeyType::kEcP384, SignatureScheme::kEcdsaP384Sha384},
    {KeyType::kEcP521, SignatureScheme::kEcdsaP521Sha512},
    {KeyType::kEd25519, SignatureScheme::kEd25519},
};

bool IsEcdsa(KeyType k) { return k == KeyType::kEcP256 || k == KeyType::kEcP384 || k == KeyType::kEcP521; }

// One `local` or `remote` section, read.
struct End {
  const SettingsNode* section = nullptr;
  const SettingsNode* auth = nullptr;
  AuthChoice choice{AuthMethod::kDigitalSignature, {}, {}};
  const SettingsNode* id_node = nullptr;
  Identity id{true, {}};
  std::vector<Bytes> certs;
  const SettingsNode* certs_node = nullptr;
  std::vector<Bytes> pubkeys;
  const SettingsNode* pubkeys_node = nullptr;
  std::vector<Bytes> cacerts;
};

Status ReadFiles(const SettingsNode& n, std::string_view dir, const Credentials& creds, bool certificates,
                 std::vector<Bytes>& out) {
  for (const std::string& file : SplitList(n.value)) {
    const std::string path = JoinPath(JoinPath(creds.config_dir, dir), file);
    TRY_ASSIGN(Bytes der, certificates ? LoadCertificate(n, path) : LoadPublicKey(n, path));
    out.push_back(std::move(der));
  }
  if (out.empty()) return BadValue(n, "no file named");
  return OkStatus();
}

Status ReadEnd(const SettingsNode& section, bool local, const Credentials& creds, End& end) {
  TRY(RequireSection(section, section.name));
  end.section = &section;
  for (const SettingsNode& n : section.children) {
    TRY(RequireSetting(n));
    if (n.name == "auth") {
      TRY_ASSIGN(end.choice, Choose<AuthChoice>(n, kAuth));
      end.auth = &n;
    } else if (n.name == "id") {
      auto id = ParseIdentity(n.value);
      if (!id.ok()) return BadValue(n, id.error().detail);
      if (local && id->any) return BadValue(n, "the local identity cannot be %any");
      end.id = std::move(*id);
      end.id_node = &n;
    } else if (n.name == "certs") {
      TRY(ReadFiles(n, "x509", creds, true, end.certs));
      end.certs_node = &n;
    } else if (n.name == "pubkeys") {
      TRY(ReadFiles(n, "pubkey", creds, false, end.pubkeys));
      end.pubkeys_node = &n;
    } else if (n.name == "cacerts" && !local) {
      TRY(ReadFiles(n, "x509ca", creds, true, end.cacerts));
    } else if (n.name == "revocation" && !local) {
      //= ipsecref#choice
      //# The gateway fetches no CRL and asks no OCSP responder: `relaxed`
      //# (strongSwan's default) and `ifuri` mean the same here; `strict`,
      //# which needs revocation information, is refused.
      constexpr Choice<bool> kRevocation[] = {
          {"relaxed", true}, {"ifuri", true}, {"strict", false, "revocation checking (CRL, OCSP) is not supported"}};
      TRY(Choose<bool>(n, kRevocation));
    } else if (n.name == "eap_id" || n.name == "xauth_id" || n.name == "aaa_id" || n.name == "groups" ||
               n.name == "cert_policy" || n.name == "ca_id" || n.name == "cacert_id") {
      return Unsupported(n, fmt::format("'{}' is not supported", n.name));
    } else {
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in {} (accepted: auth, id, certs, pubkeys{})", n.name,
                                 section.name, local ? "" : ", cacerts, revocation"));
    }
  }
  if (end.auth == nullptr)
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("{} has no 'auth' (psk, pubkey, rsa, ecdsa, ...)", section.name));
  return OkStatus();
}

// The pre-shared key of a connection, as strongSwan picks it (its
// credential manager ranks a shared key by its owners' best match with the
// local identity plus that with the remote one: ID_MATCH_PERFECT 3,
// ID_MATCH_ANY 1 for %any, 1 each for a key without owners): the highest
// sum wins, a key matching neither identity is never used, and on a tie the
// first in the file wins.
const Secret* FindPsk(const Credentials& creds, const ike::IdPayload& local, const Identity& remote) {
  const Secret* best = nullptr;
  int best_score = -1;
  for (const Secret& s : creds.psks) {
    int score = 2;
    if (!s.ids.empty()) {
      int local_score = 0, remote_score = 0;
      for (const Identity& id : s.ids) {
        const int weight = id.any ? 1 : 3;
        if (id.any || id.id == local) local_score = std::max(local_score, weight);
        if (id.any || (!remote.any && id.id == remote.id)) remote_score = std::max(remote_score, weight);
      }
      if (local_score == 0 && remote_score == 0) continue;
      score = local_score + remote_score;
    }
    if (score > best_score) {
      best = &s;
      best_score = score;
    }
  }
  return best;
}

Status CompleteLocal(const Connection& c, const End& end, const Credentials& creds, ike::sa::IkeConfig& ike) {
  ike.local_auth.method = end.choice.method;
  if (end.choice.method == AuthMethod::kSharedKeyMic) {
    if (end.id_node != nullptr) {
      ike.local_id = end.id.id;
    } else {
      //= ipsecref#choice
      //# As strongSwan does, a PSK end without `id` is known by its address:
      //# the first of local_addrs, which must then be an address.
      const auto address = std::find_if(c.local_addrs.begin(), c.local_addrs.end(),
                                        [](const AddressEntry& a) { return !a.any(); });
      if (address == c.local_addrs.end())
        return ErrorAt(*end.section, Code::kInvalidArgument,
                       fmt::format("{} has no 'id' and local_addrs names no address to stand for it", end.section->name));
      ike.local_id = {address->address.size() == 4 ? iana::IdType::kIpv4Addr : iana::IdType::kIpv6Addr,
                      address->address};
    }
    return OkStatus();
  }
  // Signatures: the certificate (or raw public key) and its private key.
  const std::vector<Bytes>& published = !end.certs.empty() ? end.certs : end.pubkeys;
  if (published.empty())
    return ErrorAt(*end.auth, Code::kInvalidArgument,
                   fmt::format("auth = '{}' needs 'certs' (or 'pubkeys') in {}", end.auth->value, end.section->name));
  Bytes spki;
  std::optional<crypto::Certificate> cert;
  if (!end.certs.empty()) {
    auto parsed = crypto::ParseCertificate(end.certs.front());
    if (!parsed.ok()) return ErrorAt(*end.certs_node, Code::kBadFile, fmt::format("certs: {}", parsed.error().detail));
    cert = std::move(*parsed);
    spki = cert->subject_public_key_info;
  } else {
    spki = end.pubkeys.front();
  }
  const SettingsNode& where = end.certs_node != nullptr ? *end.certs_node : *end.pubkeys_node;
  const auto key = std::find_if(creds.keys.begin(), creds.keys.end(),
                                [&](const crypto::PrivateKey& k) { return k.subject_public_key_info == spki; });
  if (key == creds.keys.end())
    return ErrorAt(where, Code::kInvalidArgument,
                   fmt::format("{} = '{}': no private key for it (looked in secrets and in private/, ecdsa/, rsa/, "
                               "pkcs8/ of {})", where.name, where.value, creds.config_dir));
  const bool fits = !end.choice.key ? (end.auth->value != "ecdsa" || IsEcdsa(key->type))
                                    : (*end.choice.key == key->type);
  if (!fits) return BadValue(*end.auth, "the private key is of another type");
  ike.local_auth.private_key = key->pkcs8;
  ike.local_auth.certificates = end.certs;
  if (end.choice.scheme) {
    ike.local_auth.scheme = *end.choice.scheme;
  } else {
    for (const KeyDefault& d : kKeyDefaults)
      if (d.key == key->type) ike.local_auth.scheme = d.scheme;
  }
  if (end.id_node != nullptr) {
    ike.local_id = end.id.id;
    const bool same_dn = ike.local_id.id_type == iana::IdType::kDerAsn1Dn && cert &&
                         crypto::SameDistinguishedName(cert->subject_dn, ike.local_id.identification_data);
    if (cert && !same_dn &&
        !crypto::CertificateMatchesId(*cert, ike.local_id.id_type, ike.local_id.identification_data))
      return BadValue(*end.id_node, "the certificate in 'certs' does not vouch for this identity (subject or "
                                    "subjectAltName)");
  } else if (cert) {
    //= ipsecref#choice
    //# As strongSwan does, a certificate end without `id` is known by the
    //# certificate's subject DN.
    ike.local_id = {iana::IdType::kDerAsn1Dn, cert->subject_dn};
  } else {
    return ErrorAt(*end.section, Code::kInvalidArgument,
                   fmt::format("{} has 'pubkeys' but no 'id'", end.section->name));
  }
  return OkStatus();
}

Status CompleteRemote(const End& end, const Credentials& creds, ike::sa::IkeConfig& ike) {
  ike.remote_auth.method = end.choice.method;
  ike.remote_id = end.id.any ? ike::IdPayload{iana::IdType::kFqdn, {}} : end.id.id;
  if (end.choice.method == AuthMethod::kSharedKeyMic) return OkStatus();
  if (!end.pubkeys.empty()) {
    ike.remote_auth.public_key = end.pubkeys.front();
  } else if (!end.certs.empty()) {
    auto cert = crypto::ParseCertificate(end.certs.front());
    if (!cert.ok()) return ErrorAt(*end.certs_node, Code::kBadFile, fmt::format("certs: {}", cert.error().detail));
    ike.remote_auth.public_key = cert->subject_public_key_info;
  } else {
    ike.remote_auth.trust_anchors = !end.cacerts.empty() ? end.cacerts : creds.cas;
    if (ike.remote_auth.trust_anchors.empty())
      return ErrorAt(*end.auth, Code::kInvalidArgument,
                     fmt::format("auth = '{}' needs a CA: 'cacerts', an authority or a certificate in {}/x509ca/",
                                 end.auth->value, creds.config_dir));
  }
  return OkStatus();
}

// ------------------------------------------------------------------ children

constexpr Choice<bool> kMode[] = {
    {"tunnel", false}, {"transport", true},
    {"beet", false, "BEET mode is not supported"}, {"pass", false, "pass (bypass) policies are not supported"},
    {"drop", false, "drop policies are not supported"}};
constexpr Choice<StartAction> kStartAction[] = {
    {"none", StartAction::kNone}, {"start", StartAction::kStart}, {"trap", StartAction::kTrap},
    {"trap|start", StartAction::kNone, "combined start actions (strongSwan 6) are not supported"},
    {"start|trap", StartAction::kNone, "combined start actions (strongSwan 6) are not supported"}};
//= ipsecref#choice
//# strongSwan 5.9 calls "clear" what 6.0 calls "none"; both forget the SAs.
constexpr Choice<DpdAction> kDpdAction[] = {
    {"clear", DpdAction::kClear}, {"none", DpdAction::kClear},
    {"trap", DpdAction::kTrap}, {"restart", DpdAction::kRestart}};
constexpr Choice<bool> kCloseAction[] = {
    {"none", true}, {"clear", true},
    {"trap", false, "close_action other than none is not supported"},
    {"start", false, "close_action other than none is not supported"},
    {"restart", false, "close_action other than none is not supported"}};

Status ReadChild(const SettingsNode& section, ChildSettings& out) {
  TRY(RequireSection(section, "children { NAME"));
  out.child.name = section.name;
  const SettingsNode* proposals = nullptr;
  const SettingsNode* local_ts_node = nullptr;
  const SettingsNode* remote_ts_node = nullptr;
  for (const SettingsNode& n : section.children) {
    TRY(RequireSetting(n));
    if (n.name == "esp_proposals") proposals = &n;
    else if (n.name == "ah_proposals") return Unsupported(n, "AH CHILD SAs are not supported");
    else if (n.name == "local_ts") local_ts_node = &n;
    else if (n.name == "remote_ts") remote_ts_node = &n;
    else if (n.name == "mode") { TRY_ASSIGN(out.child.transport_mode, Choose<bool>(n, kMode)); }
    else if (n.name == "start_action") { TRY_ASSIGN(out.start_action, Choose<StartAction>(n, kStartAction)); }
    else if (n.name == "dpd_action") { TRY_ASSIGN(out.dpd_action, Choose<DpdAction>(n, kDpdAction)); }
    else if (n.name == "close_action") { TRY(Choose<bool>(n, kCloseAction)); }
    else if (n.name == "rekey_time") { TRY_ASSIGN(out.child.rekey_time, ParseTime(n)); }
    else if (n.name == "life_time") { TRY_ASSIGN(out.child.life_time, ParseTime(n)); }
    else if (n.name == "rand_time") {
      TRY_ASSIGN(const ike::sa::Time t, ParseTime(n));
      if (t != 0) return Unsupported(n, "a random part of CHILD SA rekey times is not supported (only 0)");
    } else {
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in child '{}' (accepted: local_ts, remote_ts, esp_proposals, "
                                 "mode, start_action, dpd_action, close_action, rekey_time, life_time, rand_time)",
                                 n.name, section.name));
    }
  }
  TRY_ASSIGN(out.child.proposals, Proposals(proposals, SecurityProtocol::kEsp));
  for (auto [node, list] : {std::pair{local_ts_node, &out.local_ts}, std::pair{remote_ts_node, &out.remote_ts}}) {
    auto parsed = ike::sa::ParseConfiguredSelectors(node != nullptr ? std::string_view(node->value) : "dynamic");
    if (!parsed.ok())
      return ErrorAt(*node, Code::kInvalidArgument, fmt::format("{} = '{}': {}", node->name, node->value,
                                                                parsed.error().detail));
    *list = std::move(*parsed);
  }
  if (out.child.life_time != 0 && out.child.rekey_time >= out.child.life_time)
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("child '{}': rekey_time must be below life_time", section.name));
  return OkStatus();
}

// ------------------------------------------------------------------ connections

constexpr Choice<int> kVersion[] = {{"0", 2}, {"2", 2}, {"1", 1, "IKEv1 is not supported"}};
//= ipsecref#choice
//# `accept` (support fragments, do not announce the extension first) is
//# read as `yes`: the reference always announces RFC 7383 when enabled.
constexpr Choice<bool> kFragmentation[] = {
    {"yes", true}, {"accept", true}, {"no", false},
    {"force", false, "fragmenting IKE_SA_INIT (force) is not supported"}};
//= ipsecref#choice
//# The reference's childless IKE SA is strongSwan's `prefer` (childless when
//# the responder announced support); `force` is read the same way.
constexpr Choice<bool> kChildless[] = {
    {"allow", false}, {"prefer", true}, {"force", true},
    {"never", false, "refusing childless IKE SAs (never) is not supported"}};
//= ipsecref#choice
//# The gateway enforces no uniqueness of peer identities: `no` (strongSwan's
//# default) and `never` are accepted, `replace` and `keep` refused.
constexpr Choice<bool> kUnique[] = {
    {"no", true}, {"never", true},
    {"replace", false, "unique identities are not enforced"}, {"keep", false, "unique identities are not enforced"}};
constexpr Choice<ike::sa::AuthConfig::SendCert> kSendCert[] = {
    {"ifasked", ike::sa::AuthConfig::SendCert::kIfAsked},
    {"always", ike::sa::AuthConfig::SendCert::kAlways},
    {"never", ike::sa::AuthConfig::SendCert::kNever}};

struct ConnectionState {
  Connection& c;
  const Credentials& creds;
  const SettingsNode* proposals = nullptr;
  const SettingsNode* local = nullptr;
  const SettingsNode* remote = nullptr;
  const SettingsNode* children = nullptr;
  bool rekey_time_set = false;
};

using Handler = Status (*)(const SettingsNode&, ConnectionState&);
struct Keyword {
  std::string_view name;
  Handler handler;
  bool refused_always = false;  // not listed among the accepted keywords
};

Status Refuse(const SettingsNode& n, bool yes_refused, std::string_view why) {
  TRY_ASSIGN(const bool value, ParseBool(n));
  if (value == yes_refused) return Unsupported(n, why);
  return OkStatus();
}

constexpr Keyword kConnectionKeywords[] = {
    {"version", [](const SettingsNode& n, ConnectionState&) -> Status { TRY(Choose<int>(n, kVersion)); return OkStatus(); }},
    {"local_addrs", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.local_addrs, ParseAddresses(n)); return OkStatus(); }},
    {"remote_addrs", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.remote_addrs, ParseAddresses(n)); return OkStatus(); }},
    {"local_port", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.local_port, ParsePort(n)); return OkStatus(); }},
    {"remote_port", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.remote_port, ParsePort(n)); return OkStatus(); }},
    {"proposals", [](const SettingsNode& n, ConnectionState& s) -> Status { s.proposals = &n; return OkStatus(); }},
    {"encap", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.encap, ParseBool(n)); return OkStatus(); }},
    {"dpd_delay", [](const SettingsNode& n, ConnectionState& s) -> Status {
       TRY_ASSIGN(s.c.dpd_delay, ParseTime(n));
       s.c.ike.liveness_delay = s.c.dpd_delay;
       return OkStatus(); }},
    {"dpd_timeout", [](const SettingsNode& n, ConnectionState&) -> Status {
       return Unsupported(n, "dpd_timeout is IKEv1's; IKEv2 liveness gives up after the retransmissions"); }, true},
    {"rekey_time", [](const SettingsNode& n, ConnectionState& s) -> Status {
       TRY_ASSIGN(s.c.ike.rekey_time, ParseTime(n));
       s.rekey_time_set = true;
       return OkStatus(); }},
    {"reauth_time", [](const SettingsNode& n, ConnectionState&) -> Status {
       TRY_ASSIGN(const ike::sa::Time t, ParseTime(n));
       if (t != 0) return Unsupported(n, "reauthentication is not supported (only 0)");
       return OkStatus(); }},
    // over_time bounds a hard IKE SA lifetime, which the gateway does not enforce.
    {"over_time", [](const SettingsNode& n, ConnectionState&) -> Status { TRY(ParseTime(n)); return OkStatus(); }},
    {"rand_time", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.ike.rekey_jitter, ParseTime(n)); return OkStatus(); }},
    {"fragmentation", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.ike.fragmentation, Choose<bool>(n, kFragmentation)); return OkStatus(); }},
    {"childless", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY_ASSIGN(s.c.ike.childless, Choose<bool>(n, kChildless)); return OkStatus(); }},
    {"send_certreq", [](const SettingsNode& n, ConnectionState&) -> Status { return Refuse(n, false, "CERTREQ is always sent when CAs are configured"); }},
    {"send_cert", [](const SettingsNode& n, ConnectionState& s) -> Status {
       TRY_ASSIGN(s.c.ike.local_auth.send_cert, Choose<ike::sa::AuthConfig::SendCert>(n, kSendCert));
       return OkStatus(); }},
    {"unique", [](const SettingsNode& n, ConnectionState&) -> Status { TRY(Choose<bool>(n, kUnique)); return OkStatus(); }},
    {"mobike", [](const SettingsNode& n, ConnectionState&) -> Status { return Refuse(n, true, "MOBIKE is not supported"); }},
    {"keyingtries", [](const SettingsNode& n, ConnectionState&) -> Status {
       TRY_ASSIGN(const uint64_t tries, ParseNumber(n, UINT32_MAX));
       if (tries != 1) return Unsupported(n, "the gateway makes one keying attempt (only 1)");
       return OkStatus(); }},
    {"pools", [](const SettingsNode& n, ConnectionState& s) -> Status {
       for (const std::string& name : SplitList(n.value)) {
         auto pool = s.creds.pools.find(name);
         if (pool == s.creds.pools.end()) return BadValue(n, fmt::format("no pool '{}' in the pools section", name));
         s.c.ike.pools.push_back(pool->second);
       }
       return OkStatus(); }},
    {"vips", [](const SettingsNode& n, ConnectionState& s) -> Status {
       for (const std::string& entry : SplitList(n.value)) {
         std::optional<Bytes> vip = ParseAddress(entry);
         if (!vip) return BadValue(n, fmt::format("'{}' is not an IPv4 or IPv6 address (0.0.0.0 or :: asks for any)", entry));
         s.c.ike.vips.push_back(*std::move(vip));
       }
       return OkStatus(); }},
    {"aggressive", [](const SettingsNode& n, ConnectionState&) -> Status { return Refuse(n, true, "aggressive mode is IKEv1's"); }, true},
    {"children", [](const SettingsNode& n, ConnectionState& s) -> Status { TRY(RequireSection(n, "children")); s.children = &n; return OkStatus(); }},
};

Status ReadConnection(const SettingsNode& section, const Credentials& creds, Connection& c) {
  TRY(RequireSection(section, "connections { NAME"));
  c.name = section.name;
  c.ike.name = section.name;
  ConnectionState state{c, creds};
  for (const SettingsNode& n : section.children) {
    const bool is_local = n.name == "local" || n.name.starts_with("local-");
    const bool is_remote = n.name == "remote" || n.name.starts_with("remote-");
    if (is_local || is_remote) {
      const SettingsNode*& slot = is_local ? state.local : state.remote;
      if (slot != nullptr)
        return ErrorAt(n, Code::kUnsupported,
                       fmt::format("'{}': more than one authentication round (first: '{}' at {}) is not supported",
                                   n.name, slot->name, slot->Where()));
      slot = &n;
      continue;
    }
    const auto keyword = std::find_if(std::begin(kConnectionKeywords), std::end(kConnectionKeywords),
                                      [&](const Keyword& k) { return k.name == n.name; });
    if (keyword == std::end(kConnectionKeywords)) {
      std::string accepted = "local, remote";
      for (const Keyword& k : kConnectionKeywords)
        if (!k.refused_always) accepted += fmt::format(", {}", k.name);
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in connection '{}' (accepted: {})", n.name, section.name, accepted));
    }
    if (keyword->name != "children") TRY(RequireSetting(n));
    TRY(keyword->handler(n, state));
  }
  TRY_ASSIGN(c.ike.proposals, Proposals(state.proposals, SecurityProtocol::kIke));
  //= ipsecref#choice
  //# strongSwan's default IKE rekey_time is 4 h, rand_time 10% of it.
  if (!state.rekey_time_set) c.ike.rekey_time = 4 * 3600 * 1000;
  if (state.local == nullptr || state.remote == nullptr)
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("connection '{}' needs a {} section", section.name, state.local == nullptr ? "local" : "remote"));
  End local, remote;
  TRY(ReadEnd(*state.local, true, creds, local));
  TRY(ReadEnd(*state.remote, false, creds, remote));
  TRY(CompleteLocal(c, local, creds, c.ike));
  TRY(CompleteRemote(remote, creds, c.ike));
  if (local.choice.method == AuthMethod::kSharedKeyMic || remote.choice.method == AuthMethod::kSharedKeyMic) {
    const Secret* secret = FindPsk(creds, c.ike.local_id, remote.id);
    if (secret == nullptr)
      return ErrorAt(section, Code::kInvalidArgument,
                     fmt::format("connection '{}' authenticates with psk but no ike secret matches its identities "
                                 "(local {}, remote {})", section.name, ike::DescribeId(c.ike.local_id),
                                 remote.id.any ? "%any" : ike::DescribeId(remote.id.id)));
    if (local.choice.method == AuthMethod::kSharedKeyMic) c.ike.local_auth.psk = secret->secret;
    if (remote.choice.method == AuthMethod::kSharedKeyMic) c.ike.remote_auth.psk = secret->secret;
  }
  if (state.children != nullptr) {
    // settings.h has refused a child defined twice.
    for (const SettingsNode& child : state.children->children) {
      ChildSettings settings;
      TRY(ReadChild(child, settings));
      c.children.push_back(std::move(settings));
    }
  }
  for (const ChildSettings& child : c.children) c.ike.children.push_back(child.child);
  return OkStatus();
}

}  // namespace

Status ReadConnections(const SettingsNode& connections, const Credentials& creds, GatewayConfig& out) {
  for (const SettingsNode& section : connections.children) {
    if (out.connections.size() + out.manual.size() >= kMaxConnections)
      return ErrorAt(section, Code::kInvalidArgument, fmt::format("more than {} connections", kMaxConnections));
    Connection c;
    TRY(ReadConnection(section, creds, c));
    out.connections.push_back(std::move(c));
  }
  return OkStatus();
}

}  // namespace ipsecref::gateway::swanctl
