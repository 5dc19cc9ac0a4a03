// The MS-CHAPv2 computations (RFC 2759 §8), the MPPE master and start keys
// derived from them (RFC 3079 §3.4), and the MSK IKEv2 takes from those
// (reference/eap/README.md, "The MSK of EAP-MSCHAPv2 in IKEv2"). Names are
// the RFCs' pseudocode names. Pure functions: octets in, octets out.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::eap::mschapv2 {

inline constexpr size_t kChallengeSize = 16;  // AuthenticatorChallenge, PeerChallenge
inline constexpr size_t kNtResponseSize = 24;
inline constexpr size_t kPasswordHashSize = 16;
inline constexpr size_t kMskSize = 64;

using Challenge = std::array<uint8_t, kChallengeSize>;
using NtResponse = std::array<uint8_t, kNtResponseSize>;

//= rfc2759#section-8.3
//# NtPasswordHash is MD4 over the password in Unicode (UTF-16, low octet
//# first), without a terminator.
// `password` is UTF-8. kInvalidArgument for octets that are not UTF-8 or a
// password over 256 characters (RFC 2759 §8.3 bounds it so).
[[nodiscard]] Result<SecureBytes> NtPasswordHash(ByteSpan password);

//= rfc2759#section-8.4
//# HashNtPasswordHash is MD4 over the 16-octet PasswordHash.
SecureBytes HashNtPasswordHash(ByteSpan password_hash);

//= rfc2759#section-8.2
//# Only the user name enters ChallengeHash: a domain prepended as
//# DOMAIN\user is left out.
std::string_view UserNameWithoutDomain(std::string_view user_name);

//= rfc2759#section-8.2
//# ChallengeHash is the first 8 octets of SHA-1 over PeerChallenge,
//# AuthenticatorChallenge and the user name, in that order.
std::array<uint8_t, 8> ChallengeHash(ByteSpan peer_challenge, ByteSpan authenticator_challenge,
                                     std::string_view user_name);

//= rfc2759#section-8.5
//# ChallengeResponse pads PasswordHash with zeros to 21 octets, cuts it into
//# three 7-octet DES keys and encrypts the 8-octet Challenge under each;
//# the three blocks are the 24-octet response.
NtResponse ChallengeResponse(ByteSpan challenge, ByteSpan password_hash);

//= rfc2759#section-8.1
//# GenerateNTResponse = ChallengeResponse(ChallengeHash(PeerChallenge,
//# AuthenticatorChallenge, UserName), NtPasswordHash(Password)).
NtResponse GenerateNtResponse(ByteSpan authenticator_challenge, ByteSpan peer_challenge, std::string_view user_name,
                              ByteSpan password_hash);

//= rfc2759#section-8.7
//# The AuthenticatorResponse is "S=" and 40 hex digits of
//# SHA-1(SHA-1(PasswordHashHash | NT-Response | Magic1) | ChallengeHash | Magic2).
// Upper case, as the RFC's example writes them.
std::string GenerateAuthenticatorResponse(ByteSpan password_hash, ByteSpan nt_response, ByteSpan peer_challenge,
                                          ByteSpan authenticator_challenge, std::string_view user_name);

//= rfc2759#section-8.8
//# The peer recomputes the AuthenticatorResponse and compares it with the
//# one received.
// Compared in constant time.
bool CheckAuthenticatorResponse(ByteSpan password_hash, ByteSpan nt_response, ByteSpan peer_challenge,
                                ByteSpan authenticator_challenge, std::string_view user_name,
                                std::string_view received);

//= rfc3079#section-3.4
//# MasterKey is the first 16 octets of SHA-1(PasswordHashHash | NT-Response
//# | "This is the MPPE Master Key").
SecureBytes GetMasterKey(ByteSpan password_hash_hash, ByteSpan nt_response);

//= rfc3079#section-3.4
//# A start key is the first 16 octets (for 128-bit keys) of SHA-1(MasterKey
//# | 40 zero octets | Magic | 40 octets of 0xf2), Magic3 for the server's
//# send and the client's receive key, Magic2 for the other two.
SecureBytes GetAsymmetricStartKey(ByteSpan master_key, bool is_send, bool is_server);

// The 64-octet MSK IKEv2 signs AUTH with (RFC 7296 §2.16), laid out as
// strongSwan's eap-mschapv2 plugin does (README.md): the server's receive
// start key, the server's send start key, 32 zero octets. The same on both
// ends.
SecureBytes Msk(ByteSpan master_key);

}  // namespace ipsecref::eap::mschapv2
