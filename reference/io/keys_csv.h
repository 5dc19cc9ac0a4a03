// keys.csv: every key of the peers' IKE and CHILD SAs, written by the
// project's patched strongSwan save-keys plugin (../shared/peers), with IANA
// transform numbers. Unlike Wireshark's esp_sa it carries AH, ESN, the mode
// and UDP encapsulation. Records, one per line, comma-separated:
//   ike,version,we_are_initiator,my_host,other_host,spi_i,spi_r,encr,
//       encr_keylen,integ,prf,ke,SK_d,SK_ai,SK_ar,SK_ei,SK_er,SK_pi,SK_pr
//   esp,src,dst,spi,encr,encr_keylen,integ,esn,mode,udp_encap,encr_key,
//       integ_key,ike_spi_i,ike_spi_r[,proto]
// Hosts may carry the IKE port ("192.0.2.1[4500]"), which an esp record's
// SaKeys keeps (src_port, dst_port: through NAT, the ports differ at the two
// ends); SPI 0 (and an ike record's initiator SPI 0) is refused; keys and
// SPIs are hex without "0x"; mode is 1 (transport) or 2 (tunnel); proto is 50 (ESP,
// the default when absent) or 51 (AH). encr_keylen counts the key's bits
// without the salt.
#pragma once

#include <string_view>
#include <vector>

#include "reference/io/ikev2_table.h"
#include "reference/io/keys.h"

namespace ipsecref::io {

// The CHILD SAs ("esp" records) of a keys.csv text; `name` stands for the
// file in messages. "ike" records are checked for their field count only
// (IKE keys are for later); blank lines and '#' comments are skipped.
// Errors (kBadFile, kUnknownTransform, kBadKeyLength,
// kBadTransformCombination) name name:line. Every SA is checked with
// ValidateSaKeys.
Result<std::vector<SaKeys>> ParseKeysCsv(std::string_view text, std::string_view name);

// The IKE SAs ("ike" records) of a keys.csv text, for SK decryption: it
// names transforms Wireshark's ikev2_decryption_table cannot
// (ChaCha20-Poly1305). Key sizes are checked when the keys are used.
Result<std::vector<Ikev2Keys>> ParseIkeKeysCsv(std::string_view text, std::string_view name);

// The IKE keys at `path`: an ikev2_decryption_table or keys.csv file, or a
// directory holding either (KeyStore::Load; what several files give for one
// IKE SA must agree). Errors: those of KeyStore::Load; kIoError when no IKE
// SA is found.
Result<std::vector<Ikev2Keys>> LoadIkeKeys(const std::string& path);

}  // namespace ipsecref::io
