// IKEv2 key exchange methods (RFC 7296 §2.12, Transform Type 4): the
// Diffie-Hellman groups a KE payload may carry, the recipient's tests on a
// peer's public value (RFC 6989), and the shared secret g^ir in the form
// IKEv2 feeds to SKEYSEED (RFC 7296 §2.14).
//
// Groups: MODP 14-18 (RFC 3526), ECP 19-21 (RFC 5903), Curve25519 (RFC 8031).
// Curve448 (group 32) is not offered: Crypto++ 8.7 has no X448.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/iana/ike.h"

namespace ipsecref::crypto {

enum class KeFamily : uint8_t {
  kModp,        // modular exponentiation over a safe prime, g = 2
  kEcp,         // elliptic curve over GF(p), a = -3
  kMontgomery,  // X25519 / X448 (RFC 7748)
};

struct KeGroupInfo {
  iana::KeGroup id;
  std::string_view rfc;
  size_t public_size;  // bytes of the KE payload's Key Exchange Data
  size_t shared_size;  // bytes of g^ir
  KeFamily family;
  // MODP: the prime p in hexadecimal, exactly as its RFC 3526 section
  // prints it; empty for the other families.
  std::string_view prime_hex;
  std::string_view name() const { return iana::Name(id); }
};

// Every group this reference implements, one row each.
std::span<const KeGroupInfo> KeGroups();
// nullptr for a group the table does not hold.
const KeGroupInfo* FindKeGroup(iana::KeGroup id);

// The recipient's checks on a peer's Key Exchange Data, before any use:
//  - length exactly public_size (kBadLength; offset where the value ends or
//    where the first extra byte starts);
//  - MODP: 1 < y < p-1 (kBadPublicValue, rfc6989#section-2.1);
//  - ECP: x < p and y < p (offset of the coordinate), and (x, y) on the
//    curve (kBadPublicValue, rfc6989#section-2.3);
//  - X25519: length only; an all-zero shared secret is refused by
//    SharedSecret (rfc8031#section-3.2).
// kUnknownTransform for a group not in the table.
[[nodiscard]] Status ValidatePublicValue(iana::KeGroup group, ByteSpan public_value);

// One party's side of a key exchange: its private value, and the public
// value it sends.
class KeyExchange {
 public:
  virtual ~KeyExchange() = default;
  virtual iana::KeGroup group() const = 0;
  // As carried in the KE payload.
  virtual ByteSpan public_value() const = 0;
  // Validates `peer_public` (ValidatePublicValue), then computes g^ir as
  // IKEv2 uses it: MODP left-padded to the length of p, ECP the x
  // coordinate only, X25519 the raw output.
  [[nodiscard]] virtual Result<SecureBytes> SharedSecret(ByteSpan peer_public) = 0;
};

// A fresh private value drawn from `rng`.
Result<std::unique_ptr<KeyExchange>> MakeKeyExchange(iana::KeGroup group, Rng& rng);

// A given private value, for known answers:
//  - MODP: the exponent x as a big-endian integer, 0 < x < p-1;
//  - ECP: the scalar d as a big-endian integer, 0 < d < n (group order);
//  - X25519: the 32-byte scalar as RFC 7748 §5 takes it (clamped on use).
// Leading zero bytes are allowed for MODP and ECP. kInvalidArgument
// otherwise.
Result<std::unique_ptr<KeyExchange>> MakeKeyExchangeFromPrivate(iana::KeGroup group,
                                                                ByteSpan private_value);

}  // namespace ipsecref::crypto
