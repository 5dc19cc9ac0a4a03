// Data Attributes (RFC 2408 §3.3): the attributes of a Transform payload
// (RFC 2409 Appendix A, RFC 2407 §4.5) and of Mode Config's Attribute
// payload (draft-dukes-ike-mode-cfg-02 §3.2).
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !A!       Attribute Type        !    AF=0  Attribute Length     !
// !F!                             !    AF=1  Attribute Value      !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// .                   AF=0  Attribute Value                       .
// .                   AF=1  Not Transmitted                       .
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <variant>

#include "reference/ike/wire/payloads/sa.h"
#include "reference/ikev1/payloads/common.h"

namespace ipsecref::ikev1 {

//= rfc2408#section-3.3
//# AF=1 (basic, TV): the 16-bit value sits where the length would; AF=0
//# (variable, TLV): a 16-bit length, then that many octets of value.
// IKEv2 kept this layout for its transform attributes (RFC 7296 §3.3.5):
// one type serves both codecs.
using DataAttribute = ike::TransformAttribute;

// Reads attributes until `in` is empty. Returns kPayloadMalformed naming the
// attribute when a header or a TLV value runs past the end.
Result<std::vector<DataAttribute>> ParseDataAttributes(ByteReader& in, std::string_view what);
// Returns kLengthOverflow when a TLV value exceeds 65535 octets.
[[nodiscard]] Status WriteDataAttributes(const std::vector<DataAttribute>& attributes, ByteWriter& out);

}  // namespace ipsecref::ikev1
