// The gateway's configuration from the subset of strongSwan's swanctl.conf
// (docs.strongswan.org, swanctl.conf; src/swanctl/swanctl.opt) that covers
// what the gateway does, so that a strongSwan user can reuse a
// configuration: `connections`, `secrets`, `authorities`, and the
// credential files of the swanctl directory, plus the ipsecref extension
// `manual` for static-key tunnels. The syntax is settings.h's; the keywords,
// their accepted values and what is refused are in the table of
// reference/gateway/swanctl_conf.md.
//
// Files: a certificate named in `certs` is an absolute path or one in
// <config dir>/x509/, a `cacerts` file one in <config dir>/x509ca/, a
// `pubkeys` file one in <config dir>/pubkey/, a `secrets` key file one in
// <config dir>/private/ (private-X), ecdsa/ (ecdsa-X), rsa/ (rsa-X) or
// pkcs8/ (pkcs8-X); <config dir> is the directory of the top swanctl.conf
// (strongSwan's swanctl directory, docs.strongswan.org "swanctl
// Directory"). As `swanctl --load-creds` does, every private key in
// private/, ecdsa/, rsa/ and pkcs8/ and every CA certificate in x509ca/ is
// loaded too: a connection signs with the key that matches its certificate
// and, without `cacerts`, trusts every loaded CA.
//
// Errors: kInvalidArgument (syntax, an unknown keyword, a bad value, a name
// defined twice, a bound exceeded), kUnsupported (a strongSwan feature the
// gateway does not implement: IKEv1, EAP, MOBIKE, pools, ...), kIoError (a
// file that cannot be read), kBadFile (a file that is no certificate or
// key); every message starts "FILE:LINE: ", names the keyword and says why,
// with the accepted values where there is a list.
#pragma once

#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/gateway/config.h"

namespace ipsecref::gateway {

// At most this many connections and manual tunnels together.
inline constexpr size_t kMaxConnections = 4096;

// Reads the file at `path`; includes and credential directories are
// relative to its directory.
Result<GatewayConfig> ReadSwanctlConf(const std::string& path);

// The same for `text`, named `name` in errors, with `base_dir` as the
// directory of includes and credentials.
Result<GatewayConfig> ParseSwanctlConf(std::string_view text, std::string_view name, std::string_view base_dir);

}  // namespace ipsecref::gateway
