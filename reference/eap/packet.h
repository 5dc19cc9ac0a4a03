// EAP packets (RFC 3748 §4) as IKEv2 carries them, one per EAP payload
// (RFC 7296 §3.16), and the Type-Data of the Types this module speaks.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Code      |  Identifier   |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |  Type-Data ...     (Request and Response only)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//
// Every offset an error carries counts from the Code octet.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::eap {

//= rfc3748#section-4
//# The Code octet says Request (1), Response (2), Success (3) or Failure (4).
enum class Code : uint8_t { kRequest = 1, kResponse = 2, kSuccess = 3, kFailure = 4 };

//= rfc3748#section-5
//# Types 1 to 3 are the special Types (Identity, Notification, Nak); the
//# authentication methods are numbered from 4 on.
enum class Type : uint8_t {
  kIdentity = 1,
  kNotification = 2,
  kNak = 3,
  kMd5Challenge = 4,
  kGtc = 6,
  kExpanded = 254,
  // Assigned by IANA's "EAP Method Types" registry; defined in
  // draft-kamath-pppext-eap-mschapv2 (reference/eap/README.md).
  kMsChapV2 = 26,
};

// "Identity", "MD5-Challenge", ...; "Type 42" for a Type not named here.
std::string TypeName(uint8_t type);
std::string_view CodeName(Code code);

struct Packet {
  Code code = Code::kRequest;
  uint8_t identifier = 0;
  uint8_t type = 0;  // Request and Response only; the raw octet (Type values above)
  Bytes type_data;   // Request and Response only
  bool operator==(const Packet&) const = default;

  bool has_type() const { return code == Code::kRequest || code == Code::kResponse; }
  bool is(Type t) const { return has_type() && type == static_cast<uint8_t>(t); }
};

Packet MakeRequest(uint8_t identifier, Type type, Bytes type_data);
Packet MakeResponse(uint8_t identifier, Type type, Bytes type_data);
Packet MakeSuccess(uint8_t identifier);
Packet MakeFailure(uint8_t identifier);

// Parses one EAP packet that fills `in` exactly. Errors (offset from the
// Code octet, requirement cited):
//   kTruncated      fewer than 4 octets; Length beyond the data; a Request or
//                   Response without its Type; Type-Data shorter than its own
//                   sizes say (MD5-Challenge Value-Size)
//   kBadHeader      a Code other than 1-4; a Nak in a Request
//   kBadLength      Length below 4; Success or Failure not exactly 4 octets;
//                   an empty Nak, an empty Notification or GTC Request, a
//                   Notification Response with data, an MD5-Challenge with
//                   Value-Size 0
//   kTrailingBytes  octets after Length
// A Type this module does not know parses, its Type-Data kept as it is.
[[nodiscard]] Result<Packet> ParsePacket(ByteSpan in);

// The packet's octets. kLengthOverflow when Type-Data does not fit in
// Length's 16 bits.
[[nodiscard]] Result<Bytes> Serialize(const Packet& packet);

// One line: `Request id 7 MD5-Challenge value 16 octets name "gw" (26 octets)`.
std::string Describe(const Packet& packet);

// --- Type-Data of the Types with a structure --------------------------------

//= rfc3748#section-5.3.1
//# A Nak lists the authentication Types the peer would rather use, one
//# octet each; a single 0 says it has no alternative to offer.
// The desired Types of a Nak Response (already checked by ParsePacket).
std::vector<uint8_t> NakDesiredTypes(const Packet& nak);
Packet MakeNak(uint8_t identifier, const std::vector<uint8_t>& desired);

//= rfc3748#section-5.4
//# MD5-Challenge Type-Data is Value-Size (one octet), the Value, then the
//# Name up to the end of the packet.
struct Md5Challenge {
  Bytes value;
  Bytes name;
  bool operator==(const Md5Challenge&) const = default;
};
// Errors as ParsePacket's for Type 4 (offsets from the Code octet).
[[nodiscard]] Result<Md5Challenge> ReadMd5Challenge(const Packet& packet);
// kLengthOverflow for a Value over 255 octets.
[[nodiscard]] Result<Bytes> Md5ChallengeData(const Md5Challenge& c);

// A Type-Data as text, shown with anything unprintable as '?' (Describe, logs).
std::string Printable(ByteSpan text);

}  // namespace ipsecref::eap
