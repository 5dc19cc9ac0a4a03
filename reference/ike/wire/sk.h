// The IKEv2 Encrypted payload (SK, RFC 7296 §3.14) and the body of the
// Encrypted Fragment payload (SKF, RFC 7383 §2.5), at byte level: what goes
// between the payload header and the end of the message.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   <- body
// |                     Initialization Vector                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Encrypted IKE Payloads                     ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// This layer knows nothing of the message model: the codec hands it the
// bytes of the message up to the start of the body ("associated data": the
// IKE header and the SK payload header, or the SKF payload header with its
// Fragment Number and Total Fragments) and the body itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/crypto/transforms.h"
#include "reference/iana/iana.h"

namespace ipsecref::ike {

// One direction's keys: SK_ei + SK_ai protect the initiator's messages,
// SK_er + SK_ar the responder's (RFC 7296 §2.14).
struct SkKeys {
  iana::Encr encr = iana::Encr::kAesGcm16;
  // Key length without salt (the Key Length attribute, RFC 7296 §3.3.5); 0
  // for transforms with one fixed length (3DES, ChaCha20-Poly1305).
  size_t encr_key_bits = 0;
  iana::Integ integ = iana::Integ::kNone;
  SecureBytes encr_key;   // SK_e: the key followed by the salt, where the transform has one
  SecureBytes integ_key;  // SK_a; empty with an AEAD
};

class SkCrypter {
 public:
  // Checks that the transforms may protect IKE messages and that the keys
  // fit them. `rng` draws the CBC IVs; null means the system generator.
  // A non-null `rng` must outlive the crypter.
  static Result<std::unique_ptr<SkCrypter>> Create(const SkKeys& keys, crypto::Rng* rng);
  ~SkCrypter();

  const crypto::EncrTransform& encr() const { return *encr_; }
  size_t iv_size() const { return encr_->iv_size; }
  size_t icv_size() const { return icv_size_; }
  // Plaintext, padding and Pad Length together are a multiple of this.
  size_t block_size() const { return encr_->block_size; }

  // The least padding for `plaintext_size` bytes of inner payloads.
  uint8_t MinPadLength(size_t plaintext_size) const;
  // Bytes of IV | ciphertext | ICV for `plaintext_size` bytes of inner
  // payloads with `pad_length` bytes of padding (nullopt: the minimum).
  size_t EncryptedBodySize(size_t plaintext_size, std::optional<uint8_t> pad_length = {}) const;
  // The most inner-payload bytes whose body (minimal padding) fits in
  // `max_body_size` bytes; nullopt when not even an empty body fits. The
  // sender of fragments (RFC 7383 §2.5.1) sizes them with it.
  std::optional<size_t> MaxPlaintextSize(size_t max_body_size) const;

  // Harness controls; production callers leave them empty.
  struct ProtectOptions {
    std::optional<Bytes> iv;             // this IV instead of the crypter's own
    std::optional<uint8_t> pad_length;   // this much padding (must keep the block alignment)
    std::optional<Bytes> padding_bytes;  // these padding bytes (default: zeros)
  };
  // Returns the body (IV | ciphertext | ICV) for `plaintext` (the inner
  // payloads). `associated_data` runs from the IKE header to the end of the
  // SK (or SKF) payload header, with final lengths: the caller computed them
  // with EncryptedBodySize.
  [[nodiscard]] Result<Bytes> Protect(ByteSpan associated_data, ByteSpan plaintext,
                                      const ProtectOptions& options = {});

  struct Unprotected {
    SecureBytes plaintext;  // the inner payloads; padding and Pad Length removed
    uint8_t pad_length = 0;
    ByteSpan iv;            // the IV, a view into the body passed in
  };
  // Checks the sizes (IV, at least the Pad Length octet, ICV; for CBC whole
  // blocks), then the ICV in constant time, then decrypts; the Pad Length
  // must fit. Offsets in errors count from the start of `body` (the caller
  // shifts them with Error::At).
  [[nodiscard]] Result<Unprotected> Unprotect(ByteSpan associated_data, ByteSpan body);

  // Fuzzing only: an ICV mismatch is ignored, so that mutated bodies reach
  // the decryption and Pad Length checks. Never for real traffic.
  bool fuzzing_ignore_icv = false;

 private:
  struct Key {};  // only Create constructs a crypter

 public:
  SkCrypter(Key, const crypto::EncrTransform& encr);

 private:
  [[nodiscard]] Status MakeIv(MutableByteSpan iv);

  const crypto::EncrTransform* encr_;
  std::unique_ptr<crypto::Aead> aead_;
  std::unique_ptr<crypto::Cipher> cipher_;
  std::unique_ptr<crypto::Integrity> integrity_;
  std::unique_ptr<crypto::Rng> own_rng_;
  crypto::Rng* rng_ = nullptr;
  size_t icv_size_ = 0;
  uint64_t iv_counter_ = 0;  // last counter IV used (GCM, CCM, ChaCha20, CTR)
};

}  // namespace ipsecref::ike
