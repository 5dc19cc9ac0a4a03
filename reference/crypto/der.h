// DER (X.690 §10) for the one structure IKEv2 carries it in: the ECDSA
// signature value Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
// (RFC 3279 §2.2.3), which RFC 7427 signatures hold where RFC 4754 ones
// hold r || s.
#pragma once

#include <cstddef>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::crypto {

// r || s (two halves of equal size, as RFC 4754 §7 lays them out) as a DER
// Ecdsa-Sig-Value: each INTEGER in minimal form (leading zero octets
// dropped, one 0x00 put in front of a high first bit), definite lengths in
// their shortest form. `rs` of up to 2 × 32 KiB octets; an empty half
// encodes as the INTEGER 0. Never fails.
[[nodiscard]] Bytes EcdsaSigValueFromRs(ByteSpan rs);

// A DER Ecdsa-Sig-Value back to r || s, each left-padded to `order_size`
// octets. Refuses, with kBadSignature, the offset and rfc3279#section-2.2.3:
// a tag other than SEQUENCE/INTEGER, BER lengths (long form below 128,
// leading zero length octets, indefinite form, more than 2 length octets), a
// SEQUENCE length other than the octets that follow, an empty, negative or
// non-minimal INTEGER, one longer than `order_size`, and octets after s.
[[nodiscard]] Result<Bytes> RsFromEcdsaSigValue(ByteSpan der, size_t order_size);

}  // namespace ipsecref::crypto
