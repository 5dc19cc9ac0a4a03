// Fuzz target: the gateway's configuration reader (gateway::ParseSwanctlConf,
// strongSwan's swanctl.conf syntax: settings, includes, identities,
// connections, children, secrets, authorities, manual tunnels).
//
// Input: the text of a swanctl.conf (the seeds, corpus/swanctl_conf/, are
// readable configurations and near-misses). Its credential directory is one
// that does not exist, so only what the text names is read (inputs over
// 64 KiB are ignored): includes of
// absolute paths read files of the machine (regular files only, bounded).
//
// Checked: a refusal has one of the reader's codes (kInvalidArgument,
// kUnsupported, kIoError, kBadFile) and a message that starts "FILE:LINE: "
// (a name, a colon, a line number of at least 1); what is accepted has
// named connections with IKE proposals, children with ESP proposals, PSK
// rounds with a secret, EAP rounds with their methods (and, remote, the
// credential checks), and manual tunnels with two addresses of one family,
// SPIs from 256 and keys for their algorithms.
#include <cstdint>
#include <string_view>

#include "fuzz/check.h"
#include "reference/gateway/swanctl_conf.h"

namespace {

bool StartsWithFileLine(std::string_view detail) {
  const size_t colon = detail.find(": ");
  if (colon == std::string_view::npos) return false;
  const std::string_view where = detail.substr(0, colon);
  const size_t last = where.rfind(':');
  if (last == std::string_view::npos || last == 0 || last + 1 == where.size()) return false;
  const std::string_view line = where.substr(last + 1);
  if (line.front() == '0') return false;
  for (const char c : line)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  if (size > 65536) return 0;  // the 1 MiB bound is swanctl_conf_test's
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = gateway::ParseSwanctlConf(text, "fuzz.conf", "/nonexistent-ipsecref-fuzz");
  if (!config.ok()) {
    const Code code = config.error().code;
    Check(code == Code::kInvalidArgument || code == Code::kUnsupported || code == Code::kIoError ||
          code == Code::kBadFile);
    Check(StartsWithFileLine(config.error().detail));
    return 0;
  }
  Check(config->connections.size() + config->manual.size() <= gateway::kMaxConnections);
  for (const gateway::Connection& c : config->connections) {
    Check(!c.name.empty() && c.ike.name == c.name);
    Check(!c.ike.proposals.empty());
    Check(c.ike.children.size() == c.children.size());
    for (const gateway::ChildSettings& child : c.children) Check(!child.child.proposals.empty());
    // Every round of either end: a PSK round has its secret; an EAP round
    // (whose AUTH is a shared-key one, §2.16) has its methods and, on the
    // remote side, the authenticator's credential checks.
    const auto check_round = [](const ike::sa::AuthConfig& auth, bool local) {
      if (auth.is_eap()) {
        if (!local) Check(auth.eap_authenticator.secret_for && auth.eap_authenticator.gtc_check);
        return;
      }
      if (auth.method == iana::AuthMethod::kSharedKeyMic) Check(!auth.psk.empty());
    };
    check_round(c.ike.local_auth, true);
    check_round(c.ike.remote_auth, false);
    for (const ike::sa::AuthRound& r : c.ike.local_rounds) check_round(r.auth, true);
    for (const ike::sa::AuthRound& r : c.ike.remote_rounds) check_round(r.auth, false);
    Check(c.local_port != 0 && c.remote_port != 0);
  }
  for (const gateway::ManualTunnel& t : config->manual) {
    Check(t.local_addr.size() == 4 || t.local_addr.size() == 16);
    Check(t.local_addr.size() == t.remote_addr.size());
    Check(t.spi_in >= 256 && t.spi_out >= 256);
    Check(!t.encr_key_in.empty() && t.encr_key_in.size() == t.encr_key_out.size());
    Check(t.integ_key_in.size() == t.integ_key_out.size());
  }
  return 0;
}
