// Decryption of IKEv1 messages in a capture, given the ISAKMP SA's
// encryption key (RFC 2409 §5 and Appendix B), as Wireshark's
// ikev1_decryption_table gives it: initiator cookie -> key.
//
// The IV chain of Appendix B: Phase 1's first IV is the hash of the two
// public values, g^xi | g^xr (KE payloads of the cleartext messages); each
// later Phase 1 message's IV is the last ciphertext block of the message
// before. A Phase 2 or Informational exchange starts from the hash of the
// last Phase 1 ciphertext block and its Message ID, then chains the same
// way within the exchange.
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "reference/ikev1/message.h"

namespace ipsecref::ikev1 {

struct Ikev1Key {
  uint64_t initiator_cookie = 0;
  SecureBytes encryption_key;
};

// Reads Wireshark's ikev1_decryption_table: one "<cookie hex>,<key hex>" a
// line (quotes allowed), '#' comments. Returns kBadFile naming the line.
Result<std::vector<Ikev1Key>> ParseIkev1DecryptionTable(std::string_view text);

// One ISAKMP SA's messages, fed in capture order.
class IsakmpSaDecryptor {
 public:
  explicit IsakmpSaDecryptor(SecureBytes encryption_key) : key_(std::move(encryption_key)) {}

  // A cleartext message teaches the Phase 1 suite (its SA's encryption and
  // hash algorithms) and the public values (its KE). An encrypted one is
  // decrypted: `m.payloads` gets the payloads inside, `m.decrypted` is set.
  // Errors: kUnsupported (a cipher or hash ipsecref does not decrypt
  // IKEv1 with), kInvalidArgument (the IV cannot be made yet: no SA or KE
  // seen), kBadAlignment, and the decoder's errors for the plaintext.
  Status Observe(Message& m);

 private:
  SecureBytes key_;
  uint16_t encryption_ = 0, hash_ = 0;  // Phase 1 SA attributes 1 and 2
  std::vector<Bytes> public_values_;    // g^xi, g^xr in capture order
  std::optional<Bytes> phase1_iv_;
  Bytes last_phase1_block_;
  std::map<uint32_t, Bytes> exchange_iv_;  // by Message ID
};

}  // namespace ipsecref::ikev1
