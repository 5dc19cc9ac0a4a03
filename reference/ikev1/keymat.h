// The keys of an ISAKMP SA authenticated with a pre-shared key (RFC 2409
// §5), and the encryption key that Appendix B cuts from SKEYID_e:
//
//   SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)
//   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
//   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
//   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
//   Ka       = SKEYID_e, or K1 | K2 | ... when the cipher's key is longer:
//              K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)
//
// prf is the HMAC of the negotiated hash (no IKEv1 PRF was ever assigned
// beyond that default).
#pragma once

#include <cstdint>
#include <optional>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/ike.h"

namespace ipsecref::ikev1 {

struct Phase1Keys {
  SecureBytes skeyid, skeyid_d, skeyid_a, skeyid_e;
  SecureBytes encryption_key;  // Ka cut to the cipher's key size
};

// Ni_b and Nr_b are the bodies of the two Nonce payloads, g^xy the shared
// secret as DH yields it (as long as the group's prime). Errors:
// kUnsupported for a hash IKEv1 gives no HMAC PRF to here (MD5, Tiger),
// kInvalidArgument for an empty key or secret or a key size of 0.
Result<Phase1Keys> DerivePskPhase1Keys(iana::HashAlgorithm hash, ByteSpan pre_shared_key,
                                       ByteSpan ni_b, ByteSpan nr_b, ByteSpan g_xy, uint64_t cky_i,
                                       uint64_t cky_r, size_t encryption_key_size);

// IKEv1's Hash Algorithm attribute (RFC 2409 Appendix A, class 2) as the
// hash registry's; nullopt for MD5, Tiger and unassigned values.
std::optional<iana::HashAlgorithm> HashOf(uint16_t hash_algorithm);

}  // namespace ipsecref::ikev1
