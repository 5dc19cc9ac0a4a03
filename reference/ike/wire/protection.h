// SK protection of whole messages: the bridge between the codec (message.h)
// and the byte-level SK crypter (sk.h). Messages sent by the original
// initiator use SK_ei/SK_ai, the others SK_er/SK_ar (RFC 7296 §2.14).
#pragma once

#include <map>
#include <memory>
#include <tuple>

#include "reference/ike/wire/message.h"
#include "reference/ike/wire/sk.h"
#include "reference/ike/wire/skf_reassembly.h"

namespace ipsecref::ike {

struct MessageKeys {
  SkKeys initiator;  // SK_ei, SK_ai
  SkKeys responder;  // SK_er, SK_ar
};

class MessageProtection {
 public:
  static Result<std::unique_ptr<MessageProtection>> Create(const MessageKeys& keys, crypto::Rng* rng = nullptr);

  // Decrypts the SK payload of `m`, decoded from `datagram`, and decodes its
  // payloads into m.inner. Offsets of inner payloads count from the start of
  // the message, at the position of their ciphertext.
  Status Decrypt(Message& m, ByteSpan datagram);

  // Decrypts the SKF payload of `m` and hands it to the message's
  // reassembler (keyed by IKE SPIs, message ID and direction, RFC 7383
  // §2.6); when that completes the message, decodes the whole into m.inner.
  Result<SkfReassembler::Outcome> DecryptFragment(Message& m, ByteSpan datagram);

  // Builds the datagram for `m`: m.inner encrypted into an SK payload that
  // replaces any SK at the end of m.payloads; header lengths are set.
  Result<Bytes> Encrypt(Message& m, const SkCrypter::ProtectOptions& options = {});

  // Builds `m` as SKF fragments (RFC 7383 §2.5): m.inner cut into pieces
  // so that no fragment message exceeds `max_message_size` bytes, each
  // encrypted on its own; one datagram per fragment, in order.
  Result<std::vector<Bytes>> EncryptFragments(const Message& m, size_t max_message_size,
                                              const SkCrypter::ProtectOptions& options = {});

  SkCrypter& crypter(bool from_initiator) { return from_initiator ? *initiator_ : *responder_; }
  void set_fuzzing_ignore_icv(bool ignore);

 private:
  MessageProtection() = default;
  Result<SecureBytes> Open(const Message& m, const Payload& encrypted, size_t header_size, ByteSpan datagram,
                           size_t& plaintext_offset);

  std::unique_ptr<SkCrypter> initiator_;
  std::unique_ptr<SkCrypter> responder_;
  std::map<std::tuple<uint64_t, uint64_t, uint32_t, bool>, SkfReassembler> fragments_;
};

}  // namespace ipsecref::ike
