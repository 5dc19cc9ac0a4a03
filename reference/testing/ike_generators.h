// RapidCheck generators for the IKEv2 codec (reference/ike/wire/).
//
// Two families:
//  - rc::Arbitrary<T> for every payload body, Payload, Header and Message:
//    syntactically valid structures, i.e. each body survives its own parser
//    and a message survives Decode(Encode(m)). Field values are otherwise
//    arbitrary (unknown group numbers, 3-byte nonces, proposals without
//    mandatory transforms), which is what the codec's round trip must carry.
//  - GenValid*: structures that also meet each payload's Verify rules (nonce
//    16..256 octets, proposals numbered from 1 with the transforms their
//    protocol needs, Key Length on variable-length ciphers, address sizes,
//    ...), for tests of the rule tables that sit on top of the codec.
//
// Sizes are kept small so that a whole message stays far below the 65535
// octets a Payload Length can state.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "reference/crypto/transforms.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::testing {

namespace ike_gen_detail {

using ike::Payload;
using PT = iana::PayloadType;

template <typename E>
std::vector<E> RegisteredValues() {
  std::vector<E> values;
  for (const auto& r : iana::Registry<E>()) values.push_back(r.value);
  return values;
}

}  // namespace ike_gen_detail

// ---------------------------------------------------------------------------
// Building blocks

inline rc::Gen<Bytes> GenBytes(size_t min, size_t max) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(min, max + 1),
                         [](size_t n) { return rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>()); });
}

inline rc::Gen<Bytes> GenBytesOfSize(size_t n) { return rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>()); }

// Any value of the enum's underlying type, registered or not.
template <typename E>
rc::Gen<E> GenAnyEnum() {
  return rc::gen::cast<E>(rc::gen::arbitrary<std::underlying_type_t<E>>());
}

// Mostly registered values (so that named paths are exercised), sometimes
// any value of the field.
template <typename E>
rc::Gen<E> GenMostlyRegistered() {
  return rc::gen::weightedOneOf<E>(
      {{3, rc::gen::elementOf(ike_gen_detail::RegisteredValues<E>())}, {1, GenAnyEnum<E>()}});
}

// A payload type the codec has no body type for (decoded as UnknownPayload).
inline rc::Gen<iana::PayloadType> GenUnknownPayloadType() {
  return rc::gen::cast<iana::PayloadType>(rc::gen::suchThat(rc::gen::inRange<int>(1, 256), [](int t) {
    return !ike::IsKnownPayloadType(static_cast<iana::PayloadType>(t));
  }));
}

// Every payload type that has its own body type, SK and SKF excluded.
inline std::vector<iana::PayloadType> PlainPayloadTypes() {
  using PT = iana::PayloadType;
  return {PT::kSa,     PT::kKe,     PT::kIdi,      PT::kIdr, PT::kCert, PT::kCertreq, PT::kAuth, PT::kNonce,
          PT::kNotify, PT::kDelete, PT::kVendorId, PT::kTsi, PT::kTsr,  PT::kCp,      PT::kEap};
}

}  // namespace ipsecref::testing

// ---------------------------------------------------------------------------
// Syntactically valid bodies: rc::Arbitrary specialisations.

namespace rc {

template <>
struct Arbitrary<ipsecref::ike::TransformAttribute> {
  static Gen<ipsecref::ike::TransformAttribute> arbitrary() {
    using ipsecref::ike::TransformAttribute;
    return gen::exec([] {
      TransformAttribute a;
      // The AF bit is the format, not part of the type.
      a.type = *gen::weightedOneOf<uint16_t>(
          {{2, gen::just<uint16_t>(static_cast<uint16_t>(ipsecref::iana::TransformAttribute::kKeyLength))},
           {1, gen::inRange<uint16_t>(0, 0x8000)}});
      if (*gen::arbitrary<bool>()) {
        a.value = *gen::arbitrary<uint16_t>();
      } else {
        a.value = *ipsecref::testing::GenBytes(0, 16);
      }
      return a;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::Transform> {
  static Gen<ipsecref::ike::Transform> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::Transform t;
      t.type = *ipsecref::testing::GenMostlyRegistered<iana::TransformType>();
      t.id = *gen::weightedOneOf<uint16_t>({{3, gen::inRange<uint16_t>(0, 40)}, {1, gen::arbitrary<uint16_t>()}});
      t.attributes = *gen::container<std::vector<ike::TransformAttribute>>(*gen::inRange<size_t>(0, 3),
                                                                           gen::arbitrary<ike::TransformAttribute>());
      return t;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::Proposal> {
  static Gen<ipsecref::ike::Proposal> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::Proposal p;
      p.proposal_num = *gen::arbitrary<uint8_t>();
      p.protocol_id = *ipsecref::testing::GenMostlyRegistered<iana::SecurityProtocol>();
      p.spi = *gen::weightedOneOf<Bytes>(
          {{3, gen::mapcat(gen::element<size_t>(0, 4, 8), ipsecref::testing::GenBytesOfSize)},
           {1, ipsecref::testing::GenBytes(0, 32)}});
      p.transforms =
          *gen::container<std::vector<ike::Transform>>(*gen::inRange<size_t>(0, 7), gen::arbitrary<ike::Transform>());
      return p;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::SaPayload> {
  static Gen<ipsecref::ike::SaPayload> arbitrary() {
    using namespace ipsecref;
    // At least one proposal: the parser refuses an SA payload without any.
    return gen::build<ike::SaPayload>(
        gen::set(&ike::SaPayload::proposals, gen::mapcat(gen::inRange<size_t>(1, 5), [](size_t n) {
          return gen::container<std::vector<ike::Proposal>>(n, gen::arbitrary<ike::Proposal>());
        })));
  }
};

template <>
struct Arbitrary<ipsecref::ike::KePayload> {
  static Gen<ipsecref::ike::KePayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::KePayload>(
        gen::set(&ike::KePayload::group, ipsecref::testing::GenMostlyRegistered<iana::KeGroup>()),
        gen::set(&ike::KePayload::key_exchange_data, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::IdPayload> {
  static Gen<ipsecref::ike::IdPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::IdPayload>(
        gen::set(&ike::IdPayload::id_type, ipsecref::testing::GenMostlyRegistered<iana::IdType>()),
        gen::set(&ike::IdPayload::identification_data, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CertPayload> {
  static Gen<ipsecref::ike::CertPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::CertPayload>(
        gen::set(&ike::CertPayload::cert_encoding, ipsecref::testing::GenMostlyRegistered<iana::CertEncoding>()),
        gen::set(&ike::CertPayload::certificate_data, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CertreqPayload> {
  static Gen<ipsecref::ike::CertreqPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::CertreqPayload>(
        gen::set(&ike::CertreqPayload::cert_encoding, ipsecref::testing::GenMostlyRegistered<iana::CertEncoding>()),
        gen::set(&ike::CertreqPayload::certification_authority, ipsecref::testing::GenBytes(0, 100)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::AuthPayload> {
  static Gen<ipsecref::ike::AuthPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::AuthPayload>(
        gen::set(&ike::AuthPayload::auth_method, ipsecref::testing::GenMostlyRegistered<iana::AuthMethod>()),
        gen::set(&ike::AuthPayload::authentication_data, ipsecref::testing::GenBytes(0, 140)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::NoncePayload> {
  static Gen<ipsecref::ike::NoncePayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::NoncePayload>(gen::set(&ike::NoncePayload::nonce_data, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::NotifyPayload> {
  static Gen<ipsecref::ike::NotifyPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::NotifyPayload>(
        gen::set(&ike::NotifyPayload::protocol_id, gen::arbitrary<uint8_t>()),
        gen::set(&ike::NotifyPayload::spi,
                 gen::weightedOneOf<Bytes>(
                     {{3, gen::mapcat(gen::element<size_t>(0, 4, 8), ipsecref::testing::GenBytesOfSize)},
                      {1, ipsecref::testing::GenBytes(0, 32)}})),
        gen::set(&ike::NotifyPayload::notify_message_type, ipsecref::testing::GenMostlyRegistered<iana::NotifyType>()),
        gen::set(&ike::NotifyPayload::notification_data, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::DeletePayload> {
  static Gen<ipsecref::ike::DeletePayload> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::DeletePayload d;
      d.protocol_id = *ipsecref::testing::GenMostlyRegistered<iana::SecurityProtocol>();
      d.spi_size =
          *gen::weightedOneOf<uint8_t>({{3, gen::element<uint8_t>(0, 4, 8)}, {1, gen::inRange<uint8_t>(0, 17)}});
      if (d.spi_size == 0) {
        // SPI Size 0 with any count: no SPI bytes follow.
        d.num_of_spis = *gen::arbitrary<uint16_t>();
        return d;
      }
      d.spis = *gen::container<std::vector<Bytes>>(*gen::inRange<size_t>(0, 9),
                                                   ipsecref::testing::GenBytesOfSize(d.spi_size));
      d.num_of_spis = static_cast<uint16_t>(d.spis.size());
      return d;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::VendorIdPayload> {
  static Gen<ipsecref::ike::VendorIdPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::VendorIdPayload>(
        gen::set(&ike::VendorIdPayload::vendor_id, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::TrafficSelector> {
  static Gen<ipsecref::ike::TrafficSelector> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::TrafficSelector ts;
      ts.ts_type = *gen::weightedOneOf<iana::TsType>({{2, gen::just(iana::TsType::kIpv4AddrRange)},
                                                      {2, gen::just(iana::TsType::kIpv6AddrRange)},
                                                      {1, ipsecref::testing::GenAnyEnum<iana::TsType>()}});
      ts.ip_protocol_id = *gen::arbitrary<uint8_t>();
      if (!ts.address_range()) {
        // Other TS types: everything after Selector Length is opaque, and
        // the port and address fields keep their defaults.
        ts.other = *ipsecref::testing::GenBytes(0, 32);
        return ts;
      }
      const size_t size = ts.ts_type == iana::TsType::kIpv4AddrRange ? 4 : 16;
      ts.start_port = *gen::arbitrary<uint16_t>();
      ts.end_port = *gen::arbitrary<uint16_t>();
      ts.starting_address = *ipsecref::testing::GenBytesOfSize(size);
      ts.ending_address = *ipsecref::testing::GenBytesOfSize(size);
      return ts;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::TsPayload> {
  static Gen<ipsecref::ike::TsPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::TsPayload>(
        gen::set(&ike::TsPayload::traffic_selectors, gen::mapcat(gen::inRange<size_t>(0, 6), [](size_t n) {
          return gen::container<std::vector<ike::TrafficSelector>>(n, gen::arbitrary<ike::TrafficSelector>());
        })));
  }
};

template <>
struct Arbitrary<ipsecref::ike::SkPayload> {
  static Gen<ipsecref::ike::SkPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::SkPayload>(
        gen::set(&ike::SkPayload::first_inner, ipsecref::testing::GenAnyEnum<iana::PayloadType>()),
        gen::set(&ike::SkPayload::encrypted, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::SkfPayload> {
  static Gen<ipsecref::ike::SkfPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::SkfPayload>(
        gen::set(&ike::SkfPayload::first_inner, ipsecref::testing::GenAnyEnum<iana::PayloadType>()),
        gen::set(&ike::SkfPayload::fragment_number, gen::arbitrary<uint16_t>()),
        gen::set(&ike::SkfPayload::total_fragments, gen::arbitrary<uint16_t>()),
        gen::set(&ike::SkfPayload::encrypted, ipsecref::testing::GenBytes(0, 300)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CpAttribute> {
  static Gen<ipsecref::ike::CpAttribute> arbitrary() {
    using namespace ipsecref;
    // The R bit is reserved, not part of the type.
    return gen::build<ike::CpAttribute>(
        gen::set(
            &ike::CpAttribute::attribute_type,
            gen::weightedOneOf<uint16_t>({{3, gen::inRange<uint16_t>(0, 30)}, {1, gen::inRange<uint16_t>(0, 0x8000)}})),
        gen::set(&ike::CpAttribute::value, ipsecref::testing::GenBytes(0, 20)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::CpPayload> {
  static Gen<ipsecref::ike::CpPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::CpPayload>(
        gen::set(&ike::CpPayload::cfg_type, ipsecref::testing::GenMostlyRegistered<iana::CfgType>()),
        gen::set(&ike::CpPayload::attributes, gen::mapcat(gen::inRange<size_t>(0, 6), [](size_t n) {
          return gen::container<std::vector<ike::CpAttribute>>(n, gen::arbitrary<ike::CpAttribute>());
        })));
  }
};

template <>
struct Arbitrary<ipsecref::ike::EapPayload> {
  static Gen<ipsecref::ike::EapPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::EapPayload>(gen::set(&ike::EapPayload::eap_message, ipsecref::testing::GenBytes(0, 64)));
  }
};

template <>
struct Arbitrary<ipsecref::ike::UnknownPayload> {
  static Gen<ipsecref::ike::UnknownPayload> arbitrary() {
    using namespace ipsecref;
    return gen::build<ike::UnknownPayload>(gen::set(&ike::UnknownPayload::body, ipsecref::testing::GenBytes(0, 64)));
  }
};

}  // namespace rc

namespace ipsecref::testing {

// A syntactically valid payload of the given type (SK and SKF included); an
// unknown type gets an UnknownPayload body.
inline rc::Gen<ike::Payload> GenPayloadOfType(iana::PayloadType type) {
  using PT = iana::PayloadType;
  auto with = [type](auto body_gen) {
    return rc::gen::map(rc::gen::pair(body_gen, rc::gen::arbitrary<bool>()), [type](auto pair) {
      ike::Payload p;
      p.type = type;
      p.critical = pair.second;
      p.body = std::move(pair.first);
      return p;
    });
  };
  switch (type) {
    case PT::kSa:
      return with(rc::gen::arbitrary<ike::SaPayload>());
    case PT::kKe:
      return with(rc::gen::arbitrary<ike::KePayload>());
    case PT::kIdi:
    case PT::kIdr:
      return with(rc::gen::arbitrary<ike::IdPayload>());
    case PT::kCert:
      return with(rc::gen::arbitrary<ike::CertPayload>());
    case PT::kCertreq:
      return with(rc::gen::arbitrary<ike::CertreqPayload>());
    case PT::kAuth:
      return with(rc::gen::arbitrary<ike::AuthPayload>());
    case PT::kNonce:
      return with(rc::gen::arbitrary<ike::NoncePayload>());
    case PT::kNotify:
      return with(rc::gen::arbitrary<ike::NotifyPayload>());
    case PT::kDelete:
      return with(rc::gen::arbitrary<ike::DeletePayload>());
    case PT::kVendorId:
      return with(rc::gen::arbitrary<ike::VendorIdPayload>());
    case PT::kTsi:
    case PT::kTsr:
      return with(rc::gen::arbitrary<ike::TsPayload>());
    case PT::kSk:
      return with(rc::gen::arbitrary<ike::SkPayload>());
    case PT::kCp:
      return with(rc::gen::arbitrary<ike::CpPayload>());
    case PT::kEap:
      return with(rc::gen::arbitrary<ike::EapPayload>());
    case PT::kSkf:
      return with(rc::gen::arbitrary<ike::SkfPayload>());
    default:
      return with(rc::gen::arbitrary<ike::UnknownPayload>());
  }
}

// Any payload that may appear before the end of a message: every known
// type but SK and SKF, and unknown types.
inline rc::Gen<ike::Payload> GenPlainPayload() {
  return rc::gen::mapcat(rc::gen::weightedOneOf<iana::PayloadType>(
                             {{8, rc::gen::elementOf(PlainPayloadTypes())}, {1, GenUnknownPayloadType()}}),
                         GenPayloadOfType);
}

// An SK or SKF payload (one that must be last).
inline rc::Gen<ike::Payload> GenEncryptedPayload() {
  return rc::gen::mapcat(rc::gen::element(iana::PayloadType::kSk, iana::PayloadType::kSkf), GenPayloadOfType);
}

}  // namespace ipsecref::testing

namespace rc {

template <>
struct Arbitrary<ipsecref::ike::Payload> {
  static Gen<ipsecref::ike::Payload> arbitrary() {
    using namespace ipsecref;
    return gen::weightedOneOf<ike::Payload>(
        {{8, ipsecref::testing::GenPlainPayload()}, {1, ipsecref::testing::GenEncryptedPayload()}});
  }
};

template <>
struct Arbitrary<ipsecref::ike::Header> {
  static Gen<ipsecref::ike::Header> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::Header h;
      h.spi_i = *gen::arbitrary<uint64_t>();
      h.spi_r = *gen::arbitrary<uint64_t>();
      h.next_payload = *ipsecref::testing::GenAnyEnum<iana::PayloadType>();
      h.major_version = 2;
      h.minor_version = *gen::inRange<uint8_t>(0, 16);
      h.exchange_type = *ipsecref::testing::GenMostlyRegistered<iana::ExchangeType>();
      h.flags = *gen::arbitrary<uint8_t>();
      h.message_id = *gen::arbitrary<uint32_t>();
      // A standalone header: any Length a datagram of that size would match.
      h.length = *gen::inRange<uint32_t>(ike::kHeaderSize, 0xffffffff);
      return h;
    });
  }
};

template <>
struct Arbitrary<ipsecref::ike::Message> {
  static Gen<ipsecref::ike::Message> arbitrary() {
    using namespace ipsecref;
    return gen::exec([] {
      ike::Message m;
      m.header = *gen::arbitrary<ike::Header>();
      m.payloads =
          *gen::container<std::vector<ike::Payload>>(*gen::inRange<size_t>(0, 9), ipsecref::testing::GenPlainPayload());
      //= rfc7296#section-3.14
      //# An SK (or SKF) payload is the last one of a message.
      if (*gen::weightedOneOf<bool>({{2, gen::just(false)}, {1, gen::just(true)}}))
        m.payloads.push_back(*ipsecref::testing::GenEncryptedPayload());
      RC_ASSERT(ike::Finalize(m).ok());
      return m;
    });
  }
};

}  // namespace rc

// ---------------------------------------------------------------------------
// Generators that also satisfy each payload's Verify.

namespace ipsecref::testing {

namespace ike_gen_detail {

inline ike::Transform MakeTransform(iana::TransformType type, uint16_t id) { return ike::Transform{type, id, {}}; }

inline ike::TransformAttribute KeyLengthAttribute(uint16_t bits) {
  return ike::TransformAttribute{static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), bits};
}

// An ENCR transform of the registry with its Key Length attribute when the
// cipher takes several key lengths (RFC 7296 §3.3.5: none on fixed-length
// ciphers). `aead` chooses combined-mode ciphers or not.
inline rc::Gen<ike::Transform> GenValidEncr(iana::SecurityProtocol protocol, bool aead) {
  return rc::gen::exec([protocol, aead] {
    std::vector<const crypto::EncrTransform*> candidates;
    for (const crypto::EncrTransform& e : crypto::EncrTransforms()) {
      if (e.aead != aead) continue;
      // IKE SAs need confidentiality: no ENCR_NULL, no GMAC (RFC 7296 §3.3.2
      // lists ENCR_NULL as not allowed for IKE; GMAC is ESP-only, RFC 4543).
      if (protocol == iana::SecurityProtocol::kIke && !e.confidentiality) continue;
      candidates.push_back(&e);
    }
    const crypto::EncrTransform& e = **rc::gen::elementOf(candidates);
    ike::Transform t = MakeTransform(iana::TransformType::kEncr, static_cast<uint16_t>(e.id));
    std::vector<uint16_t> bits;
    for (uint16_t b : e.key_bits)
      if (b != 0) bits.push_back(b);
    if (bits.size() > 1) t.attributes.push_back(KeyLengthAttribute(*rc::gen::elementOf(bits)));
    return t;
  });
}

inline rc::Gen<ike::Transform> GenValidPrf() {
  return rc::gen::map(rc::gen::element(iana::Prf::kHmacSha1, iana::Prf::kAes128Xcbc, iana::Prf::kHmacSha2_256,
                                       iana::Prf::kHmacSha2_384, iana::Prf::kHmacSha2_512, iana::Prf::kAes128Cmac),
                      [](iana::Prf id) { return MakeTransform(iana::TransformType::kPrf, static_cast<uint16_t>(id)); });
}

inline rc::Gen<ike::Transform> GenValidInteg() {
  return rc::gen::exec([] {
    const auto integs = crypto::IntegTransforms();
    const crypto::IntegTransform& i = integs[*rc::gen::inRange<size_t>(0, integs.size())];
    return MakeTransform(iana::TransformType::kInteg, static_cast<uint16_t>(i.id));
  });
}

// Classical groups for Transform Type 4; the additional key exchanges of
// RFC 9370 (types 6..12) may also be ML-KEM.
inline rc::Gen<ike::Transform> GenValidKeMethod(iana::TransformType type = iana::TransformType::kKe) {
  using G = iana::KeGroup;
  std::vector<G> groups = {G::kModp2048, G::kModp3072, G::kModp4096,   G::kEcp256,
                           G::kEcp384,   G::kEcp521,   G::kCurve25519, G::kCurve448};
  if (type != iana::TransformType::kKe) groups.insert(groups.end(), {G::kMlKem512, G::kMlKem768, G::kMlKem1024});
  return rc::gen::map(rc::gen::elementOf(groups),
                      [type](G g) { return MakeTransform(type, static_cast<uint16_t>(g)); });
}

inline rc::Gen<ike::Transform> GenValidEsn() {
  return rc::gen::map(rc::gen::element(iana::EsnType::kNoEsn, iana::EsnType::kEsn), [](iana::EsnType e) {
    return MakeTransform(iana::TransformType::kEsn, static_cast<uint16_t>(e));
  });
}

// 1..max transforms of one generator, each a choice the peer may pick.
inline std::vector<ike::Transform> Some(const rc::Gen<ike::Transform>& g, size_t max) {
  return *rc::gen::container<std::vector<ike::Transform>>(*rc::gen::inRange<size_t>(1, max + 1), g);
}

inline void Add(std::vector<ike::Transform>& to, std::vector<ike::Transform> more) {
  to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

}  // namespace ike_gen_detail

//= rfc7296#section-3.3.3
//# IKE proposals carry ENCR, PRF, INTEG (unless the cipher is combined-mode)
//# and KE; ESP proposals ENCR, INTEG for non-AEAD ciphers, optional KE and
//# ESN; AH proposals INTEG, optional KE and ESN.
//= rfc7296#section-3.3.1
//# SPI Size 0 (initial IKE SA) or 8 (IKE rekey); 4 for ESP and AH.
inline rc::Gen<ike::Proposal> GenValidProposal(uint8_t proposal_num, iana::SecurityProtocol protocol) {
  using namespace ike_gen_detail;
  using SP = iana::SecurityProtocol;
  using TT = iana::TransformType;
  return rc::gen::exec([proposal_num, protocol] {
    ike::Proposal p;
    p.proposal_num = proposal_num;
    p.protocol_id = protocol;
    p.spi = *GenBytesOfSize(protocol == SP::kIke ? *rc::gen::element<size_t>(0, 8) : 4);
    const bool aead = *rc::gen::arbitrary<bool>();
    if (protocol == SP::kIke) {
      Add(p.transforms, Some(GenValidEncr(protocol, aead), 2));
      Add(p.transforms, Some(GenValidPrf(), 2));
      if (!aead) Add(p.transforms, Some(GenValidInteg(), 2));
      Add(p.transforms, Some(GenValidKeMethod(), 2));
      //= rfc9370#section-2.2
      //# Additional Key Exchange transform types 6..12 may follow.
      if (*rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}}))
        p.transforms.push_back(*GenValidKeMethod(TT::kAke1));
    } else if (protocol == SP::kEsp) {
      Add(p.transforms, Some(GenValidEncr(protocol, aead), 2));
      if (!aead) Add(p.transforms, Some(GenValidInteg(), 2));
      if (*rc::gen::arbitrary<bool>()) Add(p.transforms, Some(GenValidKeMethod(), 2));
      Add(p.transforms, Some(GenValidEsn(), 2));
    } else {
      Add(p.transforms, Some(GenValidInteg(), 2));
      if (*rc::gen::arbitrary<bool>()) Add(p.transforms, Some(GenValidKeMethod(), 2));
      Add(p.transforms, Some(GenValidEsn(), 2));
    }
    return p;
  });
}

// An SA payload of 1..4 proposals for one protocol, numbered from 1.
inline rc::Gen<ike::SaPayload> GenValidSa(iana::SecurityProtocol protocol) {
  return rc::gen::exec([protocol] {
    ike::SaPayload sa;
    const size_t n = *rc::gen::inRange<size_t>(1, 5);
    //= rfc7296#section-3.3.1
    //# The first proposal is number 1, each next one is one more.
    for (size_t i = 0; i < n; ++i) sa.proposals.push_back(*GenValidProposal(static_cast<uint8_t>(i + 1), protocol));
    return sa;
  });
}

inline rc::Gen<ike::SaPayload> GenValidSa() {
  return rc::gen::mapcat(
      rc::gen::element(iana::SecurityProtocol::kIke, iana::SecurityProtocol::kEsp, iana::SecurityProtocol::kAh),
      [](iana::SecurityProtocol p) { return GenValidSa(p); });
}

// KE data of the group's public value size (RFC 3526, RFC 5903 §7, RFC 8031
// §3.1, the ML-KEM draft: encapsulation key of ML-KEM-768).
inline rc::Gen<ike::KePayload> GenValidKe() {
  using G = iana::KeGroup;
  const std::vector<std::pair<G, size_t>> groups = {{G::kModp2048, 256}, {G::kModp3072, 384}, {G::kEcp256, 64},
                                                    {G::kEcp384, 96},    {G::kEcp521, 132},   {G::kCurve25519, 32},
                                                    {G::kCurve448, 56},  {G::kMlKem768, 1184}};
  return rc::gen::mapcat(rc::gen::elementOf(groups), [](const std::pair<G, size_t>& g) {
    return rc::gen::build<ike::KePayload>(rc::gen::set(&ike::KePayload::group, rc::gen::just(g.first)),
                                          rc::gen::set(&ike::KePayload::key_exchange_data, GenBytesOfSize(g.second)));
  });
}

// Letters, digits, '-' and '.': a host name without any terminator.
inline rc::Gen<Bytes> GenHostName(size_t min, size_t max) {
  static const std::string kChars = "abcdefghijklmnopqrstuvwxyz0123456789-.";
  return rc::gen::mapcat(rc::gen::inRange<size_t>(min, max + 1), [](size_t n) {
    return rc::gen::container<Bytes>(n, rc::gen::map(rc::gen::inRange<size_t>(0, kChars.size()),
                                                     [](size_t i) { return static_cast<uint8_t>(kChars[i]); }));
  });
}

//= rfc7296#section-3.5
//# Address IDs have the address's size; names carry no terminator.
inline rc::Gen<ike::IdPayload> GenValidId() {
  using I = iana::IdType;
  return rc::gen::mapcat(rc::gen::element(I::kIpv4Addr, I::kFqdn, I::kRfc822Addr, I::kIpv6Addr, I::kDerAsn1Dn,
                                          I::kDerAsn1Gn, I::kKeyId, I::kNull),
                         [](I type) {
                           rc::Gen<Bytes> data = GenBytes(1, 64);
                           if (type == I::kIpv4Addr) data = GenBytesOfSize(4);
                           if (type == I::kIpv6Addr) data = GenBytesOfSize(16);
                           if (type == I::kFqdn) data = GenHostName(1, 40);
                           if (type == I::kRfc822Addr)
                             data = rc::gen::map(rc::gen::pair(GenHostName(1, 10), GenHostName(1, 20)), [](auto parts) {
                               Bytes b = parts.first;
                               b.push_back('@');
                               b.insert(b.end(), parts.second.begin(), parts.second.end());
                               return b;
                             });
                           //= rfc7619#section-3
                           //# ID_NULL carries no identification data.
                           if (type == I::kNull) data = rc::gen::just(Bytes{});
                           return rc::gen::build<ike::IdPayload>(
                               rc::gen::set(&ike::IdPayload::id_type, rc::gen::just(type)),
                               rc::gen::set(&ike::IdPayload::identification_data, data));
                         });
}

//= rfc7296#section-3.6
//# Hash and URL: a 20-octet SHA-1 hash, then the URL.
inline rc::Gen<ike::CertPayload> GenValidCert() {
  using C = iana::CertEncoding;
  return rc::gen::mapcat(rc::gen::element(C::kX509Signature, C::kPkcs7X509, C::kCrl, C::kRawPublicKey,
                                          C::kHashUrlX509Cert, C::kHashUrlX509Bundle),
                         [](C encoding) {
                           rc::Gen<Bytes> data = GenBytes(1, 300);
                           if (encoding == C::kHashUrlX509Cert || encoding == C::kHashUrlX509Bundle)
                             data = rc::gen::map(rc::gen::pair(GenBytesOfSize(20), GenHostName(1, 60)), [](auto p) {
                               Bytes b = p.first;
                               b.insert(b.end(), p.second.begin(), p.second.end());
                               return b;
                             });
                           return rc::gen::build<ike::CertPayload>(
                               rc::gen::set(&ike::CertPayload::cert_encoding, rc::gen::just(encoding)),
                               rc::gen::set(&ike::CertPayload::certificate_data, data));
                         });
}

//= rfc7296#section-3.7
//# X.509 CERTREQ: a list of 20-octet SHA-1 hashes of CA public keys.
inline rc::Gen<ike::CertreqPayload> GenValidCertreq() {
  return rc::gen::build<ike::CertreqPayload>(
      rc::gen::set(&ike::CertreqPayload::cert_encoding, rc::gen::just(iana::CertEncoding::kX509Signature)),
      rc::gen::set(&ike::CertreqPayload::certification_authority,
                   rc::gen::mapcat(rc::gen::inRange<size_t>(1, 5), [](size_t n) { return GenBytesOfSize(20 * n); })));
}

//= rfc4754#section-7
//# ECDSA AUTH data is r||s: 64, 96 or 132 octets for P-256, P-384, P-521.
inline rc::Gen<ike::AuthPayload> GenValidAuth() {
  using A = iana::AuthMethod;
  const std::vector<std::pair<A, size_t>> methods = {{A::kRsaDigitalSignature, 256}, {A::kSharedKeyMic, 32},
                                                     {A::kSharedKeyMic, 64},         {A::kEcdsaSha256P256, 64},
                                                     {A::kEcdsaSha384P384, 96},      {A::kEcdsaSha512P521, 132},
                                                     {A::kNullAuthentication, 32},   {A::kDigitalSignature, 80}};
  return rc::gen::mapcat(rc::gen::elementOf(methods), [](const std::pair<A, size_t>& m) {
    return rc::gen::build<ike::AuthPayload>(
        rc::gen::set(&ike::AuthPayload::auth_method, rc::gen::just(m.first)),
        rc::gen::set(&ike::AuthPayload::authentication_data, GenBytesOfSize(m.second)));
  });
}

//= rfc7296#section-2.10
//# Nonces are 16 to 256 octets.
inline rc::Gen<ike::NoncePayload> GenValidNonce() {
  return rc::gen::build<ike::NoncePayload>(rc::gen::set(&ike::NoncePayload::nonce_data, GenBytes(16, 256)));
}

// Notify types with the data sizes their RFCs fix (data_min..data_max in
// steps of `multiple`; spi: the SPI size, with Protocol ID ESP or AH when
// it is not 0).
struct NotifyShape {
  iana::NotifyType type;
  size_t data_min, data_max, multiple;
  int spi;
};

inline const std::vector<NotifyShape>& ValidNotifyShapes() {
  using N = iana::NotifyType;
  static const std::vector<NotifyShape> shapes = {
      {N::kUnsupportedCriticalPayload, 1, 1, 1, 0},  // RFC 7296 §3.10.1: the payload type
      {N::kInvalidKePayload, 2, 2, 1, 0},            // §3.10.1: the accepted group
      {N::kInvalidMessageId, 4, 4, 1, 0},            // §3.10.1: the message ID
      {N::kInvalidMajorVersion, 1, 1, 1, 0},         // §3.10.1
      {N::kSetWindowSize, 4, 4, 1, 0},               // §3.10.1
      {N::kNatDetectionSourceIp, 20, 20, 1, 0},      // §2.23: SHA-1 digest
      {N::kNatDetectionDestinationIp, 20, 20, 1, 0},
      {N::kCookie, 1, 64, 1, 0},  // §2.6
      {N::kRekeySa, 0, 0, 1, 4},  // §1.3.3: SPI of the Child SA
      {N::kUseTransportMode, 0, 0, 1, 0},
      {N::kEspTfcPaddingNotSupported, 0, 0, 1, 0},
      {N::kNonFirstFragmentsAlso, 0, 0, 1, 0},
      {N::kInitialContact, 0, 0, 1, 0},
      {N::kIkev2FragmentationSupported, 0, 0, 1, 0},    // RFC 7383 §2.3
      {N::kSignatureHashAlgorithms, 2, 16, 2, 0},       // RFC 7427 §4
      {N::kIntermediateExchangeSupported, 0, 0, 1, 0},  // RFC 9242 §3.1
      {N::kMobikeSupported, 0, 0, 1, 0},                // RFC 4555 §4.2
      {N::kAdditionalIp4Address, 4, 4, 1, 0},
      {N::kAdditionalIp6Address, 16, 16, 1, 0},
      {N::kChildlessIkev2Supported, 0, 0, 1, 0},  // RFC 6023 §3
      {N::kNoProposalChosen, 0, 0, 1, 0},         // no fixed data: any
      {N::kAuthenticationFailed, 0, 0, 1, 0},
      {N::kInvalidSpi, 4, 4, 1, 0},             // §3.10.1: the SPI in the data
      {N::kRedirectSupported, 0, 0, 1, 0},      // RFC 5685
      {N::kMultipleAuthSupported, 0, 0, 1, 0},  // RFC 4739
  };
  return shapes;
}

inline rc::Gen<ike::NotifyPayload> GenValidNotify() {
  return rc::gen::mapcat(rc::gen::elementOf(ValidNotifyShapes()), [](const NotifyShape& s) {
    return rc::gen::exec([s] {
      ike::NotifyPayload n;
      n.notify_message_type = s.type;
      const size_t items = *rc::gen::inRange<size_t>(s.data_min / s.multiple, s.data_max / s.multiple + 1);
      n.notification_data = *GenBytesOfSize(items * s.multiple);
      if (s.spi > 0) {
        n.protocol_id =
            static_cast<uint8_t>(*rc::gen::element(iana::SecurityProtocol::kEsp, iana::SecurityProtocol::kAh));
        n.spi = *GenBytesOfSize(static_cast<size_t>(s.spi));
      }
      return n;
    });
  });
}

//= rfc7296#section-3.11
//# Deleting the IKE SA: SPI Size 0, no SPIs; ESP or AH: 4-octet SPIs.
inline rc::Gen<ike::DeletePayload> GenValidDelete() {
  return rc::gen::exec([] {
    ike::DeletePayload d;
    d.protocol_id =
        *rc::gen::element(iana::SecurityProtocol::kIke, iana::SecurityProtocol::kEsp, iana::SecurityProtocol::kAh);
    if (d.protocol_id == iana::SecurityProtocol::kIke) {
      d.spi_size = 0;
      d.num_of_spis = 0;
      return d;
    }
    d.spi_size = 4;
    d.spis = *rc::gen::container<std::vector<Bytes>>(*rc::gen::inRange<size_t>(1, 9), GenBytesOfSize(4));
    d.num_of_spis = static_cast<uint16_t>(d.spis.size());
    return d;
  });
}

inline rc::Gen<ike::VendorIdPayload> GenValidVendorId() {
  return rc::gen::build<ike::VendorIdPayload>(rc::gen::set(&ike::VendorIdPayload::vendor_id, GenBytes(1, 32)));
}

//= rfc7296#section-3.13.1
//# Starting address and port not above the ending ones (or the OPAQUE
//# port range 65535-0).
inline rc::Gen<ike::TrafficSelector> GenValidTrafficSelector() {
  return rc::gen::exec([] {
    ike::TrafficSelector ts;
    ts.ts_type = *rc::gen::element(iana::TsType::kIpv4AddrRange, iana::TsType::kIpv6AddrRange);
    const size_t size = ts.ts_type == iana::TsType::kIpv4AddrRange ? 4 : 16;
    ts.ip_protocol_id = *rc::gen::element<uint8_t>(0, 1, 6, 17, 58, 132);
    Bytes a = *GenBytesOfSize(size), b = *GenBytesOfSize(size);
    if (b < a) std::swap(a, b);
    ts.starting_address = a;
    ts.ending_address = b;
    const int ports = *rc::gen::inRange(0, 4);
    if (ports == 0) {
      ts.start_port = 0;
      ts.end_port = 65535;
    } else if (ports == 1) {
      ts.start_port = 65535;  // OPAQUE
      ts.end_port = 0;
    } else {
      uint16_t p = *rc::gen::arbitrary<uint16_t>(), q = *rc::gen::arbitrary<uint16_t>();
      if (ports == 2) q = p;
      ts.start_port = std::min(p, q);
      ts.end_port = std::max(p, q);
    }
    return ts;
  });
}

inline rc::Gen<ike::TsPayload> GenValidTs() {
  return rc::gen::build<ike::TsPayload>(
      rc::gen::set(&ike::TsPayload::traffic_selectors, rc::gen::mapcat(rc::gen::inRange<size_t>(1, 5), [](size_t n) {
        return rc::gen::container<std::vector<ike::TrafficSelector>>(n, GenValidTrafficSelector());
      })));
}

// The first inner payload of an SK payload: a payload that may be encrypted.
inline rc::Gen<iana::PayloadType> GenInnerPayloadType() { return rc::gen::elementOf(PlainPayloadTypes()); }

inline rc::Gen<ike::SkPayload> GenValidSk() {
  return rc::gen::build<ike::SkPayload>(rc::gen::set(&ike::SkPayload::first_inner, GenInnerPayloadType()),
                                        rc::gen::set(&ike::SkPayload::encrypted, GenBytes(24, 300)));
}

//= rfc7383#section-2.5
//# Fragment Number 1..Total Fragments; only fragment 1 names the first
//# inner payload.
inline rc::Gen<ike::SkfPayload> GenValidSkf() {
  return rc::gen::exec([] {
    ike::SkfPayload f;
    f.total_fragments = *rc::gen::inRange<uint16_t>(1, 12);
    f.fragment_number = *rc::gen::inRange<uint16_t>(1, static_cast<uint16_t>(f.total_fragments + 1));
    f.first_inner = f.fragment_number == 1 ? *GenInnerPayloadType() : iana::PayloadType::kNone;
    f.encrypted = *GenBytes(24, 300);
    return f;
  });
}

//= rfc7296#section-3.15.1
//# Attribute values are empty (a request) or have their type's size.
inline rc::Gen<ike::CpAttribute> GenValidCpAttribute() {
  using A = iana::CfgAttribute;
  const std::vector<std::pair<A, size_t>> shapes = {
      {A::kInternalIp4Address, 4}, {A::kInternalIp4Netmask, 4},  {A::kInternalIp4Dns, 4},  {A::kInternalIp4Nbns, 4},
      {A::kInternalIp4Dhcp, 4},    {A::kInternalIp6Address, 17}, {A::kInternalIp6Dns, 16}, {A::kInternalIp6Dhcp, 16},
      {A::kInternalIp4Subnet, 8},  {A::kInternalIp6Subnet, 17}};
  return rc::gen::weightedOneOf<ike::CpAttribute>(
      {{6, rc::gen::mapcat(rc::gen::elementOf(shapes),
                           [](const std::pair<A, size_t>& s) {
                             return rc::gen::build<ike::CpAttribute>(
                                 rc::gen::set(&ike::CpAttribute::attribute_type,
                                              rc::gen::just(static_cast<uint16_t>(s.first))),
                                 rc::gen::set(&ike::CpAttribute::value,
                                              rc::gen::oneOf(rc::gen::just(Bytes{}), GenBytesOfSize(s.second))));
                           })},
       {1,
        rc::gen::build<ike::CpAttribute>(
            rc::gen::set(&ike::CpAttribute::attribute_type,
                         rc::gen::just(static_cast<uint16_t>(A::kSupportedAttributes))),
            rc::gen::set(&ike::CpAttribute::value, rc::gen::mapcat(rc::gen::inRange<size_t>(0, 6),
                                                                   [](size_t n) { return GenBytesOfSize(2 * n); })))},
       {1, rc::gen::build<ike::CpAttribute>(rc::gen::set(&ike::CpAttribute::attribute_type,
                                                         rc::gen::just(static_cast<uint16_t>(A::kApplicationVersion))),
                                            rc::gen::set(&ike::CpAttribute::value, GenHostName(0, 20)))}});
}

inline rc::Gen<ike::CpPayload> GenValidCp() {
  return rc::gen::build<ike::CpPayload>(
      rc::gen::set(&ike::CpPayload::cfg_type, rc::gen::element(iana::CfgType::kRequest, iana::CfgType::kReply,
                                                               iana::CfgType::kSet, iana::CfgType::kAck)),
      rc::gen::set(&ike::CpPayload::attributes, rc::gen::mapcat(rc::gen::inRange<size_t>(0, 6), [](size_t n) {
        return rc::gen::container<std::vector<ike::CpAttribute>>(n, GenValidCpAttribute());
      })));
}

//= rfc3748#section-4
//# Request/Response: Code, Identifier, Length, Type, Type-Data; Success and
//# Failure: the 4-octet header only. Length counts the whole message.
inline rc::Gen<ike::EapPayload> GenValidEap() {
  return rc::gen::exec([] {
    const uint8_t code = *rc::gen::inRange<uint8_t>(1, 5);
    Bytes m = {code, *rc::gen::arbitrary<uint8_t>(), 0, 0};
    if (code <= 2) {
      m.push_back(*rc::gen::element<uint8_t>(1, 4, 13, 18, 23, 26, 50));
      const Bytes data = *GenBytes(0, 40);
      m.insert(m.end(), data.begin(), data.end());
    }
    StoreU16(&m[2], static_cast<uint16_t>(m.size()));
    return ike::EapPayload{m};
  });
}

// A payload of `type` whose body meets its Verify; unknown types get an
// opaque, non-critical body.
inline rc::Gen<ike::Payload> GenValidPayloadOfType(iana::PayloadType type) {
  using PT = iana::PayloadType;
  auto with = [type](auto body_gen) {
    return rc::gen::map(body_gen, [type](auto body) {
      ike::Payload p;
      p.type = type;
      p.body = std::move(body);
      return p;
    });
  };
  switch (type) {
    case PT::kSa:
      return with(GenValidSa());
    case PT::kKe:
      return with(GenValidKe());
    case PT::kIdi:
    case PT::kIdr:
      return with(GenValidId());
    case PT::kCert:
      return with(GenValidCert());
    case PT::kCertreq:
      return with(GenValidCertreq());
    case PT::kAuth:
      return with(GenValidAuth());
    case PT::kNonce:
      return with(GenValidNonce());
    case PT::kNotify:
      return with(GenValidNotify());
    case PT::kDelete:
      return with(GenValidDelete());
    case PT::kVendorId:
      return with(GenValidVendorId());
    case PT::kTsi:
    case PT::kTsr:
      return with(GenValidTs());
    case PT::kSk:
      return with(GenValidSk());
    case PT::kCp:
      return with(GenValidCp());
    case PT::kEap:
      return with(GenValidEap());
    case PT::kSkf:
      return with(GenValidSkf());
    default:
      return with(rc::gen::arbitrary<ike::UnknownPayload>());
  }
}

// A Verify-valid header: IKEv2 2.0, a registered exchange, only the
// Initiator and Response flags.
inline rc::Gen<ike::Header> GenValidHeader(iana::ExchangeType exchange) {
  return rc::gen::exec([exchange] {
    ike::Header h;
    h.spi_i = *rc::gen::inRange<uint64_t>(1, UINT64_MAX);
    h.exchange_type = exchange;
    const bool response = *rc::gen::arbitrary<bool>();
    h.spi_r = exchange == iana::ExchangeType::kIkeSaInit && !response ? 0 : *rc::gen::inRange<uint64_t>(1, UINT64_MAX);
    h.flags = static_cast<uint8_t>((*rc::gen::arbitrary<bool>() ? ike::kFlagInitiator : 0) |
                                   (response ? ike::kFlagResponse : 0));
    h.message_id = exchange == iana::ExchangeType::kIkeSaInit ? 0 : *rc::gen::inRange<uint32_t>(0, 100);
    return h;
  });
}

// A finalized message of exactly these payload types, each valid.
inline rc::Gen<ike::Message> GenValidMessageOf(iana::ExchangeType exchange, std::vector<iana::PayloadType> types) {
  return rc::gen::exec([exchange, types] {
    ike::Message m;
    m.header = *GenValidHeader(exchange);
    for (iana::PayloadType t : types) m.payloads.push_back(*GenValidPayloadOfType(t));
    RC_ASSERT(ike::Finalize(m).ok());
    return m;
  });
}

// A finalized message of 1..8 valid payloads of any types (an SK or SKF
// payload only last), under a registered exchange type.
inline rc::Gen<ike::Message> GenValidMessage() {
  return rc::gen::exec([] {
    using ET = iana::ExchangeType;
    const ET exchange =
        *rc::gen::element(ET::kIkeSaInit, ET::kIkeAuth, ET::kCreateChildSa, ET::kInformational, ET::kIkeIntermediate);
    std::vector<iana::PayloadType> types = *rc::gen::container<std::vector<iana::PayloadType>>(
        *rc::gen::inRange<size_t>(1, 8),
        rc::gen::weightedOneOf<iana::PayloadType>(
            {{12, rc::gen::elementOf(PlainPayloadTypes())}, {1, GenUnknownPayloadType()}}));
    if (*rc::gen::arbitrary<bool>())
      types.push_back(*rc::gen::element(iana::PayloadType::kSk, iana::PayloadType::kSkf));
    return *GenValidMessageOf(exchange, types);
  });
}

}  // namespace ipsecref::testing
