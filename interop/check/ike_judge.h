// One IKE message judged on its own: decoded (RFC 7296 §3), its SK or SKF
// payload decrypted with the IKE SA's keys (§3.14, RFC 7383), and checked
// against the payload rules and the exchange rule tables (ike/wire/rules.h).
// Used by `ipsecref ike-decode` per message and by the capture checker's
// exchange tracking (ike_exchanges.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ike/wire/message.h"
#include "reference/ike/wire/protection.h"
#include "reference/ike/wire/rules.h"
#include "reference/ikev1/decrypt.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys.h"

namespace ipsecref::io {

// The SK protection of each IKE SA whose keys are known, made once per SPI
// pair. SKF fragments are kept per SA until their message is complete.
class IkeKeyRing {
 public:
  explicit IkeKeyRing(std::vector<Ikev2Keys> keys) : keys_(std::move(keys)) {}

  // The protection for these SPIs; nullptr when no keys are known. Errors:
  // the keys cannot make SK crypters (a key of the wrong size).
  Result<ike::MessageProtection*> For(uint64_t spi_i, uint64_t spi_r);
  bool Knows(uint64_t spi_i, uint64_t spi_r) const { return Find(keys_, spi_i, spi_r) != nullptr; }

 private:
  std::vector<Ikev2Keys> keys_;
  std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<ike::MessageProtection>> sas_;
};

struct IkeMessageOutcome {
  std::optional<ike::Message> message;
  std::optional<Error> decode_error;   // the message did not decode
  std::optional<Error> decrypt_error;  // SK/SKF did not decrypt (or the keys are unusable)
  bool keys_known = false;             // the key ring has this SA's keys
  bool fragment_kept = false;          // an SKF fragment waiting for the others
  ike::Validation validation;
  // From the Flags octet, read even when the message does not decode: a
  // response is never answered, whatever is wrong with it.
  bool response = false;
  // From the Exchange Type octet, read the same way: whether an error may be
  // answered depends on it (no INVALID_SYNTAX for IKE_SA_INIT).
  iana::ExchangeType exchange{};

  // Decoded, and decrypted where there is something to decrypt.
  bool contents_seen() const {
    return message && (message->Encrypted() == nullptr || message->decrypted);
  }
  bool failed() const { return decode_error || decrypt_error || !validation.ok(); }
};

// Judges one IKE datagram (the non-ESP marker already removed); `keys` may
// be nullptr (nothing is decrypted).
IkeMessageOutcome JudgeIkeMessage(ByteSpan datagram, IkeKeyRing* keys);

// An IKEv1 message's judgement: decoded (RFC 2408 §3), decrypted where its
// ISAKMP SA's keys are known (RFC 2409 Appendix B), and checked against the
// payloads' own rules (ikev1::Validate).
struct Ikev1MessageOutcome {
  std::optional<ikev1::Message> message;
  std::optional<Error> decode_error;   // the message did not decode
  std::optional<Error> decrypt_error;  // no usable IV or key, or the plaintext does not parse
  bool keys_known = false;             // the keys name this ISAKMP SA
  std::vector<Error> violations;

  // Decoded, and decrypted where it was encrypted.
  bool contents_seen() const { return message && (!message->header.encrypted() || message->decrypted); }
  bool failed() const { return decode_error || decrypt_error || !violations.empty(); }
};

// The decryptors of the ISAKMP SAs whose keys (an ikev1_decryption_table
// row, or keys.json's pre-shared key and g^xy) are known, one per initiator
// cookie, fed every message of their SA in capture order: decryption
// follows the IV chain, so no message may be skipped.
class Ikev1KeyRing {
 public:
  explicit Ikev1KeyRing(std::vector<Ikev1Keys> keys);

  // Judges one IKEv1 datagram (the non-ESP marker already removed).
  Ikev1MessageOutcome Judge(ByteSpan datagram);
  bool Knows(uint64_t cookie_i, uint64_t cookie_r) const;
  // The decryptor of an ISAKMP SA once a message of it was judged; nullptr
  // when its keys are not known.
  const ikev1::IsakmpSaDecryptor* DecryptorOf(uint64_t cookie_i) const;

 private:
  const Ikev1Keys* Find(uint64_t cookie_i, uint64_t cookie_r) const;

  std::vector<Ikev1Keys> keys_;
  std::multimap<uint64_t, size_t> by_cookie_;         // initiator cookie -> keys_
  std::map<uint64_t, ikev1::IsakmpSaDecryptor> sas_;  // by initiator cookie
};

}  // namespace ipsecref::io
