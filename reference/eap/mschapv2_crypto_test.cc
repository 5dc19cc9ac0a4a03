// Known answers for the MS-CHAPv2 computations and the MSK, every value from
// outside the project, its source beside it.
#include "reference/eap/mschapv2_crypto.h"

#include <gtest/gtest.h>

#include <string_view>

namespace ipsecref::eap::mschapv2 {
namespace {

Bytes H(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

template <typename T>
Bytes B(const T& c) {
  return Bytes(c.begin(), c.end());
}

ByteSpan Span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// RFC 2759 §9.2 "Hash Example": user name "User", password "clientPass".
constexpr std::string_view kUserName = "User";
constexpr std::string_view kPassword = "clientPass";
const Bytes kAuthenticatorChallenge = H("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
const Bytes kPeerChallenge = H("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");

//= rfc2759#section-9.2
//# The hash example: ChallengeHash, PasswordHash, NT-Response,
//# PasswordHashHash and AuthenticatorResponse of "User" / "clientPass".
TEST(MsChapV2, Rfc2759HashExample) {
  EXPECT_EQ(B(ChallengeHash(kPeerChallenge, kAuthenticatorChallenge, kUserName)),
            H("D0 2E 43 86 BC E9 12 26"));  // RFC 2759 §9.2, 8-octet Challenge
  auto password_hash = NtPasswordHash(Span(kPassword));
  ASSERT_TRUE(password_hash.ok()) << password_hash.error().ToString();
  EXPECT_EQ(B(*password_hash), H("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE"));  // RFC 2759 §9.2 PasswordHash
  const NtResponse nt = GenerateNtResponse(kAuthenticatorChallenge, kPeerChallenge, kUserName, *password_hash);
  EXPECT_EQ(B(nt), H("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF"));  // §9.2 NT-Response
  EXPECT_EQ(B(HashNtPasswordHash(*password_hash)),
            H("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F"));  // RFC 2759 §9.2 PasswordHashHash
  EXPECT_EQ(GenerateAuthenticatorResponse(*password_hash, nt, kPeerChallenge, kAuthenticatorChallenge, kUserName),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56");  // RFC 2759 §9.2 AuthenticatorResponse
}

//= rfc2759#section-8.8
//# The peer accepts exactly the AuthenticatorResponse it computes itself.
TEST(MsChapV2, CheckAuthenticatorResponse) {
  const Bytes password_hash = H("44EBBA8D5312B8D611474411F56989AE");           // RFC 2759 §9.2
  const Bytes nt = H("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");      // RFC 2759 §9.2
  const std::string_view good = "S=407A5589115FD0D6209F510FE9C04566932CDA56";  // RFC 2759 §9.2
  EXPECT_TRUE(CheckAuthenticatorResponse(password_hash, nt, kPeerChallenge, kAuthenticatorChallenge, kUserName, good));
  EXPECT_TRUE(CheckAuthenticatorResponse(password_hash, nt, kPeerChallenge, kAuthenticatorChallenge, kUserName,
                                         "S=407a5589115fd0d6209f510fe9c04566932cda56"));
  EXPECT_FALSE(CheckAuthenticatorResponse(password_hash, nt, kPeerChallenge, kAuthenticatorChallenge, kUserName,
                                          "S=407A5589115FD0D6209F510FE9C04566932CDA57"));
  EXPECT_FALSE(CheckAuthenticatorResponse(password_hash, nt, kPeerChallenge, kAuthenticatorChallenge, kUserName, "S="));
  EXPECT_FALSE(CheckAuthenticatorResponse(password_hash, nt, kPeerChallenge, kAuthenticatorChallenge, "Other", good));
}

//= rfc2759#section-8.2
//# A domain prepended to the user name does not enter ChallengeHash.
TEST(MsChapV2, DomainLeftOutOfChallengeHash) {
  EXPECT_EQ(UserNameWithoutDomain("EXAMPLE\\User"), "User");
  EXPECT_EQ(UserNameWithoutDomain("User"), "User");
  EXPECT_EQ(B(ChallengeHash(kPeerChallenge, kAuthenticatorChallenge, "EXAMPLE\\User")),
            H("D0 2E 43 86 BC E9 12 26"));  // RFC 2759 §9.2 Challenge, for "User"
}

//= rfc2759#section-8.3
//# The password is hashed as UTF-16 little-endian; over 256 characters or
//# not UTF-8 is refused.
TEST(MsChapV2, NtPasswordHashInput) {
  // RFC 2759 §9.3: "MyPw" (4D 79 50 77) hashes to FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC.
  auto hash = NtPasswordHash(Span("MyPw"));
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(B(*hash), H("FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC"));
  EXPECT_FALSE(NtPasswordHash(Span(std::string(257, 'a'))).ok());
  EXPECT_TRUE(NtPasswordHash(Span(std::string(256, 'a'))).ok());
  const uint8_t not_utf8[] = {0x61, 0xc3};
  auto bad = NtPasswordHash(not_utf8);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().requirement, "rfc2759#section-8.3");
}

//= rfc3079#section-3.5.3
//# The 128-bit example: MasterKey from the RFC 2759 §9.2 values, and the
//# send start key (the server's, Magic3).
TEST(MsChapV2, Rfc3079KeyDerivation128) {
  const Bytes password_hash_hash = H("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");          // RFC 3079 §3.5.3
  const Bytes nt = H("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");  // RFC 3079 §3.5.3
  const SecureBytes master_key = GetMasterKey(password_hash_hash, nt);
  EXPECT_EQ(B(master_key), H("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31"));     // RFC 3079 §3.5.3 MasterKey
  // RFC 3079 §3.5.3 SendStartKey128:
  const Bytes send_start_key = H("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB");
  EXPECT_EQ(B(GetAsymmetricStartKey(master_key, /*is_send=*/true, /*is_server=*/true)), send_start_key);
  // §3.4: the server's send key is the client's receive key (both Magic3).
  EXPECT_EQ(B(GetAsymmetricStartKey(master_key, /*is_send=*/false, /*is_server=*/false)), send_start_key);
  // The other direction (Magic2). RFC 3079 prints no receive start key;
  // this value was computed with Python's hashlib (/usr/bin/python3:
  // sha1(MasterKey + 40 zero octets + Magic2 + 40 octets 0xf2)[:16]), not
  // with the code under test.
  const Bytes receive_start_key = H("d5f0e9521e3ea9589645e86051c82226");
  EXPECT_EQ(B(GetAsymmetricStartKey(master_key, /*is_send=*/false, /*is_server=*/true)), receive_start_key);
  EXPECT_EQ(B(GetAsymmetricStartKey(master_key, /*is_send=*/true, /*is_server=*/false)), receive_start_key);
}

//= reference/eap/README.md strongSwan
//# MSK = server receive start key | server send start key | 32 zero octets.
TEST(MsChapV2, MskLayout) {
  const Bytes master_key = H("FDECE3717A8C838CB388E527AE3CDD31");  // RFC 3079 §3.5.3 MasterKey
  // Computed with Python's hashlib (/usr/bin/python3) from the RFC 3079
  // §3.4 formulas and strongSwan's GenerateMSK layout (README.md).
  const Bytes msk =
      H("d5f0e9521e3ea9589645e86051c82226"
        "8b7cdc149b993a1ba118cb153f56dccb"
        "0000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(B(Msk(master_key)), msk);
  EXPECT_EQ(Msk(master_key).size(), kMskSize);
}

}  // namespace
}  // namespace ipsecref::eap::mschapv2
