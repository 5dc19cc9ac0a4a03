// Decryption of IKEv1 messages in a capture (RFC 2409 §5 and Appendix B),
// given the ISAKMP SA's encryption key (as Wireshark's
// ikev1_decryption_table gives it) or, for pre-shared key authentication,
// the pre-shared key and the Diffie-Hellman shared secret g^xy that the key
// is derived from (keymat.h).
//
// The IV chain of Appendix B: Phase 1's first IV is the hash of the two
// public values, g^xi | g^xr (KE payloads of the cleartext messages); each
// later Phase 1 message's IV is the last ciphertext block of the message
// before. A Phase 2 or Informational exchange starts from the hash of the
// last Phase 1 ciphertext block and its Message ID, then chains the same
// way within the exchange.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "reference/ikev1/keymat.h"
#include "reference/ikev1/message.h"

namespace ipsecref::ikev1 {

// What the decryptor is given: the encryption key, or the pre-shared key
// and g^xy (then encryption_key is empty).
struct Ikev1Secret {
  SecureBytes encryption_key;
  SecureBytes pre_shared_key;
  SecureBytes dh_shared_secret;
};

// One ISAKMP SA's messages, fed in capture order.
class IsakmpSaDecryptor {
 public:
  explicit IsakmpSaDecryptor(Ikev1Secret secret) : secret_(std::move(secret)) {}

  // A cleartext message teaches the Phase 1 suite (its SA's encryption and
  // hash algorithms, key length, authentication method), the public values
  // (its KE) and the nonces. An encrypted one is decrypted: `m.payloads`
  // gets the payloads inside, `m.decrypted` is set. A retransmission (the
  // same ciphertext again) is decrypted with the IV its first copy had and
  // leaves the chain as it was. Errors, each citing the requirement:
  // kUnsupported (a cipher or hash ipsecref does not decrypt IKEv1 with; a
  // pre-shared key given for an SA authenticated otherwise),
  // kInvalidArgument (the IV or key cannot be made yet: no SA, KE or Nonce
  // seen), kBadAlignment, and kPayloadMalformed when the plaintext's payload
  // chain does not parse: a wrong key, or a broken IV chain (a message of
  // the exchange missing from the capture).
  Status Observe(Message& m);

  // The keys derived from the pre-shared key, once the first encrypted
  // message made them; nullopt when the encryption key was given.
  const std::optional<Phase1Keys>& derived_keys() const { return derived_; }

 private:
  Result<Bytes> IvFor(const Message& m, size_t block);
  Status DeriveKey(const Message& m);

  Ikev1Secret secret_;
  std::optional<Phase1Keys> derived_;
  uint16_t encryption_ = 0, hash_ = 0, key_bits_ = 0, auth_method_ = 0;  // Phase 1 SA attributes
  std::vector<Bytes> public_values_;    // g^xi, g^xr in capture order
  std::vector<Bytes> nonces_;           // Ni_b, Nr_b in capture order
  std::optional<Bytes> phase1_iv_;
  Bytes last_phase1_block_;
  std::map<uint32_t, Bytes> exchange_iv_;  // by Message ID
  std::deque<uint32_t> exchange_order_;     // exchange_iv_'s keys, oldest first
  // Last ciphertext block of each message decrypted -> the IV it had.
  std::map<Bytes, Bytes> decrypted_with_;
  std::deque<Bytes> decrypted_order_;  // decrypted_with_'s keys, oldest first
};

}  // namespace ipsecref::ikev1
