// IANA registries used by the ESP/AH dataplane, as enums with their
// registered names. Source: IANA "Internet Key Exchange Version 2 (IKEv2)
// Parameters" (Transform Type 1 and 3 values) and "Assigned Internet
// Protocol Numbers".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ipsecref::iana {

// Assigned Internet Protocol Numbers (the IPv4 Protocol / IPv6 Next Header field).
enum class IpProtocol : uint8_t {
  kHopByHop = 0,
  kIcmp = 1,
  kIpv4 = 4,  // IP in IP
  kTcp = 6,
  kUdp = 17,
  kIpv6 = 41,
  kRouting = 43,
  kFragment = 44,
  kEsp = 50,
  kAh = 51,
  kIcmpv6 = 58,
  kNoNextHeader = 59,  // RFC 4303 §2.6: marks a dummy packet
  kDestinationOptions = 60,
  kMobility = 135,
  kHip = 139,
  kShim6 = 140,
};

// IKEv2 Transform Type 1 — Encryption Algorithm Transform IDs.
enum class Encr : uint16_t {
  kDesIv64 = 1,  // RFC 1827
  kDes = 2,
  k3Des = 3,
  kRc5 = 4,       // RFC 2451
  kIdea = 5,      // RFC 2451
  kCast = 6,      // RFC 2451
  kBlowfish = 7,  // RFC 2451
  k3Idea = 8,     // RFC 2451
  kDesIv32 = 9,
  kNull = 11,
  kAesCbc = 12,
  kAesCtr = 13,
  kAesCcm8 = 14,
  kAesCcm12 = 15,
  kAesCcm16 = 16,
  kAesGcm8 = 18,
  kAesGcm12 = 19,
  kAesGcm16 = 20,
  kNullAuthAesGmac = 21,
  kCamelliaCbc = 23,     // RFC 5529
  kCamelliaCtr = 24,     // RFC 5529
  kCamelliaCcm8 = 25,    // RFC 5529
  kCamelliaCcm12 = 26,   // RFC 5529
  kCamelliaCcm16 = 27,   // RFC 5529
  kChaCha20Poly1305 = 28,
  kAesCcm8Iiv = 29,          // RFC 8750
  kAesGcm16Iiv = 30,         // RFC 8750
  kChaCha20Poly1305Iiv = 31,  // RFC 8750
  kKuznyechikMgmKtree = 32,     // RFC 9227
  kMagmaMgmKtree = 33,          // RFC 9227
  kKuznyechikMgmMacKtree = 34,  // RFC 9227
  kMagmaMgmMacKtree = 35,       // RFC 9227
};

// IKEv2 Transform Type 3 — Integrity Algorithm Transform IDs.
enum class Integ : uint16_t {
  kNone = 0,
  kHmacMd5_96 = 1,
  kHmacSha1_96 = 2,
  kAesXcbc96 = 5,
  kAesCmac96 = 8,
  kAes128Gmac = 9,
  kAes192Gmac = 10,
  kAes256Gmac = 11,
  kHmacSha2_256_128 = 12,
  kHmacSha2_384_192 = 13,
  kHmacSha2_512_256 = 14,
};

// IKEv2 Transform Type 2 — Pseudorandom Function Transform IDs.
enum class Prf : uint16_t {
  kHmacMd5 = 1,
  kHmacSha1 = 2,
  kHmacTiger = 3,
  kAes128Xcbc = 4,
  kHmacSha2_256 = 5,
  kHmacSha2_384 = 6,
  kHmacSha2_512 = 7,
  kAes128Cmac = 8,
};

std::string_view Name(Prf id);
std::optional<Prf> PrfFromName(std::string_view name);
std::string_view Name(Encr id);
std::string_view Name(Integ id);
std::string_view Name(IpProtocol p);
std::optional<Encr> EncrFromName(std::string_view name);
std::optional<Integ> IntegFromName(std::string_view name);

}  // namespace ipsecref::iana
