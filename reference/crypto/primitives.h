// Keyed cryptographic primitives as ESP, AH (and later IKE's SK payload) use
// them. Each object holds one key, set once; per-packet calls only take the
// IV, so the key schedule is never redone on the packet path.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>

#include "reference/bytes/bytes.h"

namespace ipsecref::crypto {

// An AEAD as RFC 4106 (GCM), RFC 4309 (CCM), RFC 4543 (GMAC) and RFC 7634
// (ChaCha20-Poly1305) use it: the nonce is the salt taken from the end of the
// keying material, followed by the explicit per-packet IV.
class Aead {
 public:
  virtual ~Aead() = default;
  // Encrypts `text` in place (GMAC: leaves it clear and authenticates it
  // after `aad`) and writes the ICV into `icv`.
  virtual void Seal(ByteSpan iv, ByteSpan aad, MutableByteSpan text, MutableByteSpan icv) = 0;
  // Checks the ICV in constant time and decrypts `text` in place. On false
  // the contents of `text` are unspecified and must be discarded.
  [[nodiscard]] virtual bool Open(ByteSpan iv, ByteSpan aad, MutableByteSpan text,
                                  ByteSpan icv) = 0;
};

// A confidentiality-only transform (CBC, CTR, NULL).
class Cipher {
 public:
  virtual ~Cipher() = default;
  // `data` is a multiple of the transform's block size.
  virtual void Encrypt(ByteSpan iv, MutableByteSpan data) = 0;
  virtual void Decrypt(ByteSpan iv, MutableByteSpan data) = 0;
};

// An integrity transform: a MAC over the concatenation of `pieces`,
// truncated to the transform's ICV length.
class Integrity {
 public:
  virtual ~Integrity() = default;
  virtual size_t icv_size() const = 0;
  virtual void Compute(std::initializer_list<ByteSpan> pieces, MutableByteSpan icv) = 0;
  // Recomputes and compares in constant time.
  [[nodiscard]] bool Verify(std::initializer_list<ByteSpan> pieces, ByteSpan icv);
};

// Randomness is injected, so that tests and fuzzers are deterministic.
class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(MutableByteSpan out) = 0;
};

// The operating system's generator (through Crypto++).
std::unique_ptr<Rng> MakeSystemRng();
// A reproducible stream for tests and fuzzing; never for real keys or IVs.
std::unique_ptr<Rng> MakeDeterministicRng(uint64_t seed);

}  // namespace ipsecref::crypto
