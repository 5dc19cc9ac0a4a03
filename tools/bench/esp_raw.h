// esp_bench's raw side: the bare Crypto++ constructions doing the same
// cryptographic work as esp::Sa for each ESP algorithm, on a buffer laid
// out like the ESP packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "reference/bytes/bytes.h"
#include "reference/esp/esp_sa.h"
#include "reference/iana/iana.h"

namespace ipsecref::bench {

// Which bare Crypto++ construction stands for the algorithm.
enum class Raw {
  kGcm,       // GCM<AES, GCM_64K_Tables> (and a 2K-table twin)
  kChaCha,    // ChaCha20Poly1305
  kCcm16,     // CCM<AES, 16>
  kGmac,      // GCM<AES, GCM_64K_Tables> with everything as AAD
  kCbcHmac256,  // CBC_Mode<AES> + HMAC<SHA256> truncated to 16
  kCtrHmac1,    // CTR_Mode<AES> + HMAC<SHA1> truncated to 12
  kCbcXcbc,     // CBC_Mode<AES> + BlockXcbc below (Crypto++ has no XCBC)
  kNullHmac256,  // copy + HMAC<SHA256> truncated to 16
};

struct Algorithm {
  const char* name;
  iana::Encr encr;
  size_t encr_keymat;  // key + salt
  iana::Integ integ;
  size_t integ_key;
  Raw raw;
};

// The keys both sides use: the ESP encryption keymat (key and salt) and the
// integrity key, fixed byte patterns.
SecureBytes EncrKeymat(const Algorithm& a);
SecureBytes IntegKey(const Algorithm& a);

// The raw side lays its buffer out like the ESP packet: header (8) | IV |
// text | ICV, with the same text size (payload + padding + 2), and keys the
// primitives once, outside the loop, just as the Sa does.

struct Layout {
  size_t iv;
  size_t text;
  size_t icv;
  size_t total() const { return esp::kHeaderSize + iv + text + icv; }
  size_t text_at() const { return esp::kHeaderSize + iv; }
  size_t icv_at() const { return esp::kHeaderSize + iv + text; }
};


// The layout of a packet carrying `size` payload bytes under `a`.
Layout LayoutFor(const Algorithm& a, size_t size);

// What the raw benchmark does per packet; one object per (algorithm, direction).
class RawOp {
 public:
  virtual ~RawOp() = default;
  // Encap: plaintext text `in` -> packet `out` (header and IV already there).
  virtual void Encap(const uint8_t* in, uint8_t* out) = 0;
  // Decap in place; false on an ICV mismatch.
  virtual bool Decap(uint8_t* packet) = 0;
};

// GCM, CCM and ChaCha20-Poly1305 through AuthenticatedSymmetricCipher, as

// The raw construction for `a` (GCM with 2K instead of 64K tables if
// `gcm_2k`), keyed with EncrKeymat(a) and IntegKey(a).
std::unique_ptr<RawOp> MakeRaw(const Algorithm& a, Layout l, bool gcm_2k);

}  // namespace ipsecref::bench
