// Primitives that are broken for new designs and kept only because legacy
// authentication methods inside IKEv2's EAP are defined over them: MD5 for
// CHAP-style MD5-Challenge (RFC 3748 §5.4, RFC 1994 §4.1), MD4 and single
// DES blocks for MS-CHAPv2 (RFC 2759 §8). Nothing else may use them.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "reference/bytes/bytes.h"

namespace ipsecref::crypto {

// MD5 (RFC 1321) of the pieces, concatenated: 16 octets.
std::array<uint8_t, 16> Md5(std::initializer_list<ByteSpan> pieces);

// MD4 (RFC 1320) of the pieces, concatenated: 16 octets. Only passwords
// are hashed with it (the NT password hash is password-equivalent), so the
// digest comes in wiping storage.
SecureBytes Md4(std::initializer_list<ByteSpan> pieces);

// One DES block (FIPS 46, ECB of a single block): `clear` under the 8-octet
// `key`, whose low bit of each octet (the parity bit) is ignored. Both spans
// must be 8 octets; anything else is a caller's bug (kInvalidArgument).
[[nodiscard]] Result<std::array<uint8_t, 8>> DesEncryptBlock(ByteSpan key, ByteSpan clear);

}  // namespace ipsecref::crypto
