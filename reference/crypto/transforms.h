// The transform registry: every algorithm the reference implements, keyed by
// its IANA transform ID, with the sizes ESP and AH need. Everything else
// (ESP, AH, the vector runner, the conformance report) looks algorithms up
// here; nothing else names an algorithm.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string_view>

#include "reference/base/result.h"
#include "reference/crypto/primitives.h"
#include "reference/iana/iana.h"

namespace ipsecref::crypto {

// How the per-packet IV is made.
enum class IvRule : uint8_t {
  kNone,     // no IV (ENCR_NULL)
  kRandom,   // unpredictable: CBC (RFC 3602 §3, RFC 2451)
  kCounter,  // unique under the key, a counter will do (RFC 3686 §3.1, RFC 4106 §3.1, ...)
};

struct EncrTransform {
  iana::Encr id;
  std::string_view rfc;          // where the transform's use in ESP is specified
  bool aead;                     // combined mode: no separate integrity transform
  bool confidentiality;          // false for ENCR_NULL and GMAC
  std::array<uint16_t, 3> key_bits;  // allowed key lengths, without salt; 0 = unused slot
  size_t salt_size;              // bytes of salt at the end of the keying material
  size_t iv_size;                // explicit IV carried in each packet
  size_t block_size;             // the cipher's block size, 1 for stream modes
  size_t icv_size;               // AEAD only
  IvRule iv_rule;
  Result<std::unique_ptr<Aead>> (*make_aead)(const EncrTransform&, ByteSpan keymat);
  Result<std::unique_ptr<Cipher>> (*make_cipher)(const EncrTransform&, ByteSpan keymat);

  std::string_view name() const { return iana::Name(id); }
  // Whether `keymat_size` bytes of keying material fit this transform.
  bool AcceptsKeymat(size_t keymat_size) const;
  // The key length in bits when the transform allows only one (3DES,
  // ChaCha20-Poly1305: no Key Length attribute, RFC 7296 §3.3.5), else 0.
  uint16_t fixed_key_bits() const {
    return key_bits[1] == 0 ? key_bits[0] : 0;
  }
};

struct IntegTransform {
  iana::Integ id;
  std::string_view rfc;
  size_t key_size;  // bytes
  size_t icv_size;  // bytes
  Result<std::unique_ptr<Integrity>> (*make)(const IntegTransform&, ByteSpan key);

  std::string_view name() const { return iana::Name(id); }
};

std::span<const EncrTransform> EncrTransforms();
std::span<const IntegTransform> IntegTransforms();
const EncrTransform* FindEncr(iana::Encr id);
const IntegTransform* FindInteg(iana::Integ id);

// Keyed instances, with the key length checked against the registry.
Result<std::unique_ptr<Aead>> MakeAead(iana::Encr id, ByteSpan keymat);
Result<std::unique_ptr<Cipher>> MakeCipher(iana::Encr id, ByteSpan keymat);
Result<std::unique_ptr<Integrity>> MakeIntegrity(iana::Integ id, ByteSpan key);

}  // namespace ipsecref::crypto
