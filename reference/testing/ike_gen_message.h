// Syntactically valid payloads of any type, headers and messages:
// GenPayloadOfType and rc::Arbitrary for Payload, Header and Message (a
// message survives Decode(Encode(m))). See ike_generators.h.
#pragma once

#include "reference/testing/ike_gen_bodies.h"

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
