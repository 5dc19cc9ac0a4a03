// libreswan's ipsec.conf and ipsec.secrets for the IUT's configuration of a
// conformance run (the libreswan target, remote_target.h): one `conn` per
// CHILD SA configuration, all between the same two addresses and
// identities, so that pluto puts them under one IKE SA. The syntax is
// libreswan 4.10's, as its manual ipsec.conf(5) gives it (Debian's
// libreswan 4.10 package, usr/share/man/man5/ipsec.conf.5.gz; also
// libreswan.org/man/ipsec.conf.5.html):
//   ike=   "cipher-hash;dhgroup" proposals, comma-separated; for an AEAD
//          cipher the second element is the PRF (aes_gcm256-sha2_256;dh19)
//   esp=   ENCRYPT_ALGS[-INTEG_ALGS[-DH_ALGS]]; with phase2=ah, the
//          integrity algorithm alone
//   esn=   yes, no or either; pfs= yes or no; fragmentation= yes or no
//   authby=secret with leftid/rightid ("@" before an FQDN), and
//   ipsec.secrets(5)'s `ID ID : PSK 0sBASE64`.
#pragma once

#include <string>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ike/sa/config.h"

namespace ipsecref::conformance {

struct LibreswanFiles {
  std::string ipsec_conf;
  std::string ipsec_secrets;
};

// The files for `c` (the IUT's configuration) between `local` (the IUT's
// address) and `remote` (the tester's). Errors: kUnsupported naming what
// ipsec.conf cannot say: authentication other than a PSK, a PRF other than
// the HMAC of the integrity algorithm (ipsec.conf(5), ike: "libreswan does
// not support using a PRF algorithm that is different from the INTEGRITY
// (hash) algorithm"), an algorithm libreswan lacks (AES-CCM in IKE), a
// traffic selector that is no single address prefix with at most one
// protocol and port, an identity of another type than FQDN, RFC822 or IP.
Result<LibreswanFiles> LibreswanConf(const ike::sa::IkeConfig& c, ByteSpan local, ByteSpan remote);

}  // namespace ipsecref::conformance
