// Key exchange groups: the group table against the RFCs that define the
// groups, the recipient's tests on a peer's public value (RFC 6989, RFC 8031)
// at their edges, and agreement between two parties. Known-answer
// exchanges (RFC 5903 §8, RFC 7748, Wycheproof) are in vectors/ke/.
#include "reference/crypto/ke.h"

#include <cryptopp/integer.h>
#include <cryptopp/nbtheory.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace ipsecref::crypto {
namespace {

using iana::KeGroup;
using CryptoPP::Integer;

Bytes Encode(const Integer& v, size_t size) {
  Bytes out(size);
  v.Encode(out.data(), size);
  return out;
}

Integer FromHexInteger(std::string_view hex) {
  auto bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes ? Integer(bytes->data(), bytes->size()) : Integer::Zero();
}

const KeGroupInfo& Info(KeGroup group) {
  const KeGroupInfo* info = FindKeGroup(group);
  EXPECT_NE(info, nullptr) << static_cast<int>(group);
  return *info;
}

void ExpectRejected(KeGroup group, ByteSpan value, Code code, size_t offset, std::string_view requirement) {
  const Status s = ValidatePublicValue(group, value);
  ASSERT_FALSE(s.ok()) << static_cast<int>(group) << " accepted " << ToHex(value);
  EXPECT_EQ(s.error().code, code) << s.error().ToString();
  EXPECT_EQ(s.error().offset, offset) << s.error().ToString();
  EXPECT_EQ(s.error().requirement, requirement) << s.error().ToString();
}

// ---------------------------------------------------------------- the table

TEST(KeGroups, SizesAreThoseOfTheDefiningRfcs) {
  struct Want {
    KeGroup id;
    size_t public_size, shared_size;
  };
  //= rfc7296#section-3.4
  //# MODP public values are as long as the prime (RFC 3526: 2048 ... 8192 bits).
  //= rfc5903#section-7
  //# ECP public values are x || y with 256-, 384- and 528-bit coordinates;
  //# the shared secret is x alone.
  //= rfc8031#section-3.1
  //# Curve25519 public values and shared secrets are 32 octets.
  const Want want[] = {
      {KeGroup::kModp2048, 256, 256}, {KeGroup::kModp3072, 384, 384}, {KeGroup::kModp4096, 512, 512},
      {KeGroup::kModp6144, 768, 768}, {KeGroup::kModp8192, 1024, 1024}, {KeGroup::kEcp256, 64, 32},
      {KeGroup::kEcp384, 96, 48},     {KeGroup::kEcp521, 132, 66},      {KeGroup::kCurve25519, 32, 32},
  };
  EXPECT_EQ(KeGroups().size(), std::size(want));
  for (const Want& w : want) {
    const KeGroupInfo& info = Info(w.id);
    EXPECT_EQ(info.public_size, w.public_size) << static_cast<int>(w.id);
    EXPECT_EQ(info.shared_size, w.shared_size) << static_cast<int>(w.id);
  }
}

TEST(KeGroups, Curve448IsNotOfferedBecauseCryptoppHasNoX448) {
  EXPECT_EQ(FindKeGroup(KeGroup::kCurve448), nullptr);
  const Status s = ValidatePublicValue(KeGroup::kCurve448, Bytes(56, 9));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kUnknownTransform);
  auto rng = MakeDeterministicRng(1);
  EXPECT_FALSE(MakeKeyExchange(KeGroup::kCurve448, *rng).ok());
}

// floor(pi * 2^bits), from Machin's formula pi = 16 atan(1/5) - 4 atan(1/239).
Integer PiTimesPowerOf2(unsigned bits) {
  const unsigned guard = 64;
  const Integer scale = Integer::Power2(bits + guard);
  auto arctan_inverse = [&](long x) {
    const Integer x2 = Integer(x) * Integer(x);
    Integer term = scale / Integer(x), sum = term;
    for (long n = 1; !term.IsZero(); ++n) {
      term /= x2;
      const Integer t = term / Integer(2 * n + 1);
      if (n % 2 == 1) sum -= t; else sum += t;
    }
    return sum;
  };
  const Integer pi = Integer(16) * arctan_inverse(5) - Integer(4) * arctan_inverse(239);
  return pi >> guard;
}

TEST(KeGroups, ModpPrimesAreRfc3526sFormula) {
  struct Formula {
    KeGroup id;
    unsigned bits;
    long offset;
  };
  //= rfc3526#section-3
  //# p = 2^N - 2^(N-64) - 1 + 2^64 * (floor(2^(N-130) pi) + offset), with the
  //# offsets 124476 (2048), 1690314 (3072), 240904 (4096), 929484 (6144) and
  //# 4743158 (8192) given in sections 3 to 7; generator 2.
  const Formula formulas[] = {
      {KeGroup::kModp2048, 2048, 124476}, {KeGroup::kModp3072, 3072, 1690314},
      {KeGroup::kModp4096, 4096, 240904}, {KeGroup::kModp6144, 6144, 929484},
      {KeGroup::kModp8192, 8192, 4743158},
  };
  for (const Formula& f : formulas) {
    const Integer p = Integer::Power2(f.bits) - Integer::Power2(f.bits - 64) - Integer::One() +
                      Integer::Power2(64) * (PiTimesPowerOf2(f.bits - 130) + Integer(f.offset));
    const KeGroupInfo& info = Info(f.id);
    EXPECT_EQ(info.family, KeFamily::kModp);
    EXPECT_EQ(FromHexInteger(info.prime_hex), p) << f.bits;
    EXPECT_EQ(p.BitCount(), f.bits);
    EXPECT_EQ(info.public_size, f.bits / 8);
  }
}

TEST(KeGroups, ModpPrimesAreSafePrimes) {
  //= rfc6989#section-2.1
  //# The 1 < r < p-1 test is enough only because (p-1)/2 is prime as well.
  // Checked up to 4096 bits; the 6144- and 8192-bit tests take seconds and
  // add nothing the formula test above does not pin down.
  for (const KeGroupInfo& info : KeGroups()) {
    if (info.family != KeFamily::kModp || info.public_size > 512) continue;
    const Integer p = FromHexInteger(info.prime_hex);
    EXPECT_TRUE(CryptoPP::IsPrime(p)) << info.public_size;
    EXPECT_TRUE(CryptoPP::IsPrime((p - Integer::One()) >> 1)) << info.public_size;
  }
}

// ---------------------------------------------------------------- MODP

class ModpValidation : public testing::TestWithParam<KeGroup> {};

TEST_P(ModpValidation, RangeIsOneExclusiveToPMinusOneExclusive) {
  const KeGroupInfo& info = Info(GetParam());
  const size_t n = info.public_size;
  const Integer p = FromHexInteger(info.prime_hex);
  //= rfc6989#section-2.1
  //# 1 < r < p-1: 0, 1, p-1, p and anything larger are refused; 2 and p-2 pass.
  for (const Integer& bad : {Integer::Zero(), Integer::One(), p - Integer::One(), p, p + Integer::One(),
                             Integer::Power2(8 * n) - Integer::One()}) {
    ExpectRejected(info.id, Encode(bad, n), Code::kBadPublicValue, 0, "rfc6989#section-2.1");
  }
  EXPECT_TRUE(ValidatePublicValue(info.id, Encode(Integer::Two(), n)).ok());
  EXPECT_TRUE(ValidatePublicValue(info.id, Encode(p - Integer::Two(), n)).ok());
}

TEST_P(ModpValidation, LengthIsExactlyThePrimes) {
  const KeGroupInfo& info = Info(GetParam());
  const size_t n = info.public_size;
  //= rfc7296#section-3.4
  //# The value is zero-padded to the prime's length; shorter or longer is malformed.
  ExpectRejected(info.id, Encode(Integer::Two(), n - 1), Code::kBadLength, n - 1, "rfc7296#section-3.4");
  ExpectRejected(info.id, Encode(Integer::Two(), n + 1), Code::kBadLength, n, "rfc7296#section-3.4");
  ExpectRejected(info.id, Bytes{}, Code::kBadLength, 0, "rfc7296#section-3.4");
}

TEST_P(ModpValidation, SharedSecretValidatesFirst) {
  const KeGroupInfo& info = Info(GetParam());
  auto rng = MakeDeterministicRng(3);
  auto party = MakeKeyExchange(info.id, *rng);
  ASSERT_TRUE(party.ok());
  auto shared = (*party)->SharedSecret(Encode(Integer::One(), info.public_size));
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().code, Code::kBadPublicValue);
}

TEST_P(ModpValidation, PrivateValueRange) {
  const KeGroupInfo& info = Info(GetParam());
  const Integer p = FromHexInteger(info.prime_hex);
  EXPECT_FALSE(MakeKeyExchangeFromPrivate(info.id, Bytes{0}).ok());
  EXPECT_FALSE(MakeKeyExchangeFromPrivate(info.id, Encode(p - Integer::One(), info.public_size)).ok());
  // g^1 = 2: the public value of exponent 1 is the generator, zero-padded.
  auto one = MakeKeyExchangeFromPrivate(info.id, Bytes{0, 0, 1});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(Bytes((*one)->public_value().begin(), (*one)->public_value().end()),
            Encode(Integer::Two(), info.public_size));
}

INSTANTIATE_TEST_SUITE_P(Rfc3526, ModpValidation,
                         testing::Values(KeGroup::kModp2048, KeGroup::kModp3072, KeGroup::kModp4096,
                                         KeGroup::kModp6144, KeGroup::kModp8192));

// ---------------------------------------------------------------- ECP

struct Curve {
  KeGroup id;
  // From RFC 5903 §3.1-§3.3: "Group Prime", "Group Order", gx, gy.
  std::string_view p, n, gx, gy;
};

const Curve kCurves[] = {
    {KeGroup::kEcp256,
     "FFFFFFFF 00000001 00000000 00000000 00000000 FFFFFFFF FFFFFFFF FFFFFFFF",
     "FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551",
     "6B17D1F2 E12C4247 F8BCE6E5 63A440F2 77037D81 2DEB33A0 F4A13945 D898C296",
     "4FE342E2 FE1A7F9B 8EE7EB4A 7C0F9E16 2BCE3357 6B315ECE CBB64068 37BF51F5"},
    {KeGroup::kEcp384,
     "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE FFFFFFFF 00000000 00000000 "
     "FFFFFFFF",
     "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF C7634D81 F4372DDF 581A0DB2 48B0A77A ECEC196A "
     "CCC52973",
     "AA87CA22 BE8B0537 8EB1C71E F320AD74 6E1D3B62 8BA79B98 59F741E0 82542A38 5502F25D BF55296C 3A545E38 "
     "72760AB7",
     "3617DE4A 96262C6F 5D9E98BF 9292DC29 F8F41DBD 289A147C E9DA3113 B5F0B8C0 0A60B1CE 1D7E819D 7A431D7C "
     "90EA0E5F"},
    {KeGroup::kEcp521,
     "01FFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF "
     "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFF",
     "01FFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFA5186 8783BF2F 966B7FCC "
     "0148F709 A5D03BB5 C9B8899C 47AEBB6F B71E9138 6409",
     "00C6858E 06B70404 E9CD9E3E CB662395 B4429C64 8139053F B521F828 AF606B4D 3DBAA14B 5E77EFE7 5928FE1D "
     "C127A2FF A8DE3348 B3C1856A 429BF97E 7E31C2E5 BD66",
     "01183929 6A789A3B C0045C8A 5FB42C7D 1BD998F5 4449579B 446817AF BD17273E 662C97EE 72995EF4 2640C550 "
     "B9013FAD 0761353C 7086A272 C24088BE 94769FD1 6650"},
};

class EcpValidation : public testing::TestWithParam<Curve> {
 protected:
  const KeGroupInfo& info() const { return Info(GetParam().id); }
  size_t coordinate() const { return info().public_size / 2; }
  Integer p() const { return FromHexInteger(GetParam().p); }
  Integer gx() const { return FromHexInteger(GetParam().gx); }
  Integer gy() const { return FromHexInteger(GetParam().gy); }
  Bytes Point(const Integer& x, const Integer& y) const {
    Bytes out = Encode(x, coordinate());
    const Bytes yb = Encode(y, coordinate());
    out.insert(out.end(), yb.begin(), yb.end());
    return out;
  }
};

TEST_P(EcpValidation, GeneratorAndItsNegationAreOnTheCurve) {
  EXPECT_TRUE(ValidatePublicValue(info().id, Point(gx(), gy())).ok());
  EXPECT_TRUE(ValidatePublicValue(info().id, Point(gx(), p() - gy())).ok());
}

TEST_P(EcpValidation, PointsOffTheCurveAreRefused) {
  //= rfc6989#section-2.3
  //# The recipient MUST check y^2 = x^3 + ax + b mod p.
  ExpectRejected(info().id, Point(gx(), gy() + Integer::One()), Code::kBadPublicValue, 0, "rfc6989#section-2.3");
  ExpectRejected(info().id, Point(gx() + Integer::One(), gy()), Code::kBadPublicValue, 0, "rfc6989#section-2.3");
  // (0, 0) is what an encoder might write for the point at infinity; b != 0,
  // so it is not on the curve.
  ExpectRejected(info().id, Point(Integer::Zero(), Integer::Zero()), Code::kBadPublicValue, 0,
                 "rfc6989#section-2.3");
}

TEST_P(EcpValidation, CoordinatesMustBeBelowP) {
  // p and p + 1 are 0 and 1 written unreduced: not elements of GF(p).
  ExpectRejected(info().id, Point(p(), gy()), Code::kBadPublicValue, 0, "rfc6989#section-2.3");
  ExpectRejected(info().id, Point(gx(), p()), Code::kBadPublicValue, coordinate(), "rfc6989#section-2.3");
  ExpectRejected(info().id, Point(p() + Integer::One(), gy()), Code::kBadPublicValue, 0, "rfc6989#section-2.3");
  ExpectRejected(info().id, Point(gx(), p() + Integer::One()), Code::kBadPublicValue, coordinate(),
                 "rfc6989#section-2.3");
}

TEST_P(EcpValidation, LengthIsTwiceTheCoordinate) {
  //= rfc5903#section-7
  //# x || y, each of the fixed component length; no 0x04 prefix in IKE.
  Bytes point = Point(gx(), gy());
  const size_t n = point.size();
  Bytes prefixed = point;
  prefixed.insert(prefixed.begin(), 0x04);
  ExpectRejected(info().id, prefixed, Code::kBadLength, n, "rfc5903#section-7");
  point.pop_back();
  ExpectRejected(info().id, point, Code::kBadLength, n - 1, "rfc5903#section-7");
  ExpectRejected(info().id, ByteSpan(prefixed).first(coordinate() + 1), Code::kBadLength, coordinate() + 1,
                 "rfc5903#section-7");
}

TEST_P(EcpValidation, PrivateScalarRange) {
  const Integer n = FromHexInteger(GetParam().n);
  EXPECT_FALSE(MakeKeyExchangeFromPrivate(info().id, Bytes{0}).ok());
  EXPECT_FALSE(MakeKeyExchangeFromPrivate(info().id, Encode(n, coordinate())).ok());
  // 1 * G is the generator of RFC 5903 §3.
  auto one = MakeKeyExchangeFromPrivate(info().id, Bytes{1});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(Bytes((*one)->public_value().begin(), (*one)->public_value().end()), Point(gx(), gy()));
  auto last = MakeKeyExchangeFromPrivate(info().id, Encode(n - Integer::One(), coordinate()));
  ASSERT_TRUE(last.ok());
  // (n-1) * G = -G = (gx, p - gy).
  EXPECT_EQ(Bytes((*last)->public_value().begin(), (*last)->public_value().end()), Point(gx(), p() - gy()));
}

INSTANTIATE_TEST_SUITE_P(Rfc5903, EcpValidation, testing::ValuesIn(kCurves));

// ---------------------------------------------------------------- X25519

TEST(Curve25519, LengthIsExactly32) {
  //= rfc8031#section-3.1
  //# Curve25519 Key Exchange Data is 32 octets.
  ExpectRejected(KeGroup::kCurve25519, Bytes(31, 9), Code::kBadLength, 31, "rfc8031#section-3.1");
  ExpectRejected(KeGroup::kCurve25519, Bytes(33, 9), Code::kBadLength, 32, "rfc8031#section-3.1");
  EXPECT_TRUE(ValidatePublicValue(KeGroup::kCurve25519, Bytes(32, 9)).ok());
}

TEST(Curve25519, AllZeroSharedSecretIsRefused) {
  // u = 0 and u = 1 are points of order 2 and 4 (the first two entries of the
  // list of unsafe Curve25519 public keys at cr.yp.to/ecdh.html): every
  // clamped scalar maps them to 0.
  auto rng = MakeDeterministicRng(5);
  auto party = MakeKeyExchange(KeGroup::kCurve25519, *rng);
  ASSERT_TRUE(party.ok());
  Bytes one(32, 0);
  one[0] = 1;  // little-endian u = 1
  for (const Bytes& low_order : {Bytes(32, 0), one}) {
    ASSERT_TRUE(ValidatePublicValue(KeGroup::kCurve25519, low_order).ok());
    auto shared = (*party)->SharedSecret(low_order);
    ASSERT_FALSE(shared.ok());
    EXPECT_EQ(shared.error().code, Code::kBadPublicValue);
    EXPECT_EQ(shared.error().requirement, "rfc8031#section-3.2");
  }
}

TEST(Curve25519, PrivateValueIs32Bytes) {
  EXPECT_FALSE(MakeKeyExchangeFromPrivate(KeGroup::kCurve25519, Bytes(31, 1)).ok());
  EXPECT_FALSE(MakeKeyExchangeFromPrivate(KeGroup::kCurve25519, Bytes(33, 1)).ok());
  EXPECT_TRUE(MakeKeyExchangeFromPrivate(KeGroup::kCurve25519, Bytes(32, 1)).ok());
}

// ---------------------------------------------------------------- agreement

TEST(KeyExchange, EveryGroupsPublicValueHasItsSizeAndPassesItsOwnTests) {
  auto rng = MakeDeterministicRng(11);
  for (const KeGroupInfo& info : KeGroups()) {
    auto party = MakeKeyExchange(info.id, *rng);
    ASSERT_TRUE(party.ok()) << static_cast<int>(info.id);
    EXPECT_EQ((*party)->group(), info.id);
    EXPECT_EQ((*party)->public_value().size(), info.public_size) << static_cast<int>(info.id);
    EXPECT_TRUE(ValidatePublicValue(info.id, (*party)->public_value()).ok()) << static_cast<int>(info.id);
  }
}

RC_GTEST_PROP(KeyExchange, TwoPartiesDeriveTheSameSecret, ()) {
  //= rfc7296#section-2.14
  //# Both ends compute the same g^ir, of the group's fixed length.
  const auto groups = KeGroups();
  const KeGroupInfo& info = groups[*rc::gen::inRange<size_t>(0, groups.size())];
  auto rng = MakeDeterministicRng(*rc::gen::arbitrary<uint64_t>());
  auto initiator = MakeKeyExchange(info.id, *rng);
  auto responder = MakeKeyExchange(info.id, *rng);
  RC_ASSERT(initiator.ok() && responder.ok());
  auto gir_i = (*initiator)->SharedSecret((*responder)->public_value());
  auto gir_r = (*responder)->SharedSecret((*initiator)->public_value());
  RC_ASSERT(gir_i.ok() && gir_r.ok());
  RC_ASSERT(gir_i->size() == info.shared_size);
  RC_ASSERT(*gir_i == *gir_r);
  RC_ASSERT(!((*initiator)->public_value().size() == (*responder)->public_value().size() &&
              std::equal((*initiator)->public_value().begin(), (*initiator)->public_value().end(),
                         (*responder)->public_value().begin())));
}

}  // namespace
}  // namespace ipsecref::crypto
