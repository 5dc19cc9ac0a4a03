// ike_bench's key material: what strongSwan logged for the captures'
// IKE SAs, and the runners that time key derivation (RFC 7296 §2.14,
// §2.17) and the Diffie-Hellman work before it, each beside the same
// computation on bare Crypto++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "reference/bytes/bytes.h"
#include "reference/iana/iana.h"
#include "reference/iana/ike.h"
#include "reference/ike/keymat/keymat.h"
#include "tools/bench/harness.h"

namespace ipsecref::bench {

namespace keymat = ike::keymat;


// The inputs and outputs strongSwan logged for the IKE SA of a capture
// (tcId 1 of vectors/ike/keymat_strongswan_<capture>.json, transcribed from
// charon's level-4 log of the run that made the capture).
struct LoggedKeymat {
  keymat::Suite suite;
  iana::Encr child_encr;
  size_t child_encr_bits;
  iana::Integ child_integ;
  Bytes ni, nr, gir;
  uint64_t spi_i = 0, spi_r = 0;
  Bytes skeyseed, skd, skai, skar, skei, sker, skpi, skpr;
  Bytes child_encr_i, child_integ_i, child_encr_r, child_integ_r;
};

// Reads tcId 1 of <source_dir>/vectors/ike/keymat_strongswan_<capture>.json;
// an error naming the file if a field is missing or not hex.
Result<LoggedKeymat> LoadLoggedKeymat(const std::string& source_dir, const std::string& capture);

// SKEYSEED and the seven IKE SA keys from the logged inputs; Init() checks
// them against strongSwan's log. `raw`: the same bytes from bare Crypto++
// HMAC<SHA256> (both captures' PRF is PRF_HMAC_SHA2_256).
std::unique_ptr<Runner> IkeSaKeysRunner(const LoggedKeymat& k, bool raw);

// One peer's Diffie-Hellman work against a fixed peer public value.
enum class KeOp {
  kKeyPair,         // MakeKeyExchange: a private value and its public value
  kSharedSecret,    // SharedSecret on a kept key pair (includes the RFC 6989 checks)
  kExchange,        // both: what a peer spends per exchange
  kValidatePublic,  // ValidatePublicValue alone (what ike::Validate does per KE payload)
};

// One peer's `op` in `group` against a fixed peer public value.
std::unique_ptr<Runner> KeRunner(iana::KeGroup group, KeOp op);

// The bare Crypto++ key agreement that reference/crypto/ke.cc wraps: a key
// pair and Agree per operation.
std::unique_ptr<Runner> RawKeRunner(iana::KeGroup group);

enum class Pfs {
  kNone,          // KEYMAT = prf+(SK_d, Ni | Nr)
  kDeriveOnly,    // KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr), g^ir given
  kWithExchange,  // the same plus this peer's ECP-256 exchange
};

// The keys of one Child SA from the logged SK_d and nonces; without PFS,
// Init() checks them against strongSwan's log.
std::unique_ptr<Runner> ChildSaKeysRunner(const LoggedKeymat& k, Pfs pfs);

}  // namespace ipsecref::bench
