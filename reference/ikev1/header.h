// The ISAKMP header (RFC 2408 §3.1) and the generic payload header (§3.2),
// as IKEv1 (RFC 2409) uses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/ikev1/registry.h"

namespace ipsecref::ikev1 {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Initiator                            !
// !                            Cookie                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Responder                            !
// !                            Cookie                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Message ID                           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                            Length                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr size_t kHeaderSize = 28;
inline constexpr size_t kGenericPayloadHeaderSize = 4;

//= rfc2408#section-3.1
//# Flags: bit 0 Encryption (the payloads after the header are encrypted),
//# bit 1 Commit, bit 2 Authentication Only; the other bits are 0.
inline constexpr uint8_t kFlagEncryption = 0x01;
inline constexpr uint8_t kFlagCommit = 0x02;
inline constexpr uint8_t kFlagAuthenticationOnly = 0x04;
inline constexpr uint8_t kFlagsReserved = 0xf8;

struct Header {
  uint64_t initiator_cookie = 0;
  uint64_t responder_cookie = 0;
  PayloadType next_payload = PayloadType::kNone;
  uint8_t major_version = 1;
  uint8_t minor_version = 0;
  ExchangeType exchange_type = ExchangeType::kIdentityProtection;
  uint8_t flags = 0;  // the whole octet, as read
  uint32_t message_id = 0;
  uint32_t length = 0;

  bool encrypted() const { return (flags & kFlagEncryption) != 0; }
  bool commit() const { return (flags & kFlagCommit) != 0; }
  bool authentication_only() const { return (flags & kFlagAuthenticationOnly) != 0; }
  bool operator==(const Header&) const = default;
};

// The header's fields as they stand in the first 28 bytes, unjudged;
// nullopt when `message` is shorter. Its layout is IKEv2's (RFC 7296 §3.1
// kept ISAKMP's), so ike::PeekHeader's reading is reused: cookies are its
// SPIs. Tells IKEv1 from IKEv2 by the major version.
std::optional<Header> PeekHeader(ByteSpan message);
// Whether `message` starts with a header of major version 1.
bool IsIkev1(ByteSpan message);

// Reads and judges the header: returns kTruncated (fewer than 28 bytes),
// kBadVersion (a major version other than 1), kBadLength (Length is not
// the datagram's size). Notes a minor version other than 0 and reserved
// flag bits, which a receiver ignores.
Result<Header> ParseHeader(ByteReader& in, size_t datagram_size, std::vector<Error>& notes);
void WriteHeader(const Header& h, ByteWriter& out);

// "Main Mode", "Quick Mode", "exchange 7".
std::string ExchangeLabel(ExchangeType type);
// "E", "EC", "" ...
std::string FlagsLabel(uint8_t flags);

}  // namespace ipsecref::ikev1
