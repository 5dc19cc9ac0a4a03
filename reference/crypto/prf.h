// IKEv2 pseudorandom functions (RFC 7296 §2.13, Transform Type 2) and prf+.
// Unlike integrity transforms, a PRF takes keys of any length: each PRF's
// RFC says how a key of another length is brought to its own.
#pragma once

#include <memory>
#include <span>

#include "reference/crypto/primitives.h"
#include "reference/iana/iana.h"

namespace ipsecref::crypto {

// A keyed PRF: prf(K, pieces...) with the full output.
class Prf {
 public:
  virtual ~Prf() = default;
  virtual size_t output_size() const = 0;
  virtual void Compute(std::initializer_list<ByteSpan> pieces, MutableByteSpan out) = 0;
};

struct PrfTransform {
  iana::Prf id;
  std::string_view rfc;
  size_t output_size;  // bytes
  //= rfc7296#section-2.13
  //# The preferred key size is the output size (what prf+ hands out for SK_d
  //# and the other PRF keys).
  size_t key_size;
  std::string_view name() const { return iana::Name(id); }
};

std::span<const PrfTransform> PrfTransforms();
const PrfTransform* FindPrf(iana::Prf id);

// A PRF keyed with `key` of any length (RFC 4434 §2 and RFC 4615 §3 for the
// AES-based ones, RFC 2104 §3 for HMAC).
Result<std::unique_ptr<Prf>> MakePrf(iana::Prf id, ByteSpan key);

//= rfc7296#section-2.13
//# prf+(K, S) = T1 | T2 | ...; T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n):
//# at most 255 blocks, so asking for more is an error.
Result<SecureBytes> PrfPlus(iana::Prf id, ByteSpan key, ByteSpan seed, size_t length);

}  // namespace ipsecref::crypto
