#include "reference/crypto/ke.h"

#include <cryptopp/asn.h>
#include <cryptopp/dh.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/xed25519.h>
#include <fmt/format.h>

#include <array>

namespace ipsecref::crypto {
namespace {

using iana::KeGroup;
using CryptoPP::Integer;

//= rfc3526#section-3
//# The 2048-bit MODP group (IANA group 14), generator 2, prime
//# p = 2^2048 - 2^1984 - 1 + 2^64 * (floor(2^1918 * pi) + 124476),
//# written here as the RFC prints it in hexadecimal.
constexpr std::string_view kModp2048Prime =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

//= rfc3526#section-4
//# The 3072-bit MODP group (IANA group 15), generator 2, prime
//# p = 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 * pi) + 1690314),
//# written here as the RFC prints it in hexadecimal.
constexpr std::string_view kModp3072Prime =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 "
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 "
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 "
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF";

//= rfc3526#section-5
//# The 4096-bit MODP group (IANA group 16), generator 2, prime
//# p = 2^4096 - 2^4032 - 1 + 2^64 * (floor(2^3966 * pi) + 240904),
//# written here as the RFC prints it in hexadecimal.
constexpr std::string_view kModp4096Prime =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 "
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 "
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 "
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 "
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 "
    "DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 "
    "233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 "
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34063199 FFFFFFFF FFFFFFFF";

//= rfc3526#section-6
//# The 6144-bit MODP group (IANA group 17), generator 2, prime
//# p = 2^6144 - 2^6080 - 1 + 2^64 * (floor(2^6014 * pi) + 929484),
//# written here as the RFC prints it in hexadecimal.
constexpr std::string_view kModp6144Prime =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 "
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 "
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 "
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 "
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 "
    "DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 "
    "233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 "
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492 36C3FAB4 D27C7026 "
    "C1D4DCB2 602646DE C9751E76 3DBA37BD F8FF9406 AD9E530E E5DB382F 413001AE "
    "B06A53ED 9027D831 179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B "
    "DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF 5983CA01 C64B92EC "
    "F032EA15 D1721D03 F482D7CE 6E74FEF6 D55E702F 46980C82 B5A84031 900B1C9E "
    "59E7C97F BEC7E8F3 23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA "
    "CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 06A1D58B B7C5DA76 "
    "F550AA3D 8A1FBFF0 EB19CCB1 A313D55C DA56C9EC 2EF29632 387FE8D7 6E3C0468 "
    "043E8F66 3F4860EE 12BF2D5B 0B7474D6 E694F91E 6DCC4024 FFFFFFFF FFFFFFFF";

//= rfc3526#section-7
//# The 8192-bit MODP group (IANA group 18), generator 2, prime
//# p = 2^8192 - 2^8128 - 1 + 2^64 * (floor(2^8062 * pi) + 4743158),
//# written here as the RFC prints it in hexadecimal.
constexpr std::string_view kModp8192Prime =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 "
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 "
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 "
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 "
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 "
    "DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 "
    "233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 "
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492 36C3FAB4 D27C7026 "
    "C1D4DCB2 602646DE C9751E76 3DBA37BD F8FF9406 AD9E530E E5DB382F 413001AE "
    "B06A53ED 9027D831 179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B "
    "DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF 5983CA01 C64B92EC "
    "F032EA15 D1721D03 F482D7CE 6E74FEF6 D55E702F 46980C82 B5A84031 900B1C9E "
    "59E7C97F BEC7E8F3 23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA "
    "CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 06A1D58B B7C5DA76 "
    "F550AA3D 8A1FBFF0 EB19CCB1 A313D55C DA56C9EC 2EF29632 387FE8D7 6E3C0468 "
    "043E8F66 3F4860EE 12BF2D5B 0B7474D6 E694F91E 6DBE1159 74A3926F 12FEE5E4 "
    "38777CB6 A932DF8C D8BEC4D0 73B931BA 3BC832B6 8D9DD300 741FA7BF 8AFC47ED "
    "2576F693 6BA42466 3AAB639C 5AE4F568 3423B474 2BF1C978 238F16CB E39D652D "
    "E3FDB8BE FC848AD9 22222E04 A4037C07 13EB57A8 1A23F0C7 3473FC64 6CEA306B "
    "4BCBC886 2F8385DD FA9D4B7F A2C087E8 79683303 ED5BDD3A 062B3CF5 B3A278A6 "
    "6D2A13F8 3F44F82D DF310EE0 74AB6A36 4597E899 A0255DC1 64F31CC5 0846851D "
    "F9AB4819 5DED7EA1 B1D510BD 7EE74D73 FAF36BC3 1ECFA268 359046F4 EB879F92 "
    "4009438B 481C6CD7 889A002E D5EE382B C9190DA6 FC026E47 9558E447 5677E9AA "
    "9E3050E2 765694DF C81F56E8 80B96E71 60C980DD 98EDD3DF FFFFFFFF FFFFFFFF";

const std::array<KeGroupInfo, 9> kGroups{{
    //  id                  rfc                    public shared family              prime
    {KeGroup::kModp2048, "rfc3526#section-3", 256, 256, KeFamily::kModp, kModp2048Prime},
    {KeGroup::kModp3072, "rfc3526#section-4", 384, 384, KeFamily::kModp, kModp3072Prime},
    {KeGroup::kModp4096, "rfc3526#section-5", 512, 512, KeFamily::kModp, kModp4096Prime},
    {KeGroup::kModp6144, "rfc3526#section-6", 768, 768, KeFamily::kModp, kModp6144Prime},
    {KeGroup::kModp8192, "rfc3526#section-7", 1024, 1024, KeFamily::kModp, kModp8192Prime},
    //= rfc5903#section-7
    //# The public value is x || y, each coordinate as long as the field
    //# (256, 384 and 528 bits); the shared secret is the x coordinate alone.
    {KeGroup::kEcp256, "rfc5903#section-3.1", 64, 32, KeFamily::kEcp, {}},
    {KeGroup::kEcp384, "rfc5903#section-3.2", 96, 48, KeFamily::kEcp, {}},
    {KeGroup::kEcp521, "rfc5903#section-3.3", 132, 66, KeFamily::kEcp, {}},
    //= rfc8031#section-3.1
    //# Curve25519's Key Exchange Data is the 32-octet public value of RFC 7748.
    {KeGroup::kCurve25519, "rfc8031", 32, 32, KeFamily::kMontgomery, {}},
}};

Error UnknownGroup(KeGroup group) {
  return MakeError(Code::kUnknownTransform, kNoOffset, "rfc7296#section-3.3.2",
                   fmt::format("key exchange method {} ({}) not implemented",
                               static_cast<int>(group), iana::Name(group)));
}

Integer ToInteger(ByteSpan big_endian) { return Integer(big_endian.data(), big_endian.size()); }

Integer ModpPrime(const KeGroupInfo& info) {
  // The table's constants are well-formed hex (the tests parse every one).
  auto bytes = FromHex(info.prime_hex);
  return bytes ? ToInteger(*bytes) : Integer::Zero();
}

CryptoPP::OID CurveOid(KeGroup group) {
  switch (group) {
    case KeGroup::kEcp384: return CryptoPP::ASN1::secp384r1();
    case KeGroup::kEcp521: return CryptoPP::ASN1::secp521r1();
    default: return CryptoPP::ASN1::secp256r1();
  }
}

Status CheckLength(const KeGroupInfo& info, ByteSpan value) {
  if (value.size() == info.public_size) return OkStatus();
  std::string_view requirement = "rfc8031#section-3.1";
  //= rfc7296#section-3.4
  //# A MODP public value is exactly as long as the prime, zero-padded on the left.
  if (info.family == KeFamily::kModp) requirement = "rfc7296#section-3.4";
  //= rfc5903#section-7
  //# Each ECP coordinate has the field's fixed length, zero-padded on the left.
  if (info.family == KeFamily::kEcp) requirement = "rfc5903#section-7";
  return MakeError(Code::kBadLength, std::min(value.size(), info.public_size), requirement,
                   fmt::format("{} public value is {} bytes, {} expected", info.name(),
                               value.size(), info.public_size));
}

Status CheckModp(const KeGroupInfo& info, ByteSpan value) {
  const Integer y = ToInteger(value);
  const Integer p_minus_1 = ModpPrime(info) - Integer::One();
  //= rfc6989#section-2.1
  //# For a MODP group whose (p-1)/2 is prime, the recipient checks that the
  //# peer's public value r lies in 1 < r < p-1.
  ENSURE(y > Integer::One(), kBadPublicValue, 0, "rfc6989#section-2.1",
         fmt::format("{} public value is {}; it must exceed 1", info.name(), y.IsZero() ? 0 : 1));
  ENSURE(y < p_minus_1, kBadPublicValue, 0, "rfc6989#section-2.1",
         fmt::format("{} public value is {}; it must be below p-1", info.name(),
                     y == p_minus_1 ? "p-1" : "p or more"));
  return OkStatus();
}

Status CheckEcp(const KeGroupInfo& info, ByteSpan value) {
  const CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params(CurveOid(info.id));
  const CryptoPP::ECP& curve = params.GetCurve();
  const Integer& p = curve.GetField().GetModulus();
  const size_t n = info.public_size / 2;
  const Integer x = ToInteger(value.first(n)), y = ToInteger(value.subspan(n));
  //= rfc6989#section-2.3
  //# The peer's point must be on the curve: x and y are elements of GF(p)
  //# (so each is below p) and y^2 = x^3 + ax + b mod p.
  ENSURE(x < p, kBadPublicValue, 0, "rfc6989#section-2.3",
         fmt::format("{} x coordinate is not below the field prime p", info.name()));
  ENSURE(y < p, kBadPublicValue, n, "rfc6989#section-2.3",
         fmt::format("{} y coordinate is not below the field prime p", info.name()));
  const Integer rhs = ((x * x + curve.GetA()) * x + curve.GetB()) % p;
  ENSURE((y * y) % p == rhs, kBadPublicValue, 0, "rfc6989#section-2.3",
         fmt::format("{} point (x, y) is not on the curve y^2 = x^3 - 3x + b", info.name()));
  //= rfc6989#section-2.3
  //# No test for the point at infinity is needed: RFC 5903's x || y encoding
  //# cannot express it.
  return OkStatus();
}

// Crypto++ draws its randomness from our injected Rng.
class RngAdapter final : public CryptoPP::RandomNumberGenerator {
 public:
  explicit RngAdapter(Rng& rng) : rng_(rng) {}
  void GenerateBlock(CryptoPP::byte* out, size_t size) override { rng_.Fill(MutableByteSpan(out, size)); }

 private:
  Rng& rng_;
};

std::unique_ptr<CryptoPP::SimpleKeyAgreementDomain> NewDomain(const KeGroupInfo& info) {
  switch (info.family) {
    case KeFamily::kModp:
      return std::make_unique<CryptoPP::DH>(ModpPrime(info), Integer::Two());
    case KeFamily::kEcp:
      return std::make_unique<CryptoPP::ECDH<CryptoPP::ECP>::Domain>(CurveOid(info.id));
    case KeFamily::kMontgomery:
      break;
  }
  return std::make_unique<CryptoPP::x25519>();
}

// One party over a Crypto++ key agreement domain. Crypto++ writes EC points
// as 04 || x || y (SEC 1); IKE carries x || y (RFC 5903 §7), so the prefix
// is taken off ours and put before the peer's.
class DomainKeyExchange final : public KeyExchange {
 public:
  DomainKeyExchange(const KeGroupInfo& info, std::unique_ptr<CryptoPP::SimpleKeyAgreementDomain> domain,
                    CryptoPP::SecByteBlock private_value)
      : info_(info), domain_(std::move(domain)), private_(std::move(private_value)) {
    Bytes encoded(domain_->PublicKeyLength());
    domain_->GeneratePublicKey(CryptoPP::NullRNG(), private_.data(), encoded.data());
    public_.assign(encoded.end() - static_cast<long>(info_.public_size), encoded.end());
  }

  KeGroup group() const override { return info_.id; }
  ByteSpan public_value() const override { return public_; }

  Result<SecureBytes> SharedSecret(ByteSpan peer_public) override {
    TRY(ValidatePublicValue(info_.id, peer_public));
    Bytes encoded;
    if (info_.family == KeFamily::kEcp) encoded.push_back(0x04);
    encoded.insert(encoded.end(), peer_public.begin(), peer_public.end());
    SecureBytes shared(domain_->AgreedValueLength());
    bool agreed = false;
    try {
      agreed = domain_->Agree(shared.data(), private_.data(), encoded.data(), /*validate=*/false);
    } catch (const CryptoPP::Exception&) {
      agreed = false;
    }
    ENSURE(agreed, kBadPublicValue, kNoOffset, "rfc6989#section-2",
           fmt::format("{}: no shared secret from this public value", info_.name()));
    if (info_.family == KeFamily::kMontgomery) {
      //= rfc8031#section-3.2
      //# The recipient checks whether the X25519/X448 result is all zeros (a
      //# low-order peer value) and refuses it, as RFC 7748 §6 describes.
      uint8_t any = 0;
      for (uint8_t b : shared) any |= b;
      ENSURE(any != 0, kBadPublicValue, kNoOffset, "rfc8031#section-3.2",
             fmt::format("{} shared secret is all zero (low-order public value)", info_.name()));
    }
    //= rfc7296#section-2.14
    //# g^ir has a fixed length: MODP results keep their leading zeros (the
    //# length of p); ECP results are the x coordinate at the field's length.
    return shared;
  }

 private:
  const KeGroupInfo& info_;
  std::unique_ptr<CryptoPP::SimpleKeyAgreementDomain> domain_;
  CryptoPP::SecByteBlock private_;
  Bytes public_;
};

// The private value as the domain stores it: an integer of the domain's
// fixed length (MODP, ECP), or the raw X25519 scalar.
Result<CryptoPP::SecByteBlock> EncodePrivate(const KeGroupInfo& info,
                                             const CryptoPP::SimpleKeyAgreementDomain& domain,
                                             ByteSpan value) {
  const size_t size = domain.PrivateKeyLength();
  CryptoPP::SecByteBlock out(size);
  if (info.family == KeFamily::kMontgomery) {
    //= rfc7748#section-5
    //# An X25519 scalar is 32 bytes; it is clamped when used.
    ENSURE(value.size() == size, kInvalidArgument, kNoOffset, "rfc7748#section-5",
           fmt::format("{} private value is {} bytes, {} expected", info.name(), value.size(), size));
    std::copy(value.begin(), value.end(), out.begin());
    return out;
  }
  const Integer x = ToInteger(value);
  const Integer limit = info.family == KeFamily::kModp
                            ? ModpPrime(info) - Integer::One()
                            : CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>(CurveOid(info.id)).GetSubgroupOrder();
  ENSURE(x.IsPositive() && x < limit, kInvalidArgument, kNoOffset, "",
         fmt::format("{} private value must lie in 0 < x < {}", info.name(),
                     info.family == KeFamily::kModp ? "p-1" : "n"));
  ENSURE(x.MinEncodedSize() <= size, kInvalidArgument, kNoOffset, "",
         fmt::format("{} private value longer than {} bytes", info.name(), size));
  x.Encode(out.data(), size);
  return out;
}

}  // namespace

std::span<const KeGroupInfo> KeGroups() { return kGroups; }

const KeGroupInfo* FindKeGroup(KeGroup id) {
  for (const auto& g : kGroups)
    if (g.id == id) return &g;
  return nullptr;
}

Status ValidatePublicValue(KeGroup group, ByteSpan public_value) {
  const KeGroupInfo* info = FindKeGroup(group);
  if (info == nullptr) return UnknownGroup(group);
  TRY(CheckLength(*info, public_value));
  switch (info->family) {
    case KeFamily::kModp: return CheckModp(*info, public_value);
    case KeFamily::kEcp: return CheckEcp(*info, public_value);
    case KeFamily::kMontgomery: break;
  }
  //= rfc8031#section-3.2
  //# Any 32-byte string is a Curve25519 public value (RFC 7748 §5 masks the
  //# top bit and reduces mod p); only the all-zero result is refused.
  return OkStatus();
}

Result<std::unique_ptr<KeyExchange>> MakeKeyExchange(KeGroup group, Rng& rng) {
  const KeGroupInfo* info = FindKeGroup(group);
  if (info == nullptr) return UnknownGroup(group);
  auto domain = NewDomain(*info);
  CryptoPP::SecByteBlock private_value(domain->PrivateKeyLength());
  RngAdapter adapter(rng);
  domain->GeneratePrivateKey(adapter, private_value.data());
  return std::unique_ptr<KeyExchange>(
      std::make_unique<DomainKeyExchange>(*info, std::move(domain), std::move(private_value)));
}

Result<std::unique_ptr<KeyExchange>> MakeKeyExchangeFromPrivate(KeGroup group, ByteSpan private_value) {
  const KeGroupInfo* info = FindKeGroup(group);
  if (info == nullptr) return UnknownGroup(group);
  auto domain = NewDomain(*info);
  TRY_ASSIGN(CryptoPP::SecByteBlock encoded, EncodePrivate(*info, *domain, private_value));
  return std::unique_ptr<KeyExchange>(
      std::make_unique<DomainKeyExchange>(*info, std::move(domain), std::move(encoded)));
}

}  // namespace ipsecref::crypto
