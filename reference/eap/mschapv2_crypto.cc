#include "reference/eap/mschapv2_crypto.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "reference/crypto/hash.h"
#include "reference/crypto/weak.h"

namespace ipsecref::eap::mschapv2 {
namespace {

using iana::HashAlgorithm;

ByteSpan Span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// SHA-1 of the pieces; SHA-1 is always implemented.
Bytes Sha1(std::initializer_list<ByteSpan> pieces) {
  return std::move(crypto::Digest(HashAlgorithm::kSha1, pieces).value());
}
// For the digests keys are cut from: wiped when freed.
SecureBytes SecretSha1(std::initializer_list<ByteSpan> pieces) {
  return std::move(crypto::SecretDigest(HashAlgorithm::kSha1, pieces).value());
}

// Appends the UTF-16 code units of one code point, low octet first.
void AppendUtf16Le(uint32_t cp, SecureBytes& out) {
  auto unit = [&out](uint32_t u) {
    out.push_back(static_cast<uint8_t>(u));
    out.push_back(static_cast<uint8_t>(u >> 8));
  };
  if (cp < 0x10000) return unit(cp);
  cp -= 0x10000;
  unit(0xd800 | (cp >> 10));
  unit(0xdc00 | (cp & 0x3ff));
}

// UTF-8 to UTF-16LE; false on a malformed sequence (overlong forms,
// surrogates and values past U+10FFFF included).
bool Utf8ToUtf16Le(ByteSpan in, SecureBytes& out, size_t& characters) {
  characters = 0;
  for (size_t i = 0; i < in.size(); ++characters) {
    const uint8_t b = in[i];
    size_t extra = 0;
    uint32_t cp = 0, min = 0;
    if (b < 0x80) {
      cp = b;
    } else if ((b & 0xe0) == 0xc0) {
      extra = 1, cp = b & 0x1f, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      extra = 2, cp = b & 0x0f, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      extra = 3, cp = b & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (in.size() - i - 1 < extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((in[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (in[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    AppendUtf16Le(cp, out);
    i += 1 + extra;
  }
  return true;
}

//= rfc2759#section-8.6
//# DES takes 64-bit keys whose every eighth bit is parity; the 7-octet key
//# is spread over the upper seven bits of eight octets.
SecureBytes DesKey(ByteSpan key7) {
  SecureBytes key(8);
  uint64_t bits = 0;
  for (size_t i = 0; i < 7; ++i) bits = bits << 8 | key7[i];
  for (size_t i = 0; i < 8; ++i) key[i] = static_cast<uint8_t>(((bits >> (49 - 7 * i)) & 0x7f) << 1);
  return key;
}

// "Magic server to client signing constant" and "Pad to make it do more
// than one iteration" (RFC 2759 §8.7, the octets of these ASCII strings).
constexpr std::string_view kAuthMagic1 = "Magic server to client signing constant";
constexpr std::string_view kAuthMagic2 = "Pad to make it do more than one iteration";

// RFC 3079 §3.4's Magic1, Magic2 and Magic3: ASCII strings, no terminator.
constexpr std::string_view kMasterKeyMagic = "This is the MPPE Master Key";
constexpr std::string_view kMagic2 =
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr std::string_view kMagic3 =
    "On the client side, this is the receive key; on the server side, it is the send key.";
static_assert(kAuthMagic1.size() == 39 && kAuthMagic2.size() == 41);
static_assert(kMasterKeyMagic.size() == 27 && kMagic2.size() == 84 && kMagic3.size() == 84);

}  // namespace

Result<SecureBytes> NtPasswordHash(ByteSpan password) {
  SecureBytes unicode;
  size_t characters = 0;
  ENSURE(Utf8ToUtf16Le(password, unicode, characters), kInvalidArgument, kNoOffset, "rfc2759#section-8.3",
         "the password is not UTF-8");
  ENSURE(characters <= 256, kInvalidArgument, kNoOffset, "rfc2759#section-8.3",
         fmt::format("a password of {} characters; at most 256", characters));
  return crypto::Md4({unicode});
}

SecureBytes HashNtPasswordHash(ByteSpan password_hash) { return crypto::Md4({password_hash}); }

std::string_view UserNameWithoutDomain(std::string_view user_name) {
  const size_t slash = user_name.find('\\');
  return slash == std::string_view::npos ? user_name : user_name.substr(slash + 1);
}

std::array<uint8_t, 8> ChallengeHash(ByteSpan peer_challenge, ByteSpan authenticator_challenge,
                                     std::string_view user_name) {
  const Bytes digest = Sha1({peer_challenge, authenticator_challenge, Span(UserNameWithoutDomain(user_name))});
  std::array<uint8_t, 8> out{};
  std::copy_n(digest.begin(), out.size(), out.begin());
  return out;
}

NtResponse ChallengeResponse(ByteSpan challenge, ByteSpan password_hash) {
  // Key material: wiped when freed (SecureBytes).
  SecureBytes z_password_hash(21, 0);
  std::copy_n(password_hash.begin(), std::min(password_hash.size(), kPasswordHashSize), z_password_hash.begin());
  NtResponse response{};
  for (size_t i = 0; i < 3; ++i) {
    const SecureBytes key = DesKey(ByteSpan(z_password_hash).subspan(7 * i, 7));
    // Sizes are fixed here: DesEncryptBlock cannot refuse them.
    const auto block = crypto::DesEncryptBlock(key, challenge.first(8)).value();
    std::copy(block.begin(), block.end(), response.begin() + static_cast<std::ptrdiff_t>(8 * i));
  }
  return response;
}

NtResponse GenerateNtResponse(ByteSpan authenticator_challenge, ByteSpan peer_challenge, std::string_view user_name,
                              ByteSpan password_hash) {
  const auto challenge = ChallengeHash(peer_challenge, authenticator_challenge, user_name);
  return ChallengeResponse(challenge, password_hash);
}

std::string GenerateAuthenticatorResponse(ByteSpan password_hash, ByteSpan nt_response, ByteSpan peer_challenge,
                                          ByteSpan authenticator_challenge, std::string_view user_name) {
  const SecureBytes password_hash_hash = HashNtPasswordHash(password_hash);
  const Bytes digest = Sha1({password_hash_hash, nt_response, Span(kAuthMagic1)});
  const auto challenge = ChallengeHash(peer_challenge, authenticator_challenge, user_name);
  const Bytes final_digest = Sha1({digest, challenge, Span(kAuthMagic2)});
  std::string hex = ToHex(final_digest);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "S=" + hex;
}

bool CheckAuthenticatorResponse(ByteSpan password_hash, ByteSpan nt_response, ByteSpan peer_challenge,
                                ByteSpan authenticator_challenge, std::string_view user_name,
                                std::string_view received) {
  const std::string mine =
      GenerateAuthenticatorResponse(password_hash, nt_response, peer_challenge, authenticator_challenge, user_name);
  // Hex digits compare case-blind: fold the received ones to upper case first.
  std::string folded(received);
  for (char& c : folded) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return ConstantTimeEqual(Span(mine), Span(folded));
}

SecureBytes GetMasterKey(ByteSpan password_hash_hash, ByteSpan nt_response) {
  const SecureBytes digest = SecretSha1({password_hash_hash, nt_response, Span(kMasterKeyMagic)});
  return SecureBytes(digest.begin(), digest.begin() + 16);
}

SecureBytes GetAsymmetricStartKey(ByteSpan master_key, bool is_send, bool is_server) {
  static constexpr std::array<uint8_t, 40> kShsPad1{};
  std::array<uint8_t, 40> shs_pad2{};
  shs_pad2.fill(0xf2);
  const std::string_view magic = is_send == is_server ? kMagic3 : kMagic2;
  const SecureBytes digest = SecretSha1({master_key, kShsPad1, Span(magic), shs_pad2});
  return SecureBytes(digest.begin(), digest.begin() + 16);
}

SecureBytes Msk(ByteSpan master_key) {
  //= reference/eap/README.md strongSwan
  //# The MSK is the server's receive start key, then its send start key,
  //# then 32 zero octets: 64 octets, the same on both ends.
  SecureBytes msk = GetAsymmetricStartKey(master_key, /*is_send=*/false, /*is_server=*/true);
  const SecureBytes send = GetAsymmetricStartKey(master_key, /*is_send=*/true, /*is_server=*/true);
  msk.insert(msk.end(), send.begin(), send.end());
  msk.resize(kMskSize, 0);
  return msk;
}

}  // namespace ipsecref::eap::mschapv2
