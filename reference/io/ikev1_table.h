// The keys of IKEv1 (ISAKMP) SAs in captures. Two ways to give them:
//  - Wireshark's ikev1_decryption_table (the "IKEv1 Decryption Table" UAT of
//    the ISAKMP dissector): one ISAKMP SA per line,
//      <initiator cookie, 16 hex digits>,<encryption key hex>
//    e.g. 9e97d2be7358cd64,0382e55faf285f6350fe2636ff5dfd16 (Wireshark
//    4.0 writes the fields quoted; both forms are read). The key is the one
//    RFC 2409 Appendix B derives from SKEYID_e (strongSwan logs it as
//    "encryption key Ka").
//  - keys.json's "ikev1" entries (keys_json.h): the same key, or what RFC
//    2409 §5 derives it from for pre-shared key authentication: the
//    pre-shared key and the Diffie-Hellman shared secret g^xy (the nonces,
//    cookies and negotiated algorithms come from the capture).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::io {

struct Ikev1Keys {
  uint64_t cookie_i = 0;
  std::optional<uint64_t> cookie_r;  // keys.json may name it; then it must match too
  // Either the ISAKMP SA's encryption key (RFC 2409 Appendix B) ...
  SecureBytes encryption_key;
  // ... or, for pre-shared key authentication, the secrets it is derived
  // from (RFC 2409 §5): both set, encryption_key empty.
  SecureBytes pre_shared_key;
  SecureBytes dh_shared_secret;  // g^xy, as many octets as the group's prime
  std::vector<std::string> origins;  // "file:line", "keys.json: /ikev1/0"

  bool derived() const { return encryption_key.empty(); }
};

// Parses an ikev1_decryption_table text; `name` stands for the file in
// messages. Blank lines and lines starting with '#' are skipped; fields may
// be double-quoted. Errors: kBadFile naming name:line (field count, a
// cookie that is not 8 octets of hex, a key that is not hex or is empty).
Result<std::vector<Ikev1Keys>> ParseIkev1Table(std::string_view text, std::string_view name);

// Whether the first record of a key file given alone looks like an
// ikev1_decryption_table row: two fields, the first 16 hex digits.
bool LooksLikeIkev1Table(std::string_view text);

}  // namespace ipsecref::io
