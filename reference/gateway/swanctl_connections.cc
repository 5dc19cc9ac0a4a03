// swanctl.conf's `connections` mapped onto
// config.h (the keywords and their values: reference/gateway/swanctl_conf.md).
#include <algorithm>
#include <chrono>
#include <mutex>

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
    {"eap-tls", {}, "EAP-TLS is not supported (eap-mschapv2, eap-gtc, eap-md5 are)"},
    {"eap-ttls", {}, "EAP-TTLS is not supported (eap-mschapv2, eap-gtc, eap-md5 are)"},
    {"eap-peap", {}, "EAP-PEAP is not supported (eap-mschapv2, eap-gtc, eap-md5 are)"},
    {"eap-radius", {}, "a RADIUS backend is not supported (eap-mschapv2, eap-gtc, eap-md5 are)"},
    {"eap-dynamic", {}, "eap-dynamic is not supported (eap names every method this end runs)"},
    {"xauth", {}, "XAuth (IKEv1) is not supported"},
    {"null", {}, "NULL authentication (RFC 7619) is not supported"},
};

// The EAP methods an `auth` value names (RFC 7296 §2.16; swanctl.conf's
// auth = eap-TYPE).
struct EapAuth {
  std::string_view word;
  std::vector<eap::Type> methods;
};
//= ipsecref#choice
//# auth = eap runs any method this end has, MSCHAPv2 first (it is the only
//# one that derives an MSK), then GTC, then MD5-Challenge; a peer moves to
//# another with a Nak (RFC 3748 §5.3).
const EapAuth* FindEapAuth(std::string_view word) {
  static const EapAuth kEapAuth[] = {
      {"eap-mschapv2", {eap::Type::kMsChapV2}},
      {"eap-gtc", {eap::Type::kGtc}},
      {"eap-md5", {eap::Type::kMd5Challenge}},
      {"eap", {eap::Type::kMsChapV2, eap::Type::kGtc, eap::Type::kMd5Challenge}},
  };
  for (const EapAuth& e : kEapAuth)
    if (e.word == word) return &e;
  return nullptr;
}

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
  std::vector<eap::Type> eap;  // auth = eap-...: the methods
  const SettingsNode* eap_id = nullptr;
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
      if (const EapAuth* eap = FindEapAuth(n.value)) {
        // The AUTH that follows EAP is a shared-key one (§2.16).
        end.choice = {AuthMethod::kSharedKeyMic, {}, {}};
        end.eap = eap->methods;
      } else {
        TRY_ASSIGN(end.choice, Choose<AuthChoice>(n, kAuth));
      }
      end.auth = &n;
    } else if (n.name == "eap_id") {
      if (!local && n.value != "%any")
        return Unsupported(n, "a remote eap_id other than %any (ask the EAP identity) is not supported; without "
                              "eap_id the IKE identity is the EAP identity");
      end.eap_id = &n;
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
    } else if (n.name == "xauth_id" || n.name == "aaa_id" || n.name == "groups" ||
               n.name == "cert_policy" || n.name == "ca_id" || n.name == "cacert_id") {
      return Unsupported(n, fmt::format("'{}' is not supported", n.name));
    } else {
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in {} (accepted: auth, id, eap_id, certs, pubkeys{})", n.name,
                                 section.name, local ? "" : ", cacerts, revocation"));
    }
  }
  if (end.auth == nullptr)
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("{} has no 'auth' (psk, pubkey, rsa, ecdsa, eap-mschapv2, ...)", section.name));
  if (end.eap_id != nullptr && end.eap.empty())
    return ErrorAt(*end.eap_id, Code::kInvalidArgument,
                   fmt::format("eap_id in {}, whose auth = '{}' is not EAP", section.name, end.auth->value));
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
  ike.local_auth.eap_methods = end.eap;
  if (end.choice.method == AuthMethod::kSharedKeyMic) {
    if (end.id_node != nullptr) {
      ike.local_id = end.id.id;
    } else if (!ike.local_id.identification_data.empty()) {
      // A further round without `id`: the first round's (set by ReadRounds).
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
  ike.remote_auth.eap_methods = end.eap;
  ike.remote_auth.eap_ask_identity = end.eap_id != nullptr;
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
  // local, local-SUFFIX...: one per authentication round (RFC 4739).
  std::vector<const SettingsNode*> local;
  std::vector<const SettingsNode*> remote;
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

// --- authentication rounds and their credentials

// Whether `identity` (as text: an EAP identity) is among a secret's
// owners; a secret without owners belongs to anyone.
bool Owns(const std::vector<Identity>& ids, std::string_view identity) {
  if (ids.empty()) return true;
  const Result<Identity> parsed = ParseIdentity(identity);
  for (const Identity& id : ids)
    if (id.any || (parsed.ok() && !parsed->any && id.id == parsed->id)) return true;
  return false;
}
template <typename S>
const S* OwnedBy(const std::vector<S>& secrets, std::string_view identity) {
  for (const S& s : secrets)
    if (Owns(s.ids, identity)) return &s;
  return nullptr;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The identity a round's ID payload stands for as text (an EAP identity):
// `id` as written, else the ID described.
std::string IdentityText(const End& end, const ike::IdPayload& id) {
  return end.id_node != nullptr ? end.id_node->value : ike::DescribeId(id);
}

//= ipsecref#choice
//# The gateway as EAP authenticator checks its users against its secrets:
//# eap-X passwords for MSCHAPv2, MD5-Challenge and GTC, and for GTC a
//# totp-X secret first when one names the user (the GTC answer must then be
//# the current TOTP code; the password is not taken instead). The
//# verifiers' last accepted steps live in memory: a restart forgets them.
void WireAuthenticator(const Credentials& creds, ike::sa::AuthConfig& auth) {
  auto eaps = std::make_shared<const std::vector<Secret>>(creds.eaps);
  auto totps = std::make_shared<const std::vector<TotpSecret>>(creds.totps);
  auth.eap_authenticator.secret_for = [eaps](std::string_view identity) -> std::optional<SecureBytes> {
    const Secret* s = OwnedBy(*eaps, identity);
    if (s == nullptr) return std::nullopt;
    return s->secret;
  };
  auth.eap_authenticator.gtc_check = [eaps, totps](std::string_view identity, ByteSpan response) -> Status {
    if (const TotpSecret* t = OwnedBy(*totps, identity)) {
      std::lock_guard<std::mutex> lock(t->gate->mutex);
      TRY_ASSIGN(otp::Verdict verdict,
                 t->gate->verifier.Verify(std::string_view(reinterpret_cast<const char*>(response.data()), response.size()),
                                          UnixNow()));
      ENSURE(verdict.accepted(), kAuthenticationFailed, kNoOffset, "rfc6238#section-5.2",
             fmt::format("the TOTP code of '{}': {}", identity, otp::Describe(verdict, t->gate->verifier.config())));
      return OkStatus();
    }
    const Secret* s = OwnedBy(*eaps, identity);
    ENSURE(s != nullptr, kAuthenticationFailed, kNoOffset, "rfc3748#section-5.6",
           fmt::format("no eap- or totp- secret names '{}'", identity));
    ENSURE(s->secret.size() == response.size() && ConstantTimeEqual(s->secret, response), kAuthenticationFailed,
           kNoOffset, "rfc3748#section-5.6", fmt::format("the GTC password of '{}' is wrong", identity));
    return OkStatus();
  };
}

// The gateway as EAP peer (a connection it initiates with auth = eap-...):
// its EAP identity (eap_id, else the round's identity) and that identity's
// password, or for GTC its TOTP secret's current code.
Status WirePeer(const Credentials& creds, const End& end, const ike::IdPayload& id, ike::sa::AuthConfig& auth) {
  const std::string identity = end.eap_id != nullptr ? end.eap_id->value : IdentityText(end, id);
  auth.eap_peer.identity = identity;
  const TotpSecret* totp = OwnedBy(creds.totps, identity);
  const Secret* password = OwnedBy(creds.eaps, identity);
  if (totp == nullptr && password == nullptr)
    return ErrorAt(*end.auth, Code::kInvalidArgument,
                   fmt::format("auth = '{}' in {}: no eap- (or totp-) secret names the EAP identity '{}'",
                               end.auth->value, end.section->name, identity));
  if (password != nullptr) auth.eap_peer.secret = password->secret;
  if (totp != nullptr) {
    auto gate = totp->gate;
    auth.eap_peer.gtc_response = [gate](std::string_view) {
      const otp::VerifierConfig& c = gate->verifier.config();
      Result<std::string> code = otp::Totp(c.secret, c.parameters, UnixNow());
      return code ? SecureBytes(code->begin(), code->end()) : SecureBytes{};
    };
  }
  return OkStatus();
}

// The pre-shared key between two identities of a round; an error naming
// the connection when no ike secret fits.
Result<SecureBytes> PskOf(const SettingsNode& section, const Credentials& creds, const ike::IdPayload& local,
                          const Identity& remote) {
  const Secret* secret = FindPsk(creds, local, remote);
  if (secret == nullptr)
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("connection '{}' authenticates with psk but no ike secret matches its identities "
                               "(local {}, remote {})", section.name, ike::DescribeId(local),
                               remote.any ? "%any" : ike::DescribeId(remote.id)));
  return secret->secret;
}

//= rfc4739#section-2.1
//# Each authentication round has its own identity and credentials.
// The local and remote sections, one authentication round each, in the
// alphabetical order of their names (local, local-2, ...; as strongSwan
// orders them), into the connection's first and further rounds.
Status ReadRounds(const SettingsNode& section, ConnectionState& state, Connection& c) {
  const Credentials& creds = state.creds;
  const auto by_name = [](const SettingsNode* a, const SettingsNode* b) { return a->name < b->name; };
  std::sort(state.local.begin(), state.local.end(), by_name);
  std::sort(state.remote.begin(), state.remote.end(), by_name);
  std::vector<End> locals(state.local.size()), remotes(state.remote.size());
  for (size_t i = 0; i < locals.size(); ++i) TRY(ReadEnd(*state.local[i], true, creds, locals[i]));
  for (size_t i = 0; i < remotes.size(); ++i) TRY(ReadEnd(*state.remote[i], false, creds, remotes[i]));
  if (locals.size() > 1 && remotes.size() > 1)
    return ErrorAt(*state.local[1], Code::kUnsupported,
                   "more than one authentication round on both sides: this end runs its own further rounds only as "
                   "initiator and demands the peer's only as responder (RFC 4739 §2.5 is not supported)");
  for (size_t i = 0; i < locals.size(); ++i) {
    ike::sa::IkeConfig round;
    round.local_auth.send_cert = c.ike.local_auth.send_cert;  // the connection's send_cert, for every round
    if (i > 0) round.local_id = c.ike.local_id;
    TRY(CompleteLocal(c, locals[i], creds, round));
    if (round.local_auth.method == AuthMethod::kSharedKeyMic && locals[i].eap.empty()) {
      TRY_ASSIGN(round.local_auth.psk, PskOf(section, creds, round.local_id, remotes.front().id));
    }
    if (!locals[i].eap.empty()) TRY(WirePeer(creds, locals[i], round.local_id, round.local_auth));
    if (i == 0) {
      c.ike.local_id = round.local_id;
      c.ike.local_auth = std::move(round.local_auth);
    } else {
      if (locals[i].id_node == nullptr) round.local_id = {};
      c.ike.local_rounds.push_back({round.local_id, std::move(round.local_auth)});
    }
  }
  for (size_t i = 0; i < remotes.size(); ++i) {
    ike::sa::IkeConfig round;
    TRY(CompleteRemote(remotes[i], creds, round));
    if (round.remote_auth.method == AuthMethod::kSharedKeyMic && remotes[i].eap.empty()) {
      TRY_ASSIGN(round.remote_auth.psk, PskOf(section, creds, c.ike.local_id, remotes[i].id));
    }
    if (!remotes[i].eap.empty()) WireAuthenticator(creds, round.remote_auth);
    if (i == 0) {
      c.ike.remote_id = round.remote_id;
      c.ike.remote_auth = std::move(round.remote_auth);
    } else {
      c.ike.remote_rounds.push_back({round.remote_id, std::move(round.remote_auth)});
    }
  }
  return OkStatus();
}

Status ReadConnection(const SettingsNode& section, const Credentials& creds, Connection& c) {
  TRY(RequireSection(section, "connections { NAME"));
  c.name = section.name;
  c.ike.name = section.name;
  ConnectionState state{c, creds};
  for (const SettingsNode& n : section.children) {
    const bool is_local = n.name == "local" || n.name.starts_with("local-");
    const bool is_remote = n.name == "remote" || n.name.starts_with("remote-");
    if (is_local || is_remote) {
      (is_local ? state.local : state.remote).push_back(&n);
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
  if (state.local.empty() || state.remote.empty())
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("connection '{}' needs a {} section", section.name, state.local.empty() ? "local" : "remote"));
  TRY(ReadRounds(section, state, c));
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
