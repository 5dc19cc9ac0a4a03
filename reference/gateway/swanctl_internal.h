// What swanctl_conf.cc (values, credentials, secrets) and
// swanctl_connections.cc (connections, children, manual tunnels) share.
// Not for use outside reference/gateway/swanctl_*.cc.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "reference/crypto/x509.h"
#include "reference/gateway/config.h"
#include "reference/gateway/identity.h"
#include "reference/gateway/settings.h"
#include "reference/otp/secret.h"
#include "reference/otp/verifier.h"

namespace ipsecref::gateway::swanctl {

// "FILE:LINE: detail".
Error ErrorAt(const SettingsNode& n, Code code, std::string detail);
// "FILE:LINE: KEY = 'VALUE': why" (kInvalidArgument / kUnsupported).
Error BadValue(const SettingsNode& n, std::string_view why);
Error Unsupported(const SettingsNode& n, std::string_view why);

// One word of a keyword's accepted values and what it stands for; `why`
// non-empty refuses it (kUnsupported) with that reason.
template <typename T>
struct Choice {
  std::string_view word;
  T value;
  std::string_view why = {};
};

// The value of the choice `n` names; an unknown word is refused with the
// list of accepted ones.
template <typename T>
Result<T> Choose(const SettingsNode& n, std::span<const Choice<T>> choices) {
  std::string accepted;
  for (const Choice<T>& c : choices) {
    if (c.word == n.value) {
      if (!c.why.empty()) return Unsupported(n, c.why);
      return c.value;
    }
    if (c.why.empty()) accepted += fmt::format("{}{}", accepted.empty() ? "" : ", ", c.word);
  }
  return BadValue(n, fmt::format("accepted values: {}", accepted));
}

Result<bool> ParseBool(const SettingsNode& n);
// Decimal or 0x hex (swanctl.conf, "Number Formats"), at most `max`.
Result<uint64_t> ParseNumber(const SettingsNode& n, uint64_t max);
// A duration: a number with the unit s (the default), m, h or d; in ms.
Result<ike::sa::Time> ParseTime(const SettingsNode& n);
Result<uint16_t> ParsePort(const SettingsNode& n);
std::optional<Bytes> ParseAddress(std::string_view text);
Result<std::vector<AddressEntry>> ParseAddresses(const SettingsNode& n);
Result<std::vector<ike::Proposal>> ParseProposalList(const SettingsNode& n, iana::SecurityProtocol protocol);
// A comma-separated list, blanks around entries dropped, empty entries skipped.
std::vector<std::string> SplitList(std::string_view text);

Status RequireSection(const SettingsNode& n, std::string_view what);
Status RequireSetting(const SettingsNode& n);

struct Secret {
  const SettingsNode* node;
  std::vector<Identity> ids;
  SecureBytes secret;
};

// A TOTP secret (secrets { totp-NAME { ... } }, an ipsecref extension:
// swanctl_conf.md): its owners and the verifier of their codes, which every
// connection (and SPU) that checks them shares, so that a code accepted once
// is refused everywhere after.
struct TotpSecret {
  struct Gate {
    explicit Gate(otp::TotpVerifier v) : verifier(std::move(v)) {}
    std::mutex mutex;
    otp::TotpVerifier verifier;
  };
  std::vector<Identity> ids;
  std::shared_ptr<Gate> gate;
};

struct Credentials {
  std::string config_dir;
  std::vector<crypto::PrivateKey> keys;  // secrets' key files and the key directories
  std::vector<Bytes> cas;                // x509ca/ and authorities, DER
  std::vector<Secret> psks;              // ike-X secrets, in file order
  std::vector<Secret> eaps;              // eap-X secrets (EAP passwords), in file order
  std::vector<TotpSecret> totps;         // totp-X secrets, in file order
  // The `pools` section's pools, by name: connections name them.
  std::map<std::string, std::shared_ptr<ike::sa::AddressPool>, std::less<>> pools;
};

// Credential files; errors name `n` (the setting that names the file).
Result<Bytes> LoadCertificate(const SettingsNode& n, const std::string& path);
Result<Bytes> LoadPublicKey(const SettingsNode& n, const std::string& path);

// The whole tree (swanctl_conf.cc): credentials, then connections and manual tunnels.
Result<GatewayConfig> ParseTree(const SettingsNode& root, std::string config_dir);
// The connections and their children (swanctl_connections.cc).
Status ReadConnections(const SettingsNode& connections, const Credentials& creds, GatewayConfig& out);
// The virtual IP pools (swanctl_conf.cc), into creds.pools and out.pools.
Status ReadPools(const SettingsNode& pools, Credentials& creds, GatewayConfig& out);
// The manual tunnels (swanctl_manual.cc).
Status ReadManualTunnels(const SettingsNode& manual, GatewayConfig& out);

}  // namespace ipsecref::gateway::swanctl
